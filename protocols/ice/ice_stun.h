/* SPDX-License-Identifier: MIT */
/**
 * @file ice_stun.h  The STUN side of the selected pair once vp_ice reads
 * its socket itself (vp_ice_set_polled): answering the peer's checks and
 * consent requests (RFC 8445 §7.3, RFC 7675 §4) and our own consent
 * freshness (RFC 7675 §5.1: a request every 4–6 s, consent lost 30 s
 * after the last authenticated answer). Pure: bytes and time in, bytes to
 * send out; messages built and checked by libnice's STUN library.
 */
#ifndef VP_PROTOCOLS_ICE_ICE_STUN_H
#define VP_PROTOCOLS_ICE_ICE_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <stun/stunagent.h>

#define VP_ICE_STUN_CONSENT_NS	(30 * 1000000000ULL) /* RFC 7675 §5.1 */
#define VP_ICE_STUN_INTERVAL_NS (5 * 1000000000ULL)  /* ±20 % */
#define VP_ICE_STUN_MAX_MSG	548 /* our requests and replies */
#define VP_ICE_STUN_PENDING	8   /* our requests awaiting an answer */

struct vp_ice_stun_stats {
	uint64_t answered;   /**< peer's binding requests we answered */
	uint64_t consent_ok; /**< authenticated answers to ours */
	uint64_t sent;	     /**< our consent requests */
	uint64_t ignored;    /**< indications, errors, unknown answers */
	uint64_t bad;	     /**< not STUN, or failed authentication */
	uint64_t rejected;   /**< of those, requests answered 400/401/420 */
};

struct vp_ice_stun {
	StunAgent agent;
	char luser[514], lpwd[257]; /* "lufrag:rufrag" (whom we answer) */
	char ruser[514], rpwd[257]; /* "rufrag:lufrag" (whom we ask) */
	bool controlling;
	uint64_t tie, rnd;
	uint64_t last_ok_ns, next_req_ns;
	StunTransactionId pending[VP_ICE_STUN_PENDING];
	unsigned npending, next_slot;
	struct vp_ice_stun_stats stats;
};

/**
 * @param now_ns  monotonic; consent counts as fresh from here (ICE and
 *                DTLS just ran over the pair)
 * @return 0, EINVAL (NULL or a credential too long)
 */
int vp_ice_stun_init(struct vp_ice_stun *s, bool controlling,
		     const char *lufrag, const char *lpwd, const char *rufrag,
		     const char *rpwd, uint64_t seed, uint64_t now_ns);

/**
 * One received STUN datagram (first byte 0..3). A valid binding request is
 * answered: the reply (for `from`) is written to out, *outlen > 0; so is
 * the error answer to a request that fails authentication (400, 401) or
 * carries an unknown comprehension-required attribute (420).
 * An authenticated success answer to one of our requests renews consent.
 */
void vp_ice_stun_recv(struct vp_ice_stun *s, const uint8_t *buf, size_t len,
		      const struct sockaddr_storage *from, socklen_t fromlen,
		      uint64_t now_ns, uint8_t *out, size_t *outlen);

/**
 * Consent, on the caller's tick.
 * @return 0 (with *outlen > 0: a request for the selected remote in out),
 *         ETIMEDOUT (consent lost: no answer for VP_ICE_STUN_CONSENT_NS)
 */
int vp_ice_stun_tick(struct vp_ice_stun *s, uint64_t now_ns, uint8_t *out,
		     size_t *outlen);

#endif
