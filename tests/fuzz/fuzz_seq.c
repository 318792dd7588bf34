/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_seq.c  RTP sequence and timestamp extension (protocols/rtp/
 * seq.c) against a 64-bit model. The input is a packet series: its true
 * extended numbers M (sequence) and T (timestamp) are known to the model,
 * the code under test sees only their low 16 / 32 bits.
 * Input: 8 header bytes (u16 first seq, u32 first ts, 2 bytes of an
 * arbitrary reference), then 7-byte packets (u8 op, i16 seq step, i32 ts
 * step; little-endian; the first 150 packets). op bit 0: feed the jitter
 * estimator; bit 1: fill a report block; bits 2..7: arrival step in ms. A step
 * is clamped so that M stays within 2^15 - 1 of the source's highest accepted
 * number and T within 2^31 - 1 of the highest timestamp (beyond that the wire
 * numbers are ambiguous by design). Seeds: the seq/ts series of real captures
 * (aiortc, rtpgen with wrap, loss, reordering, restart: gen_corpus_seq.py).
 *
 * Oracles (abort on violation):
 *  - vp_rtp_seq_extend / vp_rtp_ts_extend give back M / T from the highest
 *    value; from any reference they keep the low bits and land within
 *    -2^15..2^15-1 (-2^31..2^31-1) of it;
 *  - vp_rtp_ts_unwrap returns T plus a constant, keeps the highest;
 *  - vp_rtp_source_update (RFC 3550 A.1): valid from the first packet that
 *    follows its predecessor by one; then a step of 0..2999 or a reorder
 *    of 1..99 is valid with ext = M plus the sync's offset (ext_max never
 *    goes back), a larger jump is not valid unless the next packet follows
 *    it (re-sync, numbering restarts at its seq); expected, received, lost
 *    and the interval fraction lost are the model's.
 */
#include "protocols/rtp/seq.h"

#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define HALF16	    32767
#define MAX_PACKETS 150
#define HALF32	    2147483647ll

struct model {
	int64_t m, t, tmax, t0;
	uint64_t ts_first, ts_last;
	int prob;     /* 0: no packet yet, 1: probation, 2: valid */
	int64_t off;  /* reported ext = off + M since the last sync */
	int64_t vmax; /* highest accepted M since the sync */
	int64_t base; /* M at the sync */
	uint32_t received, exp_prior, rec_prior, bad, arrival;
	uint16_t prev;
};

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void check_any_ref(int64_t ref, uint16_t seq, uint32_t ts)
{
	int64_t e = vp_rtp_seq_extend(ref, seq);
	int64_t f = vp_rtp_ts_extend(ref, ts);

	ORACLE((uint16_t)e == seq && e - ref >= -32768 && e - ref <= HALF16);
	ORACLE((uint32_t)f == ts && f - ref >= -HALF32 - 1 &&
	       f - ref <= HALF32);
}

static void sync_at(struct model *md, int64_t m)
{
	md->off = (int64_t)(uint16_t)m - m;
	md->vmax = m;
	md->base = m;
	md->received = 1;
	md->exp_prior = 0;
	md->rec_prior = 0;
	md->bad = 65537;
	md->prob = 2;
}

/* the model's verdict for packet M; *ext is what update must report */
static bool model_update(struct model *md, int64_t m, int64_t *ext)
{
	uint16_t seq = (uint16_t)m;
	int64_t d = m - md->vmax, hi;

	if (md->prob < 2) {
		/* valid at the first packet that follows its predecessor */
		bool ok = md->prob == 1 && seq == (uint16_t)(md->prev + 1);

		md->prev = seq;
		md->prob = 1;
		*ext = seq;
		if (ok)
			sync_at(md, m);
		return ok;
	}
	if (d >= 0 && d < VP_RTP_MAX_DROPOUT)
		md->vmax = m;
	if (d > -VP_RTP_MAX_MISORDER && d < VP_RTP_MAX_DROPOUT) {
		md->received++;
		*ext = md->off + m;
		return true;
	}
	if (seq == md->bad) { /* the second of two sequential: re-sync */
		sync_at(md, m);
		*ext = seq;
		return true;
	}
	md->bad = (uint16_t)(seq + 1);
	hi = md->off + md->vmax;
	*ext = hi - (hi & 0xffff) + seq;
	return false;
}

