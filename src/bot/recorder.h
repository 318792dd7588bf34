/* SPDX-License-Identifier: MIT */
/**
 * @file recorder.h  One meeting's recording: the meeting folder and its
 * meeting.json, the io thread, the recording timeline and the streams
 * (one track each). Live join (bot*.c) and replay (replay.c) only feed it
 * RTP, RTCP sender reports and which participant a stream belongs to.
 *
 * It requires a gate, asked for every frame: there is no "no gate". Replay
 * passes vp_rec_gate_none, which is always open and says so in meeting.json
 * ("gate": "none (replay)"); the live bot passes the consent gate.
 *
 * meeting.json: the recorder writes the keys it owns (the folder's own,
 * the format, the timeline, `streams`, `status`, `gate`: the list is in
 * recorder.c); every other section is set by its one owner through
 * vp_rec_set(), which refuses a key the recorder owns. docs/design.md §5
 * lists the owners.
 */
#ifndef VP_BOT_RECORDER_H
#define VP_BOT_RECORDER_H

#include "src/bot/io_thread.h"
#include "src/bot/track.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/** Streams one recording holds, cumulative (participants of a live
 *  meeting, everyone who ever sent audio, or the Opus streams of a
 *  capture). Janus gives a rejoining publisher a fresh id, and so a new
 *  stream: the table grows in steps as streams open, and each stream keeps
 *  its decoder and buffers (about 100 KB) until the meeting ends, so the
 *  bound caps a churning meeting near 100 MB. Audio of a stream past it is
 *  dropped and said in status.warnings (docs/design.md §5). */
#define VP_REC_MAX_STREAMS VP_IO_MAX_STREAMS

struct vp_rec;

/** The gate a recorder requires. */
struct vp_rec_gate {
	vp_track_gate_h *open; /**< per frame; required */
	/** meeting.json "gate"; NULL (or a NULL return): no key yet */
	json_t *(*json)(void *arg);
	void *arg;
	/** cannot close (replay): nothing is held back for an exact close */
	bool always_open;
};

/** Replay's gate: always open; meeting.json "gate": "none (replay)". */
extern const struct vp_rec_gate vp_rec_gate_none;

struct vp_rec_cfg {
	const char *out;   /**< OUT: the meeting folder is OUT/ID */
	const char *id;	   /**< meeting id (vp_meeting_id_check) */
	uint32_t rate;	   /**< output rate */
	unsigned channels; /**< 1 or 2 */
	double chunk_seconds;
	bool offline;		 /**< replay: the io ring waits, never drops */
	struct vp_rec_gate gate; /**< required: gate.open must be set */
};

/**
 * Open (or reopen) the meeting folder, take its lock and write the first
 * meeting.json ("starting"). No io thread yet (vp_rec_start).
 * @return 0, EINVAL (bad id or cfg), EWOULDBLOCK (folder locked), ENOMEM,
 *         or an errno from the folder (vp_meeting_open)
 */
int vp_rec_open(struct vp_rec **rp, const struct vp_rec_cfg *cfg);
/** Start the io thread: from now on meeting.json is written off-thread.
 *  @return 0 or an errno (vp_io_start) */
int vp_rec_start(struct vp_rec *r);

const char *vp_rec_meeting_id(const struct vp_rec *r);

/**
 * Set a meeting.json section another part owns (source, policy,
 * participants, transport, capture, webhook, …). Takes VALUE. A VALUE
 * that is NULL or lost a member (an allocation failed while it was built:
 * vp_meeting_set) is refused, and saves fail until KEY is set in full.
 * @return 0, ENOMEM, or EINVAL for a key the recorder owns (VALUE is freed)
 */
#define vp_rec_set(r, key, value) (vp_rec__mark(r), vp_rec__set(r, key, value))
/* the failure count before VALUE is built (the comma orders the calls) */
void vp_rec__mark(struct vp_rec *r);
int vp_rec__set(struct vp_rec *r, const char *key, json_t *value);
/** vp_rec_set() for a VALUE built before the call: MARK is
 *  vp_mem_failures() taken before it was built. */
int vp_rec_set_built(struct vp_rec *r, const char *key, json_t *value,
		     unsigned long mark);
/** The section KEY as set, borrowed, to edit in place; NULL if none or
 *  the recorder's. An allocation that fails before the next vp_rec_set or
 *  save counts as a member lost from KEY (vp_rec_set). */
json_t *vp_rec_get(struct vp_rec *r, const char *key);

/** Sample 0 of the recording timeline at ORIGIN_UTC_NS (once; later calls
 *  are ignored). Streams can only be opened after it. */
