/* SPDX-License-Identifier: MIT */
/** @file test_opus.c  Opus decoder: rates, FEC vs PLC, DTX, corrupt input,
 * stereo, TOC durations. Packets come from libopus's own encoder. */
#include "tests/harness/vtest.h"

#include <errno.h>
#include <opus/opus.h>
#include <stdlib.h>

#include "media/opus/opus_dec.h"
#include "src/core/mem.h"

#define FRAME48 960 /* 20 ms */
#define MAXPKT	1500
#define NPKT	50 /* 1 s */

struct pkt {
	uint8_t b[MAXPKT];
	int len;
};

static const double PI = 3.14159265358979323846;

/* Tone mix: 440 Hz + 0.5 * 1250 Hz, at `rate`. */
static double tone(size_t i, uint32_t rate)
{
	double t = (double)i / rate;

	return 0.3 * sin(2 * PI * 440 * t) + 0.15 * sin(2 * PI * 1250 * t);
}

/* Voice-like steps: a new pitch every 60 ms, so concealment that only
 * extends the past (PLC) is wrong at each step. */
static double steps(size_t i, uint32_t rate)
{
	static const double f[] = {220, 330, 180, 410, 260, 150, 370, 290};
	double t = (double)i / rate;
	size_t seg = (size_t)(t / 0.06);

	return 0.4 * sin(2 * PI * f[seg % 8] * t) *
	       (0.6 + 0.4 * sin(2 * PI * 3 * t));
}

static void gen(int16_t *out, size_t n, unsigned ch, uint32_t rate,
		double (*fn)(size_t, uint32_t))
{
	size_t i;
	unsigned c;

	for (i = 0; i < n; i++)
		for (c = 0; c < ch; c++)
			out[i * ch + c] = (int16_t)(fn(i, rate) * 32767);
}

static OpusEncoder *mkenc(int app, int ch, int bitrate, int fec)
{
	int oerr = 0;
	OpusEncoder *e = opus_encoder_create(48000, ch, app, &oerr);

	VT_EQ(OPUS_OK, oerr);
	opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(fec));
	opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(10));
	opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(10));
	return e;
}

static void encode(OpusEncoder *e, const int16_t *src, unsigned ch,
		   struct pkt *p, size_t npkt, int frame)
{
	size_t i;

	for (i = 0; i < npkt; i++) {
		p[i].len = opus_encode(e, src + i * (size_t)frame * ch, frame,
				       p[i].b, MAXPKT);
		VT_TRUE(p[i].len > 0);
	}
}

/* Normalised correlation of a[i] and b[i + lag] over n samples
 * (stride picks one channel of interleaved data). */
static double corr(const int16_t *a, const int16_t *b, size_t n, size_t lag,
		   unsigned stride)
{
	double ab = 0, aa = 0, bb = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double x = a[i * stride], y = b[(i + lag) * stride];

		ab += x * y;
		aa += x * x;
		bb += y * y;
	}
	return (aa > 0 && bb > 0) ? ab / sqrt(aa * bb) : 0;
}

/* Best correlation over lags 0..maxlag (the decoder delay). */
static double best_corr(const int16_t *src, const int16_t *out, size_t n,
			size_t maxlag, unsigned stride, size_t *lagp)
{
	double best = -2;
	size_t lag;

	for (lag = 0; lag <= maxlag; lag++) {
		double c = corr(src, out, n, lag, stride);

		if (c > best) {
			best = c;
			*lagp = lag;
		}
	}
	return best;
}

VTEST(opus_alloc_rejects_bad_args)
{
	struct vp_opus_dec *d = NULL;

	VT_EQ(EINVAL, vp_opus_dec_alloc(&d, 44100, 1));
	VT_EQ(EINVAL, vp_opus_dec_alloc(&d, 48000, 3));
	VT_EQ(EINVAL, vp_opus_dec_alloc(&d, 48000, 0));
	VT_EQ(EINVAL, vp_opus_dec_alloc(NULL, 48000, 1));
	VT_TRUE(d == NULL);
	VT_EQ(0, vp_opus_dec_alloc(&d, 12000, 1));
	VT_TRUE(d != NULL);
	vp_mem_deref(d);
}

