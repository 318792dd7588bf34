/* SPDX-License-Identifier: MIT */
/**
 * @file jb.h  Jitter buffer: reorder, dedupe, too-late, loss versus DTX.
 *
 * Pure: packets and time come in as arguments, items go out through a
 * callback, strictly in sequence order. No threads, no clock reads.
 *
 * Extended numbers: the RTP sequence number (16 bits) and timestamp
 * (32 bits) are unwrapped to 64 bits. The first packet's extended values
 * are its wire values plus one cycle (2^16, 2^32), so a reordered packet
 * from just before it never goes negative; the low bits always equal the
 * wire values and only differences carry meaning.
 *
 * Hold rule: the head is released as soon as it is the next expected
 * sequence number. While a sequence gap exists the buffer waits until
 * (now - arrival of the oldest held packet) >= hold_ns, where now is the
 * latest arrival time or vp_jb_poll() time; then the whole gap up to the
 * next held packet is declared lost (one LOST item per missing number).
 *
 * Resync rule (sender restart, SSRC reuse): a packet more than `capacity`
 * sequence numbers ahead of the highest one seen flushes what is held
 * (as vp_jb_flush()) and restarts the sequence there, immediately. A packet
 * more than `capacity` behind is late; if the next packet continues it
 * (raw seq + 1), the sender is taken to have restarted backwards and the
 * buffer restarts at that second packet (the first is counted late). The
 * first item of a new sequence has `resync` set; its extended seq and ts
 * are moved forward (by whole cycles) so both stay monotonic, and the
 * consumer must re-anchor its timeline on it.
 */
#ifndef VP_MEDIA_JB_H
#define VP_MEDIA_JB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_jb;

/** Configuration. */
struct vp_jb_cfg {
	uint32_t capacity; /**< packets held at most, power of two (>= 2) */
	uint64_t hold_ns;  /**< longest wait for a missing packet (200 ms) */
	/** Hold the first packet hold_ns too: an earlier one that arrives by
	 *  then becomes the start instead of being late (jitter reorders the
	 *  first packets as well). Costs hold_ns of start-up latency once. */
	bool start_hold;
};

/** One received packet. */
struct vp_jb_in {
	uint16_t seq;	     /**< RTP sequence number (wire) */
	uint32_t ts;	     /**< RTP timestamp (wire) */
	uint64_t arrival_ns; /**< arrival time, any monotonic clock */
	uint32_t duration;   /**< samples at the RTP rate (from the Opus TOC) */
	const uint8_t *payload; /**< borrowed; the buffer copies it */
	size_t len;		/**< payload length (0 allowed) */
	uint64_t tag; /**< the caller's, opaque: released with the packet */
};

/** Kind of a released item; the zero value is the one without data. */
enum vp_jb_kind {
	VP_JB_LOST = 0, /**< a packet given up on: conceal `duration` */
	VP_JB_PACKET,	/**< a received packet */
};

/** One released item; valid only during the callback. */
struct vp_jb_item {
	enum vp_jb_kind kind;
	uint64_t seq;		/**< extended sequence number */
	uint64_t ts;		/**< extended timestamp (estimated if LOST) */
	uint32_t duration;	/**< samples; LOST: even split of the ts span */
	uint32_t dtx_gap;	/**< PACKET: silence samples before it (DTX) */
	bool resync;		/**< first item of a new sequence (restart) */
	uint64_t arrival_ns;	/**< PACKET: arrival time; LOST: 0 */
	const uint8_t *payload; /**< PACKET: borrowed; LOST: NULL */
	size_t len;
	uint64_t tag; /**< PACKET: vp_jb_in.tag as put; LOST: 0 */
};

/**
 * Release handler. It must not call back into the same buffer
 * (put, poll, flush or deref).
 */
typedef void(vp_jb_release_h)(const struct vp_jb_item *it, void *arg);

/** Counters; all only grow. */
struct vp_jb_stats {
	uint64_t received;    /**< vp_jb_put() calls with valid arguments */
	uint64_t released;    /**< PACKET items */
	uint64_t duplicates;  /**< seq seen again (held or released) */
	uint64_t late;	      /**< arrived after its seq was given up/passed */
	uint64_t lost;	      /**< LOST items */
	uint64_t dtx_gaps;    /**< PACKET items with dtx_gap > 0 */
	uint64_t dtx_samples; /**< sum of dtx_gap */
	uint64_t reorders;    /**< arrived below the highest seq, in time */
	uint64_t overflow;    /**< gaps given up early for lack of capacity */
	uint64_t resyncs;     /**< sequence restarts (see resync rule) */
};

/**
 * Create a jitter buffer.
 * @param jbp      receives the buffer (vp_mem_deref() to free)
 * @param cfg      configuration, copied
 * @param releaseh called for each released item, in sequence order
 * @param arg      handler argument
 * @return 0, EINVAL (NULL argument, capacity not a power of two >= 2 or
 *         above 32768) or ENOMEM
 */
int vp_jb_alloc(struct vp_jb **jbp, const struct vp_jb_cfg *cfg,
		vp_jb_release_h *releaseh, void *arg);

/**
 * Insert one packet; releases whatever is due (possibly this packet).
 * @return 0 (taken), EALREADY (duplicate: counted, dropped), ETIMEDOUT
 *         (late: counted, dropped), EINVAL (NULL argument) or ENOMEM
 *         (payload copy failed; nothing changed)
 */
int vp_jb_put(struct vp_jb *jb, const struct vp_jb_in *in);

/**
 * Advance the arrival clock to now_ns (ignored if earlier than the latest
 * arrival) and release what the hold rule allows.
 */
void vp_jb_poll(struct vp_jb *jb, uint64_t now_ns);

/** Release everything held, declaring the gaps between held packets lost. */
void vp_jb_flush(struct vp_jb *jb);

/** @return the counters (never NULL for a valid jb) */
const struct vp_jb_stats *vp_jb_stats(const struct vp_jb *jb);

#endif
