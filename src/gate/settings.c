/* SPDX-License-Identifier: MIT */
/**
 * @file settings.c  Company settings and meeting facts JSON -> structs.
 * Pure: no I/O. Every error names its field; unknown keys are errors,
 * because a misspelt rule must not quietly fall back to "record".
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/gate/gate_priv.h"
#include "src/gate/settings.h"

/* Parsing context: which document we read and where errors go. */
struct pctx {
	const char *what; /* "settings" or "facts" */
	char *err;
	size_t errsz;
};

enum kind { K_ADDR, K_DOMAIN, K_WORD };

#define MAX_LIST 10000
#define MAX_TEXT 4096

static int bad(struct pctx *c, const char *field, const char *msg)
{
	vp_gate__errf(c->err, c->errsz, "%s: %s %s", c->what, field, msg);
	return EBADMSG;
}

static void strv_destroy(struct vp_settings_strv *v)
{
	for (size_t i = 0; v->v && i < v->n; i++)
		vp_mem_deref(v->v[i]);
	v->v = vp_mem_deref(v->v);
	v->n = 0;
}

/* Reject keys not in `allowed` (NULL-terminated). */
static int check_keys(struct pctx *c, json_t *obj, const char *prefix,
		      const char *const *allowed)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			vp_gate__errf(c->err, c->errsz,
				      "%s: unknown key %s%.64s", c->what,
				      prefix, key);
			return EBADMSG;
		}
	}
	return 0;
}

static int get_bool(struct pctx *c, json_t *obj, const char *key, bool required,
		    bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return required ? bad(c, key, "is required (true|false)") : 0;
	if (!json_is_boolean(v))
		return bad(c, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string, copied and lower-cased if `lower`; NULL stays NULL. */
static int get_text(struct pctx *c, json_t *v, const char *field, bool lower,
		    char **out)
{
	size_t len;

	if (!json_is_string(v))
		return bad(c, field, "must be a string");
	len = json_string_length(v);
	if (len > MAX_TEXT)
		return bad(c, field, "is too long");
	*out = vp_mem_strndup(json_string_value(v), len);
	if (!*out)
		return ENOMEM;
	if (lower)
		vp_gate__lower(*out);
	return 0;
}

static int check_kind(struct pctx *c, const char *s, enum kind k,
		      const char *field)
{
	switch (k) {
	case K_ADDR:
		if (!vp_gate__addr_valid(s))
			return bad(c, field, "is not an e-mail address");
		break;
	case K_DOMAIN:
		if (!vp_gate__domain_valid(s))
			return bad(c, field, "is not a domain name");
		break;
	case K_WORD:
		if (!*s || strlen(s) > 200)
			return bad(c, field, "must be 1..200 characters");
		break;
	}
	return 0;
}

/* An array of strings of one kind; missing is an empty list. */
static int get_strv(struct pctx *c, json_t *obj, const char *key,
		    const char *field, enum kind k, struct vp_settings_strv *v)
{
	json_t *arr = json_object_get(obj, key), *e;
	char name[96];
	size_t i;
	int err = 0;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(c, field, "must be an array of strings");
	if (json_array_size(arr) > MAX_LIST)
		return bad(c, field, "has too many entries");
	v->v = vp_mem_zalloc((json_array_size(arr) + 1) * sizeof(char *), NULL);
	if (!v->v)
		return ENOMEM;
	json_array_foreach(arr, i, e)
	{
		snprintf(name, sizeof(name), "%s[%zu]", field, i);
		err = get_text(c, e, name, true, &v->v[v->n]);
		if (err)
			return err;
		v->n++;
		err = check_kind(c, v->v[v->n - 1], k, name);
		if (err)
			return err;
	}
	return 0;
}

/* @return 0, EBADMSG (bad input) or ENOMEM (jansson ran out of memory:
 * not the input's fault, and not to be reported as such) */
static int load(struct pctx *c, const char *json, size_t len, json_t **rootp)
{
	json_error_t je;
	json_t *root;
	int err;

	*rootp = NULL;
	if (len > VP_GATE__MAX_INPUT) {
		vp_gate__errf(c->err, c->errsz, "%s: larger than 1 MiB",
			      c->what);
		return EBADMSG;
	}
	/* duplicate keys would let one copy of a rule hide another */
	root = vp_json_loadb(json, len, JSON_REJECT_DUPLICATES, &je, &err);
	/* jansson may return a document with a member missing when an
	 * allocation fails: a never-record member could vanish */
	if (err == ENOMEM) {
		vp_gate__errf(c->err, c->errsz, "%s: out of memory", c->what);
		return ENOMEM;
	}
	if (!root) {
		vp_gate__errf(c->err, c->errsz,
			      "%s: not valid JSON: %s "
			      "(line %d)",
			      c->what, je.text, je.line);
		return EBADMSG;
	}
	if (!json_is_object(root)) {
		vp_gate__errf(c->err, c->errsz, "%s: must be a JSON object",
			      c->what);
		json_decref(root);
		return EBADMSG;
	}
	*rootp = root;
	return 0;
}

/* ---------------------------------------------------------- settings */

static void settings_destroy(void *arg)
{
	struct vp_settings *s = arg;

	strv_destroy(&s->company_domains);
	strv_destroy(&s->recorded);
	for (size_t i = 0; s->members && i < s->nmembers; i++)
		vp_mem_deref(s->members[i].address);
	vp_mem_deref(s->members);
	strv_destroy(&s->excl_domains);
	strv_destroy(&s->excl_addresses);
	strv_destroy(&s->excl_words);
	vp_mem_deref(s->announcement);
}

static int parse_recorded(struct pctx *c, json_t *root, struct vp_settings *s)
{
	json_t *v = json_object_get(root, "recorded_members");

	if (!v)
		return bad(c, "recorded_members",
			   "is required (\"all\" or an array of addresses)");
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "all") != 0)
			return bad(c, "recorded_members",
				   "must be \"all\" or an array of addresses");
		s->recorded_all = true;
		return 0;
	}
	return get_strv(c, root, "recorded_members", "recorded_members", K_ADDR,
			&s->recorded);
}

