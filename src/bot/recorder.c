/* SPDX-License-Identifier: MIT */
/** @file recorder.c  The meeting folder, io thread, timeline and streams of
 * one recording, and the meeting.json sections they make. */
#define VP_LOG_MODULE "rec"
#include "src/bot/recorder.h"

#include "media/timeline/timeline.h"
#include "src/bot/exitcode.h"
#include "src/bot/meeting.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SSRCs listed per stream in meeting.json (a sender that rotates them
 * must not grow it without bound; the track counts them all) */
#define MAX_SSRCS 64
/* the stream table grows by this many (a meeting pays for what it used) */
#define ST_STEP 32

/* meeting.json keys the recorder (or meeting.c, for it) writes */
static const char *const owned[] = {
	"meeting",
	"run",
	"recovered_chunks",
	"previous_runs",
	"rate",
	"channels",
	"chunk_seconds",
	"started_utc",
	"ended_utc",
	"timeline_origin_utc",
	"streams",
	"status",
	"gate",
	NULL,
};

struct rec_stream {
	struct vp_track *t;
	char *participant; /* whole (vp_mem); NULL: none (replay) */
	uint32_t ssrc[MAX_SSRCS];
	unsigned nssrc;
};

struct vp_rec {
	struct vp_rec_cfg cfg; /* cfg.gate: the gate, asked per frame */
	struct vp_meeting m;
	struct vp_io *io;
	struct vp_io_stats ios;
	struct vp_timeline tl;
	bool tl_started, stopped;
	struct rec_stream *st; /* vp_malloc'd, grown in steps of ST_STEP */
	unsigned nst, capst;
	bool st_full_warned;
	json_t *warnings;
	json_t *status_extra; /* vp_rec_status_count: other parts' counters */
	bool status_lost;     /* a warning or counter was lost (no memory) */
	unsigned long mark;   /* vp_rec_set: vp_mem_failures() before */
	char edit_key[32];    /* vp_rec_get: a section edited in place */
	unsigned long edit_mark;
	unsigned long op_mark; /* vp_mem_failures() after the last change */
};

/* --- Runs on: net thread (live) or the replay thread --- */

static bool none_open(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = 0;
	*epoch = 1; /* opened once, never closes */
	return true;
}

static json_t *none_json(void *arg)
{
	(void)arg;
	return json_string("none (replay)");
}

const struct vp_rec_gate vp_rec_gate_none = {
	.open = none_open,
	.json = none_json,
	.always_open = true,
};

static void set_utc(struct vp_meeting *m, const char *key, uint64_t ns)
{
	unsigned long mark = vp_mem_failures();
	char ts[32];

	vp_clock_rfc3339(ts, sizeof(ts), ns);
	vp_meeting_set(m, mark, key, json_string(ts));
}

static void rec_destroy(void *arg)
{
	struct vp_rec *r = arg;

	vp_rec_stop(r);
	for (unsigned i = 0; i < r->nst; i++) {
		r->st[i].t = vp_mem_deref(r->st[i].t);
		r->st[i].participant = vp_mem_deref(r->st[i].participant);
	}
	free(r->st);
	json_decref(r->warnings);
	json_decref(r->status_extra);
	vp_meeting_close(&r->m);
}

int vp_rec_open(struct vp_rec **rp, const struct vp_rec_cfg *cfg)
{
	struct vp_rec *r;
	int err;

	if (!rp || !cfg || !cfg->out || !cfg->id || !cfg->gate.open)
		return EINVAL;
	r = vp_mem_zalloc(sizeof(*r), rec_destroy);
	if (!r)
		return ENOMEM;
	r->cfg = *cfg;
	r->warnings = json_array();
	r->status_extra = json_object();
	err = r->warnings && r->status_extra
		      ? vp_meeting_open(&r->m, cfg->out, cfg->id, NULL)
		      : ENOMEM;
	if (!err) {
		unsigned long mark = vp_mem_failures();

		vp_meeting_set(&r->m, mark, "rate", json_integer(cfg->rate));
		vp_meeting_set(&r->m, mark, "channels",
			       json_integer(cfg->channels));
		vp_meeting_set(&r->m, mark, "chunk_seconds",
			       json_real(cfg->chunk_seconds));
		set_utc(&r->m, "started_utc", vp_clock_utc_ns());
		/* set once: a lost one would stop every later save */
		err = r->m.nlost ? ENOMEM : 0;
		r->op_mark = vp_mem_failures();
	}
	if (err) {
		vp_mem_deref(r);
		return err;
	}
	*rp = r;
	return 0;
}

