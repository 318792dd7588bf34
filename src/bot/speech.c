/* SPDX-License-Identifier: MIT */
/**
 * @file speech.c  Who spoke when (speech.h): an energy VAD per stream over
 * the PCM the io thread writes, and MDIR/speech.jsonl.
 *
 * Energy, not a trained VAD: the streams are one participant each, already
 * separated, so "is there sound on this stream" is the question, and a level
 * against the stream's own noise floor answers it without a model. The
 * thresholds are those of WebRTC-era level meters: speech sits at -30 to
 * -10 dBFS, a quiet room at -60 or below.
 */
#define VP_LOG_MODULE "speech"
#include "src/bot/speech.h"

#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAMES_PER_S  100   /* 10 ms analysis frames */
#define ABS_DB	      -50.0 /* never voiced below this */
#define OVER_FLOOR_DB 12.0
#define FLOOR_RISE_DB 0.03 /* per frame: 3 dB/s */
#define FLOOR_MIN_DB  -100.0
#define ONSET_FRAMES  2
#define HANG_FRAMES   30 /* 300 ms of silence ends a segment */
#define MIN_SEG_MS    60

struct vp_speech {
	uint32_t rate, flen; /* frames per analysis frame */
	uint16_t ch;
	vp_speech_seg_h *segh;
	void *arg;
	bool started;
	uint64_t pos;	 /* next expected timeline sample */
	uint64_t fstart; /* first sample of the frame in progress */
	double acc;	 /* sum of squares in it */
	uint32_t n;	 /* frames in it */
	double floor_db;
	unsigned run, quiet; /* voiced frames in a row, unvoiced since */
	uint64_t cand;	     /* first voiced frame of the run */
	bool in_seg;
	uint64_t seg_start, seg_end;
};

int vp_speech_alloc(struct vp_speech **sp, uint32_t rate, uint16_t channels,
		    vp_speech_seg_h *segh, void *arg)
{
	struct vp_speech *s;

	if (!sp || rate < FRAMES_PER_S || channels < 1 || channels > 2 || !segh)
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;
	s->rate = rate;
	s->flen = rate / FRAMES_PER_S;
	s->ch = channels;
	s->segh = segh;
	s->arg = arg;
	s->floor_db = FLOOR_MIN_DB;
	*sp = s;
	return 0;
}

static void close_seg(struct vp_speech *s)
{
	if (s->in_seg && (s->seg_end - s->seg_start) * 1000 >=
				 (uint64_t)MIN_SEG_MS * s->rate)
		s->segh(s->seg_start, s->seg_end, s->arg);
	s->in_seg = false;
	s->run = 0;
	s->quiet = 0;
}

/* One 10 ms frame [fstart, fstart + flen) with mean square ms. */
static void frame(struct vp_speech *s, double ms)
{
	double db =
		ms > 0 ? 10 * log10(ms / (32768.0 * 32768.0)) : FLOOR_MIN_DB;
	bool voiced;

	if (db < FLOOR_MIN_DB)
		db = FLOOR_MIN_DB;
	voiced = db > ABS_DB && db > s->floor_db + OVER_FLOOR_DB;
	/* the floor: down at once, up slowly (a long vowel stays speech) */
	s->floor_db = db < s->floor_db ? db : s->floor_db + FLOOR_RISE_DB;
	if (!voiced) {
		s->run = 0;
		if (s->in_seg && ++s->quiet >= HANG_FRAMES)
			close_seg(s);
		return;
	}
	if (!s->run++)
		s->cand = s->fstart;
	s->quiet = 0;
	if (!s->in_seg && s->run >= ONSET_FRAMES) {
		s->in_seg = true;
		s->seg_start = s->cand;
	}
	if (s->in_seg)
		s->seg_end = s->fstart + s->flen;
}

void vp_speech_flush(struct vp_speech *s)
{
	if (!s)
		return;
	close_seg(s);
	s->n = 0;
	s->acc = 0;
	s->started = false;
}

static double sum_sq1(const int16_t *pcm, size_t i, size_t end)
{
	int64_t a = 0;

	for (; i < end; i++)
		a += (int32_t)pcm[i] * pcm[i];
	return (double)a;
}

static double sum_sq2(const int16_t *pcm, size_t i, size_t end)
{
	int64_t a = 0;

	for (; i < end; i++) {
		int64_t v = (int64_t)pcm[i * 2] + pcm[i * 2 + 1];

		a += v * v;
	}
	return (double)a;
}

void vp_speech_feed(struct vp_speech *s, uint64_t start, const int16_t *pcm,
		    size_t frames)
{
	if (!s || !pcm)
		return;
	if (s->started && start != s->pos)
		vp_speech_flush(s); /* a gap: the gate closed, or a jump */
	if (!s->started) {
		s->started = true;
		s->fstart = start;
		s->n = 0;
		s->acc = 0;
	}
	for (size_t i = 0; i < frames;) {
		size_t end = i + (s->flen - s->n) < frames
				     ? i + (s->flen - s->n)
				     : frames;

		/* integer sums (exact, as the doubles were), no branch per
		 * sample; the mean of a stereo pair is (l + r) / 2 */
		s->acc += s->ch == 2 ? sum_sq2(pcm, i, end) / 4
				     : sum_sq1(pcm, i, end);
		s->n += (uint32_t)(end - i);
		i = end;
		if (s->n == s->flen) {
			frame(s, s->acc / s->n);
			s->fstart += s->flen;
			s->n = 0;
			s->acc = 0;
		}
	}
	s->pos = start + frames;
}

