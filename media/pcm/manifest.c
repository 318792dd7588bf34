/* SPDX-License-Identifier: MIT */
/**
 * @file manifest.c  MDIR/manifest.jsonl: append-only, one JSON line per
 * durable chunk (docs/design.md §5), and the small file-system helpers the
 * writer and recovery share (every durable step is write, fsync, rename, fsync
 * dir).
 */
#define VP_LOG_MODULE "pcm"
#include "media/pcm/pcm_priv.h"
#include "src/core/fs.h"
#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST "manifest.jsonl"

/* --- Runs on: io thread (and before it starts, for recovery) --- */

bool vp_pcm_stream_id_valid(const char *id)
{
	size_t n;

	if (!id || !id[0] || id[0] == '.')
		return false;
	n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n == strlen(id) && n <= VP_PCM_ID_MAX;
}

const char *vp_pcm__src_name(enum vp_pcm_utc_src src)
{
	return src == VP_PCM_UTC_RTCP_SR ? "rtcp_sr" : "arrival";
}

enum vp_pcm_utc_src vp_pcm__src_parse(const char *s)
{
	return (s && !strcmp(s, "rtcp_sr")) ? VP_PCM_UTC_RTCP_SR
					    : VP_PCM_UTC_ARRIVAL;
}

int vp_pcm__rel_name(char *buf, size_t sz, const char *id, uint32_t seq,
		     const char *suffix)
{
	int n = snprintf(buf, sz, "streams/%s/%06u.wav%s", id, seq, suffix);

	return (n < 0 || (size_t)n >= sz) ? EINVAL : 0;
}

int vp_pcm__path(char *buf, size_t sz, const char *mdir, const char *rel)
{
	int n = snprintf(buf, sz, "%s/%s", mdir, rel);

	return (n < 0 || (size_t)n >= sz) ? EINVAL : 0;
}

int vp_pcm__mkdir(const char *path, const char *parent)
{
	/* through no planted link: PARENT and PATH must be real folders */
	return vp_fs_mkdir_below(parent, path);
}

int vp_pcm__rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	/* file systems without RENAME_NOREPLACE: link() never replaces */
	if (link(from, to))
		return errno;
	return unlink(from) ? errno : 0;
}

static void manifest_destroy(void *data)
{
	struct vp_pcm_manifest *m = data;

	if (m->fd >= 0)
		close(m->fd);
	vp_mem_deref(m->mdir);
}

/* The most of the file's end a torn line is looked for in: a line is
 * well under 1 KiB plus its file name. */
#define TAIL_MAX (PATH_MAX + 4096)

/*
 * Make the manifest end on a whole line, so that the next append starts
 * one of its own instead of being glued onto a fragment (and lost with
 * it). A tail without its '\n' is what a full disk (vp_fs_write_all wrote
 * part of a line, then failed) or a crash mid-append leaves. A tail that
 * parses lacks only its newline and gets it: mlist_line read it, so its
 * chunk counts as listed. Any other is cut: mlist_line skipped it, and
 * its chunk, durable as a .wav before its line was written (writer.c),
 * gets a line from vp_pcm_recover. Every whole line is kept.
 */
static int tail_fix(struct vp_pcm_manifest *m)
{
	char buf[TAIL_MAX];
	const char *nl;
	struct stat st;
	off_t from, cut;
	ssize_t n;
	json_t *o;
	int err;

	if (fstat(m->fd, &st))
		return errno;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > TAIL_MAX ? st.st_size - TAIL_MAX : 0;
	n = pread(m->fd, buf, (size_t)(st.st_size - from), from);
	if (n != st.st_size - from)
		return n < 0 ? errno : EIO;
	if (buf[n - 1] == '\n')
		return 0;
	nl = memrchr(buf, '\n', (size_t)n);
	cut = nl ? from + (nl + 1 - buf) : from;
	o = vp_json_loadb(buf + (cut - from), (size_t)(st.st_size - cut), 0,
			  NULL, &err);
	if (err == ENOMEM)
		return ENOMEM;
	if (json_is_object(o) || (!nl && from > 0)) {
		/* whole, or longer than any line we write: kept */
		err = vp_fs_write_all(m->fd, "\n", 1);
		vp_log_warn("manifest %s/" MANIFEST ": its last line had no "
			    "newline; ended it",
			    m->mdir);
	} else {
		err = ftruncate(m->fd, cut) ? errno : 0;
		vp_log_warn("manifest %s/" MANIFEST ": a torn last line "
			    "(%lld bytes) cut off",
			    m->mdir, (long long)(st.st_size - cut));
	}
	json_decref(o);
	if (!err && fsync(m->fd))
		err = errno;
	return err;
}

