/* SPDX-License-Identifier: MIT */
/** @file test_pcm.c  Chunk writer, manifest, rerun and crash recovery. */
#include "media/pcm/pcm.h"
#include "media/pcm/pcm_priv.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define U0 1795835996123456789ULL /* 2026-11-28T03:19:56.123456789Z */

static const char *const KEYS[] = {
	"stream",     "file",	     "seq",	    "start_sample",
	"samples",    "rate",	     "channels",    "start_utc",
	"utc_source", "lost",	     "fec",	    "plc",
	"dtx",	      "dtx_samples", "gap_samples", "overlap_samples",
	"bytes",      "recovered",   "gated",	    "start_utc_ns",
};

static char *pathf(const char *rel)
{
	static char buf[8][512];
	static int k;
	char *p = buf[k++ % 8];

	snprintf(p, 512, "%s/%s", vtest_tmpdir(), rel);
	return p;
}

static bool exists(const char *rel)
{
	return access(pathf(rel), F_OK) == 0;
}

static uint8_t *slurp(const char *rel, size_t *lenp)
{
	FILE *f = fopen(pathf(rel), "rb");
	uint8_t *b;
	long n;

	VT_TRUE(f != NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	VT_EQ(n, (long)fread(b, 1, (size_t)n, f));
	fclose(f);
	*lenp = (size_t)n;
	return b;
}

static long fsize(const char *rel)
{
	struct stat st;

	VT_EQ(0, stat(pathf(rel), &st));
	return (long)st.st_size;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/* Parse a chunk file back as any WAV reader would; returns its data. */
static const int16_t *wav_check(const uint8_t *b, size_t len, uint32_t rate,
				uint16_t ch, size_t *framesp)
{
	size_t pos = 12, fmt = 0;

	VT_TRUE(len >= 44);
	VT_TRUE(!memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4));
	VT_EQ(len - 8, le32(b + 4));
	while (pos + 8 <= len && memcmp(b + pos, "data", 4)) {
		if (!memcmp(b + pos, "fmt ", 4))
			fmt = pos + 8;
		pos += 8 + le32(b + pos + 4) + (le32(b + pos + 4) & 1);
	}
	VT_TRUE(fmt != 0 && pos + 8 <= len);
	VT_EQ(1, le16(b + fmt)); /* PCM */
	VT_EQ(ch, le16(b + fmt + 2));
	VT_EQ(rate, le32(b + fmt + 4));
	VT_EQ(rate * ch * 2, le32(b + fmt + 8));
	VT_EQ(ch * 2, le16(b + fmt + 12));
	VT_EQ(16, le16(b + fmt + 14));
	VT_EQ(len - pos - 8, le32(b + pos + 4));
	*framesp = (len - pos - 8) / (ch * 2u);
	return (const int16_t *)(b + pos + 8);
}

/* Every manifest line, parsed; each must have every documented key. */
static size_t manifest(json_t **lines, size_t max)
{
	char buf[4096];
	size_t n = 0;
	FILE *f = fopen(pathf("manifest.jsonl"), "r");

	VT_TRUE(f != NULL);
	while (fgets(buf, sizeof(buf), f)) {
		VT_TRUE(n < max);
		VT_TRUE(buf[strlen(buf) - 1] == '\n');
		lines[n] = json_loads(buf, 0, NULL);
		VT_TRUE(lines[n] != NULL);
		for (size_t k = 0; k < sizeof(KEYS) / sizeof(KEYS[0]); k++)
			if (!json_object_get(lines[n], KEYS[k]))
				vtest_fail(__FILE__, __LINE__, "no key %s",
					   KEYS[k]);
		n++;
	}
	fclose(f);
	return n;
}

static long long ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *sval(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static struct vp_pcm_writer *mk_writer(struct vp_pcm_manifest **mp,
				       const char *id, uint32_t rate,
				       uint16_t ch, uint32_t cs, uint32_t seq)
{
	struct vp_pcm_writer_cfg cfg = {id, rate, ch, cs, seq};
	struct vp_pcm_writer *w = NULL;

	if (!*mp)
		VT_EQ(0, vp_pcm_manifest_open(mp, vtest_tmpdir()));
	VT_EQ(0, vp_pcm_writer_alloc(&w, *mp, &cfg));
	return w;
}

/* Write [from, to) in 20 ms frames of a known pattern, ts-exact utc. */
static void write_span(struct vp_pcm_writer *w, uint32_t rate, uint16_t ch,
		       uint64_t base, uint64_t from, uint64_t to,
		       const struct vp_pcm_counts *d)
{
	int16_t buf[2 * 960];
	uint32_t fr = rate / 50;

	for (uint64_t s = from; s < to; s += fr) {
		size_t n = to - s < fr ? to - s : fr;

		for (size_t i = 0; i < n * ch; i++)
			buf[i] = (int16_t)((s + i / ch) % 30000 + 1);
		VT_EQ(0, vp_pcm_writer_write(w, s, buf, n,
					     U0 + (s - base) * VP_SEC / rate,
					     VP_PCM_UTC_RTCP_SR, d));
	}
}

VTEST(pcm_25s_16k_three_contiguous_chunks)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "s1", 16000, 1, 0, 0);
	struct vp_pcm_counts d = {.lost = 1, .plc = 1};
	static const char *const files[] = {"streams/s1/000000.wav",
					    "streams/s1/000001.wav",
					    "streams/s1/000002.wav"};
	const uint64_t base = 1000;
	json_t *l[8];
	size_t len, frames;

	write_span(w, 16000, 1, base, base, base + 25 * 16000, &d);
	VT_EQ(base + 25 * 16000, vp_pcm_writer_end(w));
	VT_EQ(0, vp_pcm_writer_close(w));
	VT_EQ(3, manifest(l, 8));
	for (int i = 0; i < 3; i++) {
		uint8_t *b = slurp(files[i], &len);
		const int16_t *pcm = wav_check(b, len, 16000, 1, &frames);
		uint64_t start = base + (uint64_t)i * 160000;

		VT_STR_EQ("s1", sval(l[i], "stream"));
		VT_STR_EQ(files[i], sval(l[i], "file"));
		VT_EQ(i, ival(l[i], "seq"));
		VT_EQ(start, ival(l[i], "start_sample"));
		VT_EQ(i < 2 ? 160000 : 80000, ival(l[i], "samples"));
		VT_EQ(frames, ival(l[i], "samples"));
		VT_EQ(len, ival(l[i], "bytes"));
		VT_EQ(16000, ival(l[i], "rate"));
		VT_EQ(1, ival(l[i], "channels"));
		VT_STR_EQ("rtcp_sr", sval(l[i], "utc_source"));
		VT_EQ(U0 + i * 10 * VP_SEC, ival(l[i], "start_utc_ns"));
		VT_EQ(0, ival(l[i], "gap_samples"));
		VT_EQ(0, ival(l[i], "overlap_samples"));
		VT_TRUE(json_is_false(json_object_get(l[i], "recovered")));
		/* 500 writes of 20 ms per 10 s chunk, each with one loss */
		VT_EQ(i < 2 ? 500 : 250, ival(l[i], "lost"));
		VT_EQ(start % 30000 + 1, pcm[0]);
		VT_EQ((start + frames - 1) % 30000 + 1, pcm[frames - 1]);
		free(b);
		json_decref(l[i]);
	}
	VT_TRUE(!exists("streams/s1/000002.wav.tmp"));
	VT_TRUE(!exists("streams/s1/000003.wav"));
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_start_utc_is_rfc3339_us)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "a", 8000, 2, 4000, 0);
	json_t *l[4];

	write_span(w, 8000, 2, 0, 0, 6000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	VT_EQ(2, manifest(l, 4));
	VT_STR_EQ("2026-11-28T03:19:56.123456Z", sval(l[0], "start_utc"));
	VT_STR_EQ("2026-11-28T03:19:56.623456Z", sval(l[1], "start_utc"));
	VT_EQ(2, ival(l[1], "channels"));
	VT_EQ(2000, ival(l[1], "samples"));
	json_decref(l[0]);
	json_decref(l[1]);
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_gap_filled_overlap_dropped_counted)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "g", 8000, 1, 1000, 0);
	int16_t a[300], b[200];
	size_t len, frames;
	json_t *l[4];

	for (int i = 0; i < 300; i++)
		a[i] = (int16_t)(i + 1);
	for (int i = 0; i < 200; i++)
		b[i] = -7;
	VT_EQ(0, vp_pcm_writer_write(w, 0, a, 300, U0, 0, NULL));
	VT_EQ(0, vp_pcm_writer_write(w, 500, a, 200, U0, 0, NULL)); /* gap */
	VT_EQ(700, vp_pcm_writer_end(w));
	VT_EQ(0, vp_pcm_writer_write(w, 600, b, 100, U0, 0, NULL)); /* all */
	VT_EQ(0, vp_pcm_writer_write(w, 650, b, 200, U0, 0, NULL)); /* 50 */
	VT_EQ(850, vp_pcm_writer_end(w));
	/* gap of 250 across the chunk boundary at 1000: 150 + 100 */
	VT_EQ(0, vp_pcm_writer_write(w, 1100, a, 100, U0, 0, NULL));
	VT_EQ(0, vp_pcm_writer_close(w));
	VT_EQ(2, manifest(l, 4));
	VT_EQ(1000, ival(l[0], "samples"));
	VT_EQ(350, ival(l[0], "gap_samples"));
	VT_EQ(150, ival(l[0], "overlap_samples"));
	VT_EQ(1000, ival(l[1], "start_sample"));
	VT_EQ(200, ival(l[1], "samples"));
	VT_EQ(100, ival(l[1], "gap_samples"));
	VT_EQ(0, ival(l[1], "overlap_samples"));
	/* chunk 1 opened during the gap: its utc is before the write's */
	VT_EQ(U0 - 100 * VP_SEC / 8000, ival(l[1], "start_utc_ns"));

	uint8_t *f = slurp("streams/g/000000.wav", &len);
	const int16_t *p = wav_check(f, len, 8000, 1, &frames);

	VT_EQ(1000, frames);
	VT_EQ(300, p[299]);
	VT_EQ(0, p[300]);
	VT_EQ(0, p[499]);
	VT_EQ(1, p[500]);
	VT_EQ(150, p[649]); /* the overlap kept what came first */
	VT_EQ(151, p[650]);
	VT_EQ(200, p[699]);
	VT_EQ(-7, p[700]); /* the new part of the overlapping write */
	VT_EQ(-7, p[849]);
	VT_EQ(0, p[850]);
	VT_EQ(0, p[999]);
	free(f);
	json_decref(l[0]);
	json_decref(l[1]);
	vp_mem_deref(w);
	vp_mem_deref(m);
}

