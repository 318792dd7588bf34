/* SPDX-License-Identifier: MIT */
/**
 * @file marker.h  The frame-identification signal: every 20 ms frame j of
 * a marker clip holds two tones whose frequencies spell j mod 256 (low
 * nibble: 300 + 200·n Hz, high nibble: 3700 + 200·n Hz), faded in and out
 * over 1 ms, so each frame a bot wrote can be named after Opus encode,
 * loss, reorder, PLC and decode. The detector is tools/load/vpload/signal.py
 * (same constants); both ends need an output rate of at least 16 kHz.
 */
#ifndef VP_TOOLS_SIMCONF_MARKER_H
#define VP_TOOLS_SIMCONF_MARKER_H

#include <stdint.h>

#define VP_MARKER_FRAME	 960 /**< samples per frame at 48 kHz */
#define VP_MARKER_PERIOD 256 /**< ids repeat every 5.12 s */
#define VP_MARKER_LO0	 300.0
#define VP_MARKER_HI0	 3700.0
#define VP_MARKER_STEP	 200.0

/** Frequencies of frame j's two tones, Hz. */
void vp_marker_freqs(uint64_t j, double *lo, double *hi);

/** Write frame j (VP_MARKER_FRAME samples at 48 kHz), peak amplitude amp
 * (0..1, shared by the two tones). */
void vp_marker_frame(int16_t *pcm, uint64_t j, double amp);

#endif
