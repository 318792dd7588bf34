/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_srtp.c  SRTP/SRTCP unprotect on hostile input, and a round
 * trip. Two sessions with crossed keys (ours, the peer's): the input's
 * first byte picks the profile (AES-CM/HMAC-SHA1-80 or AEAD-GCM), the rest
 * is a packet. Seeds: real packets (RTP of rtpgen captures, RTCP SR/RR).
 *
 * Oracles (abort on violation):
 *  - unprotect of the raw input answers a documented code; a failure
 *    leaves *len alone and is counted (auth_fail / replay / other_fail);
 *  - the input made an RTP (or RTCP) packet, protected by one side, is
 *    given back byte for byte by the other; the same packet again is a
 *    replay (EALREADY); with any one byte changed it never authenticates.
 */
#include "protocols/srtp/srtp_ctx.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define MAXP 1500

static const uint8_t k1[16] = "0123456789abcdef", k2[16] = "fedcba9876543210";
static const uint8_t s1[14] = "saltsaltsalt1", s2[14] = "saltsaltsalt2";

static uint64_t fails(const struct vp_srtp *s)
{
	const struct vp_srtp_stats *st = vp_srtp_stats(s);

	return st->auth_fail + st->replay + st->other_fail;
}

static void raw(struct vp_srtp *b, const uint8_t *d, size_t n, bool rtcp)
{
	static uint8_t buf[MAXP];
	size_t len = n;
	uint64_t f0 = fails(b);
	int e;

	memcpy(buf, d, n);
	e = rtcp ? vp_srtp_unprotect_rtcp(b, buf, &len)
		 : vp_srtp_unprotect(b, buf, &len);
	ORACLE(e == 0 || e == EBADMSG || e == EALREADY || e == EPROTO ||
	       e == ENOMEM);
	if (e && e != ENOMEM)
		ORACLE(len == n && fails(b) == f0 + 1);
}

static void roundtrip(struct vp_srtp *a, struct vp_srtp *b, const uint8_t *d,
		      size_t n, bool rtcp, size_t flip)
{
	static uint8_t orig[MAXP], buf[MAXP + VP_SRTP_MAX_TRAILER],
		bad[MAXP + VP_SRTP_MAX_TRAILER];
	size_t len = n, plen, blen;
	int e;

	memcpy(orig, d, n);
	orig[0] = (uint8_t)(0x80 | (orig[0] & 0x3f)); /* version 2 */
	if (rtcp)
		orig[1] = (uint8_t)(200 + orig[1] % 5); /* SR .. APP */
	memcpy(buf, orig, n);
	e = rtcp ? vp_srtp_protect_rtcp(a, buf, &len, sizeof(buf))
		 : vp_srtp_protect(a, buf, &len, sizeof(buf));
	if (e)
		return; /* not a packet libsrtp protects (header too short) */
	plen = len;
	memcpy(bad, buf, plen);
	bad[flip % plen] ^= 0x01;
	blen = plen;
	e = rtcp ? vp_srtp_unprotect_rtcp(b, bad, &blen)
		 : vp_srtp_unprotect(b, bad, &blen);
	ORACLE(e != 0);
	e = rtcp ? vp_srtp_unprotect_rtcp(b, buf, &len)
		 : vp_srtp_unprotect(b, buf, &len);
	ORACLE(e == 0 && len == n && !memcmp(buf, orig, n));
	memcpy(buf, bad, plen);
	buf[flip % plen] ^= 0x01; /* the good packet again: a replay */
	len = plen;
	e = rtcp ? vp_srtp_unprotect_rtcp(b, buf, &len)
		 : vp_srtp_unprotect(b, buf, &len);
	ORACLE(e == EALREADY);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	/* Debian's libsrtp2 uses NSS, which loads its softoken (dlopen) when
	 * the first cipher context opens and unloads it when the last one
	 * closes: per input, without a session that stays. */
	static struct vp_srtp *keep;
	enum vp_srtp_profile prof;
	struct vp_srtp *a = NULL, *b = NULL;
	bool rtcp;

	if (n < 2 || n - 1 > MAXP || vp_srtp_init())
		return 0;
	if (!keep &&
	    vp_srtp_alloc(&keep, VP_SRTP_AEAD_AES_128_GCM, k1, s1, k2, s2))
		return 0;
	prof = d[0] & 1 ? VP_SRTP_AEAD_AES_128_GCM : VP_SRTP_AES128_CM_SHA1_80;
	rtcp = d[0] & 2;
	if (vp_srtp_alloc(&a, prof, k1, s1, k2, s2) ||
	    vp_srtp_alloc(&b, prof, k2, s2, k1, s1))
		goto out;
	raw(b, d + 1, n - 1, rtcp);
	if (n - 1 >= (rtcp ? 8u : 12u))
		roundtrip(a, b, d + 1, n - 1, rtcp, d[0] >> 2);
out:
	vp_mem_deref(a);
	vp_mem_deref(b);
	return 0;
}
