/* SPDX-License-Identifier: MIT */
/**
 * @file audio.h  Audio sources for speak items, as 48 kHz mono 16-bit PCM:
 * tones, 16-bit mono WAV files (any rate, linearly resampled) and
 * espeak-ng speech; and the WAV writer for the --dump-dir files.
 */
#ifndef VP_TOOLS_SIMCONF_AUDIO_H
#define VP_TOOLS_SIMCONF_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/simconf/scenario.h"

#define VP_SIMCONF_RATE 48000

/** One speak item's PCM (vp_mem, shared read-only by meeting copies). */
struct vp_simconf_clip {
	int16_t *pcm;
	size_t n;      /**< samples at 48 kHz */
	size_t period; /**< > 0: pcm holds one period, repeated up to n */
};

/**
 * Render or load a speak item.
 * @param dir  folder a relative file path is resolved against
 * @param why  out: the reason on failure
 * @return 0, EINVAL, ENOENT (file unreadable, espeak-ng failed),
 *         EBADMSG (not a 16-bit mono PCM WAV) or ENOMEM
 */
int vp_simconf_clip_load(struct vp_simconf_clip **cp,
			 const struct vp_simconf_speak *sp, const char *dir,
			 char *why, size_t whysz);

/**
 * Parse a WAV in memory (RIFF, fmt PCM or EXTENSIBLE, 16 bit, mono) and
 * resample it to 48 kHz. A data size past the end (as espeak-ng --stdout
 * writes) is clamped to the bytes present.
 * @return 0, EINVAL, EBADMSG or ENOMEM
 */
int vp_simconf_clip_from_wav(struct vp_simconf_clip **cp, const uint8_t *b,
			     size_t len);

/** A 16-bit mono WAV written as it grows; sizes fixed on close. */
struct vp_simconf_wavout {
	FILE *f;
	uint32_t samples;
};

/** @return 0 or ENOENT */
int vp_simconf_wavout_open(struct vp_simconf_wavout *w, const char *path,
			   unsigned rate);
void vp_simconf_wavout_put(struct vp_simconf_wavout *w, const int16_t *pcm,
			   size_t n);
void vp_simconf_wavout_close(struct vp_simconf_wavout *w);

#endif
