/* SPDX-License-Identifier: MIT */
/**
 * @file janus.c  Janus WebSocket API machine for a receiving bot
 * (docs/janus.md §5; janus.js and janus_videoroom.c / janus_audiobridge.c
 * v1.1.2 headers are the reference).
 *
 * VideoRoom (§5.1, §5.3): handle A joins as a passive publisher and gets
 * the room notifications; handle B is one subscriber PeerConnection that
 * grows with `subscribe` and shrinks by Janus's autoupdate. AudioBridge
 * (§5.2): one handle joins muted with generate_offer and answers with
 * configure; the whole mix is one stream.
 *
 * Replies are matched by transaction only, because Janus often sends a
 * request's event before its ack. Everything read from a message is
 * type-checked; a field of the wrong type counts as missing.
 */
#include "protocols/sig/janus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocols/sig/janus_priv.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "janus"
#include "src/core/log.h"

static void janus_destroy(void *data)
{
	struct vp_sig_janus *j = data;
	struct jpart *p;

	while ((p = j->parts)) {
		j->parts = p->next;
		vp_mem_deref(p);
	}
	vp_mem_deref(j->display);
	vp_mem_deref(j->self_id);
	vp_mem_deref(j->private_id);
	memset(&j->inv, 0, sizeof(j->inv)); /* holds the pin */
}

int vp_sig_janus_alloc(struct vp_sig_janus **jp, const struct vp_invite *inv,
		       const char *display, const struct vp_sig_handler *h,
		       void *harg, vp_sig_janus_send_h *sendh, void *sarg)
{
	struct vp_sig_janus *j;
	int err = 0;

	if (!jp || !inv || !h || !sendh || inv->dialect != VP_INVITE_JANUS)
		return EINVAL;
	j = vp_mem_zalloc(sizeof(*j), janus_destroy);
	if (!j)
		return ENOMEM;
	j->inv = *inv;
	j->h = *h;
	j->harg = harg;
	j->sendh = sendh;
	j->sarg = sarg;
	j->ab = inv->plugin == VP_INVITE_AUDIOBRIDGE;
	if (!display || !display[0])
		display = inv->name[0] ? inv->name : "vpbot";
	j->display = vp_mem_strdup(display);
	if (!j->display)
		err = ENOMEM;
	if (err)
		vp_mem_deref(j);
	else
		*jp = j;
	return err;
}

bool vp_sig_janus_done(const struct vp_sig_janus *j)
{
	return !j || j->done;
}

bool vp_sig_janus_has_session(const struct vp_sig_janus *j)
{
	return j && !j->done && j->session;
}

/* --- terminal events --- */

void vp_sig_janus__fail(struct vp_sig_janus *j, enum vp_sig_err_kind kind,
			const char *reason)
{
	if (j->done)
		return;
	j->done = true;
	vp_log_warn("%s error: %s",
		    kind == VP_SIG_ERR_PERMANENT ? "permanent" : "transient",
		    reason);
	if (j->h.error)
		j->h.error(kind, reason, j->harg);
}

void vp_sig_janus__end(struct vp_sig_janus *j, const char *reason)
{
	if (j->done)
		return;
	j->done = true;
	vp_log_info("ended: %s", reason);
	if (j->h.ended)
		j->h.ended(reason, j->harg);
}

void vp_sig_janus_lost(struct vp_sig_janus *j, const char *why)
{
	char r[160];

	if (!j || j->done)
		return;
	if (j->leaving) {
		vp_sig_janus__end(j, "left");
		return;
	}
	snprintf(r, sizeof(r), "signaling lost (%s)", why ? why : "closed");
	vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT, r);
}

/* --- requests --- */

static struct jtx *tx_new(struct vp_sig_janus *j, enum jtx_kind kind)
{
	struct jtx *t = NULL;

	for (size_t i = 0; i < JANUS_MAX_TX; i++) {
		if (!j->tx[i].kind) {
			t = &j->tx[i];
			break;
		}
	}
	if (!t) {
		/* all slots busy: Janus stopped answering; reuse the oldest */
		size_t old = 0;

		for (size_t i = 1; i < JANUS_MAX_TX; i++) {
			if (j->tx[i].seq < j->tx[old].seq)
				old = i;
		}
		t = &j->tx[old];
	}
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->seq = ++j->txseq;
	snprintf(t->id, sizeof(t->id), "vp%" PRIu64, t->seq);
	return t;
}

struct jtx *vp_sig_janus__tx_find(struct vp_sig_janus *j, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < JANUS_MAX_TX; i++) {
		if (j->tx[i].kind && !strcmp(j->tx[i].id, id))
			return &j->tx[i];
	}
	return NULL;
}

/*
 * Send `msg` (consumed) as a request of `kind` on `handle` (0: session or
 * none). Adds transaction, session_id and handle_id.
 */
int vp_sig_janus__send(struct vp_sig_janus *j, enum jtx_kind kind,
		       uint64_t handle, json_t *msg)
{
	struct jtx *t;
	char *text;
	int err = 0;

	if (!msg)
		return ENOMEM;
	t = tx_new(j, kind);
	t->handle = handle;
	if (json_object_set_new(msg, "transaction", json_string(t->id)) ||
	    (j->session &&
	     json_object_set_new(msg, "session_id",
				 json_integer((json_int_t)j->session))) ||
	    (handle && json_object_set_new(msg, "handle_id",
					   json_integer((json_int_t)handle)))) {
		err = ENOMEM;
		goto out;
	}
	text = vp_json_dumps(msg, JSON_COMPACT);
	if (!text) {
		err = ENOMEM;
		goto out;
	}
	vp_log_debug("-> %s tx=%s", vp_sig_janus__kind_name(kind), t->id);
	j->sendh(text, strlen(text), j->sarg);
	free(text);
out:
	if (err)
		memset(t, 0, sizeof(*t));
	json_decref(msg);
	return err;
}

