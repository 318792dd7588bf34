/* SPDX-License-Identifier: MIT */
/**
 * @file test_gate.c  Policy rules and overrides of DESIGN.md §6 (table
 * driven), settings/facts validation, settings loading, the live gate.
 * JSON in this file is written with ' for " (see json()) to stay readable.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/core/clock.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/policy.h"
#include "src/gate/settings.h"
#include "tests/harness/vtest.h"

#ifndef VP_GATE_DATA_DIR
#define VP_GATE_DATA_DIR "tests/data/settings"
#endif

/* ' -> " into a static buffer (one at a time) */
static const char *json(const char *src, char *buf, size_t sz)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < sz; i++)
		buf[i] = src[i] == '\'' ? '"' : src[i];
	buf[i] = '\0';
	return buf;
}

static struct vp_settings *settings(const char *q)
{
	char buf[4096], err[256] = "";
	struct vp_settings *s = NULL;
	int e;

	json(q, buf, sizeof(buf));
	e = vp_settings_parse(&s, buf, strlen(buf), err, sizeof(err));
	if (e)
		vtest_fail(__FILE__, __LINE__, "settings %d: %s", e, err);
	return s;
}

static struct vp_meeting_facts *facts(const char *q)
{
	char buf[4096], err[256] = "";
	struct vp_meeting_facts *f = NULL;
	int e;

	json(q, buf, sizeof(buf));
	e = vp_meeting_facts_parse(&f, buf, strlen(buf), err, sizeof(err));
	if (e)
		vtest_fail(__FILE__, __LINE__, "facts %d: %s", e, err);
	return f;
}

/* ------------------------------------------------------------ policy */

#define S(rint, rext, members, extra)                                          \
	"{'company_domains': ['example.com'], 'record_internal': " rint        \
	", 'record_external': " rext ", 'recorded_members': " members          \
	", 'consent': {'mode': 'enforced'}" extra "}"
#define S_ALL S("true", "true", "'all'", "")
#define S_EXCL                                                                 \
	S("true", "true", "'all'",                                             \
	  ", 'exclude': {'domains': ['lawfirm.test'], 'addresses': "           \
	  "['ceo@partner.test'], 'title_words': ['confidential', "             \
	  "'HR review', '1:1']}")
#define S_LIST                                                                 \
	S("true", "true", "['alice@example.com']",                             \
	  ", 'members': [{'address': 'dave@example.com', 'data_capture': "     \
	  "'always'}, {'address': 'carol@example.com', 'data_capture': "       \
	  "'never'}]")
#define F(org, inv, title, priv, manual, url)                                  \
	"{'organizer': " org ", 'invitees': " inv ", 'title': " title          \
	", 'private': " priv ", 'manual_invite': " manual                      \
	", 'conference_url': " url "}"
#define URL	 "'https://meet.example.com/x'"
#define INTERNAL "['bob@example.com']"
#define EXTERNAL "['erin@customer.test']"
#define ALICE	 "'alice@example.com'"

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

