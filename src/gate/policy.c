/* SPDX-License-Identifier: MIT */
/**
 * @file policy.c  Settings + meeting facts -> verdict with reasons
 * (docs/design.md §6). Every rule runs and adds its reason even after an
 * earlier one denied, so the audit trail lists all grounds, not the first.
 */
#define VP_LOG_MODULE "gate"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "src/core/log.h"
#include "src/gate/gate_priv.h"
#include "src/gate/policy.h"

static void reason(struct vp_policy_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason(struct vp_policy_decision *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nreasons >= VP_POLICY_MAX_REASONS)
		return;
	/* the last slot is kept for the truncation marker */
	if (d->nreasons == VP_POLICY_MAX_REASONS - 1) {
		snprintf(d->reasons[d->nreasons++], VP_POLICY_REASON_LEN,
			 "reasons_truncated: more reasons than fit");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(d->reasons[d->nreasons++], VP_POLICY_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* Lower the verdict; the reason just added becomes the cause. */
static void lower_to(struct vp_policy_decision *d, enum vp_policy_verdict v)
{
	if (v < d->verdict) {
		d->verdict = v;
		d->cause = d->nreasons ? d->nreasons - 1 : 0;
	}
}

/*
 * A company rule that would deny: without a manual invite it denies; with
 * one it is overridden (docs/design.md §6, "overridden by a manual invite:
 * yes") and says so.
 */
static void company_deny(struct vp_policy_decision *d, const char *code,
			 const char *text)
{
	if (d->manual_invite) {
		reason(d, "overridden_%s: %s (manual invite)", code, text);
		return;
	}
	reason(d, "%s: %s", code, text);
	lower_to(d, VP_POLICY_DENY);
}

/* Everyone the calendar names: the organizer (if known) and invitees. */
static size_t npeople(const struct vp_meeting_facts *f)
{
	return f->invitees.n + (f->organizer ? 1 : 0);
}

static const char *person(const struct vp_meeting_facts *f, size_t i)
{
	if (f->organizer)
		return i == 0 ? f->organizer : f->invitees.v[i - 1];
	return f->invitees.v[i];
}

static void rule_internal(struct vp_policy_decision *d,
			  const struct vp_settings *s,
			  const struct vp_meeting_facts *f)
{
	const char *outsider = NULL;
	char text[128];

	for (size_t i = 0; i < npeople(f) && !outsider; i++) {
		const char *dom = vp_gate__addr_domain(person(f, i));

		if (!vp_gate__domain_in(&s->company_domains, dom))
			outsider = person(f, i);
	}
	if (!outsider) {
		snprintf(text, sizeof(text), "every invitee is in %s%s",
			 s->company_domains.v[0],
			 s->company_domains.n > 1 ? " (or another company "
						    "domain)"
						  : "");
		if (s->record_internal)
			reason(d, "internal_recorded: %s", text);
		else
			company_deny(d, "internal_not_recorded", text);
		return;
	}
	snprintf(text, sizeof(text), "%.80s is outside the company", outsider);
	if (s->record_external)
		reason(d, "external_recorded: %s", text);
	else
		company_deny(d, "external_not_recorded", text);
}

/* A recorded member: an organizer or invitee in a company domain who is
 * in recorded_members (or it is "all"), or whose data_capture is always;
 * never-record members are never "recorded members". */
static const char *recorded_member(const struct vp_settings *s,
				   const struct vp_meeting_facts *f)
{
	for (size_t i = 0; i < npeople(f); i++) {
		const char *p = person(f, i);
		const struct vp_settings_member *m =
			vp_settings_member_find(s, p);

		if (!vp_gate__domain_in(&s->company_domains,
					vp_gate__addr_domain(p)))
			continue;
		if (m && m->capture == VP_SETTINGS_CAPTURE_NEVER)
			continue;
		if ((m && m->capture == VP_SETTINGS_CAPTURE_ALWAYS) ||
		    s->recorded_all || vp_gate__strv_has(&s->recorded, p))
			return p;
	}
	return NULL;
}

static void rule_members(struct vp_policy_decision *d,
			 const struct vp_settings *s,
			 const struct vp_meeting_facts *f)
{
	const char *m = recorded_member(s, f);
	char text[128];

	if (m) {
		reason(d, "recorded_member: %.80s", m);
		return;
	}
	snprintf(text, sizeof(text),
		 "no organizer or invitee is a member "
		 "the company records");
	company_deny(d, "no_recorded_member", text);
}

static void rule_exclude(struct vp_policy_decision *d,
			 const struct vp_settings *s,
			 const struct vp_meeting_facts *f)
{
	char text[160];

	for (size_t i = 0; i < npeople(f); i++) {
		const char *p = person(f, i);
		const char *hit = vp_gate__domain_in(&s->excl_domains,
						     vp_gate__addr_domain(p));

		if (hit) {
			snprintf(text, sizeof(text), "%.80s is in %.60s", p,
				 hit);
			company_deny(d, "excluded_domain", text);
		}
		if (vp_gate__strv_has(&s->excl_addresses, p)) {
			snprintf(text, sizeof(text), "%.80s is excluded", p);
			company_deny(d, "excluded_address", text);
		}
	}
	for (size_t i = 0; i < s->excl_words.n; i++) {
		if (vp_gate__title_has_word(f->title, s->excl_words.v[i])) {
			snprintf(text, sizeof(text),
				 "the title contains \"%.80s\"",
				 s->excl_words.v[i]);
			company_deny(d, "excluded_title_word", text);
		}
	}
}

/* Live rows of §6: noted here, enforced by the gate while people are
 * present. A never-record invitee is likely to close the gate. */
static void note_live(struct vp_policy_decision *d, const struct vp_settings *s,
		      const struct vp_meeting_facts *f)
{
	for (size_t i = 0; i < npeople(f); i++) {
		const struct vp_settings_member *m =
			vp_settings_member_find(s, person(f, i));

		if (m && m->capture == VP_SETTINGS_CAPTURE_NEVER) {
			d->never_record_invited = true;
			reason(d,
			       "never_record_invitee: %.80s closes the "
			       "gate while present",
			       m->address);
		}
	}
	switch (s->consent) {
	case VP_CONSENT_ENFORCED:
		reason(d, "consent_enforced: recording only while every "
			  "present participant has consented");
		break;
	case VP_CONSENT_NOTIFY:
		reason(d, "consent_notify: the bot announces recording");
		break;
	case VP_CONSENT_NONE:
		reason(d, "consent_none: no consent required");
		break;
	}
}

static void decide(struct vp_policy_decision *d, const struct vp_settings *s,
		   const struct vp_meeting_facts *f)
{
	d->manual_invite = f->manual_invite;
	d->consent = s->consent;
	if (f->manual_invite)
		reason(d, "manual_invite: company rules are overridden, "
			  "never-record and consent are not");
	if (!f->organizer && npeople(f) == 0)
		company_deny(d, "organizer_unknown",
			     "the meeting has no organizer or invitees");
	if (npeople(f) > 0) {
		rule_internal(d, s, f);
		rule_members(d, s, f);
	}
	if (f->private_)
		company_deny(d, "private_meeting",
			     "private meetings are not "
			     "recorded automatically");
	rule_exclude(d, s, f);
	if (!f->conference_url) {
		/* §6: a physical room has no audio for us; n/a to override */
		reason(d, "no_conference_url: metadata only");
		lower_to(d, VP_POLICY_METADATA_ONLY);
	}
	note_live(d, s, f);
}

void vp_policy_decide(struct vp_policy_decision *d, const struct vp_settings *s,
		      const struct vp_meeting_facts *f)
{
	if (!d)
		return;
	memset(d, 0, sizeof(*d));
	d->verdict = VP_POLICY_RECORD;
	if (!s)
		reason(d, "settings_missing: no valid company settings");
	if (!f)
		reason(d, "facts_missing: no valid meeting facts");
	if (s && f)
		decide(d, s, f);
	else
		lower_to(d, VP_POLICY_DENY); /* cause: the first reason */
	vp_log_info("policy decision=%s consent=%s manual_invite=%d "
		    "reasons=%u",
		    vp_policy_verdict_str(d->verdict),
		    vp_consent_mode_str(d->consent), d->manual_invite,
		    d->nreasons);
	for (unsigned i = 0; i < d->nreasons; i++)
		vp_log_info("policy reason %s", d->reasons[i]);
}

const char *vp_policy_cause(const struct vp_policy_decision *d)
{
	if (!d || d->verdict == VP_POLICY_RECORD || d->cause >= d->nreasons)
		return "";
	return d->reasons[d->cause];
}

bool vp_policy_has_reason(const struct vp_policy_decision *d, const char *code)
{
	size_t n = code ? strlen(code) : 0;

	for (unsigned i = 0; d && n && i < d->nreasons; i++) {
		if (!strncmp(d->reasons[i], code, n) && d->reasons[i][n] == ':')
			return true;
	}
	return false;
}

const char *vp_policy_verdict_str(enum vp_policy_verdict v)
{
	switch (v) {
	case VP_POLICY_RECORD:
		return "record";
	case VP_POLICY_METADATA_ONLY:
		return "metadata_only";
	case VP_POLICY_DENY:
		break;
	}
	return "deny";
}

json_t *vp_policy_decision_json(const struct vp_policy_decision *d)
{
	json_t *o, *r;

	if (!d)
		return NULL;
	r = json_array();
	o = json_pack("{s:s, s:s, s:b, s:b, s:o}", "verdict",
		      vp_policy_verdict_str(d->verdict), "consent",
		      vp_consent_mode_str(d->consent), "manual_invite",
		      d->manual_invite, "never_record_invited",
		      d->never_record_invited, "reasons", r);
	if (o && d->verdict != VP_POLICY_RECORD &&
	    json_object_set_new(o, "cause", json_string(vp_policy_cause(d)))) {
		json_decref(o);
		return NULL;
	}
	for (unsigned i = 0; o && i < d->nreasons; i++) {
		if (json_array_append_new(r, json_string(d->reasons[i]))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}