/* Decode the 1 s tone at `rate`; @return correlation with the source. */
static double decode_tone(uint32_t rate, size_t *lagp)
{
	static int16_t src48[NPKT * FRAME48], src[NPKT * FRAME48];
	static int16_t out[NPKT * FRAME48];
	static struct pkt p[NPKT];
	const size_t fr = FRAME48 * rate / 48000;
	struct vp_opus_dec *d = NULL;
	OpusEncoder *e = mkenc(OPUS_APPLICATION_AUDIO, 1, 64000, 1);
	size_t i, n, total = 0;
	double c;

	gen(src48, NPKT * FRAME48, 1, 48000, tone);
	gen(src, NPKT * fr, 1, rate, tone);
	encode(e, src48, 1, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	VT_EQ(0, vp_opus_dec_alloc(&d, rate, 1));
	for (i = 0; i < NPKT; i++) {
		VT_EQ(FRAME48, vp_opus_packet_dur48(p[i].b, (size_t)p[i].len));
		VT_EQ(0, vp_opus_decode(d, p[i].b, (size_t)p[i].len,
					out + total, NPKT * fr - total, &n));
		VT_EQ(fr, n);
		total += n;
	}
	VT_EQ(NPKT * fr, total);
	/* skip the first 100 ms (encoder start-up), search 10 ms of lag */
	c = best_corr(src + fr * 5, out + fr * 5, fr * 40, fr / 2, 1, lagp);
	vp_mem_deref(d);
	return c;
}

VTEST(opus_decode_48k_correlates)
{
	size_t lag = 0;
	double c = decode_tone(48000, &lag);

	printf("  48k corr=%.4f lag=%zu\n", c, lag);
	VT_TRUE(c > 0.99);
	VT_TRUE(lag > 0); /* the decoder has a delay: it was found */
}

VTEST(opus_decode_16k_correlates)
{
	size_t lag = 0;
	double c = decode_tone(16000, &lag);

	printf("  16k corr=%.4f lag=%zu\n", c, lag);
	VT_TRUE(c > 0.98);
}

/* Lose packet `lost` of the step signal and conceal it with or without
 * the next packet; @return correlation with the undamaged decode. */
static double conceal_vs_ref(const struct pkt *p, size_t lost, bool use_next,
			     bool *fecp)
{
	static int16_t ref[FRAME48], out[FRAME48];
	struct vp_opus_dec *a = NULL, *b = NULL;
	size_t i, n;
	double c;

	VT_EQ(0, vp_opus_dec_alloc(&a, 48000, 1));
	VT_EQ(0, vp_opus_dec_alloc(&b, 48000, 1));
	for (i = 0; i <= lost; i++) {
		VT_EQ(0, vp_opus_decode(a, p[i].b, (size_t)p[i].len, ref,
					FRAME48, &n));
		if (i < lost)
			VT_EQ(0, vp_opus_decode(b, p[i].b, (size_t)p[i].len,
						out, FRAME48, &n));
	}
	VT_EQ(0, vp_opus_conceal(b, use_next ? p[lost + 1].b : NULL,
				 (size_t)p[lost + 1].len, FRAME48, out, FRAME48,
				 &n, fecp));
	VT_EQ(FRAME48, n);
	c = corr(ref, out, FRAME48, 0, 1);
	/* the next packet still decodes normally after concealment */
	VT_EQ(0, vp_opus_decode(b, p[lost + 1].b, (size_t)p[lost + 1].len, out,
				FRAME48, &n));
	VT_EQ(FRAME48, n);
	vp_mem_deref(a);
	vp_mem_deref(b);
	return c;
}

VTEST(opus_fec_recovers_lost_packet)
{
	static int16_t src[NPKT * FRAME48];
	static struct pkt p[NPKT];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_VOIP, 1, 24000, 1);
	size_t lost, nfec = 0;
	double cfec = 0, cplc = 0;
	unsigned tried = 0;
	bool fec = false;

	opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	gen(src, NPKT * FRAME48, 1, 48000, steps);
	encode(e, src, 1, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	/* every third 20 ms frame starts a new 60 ms pitch step */
	for (lost = 9; lost + 1 < NPKT; lost += 3) {
		if (!vp_opus_packet_has_fec(p[lost + 1].b,
					    (size_t)p[lost + 1].len))
			continue;
		nfec++;
		cfec += conceal_vs_ref(p, lost, true, &fec);
		VT_TRUE(fec);
		cplc += conceal_vs_ref(p, lost, false, &fec);
		VT_TRUE(!fec);
		tried++;
	}
	VT_TRUE(tried >= 5);
	cfec /= tried;
	cplc /= tried;
	printf("  %u losses: FEC corr=%.3f PLC corr=%.3f\n", tried, cfec, cplc);
	VT_TRUE(cfec > 0.8);
	VT_TRUE(cfec > cplc + 0.2);
}

VTEST(opus_no_fec_means_plc)
{
	static int16_t src[NPKT * FRAME48], out[FRAME48];
	static struct pkt p[NPKT];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_VOIP, 1, 24000, 0);
	struct vp_opus_dec *d = NULL;
	bool fec = true;
	size_t i, n;
	double rms;

	gen(src, NPKT * FRAME48, 1, 48000, steps);
	encode(e, src, 1, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	for (i = 0; i < NPKT; i++)
		VT_TRUE(!vp_opus_packet_has_fec(p[i].b, (size_t)p[i].len));
	VT_EQ(0, vp_opus_dec_alloc(&d, 48000, 1));
	for (i = 0; i < 10; i++)
		VT_EQ(0, vp_opus_decode(d, p[i].b, (size_t)p[i].len, out,
					FRAME48, &n));
	VT_EQ(0, vp_opus_conceal(d, p[11].b, (size_t)p[11].len, FRAME48, out,
				 FRAME48, &n, &fec));
	VT_EQ(FRAME48, n);
	VT_TRUE(!fec);
	/* PLC continues the voice: not silence */
	for (i = 0, rms = 0; i < FRAME48; i++)
		rms += (double)out[i] * out[i];
	VT_TRUE(sqrt(rms / FRAME48) > 300);
	vp_mem_deref(d);
}

VTEST(opus_conceal_lengths_are_exact)
{
	static int16_t out[2 * 5760];
	struct vp_opus_dec *d = NULL;
	size_t n, sum = 0;
	bool fec = true;
	unsigned i;

	VT_EQ(0, vp_opus_dec_alloc(&d, 16000, 2));
	/* 60 ms at 16 kHz stereo, in <= 20 ms pieces */
	VT_EQ(0, vp_opus_conceal(d, NULL, 0, 2880, out, 960, &n, &fec));
	VT_EQ(960, n);
	VT_TRUE(!fec);
	/* 1001 samples at 48 kHz = 333.67 at 16 kHz: remainder carried */
	VT_EQ(333, vp_opus_conceal_frames(d, 1001));
	for (i = 0; i < 3; i++) {
		VT_EQ(0,
		      vp_opus_conceal(d, NULL, 0, 1001, out, 2000, &n, &fec));
		sum += n;
	}
	VT_EQ(1001, sum);
	/* too small a buffer: caller bug, nothing carried */
	VT_EQ(EINVAL, vp_opus_conceal(d, NULL, 0, 960, out, 319, &n, &fec));
	VT_EQ(320, vp_opus_conceal_frames(d, 960));
	VT_EQ(0, vp_opus_conceal(d, NULL, 0, 0, out, 0, &n, &fec));
	VT_EQ(0, n);
	vp_mem_deref(d);
}

VTEST(opus_dtx_encoder_output)
{
	static int16_t src[NPKT * FRAME48], out[FRAME48];
	static struct pkt p[NPKT];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_VOIP, 1, 24000, 1);
	struct vp_opus_dec *d = NULL;
	unsigned tiny = 0;
	size_t i, n, j;
	double energy = 0;

	opus_encoder_ctl(e, OPUS_SET_DTX(1));
	gen(src, 10 * FRAME48, 1, 48000, tone); /* 200 ms tone, then zeros */
	encode(e, src, 1, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	VT_EQ(0, vp_opus_dec_alloc(&d, 48000, 1));
	for (i = 0; i < NPKT; i++) {
		if (p[i].len <= 2)
			tiny++; /* DTX frame: TOC only (RFC 7587 3.1) */
		VT_EQ(FRAME48, vp_opus_packet_dur48(p[i].b, (size_t)p[i].len));
		VT_EQ(0, vp_opus_decode(d, p[i].b, (size_t)p[i].len, out,
					FRAME48, &n));
		VT_EQ(FRAME48, n);
		if (i == NPKT - 1)
			for (j = 0; j < n; j++)
				energy += (double)out[j] * out[j];
	}
	printf("  %u of %d packets DTX, tail rms=%.1f\n", tiny, NPKT,
	       sqrt(energy / FRAME48));
	VT_TRUE(tiny >= 20);
	VT_TRUE(sqrt(energy / FRAME48) < 100); /* comfort noise at most */
	vp_mem_deref(d);
}

VTEST(opus_corrupt_packet_is_ebadmsg)
{
	/* code 3 with a frame count of 0; code 1 with an odd payload;
	 * code 2 whose frame length runs past the end; 160 ms in code 3 */
	static const uint8_t bad[][4] = {
		{0x03, 0x00}, {0x01, 0xAA}, {0x02, 0xFC, 0x01}, {0x1B, 0x08}};
	static const size_t blen[] = {2, 2, 3, 2};
	static int16_t out[5760];
	struct vp_opus_dec *d = NULL;
	uint8_t junk[64];
	size_t i, n = 12345, k;
	int err;

	VT_EQ(0, vp_opus_dec_alloc(&d, 48000, 1));
	for (i = 0; i < 4; i++) {
		VT_EQ(EBADMSG,
		      vp_opus_decode(d, bad[i], blen[i], out, 5760, &n));
		VT_EQ(12345, n); /* out-param untouched */
		VT_EQ(-EBADMSG, vp_opus_packet_dur48(bad[i], blen[i]));
		VT_TRUE(!vp_opus_packet_has_fec(bad[i], blen[i]));
	}
	VT_EQ(EINVAL, vp_opus_decode(d, bad[0], 0, out, 5760, &n));
	VT_EQ(-EBADMSG, vp_opus_packet_dur48(bad[0], 0));
	srand(7);
	for (i = 0; i < 2000; i++) { /* random bytes: error or audio */
		for (k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rand();
		k = 1 + (size_t)rand() % sizeof(junk);
		err = vp_opus_decode(d, junk, k, out, 5760, &n);
		VT_TRUE(err == 0 || err == EBADMSG);
		(void)vp_opus_packet_has_fec(junk, k);
	}
	vp_mem_deref(d);
}

VTEST(opus_decode_buffer_too_small)
{
	static int16_t src[FRAME48], out[FRAME48];
	struct pkt p;
	OpusEncoder *e = mkenc(OPUS_APPLICATION_AUDIO, 1, 32000, 0);
	struct vp_opus_dec *d = NULL;
	size_t n = 0;

	gen(src, FRAME48, 1, 48000, tone);
	encode(e, src, 1, &p, 1, FRAME48);
	opus_encoder_destroy(e);
	VT_EQ(0, vp_opus_dec_alloc(&d, 48000, 1));
	VT_EQ(EINVAL, vp_opus_decode(d, p.b, (size_t)p.len, out, 959, &n));
	VT_EQ(0, vp_opus_decode(d, p.b, (size_t)p.len, out, 960, &n));
	VT_EQ(960, n);
	vp_mem_deref(d);
}

static double left(size_t i, uint32_t rate)
{
	return 0.3 * sin(2 * PI * 440 * (double)i / rate);
}

static double right(size_t i, uint32_t rate)
{
	return 0.3 * sin(2 * PI * 1000 * (double)i / rate);
}

VTEST(opus_stereo_decode)
{
	static int16_t src[NPKT * FRAME48 * 2], out[NPKT * FRAME48 * 2];
	static int16_t l[NPKT * FRAME48], r[NPKT * FRAME48];
	static struct pkt p[NPKT];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_AUDIO, 2, 96000, 0);
	struct vp_opus_dec *d = NULL;
	size_t i, n, total = 0, lag = 0, lag2 = 0;
	double cl, cr, cx = 0;

	gen(l, NPKT * FRAME48, 1, 48000, left);
	gen(r, NPKT * FRAME48, 1, 48000, right);
	for (i = 0; i < NPKT * FRAME48; i++) {
		src[2 * i] = l[i];
		src[2 * i + 1] = r[i];
	}
	encode(e, src, 2, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	VT_EQ(0, vp_opus_dec_alloc(&d, 48000, 2));
	for (i = 0; i < NPKT; i++) {
		VT_EQ(0, vp_opus_decode(d, p[i].b, (size_t)p[i].len,
					out + total * 2, NPKT * FRAME48 - total,
					&n));
		VT_EQ(FRAME48, n);
		total += n;
	}
	cl = best_corr(src + 4800 * 2, out + 4800 * 2, 38400, 480, 2, &lag);
	cr = best_corr(src + 4800 * 2 + 1, out + 4800 * 2 + 1, 38400, 480, 2,
		       &lag2);
	/* left source against the right output: the other tone at any lag
	 * (pure tones make the lag itself ambiguous, so it is not compared) */
	for (i = 0; i <= 480; i++)
		cx = fmax(cx, fabs(corr(src + 4800 * 2, out + 4800 * 2 + 1,
					38400, i, 2)));
	printf("  L=%.4f R=%.4f cross=%.4f\n", cl, cr, cx);
	VT_TRUE(cl > 0.98);
	VT_TRUE(cr > 0.98);
	VT_TRUE(lag > 0 && lag2 > 0);
	VT_TRUE(fabs(cx) < 0.2);
	vp_mem_deref(d);
}

VTEST(opus_dur48_from_toc)
{
	static const int sizes[] = {480, 960, 1920, 2880};
	static int16_t src[2880];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_VOIP, 1, 24000, 0);
	/* RFC 6716 3.1: config 0 (SILK NB 10 ms), code 3 with 6 frames */
	static const uint8_t six10[] = {0x03, 0x06};
	static const uint8_t two60[] = {0x19}; /* cfg 3, code 1, empty */
	struct pkt p;
	unsigned i;

	gen(src, 2880, 1, 48000, tone);
	for (i = 0; i < 4; i++) {
		p.len = opus_encode(e, src, sizes[i], p.b, MAXPKT);
		VT_TRUE(p.len > 0);
		VT_EQ(sizes[i], vp_opus_packet_dur48(p.b, (size_t)p.len));
	}
	opus_encoder_destroy(e);
	VT_EQ(2880, vp_opus_packet_dur48(six10, sizeof(six10)));
	VT_EQ(5760, vp_opus_packet_dur48(two60, sizeof(two60)));
	VT_EQ(-EBADMSG, vp_opus_packet_dur48(NULL, 3));
}

VTEST(opus_fec_into_longer_gap_at_16k)
{
	static int16_t src[NPKT * FRAME48], out[2 * 5760];
	static struct pkt p[NPKT];
	OpusEncoder *e = mkenc(OPUS_APPLICATION_VOIP, 1, 24000, 1);
	struct vp_opus_dec *d = NULL;
	size_t i, n, next = 0;
	bool fec = false;

	gen(src, NPKT * FRAME48, 1, 48000, steps);
	encode(e, src, 1, p, NPKT, FRAME48);
	opus_encoder_destroy(e);
	for (i = 12; i < NPKT && !next; i++)
		if (vp_opus_packet_has_fec(p[i].b, (size_t)p[i].len))
			next = i;
	VT_TRUE(next > 0);
	VT_EQ(0, vp_opus_dec_alloc(&d, 16000, 1));
	for (i = 0; i + 2 < next; i++)
		VT_EQ(0, vp_opus_decode(d, p[i].b, (size_t)p[i].len, out, 320,
					&n));
	/* two packets lost (40 ms): PLC 20 ms, then FEC for the last 20 */
	VT_EQ(0, vp_opus_conceal(d, p[next].b, (size_t)p[next].len, 1920, out,
				 2 * 5760, &n, &fec));
	VT_EQ(640, n);
	VT_TRUE(fec);
	/* a 10 ms piece cannot take a 20 ms FEC frame: PLC */
	VT_EQ(0, vp_opus_conceal(d, p[next].b, (size_t)p[next].len, 480, out,
				 2 * 5760, &n, &fec));
	VT_EQ(160, n);
	VT_TRUE(!fec);
	VT_EQ(0,
	      vp_opus_decode(d, p[next].b, (size_t)p[next].len, out, 320, &n));
	VT_EQ(320, n);
	vp_mem_deref(d);
}
