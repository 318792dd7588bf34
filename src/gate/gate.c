/* SPDX-License-Identifier: MIT */
/**
 * @file gate.c  The live consent / never-record gate (DESIGN.md §6).
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

struct vp_gate_grant {
	atomic_bool revoked; /* the only mutable field; any thread reads */
};

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
	/* --- Runs on: net thread (all but `open` and the grant flag) --- */
	struct vp_settings *s;
	struct vp_policy_decision d;
	bool started;
	atomic_bool open;
	struct vp_gate_grant *grant; /* non-NULL exactly while open */
	char reason[REASON_LEN];
	struct part *parts;
	size_t nparts, capparts;
	struct mark *marks;
	size_t nmarks, capmarks;
	uint64_t dropped_frames, dropped_samples;
	vp_gate_change_h *changeh;
	void *change_arg;
	vp_gate_announce_h *announceh;
	void *announce_arg;
};

static void revoke(struct vp_gate *g)
{
	atomic_store(&g->open, false);
	if (g->grant)
		atomic_store(&g->grant->revoked, true);
	g->grant = vp_mem_deref(g->grant);
}

static void gate_destroy(void *arg)
{
	struct vp_gate *g = arg;

	g->changeh = NULL;
	g->announceh = NULL;
	revoke(g); /* outstanding grants die with the gate: fail closed */
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

/* Would the gate be open now? If not, why (first blocking condition). */
static bool evaluate(const struct vp_gate *g, char *why, size_t sz)
{
	bool enforced = g->d.consent == VP_CONSENT_ENFORCED;

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
	/* never-record first: it holds even if they consented */
	for (size_t i = 0; i < g->nparts; i++) {
		if (g->parts[i].never_record) {
			snprintf(why, sz,
				 "never_record: participant %.64s "
				 "is present",
				 g->parts[i].pid);
			return false;
		}
	}
	for (size_t i = 0; enforced && i < g->nparts; i++) {
		const struct part *p = &g->parts[i];

		if (!p->consented) {
			snprintf(why, sz,
				 "%s: participant %.64s has not "
				 "consented",
				 p->known ? "consent_missing"
					  : "consent_unknown",
				 p->pid);
			return false;
		}
	}
	snprintf(why, sz, "open: every present participant may be recorded");
	return true;
}

static int add_mark(struct vp_gate *g, uint64_t at, bool open)
{
	struct mark *m;

	if (g->nmarks == g->capmarks) {
		size_t cap = g->capmarks ? g->capmarks * 2 : 16;

		m = vp_mem_zalloc(cap * sizeof(*m), NULL);
		if (!m)
			return ENOMEM;
		if (g->nmarks)
			memcpy(m, g->marks, g->nmarks * sizeof(*m));
		vp_mem_deref(g->marks);
		g->marks = m;
		g->capmarks = cap;
	}
	m = &g->marks[g->nmarks++];
	m->sample = at;
	m->open = open;
	snprintf(m->reason, sizeof(m->reason), "%s", g->reason);
	return 0;
}

/*
 * Re-evaluate after an event and apply the result. Closing never fails
 * and happens before anything else; opening needs a new grant, and if
 * that allocation fails the gate stays closed (fail closed).
 */
static int apply(struct vp_gate *g, uint64_t at, bool force_mark)
{
	char why[REASON_LEN];
	bool want = evaluate(g, why, sizeof(why));
	bool was = atomic_load(&g->open);
	int err = 0, merr;

	if (!want && was)
		revoke(g);
	if (want && !was) {
		g->grant = vp_mem_zalloc(sizeof(*g->grant), NULL);
		if (!g->grant) {
			want = false;
			snprintf(why, sizeof(why),
				 "no_memory: could not open the gate");
			err = ENOMEM;
			vp_log_warn("gate stays closed: out of memory");
		} else {
			atomic_init(&g->grant->revoked, false);
			atomic_store(&g->open, true);
		}
	}
	memcpy(g->reason, why, sizeof(g->reason));
	if (want == was && !force_mark)
		return err;
	/* the audit trail, then the timeline and the bot */
	vp_log_info("gate %s at_sample=%llu reason=\"%s\"",
		    want ? "open" : "closed", (unsigned long long)at, why);
	merr = add_mark(g, at, want);
	if (g->changeh)
		g->changeh(want, why, at, g->change_arg);
	return err ? err : merr;
}

int vp_gate_start(struct vp_gate *g, uint64_t at_sample)
{
	if (!g)
		return EINVAL;
	if (g->started)
		return EALREADY;
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

	if (!g || !pid || !*pid)
		return EINVAL;
	if (find(g, pid))
		return EALREADY;
	if (g->nparts == g->capparts && (err = grow_parts(g)))
		return err;
	p = &g->parts[g->nparts];
	memset(p, 0, sizeof(*p));
	p->pid = vp_mem_strdup(pid);
	if (!p->pid)
		return ENOMEM;
	g->nparts++;
	p->known = identity && *identity;
	m = p->known ? vp_settings_member_find(g->s, identity) : NULL;
	p->never_record = m && m->capture == VP_SETTINGS_CAPTURE_NEVER;
	p->consented = consented;
	vp_log_info("gate participant=%s joined known=%d never_record=%d "
		    "consented=%d", pid, p->known, p->never_record, consented);
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

	if (!g || !pid)
		return EINVAL;
	p = find(g, pid);
	if (!p)
		return ENOENT;
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

	if (!g || !pid)
		return EINVAL;
	p = find(g, pid);
	if (!p)
		return ENOENT;
	vp_log_info("gate participant=%s consent=%s", pid,
		    granted ? "granted" : "revoked");
	p->consented = granted;
	return apply(g, at_sample, false);
}

bool vp_gate_is_open(const struct vp_gate *g)
{
	return g && atomic_load(&((struct vp_gate *)g)->open);
}

enum vp_gate_verdict vp_gate_check(struct vp_gate *g, const char *pid,
				   struct vp_gate_grant **grantp)
{
	if (!g || !grantp || !vp_gate_is_open(g) || !g->grant)
		return VP_GATE_DENY;
	if (pid && !find(g, pid))
		return VP_GATE_DENY;
	*grantp = vp_mem_ref(g->grant);
	return VP_GATE_ALLOW;
}

bool vp_gate_grant_valid(const struct vp_gate_grant *gr)
{
	return gr && !atomic_load(&((struct vp_gate_grant *)gr)->revoked);
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
	json_t *a = json_array();

	for (size_t i = 0; a && g && i < g->nmarks; i++) {
		const struct mark *m = &g->marks[i];

		if (json_array_append_new(
			    a, json_pack("{s:I, s:b, s:s}", "sample",
					 (json_int_t)m->sample, "open", m->open,
					 "reason", m->reason))) {
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
	return json_pack("{s:b, s:s, s:I, s:I, s:o, s:o}", "open",
			 vp_gate_is_open(g), "reason", g->reason,
			 "dropped_frames", (json_int_t)g->dropped_frames,
			 "dropped_samples", (json_int_t)g->dropped_samples,
			 "participants", parts_json(g), "timeline",
			 vp_gate_timeline_json(g));
}
