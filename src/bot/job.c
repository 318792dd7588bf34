/* SPDX-License-Identifier: MIT */
/** @file job.c  The job file: strict types, every error names its field. */
#include "src/bot/job.h"
#include "src/bot/live_cfg.h"
#include "src/bot/webhook_cfg.h"

#include "protocols/sig/invite.h"
#include "src/bot/meeting.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/core/secret.h"
#include "src/gate/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {
	"invite",  "out",      "meeting_id",	 "name",
	"rate",	   "channels", "chunk_seconds",	 "max_duration_s",
	"events",  "settings", "settings_url",	 "settings_file",
	"meeting", "webhook",  "join_timeout_s", "lobby_timeout_s",
	"live",	   NULL};

static int bad(char *err, size_t errsz, const char *fmt, const char *field)
{
	snprintf(err, errsz, fmt, field);
	return EBADMSG;
}

static int get_str(json_t *doc, const char *key, bool required,
		   const char **out, char *err, size_t errsz)
{
	json_t *v = json_object_get(doc, key);

	if (!v) {
		if (required)
			return bad(err, errsz, "job: %s is required", key);
		return 0;
	}
	if (!json_is_string(v) || !json_string_length(v))
		return bad(err, errsz, "job: %s must be a non-empty string",
			   key);
	*out = json_string_value(v);
	return 0;
}

static int get_num(json_t *doc, const char *key, double min, double max,
		   double *out, char *err, size_t errsz)
{
	json_t *v = json_object_get(doc, key);
	double d;

	if (!v)
		return 0;
	if (!json_is_number(v))
		return bad(err, errsz, "job: %s must be a number", key);
	d = json_number_value(v);
	if (d < min || d > max) {
		snprintf(err, errsz, "job: %s must be %g..%g, not %g", key, min,
			 max, d);
		return EBADMSG;
	}
	*out = d;
	return 0;
}

static int check_keys(json_t *doc, char *err, size_t errsz)
{
	const char *k = vp_json_unknown_key(doc, keys);

	return k ? bad(err, errsz, "job: unknown key '%.64s'", k) : 0;
}

static int settings_part(struct vp_job *j, char *err, size_t errsz)
{
	json_t *inl = json_object_get(j->doc, "settings");
	const char *url = NULL, *file = NULL;
	int e, n;

	e = get_str(j->doc, "settings_url", false, &url, err, errsz);
	if (!e)
		e = get_str(j->doc, "settings_file", false, &file, err, errsz);
	if (e)
		return e;
	n = !!inl + !!url + !!file;
	if (n > 1)
		return bad(err, errsz,
			   "job: %s: give only one of settings, "
			   "settings_url, settings_file",
			   "settings");
	/* a settings URL is never read as a file: the errors of a file name
	 * it, and a mistyped URL may carry a token (docs/design.md §8) */
	if (url && !vp_settings_src_is_url(url))
		return bad(err, errsz,
			   "job: %s must be an https:// URL (the value is not "
			   "shown: it may carry a token)",
			   "settings_url");
	if (inl && !json_is_object(inl))
		return bad(err, errsz, "job: %s must be an object", "settings");
	if (inl) {
		j->settings_json = vp_json_dumps(inl, JSON_COMPACT);
		if (!j->settings_json) { /* not "no settings" */
			snprintf(err, errsz, "job: out of memory");
			return ENOMEM;
		}
	}
	j->settings_src = url ? url : file;
	return 0;
}

