/* SPDX-License-Identifier: MIT */
/** @file fuzz_pcap.c  The capture's link/IP/UDP walk on arbitrary frames:
 * the first byte picks the link type, the rest is the frame. */
#include "src/bot/capture.h"

#include <pcap/dlt.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_RAW,    DLT_IPV4,      DLT_IPV6,
				   DLT_NULL,   DLT_LOOP};
	struct vp_capture_dgram dg;
	volatile uint8_t sink = 0;

	if (n < 1)
		return 0;
	if (vp_capture_udp(dlts[d[0] % 8], d + 1, n - 1, &dg) == 0 && dg.len)
		sink = dg.payload[dg.len - 1] ^ dg.payload[0];
	(void)sink;
	return 0;
}
