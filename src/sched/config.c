/* SPDX-License-Identifier: MIT */
/** @file config.c  The scheduler's config: strict keys, defaults. */
#include "src/sched/config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/gate/settings.h"
#include "src/sched/redis.h"

static const char *const keys[] = {"calendars",
				   "settings",
				   "settings_file",
				   "settings_url",
				   "out",
				   "state",
				   "lead_s",
				   "lookahead_h",
				   "max_concurrent",
				   "assistant_address",
				   "vpbot",
				   "grace_s",
				   "scan_interval_s",
				   "retry_base_s",
				   "retry_max_s",
				   "max_attempts",
				   "feed_timeout_s",
				   "feed_max_bytes",
				   "tick_s",
				   "bot_name",
				   "job",
				   "dispatch",
				   NULL};
static const char *const job_keys[] = {"rate", "channels", "chunk_seconds",
				       NULL};

static int bad(char *err, size_t errsz, const char *fmt, const char *what)
{
	snprintf(err, errsz, fmt, what);
	return EBADMSG;
}

static bool known(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (!strcmp(*list, k))
			return true;
	return false;
}

static char *resolve(const char *dir, const char *p)
{
	char *r;

	if (p[0] == '/' || !dir)
		return vp_strdup(p);
	if (vp_asprintf(&r, "%s/%s", dir, p) < 0)
		return NULL;
	return r;
}

static int num(json_t *doc, const char *k, double min, double max, double *out,
	       char *err, size_t errsz)
{
	json_t *v = json_object_get(doc, k);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < min ||
	    json_number_value(v) > max) {
		snprintf(err, errsz, "config: %s must be a number %g..%g", k,
			 min, max);
		return EBADMSG;
	}
	*out = json_number_value(v);
	return 0;
}

static int str(json_t *doc, const char *k, const char *dir, char **out,
	       char *err, size_t errsz)
{
	json_t *v = json_object_get(doc, k);

	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return bad(err, errsz, "config: %s must be a non-empty string",
			   k);
	free(*out);
	*out = dir ? resolve(dir, json_string_value(v))
		   : vp_strdup(json_string_value(v));
	return *out ? 0 : ENOMEM;
}

static int lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return 0;
}

static int one_cal(struct vp_sched_cal *c, json_t *o, size_t i, const char *dir,
		   char *err, size_t errsz)
{
	const char *k;
	json_t *v;
	char what[48];

	snprintf(what, sizeof(what), "calendars[%zu]", i);
	if (!json_is_object(o))
		return bad(err, errsz, "config: %s must be an object", what);
	json_object_foreach(o, k, v) if (strcmp(k, "owner") &&
					 strcmp(k, "file") && strcmp(k, "url"))
	{
		snprintf(err, errsz, "config: %s: unknown key %s", what, k);
		return EBADMSG;
	}
	if (!json_is_string(json_object_get(o, "owner")) ||
	    !strchr(json_string_value(json_object_get(o, "owner")), '@'))
		return bad(err, errsz, "config: %s.owner must be an address",
			   what);
	if (!json_object_get(o, "file") == !json_object_get(o, "url"))
		return bad(err, errsz, "config: %s needs one of file, url",
			   what);
	c->owner = vp_strdup(json_string_value(json_object_get(o, "owner")));
	lower(c->owner);
	snprintf(c->label, sizeof(c->label), "%.40s#%zu", c->owner, i + 1);
	if (str(o, "file", dir, &c->file, err, errsz) ||
	    str(o, "url", NULL, &c->url, err, errsz))
		return EBADMSG;
	if (c->url && strncmp(c->url, "https://", 8) &&
	    !getenv("VPBOT_SCHED_TEST_HTTP"))
		return bad(err, errsz, "config: %s.url must be https://", what);
	return c->owner ? 0 : ENOMEM;
}

static int cals(struct vp_sched_cfg *c, json_t *doc, const char *dir, char *err,
		size_t errsz)
{
	json_t *a = json_object_get(doc, "calendars");
	int e = 0;

	if (!json_is_array(a) || !json_array_size(a))
		return bad(err, errsz, "config: %s must be a non-empty array",
			   "calendars");
	c->cals = vp_calloc(json_array_size(a), sizeof(*c->cals));
	if (!c->cals)
		return ENOMEM;
	for (size_t i = 0; i < json_array_size(a) && !e; i++, c->ncals++)
		e = one_cal(&c->cals[i], json_array_get(a, i), i, dir, err,
			    errsz);
	return e;
}

