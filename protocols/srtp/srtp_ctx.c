/* SPDX-License-Identifier: MIT */
/** @file srtp_ctx.c  libsrtp2 adapter: policies, protect/unprotect, status map.
 */
#include "protocols/srtp/srtp_ctx.h"

#define VP_LOG_MODULE "srtp"
#include "src/core/bytes.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>

#include <srtp2/srtp.h>

#define MAX_MASTER 32 /* 16-byte key + up to 14-byte salt, rounded up */

struct vp_srtp {
	srtp_t tx;
	srtp_t rx;
	enum vp_srtp_profile prof;
	struct vp_srtp_stats stats;
	/* inbound SSRCs libsrtp holds a stream for, and when each was last
	 * seen (a packet count) */
	uint32_t ssrc[VP_SRTP_MAX_SSRC];
	uint64_t seen[VP_SRTP_MAX_SSRC];
	unsigned nssrc, last;
	uint64_t tick;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;

/* The one place libsrtp2 statuses become errnos (docs/style.md §6). */
static int map_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	case srtp_err_status_alloc_fail:
		return ENOMEM;
	default:
		return EPROTO;
	}
}

static void do_init(void)
{
	/* 17-28 ms of NSS self-tests (docs/performance.md): paid once per
	 * process */
	init_status = srtp_init();
	if (init_status)
		vp_log_err("srtp_init failed status=%d", (int)init_status);
}

int vp_srtp_init(void)
{
	pthread_once(&init_once, do_init);
	return init_status ? EPROTO : 0;
}

size_t vp_srtp_key_len(enum vp_srtp_profile prof)
{
	return prof == VP_SRTP_NONE ? 0 : 16;
}

/* RFC 5764 §4.1.2: 112-bit salt for AES-CM; RFC 7714 §12: 96-bit for GCM */
size_t vp_srtp_salt_len(enum vp_srtp_profile prof)
{
	switch (prof) {
	case VP_SRTP_AES128_CM_SHA1_80:
		return 14;
	case VP_SRTP_AEAD_AES_128_GCM:
		return 12;
	default:
		return 0;
	}
}

const char *vp_srtp_profile_name(enum vp_srtp_profile prof)
{
	switch (prof) {
	case VP_SRTP_AES128_CM_SHA1_80:
		return "SRTP_AES128_CM_SHA1_80";
	case VP_SRTP_AEAD_AES_128_GCM:
		return "SRTP_AEAD_AES_128_GCM";
	default:
		return "none";
	}
}

static int session_create(srtp_t *sess, enum vp_srtp_profile prof,
			  const uint8_t *key, const uint8_t *salt, bool inbound)
{
	uint8_t master[MAX_MASTER];
	size_t kl = vp_srtp_key_len(prof), sl = vp_srtp_salt_len(prof);
	srtp_policy_t pol;
	int err;

	memset(&pol, 0, sizeof(pol));
	if (prof == VP_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	}
	/* libsrtp wants key || salt in one buffer */
	memcpy(master, key, kl);
	memcpy(master + kl, salt, sl);
	pol.key = master;
	/* any SSRC: the SFU decides which streams arrive (RFC 3711 §3.2.3) */
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.window_size = 0; /* libsrtp default replay window (128) */
	pol.allow_repeat_tx = 0;
	err = map_status(srtp_create(sess, &pol));
	memset(master, 0,
	       sizeof(master)); /* best effort: keys leave our copy */
	return err;
}

static void srtp_destroy(void *arg)
{
	struct vp_srtp *s = arg;

	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
}

