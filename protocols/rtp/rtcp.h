/* SPDX-License-Identifier: MIT */
/**
 * @file rtcp.h  RTCP compound packets (RFC 3550 §6.1): an iterator that
 * parses SR (§6.4.1), RR (§6.4.2), SDES CNAME (§6.5) and BYE (§6.6) and
 * skips other types, and a builder for an RR + SDES CNAME compound.
 * Pure: no allocation; text fields borrow the caller's buffer.
 */
#ifndef VP_PROTOCOLS_RTP_RTCP_H
#define VP_PROTOCOLS_RTP_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** RTCP packet types (RFC 3550 §12.1, RFC 4585, RFC 3611). */
enum vp_rtcp_type {
	VP_RTCP_NONE = 0, /**< zero value: nothing parsed */
	VP_RTCP_SR = 200,
	VP_RTCP_RR = 201,
	VP_RTCP_SDES = 202,
	VP_RTCP_BYE = 203,
	VP_RTCP_APP = 204,
	VP_RTCP_RTPFB = 205,
	VP_RTCP_PSFB = 206,
	VP_RTCP_XR = 207,
};

/** Counts are 5-bit fields, so at most 31 of anything per sub-packet. */
#define VP_RTCP_MAX_COUNT 31
/** SDES item type CNAME (RFC 3550 §6.5.1). */
#define VP_RTCP_SDES_CNAME 1

/** A report block (RFC 3550 §6.4.1), decoded. */
struct vp_rtcp_rb {
	uint32_t ssrc;	  /**< the source this block reports on */
	uint8_t fraction; /**< fraction lost since last report, /256 */
	int32_t lost;	  /**< cumulative lost, signed 24 bit */
	uint32_t ext_seq; /**< extended highest sequence number received */
	uint32_t jitter;  /**< interarrival jitter, timestamp units */
	uint32_t lsr;	  /**< middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;	  /**< delay since last SR, 1/65536 s */
};

/** Sender info of an SR (RFC 3550 §6.4.1). */
struct vp_rtcp_sr {
	uint32_t ntp_sec;
	uint32_t ntp_frac;
	uint32_t rtp_ts;
	uint32_t pkt_count;
	uint32_t octet_count;
};

/** One SDES chunk's CNAME (other items are skipped). */
struct vp_rtcp_cname {
	uint32_t ssrc;
	const char *cname; /**< borrowed, not NUL-terminated; NULL if none */
	size_t len;
};

/** One sub-packet of a compound packet. Only the fields of its type set. */
struct vp_rtcp_pkt {
	enum vp_rtcp_type type; /**< == pt for known types, else NONE */
	uint8_t pt;		/**< the raw packet type */
	uint8_t count;		/**< RC / SC / FMT field */
	const uint8_t *raw;	/**< borrowed: the whole sub-packet */
	size_t raw_len;		/**< bytes, with header and padding */
	const uint8_t *body;	/**< borrowed: after the 4-byte header */
	size_t body_len;	/**< bytes, padding removed */

	uint32_t ssrc;	      /**< SR/RR: packet sender SSRC */
	struct vp_rtcp_sr sr; /**< SR only */
	uint8_t rb_count;     /**< SR/RR */
	struct vp_rtcp_rb rb[VP_RTCP_MAX_COUNT];

	uint8_t cname_count; /**< SDES: one entry per chunk */
	struct vp_rtcp_cname cname[VP_RTCP_MAX_COUNT];

	uint8_t bye_count; /**< BYE: SSRC/CSRCs leaving */
	uint32_t bye_ssrc[VP_RTCP_MAX_COUNT];
	const char *reason; /**< BYE: borrowed, not NUL-terminated, or NULL */
	size_t reason_len;
};

/** Walks a compound packet. Zero-initialise, or use vp_rtcp_iter_init(). */
struct vp_rtcp_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	bool failed;
};

/** Start iterating over buf[0..len). */
void vp_rtcp_iter_init(struct vp_rtcp_iter *it, const uint8_t *buf, size_t len);

/**
 * Parse the next sub-packet. After EBADMSG the compound's framing cannot
 * be trusted, so every later call returns EBADMSG too.
 * @param it  iterator
 * @param p   filled on success only
 * @return 0, ENOENT (no more sub-packets), EINVAL (NULL argument) or
 *         EBADMSG (version != 2, length past the end or too short for
 *         its count, padding on a non-last packet or a bad padding count,
 *         packet type outside 192..223 (RFC 5761 §4), trailing bytes,
 *         truncated report blocks, SDES chunks or BYE reason)
 */
int vp_rtcp_iter_next(struct vp_rtcp_iter *it, struct vp_rtcp_pkt *p);

/**
 * Check a whole compound packet (RFC 3550 Appendix A.2): every sub-packet
 * parses. If first_must_be_report, the first one must be SR or RR (RFC
 * 5506 reduced-size RTCP lifts that rule).
 * @return 0, EINVAL or EBADMSG (also for an empty buffer)
 */
int vp_rtcp_check(const uint8_t *buf, size_t len, bool first_must_be_report);

/**
 * Build an RR (RFC 3550 §6.4.2) followed by an SDES with one CNAME chunk
 * (§6.5.1), the minimal compound of §6.1 for a receiver.
 * @param buf    output
 * @param size   its size (4 + 4 + 24 * n + 8 + cname_len + 4 is enough)
 * @param lenp   on success: bytes written
 * @param ssrc   our SSRC (the reporter)
 * @param rbs    report blocks (lost is clamped to 24-bit signed)
 * @param n      how many, 0..31
 * @param cname  our CNAME, 1..255 bytes, NUL-terminated
 * @return 0 or EINVAL (NULL argument, n > 31, bad cname, buffer too small)
 */
int vp_rtcp_rr_sdes_build(uint8_t *buf, size_t size, size_t *lenp,
			  uint32_t ssrc, const struct vp_rtcp_rb *rbs, size_t n,
			  const char *cname);

/** What the RTCP interval depends on (RFC 3550 §6.2, A.7). */
struct vp_rtcp_interval_in {
	unsigned members;     /**< session members, ourselves included */
	unsigned senders;     /**< members that sent RTP recently */
	double rtcp_bw;	      /**< RTCP bandwidth, octets/s (5 % of session) */
	bool we_sent;	      /**< we sent RTP since the last two reports */
	double avg_rtcp_size; /**< average compound size, octets, with UDP/IP */
	bool initial;	      /**< no RTCP packet sent yet */
};

/**
 * The time until the next RTCP packet (RFC 3550 A.7 rtcp_interval()):
 * members x average size / bandwidth share, at least 5 s (2.5 s before the
 * first packet: the standard minimum, not §6.2's reduced one), times a
 * random factor in [0.5, 1.5], divided by e - 3/2 (A.7's compensation for
 * timer reconsideration); so with few members it lies in [2.05, 6.16] s,
 * [1.03, 3.08] s initially.
 * @param in  the session's figures
 * @param u   a uniform random number in [0, 1] (clamped)
 * @return the interval in ns
 */
uint64_t vp_rtcp_interval_ns(const struct vp_rtcp_interval_in *in, double u);

#endif
