/* SPDX-License-Identifier: MIT */
/**
 * @file recover.c  After a crash: finish every chunk left as .tmp from its
 * own vpbt metadata, and give a manifest line to a finished .wav that lost
 * its line (crash between rename and append). Nothing is ever deleted.
 */
#define VP_LOG_MODULE "pcm"
#include "media/pcm/pcm_priv.h"
#include "src/core/fs.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- Runs on: io thread, before any writer of the folder exists --- */

struct rec {
	struct vp_pcm_manifest *m;
	struct vp_pcm__mlist ml;
	const char *id; /**< stream folder being walked */
	char dir[PATH_MAX];
	unsigned count;
	int err; /**< first error; the walk goes on */
};

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

/* Park an unreadable .tmp as .wav.corrupt next to it: evidence, not data. */
static int park_corrupt(struct rec *r, const char *path)
{
	char to[PATH_MAX];
	size_t n = strlen(path) - strlen(".tmp");
	int err;

	if (snprintf(to, sizeof(to), "%.*s.corrupt", (int)n, path) >=
	    (int)sizeof(to))
		return EINVAL;
	err = vp_pcm__rename_noreplace(path, to);
	if (!err)
		err = vp_fs_fsync_dir(r->dir);
	vp_log_warn("recover %s: no readable metadata, kept as .corrupt (%s)",
		    path, err ? strerror(err) : "ok");
	return err;
}

/* Sizes from the file length, a torn last frame cut, then durable. */
static int fix_sizes(int fd, uint64_t off, const struct vp_pcm__meta *mt,
		     uint64_t *datap)
{
	uint64_t block = (uint64_t)mt->channels * 2, data;
	struct stat st;
	int err;

	if (fstat(fd, &st))
		return errno;
	if ((uint64_t)st.st_size < off)
		return EBADMSG;
	data = (uint64_t)st.st_size - off;
	data -= data % block;
	if (off + data != (uint64_t)st.st_size &&
	    ftruncate(fd, (off_t)(off + data)))
		return errno;
	err = vp_pcm__wav_patch(fd, off, data);
	if (!err && fsync(fd))
		err = errno;
	if (!err)
		*datap = data;
	return err;
}

/* The metadata must name this very file, or its line would lie. */
static bool names_match(const struct vp_pcm__meta *mt, const char *id,
			const char *name, bool tmp)
{
	char want[64];

	if (strcmp(mt->stream, id))
		return false;
	snprintf(want, sizeof(want), "%06u.wav%s", mt->seq, tmp ? ".tmp" : "");
	return !strcmp(want, name);
}

/* A .tmp the crash left before its header (the writer creates it, then
 * writes the header in one call): no audio ever went into it, and it holds
 * no metadata to keep as evidence. Removed, so its seq is used again. */
static int drop_empty(struct rec *r, int fd, const char *path, bool *dropped)
{
	struct stat st;

	*dropped = false;
	if (fstat(fd, &st))
		return errno;
	if (st.st_size != 0)
		return 0;
	if (unlink(path))
		return errno;
	*dropped = true;
	vp_log_info("recover %s: empty (created just before the crash), "
		    "removed",
		    path);
	return vp_fs_fsync_dir(r->dir);
}

static int recover_file(struct rec *r, const char *name, bool tmp)
{
	struct vp_pcm__line l = {.recovered = true};
	char path[PATH_MAX], fin[PATH_MAX];
	uint64_t off = 0, data = 0;
	bool dropped = false;
	int fd, err;

	if (vp_pcm__path(path, sizeof(path), r->dir, name))
		return EINVAL;
	/* a planted link must not get a WAV header patched into it */
	err = vp_fs_open_below(&fd, r->m->mdir, path, O_RDWR, 0);
	if (err)
		return err;
	if (tmp)
		err = drop_empty(r, fd, path, &dropped);
	if (err || dropped) {
		close(fd);
		return err;
	}
	err = vp_pcm__wav_parse(fd, &l.meta, &off);
	if (!err && !names_match(&l.meta, r->id, name, tmp))
		err = EBADMSG;
	if (!err)
		err = fix_sizes(fd, off, &l.meta, &data);
	close(fd);
	if (err == EBADMSG && tmp)
		return park_corrupt(r, path);
	if (err == EBADMSG) { /* a .wav that is not ours: leave it be */
		vp_log_warn("recover %s: not a vpbot chunk, skipped", path);
		return 0;
	}
	if (!err && tmp) {
		snprintf(fin, sizeof(fin), "%.*s", (int)(strlen(path) - 4),
			 path);
		err = vp_pcm__rename_noreplace(path, fin);
		err = err ? err : vp_fs_fsync_dir(r->dir);
	}
	if (err)
		return err;
	l.samples = data / ((uint64_t)l.meta.channels * 2);
	l.bytes = off + data;
	err = vp_pcm__manifest_append(r->m, &l);
	if (!err) {
		r->count++;
		vp_log_info("recovered stream=%s seq=%u samples=%llu",
			    l.meta.stream, l.meta.seq,
			    (unsigned long long)l.samples);
	}
	return err;
}

static void recover_entry(struct rec *r, const char *name)
{
	char rel[PATH_MAX];
	int err = 0;

	if (name[0] < '0' || name[0] > '9')
		return;
	if (ends_with(name, ".wav.tmp")) {
		err = recover_file(r, name, true);
	} else if (ends_with(name, ".wav")) {
		if (snprintf(rel, sizeof(rel), "streams/%s/%s", r->id, name) >=
		    (int)sizeof(rel))
			err = EINVAL;
		else if (!vp_pcm__mlist_has_file(&r->ml, rel))
			err = recover_file(r, name, false);
	}
	if (err && !r->err)
		r->err = err;
}

static void recover_stream(struct rec *r, const char *mdir, const char *id)
{
	struct dirent **de = NULL;
	int n;

	if (snprintf(r->dir, sizeof(r->dir), "%s/streams/%s", mdir, id) >=
	    (int)sizeof(r->dir))
		return;
	r->id = id;
	/* name order, so a stream's lines stay in seq order */
	n = vp_scandir(r->dir, &de, NULL, alphasort);
	if (n < 0) {
		if (errno != ENOTDIR && !r->err)
			r->err = errno;
		return;
	}
	for (int i = 0; i < n; i++) {
		recover_entry(r, de[i]->d_name);
		free(de[i]);
	}
	free(de);
}

int vp_pcm_recover(const char *mdir, unsigned *recovered)
{
	struct rec r = {0};
	struct dirent **de = NULL;
	char path[PATH_MAX];
	int n, err;

	if (!mdir || vp_pcm__path(path, sizeof(path), mdir, "streams"))
		return EINVAL;
	err = vp_pcm__mlist_load(&r.ml, mdir);
	if (err)
		return err;
	err = vp_pcm_manifest_open(&r.m, mdir);
	if (err)
		goto out;
	n = vp_scandir(path, &de, NULL, alphasort);
	if (n < 0) {
		err = errno == ENOENT ? 0 : errno;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (vp_pcm_stream_id_valid(de[i]->d_name))
			recover_stream(&r, mdir, de[i]->d_name);
		free(de[i]);
	}
	free(de);
	err = r.err;
out:
	vp_pcm__mlist_free(&r.ml);
	vp_mem_deref(r.m);
	if (!err && recovered)
		*recovered = r.count;
	return err;
}