int vp_rec_start(struct vp_rec *r)
{
	if (r->io || r->stopped)
		return EINVAL;
	return vp_io_start(&r->io, r->m.dir, r->cfg.offline);
}

const char *vp_rec_meeting_id(const struct vp_rec *r)
{
	return r->m.id;
}

static bool is_owned(const char *key)
{
	for (unsigned i = 0; owned[i]; i++)
		if (!strcmp(owned[i], key))
			return true;
	return false;
}

/* A section handed out by vp_rec_get() is edited in place: an allocation
 * that failed before the next change or save may have lost a member. */
static void edit_end(struct vp_rec *r)
{
	if (r->edit_key[0] && vp_mem_failures() != r->edit_mark)
		vp_meeting_set(&r->m, r->edit_mark, r->edit_key, NULL);
	r->edit_key[0] = '\0';
	r->op_mark = vp_mem_failures();
}

void vp_rec__mark(struct vp_rec *r)
{
	edit_end(r);
	r->mark = vp_mem_failures();
}

int vp_rec_set_built(struct vp_rec *r, const char *key, json_t *value,
		     unsigned long mark)
{
	edit_end(r);
	if (is_owned(key)) {
		vp_log_err("meeting.json key %s belongs to the recorder", key);
		json_decref(value);
		return EINVAL;
	}
	return vp_meeting_set(&r->m, mark, key, value);
}

int vp_rec__set(struct vp_rec *r, const char *key, json_t *value)
{
	return vp_rec_set_built(r, key, value, r->mark);
}

json_t *vp_rec_get(struct vp_rec *r, const char *key)
{
	/* the edit's value may be built before this call (C leaves the
	 * order of arguments open): failures count from the last change */
	unsigned long since = r->op_mark;

	edit_end(r);
	if (is_owned(key))
		return NULL;
	snprintf(r->edit_key, sizeof(r->edit_key), "%s", key);
	r->edit_mark = since;
	return json_object_get(r->m.doc, key);
}

void vp_rec_timeline_start(struct vp_rec *r, uint64_t origin_utc_ns)
{
	if (r->tl_started)
		return;
	vp_timeline_init(&r->tl, r->cfg.rate, origin_utc_ns);
	r->tl_started = true;
	set_utc(&r->m, "timeline_origin_utc", r->tl.origin_ns);
}

bool vp_rec_timeline_started(const struct vp_rec *r)
{
	return r->tl_started;
}

uint64_t vp_rec_sample_at(const struct vp_rec *r, uint64_t utc_ns)
{
	return r->tl_started ? vp_timeline_sample_at(&r->tl, utc_ns) : 0;
}

int vp_rec_stream_open(struct vp_rec *r, const char *participant, unsigned *idx)
{
	struct rec_stream *s;
	struct vp_track_cfg tc;
	char id[16], w[96];
	char *pcopy;
	int err;

	if (!r->tl_started || !r->io || r->stopped)
		return EAGAIN;
	if (r->nst == VP_REC_MAX_STREAMS) {
		if (!r->st_full_warned) { /* lost audio is said, never hidden */
			r->st_full_warned = true;
			snprintf(w, sizeof(w),
				 "stream limit (%u) reached: later streams "
				 "are not recorded",
				 VP_REC_MAX_STREAMS);
			vp_rec_warn(r, w);
		}
		return ENOSPC;
	}
	if (r->nst == r->capst) {
		unsigned cap = r->capst + ST_STEP;

		s = vp_realloc(r->st, cap * sizeof(*s));
		if (!s)
			return ENOMEM;
		r->st = s;
		r->capst = cap;
	}
	pcopy = participant ? vp_mem_strdup(participant) : NULL;
	if (participant && !pcopy)
		return ENOMEM;
	s = &r->st[r->nst];
	vp_meeting_stream_id(&r->m, id, sizeof(id));
	tc = (struct vp_track_cfg){
		.id = id,
		.idx = r->nst,
		.rate = r->cfg.rate,
		.channels = r->cfg.channels,
		.chunk_samples = (uint64_t)(r->cfg.chunk_seconds * r->cfg.rate),
		.hold_ns = 200 * VP_MSEC,
		.gateh = r->cfg.gate.open,
		.gate_arg = r->cfg.gate.arg,
		.gate_always_open = r->cfg.gate.always_open,
	};
	err = vp_track_alloc(&s->t, &tc, &r->tl, r->io);
	if (err) {
		vp_mem_deref(pcopy);
		return err;
	}
	s->participant = pcopy;
	s->nssrc = 0;
	*idx = r->nst++;
	return 0;
}

