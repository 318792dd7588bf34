/* SPDX-License-Identifier: MIT */
/**
 * @file live.c  Live audio out (live.h): the io thread's tap, which copies
 * the PCM the chunk writers accepted into a bounded ring (never waiting),
 * and the live thread's packing of queued blocks into one binary message.
 */
#define VP_LOG_MODULE "live"
#include "src/bot/live_priv.h"

#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_DEFAULT 1024 /* ~2 KB blocks: ~10 s of one 48 kHz stream */

/* --- Runs on: io thread (the tap) --- */

static void tap_stream(unsigned idx, const char *id, uint32_t rate,
		       uint16_t channels, void *arg)
{
	struct vp_live *l = arg;
	struct live_tap_st *s;

	if (idx >= LIVE_STREAMS)
		return;
	s = &l->st[idx];
	s->open = true;
	s->started = false; /* a new writer: it starts where it is told */
	s->rate = rate;
	s->ch = channels;
	snprintf(s->id, sizeof(s->id), "%s", id);
}

static void tap_pause(unsigned idx, void *arg)
{
	struct vp_live *l = arg;

	if (idx < LIVE_STREAMS)
		l->st[idx].open = false;
}

/*
 * The writer's contiguity rule (pcm.h vp_pcm_writer_write): its first
 * write fixes the start; a later block that starts before the end loses
 * its overlap, one that starts after it is preceded by zeros on disk (the
 * receiver gets the same by placing the block at its start_sample).
 */
static void tap_pcm(unsigned idx, uint64_t start, const int16_t *pcm,
		    uint32_t frames, void *arg)
{
	struct vp_live *l = arg;
	struct live_tap_st *s;
	struct live_blk *b;
	uint64_t skip = 0;

	if (idx >= LIVE_STREAMS || !l->st[idx].open ||
	    atomic_load(&l->stopping))
		return;
	s = &l->st[idx];
	if (!s->started) {
		s->started = true;
		s->end = start;
	}
	if (start < s->end)
		skip = s->end - start < frames ? s->end - start : frames;
	if (skip == frames)
		return;
	b = vp_spsc_reserve(l->ring);
	if (!b) { /* the receiver is slow: never wait, count */
		s->drop_pending += frames - skip;
		atomic_fetch_add(&l->dropped_blocks, 1);
		atomic_fetch_add(&l->dropped_samples, frames - skip);
		s->end = start + frames;
		vp_live__ws_kick(l);
		return;
	}
	b->idx = idx;
	b->start = start + skip;
	b->frames = (uint32_t)(frames - skip);
	b->rate = s->rate;
	b->ch = s->ch;
	b->dropped = s->drop_pending;
	s->drop_pending = 0;
	memcpy(b->id, s->id, sizeof(b->id));
	memcpy(b->part, s->part, sizeof(b->part));
	memcpy(b->pcm, pcm + skip * s->ch, (size_t)b->frames * s->ch * 2);
	s->end = start + frames;
	vp_spsc_commit(l->ring);
	vp_live__ws_kick(l);
}

/* meeting.json as saved: each stream's participant */
static void tap_meta(const char *meeting_json, void *arg)
{
	struct vp_live *l = arg;
	json_t *doc = vp_json_loads(meeting_json, 0, NULL), *st;
	size_t i;

	json_array_foreach(json_object_get(doc, "streams"), i, st)
	{
		const char *id = json_string_value(json_object_get(st, "id"));
		const char *p =
			json_string_value(json_object_get(st, "participant"));

		/* an id too long to carry whole goes as null, never cut
		 * (a cut may split a UTF-8 sequence): meeting.json has it */
		for (unsigned k = 0; id && p && k < LIVE_STREAMS; k++)
			if (l->st[k].id[0] && !strcmp(l->st[k].id, id))
				snprintf(l->st[k].part, sizeof(l->st[k].part),
					 "%s",
					 strlen(p) < sizeof(l->st[k].part)
						 ? p
						 : "");
	}
	json_decref(doc);
}

void vp_live_tap(struct vp_live *l, struct vp_io_tap *tap)
{
	*tap = (struct vp_io_tap){
		.streamh = tap_stream,
		.pcmh = tap_pcm,
		.pauseh = tap_pause,
		.metah = tap_meta,
		.arg = l,
	};
}

/* --- Runs on: live thread --- */

void vp_live__set_error(struct vp_live *l, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&l->err_lock);
	va_start(ap, fmt);
	vsnprintf(l->last_error, sizeof(l->last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&l->err_lock);
}

