/* SPDX-License-Identifier: MIT */
/** @file track.c  jb -> opus -> timeline -> gate -> io, for one stream. */
#define VP_LOG_MODULE "track"
#include "src/bot/track.h"

#include "media/jb/jb.h"
#include "media/opus/opus_dec.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>

#define MAX_PENDING 64      /* losses awaiting the next packet (for FEC) */
#define MAX_FRAME48 5760    /* 120 ms, the longest Opus packet */

struct pending_loss {
	uint64_t ts;
	uint32_t dur;
};

struct vp_track {
	struct vp_track_cfg cfg;
	char id[16];
	struct vp_io *io;
	struct vp_jb *jb;
	struct vp_opus_dec *dec;
	struct vp_timeline_stream tls;
	uint32_t ssrc;
	uint64_t next_sample;  /* timeline position of the next output sample */
	bool gate_was_open;
	bool reposition;       /* next packet starts a new SSRC */
	uint64_t old_dups, old_late; /* from jitter buffers replaced */
	struct pending_loss pend[MAX_PENDING];
	unsigned npend;
	struct vp_track_stats st;
	struct vp_log_rl rl;
	int16_t pcm[MAX_FRAME48 * 2];
};

static void track_destroy(void *data)
{
	struct vp_track *t = data;

	t->jb = vp_mem_deref(t->jb);
	t->dec = vp_mem_deref(t->dec);
}

static void release_h(const struct vp_jb_item *it, void *arg);

static int new_jb(struct vp_track *t)
{
	struct vp_jb_cfg jc = {.capacity = 64, .hold_ns = t->cfg.hold_ns,
			       .start_hold = true};

	t->jb = vp_mem_deref(t->jb);
	return vp_jb_alloc(&t->jb, &jc, release_h, t);
}

int vp_track_alloc(struct vp_track **tp, const struct vp_track_cfg *cfg,
		   const struct vp_timeline *tl, struct vp_io *io)
{
	struct vp_pcm_writer_cfg wc;
	struct vp_track *t;
	int err;

	if (!tp || !cfg || !cfg->id || !tl || !io || !cfg->rate ||
	    (cfg->channels != 1 && cfg->channels != 2))
		return EINVAL;
	t = vp_mem_zalloc(sizeof(*t), track_destroy);
	if (!t)
		return ENOMEM;
	t->cfg = *cfg;
	snprintf(t->id, sizeof(t->id), "%s", cfg->id);
	t->cfg.id = t->id;
	t->io = io;
	err = new_jb(t);
	if (!err)
		err = vp_opus_dec_alloc(&t->dec, cfg->rate, cfg->channels);
	if (!err)
		err = vp_timeline_stream_init(&t->tls, tl, 48000);
	if (err)
		goto out;
	memset(&wc, 0, sizeof(wc));
	wc.stream_id = t->id;
	wc.rate = cfg->rate;
	wc.channels = cfg->channels;
	wc.chunk_samples = cfg->chunk_samples;
	err = vp_io_stream_open(io, cfg->idx, &wc);
out:
	if (err)
		vp_mem_deref(t);
	else
		*tp = t;
	return err;
}

/* Hand PCM to the io thread in blocks of at most 20 ms; the gate is asked
 * for every block, so a revocation takes effect within one frame. */
static void emit(struct vp_track *t, const int16_t *pcm, uint32_t frames,
		 uint64_t ts48, const struct vp_pcm_counts *cnt)
{
	const uint32_t ch = t->cfg.channels, max = VP_IO_MAX_SAMPLES / ch;
	struct vp_pcm_counts c = *cnt;
	enum vp_timeline_src src;

	while (frames) {
		uint32_t n = frames < max ? frames : max;
		uint64_t since = 0, utc;
		bool open = !t->cfg.gateh ||
			    t->cfg.gateh(t->cfg.gate_arg, &since);

		if (open && t->next_sample < since) {
			/* placed before the gate reopened: drop that part */
			if (since - t->next_sample < n)
				n = (uint32_t)(since - t->next_sample);
			open = false;
		}
		utc = vp_timeline_stream_utc(&t->tls, ts48, &src);

		if (!open) {
			t->st.gated_samples += n;
			c.gated++;
		} else {
			if (!t->gate_was_open && t->st.samples)
				vp_io_stream_break(t->io, t->cfg.idx);
			if (vp_io_pcm(t->io, t->cfg.idx, t->next_sample, pcm,
				      n, utc,
				      src == VP_TIMELINE_SRC_SR
					      ? VP_PCM_UTC_RTCP_SR
					      : VP_PCM_UTC_ARRIVAL,
				      &c) == 0) {
				t->st.samples += n;
			} else {
				t->st.io_overflow += n;
				vp_log_warn_every(&t->rl, 10 * VP_SEC,
						  "track=%s io_overflow=%llu",
						  t->id,
						  (unsigned long long)
							  t->st.io_overflow);
			}
			memset(&c, 0, sizeof(c)); /* counted once */
		}
		t->gate_was_open = open;
		t->next_sample += n;
		ts48 += (uint64_t)n * 48000 / t->cfg.rate;
		pcm += (size_t)n * ch;
		frames -= n;
	}
}

