/* SPDX-License-Identifier: MIT */
/** @file test_rtcp_rr.c  Receiver reports (src/bot/rtcp_rr.c): the fields
 * of the blocks we send, the schedule, round robin past 31 sources; the
 * RTCP interval and sequence extension of protocols/rtp they use. */
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/seq.h"
#include "src/bot/rtcp_rr.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define T0 (1000 * VP_SEC)

static int sent_n;
static uint8_t sent_buf[1500];
static size_t sent_len;

static int send_h(const uint8_t *pkt, size_t len, void *arg)
{
	(void)arg;
	sent_n++;
	memcpy(sent_buf, pkt, len);
	sent_len = len;
	return 0;
}

/* parse a compound: the RR and its CNAME */
static int parse(const uint8_t *b, size_t n, struct vp_rtcp_pkt *rr,
		 char *cname, size_t csz)
{
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	int err;

	if (vp_rtcp_check(b, n, true))
		return EBADMSG;
	vp_rtcp_iter_init(&it, b, n);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0) {
		if (p.type == VP_RTCP_RR)
			*rr = p;
		if (p.type == VP_RTCP_SDES && p.cname_count)
			snprintf(cname, csz, "%.*s", (int)p.cname[0].len,
				 p.cname[0].cname);
	}
	return err == ENOENT ? 0 : err;
}

VTEST(rtcp_rr_block_fields_loss_jitter_lsr_dlsr)
{
	struct vp_rtcp_rr *rr = NULL;
	struct vp_rtcp_pkt p;
	uint8_t b[1500];
	char cname[64] = "";
	size_t n = 0;
	uint16_t seq;

	VT_EQ(0, vp_rtcp_rr_alloc(&rr, 0x11223344, "bot@test", T0));
	/* 100 packets 20 ms apart from 0xfff0 (wraps), 3 lost, one 10 ms
	 * late: jitter (A.8) in 48 kHz units from the arrival times */
	for (unsigned i = 0; i < 100; i++) {
		uint64_t at =
			T0 + i * 20 * VP_MSEC + (i == 50 ? 10 * VP_MSEC : 0);

		seq = (uint16_t)(0xfff0 + i);
		if (i == 10 || i == 11 || i == 70)
			continue;
		vp_rtcp_rr_rtp(rr, 0xabcdef01, seq, 5000 + i * 960, at);
	}
	/* an SR with NTP 0x0001_2345 . 0x6789_0000, 250 ms before the report */
	vp_rtcp_rr_sr(rr, 0xabcdef01, 0x00012345, 0x67890000, T0 + 2 * VP_SEC);
	vp_rtcp_rr_sr(rr, 0x99, 1, 2, T0); /* unknown source: ignored */
	VT_EQ(0, vp_rtcp_rr_build(rr, T0 + 2250 * VP_MSEC, b, sizeof(b), &n));
	VT_EQ(0, parse(b, n, &p, cname, sizeof(cname)));
	VT_STR_EQ("bot@test", cname);
	VT_EQ(0x11223344, p.ssrc);
	VT_EQ(1, p.rb_count);
	VT_EQ(0xabcdef01, p.rb[0].ssrc);
	/* probation takes the first packet (A.1): expected 99, got 96 */
	VT_EQ(3, p.rb[0].lost);
	VT_EQ(3 * 256 / 99, p.rb[0].fraction);
	VT_EQ(0x10000 + (uint16_t)(0xfff0 + 99), p.rb[0].ext_seq);
	/* §6.4.1 J += (|D| - J)/16: |D| = 480 twice (30, then 58.1), then
	 * 47 steady steps decay it by (15/16)^47 */
	VT_NEAR(58.125 * pow(15.0 / 16, 47), p.rb[0].jitter, 1.0);
	VT_TRUE(p.rb[0].jitter > 0);
	VT_EQ(0x23456789, p.rb[0].lsr);
	VT_EQ(65536 / 4, p.rb[0].dlsr);
	/* nothing heard since: the next report has no block */
	VT_EQ(0, vp_rtcp_rr_build(rr, T0 + 3 * VP_SEC, b, sizeof(b), &n));
	VT_EQ(0, parse(b, n, &p, cname, sizeof(cname)));
	VT_EQ(0, p.rb_count);
	VT_EQ(1, vp_rtcp_rr_stats(rr)->blocks);
	vp_mem_deref(rr);
}