/* A child writes 15 s of 10 s chunks (stereo) and dies without close. */
static void crash_child(void)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w;
	pid_t pid;
	int st;

	(void)vtest_tmpdir(); /* made here, so the child writes into it */
	fflush(NULL);
	pid = fork();
	VT_TRUE(pid >= 0);
	if (pid == 0) {
		w = mk_writer(&m, "s1", 16000, 2, 0, 0);
		write_span(w, 16000, 2, 500, 500, 500 + 15 * 16000, NULL);
		_exit(0); /* no close, no deref: like SIGKILL */
	}
	VT_EQ(pid, waitpid(pid, &st, 0));
	VT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

VTEST(pcm_recover_torn_tmp)
{
	json_t *l[4];
	unsigned n = 99;
	size_t len, frames;
	int fd;

	crash_child();
	VT_TRUE(exists("streams/s1/000000.wav"));
	VT_TRUE(exists("streams/s1/000001.wav.tmp"));
	VT_EQ(1, manifest(l, 4));
	json_decref(l[0]);
	/* a torn last frame: 3 bytes of a 4-byte stereo frame */
	fd = open(pathf("streams/s1/000001.wav.tmp"), O_WRONLY | O_APPEND);
	VT_EQ(3, write(fd, "xyz", 3));
	close(fd);

	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(1, n);
	VT_TRUE(!exists("streams/s1/000001.wav.tmp"));
	VT_EQ(2, manifest(l, 4));
	VT_TRUE(json_is_true(json_object_get(l[1], "recovered")));
	VT_STR_EQ("streams/s1/000001.wav", sval(l[1], "file"));
	VT_EQ(1, ival(l[1], "seq"));
	VT_EQ(500 + 160000, ival(l[1], "start_sample"));
	VT_EQ(80000, ival(l[1], "samples"));
	VT_EQ(2, ival(l[1], "channels"));
	VT_STR_EQ("rtcp_sr", sval(l[1], "utc_source"));
	VT_EQ(U0 + 10 * VP_SEC, ival(l[1], "start_utc_ns"));
	VT_EQ(0, ival(l[1], "lost")); /* unknown after a crash: 0 */

	uint8_t *b = slurp("streams/s1/000001.wav", &len);
	const int16_t *p = wav_check(b, len, 16000, 2, &frames);

	VT_EQ(80000, frames);
	VT_EQ(len, ival(l[1], "bytes"));
	VT_EQ((500 + 160000) % 30000 + 1, p[0]);
	VT_EQ((500 + 160000) % 30000 + 1, p[1]);
	VT_EQ((500 + 239999) % 30000 + 1, p[2 * 80000 - 1]);
	free(b);
	json_decref(l[0]);
	json_decref(l[1]);
	/* a second pass finds nothing to do */
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(0, n);
	VT_EQ(2, manifest(l, 4));
	json_decref(l[0]);
	json_decref(l[1]);
}

