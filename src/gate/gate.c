/* SPDX-License-Identifier: MIT */
/**
 * @file gate.c  The live consent / never-record gate (docs/design.md §6).
 * State changes are applied synchronously by the event that causes them;
 * see gate.h for why that makes a revocation effective within one frame.
 */
#define VP_LOG_MODULE "gate"
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/gate_priv.h"

#define REASON_LEN 160
#define MARKS_CAP0 16
/* The most timeline entries kept (a power of two times MARKS_CAP0). A
 * participant who toggles consent by script would otherwise grow the
 * record, and the cost of every meeting.json rewrite with it, without
 * bound. Only the record is bounded: every decision is still made and
 * logged. */
#define MARKS_MAX 256

struct part {
	char *pid;
	bool known; /* identity given */
	bool never_record;
	bool consented;
};

struct mark {
	uint64_t sample;
	bool open;
	char reason[REASON_LEN];
};

struct vp_gate {
	/* --- Runs on: net thread (all but `open`) --- */
	struct vp_settings *s;
	struct vp_policy_decision d;
	bool started;
	bool failed; /* latched closed by an error: for good */
	char fail_why[REASON_LEN];
	atomic_bool open;
	char reason[REASON_LEN];
	struct part *parts;
	size_t nparts, capparts;
	struct mark *marks;
	size_t nmarks, capmarks;
	/* past MARKS_MAX: marks[MARKS_MAX - 2] stands for MERGED marks */
	uint64_t merged, merged_from, merged_to;
	bool merged_open; /* each merged mark was an open one */
	uint64_t dropped_frames, dropped_samples;
	vp_gate_change_h *changeh;
	void *change_arg;
	vp_gate_announce_h *announceh;
	void *announce_arg;
};

static void revoke(struct vp_gate *g)
{
	atomic_store(&g->open, false);
}

static void gate_destroy(void *arg)
{
	struct vp_gate *g = arg;

	g->changeh = NULL;
	g->announceh = NULL;
	revoke(g); /* a check that still holds the gate sees it shut */
	for (size_t i = 0; i < g->nparts; i++)
		vp_mem_deref(g->parts[i].pid);
	vp_mem_deref(g->parts);
	vp_mem_deref(g->marks);
	vp_mem_deref(g->s);
}

int vp_gate_alloc(struct vp_gate **gp, const struct vp_settings *s,
		  const struct vp_policy_decision *d)
{
	struct vp_gate *g;

	if (!gp || !d || (!s && d->verdict != VP_POLICY_DENY))
		return EINVAL;
	g = vp_mem_zalloc(sizeof(*g), gate_destroy);
	if (!g)
		return ENOMEM;
	atomic_init(&g->open, false);
	/* the timeline always has room for the mark of an error latch */
	g->marks = vp_mem_zalloc(MARKS_CAP0 * sizeof(*g->marks), NULL);
	if (!g->marks) {
		vp_mem_deref(g);
		return ENOMEM;
	}
	g->capmarks = MARKS_CAP0;
	/* settings are immutable; the second owner only reads them */
	g->s = vp_mem_ref((void *)s);
	g->d = *d;
	snprintf(g->reason, sizeof(g->reason),
		 "not_started: the bot has not started the gate");
	*gp = g;
	return 0;
}

void vp_gate_on_change(struct vp_gate *g, vp_gate_change_h *h, void *arg)
{
	if (!g)
		return;
	g->changeh = h;
	g->change_arg = arg;
}

void vp_gate_on_announce(struct vp_gate *g, vp_gate_announce_h *h, void *arg)
{
	if (!g)
		return;
	g->announceh = h;
	g->announce_arg = arg;
}

static struct part *find(const struct vp_gate *g, const char *pid)
{
	for (size_t i = 0; i < g->nparts; i++) {
		if (strcmp(g->parts[i].pid, pid) == 0)
			return &g->parts[i];
	}
	return NULL;
}

/* The first present participant who is never-record, or NULL. */
static const struct part *never_present(const struct vp_gate *g)
{
	for (size_t i = 0; i < g->nparts; i++) {
		if (g->parts[i].never_record)
			return &g->parts[i];
	}
	return NULL;
}

