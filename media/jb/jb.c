/* SPDX-License-Identifier: MIT */
/**
 * @file jb.c  Jitter buffer: a ring of `capacity` slots indexed by the
 * extended sequence number; see jb.h for the hold and resync rules.
 */
#define VP_LOG_MODULE "jb"

#include "media/jb/jb.h"

#include <errno.h>
#include <string.h>

#include "protocols/rtp/seq.h"
#include "src/core/bytes.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#define SEQ_CYCLE ((int64_t)1 << 16)
#define TS_CYCLE  ((int64_t)1 << 32)
#define MIN_BUF	  256 /* smallest payload buffer: most Opus packets fit */

/* A slot remembers its last packet after release, so that a copy arriving
 * later can be told apart (duplicate) from one given up on (late). */
enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_HELD,
	SLOT_RELEASED,
	SLOT_LOST,
};

struct slot {
	enum slot_state st;
	int64_t seq;
	int64_t ts;
	uint64_t arrival;
	uint64_t tag; /* the caller's (vp_jb_in.tag) */
	uint32_t dur;
	size_t len;
	uint8_t *buf; /* refcounted; kept and reused, grows only */
	size_t cap;
};

struct vp_jb {
	struct vp_jb_cfg cfg;
	uint32_t mask;
	struct slot *slots;
	vp_jb_release_h *releaseh;
	void *arg;
	struct vp_jb_stats stats;
	bool started;
	int64_t next;	  /* next extended seq to release */
	int64_t high;	  /* highest extended seq accepted */
	int64_t high_ts;  /* extended ts of `high`: the unwrap reference */
	bool have_prev;	  /* something was released */
	int64_t prev_end; /* ts + duration of the last released item */
	bool resync;	  /* the next released packet starts a new sequence */
	uint32_t nheld;
	uint64_t now;
	uint64_t start_arrival; /* arrival of the very first packet */
	bool far_valid;		/* a far-behind packet was seen just before */
	uint16_t far_seq;
};

static void jb_destroy(void *data)
{
	struct vp_jb *jb = data;
	uint32_t i;

	if (!jb->slots)
		return;
	for (i = 0; i <= jb->mask; i++)
		jb->slots[i].buf = vp_mem_deref(jb->slots[i].buf);
	jb->slots = vp_mem_deref(jb->slots);
}

int vp_jb_alloc(struct vp_jb **jbp, const struct vp_jb_cfg *cfg,
		vp_jb_release_h *releaseh, void *arg)
{
	struct vp_jb *jb;
	int err = 0;

	/* capacity <= 2^15 keeps a window inside half the 16-bit seq space */
	if (!jbp || !cfg || !releaseh || !vp_is_pow2(cfg->capacity) ||
	    cfg->capacity < 2 || cfg->capacity > 32768)
		return EINVAL;
	jb = vp_mem_zalloc(sizeof(*jb), jb_destroy);
	if (!jb)
		return ENOMEM;
	jb->slots = vp_mem_zalloc(cfg->capacity * sizeof(*jb->slots), NULL);
	if (!jb->slots) {
		err = ENOMEM;
		goto out;
	}
	jb->cfg = *cfg;
	jb->mask = cfg->capacity - 1;
	jb->releaseh = releaseh;
	jb->arg = arg;
out:
	if (err)
		vp_mem_deref(jb);
	else
		*jbp = jb;
	return err;
}

static struct slot *slot_of(struct vp_jb *jb, int64_t seq)
{
	return &jb->slots[(uint64_t)seq & jb->mask];
}

static bool is_held(struct vp_jb *jb, int64_t seq)
{
	const struct slot *s = slot_of(jb, seq);

	return s->st == SLOT_HELD && s->seq == seq;
}

static void release_packet(struct vp_jb *jb, struct slot *s)
{
	struct vp_jb_item it = {
		.kind = VP_JB_PACKET,
		.seq = (uint64_t)s->seq,
		.ts = (uint64_t)s->ts,
		.duration = s->dur,
		.resync = jb->resync,
		.arrival_ns = s->arrival,
		.tag = s->tag,
		.payload = s->len ? s->buf : NULL,
		.len = s->len,
	};

	/* Consecutive seq, later ts: the sender stopped sending during
	 * silence (Opus DTX, RFC 7587 section 3.1; RFC 3551 section 4.1:
	 * ts keeps counting while seq does not). After a gap the LOST items
	 * already cover the span, so this is only non-zero without one. */
	if (jb->have_prev && !jb->resync && s->ts > jb->prev_end) {
		/* a forged jump of 2^32 or more is not a small gap mod 2^32 */
		it.dtx_gap = s->ts - jb->prev_end > UINT32_MAX
				     ? UINT32_MAX
				     : (uint32_t)(s->ts - jb->prev_end);
		jb->stats.dtx_gaps++;
		jb->stats.dtx_samples += it.dtx_gap;
	}
	s->st = SLOT_RELEASED;
	jb->nheld--;
	jb->next = s->seq + 1;
	jb->have_prev = true;
	jb->prev_end = s->ts + s->dur;
	jb->resync = false;
	jb->stats.released++;
	jb->releaseh(&it, jb->arg);
}

