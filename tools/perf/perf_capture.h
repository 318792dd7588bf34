/* SPDX-License-Identifier: MIT */
/**
 * @file perf_capture.h  The RTP packets of a capture, as the benchmarks
 * read them (replay_bench, floor_bench).
 */
#ifndef VP_TOOLS_PERF_CAPTURE_H
#define VP_TOOLS_PERF_CAPTURE_H

#include "protocols/rtp/rtp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One RTP packet: R parsed from the LEN bytes at BUF. @return taken */
typedef bool(perf_rtp_h)(const struct vp_rtp_pkt *r, const uint8_t *buf,
			 size_t len, void *arg);

/**
 * Call H for each RTP packet of the capture at PATH, in capture order,
 * until it has taken MAX; RTCP (payload types 192-223, RFC 5761 §4) and
 * what does not parse as RTP are skipped. Prints why and exits 65 when
 * PATH cannot be read as a capture.
 * @return packets taken
 */
size_t perf_capture_rtp(const char *path, size_t max, perf_rtp_h *h, void *arg);

#endif
