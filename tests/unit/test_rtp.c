/* SPDX-License-Identifier: MIT */
/**
 * @file test_rtp.c  RTP parse/extensions/audio level, RFC 3550
 * A.1/A.3/A.8 source statistics and timestamp unwrapping (RTCP:
 * test_rtcp.c). Malformed inputs are parsed from heap copies of
 * exactly their length, so an over-read is an ASan failure.
 */
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/rtp.h"
#include "protocols/rtp/seq.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdlib.h>

/* Parse from a heap buffer of exactly n bytes (ASan sees any over-read). */
static int parse_exact(struct vp_rtp_pkt *p, const uint8_t *d, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	int err;

	VT_TRUE(b != NULL);
	memcpy(b, d, n);
	err = vp_rtp_parse(p, b, n);
	free(b);
	return err;
}

/* ------------------------------------------------------------------ RTP */

VTEST(rtp_parse_minimal_header)
{
	static const uint8_t pkt[] = {0x80, 0xef, 0x12, 0x34, 0xde, 0xad, 0xbe,
				      0xef, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb};
	struct vp_rtp_pkt p;

	VT_EQ(0, vp_rtp_parse(&p, pkt, sizeof(pkt)));
	VT_EQ(2, p.version);
	VT_TRUE(p.marker);
	VT_EQ(111, p.pt);
	VT_EQ(0x1234, p.seq);
	VT_EQ(0xdeadbeef, p.ts);
	VT_EQ(0x01020304, p.ssrc);
	VT_EQ(0, p.cc);
	VT_TRUE(!p.ext && !p.padding);
	VT_TRUE(p.payload == pkt + 12);
	VT_EQ(2, p.payload_len);
}

/*
 * A Chrome-style Opus packet (hand-assembled in the layout Chrome sends):
 * V=2 P=1 X=1 CC=2, M=1 PT=111, two CSRCs (an SFU mix), one-byte header
 * extension with ssrc-audio-level (id 1) and abs-send-time (id 3, 3
 * bytes) plus a padding byte, a hybrid 20 ms TOC byte, 4 bytes padding.
 */
static const uint8_t opus_one_byte[] = {
	0xb2, 0xef, 0xff, 0xff, 0x00, 0x01, 0xe2, 0x40, /* seq, ts 123456 */
	0x5e, 0xed, 0x00, 0x01,				/* ssrc */
	0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x0b, /* csrc 10, 11 */
	0xbe, 0xde, 0x00, 0x02,				/* one-byte, 2 words */
	0x10, 0x9e,					/* id1 L0: V=1 30 */
	0x32, 0x12, 0x34, 0x56,				/* id3 L2: ast */
	0x00, 0x00,					/* padding */
	0x78, 0x0b, 0xe4, 0xc1, 0x36, 0xec, 0xc5, 0x80, /* Opus payload */
	0x00, 0x00, 0x00, 0x04,				/* RTP padding */
};

VTEST(rtp_opus_csrc_padding_one_byte_ext)
{
	struct vp_rtp_pkt p;
	const uint8_t *d;
	size_t n;
	bool voice;
	uint8_t level;

	VT_EQ(0, parse_exact(&p, opus_one_byte, sizeof(opus_one_byte)));
	VT_EQ(0, vp_rtp_parse(&p, opus_one_byte, sizeof(opus_one_byte)));
	VT_TRUE(p.padding && p.ext && p.marker);
	VT_EQ(2, p.cc);
	VT_EQ(10, p.csrc[0]);
	VT_EQ(11, p.csrc[1]);
	VT_EQ(0xffff, p.seq);
	VT_EQ(123456, p.ts);
	VT_EQ(0x5eed0001, p.ssrc);
	VT_EQ(0xbede, p.ext_profile);
	VT_EQ(8, p.ext_len);
	VT_TRUE(p.ext_data == opus_one_byte + 24);
	VT_TRUE(p.payload == opus_one_byte + 32);
	VT_EQ(8, p.payload_len); /* 4 padding bytes cut */
	VT_EQ(0x78, p.payload[0]);

	VT_EQ(0, vp_rtp_ext_find(&p, 3, &d, &n));
	VT_EQ(3, n);
	VT_EQ(0x12, d[0]);
	VT_EQ(0x56, d[2]);
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 2, &d, &n));
	VT_EQ(0, vp_rtp_audio_level(&p, 1, &voice, &level));
	VT_TRUE(voice);
	VT_EQ(30, level);
	/* id 3 is 3 bytes: not an RFC 6464 element */
	VT_EQ(EBADMSG, vp_rtp_audio_level(&p, 3, &voice, &level));
}