/* Release the head while it is present. */
static void release_run(struct vp_jb *jb)
{
	while (is_held(jb, jb->next))
		release_packet(jb, slot_of(jb, jb->next));
}

static void release_lost(struct vp_jb *jb, int64_t seq, int64_t ts,
			 uint32_t dur)
{
	struct slot *s = slot_of(jb, seq);
	struct vp_jb_item it = {
		.kind = VP_JB_LOST,
		.seq = (uint64_t)seq,
		.ts = (uint64_t)ts,
		.duration = dur,
	};

	s->st = SLOT_LOST;
	s->seq = seq;
	jb->stats.lost++;
	jb->releaseh(&it, jb->arg);
}

/*
 * Give up the gap in front of the first held packet N: the k missing
 * packets share the ts span from the previous item's end to N's ts evenly
 * (the first span % k get one sample more), so the concealed timeline ends
 * exactly where N starts. A span that is not positive (a sender whose ts
 * went backwards) gives zero-length items: nothing can be concealed.
 */
static void give_up_gap(struct vp_jb *jb)
{
	const struct slot *n = NULL;
	int64_t seq, k, span, per, rem, ts;

	if (is_held(jb, jb->next))
		return; /* no gap: the head is here (release_run() takes it) */
	for (seq = jb->next + 1; seq <= jb->high; seq++) {
		if (is_held(jb, seq)) {
			n = slot_of(jb, seq);
			break;
		}
	}
	if (!n)
		return;
	k = n->seq - jb->next;
	ts = jb->have_prev ? jb->prev_end : n->ts;
	span = n->ts - ts;
	if (span < 0)
		span = 0;
	per = span / k;
	rem = span % k;
	for (seq = jb->next; seq < n->seq; seq++) {
		uint32_t dur = (uint32_t)(per + (seq - jb->next < rem ? 1 : 0));

		release_lost(jb, seq, ts, dur);
		ts += dur;
	}
	vp_log_trace("jb", "gave up seq=%lld..%lld span=%lld",
		     (long long)jb->next, (long long)(n->seq - 1),
		     (long long)span);
	jb->next = n->seq;
	jb->have_prev = true;
	jb->prev_end = ts;
}

static uint64_t oldest_arrival(struct vp_jb *jb)
{
	uint64_t oldest = UINT64_MAX;
	int64_t seq;

	for (seq = jb->next; seq <= jb->high; seq++) {
		const struct slot *s = slot_of(jb, seq);

		if (is_held(jb, seq) && s->arrival < oldest)
			oldest = s->arrival;
	}
	return oldest;
}

static void process(struct vp_jb *jb)
{
	/* Start-up hold: the first packet to arrive need not be the first
	 * sent (jitter reorders the first packets too), so nothing is
	 * released until hold_ns after it; an earlier one arriving by then
	 * becomes the start instead of being late. */
	if (jb->cfg.start_hold && !jb->have_prev && jb->nheld &&
	    jb->now - jb->start_arrival < jb->cfg.hold_ns)
		return;
	for (;;) {
		uint64_t oldest;

		release_run(jb);
		if (!jb->nheld)
			return;
		oldest = oldest_arrival(jb);
		if (jb->now < oldest || jb->now - oldest < jb->cfg.hold_ns)
			return;
		give_up_gap(jb);
	}
}

void vp_jb_poll(struct vp_jb *jb, uint64_t now_ns)
{
	if (!jb)
		return;
	if (now_ns > jb->now)
		jb->now = now_ns;
	process(jb);
}

void vp_jb_flush(struct vp_jb *jb)
{
	int64_t next;

	if (!jb)
		return;
	for (;;) {
		release_run(jb);
		if (!jb->nheld)
			return;
		next = jb->next;
		give_up_gap(jb);
		if (jb->next == next) {
			/* nothing held in [next, high]: the count is wrong;
			 * never spin on it */
			vp_log_warn("jb: %u held packet(s) out of the window",
				    jb->nheld);
			jb->nheld = 0;
			return;
		}
	}
}

const struct vp_jb_stats *vp_jb_stats(const struct vp_jb *jb)
{
	return jb ? &jb->stats : NULL;
}

/* Start a (new) sequence at ext/ext_ts. */
static void jb_start(struct vp_jb *jb, int64_t ext, int64_t ext_ts, bool resync)
{
	if (resync) {
		vp_jb_flush(jb);
		/* keep ts monotonic: the consumer re-anchors anyway */
		while (jb->have_prev && ext_ts < jb->prev_end)
			ext_ts += TS_CYCLE;
		jb->stats.resyncs++;
	}
	jb->started = true;
	jb->next = ext;
	jb->high = ext;
	jb->high_ts = ext_ts;
	jb->resync = resync;
}

