/* SPDX-License-Identifier: MIT */
/**
 * @file test_gate_live.c  The live gate (docs/design.md §6): opening, consent,
 * never-record, never_record_unverifiable, and errors that latch it closed.
 */
#include <errno.h>
#include <string.h>

#include "tests/unit/test_gate.h"

/* --------------------------------------------------------- live gate */

struct rec {
	int n;
	bool open[16];
	uint64_t at[16];
	char reason[16][160];
	int announced;
	const char *last_pid;
};

static void on_change(bool open, const char *reason, uint64_t at, void *arg)
{
	struct rec *r = arg;

	if (r->n < 16) {
		r->open[r->n] = open;
		r->at[r->n] = at;
		snprintf(r->reason[r->n], sizeof(r->reason[0]), "%s", reason);
	}
	r->n++;
}

static void on_announce(const char *pid, uint64_t at, void *arg)
{
	struct rec *r = arg;

	r->announced++;
	r->last_pid = pid;
}

/* A RECORD gate for the given consent mode and meeting facts (F(...)),
 * carol@example.com a never-record member. */
static struct vp_gate *live_facts(const char *mode, const char *fq,
				  struct rec *r)
{
	char q[1024];
	struct vp_settings *s;
	struct vp_meeting_facts *f;
	struct vp_policy_decision d;
	struct vp_gate *g = NULL;

	snprintf(q, sizeof(q),
		 "{'company_domains': ['example.com'], "
		 "'record_internal': true, 'record_external': true, "
		 "'recorded_members': 'all', 'members': [{'address': "
		 "'carol@example.com', 'data_capture': 'never'}], "
		 "'consent': {'mode': '%s'}}",
		 mode);
	s = settings(q);
	f = facts(fq);
	vp_policy_decide(&d, s, f);
	VT_EQ(VP_POLICY_RECORD, d.verdict);
	VT_EQ(0, vp_gate_alloc(&g, s, &d));
	vp_mem_deref(s); /* the gate keeps its own reference */
	vp_mem_deref(f);
	memset(r, 0, sizeof(*r));
	vp_gate_on_change(g, on_change, r);
	vp_gate_on_announce(g, on_announce, r);
	return g;
}

/* ... with carol not invited */
static struct vp_gate *live(const char *mode, struct rec *r)
{
	return live_facts(mode,
			  F(ALICE, EXTERNAL, "'x'", "false", "false", URL), r);
}

/* The last timeline entry's reason starts with `code`, and it is closed. */
static bool last_mark_is(const struct vp_gate *g, const char *code)
{
	json_t *t = vp_gate_timeline_json(g);
	json_t *m = json_array_get(t, json_array_size(t) - 1);
	const char *why = json_string_value(json_object_get(m, "reason"));
	bool ok = why && !strncmp(why, code, strlen(code)) &&
		  json_is_false(json_object_get(m, "open"));

	json_decref(t);
	return ok;
}

VTEST(gate_live_closed_before_start)
{
	struct rec r;
	struct vp_gate *g = live("none", &r);

	VT_EQ(0, vp_gate_participant_join(g, "p1", NULL, 0));
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(!vp_gate_is_open(g));
	VT_EQ(0, r.n);
	VT_EQ(0, vp_gate_start(g, 10));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(1, r.n);
	VT_EQ(10, r.at[0]);
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(0, r.announced); /* consent none: no announcement */
	vp_mem_deref(g);
}

VTEST(gate_live_enforced_late_consent)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	json_t *t;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(!vp_gate_is_open(g));
	VT_EQ(1, r.n);
	VT_TRUE(strncmp(r.reason[0], "consent_missing:", 16) == 0);
	VT_EQ(0, vp_gate_participant_join(g, "p2", "erin@customer.test", 960));
	VT_EQ(0, vp_gate_consent(g, "p1", true, 4800));
	VT_TRUE(!vp_gate_is_open(g)); /* p2 still has not consented */
	VT_EQ(0, vp_gate_consent(g, "p2", true, 9600));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(2, r.n);
	VT_TRUE(r.open[1]);
	VT_EQ(9600, r.at[1]);
	VT_EQ(2, r.announced); /* at start (to all) and at p2's join */
	t = vp_gate_timeline_json(g);
	VT_EQ(2, json_array_size(t));
	VT_EQ(9600, json_integer_value(
			    json_object_get(json_array_get(t, 1), "sample")));
	VT_TRUE(json_is_true(json_object_get(json_array_get(t, 1), "open")));
	VT_TRUE(json_is_false(json_object_get(json_array_get(t, 0), "open")));
	json_decref(t);
	vp_mem_deref(g);
}

