/* SPDX-License-Identifier: MIT */
/** @file test_srtp.c  libsrtp2 adapter: RFC 3711 vectors, both profiles,
 * errors. */
#include "protocols/srtp/srtp_ctx.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <malloc.h>

#include <openssl/evp.h>

/* RFC 3711 Appendix B.3: master key and salt */
static const uint8_t b3_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01,
				   0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c,
				   0x06, 0xde, 0x41, 0x39};
static const uint8_t b3_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
				    0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
/* B.3 derived session encryption key and salt */
static const uint8_t b3_ke[16] = {0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f,
				  0x39, 0xee, 0x10, 0x73, 0x4a, 0xfe,
				  0x3f, 0xf7, 0xa0, 0x87};
static const uint8_t b3_ks[14] = {0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c,
				  0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1};

/* libsrtp's srtp_validate(): SSRC 0xcafebabe, SEQ 0x1234, ROC 0 */
static const uint8_t kat_plain[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
	0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_cipher[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
	0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
	0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
	0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};

VTEST(srtp_rfc3711_b2)
{
	struct vp_srtp *s = NULL;
	uint8_t buf[28 + VP_SRTP_MAX_TRAILER];
	uint8_t iv[16] = {0}, ks[16], zero[16] = {0};
	size_t len = sizeof(kat_plain);
	EVP_CIPHER_CTX *c;
	int outl, i;

	VT_EQ(0, vp_srtp_alloc(&s, VP_SRTP_AES128_CM_SHA1_80, b3_key, b3_salt,
			       b3_key, b3_salt));
	memcpy(buf, kat_plain, len);
	VT_EQ(0, vp_srtp_protect(s, buf, &len, sizeof(buf)));
	VT_EQ(sizeof(kat_cipher), len);
	VT_EQ(0, memcmp(buf, kat_cipher, len));

	/*
	 * §4.1.1 / B.2: IV = (k_s << 16) XOR (SSRC << 64) XOR (i << 16);
	 * the keystream from the B.3 session key must be exactly what
	 * libsrtp XORed into the payload.
	 */
	memcpy(iv, b3_ks, sizeof(b3_ks));
	iv[4] ^= 0xca, iv[5] ^= 0xfe, iv[6] ^= 0xba, iv[7] ^= 0xbe;
	iv[12] ^= 0x12, iv[13] ^= 0x34;
	c = EVP_CIPHER_CTX_new();
	VT_TRUE(c != NULL);
	VT_EQ(1, EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, b3_ke, iv));
	VT_EQ(1, EVP_EncryptUpdate(c, ks, &outl, zero, sizeof(zero)));
	EVP_CIPHER_CTX_free(c);
	for (i = 0; i < 16; i++)
		VT_EQ(kat_cipher[12 + i], kat_plain[12 + i] ^ ks[i]);

	/* and the inbound side decrypts the vector back */
	len = sizeof(kat_cipher);
	memcpy(buf, kat_cipher, len);
	VT_EQ(0, vp_srtp_unprotect(s, buf, &len));
	VT_EQ(sizeof(kat_plain), len);
	VT_EQ(0, memcmp(buf, kat_plain, len));
	vp_mem_deref(s);
}

static void make_rtp(uint8_t *p, uint16_t seq, size_t plen)
{
	size_t i;

	p[0] = 0x80, p[1] = 111;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[4] = 0, p[5] = 0, p[6] = (uint8_t)(seq >> 8), p[7] = (uint8_t)seq;
	p[8] = 0x11, p[9] = 0x22, p[10] = 0x33, p[11] = 0x44;
	for (i = 0; i < plen; i++)
		p[12 + i] = (uint8_t)(i * 7 + seq);
}

/* two ends: a sends with ka, b receives with ka (and vice versa) */
static void pair(enum vp_srtp_profile prof, struct vp_srtp **a,
		 struct vp_srtp **b)
{
	uint8_t ka[16], sa[14], kb[16], sb[14];

	memset(ka, 0x11, 16), memset(sa, 0x22, 14);
	memset(kb, 0x33, 16), memset(sb, 0x44, 14);
	VT_EQ(0, vp_srtp_alloc(a, prof, ka, sa, kb, sb));
	VT_EQ(0, vp_srtp_alloc(b, prof, kb, sb, ka, sa));
}

