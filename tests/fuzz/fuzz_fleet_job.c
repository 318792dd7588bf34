/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_fleet_job.c  A job entry as a worker reads it from Redis:
 * NUL-separated fields (k, v, k, v…); the first one is also tried as a
 * Redis address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/sched/redis.h"
#include "src/sched/redis_fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *kv[64];
	struct vp_sched_redis_addr a;
	struct vp_sched_fleet_job j;
	char err[256], *buf = malloc(n + 1);
	size_t k = 0, i, start = 0;

	if (!buf)
		return 0;
	memcpy(buf, d, n);
	buf[n] = '\0';
	for (i = 0; i <= n && k < 64; i++)
		if (buf[i] == '\0') {
			kv[k++] = buf + start;
			start = i + 1;
		}
	(void)vp_sched_redis_url_parse(&a, buf, err, sizeof(err));
	memset(&j, 0, sizeof(j));
	(void)vp_sched_fleet_job_decode(&j, kv, k);
	vp_sched_fleet_job_clear(&j);
	free(buf);
	return 0;
}
