/* SPDX-License-Identifier: MIT */
/**
 * @file rtpgen.c  Makes a known, impaired Opus RTP capture for the pipeline
 * tests: a deterministic test signal is encoded with libopus (20 ms frames,
 * in-band FEC on), packetized (RFC 7587), impaired — loss, reorder, duplicates,
 * jitter, a DTX pause (timestamp jump without a sequence gap) — and written as
 * a pcap of Ethernet/IPv4/UDP frames with RTCP sender reports, together with
 * the source as WAV and a JSON record of exactly what was injected.
 *
 * Default: OPUS_APPLICATION_AUDIO at 64 kbit/s, whose output keeps the
 * waveform (correlation > 0.99); --voip selects the SILK speech mode.
 *
 * rtpgen OUT-PREFIX [--seconds S] [--bitrate B] [--voip] [--loss P] [--reorder
 * N] [--dup P]
 *        [--jitter-ms MS] [--dtx-at S --dtx-len S] [--seed N] [--no-fec]
 *        [--ssrc-change-at S] [--sr-offset-ms MS]
 * writes OUT-PREFIX.pcap, OUT-PREFIX.wav (48 kHz mono), OUT-PREFIX.json
 */
#include "src/core/bytes.h"
#include "src/core/clock.h"

#include <math.h>
#include <opus/opus.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE   48000
#define FRAME  960
#define MAXPKT 1500

struct pkt {
	uint64_t arrival_ns;
	uint16_t seq;
	uint32_t ts, ssrc;
	bool rtcp;
	size_t len;
	uint8_t data[MAXPKT];
};

struct opts {
	double seconds, loss, dup, jitter_ms, dtx_at, dtx_len, ssrc_change_at;
	double sr_offset_ms;
	int bitrate;
	bool music;
	int reorder;
	unsigned seed;
	bool fec;
};

static uint64_t rng_state;
static double rnd(void) /* xorshift64*, deterministic per seed */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) /
	       (double)(1ULL << 53);
}

/* Speech-like test signal: a gliding harmonic tone (phase accumulated, so
 * the pitch stays within 80..260 Hz) with a syllable-rate envelope and a
 * little noise, so cross-correlation has one clear peak. Called in order. */
static int16_t signal_at(size_t i, const struct opts *o)
{
	static double phase;
	double t = (double)i / RATE, f0 = 170 + 60 * sin(2 * M_PI * 0.37 * t);
	double env = 0.55 + 0.45 * sin(2 * M_PI * 3.1 * t), v = 0;

	phase += 2 * M_PI * f0 / RATE;
	if (o->dtx_len > 0 && t >= o->dtx_at && t < o->dtx_at + o->dtx_len)
		return 0;
	for (int h = 1; h <= 6; h++)
		v += sin(h * phase + h) / h;
	v = v * env * 0.25 + (rnd() - 0.5) * 0.01;
	return (int16_t)(v * 32767 * 0.8);
}

static void write_wav(const char *path, const int16_t *s, size_t n)
{
	uint8_t h[44] = "RIFF\0\0\0\0WAVEfmt ";
	FILE *f = fopen(path, "wb");
	uint32_t data = (uint32_t)(n * 2);

	if (!f) {
		perror(path);
		exit(1);
	}
	h[4] = (uint8_t)(data + 36);
	h[5] = (uint8_t)((data + 36) >> 8);
	h[6] = (uint8_t)((data + 36) >> 16);
	h[7] = (uint8_t)((data + 36) >> 24);
	h[16] = 16;
	h[20] = 1;
	h[22] = 1;
	h[24] = RATE & 0xff;
	h[25] = (RATE >> 8) & 0xff;
	h[26] = (RATE >> 16) & 0xff;
	h[28] = (RATE * 2) & 0xff;
	h[29] = ((RATE * 2) >> 8) & 0xff;
	h[30] = ((RATE * 2) >> 16) & 0xff;
	h[32] = 2;
	h[34] = 16;
	memcpy(h + 36, "data", 4);
	h[40] = (uint8_t)data;
	h[41] = (uint8_t)(data >> 8);
	h[42] = (uint8_t)(data >> 16);
	h[43] = (uint8_t)(data >> 24);
	fwrite(h, 1, 44, f);
	fwrite(s, 2, n, f);
	fclose(f);
}

/* Ethernet + IPv4 + UDP around one datagram (checksum 0: allowed for UDP) */
static void dump(pcap_dumper_t *d, const struct pkt *p)
{
	uint8_t f[14 + 20 + 8 + MAXPKT] = {0};
	struct pcap_pkthdr h;
	size_t ulen = 8 + p->len;

	vp_put_be16(f + 12, 0x0800);
	f[14] = 0x45;
	vp_put_be16(f + 16, (uint16_t)(20 + ulen));
	f[22] = 64;
	f[23] = 17;
	vp_put_be32(f + 26, 0x7f000002);
	vp_put_be32(f + 30, 0x7f000001);
	vp_put_be16(f + 34, 40000);
	vp_put_be16(f + 36, 50000);
	vp_put_be16(f + 38, (uint16_t)ulen);
	memcpy(f + 42, p->data, p->len);
	h.ts.tv_sec = (time_t)(p->arrival_ns / VP_SEC);
	h.ts.tv_usec = (suseconds_t)(p->arrival_ns % VP_SEC / VP_USEC);
	h.caplen = h.len = (bpf_u_int32)(42 + p->len);
	pcap_dump((u_char *)d, &h, f);
}

