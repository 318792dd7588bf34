/* SPDX-License-Identifier: MIT */
/**
 * @file io_thread.c  The io thread: pops PCM blocks from the SPSC ring and
 * feeds the per-stream chunk writers (media/pcm), whose fsyncs may stall
 * for tens of ms — here, never on the thread that receives packets.
 */
#define VP_LOG_MODULE "io"
#include "src/bot/io_thread.h"

#include "src/bot/speech.h"
#include "src/core/fs.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define IO_MAX_STREAMS VP_IO_MAX_STREAMS
_Static_assert(VP_SPEECH_REC_MAX >= IO_MAX_STREAMS,
	       "speech.jsonl must take every io stream index");
#define IO_RING                                                                \
	1024 /* slots, ~2 MB: 10 s of one stream, rides out a disk stall */
enum io_op {
	IO_PCM = 0,
	IO_OPEN,
	IO_BREAK,
	IO_CLOSE,
	IO_META,
	IO_TAP,
	IO_STOP
};

struct io_msg {
	enum io_op op;
	unsigned idx;
	uint64_t start_sample;
	uint64_t utc_ns;
	enum vp_pcm_utc_src src;
	uint32_t frames;
	struct vp_pcm_counts cnt;
	struct vp_pcm_writer_cfg cfg;
	char id[VP_PCM_ID_MAX + 1];
	struct vp_io_tap tap; /* IO_TAP */
	int16_t pcm[VP_IO_MAX_SAMPLES];
};

struct io_stream {
	struct vp_pcm_writer *w;
	struct vp_pcm_writer_cfg cfg;
	char id[VP_PCM_ID_MAX + 1];
	int err; /* sticky: the writer failed */
};

struct vp_io {
	char mdir[4096];
	bool block;
	struct vp_spsc *ring;
	struct vp_pcm_manifest *man;
	struct vp_speech_rec *speech; /* speech.jsonl, io thread only */
	struct vp_io_tap tap;	      /* live output, io thread only */
	pthread_t th;
	bool running;
	struct io_stream st[IO_MAX_STREAMS]; /* io thread only */
	uint8_t chans[IO_MAX_STREAMS];	     /* producer only */
	atomic_ullong overflow, write_errors;
	atomic_int last_error;
	/* the newest meeting.json not yet taken by the io thread (malloc'd):
	 * IO_META writes whatever is newest when its turn comes */
	_Atomic(char *) meta;
	/* io thread only: the meeting.json it handled last. Being the newest,
	 * it may name a stream whose open comes later in the ring: an open
	 * hands it to speech.jsonl and live out again. */
	char *last_meta;
};

/* --- Runs on: io thread --- */

static void note_err(struct vp_io *io, struct io_stream *s, int err)
{
	if (!err)
		return;
	if (!s->err)
		vp_log_err("stream=%s: writing chunks failed: %s", s->id,
			   strerror(err));
	s->err = err;
	atomic_fetch_add(&io->write_errors, 1);
	atomic_store(&io->last_error, err);
}

/* @p next: the chunk number to continue from (a break), or NULL to find
 * it in the folder (the stream's first open in this run: a rerun) */
static void stream_open(struct vp_io *io, struct io_stream *s,
			const struct io_msg *m, const uint32_t *next)
{
	uint32_t seq = next ? *next : 0;
	int err = 0;

	s->w = vp_mem_deref(s->w);
	s->err = 0;
	s->cfg = m->cfg;
	snprintf(s->id, sizeof(s->id), "%s", m->id);
	s->cfg.stream_id = s->id;
	/* a rerun continues the stream's chunk numbers from the folder */
	if (!next)
		err = vp_pcm_next_seq(io->mdir, s->id, &seq);
	s->cfg.first_seq = seq;
	if (!err)
		err = vp_pcm_writer_alloc(&s->w, io->man, &s->cfg);
	note_err(io, s, err);
	vp_speech_rec_stream(io->speech, m->idx, s->id, s->cfg.rate,
			     s->cfg.channels);
	if (io->tap.streamh && s->w && !s->err)
		io->tap.streamh(m->idx, s->id, s->cfg.rate, s->cfg.channels,
				io->tap.arg);
	/* whose stream it is: meeting.json may have said so already (a
	 * break keeps what they were told) */
	if (!next)
		vp_speech_rec_meta(io->speech, io->last_meta);
	if (!next && io->tap.metah && io->last_meta && s->w && !s->err)
		io->tap.metah(io->last_meta, io->tap.arg);
}

/* @return whether *next (if not NULL) holds the chunk number after the
 * stream's last (known only if its writer closed cleanly) */
static bool stream_close(struct vp_io *io, struct io_stream *s, uint32_t *next)
{
	bool known = false;

	if (s->w && !s->err) {
		note_err(io, s, vp_pcm_writer_close(s->w));
		known = !s->err;
		if (next)
			*next = vp_pcm_writer_next_seq(s->w);
	}
	s->w = vp_mem_deref(s->w);
	vp_speech_rec_pause(io->speech, (unsigned)(s - io->st));
	if (io->tap.pauseh)
		io->tap.pauseh((unsigned)(s - io->st), io->tap.arg);
	return known;
}

