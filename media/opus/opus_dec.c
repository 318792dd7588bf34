/* SPDX-License-Identifier: MIT */
/**
 * @file opus_dec.c  libopus adapter: decode, in-band FEC, PLC (RFC 6716).
 * The only file that calls into libopus; its codes are mapped in map_err().
 */
#define VP_LOG_MODULE "opus"

#include "media/opus/opus_dec.h"

#include <errno.h>
#include <limits.h>
#include <opus/opus.h>
#include <string.h>

#include "src/core/log.h"
#include "src/core/mem.h"

#define RATE48 48000u
/* RFC 6716 section 2.1.4: frames are 2.5, 5, 10, 20, 40 or 60 ms, and
 * libopus conceals in multiples of 2.5 ms (rate / 400 frames) */
#define STEP_DIV  400u
#define PIECE_DIV 50u /* conceal in pieces of at most 20 ms */
#define STEP48	  (RATE48 / STEP_DIV)

struct vp_opus_dec {
	OpusDecoder *od; /* vp_mem block initialised by opus_decoder_init */
	uint32_t rate;
	unsigned ch;
	uint32_t frac;	/* carried remainder of dur48 * rate, in 1/48000 */
	bool last_celt; /* libopus will not use FEC after a CELT-only frame */
};

/* libopus error codes (opus_defines.h) to our errno vocabulary. BAD_ARG and
 * BUFFER_TOO_SMALL are our caller's bug, hence EINVAL. */
static int map_err(int oerr)
{
	switch (oerr) {
	case OPUS_INVALID_PACKET:
		return EBADMSG;
	case OPUS_ALLOC_FAIL:
		return ENOMEM;
	case OPUS_BAD_ARG:
	case OPUS_BUFFER_TOO_SMALL:
		return EINVAL;
	default:
		vp_log_trace("opus", "libopus: %s", opus_strerror(oerr));
		return EPROTO;
	}
}

/* RFC 6716 section 3.1: TOC configs 16..31 are CELT-only */
static bool toc_is_celt(uint8_t toc)
{
	return (toc >> 3) >= 16;
}

static void dec_destroy(void *data)
{
	struct vp_opus_dec *d = data;

	d->od = vp_mem_deref(d->od); /* plain memory: nothing to close */
}

int vp_opus_dec_alloc(struct vp_opus_dec **dp, uint32_t rate, unsigned channels)
{
	struct vp_opus_dec *d;
	int err = 0, size, oerr;

	if (!dp || (channels != 1 && channels != 2))
		return EINVAL;
	if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 &&
	    rate != 48000)
		return EINVAL;
	d = vp_mem_zalloc(sizeof(*d), dec_destroy);
	if (!d)
		return ENOMEM;
	size = opus_decoder_get_size((int)channels);
	d->od = size > 0 ? vp_mem_zalloc((size_t)size, NULL) : NULL;
	if (!d->od) {
		err = ENOMEM;
		goto out;
	}
	oerr = opus_decoder_init(d->od, (opus_int32)rate, (int)channels);
	if (oerr != OPUS_OK) {
		err = map_err(oerr);
		goto out;
	}
	d->rate = rate;
	d->ch = channels;
out:
	if (err)
		vp_mem_deref(d);
	else
		*dp = d;
	return err;
}

int vp_opus_decode(struct vp_opus_dec *d, const uint8_t *pl, size_t len,
		   int16_t *pcm, size_t max_frames, size_t *frames)
{
	int n, ret;

	if (!d || !pl || !len || !pcm || !frames)
		return EINVAL;
	if (len > INT32_MAX)
		return EBADMSG;
	n = opus_decoder_get_nb_samples(d->od, pl, (opus_int32)len);
	if (n < 0)
		return map_err(n);
	if (n == 0)
		return EBADMSG; /* RFC 6716 3.2.5 [R5]: at least one frame */
	if ((size_t)n > max_frames)
		return EINVAL;
	ret = opus_decode(d->od, pl, (opus_int32)len, pcm, n, 0);
	if (ret < 0)
		return map_err(ret);
	d->last_celt = toc_is_celt(pl[0]);
	*frames = (size_t)ret;
	return 0;
}

/* PLC for exactly n frames: pieces of <= 20 ms in 2.5 ms multiples; a
 * remainder below 2.5 ms comes from one more 2.5 ms piece, cut short. */
