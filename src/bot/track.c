/* SPDX-License-Identifier: MIT */
/** @file track.c  jb -> opus -> timeline -> gate -> io, for one stream. */
#define VP_LOG_MODULE "track"
#include "src/bot/track.h"

#include "media/jb/jb.h"
#include "media/opus/opus_dec.h"
#include "protocols/rtp/rtp.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>

#define MAX_PENDING 64	 /* losses awaiting the next packet (for FEC) */
#define MAX_FRAME48 5760 /* 120 ms, the longest Opus packet */
#define LEVEL_RING  64	 /* RFC 6464 levels of packets in the jb */

struct pending_loss {
	uint64_t ts;
	uint32_t dur;
};

/* A block of PCM placed on the timeline ahead of the clock: it is written
 * only once the clock has passed its end, so that a gate closing at sample
 * S keeps everything placed at or after S off the disk (a gate that can
 * close). */
struct held {
	uint64_t pos, ts48;
	uint64_t tag;  /* the gate epoch its packet arrived in */
	uint64_t late; /* the most its packets showed placed late */
	uint32_t n;
	bool dtx;
	struct vp_pcm_counts c;
	int16_t pcm[VP_IO_MAX_SAMPLES];
};

struct vp_track {
	struct vp_track_cfg cfg;
	char id[16];
	struct vp_io *io;
	struct vp_jb *jb;
	struct vp_opus_dec *dec;
	struct vp_timeline_stream tls;
	uint32_t ssrc;
	uint64_t next_sample; /* timeline position of the next output sample */
	/* A new chunk before the next write if the gate dropped PCM since the
	 * last one, if the gate's epoch changed (whatever the stream did in
	 * between), or after a long absence: the chunk writer never fills a
	 * closed span (or an hour) with zeros. */
	bool dropped;
	uint64_t wrote_epoch; /* the gate's epoch at the last write */
	uint64_t io_end;      /* timeline end of the last block queued */
	uint64_t gap_break;   /* VP_TRACK_GAP_BREAK_MS at the output rate */
	uint64_t last_tag;    /* arrival epoch of the latest packet released */
	bool reposition;      /* next packet starts a new SSRC */
	uint64_t old_dups, old_late; /* from jitter buffers replaced */
	struct pending_loss pend[MAX_PENDING];
	unsigned npend;
	uint64_t now_ns; /* latest arrival or poll time */
	/* How late the latest packet is placed, at least: its audio was all
	 * captured before it arrived, so PCM placed past its arrival shows a
	 * late anchor (the run's first packet came in late). A reopening in
	 * the run cuts that much more: audio spoken before the reopening is
	 * never written as if spoken after it. */
	uint64_t late;
	uint64_t run_start; /* timeline position the run was anchored at */
	uint64_t lead;	    /* VP_TRACK_LEAD_MS at the output rate */
	struct held *hold;  /* ring of hold_cap blocks, or NULL for an
			     * always-open gate */
	unsigned hold_cap, hold_head, hold_n;
	struct vp_pcm_counts carry; /* of blocks the gate dropped */
	struct vp_track_stats st;
	struct vp_log_rl rl;
	struct { /* by seq: the packet's RFC 6464 level */
		uint32_t ts;
		uint8_t level; /* V << 7 | -dBov */
		bool set;
	} lv[LEVEL_RING];
	int16_t pcm[MAX_FRAME48 * 2];
};

static void track_destroy(void *data)
{
	struct vp_track *t = data;

	t->jb = vp_mem_deref(t->jb);
	t->dec = vp_mem_deref(t->dec);
	t->hold = vp_mem_deref(t->hold);
}

static void release_h(const struct vp_jb_item *it, void *arg);

static int new_jb(struct vp_track *t)
{
	struct vp_jb_cfg jc = {
		.capacity = 64, .hold_ns = t->cfg.hold_ns, .start_hold = true};

	t->jb = vp_mem_deref(t->jb);
	return vp_jb_alloc(&t->jb, &jc, release_h, t);
}