void vp_rec_timeline_start(struct vp_rec *r, uint64_t origin_utc_ns);
bool vp_rec_timeline_started(const struct vp_rec *r);
/** Timeline sample at UTC; 0 before the timeline started. */
uint64_t vp_rec_sample_at(const struct vp_rec *r, uint64_t utc_ns);

/**
 * A new stream (next id in the folder: s1, s2…), for PARTICIPANT (NULL:
 * none, as in a replay), whose id is kept whole.
 * @param idx  out: its index, 0..VP_REC_MAX_STREAMS-1, in order of opening
 * @return 0, EAGAIN (no timeline yet), ENOSPC (VP_REC_MAX_STREAMS; the
 *         first one is a status warning), ENOMEM, or an errno from
 *         vp_track_alloc
 */
int vp_rec_stream_open(struct vp_rec *r, const char *participant,
		       unsigned *idx);
/** The stream of PARTICIPANT (the whole id), or -1 (also for NULL). */
int vp_rec_stream_find(const struct vp_rec *r, const char *participant);
const char *vp_rec_stream_id(const struct vp_rec *r, unsigned idx);
unsigned vp_rec_nstreams(const struct vp_rec *r);

/** One RTP packet of stream IDX (parsed, payload borrowed). */
void vp_rec_rtp(struct vp_rec *r, unsigned idx, uint32_t ssrc, uint16_t seq,
		uint32_t ts, const uint8_t *payload, size_t len,
		uint64_t arrival_utc_ns);
/** vp_rec_rtp() for a packet of a participant who has left: it keeps the
 *  stream's sequence but never reaches disk (vp_track_rtp_absent). */
void vp_rec_rtp_absent(struct vp_rec *r, unsigned idx, uint32_t ssrc,
		       uint16_t seq, uint32_t ts, const uint8_t *payload,
		       size_t len, uint64_t arrival_utc_ns);
/** An RTCP sender report for stream IDX (RFC 3550 §6.4.1). */
void vp_rec_sr(struct vp_rec *r, unsigned idx, uint32_t ssrc, uint32_t ntp_sec,
	       uint32_t ntp_frac, uint32_t rtp_ts);
/** The RFC 6464 audio level of a packet of stream IDX (who spoke when),
 *  before the packet itself (vp_track_level). */
void vp_rec_level(struct vp_rec *r, unsigned idx, const struct vp_rtp_pkt *p,
		  uint8_t ext_id);
/** Let every stream's jitter buffer give up on missing packets. */
void vp_rec_poll(struct vp_rec *r, uint64_t now_utc_ns);

/** Samples written (or queued) and dropped by the gate, all streams. */
uint64_t vp_rec_samples(const struct vp_rec *r);
uint64_t vp_rec_gated_samples(const struct vp_rec *r);

/** A second consumer of the PCM the chunk writers accept (live audio
 *  out, vp_io_set_tap); after vp_rec_start. @return 0 or an errno */
int vp_rec_tap(struct vp_rec *r, const struct vp_io_tap *tap);

/** A counter another part keeps in the final status (e.g.
 *  live_dropped_samples); KEY must not be one the recorder writes.
 *  @return 0, EINVAL or ENOMEM */
int vp_rec_status_count(struct vp_rec *r, const char *key, uint64_t n);

/** Add a line to status.warnings (also logged). */
void vp_rec_warn(struct vp_rec *r, const char *line);

/** Write meeting.json with `streams` and status.state = STATE (through
 *  the io thread while it runs). @return 0 or an errno */
int vp_rec_save(struct vp_rec *r, const char *state);

/**
 * End the recording: flush every stream, close its chunk, a last save
 * through the io thread, stop the io thread. Idempotent.
 * @return 0, or EIO when a chunk or meeting.json write failed (which and
 *         why: vp_rec_io_stats)
 */
int vp_rec_stop(struct vp_rec *r);
/** The io thread's final counts (zero before vp_rec_stop). */
const struct vp_io_stats *vp_rec_io_stats(const struct vp_rec *r);

/**
 * The final meeting.json: streams, gate, ended_utc and status
 * {state (finished/failed by CODE), exit_code, reason, io_overflow,
 * io_write_errors, warnings}, written now (blocking, after vp_rec_stop);
 * a full disk gets the space held in reserve. @return 0 or an errno
 */
int vp_rec_finish(struct vp_rec *r, int code, const char *reason);
/** Rewrite meeting.json as it is (after vp_rec_finish). */
int vp_rec_write(struct vp_rec *r);

/** Stop if needed, free the streams, release the folder. NULL is fine. */
void vp_rec_close(struct vp_rec *r);

#endif
