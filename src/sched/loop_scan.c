/* SPDX-License-Identifier: MIT */
/**
 * @file loop_scan.c  One scan in `run`: read the calendars, decide every
 * meeting, record it, say why (once per change) and write meeting.json
 * for those no bot joins (never over a bot's); withdraw what was cancelled or
 * vanished (only when every calendar was read: a feed that fails must not
 * cancel its meetings) and reschedule what moved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/mem.h"
#include "src/sched/decide.h"
#include "src/sched/loop.h"
#include "src/sched/loop_priv.h"
#include "src/sched/scan.h"

#define VP_LOG_MODULE "sched"
#include "src/core/log.h"

static void say(const struct vp_sched_meeting *m,
		const struct vp_policy_decision *d)
{
	char when[32];

	vp_sched_utc(when, sizeof(when), m->start);
	vp_log_info("meeting %s at %s (%zu calendar(s)): %s%s%s", m->id, when,
		    m->calendars.n, vp_policy_verdict_str(d->verdict),
		    d->verdict == VP_POLICY_RECORD ? "" : ": ",
		    d->verdict == VP_POLICY_RECORD ? "" : vp_policy_cause(d));
	for (unsigned i = 0; i < d->nreasons; i++)
		vp_log_info("meeting %s: reason %s", m->id, d->reasons[i]);
}

static void one(struct loop *l, struct vp_sched_meeting *m)
{
	struct vp_policy_decision d;
	struct vp_sched_row prev;
	const char *init, *verdict;
	bool had = !vp_sched_state_get(l->st, m->id, &prev);

	/* the gate logs every decision; a scan repeats them every minute,
	 * so here only a change is logged (say()), the gate's lines stay
	 * for the decision at dispatch */
	if (l->cfg->log_level < VP_LOG_DEBUG)
		vp_log_set_level(VP_LOG_WARN);
	vp_sched_decide(&d, m, l->settings);
	vp_log_set_level((enum vp_log_level)l->cfg->log_level);
	init = vp_sched__initial(m, &d);
	verdict = vp_policy_verdict_str(d.verdict);
	vp_sched_state_seen(l->st, m->id, m->uid, m->start, m->end, m->title,
			    verdict, init, l->now);
	if (!had || strcmp(prev.verdict, verdict) ||
	    (strcmp(prev.state, init) && !strcmp(init, "cancelled")))
		say(m, &d);
	if (had && !strcmp(prev.state, "running")) {
		if (prev.stop[0])
			return; /* already asked to leave */
		if (m->cancelled)
			vp_sched__stop_bot(l, &prev, "cancelled");
		else if (m->start - l->cfg->lead_s > l->now + 5)
			vp_sched__stop_bot(l, &prev, "moved");
		return;
	}
	if (had && prev.start != m->start && strcmp(init, "upcoming") == 0)
		vp_log_info("meeting %s moved: now starts %+llds from before",
			    m->id, (long long)(m->start - prev.start));
	if ((d.verdict != VP_POLICY_RECORD || m->cancelled) &&
	    (!had || strcmp(prev.verdict, verdict) || strcmp(prev.state, init)))
		vp_sched__write_decision(l, m, &d, had ? prev.attempts : 0);
}

static void gone(const struct vp_sched_row *r, void *arg)
{
	struct loop *l = arg;

	if (r->end <= l->now)
		return; /* over: not seen because it is in the past */
	if (!strcmp(r->state, "running")) {
		if (!r->stop[0])
			vp_sched__stop_bot(l, r, "cancelled");
		return;
	}
	vp_log_info("meeting %s: gone from every calendar: withdrawn", r->id);
	vp_sched_state_set(l->st, r->id, "cancelled", 0, -1);
}

void vp_sched__scan(struct loop *l)
{
	struct vp_sched_list next = {0};
	unsigned failed = 0;
	int64_t t0 = l->now;

	vp_mem_deref(l->settings);
	l->settings = vp_sched_settings(l->cfg);
	/* bots due while the feeds are read start from the last scan's
	 * meetings (l->cur): 30 slow feeds of 20 s each held them 10 min */
	if (vp_sched_scan_with(&next, l->cfg, l->feeds, t0, &failed,
			       vp_sched__between, l)) {
		vp_sched_list_clear(&next);
		vp_log_err("scan: out of memory");
		return;
	}
	vp_sched_list_clear(&l->cur);
	l->cur = next;
	vp_sched_state_begin(l->st);
	for (size_t i = 0; i < l->cur.n; i++)
		one(l, l->cur.v[i]);
	vp_sched_state_commit(l->st);
	if (failed)
		vp_log_warn("scan: %u of %zu calendar(s) failed; nothing is "
			    "withdrawn this time",
			    failed, l->cfg->ncals);
	else
		vp_sched_state_unseen(l->st, "upcoming,waiting,retry,running",
				      t0, gone, l);
	vp_log_debug("scan: %zu meeting(s) in the window", l->cur.n);
}
