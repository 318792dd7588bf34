/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_tmp.h  The scratch folder of a fuzz target that reads its
 * input from files: one per process, on tmpfs when there is one (the code
 * under test fsyncs, which on a disk costs far more than the run),
 * removed at exit.
 */
#ifndef VP_FUZZ_TMP_H
#define VP_FUZZ_TMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_tmp_root[64];

static int fuzz_tmp_rm(const char *p, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	return ftw->level ? remove(p) : 0;
}

/** Empty the folder (it stays). */
static inline void fuzz_tmp_empty(void)
{
	nftw(fuzz_tmp_root, fuzz_tmp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_tmp_remove(void)
{
	fuzz_tmp_empty();
	rmdir(fuzz_tmp_root);
}

/** The folder, "fuzz-TAG-XXXXXX", made on the first call. */
static inline const char *fuzz_tmp_dir(const char *tag)
{
	if (!fuzz_tmp_root[0]) {
		snprintf(fuzz_tmp_root, sizeof(fuzz_tmp_root),
			 "%s/fuzz-%s-XXXXXX",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", tag);
		if (!mkdtemp(fuzz_tmp_root))
			abort();
		atexit(fuzz_tmp_remove);
	}
	return fuzz_tmp_root;
}

#endif