static int fill(struct vp_job *j, char *err, size_t errsz)
{
	struct vp_bot_cfg *c = &j->cfg;
	double rate = 48000, ch = 1, chunk = 10, dur = 0;
	json_t *facts;
	int e;

	e = check_keys(j->doc, err, errsz);
	if (!e)
		e = get_str(j->doc, "invite", true, &c->invite, err, errsz);
	if (!e)
		e = get_str(j->doc, "out", true, &c->out, err, errsz);
	if (!e)
		e = get_str(j->doc, "meeting_id", false, &c->meeting, err,
			    errsz);
	if (!e && c->meeting && vp_meeting_id_check(c->meeting))
		e = bad(err, errsz, "job: meeting_id must be %s",
			VP_MEETING_ID_RULE);
	if (!e)
		e = get_str(j->doc, "name", false, &c->name, err, errsz);
	/* the invite's name= rule, the one validator (invite.h) */
	if (!e && c->name && vp_invite_name_check(c->name))
		e = bad(err, errsz, "job: name must be %s",
			VP_INVITE_NAME_RULE);
	if (!e)
		e = get_str(j->doc, "events", false, &c->events, err, errsz);
	if (!e)
		e = get_num(j->doc, "rate", 8000, 48000, &rate, err, errsz);
	if (!e && rate != 8000 && rate != 12000 && rate != 16000 &&
	    rate != 24000 && rate != 48000)
		e = bad(err, errsz,
			"job: %s must be one of 8000 12000 16000 "
			"24000 48000",
			"rate");
	if (!e)
		e = get_num(j->doc, "channels", 1, 2, &ch, err, errsz);
	if (!e && ch != 1 && ch != 2)
		e = bad(err, errsz, "job: %s must be 1 or 2", "channels");
	if (!e)
		e = get_num(j->doc, "chunk_seconds", 0.1, 3600, &chunk, err,
			    errsz);
	if (!e)
		e = get_num(j->doc, "max_duration_s", 1, 7 * 86400, &dur, err,
			    errsz);
	if (!e)
		e = get_num(j->doc, "join_timeout_s", 1, 3600,
			    &c->join_timeout_s, err, errsz);
	if (!e)
		e = get_num(j->doc, "lobby_timeout_s", 1, 86400,
			    &c->lobby_timeout_s, err, errsz);
	if (!e)
		e = settings_part(j, err, errsz);
	if (e)
		return e;
	facts = json_object_get(j->doc, "meeting");
	if (facts && !json_is_object(facts))
		return bad(err, errsz, "job: %s must be an object", "meeting");
	if (facts) {
		j->facts_json = vp_json_dumps(facts, JSON_COMPACT);
		if (!j->facts_json) {
			snprintf(err, errsz, "job: out of memory");
			return ENOMEM;
		}
	}
	if (json_object_get(j->doc, "webhook") &&
	    vp_webhook_cfg_job(c, &j->webhook_secret,
			       json_object_get(j->doc, "webhook"), err, errsz))
		return EBADMSG;
	if (json_object_get(j->doc, "live") &&
	    vp_live_cfg_job(c, &j->live_url, json_object_get(j->doc, "live"),
			    err, errsz))
		return EBADMSG;
	c->rate = (uint32_t)rate;
	c->channels = (unsigned)ch;
	c->chunk_seconds = chunk;
	c->duration_s = dur;
	return 0;
}

int vp_job_parse(struct vp_job *j, const char *text, size_t len, char *err,
		 size_t errsz)
{
	json_error_t je;
	int e;

	memset(j, 0, sizeof(*j));
	j->doc = vp_json_loadb(text, len, JSON_REJECT_DUPLICATES, &je, &e);
	if (e == ENOMEM) {
		snprintf(err, errsz, "job: out of memory");
		return ENOMEM;
	}
	if (!j->doc) {
		snprintf(err, errsz, "job: not valid JSON (line %d: %s)",
			 je.line, je.text);
		return EBADMSG;
	}
	if (!json_is_object(j->doc)) {
		vp_job_free(j);
		return bad(err, errsz, "job: %s", "must be a JSON object");
	}
	e = fill(j, err, errsz);
	if (e)
		vp_job_free(j);
	return e;
}

int vp_job_load(struct vp_job *j, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	int e;

	if (!f) {
		e = errno;
		snprintf(err, errsz, "job: %s: %s", path, strerror(e));
		return e;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || n > 1024 * 1024) {
		fclose(f);
		snprintf(err, errsz, "job: %s: not a job file (size)", path);
		return EBADMSG;
	}
	buf = vp_malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		snprintf(err, errsz, "job: %s: read failed", path);
		return EIO;
	}
	fclose(f);
	e = vp_job_parse(j, buf, (size_t)n, err, errsz);
	free(buf);
	return e;
}

void vp_job_free(struct vp_job *j)
{
	json_decref(j->doc);
	free(j->settings_json);
	free(j->facts_json);
	vp_secret_free(j->webhook_secret);
	vp_secret_free(j->live_url);
	memset(j, 0, sizeof(*j));
}