/*
 * Place a packet on the extended sequence line: the extension is RFC 3550
 * A.1's (protocols/rtp/seq.c, nearest to the highest seq seen); what is
 * "too far" is the jitter buffer's own rule (its capacity, see jb.h), not
 * A.1's MAX_DROPOUT/probation, which decide what a receiver report counts.
 * Duplicates and late packets are counted here; *resyncp asks for a new
 * sequence.
 */
static int locate(struct vp_jb *jb, uint16_t seq, int64_t *extp, bool *resyncp)
{
	int32_t cap = (int32_t)jb->cfg.capacity;
	int64_t ext = vp_rtp_seq_extend(jb->high, seq);
	int64_t delta = ext - jb->high;
	const struct slot *s;
	bool cont;

	*resyncp = false;
	if (delta > cap) {
		*resyncp = true;
		goto out;
	}
	if (delta < -cap) {
		/* far behind: late, unless it is the second in a row */
		cont = jb->far_valid && seq == (uint16_t)(jb->far_seq + 1);
		jb->far_valid = true;
		jb->far_seq = seq;
		if (cont) {
			ext += SEQ_CYCLE; /* read it as a jump forward */
			*resyncp = true;
			goto out;
		}
		jb->stats.late++;
		return ETIMEDOUT;
	}
	jb->far_valid = false;
	s = slot_of(jb, ext);
	if (s->seq == ext && (s->st == SLOT_HELD || s->st == SLOT_RELEASED)) {
		jb->stats.duplicates++;
		return EALREADY;
	}
	if (ext < jb->next && jb->cfg.start_hold && !jb->have_prev &&
	    !jb->resync && jb->high - ext < cap) {
		/* still in the start-up hold, and [ext, high] fits the ring
		 * (one more would share the slot of `high`) */
		jb->next = ext;
	} else if (ext < jb->next) {
		jb->stats.late++;
		return ETIMEDOUT;
	}
out:
	*extp = ext;
	return 0;
}

/* A payload buffer for slot s if its own is too small; NULL if not needed
 * or on ENOMEM (*errp). Allocated before any state changes. */
static uint8_t *buf_for(const struct slot *s, size_t len, size_t *capp,
			int *errp)
{
	size_t cap = MIN_BUF;
	uint8_t *b;

	if (len <= s->cap)
		return NULL;
	while (cap < len)
		cap *= 2;
	b = vp_mem_zalloc(cap, NULL);
	if (!b)
		*errp = ENOMEM;
	*capp = cap;
	return b;
}

static void store(struct vp_jb *jb, const struct vp_jb_in *in, int64_t ext,
		  int64_t ext_ts, uint8_t *nbuf, size_t ncap)
{
	struct slot *s = slot_of(jb, ext);

	if (s->st == SLOT_HELD) {
		/* cannot happen (the window is checked): keep the count true */
		jb->nheld--;
		jb->stats.overflow++;
	}
	if (nbuf) {
		vp_mem_deref(s->buf);
		s->buf = nbuf;
		s->cap = ncap;
	}
	if (in->len)
		memcpy(s->buf, in->payload, in->len);
	s->st = SLOT_HELD;
	s->seq = ext;
	s->ts = ext_ts;
	s->arrival = in->arrival_ns;
	s->tag = in->tag;
	s->dur = in->duration;
	s->len = in->len;
	jb->nheld++;
	if (ext > jb->high) {
		jb->high = ext;
		jb->high_ts = ext_ts;
	} else if (ext < jb->high) {
		jb->stats.reorders++;
	}
}

int vp_jb_put(struct vp_jb *jb, const struct vp_jb_in *in)
{
	int64_t ext, ext_ts, next;
	uint8_t *nbuf;
	size_t ncap = 0;
	bool resync = false;
	int err = 0;

	if (!jb || !in || (!in->payload && in->len))
		return EINVAL;
	jb->stats.received++;
	ext = (int64_t)in->seq + SEQ_CYCLE;
	ext_ts = (int64_t)in->ts + TS_CYCLE;
	if (jb->started) {
		err = locate(jb, in->seq, &ext, &resync);
		if (err)
			return err;
		/* RFC 3550 A.1 for the 32-bit ts: nearest to the reference */
		ext_ts = vp_rtp_ts_extend(jb->high_ts, in->ts);
	}
	nbuf = buf_for(slot_of(jb, ext), in->len, &ncap, &err);
	if (err)
		return err;
	if (!jb->started)
		jb->start_arrival = in->arrival_ns;
	if (!jb->started || resync) {
		jb_start(jb, ext, ext_ts, resync);
		ext_ts = jb->high_ts; /* jb_start() may have moved it */
	}
	/* the window [next, next + capacity) must hold ext: give up the
	 * oldest gap early rather than overwrite a held packet */
	while (ext - jb->next >= (int64_t)jb->cfg.capacity && jb->nheld) {
		next = jb->next;
		jb->stats.overflow++;
		give_up_gap(jb);
		release_run(jb);
		if (jb->next == next)
			break; /* cannot happen: a held packet is past next */
	}
	store(jb, in, ext, ext_ts, nbuf, ncap);
	if (in->arrival_ns > jb->now)
		jb->now = in->arrival_ns;
	process(jb);
	return 0;
}