int vp_track_alloc(struct vp_track **tp, const struct vp_track_cfg *cfg,
		   const struct vp_timeline *tl, struct vp_io *io)
{
	struct vp_pcm_writer_cfg wc;
	struct vp_track *t;
	int err;

	if (!tp || !cfg || !cfg->id || !cfg->gateh || !tl || !io ||
	    !cfg->rate || (cfg->channels != 1 && cfg->channels != 2))
		return EINVAL;
	t = vp_mem_zalloc(sizeof(*t), track_destroy);
	if (!t)
		return ENOMEM;
	t->cfg = *cfg;
	snprintf(t->id, sizeof(t->id), "%s", cfg->id);
	t->cfg.id = t->id;
	t->io = io;
	t->lead = (uint64_t)cfg->rate * VP_TRACK_LEAD_MS / 1000;
	t->gap_break = (uint64_t)cfg->rate * VP_TRACK_GAP_BREAK_MS / 1000;
	err = new_jb(t);
	if (!err && !cfg->gate_always_open) {
		/* room for the whole lead, twice (blocks split at gaps) */
		t->hold_cap = (unsigned)(2 * t->lead * cfg->channels /
					 VP_IO_MAX_SAMPLES) +
			      16;
		t->hold = vp_mem_zalloc(t->hold_cap * sizeof(*t->hold), NULL);
		if (!t->hold)
			err = ENOMEM;
	}
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

/* The furthest timeline sample the arrival clock allows (exclusive). */
static uint64_t bound(const struct vp_track *t)
{
	return vp_timeline_sample_at(t->tls.tl, t->now_ns) + t->lead;
}

/* The gate's epoch if it is open now, else 0, which no epoch is: a
 * packet's tag is this at its arrival (fail closed: a gate that says
 * open with epoch 0 passes nothing). */
static uint64_t gate_epoch(const struct vp_track *t, uint64_t *open_since)
{
	uint64_t since = 0, epoch = 0;

	if (!t->cfg.gateh(t->cfg.gate_arg, &since, &epoch))
		epoch = 0;
	if (open_since)
		*open_since = since;
	return epoch;
}

/* PCM of a packet that arrived in epoch @p tag may go on now: the gate is
 * open and has not closed since that packet arrived. */
static bool tag_live(const struct vp_track *t, uint64_t tag)
{
	return tag && tag == gate_epoch(t, NULL);
}

static void counts_add(struct vp_pcm_counts *c, const struct vp_pcm_counts *d)
{
	c->lost += d->lost;
	c->fec += d->fec;
	c->plc += d->plc;
	c->dtx += d->dtx;
	c->gated += d->gated;
}

/* n samples dropped because the gate is closed; their counts go with the
 * next chunk line written. */
static void gated(struct vp_track *t, uint32_t n, const struct vp_pcm_counts *c)
{
	t->st.gated_samples += n;
	t->dropped = true;
	counts_add(&t->carry, c);
	t->carry.gated++;
}

/* One block to the io thread, if the gate allows it; the gate is asked for
 * every block, so a revocation takes effect within one frame. @p tag: the
 * gate epoch its packet arrived in. */
static void write_block(struct vp_track *t, uint64_t pos, const int16_t *pcm,
			uint32_t n, uint64_t ts48, bool dtx,
			const struct vp_pcm_counts *cnt, uint64_t tag,
			uint64_t late)
{
	struct vp_pcm_counts c = *cnt;
	enum vp_timeline_src src;
	uint64_t since = 0, utc, epoch = gate_epoch(t, &since);
	bool open = tag && tag == epoch;

	if (since > t->run_start)
		since += late; /* reopened in this run */
	if (open && pos < since) {
		/* placed before the gate reopened (spoken before it, if the
		 * run is placed late): drop that part */
		uint32_t cut = since - pos < n ? (uint32_t)(since - pos) : n;

		t->st.gated_samples += cut;
		t->dropped = true;
		pos += cut;
		ts48 += (uint64_t)cut * 48000 / t->cfg.rate;
		pcm += (size_t)cut * t->cfg.channels;
		n -= cut;
		if (!n)
			open = false;
	}
	if (!open) {
		gated(t, n, &c);
		return;
	}
	counts_add(&c, &t->carry);
	memset(&t->carry, 0, sizeof(t->carry));
	c.dtx_samples = dtx ? n : 0; /* counted as written: <= samples */
	utc = vp_timeline_stream_utc(&t->tls, ts48, &src);
	if (t->st.samples && (t->dropped || t->wrote_epoch != epoch ||
			      pos > t->io_end + t->gap_break))
		vp_io_stream_break(t->io, t->cfg.idx);
	t->dropped = false;
	t->wrote_epoch = epoch;
	if (vp_io_pcm(t->io, t->cfg.idx, pos, pcm, n, utc,
		      src == VP_TIMELINE_SRC_SR ? VP_PCM_UTC_RTCP_SR
						: VP_PCM_UTC_ARRIVAL,
		      &c) == 0) {
		t->io_end = pos + n;
		t->st.samples += n;
		t->st.dtx_samples += c.dtx_samples;
	} else {
		t->st.io_overflow += n;
		vp_log_warn_every(&t->rl, 10 * VP_SEC,
				  "track=%s io_overflow=%llu", t->id,
				  (unsigned long long)t->st.io_overflow);
	}
}

/* Write the held blocks the clock has passed (all of them if @p all). */
static void hold_release(struct vp_track *t, bool all)
{
	uint64_t at = vp_timeline_sample_at(t->tls.tl, t->now_ns);

	while (t->hold_n) {
		struct held *h = &t->hold[t->hold_head];

		if (!all && h->pos + h->n > at)
			return;
		write_block(t, h->pos, h->pcm, h->n, h->ts48, h->dtx, &h->c,
			    h->tag, h->late);
		t->hold_head = (t->hold_head + 1) % t->hold_cap;
		t->hold_n--;
	}
}

static void hold_put(struct vp_track *t, uint64_t pos, const int16_t *pcm,
		     uint32_t n, uint64_t ts48, bool dtx,
		     const struct vp_pcm_counts *c, uint64_t tag)
{
	const uint32_t ch = t->cfg.channels, max = VP_IO_MAX_SAMPLES / ch;
	struct held *h = NULL;

	if (t->hold_n) {
		h = &t->hold[(t->hold_head + t->hold_n - 1) % t->hold_cap];
		if (h->pos + h->n != pos || h->dtx != dtx || h->n + n > max ||
		    h->tag != tag)
			h = NULL; /* not contiguous: a block of its own */
	}
	if (!h) {
		if (t->hold_n == t->hold_cap) {
			/* only many tiny blocks could: never write one early */
			t->st.overrun_samples += n;
			return;
		}
		h = &t->hold[(t->hold_head + t->hold_n++) % t->hold_cap];
		memset(&h->c, 0, sizeof(h->c));
		h->pos = pos;
		h->ts48 = ts48;
		h->tag = tag;
		h->late = 0;
		h->n = 0;
		h->dtx = dtx;
	}
	memcpy(h->pcm + (size_t)h->n * ch, pcm, (size_t)n * ch * sizeof(*pcm));
	h->n += n;
	if (t->late > h->late)
		h->late = t->late;
	counts_add(&h->c, c);
}

/* Place PCM at the stream's next sample, in blocks of at most 20 ms. What
 * would land beyond the arrival clock + lead is dropped (counted) and does
 * not advance the stream: a sender running ahead of real time catches up
 * instead of filling the disk. @p tag: the gate epoch the PCM's packet
 * arrived in (0: closed). */
static void emit(struct vp_track *t, const int16_t *pcm, uint32_t frames,
		 uint64_t ts48, const struct vp_pcm_counts *cnt, uint64_t tag)
{
	const uint32_t ch = t->cfg.channels, max = VP_IO_MAX_SAMPLES / ch;
	const bool dtx = cnt->dtx_samples != 0;
	struct vp_pcm_counts c = *cnt;
	uint64_t lim = bound(t);

	if (t->next_sample >= lim) {
		t->st.overrun_samples += frames;
		return;
	}
	if (t->next_sample + frames > lim) {
		t->st.overrun_samples += t->next_sample + frames - lim;
		frames = (uint32_t)(lim - t->next_sample);
	}
	while (frames) {
		uint32_t n = frames < max ? frames : max;

		/* arrived while closed, or before the latest reopening (held
		 * behind a loss while the gate was shut): never held */
		if (!tag_live(t, tag))
			gated(t, n, &c);
		else if (t->hold)
			hold_put(t, t->next_sample, pcm, n, ts48, dtx, &c, tag);
		else
			write_block(t, t->next_sample, pcm, n, ts48, dtx, &c,
				    tag, t->late);
		memset(&c, 0, sizeof(c)); /* counted once */
		t->next_sample += n;
		ts48 += (uint64_t)n * 48000 / t->cfg.rate;
		pcm += (size_t)n * ch;
		frames -= n;
	}
	if (t->hold)
		hold_release(t, false);
}

static uint32_t to_rate(const struct vp_track *t, uint32_t dur48)
{
	return (uint32_t)((uint64_t)dur48 * t->cfg.rate / 48000);
}

/* @p frames of silence at the output rate, in pieces of the pcm buffer. */
static void emit_zeros(struct vp_track *t, uint64_t frames, uint64_t ts48,
		       const struct vp_pcm_counts *cnt, uint64_t tag)
{
	struct vp_pcm_counts c = *cnt;

	memset(t->pcm, 0, sizeof(t->pcm));
	while (frames) {
		uint32_t n =
			frames < MAX_FRAME48 ? (uint32_t)frames : MAX_FRAME48;

		emit(t, t->pcm, n, ts48, &c, tag);
		memset(&c, 0, sizeof(c));
		c.dtx_samples = cnt->dtx_samples ? 1 : 0; /* still DTX */
		ts48 += (uint64_t)n * 48000 / t->cfg.rate;
		frames -= n;
	}
}

/* DTX (RFC 7587 §3.1): the sender stopped; the gap is silence, not loss.
 * The caller has checked it against the arrival clock. */
static void emit_dtx(struct vp_track *t, uint64_t ts48, uint32_t gap48,
		     uint64_t tag)
{
	struct vp_pcm_counts c = {.dtx = 1, .dtx_samples = 1};

	t->st.dtx++;
	emit_zeros(t, to_rate(t, gap48), ts48, &c, tag);
}

/* Conceal one lost packet of dur48 (any length: long spans in pieces of
 * at most 120 ms, the decoder's limit); the last piece from next's in-band
 * FEC when it has some. Output length is exact: the timeline stays
 * sample-exact. */
static void conceal_one(struct vp_track *t, uint64_t ts48, uint32_t dur48,
			const uint8_t *next, size_t next_len, uint64_t tag)
{
	struct vp_pcm_counts c = {.lost = 1};
	bool any_fec = false;

	t->st.lost++;
	while (dur48) {
		uint32_t d = dur48 < MAX_FRAME48 ? dur48 : MAX_FRAME48;
		bool last = d == dur48, fec = false;
		size_t frames = 0;
		int err;

		err = vp_opus_conceal(t->dec, last ? next : NULL,
				      last ? next_len : 0, d, t->pcm,
				      MAX_FRAME48, &frames, &fec);
		if (err || frames != to_rate(t, d)) {
			t->st.decode_errors++;
			memset(t->pcm, 0, sizeof(t->pcm));
			frames = to_rate(t, d);
		}
		any_fec |= fec;
		if (last) {
			c.fec = any_fec;
			c.plc = !any_fec;
			t->st.fec += c.fec;
			t->st.plc += c.plc;
		}
		emit(t, t->pcm, (uint32_t)frames, ts48, &c, tag);
		memset(&c, 0, sizeof(c));
		ts48 += d;
		dur48 -= d;
	}
}

static uint64_t pending_frames(const struct vp_track *t)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < t->npend; i++)
		sum += to_rate(t, t->pend[i].dur);
	return sum;
}

