/* SPDX-License-Identifier: MIT */
/** @file loop_priv.h  Shared by loop.c and loop_scan.c. */
#ifndef VP_SCHED_LOOP_PRIV_H
#define VP_SCHED_LOOP_PRIV_H

#include "src/sched/config.h"
#include "src/sched/dispatch.h"
#include "src/sched/sched.h"
#include "src/sched/source.h"
#include "src/sched/state.h"

#define MAX_KIDS 4096

/** A bot this scheduler started (the dispatcher's handle). */
struct kid {
	char id[112];
	int64_t handle;
};

struct loop {
	const struct vp_sched_cfg *cfg;
	struct vp_sched_state *st;
	struct vp_sched_dispatch *disp;
	struct vp_sched_feed *feeds;
	struct vp_sched_list cur; /**< the last scan's meetings */
	struct vp_settings *settings;
	char owner[64];
	int64_t now, next_scan, beat, next_forget;
	struct kid kids[MAX_KIDS];
	size_t nkids;
};

/** The state a meeting starts in for this decision. */
const char *vp_sched__initial(const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d);
/** meeting.json for a meeting no bot joins (decide.h), unless a bot of
 *  an earlier attempt wrote one: a later verdict never replaces what
 *  happened. */
void vp_sched__write_decision(struct loop *l, const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d,
			      int64_t attempts);
/** Start the bots that are due; fail the rows whose meeting ended first. */
void vp_sched__due(struct loop *l);
/** Look after running rows without a bot of ours (adopted, or in
 *  another's folder) and fleet jobs whose outcome never came. */
void vp_sched__watch(struct loop *l);
/** What a tick does besides scanning (reap, due), between two calendars
 *  of a scan: arg is the loop. */
void vp_sched__between(void *arg);
/** Scan, decide, record; withdraw and reschedule (loop_scan.c). */
void vp_sched__scan(struct loop *l);
/** SIGTERM a running meeting's bot and remember why. */
void vp_sched__stop_bot(struct loop *l, const struct vp_sched_row *r,
			const char *why);
/** A bot of meeting id ended (code or signal). */
void vp_sched__ended(struct loop *l, const char *id, int code, int sig);

#endif