static int parse_capture(struct pctx *c, json_t *m, const char *field,
			 enum vp_settings_capture *out)
{
	static const char *const keys[] = {"address", "data_capture", NULL};
	json_t *v = json_object_get(m, "data_capture");
	const char *t = json_is_string(v) ? json_string_value(v) : "";
	int err = check_keys(c, m, "members[].", keys);

	if (err)
		return err;
	if (!strcmp(t, "never"))
		*out = VP_SETTINGS_CAPTURE_NEVER;
	else if (!strcmp(t, "default"))
		*out = VP_SETTINGS_CAPTURE_DEFAULT;
	else if (!strcmp(t, "always"))
		*out = VP_SETTINGS_CAPTURE_ALWAYS;
	else
		return bad(c, field, "must be one of always|never|default");
	return 0;
}

static int parse_members(struct pctx *c, json_t *root, struct vp_settings *s)
{
	json_t *arr = json_object_get(root, "members"), *m;
	char name[64];
	size_t i;
	int err;

	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_LIST)
		return bad(c, "members", "must be an array of objects");
	s->members = vp_mem_zalloc(
		(json_array_size(arr) + 1) * sizeof(*s->members), NULL);
	if (!s->members)
		return ENOMEM;
	json_array_foreach(arr, i, m)
	{
		struct vp_settings_member *mb = &s->members[s->nmembers];

		snprintf(name, sizeof(name), "members[%zu]", i);
		if (!json_is_object(m))
			return bad(c, name, "must be an object");
		snprintf(name, sizeof(name), "members[%zu].address", i);
		if (!json_object_get(m, "address"))
			return bad(c, name, "is required");
		err = get_text(c, json_object_get(m, "address"), name, true,
			       &mb->address);
		if (err)
			return err;
		s->nmembers++;
		err = check_kind(c, mb->address, K_ADDR, name);
		if (err)
			return err;
		if (vp_settings_member_find(s, mb->address) != mb)
			return bad(c, name, "appears twice");
		snprintf(name, sizeof(name), "members[%zu].data_capture", i);
		err = parse_capture(c, m, name, &mb->capture);
		if (err)
			return err;
	}
	return 0;
}

static int parse_exclude(struct pctx *c, json_t *root, struct vp_settings *s)
{
	static const char *const keys[] = {"domains", "addresses",
					   "title_words", NULL};
	json_t *ex = json_object_get(root, "exclude");
	int err;

	if (!ex)
		return 0;
	if (!json_is_object(ex))
		return bad(c, "exclude", "must be an object");
	err = check_keys(c, ex, "exclude.", keys);
	if (!err)
		err = get_strv(c, ex, "domains", "exclude.domains", K_DOMAIN,
			       &s->excl_domains);
	if (!err)
		err = get_strv(c, ex, "addresses", "exclude.addresses", K_ADDR,
			       &s->excl_addresses);
	if (!err)
		err = get_strv(c, ex, "title_words", "exclude.title_words",
			       K_WORD, &s->excl_words);
	return err;
}

