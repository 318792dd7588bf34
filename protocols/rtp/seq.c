/* SPDX-License-Identifier: MIT */
/**
 * @file seq.c  RFC 3550 Appendix A.1 (sequence validity), A.3 (loss),
 * A.8 (jitter) and RTP timestamp unwrapping. Runs per packet on the net
 * thread: no allocation, no logging.
 */
#include "protocols/rtp/seq.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)

void vp_rtp_source_init(struct vp_rtp_source *s)
{
	if (s)
		memset(s, 0, sizeof(*s));
}

int64_t vp_rtp_seq_extend(int64_t ref, uint16_t seq)
{
	/* the signed 16-bit difference picks the nearer of the cycles */
	return ref + (int16_t)(uint16_t)(seq - (uint16_t)ref);
}

int64_t vp_rtp_ts_extend(int64_t ref, uint32_t ts)
{
	return ref + (int32_t)(ts - (uint32_t)ref);
}

/* A.1 init_seq(): (re)start counting at seq */
static void init_seq(struct vp_rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/*
 * A.1 probation: a new source is valid after MIN_SEQUENTIAL packets in
 * sequence. The RFC compares `seq == max_seq + 1` in int, which never
 * matches across 0xFFFF -> 0; we compare in 16 bits.
 */
static bool on_probation(struct vp_rtp_source *s, uint16_t seq)
{
	if (seq == (uint16_t)(s->max_seq + 1)) {
		s->probation--;
		s->max_seq = seq;
		if (s->probation == 0) {
			init_seq(s, seq);
			s->received++;
			return true;
		}
	} else {
		s->probation = VP_RTP_MIN_SEQUENTIAL - 1;
		s->max_seq = seq;
	}
	return false;
}

bool vp_rtp_source_update(struct vp_rtp_source *s, uint16_t seq,
			  int64_t *ext_seq)
{
	uint16_t udelta;
	int64_t ext;

	if (!s->started) {
		/* A.1: "When a new source is heard for the first time" */
		init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = VP_RTP_MIN_SEQUENTIAL;
		s->started = true;
	}
	udelta = (uint16_t)(seq - s->max_seq);
	if (s->probation) {
		bool ok = on_probation(s, seq);

		*ext_seq = seq;
		return ok;
	}
	if (udelta < VP_RTP_MAX_DROPOUT) {
		/* in order, with permissible gap; wrapped: one more cycle */
		ext = vp_rtp_seq_extend(vp_rtp_source_ext_max(s), seq);
		s->cycles = (uint32_t)(ext - seq);
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - VP_RTP_MAX_MISORDER) {
		/* a very large jump */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			*ext_seq = (int64_t)s->cycles + seq;
			return false;
		}
		/*
		 * Two sequential packets: assume the other side restarted
		 * without telling us, so re-sync as if this were the first.
		 */
		init_seq(s, seq);
		ext = seq;
	} else {
		/*
		 * Duplicate or reordered (late) packet: numerically above
		 * max_seq means it was sent before max_seq's wrap, which the
		 * nearest extension gives (it may be negative before the
		 * first wrap).
		 */
		ext = vp_rtp_seq_extend((int64_t)s->cycles + s->max_seq, seq);
	}
	s->received++;
	*ext_seq = ext;
	return true;
}

void vp_rtp_source_jitter(struct vp_rtp_source *s, uint32_t rtp_ts,
			  uint32_t arrival)
{
	/* A.8: transit = arrival - timestamp, both in timestamp units */
	uint32_t transit = arrival - rtp_ts;
	int32_t d;
	uint64_t mag, j;

	if (!s->have_transit) {
		/* no previous packet: D(i-1,i) is undefined */
		s->transit = transit;
		s->have_transit = true;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	mag = d < 0 ? -(int64_t)d : d;
	/*
	 * §6.4.1: J += (|D| - J) / 16, kept scaled by 16 in integers as in
	 * A.8's second form: jitter += d - ((jitter + 8) >> 4).
	 */
	j = (uint64_t)s->jitter16 + mag - ((s->jitter16 + 8ull) >> 4);
	s->jitter16 = j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

uint32_t vp_rtp_source_jitter_get(const struct vp_rtp_source *s)
{
	return s->jitter16 >> 4;
}

uint32_t vp_rtp_source_ext_max(const struct vp_rtp_source *s)
{
	return s->cycles + s->max_seq;
}

uint32_t vp_rtp_source_expected(const struct vp_rtp_source *s)
{
	if (!s->started || s->probation)
		return 0;
	return vp_rtp_source_ext_max(s) - s->base_seq + 1;
}

uint32_t vp_rtp_source_received(const struct vp_rtp_source *s)
{
	return s->received;
}

int32_t vp_rtp_source_lost(const struct vp_rtp_source *s)
{
	/* A.3: computed signed, clamped to the 24-bit RR field */
	int64_t lost = (int64_t)vp_rtp_source_expected(s) - s->received;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint8_t vp_rtp_source_fraction_lost(struct vp_rtp_source *s)
{
	uint32_t expected = vp_rtp_source_expected(s);
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;

	s->expected_prior = expected;
	s->received_prior = s->received;
	/* A.3: duplicates can make lost_interval negative: report 0 */
	if (expected_interval == 0 || lost_interval <= 0)
		return 0;
	/* all of an interval lost would be 256/256: the field tops at 255 */
	if (lost_interval >= expected_interval)
		return 255;
	return (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);
}

void vp_rtp_source_rb_fill(struct vp_rtp_source *s, uint32_t ssrc,
			   struct vp_rtcp_rb *rb)
{
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = ssrc;
	rb->fraction = vp_rtp_source_fraction_lost(s);
	rb->lost = vp_rtp_source_lost(s);
	rb->ext_seq = vp_rtp_source_ext_max(s);
	rb->jitter = vp_rtp_source_jitter_get(s);
}

uint64_t vp_rtp_ts_unwrap(uint64_t *last_ext, uint32_t ts)
{
	uint64_t ext;

	if (*last_ext == 0) {
		*last_ext = (1ull << 32) + ts;
		return *last_ext;
	}
	/* nearest interpretation: within +-2^31 of the highest seen */
	ext = (uint64_t)vp_rtp_ts_extend((int64_t)*last_ext, ts);
	if (ext > *last_ext)
		*last_ext = ext;
	return ext;
}
