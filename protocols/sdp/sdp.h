/* SPDX-License-Identifier: MIT */
/**
 * @file sdp.h  SDP offers in (RFC 8866), recvonly Opus answers out
 * (RFC 8829 JSEP §5.3.1, RFC 8843 BUNDLE, RFC 7587 Opus). Pure: text in,
 * structs and text out; no sockets, no global state.
 */
#ifndef VP_PROTOCOLS_SDP_H
#define VP_PROTOCOLS_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** more m= lines than this: EBADMSG. A Janus VideoRoom subscription has
 *  one per audio publisher subscribed at once (protocols/sig caps those at
 *  the same number). */
#define VP_SDP_MAX_MEDIA 64
/** mids kept from the first BUNDLE group: all of them, since a mid left out
 *  would be answered on a transport of its own, which no SFU opens */
#define VP_SDP_MAX_BUNDLE VP_SDP_MAX_MEDIA
#define VP_SDP_MAX_CAND	  16   /**< candidates kept per m= line */
#define VP_SDP_MAX_SSRC	  8    /**< distinct a=ssrc values kept per m= line */
#define VP_SDP_MAX_LINE	  4096 /**< a longer line: EBADMSG */
#define VP_SDP_MAX_LEN	  (256 * 1024) /**< a longer SDP: EBADMSG */

/** Media direction, RFC 8866 §6.7; zero = inactive (nothing flows). */
enum vp_sdp_dir {
	VP_SDP_INACTIVE = 0,
	VP_SDP_SENDONLY,
	VP_SDP_RECVONLY,
	VP_SDP_SENDRECV,
};

/** a=setup, RFC 4145 §4 / RFC 5763 §5; zero = absent. */
enum vp_sdp_setup {
	VP_SDP_SETUP_NONE = 0,
	VP_SDP_SETUP_ACTPASS,
	VP_SDP_SETUP_ACTIVE,
	VP_SDP_SETUP_PASSIVE,
	VP_SDP_SETUP_HOLDCONN,
};

/** One m= line of a parsed SDP, in offer order. All strings NUL-ended. */
struct vp_sdp_media {
	char type[16];	     /**< "audio", "video", "application", … */
	uint16_t port;	     /**< from the m= line (9 for ICE) */
	bool rejected;	     /**< port 0 */
	char proto[32];	     /**< "UDP/TLS/RTP/SAVPF" */
	char fmt0[32];	     /**< first format token (echoed when rejecting) */
	char mid[32];	     /**< a=mid (RFC 8843 §14); "" when absent */
	enum vp_sdp_dir dir; /**< media-level, else session, else sendrecv */

	int opus_pt;		/**< -1 when no opus/48000 rtpmap */
	unsigned opus_channels; /**< from the rtpmap (1 if omitted) */
	bool opus_fec;		/**< fmtp useinbandfec=1 (RFC 7587 §6.1) */
	bool opus_stereo;	/**< fmtp stereo=1 */
	bool opus_sprop_stereo; /**< fmtp sprop-stereo=1 */
	bool opus_dtx;		/**< fmtp usedtx=1 */
	unsigned opus_maxplaybackrate; /**< 0 when absent */

	int ext_audio_level; /**< extmap id of ssrc-audio-level, or 0 */
	int ext_mid;	     /**< extmap id of sdes:mid, or 0 */
	bool rtcp_mux;	     /**< a=rtcp-mux (RFC 5761 §5.1.1) */

	char ufrag[257]; /**< ICE, RFC 8839 §5.4; media-level else session */
	char pwd[257];	 /**< never log this */
	char fp_alg[16]; /**< "sha-256" (lower case); media- else session */
	char fp[192];	 /**< "AB:CD:…" as offered (RFC 8122 §5) */
	enum vp_sdp_setup setup; /**< media-level else session-level */

	unsigned ncand; /**< candidates kept (extra ones are dropped) */
	char cand[VP_SDP_MAX_CAND][256]; /**< "candidate:…" without "a=" */
	bool end_of_candidates; /**< RFC 8840 §4.1.2, media or session */

	uint32_t ssrc[VP_SDP_MAX_SSRC]; /**< distinct a=ssrc ids, in order */
	unsigned nssrc;
	char cname[64]; /**< cname of the first a=ssrc that has one */
};

