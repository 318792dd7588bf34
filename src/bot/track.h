/* SPDX-License-Identifier: MIT */
/**
 * @file track.h  One participant's audio stream: RTP in, PCM blocks out to
 * the io thread. jb (reorder, loss vs DTX) -> opus (decode, FEC, PLC) ->
 * timeline (RTP ts -> samples, wall clock) -> gate check per frame -> io.
 * A new SSRC for the same source continues the same stream.
 *
 * Bounded by the arrival clock: nothing is placed on the timeline beyond
 * sample_at(latest arrival or poll time) + VP_TRACK_LEAD_MS. A DTX gap or a
 * lost span whose fill would run past that is not filled: the stream
 * restarts at the packet's arrival time (as for a new SSRC), so a forged
 * timestamp jump costs nothing on disk. With a gate that can close, each
 * packet is tagged with the gate's open epoch as it arrives: PCM whose
 * packet arrived while the gate was closed, or in an earlier epoch (held
 * in the jitter buffer across a close and reopen), is dropped when it
 * leaves the jitter buffer, as is a fill or concealment between two packets
 * of different epochs; PCM that arrived while open is held until the clock
 * has passed its timeline position, so a gate closing at sample S keeps
 * every sample placed at or after S off the disk. The first block written
 * in a new epoch starts a new chunk, so no chunk spans a closure.
 */
#ifndef VP_BOT_TRACK_H
#define VP_BOT_TRACK_H

#include "media/timeline/timeline.h"
#include "src/bot/io_thread.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct vp_track;
struct vp_rtp_pkt;

/** How far a stream may run ahead of its arrival clock (sender clock drift,
 *  jitter, a burst at the start): beyond it, samples are dropped (counted)
 *  until the clock catches up. */
#define VP_TRACK_LEAD_MS 1000

/** A stream that restarts further than this beyond the end of what it
 *  last wrote starts a new chunk there: the chunk writer does not fill a
 *  long absence with zeros (in one call, on the io thread). */
#define VP_TRACK_GAP_BREAK_MS 5000

/**
 * Gate check, asked as each packet arrives and for every frame: false
 * drops the frame (counted, never buffered). When open, *open_since is
 * the timeline sample where it last opened: audio placed before it (the
 * silence of a DTX gap that spans the closure) is dropped too; and *epoch
 * is how many times it has opened (1 from the first opening, so never 0
 * while open): a frame is written only in the epoch its packet arrived
 * in, and the first frame of a new epoch starts a new chunk.
 */
typedef bool(vp_track_gate_h)(void *arg, uint64_t *open_since, uint64_t *epoch);

struct vp_track_cfg {
	const char *id;	   /* stream id, e.g. "s1" */
	unsigned idx;	   /* io stream index */
	uint32_t rate;	   /* output rate */
	unsigned channels; /* 1 or 2 */
	uint64_t chunk_samples;
	uint64_t hold_ns;	/* jitter buffer hold (200 ms) */
	vp_track_gate_h *gateh; /* required: there is no "no gate" */
	void *gate_arg;
	/* the gate cannot close (replay's): PCM is written at once, nothing
	 * is held back for an exact close */
	bool gate_always_open;
};

struct vp_track_stats {
	uint64_t packets, bytes;
	uint64_t lost, fec, plc, dtx, dtx_samples;
	uint64_t duplicates, late, bad_payload, decode_errors;
	uint64_t samples;	   /* written (or queued) to disk */
	uint64_t gated_samples;	   /* dropped because the gate was closed
				    * (when their packet arrived, or now) */
	uint64_t io_overflow;	   /* dropped because the io ring was full */
	uint64_t restarts;	   /* re-anchored on arrival time (see below) */
	uint64_t unfilled_samples; /* DTX/loss spans beyond the arrival clock:
				    * counted, not filled */
	uint64_t overrun_samples;  /* placed beyond the arrival clock + lead:
				    * dropped */
	uint64_t first_sample;	   /* timeline position of the first sample */
	bool started;
	unsigned ssrcs; /* SSRCs seen (1 + restarts) */
	uint32_t last_ssrc;
};

/** @return 0, EINVAL (no gate, bad cfg), ENOMEM, or an errno from the io
 *  stream open */
int vp_track_alloc(struct vp_track **tp, const struct vp_track_cfg *cfg,
		   const struct vp_timeline *tl, struct vp_io *io);

/** One RTP packet of this stream (already parsed, payload borrowed). */
void vp_track_rtp(struct vp_track *t, uint32_t ssrc, uint16_t seq, uint32_t ts,
		  const uint8_t *payload, size_t len, uint64_t arrival_utc_ns);
/**
 * vp_track_rtp() for a packet whose sender is not present (has left):
 * it keeps the stream's sequence, so no loss is concealed over the
 * absence, but none of it reaches disk: its PCM, and any fill or
 * concealment next to it, is dropped as if the gate were closed.
 */
void vp_track_rtp_absent(struct vp_track *t, uint32_t ssrc, uint16_t seq,
			 uint32_t ts, const uint8_t *payload, size_t len,
			 uint64_t arrival_utc_ns);
/**
 * Before vp_track_rtp(): the packet's RFC 6464 audio level (extmap id
 * @p ext_id), if it carries one; it follows the packet's PCM to the io
 * thread for speech.jsonl (speech.h).
 */
void vp_track_level(struct vp_track *t, const struct vp_rtp_pkt *p,
		    uint8_t ext_id);
/** An RTCP sender report for one of its SSRCs (RFC 3550 §6.4.1). */
void vp_track_sr(struct vp_track *t, uint32_t ssrc, uint32_t ntp_sec,
		 uint32_t ntp_frac, uint32_t rtp_ts);
/** Let the jitter buffer give up on missing packets as time passes. */
void vp_track_poll(struct vp_track *t, uint64_t now_utc_ns);
/** Release everything held (end of stream or meeting). */
void vp_track_flush(struct vp_track *t);

const struct vp_track_stats *vp_track_stats(const struct vp_track *t);
/** The stream's entry for meeting.json: id and every counter. */
json_t *vp_track_stats_json(const struct vp_track *t);
const char *vp_track_id(const struct vp_track *t);

#endif
