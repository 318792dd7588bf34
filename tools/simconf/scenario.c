/* SPDX-License-Identifier: MIT */
/**
 * @file scenario.c  Strict scenario parser. A typo in a test scenario must
 * fail loudly with the field named, never run a different test than the one
 * written, hence unknown fields are errors.
 */
#include "tools/simconf/scenario.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/mem.h"

#define MAX_FILE (4 * 1024 * 1024)

/* Field paths may be cut short; the cut is harmless in a message */
static void pathf(char *dst, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pathf(char *dst, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, sz, fmt, ap);
	va_end(ap);
}

struct pctx {
	char *why;
	size_t whysz;
};

static int bad(struct pctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->why && c->whysz)
		snprintf(c->why, c->whysz, "%s%s%s", path,
			 *path && msg[0] != '.' ? " " : "", msg);
	return EBADMSG;
}

static int keys_known(struct pctx *c, json_t *o, const char *path,
		      const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		const char *const *a;

		for (a = allowed; *a && strcmp(*a, k); a++)
			;
		if (!*a)
			return bad(c, path, "has an unknown field \"%.40s\"",
				   k);
	}
	return 0;
}

/* A number in [min, max]; absent -> def (def NAN-like: required) */
static int num(struct pctx *c, json_t *o, const char *path, const char *key,
	       double min, double max, bool required, double def, double *out)
{
	json_t *v = json_object_get(o, key);
	char p[200];

	pathf(p, sizeof(p), "%s.%s", path, key);
	if (!v) {
		if (required)
			return bad(c, p, "is required");
		*out = def;
		return 0;
	}
	if (!json_is_number(v) || json_number_value(v) < min ||
	    json_number_value(v) > max)
		return bad(c, p, "must be a number >= %g and <= %g", min, max);
	*out = json_number_value(v);
	return 0;
}

static int id_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > VP_SIMCONF_MAX_ID || s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

/* A string field; is_id: restricted to [A-Za-z0-9._-] (file names) */
static int str(struct pctx *c, json_t *o, const char *path, const char *key,
	       bool required, bool is_id, char **out)
{
	json_t *v = json_object_get(o, key);
	char p[200];

	pathf(p, sizeof(p), "%s.%s", path, key);
	if (!v) {
		if (required)
			return bad(c, p, "is required");
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) > 1024 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(c, p, "must be a string (no NUL, <= 1024 bytes)");
	if (is_id && !id_ok(json_string_value(v)))
		return bad(c, p,
			   "must be 1..%d of [A-Za-z0-9._-], not starting "
			   "with '.'",
			   VP_SIMCONF_MAX_ID);
	*out = vp_mem_strdup(json_string_value(v));
	return *out ? 0 : ENOMEM;
}

static int boolean(struct pctx *c, json_t *o, const char *path, const char *key,
		   bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		char p[200];

		pathf(p, sizeof(p), "%s.%s", path, key);
		return bad(c, p, "must be true or false");
	}
	*out = json_is_true(v);
	return 0;
}

/* A time or a list of times (consent_at, revoke_at) */
static int times(struct pctx *c, json_t *o, const char *path, const char *key,
		 double *out, unsigned *n)
{
	json_t *v = json_object_get(o, key), *e;
	char p[200];
	size_t i;

	pathf(p, sizeof(p), "%s.%s", path, key);
	*n = 0;
	if (!v)
		return 0;
	if (json_is_number(v)) {
		v = json_pack("[O]", v);
		if (!v)
			return ENOMEM;
	} else if (json_is_array(v)) {
		json_incref(v);
	} else {
		return bad(c, p, "must be a number or a list of numbers");
	}
	if (json_array_size(v) > VP_SIMCONF_MAX_TIMES) {
		json_decref(v);
		return bad(c, p, "has more than %d entries",
			   VP_SIMCONF_MAX_TIMES);
	}
	json_array_foreach(v, i, e)
	{
		double t = json_is_number(e) ? json_number_value(e) : -1;

		if (t < 0 || t > VP_SIMCONF_MAX_T) {
			json_decref(v);
			return bad(c, p, "must hold numbers >= 0 and <= %g",
				   VP_SIMCONF_MAX_T);
		}
		out[(*n)++] = t;
	}
	json_decref(v);
	return 0;
}

