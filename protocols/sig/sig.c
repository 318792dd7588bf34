/* SPDX-License-Identifier: MIT */
/** @file sig.c  Picks the dialect by invite scheme and forwards to it. */
#include "protocols/sig/sig.h"

#include <errno.h>
#include <stddef.h>

#include "src/core/mem.h"

#define VP_LOG_MODULE "sig"
#include "src/core/log.h"

extern const struct vp_sig_dialect vp_sig_dialect_janus;
extern const struct vp_sig_dialect vp_sig_dialect_sim;

/* Add a dialect here (and its file to meson.build). */
static const struct vp_sig_dialect *const dialects[] = {
	&vp_sig_dialect_janus,
	&vp_sig_dialect_sim,
};

struct vp_sig {
	const struct vp_sig_dialect *d;
	void *st;
};

static void sig_destroy(void *data)
{
	struct vp_sig *s = data;

	vp_mem_deref(s->st);
}

const struct vp_sig_dialect *vp_sig_dialect_find(enum vp_invite_dialect d)
{
	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		if (dialects[i]->id == d &&
		    dialects[i]->version == VP_SIG_DIALECT_VERSION)
			return dialects[i];
	}
	return NULL;
}

int vp_sig_alloc(struct vp_sig **sigp, const struct vp_sig_cfg *cfg,
		 const struct vp_invite *inv, const struct vp_sig_handler *h,
		 void *arg)
{
	struct vp_sig *s;
	int err;

	if (!sigp || !cfg || !cfg->ctx || !inv || !h)
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), sig_destroy);
	if (!s)
		return ENOMEM;
	s->d = vp_sig_dialect_find(inv->dialect);
	if (!s->d) {
		vp_log_err("no signaling dialect for '%s' invites",
			   vp_invite_dialect_name(inv->dialect));
		err = ENOENT;
		goto out;
	}
	err = s->d->alloc(&s->st, cfg, inv, h, arg);
out:
	if (err)
		vp_mem_deref(s);
	else
		*sigp = s;
	return err;
}

int vp_sig_join(struct vp_sig *s, const char *display)
{
	return s ? s->d->join(s->st, display) : EINVAL;
}

int vp_sig_answer(struct vp_sig *s, const char *offer_id, const char *sdp)
{
	return s ? s->d->answer(s->st, offer_id, sdp) : EINVAL;
}

int vp_sig_trickle(struct vp_sig *s, const char *mid, unsigned mline,
		   const char *candidate)
{
	return s ? s->d->trickle(s->st, mid, mline, candidate) : EINVAL;
}

int vp_sig_leave(struct vp_sig *s)
{
	return s ? s->d->leave(s->st) : EINVAL;
}

int vp_sig_notice(struct vp_sig *s, const char *text)
{
	if (!s || !text)
		return EINVAL;
	return s->d->notice ? s->d->notice(s->st, text) : ENOTSUP;
}

const char *vp_sig_name(const struct vp_sig *s)
{
	return s ? s->d->name : "none";
}
