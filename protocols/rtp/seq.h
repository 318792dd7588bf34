/* SPDX-License-Identifier: MIT */
/**
 * @file seq.h  Per-source receive statistics after RFC 3550 Appendix A:
 * sequence validity, wrap-around and extended sequence numbers (A.1),
 * expected / cumulative lost / interval fraction lost (A.3), interarrival
 * jitter (A.8); plus a 32-bit RTP timestamp unwrapper. Pure, no
 * allocation: embed struct vp_rtp_source in the owner (one per SSRC).
 */
#ifndef VP_PROTOCOLS_RTP_SEQ_H
#define VP_PROTOCOLS_RTP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "protocols/rtp/rtcp.h"

/** A.1 constants (the RFC's suggested values). */
#define VP_RTP_MAX_DROPOUT    3000
#define VP_RTP_MAX_MISORDER   100
#define VP_RTP_MIN_SEQUENTIAL 2

/**
 * State of one source. The fields mirror A.1's `source` struct; read them
 * through the getters below. Zero-initialised == vp_rtp_source_init().
 */
struct vp_rtp_source {
	bool started;		 /**< a first packet was seen */
	uint16_t max_seq;	 /**< highest seq number seen */
	uint32_t cycles;	 /**< shifted count of seq number cycles */
	uint32_t base_seq;	 /**< base seq number */
	uint32_t bad_seq;	 /**< last 'bad' seq number + 1 */
	uint32_t probation;	 /**< sequential packets till source valid */
	uint32_t received;	 /**< packets received (incl. duplicates) */
	uint32_t expected_prior; /**< packet expected at last interval */
	uint32_t received_prior; /**< packet received at last interval */
	bool have_transit;	 /**< jitter: a first transit time is known */
	uint32_t transit;	 /**< relative trans time for prev pkt */
	uint32_t jitter16;	 /**< jitter estimate, ts units * 16 */
};

/**
 * Sequence number extension (RFC 3550 A.1): the extended number whose low
 * 16 bits are @p seq and which lies nearest to @p ref (within -2^15 ..
 * 2^15 - 1). The one implementation of the arithmetic: the per-source
 * statistics below and the jitter buffer (media/jb) both use it; they
 * differ only in what they do with a number far from @p ref.
 * @param ref  an extended sequence number (e.g. the highest seen)
 * @param seq  a packet's 16-bit sequence number
 * @return the extended sequence number
 */
int64_t vp_rtp_seq_extend(int64_t ref, uint16_t seq);

/**
 * The same for a 32-bit RTP timestamp: the extended timestamp whose low
 * 32 bits are @p ts, nearest to @p ref (within -2^31 .. 2^31 - 1).
 */
int64_t vp_rtp_ts_extend(int64_t ref, uint32_t ts);

/** Reset a source to "nothing seen yet". */
void vp_rtp_source_init(struct vp_rtp_source *s);

/**
 * Account one received packet (RFC 3550 A.1 update_seq). The first
 * packet starts probation: the source becomes valid after
 * VP_RTP_MIN_SEQUENTIAL sequential packets, and the packets before that
 * are reported not valid. A jump larger than MAX_DROPOUT is not valid
 * unless the next packet follows it, which re-syncs (sender restart).
 * @param s        the source
 * @param seq      the packet's RTP sequence number
 * @param ext_seq  always written: the extended sequence number
 *                 (cycles * 65536 + seq). Monotonic within one sync; a
 *                 late packet from before a wrap gets the previous cycle,
 *                 so it may be negative before the first wrap. It restarts
 *                 from seq after a re-sync.
 * @return true if the packet is valid (count it / hand it on)
 */
bool vp_rtp_source_update(struct vp_rtp_source *s, uint16_t seq,
			  int64_t *ext_seq);

/**
 * Update the interarrival jitter (RFC 3550 A.8, §6.4.1) with one packet.
 * @param rtp_ts   the packet's RTP timestamp
 * @param arrival  its arrival time in the same clock rate (wraps freely)
 */
void vp_rtp_source_jitter(struct vp_rtp_source *s, uint32_t rtp_ts,
			  uint32_t arrival);
/** @return the jitter estimate in timestamp units (as sent in an RR) */
uint32_t vp_rtp_source_jitter_get(const struct vp_rtp_source *s);

/** @return extended highest sequence number received (A.3 extended_max) */
uint32_t vp_rtp_source_ext_max(const struct vp_rtp_source *s);
/** @return packets expected since the base (A.3), 0 before valid */
uint32_t vp_rtp_source_expected(const struct vp_rtp_source *s);
/** @return packets received since the base (duplicates count, A.3) */
uint32_t vp_rtp_source_received(const struct vp_rtp_source *s);
/** @return cumulative lost (A.3), clamped to signed 24 bits; may be < 0 */
int32_t vp_rtp_source_lost(const struct vp_rtp_source *s);
/**
 * Fraction lost since the previous call (A.3), in 1/256, and start a new
 * interval. Call once per report sent.
 */
uint8_t vp_rtp_source_fraction_lost(struct vp_rtp_source *s);

/**
 * Fill a report block for this source (RFC 3550 §6.4.1): fraction lost
 * (starts a new interval), cumulative lost, extended max, jitter. lsr and
 * dlsr are set to 0; the caller fills them from the last SR it received.
 */
void vp_rtp_source_rb_fill(struct vp_rtp_source *s, uint32_t ssrc,
			   struct vp_rtcp_rb *rb);

/**
 * Extend a 32-bit RTP timestamp to 64 bits, across wrap-around forwards
 * and backwards (a late packet from before the wrap). A timestamp is
 * taken to be within 2^31 of the highest one seen.
 * @param last_ext  state: 0 before the first call, then the highest
 *                  extended timestamp seen (updated here)
 * @param ts        the packet's timestamp
 * @return the extended timestamp. The first one is put in cycle 1
 *         (2^32 + ts) so late packets from before a wrap stay positive:
 *         only differences between results are meaningful.
 */
uint64_t vp_rtp_ts_unwrap(uint64_t *last_ext, uint32_t ts);

#endif