/* Conceal the losses queued before this packet (next: its payload, for
 * FEC), unless their span runs past the arrival clock: then the sender's
 * timestamps jumped, and they are counted lost but not filled. @p tag:
 * the epoch both packets around the losses arrived in (0 if they differ),
 * or the last packet's when there is no next. */
static void conceal_pending(struct vp_track *t, const uint8_t *next,
			    size_t next_len, uint64_t tag)
{
	if (t->npend && t->next_sample + pending_frames(t) > bound(t)) {
		t->st.lost += t->npend;
		t->st.unfilled_samples += pending_frames(t);
		t->npend = 0;
		return;
	}
	for (unsigned i = 0; i < t->npend; i++) {
		bool last = i + 1 == t->npend;

		conceal_one(t, t->pend[i].ts, t->pend[i].dur,
			    last ? next : NULL, last ? next_len : 0, tag);
	}
	t->npend = 0;
}

/* Start a run of the stream at this packet, placed by its arrival time
 * (never backwards): the first packet, a new SSRC, a sequence restart, or
 * timestamps that jumped further than elapsed arrival time allows. */
static void anchor(struct vp_track *t, const struct vp_jb_item *it)
{
	uint64_t at = vp_timeline_sample_at(t->tls.tl, it->arrival_ns);

	if (!t->st.started) {
		t->st.started = true;
		t->st.first_sample = at;
		t->next_sample = at;
	} else {
		t->st.restarts++;
		if (at > t->next_sample)
			t->next_sample = at;
	}
	vp_timeline_stream_anchor(&t->tls, t->ssrc, it->ts, it->arrival_ns,
				  t->next_sample);
	t->late = 0; /* placed by its own arrival */
	t->run_start = t->next_sample;
}