VTEST(gate_parse_oom_walk)
{
	char sb[2048], fb[2048];
	int e;
	long n;

	json(S_EXCL, sb, sizeof(sb));
	json(F(ALICE, EXTERNAL, "'t'", "false", "false", URL), fb, sizeof(fb));
	for (n = 0; n < 1000; n++) {
		struct vp_settings *s = NULL;
		struct vp_meeting_facts *f = NULL;

		vp_mem_fail_after(n);
		e = vp_settings_parse(&s, sb, strlen(sb), NULL, 0);
		if (!e)
			e = vp_meeting_facts_parse(&f, fb, strlen(fb), NULL, 0);
		vp_mem_fail_reset();
		VT_TRUE(e == 0 || e == ENOMEM);
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

/* A RECORD gate for the given consent mode, carol@example.com never. */
static struct vp_gate *live(const char *mode, struct rec *r)
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
	f = facts(F(ALICE, EXTERNAL, "'x'", "false", "false", URL));
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

VTEST(gate_live_closed_before_start)
{
	struct rec r;
	struct vp_gate *g = live("none", &r);
	struct vp_gate_grant *gr = NULL;

	VT_EQ(0, vp_gate_participant_join(g, "p1", NULL, 0));
	VT_TRUE(!vp_gate_is_open(g));
	VT_EQ(VP_GATE_DENY, vp_gate_check(g, NULL, &gr));
	VT_TRUE(gr == NULL);
	VT_EQ(0, r.n);
	VT_EQ(0, vp_gate_start(g, 10));
	VT_EQ(EALREADY, vp_gate_start(g, 11));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(1, r.n);
	VT_EQ(10, r.at[0]);
	VT_EQ(VP_GATE_ALLOW, vp_gate_check(g, "p1", &gr));
	VT_TRUE(vp_gate_grant_valid(gr));
	VT_EQ(0, r.announced); /* consent none: no announcement */
	vp_mem_deref(g);
	VT_TRUE(!vp_gate_grant_valid(gr)); /* dies with the gate */
	vp_mem_deref(gr);
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
	struct vp_gate_grant *gr = NULL, *gr2 = NULL;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(VP_GATE_ALLOW, vp_gate_check(g, "p1", &gr));
	/* the join closes the gate before their first frame can pass */
	VT_EQ(0, vp_gate_participant_join(g, "p9", "CAROL@Example.COM", 48000));
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(!vp_gate_grant_valid(gr));
	VT_EQ(VP_GATE_DENY, vp_gate_check(g, "p1", &gr2));
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
	VT_EQ(VP_GATE_ALLOW, vp_gate_check(g, "p1", &gr2));
	VT_TRUE(vp_gate_grant_valid(gr2));
	VT_TRUE(!vp_gate_grant_valid(gr)); /* an old grant stays revoked */
	{
		json_t *j = vp_gate_json(g);

		VT_EQ(2880, json_integer_value(
				    json_object_get(j, "dropped_samples")));
		VT_EQ(3, json_array_size(json_object_get(j, "timeline")));
		json_decref(j);
	}
	vp_mem_deref(gr);
	vp_mem_deref(gr2);
	vp_mem_deref(g);
}

VTEST(gate_live_revocation_closes_at_once)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	struct vp_gate_grant *gr = NULL;
	int frames = 0;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(0, vp_gate_consent(g, "p1", true, 0));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(VP_GATE_ALLOW, vp_gate_check(g, "p1", &gr));
	/* frames at 20 ms; the revocation arrives between frames 5 and 6 */
	for (uint64_t at = 0; at < 20 * 960; at += 960) {
		if (at == 6 * 960)
			VT_EQ(0, vp_gate_consent(g, "p1", false, at));
		if (vp_gate_grant_valid(gr) && vp_gate_is_open(g))
			frames++;
	}
	VT_EQ(6, frames);
	VT_TRUE(strncmp(vp_gate_reason(g), "consent_missing:", 16) == 0);
	VT_EQ(6 * 960, r.at[1]);
	vp_mem_deref(gr);
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

VTEST(gate_live_errors_and_oom)
{
	struct rec r;
	struct vp_gate *g = live("enforced", &r);
	struct vp_gate_grant *gr = NULL;

	VT_EQ(0, vp_gate_participant_join(g, "p1", "bob@example.com", 0));
	VT_EQ(EALREADY, vp_gate_participant_join(g, "p1", NULL, 1));
	VT_EQ(ENOENT, vp_gate_participant_leave(g, "p2", 1));
	VT_EQ(ENOENT, vp_gate_consent(g, "p2", true, 1));
	VT_EQ(EINVAL, vp_gate_participant_join(g, "", NULL, 1));
	VT_EQ(0, vp_gate_start(g, 0));
	VT_EQ(VP_GATE_DENY, vp_gate_check(g, "nobody", &gr));
	/* opening needs a new grant; if that fails the gate stays shut */
	vp_mem_fail_after(0);
	VT_EQ(ENOMEM, vp_gate_consent(g, "p1", true, 10));
	vp_mem_fail_reset();
	VT_TRUE(!vp_gate_is_open(g));
	VT_TRUE(strncmp(vp_gate_reason(g), "no_memory:", 10) == 0);
	VT_EQ(0, vp_gate_consent(g, "p1", true, 20));
	VT_TRUE(vp_gate_is_open(g));
	VT_EQ(VP_GATE_DENY, vp_gate_check(g, "nobody", &gr));
	VT_TRUE(gr == NULL);
	vp_mem_deref(g);
}
