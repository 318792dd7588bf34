/* SPDX-License-Identifier: MIT */
/** @file redis_dispatch.h  Dispatch over Redis Streams (docs/fleet.md). */
#ifndef VP_SCHED_REDIS_DISPATCH_H
#define VP_SCHED_REDIS_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "src/sched/dispatch.h"

/**
 * The fleet dispatcher: jobs go to the Redis stream for workers
 * (`vpbot-sched worker`), outcomes come back from the results stream.
 * @param url        redis://HOST:PORT or unix:/PATH (redis.h)
 * @param grace_s    the config's grace_s (the job's max_duration_s holds
 *                   the meeting's end plus it)
 * @param scheduler  this scheduler's name (kept in the claim)
 * @return 0, EINVAL (bad url: logged) or ENOMEM; Redis need not be up
 */
int vp_sched_dispatch_redis(struct vp_sched_dispatch **dp, const char *url,
			    int64_t grace_s, const char *scheduler);

/**
 * How many instances the dispatcher remembers without a handle (outcomes
 * read ahead of a start); those a day past their end are forgotten at
 * start-up and then hourly.
 */
size_t vp_sched_dispatch_redis_remembered(const struct vp_sched_dispatch *d);

#endif
