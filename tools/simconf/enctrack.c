/* SPDX-License-Identifier: MIT */
/** @file enctrack.c  Shared encoded frames per participant (enctrack.h). */
#include "tools/simconf/enctrack.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <opus.h>

#include "src/core/mem.h"

#define VP_LOG_MODULE "enctrack"
#include "src/core/log.h"

#define FRAME	  960 /* 20 ms at 48 kHz */
#define MAX_PAYLD 400

struct vp_simconf_enctrack {
	const struct vp_simconf_part *part;
	struct vp_simconf_clip *const *clips;
	OpusEncoder *enc;
	uint64_t next_k; /* frames < next_k are in the table */
	uint32_t *off;	 /* [k]: offset in bytes; off[k+1]-off[k] = length */
	uint8_t *bytes;
	size_t cap_k, cap_b, used_b;
	struct vp_simconf_enctrack *next; /* the registry */
};

/* One track per part pointer: every copy of a meeting shares its parts */
static struct vp_simconf_enctrack *registry;

static void track_destroy(void *data)
{
	struct vp_simconf_enctrack *t = data, **pp = &registry;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	if (t->enc)
		opus_encoder_destroy(t->enc);
	vp_mem_deref(t->off);
	vp_mem_deref(t->bytes);
}

static uint64_t at_sample(double t)
{
	return (uint64_t)llround(t * 48000);
}

/* n samples of clip c from src on (a periodic clip wraps around) */
static void clip_copy(int16_t *dst, const struct vp_simconf_clip *c, size_t src,
		      size_t n)
{
	if (!c->period) {
		memcpy(dst, c->pcm + src, n * sizeof(*dst));
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = c->pcm[(src + i) % c->period];
}

int vp_simconf_frame_pcm(const struct vp_simconf_part *p,
			 struct vp_simconf_clip *const *clips, uint64_t k,
			 int16_t *pcm, size_t *src0, size_t *src1)
{
	uint64_t f0 = k * FRAME, f1 = f0 + FRAME;
	uint64_t lo = at_sample(p->join_at);
	uint64_t hi = p->leave_at >= 0 ? at_sample(p->leave_at) : UINT64_MAX;
	int found = -1;

	if (pcm)
		memset(pcm, 0, FRAME * sizeof(*pcm));
	lo = lo > f0 ? lo : f0; /* the part of the frame they are present */
	hi = hi < f1 ? hi : f1;
	for (unsigned i = 0; i < p->nspeak && lo < hi; i++) {
		uint64_t c0 = at_sample(p->speak[i].at);
		uint64_t c1 = c0 + clips[i]->n;
		uint64_t a = c0 > lo ? c0 : lo, b = c1 < hi ? c1 : hi;

		if (a >= b)
			continue;
		if (pcm)
			clip_copy(pcm + (a - f0), clips[i], (size_t)(a - c0),
				  (size_t)(b - a));
		if (found < 0) {
			found = (int)i;
			*src0 = (size_t)(a - c0);
			*src1 = (size_t)(b - c0);
		}
	}
	return found;
}

static int enc_setup(struct vp_simconf_enctrack *t)
{
	int e;
	int loss = (int)ceil(t->part->impair.loss_pct);

	t->enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &e);
	if (!t->enc || e != OPUS_OK) {
		vp_log_err("opus_encoder_create: %s", opus_strerror(e));
		return EPROTO;
	}
	/* RFC 7587 §3.1.2: in-band FEC, tuned to the expected loss */
	opus_encoder_ctl(t->enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(t->enc, OPUS_SET_PACKET_LOSS_PERC(loss ? loss : 5));
	opus_encoder_ctl(t->enc, OPUS_SET_COMPLEXITY(3));
	opus_encoder_ctl(t->enc, OPUS_SET_BITRATE(32000));
	return 0;
}

int vp_simconf_enctrack_get(struct vp_simconf_enctrack **tp,
			    const struct vp_simconf_part *part,
			    struct vp_simconf_clip *const *clips)
{
	struct vp_simconf_enctrack *t;
	int err;

	if (!tp || !part || (part->nspeak && !clips))
		return EINVAL;
	for (t = registry; t; t = t->next)
		if (t->part == part) {
			*tp = vp_mem_ref(t);
			return 0;
		}
	t = vp_mem_zalloc(sizeof(*t), track_destroy);
	if (!t)
		return ENOMEM;
	t->part = part;
	t->clips = clips;
	t->next = registry;
	registry = t;
	t->cap_k = 3000; /* 60 s; doubled as needed */
	t->cap_b = t->cap_k * 100;
	t->off = vp_mem_zalloc((t->cap_k + 1) * sizeof(*t->off), NULL);
	t->bytes = vp_mem_zalloc(t->cap_b, NULL);
	err = t->off && t->bytes ? enc_setup(t) : ENOMEM;
	if (err)
		vp_mem_deref(t);
	else
		*tp = t;
	return err;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t extra)
{
	size_t n = *cap;
	void *q;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	q = vp_mem_zalloc(n * elem + extra, NULL);
	if (!q)
		return ENOMEM;
	memcpy(q, *p, *cap * elem + extra);
	vp_mem_deref(*p);
	*p = q;
	*cap = n;
	return 0;
}

/* Encode frame next_k (or record it silent) and append it */
static int encode_next(struct vp_simconf_enctrack *t)
{
	int16_t pcm[FRAME];
	size_t a, b, capk = t->cap_k;
	opus_int32 n = 0;

	if (grow((void **)&t->off, &capk, t->next_k + 2, sizeof(*t->off),
		 sizeof(*t->off)) ||
	    grow((void **)&t->bytes, &t->cap_b, t->used_b + MAX_PAYLD, 1, 0))
		return ENOMEM;
	t->cap_k = capk;
	if (vp_simconf_frame_pcm(t->part, t->clips, t->next_k, pcm, &a, &b) >=
	    0) {
		n = opus_encode(t->enc, pcm, FRAME, t->bytes + t->used_b,
				MAX_PAYLD);
		if (n <= 0) {
			vp_log_err("opus_encode: %s", opus_strerror(n));
			n = 0;
		}
	}
	t->used_b += (size_t)n;
	t->next_k++;
	t->off[t->next_k] = (uint32_t)t->used_b;
	return 0;
}

size_t vp_simconf_enctrack_frame(struct vp_simconf_enctrack *t, uint64_t k,
				 const uint8_t **b)
{
	while (t->next_k <= k)
		if (encode_next(t))
			return 0;
	*b = t->bytes + t->off[k];
	return t->off[k + 1] - t->off[k];
}
