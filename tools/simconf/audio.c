/* SPDX-License-Identifier: MIT */
/** @file audio.c  Speak item sources and the dump WAV writer. */
#include "tools/simconf/audio.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "src/core/mem.h"
#include "tools/simconf/marker.h"

#define MAX_WAV (512u * 1024 * 1024)

static void clip_destroy(void *data)
{
	struct vp_simconf_clip *c = data;

	vp_mem_deref(c->pcm);
}

static struct vp_simconf_clip *clip_new(size_t n)
{
	struct vp_simconf_clip *c = vp_mem_zalloc(sizeof(*c), clip_destroy);

	if (!c)
		return NULL;
	c->pcm = vp_mem_zalloc(n * sizeof(int16_t) + 2, NULL);
	if (!c->pcm)
		return vp_mem_deref(c);
	c->n = n;
	return c;
}

static int tone(struct vp_simconf_clip **cp, const struct vp_simconf_speak *sp)
{
	size_t n = (size_t)llround(sp->seconds * VP_SIMCONF_RATE);
	struct vp_simconf_clip *c = clip_new(n);

	if (!c)
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		c->pcm[i] = (int16_t)lrint(
			32767.0 * sp->amplitude *
			sin(2 * M_PI * sp->freq * (double)i / VP_SIMCONF_RATE));
	*cp = c;
	return 0;
}

/* Whole marker frames; frame j of the clip carries id j (marker.h).
 * The ids repeat, so one period is stored however long the clip. */
static int marker(struct vp_simconf_clip **cp,
		  const struct vp_simconf_speak *sp)
{
	size_t nf = (size_t)llround(sp->seconds * 50);
	size_t np = nf < VP_MARKER_PERIOD ? nf : VP_MARKER_PERIOD;
	struct vp_simconf_clip *c = clip_new(np * VP_MARKER_FRAME);

	if (!c)
		return ENOMEM;
	for (size_t j = 0; j < np; j++)
		vp_marker_frame(c->pcm + j * VP_MARKER_FRAME, j, sp->amplitude);
	c->n = nf * VP_MARKER_FRAME;
	c->period = np * VP_MARKER_FRAME;
	*cp = c;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Linear interpolation is enough: the clip is only a test signal, and the
 * dump file records the resampled PCM that was really encoded. */
static int resample(struct vp_simconf_clip **cp, const uint8_t *d, size_t in,
		    unsigned rate)
{
	size_t n = (size_t)((double)in * VP_SIMCONF_RATE / rate);
	struct vp_simconf_clip *c = clip_new(n);

	if (!c)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		double pos = (double)i * rate / VP_SIMCONF_RATE;
		size_t j = (size_t)pos;
		double f = pos - (double)j;
		int16_t a = (int16_t)le16(d + 2 * j);
		int16_t b = j + 1 < in ? (int16_t)le16(d + 2 * (j + 1)) : a;

		c->pcm[i] = (int16_t)lrint(a + (b - a) * f);
	}
	*cp = c;
	return 0;
}

