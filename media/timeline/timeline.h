/* SPDX-License-Identifier: MIT */
/**
 * @file timeline.h  The meeting's one recording timeline (docs/design.md §5):
 * sample 0 is the first instant the gate opened, counted at the output rate
 * R. Each stream maps its RTP timestamps onto that timeline sample-exactly,
 * and gives the wall clock of any RTP timestamp (RTCP SR, else arrival).
 *
 * Pure: no clock is read here, every time is an argument. Both structs are
 * plain values the caller embeds (no allocation, nothing to free); their
 * fields are read-only outside timeline.c.
 */
#ifndef VP_MEDIA_TIMELINE_H
#define VP_MEDIA_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

/** RTP clock of Opus (RFC 7587 §4.1): always 48000, whatever is decoded. */
#define VP_TIMELINE_OPUS_CLOCK 48000u

/** The recording timeline of one meeting. */
struct vp_timeline {
	uint32_t rate;	    /**< output rate R, samples per second */
	uint64_t origin_ns; /**< UTC ns of sample 0 */
};

/** Where a wall-clock time came from; zero is the weaker claim. */
enum vp_timeline_src {
	VP_TIMELINE_SRC_ARRIVAL = 0, /**< first packet's arrival time */
	VP_TIMELINE_SRC_SR, /**< RTCP sender report (RFC 3550 §6.4.1) */
};

/** One stream's RTP-to-timeline mapping (one participant, any SSRC). */
struct vp_timeline_stream {
	const struct vp_timeline *tl; /**< borrowed; must outlive the stream */
	uint32_t clock;		      /**< RTP clock rate (48000 for Opus) */
	bool started;		      /**< a packet has been placed */
	uint32_t ssrc;		      /**< current SSRC */
	uint64_t first_ts;	      /**< ext ts of its first packet */
	uint64_t first_pos;	      /**< timeline sample of that packet */
	uint64_t first_arrival_ns;    /**< UTC ns that packet arrived */
	uint64_t end;		      /**< 1 + last sample placed so far */
	bool have_sr;		      /**< an SR was recorded ... */
	uint32_t sr_ssrc;	      /**< ... for this SSRC ... */
	uint32_t sr_ts;		      /**< ... with this RTP ts ... */
	uint64_t sr_utc_ns;	      /**< ... at this wall-clock time */
};

/**
 * Start a timeline.
 * @param tl         timeline to fill
 * @param rate       output rate R (> 0)
 * @param origin_ns  UTC ns of sample 0 (first instant the gate opened)
 * @return 0, or EINVAL (NULL or rate 0)
 */
int vp_timeline_init(struct vp_timeline *tl, uint32_t rate, uint64_t origin_ns);

/**
 * @return samples since the origin at R for a UTC time, rounded down;
 *         0 for a time before the origin (never negative).
 */
uint64_t vp_timeline_sample_at(const struct vp_timeline *tl, uint64_t utc_ns);

/**
 * Start a stream's mapping on a timeline.
 * @param s      stream to fill
 * @param tl     its timeline (borrowed)
 * @param clock  RTP clock rate; 0 means VP_TIMELINE_OPUS_CLOCK
 * @return 0, or EINVAL (NULL)
 */
int vp_timeline_stream_init(struct vp_timeline_stream *s,
			    const struct vp_timeline *tl, uint32_t clock);

/**
 * Place one packet (or decoded frame) on the timeline.
 *
 * The first packet of the stream lands at sample_at(arrival). Later packets
 * of the same SSRC land at first_pos + (ext_ts - first_ts) * R / clock,
 * exact integers rounded down (clamped at 0). A packet of any other SSRC is
 * a sender restart: it lands at max(end so far, sample_at(arrival)) and the
 * stream continues from there with that SSRC (the caller fills any gap).
 *
 * @param s           stream
 * @param ssrc        the packet's SSRC
 * @param ext_ts      its RTP timestamp, extended to 64 bits by the caller
 *                    (so a 32-bit wrap is already handled)
 * @param dur         its duration in timeline samples (at R), for `end`
 * @param arrival_ns  UTC ns it arrived (used for a first packet only)
 * @param posp        out: its first timeline sample
 * @return 0, or EINVAL (NULL)
 */
int vp_timeline_stream_place(struct vp_timeline_stream *s, uint32_t ssrc,
			     uint64_t ext_ts, uint32_t dur, uint64_t arrival_ns,
			     uint64_t *posp);

/**
 * Restart the stream's mapping at a timeline sample the caller chose (a
 * sender whose timestamps jumped further than elapsed arrival time allows,
 * or a new SSRC): packet @p ext_ts of @p ssrc lands at @p pos, and its wall
 * clock is its arrival time, or the wall clock of @p pos on the timeline
 * when that is later (so wall clocks never go backwards within a stream).
 * For the same SSRC, an SR recorded before is forgotten (it described the
 * old run); for a new SSRC, an SR of that SSRC that came first is kept.
 * @return 0, or EINVAL (NULL)
 */
int vp_timeline_stream_anchor(struct vp_timeline_stream *s, uint32_t ssrc,
			      uint64_t ext_ts, uint64_t arrival_ns,
			      uint64_t pos);

/**
 * @return UTC ns of timeline sample @p pos (the inverse of
 *         vp_timeline_sample_at(), rounded down)
 */
uint64_t vp_timeline_utc_of(const struct vp_timeline *tl, uint64_t pos);

/**
 * Record an RTCP sender report (RFC 3550 §6.4.1: the NTP time and the RTP
 * timestamp of the same instant). The latest one wins. It is used for the
 * wall clock only while @p ssrc is the stream's current SSRC; it may arrive
 * before that SSRC's first packet.
 * @return 0, or EINVAL (NULL)
 */
int vp_timeline_stream_sr(struct vp_timeline_stream *s, uint32_t ssrc,
			  uint32_t ntp_sec, uint32_t ntp_frac, uint32_t rtp_ts);

/**
 * Wall clock of an RTP timestamp of the current SSRC.
 *
 * With an SR of the current SSRC: sr_utc + (ts - sr_ts) / clock, the
 * difference taken signed on 32 bits (valid within ±12 h at 48 kHz).
 * Otherwise: first_arrival + (ext_ts - first_ts) / clock (signed).
 * Results before the epoch clamp to 0.
 *
 * @param s      stream
 * @param ext_ts RTP timestamp extended to 64 bits
 * @param srcp   out (optional): which source was used
 * @return UTC ns; 0 before the stream's first packet
 */
uint64_t vp_timeline_stream_utc(const struct vp_timeline_stream *s,
				uint64_t ext_ts, enum vp_timeline_src *srcp);

#endif
