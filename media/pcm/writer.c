/* SPDX-License-Identifier: MIT */
/**
 * @file writer.c  One stream's chunk writer: contiguous PCM on the meeting
 * timeline, cut into fixed-size chunks, each made durable before its
 * manifest line is written (docs/design.md §5: tmp, fsync, rename, fsync dir,
 * line).
 */
#define VP_LOG_MODULE "pcm"
#include "media/pcm/pcm_priv.h"
#include "src/core/fs.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "WAV data is little-endian: add a byte swap for this target"
#endif

struct vp_pcm_writer {
	struct vp_pcm_manifest *m;
	char *dir; /**< MDIR/streams/ID */
	char id[VP_PCM_ID_MAX + 1];
	uint32_t rate;
	uint16_t channels;
	uint32_t chunk_samples;
	uint32_t next_seq;
	bool started;
	bool closed;
	int err;      /**< sticky I/O error */
	uint64_t end; /**< timeline sample after the last one written */

	/* the chunk in progress, open while fd >= 0 */
	int fd;
	uint64_t data_off;
	struct vp_pcm__line cur; /**< counters accumulate here */
	char tmp[PATH_MAX];
	char fin[PATH_MAX];
};

/* --- Runs on: io thread --- */

static void writer_destroy(void *data)
{
	struct vp_pcm_writer *w = data;

	/* no close(): leave the .tmp as a crash would, for vp_pcm_recover */
	if (w->fd >= 0)
		close(w->fd);
	vp_mem_deref(w->dir);
	vp_mem_deref(w->m);
}

static int cfg_check(const struct vp_pcm_writer_cfg *cfg, uint32_t *csp)
{
	uint64_t cs;

	if (!vp_pcm_stream_id_valid(cfg->stream_id) || !cfg->rate ||
	    cfg->rate > 768000 || (cfg->channels != 1 && cfg->channels != 2))
		return EINVAL;
	cs = cfg->chunk_samples ? cfg->chunk_samples : 10ULL * cfg->rate;
	/* a RIFF file must stay below 4 GiB */
	if (cs * cfg->channels * 2 + VP_PCM_HDR_MAX > UINT32_MAX)
		return EINVAL;
	*csp = (uint32_t)cs;
	return 0;
}

static int make_dirs(struct vp_pcm_writer *w, const char *mdir)
{
	char streams[PATH_MAX];
	int err;

	err = vp_pcm__path(streams, sizeof(streams), mdir, "streams");
	if (!err)
		err = vp_pcm__mkdir(streams, mdir);
	if (!err)
		err = vp_pcm__mkdir(w->dir, streams);
	return err;
}

int vp_pcm_writer_alloc(struct vp_pcm_writer **wp, struct vp_pcm_manifest *m,
			const struct vp_pcm_writer_cfg *cfg)
{
	struct vp_pcm_writer *w;
	char dir[PATH_MAX];
	uint32_t cs;
	int err;

	if (!wp || !m || !cfg || cfg_check(cfg, &cs))
		return EINVAL;
	if (snprintf(dir, sizeof(dir), "%s/streams/%s", m->mdir,
		     cfg->stream_id) >= (int)sizeof(dir))
		return EINVAL;
	w = vp_mem_zalloc(sizeof(*w), writer_destroy);
	if (!w)
		return ENOMEM;
	w->fd = -1;
	w->m = vp_mem_ref(m);
	w->dir = vp_mem_strdup(dir);
	if (!w->dir) {
		err = ENOMEM;
		goto out;
	}
	strcpy(w->id, cfg->stream_id); /* length checked by id_valid */
	w->rate = cfg->rate;
	w->channels = cfg->channels;
	w->chunk_samples = cs;
	w->next_seq = cfg->first_seq;
	err = make_dirs(w, m->mdir);
out:
	if (err)
		vp_mem_deref(w);
	else
		*wp = w;
	return err;
}

/* utc_ref + (sample - ref) / rate, signed, clamped at the epoch */
static uint64_t utc_of(const struct vp_pcm_writer *w, uint64_t sample,
		       uint64_t ref, uint64_t utc_ref)
{
	__int128 d =
		((__int128)sample - (__int128)ref) * (__int128)VP_SEC / w->rate;
	__int128 t = (__int128)utc_ref + d;

	return t < 0 ? 0 : (uint64_t)t;
}

static int chunk_open(struct vp_pcm_writer *w, uint64_t ref, uint64_t utc_ref,
		      enum vp_pcm_utc_src src)
{
	struct vp_pcm__meta *mt = &w->cur.meta;
	uint8_t hdr[VP_PCM_HDR_MAX];
	char rel[PATH_MAX];
	size_t len;
	int err;

