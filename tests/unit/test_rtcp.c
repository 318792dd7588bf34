/* SPDX-License-Identifier: MIT */
/** @file test_rtcp.c  protocols/rtp/rtcp: compound parsing (SR, SDES, BYE,
 *  APP, padding), malformed input, and the RR + SDES builder. Malformed
 *  inputs are parsed from heap copies of exactly their length. */
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/rtp.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- RTCP */

/* SR with one report block, SDES CNAME "alice", BYE "bye", APP (§6.1) */
static const uint8_t compound[] = {
	/* SR: V=2 RC=1 PT=200 length 12 (52 bytes) */
	0x81,
	200,
	0x00,
	12,
	0x11,
	0x11,
	0x11,
	0x11,
	0xe1,
	0x23,
	0x45,
	0x67,
	0x80,
	0x00,
	0x00,
	0x00, /* NTP */
	0x00,
	0x00,
	0xbb,
	0x80,
	0x00,
	0x00,
	0x00,
	100, /* rtp_ts, pkts */
	0x00,
	0x00,
	0x3e,
	0x80, /* octets 16000 */
	0x22,
	0x22,
	0x22,
	0x22,
	0x40,
	0xff,
	0xff,
	0xfe, /* frac, lost -2 */
	0x00,
	0x01,
	0x00,
	0x0a,
	0x00,
	0x00,
	0x00,
	42, /* ext seq, jitter */
	0x45,
	0x67,
	0x80,
	0x00,
	0x00,
	0x01,
	0x00,
	0x00, /* lsr, dlsr */
	/* SDES: SC=1 length 3 */
	0x81,
	202,
	0x00,
	3,
	0x11,
	0x11,
	0x11,
	0x11,
	0x01,
	5,
	'a',
	'l',
	'i',
	'c',
	'e',
	0x00,
	/* BYE: SC=1 length 2, reason "bye" */
	0x81,
	203,
	0x00,
	2,
	0x11,
	0x11,
	0x11,
	0x11,
	3,
	'b',
	'y',
	'e',
	/* APP: subtype 0, length 2 */
	0x80,
	204,
	0x00,
	2,
	0x11,
	0x11,
	0x11,
	0x11,
	'A',
	'B',
	'C',
	'D',
};

/* Iterate over a heap copy of exactly n bytes: return code of the end. */
static int walk(const uint8_t *d, size_t n, unsigned *parsed)
{
	uint8_t *b = malloc(n ? n : 1);
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	int err;

	VT_TRUE(b != NULL);
	memcpy(b, d, n);
	*parsed = 0;
	vp_rtcp_iter_init(&it, b, n);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0)
		(*parsed)++;
	/* once broken, the iterator stays broken */
	if (err == EBADMSG)
		VT_EQ(EBADMSG, vp_rtcp_iter_next(&it, &p));
	free(b);
	return err;
}

VTEST(rtcp_compound_sr_sdes_bye_app)
{
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	unsigned n;

	vp_rtcp_iter_init(&it, compound, sizeof(compound));
	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_SR, p.type);
	VT_EQ(52, p.raw_len);
	VT_EQ(0x11111111, p.ssrc);
	VT_EQ(0xe1234567, p.sr.ntp_sec);
	VT_EQ(0x80000000, p.sr.ntp_frac);
	VT_EQ(48000, p.sr.rtp_ts);
	VT_EQ(100, p.sr.pkt_count);
	VT_EQ(16000, p.sr.octet_count);
	VT_EQ(1, p.rb_count);
	VT_EQ(0x22222222, p.rb[0].ssrc);
	VT_EQ(0x40, p.rb[0].fraction);
	VT_EQ(-2, p.rb[0].lost);
	VT_EQ(0x1000a, p.rb[0].ext_seq);
	VT_EQ(42, p.rb[0].jitter);
	VT_EQ(0x45678000, p.rb[0].lsr);
	VT_EQ(0x10000, p.rb[0].dlsr);

	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_SDES, p.type);
	VT_EQ(1, p.cname_count);
	VT_EQ(0x11111111, p.cname[0].ssrc);
	VT_EQ(5, p.cname[0].len);
	VT_TRUE(!memcmp(p.cname[0].cname, "alice", 5));

	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_BYE, p.type);
	VT_EQ(1, p.bye_count);
	VT_EQ(0x11111111, p.bye_ssrc[0]);
	VT_EQ(3, p.reason_len);
	VT_TRUE(!memcmp(p.reason, "bye", 3));

	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_APP, p.type); /* skipped: type and length only */
	VT_EQ(204, p.pt);
	VT_EQ(8, p.body_len);
	VT_EQ(0, p.rb_count);

	VT_EQ(ENOENT, vp_rtcp_iter_next(&it, &p));
	VT_EQ(ENOENT, walk(compound, sizeof(compound), &n));
	VT_EQ(4, n);
	VT_EQ(0, vp_rtcp_check(compound, sizeof(compound), true));
	/* starts with SDES: fine only for reduced-size RTCP (RFC 5506) */
	VT_EQ(EBADMSG, vp_rtcp_check(compound + 52, 16, true));
	VT_EQ(0, vp_rtcp_check(compound + 52, 16, false));
	VT_EQ(EBADMSG, vp_rtcp_check(compound, 0, false));
}

VTEST(rtcp_padding_on_last_packet)
{
	/* RR with no blocks, P=1, 4 bytes padding (count 4) */
	static const uint8_t rr[] = {0xa0, 201, 0x00, 2, 0, 0,
				     0,	   9,	0,    0, 0, 4};
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;

	vp_rtcp_iter_init(&it, rr, sizeof(rr));
	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_RR, p.type);
	VT_EQ(9, p.ssrc);
	VT_EQ(4, p.body_len);
	VT_EQ(12, p.raw_len);
}

