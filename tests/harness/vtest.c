/* SPDX-License-Identifier: MIT */
/**
 * @file vtest.c  Runs the registered tests, each in a forked child, so a
 * crash or an abort (ASan) counts as one failure and the rest still run.
 *
 * test_x --oom [NAME-SUBSTRING]: the OOM walk, over the tests registered
 * with VTEST_OOM only. Each runs once counting its allocations (N), then
 * N more times: run k fails allocation #k alone (vp_mem_fail_nth) and
 * every other one succeeds, so each failure path and the recovery after
 * it are both tried. Allocations are counted through vp_mem_zalloc, the
 * plain vp_malloc & co., jansson (json_set_alloc_funcs), OpenSSL
 * (CRYPTO_set_mem_functions) and libwebsockets (lws_set_allocator). GLib
 * (and libnice on it) cannot be reached: since GLib 2.46
 * g_mem_set_vtable() does nothing, and g_malloc aborts on failure anyway.
 * libsrtp2 and libcurl allocate on their own too (curl could, through
 * curl_global_init_mem, but no walked test uses it).
 *
 * A test may leave its set-up out of the walk (VT_OOM_SKIP/VT_OOM_WALK,
 * vtest.h); a test with nothing left to walk fails. Each injected run
 * must pass all its assertions (the test ends early, cleaned up, only
 * through VT_OOM() on an error), must not crash or hang, and must leak
 * nothing: LeakSanitizer checks every run in ASan builds.
 * VP_MEM_FAIL_TRACE=1 prints where each injected failure happened.
 */
#include "tests/harness/vtest.h"
#include "src/core/mem.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>

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

#define VTEST_MAX 512
/* A walked test with more allocations than this is too big for the oom
 * suite: it fails, so that nobody walks half a test believing it whole. */
#define VTEST_OOM_MAX 6000

/* Child exit codes in --oom mode. */
enum {
	RUN_OK = 0,	/* returned */
	RUN_ASSERT = 1, /* an assertion failed */
	RUN_LEAK = 4,	/* LeakSanitizer found leaks */
};

/* LeakSanitizer's API, present only in ASan builds. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static struct {
	const char *name;
	vtest_fn *fn;
	unsigned oom; /* 0: not walked; else the walk's step */
} tests[VTEST_MAX];
static int ntests;
static char tmpdir[256];
static bool oom_mode;
/*
 * Shared by every process of an OOM run: [0] an injected failure happened
 * (a test that forks a child of its own, a writer that "crashes", sees
 * that child fail after an injected failure, which its own
 * vp_mem_fail_hit() cannot know); [1] the run's allocation count.
 */
static volatile long *oom_shared;

bool vtest_oom_hit(void)
{
	return vp_mem_fail_hit() || (oom_shared && oom_shared[0]);
}

bool vtest_oom_end(int err, const char *file, int line)
{
	if (!err)
		return false;
	if (vtest_oom_hit()) {
		if (oom_shared)
			oom_shared[0] = 1;
		return true;
	}
	vtest_fail(file, line, "error %d (%s) with no injected failure", err,
		   strerror(err));
}

void vtest_register(const char *name, vtest_fn *fn, unsigned oom)
{
	if (ntests == VTEST_MAX) { /* a test must never vanish silently */
		fprintf(stderr, "vtest: more than %d tests in one binary\n",
			VTEST_MAX);
		_exit(1);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	tests[ntests].oom = oom;
	ntests++;
}

void vtest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (oom_mode && vtest_oom_hit())
		fprintf(stderr, "  (allocation #%ld failed on purpose)\n",
			oom_shared ? oom_shared[2] : -1L);
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

/* The child of one OOM run: k < 0 counts allocations only. */
static void oom_child(int i, long k, unsigned limit_s, bool quiet)
{
	int code = RUN_OK, fd;

	if (quiet && (fd = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	alarm(limit_s); /* a hang after an injected failure is a bug too */
	oom_shared[2] = k;
	vp_mem_fail_nth(k);
	tests[i].fn();
	oom_shared[1] = vp_mem_fail_count();
	if (vp_mem_fail_hit())
		oom_shared[0] = 1;
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
	oom_shared[0] = 0;
	oom_shared[1] = -1;
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
	return "failed an assertion";
}

/* @return 0 if the whole walk was clean */
static int run_oom(int i)
{
	double t0 = now_s();
	long k, n, hits = 0, runs = 0;
	unsigned limit;
	int r;

	r = oom_run(i, -1, 120, false);
	n = oom_shared[1];
	if (r != RUN_OK || n < 0) {
		fprintf(stderr, "  oom: the counting run %s (%d)\n", oom_why(r),
			r);
		return -1;
	}
	if (n == 0) { /* a walk over nothing would pass whatever happens */
		fprintf(stderr,
			"  oom: the test makes no allocation to fail\n");
		return -1;
	}
	if (n / tests[i].oom > VTEST_OOM_MAX) {
		fprintf(stderr,
			"  oom: %ld allocations, more than the walk's "
			"%d: walk a smaller test\n",
			n, VTEST_OOM_MAX);
		return -1;
	}
	limit = 5 + (unsigned)(3 * (now_s() - t0));
	/* a run may allocate more than the counting run (a retry, a
	 * thread): walk up to the most any run made */
	for (k = 0; k < n; k += tests[i].oom) {
		r = oom_run(i, k, limit, true);
		if (r != RUN_OK) {
			oom_run(i, k, limit, false); /* again, to show why */
			fprintf(stderr,
				"  oom: with allocation #%ld of %ld failing, "
				"the test %s (%d)\n",
				k, n, oom_why(r), r);
			return -1;
		}
		hits += oom_shared[0] != 0;
		runs++;
		if (oom_shared[1] > n &&
		    oom_shared[1] / tests[i].oom <= VTEST_OOM_MAX)
			n = oom_shared[1];
	}
	printf("     %s: %ld of %ld allocation(s) failed in turn (every "
	       "%u%s), %ld hit, %.1f s\n",
	       tests[i].name, runs, n, tests[i].oom,
	       tests[i].oom == 1 ? "st" : "th", hits, now_s() - t0);
	return 0;
}

/*
 * Route the libraries' allocators through vp_malloc & co. before any of
 * them allocates (OpenSSL refuses once it has): outside the OOM mode
 * these just count nothing and call libc.
 */
static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return vp_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return vp_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static void *lws_alloc(void *p, size_t n, const char *reason)
{
	(void)reason;
	return vp_realloc(p, n);
}

static int hook_libs(void)
{
	json_set_alloc_funcs(vp_malloc, free);
	lws_set_allocator(lws_alloc);
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
		fprintf(stderr, "vtest: OpenSSL allocated before main()\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *filter;
	int passed = 0, failed = 0;

	if (hook_libs())
		return 1;
	if (argc > 1 && !strcmp(argv[1], "--oom")) {
		oom_shared =
			mmap(NULL, 3 * sizeof(long), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (oom_shared == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		oom_mode = true;
		argc--;
		argv++;
	}
	filter = argc > 1 ? argv[1] : NULL;
	for (int i = 0; i < ntests; i++) {
		if ((filter && !strstr(tests[i].name, filter)) ||
		    (oom_mode && !tests[i].oom))
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
