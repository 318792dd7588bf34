/* SPDX-License-Identifier: MIT */
/** @file replay.c  `vpbot replay`: classify the capture's RTP sources, then
 * feed the Opus ones through the live pipeline (tracks, io thread). */
#define VP_LOG_MODULE "replay"
#include "src/bot/replay.h"

#include "media/opus/opus_dec.h"
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/rtp.h"
#include "src/bot/capture.h"
#include "src/bot/exitcode.h"
#include "src/bot/meeting.h"
#include "src/bot/recorder.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Sources tracked in pass 1. A flood of junk SSRCs must not push a real
 * speaker out: when the table is full, every source that does not (yet)
 * look like Opus is evicted, and if that is not enough, those with the
 * fewest packets (counted and reported). */
#define MAX_SSRC    4096
#define MAX_STREAMS 64

struct src_info {
	uint32_t ssrc;
	uint16_t sport, dport;
	uint8_t pt;
	uint64_t first_ns, last_ns;
	uint32_t n, n_pt, n_toc, steps, steps_ok;
	uint16_t last_seq;
	uint32_t last_ts;
	int last_dur;
	bool opus;
	int stream; /* index into streams, -1 none */
};

struct replay {
	const struct vp_replay_cfg *cfg;
	struct src_info *src; /* MAX_SSRC */
	unsigned nsrc;
	GHashTable *by_key; /* src_key() -> index + 1 */
	unsigned ntrack;    /* streams: the recorder's 0..ntrack-1 */
	uint64_t origin_ns, end_ns;
	uint64_t rtp_malformed, rtcp_malformed, non_rtp, not_opus;
	uint64_t evicted_ssrcs;	  /* sources that did not look like Opus */
	uint64_t ignored_ssrcs;	  /* Opus-looking ones evicted: the cap */
	uint64_t ignored_streams; /* Opus streams over MAX_STREAMS */
	uint64_t ignored_packets; /* their packets */
	struct vp_rec *rec;
};

static volatile sig_atomic_t stop_flag;

void vp_replay_stop(void)
{
	stop_flag = 1;
}

static bool is_rtcp(const uint8_t *b, size_t len)
{
	/* RFC 5761 §4: RTCP packet types 192..223 in the second byte */
	return len >= 8 && (b[0] >> 6) == 2 && b[1] >= 192 && b[1] <= 223;
}

/* One source = one SSRC on one UDP flow: a second sender that reuses an
 * SSRC (a collision, RFC 3550 §8.2) on another flow is another source. */
static uint64_t src_key(uint32_t ssrc, uint16_t sport, uint16_t dport)
{
	return (uint64_t)ssrc << 32 | (uint64_t)sport << 16 | dport;
}

static bool looks_opus(const struct replay *r, const struct src_info *s);

static void index_src(struct replay *r, unsigned i)
{
	gint64 *k = g_new(gint64, 1);

	*k = (gint64)src_key(r->src[i].ssrc, r->src[i].sport, r->src[i].dport);
	g_hash_table_insert(r->by_key, k, GUINT_TO_POINTER(i + 1));
}

static int by_packets(const void *x, const void *y)
{
	const struct src_info *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->first_ns < b->first_ns ? -1 : a->first_ns > b->first_ns;
}

/* Table full: drop every source that does not look like Opus so far; if
 * that frees less than a quarter, also the quarter with the fewest packets
 * (real audio outlasts junk; an evicted source that goes on comes back). */
static void evict_junk(struct replay *r)
{
	unsigned k = 0;

	g_hash_table_remove_all(r->by_key);
	for (unsigned i = 0; i < r->nsrc; i++) {
		if (!looks_opus(r, &r->src[i])) {
			r->evicted_ssrcs++;
			continue;
		}
		r->src[k++] = r->src[i];
	}
	if (k > MAX_SSRC / 4 * 3) {
		qsort(r->src, k, sizeof(*r->src), by_packets);
		r->ignored_ssrcs += k - MAX_SSRC / 4 * 3;
		k = MAX_SSRC / 4 * 3;
	}
	r->nsrc = k;
	for (unsigned i = 0; i < k; i++)
		index_src(r, i);
}

