/* SPDX-License-Identifier: MIT */
/** @file decide.h  Verdicts and meeting.json for meetings (decide.c). */
#ifndef VP_SCHED_DECIDE_H
#define VP_SCHED_DECIDE_H

#include "src/gate/policy.h"
#include "src/gate/settings.h"
#include "src/sched/sched.h"

/**
 * Decide m with settings s (NULL: DENY settings_missing, fail closed).
 * Never fails; the scheduler's own codes are appended to d's reasons.
 */
void vp_sched_decide(struct vp_policy_decision *d,
		     const struct vp_sched_meeting *m,
		     const struct vp_settings *s);

/** meeting.json of a meeting no bot joins. @return new ref or NULL */
json_t *vp_sched_meeting_json(const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d);

/** Write OUT/ID/meeting.json atomically. @return 0 or an errno */
int vp_sched_write_decision(const char *out, const struct vp_sched_meeting *m,
			    const struct vp_policy_decision *d);

#endif