VTEST(gate_live_never_record_mid_meeting)
{
	struct rec r;
	struct vp_gate *g = live("notify", &r);

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(vp_gate_is_open(g));
	/* the join closes the gate before their first frame can pass */
	VT_EQ(0, vp_gate_participant_join(g, "p9", "CAROL@Example.COM", 48000));
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(!vp_gate_is_open(g));
	VT_EQ(2, r.n);
	VT_EQ(48000, r.at[1]);
	VT_TRUE(strstr(r.reason[1], "never_record") &&
		strstr(r.reason[1], "p9"));
	/* consent does not lift never-record */
	VT_EQ(0, vp_gate_consent(g, "p9", true, 50000));
	VT_TRUE(!vp_gate_is_open(g));
	vp_gate_dropped_add(g, 3, 2880);
	VT_EQ(0, vp_gate_participant_leave(g, "p9", 96000));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(3, r.n);
	VT_EQ(96000, r.at[2]);
	VT_TRUE(vp_gate_is_open(g));
	{
		json_t *j = vp_gate_json(g);

		VT_EQ(2880, json_integer_value(
				    json_object_get(j, "dropped_samples")));
		VT_EQ(3, json_array_size(json_object_get(j, "timeline")));
		json_decref(j);
	}
	vp_mem_deref(g);
}

VTEST(gate_live_revocation_closes_at_once)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	int frames = 0;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_consent(g, "p1", true, 0));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(vp_gate_is_open(g));
	/* frames at 20 ms; the revocation arrives between frames 5 and 6 */
	for (uint64_t at = 0; at < 20 * 960; at += 960) {
		if (at == 6 * 960)
			VT_EQ(0, vp_gate_consent(g, "p1", false, at));
		if (vp_gate_is_open(g))
			frames++;
	}
	VT_EQ(6, frames);
	VT_TRUE(strncmp(vp_gate_reason(g), "consent_missing:", 16) == 0);
	VT_EQ(6 * 960, r.at[1]);
	vp_mem_deref(g);
}

VTEST(gate_live_unknown_participant)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);

	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(vp_gate_is_open(g)); /* nobody present yet */
	VT_EQ(0, vp_gate_participant_join(g, "janus-17", NULL, 100));
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(strncmp(r.reason[1], "consent_unknown:", 16) == 0);
	VT_EQ(0, vp_gate_consent(g, "janus-17", true, 200));
	VT_TRUE(vp_gate_is_open(g));
	vp_mem_deref(g);

	/* notify: an unknown participant does not close the gate */
	g = live("notify", &r);
	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(1, r.announced);
	VT_TRUE(r.last_pid == NULL);
	VT_EQ(0, vp_gate_participant_join(g, "janus-18", NULL, 100));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(2, r.announced);
	VT_STR_EQ("janus-18", r.last_pid);
	vp_mem_deref(g);
}

VTEST(gate_live_policy_keeps_closed)
{
	struct vp_settings *s = settings(S("false", "true", "'all'", ""));
	struct vp_meeting_facts *f =
		facts(F(ALICE, INTERNAL, "'x'", "false", "false", URL));
	struct vp_policy_decision d;
	struct vp_gate *g = NULL;
	struct rec r = {0};

	vp_policy_decide(&d, s, f);
	VT_EQ(0, vp_gate_alloc(&g, s, &d));
	vp_gate_on_change(g, on_change, &r);
	vp_gate_on_announce(g, on_announce, &r);
	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 5));
	VT_EQ(0, vp_gate_consent(g, "p1", true, 6));
	VT_TRUE(!vp_gate_is_open(g));
	VT_EQ(1, r.n); /* the start entry, closed, with the policy reason */
	VT_TRUE(!r.open[0]);
	VT_TRUE(strstr(r.reason[0], "policy_deny: internal_not_recorded"));
	VT_EQ(0, r.announced);
	vp_mem_deref(g);
	/* no settings at all: only a DENY decision is accepted */
	vp_policy_decide(&d, NULL, f);
	g = NULL;
	VT_EQ(0, vp_gate_alloc(&g, NULL, &d));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(!vp_gate_is_open(g));
	vp_mem_deref(g);
	d.verdict = VP_POLICY_RECORD;
	VT_EQ(EINVAL, vp_gate_alloc(&g, NULL, &d));
	vp_mem_deref(s);
	vp_mem_deref(f);
}