static struct src_info *find_src(struct replay *r, uint32_t ssrc,
				 uint16_t sport, uint16_t dport, bool add)
{
	gint64 key = (gint64)src_key(ssrc, sport, dport);
	gpointer v = g_hash_table_lookup(r->by_key, &key);

	if (v)
		return &r->src[GPOINTER_TO_UINT(v) - 1];
	if (!add)
		return NULL;
	if (r->nsrc == MAX_SSRC)
		evict_junk(r);
	r->src[r->nsrc] = (struct src_info){
		.ssrc = ssrc, .sport = sport, .dport = dport, .stream = -1};
	index_src(r, r->nsrc);
	return &r->src[r->nsrc++];
}

static void classify_one(struct replay *r, const struct vp_capture_dgram *d)
{
	struct vp_rtp_pkt p;
	struct src_info *s;
	int dur;

	if (is_rtcp(d->payload, d->len))
		return;
	if (vp_rtp_parse(&p, d->payload, d->len) != 0) {
		r->rtp_malformed++;
		return;
	}
	s = find_src(r, p.ssrc, d->sport, d->dport, true);
	if (s->n == 0) {
		s->pt = p.pt;
		s->first_ns = d->ts_ns;
	}
	s->n++;
	s->last_ns = d->ts_ns;
	if (p.pt != s->pt)
		return;
	s->n_pt++;
	dur = vp_opus_packet_dur48(p.payload, p.payload_len);
	if (dur > 0)
		s->n_toc++;
	if (s->n_pt > 1 && (uint16_t)(s->last_seq + 1) == p.seq &&
	    s->last_dur > 0) {
		s->steps++;
		s->steps_ok += p.ts - s->last_ts == (uint32_t)s->last_dur;
	}
	s->last_seq = p.seq;
	s->last_ts = p.ts;
	s->last_dur = dur;
}

static bool looks_opus(const struct replay *r, const struct src_info *s)
{
	if (s->n == 0)
		return false;
	if (r->cfg->pt >= 0)
		return s->pt == r->cfg->pt;
	return s->pt >= 96 && s->pt <= 127 && s->n_pt >= 5 &&
	       s->n_toc * 10 >= s->n_pt * 9 &&
	       (s->steps == 0 || s->steps_ok * 10 >= s->steps * 8);
}

/* Pass 1: which SSRCs are Opus, and which of them continue each other. */
static int classify(struct replay *r, char *err, size_t errsz)
{
	struct vp_capture *cap = NULL;
	struct vp_capture_dgram d;
	int e;

	e = vp_capture_open(&cap, r->cfg->capture, err, errsz);
	if (e)
		return e;
	while ((e = vp_capture_next(cap, &d)) == 0)
		classify_one(r, &d);
	if (e == EBADMSG)
		vp_log_warn("%s: truncated record at the end; using what "
			    "came before",
			    r->cfg->capture);
	if (vp_capture_stats(cap)->frames == 0) {
		snprintf(err, errsz, "%s: the capture holds no packets",
			 r->cfg->capture);
		vp_mem_deref(cap);
		return EBADMSG;
	}
	vp_mem_deref(cap);
	return 0;
}

/* Chain the Opus sources into streams, in order of first appearance:
 * continue a finished stream on the same flow, else start a new one.
 * @return the number of streams (unbounded here) */
static unsigned chain_streams(struct replay *r, uint32_t *last_of)
{
	unsigned nstreams = 0;

	for (unsigned k = 0; k < r->nsrc; k++) {
		struct src_info *s = NULL;

		for (unsigned i = 0; i < r->nsrc; i++) {
			struct src_info *c = &r->src[i];

			if (c->opus && c->stream < 0 &&
			    (!s || c->first_ns < s->first_ns))
				s = c;
		}
		if (!s)
			break;
		for (unsigned j = 0; j < nstreams && s->stream < 0; j++) {
			const struct src_info *prev = &r->src[last_of[j]];

			if (prev->sport == s->sport &&
			    prev->dport == s->dport &&
			    prev->last_ns < s->first_ns) {
				s->stream = (int)j;
				last_of[j] = (uint32_t)(s - r->src);
			}
		}
		if (s->stream < 0) {
			s->stream = (int)nstreams;
			last_of[nstreams++] = (uint32_t)(s - r->src);
		}
	}
	return nstreams;
}

