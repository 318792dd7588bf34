/* SPDX-License-Identifier: MIT */
/**
 * @file sigtest.c  Puts the marker signal (tools/simconf/marker.h) through
 * real libopus as simconf sends it and a receiver decodes it: encode at
 * 48 kHz (VOIP, complexity 3, 32 kbit/s, in-band FEC), lose and reorder
 * packets, decode at the given rate in arrival order (FEC for a loss whose
 * successor arrived next, else PLC). Writes the decoded PCM as raw s16le
 * and, per output frame slot, what was decoded there, as JSON lines:
 * {"slot":i,"frame":k|null,"how":"normal"|"fec"|"plc"}.
 * Usage: load_sigtest RATE FRAMES OUT.raw TRUTH.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "tools/simconf/marker.h"

#define MAXF 20000

struct pkt {
	unsigned char b[400];
	int len;
};

static struct pkt pk[MAXF];
static int order[MAXF]; /* arrival order: frame index, -1 = lost */

static int encode(unsigned n)
{
	int e;
	OpusEncoder *enc =
		opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &e);
	int16_t pcm[VP_MARKER_FRAME];

	if (!enc)
		return -1;
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(5));
	opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(3));
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	for (unsigned j = 0; j < n; j++) {
		vp_marker_frame(pcm, j, 0.5);
		pk[j].len = opus_encode(enc, pcm, VP_MARKER_FRAME, pk[j].b,
					(opus_int32)sizeof(pk[j].b));
		if (pk[j].len <= 0)
			return -1;
	}
	opus_encoder_destroy(enc);
	return 0;
}

/* Every 37th frame lost alone (FEC can recover it), every 101st with its
 * successor (the first is PLC), every 53rd swapped with its successor. */
static void impair(unsigned n)
{
	for (unsigned j = 0; j < n; j++)
		order[j] = (int)j;
	for (unsigned j = 20; j + 2 < n; j++) {
		if (j % 101 == 0) {
			order[j] = order[j + 1] = -1;
			j++;
		} else if (j % 37 == 0) {
			order[j] = -1;
		} else if (j % 53 == 0 && order[j] >= 0 && order[j + 1] >= 0) {
			order[j] = (int)j + 1;
			order[j + 1] = (int)j;
			j++;
		}
	}
}

static int decode(unsigned n, int rate, FILE *raw, FILE *truth)
{
	int e, fs = rate / 50;
	OpusDecoder *dec = opus_decoder_create(rate, 1, &e);
	int16_t out[960];

	if (!dec)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		const char *how = "normal";
		int k = order[i], got;

		if (k >= 0) {
			got = opus_decode(dec, pk[k].b, pk[k].len, out, fs, 0);
		} else if (i + 1 < n && order[i + 1] == (int)i + 1) {
			got = opus_decode(dec, pk[i + 1].b, pk[i + 1].len, out,
					  fs, 1);
			k = (int)i;
			how = "fec";
		} else {
			got = opus_decode(dec, NULL, 0, out, fs, 0);
			how = "plc";
		}
		if (got != fs)
			return -1;
		fwrite(out, sizeof(int16_t), (size_t)fs, raw);
		if (k >= 0)
			fprintf(truth,
				"{\"slot\":%u,\"frame\":%d,\"how\":\"%s\"}\n",
				i, k, how);
		else
			fprintf(truth,
				"{\"slot\":%u,\"frame\":null,\"how\":\"%s\"}\n",
				i, how);
	}
	opus_decoder_destroy(dec);
	return 0;
}

int main(int argc, char **argv)
{
	FILE *raw, *truth;
	int rate, rc;
	unsigned n;

	if (argc != 5) {
		fprintf(stderr, "usage: load_sigtest RATE FRAMES OUT.raw "
				"TRUTH.jsonl\n");
		return 64;
	}
	rate = atoi(argv[1]);
	n = (unsigned)atoi(argv[2]);
	if ((rate != 16000 && rate != 24000 && rate != 48000) || n < 50 ||
	    n > MAXF) {
		fprintf(stderr,
			"load_sigtest: RATE 16000|24000|48000, FRAMES 50..%d\n",
			MAXF);
		return 64;
	}
	raw = fopen(argv[3], "wb");
	truth = fopen(argv[4], "w");
	if (!raw || !truth || encode(n))
		return 70;
	impair(n);
	rc = decode(n, rate, raw, truth);
	if (fclose(raw) || fclose(truth) || rc)
		return 70;
	return 0;
}
