/* SPDX-License-Identifier: MIT */
/** @file scan.c  One pass over every calendar; a failing one is reported
 *  and the others go on. */
#include "src/sched/scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VP_LOG_MODULE "sched"
#include "src/core/log.h"

static int one(struct vp_sched_list *out, const struct vp_sched_cfg *cfg,
	       const struct vp_sched_cal *cal, struct vp_sched_feed *feed,
	       int64_t now)
{
	struct vp_sched_fetch_opt fo = {
		.file = cal->file,
		.url = cal->url,
		.timeout_s = (long)cfg->feed_timeout_s,
		.max_bytes = (size_t)cfg->feed_max_bytes,
		.allow_http = getenv("VPBOT_SCHED_TEST_HTTP") != NULL};
	struct vp_sched_parse_opt po = {.owner = cal->owner,
					.assistant = cfg->assistant,
					.from = now,
					.to = now + cfg->lookahead_s,
					.max_instances = 10000};
	struct vp_sched_parse_stats st;
	char err[300];
	int fe, e = vp_sched_feed_read(feed, &fo, err, sizeof(err));

	if (e && !feed->body) {
		vp_log_warn("calendar %s: %s; its meetings are kept as they "
			    "were",
			    cal->label, err);
		return e;
	}
	if (e) /* go on with the last good copy, withdraw nothing */
		vp_log_warn("calendar %s: %s; using its last good copy",
			    cal->label, err);
	fe = e;
	e = vp_sched_ics_parse(out, feed->body, feed->len, &po, &st, err,
			       sizeof(err));
	if (e) {
		vp_log_warn("calendar %s: %s", cal->label, err);
		return e;
	}
	if (st.first_problem[0])
		vp_log_warn("calendar %s: %u unreadable line(s), %u event(s) "
			    "dropped; first: %s",
			    cal->label, st.warnings, st.dropped,
			    st.first_problem);
	vp_log_debug("calendar %s: %u events, %u instances in the window",
		     cal->label, st.events, st.instances);
	return fe;
}

int vp_sched_scan_with(struct vp_sched_list *out,
		       const struct vp_sched_cfg *cfg,
		       struct vp_sched_feed *feeds, int64_t now,
		       unsigned *failed, vp_sched_scan_between_h *between,
		       void *arg)
{
	int e;

	*failed = 0;
	for (size_t i = 0; i < cfg->ncals; i++) {
		e = one(out, cfg, &cfg->cals[i], &feeds[i], now);
		if (e == ENOMEM)
			return e;
		if (e)
			(*failed)++;
		if (between)
			between(arg);
	}
	vp_sched_list_sort(out);
	return 0;
}

int vp_sched_scan(struct vp_sched_list *out, const struct vp_sched_cfg *cfg,
		  struct vp_sched_feed *feeds, int64_t now, unsigned *failed)
{
	return vp_sched_scan_with(out, cfg, feeds, now, failed, NULL, NULL);
}
