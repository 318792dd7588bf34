/* SPDX-License-Identifier: MIT */
/**
 * @file floor_bench.c  The floor of one received stream: the CPU per 20 ms
 * frame of what no recording bot can avoid, measured with the libraries
 * alone (docs/performance.md). Over the RTP packets of a real Opus capture:
 *
 *  - SRTP unprotect, libsrtp2, AES_CM_128_HMAC_SHA1_80 (the packets are
 *    protected once beforehand, as the bot receives them);
 *  - Opus decode at RATE (the decoder made at that rate, mono);
 *  - appending the PCM to a WAV file in 1 s blocks (write(2), no fsync),
 *    whose header is a chunk's (media/pcm: vp_pcm_chunk_header).
 *
 * One thread; process CPU time (CLOCK_PROCESS_CPUTIME_ID) around each part
 * of each 1 s block. Several rounds over the capture (fresh SRTP session,
 * decoder and file each); the round with the lowest total is reported
 * (the machine may be shared: interference only ever adds) with the
 * median total beside it. One JSON line on stdout, times in µs per frame,
 * floor_pct_per_stream = total / 20 ms × 100 (% of one core per stream).
 *
 * floor_bench CAPTURE.pcap WORKDIR [--rate R] [--rounds N] [--max-seconds S]
 *             [--keep]   (the WAV of the last round stays:
 * WORKDIR/floor-PID.wav) exit 0, 64 usage, 65 unusable capture, 70 a library
 * failed, 73 WORKDIR
 */
#include "media/pcm/pcm.h"
#include "protocols/rtp/rtp.h"
#include "tools/perf/perf_capture.h"
#include "src/core/clock.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <opus/opus.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PKTS   3000 /* 60 s: a few seconds of CPU at most per round */
#define MAX_ROUNDS 50
#define PKT_CAP	   (1500 + SRTP_MAX_TRAILER_LEN)
#define BLOCK	   50 /* frames per write: 1 s */
#define FRAME_US   20000.0
#define USAGE                                                                  \
	"usage: floor_bench CAPTURE.pcap WORKDIR [--rate "                     \
	"8000|12000|16000|24000|48000] [--rounds 1..50] [--max-seconds "       \
	"0..60] [--keep]"

struct pkts {
	uint8_t *prot[MAX_PKTS]; /* SRTP-protected, as on the wire */
	int prot_len[MAX_PKTS];
	size_t off[MAX_PKTS];  /* the Opus payload in the plain packet */
	size_t plen[MAX_PKTS]; /* its length */
	size_t n, payload_bytes;
	uint32_t ssrc;	   /* the first packet's */
	unsigned modes[3]; /* SILK, hybrid, CELT (TOC config, RFC 6716 §3.1) */
};

struct round {
	uint64_t srtp_ns, dec_ns, wr_ns;
};

static uint8_t key[30]; /* master key + salt: any fixed value will do */

static void die(int code, const char *what)
{
	fprintf(stderr, "floor_bench: %s\n", what);
	exit(code);
}

/* The capture's RTP packets of its first SSRC (perf_capture_rtp). */
static bool add_pkt(const struct vp_rtp_pkt *r, const uint8_t *buf, size_t len,
		    void *arg)
{
	struct pkts *p = arg;
	uint8_t toc;

	if (len > 1500 || !r->payload_len || (p->n && r->ssrc != p->ssrc))
		return false;
	p->ssrc = r->ssrc;
	toc = r->payload[0];
	p->prot[p->n] = malloc(PKT_CAP);
	if (!p->prot[p->n])
		die(70, "out of memory");
	memcpy(p->prot[p->n], buf, len);
	p->prot_len[p->n] = (int)len;
	p->off[p->n] = (size_t)(r->payload - buf);
	p->plen[p->n] = r->payload_len;
	p->payload_bytes += r->payload_len;
	p->modes[(toc >> 3) < 12 ? 0 : (toc >> 3) < 16 ? 1 : 2]++;
	p->n++;
	return true;
}