/* A packet of FRAMES, to be placed at next_sample, arrived at ARRIVAL_NS:
 * how late it is placed, at least (a burst or a sender ahead of the
 * clock shows more; bounded by the lead). Its own, not a run's maximum:
 * a burst long past must not cut audio spoken after a reopening. */
static void note_late(struct vp_track *t, uint64_t arrival_ns, size_t frames)
{
	uint64_t at = vp_timeline_sample_at(t->tls.tl, arrival_ns);
	uint64_t end = t->next_sample + frames;
	uint64_t x = end > at ? end - at : 0;

	t->late = x > t->lead ? t->lead : x;
}

/* Who spoke when (speech.h): the packet's RFC 6464 level goes to the io
 * thread ahead of its PCM, placed where the PCM will be; it counts only
 * for the part of it that reaches disk. */
static void send_level(struct vp_track *t, const struct vp_jb_item *it,
		       uint32_t frames)
{
	unsigned i = (unsigned)(it->seq % LEVEL_RING);

	if (!t->lv[i].set || t->lv[i].ts != (uint32_t)it->ts)
		return;
	t->lv[i].set = false;
	vp_io_level(t->io, t->cfg.idx, t->next_sample, frames, t->lv[i].level);
}

void vp_track_level(struct vp_track *t, const struct vp_rtp_pkt *p,
		    uint8_t ext_id)
{
	unsigned i;
	bool voice;
	uint8_t level;

	if (!t || !ext_id || vp_rtp_audio_level(p, ext_id, &voice, &level))
		return;
	i = p->seq % LEVEL_RING;
	t->lv[i].ts = p->ts;
	t->lv[i].level = (uint8_t)((voice ? 0x80 : 0) | level);
	t->lv[i].set = true;
}

