/* SPDX-License-Identifier: MIT */
/**
 * @file replay_bench.c  CPU per 20 ms frame of the whole replay path
 * (`vpbot replay`: pcap read twice, RTP parse, jitter buffer, Opus decode,
 * timeline, io thread, WAV chunks with fsync, manifest) beside its floor, a
 * bare opus_decode loop over the same packets, measured in the same run.
 * Process CPU time counts every thread, so the io thread is included.
 *
 * replay_bench CAPTURE.pcap WORKDIR [RATE] [ROUNDS]
 */
#include "media/opus/opus_dec.h"
#include "protocols/rtp/rtp.h"
#include "src/bot/replay.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "tools/perf/perf_capture.h"

#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkts {
	uint8_t *buf[200000];
	size_t len[200000];
	size_t n;
};

/* The Opus payload of every RTP packet of the capture. */
static bool add_pkt(const struct vp_rtp_pkt *r, const uint8_t *buf, size_t len,
		    void *arg)
{
	struct pkts *p = arg;

	(void)buf, (void)len;
	p->buf[p->n] = malloc(r->payload_len ? r->payload_len : 1);
	if (!p->buf[p->n])
		exit(70);
	memcpy(p->buf[p->n], r->payload, r->payload_len);
	p->len[p->n++] = r->payload_len;
	return true;
}

/* The floor: libopus alone, same packets, same rate, fresh decoder. */
static uint64_t bare_decode(const struct pkts *p, uint32_t rate)
{
	static int16_t pcm[5760];
	int e;
	OpusDecoder *dec = opus_decoder_create((opus_int32)rate, 1, &e);
	uint64_t t0 = vp_clock_cpu_ns();

	for (size_t i = 0; i < p->n; i++)
		if (opus_decode(dec, p->buf[i], (opus_int32)p->len[i], pcm,
				5760, 0) < 0)
			abort(); /* rtpgen's packets all decode */
	t0 = vp_clock_cpu_ns() - t0;
	opus_decoder_destroy(dec);
	return t0;
}

static uint64_t whole_path(const char *cap, const char *work, uint32_t rate,
			   int round)
{
	char id[32], cmd[4200];
	struct vp_replay_cfg c = {.capture = cap,
				  .out = work,
				  .meeting = id,
				  .rate = rate,
				  .channels = 1,
				  .chunk_seconds = 10,
				  .pt = -1};
	uint64_t t0;

	snprintf(id, sizeof(id), "bench-%d", round);
	t0 = vp_clock_cpu_ns();
	if (vp_replay_run(&c) != 0)
		exit(70);
	t0 = vp_clock_cpu_ns() - t0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", work, id);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", id);
	return t0;
}

int main(int argc, char **argv)
{
	static struct pkts p;
	uint32_t rate = argc > 3 ? (uint32_t)atoi(argv[3]) : 48000;
	int rounds = argc > 4 ? atoi(argv[4]) : 5;
	uint64_t best_bare = UINT64_MAX, best_path = UINT64_MAX;

	if (argc < 3) {
		fprintf(stderr, "usage: replay_bench CAPTURE WORKDIR [RATE] "
				"[ROUNDS]\n");
		return 64;
	}
	vp_log_set_level(VP_LOG_WARN);
	perf_capture_rtp(argv[1], 200000, add_pkt, &p);
	if (!p.n)
		return 65;
	/* interleave the two, keep the best (quietest) of each: the machine
	 * is shared, so the ratio of minima is what is comparable */
	for (int r = 0; r < rounds; r++) {
		uint64_t b = bare_decode(&p, rate);
		uint64_t w = whole_path(argv[1], argv[2], rate, r);

		if (b < best_bare)
			best_bare = b;
		if (w < best_path)
			best_path = w;
	}
	printf("replay path, %zu frames at %u Hz mono, best of %d:\n", p.n,
	       rate, rounds);
	printf("  bare opus_decode loop (floor): %7.2f us/frame\n",
	       (double)best_bare / 1e3 / (double)p.n);
	printf("  whole vpbot replay path:       %7.2f us/frame\n",
	       (double)best_path / 1e3 / (double)p.n);
	printf("  ratio (goal <= 1.25):          %7.3f\n",
	       (double)best_path / (double)best_bare);
	printf("BENCH replay rate=%u frames=%zu floor_us=%.2f path_us=%.2f "
	       "ratio=%.3f\n",
	       rate, p.n, (double)best_bare / 1e3 / (double)p.n,
	       (double)best_path / 1e3 / (double)p.n,
	       (double)best_path / (double)best_bare);
	return 0;
}
