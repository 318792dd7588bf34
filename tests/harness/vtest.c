/* SPDX-License-Identifier: MIT */
/**
 * @file vtest.c  Runs the registered tests, each in a forked child, so a
 * crash or an abort (ASan) counts as one failure and the rest still run.
 *
 * test_x --oom [NAME-SUBSTRING]: the OOM walk (after re's retest -o). Each
 * test runs once normally, then again with vp_mem_fail_after(k) for
 * k = 0, 1, 2, ... until a run makes no injected failure (or k reaches
 * VTEST_OOM_MAX). A run in which an allocation failed on purpose may fail
 * an assertion (the test saw ENOMEM), but must not crash, hang or leak
 * (leaks: checked by LeakSanitizer when the run returns, in ASan builds).
 */
#include "tests/harness/vtest.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VTEST_MAX     512
#define VTEST_OOM_MAX 2000 /* k cap per test: keeps the oom suite short */

/* Child exit codes in --oom mode. */
enum {
	RUN_OK = 0,	    /* returned, no injected failure: the walk ends */
	RUN_ASSERT = 1,	    /* an assertion failed with no injected failure */
	RUN_ASSERT_OOM = 2, /* an assertion failed after an injected failure */
	RUN_OK_OOM = 3,	    /* returned after an injected failure */
	RUN_LEAK = 4,	    /* LeakSanitizer found leaks */
};

/* LeakSanitizer's API, present only in ASan builds. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static struct {
	const char *name;
	vtest_fn *fn;
} tests[VTEST_MAX];
static int ntests;
static char tmpdir[256];
static bool oom_mode;
/*
 * Shared by every process of an OOM run: a test that forks its own child
 * (a writer that "crashes") sees that child fail after an injected failure,
 * which its own vp_mem_fail_hit() cannot know.
 */
static volatile int *oom_hit_shared;

static bool oom_hit(void)
{
	return vp_mem_fail_hit() || (oom_hit_shared && *oom_hit_shared);
}

void vtest_register(const char *name, vtest_fn *fn)
{
	if (ntests == VTEST_MAX) { /* a test must never vanish silently */
		fprintf(stderr, "vtest: more than %d tests in one binary\n",
			VTEST_MAX);
		_exit(1);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void vtest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (oom_mode && oom_hit()) { /* expected: the test saw ENOMEM */
		*oom_hit_shared = 1;
		_exit(RUN_ASSERT_OOM);
	}
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(RUN_ASSERT);
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
		/* _exit skips LeakSanitizer's own check at exit: run it here */
		if (__lsan_do_recoverable_leak_check &&
		    __lsan_do_recoverable_leak_check())
			_exit(RUN_LEAK);
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child of one OOM run: k < 0 means no injected failure. */
static void oom_child(int i, long k, unsigned limit_s, bool quiet)
{
	int code, fd;

	if (quiet && (fd = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	alarm(limit_s); /* a hang after an injected failure is a bug too */
	if (k >= 0)
		vp_mem_fail_after(k);
	tests[i].fn();
	code = oom_hit() ? RUN_OK_OOM : RUN_OK;
	vp_mem_fail_reset();
	fflush(NULL);
	if (__lsan_do_recoverable_leak_check &&
	    __lsan_do_recoverable_leak_check())
		code = RUN_LEAK;
	_exit(code);
}

/* @return the child's exit code, or -signal */
static int oom_run(int i, long k, unsigned limit_s, bool quiet)
{
	pid_t pid;
	int status = 0;

	/* the parent owns the scratch folder, so a crash cannot leave it */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vtest-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -SIGABRT;
	*oom_hit_shared = 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		oom_child(i, k, limit_s, quiet);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = SIGABRT; /* reported as a signal */
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
	if (pid < 0 || WIFSIGNALED(status))
		return -(pid < 0 ? SIGABRT : WTERMSIG(status));
	return WEXITSTATUS(status);
}

static const char *oom_why(int r)
{
	if (r == -SIGALRM)
		return "hung";
	if (r < 0)
		return "killed by a signal";
	if (r == RUN_LEAK)
		return "leaked";
	return "failed an assertion with no injected failure";
}

/* @return 0 if the whole walk was clean */
static int run_oom(int i)
{
	double t0 = now_s();
	unsigned limit;
	long k;
	int r;

	r = oom_run(i, -1, 120, false);
	if (r == RUN_OK_OOM) { /* it drives vp_mem_fail_after() itself */
		printf("     %s: injects its own failures, no walk\n",
		       tests[i].name);
		return 0;
	}
	if (r != RUN_OK) {
		fprintf(stderr, "  oom: the plain run %s (%d)\n", oom_why(r),
			r);
		return -1;
	}
	limit = 5 + (unsigned)(3 * (now_s() - t0));
	for (k = 0; k < VTEST_OOM_MAX; k++) {
		r = oom_run(i, k, limit, true);
		if (r == RUN_OK)
			break;
		if (r != RUN_ASSERT_OOM && r != RUN_OK_OOM) {
			oom_run(i, k, limit, false); /* again, to show why */
			fprintf(stderr,
				"  oom: with allocation #%ld failing the test "
				"%s"
				" (%d)\n",
				k, oom_why(r), r);
			return -1;
		}
	}
	printf("     %s: %ld allocation(s) failed in turn%s\n", tests[i].name,
	       k, k == VTEST_OOM_MAX ? " (capped)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	const char *filter;
	int passed = 0, failed = 0;

	if (argc > 1 && !strcmp(argv[1], "--oom")) {
		oom_hit_shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (oom_hit_shared == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		oom_mode = true;
		argc--;
		argv++;
	}
	filter = argc > 1 ? argv[1] : NULL;
	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		if ((oom_mode ? run_oom(i) : run_one(i)) == 0) {
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
