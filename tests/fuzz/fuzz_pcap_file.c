/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_pcap_file.c  The capture reader on a whole file (pcap or
 * pcapng through libpcap, then the link/IP/UDP walk). Input: the file.
 * Seeds: rtpgen captures (Ethernet, SLL, raw IP) cut short, and the
 * single-frame corpus of fuzz_pcap wrapped in pcap headers.
 *
 * Oracles (abort on violation): open answers a documented code; every
 * next is 0, ENOENT (end) or EBADMSG (a bad record), and nothing follows
 * the end; each datagram's payload fits the capture's snap length; the
 * counters add up: frames == udp + non_udp + malformed + fragments, and
 * udp is the number of datagrams handed out.
 */
#include "src/bot/capture.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "tests/fuzz/fuzz_tmp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static char path[128];

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_capture *cap = NULL;
	struct vp_capture_dgram dg;
	const struct vp_capture_stats *st;
	uint64_t got = 0;
	char err[256];
	FILE *f;
	int e;

	vp_log_set_level(VP_LOG_ERR);
	if (!path[0])
		snprintf(path, sizeof(path), "%s/in.pcap",
			 fuzz_tmp_dir("pcap"));
	f = fopen(path, "wb");
	ORACLE(f && fwrite(d, 1, n, f) == n);
	fclose(f);
	e = vp_capture_open(&cap, path, err, sizeof(err));
	ORACLE(e == 0 || e == EBADMSG || e == ENOMEM);
	if (e)
		return 0;
	while ((e = vp_capture_next(cap, &dg)) == 0) {
		ORACLE(dg.len <= 262144 && (dg.len == 0 || dg.payload));
		got++;
	}
	ORACLE(e == ENOENT || e == EBADMSG);
	if (e == ENOENT) /* nothing after the end (a bad record is no end) */
		ORACLE(vp_capture_next(cap, &dg) == ENOENT);
	st = vp_capture_stats(cap);
	ORACLE(st->udp == got);
	ORACLE(st->frames ==
	       st->udp + st->non_udp + st->malformed + st->fragments);
	vp_mem_deref(cap);
	return 0;
}