int vp_srtp_alloc(struct vp_srtp **sp, enum vp_srtp_profile prof,
		  const uint8_t *tx_key, const uint8_t *tx_salt,
		  const uint8_t *rx_key, const uint8_t *rx_salt)
{
	struct vp_srtp *s;
	int err;

	if (!sp || prof == VP_SRTP_NONE || !tx_key || !tx_salt || !rx_key ||
	    !rx_salt)
		return EINVAL;
	err = vp_srtp_init();
	if (err)
		return err;
	s = vp_mem_zalloc(sizeof(*s), srtp_destroy);
	if (!s)
		return ENOMEM;
	s->prof = prof;
	err = session_create(&s->tx, prof, tx_key, tx_salt, false);
	if (err)
		goto out;
	err = session_create(&s->rx, prof, rx_key, rx_salt, true);
out:
	if (err) {
		vp_log_err("srtp session setup failed profile=%s err=%d",
			   vp_srtp_profile_name(prof), err);
		vp_mem_deref(s);
	} else {
		*sp = s;
	}
	return err;
}

static int protect(struct vp_srtp *s, uint8_t *buf, size_t *len, size_t cap,
		   bool rtcp)
{
	int n, err;

	if (!s || !buf || !len || *len > INT_MAX - VP_SRTP_MAX_TRAILER ||
	    cap < *len + VP_SRTP_MAX_TRAILER)
		return EINVAL;
	n = (int)*len;
	err = map_status(rtcp ? srtp_protect_rtcp(s->tx, buf, &n)
			      : srtp_protect(s->tx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

int vp_srtp_protect(struct vp_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(s, buf, len, cap, false);
}

int vp_srtp_protect_rtcp(struct vp_srtp *s, uint8_t *buf, size_t *len,
			 size_t cap)
{
	return protect(s, buf, len, cap, true);
}

/* --- Runs on: net thread (per packet: count, never log) --- */

/* Note the SSRC of a packet libsrtp accepted. libsrtp keeps a stream for
 * every new SSRC (ssrc_any_inbound) in a list it searches per packet, so a
 * sender rotating SSRCs would grow memory and CPU without end: past
 * VP_SRTP_MAX_SSRC the least recently seen is removed. Should it send
 * again, libsrtp starts it afresh (replay window and rollover counter). */
static void ssrc_note(struct vp_srtp *s, uint32_t ssrc)
{
	unsigned i, lru = 0;

	s->tick++;
	if (s->nssrc && s->ssrc[s->last] == ssrc) {
		s->seen[s->last] = s->tick;
		return;
	}
	for (i = 0; i < s->nssrc; i++) {
		if (s->ssrc[i] == ssrc)
			break;
		if (s->seen[i] < s->seen[lru])
			lru = i;
	}
	if (i == s->nssrc && s->nssrc < VP_SRTP_MAX_SSRC) {
		s->nssrc++;
	} else if (i == s->nssrc) {
		i = lru;
		(void)srtp_remove_stream(s->rx, htonl(s->ssrc[i]));
		s->stats.ssrc_evicted++;
	}
	s->ssrc[i] = ssrc;
	s->seen[i] = s->tick;
	s->last = i;
}

static int unprotect(struct vp_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n, err;

	if (!s || !buf || !len)
		return EINVAL;
	/* RFC 3550 §5.1 / §6.4.1: 12-byte RTP header, 8-byte RTCP header */
	if (*len < (rtcp ? 8u : 12u) || *len > INT_MAX) {
		s->stats.other_fail++;
		return EBADMSG;
	}
	n = (int)*len;
	err = map_status(rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n)
			      : srtp_unprotect(s->rx, buf, &n));
	switch (err) {
	case 0:
		*len = (size_t)n;
		/* the sender's SSRC: RTP byte 8, RTCP byte 4 (RFC 3550 §5.1,
		 * §6.4.1) */
		ssrc_note(s, vp_be32(buf + (rtcp ? 4 : 8)));
		break;
	case EBADMSG:
		s->stats.auth_fail++;
		break;
	case EALREADY:
		s->stats.replay++;
		break;
	default:
		s->stats.other_fail++;
		break;
	}
	return err;
}

int vp_srtp_unprotect(struct vp_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, false);
}

int vp_srtp_unprotect_rtcp(struct vp_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, true);
}

const struct vp_srtp_stats *vp_srtp_stats(const struct vp_srtp *s)
{
	return s ? &s->stats : NULL;
}