/* The first present participant without an identity, or NULL. */
static const struct part *unknown_present(const struct vp_gate *g)
{
	for (size_t i = 0; i < g->nparts; i++) {
		if (!g->parts[i].known)
			return &g->parts[i];
	}
	return NULL;
}

/* The live rows of docs/design.md §6: never-record, then consent. */
static bool evaluate_people(const struct vp_gate *g, char *why, size_t sz)
{
	const struct part *p = never_present(g);

	/* never-record first: it holds even if they consented */
	if (p) {
		snprintf(why, sz, "never_record: participant %.64s is present",
			 p->pid);
		return false;
	}
	/* an invited never-record member may be anyone we cannot
	 * identify; a display name is not an identity (fail closed) */
	p = g->d.never_record_invited ? unknown_present(g) : NULL;
	if (p) {
		snprintf(why, sz,
			 "never_record_unverifiable: participant %.48s has "
			 "no verified identity; a never-record member is "
			 "invited",
			 p->pid);
		return false;
	}
	for (size_t i = 0; g->d.consent == VP_CONSENT_ENFORCED && i < g->nparts;
	     i++) {
		p = &g->parts[i];
		if (!p->consented) {
			snprintf(why, sz,
				 "%s: participant %.64s has not consented",
				 p->known ? "consent_missing"
					  : "consent_unknown",
				 p->pid);
			return false;
		}
	}
	snprintf(why, sz, "open: every present participant may be recorded");
	return true;
}

/* Would the gate be open now? If not, why (first blocking condition). */
static bool evaluate(const struct vp_gate *g, char *why, size_t sz)
{
	if (g->failed) {
		snprintf(why, sz, "%s", g->fail_why);
		return false;
	}
	if (!g->started) {
		snprintf(why, sz, "not_started: the gate was not started");
		return false;
	}
	if (g->d.verdict != VP_POLICY_RECORD) {
		snprintf(why, sz, "policy_%s: %.120s",
			 vp_policy_verdict_str(g->d.verdict),
			 vp_policy_cause(&g->d));
		return false;
	}
	return evaluate_people(g, why, sz);
}

static int grow_marks(struct vp_gate *g)
{
	size_t cap = g->capmarks * 2 < MARKS_MAX ? g->capmarks * 2 : MARKS_MAX;
	struct mark *m = vp_mem_zalloc(cap * sizeof(*m), NULL);

	if (!m)
		return ENOMEM;
	memcpy(m, g->marks, g->nmarks * sizeof(*m));
	vp_mem_deref(g->marks);
	g->marks = m;
	g->capmarks = cap;
	return 0;
}

/*
 * The timeline is full: its last mark joins the merged span, and the new
 * mark takes its place. The first MARKS_MAX - 2 marks stay exact, one
 * entry stands for the span after them (how many, from when to when:
 * closed unless each merged mark was open, so a reader that looks for
 * closed spans never misses one), and the last is always the newest.
 */
static struct mark *merge_last(struct vp_gate *g)
{
	struct mark *sum = &g->marks[MARKS_MAX - 2];
	struct mark *last = &g->marks[MARKS_MAX - 1];

	if (!g->merged) { /* the summary takes the place of two marks */
		g->merged = 1;
		g->merged_from = sum->sample;
		g->merged_open = sum->open;
	}
	g->merged++;
	g->merged_to = last->sample;
	g->merged_open = g->merged_open && last->open;
	sum->sample = g->merged_from;
	sum->open = g->merged_open;
	snprintf(sum->reason, sizeof(sum->reason),
		 "merged: %llu gate changes from sample %llu to %llu, not "
		 "listed one by one (the timeline keeps %d entries)",
		 (unsigned long long)g->merged,
		 (unsigned long long)g->merged_from,
		 (unsigned long long)g->merged_to, MARKS_MAX);
	return last;
}

/* One slot is always kept spare for the mark of an error latch, so the
 * timeline says why the gate shut even when memory ran out; a full
 * timeline needs no memory (merge_last). */
static int add_mark(struct vp_gate *g, uint64_t at, bool open)
{
	struct mark *m;

	if (g->nmarks == MARKS_MAX) {
		m = merge_last(g);
	} else {
		if (!g->failed && g->nmarks + 1 >= g->capmarks &&
		    g->capmarks < MARKS_MAX && grow_marks(g))
			return ENOMEM;
		if (g->nmarks == g->capmarks)
			return ENOMEM;
		m = &g->marks[g->nmarks++];
	}
	m->sample = at;
	m->open = open;
	snprintf(m->reason, sizeof(m->reason), "%s", g->reason);
	return 0;
}

