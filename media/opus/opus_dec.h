/* SPDX-License-Identifier: MIT */
/**
 * @file opus_dec.h  Opus decoding at the requested rate (libopus decodes
 * directly at 8/12/16/24/48 kHz, no resampling), with in-band FEC and PLC
 * for lost packets. Pure: no threads, no clocks.
 *
 * Output is interleaved int16 PCM; a "frame" is one sample per channel.
 */
#ifndef VP_MEDIA_OPUS_DEC_H
#define VP_MEDIA_OPUS_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_opus_dec;

/**
 * Create a decoder.
 * @param dp       receives the decoder (vp_mem_deref() to free)
 * @param rate     output rate: 8000, 12000, 16000, 24000 or 48000
 * @param channels 1 or 2 (a mono stream is upmixed, stereo downmixed)
 * @return 0, EINVAL (rate, channels or NULL) or ENOMEM
 */
int vp_opus_dec_alloc(struct vp_opus_dec **dp, uint32_t rate,
		      unsigned channels);

/**
 * Decode one packet (RFC 6716 section 3).
 * @param d          decoder
 * @param pl         packet (TOC byte first), len >= 1
 * @param len        packet length
 * @param pcm        output, max_frames * channels samples
 * @param max_frames room in pcm, in frames
 * @param frames     receives the number of frames written
 * @return 0, EINVAL (NULL, len 0, or pcm too small for the packet),
 *         EBADMSG (malformed packet: nothing written, decoder unchanged),
 *         ENOMEM or EPROTO (other libopus failure)
 */
int vp_opus_decode(struct vp_opus_dec *d, const uint8_t *pl, size_t len,
		   int16_t *pcm, size_t max_frames, size_t *frames);

/**
 * Conceal a lost packet of dur48 samples (48 kHz clock, as the RTP ts).
 * If next_pl (the packet after the loss) carries in-band FEC (SILK LBRR,
 * RFC 6716 section 4.2.4) and dur48 covers its frame size, the last frame
 * of the gap is recovered from it and *fec is true; the rest (or all) is
 * packet loss concealment and *fec is false. Call this BEFORE decoding
 * next_pl itself.
 *
 * Writes exactly dur48 * rate / 48000 frames; when that is fractional the
 * remainder is carried to the next call, so the sum over calls is exact.
 * @param next_pl may be NULL (no next packet: PLC)
 * @return 0, EINVAL (NULL or pcm too small) or ENOMEM / EPROTO (libopus);
 *         a malformed next_pl is not an error: PLC is used instead
 */
int vp_opus_conceal(struct vp_opus_dec *d, const uint8_t *next_pl,
		    size_t next_len, uint32_t dur48, int16_t *pcm,
		    size_t max_frames, size_t *frames, bool *fec);

/**
 * Frames a conceal call for dur48 will write, including the carried
 * remainder (to size pcm). 0 for NULL d.
 */
size_t vp_opus_conceal_frames(const struct vp_opus_dec *d, uint32_t dur48);

/**
 * Duration of a packet from its TOC and frame count (RFC 6716 section 3.1);
 * the frame lengths are checked too (section 3.4).
 * @return samples at 48 kHz (120..5760), or -EBADMSG for a malformed or
 *         empty packet
 */
int vp_opus_packet_dur48(const uint8_t *pl, size_t len);

/**
 * @return true if the packet's first frame carries LBRR (in-band FEC) data
 *         for the previous packet; false for CELT-only or malformed packets
 */
bool vp_opus_packet_has_fec(const uint8_t *pl, size_t len);

#endif