static void roundtrip(enum vp_srtp_profile prof, size_t tag)
{
	struct vp_srtp *a = NULL, *b = NULL;
	uint8_t pkt[12 + 160 + VP_SRTP_MAX_TRAILER], ref[12 + 160];
	uint8_t rtcp[8 + 20 + VP_SRTP_MAX_TRAILER] = {0x80, 201,  0,	1,
						      0x11, 0x22, 0x33, 0x44};
	size_t len = 12 + 160;
	uint16_t seq;

	pair(prof, &a, &b);
	for (seq = 100; seq < 110; seq++) {
		make_rtp(pkt, seq, 160);
		memcpy(ref, pkt, sizeof(ref));
		len = sizeof(ref);
		VT_EQ(0, vp_srtp_protect(a, pkt, &len, sizeof(pkt)));
		VT_EQ(sizeof(ref) + tag, len);
		VT_TRUE(memcmp(pkt + 12, ref + 12, 160) != 0);
		VT_EQ(0, vp_srtp_unprotect(b, pkt, &len));
		VT_EQ(sizeof(ref), len);
		VT_EQ(0, memcmp(pkt, ref, len));
	}
	/* SRTCP: tag plus the 4-byte E||index word (RFC 3711 §3.4) */
	len = 8;
	VT_EQ(0, vp_srtp_protect_rtcp(b, rtcp, &len, sizeof(rtcp)));
	VT_EQ(8 + 4 + tag, len);
	VT_EQ(0, vp_srtp_unprotect_rtcp(a, rtcp, &len));
	VT_EQ(8, len);
	VT_EQ(201, rtcp[1]);
	vp_mem_deref(a);
	vp_mem_deref(b);
}

VTEST(srtp_roundtrip_aes_cm_sha1_80)
{
	roundtrip(VP_SRTP_AES128_CM_SHA1_80, 10);
}

VTEST(srtp_roundtrip_aead_aes_128_gcm)
{
	roundtrip(VP_SRTP_AEAD_AES_128_GCM, 16);
}

static void tamper_and_replay(enum vp_srtp_profile prof)
{
	struct vp_srtp *a = NULL, *b = NULL;
	uint8_t pkt[12 + 40 + VP_SRTP_MAX_TRAILER], copy[sizeof(pkt)];
	uint8_t again[sizeof(pkt)];
	size_t len = 12 + 40, clen, alen;

	pair(prof, &a, &b);
	make_rtp(pkt, 7, 40);
	VT_EQ(0, vp_srtp_protect(a, pkt, &len, sizeof(pkt)));
	memcpy(copy, pkt, len);
	memcpy(again, pkt, len);
	clen = alen = len;

	pkt[len - 1] ^= 0x01; /* flip one bit of the auth tag */
	VT_EQ(EBADMSG, vp_srtp_unprotect(b, pkt, &len));
	VT_EQ(1, vp_srtp_stats(b)->auth_fail);

	/* the intact packet still passes: a failed tag must not poison it */
	VT_EQ(0, vp_srtp_unprotect(b, copy, &clen));
	VT_EQ(12 + 40, clen);

	/* the same packet again is a replay (RFC 3711 §3.3.2) */
	VT_EQ(EALREADY, vp_srtp_unprotect(b, again, &alen));
	VT_EQ(1, vp_srtp_stats(b)->replay);
	VT_EQ(1, vp_srtp_stats(b)->auth_fail);
	vp_mem_deref(a);
	vp_mem_deref(b);
}

VTEST(srtp_tampered_tag_ebadmsg_and_replay_ealready)
{
	tamper_and_replay(VP_SRTP_AES128_CM_SHA1_80);
	tamper_and_replay(VP_SRTP_AEAD_AES_128_GCM);
}

