/* SPDX-License-Identifier: MIT */
/**
 * @file test_track_gate.c  The gate is judged when a packet arrives, not
 * when it leaves the jitter buffer (docs/design.md §6): audio held behind
 * a loss across a closure never reaches disk, no chunk spans a closure,
 * and a participant who left is not written.
 */
#include "src/bot/bot_priv.h"
#include "src/bot/recorder.h"
#include "src/bot/track.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"
#include "tests/unit/track_fixture.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_T0	 (1700000000ULL * VP_SEC)
#define G_MS(x)	 (G_T0 + (uint64_t)(x)*VP_MSEC)
#define MAX_LINE 16

static const uint8_t opus20[] = {0xF8, 0xFF, 0xFE, 0x01, 0x02}; /* 20 ms */

static struct {
	bool open;
	uint64_t since, epoch;
} gg;

static bool g_gate(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = gg.since;
	*epoch = gg.epoch;
	return gg.open;
}

static void g_close(void)
{
	gg.open = false;
}

static void g_reopen(const struct vp_timeline *tl, uint64_t at_ns)
{
	gg.open = true;
	gg.epoch++;
	gg.since = vp_timeline_sample_at(tl, at_ns);
}

struct line {
	uint64_t start, samples, gap;
};

/* DIR/manifest.jsonl as (start_sample, samples, gap_samples), in order */
static unsigned read_lines(const char *dir, struct line *l, unsigned max)
{
	char path[600], buf[2048];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.jsonl", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(buf, sizeof(buf), f)) {
		json_t *j = json_loads(buf, 0, NULL);

		if (!j)
			continue;
		l[n].start = (uint64_t)json_integer_value(
			json_object_get(j, "start_sample"));
		l[n].samples = (uint64_t)json_integer_value(
			json_object_get(j, "samples"));
		l[n].gap = (uint64_t)json_integer_value(
			json_object_get(j, "gap_samples"));
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

static void pkt(struct vp_track *t, unsigned k, uint32_t ts_frame, uint64_t at)
{
	vp_track_rtp(t, 7, (uint16_t)k, ts_frame * 960, opus20, sizeof(opus20),
		     at);
}

/* 20 packets in real time on SSRC 7 (960..20160, all written by 420 ms) */
static void talk(struct track_fix *f)
{
	for (unsigned k = 0; k < 20; k++) {
		uint64_t at = G_MS(20 + k * 20);

		pkt(f->t, k, k, at);
		vp_track_poll(f->t, at);
	}
	vp_track_poll(f->t, G_MS(420));
}

/* 10 packets of a new SSRC from AT_MS on (a sender that restarted),
 * polled to 2 s past them. */
static void resume(struct track_fix *f, uint64_t at_ms)
{
	for (unsigned k = 0; k < 10; k++) {
		uint64_t at = G_MS(at_ms + k * 20);

		vp_track_rtp(f->t, 8, (uint16_t)(1000 + k), 5000 + k * 960,
			     opus20, sizeof(opus20), at);
		vp_track_poll(f->t, at);
	}
	for (uint64_t ms = at_ms + 200; ms <= at_ms + 2000; ms += 20)
		vp_track_poll(f->t, G_MS(ms));
}

/* The reviewer's trigger: a never-record member closes the gate; one of
 * the packets that arrive meanwhile is lost, the next ones wait behind it
 * in the jitter buffer; the gate reopens, and only then does the buffer
 * give up on the loss and release them. A burst ahead of the clock places
 * them well after the reopening, so "placed before the reopening" cannot
 * be what keeps them off disk: their arrival does. */
VTEST(track_gate_held_behind_loss_never_written)
{
	struct track_fix f;
	struct vp_io_stats ios;
	struct line l[MAX_LINE];
	uint64_t total = 0;
	unsigned n;

	gg.open = true;
	gg.since = 0;
	gg.epoch = 1;
	VT_EQ(0, track_fix_start(&f, "heldloss", g_gate, G_T0));
	for (unsigned k = 0; k < 40; k++) /* 800 ms at once: 960..39360 */
		pkt(f.t, k, k, G_MS(20));
	vp_track_poll(f.t, G_MS(250));	   /* written: 960..11520 */
	g_close();			   /* at 260 ms */
	for (unsigned k = 41; k < 46; k++) /* 40 lost: 41..45 wait behind */
		pkt(f.t, k, k, G_MS(270 + (k - 41) * 20));
	g_reopen(&f.tl, G_MS(360)); /* sample 17280 */
	for (unsigned k = 46; k < 56; k++) {
		uint64_t at = G_MS(370 + (k - 46) * 20);

		pkt(f.t, k, k, at);	/* after the reopening: 45120..54720 */
		vp_track_poll(f.t, at); /* at 470 ms the loss is given up */
	}
	for (uint64_t ms = 560; ms <= 1500; ms += 20)
		vp_track_poll(f.t, G_MS(ms));
	VT_EQ(0, track_fix_stop(&f, &ios));
	VT_EQ(0, ios.write_errors);
	n = read_lines(f.dir, l, MAX_LINE);
	VT_TRUE(n >= 2);
	for (unsigned i = 0; i < n; i++) {
		/* nothing of what arrived before the reopening, after 250 ms */
		VT_TRUE(l[i].start + l[i].samples <= 11520 ||
			l[i].start >= 45120);
		total += l[i].samples;
	}
	/* 46 arrived 10 ms after the reopening, placed 590 ms past its
	 * arrival: its first 10 ms were spoken before the reopening */
	VT_EQ(10560 + 9600 - 480, total);
	VT_EQ(total, vp_track_stats(f.t)->samples);
	vp_mem_deref(f.t);
}

/* A real-time sender whose first packets came in 80 ms late (a stall):
 * its whole run is placed 80 ms late. After a reopening at 500 ms, the
 * packet spoken at 480..500 ms arrives at 500 ms and would be placed at
 * 560 ms, past the reopening: it is cut, as what it carries was spoken
 * while the gate was closed. What was spoken from 500 ms on is written,
 * from 580 ms on the timeline. */
VTEST(track_gate_late_anchor_cut_at_reopen)
{
	struct track_fix f;
	struct vp_io_stats ios;
	struct line l[MAX_LINE];
	uint64_t before = 0, after = 0;
	unsigned n;

	gg.open = true;
	gg.since = 0;
	gg.epoch = 1;
	VT_EQ(0, track_fix_start(&f, "lateanchor", g_gate, G_T0));
	for (unsigned k = 0; k < 40; k++) { /* spoken at 20k .. 20k + 20 */
		uint64_t at = G_MS(k < 4 ? 80 : 20 * k + 20);

		if (k == 15)
			g_close(); /* at 300 ms */
		if (k == 24)
			g_reopen(&f.tl, G_MS(500));
		pkt(f.t, k, k, at);
		vp_track_poll(f.t, at);
	}
	for (uint64_t ms = 820; ms <= 3000; ms += 20)
		vp_track_poll(f.t, G_MS(ms));
	VT_EQ(0, track_fix_stop(&f, &ios));
	n = read_lines(f.dir, l, MAX_LINE);
	VT_TRUE(n >= 2);
	for (unsigned i = 0; i < n; i++) {
		/* held until the clock passes its place, so nothing placed
		 * past the closing (300 ms); nothing spoken before 500 ms,
		 * placed before 580 ms, after it */
		VT_TRUE(l[i].start + l[i].samples <= 14400 ||
			l[i].start >= 27840);
		if (l[i].start >= 27840)
			after += l[i].samples;
		else
			before += l[i].samples;
	}
	VT_EQ(11 * 960, before); /* 0..10: placed at 80..300 ms */
	VT_EQ(15 * 960, after);	 /* 25..39: spoken from 500 ms on */
	vp_mem_deref(f.t);
}

/* A sender in DTX while the gate was closed: its first packet after the
 * reopening carries a DTX gap over the closure. The silence it implies is
 * not written (its first part lies before open_since, the rest between a
 * packet of the earlier epoch and one of this one), and the stream gets
 * a new chunk: none spans the closure, no zeros stand for closed time. */
VTEST(track_gate_dtx_over_closure_new_chunk)
{
	struct track_fix f;
	struct vp_io_stats ios;
	struct line l[MAX_LINE];
	unsigned n;

	gg.open = true;
	gg.since = 0;
	gg.epoch = 1;
	VT_EQ(0, track_fix_start(&f, "silent", g_gate, G_T0));
	talk(&f);
	g_close(); /* at 430 ms: nothing arrives */
	vp_track_poll(f.t, G_MS(700));
	g_reopen(&f.tl, G_MS(1000)); /* sample 48000 */
	/* the sender resumes: DTX over the closure, 50880.. after it */
	for (unsigned k = 20; k < 30; k++) {
		uint64_t at = G_MS(1040 + (k - 20) * 20);

		pkt(f.t, k, k + 32, at);
		vp_track_poll(f.t, at);
	}
	for (uint64_t ms = 1240; ms <= 2500; ms += 20)
		vp_track_poll(f.t, G_MS(ms));
	VT_EQ(0, track_fix_stop(&f, &ios));
	VT_EQ(0, ios.write_errors);
	n = read_lines(f.dir, l, MAX_LINE);
	VT_EQ(2, n);
	for (unsigned i = 0; i < n; i++) {
		VT_TRUE(l[i].start + l[i].samples <= 20640 ||
			l[i].start >= 48000);
		VT_EQ(0, l[i].gap); /* no zeros for closed time */
	}
	VT_EQ(960, l[0].start);
	VT_EQ(19200, l[0].samples);
	VT_EQ(50880, l[1].start); /* the DTX fill before it arrived closed */
	VT_EQ(9600, l[1].samples);
	vp_mem_deref(f.t);
}

/* Nothing at all arrives while the gate is closed (the sender stopped,
 * and comes back as a new SSRC): nothing is dropped, yet the reopening
 * must start a new chunk; without it the writer fills the closure with
 * zeros in a chunk that spans it. */
VTEST(track_gate_nothing_sent_while_closed_new_chunk)
{
	struct track_fix f;
	struct vp_io_stats ios;
	struct line l[MAX_LINE];

	gg.open = true;
	gg.since = 0;
	gg.epoch = 1;
	VT_EQ(0, track_fix_start(&f, "nothing", g_gate, G_T0));
	talk(&f);
	g_close(); /* 430 ms */
	vp_track_poll(f.t, G_MS(700));
	g_reopen(&f.tl, G_MS(1000));
	resume(&f, 1040); /* anchored at its arrival: 49920.. */
	VT_EQ(0, track_fix_stop(&f, &ios));
	VT_EQ(0, vp_track_stats(f.t)->gated_samples);
	VT_EQ(2, read_lines(f.dir, l, MAX_LINE));
	VT_EQ(960, l[0].start);
	VT_EQ(19200, l[0].samples);
	VT_EQ(49920, l[1].start);
	VT_EQ(9600, l[1].samples);
	VT_EQ(0, l[0].gap + l[1].gap);
	vp_mem_deref(f.t);
}

/* The gate stays open; the sender is away for 6 s and comes back as a
 * new SSRC: a new chunk where it resumes, not 6 s of zeros written in
 * one call on the io thread. */
VTEST(track_long_absence_new_chunk_not_filled)
{
	struct track_fix f;
	struct vp_io_stats ios;
	struct line l[MAX_LINE];

	gg.open = true;
	gg.since = 0;
	gg.epoch = 1;
	VT_EQ(0, track_fix_start(&f, "absence", g_gate, G_T0));
	talk(&f);
	for (uint64_t ms = 440; ms < 6420; ms += 20)
		vp_track_poll(f.t, G_MS(ms));
	resume(&f, 6420); /* 6 s after the end: 308160.. */
	VT_EQ(0, track_fix_stop(&f, &ios));
	VT_EQ(2, read_lines(f.dir, l, MAX_LINE));
	VT_EQ(19200, l[0].samples);
	VT_EQ(308160, l[1].start);
	VT_EQ(9600, l[1].samples);
	VT_EQ(0, l[0].gap + l[1].gap);
	vp_mem_deref(f.t);
}

static bool always_open(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = 0;
	*epoch = 1;
	return true;
}

/* One RTP packet of SSRC 0x11223344, PT 111, 20 ms of Opus. */
static void send_rtp(struct bot *b, unsigned k, uint64_t at)
{
	uint8_t p[12 + sizeof(opus20)] = {0x80, 111};

	p[2] = (uint8_t)(k >> 8);
	p[3] = (uint8_t)k;
	p[4] = (uint8_t)((k * 960) >> 24);
	p[5] = (uint8_t)((k * 960) >> 16);
	p[6] = (uint8_t)((k * 960) >> 8);
	p[7] = (uint8_t)(k * 960);
	p[8] = 0x11;
	p[9] = 0x22;
	p[10] = 0x33;
	p[11] = 0x44;
	memcpy(p + 12, opus20, sizeof(opus20));
	vp_bot__on_rtp(p, sizeof(p), at, b);
}

/* A participant's stream outlives their leave: the packets that arrive
 * after it (in flight, or read after the drain) are counted and dropped,
 * not written; they keep the sequence, so nothing is concealed over the
 * absence when the participant comes back on the same SSRC, whose audio
 * then starts a new chunk. */
VTEST(track_gate_departed_participant_not_written)
{
	struct vp_rec_cfg rc = {
		.out = vtest_tmpdir(),
		.id = "departed",
		.rate = 48000,
		.channels = 1,
		.chunk_seconds = 10,
		.offline = true,
		.gate = {.open = always_open},
	};
	struct bot *b = calloc(1, sizeof(*b));
	struct bot_participant *p;
	struct line l[MAX_LINE];
	char dir[600];
	unsigned n;

	VT_TRUE(b != NULL);
	VT_EQ(0, vp_rec_open(&b->rec, &rc));
	VT_EQ(0, vp_rec_start(b->rec));
	vp_rec_timeline_start(b->rec, G_T0);
	b->nmids = 1;
	snprintf(b->mids[0].mid, sizeof(b->mids[0].mid), "a");
	b->mids[0].participant = vp_mem_strdup("p1");
	b->mids[0].active = true;
	b->mids[0].pt = 111;
	b->mids[0].stream = -1;
	b->mids[0].ssrc[0] = 0x11223344;
	b->mids[0].nssrc = b->mids[0].nsdp = 1;
	p = vp_bot__part(b, "p1", true);
	VT_TRUE(p != NULL);
	p->present = true;
	for (unsigned k = 0; k < 10; k++)
		send_rtp(b, k, G_MS(20 + k * 20));
	p->present = false; /* left at 220 ms */
	for (unsigned k = 10; k < 20; k++)
		send_rtp(b, k, G_MS(20 + k * 20));
	VT_EQ(10, b->rtp_absent);
	p->present = true; /* back at 420 ms */
	for (unsigned k = 20; k < 30; k++)
		send_rtp(b, k, G_MS(20 + k * 20));
	VT_EQ(10, b->rtp_absent);
	VT_EQ(0, vp_rec_stop(b->rec));
	VT_EQ(20 * 960, vp_rec_samples(b->rec));
	snprintf(dir, sizeof(dir), "%s/departed", vtest_tmpdir());
	n = read_lines(dir, l, MAX_LINE);
	VT_EQ(2, n);
	VT_EQ(960, l[0].start); /* 0..9 */
	VT_EQ(9600, l[0].samples);
	VT_EQ(20160, l[1].start); /* 20..29, nothing for 10..19 */
	VT_EQ(9600, l[1].samples);
	VT_EQ(0, l[0].gap + l[1].gap);
	vp_rec_close(b->rec);
	vp_mem_deref(b->mids[0].participant);
	vp_bot__parts_free(b);
	free(b);
}