static int settings(struct vp_sched_cfg *c, json_t *doc, const char *dir,
		    char *err, size_t errsz)
{
	json_t *inl = json_object_get(doc, "settings");
	int n = !!inl + !!json_object_get(doc, "settings_file") +
		!!json_object_get(doc, "settings_url");
	int e;

	if (n != 1)
		return bad(err, errsz, "config: exactly one of %s is required",
			   "settings, settings_file, settings_url");
	if (inl) {
		if (!json_is_object(inl))
			return bad(err, errsz, "config: %s must be an object",
				   "settings");
		c->settings_json = vp_json_dumps(inl, JSON_COMPACT);
		return c->settings_json ? 0 : ENOMEM;
	}
	if (str(doc, "settings_file", dir, &c->settings_src, err, errsz))
		return EBADMSG;
	e = str(doc, "settings_url", NULL, &c->settings_src, err, errsz);
	if (e)
		return e;
	/* never read as a file, never echoed: it may carry a token */
	if (json_object_get(doc, "settings_url") &&
	    !vp_settings_src_is_url(c->settings_src))
		return bad(err, errsz,
			   "config: %s must be an https:// URL (the value is "
			   "not shown: it may carry a token)",
			   "settings_url");
	return 0;
}

static int job_extra(struct vp_sched_cfg *c, json_t *doc, char *err,
		     size_t errsz)
{
	json_t *j = json_object_get(doc, "job"), *v;
	const char *k;

	if (!j)
		return 0;
	if (!json_is_object(j))
		return bad(err, errsz, "config: %s must be an object", "job");
	json_object_foreach(j, k, v) if (!known(job_keys, k)) return bad(
		err, errsz,
		"config: job: unknown key %s "
		"(rate, channels, chunk_seconds)",
		k);
	c->job_extra = json_incref(j);
	return 0;
}

/* "dispatch": "redis://…" or "unix:/…" puts jobs on the fleet's stream
 * (docs/fleet.md); absent: local spawn. */
static int dispatch(struct vp_sched_cfg *c, json_t *doc, char *err,
		    size_t errsz)
{
	struct vp_sched_redis_addr a;
	char why[256];
	int e = str(doc, "dispatch", NULL, &c->dispatch, err, errsz);

	if (e || !c->dispatch)
		return e;
	if (vp_sched_redis_url_parse(&a, c->dispatch, why, sizeof(why)))
		return bad(err, errsz, "config: dispatch: %s", why);
	return 0;
}

static char *default_vpbot(void)
{
	char self[4096], *d, *r = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) { /* the vpbot built or installed beside vpbot-sched */
		self[n] = '\0';
		d = dirname(self);
		/* installed side by side, or meson's build tree
		 * (build/src/sched/vpbot-sched, build/src/vpbot) */
		if (vp_asprintf(&r, "%s/vpbot", d) > 0 && access(r, X_OK) == 0)
			return r;
		free(r);
		if (vp_asprintf(&r, "%s/../vpbot", d) > 0 &&
		    access(r, X_OK) == 0)
			return r;
		free(r);
	}
	return vp_strdup("/usr/bin/vpbot");
}