void vp_live__discard(struct vp_live *l)
{
	struct live_blk *b;

	while ((b = vp_spsc_peek(l->ring))) {
		l->cons_drop[b->idx] += b->dropped + b->frames;
		atomic_fetch_add(&l->dropped_blocks, 1);
		atomic_fetch_add(&l->dropped_samples, b->frames);
		vp_spsc_release(l->ring);
	}
}

struct seg {
	unsigned idx;
	uint64_t start, end, dropped;
};

/* Blocks of one stream that follow each other without a hole become one
 * segment; a hole (a gap, a gate closure, a drop) starts another. */
static unsigned group(struct vp_live *l, unsigned n, struct seg *sg,
		      unsigned *of)
{
	unsigned ns = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct live_blk *b = &l->blk[i];
		unsigned k = ns;

		while (k-- > 0)
			if (sg[k].idx == b->idx)
				break;
		if (k < ns && sg[k].end == b->start && !b->dropped &&
		    l->blk[of[k]].rate == b->rate &&
		    l->blk[of[k]].ch == b->ch) {
			sg[k].end += b->frames;
			of[n + i] = k;
			continue;
		}
		sg[ns] = (struct seg){b->idx, b->start, b->start + b->frames,
				      b->dropped + l->cons_drop[b->idx]};
		l->cons_drop[b->idx] = 0;
		of[ns] = i; /* the segment's first block */
		of[n + i] = ns++;
	}
	return ns;
}

static json_t *header(struct vp_live *l, const struct seg *sg, unsigned ns,
		      const unsigned *of)
{
	json_t *a = json_array(), *h;

	if (!a)
		return NULL;
	for (unsigned k = 0; k < ns; k++) {
		const struct live_blk *b = &l->blk[of[k]];

		/* a segment left out of the header would shift every later
		 * one's PCM: no header at all (the blocks are counted lost) */
		if (json_array_append_new(
			    a,
			    json_pack("{s:s, s:s?, s:I, s:i, s:i, s:I, s:I}",
				      "stream", b->id, "participant",
				      b->part[0] ? b->part : NULL,
				      "start_sample", (json_int_t)sg[k].start,
				      "rate", (int)b->rate, "channels",
				      (int)b->ch, "samples",
				      (json_int_t)(sg[k].end - sg[k].start),
				      "dropped", (json_int_t)sg[k].dropped))) {
			json_decref(a);
			return NULL;
		}
	}
	h = json_pack("{s:I, s:o}", "seq", (json_int_t)l->msg_seq + 1,
		      "segments", a);
	if (h)
		l->msg_seq++;
	return h;
}

static int grow(struct vp_live *l, size_t need)
{
	uint8_t *p;

	if (need <= l->msg_cap)
		return 0;
	p = vp_realloc(l->msg, need);
	if (!p)
		return ENOMEM;
	l->msg = p;
	l->msg_cap = need;
	return 0;
}

/* 4-byte big-endian header length, the JSON header, each segment's PCM */
static size_t assemble(struct vp_live *l, unsigned n, const struct seg *sg,
		       unsigned ns, const unsigned *of, const char *hdr)
{
	size_t hl = strlen(hdr), pcm = 0, off;
	uint8_t *m;

	for (unsigned i = 0; i < n; i++)
		pcm += (size_t)l->blk[i].frames * l->blk[i].ch * 2;
	if (grow(l, 4 + hl + pcm))
		return 0;
	m = l->msg;
	m[0] = (uint8_t)(hl >> 24);
	m[1] = (uint8_t)(hl >> 16);
	m[2] = (uint8_t)(hl >> 8);
	m[3] = (uint8_t)hl;
	memcpy(m + 4, hdr, hl);
	off = 4 + hl;
	for (unsigned k = 0; k < ns; k++) {
		for (unsigned i = 0; i < n; i++) {
			size_t b = (size_t)l->blk[i].frames * l->blk[i].ch * 2;

			if (of[n + i] != k)
				continue;
			memcpy(m + off, l->blk[i].pcm, b);
			off += b;
		}
	}
	return off;
}

size_t vp_live__pack(struct vp_live *l)
{
	struct seg sg[LIVE_MSG_BLOCKS];
	unsigned of[2 * LIVE_MSG_BLOCKS];
	unsigned n = 0, ns;
	uint64_t samples = 0;
	struct live_blk *b;
	json_t *h;
	char *txt;
	size_t len;

	while (n < LIVE_MSG_BLOCKS && (b = vp_spsc_peek(l->ring))) {
		l->blk[n] = *b;
		samples += b->frames;
		n++;
		vp_spsc_release(l->ring);
	}
	if (!n)
		return 0;
	ns = group(l, n, sg, of);
	h = header(l, sg, ns, of);
	txt = h ? vp_json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	len = txt ? assemble(l, n, sg, ns, of, txt) : 0;
	free(txt);
	if (!len) { /* out of memory: these blocks are lost, and counted */
		atomic_fetch_add(&l->dropped_blocks, n);
		atomic_fetch_add(&l->dropped_samples, samples);
		for (unsigned k = 0; k < ns; k++)
			l->cons_drop[sg[k].idx] += sg[k].end - sg[k].start;
		return 0;
	}
	atomic_fetch_add(&l->samples, samples);
	return len;
}