/* --- The meeting's recorder; runs on: io thread --- */

/* a slot is allocated for a stream that has one, so a meeting pays only
 * for the streams it opened */
#define REC_MAX VP_SPEECH_REC_MAX
#define LVQ	128 /* levels waiting for their PCM: 2.5 s of 20 ms */

struct rec_lv {
	uint64_t start, end;
	uint8_t level;
};

struct rec_slot {
	struct vp_speech_rec *r;
	struct vp_speech *det;
	struct vp_speech_lv *lv; /* RFC 6464: set once a level is used */
	struct rec_lv q[LVQ];	 /* ring of levels ahead of their PCM */
	unsigned qh, qn;
	char id[65];
	char *part; /* whole (vp_mem), NULL until meeting.json names it */
	uint32_t rate;
};

/* A level on its way from the PCM's producer to the io thread */
struct rec_put {
	unsigned idx;
	uint32_t frames;
	uint64_t start;
	uint8_t level;
};

#define PUT_RING 4096 /* 20 ms levels: ~27 s of three streams */

struct vp_speech_rec {
	int fd;
	struct vp_spsc *put;	     /* rec_put: producer thread -> io thread */
	struct rec_slot *s[REC_MAX]; /* vp_mem, on first use */
};

static void slot_destroy(void *data)
{
	struct rec_slot *sl = data;

	vp_speech_flush(sl->det);
	vp_mem_deref(sl->det);
	vp_speech_lv_flush(sl->lv);
	vp_mem_deref(sl->lv);
	vp_mem_deref(sl->part);
}

/* Slot IDX, made if CREATE; NULL if out of range or out of memory. */
static struct rec_slot *slot(struct vp_speech_rec *r, unsigned idx, bool create)
{
	if (idx >= REC_MAX)
		return NULL;
	if (!r->s[idx] && create) {
		r->s[idx] =
			vp_mem_zalloc(sizeof(struct rec_slot), slot_destroy);
		if (r->s[idx])
			r->s[idx]->r = r;
	}
	return r->s[idx];
}

static void rec_destroy(void *data)
{
	struct vp_speech_rec *r = data;

	for (unsigned i = 0; i < REC_MAX; i++)
		vp_mem_deref(r->s[i]);
	if (r->fd >= 0)
		close(r->fd);
	vp_mem_deref(r->put);
}

int vp_speech_rec_open(struct vp_speech_rec **rp, const char *mdir)
{
	struct vp_speech_rec *r;
	char path[4200];
	int err;

	if (!rp || !mdir)
		return EINVAL;
	r = vp_mem_zalloc(sizeof(*r), rec_destroy);
	if (!r)
		return ENOMEM;
	r->fd = -1;
	err = vp_spsc_alloc(&r->put, sizeof(struct rec_put), PUT_RING);
	if (err) {
		vp_mem_deref(r);
		return err;
	}
	/* taken when PCM comes or the io thread idles: never woken */
	vp_spsc_set_wake(r->put, PUT_RING + 1);
	snprintf(path, sizeof(path), "%s/speech.jsonl", mdir);
	/* as every output (docs/design.md §5): a link planted as
	 * speech.jsonl is refused, never appended through */
	err = vp_fs_open_below(&r->fd, mdir, path,
			       O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (err) {
		vp_mem_deref(r);
		return err;
	}
	*rp = r;
	return 0;
}

static void write_seg(struct rec_slot *sl, uint64_t start, uint64_t end,
		      const char *source)
{
	json_t *o = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:s}", "stream",
			      sl->id, "participant", sl->part, "start_sample",
			      (json_int_t)start, "end_sample", (json_int_t)end,
			      "rate", (json_int_t)sl->rate, "source", source);
	char *line = o ? vp_json_dumps(o, JSON_COMPACT) : NULL;
	size_t n = line ? strlen(line) : 0;

	json_decref(o);
	if (!line)
		return;
	line[n] = '\n'; /* one write() per line: O_APPEND keeps lines whole */
	if (write(sl->r->fd, line, n + 1) != (ssize_t)(n + 1))
		vp_log_warn("speech.jsonl: write failed: %s", strerror(errno));
	free(line);
}

static void on_seg(uint64_t start, uint64_t end, void *arg)
{
	write_seg(arg, start, end, "energy");
}

static void on_seg_lv(uint64_t start, uint64_t end, void *arg)
{
	write_seg(arg, start, end, "rfc6464");
}