static int numbers(struct vp_sched_cfg *c, json_t *doc, char *err, size_t errsz)
{
	double lead = 60, look = 24, maxc = 4, grace = 120, scan = 60;
	double rb = 5, rm = 60, att = 5, fto = 20, fmax = 10 << 20, tick = 1;
	int e = num(doc, "lead_s", 0, 3600, &lead, err, errsz);

	e = e ? e : num(doc, "lookahead_h", 0.01, 24 * 366, &look, err, errsz);
	e = e ? e : num(doc, "max_concurrent", 1, 10000, &maxc, err, errsz);
	e = e ? e : num(doc, "grace_s", 0, 86400, &grace, err, errsz);
	e = e ? e : num(doc, "scan_interval_s", 1, 86400, &scan, err, errsz);
	e = e ? e : num(doc, "retry_base_s", 0.1, 3600, &rb, err, errsz);
	e = e ? e : num(doc, "retry_max_s", 0.1, 86400, &rm, err, errsz);
	e = e ? e : num(doc, "max_attempts", 1, 1000, &att, err, errsz);
	e = e ? e : num(doc, "feed_timeout_s", 1, 600, &fto, err, errsz);
	e = e ? e
	      : num(doc, "feed_max_bytes", 1024, 1 << 30, &fmax, err, errsz);
	e = e ? e : num(doc, "tick_s", 0.05, 60, &tick, err, errsz);
	c->lead_s = (int64_t)lead;
	c->lookahead_s = (int64_t)(look * 3600);
	c->max_concurrent = (int64_t)maxc;
	c->grace_s = (int64_t)grace;
	c->scan_s = (int64_t)scan;
	c->retry_base_s = (int64_t)(rb < 1 ? 1 : rb);
	c->retry_max_s = (int64_t)(rm < 1 ? 1 : rm);
	c->max_attempts = (int64_t)att;
	c->feed_timeout_s = (int64_t)fto;
	c->feed_max_bytes = (int64_t)fmax;
	c->tick_s = tick;
	return e;
}

static int parse(struct vp_sched_cfg *c, json_t *doc, const char *dir,
		 char *err, size_t errsz)
{
	const char *k;
	json_t *v;
	int e;

	if (!json_is_object(doc))
		return bad(err, errsz, "config: %s", "not a JSON object");
	json_object_foreach(doc, k, v) if (!known(keys, k)) return bad(
		err, errsz, "config: unknown key %s", k);
	e = cals(c, doc, dir, err, errsz);
	e = e ? e : settings(c, doc, dir, err, errsz);
	e = e ? e : numbers(c, doc, err, errsz);
	e = e ? e : job_extra(c, doc, err, errsz);
	e = e ? e : str(doc, "out", dir, &c->out, err, errsz);
	e = e ? e : str(doc, "state", dir, &c->state, err, errsz);
	e = e ? e : str(doc, "vpbot", dir, &c->vpbot, err, errsz);
	e = e ? e
	      : str(doc, "assistant_address", NULL, &c->assistant, err, errsz);
	e = e ? e : str(doc, "bot_name", NULL, &c->bot_name, err, errsz);
	e = e ? e : dispatch(c, doc, err, errsz);
	if (e)
		return e;
	lower(c->assistant);
	c->out = c->out ? c->out : resolve(dir, "out");
	c->state = c->state ? c->state : resolve(dir, "vpbot-sched.db");
	c->vpbot = c->vpbot ? c->vpbot : default_vpbot();
	return c->out && c->state && c->vpbot ? 0 : ENOMEM;
}

int vp_sched_cfg_load(struct vp_sched_cfg *c, const char *path, char *err,
		      size_t errsz)
{
	json_error_t je;
	json_t *doc;
	char *p = vp_strdup(path), *dir;
	int e;

	memset(c, 0, sizeof(*c));
	if (!p)
		return ENOMEM;
	dir = dirname(p);
	doc = vp_json_load_path(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		e = errno == ENOENT || errno == EACCES ? errno : EBADMSG;
		snprintf(err, errsz, "config: line %d: %s", je.line, je.text);
		free(p);
		return e;
	}
	e = parse(c, doc, dir, err, errsz);
	json_decref(doc);
	free(p);
	if (e)
		vp_sched_cfg_free(c);
	return e;
}

void vp_sched_cfg_free(struct vp_sched_cfg *c)
{
	for (size_t i = 0; i < c->ncals; i++) {
		free(c->cals[i].owner);
		free(c->cals[i].file);
		free(c->cals[i].url);
	}
	free(c->cals);
	free(c->settings_json);
	free(c->settings_src);
	free(c->out);
	free(c->state);
	free(c->vpbot);
	free(c->assistant);
	free(c->bot_name);
	free(c->dispatch);
	json_decref(c->job_extra);
	memset(c, 0, sizeof(*c));
}