/* More streams than MAX_STREAMS: keep those with the most packets (real
 * audio outlasts junk), renumbered in order of first appearance; the rest
 * are counted and reported, never silently lost. */
static void cap_streams(struct replay *r, unsigned nstreams)
{
	uint64_t *pk = g_new0(uint64_t, nstreams);
	int *map = g_new(int, nstreams);
	unsigned kept = 0;

	for (unsigned i = 0; i < r->nsrc; i++)
		if (r->src[i].opus)
			pk[r->src[i].stream] += r->src[i].n;
	for (unsigned j = 0; j < nstreams; j++) {
		unsigned better = 0;

		for (unsigned o = 0; o < nstreams; o++)
			better += pk[o] > pk[j] || (pk[o] == pk[j] && o < j);
		map[j] = better < MAX_STREAMS ? 0 : -1;
	}
	for (unsigned j = 0; j < nstreams; j++) {
		if (map[j] == 0) {
			map[j] = (int)kept++;
		} else {
			r->ignored_streams++;
			r->ignored_packets += pk[j];
		}
	}
	for (unsigned i = 0; i < r->nsrc; i++) {
		struct src_info *s = &r->src[i];

		if (s->opus && map[s->stream] < 0)
			s->opus = false;
		else if (s->opus)
			s->stream = map[s->stream];
	}
	r->ntrack = kept;
	g_free(pk);
	g_free(map);
}

static int assign_streams(struct replay *r, char *err, size_t errsz)
{
	uint32_t *last_of; /* src index of each stream's latest source */
	unsigned nopus = 0, nstreams;

	r->origin_ns = UINT64_MAX;
	for (unsigned i = 0; i < r->nsrc; i++) {
		struct src_info *s = &r->src[i];

		s->opus = looks_opus(r, s);
		if (!s->opus) {
			r->not_opus += s->n;
			vp_log_debug("ssrc=%08x pt=%u packets=%u: not Opus, "
				     "skipped",
				     s->ssrc, s->pt, s->n);
			continue;
		}
		nopus++;
	}
	if (!nopus) {
		snprintf(err, errsz,
			 "%s: no Opus stream found (%u RTP source(s)%s)",
			 r->cfg->capture, r->nsrc,
			 r->cfg->pt >= 0 ? " with that --pt" : "");
		return ENOENT;
	}
	last_of = g_new(uint32_t, r->nsrc);
	nstreams = chain_streams(r, last_of);
	g_free(last_of);
	r->ntrack = nstreams;
	if (nstreams > MAX_STREAMS)
		cap_streams(r, nstreams);
	for (unsigned i = 0; i < r->nsrc; i++)
		if (r->src[i].opus && r->src[i].first_ns < r->origin_ns)
			r->origin_ns = r->src[i].first_ns;
	return 0;
}

/* Stream i of the capture is the recorder's stream i. */
static int open_tracks(struct replay *r)
{
	unsigned nstreams = r->ntrack, idx;
	int err;

	r->ntrack = 0;
	for (unsigned i = 0; i < nstreams; i++) {
		err = vp_rec_stream_open(r->rec, NULL, &idx);
		if (err)
			return err;
		r->ntrack++;
	}
	return 0;
}

/* An SR's sender: on the same flow (rtcp-mux), else any Opus source with
 * that SSRC (RTCP on its own port). */
static struct src_info *sr_src(struct replay *r, uint32_t ssrc,
			       const struct vp_capture_dgram *d)
{
	struct src_info *s = find_src(r, ssrc, d->sport, d->dport, false);

	for (unsigned i = 0; (!s || !s->opus) && i < r->nsrc; i++)
		if (r->src[i].ssrc == ssrc && r->src[i].opus)
			s = &r->src[i];
	return s;
}

static void feed_rtcp(struct replay *r, const struct vp_capture_dgram *d)
{
	const uint8_t *b = d->payload;
	size_t len = d->len;
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	int err;

	vp_rtcp_iter_init(&it, b, len);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0) {
		struct src_info *s;

		if (p.type != VP_RTCP_SR)
			continue;
		s = sr_src(r, p.ssrc, d);
		if (s && s->opus)
			vp_rec_sr(r->rec, (unsigned)s->stream, p.ssrc,
				  p.sr.ntp_sec, p.sr.ntp_frac, p.sr.rtp_ts);
	}
	if (err == EBADMSG)
		r->rtcp_malformed++;
}