static void decode_packet(struct vp_track *t, const struct vp_jb_item *it)
{
	struct vp_pcm_counts c = {0};
	size_t frames = 0;

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
	note_late(t, it->arrival_ns, frames);
	if (tag_live(t, it->tag)) /* no level of audio the gate drops */
		send_level(t, it, (uint32_t)frames);
	emit(t, t->pcm, (uint32_t)frames, it->ts, &c, it->tag);
}

static void on_packet(struct vp_track *t, const struct vp_jb_item *it)
{
	/* a fill or a concealment between two packets goes on only if both
	 * arrived in the same open epoch: the gate stayed open in between */
	uint64_t fill, gap_tag = it->tag == t->last_tag ? it->tag : 0;

	if (it->arrival_ns > t->now_ns)
		t->now_ns = it->arrival_ns;
	fill = to_rate(t, it->dtx_gap) + pending_frames(t);
	if (!t->st.started || t->reposition || it->resync ||
	    (fill &&
	     t->next_sample + fill + to_rate(t, it->duration) > bound(t))) {
		/* a jump ahead of the clock is a restart, never a fill */
		if (t->st.started && !t->reposition && !it->resync)
			t->st.unfilled_samples += to_rate(t, it->dtx_gap);
		if (t->npend) {
			t->st.lost += t->npend;
			t->st.unfilled_samples += pending_frames(t);
			t->npend = 0;
		}
		anchor(t, it);
	} else if (it->dtx_gap) {
		emit_dtx(t, it->ts - it->dtx_gap, it->dtx_gap, gap_tag);
	}
	t->reposition = false;
	conceal_pending(t, it->payload, it->len, gap_tag);
	t->last_tag = it->tag;
	decode_packet(t, it);
}

static void release_h(const struct vp_jb_item *it, void *arg)
{
	struct vp_track *t = arg;

	if (it->kind == VP_JB_LOST) {
		if (!t->st.started)
			return;
		if (t->npend == MAX_PENDING)
			conceal_pending(t, NULL, 0, t->last_tag);
		t->pend[t->npend].ts = it->ts;
		t->pend[t->npend].dur = it->duration;
		t->npend++;
		return;
	}
	on_packet(t, it);
}