VTEST(rtcp_rr_schedule_interval_bounds)
{
	struct vp_rtcp_rr *rr = NULL;
	uint64_t t, first = 0, prev;
	int err = vp_rtcp_rr_alloc(&rr, 0, NULL, T0);

	if (err == ENOMEM) /* --oom walk */
		return;
	VT_EQ(0, err);
	VT_TRUE(vp_rtcp_rr_ssrc(rr) != 0);
	sent_n = 0;
	/* first report 2.5 s * [0.5, 1.5] / (e - 3/2) after the start */
	for (t = T0; t < T0 + 4 * VP_SEC && !first; t += 10 * VP_MSEC)
		if (vp_rtcp_rr_poll(rr, t, send_h, NULL))
			first = t;
	VT_TRUE(first >= T0 + 1020 * VP_MSEC && first <= T0 + 3090 * VP_MSEC);
	VT_EQ(1, sent_n);
	/* then 5 s * [0.5, 1.5] / (e - 3/2) apart, each one random */
	prev = first;
	for (t = first; t < first + 120 * VP_SEC; t += 10 * VP_MSEC) {
		vp_rtcp_rr_rtp(rr, 7, (uint16_t)(t / (20 * VP_MSEC)),
			       (uint32_t)(t / 20833), t);
		if (vp_rtcp_rr_poll(rr, t, send_h, NULL)) {
			VT_TRUE(t - prev >= 2040 * VP_MSEC);
			VT_TRUE(t - prev <= 6170 * VP_MSEC);
			prev = t;
		}
	}
	/* 120 s at a mean of 4.1 s: about 29 reports */
	VT_TRUE(sent_n >= 20 && sent_n <= 60);
	VT_EQ((uint64_t)sent_n, vp_rtcp_rr_stats(rr)->sent);
	VT_TRUE(sent_len >= 8 + 24 + 8);
	vp_mem_deref(rr);
}

VTEST(rtcp_rr_bye_ends_the_compound_once)
{
	struct vp_rtcp_rr *rr = NULL;
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	enum vp_rtcp_type types[4] = {VP_RTCP_NONE};
	unsigned n = 0;

	VT_EQ(0, vp_rtcp_rr_alloc(&rr, 0xcafe0001, "x", T0));
	vp_rtcp_rr_rtp(rr, 5, 1, 0, T0);
	vp_rtcp_rr_rtp(rr, 5, 2, 960, T0 + 20 * VP_MSEC);
	sent_n = 0;
	VT_TRUE(vp_rtcp_rr_bye(rr, T0 + VP_SEC, send_h, NULL));
	VT_TRUE(!vp_rtcp_rr_bye(rr, T0 + VP_SEC, send_h, NULL)); /* once */
	VT_EQ(1, sent_n);
	VT_EQ(0, vp_rtcp_check(sent_buf, sent_len, true));
	vp_rtcp_iter_init(&it, sent_buf, sent_len);
	while (n < 4 && vp_rtcp_iter_next(&it, &p) == 0) {
		types[n++] = p.type;
		if (p.type == VP_RTCP_BYE) {
			VT_EQ(1, p.bye_count);
			VT_EQ(0xcafe0001, p.bye_ssrc[0]);
		}
	}
	/* §6.1: RR first, SDES with the CNAME, BYE last */
	VT_EQ(3, n);
	VT_EQ(VP_RTCP_RR, types[0]);
	VT_EQ(VP_RTCP_SDES, types[1]);
	VT_EQ(VP_RTCP_BYE, types[2]);
	VT_TRUE(vp_rtcp_rr_stats(rr)->bye);
	vp_mem_deref(rr);
}

VTEST(rtcp_rr_round_robin_past_31_sources)
{
	struct vp_rtcp_rr *rr = NULL;
	struct vp_rtcp_pkt p;
	uint8_t b[1500];
	char cname[64];
	size_t n;
	unsigned seen[40] = {0};

	VT_EQ(0, vp_rtcp_rr_alloc(&rr, 1, "x", T0));
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned s = 0; s < 40; s++)
			for (unsigned i = 0; i < 3; i++)
				vp_rtcp_rr_rtp(rr, 100 + s,
					       (uint16_t)(round * 3 + i), i,
					       T0 + i * VP_MSEC);
		VT_EQ(0, vp_rtcp_rr_build(rr, T0, b, sizeof(b), &n));
		VT_EQ(0, parse(b, n, &p, cname, sizeof(cname)));
		VT_EQ(31, p.rb_count);
		for (unsigned k = 0; k < p.rb_count; k++)
			seen[p.rb[k].ssrc - 100]++;
	}
	/* the 9 left out the first time lead the second report */
	for (unsigned s = 0; s < 40; s++)
		VT_TRUE(seen[s] >= 1);
	vp_mem_deref(rr);
}