/* Same packet shape with the RFC 8285 §4.3 two-byte form (appbits 5). */
static const uint8_t opus_two_byte[] =
	{
		0xb1, 0x6f, 0x00, 0x00, 0xff, 0xff, 0xff,
		0xf0, 0x5e, 0xed, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x0a, 0x10, 0x05, 0x00, 0x03, /* two-byte, 3 words */
		0x01, 0x01, 0x7f,		    /* id1 L1: V=0 127 */
		0x00,				    /* padding */
		0x20, 0x00,			    /* id32 L0 */
		0x40, 0x04, 0xca, 0xfe, 0xba, 0xbe, /* id64 L4 */
		0xfc, 0xff, 0xfe,		    /* Opus CELT DTX-ish */
		0x00, 0x02,			    /* RTP padding 2 */
};

VTEST(rtp_opus_two_byte_ext)
{
	struct vp_rtp_pkt p;
	const uint8_t *d;
	size_t n;
	bool voice = true;
	uint8_t level = 0;

	VT_EQ(0, parse_exact(&p, opus_two_byte, sizeof(opus_two_byte)));
	VT_EQ(0, vp_rtp_parse(&p, opus_two_byte, sizeof(opus_two_byte)));
	VT_EQ(0x1005, p.ext_profile);
	VT_EQ(12, p.ext_len);
	VT_EQ(3, p.payload_len);
	VT_EQ(0xfffffff0, p.ts);
	VT_EQ(0, vp_rtp_audio_level(&p, 1, &voice, &level));
	VT_TRUE(!voice);
	VT_EQ(127, level);
	VT_EQ(0, vp_rtp_ext_find(&p, 32, &d, &n));
	VT_EQ(0, n);
	VT_EQ(0, vp_rtp_ext_find(&p, 64, &d, &n));
	VT_EQ(4, n);
	VT_EQ(0xcafebabe, (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]);
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 200, &d, &n));
}

/* The RFC 8285 §4.2 figure: IDs with L=0, L=1, two pads, then L=3. */
VTEST(rtp_rfc8285_one_byte_example)
{
	static const uint8_t ext[] = {0x10, 0xa1, 0x21, 0xb1, 0xb2, 0x00,
				      0x00, 0x33, 0xc1, 0xc2, 0xc3, 0xc4};
	struct vp_rtp_pkt p = {.ext = true,
			       .ext_profile = 0xbede,
			       .ext_data = ext,
			       .ext_len = sizeof(ext)};
	const uint8_t *d;
	size_t n;

	VT_EQ(0, vp_rtp_ext_find(&p, 1, &d, &n));
	VT_EQ(1, n);
	VT_EQ(0xa1, d[0]);
	VT_EQ(0, vp_rtp_ext_find(&p, 2, &d, &n));
	VT_EQ(2, n);
	VT_EQ(0xb2, d[1]);
	VT_EQ(0, vp_rtp_ext_find(&p, 3, &d, &n));
	VT_EQ(4, n);
	VT_TRUE(d == ext + 8);
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 4, &d, &n));
	VT_EQ(EINVAL, vp_rtp_ext_find(&p, 0, &d, &n));
	VT_EQ(EINVAL, vp_rtp_ext_find(&p, 15, &d, &n));
}

