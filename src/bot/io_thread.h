/* SPDX-License-Identifier: MIT */
/**
 * @file io_thread.h  The io thread owns every chunk file of a meeting. The
 * net (or replay) thread hands it PCM through a bounded SPSC ring and never
 * blocks on disk: a full ring is counted as io_overflow (live) — or, for an
 * offline replay that has no clock to keep up with, waited out.
 */
#ifndef VP_BOT_IO_THREAD_H
#define VP_BOT_IO_THREAD_H

#include "media/pcm/pcm.h"

#include <stdbool.h>
#include <stdint.h>

/** Largest PCM block one message carries: 20 ms at 48 kHz mono (10 ms
 *  stereo), so a slot is ~2 KB and the ring holds seconds, not moments. */
#define VP_IO_MAX_SAMPLES 960

/** Stream indexes one io thread (and speech.jsonl, live out) takes: the
 *  bound of a meeting's streams (recorder.h, VP_REC_MAX_STREAMS). */
#define VP_IO_MAX_STREAMS 1024

struct vp_io;

struct vp_io_stats {
	uint64_t overflow;     /* blocks dropped: ring full (live mode) */
	uint64_t write_errors; /* chunk writes/fsyncs that failed */
	int last_error;	       /* errno of the last failure, 0 if none */
};

/**
 * Start the io thread for one meeting folder.
 * @param block_when_full  true for replay: wait for room instead of dropping
 * @return 0, ENOMEM, or an errno from opening the manifest
 */
int vp_io_start(struct vp_io **iop, const char *meeting_dir,
		bool block_when_full);

/* --- Producer side: one thread only --- */
/** Open stream `idx` (small integer chosen by the caller). */
int vp_io_stream_open(struct vp_io *io, unsigned idx,
		      const struct vp_pcm_writer_cfg *cfg);
/**
 * Queue `frames` PCM frames for stream idx starting at timeline sample
 * `start_sample`. frames * channels <= VP_IO_MAX_SAMPLES.
 * @return 0, or ENOSPC when the ring is full (counted) in live mode
 */
int vp_io_pcm(struct vp_io *io, unsigned idx, uint64_t start_sample,
	      const int16_t *pcm, uint32_t frames, uint64_t utc_ns,
	      enum vp_pcm_utc_src src, const struct vp_pcm_counts *delta);
/**
 * The RFC 6464 level (V << 7 | -dBov) of the PCM that will be queued for
 * stream idx at [start_sample, start_sample + frames): for speech.jsonl,
 * counted only where that PCM reaches disk. Never waits; dropped when its
 * ring is full.
 */
void vp_io_level(struct vp_io *io, unsigned idx, uint64_t start_sample,
		 uint32_t frames, uint8_t level);
/**
 * Finish the stream's chunk in progress and start a new writer, so the next
 * PCM may start anywhere (used when the gate reopens: nothing, not even
 * silence, is written for the time it was closed).
 */
int vp_io_stream_break(struct vp_io *io, unsigned idx);
int vp_io_stream_close(struct vp_io *io, unsigned idx);

/**
 * Have the io thread write meeting.json (vp_fs_write_atomic) with TEXT, a
 * malloc'd string it takes and frees. The newest wins: a TEXT the io
 * thread has not taken yet is replaced (freed), so at most one is queued
 * and a burst of saves makes few writes, the last with the newest state.
 * Never waits: with the ring full it is dropped (ENOSPC), as a later save
 * carries newer state anyway.
 */
int vp_io_meta(struct vp_io *io, char *text);

/*
 * A second consumer of exactly what the chunk writers write (live.h): each
 * handler runs on the io thread, right after the writer took the PCM, and
 * must never block. NULL handlers are skipped.
 */
typedef void(vp_io_tap_stream_h)(unsigned idx, const char *id, uint32_t rate,
				 uint16_t channels, void *arg);
typedef void(vp_io_tap_pcm_h)(unsigned idx, uint64_t start_sample,
			      const int16_t *pcm, uint32_t frames, void *arg);
typedef void(vp_io_tap_pause_h)(unsigned idx, void *arg);
typedef void(vp_io_tap_meta_h)(const char *meeting_json, void *arg);

struct vp_io_tap {
	vp_io_tap_stream_h *streamh; /**< a writer (re)opened: new contiguity */
	vp_io_tap_pcm_h *pcmh;	     /**< PCM the writer accepted */
	vp_io_tap_pause_h *pauseh;   /**< the writer closed (gate, end) */
	vp_io_tap_meta_h *metah;     /**< meeting.json as saved */
	void *arg;
};

/** Install @p tap (copied) for the PCM written from now on. */
int vp_io_set_tap(struct vp_io *io, const struct vp_io_tap *tap);

/** Finish every stream's chunk, stop and join the thread, free. */
void vp_io_stop(struct vp_io *io, struct vp_io_stats *final);

#endif
