/* SPDX-License-Identifier: MIT */
/**
 * @file perf_capture.c  The RTP packets of a capture (perf_capture.h).
 */
#include "tools/perf/perf_capture.h"
#include "src/bot/capture.h"
#include "src/core/mem.h"

#include <stdio.h>
#include <stdlib.h>

size_t perf_capture_rtp(const char *path, size_t max, perf_rtp_h *h, void *arg)
{
	struct vp_capture *cap = NULL;
	struct vp_capture_dgram d;
	struct vp_rtp_pkt r;
	char err[256];
	size_t n = 0;

	if (vp_capture_open(&cap, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(65);
	}
	while (n < max && vp_capture_next(cap, &d) == 0) {
		if (d.len < 12 ||
		    (d.payload[1] >= 192 && d.payload[1] <= 223) ||
		    vp_rtp_parse(&r, d.payload, d.len))
			continue;
		if (h(&r, d.payload, d.len, arg))
			n++;
	}
	vp_mem_deref(cap);
	return n;
}