/* The RFC 8285 §4.3 figure: L=0, L=1, one pad, then L=4. */
VTEST(rtp_rfc8285_two_byte_example)
{
	static const uint8_t ext[] = {0x01, 0x00, 0x02, 0x01, 0xb1, 0x00,
				      0x03, 0x04, 0xc1, 0xc2, 0xc3, 0xc4};
	struct vp_rtp_pkt p = {.ext = true,
			       .ext_profile = 0x1000,
			       .ext_data = ext,
			       .ext_len = sizeof(ext)};
	const uint8_t *d;
	size_t n;

	VT_EQ(0, vp_rtp_ext_find(&p, 1, &d, &n));
	VT_EQ(0, n);
	VT_EQ(0, vp_rtp_ext_find(&p, 2, &d, &n));
	VT_EQ(1, n);
	VT_EQ(0xb1, d[0]);
	VT_EQ(0, vp_rtp_ext_find(&p, 3, &d, &n));
	VT_EQ(4, n);
	VT_EQ(0xc4, d[3]);
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 4, &d, &n));
}

VTEST(rtp_ext_find_edge_cases)
{
	/* one-byte: id 15 ends processing even if id 2 follows (§4.2) */
	static const uint8_t stop[] = {0xf0, 0x20, 0xaa, 0x00};
	/* one-byte: id 1, L=3 (4 bytes) but only 2 left in the block */
	static const uint8_t over1[] = {0x00, 0x00, 0x13, 0xaa};
	/* two-byte: id 1 length 9 runs past; id at the last byte */
	static const uint8_t over2[] = {0x01, 0x09, 0xaa, 0xbb};
	static const uint8_t lone2[] = {0x00, 0x00, 0x00, 0x05};
	struct vp_rtp_pkt p = {.ext = true,
			       .ext_profile = 0xbede,
			       .ext_data = stop,
			       .ext_len = 4};
	const uint8_t *d = NULL;
	size_t n = 99;

	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 2, &d, &n));
	p.ext_data = over1;
	VT_EQ(EBADMSG, vp_rtp_ext_find(&p, 1, &d, &n));
	p.ext_profile = 0x1000;
	p.ext_data = over2;
	VT_EQ(EBADMSG, vp_rtp_ext_find(&p, 1, &d, &n));
	p.ext_data = lone2;
	VT_EQ(EBADMSG, vp_rtp_ext_find(&p, 5, &d, &n));
	VT_TRUE(d == NULL && n == 99); /* out-params untouched on failure */
	p.ext_profile = 0xabac;	       /* some other profile's extension */
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 1, &d, &n));
	p.ext = false;
	VT_EQ(ENOENT, vp_rtp_ext_find(&p, 1, &d, &n));
}

/* RFC 6464 §3 values: V flag in the top bit, -dBov in the low 7 bits. */
VTEST(rtp_rfc6464_audio_level_values)
{
	static const struct {
		uint8_t byte;
		bool voice;
		uint8_t level;
	} v[] = {{0x80, true, 0},
		 {0x00, false, 0},
		 {0x7f, false, 127},
		 {0xff, true, 127},
		 {0xaa, true, 42}};
	uint8_t ext[4] = {0x50, 0, 0, 0}; /* id 5, L=0 */
	struct vp_rtp_pkt p = {.ext = true,
			       .ext_profile = 0xbede,
			       .ext_data = ext,
			       .ext_len = 4};
	bool voice;
	uint8_t level;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		voice = !v[i].voice;
		level = 200;
		ext[1] = v[i].byte;
		VT_EQ(0, vp_rtp_audio_level(&p, 5, &voice, &level));
		VT_EQ(v[i].voice, voice);
		VT_EQ(v[i].level, level);
	}
	VT_EQ(ENOENT, vp_rtp_audio_level(&p, 6, &voice, &level));
	ext[0] = 0x51; /* L=1: two bytes, not RFC 6464 */
	VT_EQ(EBADMSG, vp_rtp_audio_level(&p, 5, &voice, &level));
}

