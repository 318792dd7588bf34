/* SPDX-License-Identifier: MIT */
/** @file scan.h  One pass over every calendar (scan.c). */
#ifndef VP_SCHED_SCAN_H
#define VP_SCHED_SCAN_H

#include "src/sched/config.h"
#include "src/sched/sched.h"
#include "src/sched/source.h"

/**
 * Read every calendar (feeds[i] for cfg->cals[i] keeps the ETag and the
 * last good body) and collect the meetings overlapping
 * [now, now + lookahead], merged by id and sorted by start. A calendar
 * that fails is logged by its label (never its URL) and counted in
 * *failed; the others go on.
 * @return 0 or ENOMEM
 */
int vp_sched_scan(struct vp_sched_list *out, const struct vp_sched_cfg *cfg,
		  struct vp_sched_feed *feeds, int64_t now, unsigned *failed);

/** Called between two calendars of a scan (a slow feed must not hold up
 *  the bots due meanwhile). */
typedef void(vp_sched_scan_between_h)(void *arg);

/** vp_sched_scan, calling @p between (if not NULL) after each calendar. */
int vp_sched_scan_with(struct vp_sched_list *out,
		       const struct vp_sched_cfg *cfg,
		       struct vp_sched_feed *feeds, int64_t now,
		       unsigned *failed, vp_sched_scan_between_h *between,
		       void *arg);

#endif