static void policy(srtp_policy_t *pol, srtp_ssrc_type_t t)
{
	memset(pol, 0, sizeof(*pol));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	pol->ssrc.type = t;
	pol->key = key;
	pol->window_size = 128;
}

/* Protect every packet once, as the sender did. */
static void protect_all(struct pkts *p)
{
	srtp_policy_t pol;
	srtp_t tx;

	policy(&pol, ssrc_any_outbound);
	if (srtp_create(&tx, &pol))
		die(70, "srtp_create (sender) failed");
	for (size_t i = 0; i < p->n; i++)
		if (srtp_protect(tx, p->prot[i], &p->prot_len[i]))
			die(70, "srtp_protect failed");
	srtp_dealloc(tx);
}

struct rx {
	srtp_t srtp;
	OpusDecoder *dec;
	int fd;
	uint64_t samples;
};

/* One 1 s block: unprotect, decode, write, each part timed on its own.
 * @return bytes written */
static size_t block(const struct pkts *p, size_t b, size_t m, struct rx *x,
		    struct round *t)
{
	static uint8_t work[BLOCK][PKT_CAP];
	static int16_t pcm[BLOCK * 5760]; /* 120 ms at 48 kHz per packet */
	int len[BLOCK], got = 0;
	uint64_t t0, t1, t2;

	for (size_t j = 0; j < m; j++) {
		memcpy(work[j], p->prot[b + j], (size_t)p->prot_len[b + j]);
		len[j] = p->prot_len[b + j];
	}
	t0 = vp_clock_cpu_ns();
	for (size_t j = 0; j < m; j++)
		if (srtp_unprotect(x->srtp, work[j], &len[j]))
			die(70, "srtp_unprotect failed");
	t1 = vp_clock_cpu_ns();
	for (size_t j = 0; j < m; j++) {
		int n = opus_decode(x->dec, work[j] + p->off[b + j],
				    (opus_int32)p->plen[b + j], pcm + got,
				    BLOCK * 5760 - got, 0);

		if (n < 0)
			die(65, "a packet of the capture does not decode");
		got += n;
	}
	t2 = vp_clock_cpu_ns();
	if (write(x->fd, pcm, (size_t)got * 2) != (ssize_t)got * 2)
		die(73, "write to WORKDIR failed");
	t->wr_ns += vp_clock_cpu_ns() - t2;
	t->dec_ns += t2 - t1;
	t->srtp_ns += t1 - t0;
	x->samples += (uint64_t)got;
	return (size_t)got * 2;
}

/* One pass over the capture with a fresh session, decoder and file. */
static struct round one_round(const struct pkts *p, uint32_t rate,
			      const char *wav, bool keep, uint64_t *samples)
{
	struct round t = {0};
	struct rx x = {0};
	srtp_policy_t pol;
	uint8_t h[VP_PCM_HDR_MAX];
	size_t hlen;
	size_t bytes = 0;
	uint64_t t0;
	int e;

	policy(&pol, ssrc_any_inbound);
	if (srtp_create(&x.srtp, &pol))
		die(70, "srtp_create (receiver) failed");
	x.dec = opus_decoder_create((opus_int32)rate, 1, &e);
	if (!x.dec)
		die(70, "opus_decoder_create failed");
	x.fd = open(wav, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (vp_pcm_chunk_header(h, &hlen, "floor", rate))
		die(70, "vp_pcm_chunk_header failed");
	if (x.fd < 0 || write(x.fd, h, hlen) != (ssize_t)hlen)
		die(73, "cannot write a file in WORKDIR");
	for (size_t b = 0; b < p->n; b += BLOCK)
		bytes += block(p, b, p->n - b < BLOCK ? p->n - b : BLOCK, &x,
			       &t);
	t0 = vp_clock_cpu_ns(); /* the header's sizes, as a chunk is closed */
	if (vp_pcm_chunk_sizes(x.fd, hlen, bytes) || close(x.fd))
		die(73, "cannot finish the file in WORKDIR");
	t.wr_ns += vp_clock_cpu_ns() - t0;
	if (!keep)
		unlink(wav);
	opus_decoder_destroy(x.dec);
	srtp_dealloc(x.srtp);
	*samples = x.samples;
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct opts {
	const char *cap, *dir;
	uint32_t rate;
	int rounds;
	double max_s;
	bool keep; /* the last round's WAV stays (for a test to read) */
};

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.rate = 48000, .rounds = 10, .max_s = 5};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 < argc && !strcmp(a, "--rate"))
			o->rate = (uint32_t)atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(a, "--rounds"))
			o->rounds = atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(a, "--max-seconds"))
			o->max_s = atof(argv[++i]);
		else if (!strcmp(a, "--keep"))
			o->keep = true;
		else if (a[0] != '-' && !o->cap)
			o->cap = a;
		else if (a[0] != '-' && !o->dir)
			o->dir = a;
		else
			die(64, USAGE);
	}
	if (!o->dir || o->rounds < 1 || o->rounds > MAX_ROUNDS ||
	    !(o->max_s > 0 && o->max_s <= 60) ||
	    (o->rate != 8000 && o->rate != 12000 && o->rate != 16000 &&
	     o->rate != 24000 && o->rate != 48000))
		die(64, USAGE);
}

