/* SPDX-License-Identifier: MIT */
/**
 * @file verify.c  `vpbot verify MDIR`: the check an operator runs after an
 * incident. It holds the folder to what docs/design.md §5 promises: every
 * manifest line names a complete chunk whose header agrees with the line,
 * a stream's chunks are numbered without holes and follow each other on
 * the timeline (a gap only where the gate was closed, or one longer than
 * VP_TRACK_GAP_BREAK_MS: the stream was absent), nothing on disk is
 * left out of the manifest, and meeting.json knows every stream and, for a
 * run that finished, counted the samples the chunks hold. Each fault is
 * one line naming the file or manifest line; nothing is modified.
 */
#include "src/bot/export.h"
#include "src/bot/export_priv.h"
#include "src/bot/exitcode.h"
#include "src/bot/track.h"
#include "src/core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOLD_MAX 256

struct verify {
	struct vp_export__folder f;
	unsigned problems, warnings;
	uint64_t samples;   /**< in chunks that checked out, all streams */
	const char **names; /**< every line's file, sorted: lookups */
	char told[TOLD_MAX][VP_PCM_ID_MAX + 1]; /**< streams told unknown */
	unsigned ntold;
};

static void problem(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("problem: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	v->problems++;
}

static void warning(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("warning: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	v->warnings++;
}

static void on_load_problem(const char *msg, void *arg)
{
	problem(arg, "%s", msg);
}

/* The header of the file must say what the line says. */
static void check_header(struct verify *v, const struct vp_export__chunk *c,
			 const struct vp_pcm_chunk_info *ci)
{
	const struct vp_pcm_line *l = &c->l;
	uint64_t want = l->samples * l->channels * 2;

	if (ci->file_bytes != l->bytes)
		problem(v,
			"%s: %llu bytes on disk, manifest line %u says "
			"%llu (truncated or replaced?)",
			l->file, (unsigned long long)ci->file_bytes, c->lineno,
			(unsigned long long)l->bytes);
	if (ci->data_off + ci->data_bytes != ci->file_bytes ||
	    ci->riff_bytes + 8 != ci->file_bytes)
		problem(v,
			"%s: WAV header sizes (RIFF %llu, data %llu) do "
			"not match the file's %llu bytes",
			l->file, (unsigned long long)ci->riff_bytes,
			(unsigned long long)ci->data_bytes,
			(unsigned long long)ci->file_bytes);
	else if (ci->data_bytes != want)
		problem(v,
			"%s: holds %llu samples, manifest line %u says "
			"%llu",
			l->file,
			(unsigned long long)(ci->data_bytes / 2 / l->channels),
			c->lineno, (unsigned long long)l->samples);
	if (strcmp(ci->stream, l->stream) || ci->seq != l->seq ||
	    ci->start_sample != l->start_sample || ci->rate != l->rate ||
	    ci->channels != l->channels)
		problem(v,
			"%s: its header is stream %s seq %u start_sample "
			"%llu rate %u channels %u, manifest line %u says %s "
			"seq %u start_sample %llu rate %u channels %u (file "
			"swapped or line edited?)",
			l->file, ci->stream, ci->seq,
			(unsigned long long)ci->start_sample, ci->rate,
			ci->channels, c->lineno, l->stream, l->seq,
			(unsigned long long)l->start_sample, l->rate,
			l->channels);
}

static void check_chunk(struct verify *v, const struct vp_export__chunk *c)
{
	const struct vp_pcm_line *l = &c->l;
	struct vp_pcm_chunk_info ci;
	char want[VP_PCM_FILE_MAX + 32], path[PATH_MAX + VP_PCM_FILE_MAX];
	unsigned before = v->problems;
	int fd, err;

	vp_export__expected_name(want, sizeof(want), l->stream, l->seq);
	if (strcmp(want, l->file))
		problem(v,
			"manifest.jsonl:%u: names %s, but stream %s seq %u "
			"is %s",
			c->lineno, l->file, l->stream, l->seq, want);
	snprintf(path, sizeof(path), "%s/%s", v->f.mdir, l->file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		problem(v, "%s: named by manifest line %u but %s", l->file,
			c->lineno,
			errno == ENOENT ? "missing" : strerror(errno));
		return;
	}
	err = vp_pcm_chunk_probe(&ci, fd);
	close(fd);
	if (err) {
		problem(v, "%s: %s", l->file,
			err == EBADMSG
				? "not a readable vpbot chunk (header damaged)"
				: strerror(err));
		return;
	}
	check_header(v, c, &ci);
	if (v->problems == before)
		v->samples += l->samples;
}

static int by_stream_seq(const void *a, const void *b)
{
	const struct vp_export__chunk *x = a, *y = b;
	int d = strcmp(x->l.stream, y->l.stream);

	if (d)
		return d;
	return x->l.seq < y->l.seq ? -1 : x->l.seq > y->l.seq;
}

/* A stream that restarts further than this after what it last wrote
 * starts a new chunk there (track.h): such a gap is an absence, not a
 * hole. */
static uint64_t gap_break(uint32_t rate)
{
	return (uint64_t)rate * VP_TRACK_GAP_BREAK_MS / 1000;
}

/* Chunk b follows chunk a of the same stream. */
static void check_pair(struct verify *v, const struct vp_export__chunk *a,
		       const struct vp_export__chunk *b)
{
	uint64_t end = a->l.start_sample + a->l.samples;

	if (b->l.seq == a->l.seq) {
		problem(v,
			"manifest.jsonl:%u and :%u: both are stream %s seq "
			"%u",
			a->lineno, b->lineno, a->l.stream, a->l.seq);
		return;
	}
	if (b->l.seq != a->l.seq + 1)
		problem(v,
			"stream %s: seq %u to %u missing (deleted chunk or "
			"manifest line?)",
			a->l.stream, a->l.seq + 1, b->l.seq - 1);
	if (b->l.rate != a->l.rate || b->l.channels != a->l.channels)
		problem(v,
			"stream %s: seq %u is %u Hz x %u, seq %u is %u Hz "
			"x %u",
			a->l.stream, a->l.seq, a->l.rate, a->l.channels,
			b->l.seq, b->l.rate, b->l.channels);
	if (b->l.start_sample < end)
		problem(v,
			"stream %s: seq %u starts at sample %llu, before "
			"seq %u ends (%llu)",
			a->l.stream, b->l.seq,
			(unsigned long long)b->l.start_sample, a->l.seq,
			(unsigned long long)end);
	else if (b->l.start_sample > end &&
		 b->l.start_sample - end <= gap_break(b->l.rate) &&
		 !vp_export__closed_within(&v->f, a->run, end,
					   b->l.start_sample))
		problem(v,
			"stream %s: %llu samples missing between seq %u "
			"(ends at %llu) and seq %u, and the gate was not "
			"closed "
			"then",
			a->l.stream,
			(unsigned long long)(b->l.start_sample - end), a->l.seq,
			(unsigned long long)end, b->l.seq);
}

static void check_streams(struct verify *v, struct vp_export__chunk *s,
			  size_t n)
{
	qsort(s, n, sizeof(*s), by_stream_seq);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(s[i].l.stream, s[i - 1].l.stream)) {
			check_pair(v, &s[i - 1], &s[i]);
			continue;
		}
		if (s[i].l.seq != 0)
			problem(v,
				"stream %s: first chunk is seq %u, seq 0 to "
				"%u missing",
				s[i].l.stream, s[i].l.seq, s[i].l.seq - 1);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Was streams/ID/NAME named by a manifest line? */
static bool named(const struct verify *v, const char *id, const char *name)
{
	char rel[VP_PCM_FILE_MAX + 300];

	const char *key = rel;

	snprintf(rel, sizeof(rel), "streams/%s/%s", id, name);
	return v->f.n && bsearch(&key, v->names, v->f.n, sizeof(*v->names),
				 by_name) != NULL;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

static void check_stream_dir(struct verify *v, const char *id)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/streams/%s", v->f.mdir, id);
	d = opendir(path);
	if (!d) {
		warning(v, "streams/%s: not a folder", id);
		return;
	}
	while ((de = readdir(d))) {
		const char *nm = de->d_name;

		if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
			continue;
		if (ends_with(nm, ".wav.tmp"))
			problem(v,
				"streams/%s/%s: a chunk left in progress by "
				"a crash (the next vpbot run into this meeting "
				"folder recovers it)",
				id, nm);
		else if (ends_with(nm, ".wav.corrupt"))
			warning(v,
				"streams/%s/%s: an unrecoverable chunk a "
				"crash left, kept as evidence",
				id, nm);
		else if (ends_with(nm, ".wav") && !named(v, id, nm))
			problem(v,
				"streams/%s/%s: on disk but in no manifest "
				"line (if a crash came between finishing "
				"it and listing it, the next vpbot run into "
				"this meeting folder lists it)",
				id, nm);
		else if (!ends_with(nm, ".wav"))
			warning(v, "streams/%s/%s: not a file vpbot makes", id,
				nm);
	}
	closedir(d);
}

static void check_disk(struct verify *v)
{
	char path[PATH_MAX + 16];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/streams", v->f.mdir);
	d = opendir(path);
	if (!d) {
		if (v->f.n)
			problem(v, "streams/: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!vp_pcm_stream_id_valid(de->d_name))
			warning(v, "streams/%s: not a stream id", de->d_name);
		else
			check_stream_dir(v, de->d_name);
	}
	closedir(d);
}

/* What the chunks of stream @p id hold, as the track counted it. */
static uint64_t written(const struct verify *v, const char *id, bool *recov,
			uint64_t *nchunks)
{
	uint64_t sum = 0;

	*recov = false;
	*nchunks = 0;
	for (size_t i = 0; i < v->f.n; i++) {
		const struct vp_pcm_line *l = &v->f.c[i].l;

		if (strcmp(l->stream, id))
			continue;
		/* the writer pads gaps with zeros and drops overlaps */
		sum += l->samples - l->gap_samples + l->overlap_samples;
		*recov |= l->recovered;
		(*nchunks)++;
	}
	return sum;
}

static void check_run_stream(struct verify *v, size_t r, json_t *s, bool final)
{
	const char *id = json_string_value(json_object_get(s, "id"));
	json_int_t said = json_integer_value(json_object_get(s, "samples"));
	uint64_t n, sum;
	bool recov;

	if (!id) {
		problem(v, "meeting.json: run %lld has a stream without an id",
			(long long)json_integer_value(
				json_object_get(v->f.runs[r], "run")));
		return;
	}
	sum = written(v, id, &recov, &n);
	if (final && !recov && (uint64_t)said != sum)
		problem(v,
			"stream %s: meeting.json counts %lld samples, its "
			"%llu chunk(s) hold %llu",
			id, (long long)said, (unsigned long long)n,
			(unsigned long long)sum);
}

/* A line's stream must be known to a run (told once per stream). */
static void check_line_run(struct verify *v, const struct vp_export__chunk *c,
			   bool unfinished)
{
	json_t *rate;

	if (c->run < 0) {
		for (unsigned i = 0; i < v->ntold; i++)
			if (!strcmp(v->told[i], c->l.stream))
				return; /* once per stream */
		if (v->ntold < TOLD_MAX)
			strcpy(v->told[v->ntold++], c->l.stream);
		/* a run killed early may not have saved its streams yet */
		if (unfinished)
			warning(v,
				"stream %s (manifest.jsonl:%u) is in no run "
				"of meeting.json; an unfinished run may have "
				"made it",
				c->l.stream, c->lineno);
		else
			problem(v,
				"manifest.jsonl:%u: stream %s is in no run "
				"of meeting.json",
				c->lineno, c->l.stream);
		return;
	}
	rate = json_object_get(v->f.runs[c->run], "rate");
	if (json_is_integer(rate) && json_integer_value(rate) != c->l.rate)
		problem(v, "manifest.jsonl:%u: rate %u, meeting.json says %lld",
			c->lineno, c->l.rate,
			(long long)json_integer_value(rate));
}

static void check_meeting(struct verify *v)
{
	bool unfinished = false;
	const char *state;
	json_t *a, *s;
	size_t i;

	if (!v->f.meeting)
		return;
	for (size_t r = 0; r < v->f.nruns; r++) {
		state = json_string_value(json_object_get(
			json_object_get(v->f.runs[r], "status"), "state"));
		bool final = state && (!strcmp(state, "finished") ||
				       !strcmp(state, "failed"));

		unfinished |= !final;
		if (!final)
			warning(v,
				"meeting.json: run %lld says \"%s\": it did "
				"not finish (crashed, or still running)",
				(long long)json_integer_value(
					json_object_get(v->f.runs[r], "run")),
				state ? state : "nothing");
		a = json_object_get(v->f.runs[r], "streams");
		json_array_foreach(a, i, s) check_run_stream(v, r, s, final);
	}
	for (i = 0; i < v->f.n; i++)
		check_line_run(v, &v->f.c[i], unfinished);
}

static int usage(void)
{
	fprintf(stderr, "usage: vpbot verify OUT/MEETING-ID\n");
	return VP_EXIT_USAGE;
}

int vp_verify_main(int argc, char **argv)
{
	struct vp_export__chunk *sorted;
	struct verify v = {0};
	int err;

	if (argc != 2 || argv[1][0] == '-')
		return usage();
	err = vp_export__load(&v.f, argv[1], on_load_problem, &v);
	if (err) {
		fprintf(stderr, "vpbot: %s: %s\n", argv[1],
			err == ENOENT ? "no such meeting folder (or no "
					"manifest.jsonl)"
				      : strerror(err));
		return err == ENOENT ? 66 /* EX_NOINPUT */ : VP_EXIT_SOFTWARE;
	}
	v.names = vp_malloc((v.f.n + 1) * sizeof(*v.names));
	if (!v.names) {
		vp_export__free(&v.f);
		return VP_EXIT_SOFTWARE;
	}
	for (size_t i = 0; i < v.f.n; i++)
		v.names[i] = v.f.c[i].l.file;
	qsort(v.names, v.f.n, sizeof(*v.names), by_name);
	for (size_t i = 0; i < v.f.n; i++)
		check_chunk(&v, &v.f.c[i]);
	check_disk(&v);
	check_meeting(&v);
	sorted = vp_malloc((v.f.n + 1) * sizeof(*sorted));
	if (sorted) {
		memcpy(sorted, v.f.c, v.f.n * sizeof(*sorted));
		check_streams(&v, sorted, v.f.n);
		free(sorted);
	}
	if (v.problems)
		printf("%s: %u problem(s), %u warning(s)\n", argv[1],
		       v.problems, v.warnings);
	else
		printf("%s: OK, %zu chunk(s), %llu samples, %u warning(s)\n",
		       argv[1], v.f.n, (unsigned long long)v.samples,
		       v.warnings);
	free(v.names);
	vp_export__free(&v.f);
	return !sorted	    ? VP_EXIT_SOFTWARE
	       : v.problems ? VP_EXIT_DATAERR
			    : VP_EXIT_OK;
}
