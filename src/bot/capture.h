/* SPDX-License-Identifier: MIT */
/**
 * @file capture.h  UDP datagrams out of a pcap or pcapng file (libpcap), for
 * `vpbot replay`. The link-layer walk (Ethernet, 802.1Q, Linux cooked v1/v2,
 * raw IP, BSD loopback -> IPv4/IPv6 -> UDP) is a pure function, fuzzed.
 */
#ifndef VP_BOT_CAPTURE_H
#define VP_BOT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct vp_capture;

struct vp_capture_dgram {
	uint64_t ts_ns; /* capture time, ns since the Unix epoch */
	uint16_t sport, dport;
	const uint8_t *payload; /**< borrowed, valid until the next call */
	size_t len;
};

struct vp_capture_stats {
	uint64_t frames;    /* every record in the file */
	uint64_t udp;	    /* UDP datagrams handed out */
	uint64_t non_udp;   /* well-formed frames that are not UDP (skipped) */
	uint64_t malformed; /* truncated or inconsistent headers (skipped) */
	uint64_t fragments; /* IP fragments (not reassembled, skipped) */
};

/**
 * Open a capture file (pcap or pcapng).
 * @return 0, ENOENT (no such file), EBADMSG (not a capture or an unknown
 *         link type; err says which), ENOMEM
 */
int vp_capture_open(struct vp_capture **capp, const char *path, char *err,
		    size_t errsz);

/**
 * Next UDP datagram.
 * @return 0, ENOENT at the end, EBADMSG if the file is truncated mid-record
 *         (what came before stays valid)
 */
int vp_capture_next(struct vp_capture *cap, struct vp_capture_dgram *d);

const struct vp_capture_stats *vp_capture_stats(const struct vp_capture *cap);

/**
 * Find the UDP payload in one link-layer frame (pure).
 * @param dlt  pcap link type (DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
 *             DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP)
 * @return 0, ENOENT (well-formed but not UDP), EAGAIN (an IP fragment),
 *         EBADMSG (malformed), ENOTSUP (unknown link type)
 */
int vp_capture_udp(int dlt, const uint8_t *frame, size_t len,
		   struct vp_capture_dgram *d);

#endif