static void feed(struct replay *r, const struct vp_capture_dgram *d)
{
	struct vp_rtp_pkt p;
	struct src_info *s;

	if (is_rtcp(d->payload, d->len)) {
		feed_rtcp(r, d);
		return;
	}
	if (vp_rtp_parse(&p, d->payload, d->len) != 0)
		return; /* counted in pass 1 */
	s = find_src(r, p.ssrc, d->sport, d->dport, false);
	if (!s || !s->opus || p.pt != s->pt)
		return;
	vp_rec_rtp(r->rec, (unsigned)s->stream, p.ssrc, p.seq, p.ts, p.payload,
		   p.payload_len, d->ts_ns);
}

/* Pass 2: the capture through the pipeline, capture time as arrival. */
static int run_pipeline(struct replay *r, char *err, size_t errsz)
{
	struct vp_capture *cap = NULL;
	struct vp_capture_dgram d;
	uint64_t next_poll = 0;
	int e;

	e = vp_capture_open(&cap, r->cfg->capture, err, errsz);
	if (e)
		return e;
	while (!stop_flag && (e = vp_capture_next(cap, &d)) == 0) {
		feed(r, &d);
		if (d.ts_ns >= next_poll) {
			vp_rec_poll(r->rec, d.ts_ns);
			next_poll = d.ts_ns + 20 * VP_MSEC;
		}
		r->end_ns = d.ts_ns;
	}
	if (stop_flag)
		vp_log_info("stopped by signal; finishing the chunks");
	vp_rec_set(r->rec, "capture",
		   json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
			     r->cfg->capture, "frames",
			     (json_int_t)vp_capture_stats(cap)->frames, "udp",
			     (json_int_t)vp_capture_stats(cap)->udp,
			     "malformed_frames",
			     (json_int_t)vp_capture_stats(cap)->malformed,
			     "rtp_malformed", (json_int_t)r->rtp_malformed,
			     "rtcp_malformed", (json_int_t)r->rtcp_malformed,
			     "not_opus_packets", (json_int_t)r->not_opus,
			     "ip_fragments",
			     (json_int_t)vp_capture_stats(cap)->fragments));
	json_object_set_new(
		vp_rec_get(r->rec, "capture"), "sources",
		json_pack("{s:i, s:I, s:I, s:I, s:I}", "kept", (int)r->nsrc,
			  "evicted_not_opus", (json_int_t)r->evicted_ssrcs,
			  "evicted_over_cap", (json_int_t)r->ignored_ssrcs,
			  "streams_over_cap", (json_int_t)r->ignored_streams,
			  "streams_over_cap_packets",
			  (json_int_t)r->ignored_packets));
	vp_mem_deref(cap);
	return 0;
}

/* The caps that dropped something, for the log and meeting.json's
 * status.warnings (what a scheduler reads): nothing is dropped silently. */
static void cap_warnings(const struct replay *r)
{
	char line[200];

	if (r->ignored_ssrcs) {
		snprintf(line, sizeof(line),
			 "ssrc_cap: %llu Opus-looking RTP source(s) with the "
			 "fewest packets evicted to stay within %d",
			 (unsigned long long)r->ignored_ssrcs, MAX_SSRC);
		vp_rec_warn(r->rec, line);
	}
	if (r->ignored_streams) {
		snprintf(line, sizeof(line),
			 "stream_cap: %llu Opus stream(s) beyond %d (the "
			 "smallest, %llu packet(s)) not recorded",
			 (unsigned long long)r->ignored_streams, MAX_STREAMS,
			 (unsigned long long)r->ignored_packets);
		vp_rec_warn(r->rec, line);
	}
}

