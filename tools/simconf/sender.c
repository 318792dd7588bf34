/* SPDX-License-Identifier: MIT */
/**
 * @file sender.c  One participant's stream. Only frames that hold speech
 * are sent: silence between speak items goes out as nothing, which is
 * what DTX looks like on the wire (RTP ts jumps, seq does not; RFC 7587
 * §3.1.3), so the bot's loss-versus-DTX logic is exercised. A lost packet
 * still consumes a sequence number, so the bot sees a real gap.
 */
#include "tools/simconf/sender.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "protocols/rtp/rtp.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tools/simconf/enctrack.h"
#include "tools/simconf/sdp_offer.h"

#define VP_LOG_MODULE "sender"
#include "src/core/log.h"

#define QCAP	128
#define PKT_MAX 420

struct pending {
	uint64_t due_ns;
	uint16_t len;
	uint8_t b[PKT_MAX];
};

/* A run: consecutive frames of one clip that met the same fate */
struct run {
	bool open, has_seq;
	enum vp_simconf_fate fate;
	unsigned clip;
	uint64_t k_last;
	uint16_t seq_first, seq_last;
	uint32_t ts_first;
	size_t src_start, src_end;
	uint64_t media_start;
	unsigned frames, dups;
};

struct vp_simconf_sender {
	char meeting[64];
	const struct vp_simconf_part *part;
	struct vp_simconf_clip *const *clips;
	struct vp_simconf_log *log;
	struct vp_simconf_enctrack *track; /* shared encoded frames */
	uint32_t ssrc, ts0, rng;
	uint16_t seq;
	bool talking, finished;
	struct run run;
	struct pending *q;
	unsigned nq;
	struct vp_simconf_wavout dump;
	uint64_t pkts, octets, lost, dups, send_fail, unsent;
	uint64_t next_sr_ns;
	bool audio_level; /* RFC 6464 extension in every packet */
	size_t hl;	  /* the last packet's RTP header length */
	vp_simconf_send_h *sendh;
	void *arg;
};

static const char *const fate_name[] = {"sent", "not_connected", "hang",
					"loss"};

/* xorshift32 (Marsaglia 2003): deterministic per seed, good enough */
static uint32_t rnd(struct vp_simconf_sender *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng;
}

static double uni(struct vp_simconf_sender *s)
{
	return (double)(rnd(s) >> 8) / 16777216.0;
}

static uint32_t hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *a; a++)
		h = (h ^ (uint8_t)*a) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (; *b; b++)
		h = (h ^ (uint8_t)*b) * 16777619u;
	return h ? h : 1;
}

static void sender_destroy(void *data)
{
	struct vp_simconf_sender *s = data;

	vp_simconf_sender_finish(s);
	vp_mem_deref(s->track);
	vp_mem_deref(s->q);
}

int vp_simconf_sender_alloc(struct vp_simconf_sender **sp,
			    const struct vp_simconf_sender_cfg *cfg,
			    vp_simconf_send_h *sendh, void *arg)
{
	struct vp_simconf_sender *s;
	int err;

	if (!sp || !cfg || !cfg->part || !sendh ||
	    (cfg->part->nspeak && !cfg->clips))
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), sender_destroy);
	if (!s)
		return ENOMEM;
	snprintf(s->meeting, sizeof(s->meeting), "%s", cfg->meeting);
	s->part = cfg->part;
	s->clips = cfg->clips;
	s->log = cfg->log;
	s->audio_level = cfg->audio_level;
	s->sendh = sendh;
	s->arg = arg;
	s->rng = cfg->part->impair.seed ? cfg->part->impair.seed
					: hash(cfg->meeting, cfg->part->id);
	/* RFC 3550 §5.1: random initial SSRC, seq and timestamp */
	s->ssrc = rnd(s);
	s->seq = (uint16_t)rnd(s);
	s->ts0 = rnd(s);
	s->q = vp_mem_zalloc(QCAP * sizeof(*s->q), NULL);
	err = s->q ? vp_simconf_enctrack_get(&s->track, s->part, s->clips)
		   : ENOMEM;
	if (!err && cfg->dump_path &&
	    vp_simconf_wavout_open(&s->dump, cfg->dump_path, VP_SIMCONF_RATE))
		vp_log_warn("cannot write %s", cfg->dump_path);
	if (err)
		vp_mem_deref(s);
	else
		*sp = s;
	return err;
}

