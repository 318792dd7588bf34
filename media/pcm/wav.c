/* SPDX-License-Identifier: MIT */
/**
 * @file wav.c  RIFF/WAVE header of a chunk file: fmt, our "vpbt" metadata
 * chunk, data. Layout per the Microsoft RIFF/WAVE spec (1991) as summed up
 * in RFC 2361 §3: little-endian chunk sizes, chunks padded to even length,
 * readers skip chunk ids they do not know (so players ignore "vpbt").
 */
#include "media/pcm/pcm_priv.h"
#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAVE_FORMAT_PCM 1
#define FMT_LEN		16
#define BITS		16

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | ((uint32_t)get_le16(p + 2) << 16);
}

static char *meta_json(const struct vp_pcm__meta *meta)
{
	char utc[32];
	json_t *o;
	char *s;

	if (vp_clock_rfc3339(utc, sizeof(utc), meta->start_utc_ns))
		return NULL;
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:s}", "stream",
		      meta->stream, "seq", (json_int_t)meta->seq,
		      "start_sample", (json_int_t)meta->start_sample, "rate",
		      (json_int_t)meta->rate, "channels",
		      (json_int_t)meta->channels, "start_utc", utc,
		      "start_utc_ns", (json_int_t)meta->start_utc_ns,
		      "utc_source", vp_pcm__src_name(meta->src));
	if (!o)
		return NULL;
	s = vp_json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int vp_pcm__wav_header(uint8_t *buf, size_t *lenp,
		       const struct vp_pcm__meta *meta)
{
	uint32_t block = (uint32_t)meta->channels * (BITS / 8);
	size_t jlen, vlen, off;
	char *js;

	js = meta_json(meta);
	if (!js)
		return ENOMEM;
	jlen = strlen(js);
	vlen = jlen + (jlen & 1); /* pad with a space: no pad byte needed */
	if (12 + 8 + FMT_LEN + 8 + vlen + 8 > VP_PCM_HDR_MAX) {
		free(js);
		return EINVAL;
	}
	memcpy(buf, "RIFF\0\0\0\0WAVEfmt ", 16);
	put_le32(buf + 16, FMT_LEN);
	put_le16(buf + 20, WAVE_FORMAT_PCM);
	put_le16(buf + 22, meta->channels);
	put_le32(buf + 24, meta->rate);
	put_le32(buf + 28, meta->rate * block);
	put_le16(buf + 32, (uint16_t)block);
	put_le16(buf + 34, BITS);
	memcpy(buf + 36, "vpbt", 4);
	put_le32(buf + 40, (uint32_t)vlen);
	memcpy(buf + 44, js, jlen);
	if (vlen > jlen)
		buf[44 + jlen] = ' ';
	off = 44 + vlen;
	memcpy(buf + off, "data\0\0\0\0", 8);
	*lenp = off + 8;
	free(js);
	return 0;
}

static int json_u64(json_t *o, const char *key, uint64_t max, uint64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max)
		return EBADMSG;
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int meta_parse(struct vp_pcm__meta *meta, const uint8_t *p, size_t n)
{
	uint64_t seq, rate, ch;
	const char *id, *src;
	json_t *o;
	int err;

	o = vp_json_loadb((const char *)p, n, 0, NULL, &err);
	if (!o) /* ENOMEM is not a bad chunk: recovery must not park it */
		return err;
	id = json_string_value(json_object_get(o, "stream"));
	src = json_string_value(json_object_get(o, "utc_source"));
	err = (!id || !vp_pcm_stream_id_valid(id)) ? EBADMSG : 0;
	err = err ? err : json_u64(o, "seq", UINT32_MAX, &seq);
	err = err ? err
		  : json_u64(o, "start_sample", INT64_MAX, &meta->start_sample);
	err = err ? err : json_u64(o, "rate", UINT32_MAX, &rate);
	err = err ? err : json_u64(o, "channels", 2, &ch);
	err = err ? err
		  : json_u64(o, "start_utc_ns", INT64_MAX, &meta->start_utc_ns);
	if (!err) {
		strcpy(meta->stream, id); /* length checked by id_valid */
		meta->seq = (uint32_t)seq;
		meta->rate = (uint32_t)rate;
		meta->channels = (uint16_t)ch;
		meta->src = vp_pcm__src_parse(src);
	}
	json_decref(o);
	return err;
}

int vp_pcm__wav_parse(int fd, struct vp_pcm__meta *meta, uint64_t *data_offp)
{
	uint8_t buf[VP_PCM_HDR_MAX];
	uint16_t ch = 0;
	uint32_t rate = 0, sz;
	bool have_meta = false;
	size_t pos = 12;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return errno;
	if (n < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4))
		return EBADMSG;
	while (pos + 8 <= (size_t)n) {
		sz = get_le32(buf + pos + 4);
		if (!memcmp(buf + pos, "data", 4))
			break;
		if (sz > (size_t)n - pos - 8)
			return EBADMSG; /* fmt and vpbt fit in our header */
		if (!memcmp(buf + pos, "fmt ", 4) && sz >= FMT_LEN &&
		    get_le16(buf + pos + 8) == WAVE_FORMAT_PCM &&
		    get_le16(buf + pos + 22) == BITS) {
			ch = get_le16(buf + pos + 10);
			rate = get_le32(buf + pos + 12);
		} else if (!memcmp(buf + pos, "vpbt", 4)) {
			int err = meta_parse(meta, buf + pos + 8, sz);

			if (err)
				return err; /* ENOMEM is not a bad chunk */
			have_meta = true;
		}
		pos += 8 + sz + (sz & 1);
	}
	if (pos + 8 > (size_t)n || !have_meta || !rate || !ch ||
	    meta->rate != rate || meta->channels != ch)
		return EBADMSG;
	*data_offp = pos + 8;
	return 0;
}

static int put_at(int fd, const uint8_t *b, off_t off)
{
	ssize_t r = pwrite(fd, b, 4, off);

	if (r < 0)
		return errno;
	return r == 4 ? 0 : EIO;
}

int vp_pcm__wav_patch(int fd, uint64_t data_off, uint64_t data_bytes)
{
	uint8_t b[4];
	int err;

	if (data_off < 12 || data_off + data_bytes - 8 > UINT32_MAX)
		return EINVAL;
	put_le32(b, (uint32_t)(data_off + data_bytes - 8));
	err = put_at(fd, b, 4);
	if (err)
		return err;
	put_le32(b, (uint32_t)data_bytes);
	return put_at(fd, b, (off_t)data_off - 4);
}

int vp_pcm_chunk_header(uint8_t *buf, size_t *lenp, const char *stream,
			uint32_t rate)
{
	struct vp_pcm__meta m = {.rate = rate, .channels = 1};

	if (!buf || !lenp || !stream || !vp_pcm_stream_id_valid(stream) ||
	    rate < 8000 || rate > 48000)
		return EINVAL;
	snprintf(m.stream, sizeof(m.stream), "%s", stream);
	return vp_pcm__wav_header(buf, lenp, &m);
}

int vp_pcm_chunk_sizes(int fd, size_t hdr_len, uint64_t data_bytes)
{
	return vp_pcm__wav_patch(fd, hdr_len, data_bytes);
}
