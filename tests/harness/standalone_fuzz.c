/* SPDX-License-Identifier: MIT */
/**
 * @file standalone_fuzz.c  Replays fuzz inputs without libFuzzer:
 * fuzz_x FILE|DIR…  Each file is fed to LLVMFuzzerTestOneInput once; a crash
 * or a sanitizer report fails the run (a target's oracle aborts), and so
 * does an input that cannot be read, a folder that cannot be listed, or a
 * run with no input at all. Used to replay the committed corpus as a test
 * under gcc and under ASan+UBSan.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot seek\n", path);
		fclose(f);
		return -1;
	}
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static void run_counted(const char *path, int *ok, int *bad)
{
	if (run_file(path) == 0)
		(*ok)++;
	else
		(*bad)++;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: no such file\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_counted(argv[i], &files, &bad);
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			bad++;
			continue;
		}
		while ((e = readdir(d))) {
			char p[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			run_counted(p, &files, &bad);
		}
		closedir(d);
	}
	/* every input that ran came back (a crash never gets here) */
	printf("replayed %d inputs, %d unreadable\n", files, bad);
	printf("%d passed, %d failed\n", files, bad);
	if (files == 0)
		fprintf(stderr, "no input replayed\n");
	return files > 0 && bad == 0 ? 0 : 1;
}