static void handle(struct vp_io *io, const struct io_msg *m)
{
	struct io_stream *s = &io->st[m->idx];

	switch (m->op) {
	case IO_OPEN:
		stream_open(io, s, m, NULL);
		break;
	case IO_PCM:
		if (s->w && !s->err)
			note_err(io, s,
				 vp_pcm_writer_write(s->w, m->start_sample,
						     m->pcm, m->frames,
						     m->utc_ns, m->src,
						     &m->cnt));
		if (s->w && !s->err) /* who spoke when: what reached disk */
			vp_speech_rec_pcm(io->speech, m->idx, m->start_sample,
					  m->pcm, m->frames);
		if (s->w && !s->err && io->tap.pcmh) /* live: the same PCM */
			io->tap.pcmh(m->idx, m->start_sample, m->pcm, m->frames,
				     io->tap.arg);
		break;
	case IO_BREAK: {
		struct io_msg reopen = *m;
		uint32_t next = 0;
		/* numbered on from the old writer: reading the manifest and
		 * the folders again would cost every stream's break a scan of
		 * the whole meeting, stalling this thread at each reopening */
		bool known = stream_close(io, s, &next);

		reopen.cfg = s->cfg;
		snprintf(reopen.id, sizeof(reopen.id), "%s", s->id);
		stream_open(io, s, &reopen, known ? &next : NULL);
		break;
	}
	case IO_CLOSE:
		(void)stream_close(io, s, NULL);
		break;
	case IO_META: {
		char *text = atomic_exchange(&io->meta, NULL);
		int err;

		if (!text) /* an earlier IO_META took the newest already */
			break;
		vp_speech_rec_meta(io->speech, text);
		if (io->tap.metah)
			io->tap.metah(text, io->tap.arg);
		err = vp_fs_write_atomic(io->mdir, "meeting.json", text);
		if (err) { /* the exit code names it (exitcode.h) */
			atomic_fetch_add(&io->write_errors, 1);
			atomic_store(&io->last_error, err);
		}
		free(io->last_meta);
		io->last_meta = text;
		break;
	}
	case IO_TAP:
		io->tap = m->tap;
		break;
	case IO_STOP:
		break;
	}
}

static void *io_main(void *arg)
{
	struct vp_io *io = arg;

	for (;;) {
		struct io_msg *m = vp_spsc_peek(io->ring);
		bool stop;

		if (!m) {
			vp_speech_rec_levels(io->speech); /* gate closed too */
			vp_spsc_wait(io->ring, 100);
			continue;
		}
		handle(io, m);
		stop = m->op == IO_STOP;
		vp_spsc_release(io->ring);
		if (stop)
			break;
	}
	for (unsigned i = 0; i < IO_MAX_STREAMS; i++)
		(void)stream_close(io, &io->st[i], NULL);
	return NULL;
}

/* --- Runs on: the producer (net or replay) thread --- */

static void io_destroy(void *data)
{
	struct vp_io *io = data;

	for (unsigned i = 0; i < IO_MAX_STREAMS; i++)
		io->st[i].w = vp_mem_deref(io->st[i].w);
	io->man = vp_mem_deref(io->man);
	io->speech = vp_mem_deref(io->speech);
	io->ring = vp_mem_deref(io->ring);
	free(atomic_exchange(&io->meta, NULL));
	free(io->last_meta);
}

int vp_io_start(struct vp_io **iop, const char *meeting_dir,
		bool block_when_full)
{
	struct vp_io *io;
	int err;

	if (!iop || !meeting_dir)
		return EINVAL;
	io = vp_mem_zalloc(sizeof(*io), io_destroy);
	if (!io)
		return ENOMEM;
	snprintf(io->mdir, sizeof(io->mdir), "%s", meeting_dir);
	io->block = block_when_full;
	err = vp_spsc_alloc(&io->ring, sizeof(struct io_msg), IO_RING);
	/* the io thread sleeps until a quarter of the ring is full or 100 ms
	 * pass: disk work in batches, one wake-up per batch */
	if (!err)
		vp_spsc_set_wake(io->ring, IO_RING / 4);
	if (!err)
		err = vp_pcm_manifest_open(&io->man, meeting_dir);
	if (!err && vp_speech_rec_open(&io->speech, meeting_dir))
		vp_log_warn("%s: no speech.jsonl", meeting_dir);
	if (!err && pthread_create(&io->th, NULL, io_main, io) != 0)
		err = EAGAIN;
	if (err) {
		vp_mem_deref(io);
		return err;
	}
	io->running = true;
	*iop = io;
	return 0;
}

/* A control message must not be lost: wait for room (the io thread always
 * drains, so this is bounded by one disk stall). */