VTEST(pcm_corrupt_tmp_kept_as_corrupt)
{
	static const char junk[] = "RIFF\x10\0\0\0WAVEjunkjunkjunk";
	unsigned n = 99;
	uint32_t seq = 99;
	size_t len;
	uint8_t *b;
	FILE *f;

	VT_EQ(0, mkdir(pathf("streams"), 0755));
	VT_EQ(0, mkdir(pathf("streams/s2"), 0755));
	f = fopen(pathf("streams/s2/000000.wav.tmp"), "wb");
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(0, n);
	VT_TRUE(!exists("streams/s2/000000.wav.tmp"));
	VT_TRUE(!exists("streams/s2/000000.wav"));
	b = slurp("streams/s2/000000.wav.corrupt", &len);
	VT_EQ(sizeof(junk), len);
	VT_TRUE(!memcmp(b, junk, len));
	free(b);
	VT_EQ(0, fsize("manifest.jsonl"));
	/* the parked file still holds its seq */
	VT_EQ(0, vp_pcm_next_seq(vtest_tmpdir(), "s2", &seq));
	VT_EQ(1, seq);
}

/* Killed between the .tmp's creation and its header: nothing to keep. */
VTEST(pcm_empty_tmp_removed_and_seq_reused)
{
	unsigned n = 99;
	uint32_t seq = 99;
	FILE *f;

	VT_EQ(0, mkdir(pathf("streams"), 0755));
	VT_EQ(0, mkdir(pathf("streams/s3"), 0755));
	f = fopen(pathf("streams/s3/000000.wav.tmp"), "wb");
	VT_TRUE(f != NULL);
	fclose(f);
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(0, n);
	VT_TRUE(!exists("streams/s3/000000.wav.tmp"));
	VT_TRUE(!exists("streams/s3/000000.wav.corrupt"));
	VT_TRUE(!exists("streams/s3/000000.wav"));
	VT_EQ(0, fsize("manifest.jsonl"));
	VT_EQ(0, vp_pcm_next_seq(vtest_tmpdir(), "s3", &seq));
	VT_EQ(0, seq);
}