static void rtp_in(struct vp_track *t, uint32_t ssrc, uint16_t seq, uint32_t ts,
		   const uint8_t *payload, size_t len, uint64_t arrival_utc_ns,
		   bool present)
{
	struct vp_jb_in in;
	int dur;

	/* a jitter buffer lost to ENOMEM at an SSRC change: try again, else
	 * drop the packet */
	if (!t || (!t->jb && new_jb(t)))
		return;
	if (arrival_utc_ns > t->now_ns)
		t->now_ns = arrival_utc_ns;
	if (t->st.ssrcs == 0 || ssrc != t->ssrc) {
		/* a new SSRC (sender restart) continues this stream: drain
		 * the old sequence space, start a fresh one */
		if (t->st.ssrcs) {
			vp_jb_flush(t->jb);
			conceal_pending(t, NULL, 0, t->last_tag);
			t->old_dups += vp_jb_stats(t->jb)->duplicates;
			t->old_late += vp_jb_stats(t->jb)->late;
			if (new_jb(t))
				return;
			t->reposition = true;
			vp_log_info(
				"track=%s new ssrc=%08x continues the stream",
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
	in = (struct vp_jb_in){.seq = seq,
			       .ts = ts,
			       .arrival_ns = arrival_utc_ns,
			       .duration = (uint32_t)dur,
			       .payload = payload,
			       .len = len,
			       /* the gate as the packet arrives: audio that
				* arrived while closed never reaches disk */
			       .tag = present ? gate_epoch(t, NULL) : 0};
	vp_jb_put(t->jb, &in);
}

void vp_track_rtp(struct vp_track *t, uint32_t ssrc, uint16_t seq, uint32_t ts,
		  const uint8_t *payload, size_t len, uint64_t arrival_utc_ns)
{
	rtp_in(t, ssrc, seq, ts, payload, len, arrival_utc_ns, true);
}

void vp_track_rtp_absent(struct vp_track *t, uint32_t ssrc, uint16_t seq,
			 uint32_t ts, const uint8_t *payload, size_t len,
			 uint64_t arrival_utc_ns)
{
	rtp_in(t, ssrc, seq, ts, payload, len, arrival_utc_ns, false);
}

void vp_track_sr(struct vp_track *t, uint32_t ssrc, uint32_t ntp_sec,
		 uint32_t ntp_frac, uint32_t rtp_ts)
{
	if (t)
		vp_timeline_stream_sr(&t->tls, ssrc, ntp_sec, ntp_frac, rtp_ts);
}

void vp_track_poll(struct vp_track *t, uint64_t now_utc_ns)
{
	if (!t || !t->jb)
		return;
	if (now_utc_ns > t->now_ns)
		t->now_ns = now_utc_ns;
	vp_jb_poll(t->jb, now_utc_ns);
	if (t->hold)
		hold_release(t, false);
}

void vp_track_flush(struct vp_track *t)
{
	if (!t || !t->jb)
		return;
	vp_jb_flush(t->jb);
	conceal_pending(t, NULL, 0, t->last_tag);
	if (t->hold)
		hold_release(t, true);
}

const struct vp_track_stats *vp_track_stats(const struct vp_track *t)
{
	const struct vp_jb_stats *js = vp_jb_stats(t->jb);
	struct vp_track *m = (struct vp_track *)t;

	m->st.duplicates = t->old_dups + (js ? js->duplicates : 0);
	m->st.late = t->old_late + (js ? js->late : 0);
	return &t->st;
}

json_t *vp_track_stats_json(const struct vp_track *t)
{
	const struct vp_track_stats *st = vp_track_stats(t);
	json_t *o = json_pack(
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

	/* timestamps that ran ahead of the arrival clock (docs/design.md §5) */
	json_object_set_new(o, "restarts",
			    json_integer((json_int_t)st->restarts));
	json_object_set_new(o, "unfilled_samples",
			    json_integer((json_int_t)st->unfilled_samples));
	json_object_set_new(o, "overrun_samples",
			    json_integer((json_int_t)st->overrun_samples));
	return o;
}

const char *vp_track_id(const struct vp_track *t)
{
	return t->id;
}
