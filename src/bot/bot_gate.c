/* SPDX-License-Identifier: MIT */
/**
 * @file bot_gate.c  The recording policy before joining and the live gate
 * while in the meeting (src/gate, docs/design.md §6). Every decision and gate
 * change goes to the log (the audit trail), the events and meeting.json.
 * The recording timeline starts (sample 0) the first time the gate opens.
 */
#define VP_LOG_MODULE "bot"
#include "src/bot/bot_priv.h"

#include "src/bot/exitcode.h"
#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/policy.h"
#include "src/gate/settings.h"

#include <errno.h>
#include <string.h>

/* `vpbot join` without --settings: a person invited the bot by hand and
 * answers for it; no company rules apply, nobody's consent is asked. */
static const char manual_settings[] =
	"{\"company_domains\":[\"invalid\"],\"record_internal\":true,"
	"\"record_external\":true,\"recorded_members\":\"all\","
	"\"consent\":{\"mode\":\"none\"}}";

/* --- Runs on: net thread --- */

uint64_t vp_bot__at(const struct bot *b)
{
	return b->rec ? vp_rec_sample_at(b->rec, vp_clock_utc_ns()) : 0;
}

static bool gate_open(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	const struct bot *b = arg;

	*open_since = b->gate_open_since;
	*epoch = b->gate_epoch;
	return b->gate && vp_gate_is_open(b->gate);
}

/* meeting.json "gate": the consent gate's record (none before the policy
 * made one) */
static json_t *gate_json(void *arg)
{
	const struct bot *b = arg;

	return b->gate ? vp_gate_json(b->gate) : NULL;
}

struct vp_rec_gate vp_bot__rec_gate(struct bot *b)
{
	return (struct vp_rec_gate){
		.open = gate_open, .json = gate_json, .arg = b};
}

static void on_gate_change(bool open, const char *reason, uint64_t at,
			   void *arg)
{
	struct bot *b = arg;

	/* docs/design.md §5: sample 0 = the first instant the gate opened */
	if (open)
		vp_rec_timeline_start(b->rec, vp_clock_utc_ns());
	b->gate_ever_open |= open;
	if (open) {
		b->gate_open_since = at;
		b->gate_epoch++; /* what arrived before it stays off disk */
	}
	vp_events_emit(b->ev, "gate",
		       json_pack("{s:b, s:s, s:I}", "open", open, "reason",
				 reason ? reason : "", "sample",
				 (json_int_t)at));
	if (b->gate)
		vp_rec_set(b->rec, "gate_timeline",
			   vp_gate_timeline_json(b->gate));
	vp_bot__save(b, "recording");
}

static void on_announce(const char *pid, uint64_t at, void *arg)
{
	struct bot *b = arg;
	const char *text = b->settings->announcement;

	vp_log_info("announcing recording%s%s", pid ? " to " : "",
		    pid ? pid : "");
	vp_events_emit(
		b->ev, "recording_notice",
		json_pack("{s:s?, s:s}", "participant", pid, "text", text));
	if (b->sig && vp_sig_notice(b->sig, text) == ENOTSUP)
		vp_log_info("the %s dialect cannot show the announcement",
			    vp_sig_name(b->sig));
	(void)at;
}

static int load_settings(struct bot *b, char *err, size_t errsz)
{
	const struct vp_bot_cfg *c = b->cfg;

	if (c->settings_json)
		return vp_settings_parse(&b->settings, c->settings_json,
					 strlen(c->settings_json), err, errsz);
	if (c->settings_src)
		return vp_settings_load(&b->settings, c->settings_src, err,
					errsz);
	if (c->require_settings) {
		snprintf(err, errsz, "no company settings given");
		return ENOENT;
	}
	return vp_settings_parse(&b->settings, manual_settings,
				 strlen(manual_settings), err, errsz);
}

static int load_facts(struct bot *b, char *err, size_t errsz)
{
	const struct vp_bot_cfg *c = b->cfg;
	char red[512];
	json_t *f;
	char *s;
	int e;

	if (c->facts_json)
		return vp_meeting_facts_parse(&b->facts, c->facts_json,
					      strlen(c->facts_json), err,
					      errsz);
	if (c->facts_src)
		return vp_meeting_facts_load(&b->facts, c->facts_src, err,
					     errsz);
	if (c->require_settings) {
		snprintf(err, errsz, "no meeting facts given");
		return ENOENT;
	}
	/* `vpbot join` without facts: a manual invite to this address */
	vp_invite_redacted(&b->inv, red, sizeof(red));
	f = json_pack("{s:[], s:b, s:b, s:s}", "invitees", "private", 0,
		      "manual_invite", 1, "conference_url", red);
	s = vp_json_dumps(f, JSON_COMPACT);
	json_decref(f);
	if (!s)
		return ENOMEM;
	e = vp_meeting_facts_parse(&b->facts, s, strlen(s), err, errsz);
	free(s);
	return e;
}

/* An unreadable file is bad data (65); a settings URL that does not
 * answer fails closed: not recorded, retry later (75); anything else the
 * policy turns into DENY with the reason (77). */
static int load_code(const struct bot *b, int e, bool is_url)
{
	if (e == EBADMSG || (!is_url && e != ETIMEDOUT))
		return VP_EXIT_DATAERR;
	(void)b;
	return e == ETIMEDOUT ? VP_EXIT_TEMPFAIL : VP_EXIT_NOPERM;
}