/* --- Runs on: the bot's thread --- */

static void live_destroy(void *data)
{
	struct vp_live *l = data;

	vp_live_finish(l);
	vp_live__ws_destroy(l);
	vp_mem_deref(l->ring);
	free(l->msg);
	free(l->ca);
	free(l->meeting);
	pthread_mutex_destroy(&l->err_lock);
}

int vp_live_start(struct vp_live **lp, const struct vp_live_cfg *cfg)
{
	struct vp_live *l;
	char why[160];
	int err;

	if (!lp || !cfg || !cfg->url)
		return EINVAL;
	l = vp_mem_zalloc(sizeof(*l), live_destroy);
	if (!l)
		return ENOMEM;
	pthread_mutex_init(&l->err_lock, NULL);
	l->drain_s = cfg->drain_s > 0 ? cfg->drain_s : 2.0;
	err = vp_live_url_parse(&l->url, cfg->url, why, sizeof(why));
	if (err)
		vp_log_err("%s", why);
	if (!err && cfg->ca_file && !(l->ca = vp_strdup(cfg->ca_file)))
		err = ENOMEM;
	if (!err && !(l->meeting = vp_strdup(cfg->meeting ? cfg->meeting : "")))
		err = ENOMEM;
	if (!err)
		err = vp_spsc_alloc(&l->ring, sizeof(struct live_blk),
				    cfg->ring_slots ? cfg->ring_slots
						    : RING_DEFAULT);
	if (!err)
		err = vp_live__ws_create(l);
	if (!err && pthread_create(&l->th, NULL, vp_live__ws_main, l))
		err = EAGAIN;
	if (err) {
		vp_mem_deref(l);
		return err;
	}
	l->running = true;
	vp_log_info("live audio to %s", l->url.origin);
	*lp = l;
	return 0;
}

void vp_live_stats(struct vp_live *l, struct vp_live_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!l)
		return;
	st->messages = atomic_load(&l->messages);
	st->samples = atomic_load(&l->samples);
	st->bytes = atomic_load(&l->bytes);
	st->dropped_blocks = atomic_load(&l->dropped_blocks);
	st->dropped_samples = atomic_load(&l->dropped_samples);
	st->connects = atomic_load(&l->connects);
	st->reconnects = atomic_load(&l->reconnects);
	st->connected = atomic_load(&l->connected);
	pthread_mutex_lock(&l->err_lock);
	snprintf(st->last_error, sizeof(st->last_error), "%s", l->last_error);
	pthread_mutex_unlock(&l->err_lock);
}

json_t *vp_live_stats_json(struct vp_live *l)
{
	struct vp_live_stats s;

	if (!l)
		return json_null();
	vp_live_stats(l, &s);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s?}",
			 "origin", l->url.origin, "messages",
			 (json_int_t)s.messages, "samples",
			 (json_int_t)s.samples, "bytes", (json_int_t)s.bytes,
			 "dropped_blocks", (json_int_t)s.dropped_blocks,
			 "dropped_samples", (json_int_t)s.dropped_samples,
			 "connects", (json_int_t)s.connects, "reconnects",
			 (json_int_t)s.reconnects, "connected", s.connected,
			 "last_error", s.last_error[0] ? s.last_error : NULL);
}

void vp_live_finish(struct vp_live *l)
{
	struct timespec ts;

	if (!l || !l->running)
		return;
	atomic_store(&l->stopping, true);
	vp_live__ws_kick(l);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)l->drain_s;
	ts.tv_nsec += (long)((l->drain_s - (double)(time_t)l->drain_s) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	/* the receiver's speed must not hold the bot: bound the last sends */
	if (pthread_timedjoin_np(l->th, NULL, &ts)) {
		vp_log_warn("live: the receiver did not take the last audio "
			    "within %.1f s",
			    l->drain_s);
		atomic_store(&l->abort, true);
		atomic_store(&l->kicked, false);
		vp_live__ws_kick(l);
		pthread_join(l->th, NULL);
	}
	l->running = false;
}