static int cmp_arrival(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return x->arrival_ns < y->arrival_ns ? -1
					     : x->arrival_ns > y->arrival_ns;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.seconds = 20,
			   .reorder = 0,
			   .seed = 1,
			   .fec = true,
			   .dtx_at = 0,
			   .dtx_len = 0,
			   .ssrc_change_at = -1,
			   .sr_offset_ms = 0,
			   .bitrate = 64000,
			   .music = true};
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "--no-fec")) {
			o->fec = false;
			continue;
		}
		if (!strcmp(a, "--voip")) { /* SILK: speech model, phase lost */
			o->music = false;
			continue;
		}
		i++;
		if (!strcmp(a, "--seconds"))
			o->seconds = atof(v);
		else if (!strcmp(a, "--loss"))
			o->loss = atof(v);
		else if (!strcmp(a, "--reorder"))
			o->reorder = atoi(v);
		else if (!strcmp(a, "--dup"))
			o->dup = atof(v);
		else if (!strcmp(a, "--jitter-ms"))
			o->jitter_ms = atof(v);
		else if (!strcmp(a, "--dtx-at"))
			o->dtx_at = atof(v);
		else if (!strcmp(a, "--dtx-len"))
			o->dtx_len = atof(v);
		else if (!strcmp(a, "--seed"))
			o->seed = (unsigned)atoi(v);
		else if (!strcmp(a, "--ssrc-change-at"))
			o->ssrc_change_at = atof(v);
		else if (!strcmp(a, "--bitrate"))
			o->bitrate = atoi(v);
		else if (!strcmp(a, "--sr-offset-ms"))
			o->sr_offset_ms = atof(v);
		else {
			fprintf(stderr, "rtpgen: unknown option %s\n", a);
			exit(64);
		}
	}
}

static void add_sr(struct pkt *p, uint32_t ssrc, uint64_t ntp_ns, uint32_t ts,
		   uint64_t arrival, uint32_t npk)
{
	uint32_t s, f;

	memset(p, 0, sizeof(*p));
	/* RFC 3550 §6.4.1 SR, no report blocks, then SDES CNAME (§6.5) */
	p->data[0] = 0x80;
	p->data[1] = 200;
	vp_put_be16(p->data + 2, 6);
	vp_put_be32(p->data + 4, ssrc);
	vp_clock_utc_ns_to_ntp(ntp_ns, &s, &f);
	vp_put_be32(p->data + 8, s);
	vp_put_be32(p->data + 12, f);
	vp_put_be32(p->data + 16, ts);
	vp_put_be32(p->data + 20, npk);
	vp_put_be32(p->data + 24, npk * 60);
	p->data[28] = 0x81;
	p->data[29] = 202;
	vp_put_be16(p->data + 30, 3);
	vp_put_be32(p->data + 32, ssrc);
	p->data[36] = 1;
	p->data[37] = 4;
	memcpy(p->data + 38, "gen0", 4);
	p->len = 44; /* 38 + 4 + terminator + pad */
	p->rtcp = true;
	p->arrival_ns = arrival;
}