/* tone {freq, seconds, amplitude} or marker {seconds, amplitude} */
static int speak_gen(struct pctx *c, json_t *g, const char *tp, bool tone,
		     struct vp_simconf_speak *sp)
{
	static const char *const tk[] = {"freq", "seconds", "amplitude", NULL};
	int err;

	if (!json_is_object(g))
		return bad(c, tp, "must be an object");
	sp->kind = tone ? VP_SIMCONF_SRC_TONE : VP_SIMCONF_SRC_MARKER;
	err = keys_known(c, g, tp, tone ? tk : tk + 1);
	err = err || !tone
		      ? err
		      : num(c, g, tp, "freq", 20, 20000, true, 0, &sp->freq);
	err = err ? err
		  : num(c, g, tp, "seconds", 0.02, 3600, true, 0, &sp->seconds);
	err = err ? err
		  : num(c, g, tp, "amplitude", 0, 1, false, 0.3,
			&sp->amplitude);
	return err;
}

static int speak_src(struct pctx *c, json_t *s, const char *p,
		     struct vp_simconf_speak *sp)
{
	json_t *tone = json_object_get(s, "tone");
	json_t *marker = json_object_get(s, "marker");
	char tp[200];
	int n = !!tone + !!marker + !!json_object_get(s, "file") +
		!!json_object_get(s, "speech");

	if (n != 1)
		return bad(c, p,
			   "needs exactly one of tone, marker, file, speech");
	if (tone || marker) {
		pathf(tp, sizeof(tp), "%s.%s", p, tone ? "tone" : "marker");
		return speak_gen(c, tone ? tone : marker, tp, !!tone, sp);
	}
	sp->kind = json_object_get(s, "file") ? VP_SIMCONF_SRC_FILE
					      : VP_SIMCONF_SRC_SPEECH;
	return sp->kind == VP_SIMCONF_SRC_FILE
		       ? str(c, s, p, "file", true, false, &sp->file)
		       : str(c, s, p, "speech", true, false, &sp->text);
}

static int speak_list(struct pctx *c, json_t *o, const char *path,
		      struct vp_simconf_part *pt)
{
	static const char *const sk[] = {"at",	 "tone",   "marker",
					 "file", "speech", NULL};
	json_t *l = json_object_get(o, "speak"), *s;
	char p[200];
	size_t i;
	int err;

	if (!l)
		return 0;
	pathf(p, sizeof(p), "%s.speak", path);
	if (!json_is_array(l) || json_array_size(l) > VP_SIMCONF_MAX_SPEAK)
		return bad(c, p, "must be a list of at most %d items",
			   VP_SIMCONF_MAX_SPEAK);
	pt->speak = vp_mem_zalloc(json_array_size(l) * sizeof(*pt->speak) + 1,
				  NULL);
	if (!pt->speak)
		return ENOMEM;
	json_array_foreach(l, i, s)
	{
		struct vp_simconf_speak *sp = &pt->speak[i];

		pathf(p, sizeof(p), "%s.speak[%zu]", path, i);
		if (!json_is_object(s))
			return bad(c, p, "must be an object");
		pt->nspeak++;
		err = keys_known(c, s, p, sk);
		err = err ? err
			  : num(c, s, p, "at", 0, VP_SIMCONF_MAX_T, true, 0,
				&sp->at);
		err = err ? err : speak_src(c, s, p, sp);
		if (err)
			return err;
		if (i && sp->at < pt->speak[i - 1].at)
			return bad(c, p, "starts before the item before it");
	}
	return 0;
}

static int impair(struct pctx *c, json_t *o, const char *path,
		  struct vp_simconf_impair *im)
{
	static const char *const ik[] = {
		"loss_pct",  "dup_pct", "reorder_pct", "reorder_depth",
		"jitter_ms", "seed",	NULL};
	json_t *v = json_object_get(o, "impair");
	char p[200];
	double d = 0, j = 0, s = 0;
	int err;