int vp_rec_stream_find(const struct vp_rec *r, const char *participant)
{
	for (unsigned i = 0; participant && i < r->nst; i++)
		if (r->st[i].participant &&
		    !strcmp(r->st[i].participant, participant))
			return (int)i;
	return -1;
}

const char *vp_rec_stream_id(const struct vp_rec *r, unsigned idx)
{
	return idx < r->nst ? vp_track_id(r->st[idx].t) : NULL;
}

unsigned vp_rec_nstreams(const struct vp_rec *r)
{
	return r->nst;
}

static void note_ssrc(struct rec_stream *s, uint32_t ssrc)
{
	if (s->nssrc && s->ssrc[s->nssrc - 1] == ssrc)
		return;
	for (unsigned i = 0; i < s->nssrc; i++)
		if (s->ssrc[i] == ssrc)
			return;
	if (s->nssrc < MAX_SSRCS)
		s->ssrc[s->nssrc++] = ssrc;
}

void vp_rec_rtp(struct vp_rec *r, unsigned idx, uint32_t ssrc, uint16_t seq,
		uint32_t ts, const uint8_t *payload, size_t len,
		uint64_t arrival_utc_ns)
{
	if (idx >= r->nst || r->stopped)
		return;
	note_ssrc(&r->st[idx], ssrc);
	vp_track_rtp(r->st[idx].t, ssrc, seq, ts, payload, len, arrival_utc_ns);
}

void vp_rec_rtp_absent(struct vp_rec *r, unsigned idx, uint32_t ssrc,
		       uint16_t seq, uint32_t ts, const uint8_t *payload,
		       size_t len, uint64_t arrival_utc_ns)
{
	if (idx >= r->nst || r->stopped)
		return;
	vp_track_rtp_absent(r->st[idx].t, ssrc, seq, ts, payload, len,
			    arrival_utc_ns);
}

void vp_rec_sr(struct vp_rec *r, unsigned idx, uint32_t ssrc, uint32_t ntp_sec,
	       uint32_t ntp_frac, uint32_t rtp_ts)
{
	if (idx < r->nst && !r->stopped)
		vp_track_sr(r->st[idx].t, ssrc, ntp_sec, ntp_frac, rtp_ts);
}

void vp_rec_level(struct vp_rec *r, unsigned idx, const struct vp_rtp_pkt *p,
		  uint8_t ext_id)
{
	if (idx < r->nst && !r->stopped)
		vp_track_level(r->st[idx].t, p, ext_id);
}

void vp_rec_poll(struct vp_rec *r, uint64_t now_utc_ns)
{
	for (unsigned i = 0; i < r->nst && !r->stopped; i++)
		vp_track_poll(r->st[i].t, now_utc_ns);
}

uint64_t vp_rec_samples(const struct vp_rec *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nst; i++)
		n += vp_track_stats(r->st[i].t)->samples;
	return n;
}

uint64_t vp_rec_gated_samples(const struct vp_rec *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nst; i++)
		n += vp_track_stats(r->st[i].t)->gated_samples;
	return n;
}

int vp_rec_tap(struct vp_rec *r, const struct vp_io_tap *tap)
{
	return r->io ? vp_io_set_tap(r->io, tap) : EINVAL;
}

static const char *const status_keys[] = {
	"state",	   "exit_code", "reason", "io_overflow",
	"io_write_errors", "warnings",	NULL,
};

int vp_rec_status_count(struct vp_rec *r, const char *key, uint64_t n)
{
	for (unsigned i = 0; status_keys[i]; i++)
		if (!strcmp(key, status_keys[i]))
			return EINVAL;
	if (json_object_set_new(r->status_extra, key,
				json_integer((json_int_t)n))) {
		r->status_lost = true; /* the final status would lack it */
		return ENOMEM;
	}
	return 0;
}