int vp_simconf_clip_from_wav(struct vp_simconf_clip **cp, const uint8_t *b,
			     size_t len)
{
	size_t off = 12;
	unsigned rate = 0;

	if (!cp || !b)
		return EINVAL;
	if (len < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
		return EBADMSG;
	while (off + 8 <= len) {
		uint32_t id_len = le32(b + off + 4);
		size_t body = off + 8, n = len - body;

		if (id_len < n)
			n = id_len;
		if (!memcmp(b + off, "fmt ", 4)) {
			uint16_t fmt = n >= 16 ? le16(b + body) : 0;

			/* 1 = PCM, 0xFFFE = WAVE_FORMAT_EXTENSIBLE */
			if ((fmt != 1 && fmt != 0xFFFE) ||
			    le16(b + body + 2) != 1 ||
			    le16(b + body + 14) != 16)
				return EBADMSG;
			rate = le32(b + body + 4);
			if (rate < 4000 || rate > 192000)
				return EBADMSG;
		} else if (!memcmp(b + off, "data", 4)) {
			if (!rate || n / 2 == 0)
				return EBADMSG;
			return resample(cp, b + body, n / 2, rate);
		}
		off = body + id_len + (id_len & 1);
		if (off < body) /* wrapped */
			break;
	}
	return EBADMSG;
}

static int wav_file(struct vp_simconf_clip **cp, const char *path, char *why,
		    size_t whysz)
{
	gchar *buf = NULL;
	gsize len = 0;
	int err;

	if (!g_file_get_contents(path, &buf, &len, NULL)) {
		snprintf(why, whysz, "cannot read %s", path);
		return ENOENT;
	}
	err = len > MAX_WAV ? EBADMSG
			    : vp_simconf_clip_from_wav(cp, (uint8_t *)buf, len);
	if (err == EBADMSG)
		snprintf(why, whysz, "%s is not a 16-bit mono PCM WAV", path);
	g_free(buf);
	return err;
}

/* espeak-ng -w writes a 22050 Hz 16-bit mono WAV with correct sizes
 * (its --stdout header has none); argv, no shell, so any text is safe */
static int speech(struct vp_simconf_clip **cp, const char *text, char *why,
		  size_t whysz)
{
	gchar *tmp = NULL;
	gchar *argv[] = {"espeak-ng", "-w", NULL, "--", (gchar *)text, NULL};
	gint status = 1, fd;
	int err = ENOENT;

	fd = g_file_open_tmp("simconf-XXXXXX.wav", &tmp, NULL);
	if (fd < 0) {
		snprintf(why, whysz, "cannot create a temporary file");
		return ENOENT;
	}
	close(fd);
	argv[2] = tmp;
	if (g_spawn_sync(NULL, argv, NULL,
			 G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				 G_SPAWN_STDERR_TO_DEV_NULL,
			 NULL, NULL, NULL, NULL, &status, NULL) &&
	    g_spawn_check_wait_status(status, NULL))
		err = wav_file(cp, tmp, why, whysz);
	else
		snprintf(why, whysz, "espeak-ng failed for \"%.40s\"", text);
	unlink(tmp);
	g_free(tmp);
	return err;
}

int vp_simconf_clip_load(struct vp_simconf_clip **cp,
			 const struct vp_simconf_speak *sp, const char *dir,
			 char *why, size_t whysz)
{
	char path[4096];

	if (!cp || !sp || !dir)
		return EINVAL;
	switch (sp->kind) {
	case VP_SIMCONF_SRC_TONE:
		return tone(cp, sp);
	case VP_SIMCONF_SRC_MARKER:
		return marker(cp, sp);
	case VP_SIMCONF_SRC_FILE:
		if (sp->file[0] == '/')
			snprintf(path, sizeof(path), "%s", sp->file);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, sp->file);
		return wav_file(cp, path, why, whysz);
	case VP_SIMCONF_SRC_SPEECH:
		return speech(cp, sp->text, why, whysz);
	default:
		return EINVAL;
	}
}

int vp_simconf_wavout_open(struct vp_simconf_wavout *w, const char *path,
			   unsigned rate)
{
	uint8_t h[44] = "RIFF\0\0\0\0WAVEfmt ";

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wb");
	if (!w->f)
		return ENOENT;
	/* fmt chunk: 16 bytes, PCM, mono, rate, byte rate, align 2, 16 bit */
	h[16] = 16;
	h[20] = 1;
	h[22] = 1;
	for (int i = 0; i < 4; i++) {
		h[24 + i] = (uint8_t)(rate >> (8 * i));
		h[28 + i] = (uint8_t)((rate * 2) >> (8 * i));
	}
	h[32] = 2;
	h[34] = 16;
	memcpy(h + 36, "data", 4);
	fwrite(h, 1, sizeof(h), w->f);
	return 0;
}

void vp_simconf_wavout_put(struct vp_simconf_wavout *w, const int16_t *pcm,
			   size_t n)
{
	uint8_t b[2 * 960];

	if (!w->f)
		return;
	while (n) {
		size_t k = n > 960 ? 960 : n;

		for (size_t i = 0; i < k; i++) {
			b[2 * i] = (uint8_t)((uint16_t)pcm[i] & 0xFF);
			b[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
		}
		fwrite(b, 2, k, w->f);
		w->samples += (uint32_t)k;
		pcm += k;
		n -= k;
	}
}

static void put32(FILE *f, long off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	fseek(f, off, SEEK_SET);
	fwrite(b, 1, 4, f);
}

void vp_simconf_wavout_close(struct vp_simconf_wavout *w)
{
	if (!w->f)
		return;
	put32(w->f, 4, 36 + 2 * w->samples);
	put32(w->f, 40, 2 * w->samples);
	fclose(w->f);
	w->f = NULL;
}