VTEST(pcm_recover_gives_orphan_wav_its_line)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "o", 8000, 1, 0, 0);
	unsigned n = 0;
	json_t *l[4];

	write_span(w, 8000, 1, 0, 0, 8000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	/* crash between rename and manifest append */
	VT_EQ(0, truncate(pathf("manifest.jsonl"), 0));
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(1, n);
	VT_EQ(1, manifest(l, 4));
	VT_STR_EQ("streams/o/000000.wav", sval(l[0], "file"));
	VT_EQ(8000, ival(l[0], "samples"));
	VT_TRUE(json_is_true(json_object_get(l[0], "recovered")));
	json_decref(l[0]);
	vp_mem_deref(w);
	vp_mem_deref(m);
}

struct seen {
	char ids[4][8];
	uint32_t next[4];
	int n;
};

static void seen_h(const char *id, uint32_t next, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4) {
		snprintf(s->ids[s->n], 8, "%s", id);
		s->next[s->n++] = next;
	}
}

VTEST(pcm_rerun_continues_seq_never_overwrites)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "s1", 8000, 1, 0, 0);
	struct seen sn = {0};
	uint8_t *before, *after;
	size_t blen, alen;
	uint32_t seq = 99;
	json_t *l[4];
	int16_t z[160] = {0};

	write_span(w, 8000, 1, 0, 0, 12 * 8000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	w = vp_mem_deref(w);
	m = vp_mem_deref(m);
	before = slurp("streams/s1/000000.wav", &blen);

	VT_EQ(0, vp_pcm_next_seq(vtest_tmpdir(), "s1", &seq));
	VT_EQ(2, seq);
	VT_EQ(0, vp_pcm_next_seq(vtest_tmpdir(), "zz", &seq));
	VT_EQ(0, seq);
	VT_EQ(0, vp_pcm_manifest_scan(vtest_tmpdir(), seen_h, &sn));
	VT_EQ(1, sn.n);
	VT_STR_EQ("s1", sn.ids[0]);
	VT_EQ(2, sn.next[0]);

	/* a careless rerun from seq 0 is refused, nothing is touched */
	w = mk_writer(&m, "s1", 8000, 1, 0, 0);
	VT_EQ(EEXIST, vp_pcm_writer_write(w, 0, z, 160, U0, 0, NULL));
	VT_EQ(EEXIST, vp_pcm_writer_write(w, 160, z, 160, U0, 0, NULL));
	VT_EQ(EEXIST, vp_pcm_writer_close(w));
	w = vp_mem_deref(w);
	after = slurp("streams/s1/000000.wav", &alen);
	VT_EQ(blen, alen);
	VT_TRUE(!memcmp(before, after, blen));
	VT_TRUE(!exists("streams/s1/000000.wav.tmp"));

	/* the proper rerun continues at seq 2 */
	w = mk_writer(&m, "s1", 8000, 1, 0, 2);
	write_span(w, 8000, 1, 0, 0, 5 * 8000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	VT_EQ(3, manifest(l, 4));
	VT_STR_EQ("streams/s1/000002.wav", sval(l[2], "file"));
	VT_EQ(40000, ival(l[2], "samples"));
	for (int i = 0; i < 3; i++)
		json_decref(l[i]);
	free(before);
	free(after);
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_leftover_tmp_blocks_writer)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w;
	int16_t z[160] = {0};

	crash_child(); /* leaves streams/s1/000001.wav.tmp */
	w = mk_writer(&m, "s1", 16000, 2, 0, 1);
	VT_EQ(EEXIST, vp_pcm_writer_write(w, 0, z, 80, U0, 0, NULL));
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_stream_id_rejected)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer_cfg cfg = {"../x", 16000, 1, 0, 0};
	struct vp_pcm_writer *w = NULL;
	static const char *const bad[] = {"../x", "a/b", ".hidden", "..",
					  "",	  "a b", "x\n"};
	char longid[VP_PCM_ID_MAX + 2];

	VT_EQ(0, vp_pcm_manifest_open(&m, vtest_tmpdir()));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.stream_id = bad[i];
		VT_EQ(EINVAL, vp_pcm_writer_alloc(&w, m, &cfg));
		VT_TRUE(w == NULL);
	}
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	VT_TRUE(!vp_pcm_stream_id_valid(longid));
	longid[VP_PCM_ID_MAX] = 0;
	VT_TRUE(vp_pcm_stream_id_valid(longid));
	VT_TRUE(!exists("x"));
	VT_TRUE(!exists("streams/..")); /* nothing made for the bad ids */
	cfg.stream_id = "p-1_a.b";
	cfg.channels = 3;
	VT_EQ(EINVAL, vp_pcm_writer_alloc(&w, m, &cfg));
	cfg.channels = 2;
	VT_EQ(0, vp_pcm_writer_alloc(&w, m, &cfg));
	VT_TRUE(exists("streams/p-1_a.b"));
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_empty_close_makes_nothing)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "e", 8000, 1, 0, 0);
	struct vp_pcm_counts d = {.gated = 5};
	int16_t z[10] = {0};

	VT_EQ(0, vp_pcm_writer_write(w, 0, NULL, 0, U0, 0, &d));
	VT_EQ(0, vp_pcm_writer_close(w));
	VT_EQ(EALREADY, vp_pcm_writer_write(w, 0, z, 10, U0, 0, NULL));
	VT_EQ(EALREADY, vp_pcm_writer_close(w));
	VT_TRUE(!exists("streams/e/000000.wav"));
	VT_TRUE(!exists("streams/e/000000.wav.tmp"));
	VT_EQ(0, fsize("manifest.jsonl"));
	vp_mem_deref(w);
	vp_mem_deref(m);
}