int vp_pcm_manifest_open(struct vp_pcm_manifest **mp, const char *mdir)
{
	struct vp_pcm_manifest *m;
	char path[PATH_MAX];
	int err = 0;

	if (!mp || !mdir || vp_pcm__path(path, sizeof(path), mdir, MANIFEST))
		return EINVAL;
	m = vp_mem_zalloc(sizeof(*m), manifest_destroy);
	if (!m)
		return ENOMEM;
	m->fd = -1;
	m->mdir = vp_mem_strdup(mdir);
	if (!m->mdir) {
		err = ENOMEM;
		goto out;
	}
	/* O_EXCL first, to know whether the folder entry is new; a link
	 * planted as manifest.jsonl is refused, never appended through.
	 * O_RDWR: tail_fix reads the end. */
	err = vp_fs_open_below(&m->fd, mdir, path,
			       O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0644);
	if (!err) {
		err = vp_fs_fsync_dir(mdir);
		goto out;
	}
	if (err != EEXIST)
		goto out;
	err = vp_fs_open_below(&m->fd, mdir, path, O_RDWR | O_APPEND, 0);
	if (!err)
		err = tail_fix(m);
out:
	if (err)
		vp_mem_deref(m);
	else
		*mp = m;
	return err;
}

static json_t *line_json(const struct vp_pcm__line *l, const char *rel)
{
	const struct vp_pcm__meta *mt = &l->meta;
	const struct vp_pcm_counts *c = &l->counts;
	char utc[32];

	if (vp_clock_rfc3339(utc, sizeof(utc), mt->start_utc_ns))
		return NULL;
	return json_pack(
		"{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s,"
		" s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
		"stream", mt->stream, "file", rel, "seq", (json_int_t)mt->seq,
		"start_sample", (json_int_t)mt->start_sample, "samples",
		(json_int_t)l->samples, "rate", (json_int_t)mt->rate,
		"channels", (json_int_t)mt->channels, "start_utc", utc,
		"start_utc_ns", (json_int_t)mt->start_utc_ns, "utc_source",
		vp_pcm__src_name(mt->src), "lost", (json_int_t)c->lost, "fec",
		(json_int_t)c->fec, "plc", (json_int_t)c->plc, "dtx",
		(json_int_t)c->dtx, "dtx_samples", (json_int_t)c->dtx_samples,
		"gated", (json_int_t)c->gated, "gap_samples",
		(json_int_t)l->gap_samples, "overlap_samples",
		(json_int_t)l->overlap_samples, "bytes", (json_int_t)l->bytes,
		"recovered", (int)l->recovered);
}

int vp_pcm__manifest_append(struct vp_pcm_manifest *m,
			    const struct vp_pcm__line *l)
{
	char rel[PATH_MAX], *s = NULL, *line = NULL;
	unsigned long fails;
	json_t *o = NULL;
	struct stat st;
	size_t n;
	int err;

	err = vp_pcm__rel_name(rel, sizeof(rel), l->meta.stream, l->meta.seq,
			       "");
	if (err)
		return err;
	fails = vp_mem_failures();
	o = line_json(l, rel);
	s = o ? vp_json_dumps(o, JSON_COMPACT) : NULL;
	n = s ? strlen(s) : 0;
	/* jansson may swallow a failed allocation and dump a line with a
	 * part missing: any failure means no line, never a wrong one */
	line = s && vp_mem_failures() == fails ? vp_malloc(n + 1) : NULL;
	if (!line) {
		err = ENOMEM;
		goto out;
	}
	memcpy(line, s, n);
	line[n] = '\n';
	/* an earlier append's part that could not be cut: cut it now */
	err = m->torn ? tail_fix(m) : 0;
	m->torn = m->torn && err;
	if (!err && fstat(m->fd, &st))
		err = errno;
	/* one write() per line: O_APPEND keeps lines whole and in order */
	if (!err) {
		err = vp_fs_write_all(m->fd, line, n + 1);
		/* a full disk may have let part of the line out: cut it, so
		 * the next append starts a line (the io thread is the only
		 * writer); the chunk, durable already, is left for
		 * vp_pcm_recover to list */
		if (err && ftruncate(m->fd, st.st_size))
			m->torn = true;
	}
	if (!err && fsync(m->fd))
		err = errno;
	if (err)
		vp_log_err("manifest append %s: %s", rel, strerror(err));
out:
	free(line);
	free(s);
	json_decref(o);
	return err;
}