static int apply(struct vp_gate *g, uint64_t at, bool force_mark);

/*
 * Any error on the gate's path closes it for the rest of the meeting: a
 * participant the gate could not register, or a timeline entry it could
 * not write, leaves it not knowing who is present, and guessing "open"
 * would record a never-record member. The first error's reason stays.
 * @return err, so callers can `return latch(...)`
 */
static int latch(struct vp_gate *g, int err, const char *what, uint64_t at)
{
	if (g->failed)
		return err;
	g->failed = true;
	snprintf(g->fail_why, sizeof(g->fail_why),
		 "gate_error: %.80s (%s); closed for the rest of the meeting",
		 what, strerror(err));
	revoke(g); /* before anything else can fail */
	vp_log_err("gate %s", g->fail_why);
	(void)apply(g, at, true);
	return err;
}

/*
 * Re-evaluate after an event and apply the result. Closing never fails
 * and happens before anything else; opening needs a timeline entry, and
 * if that allocation fails the gate latches closed.
 */
static int apply(struct vp_gate *g, uint64_t at, bool force_mark)
{
	char why[REASON_LEN];
	bool want = evaluate(g, why, sizeof(why));
	bool was = atomic_load(&g->open);

	if (!want && was)
		revoke(g);
	if (want && !was)
		atomic_store(&g->open, true);
	memcpy(g->reason, why, sizeof(g->reason));
	if (want == was && !force_mark)
		return 0;
	/* the audit trail, then the timeline and the bot */
	vp_log_info("gate %s at_sample=%llu reason=\"%s\"",
		    want ? "open" : "closed", (unsigned long long)at, why);
	if (add_mark(g, at, want))
		return latch(g, ENOMEM, "could not extend the gate timeline",
			     at);
	if (g->changeh)
		g->changeh(want, why, at, g->change_arg);
	return 0;
}

int vp_gate_fail(struct vp_gate *g, int err, const char *what,
		 uint64_t at_sample)
{
	if (!g)
		return EINVAL;
	(void)latch(g, err ? err : EPROTO, what ? what : "caller error",
		    at_sample);
	return 0;
}

bool vp_gate_failed(const struct vp_gate *g)
{
	return !g || g->failed;
}

int vp_gate_start(struct vp_gate *g, uint64_t at_sample)
{
	if (!g)
		return EINVAL;
	if (g->started)
		return latch(g, EALREADY, "the gate was started twice",
			     at_sample);
	g->started = true;
	if (g->announceh && g->d.verdict == VP_POLICY_RECORD &&
	    g->d.consent != VP_CONSENT_NONE)
		g->announceh(NULL, at_sample, g->announce_arg);
	return apply(g, at_sample, true);
}

static int grow_parts(struct vp_gate *g)
{
	size_t cap = g->capparts ? g->capparts * 2 : 8;
	struct part *p;

	p = vp_mem_zalloc(cap * sizeof(*p), NULL);
	if (!p)
		return ENOMEM;
	if (g->nparts)
		memcpy(p, g->parts, g->nparts * sizeof(*p));
	vp_mem_deref(g->parts);
	g->parts = p;
	g->capparts = cap;
	return 0;
}

int vp_gate_participant_join(struct vp_gate *g, const char *pid,
			     const char *identity, uint64_t at_sample)
{
	return vp_gate_participant_join_consented(g, pid, identity, false,
						  at_sample);
}