VTEST(pcm_manifest_open_needs_folder)
{
	struct vp_pcm_manifest *m = NULL;

	VT_EQ(ENOENT, vp_pcm_manifest_open(&m, pathf("nope")));
	VT_TRUE(m == NULL);
	VT_EQ(EINVAL, vp_pcm_manifest_open(&m, NULL));
}

/* A full disk or a crash tore the last manifest line (part of it, no
 * newline). Recovery cuts the fragment and lists its chunk, durable
 * already as a .wav, anew; a line that lost only its newline is kept and
 * ended. Either way the next append starts a line of its own. */
VTEST(pcm_recover_mends_a_torn_manifest_tail)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm_writer *w = mk_writer(&m, "t", 8000, 1, 8000, 0);
	unsigned n = 99;
	size_t len, one;
	json_t *l[4];
	uint8_t *b;

	write_span(w, 8000, 1, 0, 0, 2 * 8000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	w = vp_mem_deref(w);
	m = vp_mem_deref(m);
	b = slurp("manifest.jsonl", &len);
	one = (size_t)((uint8_t *)memchr(b, '\n', len) - b) + 1;
	free(b);
	/* half of the second line */
	VT_EQ(0, truncate(pathf("manifest.jsonl"),
			  (off_t)(one + (len - one) / 2)));
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(1, n);
	VT_EQ(2, manifest(l, 4));
	VT_STR_EQ("streams/t/000001.wav", sval(l[1], "file"));
	VT_TRUE(json_is_true(json_object_get(l[1], "recovered")));
	json_decref(l[0]);
	json_decref(l[1]);
	/* a line that lost only its newline: kept, and ended */
	len = (size_t)fsize("manifest.jsonl");
	VT_EQ(0, truncate(pathf("manifest.jsonl"), (off_t)len - 1));
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(0, n);
	VT_EQ((long)len, fsize("manifest.jsonl"));
	/* the next chunk's line is a line of its own */
	w = mk_writer(&m, "t", 8000, 1, 8000, 2);
	write_span(w, 8000, 1, 0, 2 * 8000, 3 * 8000, NULL);
	VT_EQ(0, vp_pcm_writer_close(w));
	vp_mem_deref(w);
	vp_mem_deref(m);
	VT_EQ(3, manifest(l, 4));
	VT_STR_EQ("streams/t/000002.wav", sval(l[2], "file"));
	for (int i = 0; i < 3; i++)
		json_decref(l[i]);
}