static uint32_t to_rate(const struct vp_track *t, uint32_t dur48)
{
	return (uint32_t)((uint64_t)dur48 * t->cfg.rate / 48000);
}

/* DTX (RFC 7587 §3.1): the sender stopped; the gap is silence, not loss. */
static void emit_dtx(struct vp_track *t, uint64_t ts48, uint32_t gap48)
{
	struct vp_pcm_counts c = {0};
	uint32_t left = to_rate(t, gap48);

	memset(t->pcm, 0, sizeof(t->pcm));
	c.dtx = 1;
	c.dtx_samples = left;
	t->st.dtx++;
	t->st.dtx_samples += left;
	while (left) {
		uint32_t n = left < MAX_FRAME48 ? left : MAX_FRAME48;

		emit(t, t->pcm, n, ts48, &c);
		memset(&c, 0, sizeof(c));
		ts48 += (uint64_t)n * 48000 / t->cfg.rate;
		left -= n;
	}
}

/* Conceal the losses queued before this packet: the last one from this
 * packet's in-band FEC when it has some, the others (and that one without
 * FEC) by PLC. Output length is exact, so the timeline stays sample-exact. */
static void conceal_pending(struct vp_track *t, const uint8_t *next,
			    size_t next_len)
{
	for (unsigned i = 0; i < t->npend; i++) {
		const struct pending_loss *pl = &t->pend[i];
		bool last = i + 1 == t->npend, fec = false;
		struct vp_pcm_counts c = {.lost = 1};
		size_t frames = 0;
		int err;

		err = vp_opus_conceal(t->dec, last ? next : NULL,
				      last ? next_len : 0, pl->dur, t->pcm,
				      MAX_FRAME48, &frames, &fec);
		if (err || frames != to_rate(t, pl->dur)) {
			t->st.decode_errors++;
			memset(t->pcm, 0, sizeof(t->pcm));
			frames = to_rate(t, pl->dur);
		}
		if (fec)
			c.fec = 1;
		else
			c.plc = 1;
		t->st.lost++;
		t->st.fec += c.fec;
		t->st.plc += c.plc;
		emit(t, t->pcm, (uint32_t)frames, pl->ts, &c);
	}
	t->npend = 0;
}

static void on_packet(struct vp_track *t, const struct vp_jb_item *it)
{
	struct vp_pcm_counts c = {0};
	size_t frames = 0;
	uint64_t pos;

	if (vp_timeline_stream_place(&t->tls, t->ssrc, it->ts, it->duration,
				     it->arrival_ns, &pos) == 0 &&
	    (!t->st.started || t->reposition || it->resync)) {
		/* first packet of the stream, or of a new SSRC: its place on
		 * the timeline comes from its arrival (never backwards) */
		if (!t->st.started) {
			t->st.first_sample = pos;
			t->st.started = true;
			t->next_sample = pos;
		} else if (pos > t->next_sample) {
			t->next_sample = pos;
		}
	}
	t->reposition = false;
	if (it->dtx_gap)
		emit_dtx(t, it->ts - it->dtx_gap, it->dtx_gap);
	conceal_pending(t, it->payload, it->len);
	if (vp_opus_decode(t->dec, it->payload, it->len, t->pcm, MAX_FRAME48,
			   &frames) != 0 ||
	    frames != to_rate(t, it->duration)) {
		/* a corrupt payload: conceal its duration, keep the timeline */
		t->st.decode_errors++;
		frames = 0;
		vp_opus_conceal(t->dec, NULL, 0, it->duration, t->pcm,
				MAX_FRAME48, &frames, NULL);
		if (frames != to_rate(t, it->duration)) {
			memset(t->pcm, 0, sizeof(t->pcm));
			frames = to_rate(t, it->duration);
		}
		c.plc = 1;
		t->st.plc++;
	}
	emit(t, t->pcm, (uint32_t)frames, it->ts, &c);
}