VTEST(srtp_rejects_bad_args_and_short_packets)
{
	struct vp_srtp *s = NULL;
	uint8_t k[16] = {1}, sl[14] = {2}, buf[64] = {0x80};
	size_t len = 11;

	VT_EQ(EINVAL, vp_srtp_alloc(&s, VP_SRTP_NONE, k, sl, k, sl));
	VT_TRUE(s == NULL);
	VT_EQ(0, vp_srtp_alloc(&s, VP_SRTP_AEAD_AES_128_GCM, k, sl, k, sl));
	VT_EQ(EBADMSG, vp_srtp_unprotect(s, buf, &len));
	VT_EQ(11, len);
	len = 12;
	VT_EQ(EINVAL, vp_srtp_protect(s, buf, &len, sizeof(buf)));
	VT_STR_EQ("SRTP_AEAD_AES_128_GCM",
		  vp_srtp_profile_name(VP_SRTP_AEAD_AES_128_GCM));
	VT_EQ(12, vp_srtp_salt_len(VP_SRTP_AEAD_AES_128_GCM));
	VT_EQ(14, vp_srtp_salt_len(VP_SRTP_AES128_CM_SHA1_80));
	vp_mem_deref(s);
}

/* A sender's packet on a given SSRC, protected by a fresh sender (so only
 * the receiver's memory grows) */
static void send_on(enum vp_srtp_profile prof, uint32_t ssrc, uint8_t *pkt,
		    size_t *len)
{
	struct vp_srtp *a = NULL;
	uint8_t ka[16], sa[14], kb[16], sb[14];

	memset(ka, 0x11, 16), memset(sa, 0x22, 14);
	memset(kb, 0x33, 16), memset(sb, 0x44, 14);
	VT_EQ(0, vp_srtp_alloc(&a, prof, ka, sa, kb, sb));
	make_rtp(pkt, 1, 40);
	pkt[8] = (uint8_t)(ssrc >> 24), pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8), pkt[11] = (uint8_t)ssrc;
	*len = 12 + 40;
	VT_EQ(0, vp_srtp_protect(a, pkt, len, 12 + 40 + VP_SRTP_MAX_TRAILER));
	vp_mem_deref(a);
}

/* libsrtp keeps a stream for every new SSRC that authenticates: a sender
 * rotating SSRCs must not grow the receiver without end. Past
 * VP_SRTP_MAX_SSRC the least recently seen is forgotten, which shows as its
 * old packet being new again. */
VTEST(srtp_new_ssrcs_are_bounded)
{
	enum { N = 3000 };
	struct vp_srtp *b = NULL;
	uint8_t kb[16], sb[14], ka[16], sa[14];
	uint8_t first[12 + 40 + VP_SRTP_MAX_TRAILER], pkt[sizeof(first)];
	size_t flen, len, before, grown;

	memset(ka, 0x11, 16), memset(sa, 0x22, 14);
	memset(kb, 0x33, 16), memset(sb, 0x44, 14);
	VT_EQ(0, vp_srtp_alloc(&b, VP_SRTP_AES128_CM_SHA1_80, kb, sb, ka, sa));
	send_on(VP_SRTP_AES128_CM_SHA1_80, 7, first, &flen);
	memcpy(pkt, first, flen);
	len = flen;
	VT_EQ(0, vp_srtp_unprotect(b, pkt, &len));
	before = mallinfo2().uordblks;
	for (uint32_t i = 0; i < N; i++) {
		send_on(VP_SRTP_AES128_CM_SHA1_80, 1000 + i, pkt, &len);
		VT_EQ(0, vp_srtp_unprotect(b, pkt, &len));
	}
	grown = mallinfo2().uordblks - before;
	fprintf(stderr, "receiver grew %zu KB for %d SSRCs\n", grown / 1024, N);
	VT_EQ(N + 1 - VP_SRTP_MAX_SSRC, vp_srtp_stats(b)->ssrc_evicted);
	/* SSRC 7 was forgotten: its first packet passes again */
	VT_EQ(0, vp_srtp_unprotect(b, first, &flen));
#ifndef __SANITIZE_ADDRESS__	     /* ASan's allocator is not glibc's */
	VT_TRUE(grown < 400u << 10); /* 270 B a stream: 800 KB unbounded */
#else
	(void)grown;
#endif
	vp_mem_deref(b);
}
