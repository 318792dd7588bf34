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
	 * planted as manifest.jsonl is refused, never appended through */
	err = vp_fs_open_below(&m->fd, mdir, path,
			       O_WRONLY | O_APPEND | O_CREAT | O_EXCL, 0644);
	if (!err) {
		err = vp_fs_fsync_dir(mdir);
		goto out;
	}
	if (err != EEXIST)
		goto out;
	err = vp_fs_open_below(&m->fd, mdir, path, O_WRONLY | O_APPEND, 0);
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
	/* one write() per line: O_APPEND keeps lines whole and in order */
	err = vp_fs_write_all(m->fd, line, n + 1);
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
