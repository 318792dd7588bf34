/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_rtcp.c  Fuzz the RTCP compound iterator and vp_rtcp_check;
 * every borrowed view it hands out is read end to end, and the framing
 * must tile the input exactly. Seeds: tests/fuzz/corpus/rtcp.
 */
#include "protocols/rtp/rtcp.h"

#include <errno.h>
#include <stdlib.h>

static volatile uint8_t sink;

static void touch(const void *v, size_t n)
{
	const uint8_t *b = v;

	for (size_t i = 0; i < n; i++)
		sink ^= b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	size_t covered = 0;
	int err;

	vp_rtcp_iter_init(&it, d, n);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0) {
		if (p.raw != d + covered || p.raw_len < 4 || p.raw_len % 4 ||
		    p.body_len > p.raw_len - 4)
			abort();
		covered += p.raw_len;
		touch(p.raw, p.raw_len);
		for (unsigned i = 0; i < p.cname_count; i++)
			touch(p.cname[i].cname, p.cname[i].len);
		touch(p.reason, p.reason_len);
		if (p.rb_count > 31 || p.bye_count > 31)
			abort();
	}
	if (err == ENOENT && covered != n)
		abort();
	if ((vp_rtcp_check(d, n, false) == 0) != (err == ENOENT && n > 0))
		abort();
	return 0;
}
