/* SPDX-License-Identifier: MIT */
/**
 * @file test_gate.c  Policy rules and overrides of docs/design.md §6 (table
 * driven), settings/facts validation, settings loading. The live gate:
 * test_gate_live.c. JSON is written with ' for " (test_gate.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/core/clock.h"
#include "src/gate/gate_priv.h"
#include "tests/unit/test_gate.h"

#ifndef VP_GATE_DATA_DIR
#define VP_GATE_DATA_DIR "tests/data/settings"
#endif

/* ------------------------------------------------------------ policy */

struct row {
	const char *name;
	const char *s, *f;
	enum vp_policy_verdict verdict;
	const char *reason;	/* must be present */
	const char *not_reason; /* must be absent (or NULL) */
};

static const struct row rows[] = {
	/* internal meetings: company settings, overridable */
	{"internal not recorded", S("false", "true", "'all'", ""),
	 F(ALICE, INTERNAL, "'x'", "false", "false", URL), VP_POLICY_DENY,
	 "internal_not_recorded", "internal_recorded"},
	{"internal recorded", S_ALL,
	 F(ALICE, INTERNAL, "'x'", "false", "false", URL), VP_POLICY_RECORD,
	 "internal_recorded", NULL},
	{"sub-domain is internal", S("false", "true", "'all'", ""),
	 F(ALICE, "['bob@EU.example.com']", "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "internal_not_recorded", NULL},
	{"internal, manual invite", S("false", "true", "'all'", ""),
	 F(ALICE, INTERNAL, "'x'", "false", "true", URL), VP_POLICY_RECORD,
	 "overridden_internal_not_recorded", "internal_not_recorded"},
	{"external not recorded", S("true", "false", "'all'", ""),
	 F(ALICE, EXTERNAL, "'x'", "false", "false", URL), VP_POLICY_DENY,
	 "external_not_recorded", NULL},
	{"look-alike domain is external", S("false", "true", "'all'", ""),
	 F(ALICE, "['eve@badexample.com']", "'x'", "false", "false", URL),
	 VP_POLICY_RECORD, "external_recorded", "internal_not_recorded"},
	/* private: calendar, overridable */
	{"private", S_ALL, F(ALICE, EXTERNAL, "'x'", "true", "false", URL),
	 VP_POLICY_DENY, "private_meeting", NULL},
	{"private, manual invite", S_ALL,
	 F(ALICE, EXTERNAL, "'x'", "true", "true", URL), VP_POLICY_RECORD,
	 "overridden_private_meeting", "private_meeting"},
	/* recorded members: company settings, overridable */
	{"organizer is a recorded member", S_LIST,
	 F(ALICE, EXTERNAL, "'x'", "false", "false", URL), VP_POLICY_RECORD,
	 "recorded_member", NULL},
	{"no recorded member", S_LIST,
	 F("'bob@example.com'", EXTERNAL, "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "no_recorded_member", NULL},
	{"invitee with data_capture always", S_LIST,
	 F("'erin@customer.test'", "['DAVE@example.com']", "'x'", "false",
	   "false", URL),
	 VP_POLICY_RECORD, "recorded_member", NULL},
	{"never-record member is no recorded member",
	 S("true", "true", "'all'",
	   ", 'members': [{'address': 'carol@example.com', "
	   "'data_capture': 'never'}]"),
	 F("'carol@example.com'", EXTERNAL, "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "no_recorded_member", NULL},
	{"no recorded member, manual invite", S_LIST,
	 F("'bob@example.com'", EXTERNAL, "'x'", "false", "true", URL),
	 VP_POLICY_RECORD, "overridden_no_recorded_member", NULL},
	/* exclude lists: company settings, overridable */
	{"excluded sub-domain", S_EXCL,
	 F(ALICE, "['x@eu.lawfirm.test']", "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "excluded_domain", NULL},
	{"excluded address, any case", S_EXCL,
	 F(ALICE, "['CEO@Partner.test']", "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "excluded_address", NULL},
	{"excluded title word", S_EXCL,
	 F(ALICE, EXTERNAL, "'Project CONFIDENTIAL, v2'", "false", "false",
	   URL),
	 VP_POLICY_DENY, "excluded_title_word", NULL},
	{"title word must be whole", S_EXCL,
	 F(ALICE, EXTERNAL, "'Confidentiality training'", "false", "false",
	   URL),
	 VP_POLICY_RECORD, "external_recorded", "excluded_title_word"},
	{"excluded title phrase", S_EXCL,
	 F(ALICE, EXTERNAL, "'Annual hr REVIEW!'", "false", "false", URL),
	 VP_POLICY_DENY, "excluded_title_word", NULL},
	{"excluded title with punctuation", S_EXCL,
	 F(ALICE, EXTERNAL, "'alice/erin 1:1'", "false", "false", URL),
	 VP_POLICY_DENY, "excluded_title_word", NULL},
	{"excluded domain, manual invite", S_EXCL,
	 F(ALICE, "['x@lawfirm.test']", "'x'", "false", "true", URL),
	 VP_POLICY_RECORD, "overridden_excluded_domain", "excluded_domain"},
	/* physical room: metadata only, manual invite or not */
	{"no conference url", S_ALL,
	 F(ALICE, EXTERNAL, "'x'", "false", "false", "null"),
	 VP_POLICY_METADATA_ONLY, "no_conference_url", NULL},
	{"no conference url, manual invite", S_ALL,
	 F(ALICE, EXTERNAL, "'x'", "false", "true", "null"),
	 VP_POLICY_METADATA_ONLY, "no_conference_url", NULL},
	{"no conference url and denied", S_ALL,
	 F(ALICE, EXTERNAL, "'x'", "true", "false", "null"), VP_POLICY_DENY,
	 "private_meeting", NULL},
	/* live rows are not overridden: noted here, enforced by the gate */
	{"never-record invitee, manual invite", S_LIST,
	 F(ALICE, "['carol@example.com']", "'x'", "false", "true", URL),
	 VP_POLICY_RECORD, "never_record_invitee", NULL},
	{"consent enforced is carried", S_ALL,
	 F(ALICE, EXTERNAL, "'x'", "false", "true", URL), VP_POLICY_RECORD,
	 "consent_enforced", NULL},
	{"nobody invited", S_ALL, F("null", "[]", "'x'", "false", "false", URL),
	 VP_POLICY_DENY, "organizer_unknown", NULL},
};

VTEST(gate_policy_table)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct vp_settings *s = settings(r->s);
		struct vp_meeting_facts *f = facts(r->f);
		struct vp_policy_decision d;

		vp_policy_decide(&d, s, f);
		if (d.verdict != r->verdict ||
		    (r->verdict != VP_POLICY_RECORD &&
		     strncmp(vp_policy_cause(&d), r->reason,
			     strlen(r->reason))) ||
		    !vp_policy_has_reason(&d, r->reason) ||
		    (r->not_reason && vp_policy_has_reason(&d, r->not_reason)))
			vtest_fail(__FILE__, __LINE__,
				   "row \"%s\": verdict %s, cause \"%s\"",
				   r->name, vp_policy_verdict_str(d.verdict),
				   vp_policy_cause(&d));
		vp_mem_deref(s);
		vp_mem_deref(f);
	}
}

VTEST(gate_policy_missing_inputs_deny)
{
	struct vp_settings *s = settings(S_ALL);
	struct vp_meeting_facts *f =
		facts(F(ALICE, EXTERNAL, "'x'", "false", "true", URL));
	struct vp_policy_decision d;

	memset(&d, 0xff, sizeof(d));
	vp_policy_decide(&d, NULL, f);
	VT_EQ(VP_POLICY_DENY, d.verdict);
	VT_EQ(VP_CONSENT_ENFORCED, d.consent);
	VT_TRUE(vp_policy_has_reason(&d, "settings_missing"));
	vp_policy_decide(&d, s, NULL);
	VT_EQ(VP_POLICY_DENY, d.verdict);
	VT_TRUE(vp_policy_has_reason(&d, "facts_missing"));
	VT_TRUE(!vp_policy_has_reason(&d, "settings_missing"));
	vp_mem_deref(s);
	vp_mem_deref(f);
}

VTEST(gate_policy_decision_json)
{
	struct vp_settings *s = settings(S("false", "true", "'all'", ""));
	struct vp_meeting_facts *f =
		facts(F(ALICE, INTERNAL, "'x'", "false", "false", URL));
	struct vp_policy_decision d;
	json_t *j, *r;

	vp_policy_decide(&d, s, f);
	j = vp_policy_decision_json(&d);
	VT_TRUE(j != NULL);
	VT_STR_EQ("deny", json_string_value(json_object_get(j, "verdict")));
	VT_STR_EQ("enforced", json_string_value(json_object_get(j, "consent")));
	VT_STR_EQ("internal_not_recorded: every invitee is in example.com",
		  json_string_value(json_object_get(j, "cause")));
	r = json_object_get(j, "reasons");
	VT_EQ(d.nreasons, json_array_size(r));
	VT_STR_EQ("internal_not_recorded: every invitee is in example.com",
		  json_string_value(json_array_get(r, 0)));
	json_decref(j);
	vp_mem_deref(s);
	vp_mem_deref(f);
}

VTEST(gate_policy_reasons_truncated)
{
	char fq[2048];
	struct vp_settings *s;
	struct vp_meeting_facts *f;
	struct vp_policy_decision d;
	size_t n = 0;

	/* 20 excluded invitees: more reasons than fit */
	n += snprintf(fq + n, sizeof(fq) - n,
		      "{'organizer': " ALICE ", 'invitees': [");
	for (int i = 0; i < 20; i++)
		n += snprintf(fq + n, sizeof(fq) - n, "%s'u%d@lawfirm.test'",
			      i ? "," : "", i);
	snprintf(fq + n, sizeof(fq) - n,
		 "], 'private': false, "
		 "'conference_url': " URL "}");
	s = settings(S_EXCL);
	f = facts(fq);
	vp_policy_decide(&d, s, f);
	VT_EQ(VP_POLICY_DENY, d.verdict);
	VT_EQ(VP_POLICY_MAX_REASONS, d.nreasons);
	VT_TRUE(vp_policy_has_reason(&d, "reasons_truncated"));
	vp_mem_deref(s);
	vp_mem_deref(f);
}

/* ---------------------------------------------------- parse failures */

struct bad {
	const char *json;
	const char *field; /* must appear in the error */
};

static const struct bad bad_settings[] = {
	{"[1]", "must be a JSON object"},
	{"{'company_domains': ", "not valid JSON"},
	{S("true", "true", "'all'", ", 'recrod_internal': true"),
	 "unknown key recrod_internal"},
	{"{'record_internal': true, 'record_external': true, "
	 "'recorded_members': 'all', 'consent': {'mode': 'none'}}",
	 "company_domains is required"},
	{"{'company_domains': ['ex ample.com'], 'record_internal': true}",
	 "company_domains[0] is not a domain"},
	{S("1", "true", "'all'", ""), "record_internal must be true or false"},
	{S("true", "true", "'some'", ""), "recorded_members must be"},
	{S("true", "true", "['nobody']", ""), "recorded_members[0] is not an"},
	{"{'company_domains': ['example.com'], 'record_internal': true, "
	 "'record_external': true, 'recorded_members': 'all', "
	 "'consent': {'mode': 'maybe'}}",
	 "consent.mode must be one of none|notify|enforced"},
	{"{'company_domains': ['example.com'], 'record_internal': true, "
	 "'record_external': true, 'recorded_members': 'all'}",
	 "consent is required"},
	{S("true", "true", "'all'",
	   ", 'members': [{'address': 'a@example.com', 'data_capture': 'x'}]"),
	 "members[0].data_capture must be one of always|never|default"},
	{S("true", "true", "'all'",
	   ", 'members': [{'address': 'a@example.com', 'data_capture': "
	   "'never'}, {'address': 'A@example.com', 'data_capture': "
	   "'always'}]"),
	 "members[1].address appears twice"},
	{S("true", "true", "'all'", ", 'exclude': {'words': []}"),
	 "unknown key exclude.words"},
	{S("true", "true", "'all'", ", 'exclude': {'title_words': ['']}"),
	 "exclude.title_words[0] must be 1..200"},
	{S("true", "true", "'all'", ", 'version': 2"), "version must be 1"},
	{"{'company_domains': ['a.com'], 'company_domains': ['b.com']}",
	 "duplicate"},
};

static const struct bad bad_facts[] = {
	{F(ALICE, "['bob@example.com', 'not an address']", "'x'", "false",
	   "false", URL),
	 "invitees[1] is not an e-mail address"},
	{"{'organizer': 'a@example.com', 'private': false}",
	 "invitees is required"},
	{"{'invitees': [], 'conference_url': null}", "private is required"},
	{F(ALICE, "[]", "'x'", "'no'", "false", URL),
	 "private must be true or false"},
	{F("'alice'", "[]", "'x'", "false", "false", URL),
	 "organizer is not an e-mail address"},
	{F(ALICE, "[]", "7", "false", "false", URL), "title must be a string"},
	{F(ALICE, "[]", "'x'", "false", "false", "'room 4'"),
	 "conference_url must be a URL or null"},
	{"{'invitees': [], 'private': false, 'secret': 1}",
	 "unknown key secret"},
	{"{'invitees': [], 'private': false, 'vouched_identities': ['x']}",
	 "vouched_identities must be an object"},
	{"{'invitees': [], 'private': false, 'vouched_identities': "
	 "{'17': 'Carol'}}",
	 "vouched_identities.17 is not an e-mail address"},
	{"{'invitees': [], 'private': false, 'vouched_identities': "
	 "{'a b': 'c@example.com'}}",
	 "vouched_identities has a key that is not a participant id"},
	{"{'invitees': [], 'private': false, 'vouched_identities': "
	 "{'0123456789012345678901234567890123456789012345678901234567890123'"
	 ": 'c@example.com'}}",
	 "vouched_identities has a key that is not a participant id"},
};

VTEST(gate_settings_malformed_names_field)
{
	for (size_t i = 0; i < sizeof(bad_settings) / sizeof(*bad_settings);
	     i++) {
		char buf[2048], err[256] = "";
		struct vp_settings *s = NULL;
		int e;

		json(bad_settings[i].json, buf, sizeof(buf));
		e = vp_settings_parse(&s, buf, strlen(buf), err, sizeof(err));
		if (e != EBADMSG || s || !strstr(err, bad_settings[i].field) ||
		    strncmp(err, "settings: ", 10))
			vtest_fail(__FILE__, __LINE__, "case %zu: %d \"%s\"", i,
				   e, err);
	}
}

VTEST(gate_facts_malformed_names_field)
{
	for (size_t i = 0; i < sizeof(bad_facts) / sizeof(*bad_facts); i++) {
		char buf[2048], err[256] = "";
		struct vp_meeting_facts *f = NULL;
		int e;

		json(bad_facts[i].json, buf, sizeof(buf));
		e = vp_meeting_facts_parse(&f, buf, strlen(buf), err,
					   sizeof(err));
		if (e != EBADMSG || f || !strstr(err, bad_facts[i].field) ||
		    strncmp(err, "facts: ", 7))
			vtest_fail(__FILE__, __LINE__, "case %zu: %d \"%s\"", i,
				   e, err);
	}
}

VTEST(gate_parse_fields_and_defaults)
{
	struct vp_settings *s = settings(S_LIST);
	struct vp_meeting_facts *f =
		facts("{'organizer': 'Alice@Example.COM', 'invitees': [], "
		      "'private': false}");

	VT_EQ(1, s->company_domains.n);
	VT_TRUE(!s->recorded_all);
	VT_STR_EQ("alice@example.com", s->recorded.v[0]);
	VT_EQ(2, s->nmembers);
	VT_EQ(VP_SETTINGS_CAPTURE_NEVER,
	      vp_settings_member_find(s, "CAROL@example.com")->capture);
	VT_TRUE(vp_settings_member_find(s, "erin@example.com") == NULL);
	VT_EQ(VP_CONSENT_ENFORCED, s->consent);
	VT_TRUE(s->announcement && *s->announcement);
	VT_STR_EQ("alice@example.com", f->organizer);
	VT_STR_EQ("", f->title);
	VT_TRUE(!f->manual_invite);
	VT_TRUE(f->conference_url == NULL);
	vp_mem_deref(s);
	vp_mem_deref(f);
}

/* Identities a deployment vouches for, by participant id (exact), for
 * dialects that carry none; and the never-record invitee flag the gate
 * needs to fail closed on participants it cannot identify. */
VTEST(gate_facts_vouched_identities)
{
	struct vp_settings *s = settings(S_LIST);
	struct vp_meeting_facts *f =
		facts("{'organizer': 'alice@example.com', 'invitees': "
		      "['Carol@example.com'], 'private': false, "
		      "'vouched_identities': {'4284012330263173': "
		      "'Carol@Example.com',"
		      " 'p-2': 'bob@example.com'}}");
	struct vp_meeting_facts *f2 =
		facts(F(ALICE, EXTERNAL, "'x'", "false", "false", URL));
	struct vp_policy_decision d;
	json_t *j;

	VT_STR_EQ("carol@example.com",
		  vp_meeting_facts_vouched(f, "4284012330263173"));
	VT_STR_EQ("bob@example.com", vp_meeting_facts_vouched(f, "p-2"));
	VT_TRUE(vp_meeting_facts_vouched(f, "P-2") == NULL); /* exact */
	VT_TRUE(vp_meeting_facts_vouched(f, "Carol") == NULL);
	VT_TRUE(vp_meeting_facts_vouched(f2, "p-2") == NULL);
	VT_TRUE(vp_meeting_facts_vouched(NULL, "p-2") == NULL);
	vp_policy_decide(&d, s, f);
	VT_TRUE(d.never_record_invited);
	j = vp_policy_decision_json(&d);
	VT_TRUE(json_is_true(json_object_get(j, "never_record_invited")));
	json_decref(j);
	vp_policy_decide(&d, s, f2);
	VT_TRUE(!d.never_record_invited);
	vp_mem_deref(s);
	vp_mem_deref(f);
	vp_mem_deref(f2);
}

VTEST(gate_parse_oom_walk)
{
	char sb[2048], fb[2048];
	int e;
	long n;

	json(S_EXCL, sb, sizeof(sb));
	json("{'organizer': 'alice@example.com', 'invitees': ['b@x.test'], "
	     "'private': false, 'title': 't', 'conference_url': 'a://b', "
	     "'vouched_identities': {'1': 'a@x.test', '2': 'b@x.test'}}",
	     fb, sizeof(fb));
	for (n = 0; n < 1000; n++) {
		struct vp_settings *s = NULL;
		struct vp_meeting_facts *f = NULL;

		vp_mem_fail_after(n);
		e = vp_settings_parse(&s, sb, strlen(sb), NULL, 0);
		if (!e)
			e = vp_meeting_facts_parse(&f, fb, strlen(fb), NULL, 0);
		vp_mem_fail_reset();
		/* jansson reports some failed allocations as bad syntax */
		VT_TRUE(e == 0 || e == ENOMEM || vp_mem_fail_hit());
		vp_mem_deref(s);
		vp_mem_deref(f);
		if (!e)
			break;
	}
	VT_TRUE(n > 10 && n < 1000); /* every allocation failed once */
}

/* ------------------------------------------------------------ loading */

VTEST(gate_load_example_files)
{
	char err[256] = "";
	struct vp_settings *s = NULL;
	struct vp_meeting_facts *f = NULL;
	struct vp_policy_decision d;

	VT_EQ(0, vp_settings_load(&s, VP_GATE_DATA_DIR "/company.json", err,
				  sizeof(err)));
	VT_EQ(0,
	      vp_meeting_facts_load(&f, VP_GATE_DATA_DIR "/facts_external.json",
				    err, sizeof(err)));
	vp_policy_decide(&d, s, f);
	VT_EQ(VP_POLICY_RECORD, d.verdict);
	VT_TRUE(vp_policy_has_reason(&d, "recorded_member"));
	f = vp_mem_deref(f);
	VT_EQ(0, vp_meeting_facts_load(
			 &f, VP_GATE_DATA_DIR "/facts_manual_private.json", err,
			 sizeof(err)));
	vp_policy_decide(&d, s, f);
	VT_EQ(VP_POLICY_RECORD, d.verdict);
	VT_TRUE(vp_policy_has_reason(&d, "overridden_private_meeting"));
	VT_TRUE(vp_policy_has_reason(&d, "overridden_excluded_title_word"));
	vp_mem_deref(s);
	vp_mem_deref(f);
}

VTEST(gate_load_bad_files)
{
	char err[256] = "";
	struct vp_settings *s = NULL;
	struct vp_meeting_facts *f = NULL;

	VT_EQ(EBADMSG,
	      vp_settings_load(&s, VP_GATE_DATA_DIR "/bad_consent_mode.json",
			       err, sizeof(err)));
	VT_TRUE(strstr(err, "consent.mode") != NULL);
	VT_EQ(EBADMSG, vp_meeting_facts_load(
			       &f, VP_GATE_DATA_DIR "/bad_facts_invitee.json",
			       err, sizeof(err)));
	VT_TRUE(strstr(err, "invitees[1]") != NULL);
	VT_EQ(ENOENT, vp_settings_load(&s, VP_GATE_DATA_DIR "/nope.json", err,
				       sizeof(err)));
	VT_EQ(EBADMSG,
	      vp_settings_load(&s, VP_GATE_DATA_DIR, err, sizeof(err)));
	VT_EQ(EINVAL, vp_settings_load(&s, "http://127.0.0.1:1/s.json", err,
				       sizeof(err)));
	VT_TRUE(strstr(err, "https") != NULL);
	VT_TRUE(s == NULL && f == NULL);
}

/* A source that is neither an https:// URL nor a plain path (a mistyped
 * URL) is refused unopened, and its token is in no error: err goes to
 * meeting.json, the status, the events, stderr and the log. */
VTEST(gate_load_malformed_url_not_echoed)
{
	static const char *const bad[] = {
		" https://h.test/s?token=SECRET",
		"https:/h.test/s?token=SECRET",
		"h.test/s?token=SECRET",
		"HTTPS:/h/SECRET",
		"https:h.test/SECRET",
		"u:SECRET@h.test/s",
		"/tmp/SECRET#x",
		"/tmp/SECRET ",
		"ftp://h/SECRET",
		"\thttps://h/SECRET",
	};
	char err[256];
	struct vp_settings *s = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		VT_EQ(EINVAL, vp_settings_load(&s, bad[i], err, sizeof(err)));
		VT_TRUE(s == NULL);
		VT_TRUE(err[0] != '\0');
		VT_TRUE(strstr(err, "SECRET") == NULL);
		VT_TRUE(strstr(err, "https://") != NULL); /* what is wanted */
	}
	VT_TRUE(vp_settings_src_is_url("HTTPS://h/s"));
	VT_TRUE(vp_settings_src_is_url("https://h/s"));
	VT_TRUE(!vp_settings_src_is_url(" https://h/s"));
	VT_TRUE(!vp_settings_src_is_url("https:/h/s"));
	/* a plain path is still a path, named in the error */
	VT_EQ(ENOENT, vp_settings_load(&s, VP_GATE_DATA_DIR "/no pe.json", err,
				       sizeof(err)));
	VT_TRUE(strstr(err, "no pe.json") != NULL);
}

VTEST(gate_load_url_unreachable_fails_closed)
{
	char err[256] = "";
	struct vp_settings *s = NULL;
	uint64_t t0 = vp_clock_mono_ns();
	struct vp_policy_decision d;

	VT_EQ(ETIMEDOUT, vp_settings_load(&s,
					  "https://127.0.0.1:1/s?token=SE"
					  "CRET",
					  err, sizeof(err)));
	VT_TRUE(s == NULL);
	VT_TRUE(vp_clock_mono_ns() - t0 < 5 * VP_SEC);
	VT_TRUE(strstr(err, "SECRET") == NULL); /* the URL is not echoed */
	VT_TRUE(err[0] != '\0');
	vp_policy_decide(&d, s, NULL); /* the caller fails closed */
	VT_EQ(VP_POLICY_DENY, d.verdict);
}

/* A settings server that cannot answer now (busy, failing, rate limited)
 * is a temporary failure (exit 75, retried); one that refuses the bot is
 * not (exit 77). */
VTEST(gate_load_url_http_status)
{
	VT_EQ(0, vp_gate__http_err(200));
	VT_EQ(ENOENT, vp_gate__http_err(404));
	VT_EQ(ENOENT, vp_gate__http_err(410));
	VT_EQ(EACCES, vp_gate__http_err(401));
	VT_EQ(EACCES, vp_gate__http_err(403));
	VT_EQ(ETIMEDOUT, vp_gate__http_err(503));
	VT_EQ(ETIMEDOUT, vp_gate__http_err(500));
	VT_EQ(ETIMEDOUT, vp_gate__http_err(429));
	VT_EQ(ETIMEDOUT, vp_gate__http_err(408));
	VT_EQ(EPROTO, vp_gate__http_err(400));
	VT_EQ(EPROTO, vp_gate__http_err(302));
	VT_EQ(EPROTO, vp_gate__http_err(600));
}

/* A self-signed server on loopback: the peer check must refuse it. */
VTEST(gate_load_url_tls_verified)
{
	char cmd[1024], url[64], err[256] = "";
	struct vp_settings *s = NULL;
	int port = 20000 + getpid() % 20000, e = ETIMEDOUT;
	pid_t pid;

	VT_EQ(0, chdir(vtest_tmpdir()));
	VT_EQ(0, system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
			"-subj /CN=127.0.0.1 -keyout k.pem -out c.pem "
			">/dev/null 2>&1"));
	snprintf(url, sizeof(url), "127.0.0.1:%d", port);
	snprintf(cmd, sizeof(cmd),
		 "exec timeout 10 openssl s_server -quiet "
		 "-www -accept %s -cert c.pem -key k.pem",
		 url);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/s.json", port);
	for (int i = 0; i < 50 && e == ETIMEDOUT; i++) {
		usleep(100000); /* until s_server listens */
		e = vp_settings_load(&s, url, err, sizeof(err));
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	VT_EQ(EPROTO, e); /* a verified peer would give EBADMSG (HTML) */
	VT_TRUE(s == NULL);
}

/* Walked by the oom suite: settings with a never-record member, each
 * allocation of the parse (jansson's too) failing in turn. The parse
 * fails, or carol is there and never-record: jansson must not lose her
 * (a dropped member would be recorded). */
VTEST_OOM(gate_settings_parse_oom_keeps_never_record)
{
	const struct vp_settings_member *m;
	struct vp_settings *s = NULL;
	char sb[2048];
	int e;

	VT_OOM_SKIP();
	json(S_LIST, sb, sizeof(sb));
	VT_OOM_WALK();
	e = vp_settings_parse(&s, sb, strlen(sb), NULL, 0);
	VT_OOM_SKIP();
	if (!VT_OOM(e)) {
		m = vp_settings_member_find(s, "carol@example.com");
		VT_TRUE(m != NULL);
		VT_EQ(VP_SETTINGS_CAPTURE_NEVER, m->capture);
		m = vp_settings_member_find(s, "dave@example.com");
		VT_TRUE(m != NULL);
	}
	vp_mem_deref(s);
}