void vp_speech_rec_stream(struct vp_speech_rec *r, unsigned idx, const char *id,
			  uint32_t rate, uint16_t channels)
{
	struct rec_slot *sl;

	if (!r || !id)
		return;
	sl = slot(r, idx, true);
	if (!sl) {
		vp_log_warn("stream=%s: no speech detection", id);
		return;
	}
	vp_speech_flush(sl->det);
	sl->det = vp_mem_deref(sl->det);
	/* a new stream forgets the levels; the same one reopened after the
	 * gate (a new writer) stays on them, and keeps those queued */
	vp_speech_lv_flush(sl->lv);
	if (strcmp(sl->id, id)) {
		sl->lv = vp_mem_deref(sl->lv);
		sl->qn = 0;
	}
	sl->r = r;
	sl->rate = rate;
	snprintf(sl->id, sizeof(sl->id), "%s", id);
	if (vp_speech_alloc(&sl->det, rate, channels, on_seg, sl))
		vp_log_warn("stream=%s: no speech detection", id);
}

void vp_speech_rec_level_put(struct vp_speech_rec *r, unsigned idx,
			     uint64_t start, uint32_t frames, uint8_t level)
{
	struct rec_put *p = r ? vp_spsc_reserve(r->put) : NULL;

	if (!p)
		return;
	*p = (struct rec_put){idx, frames, start, level};
	vp_spsc_commit(r->put);
}

static void rec_level(struct vp_speech_rec *r, unsigned idx, uint64_t start,
		      uint32_t frames, uint8_t level)
{
	struct rec_slot *sl;

	sl = frames ? slot(r, idx, true) : NULL;
	if (!sl)
		return;
	if (sl->qn == LVQ) { /* the oldest never reached disk */
		sl->qh = (sl->qh + 1) % LVQ;
		sl->qn--;
	}
	sl->q[(sl->qh + sl->qn++) % LVQ] =
		(struct rec_lv){start, start + frames, level};
}

void vp_speech_rec_levels(struct vp_speech_rec *r)
{
	struct rec_put *p;

	while (r && (p = vp_spsc_peek(r->put))) {
		rec_level(r, p->idx, p->start, p->frames, p->level);
		vp_spsc_release(r->put);
	}
}

/* The first level that reaches disk switches the stream to levels: the
 * energy detector's open segment ends there. */
static bool lv_on(struct rec_slot *sl)
{
	if (sl->lv)
		return true;
	vp_speech_flush(sl->det);
	if (vp_speech_lv_alloc(&sl->lv, sl->rate, on_seg_lv, sl))
		return false;
	return true;
}

/* PCM [a, b) reached disk: the levels over it decide; a span without a
 * level (DTX silence, concealment) is unvoiced. @return true if the
 * stream is on levels. */
static bool levels_pcm(struct rec_slot *sl, uint64_t a, uint64_t b)
{
	uint64_t cur = a;

	while (sl->qn) {
		struct rec_lv *e = &sl->q[sl->qh];
		uint64_t lo = e->start > cur ? e->start : cur;
		uint64_t hi = e->end < b ? e->end : b;

		if (e->start >= b)
			break; /* for later PCM */
		if (hi > lo && lv_on(sl)) {
			vp_speech_lv_feed(sl->lv, cur, lo - cur, false);
			vp_speech_lv_feed(sl->lv, lo, hi - lo,
					  vp_speech_level_voiced(e->level));
			cur = hi;
		}
		if (e->end > b)
			break; /* the rest with the next PCM */
		sl->qh = (sl->qh + 1) % LVQ;
		sl->qn--;
	}
	if (sl->lv)
		vp_speech_lv_feed(sl->lv, cur, b - cur, false);
	return sl->lv != NULL;
}

void vp_speech_rec_pcm(struct vp_speech_rec *r, unsigned idx, uint64_t start,
		       const int16_t *pcm, size_t frames)
{
	struct rec_slot *sl;

	if (!r || !frames)
		return;
	vp_speech_rec_levels(r); /* queued before this PCM */
	sl = slot(r, idx, false);
	if (sl && !levels_pcm(sl, start, start + frames))
		vp_speech_feed(sl->det, start, pcm, frames);
}

void vp_speech_rec_pause(struct vp_speech_rec *r, unsigned idx)
{
	struct rec_slot *sl = r ? slot(r, idx, false) : NULL;

	if (sl) {
		vp_speech_flush(sl->det);
		vp_speech_lv_flush(sl->lv);
	}
}

void vp_speech_rec_meta(struct vp_speech_rec *r, const char *meeting_json)
{
	json_t *doc, *a, *st;
	size_t i;

	if (!r || !meeting_json)
		return;
	doc = vp_json_loads(meeting_json, 0, NULL);
	a = json_object_get(doc, "streams");
	json_array_foreach(a, i, st)
	{
		const char *id = json_string_value(json_object_get(st, "id"));
		const char *p =
			json_string_value(json_object_get(st, "participant"));

		for (unsigned k = 0; id && p && k < REC_MAX; k++) {
			struct rec_slot *sl = r->s[k];

			if (!sl || !sl->det || strcmp(sl->id, id) ||
			    (sl->part && !strcmp(sl->part, p)))
				continue;
			/* whole: a cut id could be someone else's */
			vp_mem_deref(sl->part);
			sl->part = vp_mem_strdup(p);
		}
	}
	json_decref(doc);
}