/* Every error on the gate's path latches it closed for good: a caller
 * that ignores the return value still cannot leave it open. */
VTEST(gate_live_errors_latch_closed)
{
	static const char *const cases[] = {"join twice",    "join no id",
					    "leave unknown", "consent unknown",
					    "start twice",   "vp_gate_fail"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r;
		struct vp_gate *g = live("notify", &r);
		int e = 0;

		VT_EQ(0,
		      vp_gate_participant_join(g, "p1", "bob@example.com", 0));
		VT_EQ(0, vp_gate_start(g, 0));
		VT_TRUE(vp_gate_is_open(g) && !vp_gate_failed(g));
		VT_TRUE(vp_gate_is_open(g));
		switch (i) {
		case 0:
			e = vp_gate_participant_join(g, "p1", NULL, 5);
			VT_EQ(EALREADY, e);
			break;
		case 1:
			VT_EQ(EINVAL, vp_gate_participant_join(g, "", NULL, 5));
			break;
		case 2:
			VT_EQ(ENOENT, vp_gate_participant_leave(g, "p2", 5));
			break;
		case 3:
			VT_EQ(ENOENT, vp_gate_consent(g, "p2", true, 5));
			break;
		case 4:
			VT_EQ(EALREADY, vp_gate_start(g, 5));
			break;
		default:
			VT_EQ(0, vp_gate_fail(g, ENOSPC, "table full", 5));
			break;
		}
		if (!vp_gate_failed(g) || vp_gate_is_open(g) ||
		    strncmp(vp_gate_reason(g), "gate_error:", 11) ||
		    !last_mark_is(g, "gate_error:") || r.n != 2 || r.open[1] ||
		    r.at[1] != 5)
			vtest_fail(__FILE__, __LINE__,
				   "case %s: not latched (%s)", cases[i],
				   vp_gate_reason(g));
		/* nothing reopens it: not a leave, a consent, a new join */
		VT_EQ(0,
		      vp_gate_participant_join(g, "p3", "dave@example.com", 9));
		VT_EQ(0, vp_gate_participant_leave(g, "p3", 10));
		VT_TRUE(!vp_gate_is_open(g));
		VT_TRUE(!vp_gate_is_open(g));
		VT_EQ(2, r.n);
		vp_mem_deref(g);
	}
	VT_EQ(EINVAL, vp_gate_fail(NULL, ENOMEM, "x", 0));
	VT_TRUE(vp_gate_failed(NULL));
}

/* Issue 10 item 11: a never-record member's join that runs out of memory
 * before the gate has registered them must not leave the gate open. Each
 * allocation of the join fails in turn. */
VTEST(gate_live_never_record_join_oom_closes)
{
	long k;

	for (k = 0; k < 100; k++) {
		struct rec r;
		struct vp_gate *g = live("notify", &r);
		int e;

		/* fill the table so the join must grow it (8 slots) */
		for (int i = 0; i < 8; i++) {
			char pid[8];

			snprintf(pid, sizeof(pid), "p%d", i);
			VT_EQ(0, vp_gate_participant_join(
					 g, pid, "bob@example.com", 0));
		}
		VT_EQ(0, vp_gate_start(g, 0));
		VT_TRUE(vp_gate_is_open(g));
		vp_mem_fail_after(k);
		e = vp_gate_participant_join(g, "carol", "carol@example.com",
					     960);
		vp_mem_fail_reset();
		VT_TRUE(!vp_gate_is_open(g));
		VT_TRUE(!vp_gate_is_open(g));
		if (e) {
			VT_EQ(ENOMEM, e);
			VT_TRUE(vp_gate_failed(g));
			VT_TRUE(last_mark_is(g, "gate_error:"));
			/* latched: carol was never registered, so a leave
			 * or anything else cannot reopen it */
			(void)vp_gate_participant_leave(g, "carol", 2000);
			VT_TRUE(!vp_gate_is_open(g));
		} else {
			VT_TRUE(!vp_gate_failed(g));
			VT_TRUE(!strncmp(vp_gate_reason(g),
					 "never_record:", 13));
		}
		vp_mem_deref(g);
		if (!e)
			break;
	}
	VT_TRUE(k >= 2 && k < 100); /* both of the join's allocations failed */
}

