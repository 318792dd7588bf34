/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_manifest_line.c  One manifest line as arbitrary bytes through
 * vp_pcm_line_parse(), the strict reader of `vpbot export` and `verify`.
 * Checks, besides "no crash": an accepted line has a valid stream id, a
 * relative file name that cannot leave the meeting folder, rate > 0 and
 * 1 or 2 channels; a refused one says why.
 */
#include "media/pcm/pcm_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_pcm_line l;
	char why[160] = "";
	int err = vp_pcm_line_parse(&l, (const char *)d, n, why, sizeof(why));

	if (err == EBADMSG) {
		if (!why[0])
			abort();
		return 0;
	}
	if (err)
		abort();
	if (!vp_pcm_stream_id_valid(l.stream) || l.file[0] == '/' ||
	    strstr(l.file, "..") || !l.rate || l.channels < 1 || l.channels > 2)
		abort();
	return 0;
}