VTEST(rtcp_rr_evicts_the_longest_silent)
{
	struct vp_rtcp_rr *rr = NULL;

	VT_EQ(0, vp_rtcp_rr_alloc(&rr, 1, "x", T0));
	for (unsigned s = 0; s < VP_RTCP_RR_MAX_SOURCES + 3; s++)
		vp_rtcp_rr_rtp(rr, 100 + s, 1, 1, T0 + s);
	VT_EQ(VP_RTCP_RR_MAX_SOURCES + 3, vp_rtcp_rr_stats(rr)->sources);
	VT_EQ(3, vp_rtcp_rr_stats(rr)->evicted);
	VT_EQ(EINVAL, vp_rtcp_rr_alloc(&rr, 1, "", T0));
	vp_mem_deref(rr);
}

/* ------------------------------------------- RTCP interval (§6.2, A.7) */

VTEST(rtcp_interval_minimum_and_random_range)
{
	struct vp_rtcp_interval_in in = {.members = 5,
					 .senders = 4,
					 .rtcp_bw = 4 * 400.0,
					 .avg_rtcp_size = 100};
	const double c = 1.21828; /* e - 3/2 */

	/* few members: the 5 s minimum rules, times [0.5, 1.5] / (e-3/2) */
	VT_NEAR(5.0 * 0.5 / c, vp_rtcp_interval_ns(&in, 0.0) / 1e9, 1e-6);
	VT_NEAR(5.0 * 1.0 / c, vp_rtcp_interval_ns(&in, 0.5) / 1e9, 1e-6);
	VT_NEAR(5.0 * 1.5 / c, vp_rtcp_interval_ns(&in, 1.0) / 1e9, 1e-6);
	VT_NEAR(5.0 * 1.5 / c, vp_rtcp_interval_ns(&in, 7.0) / 1e9, 1e-6);
	/* before the first packet: half the minimum */
	in.initial = true;
	VT_NEAR(2.5 * 0.5 / c, vp_rtcp_interval_ns(&in, 0.0) / 1e9, 1e-6);
}

VTEST(rtcp_interval_grows_with_members)
{
	/* 1000 members, 900 senders, 200 B packets, 1600 B/s: n*C = 125 s */
	struct vp_rtcp_interval_in in = {.members = 1000,
					 .senders = 900,
					 .rtcp_bw = 1600,
					 .avg_rtcp_size = 200};

	VT_NEAR(125.0 / 1.21828, vp_rtcp_interval_ns(&in, 0.5) / 1e9, 1e-6);
	/* senders <= 1/4: receivers share 75 % among themselves (§6.2) */
	in.senders = 100;
	VT_NEAR(900 * 200 / (0.75 * 1600) / 1.21828,
		vp_rtcp_interval_ns(&in, 0.5) / 1e9, 1e-6);
	/* no bandwidth at all: the minimum, never a division by zero */
	in.rtcp_bw = 0;
	VT_NEAR(5.0 / 1.21828, vp_rtcp_interval_ns(&in, 0.5) / 1e9, 1e-6);
}

/* ------------------------ sequence extension (A.1), seq.c and media/jb */

VTEST(rtp_seq_extend_is_nearest_both_ways)
{
	/* RFC 3550 A.1: the extension lies within -2^15 .. 2^15-1 of ref */
	VT_EQ(0x10000, vp_rtp_seq_extend(0xffff, 0));	   /* wrap forward */
	VT_EQ(0xfffe, vp_rtp_seq_extend(0x10001, 0xfffe)); /* late, before */
	VT_EQ(-2, vp_rtp_seq_extend(1, 0xfffe));	   /* before cycle 0 */
	VT_EQ(0x10000 + 0x7fff, vp_rtp_seq_extend(0x10000, 0x7fff));
	VT_EQ(0x10000 - 0x8000, vp_rtp_seq_extend(0x10000, 0x8000));
	VT_EQ(0x100000000LL, vp_rtp_ts_extend(0xffffff00LL, 0));
	VT_EQ(0xffffff00LL, vp_rtp_ts_extend(0x100000010LL, 0xffffff00u));
	VT_EQ(5 + 0x7fffffffLL, vp_rtp_ts_extend(5, 5 + 0x7fffffffu));
}