	if (!v)
		return 0;
	pathf(p, sizeof(p), "%s.impair", path);
	if (!json_is_object(v))
		return bad(c, p, "must be an object");
	err = keys_known(c, v, p, ik);
	err = err ? err
		  : num(c, v, p, "loss_pct", 0, 100, false, 0, &im->loss_pct);
	err = err ? err
		  : num(c, v, p, "dup_pct", 0, 100, false, 0, &im->dup_pct);
	err = err ? err
		  : num(c, v, p, "reorder_pct", 0, 100, false, 0,
			&im->reorder_pct);
	err = err ? err : num(c, v, p, "reorder_depth", 0, 50, false, 3, &d);
	err = err ? err : num(c, v, p, "jitter_ms", 0, 1000, false, 0, &j);
	err = err ? err : num(c, v, p, "seed", 0, 4294967295.0, false, 0, &s);
	im->reorder_depth = (unsigned)d;
	im->jitter_ms = (unsigned)j;
	im->seed = (uint32_t)s;
	return err;
}

static int part(struct pctx *c, json_t *o, const char *p,
		struct vp_simconf_part *pt)
{
	static const char *const pk[] = {"id",	       "display",   "identity",
					 "join_at",    "leave_at",  "consent",
					 "consent_at", "revoke_at", "speak",
					 "impair",     NULL};
	int err;

	if (!json_is_object(o))
		return bad(c, p, "must be an object");
	err = keys_known(c, o, p, pk);
	err = err ? err : str(c, o, p, "id", true, true, &pt->id);
	err = err ? err : str(c, o, p, "display", false, false, &pt->display);
	err = err ? err : str(c, o, p, "identity", false, false, &pt->identity);
	err = err ? err
		  : num(c, o, p, "join_at", 0, VP_SIMCONF_MAX_T, false, 0,
			&pt->join_at);
	err = err ? err
		  : num(c, o, p, "leave_at", 0, VP_SIMCONF_MAX_T, false, -1,
			&pt->leave_at);
	err = err ? err : boolean(c, o, p, "consent", &pt->consent);
	err = err ? err
		  : times(c, o, p, "consent_at", pt->consent_at,
			  &pt->nconsent_at);
	err = err ? err
		  : times(c, o, p, "revoke_at", pt->revoke_at, &pt->nrevoke_at);
	err = err ? err : speak_list(c, o, p, pt);
	err = err ? err : impair(c, o, p, &pt->impair);
	if (err)
		return err;
	if (!pt->display) {
		pt->display = vp_mem_strdup(pt->id);
		if (!pt->display)
			return ENOMEM;
	}
	if (pt->leave_at >= 0 && pt->leave_at <= pt->join_at)
		return bad(c, p, ".leave_at must be after join_at");
	return 0;
}

static int faults(struct pctx *c, json_t *o, const char *path,
		  struct vp_simconf_faults *f)
{
	static const char *const fk[] = {"signaling_drop_at", "hang_at",
					 "garbage_at", "lying_fingerprint",
					 NULL};
	json_t *v = json_object_get(o, "faults");
	char p[200];
	int err;

	f->signaling_drop_at = f->hang_at = f->garbage_at = -1;
	if (!v)
		return 0;
	pathf(p, sizeof(p), "%s.faults", path);
	if (!json_is_object(v))
		return bad(c, p, "must be an object");
	err = keys_known(c, v, p, fk);
	err = err ? err
		  : num(c, v, p, "signaling_drop_at", 0, VP_SIMCONF_MAX_T,
			false, -1, &f->signaling_drop_at);
	err = err ? err
		  : num(c, v, p, "hang_at", 0, VP_SIMCONF_MAX_T, false, -1,
			&f->hang_at);
	err = err ? err
		  : num(c, v, p, "garbage_at", 0, VP_SIMCONF_MAX_T, false, -1,
			&f->garbage_at);
	err = err ? err
		  : boolean(c, v, p, "lying_fingerprint",
			    &f->lying_fingerprint);
	return err;
}

static int parts(struct pctx *c, json_t *o, const char *path,
		 struct vp_simconf_mdef *m)
{
	json_t *l = json_object_get(o, "participants"), *e;
	char p[200];
	size_t i;
	int err;

