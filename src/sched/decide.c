/* SPDX-License-Identifier: MIT */
/**
 * @file decide.c  A meeting's verdict: src/gate's policy on its facts,
 * then the scheduler's own grounds, which can only lower the verdict:
 *   cancelled             STATUS:CANCELLED                  -> DENY
 *   declined              every owner who has it declined   -> DENY
 *   all_day               an all-day entry is not a meeting  -> DENY
 *   transparent           TRANSP:TRANSPARENT (shown free)    -> DENY
 *   unsupported_platform  a Zoom/Meet/Teams… link, no
 *                         supported invite                   -> METADATA_ONLY
 * and writes meeting.json for a meeting no bot joins (docs/design.md §8).
 */
#include "src/sched/decide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/mem.h"

static void lower_to(struct vp_policy_decision *d, enum vp_policy_verdict v,
		     const char *code, const char *text)
{
	unsigned i = d->nreasons;

	if (i >= VP_POLICY_MAX_REASONS)
		i = VP_POLICY_MAX_REASONS - 1; /* ours outrank information */
	else
		d->nreasons++;
	snprintf(d->reasons[i], sizeof(d->reasons[i]), "%.40s: %.110s", code,
		 text);
	/* ours name the plainer ground: a cancelled meeting is "cancelled"
	 * before it is "internal"; a DENY is never raised to METADATA_ONLY */
	if (v <= d->verdict) {
		d->verdict = v;
		d->cause = i;
	}
}

void vp_sched_decide(struct vp_policy_decision *d,
		     const struct vp_sched_meeting *m,
		     const struct vp_settings *s)
{
	struct vp_meeting_facts *f = NULL;
	json_t *fj = vp_sched_facts_json(m);
	char *txt = fj ? vp_json_dumps(fj, JSON_COMPACT) : NULL;
	char err[256], buf[VP_POLICY_REASON_LEN];

	if (txt &&
	    vp_meeting_facts_parse(&f, txt, strlen(txt), err, sizeof(err)))
		f = NULL; /* policy says facts_missing: fail closed */
	vp_policy_decide(d, s, f);
	vp_mem_deref(f);
	free(txt);
	json_decref(fj);
	if (m->unsupported && !m->conference_url) {
		snprintf(buf, sizeof(buf),
			 "a %s link; vpbot does not speak "
			 "that platform",
			 m->unsupported);
		lower_to(d, VP_POLICY_METADATA_ONLY, "unsupported_platform",
			 buf);
	}
	if (m->transparent)
		lower_to(d, VP_POLICY_DENY, "transparent",
			 "shown as free (TRANSP:TRANSPARENT)");
	if (m->all_day)
		lower_to(d, VP_POLICY_DENY, "all_day",
			 "an all-day entry is not a meeting");
	if (m->calendars.n && m->declined >= m->calendars.n)
		lower_to(d, VP_POLICY_DENY, "declined",
			 "every member whose calendar has it declined it");
	if (m->cancelled)
		lower_to(d, VP_POLICY_DENY, "cancelled",
			 "the event is cancelled");
}

/* The facts as written to disk: the invite without its query (a token
 * or pin is a secret, docs/design.md §4). */
static json_t *facts_redacted(const struct vp_sched_meeting *m)
{
	json_t *f = vp_sched_facts_json(m);
	const char *u = m->conference_url;
	const char *q = u ? strchr(u, '?') : NULL;

	if (f && q)
		json_object_set_new(f, "conference_url",
				    json_stringn(u, (size_t)(q - u)));
	return f;
}

json_t *vp_sched_meeting_json(const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d)
{
	char s[32], e[32];
	json_t *cals = json_array();

	vp_sched_utc(s, sizeof(s), m->start);
	vp_sched_utc(e, sizeof(e), m->end);
	for (size_t i = 0; cals && i < m->calendars.n; i++)
		json_array_append_new(cals, json_string(m->calendars.v[i]));
	return json_pack(
		"{s:s, s:{s:s, s:s, s:o}, s:{s:s, s:s}, s:o*, "
		"s:o*, s:{s:s, s:s?}}",
		"meeting", m->id, "source", "kind", "calendar", "uid", m->uid,
		"calendars", cals ? cals : json_array(), "scheduled",
		"start_utc", s, "end_utc", e, "facts", facts_redacted(m),
		"policy", vp_policy_decision_json(d), "status", "state",
		d->verdict == VP_POLICY_METADATA_ONLY ? "imported_as_metadata"
						      : "not_joined",
		"reason",
		d->verdict == VP_POLICY_RECORD ? NULL : vp_policy_cause(d));
}

int vp_sched_write_decision(const char *out, const struct vp_sched_meeting *m,
			    const struct vp_policy_decision *d)
{
	char dir[4096];
	json_t *j = vp_sched_meeting_json(m, d);
	char *txt =
		j ? vp_json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	int err;

	json_decref(j);
	if (!txt)
		return ENOMEM;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", out, m->id) >=
	    sizeof(dir)) {
		free(txt);
		return ENAMETOOLONG;
	}
	err = vp_fs_mkdir_p(dir);
	if (!err)
		err = vp_fs_write_atomic(dir, "meeting.json", txt);
	free(txt);
	return err;
}