/* The disk fills in the middle of an append: the first write() takes
 * part of the line, the next fails (RLIMIT_FSIZE: EFBIG, as ENOSPC on a
 * full disk). The part is cut off, and the first append once there is
 * room again is a whole, readable line. */
VTEST(pcm_manifest_failed_append_leaves_no_fragment)
{
	struct vp_pcm_manifest *m = NULL;
	struct vp_pcm__line ln = {.meta = {.stream = "f",
					   .rate = 8000,
					   .channels = 1,
					   .start_utc_ns = U0},
				  .samples = 8000};
	struct rlimit old, lim;
	json_t *l[4];
	long before;

	VT_EQ(0, vp_pcm_manifest_open(&m, vtest_tmpdir()));
	VT_EQ(0, vp_pcm__manifest_append(m, &ln));
	before = fsize("manifest.jsonl");
	signal(SIGXFSZ, SIG_IGN);
	VT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
	lim = old;
	lim.rlim_cur = (rlim_t)before + 40;
	VT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	ln.meta.seq = 1;
	VT_EQ(EFBIG, vp_pcm__manifest_append(m, &ln));
	VT_EQ(0, setrlimit(RLIMIT_FSIZE, &old));
	VT_EQ(before, fsize("manifest.jsonl"));
	ln.meta.seq = 2;
	VT_EQ(0, vp_pcm__manifest_append(m, &ln));
	vp_mem_deref(m);
	VT_EQ(2, manifest(l, 4));
	VT_EQ(0, ival(l[0], "seq"));
	VT_EQ(2, ival(l[1], "seq"));
	json_decref(l[0]);
	json_decref(l[1]);
}