	pathf(p, sizeof(p), "%s.participants", path);
	if (!json_is_array(l) || json_array_size(l) > VP_SIMCONF_MAX_PARTS)
		return bad(c, p, "must be a list of at most %d participants",
			   VP_SIMCONF_MAX_PARTS);
	m->parts =
		vp_mem_zalloc(json_array_size(l) * sizeof(*m->parts) + 1, NULL);
	if (!m->parts)
		return ENOMEM;
	json_array_foreach(l, i, e)
	{
		pathf(p, sizeof(p), "%s.participants[%zu]", path, i);
		m->nparts++;
		err = part(c, e, p, &m->parts[i]);
		if (err)
			return err;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(m->parts[k].id, m->parts[i].id))
				return bad(c, p, ".id \"%s\" is used twice",
					   m->parts[i].id);
	}
	return 0;
}

static int meeting(struct pctx *c, json_t *o, const char *p,
		   struct vp_simconf_mdef *m)
{
	static const char *const mk[] = {
		"id",	  "token",	 "lobby",  "deny",
		"end_at", "copies",	 "faults", "participants",
		"clock",  "audio_level", NULL};
	double copies = 0;
	char *clock = NULL;
	int err;

	if (!json_is_object(o))
		return bad(c, p, "must be an object");
	err = keys_known(c, o, p, mk);
	err = err ? err : str(c, o, p, "id", true, true, &m->id);
	err = err ? err : str(c, o, p, "token", false, false, &m->token);
	err = err ? err : str(c, o, p, "deny", false, false, &m->deny);
	err = err ? err : num(c, o, p, "lobby", 0, 3600, false, 0, &m->lobby_s);
	err = err ? err
		  : num(c, o, p, "end_at", 0.1, VP_SIMCONF_MAX_T, false, -1,
			&m->end_at);
	err = err ? err
		  : num(c, o, p, "copies", 0, VP_SIMCONF_MAX_MEETINGS, false, 0,
			&copies);
	err = err ? err : str(c, o, p, "clock", false, true, &clock);
	if (!err && clock && strcmp(clock, "joined") && strcmp(clock, "media"))
		err = bad(c, p, ".clock must be \"joined\" or \"media\"");
	m->clock_media = clock && !strcmp(clock, "media");
	vp_mem_deref(clock);
	err = err ? err : boolean(c, o, p, "audio_level", &m->audio_level);
	err = err ? err : faults(c, o, p, &m->faults);
	err = err ? err : parts(c, o, p, m);
	if (err)
		return err;
	if (copies != (unsigned)copies)
		return bad(c, p, ".copies must be a whole number");
	m->copies = (unsigned)copies;
	/* the id of a copy gets "-N" appended */
	if (m->copies && strlen(m->id) + 5 > VP_SIMCONF_MAX_ID)
		return bad(c, p, ".id is too long for copies");
	return 0;
}

void vp_simconf_scenario_meeting_id(char *buf, size_t sz,
				    const struct vp_simconf_mdef *m, unsigned k)
{
	if (m->copies)
		snprintf(buf, sz, "%s-%u", m->id, k + 1);
	else
		snprintf(buf, sz, "%s", m->id);
}

unsigned vp_simconf_scenario_ncopies(const struct vp_simconf_mdef *m)
{
	return m->copies ? m->copies : 1;
}

/* Every expanded meeting id must be unique: the bot joins by id */
static int ids_unique(struct pctx *c, const struct vp_simconf_scenario *s)
{
	char(*ids)[VP_SIMCONF_MAX_ID + 8];
	unsigned n = 0, total = 0;
	int err = 0;

	for (unsigned i = 0; i < s->nmeetings; i++)
		total += vp_simconf_scenario_ncopies(&s->meetings[i]);
	if (total > VP_SIMCONF_MAX_MEETINGS)
		return bad(c, "meetings", "expand to more than %d meetings",
			   VP_SIMCONF_MAX_MEETINGS);
	ids = calloc(total + 1, sizeof(*ids));
	if (!ids)
		return ENOMEM;
	for (unsigned i = 0; i < s->nmeetings && !err; i++) {
		const struct vp_simconf_mdef *m = &s->meetings[i];

		for (unsigned k = 0; k < vp_simconf_scenario_ncopies(m); k++) {
			vp_simconf_scenario_meeting_id(ids[n], sizeof(ids[n]),
						       m, k);
			for (unsigned j = 0; j < n && !err; j++)
				if (!strcmp(ids[j], ids[n]))
					err = bad(c, "meetings",
						  "name \"%s\" twice", ids[n]);
			n++;
		}
	}
	free(ids);
	return err;
}