uint32_t vp_simconf_sender_ssrc(const struct vp_simconf_sender *s)
{
	return s->ssrc;
}

static uint64_t at_sample(double t)
{
	return (uint64_t)llround(t * VP_SIMCONF_RATE);
}

bool vp_simconf_sender_speaks(const struct vp_simconf_sender *s, uint64_t k)
{
	size_t a, b;

	return vp_simconf_frame_pcm(s->part, s->clips, k, NULL, &a, &b) >= 0;
}

static void run_close(struct vp_simconf_sender *s)
{
	struct run *r = &s->run;
	json_t *o;

	if (!r->open)
		return;
	r->open = false;
	o = json_pack("{s:I, s:i, s:b, s:s?, s:I, s:I, s:I, s:I, s:i}", "ssrc",
		      (json_int_t)s->ssrc, "clip", (int)r->clip, "sent",
		      r->fate == VP_SIMCONF_SENT, "why",
		      r->fate ? fate_name[r->fate] : NULL, "src_start",
		      (json_int_t)r->src_start, "src_end",
		      (json_int_t)r->src_end, "media_start",
		      (json_int_t)r->media_start, "media_end",
		      (json_int_t)(r->media_start + r->src_end - r->src_start),
		      "frames", (int)r->frames);
	if (o && r->has_seq) {
		json_object_set_new(o, "seq_first", json_integer(r->seq_first));
		json_object_set_new(o, "seq_last", json_integer(r->seq_last));
		json_object_set_new(o, "rtp_ts_first",
				    json_integer(r->ts_first));
	}
	if (o && r->dups)
		json_object_set_new(o, "dups", json_integer(r->dups));
	vp_simconf_log_event(
		s->log, s->meeting, s->part->id, "audio",
		(int64_t)(r->media_start * VP_SEC / VP_SIMCONF_RATE), o);
}

static void run_add(struct vp_simconf_sender *s, uint64_t k, unsigned clip,
		    enum vp_simconf_fate fate, size_t src0, size_t src1,
		    bool seq, uint32_t ts, bool dup)
{
	struct run *r = &s->run;

	if (r->open && (r->fate != fate || r->clip != clip ||
			r->k_last + 1 != k || r->src_end != src0))
		run_close(s);
	if (!r->open) {
		memset(r, 0, sizeof(*r));
		r->open = true;
		r->fate = fate;
		r->clip = clip;
		r->src_start = src0;
		r->media_start = at_sample(s->part->speak[clip].at) + src0;
		r->has_seq = seq;
		r->seq_first = s->seq;
		r->ts_first = ts;
	}
	r->k_last = k;
	r->src_end = src1;
	r->seq_last = s->seq;
	r->frames++;
	r->dups += dup;
}

static void wire(struct vp_simconf_sender *s, const uint8_t *b, size_t len)
{
	if (s->sendh(b, len, false, s->arg))
		s->send_fail++;
}

/* Delay a packet; a full queue sends at once rather than lose it */
static void enqueue(struct vp_simconf_sender *s, const uint8_t *b, size_t len,
		    uint64_t due_ns)
{
	struct pending *p;

	if (s->nq == QCAP) {
		wire(s, b, len);
		return;
	}
	p = &s->q[s->nq++];
	p->due_ns = due_ns;
	p->len = (uint16_t)len;
	memcpy(p->b, b, len);
}

