/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_pipeline.c  RTP packets with arbitrary seq, ts, SSRC, PT and
 * arrival time through the track (jitter buffer -> Opus decode -> timeline
 * -> gate -> io), with the io thread replaced by an oracle that aborts when
 *  - a block lands beyond what the arrival clock allows (sample_at(latest
 *    arrival or poll) + VP_TRACK_LEAD_MS): a timestamp jump filled the disk;
 *  - a stream's blocks overlap or go backwards (the timeline is monotonic);
 *  - a block reaches the io while the gate is closed, before it last
 *    opened, or (live) before the clock has passed it: a gate closing at
 *    sample S must keep everything placed at or after S off the disk;
 *  - the counters disagree (dtx_samples <= samples, io totals == stats).
 *
 * Input: records of 12 bytes [op, dt_lo, dt_hi, seq(2), ts(4), ssrc, pt,
 * len] + len payload bytes. op % 8: 0..4 RTP, 5 poll, 6 gate toggle,
 * 7 RTCP SR. dt is a signed 16-bit step of the arrival clock in 1/16 ms
 * (+-2 s; it may go backwards; short, so that the fills the clock allows
 * stay cheap to run). Only PT 111 reaches the track, as bot_media.c does.
 * The first byte picks the mode: odd = live (gate, hold), even = replay.
 * Seeds: tests/fuzz/corpus/pipeline (tests/fuzz/gen_corpus_pipeline.py).
 */
#include "src/bot/io_thread.h"
#include "src/bot/track.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <stdlib.h>
#include <string.h>

#define RATE   16000
#define ORIGIN (1700000000ULL * VP_SEC)

struct vp_io {
	int unused;
};

static struct {
	bool live, flushing;
	uint64_t now; /* latest arrival or poll time given */
	bool gate_open;
	uint64_t open_since;  /* sample where the gate last opened */
	uint64_t epoch;	      /* openings so far */
	uint64_t wrote_epoch; /* the epoch of the last block written */
	bool broke;	      /* a new chunk since the last block */
	struct vp_timeline tl;
	bool started;
	uint64_t end; /* end of the last block */
	uint64_t samples, dtx_samples;
} o;

static uint64_t at_now(void)
{
	return vp_timeline_sample_at(&o.tl, o.now);
}

int vp_io_stream_open(struct vp_io *io, unsigned idx,
		      const struct vp_pcm_writer_cfg *cfg)
{
	(void)io;
	(void)idx;
	(void)cfg;
	return 0;
}

int vp_io_stream_break(struct vp_io *io, unsigned idx)
{
	(void)io;
	(void)idx;
	o.broke = true; /* a reopening, or a long absence */
	return 0;
}

void vp_io_level(struct vp_io *io, unsigned idx, uint64_t start_sample,
		 uint32_t frames, uint8_t level)
{
	(void)io;
	(void)idx;
	(void)start_sample;
	(void)frames;
	(void)level;
}

int vp_io_pcm(struct vp_io *io, unsigned idx, uint64_t start_sample,
	      const int16_t *pcm, uint32_t frames, uint64_t utc_ns,
	      enum vp_pcm_utc_src src, const struct vp_pcm_counts *delta)
{
	uint64_t lim = at_now() + (uint64_t)RATE * VP_TRACK_LEAD_MS / 1000;

	(void)io;
	(void)idx;
	(void)utc_ns;
	(void)src;
	if (!pcm || !frames || frames > VP_IO_MAX_SAMPLES)
		abort();
	if (o.started && start_sample < o.end)
		abort(); /* overlap or backwards */
	if (start_sample + frames > lim)
		abort(); /* beyond the arrival clock */
	if (delta && delta->dtx_samples > frames)
		abort();
	if (o.live) {
		if (!o.gate_open || start_sample < o.open_since)
			abort(); /* gate closed, or placed before it opened */
		if (!o.flushing && start_sample + frames > at_now())
			abort(); /* ahead of the clock: a close could miss it */
		if (o.started && o.wrote_epoch != o.epoch && !o.broke)
			abort(); /* a chunk would span a closure */
	}
	o.wrote_epoch = o.epoch;
	o.broke = false;
	o.started = true;
	o.end = start_sample + frames;
	o.samples += frames;
	o.dtx_samples += delta ? delta->dtx_samples : 0;
	return 0;
}

static bool gate_h(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = o.open_since;
	*epoch = o.epoch;
	return o.gate_open;
}

/* replay's gate: it cannot close */
static bool gate_none(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = 0;
	*epoch = 1;
	return true;
}

static void step(struct vp_track *t, const uint8_t *r, const uint8_t *pl,
		 size_t len)
{
	int16_t dt = (int16_t)(r[1] | r[2] << 8) / 16; /* ms: +-2 s */
	uint16_t seq = (uint16_t)(r[3] << 8 | r[4]);
	uint32_t ts = (uint32_t)r[5] << 24 | (uint32_t)r[6] << 16 |
		      (uint32_t)r[7] << 8 | r[8];
	static const uint32_t ssrcs[4] = {1, 2, 0xdeadbeef, 0x80000000};
	uint64_t arrival = o.now;

	if (dt >= 0 || (uint64_t)-dt * VP_MSEC < arrival - ORIGIN)
		arrival = (uint64_t)((int64_t)arrival + dt * (int64_t)VP_MSEC);
	if (arrival > o.now)
		o.now = arrival;
	switch (r[0] % 8) {
	case 5:
		vp_track_poll(t, o.now);
		break;
	case 6:
		o.gate_open = !o.gate_open;
		if (o.gate_open) {
			o.open_since = at_now();
			o.epoch++;
		}
		break;
	case 7:
		vp_track_sr(t, ssrcs[r[9] % 4], ts, (uint32_t)seq << 16, ts);
		break;
	default:
		if (r[10] == 111)
			vp_track_rtp(t, ssrcs[r[9] % 4], seq, ts, pl, len,
				     arrival);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_io io = {0};
	struct vp_track *t = NULL;
	struct vp_track_cfg tc = {
		.id = "s1",
		.rate = RATE,
		.channels = 1,
		.chunk_samples = RATE * 10,
		.hold_ns = 200 * VP_MSEC,
	};
	size_t i = 1;

	if (n < 1)
		return 0;
	vp_log_set_level(VP_LOG_ERR);
	memset(&o, 0, sizeof(o));
	o.live = d[0] & 1;
	o.gate_open = true;
	o.epoch = 1;
	o.now = ORIGIN;
	vp_timeline_init(&o.tl, RATE, ORIGIN);
	tc.gateh = o.live ? gate_h : gate_none;
	tc.gate_always_open = !o.live;
	if (vp_track_alloc(&t, &tc, &o.tl, &io))
		return 0;
	while (i + 12 <= n) {
		const uint8_t *r = d + i;
		size_t len = r[11] % 64;

		if (i + 12 + len > n)
			len = n - i - 12;
		step(t, r, r + 12, len);
		i += 12 + len;
	}
	o.flushing = true;
	vp_track_flush(t);
	{
		const struct vp_track_stats *st = vp_track_stats(t);

		if (st->samples != o.samples ||
		    st->dtx_samples != o.dtx_samples ||
		    st->dtx_samples > st->samples)
			abort(); /* meeting.json and manifest disagree */
	}
	vp_mem_deref(t);
	return 0;
}
