/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_manifest.c  Reading back a meeting folder whose manifest.jsonl
 * is arbitrary bytes (torn lines, bad JSON, odd ids) and whose
 * streams/s1/ holds 000003.wav: vp_pcm_manifest_scan() and
 * vp_pcm_next_seq(). Checks, besides "no crash": every id reported is
 * valid and reported once, s1 is reported and its next seq is past the
 * file on disk, and next_seq agrees with the scan.
 * Per-process temp dir (on /dev/shm when there is one), emptied each run.
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
	const char *r = fuzz_tmp_dir("manifest");

	fuzz_tmp_empty();
	return r;
}

struct seen {
	char ids[64][VP_PCM_ID_MAX + 1];
	unsigned n;
	long s1_next; /* -1: not reported */
};

static void on_stream(const char *id, uint32_t next, void *arg)
{
	struct seen *s = arg;

	if (!vp_pcm_stream_id_valid(id))
		abort();
	for (unsigned i = 0; i < s->n && i < 64; i++)
		if (!strcmp(s->ids[i], id))
			abort(); /* reported twice */
	if (s->n < 64)
		strcpy(s->ids[s->n], id);
	s->n++;
	if (!strcmp(id, "s1"))
		s->s1_next = next;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *mdir = fresh_root();
	struct seen s = {.s1_next = -1};
	char p[256];
	uint32_t next = 0;
	FILE *f;
	int err;

	snprintf(p, sizeof(p), "%s/manifest.jsonl", mdir);
	f = fopen(p, "wb");
	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f))
		abort();
	snprintf(p, sizeof(p), "%s/streams", mdir);
	if (mkdir(p, 0755))
		abort();
	snprintf(p, sizeof(p), "%s/streams/s1", mdir);
	if (mkdir(p, 0755))
		abort();
	snprintf(p, sizeof(p), "%s/streams/s1/000003.wav", mdir);
	f = fopen(p, "wb");
	if (!f || fclose(f))
		abort();
	err = vp_pcm_manifest_scan(mdir, on_stream, &s);
	if (err)
		return 0; /* ENOMEM / read errors: nothing to check */
	if (s.s1_next < 4)
		abort(); /* 000003.wav must block seqs up to 3 */
	if (vp_pcm_next_seq(mdir, "s1", &next) || next != s.s1_next)
		abort();
	return 0;
}
