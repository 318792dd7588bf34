/* SPDX-License-Identifier: MIT */
/** @file test_timeline.c  Timeline placement and wall clock, values by hand. */
#include "media/timeline/timeline.h"
#include "src/core/clock.h"
#include "tests/harness/vtest.h"

#include <errno.h>

#define ORIGIN (1700000000ULL * VP_SEC) /* 2023-11-14T22:13:20Z */

VTEST(timeline_sample_at_rounds_down_and_clamps)
{
	struct vp_timeline tl;

	VT_EQ(EINVAL, vp_timeline_init(&tl, 0, ORIGIN));
	VT_EQ(0, vp_timeline_init(&tl, 48000, ORIGIN));
	VT_EQ(0, vp_timeline_sample_at(&tl, ORIGIN));
	VT_EQ(0, vp_timeline_sample_at(&tl, ORIGIN - 5 * VP_SEC));
	/* 1.5 s + 10 us = 72000.48 samples -> 72000 */
	VT_EQ(72000, vp_timeline_sample_at(&tl, ORIGIN + 1500 * VP_MSEC +
							10 * VP_USEC));
	/* 20.833 us is one sample at 48 kHz: 20 us is still sample 0 */
	VT_EQ(0, vp_timeline_sample_at(&tl, ORIGIN + 20 * VP_USEC));
	VT_EQ(1, vp_timeline_sample_at(&tl, ORIGIN + 21 * VP_USEC));
	/* a week in, no overflow */
	VT_EQ(7ULL * 86400 * 48000,
	      vp_timeline_sample_at(&tl, ORIGIN + 7ULL * 86400 * VP_SEC));
}

VTEST(timeline_first_packet_placed_by_arrival)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint64_t pos = 99;

	vp_timeline_init(&tl, 48000, ORIGIN);
	VT_EQ(0, vp_timeline_stream_init(&s, &tl, 0));
	VT_EQ(48000, s.clock);
	VT_EQ(0, vp_timeline_stream_place(&s, 0x1234, 123456789, 960,
					  ORIGIN + 1500 * VP_MSEC, &pos));
	VT_EQ(72000, pos);
	VT_EQ(72960, s.end);
	/* later arrival jitter does not move later packets: ts rules */
	VT_EQ(0, vp_timeline_stream_place(&s, 0x1234, 123456789 + 960, 960,
					  ORIGIN + 9 * VP_SEC, &pos));
	VT_EQ(72960, pos);
}

VTEST(timeline_sample_exact_48k)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint64_t pos;

	vp_timeline_init(&tl, 48000, ORIGIN);
	vp_timeline_stream_init(&s, &tl, 48000);
	vp_timeline_stream_place(&s, 7, 1000, 960, ORIGIN + VP_SEC, &pos);
	VT_EQ(48000, pos);
	vp_timeline_stream_place(&s, 7, 1960, 960, ORIGIN, &pos);
	VT_EQ(48960, pos);
	vp_timeline_stream_place(&s, 7, 1000 + 48000 * 3600ULL, 960, 0, &pos);
	VT_EQ(48000 + 48000 * 3600ULL, pos);
	/* a reordered packet from before the first one */
	vp_timeline_stream_place(&s, 7, 40, 960, 0, &pos);
	VT_EQ(47040, pos);
}

VTEST(timeline_sample_exact_16k)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint64_t pos;

	vp_timeline_init(&tl, 16000, ORIGIN);
	vp_timeline_stream_init(&s, &tl, 0);
	vp_timeline_stream_place(&s, 7, 5000, 320, ORIGIN + 2 * VP_SEC, &pos);
	VT_EQ(32000, pos);
	vp_timeline_stream_place(&s, 7, 5960, 320, 0, &pos);
	VT_EQ(32320, pos); /* 960 ticks at 48k -> 320 samples at 16k */
	vp_timeline_stream_place(&s, 7, 5000 + 960 * 50, 320, 0, &pos);
	VT_EQ(48000, pos);
	VT_EQ(48320, s.end);
	/* sub-sample deltas round down, also below zero */
	vp_timeline_stream_place(&s, 7, 5002, 0, 0, &pos);
	VT_EQ(32000, pos);
	vp_timeline_stream_place(&s, 7, 5003, 0, 0, &pos);
	VT_EQ(32001, pos);
	vp_timeline_stream_place(&s, 7, 4999, 0, 0, &pos);
	VT_EQ(31999, pos);
	vp_timeline_stream_place(&s, 7, 5000 - 960, 0, 0, &pos);
	VT_EQ(31680, pos);
}