/* A room or feed id: numeric ids go out as JSON integers, else strings
 * (rooms configured with string_ids). */
json_t *vp_sig_janus__id_json(const char *id)
{
	char *end;
	unsigned long long v;

	if (id[0] >= '0' && id[0] <= '9') {
		errno = 0;
		v = strtoull(id, &end, 10);
		if (!*end && !errno && v <= INT64_MAX)
			return json_integer((json_int_t)v);
	}
	return json_string(id);
}

int vp_sig_janus__body(struct vp_sig_janus *j, enum jtx_kind kind,
		       uint64_t handle, json_t *body, json_t *jsep)
{
	json_t *m = json_pack("{s:s, s:o}", "janus", "message", "body", body);

	if (m && jsep && json_object_set_new(m, "jsep", jsep)) {
		json_decref(m);
		return ENOMEM;
	}
	if (!m)
		json_decref(jsep);
	return vp_sig_janus__send(j, kind, handle, m);
}

int vp_sig_janus_start(struct vp_sig_janus *j)
{
	if (!j)
		return EINVAL;
	if (j->started || j->done)
		return EALREADY;
	j->started = true;
	return vp_sig_janus__send(j, JTX_CREATE, 0,
				  json_pack("{s:s}", "janus", "create"));
}

int vp_sig_janus_keepalive(struct vp_sig_janus *j)
{
	if (!j)
		return EINVAL;
	if (!vp_sig_janus_has_session(j))
		return EALREADY;
	return vp_sig_janus__send(j, JTX_KEEPALIVE, 0,
				  json_pack("{s:s}", "janus", "keepalive"));
}

int vp_sig_janus_answer(struct vp_sig_janus *j, const char *offer_id,
			const char *sdp)
{
	json_t *jsep, *body;

	if (!j || !offer_id || !sdp)
		return EINVAL;
	if (j->done || j->leaving || !j->offer_seq ||
	    strcmp(offer_id, j->offer_id))
		return EALREADY;
	jsep = json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp);
	if (jsep && strstr(sdp, "a=end-of-candidates") &&
	    json_object_set_new(jsep, "trickle", json_false())) {
		json_decref(jsep);
		return ENOMEM;
	}
	if (!jsep)
		return ENOMEM;
	if (j->ab)
		body = json_pack("{s:s, s:b}", "request", "configure", "muted",
				 1);
	else
		body = json_pack("{s:s}", "request", "start");
	if (!body) {
		json_decref(jsep);
		return ENOMEM;
	}
	return vp_sig_janus__body(j, j->ab ? JTX_CONFIGURE : JTX_START,
				  j->offer_handle, body, jsep);
}

int vp_sig_janus_trickle(struct vp_sig_janus *j, const char *mid,
			 unsigned mline, const char *candidate)
{
	json_t *c, *m;

	if (!j || (candidate && !mid))
		return EINVAL;
	if (j->done || !j->offer_handle)
		return EALREADY;
	if (candidate)
		c = json_pack("{s:s, s:i, s:s}", "sdpMid", mid, "sdpMLineIndex",
			      (int)mline, "candidate", candidate);
	else
		c = json_pack("{s:b}", "completed", 1);
	if (!c)
		return ENOMEM;
	m = json_pack("{s:s, s:o}", "janus", "trickle", "candidate", c);
	return vp_sig_janus__send(j, JTX_TRICKLE, j->offer_handle, m);
}

int vp_sig_janus_leave(struct vp_sig_janus *j)
{
	int err = 0;

	if (!j)
		return EINVAL;
	if (j->done || j->leaving)
		return EALREADY;
	j->leaving = true;
	if (!j->session) {
		vp_sig_janus__end(j, "left");
		return 0;
	}
	/* docs/janus.md §5.1 step 7: leave B, leave A, detach, destroy */
	if (j->hb && j->sub_joined)
		err = vp_sig_janus__body(j, JTX_LEAVE, j->hb,
					 json_pack("{s:s}", "request", "leave"),
					 NULL);
	if (!err && j->ha && j->self_id)
		err = vp_sig_janus__body(j, JTX_LEAVE, j->ha,
					 json_pack("{s:s}", "request", "leave"),
					 NULL);
	if (!err && j->hb)
		err = vp_sig_janus__send(j, JTX_DETACH, j->hb,
					 json_pack("{s:s}", "janus", "detach"));
	if (!err && j->ha)
		err = vp_sig_janus__send(j, JTX_DETACH, j->ha,
					 json_pack("{s:s}", "janus", "detach"));
	if (!err)
		err = vp_sig_janus__send(
			j, JTX_DESTROY, 0,
			json_pack("{s:s}", "janus", "destroy"));
	return err;
}

const char *vp_sig_janus__kind_name(enum jtx_kind k)
{
	static const char *const names[] = {
		"none",	  "create",    "attach-a",  "attach-b",	 "join-a",
		"join-b", "subscribe", "start",	    "configure", "leave",
		"detach", "destroy",   "keepalive", "trickle",
	};

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}