int vp_gate_participant_join_consented(struct vp_gate *g, const char *pid,
				       const char *identity, bool consented,
				       uint64_t at_sample)
{
	const struct vp_settings_member *m;
	struct part *p;
	int err;

	if (!g)
		return EINVAL;
	if (!pid || !*pid)
		return latch(g, EINVAL, "a participant joined without an id",
			     at_sample);
	if (find(g, pid))
		return latch(g, EALREADY, "a participant id joined twice",
			     at_sample);
	if (g->nparts == g->capparts && grow_parts(g))
		return latch(g, ENOMEM, "could not register a participant",
			     at_sample);
	p = &g->parts[g->nparts];
	memset(p, 0, sizeof(*p));
	p->pid = vp_mem_strdup(pid);
	if (!p->pid)
		return latch(g, ENOMEM, "could not register a participant",
			     at_sample);
	g->nparts++;
	p->known = identity && *identity;
	m = p->known ? vp_settings_member_find(g->s, identity) : NULL;
	p->never_record = m && m->capture == VP_SETTINGS_CAPTURE_NEVER;
	p->consented = consented;
	vp_log_info("gate participant=%s joined known=%d never_record=%d "
		    "consented=%d",
		    pid, p->known, p->never_record, consented);
	err = apply(g, at_sample, false);
	if (g->announceh && g->started && g->d.verdict == VP_POLICY_RECORD &&
	    g->d.consent != VP_CONSENT_NONE)
		g->announceh(pid, at_sample, g->announce_arg);
	return err;
}

int vp_gate_participant_leave(struct vp_gate *g, const char *pid,
			      uint64_t at_sample)
{
	struct part *p;

	if (!g)
		return EINVAL;
	if (!pid)
		return latch(g, EINVAL, "a participant without an id left",
			     at_sample);
	p = find(g, pid);
	if (!p)
		return latch(g, ENOENT,
			     "a participant the gate does not know "
			     "left",
			     at_sample);
	vp_log_info("gate participant=%s left", pid);
	vp_mem_deref(p->pid);
	/* order does not matter: move the last one into the hole */
	*p = g->parts[--g->nparts];
	return apply(g, at_sample, false);
}

int vp_gate_consent(struct vp_gate *g, const char *pid, bool granted,
		    uint64_t at_sample)
{
	struct part *p;

	if (!g)
		return EINVAL;
	if (!pid)
		return latch(g, EINVAL, "consent without a participant id",
			     at_sample);
	p = find(g, pid);
	if (!p)
		return latch(g, ENOENT,
			     "consent for a participant the gate "
			     "does not know",
			     at_sample);
	vp_log_info("gate participant=%s consent=%s", pid,
		    granted ? "granted" : "revoked");
	p->consented = granted;
	return apply(g, at_sample, false);
}

bool vp_gate_is_open(const struct vp_gate *g)
{
	return g && atomic_load(&((struct vp_gate *)g)->open);
}

void vp_gate_dropped_add(struct vp_gate *g, uint64_t frames, uint64_t samples)
{
	if (!g)
		return;
	g->dropped_frames += frames;
	g->dropped_samples += samples;
}

const char *vp_gate_reason(const struct vp_gate *g)
{
	return g ? g->reason : "no_gate: no gate";
}

json_t *vp_gate_timeline_json(const struct vp_gate *g)
{
	json_t *a = json_array(), *o;

	for (size_t i = 0; a && g && i < g->nmarks; i++) {
		const struct mark *m = &g->marks[i];

		o = json_pack("{s:I, s:b, s:s}", "sample",
			      (json_int_t)m->sample, "open", m->open, "reason",
			      m->reason);
		/* the entry that stands for merged marks says how many */
		if (o && g->merged && i == MARKS_MAX - 2 &&
		    json_object_set_new(o, "merged",
					json_integer((json_int_t)g->merged))) {
			json_decref(o);
			o = NULL;
		}
		if (json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *parts_json(const struct vp_gate *g)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < g->nparts; i++) {
		const struct part *p = &g->parts[i];

		if (json_array_append_new(
			    a, json_pack("{s:s, s:b, s:b, s:b}", "pid", p->pid,
					 "known", p->known, "never_record",
					 p->never_record, "consented",
					 p->consented))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *vp_gate_json(const struct vp_gate *g)
{
	if (!g)
		return NULL;
	return json_pack("{s:b, s:b, s:s, s:I, s:I, s:o, s:o, s:I}", "open",
			 vp_gate_is_open(g), "failed", g->failed, "reason",
			 g->reason, "dropped_frames",
			 (json_int_t)g->dropped_frames, "dropped_samples",
			 (json_int_t)g->dropped_samples, "participants",
			 parts_json(g), "timeline", vp_gate_timeline_json(g),
			 "timeline_merged", (json_int_t)g->merged);
}
