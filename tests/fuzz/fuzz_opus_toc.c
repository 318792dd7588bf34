/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_opus_toc.c  The Opus packet helpers (TOC, frame count and
 * lengths: RFC 6716 section 3) against libopus's own parser, and the
 * decoder's contract. Input: one Opus packet. Seeds: real packets from
 * libopus's encoder (CELT, SILK with FEC, hybrid, DTX; gen_corpus_opus.py)
 * and hand-made codes 0-3 with padding.
 *
 * Oracles (abort on violation):
 *  - vp_opus_packet_dur48 accepts exactly the packets opus_packet_parse
 *    accepts, and then equals opus_packet_get_nb_samples at 48 kHz;
 *  - has_fec is false for a malformed or CELT-only packet;
 *  - vp_opus_decode of a malformed packet is EBADMSG and writes nothing;
 *    of a well-formed one it writes exactly dur48 * rate / 48000 frames
 *    (or fails EPROTO, never more frames than that).
 */
#include "media/opus/opus_dec.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static int16_t pcm[5760 * 2 + 16];

static void decode_at(const uint8_t *d, size_t n, int dur, uint32_t rate)
{
	struct vp_opus_dec *dec = NULL;
	size_t frames = 12345;
	int e;

	if (vp_opus_dec_alloc(&dec, rate, 1))
		return;
	e = vp_opus_decode(dec, d, n, pcm, 5760, &frames);
	if (dur < 0) {
		ORACLE(e == EBADMSG && frames == 12345);
	} else if (e == 0) {
		ORACLE(frames == (size_t)dur * rate / 48000);
	} else {
		ORACLE(e == EPROTO || e == EBADMSG);
	}
	vp_mem_deref(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const unsigned char *frames[48];
	opus_int16 sizes[48];
	unsigned char toc;
	int off, ref, dur;

	vp_log_set_level(VP_LOG_ERR);
	if (n == 0 || n > 1500)
		return 0;
	dur = vp_opus_packet_dur48(d, n);
	ref = opus_packet_parse(d, (opus_int32)n, &toc, frames, sizes, &off);
	if (ref < 0) {
		ORACLE(dur == -EBADMSG);
		ORACLE(!vp_opus_packet_has_fec(d, n));
	} else {
		ORACLE(dur ==
		       opus_packet_get_nb_samples(d, (opus_int32)n, 48000));
		ORACLE(dur >= 120 && dur <= 5760);
		/* CELT-only (config 16..31) has no LBRR */
		if ((d[0] >> 3) >= 16)
			ORACLE(!vp_opus_packet_has_fec(d, n));
	}
	decode_at(d, n, dur, 48000);
	decode_at(d, n, dur, 16000);
	return 0;
}
