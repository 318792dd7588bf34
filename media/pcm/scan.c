/* SPDX-License-Identifier: MIT */
/**
 * @file scan.c  Read back what a meeting folder already holds: the files
 * the manifest names, and per stream the next free seq, so that a rerun
 * into the same folder continues and never overwrites.
 */
#define VP_LOG_MODULE "pcm"
#include "media/pcm/pcm_priv.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- Runs on: io thread, or before it starts --- */

void vp_pcm__mlist_free(struct vp_pcm__mlist *ml)
{
	for (size_t i = 0; i < ml->n; i++) {
		free(ml->v[i].stream);
		free(ml->v[i].file);
	}
	free(ml->v);
	*ml = (struct vp_pcm__mlist){0};
}

bool vp_pcm__mlist_has_file(const struct vp_pcm__mlist *ml, const char *rel)
{
	for (size_t i = 0; i < ml->n; i++)
		if (!strcmp(ml->v[i].file, rel))
			return true;
	return false;
}

static int mlist_add(struct vp_pcm__mlist *ml, const char *stream,
		     const char *file, uint32_t seq)
{
	struct vp_pcm__mentry *v;
	size_t cap;

	if (ml->n == ml->cap) {
		cap = ml->cap ? ml->cap * 2 : 16;
		v = vp_realloc(ml->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		ml->v = v;
		ml->cap = cap;
	}
	v = &ml->v[ml->n];
	v->stream = vp_strdup(stream);
	v->file = vp_strdup(file);
	v->seq = seq;
	if (!v->stream || !v->file) {
		free(v->stream);
		free(v->file);
		return ENOMEM;
	}
	ml->n++;
	return 0;
}

/* One manifest line; a line we cannot read is skipped (a torn tail), but
 * one we could not parse for want of memory is an error: skipped, its
 * chunk would look unlisted and get a second line. jansson may swallow a
 * failed allocation and return a document with a key missing, so any
 * failure during the parse counts. */
static int mlist_line(struct vp_pcm__mlist *ml, const char *s, size_t n,
		      unsigned *bad)
{
	const char *stream, *file;
	json_int_t seq;
	json_t *o;
	int err;

	o = vp_json_loadb(s, n, 0, NULL, &err);
	if (err == ENOMEM)
		return ENOMEM;
	err = 0;
	stream = json_string_value(json_object_get(o, "stream"));
	file = json_string_value(json_object_get(o, "file"));
	seq = json_integer_value(json_object_get(o, "seq"));
	if (!stream || !file || !json_is_integer(json_object_get(o, "seq")) ||
	    seq < 0 || seq > UINT32_MAX)
		(*bad)++;
	else
		err = mlist_add(ml, stream, file, (uint32_t)seq);
	json_decref(o);
	return err;
}

int vp_pcm__mlist_load(struct vp_pcm__mlist *ml, const char *mdir)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	unsigned bad = 0;
	ssize_t n;
	FILE *f;
	int err = 0;

	*ml = (struct vp_pcm__mlist){0};
	if (vp_pcm__path(path, sizeof(path), mdir, "manifest.jsonl"))
		return EINVAL;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : errno;
	while (!err && (n = vp_getline(&line, &cap, f)) > 0) {
		if (n > 1 || line[0] != '\n')
			err = mlist_line(ml, line, (size_t)n, &bad);
	}
	if (!err && n < 0 && errno == ENOMEM)
		err = ENOMEM; /* not the end of the file */
	if (!err && ferror(f))
		err = EIO;
	if (bad)
		vp_log_warn("manifest %s: %u unreadable line(s) skipped", path,
			    bad);
	free(line);
	fclose(f);
	if (err)
		vp_pcm__mlist_free(ml);
	return err;
}

/* Per-stream next seq, collected from the manifest and from the disk. */
struct seqtab {
	struct {
		char id[VP_PCM_ID_MAX + 1];
		uint32_t next;
	} * v;
	size_t n, cap;
};

static int seqtab_bump(struct seqtab *t, const char *id, uint32_t next)
{
	void *v;
	size_t i;

	if (!vp_pcm_stream_id_valid(id))
		return 0; /* not a folder we could have made */
	for (i = 0; i < t->n && strcmp(t->v[i].id, id); i++)
		;
	if (i == t->n) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 8;
			v = vp_realloc(t->v, t->cap * sizeof(*t->v));
			if (!v)
				return ENOMEM;
			t->v = v;
		}
		strcpy(t->v[i].id, id);
		t->v[i].next = 0;
		t->n++;
	}
	if (next > t->v[i].next)
		t->v[i].next = next;
	return 0;
}

/* Every NNNNNN.wav* in MDIR/streams/ID blocks its seq. */
static int scan_stream_dir(struct seqtab *t, const char *mdir, const char *id)
{
	char path[PATH_MAX], *end;
	struct dirent *de;
	unsigned long seq;
	DIR *d;
	int err = 0;

	if (snprintf(path, sizeof(path), "%s/streams/%s", mdir, id) >=
	    (int)sizeof(path))
		return EINVAL;
	err = seqtab_bump(t, id, 0);
	d = opendir(path);
	if (!d)
		return err ? err : (errno == ENOTDIR ? 0 : errno);
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		seq = strtoul(de->d_name, &end, 10);
		if (strncmp(end, ".wav", 4) || seq >= UINT32_MAX)
			continue;
		err = seqtab_bump(t, id, (uint32_t)seq + 1);
	}
	closedir(d);
	return err;
}

static int scan_disk(struct seqtab *t, const char *mdir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (vp_pcm__path(path, sizeof(path), mdir, "streams"))
		return EINVAL;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : errno;
	while (!err && (de = readdir(d)))
		if (vp_pcm_stream_id_valid(de->d_name))
			err = scan_stream_dir(t, mdir, de->d_name);
	closedir(d);
	return err;
}

int vp_pcm_manifest_scan(const char *mdir, vp_pcm_scan_h *h, void *arg)
{
	struct vp_pcm__mlist ml;
	struct seqtab t = {0};
	int err;

	if (!mdir || !h)
		return EINVAL;
	err = vp_pcm__mlist_load(&ml, mdir);
	if (err)
		return err;
	for (size_t i = 0; !err && i < ml.n; i++)
		if (ml.v[i].seq < UINT32_MAX)
			err = seqtab_bump(&t, ml.v[i].stream, ml.v[i].seq + 1);
	if (!err)
		err = scan_disk(&t, mdir);
	for (size_t i = 0; !err && i < t.n; i++)
		h(t.v[i].id, t.v[i].next, arg);
	free(t.v);
	vp_pcm__mlist_free(&ml);
	return err;
}

struct next_arg {
	const char *id;
	uint32_t next;
};

static void next_h(const char *id, uint32_t next, void *arg)
{
	struct next_arg *a = arg;

	if (!strcmp(id, a->id))
		a->next = next;
}

int vp_pcm_next_seq(const char *mdir, const char *stream_id, uint32_t *seqp)
{
	struct next_arg a = {stream_id, 0};
	int err;

	if (!mdir || !stream_id || !seqp)
		return EINVAL;
	err = vp_pcm_manifest_scan(mdir, next_h, &a);
	if (!err)
		*seqp = a.next;
	return err;
}