int main(int argc, char **argv)
{
	const uint64_t base = 1767225600ULL * VP_SEC; /* 2026-01-01T00:00:00Z */
	struct opts o;
	char path[1024];
	int err;

	/* an option in the prefix's place would name files "--x.pcap" */
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: rtpgen OUT-PREFIX [options]\n");
		return 64;
	}
	parse(argc, argv, &o);
	rng_state = 0x9E3779B97F4A7C15ULL ^ o.seed;

	size_t nframes = (size_t)(o.seconds * 50), nsamp = nframes * FRAME;
	int16_t *src = calloc(nsamp, sizeof(*src));
	struct pkt *pk = calloc(nframes * 2 + 64, sizeof(*pk));
	OpusEncoder *enc = opus_encoder_create(
		RATE, 1,
		o.music ? OPUS_APPLICATION_AUDIO : OPUS_APPLICATION_VOIP, &err);
	if (!src || !pk || !enc)
		return 70;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(o.bitrate));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(o.fec ? 1 : 0));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(o.fec ? 10 : 0));
	for (size_t i = 0; i < nsamp; i++)
		src[i] = signal_at(i, &o);

	uint32_t ssrc = 0x1234abcd, ts0 = 0xfffe0000u; /* ts wraps early */
	uint16_t seq = 65500;			       /* seq wraps too */
	size_t np = 0, lost = 0, dups = 0, dtx_frames = 0, reordered = 0;
	size_t srs = 0, sent = 0, ssrc_changes = 0;
	uint64_t next_sr = 0;
	char lostlist[65536] = "";
	size_t ll = 0;

	for (size_t fi = 0; fi < nframes; fi++) {
		double t = (double)fi * FRAME / RATE;
		uint64_t send = base + (uint64_t)(t * VP_SEC);
		uint32_t ts = ts0 + (uint32_t)(fi * FRAME);
		uint8_t pl[MAXPKT];
		int n = opus_encode(enc, src + fi * FRAME, FRAME, pl,
				    sizeof(pl));

		if (n < 0)
			return 70;
		if (o.ssrc_change_at >= 0 && t >= o.ssrc_change_at &&
		    !ssrc_changes) {
			ssrc = 0x5eed0002; /* sender restart: new ssrc/seq/ts */
			seq = 1000;
			ts0 = 0x40000000u - (uint32_t)(fi * FRAME);
			ts = ts0 + (uint32_t)(fi * FRAME);
			ssrc_changes++;
			next_sr = 0;
		}
		if (o.dtx_len > 0 && t >= o.dtx_at &&
		    t + 0.02 <= o.dtx_at + o.dtx_len + 1e-9) {
			dtx_frames++; /* not sent, seq not advanced */
			continue;
		}
		if (send >= next_sr) {
			uint64_t ntp =
				send + (uint64_t)(o.sr_offset_ms * VP_MSEC);

			add_sr(&pk[np++], ssrc, ntp, ts, send + 1 * VP_MSEC,
			       (uint32_t)sent);
			srs++;
			next_sr = send + 5 * VP_SEC;
		}
		struct pkt *p = &pk[np];
		memset(p, 0, sizeof(*p));
		p->data[0] = 0x80;
		p->data[1] = 111 | (fi == 0 ? 0x80 : 0);
		vp_put_be16(p->data + 2, seq);
		vp_put_be32(p->data + 4, ts);
		vp_put_be32(p->data + 8, ssrc);
		memcpy(p->data + 12, pl, (size_t)n);
		p->len = 12 + (size_t)n;
		p->seq = seq++;
		p->ts = ts;
		p->ssrc = ssrc;
		p->arrival_ns =
			send + (uint64_t)(rnd() * o.jitter_ms * VP_MSEC);
		sent++;
		/* never lose the first or the last packet: unknowable */
		if (fi > 2 && fi + 3 < nframes && rnd() < o.loss) {
			lost++;
			ll += (size_t)snprintf(lostlist + ll,
					       sizeof(lostlist) - ll, "%s%u",
					       ll ? "," : "", p->seq);
			continue;
		}
		if (o.reorder > 0 && fi % 10 == 5) {
			p->arrival_ns += (uint64_t)o.reorder * 20 * VP_MSEC +
					 5 * VP_MSEC;
			reordered++;
		}
		np++;
		if (rnd() < o.dup) {
			pk[np] = *p;
			pk[np].arrival_ns +=
				(uint64_t)(5 + rnd() * 25) * VP_MSEC;
			np++;
			dups++;
		}
	}
	qsort(pk, np, sizeof(*pk), cmp_arrival);

	snprintf(path, sizeof(path), "%s.pcap", argv[1]);
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	if (!d) {
		fprintf(stderr, "rtpgen: %s\n", pcap_geterr(dead));
		return 73;
	}
	for (size_t i = 0; i < np; i++)
		dump(d, &pk[i]);
	pcap_dump_close(d);
	pcap_close(dead);

	snprintf(path, sizeof(path), "%s.wav", argv[1]);
	write_wav(path, src, nsamp);

	snprintf(path, sizeof(path), "%s.json", argv[1]);
	FILE *j = fopen(path, "w");
	if (!j)
		return 73;
	fprintf(j,
		"{\"seconds\":%g,\"frames\":%zu,\"source_samples\":%zu,"
		"\"sent\":%zu,\"lost\":%zu,\"lost_seqs\":[%s],\"dups\":%zu,"
		"\"reordered\":%zu,\"dtx_frames\":%zu,\"dtx_samples\":%zu,"
		"\"sr\":%zu,\"sr_offset_ms\":%g,\"ssrc_changes\":%zu,"
		"\"ssrc_change_at_s\":%g,"
		"\"fec\":%s,\"first_send_ns\":%llu}\n",
		o.seconds, nframes, nsamp, sent, lost, lostlist, dups,
		reordered, dtx_frames, dtx_frames * FRAME, srs, o.sr_offset_ms,
		ssrc_changes, o.ssrc_change_at, o.fec ? "true" : "false",
		(unsigned long long)base);
	fclose(j);
	opus_encoder_destroy(enc);
	free(src);
	free(pk);
	return 0;
}
