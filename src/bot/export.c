/* SPDX-License-Identifier: MIT */
/**
 * @file export.c  `vpbot export MDIR [--stream S] --wav FILE`: a meeting
 * one can listen to with one command.
 *
 * The output is a plain 16-bit PCM WAV at the recording's rate and channel
 * count. Its first sample is the meeting's sample 0 (the first instant the
 * gate opened); every chunk is placed at its start_sample, so the time the
 * gate was closed, and any time a stream was absent, is silence. With
 * --stream it holds that one stream; without, every stream summed
 * (saturating at the 16-bit limits) into one mix. The streams of a rerun
 * into the same folder have their own timeline: it is placed after the
 * earliest run by the difference of their timeline_origin_utc. Exports of
 * one meeting therefore all start at the same instant and line up sample
 * for sample.
 *
 * The file is built in place: sized first (a sparse file of zeros is
 * silence), then each chunk is added into its window, in blocks, so memory
 * stays small whatever the meeting's length. A chunk that is missing or
 * does not match its manifest line stops the export (`vpbot verify` says
 * why): a file silently missing a stretch would be worse than none.
 */
#include "src/bot/export.h"
#include "src/bot/export_priv.h"
#include "src/bot/exitcode.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EX_NOINPUT   66
#define EX_CANTCREAT 73
#define WAV_HDR	     44
#define BLOCK	     8192 /* samples per read */

struct export
{
	struct vp_export__folder f;
	const char *stream; /**< NULL: all, mixed */
	const char *out;
	uint32_t rate;
	uint16_t channels;
	uint64_t base_ns; /**< the earliest run's sample 0 */
	uint64_t frames;  /**< output length */
	unsigned nstreams, nchunks, bad;
	int fd;
};

static void on_load_problem(const char *msg, void *arg)
{
	struct export *x = arg;

	fprintf(stderr, "vpbot: %s\n", msg);
	x->bad++;
}

static bool wanted(const struct export *x, const struct vp_export__chunk *c)
{
	return !x->stream || !strcmp(x->stream, c->l.stream);
}

/* Where chunk c's first frame lands in the output. */
static uint64_t place(const struct export *x, const struct vp_export__chunk *c)
{
	uint64_t o = vp_export__origin_ns(&x->f, c->run), off = 0;

	if (o > x->base_ns)
		off = (o - x->base_ns) / 1000 * x->rate / 1000000;
	return off + c->l.start_sample;
}

/* Rate, channels, the time base and the length, over the chosen chunks. */
static int plan(struct export *x)
{
	const struct vp_export__chunk *c;

	for (size_t i = 0; i < x->f.n; i++) {
		c = &x->f.c[i];
		if (!wanted(x, c))
			continue;
		if (x->nchunks &&
		    (c->l.rate != x->rate || c->l.channels != x->channels)) {
			fprintf(stderr,
				"vpbot: %s is %u Hz x %u, the others "
				"%u Hz x %u: export one --stream at a time\n",
				c->l.file, c->l.rate, c->l.channels, x->rate,
				x->channels);
			return VP_EXIT_DATAERR;
		}
		x->rate = c->l.rate;
		x->channels = c->l.channels;
		uint64_t o = vp_export__origin_ns(&x->f, c->run);
		if (o && (!x->base_ns || o < x->base_ns))
			x->base_ns = o;
		x->nchunks++;
	}
	if (!x->nchunks) {
		fprintf(stderr, "vpbot: %s has no chunk%s%s\n", x->f.mdir,
			x->stream ? " of stream " : "",
			x->stream ? x->stream : "");
		return VP_EXIT_DATAERR;
	}
	for (size_t i = 0; i < x->f.n; i++) {
		c = &x->f.c[i];
		if (wanted(x, c) && place(x, c) + c->l.samples > x->frames)
			x->frames = place(x, c) + c->l.samples;
	}
	if (WAV_HDR + x->frames * x->channels * 2 > UINT32_MAX) {
		fprintf(stderr,
			"vpbot: %llu frames are more than a WAV file "
			"holds (4 GiB): export one --stream at a time\n",
			(unsigned long long)x->frames);
		return VP_EXIT_DATAERR;
	}
	return 0;
}

static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

/* RIFF/WAVE, PCM 16-bit (RFC 2361 §3). */
static int write_header(struct export *x)
{
	uint32_t data = (uint32_t)(x->frames * x->channels * 2);
	uint8_t h[WAV_HDR];

	memcpy(h, "RIFF\0\0\0\0WAVEfmt ", 16);
	le32(h + 4, WAV_HDR - 8 + data);
	le32(h + 16, 16);
	le16(h + 20, 1);
	le16(h + 22, x->channels);
	le32(h + 24, x->rate);
	le32(h + 28, x->rate * x->channels * 2);
	le16(h + 32, x->channels * 2u);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, data);
	if (pwrite(x->fd, h, WAV_HDR, 0) != WAV_HDR)
		return errno ? errno : EIO;
	if (ftruncate(x->fd, (off_t)(WAV_HDR + (uint64_t)data)))
		return errno;
	return 0;
}

