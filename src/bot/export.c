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
 * The file is built beside FILE under a temporary name and renamed over
 * it when complete: a failed export leaves FILE as it was. It is sized
 * first (a sparse file of zeros is silence), then written in windows of
 * BLOCK frames: each window sums the chunks that overlap it in 32 bits and
 * saturates once, so the mix does not depend on the order of the streams,
 * and memory stays small whatever the meeting's length. A chunk that is
 * missing or does not match its manifest line stops the export (`vpbot
 * verify` says why): a file silently missing a stretch would be worse than
 * none. FILE may not lie inside the meeting folder: an export never
 * touches the recording.
 */
#include "src/bot/export.h"
#include "src/bot/export_priv.h"
#include "src/bot/exitcode.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Rate, channels and the length over the chosen chunks; the time base. */
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
		x->nchunks++;
	}
	/* the earliest run of the meeting, not of the chosen stream: a
	 * rerun's stream exported alone lines up with the mix */
	for (size_t i = 0; i < x->f.n; i++) {
		uint64_t o = vp_export__origin_ns(&x->f, x->f.c[i].run);

		if (o && (!x->base_ns || o < x->base_ns))
			x->base_ns = o;
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

/* A chosen chunk's place in the output, and its file while it is read. */
struct span {
	const struct vp_export__chunk *c;
	uint64_t at, end; /* output frames [at, end) */
	off_t data_off;
	int fd;
};

static int by_at(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* Add the part of span s inside [w0, w0 + n) into acc. */
static int add_part(struct export *x, const struct span *s, uint64_t w0,
		    uint64_t n, int32_t *acc, int16_t *tmp)
{
	const size_t ch = x->channels;
	uint64_t from = s->at > w0 ? s->at : w0;
	uint64_t to = s->end < w0 + n ? s->end : w0 + n;
	size_t bytes = (size_t)(to - from) * ch * 2;
	off_t src = s->data_off + (off_t)((from - s->at) * ch * 2);

	if (pread(s->fd, tmp, bytes, src) != (ssize_t)bytes)
		return errno ? errno : EIO;
	for (size_t i = 0, k = (size_t)(from - w0) * ch; i < bytes / 2; i++)
		acc[k + i] += tmp[i];
	return 0;
}

/* Write the output's frames window by window; sp sorted by at. */
static int mix(struct export *x, struct span *sp, size_t n)
{
	const size_t ch = x->channels, fb = ch * 2;
	int32_t *acc = vp_malloc(BLOCK * ch * sizeof(*acc));
	int16_t *tmp = vp_malloc(BLOCK * fb), *out = vp_malloc(BLOCK * fb);
	size_t next = 0, first = 0; /* sp[first, next): opened */
	int err = acc && tmp && out ? 0 : ENOMEM;

	for (uint64_t w0 = 0; !err && w0 < x->frames; w0 += BLOCK) {
		uint64_t wn = x->frames - w0 < BLOCK ? x->frames - w0 : BLOCK;
		bool any = false;

		for (; next < n && sp[next].at < w0 + wn; next++) {
			struct vp_pcm_chunk_info ci;

			sp[next].fd = open_chunk(x, sp[next].c, &ci);
			if (sp[next].fd < 0) {
				err = EBADMSG;
				break;
			}
			sp[next].data_off = (off_t)ci.data_off;
		}
		memset(acc, 0, (size_t)wn * ch * sizeof(*acc));
		for (size_t i = first; !err && i < next; i++) {
			if (sp[i].fd < 0 || sp[i].end <= w0)
				continue;
			err = add_part(x, &sp[i], w0, wn, acc, tmp);
			any = true;
		}
		if (!err && any) { /* else: the sparse zeros stay */
			for (size_t i = 0; i < (size_t)wn * ch; i++)
				out[i] =
					(int16_t)(acc[i] > INT16_MAX ? INT16_MAX
						  : acc[i] < INT16_MIN
							  ? INT16_MIN
							  : acc[i]);
			if (pwrite(x->fd, out, (size_t)wn * fb,
				   (off_t)(WAV_HDR + w0 * fb)) !=
			    (ssize_t)(wn * fb))
				err = errno ? errno : EIO;
		}
		for (size_t i = first; i < next; i++)
			if (sp[i].fd >= 0 && sp[i].end <= w0 + wn) {
				close(sp[i].fd);
				sp[i].fd = -1;
			}
		while (first < next && sp[first].fd < 0)
			first++;
	}
	for (size_t i = first; i < next; i++)
		if (sp[i].fd >= 0)
			close(sp[i].fd);
	free(acc);
	free(tmp);
	free(out);
	return err;
}

/* FILE inside the meeting folder could replace a chunk or its manifest. */
static bool inside_folder(const char *mdir, const char *out)
{
	char md[PATH_MAX], od[PATH_MAX], *dup = vp_strdup(out);
	size_t n;
	bool in;

	if (!dup || !realpath(mdir, md) || !realpath(dirname(dup), od)) {
		free(dup);
		return false; /* open/rename will say what is wrong */
	}
	free(dup);
	n = strlen(md);
	in = !strncmp(od, md, n) && (od[n] == '\0' || od[n] == '/');
	return in;
}

static int build(struct export *x)
{
	char tmpf[PATH_MAX];
	struct span *sp = vp_calloc(x->nchunks, sizeof(*sp));
	struct stat old;
	size_t n = 0;
	mode_t mode;
	int err;

	if (!sp)
		return VP_EXIT_SOFTWARE;
	for (size_t i = 0; i < x->f.n; i++)
		if (wanted(x, &x->f.c[i])) {
			sp[n] = (struct span){.c = &x->f.c[i],
					      .at = place(x, &x->f.c[i]),
					      .fd = -1};
			sp[n].end = sp[n].at + x->f.c[i].l.samples;
			n++;
		}
	qsort(sp, n, sizeof(*sp), by_at);
	if (snprintf(tmpf, sizeof(tmpf), "%s.XXXXXX", x->out) >=
	    (int)sizeof(tmpf)) {
		free(sp);
		fprintf(stderr, "vpbot: %s: %s\n", x->out,
			strerror(ENAMETOOLONG));
		return EX_CANTCREAT;
	}
	x->fd = mkostemp(tmpf, O_CLOEXEC);
	if (x->fd < 0) {
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(errno));
		free(sp);
		return EX_CANTCREAT;
	}
	/* a FILE replaced keeps its mode (a link at FILE is replaced, not
	 * followed: the export writes nothing outside the file it names) */
	if (!lstat(x->out, &old) && S_ISREG(old.st_mode)) {
		mode = old.st_mode & 07777;
	} else {
		mode = umask(0);
		umask(mode);
		mode = 0644 & ~mode;
	}
	err = fchmod(x->fd, mode) ? errno : 0;
	if (!err)
		err = write_header(x);
	if (err)
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(err));
	if (!err) {
		err = mix(x, sp, n);
		if (err && err != EBADMSG)
			fprintf(stderr, "vpbot: %s: %s\n", x->out,
				strerror(err));
	}
	free(sp);
	if (!err && fsync(x->fd))
		err = errno;
	if (close(x->fd) && !err)
		err = errno;
	if (!err && rename(tmpf, x->out)) {
		err = errno;
		fprintf(stderr, "vpbot: %s: %s\n", x->out, strerror(err));
	}
	if (err) {
		unlink(tmpf); /* half a meeting is not an export */
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
	if (inside_folder(x.f.mdir, x.out)) {
		vp_export__free(&x.f);
		return usage("--wav FILE must be outside the meeting folder "
			     "(an export never touches the recording)");
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
