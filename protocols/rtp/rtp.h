/* SPDX-License-Identifier: MIT */
/**
 * @file rtp.h  RTP packets (RFC 3550 §5.1), header extensions (RFC 8285)
 * and the client-to-mixer audio level (RFC 6464). Pure: no allocation,
 * parsers return borrowed views into the caller's buffer.
 *
 * The module's other headers: protocols/rtp/rtcp.h (RTCP compound parse,
 * RR+SDES build) and protocols/rtp/seq.h (per-source sequence, loss,
 * jitter and timestamp unwrapping).
 */
#ifndef VP_PROTOCOLS_RTP_RTP_H
#define VP_PROTOCOLS_RTP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Fixed RTP header length (RFC 3550 §5.1), without CSRCs or extension. */
#define VP_RTP_HDR_LEN 12
/** RFC 8285 §4.2: "defined by profile" value of the one-byte form. */
#define VP_RTP_EXT_ONE_BYTE 0xBEDE
/** RFC 8285 §4.3: two-byte form is 0x100 followed by 4 app bits. */
#define VP_RTP_EXT_TWO_BYTE	 0x1000
#define VP_RTP_EXT_TWO_BYTE_MASK 0xFFF0

/** One parsed RTP packet. All pointers borrow the parsed buffer. */
struct vp_rtp_pkt {
	uint8_t version; /**< always 2 after a successful parse */
	uint8_t pt;	 /**< payload type, 7 bits */
	uint8_t cc;	 /**< CSRC count, 0..15 */
	bool marker;
	bool padding; /**< P bit; the padding is already cut off payload */
	bool ext;     /**< X bit; ext_profile/ext_data/ext_len valid */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[15];
	uint16_t ext_profile;	 /**< 0xBEDE one-byte, 0x100x two-byte */
	const uint8_t *ext_data; /**< borrowed; extension body */
	size_t ext_len;		 /**< bytes, a multiple of 4 */
	const uint8_t *payload;	 /**< borrowed, padding removed */
	size_t payload_len;
};

/**
 * Parse an RTP packet (RFC 3550 §5.1, §5.3.1 extension, padding per §5.1 P).
 * @param p    filled on success only
 * @param buf  the packet (after SRTP unprotect)
 * @param len  bytes in buf
 * @return 0, EINVAL (p or buf NULL) or EBADMSG (truncated header, CSRCs
 *         or extension past the end, version != 2, padding count 0 or
 *         longer than the payload area)
 */
int vp_rtp_parse(struct vp_rtp_pkt *p, const uint8_t *buf, size_t len);

/**
 * Find a header extension element by its local id (RFC 8285 §4.2 one-byte
 * form, ids 1..14; §4.3 two-byte form, ids 1..255). Padding bytes (id 0)
 * are skipped; id 15 in the one-byte form ends the scan (§4.2).
 * @param p     a parsed packet
 * @param id    the local identifier negotiated with a=extmap
 * @param data  on success: the element's data (borrowed)
 * @param len   on success: its length in bytes (0 possible, two-byte form)
 * @return 0, ENOENT (no extension, another profile, or id not present),
 *         EBADMSG (an element runs past the extension block) or EINVAL
 *         (NULL argument, id 0, or id > 14 with the one-byte form)
 */
int vp_rtp_ext_find(const struct vp_rtp_pkt *p, uint8_t id,
		    const uint8_t **data, size_t *len);

/**
 * Read the RFC 6464 §3 client-to-mixer audio level.
 * @param p       a parsed packet
 * @param ext_id  the extmap id of urn:ietf:params:rtp-hdrext:ssrc-audio-level
 * @param voice   on success: the V flag (sender's voice activity)
 * @param level   on success: level in -dBov, 0 (loudest) .. 127 (silence)
 * @return 0, ENOENT (not present), EBADMSG (element is not exactly one
 *         byte, or the extension block is malformed) or EINVAL
 */
int vp_rtp_audio_level(const struct vp_rtp_pkt *p, uint8_t ext_id, bool *voice,
		       uint8_t *level);

/**
 * Write an RTP header: fixed part, p->cc CSRCs and, if p->ext, the
 * extension header plus p->ext_len bytes of p->ext_data. The P bit is
 * written as given; the caller appends payload and padding.
 * version is always written as 2; payload fields are ignored.
 * @return the header length, or 0 if p or buf is NULL, size is too small,
 *         cc > 15, pt > 127, or ext_len is not a multiple of 4 (or too
 *         long, or ext_data NULL with ext_len > 0)
 */
size_t vp_rtp_write_hdr(uint8_t *buf, size_t size, const struct vp_rtp_pkt *p);

#endif
