/* SPDX-License-Identifier: MIT */
/** @file vtest.c  Runs the registered tests, each in a forked child, so a
 * crash or an abort (ASan) counts as one failure and the rest still run. */
#include "tests/harness/vtest.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VTEST_MAX 512

static struct {
	const char *name;
	vtest_fn *fn;
} tests[VTEST_MAX];
static int ntests;
static char tmpdir[256];

void vtest_register(const char *name, vtest_fn *fn)
{
	if (ntests < VTEST_MAX) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void vtest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

const char *vtest_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/vtest-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			_exit(1);
		}
	}
	return tmpdir;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int run_one(int i)
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		tests[i].fn();
		if (tmpdir[0])
			nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		fflush(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "  killed by signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		if (run_one(i) == 0) {
			printf("ok   %s\n", tests[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
	}
	if (passed + failed == 0)
		fprintf(stderr, "no test matched\n");
	printf("%d passed, %d failed\n", passed, failed);
	return (failed || passed == 0) ? 1 : 0;
}