void vp_rec_warn(struct vp_rec *r, const char *line)
{
	vp_log_warn("%s", line);
	if (json_array_append_new(r->warnings, json_string(line)))
		r->status_lost = true;
}

/* The `streams` section, live and replay alike: each track's counters
 * (vp_track_stats_json), whose participant it is and the SSRCs it had. */
static json_t *streams_json(const struct vp_rec *r)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < r->nst; i++) {
		const struct rec_stream *s = &r->st[i];
		json_t *o = vp_track_stats_json(s->t);
		json_t *ssrcs = json_array();

		for (unsigned k = 0; k < s->nssrc; k++)
			json_array_append_new(ssrcs, json_integer(s->ssrc[k]));
		json_object_set_new(o, "ssrcs", ssrcs);
		json_object_set_new(o, "participant",
				    s->participant ? json_string(s->participant)
						   : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static void set_streams(struct vp_rec *r)
{
	unsigned long mark = vp_mem_failures();

	vp_meeting_set(&r->m, mark, "streams", streams_json(r));
}

static void set_gate(struct vp_rec *r)
{
	unsigned long mark = vp_mem_failures();
	json_t *g = r->cfg.gate.json ? r->cfg.gate.json(r->cfg.gate.arg) : NULL;

	/* NULL: no key yet, unless it is NULL for want of memory */
	if (g || vp_mem_failures() != mark)
		vp_meeting_set(&r->m, mark, "gate", g);
}

static int write_doc(struct vp_rec *r)
{
	char *s;

	edit_end(r);
	if (!r->io)
		return vp_meeting_save(&r->m);
	s = vp_meeting_dump(&r->m);
	return s ? vp_io_meta(r->io, s) : ENOMEM; /* takes s */
}

int vp_rec_save(struct vp_rec *r, const char *state)
{
	unsigned long mark;

	set_streams(r);
	mark = vp_mem_failures();
	vp_meeting_set(&r->m, mark, "status",
		       json_pack("{s:s}", "state", state));
	return write_doc(r);
}

int vp_rec_stop(struct vp_rec *r)
{
	if (r->stopped)
		return r->ios.write_errors ? EIO : 0;
	/* everything held goes out first, then each stream's last chunk */
	for (unsigned i = 0; i < r->nst; i++)
		vp_track_flush(r->st[i].t);
	for (unsigned i = 0; i < r->nst; i++)
		vp_io_stream_close(r->io, i);
	r->stopped = true;
	if (!r->io)
		return 0;
	/* the last save through the io thread: speech.jsonl learns whose
	 * each stream is */
	set_streams(r);
	write_doc(r);
	vp_io_stop(r->io, &r->ios);
	r->io = NULL;
	return r->ios.write_errors ? EIO : 0;
}

const struct vp_io_stats *vp_rec_io_stats(const struct vp_rec *r)
{
	return &r->ios;
}

int vp_rec_finish(struct vp_rec *r, int code, const char *reason)
{
	unsigned long mark;
	json_t *st;

	vp_rec_stop(r);
	set_streams(r);
	set_gate(r);
	set_utc(&r->m, "ended_utc", vp_clock_utc_ns());
	mark = vp_mem_failures();
	st = json_pack("{s:s, s:i, s:s?, s:I, s:I, s:O}", "state",
		       code == VP_EXIT_OK ? "finished" : "failed", "exit_code",
		       code, "reason", reason, "io_overflow",
		       (json_int_t)r->ios.overflow, "io_write_errors",
		       (json_int_t)r->ios.write_errors, "warnings",
		       r->warnings);
	/* a warning or counter lost earlier: this status would lack it */
	if (r->status_lost || json_object_update(st, r->status_extra)) {
		json_decref(st);
		st = NULL;
	}
	vp_meeting_set(&r->m, mark, "status", st);
	edit_end(r);
	return vp_meeting_save(&r->m);
}

int vp_rec_write(struct vp_rec *r)
{
	return write_doc(r);
}

void vp_rec_close(struct vp_rec *r)
{
	vp_mem_deref(r);
}
