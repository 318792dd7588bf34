/* SPDX-License-Identifier: MIT */
/** @file fuzz_job.c  The job file parser on arbitrary bytes. */
#include "src/bot/job.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_job j;
	char err[256];

	if (vp_job_parse(&j, (const char *)d, n, err, sizeof(err)) == 0)
		vp_job_free(&j);
	return 0;
}