	if (w->next_seq == UINT32_MAX)
		return EINVAL;
	memset(&w->cur.meta, 0, sizeof(w->cur.meta));
	strcpy(mt->stream, w->id);
	mt->seq = w->next_seq;
	mt->start_sample = w->end; /* contiguous: a chunk starts at the end */
	mt->rate = w->rate;
	mt->channels = w->channels;
	mt->start_utc_ns = utc_of(w, w->end, ref, utc_ref);
	mt->src = src;
	err = vp_pcm__rel_name(rel, sizeof(rel), w->id, mt->seq, "");
	err = err ? err : vp_pcm__path(w->fin, sizeof(w->fin), w->m->mdir, rel);
	err = err ? err
		  : vp_pcm__rel_name(rel, sizeof(rel), w->id, mt->seq, ".tmp");
	err = err ? err : vp_pcm__path(w->tmp, sizeof(w->tmp), w->m->mdir, rel);
	err = err ? err : vp_pcm__wav_header(hdr, &len, mt);
	if (err)
		return err;
	/* never overwrite: a finished chunk or a leftover .tmp blocks us */
	if (access(w->fin, F_OK) == 0)
		return EEXIST;
	/* no link planted in the meeting folder is followed */
	err = vp_fs_open_below(&w->fd, w->m->mdir, w->tmp,
			       O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (err)
		return err;
	w->next_seq++;
	w->data_off = len;
	/* No fsync yet: if the process dies, the page cache keeps the .tmp
	 * for recovery; if the machine does, the chunk in progress may be
	 * lost, as docs/design.md §5 allows. chunk_finish makes it durable
	 * (two fsyncs a chunk fewer). */
	return vp_fs_write_all(w->fd, hdr, len);
}

static int chunk_finish(struct vp_pcm_writer *w)
{
	uint64_t data = w->cur.samples * w->channels * 2;
	int err;

	err = vp_pcm__wav_patch(w->fd, w->data_off, data);
	if (!err && fsync(w->fd))
		err = errno;
	if (close(w->fd) && !err)
		err = errno;
	w->fd = -1;
	err = err ? err : vp_pcm__rename_noreplace(w->tmp, w->fin);
	err = err ? err : vp_fs_fsync_dir(w->dir);
	if (!err) {
		w->cur.bytes = w->data_off + data;
		err = vp_pcm__manifest_append(w->m, &w->cur);
	}
	if (err)
		vp_log_err("stream=%s chunk %u: %s", w->id, w->cur.meta.seq,
			   strerror(err));
	else
		vp_log_debug("stream=%s chunk %u done samples=%llu", w->id,
			     w->cur.meta.seq,
			     (unsigned long long)w->cur.samples);
	memset(&w->cur, 0, sizeof(w->cur));
	return err;
}

static int put_zeros(int fd, size_t bytes)
{
	static const uint8_t zeros[4096];
	size_t k;
	int err = 0;

	while (!err && bytes) {
		k = bytes < sizeof(zeros) ? bytes : sizeof(zeros);
		err = vp_fs_write_all(fd, zeros, k);
		bytes -= k;
	}
	return err;
}

/* Append n frames (zeros if pcm is NULL), opening and finishing chunks. */
static int emit(struct vp_pcm_writer *w, const int16_t *pcm, uint64_t n,
		uint64_t ref, uint64_t utc_ref, enum vp_pcm_utc_src src)
{
	uint64_t take, room;
	size_t bytes;
	int err = 0;

	while (!err && n) {
		if (w->fd < 0)
			err = chunk_open(w, ref, utc_ref, src);
		if (err)
			break;
		room = w->chunk_samples - w->cur.samples;
		take = n < room ? n : room;
		bytes = (size_t)take * w->channels * 2;
		if (pcm) {
			err = vp_fs_write_all(w->fd, pcm, bytes);
			pcm += take * w->channels;
		} else {
			err = put_zeros(w->fd, bytes);
			w->cur.gap_samples += take;
		}
		if (err)
			break;
		w->end += take;
		w->cur.samples += take;
		n -= take;
		if (w->cur.samples == w->chunk_samples)
			err = chunk_finish(w);
	}
	return err;
}

static void counts_add(struct vp_pcm_counts *c, const struct vp_pcm_counts *d)
{
	c->lost += d->lost;
	c->fec += d->fec;
	c->plc += d->plc;
	c->dtx += d->dtx;
	c->dtx_samples += d->dtx_samples;
	c->gated += d->gated;
}

int vp_pcm_writer_write(struct vp_pcm_writer *w, uint64_t start_sample,
			const int16_t *pcm, size_t frames, uint64_t utc_ns,
			enum vp_pcm_utc_src src,
			const struct vp_pcm_counts *delta)
{
	uint64_t skip = 0;
	int err = 0;

	if (!w || (frames && !pcm) || start_sample > INT64_MAX)
		return EINVAL;
	if (w->err)
		return w->err;
	if (w->closed)
		return EALREADY;
	if (!w->started) {
		w->started = true;
		w->end = start_sample; /* the stream's first sample */
	}
	if (start_sample > w->end) /* late: silence keeps the timeline */
		err = emit(w, NULL, start_sample - w->end, start_sample, utc_ns,
			   src);
	else if (start_sample < w->end) /* early: the timeline wins */
		skip = w->end - start_sample < frames ? w->end - start_sample
						      : frames;
	if (!err) {
		w->cur.overlap_samples += skip;
		if (delta)
			counts_add(&w->cur.counts, delta);
		err = emit(w, frames ? pcm + skip * w->channels : NULL,
			   frames - skip, start_sample, utc_ns, src);
	}
	if (err)
		w->err = err;
	return err;
}

int vp_pcm_writer_close(struct vp_pcm_writer *w)
{
	if (!w)
		return EINVAL;
	if (w->closed)
		return w->err ? w->err : EALREADY;
	w->closed = true;
	if (!w->err && w->fd >= 0)
		w->err = chunk_finish(w);
	return w->err;
}

uint64_t vp_pcm_writer_end(const struct vp_pcm_writer *w)
{
	return w ? w->end : 0;
}

uint32_t vp_pcm_writer_next_seq(const struct vp_pcm_writer *w)
{
	return w ? w->next_seq : 0;
}