static void check_stats(struct model *md, struct vp_rtp_source *s, int op)
{
	uint32_t exp = 0, ei, ri;
	int64_t lost, li;
	struct vp_rtcp_rb rb;
	uint8_t frac;

	if (md->prob == 2) {
		exp = (uint32_t)(md->vmax - md->base + 1);
		ORACLE(vp_rtp_source_ext_max(s) ==
		       (uint32_t)(md->off + md->vmax));
	}
	ORACLE(vp_rtp_source_received(s) == md->received);
	ORACLE(vp_rtp_source_expected(s) == exp);
	lost = clamp((int64_t)exp - md->received, -0x800000, 0x7fffff);
	ORACLE(vp_rtp_source_lost(s) == lost);
	if (!(op & 2))
		return;
	vp_rtp_source_rb_fill(s, 7, &rb);
	ei = exp - md->exp_prior;
	ri = md->received - md->rec_prior;
	li = (int64_t)ei - ri;
	if (ei == 0 || li <= 0) /* none expected, or duplicates: 0 */
		frac = 0;
	else if (li >= ei) /* all of them: 256/256 does not fit */
		frac = 255;
	else
		frac = (uint8_t)(((uint64_t)li << 8) / ei);
	md->exp_prior = exp;
	md->rec_prior = md->received;
	ORACLE(rb.ssrc == 7 && rb.fraction == frac && rb.lost == lost);
	ORACLE(rb.ext_seq == vp_rtp_source_ext_max(s));
	ORACLE(rb.jitter == vp_rtp_source_jitter_get(s));
}

static void packet(struct model *md, struct vp_rtp_source *s, const uint8_t *p,
		   int64_t anyref)
{
	int op = p[0];
	int16_t ds = (int16_t)(p[1] | p[2] << 8);
	int32_t dt = (int32_t)rd32(p + 3);
	int64_t ref = md->prob == 2 ? md->vmax : md->m, ext, want;
	uint64_t u;
	bool ok;

	md->m = clamp(md->m + ds, ref - HALF16, ref + HALF16);
	md->t = clamp(md->t + dt, md->tmax - HALF32, md->tmax + HALF32);
	if (md->prob == 2)
		ORACLE(vp_rtp_seq_extend(md->off + md->vmax, (uint16_t)md->m) ==
		       md->off + md->m);
	ORACLE(vp_rtp_ts_extend(md->tmax, (uint32_t)md->t) == md->t);
	check_any_ref(anyref, (uint16_t)md->m, (uint32_t)md->t);
	check_any_ref(anyref + md->m * 65537, (uint16_t)md->m, (uint32_t)md->t);
	if (md->t > md->tmax)
		md->tmax = md->t;
	if (md->ts_last == 0) { /* the code puts the first at 2^32 + ts */
		md->t0 = md->t;
		md->ts_first = (1ull << 32) + (uint32_t)md->t;
		md->tmax = md->t;
	}
	u = vp_rtp_ts_unwrap(&md->ts_last, (uint32_t)md->t);
	ORACLE(u == md->ts_first + (uint64_t)(md->t - md->t0));
	ORACLE(md->ts_last == md->ts_first + (uint64_t)(md->tmax - md->t0));

	ok = vp_rtp_source_update(s, (uint16_t)md->m, &ext);
	ORACLE(ok == model_update(md, md->m, &want) && ext == want);
	md->arrival += (uint32_t)(op >> 2) * 48;
	if (op & 1) {
		vp_rtp_source_jitter(s, (uint32_t)md->t, md->arrival);
		ORACLE(vp_rtp_source_jitter_get(s) <= UINT32_MAX >> 4);
	}
	check_stats(md, s, op);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_rtp_source s;
	struct model md;
	int64_t anyref;
	size_t i;

	if (n < 8)
		return 0;
	/* 150 packets are 3 s: a longer series finds no more (libFuzzer
	 * grows inputs to the longest seed, a 30 s capture) */
	if (n > 8 + 7 * MAX_PACKETS)
		n = 8 + 7 * MAX_PACKETS;
	memset(&md, 0, sizeof(md));
	vp_rtp_source_init(&s);
	/* the first packet is M = seq0, T = ts0 plus its steps */
	md.m = d[0] | d[1] << 8;
	md.t = rd32(d + 2);
	md.tmax = md.t;
	/* an arbitrary reference anywhere in +-2^47 (callers stay far inside)
	 */
	anyref = (int64_t)(int16_t)(d[6] | d[7] << 8) * 4294967311ll;
	for (i = 8; i + 7 <= n; i += 7)
		packet(&md, &s, d + i, anyref);
	return 0;
}