static int parse_consent(struct pctx *c, json_t *root, struct vp_settings *s)
{
	static const char *const keys[] = {"mode", "announcement", NULL};
	json_t *co = json_object_get(root, "consent"), *v;
	const char *m;
	int err;

	if (!co)
		return bad(c, "consent", "is required ({\"mode\": ...})");
	if (!json_is_object(co))
		return bad(c, "consent", "must be an object");
	err = check_keys(c, co, "consent.", keys);
	if (err)
		return err;
	v = json_object_get(co, "mode");
	m = json_is_string(v) ? json_string_value(v) : "";
	if (!strcmp(m, "none"))
		s->consent = VP_CONSENT_NONE;
	else if (!strcmp(m, "notify"))
		s->consent = VP_CONSENT_NOTIFY;
	else if (!strcmp(m, "enforced"))
		s->consent = VP_CONSENT_ENFORCED;
	else
		return bad(c, "consent.mode",
			   "must be one of none|notify|enforced");
	v = json_object_get(co, "announcement");
	if (v)
		return get_text(c, v, "consent.announcement", false,
				&s->announcement);
	s->announcement = vp_mem_strdup("This meeting is being recorded.");
	return s->announcement ? 0 : ENOMEM;
}

static int parse_settings(struct pctx *c, json_t *root, struct vp_settings *s)
{
	static const char *const keys[] = {
		"version",	   "company_domains",  "record_internal",
		"record_external", "recorded_members", "members",
		"exclude",	   "consent",	       NULL};
	json_t *ver = json_object_get(root, "version");
	int err = check_keys(c, root, "", keys);

	if (err)
		return err;
	if (ver && (!json_is_integer(ver) || json_integer_value(ver) != 1))
		return bad(c, "version", "must be 1");
	err = get_strv(c, root, "company_domains", "company_domains", K_DOMAIN,
		       &s->company_domains);
	if (err)
		return err;
	if (s->company_domains.n == 0)
		return bad(c, "company_domains",
			   "is required (a non-empty array of domains)");
	err = get_bool(c, root, "record_internal", true, &s->record_internal);
	if (!err)
		err = get_bool(c, root, "record_external", true,
			       &s->record_external);
	if (!err)
		err = parse_recorded(c, root, s);
	if (!err)
		err = parse_members(c, root, s);
	if (!err)
		err = parse_exclude(c, root, s);
	if (!err)
		err = parse_consent(c, root, s);
	return err;
}

int vp_settings_parse(struct vp_settings **sp, const char *json, size_t len,
		      char *err, size_t errsz)
{
	struct pctx c = {"settings", err, errsz};
	struct vp_settings *s = NULL;
	json_t *root;
	int e;

	if (!sp || !json)
		return EINVAL;
	e = load(&c, json, len, &root);
	if (e)
		return e;
	s = vp_mem_zalloc(sizeof(*s), settings_destroy);
	if (!s) {
		e = ENOMEM;
		goto out;
	}
	e = parse_settings(&c, root, s);
out:
	json_decref(root);
	if (e == ENOMEM)
		vp_gate__errf(err, errsz, "settings: out of memory");
	if (e)
		vp_mem_deref(s);
	else
		*sp = s;
	return e;
}

const struct vp_settings_member *
vp_settings_member_find(const struct vp_settings *s, const char *address)
{
	if (!s || !address)
		return NULL;
	for (size_t i = 0; i < s->nmembers; i++) {
		if (strcasecmp(s->members[i].address, address) == 0)
			return &s->members[i];
	}
	return NULL;
}

const char *vp_consent_mode_str(enum vp_consent_mode m)
{
	switch (m) {
	case VP_CONSENT_NONE:
		return "none";
	case VP_CONSENT_NOTIFY:
		return "notify";
	case VP_CONSENT_ENFORCED:
		break;
	}
	return "enforced";
}

/* ------------------------------------------------------------- facts */

static void facts_destroy(void *arg)
{
	struct vp_meeting_facts *f = arg;

	vp_mem_deref(f->organizer);
	strv_destroy(&f->invitees);
	strv_destroy(&f->vouched_pids);
	strv_destroy(&f->vouched_addrs);
	vp_mem_deref(f->title);
	vp_mem_deref(f->conference_url);
}

static int parse_url(struct pctx *c, json_t *root, struct vp_meeting_facts *f)
{
	json_t *v = json_object_get(root, "conference_url");
	int err;

	/* missing or null: a physical room, which keeps metadata only */
	if (!v || json_is_null(v))
		return 0;
	err = get_text(c, v, "conference_url", false, &f->conference_url);
	if (err)
		return err;
	if (!*f->conference_url || !strstr(f->conference_url, "://"))
		return bad(c, "conference_url", "must be a URL or null");
	return 0;
}

