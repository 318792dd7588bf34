/* SPDX-License-Identifier: MIT */
/** @file loop.h  `vpbot-sched run`: the lifecycle loop (loop.c). */
#ifndef VP_SCHED_LOOP_H
#define VP_SCHED_LOOP_H

#include <signal.h>
#include <stdbool.h>

#include "src/gate/settings.h"
#include "src/sched/config.h"

/**
 * Run until *stop is set: scan the calendars every scan_interval_s,
 * decide, dispatch at start - lead, reap, retry, withdraw. With
 * stop_bots, running bots get SIGTERM on the way out (else they go on
 * and a later scheduler adopts them).
 * @return 0, or an errno (state or job folder unusable)
 */
int vp_sched_run(const struct vp_sched_cfg *cfg, volatile sig_atomic_t *stop,
		 bool stop_bots);

/** Load the company settings of cfg; NULL (logged) when unavailable:
 *  the policy then fails closed. */
struct vp_settings *vp_sched_settings(const struct vp_sched_cfg *cfg);

#endif