int vp_bot__policy(struct bot *b)
{
	struct vp_policy_decision d;
	char err[256] = "", ferr[256] = "";
	const char *src = b->cfg->settings_src;
	bool url = vp_settings_src_is_url(src); /* HTTPS:// too */
	int e, code = 0;

	/* both are loaded even if the first fails, so the decision names
	 * the input that is really missing */
	e = load_settings(b, err, sizeof(err));
	if (e)
		code = load_code(b, e, url);
	e = load_facts(b, code ? ferr : err, sizeof(ferr));
	if (e && !code)
		code = e == ENOMEM ? VP_EXIT_SOFTWARE : VP_EXIT_DATAERR;
	/* missing inputs decide DENY with their reason: fail closed */
	vp_policy_decide(&d, b->settings, b->facts);
	vp_rec_set(b->rec, "policy", vp_policy_decision_json(&d));
	if (code) {
		b->settings = vp_mem_deref(b->settings);
		b->facts = vp_mem_deref(b->facts);
		json_object_set_new(vp_rec_get(b->rec, "policy"), "load_error",
				    json_string(err));
		vp_bot__fail(b, code, "policy inputs: %s", err);
		return code;
	}
	if (d.verdict != VP_POLICY_RECORD) {
		vp_bot__fail(b, VP_EXIT_NOPERM, "not recorded: %s (%s)",
			     vp_policy_verdict_str(d.verdict),
			     vp_policy_cause(&d) ? vp_policy_cause(&d) : "");
		return VP_EXIT_NOPERM;
	}
	e = vp_gate_alloc(&b->gate, b->settings, &d);
	if (e) {
		vp_bot__fail(b, VP_EXIT_SOFTWARE, "gate: %s", strerror(e));
		return VP_EXIT_SOFTWARE;
	}
	vp_gate_on_change(b->gate, on_gate_change, b);
	vp_gate_on_announce(b->gate, on_announce, b);
	return 0;
}

/*
 * An error on the gate's path. The gate has already latched itself
 * closed for the rest of the meeting (gate.h, "Errors"); latching again
 * here keeps that true for an error the gate never saw, and the log says
 * which call failed. The change handler has put the reason in the
 * timeline, the events and meeting.json.
 */
void vp_bot__gate_error(struct bot *b, int err, const char *what,
			const char *pid)
{
	if (!err)
		return;
	vp_log_err("gate: %s (participant=%.64s): %s; the gate is closed for "
		   "the rest of the meeting",
		   what, pid ? pid : "-", strerror(err));
	if (b->gate)
		vp_gate_fail(b->gate, err, what, vp_bot__at(b));
}

/*
 * The identity the gate judges a participant by: the dialect's, which its
 * server verified (sim), else the one the deployment vouches for in the
 * meeting facts (vouched_identities, for dialects that carry none, like
 * Janus). Never the display name: anyone can type any name.
 */
const char *vp_bot__identity(const struct bot *b, const char *pid,
			     const char *dialect_identity)
{
	const char *v;

	if (dialect_identity && *dialect_identity)
		return dialect_identity;
	v = vp_meeting_facts_vouched(b->facts, pid);
	if (v)
		vp_log_info("participant %s: identity vouched for by the "
			    "deployment (meeting facts)",
			    pid);
	return v;
}

void vp_bot__gate_join(struct bot *b, const char *pid, const char *identity,
		       bool consented)
{
	int err;

	if (!b->gate)
		return;
	err = vp_gate_participant_join_consented(b->gate, pid, identity,
						 consented, vp_bot__at(b));
	vp_bot__gate_error(b, err, "participant join", pid);
}

void vp_bot__gate_leave(struct bot *b, const char *pid)
{
	int err;

	if (!b->gate)
		return;
	err = vp_gate_participant_leave(b->gate, pid, vp_bot__at(b));
	vp_bot__gate_error(b, err, "participant leave", pid);
}

void vp_bot__gate_consent(struct bot *b, const char *pid, bool granted)
{
	const struct bot_participant *p = vp_bot__part(b, pid, false);
	int err;

	if (!p || !p->present) {
		/* nobody to apply it to: their join carries their consent
		 * as it is then, so ignoring this cannot open the gate */
		vp_log_warn("consent for %.64s, who is not present: ignored",
			    pid);
		return;
	}
	if (!b->gate)
		return;
	err = vp_gate_consent(b->gate, pid, granted, vp_bot__at(b));
	vp_bot__gate_error(b, err, "consent", pid);
}

void vp_bot__gate_start(struct bot *b)
{
	if (b->gate && !b->gate_started) {
		b->gate_started = true;
		vp_bot__gate_error(b, vp_gate_start(b->gate, vp_bot__at(b)),
				   "start", NULL);
	}
}

void vp_bot__gate_close(struct bot *b)
{
	if (b->gate && b->rec) {
		vp_gate_dropped_add(b->gate, 0, vp_rec_gated_samples(b->rec));
		vp_rec_set(b->rec, "gate_timeline",
			   vp_gate_timeline_json(b->gate));
	}
}

void vp_bot__gate_free(struct bot *b)
{
	b->gate = vp_mem_deref(b->gate);
	b->settings = vp_mem_deref(b->settings);
	b->facts = vp_mem_deref(b->facts);
}