static void print(const struct pkts *p, const struct opts *o,
		  const struct round *best, double frames, int rounds,
		  uint64_t median_ns)
{
	double s = (double)best->srtp_ns / 1e3 / frames;
	double d = (double)best->dec_ns / 1e3 / frames;
	double w = (double)best->wr_ns / 1e3 / frames;

	printf("{\"bench\":\"floor\",\"rate\":%u,\"frames\":%.0f,"
	       "\"rounds\":%d,\"capture_kbps\":%.1f,"
	       "\"opus_modes\":{\"silk\":%u,\"hybrid\":%u,\"celt\":%u},"
	       "\"srtp_profile\":\"AES_CM_128_HMAC_SHA1_80\","
	       "\"clock\":\"CLOCK_PROCESS_CPUTIME_ID\","
	       "\"srtp_unprotect_us\":%.3f,\"opus_decode_us\":%.3f,"
	       "\"wav_write_us\":%.3f,\"total_us\":%.3f,"
	       "\"total_us_median\":%.3f,\"floor_pct_per_stream\":%.5f}\n",
	       o->rate, frames, rounds,
	       (double)p->payload_bytes * 8 / (frames * 20.0), p->modes[0],
	       p->modes[1], p->modes[2], s, d, w, s + d + w,
	       (double)median_ns / 1e3 / frames,
	       (s + d + w) / FRAME_US * 100.0);
}

int main(int argc, char **argv)
{
	static struct pkts p;
	static uint64_t totals[MAX_ROUNDS];
	struct round best = {UINT64_MAX / 4, 0, 0};
	struct opts o;
	char wav[4096];
	uint64_t samples = 0, t_end;
	int r;

	parse(argc, argv, &o);
	perf_capture_rtp(o.cap, MAX_PKTS, add_pkt, &p);
	if (p.n < BLOCK)
		die(65, "the capture has less than 1 s of RTP");
	if (srtp_init())
		die(70, "srtp_init failed");
	protect_all(&p);
	snprintf(wav, sizeof(wav), "%s/floor-%d.wav", o.dir, (int)getpid());
	t_end = vp_clock_mono_ns() + (uint64_t)(o.max_s * 1e9);
	/* one round at least; none begins after --max-seconds of wall time */
	for (r = 0; r < o.rounds && (r == 0 || vp_clock_mono_ns() < t_end);
	     r++) {
		struct round t = one_round(&p, o.rate, wav, o.keep, &samples);

		totals[r] = t.srtp_ns + t.dec_ns + t.wr_ns;
		if (totals[r] < best.srtp_ns + best.dec_ns + best.wr_ns)
			best = t;
	}
	qsort(totals, (size_t)r, sizeof(totals[0]), cmp_u64);
	print(&p, &o, &best, (double)samples / (o.rate / 50.0), r,
	      totals[r / 2]);
	srtp_shutdown();
	for (size_t i = 0; i < p.n; i++)
		free(p.prot[i]);
	return 0;
}