VTEST(rtcp_malformed_returns_ebadmsg)
{
	static const struct {
		const char *what;
		uint8_t d[40];
		size_t n;
		unsigned good; /* sub-packets parsed before the error */
	} v[] = {
		{"length too long", {0x80, 201, 0, 7, 0, 0, 0, 1}, 8, 0},
		{"RC=1, length too short for the block",
		 {0x81, 201, 0, 1, 0, 0, 0, 1},
		 8,
		 0},
		{"SR RC=2, one block in length",
		 {0x82, 200, 0, 12, 0, 0, 0, 1},
		 52,
		 0},
		{"version 1", {0x40, 201, 0, 1, 0, 0, 0, 1}, 8, 0},
		{"version 3", {0xc0, 201, 0, 1, 0, 0, 0, 1}, 8, 0},
		{"truncated header", {0x80, 201, 0}, 3, 0},
		{"trailing bytes",
		 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 0},
		 10,
		 1},
		{"padding on a non-last packet",
		 {0xa0, 201, 0,	   2,	0, 0, 0, 1, 0, 0,
		  0,	4,   0x80, 201, 0, 1, 0, 0, 0, 1},
		 20,
		 0},
		{"padding count 0", {0xa0, 201, 0, 1, 0, 0, 0, 0}, 8, 0},
		{"padding count past body",
		 {0xa0, 201, 0, 1, 0, 0, 0, 9},
		 8,
		 0},
		{"SDES chunk without null item",
		 {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'},
		 12,
		 0},
		{"SDES item length past end",
		 {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 0},
		 12,
		 0},
		{"SDES SC=2, one chunk",
		 {0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0},
		 12,
		 0},
		{"BYE reason past end",
		 {0x81, 203, 0, 2, 0, 0, 0, 1, 7, 'b', 'y', 'e'},
		 12,
		 0},
		{"BYE SC=2, one SSRC", {0x82, 203, 0, 1, 0, 0, 0, 1}, 8, 0},
		{"RTP, not RTCP (PT 111)", {0x80, 111, 0, 1, 0, 0, 0, 1}, 8, 0},
		{"RR ok, then length lies",
		 {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 201, 0, 9, 0, 0, 0, 1},
		 16,
		 1},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned good = 99;
		int err = walk(v[i].d, v[i].n, &good);

		if (err != EBADMSG || good != v[i].good)
			vtest_fail(__FILE__, __LINE__, "%s: err %d after %u",
				   v[i].what, err, good);
		VT_EQ(EBADMSG, vp_rtcp_check(v[i].d, v[i].n, false));
	}
}

VTEST(rtcp_rr_sdes_build_roundtrip)
{
	struct vp_rtcp_rb rbs[2] = {
		{.ssrc = 0xa,
		 .fraction = 51,
		 .lost = -5,
		 .ext_seq = 0x1000a,
		 .jitter = 281,
		 .lsr = 0x12345678,
		 .dlsr = 0x8000},
		{.ssrc = 0xb, .lost = 0x900000}, /* clamps to 0x7FFFFF */
	};
	uint8_t buf[128];
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	size_t len = 0;

	VT_EQ(0, vp_rtcp_rr_sdes_build(buf, sizeof(buf), &len, 0x5eed, rbs, 2,
				       "vpbot@example"));
	/* RR 8 + 48, SDES 4 + (4 + 2 + 13 + 1 -> 20) */
	VT_EQ(56 + 24, len);
	VT_EQ(0, vp_rtcp_check(buf, len, true));
	vp_rtcp_iter_init(&it, buf, len);
	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_RR, p.type);
	VT_EQ(0x5eed, p.ssrc);
	VT_EQ(2, p.rb_count);
	VT_EQ(51, p.rb[0].fraction);
	VT_EQ(-5, p.rb[0].lost);
	VT_EQ(0x1000a, p.rb[0].ext_seq);
	VT_EQ(281, p.rb[0].jitter);
	VT_EQ(0x12345678, p.rb[0].lsr);
	VT_EQ(0x8000, p.rb[0].dlsr);
	VT_EQ(0x7fffff, p.rb[1].lost);
	VT_EQ(0, vp_rtcp_iter_next(&it, &p));
	VT_EQ(VP_RTCP_SDES, p.type);
	VT_EQ(0x5eed, p.cname[0].ssrc);
	VT_EQ(13, p.cname[0].len);
	VT_TRUE(!memcmp(p.cname[0].cname, "vpbot@example", 13));
	VT_EQ(ENOENT, vp_rtcp_iter_next(&it, &p));

	/* an empty RR; a CNAME that ends on a word boundary gets 4 nulls */
	VT_EQ(0,
	      vp_rtcp_rr_sdes_build(buf, sizeof(buf), &len, 1, NULL, 0, "ab"));
	VT_EQ(8 + 4 + 12, len);
	VT_EQ(0, buf[len - 1]);
	VT_EQ(0, vp_rtcp_check(buf, len, true));

	len = 7;
	VT_EQ(EINVAL, vp_rtcp_rr_sdes_build(buf, 23, &len, 1, NULL, 0, "ab"));
	VT_EQ(EINVAL,
	      vp_rtcp_rr_sdes_build(buf, sizeof(buf), &len, 1, NULL, 0, ""));
	VT_EQ(EINVAL,
	      vp_rtcp_rr_sdes_build(buf, sizeof(buf), &len, 1, rbs, 32, "ab"));
	VT_EQ(7, len);
}