VTEST(rtp_write_hdr_roundtrip)
{
	static const uint8_t ext[] = {0x10, 0x9e, 0x00, 0x00};
	struct vp_rtp_pkt w = {.pt = 111,
			       .marker = true,
			       .seq = 65535,
			       .ts = 0xfffffff0,
			       .ssrc = 0x11223344,
			       .cc = 2,
			       .csrc = {7, 8},
			       .ext = true,
			       .ext_profile = 0xbede,
			       .ext_data = ext,
			       .ext_len = 4};
	uint8_t buf[64];
	struct vp_rtp_pkt p;
	size_t n;

	n = vp_rtp_write_hdr(buf, sizeof(buf), &w);
	VT_EQ(12 + 8 + 4 + 4, n);
	VT_EQ(0x92, buf[0]); /* V=2 X=1 CC=2, no P */
	VT_EQ(0xef, buf[1]);
	buf[n] = 0x78;
	VT_EQ(0, parse_exact(&p, buf, n + 1));
	VT_EQ(0, vp_rtp_parse(&p, buf, n + 1));
	VT_EQ(65535, p.seq);
	VT_EQ(0xfffffff0, p.ts);
	VT_EQ(8, p.csrc[1]);
	VT_EQ(1, p.payload_len);
	VT_EQ(0, vp_rtp_write_hdr(buf, n - 1, &w)); /* too small */
	w.ext_len = 3;
	VT_EQ(0, vp_rtp_write_hdr(buf, sizeof(buf), &w));
	w.ext_len = 4;
	w.cc = 16;
	VT_EQ(0, vp_rtp_write_hdr(buf, sizeof(buf), &w));
}

VTEST(rtp_parse_rejects_truncated_header)
{
	static const uint8_t pkt[12] = {0x80, 111, 0, 1, 0, 0,
					0,    160, 0, 0, 0, 7};
	struct vp_rtp_pkt p;

	for (size_t n = 0; n < sizeof(pkt); n++)
		VT_EQ(EBADMSG, parse_exact(&p, pkt, n));
	VT_EQ(0, parse_exact(&p, pkt, 12));
	VT_EQ(0, p.payload_len);
	VT_EQ(EINVAL, vp_rtp_parse(NULL, pkt, 12));
}

VTEST(rtp_parse_rejects_csrc_past_end) /* CC=3 but one CSRC present */
{
	static const uint8_t pkt[16] = {0x83, 111, 0, 1, 0, 0, 0, 160,
					0,    0,   0, 7, 0, 0, 0, 9};
	static const uint8_t pkt15[12] = {0x8f, 111, 0, 1, 0, 0,
					  0,	160, 0, 0, 0, 7};
	struct vp_rtp_pkt p;

	VT_EQ(EBADMSG, parse_exact(&p, pkt, sizeof(pkt)));
	VT_EQ(EBADMSG, parse_exact(&p, pkt15, sizeof(pkt15)));
}

VTEST(rtp_parse_rejects_extension_past_end)
{
	/* X=1, extension header itself cut short */
	static const uint8_t cut[14] = {0x90, 111, 0, 1, 0, 0,	  0,
					160,  0,   0, 0, 7, 0xbe, 0xde};
	/* X=1, length 2 words but only 1 present */
	static const uint8_t lie[20] = {
		0x90, 111, 0,	 1,    0,    0,	   0,	 160,  0,    0,
		0,    7,   0xbe, 0xde, 0x00, 0x02, 0x10, 0x9e, 0x00, 0x00};
	/* X=1, length 0xffff words */
	static const uint8_t huge[16] = {0x90, 111,  0,	   1,	0, 0,
					 0,    160,  0,	   0,	0, 7,
					 0xbe, 0xde, 0xff, 0xff};
	struct vp_rtp_pkt p;

	VT_EQ(EBADMSG, parse_exact(&p, cut, sizeof(cut)));
	VT_EQ(EBADMSG, parse_exact(&p, lie, sizeof(lie)));
	VT_EQ(EBADMSG, parse_exact(&p, huge, sizeof(huge)));
	/* the same bytes with the length field telling the truth */
	{
		uint8_t ok[sizeof(lie)];

		memcpy(ok, lie, sizeof(ok));
		ok[15] = 1;
		VT_EQ(0, parse_exact(&p, ok, sizeof(ok)));
		VT_EQ(4, p.ext_len);
		VT_EQ(0, p.payload_len);
	}
}