/* Opening allocates nothing that can fail (a timeline entry comes from
 * room kept ahead); every transition needs a timeline entry, and when its
 * growth fails the gate latches closed, and the spare slot still records
 * why. */
VTEST(gate_live_open_or_timeline_oom_latches)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	int i, e = 0;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_start(g, 0));
	vp_mem_fail_after(0);
	VT_EQ(0, vp_gate_consent(g, "p1", true, 10));
	vp_mem_fail_reset();
	VT_TRUE(vp_gate_is_open(g) && !vp_gate_failed(g));
	VT_EQ(0, vp_gate_consent(g, "p1", false, 20));
	VT_TRUE(!vp_gate_is_open(g));
	vp_mem_deref(g);

	/* toggle until the timeline must grow, and let that growth fail */
	g = live("enforced", &r);
	VT_EQ(0, vp_gate_participant_join_consented(g, "p1", "bob@example.com",
						    true, 0));
	VT_EQ(0, vp_gate_start(g, 0)); /* entry 1, open: then odd = open */
	for (i = 1; i < 100; i++) {
		VT_TRUE(vp_gate_is_open(g));
		vp_mem_fail_after(0); /* closing allocates nothing else */
		e = vp_gate_consent(g, "p1", false, (uint64_t)i * 10);
		vp_mem_fail_reset();
		if (e)
			break;
		VT_EQ(0, vp_gate_consent(g, "p1", true, (uint64_t)i * 10 + 5));
	}
	VT_EQ(ENOMEM, e);
	VT_TRUE(i > 5 && !vp_gate_is_open(g) && vp_gate_failed(g));
	VT_TRUE(last_mark_is(g, "gate_error:"));
	vp_mem_deref(g);
}

/* Issue 10 item 9: a never-record member is invited and the dialect gives
 * no identity (Janus: display names only): whoever we cannot identify may
 * be that member, so the gate stays closed in every consent mode. */
VTEST(gate_live_never_record_unverifiable)
{
	static const char *const modes[] = {"none", "notify", "enforced"};
	const char *fq = F(ALICE, "['carol@example.com', 'bob@example.com']",
			   "'x'", "false", "false", URL);

	for (size_t i = 0; i < 3; i++) {
		struct rec r;
		struct vp_gate *g = live_facts(modes[i], fq, &r);

		VT_EQ(0, vp_gate_participant_join_consented(
				 g, "p1", "bob@example.com", true, 0));
		VT_EQ(0, vp_gate_start(g, 0));
		VT_TRUE(vp_gate_is_open(g)); /* everyone present is known */
		VT_EQ(0, vp_gate_participant_join(g, "4284012330263173", NULL,
						  960));
		VT_TRUE(!vp_gate_is_open(g));
		VT_TRUE(!strncmp(vp_gate_reason(g),
				 "never_record_unverifiable: participant "
				 "4284012330263173 ",
				 56));
		/* consenting does not identify them */
		VT_EQ(0, vp_gate_consent(g, "4284012330263173", true, 1000));
		VT_TRUE(!vp_gate_is_open(g));
		VT_EQ(0,
		      vp_gate_participant_leave(g, "4284012330263173", 2000));
		VT_TRUE(vp_gate_is_open(g)); /* not an error: it reopens */
		VT_EQ(3, r.n);
		vp_mem_deref(g);
	}
}

/* The same unidentified participant without a never-record invitee: no
 * closure under none/notify (docs/design.md §6 has nothing to enforce). */
VTEST(gate_live_unverifiable_needs_never_record_invitee)
{
	struct rec r;
	struct vp_gate *g = live_facts(
		"none",
		F(ALICE, "['bob@example.com']", "'x'", "false", "false", URL),
		&r);

	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(0, vp_gate_participant_join(g, "4284012330263173", NULL, 5));
	VT_TRUE(vp_gate_is_open(g));
	vp_mem_deref(g);
}

/* The same, walked by the oom suite (vtest.c): one allocation of a
 * never-record member's join, then of her leave and a new join, fails at
 * a time and the rest succeed. While she is present the gate is closed;
 * afterwards it is open again only if no error
 * reached the gate, else latched closed with a gate_error reason. */
