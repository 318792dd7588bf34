/* SPDX-License-Identifier: MIT */
/** @file marker.c  The frame-identification signal (marker.h). */
#include "tools/simconf/marker.h"

#include <math.h>

#define FADE 48 /* 1 ms at 48 kHz: keeps the frame edges from splattering */

void vp_marker_freqs(uint64_t j, double *lo, double *hi)
{
	unsigned id = (unsigned)(j % VP_MARKER_PERIOD);

	*lo = VP_MARKER_LO0 + VP_MARKER_STEP * (id & 15u);
	*hi = VP_MARKER_HI0 + VP_MARKER_STEP * (id >> 4);
}

void vp_marker_frame(int16_t *pcm, uint64_t j, double amp)
{
	double lo, hi;

	vp_marker_freqs(j, &lo, &hi);
	for (unsigned i = 0; i < VP_MARKER_FRAME; i++) {
		double t = (double)i / 48000.0, g = 1.0;
		unsigned e = i < VP_MARKER_FRAME - 1 - i
				     ? i
				     : VP_MARKER_FRAME - 1 - i;

		if (e < FADE)
			g = 0.5 - 0.5 * cos(M_PI * (double)e / FADE);
		pcm[i] = (int16_t)lrint(
			16383.0 * amp * g *
			(sin(2 * M_PI * lo * t) + sin(2 * M_PI * hi * t)));
	}
}
