/* SPDX-License-Identifier: MIT */
/**
 * @file sdp_offer.h  The simulator's SDP offer (RFC 8866): one BUNDLE'd
 * (RFC 8843) sendonly Opus (RFC 7587) audio m= line per speaking
 * participant, ICE-full and non-trickle (RFC 8839), DTLS-SRTP with
 * a=setup:actpass (RFC 8842 §5.2, RFC 5763 §5) and rtcp-mux (RFC 5761).
 * Pure: parameters in, text out.
 */
#ifndef VP_TOOLS_SIMCONF_SDP_OFFER_H
#define VP_TOOLS_SIMCONF_SDP_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP_SIMCONF_OFFER_PT 111 /**< dynamic PT for opus/48000/2 */

/** One m= line. Strings are borrowed for the call. */
struct vp_simconf_offer_media {
	const char *mid; /**< 1..16 of [A-Za-z0-9] */
	uint32_t ssrc;
	const char *cname; /**< 1..64 printable, no blanks */
	bool active;	   /**< false: a=inactive (the participant left) */
};

struct vp_simconf_offer_params {
	uint64_t sess_id, sess_version; /**< o= line; bump per offer */
	const char *ufrag, *pwd;	/**< ICE credentials (RFC 8839 §5.4) */
	const char *fp_sha256;		/**< "AB:CD:…" (32 bytes) */
	const char *const *cand;	/**< "candidate:…" values, no "a=" */
	unsigned ncand;
	const struct vp_simconf_offer_media *media;
	unsigned nmedia;     /**< >= 1 */
	int ext_audio_level; /**< RFC 6464 extmap id (1..14), 0: none */
};

/**
 * Build the offer text. Candidates and a=end-of-candidates go in every
 * m= line (allowed by RFC 8843 §7.1 for an initial offer, and harmless in
 * a re-offer, where the answerer keeps the established transport).
 * @param sdpp  out: NUL-ended text (vp_mem), only on success
 * @return 0, EINVAL (NULL args, no media, a value with CR/LF or blanks
 *         where none are allowed) or ENOMEM
 */
int vp_simconf_offer_build(char **sdpp,
			   const struct vp_simconf_offer_params *p);

#endif