static void release_h(const struct vp_jb_item *it, void *arg)
{
	struct vp_track *t = arg;

	if (it->kind == VP_JB_LOST) {
		if (!t->st.started)
			return;
		if (t->npend == MAX_PENDING)
			conceal_pending(t, NULL, 0);
		t->pend[t->npend].ts = it->ts;
		t->pend[t->npend].dur = it->duration;
		t->npend++;
		return;
	}
	on_packet(t, it);
}

void vp_track_rtp(struct vp_track *t, uint32_t ssrc, uint16_t seq,
		  uint32_t ts, const uint8_t *payload, size_t len,
		  uint64_t arrival_utc_ns)
{
	struct vp_jb_in in;
	int dur;

	if (!t)
		return;
	if (t->st.ssrcs == 0 || ssrc != t->ssrc) {
		/* a new SSRC (sender restart) continues this stream: drain
		 * the old sequence space, start a fresh one */
		if (t->st.ssrcs) {
			vp_jb_flush(t->jb);
			conceal_pending(t, NULL, 0);
			t->old_dups += vp_jb_stats(t->jb)->duplicates;
			t->old_late += vp_jb_stats(t->jb)->late;
			if (new_jb(t))
				return;
			t->reposition = true;
			vp_log_info("track=%s new ssrc=%08x continues the stream",
				    t->id, ssrc);
		}
		t->ssrc = ssrc;
		t->st.ssrcs++;
		t->st.last_ssrc = ssrc;
	}
	dur = vp_opus_packet_dur48(payload, len);
	if (dur <= 0) {
		t->st.bad_payload++;
		return;
	}
	t->st.packets++;
	t->st.bytes += len;
	in = (struct vp_jb_in){.seq = seq, .ts = ts,
			       .arrival_ns = arrival_utc_ns,
			       .duration = (uint32_t)dur, .payload = payload,
			       .len = len};
	vp_jb_put(t->jb, &in);
}

void vp_track_sr(struct vp_track *t, uint32_t ssrc, uint32_t ntp_sec,
		 uint32_t ntp_frac, uint32_t rtp_ts)
{
	if (t)
		vp_timeline_stream_sr(&t->tls, ssrc, ntp_sec, ntp_frac, rtp_ts);
}

void vp_track_poll(struct vp_track *t, uint64_t now_utc_ns)
{
	if (t && t->jb)
		vp_jb_poll(t->jb, now_utc_ns);
}

void vp_track_flush(struct vp_track *t)
{
	if (!t || !t->jb)
		return;
	vp_jb_flush(t->jb);
	conceal_pending(t, NULL, 0);
}

const struct vp_track_stats *vp_track_stats(const struct vp_track *t)
{
	const struct vp_jb_stats *js = vp_jb_stats(t->jb);
	struct vp_track *m = (struct vp_track *)t;

	m->st.duplicates = t->old_dups + js->duplicates;
	m->st.late = t->old_late + js->late;
	return &t->st;
}

json_t *vp_track_stats_json(const struct vp_track *t)
{
	const struct vp_track_stats *st = vp_track_stats(t);

	return json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I, s:I}",
		"id", t->id, "last_ssrc", (json_int_t)st->last_ssrc,
		"first_sample", (json_int_t)st->first_sample, "samples",
		(json_int_t)st->samples, "packets", (json_int_t)st->packets,
		"lost", (json_int_t)st->lost, "fec", (json_int_t)st->fec, "plc",
		(json_int_t)st->plc, "dtx", (json_int_t)st->dtx, "dtx_samples",
		(json_int_t)st->dtx_samples, "duplicates",
		(json_int_t)st->duplicates, "late", (json_int_t)st->late,
		"bad_payload", (json_int_t)st->bad_payload, "decode_errors",
		(json_int_t)st->decode_errors, "gated_samples",
		(json_int_t)st->gated_samples, "io_overflow",
		(json_int_t)st->io_overflow);
}

const char *vp_track_id(const struct vp_track *t)
{
	return t->id;
}
