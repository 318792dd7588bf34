/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_timeline.c  The RTP-to-timeline mapping driven by a script
 * (10-byte ops: place a packet of one of three SSRCs, anchor, record an
 * SR) at output rate 8/16/48 kHz. Seeds: the packet orders of real
 * captures (as fuzz_jb's) and SSRC restarts.
 *
 * Oracles (abort on violation), each a sentence of timeline.h:
 *  - a packet of the current SSRC lands at first_pos + (ext_ts -
 *    first_ts) * R / clock, rounded down, clamped at 0;
 *  - a packet of another SSRC (or the first) lands at max(end so far,
 *    sample_at(arrival)) (the first: sample_at(arrival));
 *  - `end` never goes back; an anchored packet lands where it was told;
 *  - the wall clock comes from the SR exactly when one of the current
 *    SSRC was recorded, and then is sr_utc + (int32)(ts - sr_ts) / clock;
 *  - utc_of(sample_at(t)) <= t, and sample_at never goes back in t.
 */
#include "media/timeline/timeline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define T0	 1700000000000000000ULL
#define NTP_UNIX 2208988800ULL

static int64_t floor_div(__int128 a, __int128 b)
{
	__int128 q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return (int64_t)q;
}

static void place(struct vp_timeline_stream *s, const struct vp_timeline *tl,
		  uint32_t rate, uint32_t ssrc, uint64_t ts, uint32_t dur,
		  uint64_t now)
{
	uint64_t pos = 0, end0 = s->end, want;
	bool same = s->started && ssrc == s->ssrc;

	if (same) {
		int64_t d = floor_div(
			(__int128)(int64_t)(ts - s->first_ts) * rate, s->clock);
		__int128 p = (__int128)s->first_pos + d;

		want = p < 0 ? 0 : (uint64_t)p;
	} else {
		want = vp_timeline_sample_at(tl, now);
		if (s->started && end0 > want)
			want = end0;
	}
	ORACLE(vp_timeline_stream_place(s, ssrc, ts, dur, now, &pos) == 0);
	/* far beyond any real meeting, the arithmetic may saturate */
	if (want < (1ULL << 62))
		ORACLE(pos == want);
	ORACLE(s->end >= end0);
}

static void check_utc(const struct vp_timeline_stream *s, uint64_t ts)
{
	enum vp_timeline_src src;
	uint64_t u = vp_timeline_stream_utc(s, ts, &src);
	bool sr = s->started && s->have_sr && s->sr_ssrc == s->ssrc;

	ORACLE((src == VP_TIMELINE_SRC_SR) == sr);
	if (sr) {
		int64_t d =
			floor_div((__int128)(int32_t)((uint32_t)ts - s->sr_ts) *
					  1000000000,
				  s->clock);
		__int128 w = (__int128)s->sr_utc_ns + d;

		if (w >= 0 && w < (__int128)(1ULL << 62))
			ORACLE(u == (uint64_t)w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint32_t rates[] = {8000, 16000, 48000, 48000};
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint32_t rate, ssrcs[3] = {0x1111, 0x2222, 0x3333};
	uint64_t ts = 1ULL << 32, now = T0, last_at = 0;

	if (n < 1)
		return 0;
	rate = rates[d[0] & 3];
	ORACLE(vp_timeline_init(&tl, rate, T0) == 0);
	ORACLE(vp_timeline_stream_init(&s, &tl, 0) == 0);
	for (size_t i = 1; i + 10 <= n; i += 10) {
		const uint8_t *o = d + i;
		uint32_t ssrc = ssrcs[o[1] % 3];
		int32_t step = (int32_t)(o[2] | o[3] << 8 | o[4] << 16 |
					 (uint32_t)o[5] << 24);
		uint64_t at;

		now += (uint64_t)(o[6] | o[7] << 8) * 100000ULL;
		ts += (uint64_t)(int64_t)(step >> 8);
		switch (o[0] % 4) {
		case 0:
		case 1:
			place(&s, &tl, rate, ssrc, ts, o[8] * 10u, now);
			break;
		case 2: {
			uint64_t p = vp_timeline_sample_at(&tl, now) + o[8];

			ORACLE(vp_timeline_stream_anchor(&s, ssrc, ts, now,
							 p) == 0);
			ORACLE(s.ssrc == ssrc && s.first_pos == p &&
			       s.first_ts == ts);
			break;
		}
		default: {
			uint64_t u = now + (uint64_t)o[8] * 1000000ULL;

			ORACLE(vp_timeline_stream_sr(
				       &s, ssrc,
				       (uint32_t)(u / 1000000000ULL + NTP_UNIX),
				       (uint32_t)(((u % 1000000000ULL) << 32) /
						  1000000000ULL),
				       (uint32_t)ts) == 0);
		}
		}
		check_utc(&s, ts + o[9]);
		at = vp_timeline_sample_at(&tl, now);
		ORACLE(at >= last_at);
		ORACLE(vp_timeline_utc_of(&tl, at) <= now);
		last_at = at;
	}
	return 0;
}
