/* SPDX-License-Identifier: MIT */
/**
 * @file srtp_ctx.h  SRTP/SRTCP sessions (RFC 3711, RFC 7714) over libsrtp2:
 * one outbound session keyed with our DTLS-exported key, one inbound
 * session keyed with the peer's. Runs on one thread (the net thread).
 */
#ifndef VP_PROTOCOLS_SRTP_SRTP_CTX_H
#define VP_PROTOCOLS_SRTP_SRTP_CTX_H

#include <stddef.h>
#include <stdint.h>

/** SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum vp_srtp_profile {
	VP_SRTP_NONE = 0,	   /**< no keys: nothing is accepted */
	VP_SRTP_AES128_CM_SHA1_80, /**< SRTP_AES128_CM_HMAC_SHA1_80 */
	VP_SRTP_AEAD_AES_128_GCM,  /**< SRTP_AEAD_AES_128_GCM */
};

/** Room a caller leaves after the packet for protect (tag + SRTCP index). */
#define VP_SRTP_MAX_TRAILER 148

/** Per-session counters; failures are counted here, never logged per packet. */
struct vp_srtp_stats {
	uint64_t auth_fail;    /**< unprotect: bad tag (EBADMSG) */
	uint64_t replay;       /**< unprotect: replayed or too old (EALREADY) */
	uint64_t other_fail;   /**< unprotect: anything else (EPROTO) */
	uint64_t ssrc_evicted; /**< SSRCs forgotten past VP_SRTP_MAX_SSRC */
};

/** Inbound SSRCs whose streams libsrtp keeps (it adds one for each new SSRC
 *  that authenticates); past it, the least recently seen is forgotten. */
#define VP_SRTP_MAX_SSRC 256

struct vp_srtp;

/** Initialise libsrtp2 once per process (later calls are no-ops). @return 0 or
 * EPROTO */
int vp_srtp_init(void);

/** @return master key length in bytes for the profile (0 for NONE) */
size_t vp_srtp_key_len(enum vp_srtp_profile prof);
/** @return master salt length in bytes for the profile (0 for NONE) */
size_t vp_srtp_salt_len(enum vp_srtp_profile prof);
/** @return the RFC name ("SRTP_AEAD_AES_128_GCM", …) or "none" */
const char *vp_srtp_profile_name(enum vp_srtp_profile prof);

/**
 * Create both sessions. Keys and salts are vp_srtp_key_len()/salt_len()
 * bytes and are copied (then wiped from our copy once libsrtp holds them).
 * @param sp      out: the new context
 * @param prof    negotiated profile
 * @param tx_key  our master key, tx_salt our master salt (outbound)
 * @param rx_key  the peer's master key, rx_salt its salt (inbound)
 * @return 0, EINVAL (NULL or VP_SRTP_NONE), ENOMEM, EPROTO
 */
int vp_srtp_alloc(struct vp_srtp **sp, enum vp_srtp_profile prof,
		  const uint8_t *tx_key, const uint8_t *tx_salt,
		  const uint8_t *rx_key, const uint8_t *rx_salt);

/**
 * Protect an RTP packet in place. buf holds *len bytes and has room for
 * cap bytes (cap >= *len + VP_SRTP_MAX_TRAILER is always enough).
 * @return 0 (*len updated), EINVAL (no room), ENOMEM, EPROTO
 */
int vp_srtp_protect(struct vp_srtp *s, uint8_t *buf, size_t *len, size_t cap);
/** Same for an RTCP compound packet (SRTCP, RFC 3711 §3.4). */
int vp_srtp_protect_rtcp(struct vp_srtp *s, uint8_t *buf, size_t *len,
			 size_t cap);

/**
 * Verify and decrypt an SRTP packet in place.
 * @return 0 (*len updated), EBADMSG (auth failed, or shorter than a
 *         header), EALREADY
 *         (replay, RFC 3711 §3.3.2), ENOMEM, EPROTO
 */
int vp_srtp_unprotect(struct vp_srtp *s, uint8_t *buf, size_t *len);
/** Same for SRTCP. */
int vp_srtp_unprotect_rtcp(struct vp_srtp *s, uint8_t *buf, size_t *len);

/** @return the counters (never NULL for a valid s) */
const struct vp_srtp_stats *vp_srtp_stats(const struct vp_srtp *s);

#endif
