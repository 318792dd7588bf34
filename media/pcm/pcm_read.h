/* SPDX-License-Identifier: MIT */
/**
 * @file pcm_read.h  Reading a meeting folder back, for tools that run after
 * the call (`vpbot export`, `vpbot verify`): one manifest line parsed
 * strictly, and one chunk file's header as it is on disk.
 *
 * Kept apart from pcm.h, which is the writer's contract: nothing here
 * writes, and both functions may run on any thread.
 */
#ifndef VP_MEDIA_PCM_READ_H
#define VP_MEDIA_PCM_READ_H

#include "media/pcm/pcm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest "file" value accepted in a manifest line. */
#define VP_PCM_FILE_MAX 256

/** One manifest line (pcm.h lists the keys). */
struct vp_pcm_line {
	char stream[VP_PCM_ID_MAX + 1];
	char file[VP_PCM_FILE_MAX]; /**< relative to the meeting folder */
	uint32_t seq;
	uint64_t start_sample;
	uint64_t samples;
	uint32_t rate;
	uint16_t channels;
	uint64_t bytes;	       /**< the whole file's size */
	uint64_t start_utc_ns; /**< 0 if absent */
	uint64_t gap_samples;
	uint64_t overlap_samples;
	bool recovered;
};

/**
 * Parse one manifest line. Required: stream (a valid stream id), file
 * (no "..", not absolute), seq, start_sample, samples, rate (> 0),
 * channels (1 or 2) and bytes, all non-negative integers in range; other
 * keys are optional (a line may carry more keys than we know).
 * @param l    out, written only on success
 * @param s    the line (a trailing newline is fine)
 * @param n    its length
 * @param why  out (optional): on EBADMSG, what is wrong, one phrase
 * @return 0, EINVAL or EBADMSG
 */
int vp_pcm_line_parse(struct vp_pcm_line *l, const char *s, size_t n, char *why,
		      size_t whysz);

/** A chunk file as found on disk. */
struct vp_pcm_chunk_info {
	char stream[VP_PCM_ID_MAX + 1]; /**< from its vpbt metadata */
	uint32_t seq;
	uint64_t start_sample;
	uint32_t rate;
	uint16_t channels;
	uint64_t data_off;   /**< first PCM byte */
	uint64_t data_bytes; /**< the data chunk's size field */
	uint64_t riff_bytes; /**< the RIFF size field */
	uint64_t file_bytes; /**< fstat size */
};

/**
 * Read a chunk's header (RIFF, fmt, vpbt metadata, data) from @p fd.
 * The sizes are reported as found, not checked against each other.
 * @return 0, EINVAL, EBADMSG (not a vpbot chunk) or a read errno
 */
int vp_pcm_chunk_probe(struct vp_pcm_chunk_info *ci, int fd);

#endif