void vp_simconf_sender_flush(struct vp_simconf_sender *s, uint64_t now_ns)
{
	unsigned i = 0;

	/* keep the queue ordered by insertion; send in due-time order */
	while (i < s->nq) {
		unsigned best = s->nq;

		for (unsigned j = 0; j < s->nq; j++)
			if (s->q[j].due_ns <= now_ns &&
			    (best == s->nq ||
			     s->q[j].due_ns < s->q[best].due_ns))
				best = j;
		if (best == s->nq)
			break;
		wire(s, s->q[best].b, s->q[best].len);
		memmove(&s->q[best], &s->q[best + 1],
			(s->nq - best - 1) * sizeof(*s->q));
		s->nq--;
	}
}

/* Impairments in a fixed order, each drawing only when enabled, so
 * turning one knob does not reshuffle the others' choices. */
static void impair_send(struct vp_simconf_sender *s, const uint8_t *b,
			size_t len, uint64_t now_ns, bool *dup)
{
	const struct vp_simconf_impair *im = &s->part->impair;
	uint64_t delay = 0;

	if (im->reorder_pct > 0 && uni(s) * 100 < im->reorder_pct)
		delay += (uint64_t)im->reorder_depth * 20 * VP_MSEC + VP_MSEC;
	if (im->jitter_ms)
		delay += (uint64_t)(uni(s) * im->jitter_ms * (double)VP_MSEC);
	*dup = im->dup_pct > 0 && uni(s) * 100 < im->dup_pct;
	if (delay)
		enqueue(s, b, len, now_ns + delay);
	else
		wire(s, b, len);
	if (*dup) {
		if (delay)
			enqueue(s, b, len, now_ns + delay);
		else
			wire(s, b, len);
		s->dups++;
	}
}

/*
 * RFC 6464 §3: the frame's level in -dBov (0..127, 127 = silence), as
 * WebRTC computes it (mean square against full scale), and the V bit from
 * a level VAD (louder than -60 dBov), as "vad=on" in the offer promises.
 */
static uint8_t level_of(const int16_t *pcm, size_t n)
{
	double ms = 0;
	long lv;

	for (size_t i = 0; i < n; i++)
		ms += (double)pcm[i] * pcm[i];
	ms /= (double)n * 32768.0 * 32768.0;
	lv = ms > 0 ? lround(-10 * log10(ms)) : 127;
	if (lv > 127)
		lv = 127;
	if (lv < 0)
		lv = 0;
	return (uint8_t)((lv <= 60 ? 0x80 : 0) | lv);
}

/* The RTP header (with the RFC 6464 one-byte extension, RFC 8285 §4.2,
 * when @p lvl >= 0), then the shared Opus payload of frame k */
static size_t packetize(struct vp_simconf_sender *s, uint8_t *b, uint64_t k,
			uint32_t ts, int lvl)
{
	/* id 1, L=0 (one byte), the level, padded to a 32-bit word */
	uint8_t ext[4] = {VP_SIMCONF_EXT_LEVEL << 4, (uint8_t)lvl, 0, 0};
	struct vp_rtp_pkt h = {
		.pt = VP_SIMCONF_OFFER_PT,
		.marker = !s->talking, /* RFC 3551 §4.1: talkspurt start */
		.seq = s->seq,
		.ts = ts,
		.ssrc = s->ssrc,
		.ext = lvl >= 0,
		.ext_profile = 0xBEDE,
		.ext_data = lvl >= 0 ? ext : NULL,
		.ext_len = lvl >= 0 ? sizeof(ext) : 0,
	};
	size_t hl = vp_rtp_write_hdr(b, PKT_MAX, &h);
	const uint8_t *pl = NULL;
	size_t n = hl ? vp_simconf_enctrack_frame(s->track, k, &pl) : 0;

	if (!n || n > PKT_MAX - hl)
		return 0;
	s->hl = hl;
	memcpy(b + hl, pl, n);
	return hl + n;
}