static struct io_msg *reserve(struct vp_io *io, bool control)
{
	struct io_msg *m;

	while (!(m = vp_spsc_reserve(io->ring))) {
		if (!control && !io->block) {
			atomic_fetch_add(&io->overflow, 1);
			return NULL;
		}
		vp_spsc_kick(io->ring);
		usleep(500);
	}
	return m;
}

static int control(struct vp_io *io, enum io_op op, unsigned idx,
		   const struct vp_pcm_writer_cfg *cfg)
{
	struct io_msg *m;

	if (!io || idx >= IO_MAX_STREAMS)
		return EINVAL;
	m = reserve(io, true);
	m->op = op;
	m->idx = idx;
	if (cfg) {
		m->cfg = *cfg;
		snprintf(m->id, sizeof(m->id), "%s",
			 cfg->stream_id ? cfg->stream_id : "");
	}
	vp_spsc_commit(io->ring);
	vp_spsc_kick(io->ring);
	return 0;
}

int vp_io_meta(struct vp_io *io, char *text)
{
	struct io_msg *m;

	if (!io || !text) {
		free(text);
		return EINVAL;
	}
	/* the newest state wins: a text still waiting is replaced, and one
	 * IO_META at a time is in the ring. A burst of saves (a participant
	 * toggling consent by script) costs neither ring slots, which the
	 * PCM needs, nor a disk write each. */
	text = atomic_exchange(&io->meta, text);
	if (text) { /* not taken yet: its IO_META will take ours */
		free(text);
		return 0;
	}
	/* never wait for it: a later save carries the newer state, and the
	 * final one is written directly once the io thread has stopped */
	m = vp_spsc_reserve(io->ring);
	if (!m) {
		free(atomic_exchange(&io->meta, NULL));
		free(io->last_meta);
		return ENOSPC;
	}
	m->op = IO_META;
	m->idx = 0;
	vp_spsc_commit(io->ring);
	vp_spsc_kick(io->ring);
	return 0;
}

void vp_io_level(struct vp_io *io, unsigned idx, uint64_t start_sample,
		 uint32_t frames, uint8_t level)
{
	if (io) /* speech.c queues it for the io thread */
		vp_speech_rec_level_put(io->speech, idx, start_sample, frames,
					level);
}

int vp_io_set_tap(struct vp_io *io, const struct vp_io_tap *tap)
{
	struct io_msg *m;

	if (!io || !tap)
		return EINVAL;
	m = reserve(io, true);
	m->op = IO_TAP;
	m->tap = *tap;
	vp_spsc_commit(io->ring);
	vp_spsc_kick(io->ring);
	return 0;
}

int vp_io_stream_open(struct vp_io *io, unsigned idx,
		      const struct vp_pcm_writer_cfg *cfg)
{
	if (!io || idx >= IO_MAX_STREAMS || !cfg ||
	    !vp_pcm_stream_id_valid(cfg->stream_id))
		return EINVAL;
	io->chans[idx] = (uint8_t)cfg->channels;
	return control(io, IO_OPEN, idx, cfg);
}

int vp_io_stream_break(struct vp_io *io, unsigned idx)
{
	return control(io, IO_BREAK, idx, NULL);
}

int vp_io_stream_close(struct vp_io *io, unsigned idx)
{
	return control(io, IO_CLOSE, idx, NULL);
}

int vp_io_pcm(struct vp_io *io, unsigned idx, uint64_t start_sample,
	      const int16_t *pcm, uint32_t frames, uint64_t utc_ns,
	      enum vp_pcm_utc_src src, const struct vp_pcm_counts *delta)
{
	struct io_msg *m;
	unsigned ch;

	if (!io || idx >= IO_MAX_STREAMS)
		return EINVAL;
	m = reserve(io, false);
	if (!m)
		return ENOSPC;
	ch = io->chans[idx] ? io->chans[idx] : 1;
	if ((size_t)frames * ch > VP_IO_MAX_SAMPLES)
		return EINVAL;
	memcpy(m->pcm, pcm, (size_t)frames * ch * sizeof(*pcm));
	m->op = IO_PCM;
	m->idx = idx;
	m->start_sample = start_sample;
	m->utc_ns = utc_ns;
	m->src = src;
	m->frames = frames;
	if (delta)
		m->cnt = *delta;
	else
		memset(&m->cnt, 0, sizeof(m->cnt));
	vp_spsc_commit(io->ring);
	return 0;
}

void vp_io_stop(struct vp_io *io, struct vp_io_stats *final)
{
	if (!io)
		return;
	if (io->running) {
		control(io, IO_STOP, 0, NULL);
		pthread_join(io->th, NULL);
		io->running = false;
	}
	if (final) {
		final->overflow = atomic_load(&io->overflow);
		final->write_errors = atomic_load(&io->write_errors);
		final->last_error = atomic_load(&io->last_error);
	}
	vp_mem_deref(io);
}