VTEST_OOM(gate_live_never_record_join_oom_walk)
{
	struct vp_gate *g;
	struct rec r;
	int e;

	VT_OOM_SKIP();
	g = live("notify", &r);
	for (int i = 0; i < 8; i++) { /* the join must grow the table */
		char pid[8];

		snprintf(pid, sizeof(pid), "p%d", i);
		VT_EQ(0,
		      vp_gate_participant_join(g, pid, "bob@example.com", 0));
	}
	VT_EQ(0, vp_gate_start(g, 0));
	VT_TRUE(vp_gate_is_open(g));
	VT_OOM_WALK();
	e = vp_gate_participant_join(g, "carol", "carol@example.com", 960);
	VT_OOM_SKIP();
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(e == 0 || (e == ENOMEM && vtest_oom_hit()));
	VT_TRUE(e == 0 ||
		(vp_gate_failed(g) && last_mark_is(g, "gate_error:")));
	VT_OOM_WALK();
	(void)vp_gate_participant_leave(g, "carol", 2000);
	(void)vp_gate_participant_join(g, "p9", "dave@example.com", 3000);
	VT_OOM_SKIP();
	VT_EQ(!vp_gate_failed(g), vp_gate_is_open(g));
	VT_TRUE(!vp_gate_failed(g) || last_mark_is(g, "gate_error:"));
	VT_TRUE(vp_gate_failed(g) || r.open[(r.n - 1) & 15]);
	vp_mem_deref(g);
}

/* A participant toggles consent by script (consent enforced): every
 * decision stays exact, but the timeline kept for meeting.json is
 * bounded. Its first entries are exact, one entry says how many marks it
 * stands for (and meeting.json's gate.timeline_merged), and the last is
 * always the current state. */
VTEST(gate_live_timeline_bounded_decisions_exact)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	json_t *t, *j, *sum, *last;
	const int n = 10000; /* 10,001 marks */
	size_t len;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_start(g, 0)); /* mark 1: closed */
	for (int i = 1; i <= n; i++) {
		VT_EQ(0, vp_gate_consent(g, "p1", i % 2, (uint64_t)i * 960));
		VT_EQ(i % 2, vp_gate_is_open(g)); /* exact, every time */
	}
	VT_EQ(n + 1, r.n); /* every change reported */
	VT_TRUE(!vp_gate_failed(g));
	t = vp_gate_timeline_json(g);
	len = json_array_size(t);
	VT_TRUE(len > 2 && len <= 256);
	VT_EQ(0, json_integer_value(
			 json_object_get(json_array_get(t, 0), "sample")));
	VT_EQ(960, json_integer_value(
			   json_object_get(json_array_get(t, 1), "sample")));
	sum = json_array_get(t, len - 2);
	last = json_array_get(t, len - 1);
	/* len - 2 exact marks (the first, closed, and 0..len-4 toggles),
	 * the summary, the newest */
	VT_EQ(n + 1 - (long long)(len - 2) - 1,
	      json_integer_value(json_object_get(sum, "merged")));
	VT_EQ((long long)(len - 2) * 960,
	      json_integer_value(json_object_get(sum, "sample")));
	VT_TRUE(json_is_false(json_object_get(sum, "open")));
	VT_TRUE(strncmp(json_string_value(json_object_get(sum, "reason")),
			"merged: ", 8) == 0);
	VT_EQ((long long)n * 960,
	      json_integer_value(json_object_get(last, "sample")));
	VT_TRUE(json_is_false(json_object_get(last, "open"))); /* n even */
	VT_TRUE(!json_object_get(last, "merged"));
	j = vp_gate_json(g);
	VT_EQ(json_integer_value(json_object_get(sum, "merged")),
	      json_integer_value(json_object_get(j, "timeline_merged")));
	VT_EQ(len, json_array_size(json_object_get(j, "timeline")));
	json_decref(t);
	json_decref(j);
	/* an error latch still gets its mark: the newest entry */
	VT_EQ(0, vp_gate_fail(g, EIO, "test", (uint64_t)(n + 1) * 960));
	VT_TRUE(last_mark_is(g, "gate_error:"));
	t = vp_gate_timeline_json(g);
	VT_EQ(len, json_array_size(t));
	json_decref(t);
	vp_mem_deref(g);
}