VTEST(timeline_wrap_via_caller_ext_ts)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint64_t pos;

	vp_timeline_init(&tl, 16000, ORIGIN);
	vp_timeline_stream_init(&s, &tl, 0);
	vp_timeline_stream_place(&s, 9, 0xFFFFFC40ULL, 320, ORIGIN, &pos);
	VT_EQ(0, pos);
	/* the 32-bit ts wrapped to 0; the caller's ext ts is 2^32 */
	vp_timeline_stream_place(&s, 9, 0x100000000ULL, 320, ORIGIN, &pos);
	VT_EQ(320, pos);
	vp_timeline_stream_place(&s, 9, 0x100000000ULL + 960, 320, ORIGIN,
				 &pos);
	VT_EQ(640, pos);
}

VTEST(timeline_new_ssrc_continues_after_end)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	uint64_t pos;

	vp_timeline_init(&tl, 48000, ORIGIN);
	vp_timeline_stream_init(&s, &tl, 0);
	vp_timeline_stream_place(&s, 0xA, 0, 960, ORIGIN, &pos);
	VT_EQ(0, pos);
	vp_timeline_stream_place(&s, 0xA, 960 * 49, 960, ORIGIN, &pos);
	VT_EQ(47040, pos);
	VT_EQ(48000, s.end);
	/* restart B arrives at 0.5 s (= sample 24000, before the end) */
	vp_timeline_stream_place(&s, 0xB, 777777, 960, ORIGIN + 500 * VP_MSEC,
				 &pos);
	VT_EQ(48000, pos);
	VT_EQ(0xB, s.ssrc);
	vp_timeline_stream_place(&s, 0xB, 777777 + 960, 960, ORIGIN, &pos);
	VT_EQ(48960, pos);
	VT_EQ(49920, s.end);
	/* restart C arrives well after the end: arrival wins */
	vp_timeline_stream_place(&s, 0xC, 5, 960, ORIGIN + 3 * VP_SEC, &pos);
	VT_EQ(144000, pos);
	VT_EQ(144960, s.end);
}

VTEST(timeline_wall_clock_arrival_then_sr)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	enum vp_timeline_src src = VP_TIMELINE_SRC_SR;
	uint64_t pos, t0 = ORIGIN + VP_SEC + 7 * VP_MSEC;
	/* NTP for 1700000000.25 s: seconds + 2208988800, 0.25 = 2^30 */
	const uint32_t ntp_sec = 1700000000u + 2208988800u;
	const uint64_t sr_utc = 1700000000ULL * VP_SEC + 250 * VP_MSEC;

	vp_timeline_init(&tl, 48000, ORIGIN);
	vp_timeline_stream_init(&s, &tl, 0);
	VT_EQ(0, vp_timeline_stream_utc(&s, 5000, &src));
	vp_timeline_stream_place(&s, 0xA, 5000, 960, t0, &pos);
	VT_EQ(t0 + 10 * VP_MSEC, vp_timeline_stream_utc(&s, 5480, &src));
	VT_EQ(VP_TIMELINE_SRC_ARRIVAL, src);
	VT_EQ(t0 - 20 * VP_MSEC, vp_timeline_stream_utc(&s, 4040, &src));

	/* an SR of another SSRC is not ours */
	vp_timeline_stream_sr(&s, 0xB, ntp_sec, 0x40000000u, 48000);
	VT_EQ(t0 + 10 * VP_MSEC, vp_timeline_stream_utc(&s, 5480, &src));
	VT_EQ(VP_TIMELINE_SRC_ARRIVAL, src);

	vp_timeline_stream_sr(&s, 0xA, ntp_sec, 0x40000000u, 48000);
	VT_EQ(sr_utc + 100 * VP_MSEC,
	      vp_timeline_stream_utc(&s, 48000 + 4800, &src));
	VT_EQ(VP_TIMELINE_SRC_SR, src);
	VT_EQ(sr_utc - 20 * VP_MSEC, vp_timeline_stream_utc(&s, 47040, &src));

	/* SR ts just before a wrap, packet just after it (ext ts 2^32+224) */
	vp_timeline_stream_sr(&s, 0xA, ntp_sec, 0x40000000u, 0xFFFFFF00u);
	VT_EQ(sr_utc + 10 * VP_MSEC,
	      vp_timeline_stream_utc(&s, 0x100000000ULL + 224, NULL));

	/* a restart with a new SSRC falls back to its own arrival */
	vp_timeline_stream_place(&s, 0xC, 100, 960, t0 + 5 * VP_SEC, &pos);
	VT_EQ(t0 + 5 * VP_SEC + 20 * VP_MSEC,
	      vp_timeline_stream_utc(&s, 1060, &src));
	VT_EQ(VP_TIMELINE_SRC_ARRIVAL, src);
}