/* A participant id as a dialect reports it: opaque, compared exactly. */
static bool pid_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > VP_FACTS_PID_MAX)
		return false;
	for (; *k; k++)
		if ((unsigned char)*k <= 0x20 || (unsigned char)*k >= 0x7f)
			return false;
	return true;
}

/*
 * "vouched_identities": {"<participant id>": "address", ...}: identities
 * the deployment vouches for, for dialects that carry none (src/gate/
 * README.md says when a deployment may do that). Addresses only; a
 * display name is never an identity.
 */
static int parse_vouched(struct pctx *c, json_t *root,
			 struct vp_meeting_facts *f)
{
	json_t *o = json_object_get(root, "vouched_identities"), *v;
	const char *key;
	char name[96];
	size_t n;
	int err;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return bad(c, "vouched_identities",
			   "must be an object of participant id -> address");
	n = json_object_size(o);
	if (n > MAX_LIST)
		return bad(c, "vouched_identities", "has too many entries");
	f->vouched_pids.v = vp_mem_zalloc((n + 1) * sizeof(char *), NULL);
	f->vouched_addrs.v = vp_mem_zalloc((n + 1) * sizeof(char *), NULL);
	if (!f->vouched_pids.v || !f->vouched_addrs.v)
		return ENOMEM;
	json_object_foreach(o, key, v)
	{
		if (!pid_valid(key))
			return bad(c, "vouched_identities",
				   "has a key that is not a participant id "
				   "(1..63 printable ASCII characters)");
		snprintf(name, sizeof(name), "vouched_identities.%s", key);
		f->vouched_pids.v[f->vouched_pids.n] = vp_mem_strdup(key);
		if (!f->vouched_pids.v[f->vouched_pids.n])
			return ENOMEM;
		f->vouched_pids.n++;
		err = get_text(c, v, name, true,
			       &f->vouched_addrs.v[f->vouched_addrs.n]);
		if (err)
			return err;
		f->vouched_addrs.n++;
		err = check_kind(c, f->vouched_addrs.v[f->vouched_addrs.n - 1],
				 K_ADDR, name);
		if (err)
			return err;
	}
	return 0;
}

const char *vp_meeting_facts_vouched(const struct vp_meeting_facts *f,
				     const char *pid)
{
	for (size_t i = 0; f && pid && i < f->vouched_addrs.n; i++) {
		if (!strcmp(f->vouched_pids.v[i], pid))
			return f->vouched_addrs.v[i];
	}
	return NULL;
}

static int parse_facts(struct pctx *c, json_t *root, struct vp_meeting_facts *f)
{
	static const char *const keys[] = {"organizer",
					   "invitees",
					   "title",
					   "private",
					   "manual_invite",
					   "conference_url",
					   "vouched_identities",
					   NULL};
	json_t *v;
	int err = check_keys(c, root, "", keys);

	if (err)
		return err;
	v = json_object_get(root, "organizer");
	if (v && !json_is_null(v)) {
		err = get_text(c, v, "organizer", true, &f->organizer);
		if (!err)
			err = check_kind(c, f->organizer, K_ADDR, "organizer");
		if (err)
			return err;
	}
	if (!json_object_get(root, "invitees"))
		return bad(c, "invitees", "is required (an array, may be [])");
	err = get_strv(c, root, "invitees", "invitees", K_ADDR, &f->invitees);
	if (err)
		return err;
	v = json_object_get(root, "title");
	if (v && !json_is_null(v))
		err = get_text(c, v, "title", false, &f->title);
	else
		f->title = vp_mem_strdup("");
	if (!err && !f->title)
		err = ENOMEM;
	if (!err)
		err = get_bool(c, root, "private", true, &f->private_);
	if (!err)
		err = get_bool(c, root, "manual_invite", false,
			       &f->manual_invite);
	if (!err)
		err = parse_url(c, root, f);
	if (!err)
		err = parse_vouched(c, root, f);
	return err;
}

int vp_meeting_facts_parse(struct vp_meeting_facts **fp, const char *json,
			   size_t len, char *err, size_t errsz)
{
	struct pctx c = {"facts", err, errsz};
	struct vp_meeting_facts *f = NULL;
	json_t *root;
	int e;

	if (!fp || !json)
		return EINVAL;
	e = load(&c, json, len, &root);
	if (e)
		return e;
	f = vp_mem_zalloc(sizeof(*f), facts_destroy);
	if (!f) {
		e = ENOMEM;
		goto out;
	}
	e = parse_facts(&c, root, f);
out:
	json_decref(root);
	if (e == ENOMEM)
		vp_gate__errf(err, errsz, "facts: out of memory");
	if (e)
		vp_mem_deref(f);
	else
		*fp = f;
	return e;
}