/** A parsed SDP. Allocated with vp_mem; release with vp_mem_deref(). */
struct vp_sdp_session {
	uint64_t sess_id, sess_version;	    /**< from o= (RFC 8866 §5.2) */
	char bundle[VP_SDP_MAX_BUNDLE][32]; /**< first a=group:BUNDLE mids */
	unsigned nbundle;
	bool ice_lite;
	unsigned nmedia;
	struct vp_sdp_media media[VP_SDP_MAX_MEDIA];
};

/**
 * Parse an SDP (an offer, or one of our answers). CRLF or LF line ends,
 * trailing blanks, unknown lines and attributes are accepted.
 * A malformed SDP is logged at warn with its reason (no attribute values).
 * @param sp   out: the session (vp_mem), written only on success
 * @param sdp  the text; need not be NUL-ended
 * @param len  its length
 * @return 0, EINVAL (NULL args), EBADMSG (malformed: no v=0 first, bad o=
 *         or m= line, line over VP_SDP_MAX_LINE, over VP_SDP_MAX_MEDIA m=
 *         lines, a NUL byte, duplicate mid, oversized value) or ENOMEM
 */
int vp_sdp_parse(struct vp_sdp_session **sp, const char *sdp, size_t len);

/**
 * vp_sdp_parse() that copies the reason of an EBADMSG into why instead of
 * logging it ("line 7: m= line without format").
 * @param why    out: reason on EBADMSG, "" otherwise (may be NULL)
 * @param whysz  size of why
 * @return as vp_sdp_parse()
 */
int vp_sdp_parse_why(struct vp_sdp_session **sp, const char *sdp, size_t len,
		     char *why, size_t whysz);

/**
 * Find the first usable audio m= line: not rejected, Opus offered, and the
 * peer sends (sendonly or sendrecv).
 * @param mp  out: borrowed pointer into s
 * @return 0, EINVAL or ENOENT
 */
int vp_sdp_opus_find(const struct vp_sdp_media **mp,
		     const struct vp_sdp_session *s);

/**
 * @return true if some non-rejected audio m= line offers opus/48000, so
 *         the bot can refuse an offer without Opus with a clear reason.
 */
bool vp_sdp_has_opus(const struct vp_sdp_session *s);

/**
 * Forget every a=ssrc id that more than one m= line announces. An SSRC
 * names one source in one RTP session (RFC 3550 §8); bundled m= lines share
 * a session (RFC 8843 §9.2), so such an id cannot tell whose packets they
 * are: the caller routes them by the MID header extension instead (or
 * counts them unknown), rather than handing one sender's audio to another.
 * @return how many distinct ids were dropped (0 for NULL)
 */
unsigned vp_sdp_drop_shared_ssrc(struct vp_sdp_session *s);

/** @return "inactive", "sendonly", "recvonly" or "sendrecv" */
const char *vp_sdp_dir_name(enum vp_sdp_dir dir);

/** Our side of the answer. Strings are borrowed for the call only. */
struct vp_sdp_answer_params {
	const char *ufrag;	 /**< 4..256 ice-chars (RFC 8839 §5.4) */
	const char *pwd;	 /**< 22..256 ice-chars */
	const char *fp_sha256;	 /**< our DTLS cert, "AB:CD:…" (32 bytes) */
	const char *const *cand; /**< "candidate:…" values (no "a="), or NULL */
	unsigned ncand;		 /**< 0: trickle later, no end-of-candidates */
	uint64_t sess_id, sess_version; /**< our o= line; bump version */
	bool stereo;			/**< ask for stereo=1 in the fmtp */
};

/**
 * Build a recvonly answer to an offer (RFC 8829 §5.3.1): one m= line per
 * offered m= line, same order and mids. Audio with Opus that the peer sends
 * is accepted recvonly with only the Opus PT; other audio with Opus is
 * answered inactive on port 9 (kept in BUNDLE); video, application and
 * audio without Opus are rejected (port 0). DTLS role: a=setup:active
 * (we are the DTLS client), or passive if the offer says setup:active.
 * Candidates and a=end-of-candidates go in the BUNDLE-tagged m= line (in
 * every accepted one when the offer has no BUNDLE group).
 * @param sdpp  out: NUL-ended answer text (vp_mem), only on success
 * @param offer the parsed offer
 * @param p     our ICE credentials, fingerprint, candidates, o= values
 * @return 0, EINVAL (NULL args, bad ufrag/pwd/fingerprint, a candidate
 *         with CR/LF) or ENOMEM
 */
int vp_sdp_answer(char **sdpp, const struct vp_sdp_session *offer,
		  const struct vp_sdp_answer_params *p);

#endif