VTEST(rtp_parse_rejects_bad_padding)
{
	uint8_t pkt[16] = {0xa0, 111, 0, 1, 0,	  0,	0,    160,
			   0,	 0,   0, 7, 0xaa, 0xbb, 0xcc, 0x00};
	struct vp_rtp_pkt p;

	VT_EQ(EBADMSG, parse_exact(&p, pkt, 16)); /* count 0 */
	pkt[15] = 5;				  /* past the payload area */
	VT_EQ(EBADMSG, parse_exact(&p, pkt, 16));
	pkt[15] = 200; /* past the packet */
	VT_EQ(EBADMSG, parse_exact(&p, pkt, 16));
	VT_EQ(EBADMSG, parse_exact(&p, pkt, 12)); /* P=1, nothing after hdr */
	pkt[15] = 4;				  /* exactly the payload */
	VT_EQ(0, parse_exact(&p, pkt, 16));
	VT_EQ(0, p.payload_len);
	pkt[15] = 1;
	VT_EQ(0, parse_exact(&p, pkt, 16));
	VT_EQ(3, p.payload_len);
}

VTEST(rtp_parse_rejects_version_not_2)
{
	uint8_t pkt[12] = {0x00, 111, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7};
	struct vp_rtp_pkt p;

	p.seq = 4242;
	for (unsigned v = 0; v < 4; v++) {
		pkt[0] = (uint8_t)(v << 6);
		VT_EQ(v == 2 ? 0 : EBADMSG, parse_exact(&p, pkt, sizeof(pkt)));
	}
	pkt[0] = 0x40;
	p.seq = 4242;
	VT_EQ(EBADMSG, vp_rtp_parse(&p, pkt, sizeof(pkt)));
	VT_EQ(4242, p.seq); /* out-param untouched on failure */
}

/* ------------------------------------------------- sequence (A.1, A.3) */

VTEST(rtp_seq_probation_then_wrap_and_late_packet)
{
	struct vp_rtp_source s;
	int64_t ext = -7;

	vp_rtp_source_init(&s);
	VT_TRUE(!vp_rtp_source_update(&s, 0xfffd, &ext)); /* probation */
	VT_EQ(0xfffd, ext);
	VT_EQ(0, vp_rtp_source_expected(&s));
	VT_TRUE(vp_rtp_source_update(&s, 0xfffe, &ext));
	VT_EQ(0xfffe, ext);
	VT_TRUE(vp_rtp_source_update(&s, 0xffff, &ext));
	VT_EQ(0xffff, ext);
	VT_TRUE(vp_rtp_source_update(&s, 0x0000, &ext)); /* 0xFFFF -> 0 */
	VT_EQ(0x10000, ext);
	VT_TRUE(vp_rtp_source_update(&s, 0x0001, &ext));
	VT_EQ(0x10001, ext);
	/* a late copy of 0xFFFF, arriving after the wrap */
	VT_TRUE(vp_rtp_source_update(&s, 0xffff, &ext));
	VT_EQ(0xffff, ext);
	VT_EQ(0x10001, vp_rtp_source_ext_max(&s));
	VT_EQ(4, vp_rtp_source_expected(&s)); /* 0xFFFE..0x10001 */
	VT_EQ(5, vp_rtp_source_received(&s));
	VT_EQ(-1, vp_rtp_source_lost(&s)); /* duplicates: negative loss */
}

VTEST(rtp_seq_late_packet_before_first_wrap_is_negative)
{
	struct vp_rtp_source s;
	int64_t ext;

	vp_rtp_source_init(&s);
	vp_rtp_source_update(&s, 1, &ext);
	VT_TRUE(vp_rtp_source_update(&s, 2, &ext));
	VT_TRUE(vp_rtp_source_update(&s, 0xfffe, &ext)); /* sent before 1 */
	VT_EQ(-2, ext);
	VT_EQ(2, vp_rtp_source_ext_max(&s)); /* max does not move back */
}

VTEST(rtp_seq_probation_restarts_and_crosses_wrap)
{
	struct vp_rtp_source s;
	int64_t ext;

	vp_rtp_source_init(&s);
	VT_TRUE(!vp_rtp_source_update(&s, 100, &ext));
	VT_TRUE(!vp_rtp_source_update(&s, 102, &ext)); /* not sequential */
	VT_TRUE(vp_rtp_source_update(&s, 103, &ext));
	VT_EQ(1, vp_rtp_source_expected(&s));

	/* RFC's int comparison would never accept 0 after 0xFFFF */
	vp_rtp_source_init(&s);
	VT_TRUE(!vp_rtp_source_update(&s, 0xffff, &ext));
	VT_TRUE(vp_rtp_source_update(&s, 0, &ext));
	VT_EQ(0, ext);
}