static int finish(struct replay *r, int code, const char *reason)
{
	const struct vp_io_stats *ios;
	char why[160];
	int err;

	vp_rec_stop(r->rec);
	ios = vp_rec_io_stats(r->rec);
	if (ios->write_errors && code == VP_EXIT_OK) {
		code = vp_exit_for_io(ios->last_error);
		reason = vp_exit_io_text(ios->last_error);
		fprintf(stderr, "vpbot: writing chunks failed: %s\n", reason);
	}
	vp_rec_set(r->rec, "participants", json_array());
	cap_warnings(r);
	err = vp_rec_finish(r->rec, code, reason);
	if (err && code == VP_EXIT_OK) {
		/* exit 0 promises a meeting.json that says finished */
		code = vp_exit_for_io(err);
		snprintf(why, sizeof(why),
			 "the final meeting.json could not be written: %s",
			 vp_exit_io_text(err));
		fprintf(stderr, "vpbot: %s\n", why);
		vp_rec_set(r->rec, "participants", json_array());
		(void)vp_rec_finish(r->rec, code, why);
	}
	r->rec = vp_mem_deref(r->rec);
	return code;
}

/* "talk-1.pcapng" -> "talk-1"; anything outside [A-Za-z0-9._-] -> '_' */
static void default_id(const char *path, char *id, size_t sz)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(id, sz, "%s", base ? base + 1 : path);
	dot = strrchr(id, '.');
	if (dot && dot != id)
		*dot = '\0';
	vp_meeting_id_sanitize(id);
}

static void replay_free(struct replay *r)
{
	if (!r)
		return;
	if (r->by_key)
		g_hash_table_destroy(r->by_key);
	free(r->src);
	free(r);
}

static struct replay *replay_new(const struct vp_replay_cfg *cfg)
{
	struct replay *r = vp_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = cfg;
	r->src = vp_calloc(MAX_SSRC, sizeof(*r->src));
	r->by_key = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					  NULL);
	if (!r->src) {
		replay_free(r);
		return NULL;
	}
	return r;
}

int vp_replay_run(const struct vp_replay_cfg *cfg)
{
	struct replay *r = replay_new(cfg);
	char err[512] = "", id[128];
	int e, code;

	if (!r)
		return VP_EXIT_SOFTWARE;
	if (cfg->meeting)
		snprintf(id, sizeof(id), "%s", cfg->meeting);
	else
		default_id(cfg->capture, id, sizeof(id));
	vp_log_set_bot(id);
	e = classify(r, err, sizeof(err));
	if (!e)
		e = assign_streams(r, err, sizeof(err));
	if (e) {
		fprintf(stderr, "vpbot: %s\n", err[0] ? err : strerror(e));
		replay_free(r);
		return e == ENOMEM ? VP_EXIT_SOFTWARE : VP_EXIT_DATAERR;
	}
	e = vp_rec_open(&r->rec, &(struct vp_rec_cfg){
					 .out = cfg->out,
					 .id = id,
					 .rate = cfg->rate,
					 .channels = cfg->channels,
					 .chunk_seconds = cfg->chunk_seconds,
					 .offline = true,
					 .gate = vp_rec_gate_none});
	if (e) {
		fprintf(stderr, "vpbot: cannot use %s/%s: %s\n", cfg->out, id,
			vp_exit_io_text(e));
		replay_free(r);
		return e == EINVAL ? VP_EXIT_USAGE : vp_exit_for_io(e);
	}
	vp_rec_timeline_start(r->rec, r->origin_ns);
	vp_rec_set(r->rec, "source",
		   json_pack("{s:s, s:s}", "kind", "replay", "capture",
			     cfg->capture));
	vp_rec_save(r->rec, "recording");

	e = vp_rec_start(r->rec);
	code = e ? vp_exit_for_io(e) : VP_EXIT_SOFTWARE;
	if (e)
		snprintf(err, sizeof(err), "%s", vp_exit_io_text(e));
	if (!e)
		e = open_tracks(r);
	if (!e)
		e = run_pipeline(r, err, sizeof(err));
	if (e)
		fprintf(stderr, "vpbot: %s\n", err[0] ? err : strerror(e));
	code = finish(r, e ? code : VP_EXIT_OK,
		      e ? (err[0] ? err : strerror(e)) : NULL);
	vp_log_info("replay done: %u stream(s), exit %d", r->ntrack, code);
	replay_free(r);
	return code;
}