void vp_simconf_sender_frame(struct vp_simconf_sender *s, uint64_t k,
			     enum vp_simconf_fate why, uint64_t now_ns)
{
	int16_t pcm[VP_SIMCONF_FRAME];
	uint8_t b[PKT_MAX];
	uint32_t ts = s->ts0 + (uint32_t)(k * VP_SIMCONF_FRAME);
	size_t src0 = 0, src1 = 0, len;
	int clip = vp_simconf_frame_pcm(
		s->part, s->clips, k, s->dump.f || s->audio_level ? pcm : NULL,
		&src0, &src1);
	bool dup = false;

	if (s->dump.f) /* the PCM is only built for the dump */
		vp_simconf_wavout_put(&s->dump, pcm, VP_SIMCONF_FRAME);
	if (clip < 0 || s->finished) {
		s->talking = false;
		return;
	}
	if (why != VP_SIMCONF_SENT) {
		/* nothing encoded, no seq used: the bot cannot see it */
		s->unsent++;
		s->talking = false;
		run_add(s, k, (unsigned)clip, why, src0, src1, false, ts,
			false);
		return;
	}
	len = packetize(s, b, k, ts,
			s->audio_level ? level_of(pcm, VP_SIMCONF_FRAME) : -1);
	if (!len)
		return;
	s->talking = true;
	if (s->part->impair.loss_pct > 0 &&
	    uni(s) * 100 < s->part->impair.loss_pct) {
		s->lost++;
		run_add(s, k, (unsigned)clip, VP_SIMCONF_LOST, src0, src1, true,
			ts, false);
	} else {
		impair_send(s, b, len, now_ns, &dup);
		s->pkts++;
		s->octets += len - s->hl;
		run_add(s, k, (unsigned)clip, VP_SIMCONF_SENT, src0, src1, true,
			ts, dup);
	}
	s->seq++;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool vp_simconf_sender_sr(struct vp_simconf_sender *s, uint64_t now_ns,
			  uint64_t period_ns, uint64_t utc_ns,
			  uint64_t media_samples)
{
	uint8_t b[28 + 8 + 4 + 64 + 4] = {0};
	size_t cl = strlen(s->part->id), sdes, words;
	uint32_t ns, nf;

	if (!s->pkts || s->finished || cl > 64 || now_ns < s->next_sr_ns)
		return false;
	s->next_sr_ns = now_ns + period_ns;
	/* RFC 3550 §6.4.1: SR, no report blocks; length in words - 1 */
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	be32(b + 4, s->ssrc);
	vp_clock_utc_ns_to_ntp(utc_ns, &ns, &nf);
	be32(b + 8, ns);
	be32(b + 12, nf);
	be32(b + 16, s->ts0 + (uint32_t)media_samples);
	be32(b + 20, (uint32_t)s->pkts);
	be32(b + 24, (uint32_t)s->octets);
	/* RFC 3550 §6.5: SDES with one CNAME chunk, END-padded to 32 bits */
	sdes = 4 + 4 + 2 + cl + 1;
	words = (sdes + 3) / 4;
	b[28] = 0x81;
	b[29] = 202;
	b[31] = (uint8_t)(words - 1);
	be32(b + 32, s->ssrc);
	b[36] = 1;
	b[37] = (uint8_t)cl;
	memcpy(b + 38, s->part->id, cl);
	if (s->sendh(b, 28 + words * 4, true, s->arg))
		s->send_fail++;
	return true;
}

void vp_simconf_sender_finish(struct vp_simconf_sender *s)
{
	if (s->finished)
		return;
	run_close(s);
	s->finished = true;
	vp_simconf_wavout_close(&s->dump);
	vp_simconf_log_event(
		s->log, s->meeting, s->part->id, "stats", -1,
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i}", "ssrc",
			  (json_int_t)s->ssrc, "packets", (json_int_t)s->pkts,
			  "lost", (json_int_t)s->lost, "dups",
			  (json_int_t)s->dups, "unsent", (json_int_t)s->unsent,
			  "send_fail", (json_int_t)s->send_fail, "queued",
			  (int)s->nq));
}