static int16_t sat_add(int16_t a, int16_t b)
{
	int32_t s = (int32_t)a + b;

	return (int16_t)(s > INT16_MAX	 ? INT16_MAX
			 : s < INT16_MIN ? INT16_MIN
					 : s);
}

/* Add n bytes of chunk data at src_off into the output at dst_off. */
static int mix_block(struct export *x, int in, off_t src_off, off_t dst_off,
		     size_t n)
{
	int16_t a[BLOCK * 2], b[BLOCK * 2];
	size_t k = n / 2;

	if (pread(in, a, n, src_off) != (ssize_t)n ||
	    pread(x->fd, b, n, dst_off) != (ssize_t)n)
		return errno ? errno : EIO;
	for (size_t i = 0; i < k; i++)
		b[i] = sat_add(b[i], a[i]);
	if (pwrite(x->fd, b, n, dst_off) != (ssize_t)n)
		return errno ? errno : EIO;
	return 0;
}

/* The chunk must be what its line says, or the export stops. */
static int open_chunk(struct export *x, const struct vp_export__chunk *c,
		      struct vp_pcm_chunk_info *ci)
{
	char path[PATH_MAX + VP_PCM_FILE_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", x->f.mdir, c->l.file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		fprintf(stderr, "vpbot: %s: %s\n", c->l.file, strerror(errno));
		return -1;
	}
	if (vp_pcm_chunk_probe(ci, fd) || ci->file_bytes != c->l.bytes ||
	    ci->data_bytes != c->l.samples * c->l.channels * 2 ||
	    ci->data_off + ci->data_bytes > ci->file_bytes ||
	    ci->start_sample != c->l.start_sample ||
	    strcmp(ci->stream, c->l.stream) || ci->rate != c->l.rate) {
		fprintf(stderr,
			"vpbot: %s does not match manifest line %u "
			"(`vpbot verify %s` says how)\n",
			c->l.file, c->lineno, x->f.mdir);
		close(fd);
		return -1;
	}
	return fd;
}

static int add_chunk(struct export *x, const struct vp_export__chunk *c)
{
	const size_t fb = (size_t)x->channels * 2, step = BLOCK * 2;
	struct vp_pcm_chunk_info ci;
	uint64_t left = c->l.samples * fb, done = 0;
	off_t dst = (off_t)(WAV_HDR + place(x, c) * fb);
	int fd = open_chunk(x, c, &ci), err = 0;

	if (fd < 0)
		return EBADMSG;
	while (!err && left) {
		size_t n = left < step ? (size_t)left : step;

		err = mix_block(x, fd, (off_t)(ci.data_off + done),
				dst + (off_t)done, n);
		done += n;
		left -= n;
	}
	close(fd);
	if (err)
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(err));
	return err;
}

static int build(struct export *x)
{
	int err;

	x->fd = open(x->out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (x->fd < 0) {
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(errno));
		return EX_CANTCREAT;
	}
	err = write_header(x);
	if (err)
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(err));
	for (size_t i = 0; !err && i < x->f.n; i++)
		if (wanted(x, &x->f.c[i]))
			err = add_chunk(x, &x->f.c[i]);
	if (close(x->fd) && !err)
		err = errno;
	if (err) {
		unlink(x->out); /* half a meeting is not an export */
		return err == EBADMSG ? VP_EXIT_DATAERR : EX_CANTCREAT;
	}
	return 0;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"vpbot: %s\nusage: vpbot export OUT/MEETING-ID "
		"[--stream S] --wav FILE\n",
		why);
	return VP_EXIT_USAGE;
}

int vp_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"stream", required_argument, NULL, 's'},
		{"wav", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct export x = {.fd = -1};
	int c, err, code;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			x.stream = optarg;
		else if (c == 'w')
			x.out = optarg;
		else
			return usage("bad option");
	}
	if (optind + 1 != argc)
		return usage("export needs exactly one meeting folder");
	if (!x.out)
		return usage("export needs --wav FILE");
	err = vp_export__load(&x.f, argv[optind], on_load_problem, &x);
	if (err) {
		fprintf(stderr, "vpbot: %s: %s\n", argv[optind],
			err == ENOENT ? "no such meeting folder (or no "
					"manifest.jsonl)"
				      : strerror(err));
		return err == ENOENT ? EX_NOINPUT : VP_EXIT_SOFTWARE;
	}
	code = x.bad ? VP_EXIT_DATAERR : plan(&x);
	if (!code)
		code = build(&x);
	if (!code)
		printf("%s: %u chunk(s), %.3f s at %u Hz x %u%s\n", x.out,
		       x.nchunks, (double)x.frames / x.rate, x.rate, x.channels,
		       x.stream ? "" : ", all streams mixed");
	vp_export__free(&x.f);
	return code;
}