VTEST(rtp_seq_large_jump_then_resync)
{
	struct vp_rtp_source s;
	int64_t ext;

	vp_rtp_source_init(&s);
	vp_rtp_source_update(&s, 999, &ext);
	VT_TRUE(vp_rtp_source_update(&s, 1000, &ext));
	VT_TRUE(vp_rtp_source_update(&s, 1001, &ext));
	VT_TRUE(!vp_rtp_source_update(&s, 20000, &ext)); /* jump: bad */
	VT_TRUE(vp_rtp_source_update(&s, 1002, &ext));	 /* stream goes on */
	VT_EQ(1002, ext);
	/* more than MAX_MISORDER behind: treated as a jump, not valid */
	VT_TRUE(!vp_rtp_source_update(&s, 1002 - 200, &ext));
	VT_EQ(3, vp_rtp_source_received(&s));
	VT_TRUE(!vp_rtp_source_update(&s, 40000, &ext));
	VT_TRUE(vp_rtp_source_update(&s, 40001, &ext)); /* sender restart */
	VT_EQ(40001, ext);
	VT_EQ(1, vp_rtp_source_expected(&s));
	VT_EQ(1, vp_rtp_source_received(&s));
	VT_EQ(0, vp_rtp_source_lost(&s));
}

/* Hand-computed A.3 numbers over three report intervals. */
VTEST(rtp_seq_loss_and_fraction_lost)
{
	struct vp_rtp_source s;
	int64_t ext;

	vp_rtp_source_init(&s);
	vp_rtp_source_update(&s, 100, &ext); /* probation packet */
	for (uint16_t q = 101; q <= 110; q++)
		if (q != 105 && q != 107)
			VT_TRUE(vp_rtp_source_update(&s, q, &ext));
	VT_EQ(10, vp_rtp_source_expected(&s));
	VT_EQ(8, vp_rtp_source_received(&s));
	VT_EQ(2, vp_rtp_source_lost(&s));
	VT_EQ(51, vp_rtp_source_fraction_lost(&s)); /* 2 * 256 / 10 */

	/* all ten plus a duplicate: interval loss -1 -> reported as 0 */
	for (uint16_t q = 111; q <= 120; q++)
		vp_rtp_source_update(&s, q, &ext);
	vp_rtp_source_update(&s, 115, &ext);
	VT_EQ(0, vp_rtp_source_fraction_lost(&s));
	VT_EQ(1, vp_rtp_source_lost(&s)); /* 20 expected, 19 received */

	/* 121..125 lost, 126..130 received: half of the interval */
	for (uint16_t q = 126; q <= 130; q++)
		vp_rtp_source_update(&s, q, &ext);
	VT_EQ(128, vp_rtp_source_fraction_lost(&s));
	VT_EQ(6, vp_rtp_source_lost(&s));
	VT_EQ(0, vp_rtp_source_fraction_lost(&s)); /* empty interval */
}

VTEST(rtp_seq_loss_across_wrap_and_rb_fill)
{
	struct vp_rtp_source s;
	struct vp_rtcp_rb rb;
	int64_t ext;
	uint16_t q = 65530;

	vp_rtp_source_init(&s);
	vp_rtp_source_update(&s, 65529, &ext);
	/* 65530 .. 65535, 0 .. 9: 16 expected, drop 65534 and 3 */
	for (int i = 0; i < 16; i++, q++)
		if (q != 65534 && q != 3)
			VT_TRUE(vp_rtp_source_update(&s, q, &ext));
	VT_EQ(0x10009, vp_rtp_source_ext_max(&s));
	VT_EQ(16, vp_rtp_source_expected(&s));
	vp_rtp_source_rb_fill(&s, 0xabcdef01, &rb);
	VT_EQ(0xabcdef01, rb.ssrc);
	VT_EQ(32, rb.fraction); /* 2 * 256 / 16 */
	VT_EQ(2, rb.lost);
	VT_EQ(0x10009, rb.ext_seq);
	VT_EQ(0, rb.jitter);
	VT_EQ(0, rb.lsr);
}