static int plc(struct vp_opus_dec *d, int16_t *pcm, size_t n)
{
	const size_t step = d->rate / STEP_DIV, piece = d->rate / PIECE_DIV;
	int16_t scratch[STEP48 * 2];
	int ret;

	while (n >= step) {
		size_t k = n - n % step;

		if (k > piece)
			k = piece;
		ret = opus_decode(d->od, NULL, 0, pcm, (int)k, 0);
		if (ret < 0)
			return map_err(ret);
		if (ret == 0 || (size_t)ret > k)
			return EPROTO;
		pcm += (size_t)ret * d->ch;
		n -= (size_t)ret;
	}
	if (!n)
		return 0;
	ret = opus_decode(d->od, NULL, 0, scratch, (int)step, 0);
	if (ret < 0)
		return map_err(ret);
	if ((size_t)ret < n)
		return EPROTO;
	memcpy(pcm, scratch, n * d->ch * sizeof(*pcm));
	return 0;
}

size_t vp_opus_conceal_frames(const struct vp_opus_dec *d, uint32_t dur48)
{
	if (!d)
		return 0;
	return (size_t)(((uint64_t)dur48 * d->rate + d->frac) / RATE48);
}

/* Frames of the next packet that FEC can recover into an n-frame gap. */
static size_t fec_frames(const struct vp_opus_dec *d, const uint8_t *next,
			 size_t next_len, size_t n)
{
	int spf;

	if (!next || d->last_celt || !vp_opus_packet_has_fec(next, next_len))
		return 0;
	spf = opus_packet_get_samples_per_frame(next, (opus_int32)d->rate);
	if (spf <= 0 || (size_t)spf > n)
		return 0;
	return (size_t)spf;
}

int vp_opus_conceal(struct vp_opus_dec *d, const uint8_t *next_pl,
		    size_t next_len, uint32_t dur48, int16_t *pcm,
		    size_t max_frames, size_t *frames, bool *fec)
{
	size_t n, nfec;
	int err, ret;

	if (!d || !pcm || !frames || !fec)
		return EINVAL;
	n = vp_opus_conceal_frames(d, dur48);
	if (n > max_frames)
		return EINVAL;
	nfec = fec_frames(d, next_pl, next_len, n);
	/* libopus does the same: PLC up to the last frame, then FEC */
	err = plc(d, pcm, n - nfec);
	if (err)
		return err;
	if (nfec) {
		ret = opus_decode(d->od, next_pl, (opus_int32)next_len,
				  pcm + (n - nfec) * d->ch, (int)nfec, 1);
		if (ret != (int)nfec) {
			/* malformed next packet: conceal instead */
			err = plc(d, pcm + (n - nfec) * d->ch, nfec);
			nfec = 0;
		}
	}
	if (err)
		return err;
	d->frac = (uint32_t)(((uint64_t)dur48 * d->rate + d->frac) % RATE48);
	*frames = n;
	*fec = nfec > 0;
	return 0;
}

int vp_opus_packet_dur48(const uint8_t *pl, size_t len)
{
	const unsigned char *fr[48];
	opus_int16 sz[48];
	int nf, spf;

	if (!pl || !len || len > INT32_MAX)
		return -EBADMSG;
	/* the TOC alone is not enough: check the frame lengths too
	 * (RFC 6716 section 3.4, requirements R1..R7) */
	nf = opus_packet_parse(pl, (opus_int32)len, NULL, fr, sz, NULL);
	if (nf <= 0)
		return -EBADMSG;
	spf = opus_packet_get_samples_per_frame(pl, (opus_int32)RATE48);
	if (spf <= 0 || nf * spf > 5760) /* R5: at most 120 ms */
		return -EBADMSG;
	return nf * spf;
}

/*
 * RFC 6716 section 4.2.3-4.2.4: a SILK or hybrid frame opens with, per
 * channel, one VAD flag per 20 ms SILK frame and then the LBRR flag, each
 * coded with probability 1/2, i.e. the leading bits of the first byte
 * (libopus 1.5 opus_packet_has_lbrr and WebRTC read them the same way).
 */
bool vp_opus_packet_has_fec(const uint8_t *pl, size_t len)
{
	const unsigned char *fr[48];
	opus_int16 sz[48];
	int nf, spf, silk, chs, c;

	if (!pl || !len || len > INT32_MAX || toc_is_celt(pl[0]))
		return false;
	nf = opus_packet_parse(pl, (opus_int32)len, NULL, fr, sz, NULL);
	if (nf <= 0 || sz[0] == 0)
		return false;
	spf = opus_packet_get_samples_per_frame(pl, (opus_int32)RATE48);
	silk = spf > 960 ? spf / 960 : 1;
	chs = opus_packet_get_nb_channels(pl);
	for (c = 0; c < chs; c++) {
		if (fr[0][0] & (0x80 >> ((c + 1) * (silk + 1) - 1)))
			return true;
	}
	return false;
}