/* Walked by the oom suite: recovery after a crash with each of its
 * allocations (manifest read, folder scan, line write) failing in turn.
 * A run either recovers or returns ENOMEM; either way a second, clean
 * run then leaves exactly the manifest a clean recovery makes: every
 * chunk named once, nothing lost, nothing twice. */
VTEST_OOM(pcm_recover_oom_walk)
{
	unsigned n = 99;
	json_t *l[4];
	int e;

	VT_OOM_SKIP();
	crash_child();
	VT_EQ(1, manifest(l, 4));
	json_decref(l[0]);
	VT_OOM_WALK();
	e = vp_pcm_recover(vtest_tmpdir(), &n);
	VT_OOM_SKIP();
	if (!VT_OOM(e))
		VT_EQ(1, n);
	VT_EQ(0, vp_pcm_recover(vtest_tmpdir(), &n));
	VT_EQ(e ? 1 : 0, n);
	VT_TRUE(!exists("streams/s1/000001.wav.tmp"));
	VT_EQ(2, manifest(l, 4));
	VT_STR_EQ("streams/s1/000000.wav", sval(l[0], "file"));
	VT_STR_EQ("streams/s1/000001.wav", sval(l[1], "file"));
	VT_TRUE(json_is_true(json_object_get(l[1], "recovered")));
	json_decref(l[0]);
	json_decref(l[1]);
}

/* A chunk-shaped file without a writer (tools/perf/floor_bench): the
 * header and the sizes make a WAV any reader takes. */
VTEST(pcm_chunk_header_public)
{
	static const int16_t pcm[320] = {1, -2, 3};
	uint8_t h[VP_PCM_HDR_MAX], *b;
	const int16_t *data;
	size_t hlen, len, frames;
	int fd;

	VT_EQ(EINVAL, vp_pcm_chunk_header(h, &hlen, "../x", 16000));
	VT_EQ(EINVAL, vp_pcm_chunk_header(h, &hlen, "floor", 44100 * 2));
	VT_EQ(0, vp_pcm_chunk_header(h, &hlen, "floor", 16000));
	VT_TRUE(hlen > 44 && hlen <= VP_PCM_HDR_MAX);
	fd = open(pathf("floor.wav"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	VT_TRUE(fd >= 0);
	VT_EQ((ssize_t)hlen, write(fd, h, hlen));
	VT_EQ((ssize_t)sizeof(pcm), write(fd, pcm, sizeof(pcm)));
	VT_EQ(0, vp_pcm_chunk_sizes(fd, hlen, sizeof(pcm)));
	close(fd);
	b = slurp("floor.wav", &len);
	data = wav_check(b, len, 16000, 1, &frames);
	VT_EQ(320, frames);
	VT_EQ(-2, data[1]);
	VT_TRUE(memmem(b, hlen, "\"stream\":\"floor\"", 16) != NULL);
	free(b);
}
