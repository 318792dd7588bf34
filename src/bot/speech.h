/* SPDX-License-Identifier: MIT */
/**
 * @file speech.h  Who spoke when: per-stream speech segments on the
 * recording timeline, written to MDIR/speech.jsonl (README "Who spoke
 * when"), one line per finished segment:
 *
 *   {"stream":"s1","participant":"p1","start_sample":72000,
 *    "end_sample":168000,"rate":48000,"source":"energy"}
 *
 * end_sample is exclusive. Everything runs on the io thread (never the
 * net thread) and counts only audio that went to disk. "source" is
 * "rfc6464" for a stream whose packets carry the sender's RFC 6464 audio
 * levels (vp_speech_lv below), else "energy": an energy VAD on the PCM:
 * 10 ms frames, a frame is voiced when its RMS is above both -50 dBFS and
 * the stream's noise floor + 12 dB (the floor follows the quietest frames:
 * down at once, up by at most 3 dB/s). A segment opens on the first of two
 * voiced frames in a row and closes after 300 ms without one, at the end
 * of its last voiced frame; segments shorter than 60 ms are dropped
 * (clicks). A gap in the stream (the gate closed) ends the segment.
 */
#ifndef VP_BOT_SPEECH_H
#define VP_BOT_SPEECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_speech;

/** A finished segment [start, end) in timeline samples. */
typedef void(vp_speech_seg_h)(uint64_t start, uint64_t end, void *arg);

/**
 * One stream's detector.
 * @return 0, EINVAL (rate < 100 or channels not 1..2) or ENOMEM
 */
int vp_speech_alloc(struct vp_speech **sp, uint32_t rate, uint16_t channels,
		    vp_speech_seg_h *segh, void *arg);

/**
 * Feed PCM placed at timeline sample @p start (frames x channels,
 * interleaved). A block that does not follow the previous one ends the
 * open segment first.
 */
void vp_speech_feed(struct vp_speech *s, uint64_t start, const int16_t *pcm,
		    size_t frames);

/** The stream paused or ended: close an open segment. */
void vp_speech_flush(struct vp_speech *s);

/*
 * From RFC 6464 audio levels (speech_level.c): spans of the timeline,
 * each voiced or not. A packet's level byte (V << 7 | -dBov) is voiced by
 * vp_speech_level_voiced(): louder than -50 dBov (as the energy detector
 * asks more than -50 dBFS), and the V bit set or
 * -40 dBov or louder. Segments open after 40 ms voiced (at its start),
 * close 300 ms after the last voiced span (at its end); under 60 ms are
 * dropped; a span that does not follow the previous one ends the segment.
 */
struct vp_speech_lv;

bool vp_speech_level_voiced(uint8_t level);
/** @return 0, EINVAL or ENOMEM */
int vp_speech_lv_alloc(struct vp_speech_lv **sp, uint32_t rate,
		       vp_speech_seg_h *segh, void *arg);
void vp_speech_lv_feed(struct vp_speech_lv *s, uint64_t start, uint64_t n,
		       bool voiced);
void vp_speech_lv_flush(struct vp_speech_lv *s);

/* The meeting's recorder: a detector per io stream, speech.jsonl. A
 * stream whose packets carry RFC 6464 levels gets its segments from them
 * ("source": "rfc6464") from the first level that reaches disk on; the
 * others from the energy detector ("source": "energy"). */
struct vp_speech_rec;

/** io stream indexes it takes: at least VP_IO_MAX_STREAMS (io_thread.c
 *  checks it) */
#define VP_SPEECH_REC_MAX 1024

/**
 * Open (append to) MDIR/speech.jsonl, as vp_fs_open_below() does: a
 * link planted in its place is refused.
 * @return 0, EINVAL, ENOMEM, ELOOP, EMLINK, EPERM or the errno of open
 */
int vp_speech_rec_open(struct vp_speech_rec **rp, const char *mdir);

/** Stream @p idx (io index) is @p id at @p rate x @p channels. */
void vp_speech_rec_stream(struct vp_speech_rec *r, unsigned idx, const char *id,
			  uint32_t rate, uint16_t channels);
void vp_speech_rec_pcm(struct vp_speech_rec *r, unsigned idx, uint64_t start,
		       const int16_t *pcm, size_t frames);
/**
 * The RFC 6464 level of PCM that will come for [start, start + frames).
 * Runs on the thread that queues the PCM (the io thread's producer): it
 * only goes into a bounded ring, never waits, and is dropped when full.
 */
void vp_speech_rec_level_put(struct vp_speech_rec *r, unsigned idx,
			     uint64_t start, uint32_t frames, uint8_t level);
/** Io thread: take the levels queued so far (vp_speech_rec_pcm does it
 *  too); called while idle, so a long gate closure cannot fill the ring. */
void vp_speech_rec_levels(struct vp_speech_rec *r);
/** The stream's gate closed or it ended: its open segment is written. */
void vp_speech_rec_pause(struct vp_speech_rec *r, unsigned idx);
/**
 * meeting.json as saved: its "streams" give each stream's participant
 * (who is named in the lines written from then on).
 */
void vp_speech_rec_meta(struct vp_speech_rec *r, const char *meeting_json);

#endif