static void scenario_destroy(void *data)
{
	struct vp_simconf_scenario *s = data;

	for (unsigned i = 0; i < s->nmeetings; i++) {
		struct vp_simconf_mdef *m = &s->meetings[i];

		for (unsigned j = 0; j < m->nparts; j++) {
			struct vp_simconf_part *pt = &m->parts[j];

			for (unsigned k = 0; k < pt->nspeak; k++) {
				vp_mem_deref(pt->speak[k].file);
				vp_mem_deref(pt->speak[k].text);
			}
			vp_mem_deref(pt->speak);
			vp_mem_deref(pt->id);
			vp_mem_deref(pt->display);
			vp_mem_deref(pt->identity);
		}
		vp_mem_deref(m->parts);
		vp_mem_deref(m->id);
		vp_mem_deref(m->token);
		vp_mem_deref(m->deny);
	}
	vp_mem_deref(s->meetings);
	vp_mem_deref(s->dir);
}

static int top(struct pctx *c, json_t *root, struct vp_simconf_scenario *s)
{
	static const char *const rk[] = {"meetings", "comment", NULL};
	json_t *l = json_object_get(root, "meetings"), *e;
	char p[64];
	size_t i;
	int err;

	if (!json_is_object(root))
		return bad(c, "", "the top level must be an object");
	err = keys_known(c, root, "(top level)", rk);
	if (err)
		return err;
	if (!json_is_array(l) || !json_array_size(l) ||
	    json_array_size(l) > VP_SIMCONF_MAX_MEETINGS)
		return bad(c, "meetings", "must be a list of 1..%d meetings",
			   VP_SIMCONF_MAX_MEETINGS);
	s->meetings =
		vp_mem_zalloc(json_array_size(l) * sizeof(*s->meetings), NULL);
	if (!s->meetings)
		return ENOMEM;
	json_array_foreach(l, i, e)
	{
		pathf(p, sizeof(p), "meetings[%zu]", i);
		s->nmeetings++;
		err = meeting(c, e, p, &s->meetings[i]);
		if (err)
			return err;
	}
	return ids_unique(c, s);
}

int vp_simconf_scenario_parse(struct vp_simconf_scenario **sp, const char *text,
			      size_t len, char *why, size_t whysz)
{
	struct pctx c = {why, whysz};
	struct vp_simconf_scenario *s = NULL;
	json_error_t je;
	json_t *root;
	int err;

	if (!sp || !text)
		return EINVAL;
	if (why && whysz)
		why[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bad(&c, "", "is not valid JSON: line %d: %.100s",
			   je.line, je.text);
	s = vp_mem_zalloc(sizeof(*s), scenario_destroy);
	err = s ? top(&c, root, s) : ENOMEM;
	if (!err) {
		s->dir = vp_mem_strdup(".");
		err = s->dir ? 0 : ENOMEM;
	}
	json_decref(root);
	if (err)
		vp_mem_deref(s);
	else
		*sp = s;
	return err;
}

static int read_all(char **bufp, size_t *lenp, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(MAX_FILE + 1);
	size_t n = 0;
	int err = 0;

	if (!f || !buf) {
		err = f ? ENOMEM : ENOENT;
		goto out;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE)
		err = ferror(f) ? ENOENT : EBADMSG;
out:
	if (f)
		fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*bufp = buf;
	*lenp = n;
	return 0;
}

int vp_simconf_scenario_load(struct vp_simconf_scenario **sp, const char *path,
			     char *why, size_t whysz)
{
	struct vp_simconf_scenario *s = NULL;
	const char *slash;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!sp || !path)
		return EINVAL;
	err = read_all(&buf, &len, path);
	if (err) {
		if (why && whysz)
			snprintf(why, whysz, "%s: %s", path,
				 err == EBADMSG ? "file too large"
						: "cannot read the file");
		return err;
	}
	err = vp_simconf_scenario_parse(&s, buf, len, why, whysz);
	free(buf);
	if (err)
		return err;
	slash = strrchr(path, '/');
	vp_mem_deref(s->dir);
	s->dir = slash ? vp_mem_strndup(path, (size_t)(slash - path) +
						      !(slash - path))
		       : vp_mem_strdup(".");
	if (!s->dir) {
		vp_mem_deref(s);
		return ENOMEM;
	}
	*sp = s;
	return 0;
}
