/* SPDX-License-Identifier: MIT */
/** @file fuzz_pcap.c  The capture's link/IP/UDP walk on arbitrary frames:
 * the first byte picks the link type, the rest is the frame.
 *
 * Oracles (abort on violation): a payload handed out lies inside the
 * frame; every answer is one of the documented codes; and a metamorphic
 * one: the input, wrapped as the payload of a well-formed IPv4/UDP
 * datagram under Ethernet, Linux cooked, raw IP or BSD loopback, comes
 * back exactly, with its ports. */
#include "src/bot/capture.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static uint8_t frame[16 + 20 + 8 + 65507];

/* link header for dlt into frame; returns its length */
static size_t link_hdr(int dlt)
{
	memset(frame, 0, 16);
	switch (dlt) {
	case DLT_EN10MB:
		frame[12] = 0x08; /* ethertype IPv4 */
		return 14;
	case DLT_LINUX_SLL:
		frame[14] = 0x08; /* protocol IPv4 */
		return 16;
	case DLT_NULL:
		frame[0] = 2; /* AF_INET, host order (little endian here) */
		return 4;
	default: /* DLT_RAW */
		return 0;
	}
}

static void wrapped(const uint8_t *d, size_t n, int dlt)
{
	struct vp_capture_dgram dg;
	size_t l = link_hdr(dlt), ulen = 8 + n, tot = 20 + ulen;
	uint8_t *ip = frame + l, *udp = ip + 20;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x7f\x00\x00\x01\x7f\x00\x00\x02", 8);
	udp[0] = 0x13, udp[1] = 0x88; /* 5000 */
	udp[2] = 0x17, udp[3] = 0x70; /* 6000 */
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, d, n);
	ORACLE(vp_capture_udp(dlt, frame, l + tot, &dg) == 0);
	ORACLE(dg.len == n && dg.sport == 5000 && dg.dport == 6000);
	ORACLE(n == 0 || !memcmp(dg.payload, d, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_RAW,    DLT_IPV4,      DLT_IPV6,
				   DLT_NULL,   DLT_LOOP};
	struct vp_capture_dgram dg;
	int e;

	if (n < 1)
		return 0;
	e = vp_capture_udp(dlts[d[0] % 8], d + 1, n - 1, &dg);
	ORACLE(e == 0 || e == ENOENT || e == EAGAIN || e == EBADMSG);
	if (e == 0)
		ORACLE(dg.payload >= d + 1 && dg.len <= n - 1 &&
		       dg.payload + dg.len <= d + n);
	if (n <= 65507) {
		wrapped(d, n, DLT_RAW);
		wrapped(d, n, DLT_EN10MB);
		wrapped(d, n, DLT_LINUX_SLL);
		wrapped(d, n, DLT_NULL);
	}
	return 0;
}
