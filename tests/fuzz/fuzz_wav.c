/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_wav.c  Crash recovery on an arbitrary chunk file: a meeting
 * folder holds the input as streams/s1/000000.wav.tmp (a chunk in progress)
 * and as streams/s1/000001.wav (a finished chunk without its manifest line);
 * vp_pcm_recover() runs on it. Checks, besides "no crash": nothing is
 * deleted (each input is still there as .wav, .wav.tmp or .wav.corrupt),
 * and every recovered file got exactly one manifest line.
 * The folder lives in a per-process temp dir (on /dev/shm when there is
 * one: recovery fsyncs), emptied before each run and removed at exit.
 */
#include "media/pcm/pcm.h"
#include "tests/fuzz/fuzz_tmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the input's folder, emptied before each run */
static const char *fresh_root(void)
{
	const char *r = fuzz_tmp_dir("wav");

	fuzz_tmp_empty();
	return r;
}

static void put(const char *dir, const char *name, const uint8_t *d, size_t n)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f))
		abort();
}

static bool there(const char *dir, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static unsigned manifest_lines(const char *mdir)
{
	char p[256];
	unsigned lines = 0;
	FILE *f;
	int c;

	snprintf(p, sizeof(p), "%s/manifest.jsonl", mdir);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *mdir = fresh_root();
	char sdir[128];
	unsigned rec = 0;
	int err;

	snprintf(sdir, sizeof(sdir), "%s/streams", mdir);
	if (mkdir(sdir, 0755))
		abort();
	snprintf(sdir, sizeof(sdir), "%s/streams/s1", mdir);
	if (mkdir(sdir, 0755))
		abort();
	put(sdir, "000000.wav.tmp", d, n);
	put(sdir, "000001.wav", d, n);
	err = vp_pcm_recover(mdir, &rec);
	if (n && !there(sdir, "000000.wav.tmp") && !there(sdir, "000000.wav") &&
	    !there(sdir, "000000.wav.corrupt"))
		abort(); /* the chunk in progress was lost */
	if (!n && !err &&
	    (there(sdir, "000000.wav.tmp") ||
	     there(sdir, "000000.wav.corrupt")))
		abort(); /* an empty .tmp (no header yet) holds nothing: gone */
	if (!there(sdir, "000001.wav"))
		abort(); /* a finished chunk is never moved */
	if (!err && (rec > 2 || manifest_lines(mdir) != rec))
		abort();
	if (!err && there(sdir, "000000.wav.tmp"))
		abort(); /* success means the .tmp was handled */
	return 0;
}