/* a restart placed by the caller: the wall clock never goes backwards and a
 * same-SSRC restart forgets the SR of the old run */
VTEST(timeline_anchor_restart)
{
	struct vp_timeline tl;
	struct vp_timeline_stream s;
	enum vp_timeline_src src;
	uint64_t pos;

	vp_timeline_init(&tl, 16000, ORIGIN);
	VT_EQ(ORIGIN + VP_SEC, vp_timeline_utc_of(&tl, 16000));
	VT_EQ(ORIGIN + 62500, vp_timeline_utc_of(&tl, 1)); /* 62.5 us */
	VT_EQ(16000,
	      vp_timeline_sample_at(&tl, vp_timeline_utc_of(&tl, 16000)));
	VT_EQ(EINVAL, vp_timeline_stream_anchor(NULL, 1, 0, 0, 0));
	vp_timeline_stream_init(&s, &tl, 0);
	vp_timeline_stream_place(&s, 7, 1000, 320, ORIGIN, &pos);
	vp_timeline_stream_sr(&s, 7, 0x83AA7E80 + 1700000000U, 0, 1000);
	vp_timeline_stream_utc(&s, 1000, &src);
	VT_EQ(VP_TIMELINE_SRC_SR, src);
	/* ts jumped by 1 h; placed at sample 32000 (2 s), arrived at 1 s:
	 * its wall clock is that of sample 32000, not the earlier arrival */
	VT_EQ(0, vp_timeline_stream_anchor(&s, 7, 1000 + 48000ULL * 3600,
					   ORIGIN + VP_SEC, 32000));
	VT_EQ(ORIGIN + 2 * VP_SEC,
	      vp_timeline_stream_utc(&s, 1000 + 48000ULL * 3600, &src));
	VT_EQ(VP_TIMELINE_SRC_ARRIVAL, src);
	/* arrival later than the placed sample: arrival wins */
	VT_EQ(0, vp_timeline_stream_anchor(&s, 7, 5, ORIGIN + 9 * VP_SEC, 0));
	VT_EQ(ORIGIN + 9 * VP_SEC, vp_timeline_stream_utc(&s, 5, NULL));
	/* a new SSRC keeps an SR of that SSRC that came first */
	vp_timeline_stream_sr(&s, 8, 0x83AA7E80 + 1700000100U, 0, 77);
	VT_EQ(0, vp_timeline_stream_anchor(&s, 8, 77, ORIGIN, 0));
	VT_EQ(ORIGIN + 100 * VP_SEC, vp_timeline_stream_utc(&s, 77, &src));
	VT_EQ(VP_TIMELINE_SRC_SR, src);
}