/* ----------------------------------------------------- jitter (A.8) */

static uint32_t jitter_run(uint32_t ts0, uint32_t arr0)
{
	/* transit alternates 0, 1600, 0, 1600: |D| = 1600 three times */
	static const uint32_t extra[] = {0, 1600, 0, 1600};
	struct vp_rtp_source s;

	vp_rtp_source_init(&s);
	for (uint32_t i = 0; i < 4; i++)
		vp_rtp_source_jitter(&s, ts0 + i * 160,
				     arr0 + i * 160 + extra[i]);
	return vp_rtp_source_jitter_get(&s);
}

VTEST(rtp_jitter_hand_computed)
{
	struct vp_rtp_source s;
	double j = 0;

	/* J16: 1600, 1600+1600-100 = 3100, 3100+1600-194 = 4506 -> 281 */
	VT_EQ(281, jitter_run(1000, 5000));
	for (int i = 0; i < 3; i++)
		j += (1600 - j) / 16; /* the RFC's float form: 281.64 */
	VT_NEAR(j, jitter_run(1000, 5000), 1.0);
	/* timestamps and arrival clock both wrapping mid-run */
	VT_EQ(281, jitter_run(0xffffff00u, 0xfffffff0u));

	/*
	 * Steady |D| = 1600: the float form converges on 1600; A.8's
	 * rounded integer form settles where (J16 + 8) >> 4 == 1600, i.e.
	 * J16 = 25592 on the way up, reported as 1599.
	 */
	vp_rtp_source_init(&s);
	for (uint32_t i = 0; i < 400; i++)
		vp_rtp_source_jitter(&s, i * 160, i * 160 + (i & 1) * 1600);
	VT_EQ(1599, vp_rtp_source_jitter_get(&s));

	/* perfectly paced packets: no jitter */
	vp_rtp_source_init(&s);
	for (uint32_t i = 0; i < 50; i++)
		vp_rtp_source_jitter(&s, 0xfffff000u + i * 960, 77 + i * 960);
	VT_EQ(0, vp_rtp_source_jitter_get(&s));
}

/* --------------------------------------------------- timestamp unwrap */

VTEST(rtp_ts_unwrap_both_ways)
{
	const uint64_t c1 = 1ull << 32;
	uint64_t last = 0, base;

	base = vp_rtp_ts_unwrap(&last, 0xffffff00u);
	VT_EQ(c1 + 0xffffff00u, base);
	VT_EQ(base + 0xff, vp_rtp_ts_unwrap(&last, 0xffffffffu));
	VT_EQ(base + 0x100, vp_rtp_ts_unwrap(&last, 0)); /* 0xFFFFFFFF -> 0 */
	VT_EQ(base + 0x110, vp_rtp_ts_unwrap(&last, 0x10));
	VT_EQ(base + 0xf0, vp_rtp_ts_unwrap(&last, 0xfffffff0u)); /* late */
	VT_EQ(base + 0x110, last); /* the late one does not move last */
	VT_EQ(base + 0x120, vp_rtp_ts_unwrap(&last, 0x20));

	/* a late packet from before the first packet's wrap stays > 0 */
	last = 0;
	VT_EQ(c1 + 5, vp_rtp_ts_unwrap(&last, 5));
	VT_EQ(c1 - 5, vp_rtp_ts_unwrap(&last, 0xfffffffbu));
	VT_EQ(c1 + 6, vp_rtp_ts_unwrap(&last, 6));

	/* steady steps across several wraps */
	last = 0;
	base = vp_rtp_ts_unwrap(&last, 0x12345678u);
	for (uint64_t i = 1; i <= 12; i++) {
		uint64_t step = i * 0x40000000ull;

		VT_EQ(base + step,
		      vp_rtp_ts_unwrap(&last, (uint32_t)(0x12345678u + step)));
	}
}
