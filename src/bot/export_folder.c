/* SPDX-License-Identifier: MIT */
/**
 * @file export_folder.c  A meeting folder read back for `vpbot export` and
 * `vpbot verify`: every manifest line (strictly parsed, each fault told
 * with its line number) and meeting.json's runs (the last run at the top
 * level, earlier ones under "previous_runs"), each with its own timeline.
 */
#include "src/bot/export_priv.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void tell(vp_export__report_h *rep, void *arg, const char *fmt,
		 unsigned lineno, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, lineno, what);
	rep(msg, arg);
}

static int add_chunk(struct vp_export__folder *f, const struct vp_pcm_line *l,
		     unsigned lineno)
{
	struct vp_export__chunk *v;

	if (f->n == f->cap) {
		v = vp_realloc(f->c, (f->cap ? f->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return ENOMEM;
		f->c = v;
		f->cap = f->cap ? f->cap * 2 : 16;
	}
	f->c[f->n].l = *l;
	f->c[f->n].lineno = lineno;
	f->c[f->n].run = vp_export__run_of(f, l->stream);
	f->n++;
	return 0;
}

static int load_lines(struct vp_export__folder *f, FILE *in,
		      vp_export__report_h *rep, void *arg)
{
	char *line = NULL, why[160];
	struct vp_pcm_line l;
	unsigned lineno = 0;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = vp_getline(&line, &cap, in)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			tell(rep, arg,
			     "manifest.jsonl:%u: torn last line (no "
			     "newline: %s)",
			     lineno, "a crash while appending?");
			continue;
		}
		if (n == 1) {
			tell(rep, arg, "manifest.jsonl:%u: %s", lineno,
			     "empty line");
			continue;
		}
		err = vp_pcm_line_parse(&l, line, (size_t)n, why, sizeof(why));
		if (err == ENOMEM)
			break; /* not a bad line: the whole read failed */
		if (err) {
			tell(rep, arg, "manifest.jsonl:%u: %s", lineno, why);
			err = 0;
			continue;
		}
		err = add_chunk(f, &l, lineno);
	}
	if (!err && n < 0 && errno == ENOMEM)
		err = ENOMEM; /* not the end of the file */
	if (!err && ferror(in))
		err = EIO;
	free(line);
	return err;
}

/* [0] the last run, then previous_runs in order. */
static int load_runs(struct vp_export__folder *f)
{
	json_t *prev = json_object_get(f->meeting, "previous_runs");
	size_t np = json_is_array(prev) ? json_array_size(prev) : 0;

	f->runs = vp_calloc(np + 1, sizeof(*f->runs));
	if (!f->runs)
		return ENOMEM;
	f->runs[f->nruns++] = f->meeting;
	for (size_t i = 0; i < np; i++)
		if (json_is_object(json_array_get(prev, i)))
			f->runs[f->nruns++] = json_array_get(prev, i);
	return 0;
}

int vp_export__load(struct vp_export__folder *f, const char *mdir,
		    vp_export__report_h *rep, void *arg)
{
	char path[PATH_MAX + 32];
	json_error_t je;
	struct stat st;
	FILE *in;
	int err;

	memset(f, 0, sizeof(*f));
	if (!mdir || !rep || strlen(mdir) >= sizeof(f->mdir))
		return EINVAL;
	if (stat(mdir, &st) || !S_ISDIR(st.st_mode))
		return ENOENT;
	strcpy(f->mdir, mdir);
	snprintf(path, sizeof(path), "%s/meeting.json", mdir);
	f->meeting = vp_json_load_path(path, 0, &je);
	if (!json_is_object(f->meeting)) {
		tell(rep, arg, "meeting.json: unreadable (line %u: %s)",
		     (unsigned)je.line, f->meeting ? "not an object" : je.text);
		json_decref(f->meeting);
		f->meeting = NULL;
	} else if ((err = load_runs(f))) {
		return err;
	}
	snprintf(path, sizeof(path), "%s/manifest.jsonl", mdir);
	in = fopen(path, "re");
	if (!in)
		return errno;
	err = load_lines(f, in, rep, arg);
	fclose(in);
	if (err)
		vp_export__free(f);
	return err;
}

void vp_export__free(struct vp_export__folder *f)
{
	free(f->c);
	free(f->runs);
	json_decref(f->meeting);
	memset(f, 0, sizeof(*f));
}

int vp_export__run_of(const struct vp_export__folder *f, const char *id)
{
	for (size_t r = 0; r < f->nruns; r++) {
		json_t *a = json_object_get(f->runs[r], "streams"), *s;
		size_t i;

		json_array_foreach(a, i, s)
		{
			const char *sid =
				json_string_value(json_object_get(s, "id"));

			if (sid && !strcmp(sid, id))
				return (int)r;
		}
	}
	return -1;
}

/* "2026-01-01T00:00:00.000000Z", as vp_clock_rfc3339 writes it. */
static uint64_t parse_utc(const char *s)
{
	struct tm tm = {0};
	uint64_t frac = 0, scale = 1000000000;
	const char *p;
	time_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	t = timegm(&tm);
	if (*p != 'Z' || t < 0)
		return 0;
	return (uint64_t)t * 1000000000u + frac;
}

uint64_t vp_export__origin_ns(const struct vp_export__folder *f, int run)
{
	if (run < 0 || (size_t)run >= f->nruns)
		return 0;
	return parse_utc(json_string_value(
		json_object_get(f->runs[run], "timeline_origin_utc")));
}

bool vp_export__closed_within(const struct vp_export__folder *f, int run,
			      uint64_t from, uint64_t to)
{
	json_t *tl, *m;
	size_t i, n;

	if (run < 0 || (size_t)run >= f->nruns)
		return false;
	tl = json_object_get(f->runs[run], "gate_timeline");
	n = json_array_size(tl);
	/* closed from a closing mark until the next opening one (or ever) */
	for (i = 0; i < n; i++) {
		uint64_t c, o = UINT64_MAX;

		m = json_array_get(tl, i);
		if (json_is_true(json_object_get(m, "open")))
			continue;
		c = (uint64_t)json_integer_value(json_object_get(m, "sample"));
		for (size_t k = i + 1; k < n; k++) {
			json_t *mk = json_array_get(tl, k);

			if (json_is_true(json_object_get(mk, "open"))) {
				o = (uint64_t)json_integer_value(
					json_object_get(mk, "sample"));
				break;
			}
		}
		if (c <= to && o >= from)
			return true;
	}
	return false;
}

void vp_export__expected_name(char *buf, size_t sz, const char *id,
			      uint32_t seq)
{
	snprintf(buf, sz, "streams/%s/%06u.wav", id, seq);
}
