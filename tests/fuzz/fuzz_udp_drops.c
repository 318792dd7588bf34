/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_udp_drops.c  Fuzz the /proc/net/udp table reader of
 * src/bot/udp_drops.c: any text parses or is skipped line by line, never
 * read past its end; the sum is bounded by what the lines could hold.
 * Seeds: tests/fuzz/corpus/udp_drops.
 */
#include "src/bot/udp_drops.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	/* inodes that the seeds use, and 0 */
	static const uint64_t inodes[] = {0, 12345, 4099921, 18446744073709551};
	uint64_t drops = 1;
	unsigned bad = 0;

	if (vp_udp_drops_parse((const char *)d, n, inodes, 4, &drops, &bad))
		abort();
	if (bad > n)
		abort();
	return 0;
}
