/* SPDX-License-Identifier: MIT */
/**
 * @file vtest.h  The unit-test harness: VTEST(name) registers a test,
 * VT_* assert (a failed assertion ends that test, the others still run).
 * main() lives in vtest.c and ends with "N passed, N failed".
 * Usage: test_x [--oom] [NAME-SUBSTRING]  (--oom: see vtest.c)
 */
#ifndef VP_TESTS_VTEST_H
#define VP_TESTS_VTEST_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void(vtest_fn)(void);
/** oom: 0 not walked, n: the oom suite fails every n-th allocation */
void vtest_register(const char *name, vtest_fn *fn, unsigned oom);
void vtest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/** A scratch folder for this test (made fresh, removed when it passes). */
const char *vtest_tmpdir(void);

#define VTEST_REG(name, oom)                                                   \
	static void vtest_##name(void);                                        \
	__attribute__((constructor)) static void vtest_reg_##name(void)        \
	{                                                                      \
		vtest_register(#name, vtest_##name, oom);                      \
	}                                                                      \
	static void vtest_##name(void)

/** A test. */
#define VTEST(name) VTEST_REG(name, 0)
/**
 * A test that the oom suite also walks (--oom, vtest.c): it runs once for
 * each of its allocations with that one allocation failing. It must then
 * end with the right result, or stop at VT_OOM() after cleaning up, and
 * leak nothing.
 */
#define VTEST_OOM(name) VTEST_REG(name, 1)
/** The same for a test too big to walk whole (thousands of allocations,
 * an OpenSSL handshake): allocations #0, #n, #2n, ... fail in turn. */
#define VTEST_OOM_EVERY(name, n) VTEST_REG(name, n)

/**
 * For a test walked by --oom: err is what a call returned. 0: false, go
 * on. An error while an allocation failed on purpose: true, the test
 * cleans up and ends (an error is a right answer to an injected failure;
 * not always ENOMEM: jansson reports some of its failed allocations as
 * bad syntax). An error with no injected failure: the test fails.
 */
#define VT_OOM(err) vtest_oom_end((err), __FILE__, __LINE__)
bool vtest_oom_end(int err, const char *file, int line);
/**
 * A walked test's set-up that other walked tests cover: its allocations
 * neither count nor fail between VT_OOM_SKIP() and VT_OOM_WALK().
 */
#define VT_OOM_SKIP() vp_mem_fail_pause(true)
#define VT_OOM_WALK() vp_mem_fail_pause(false)
void vp_mem_fail_pause(bool paused);
/** @return true if an allocation failed on purpose in this run */
bool vtest_oom_hit(void);

#define VT_TRUE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			vtest_fail(__FILE__, __LINE__, "%s", #c);              \
	} while (0)

#define VT_EQ(exp, act)                                                        \
	do {                                                                   \
		long long e_ = (long long)(exp), a_ = (long long)(act);        \
		if (e_ != a_)                                                  \
			vtest_fail(__FILE__, __LINE__,                         \
				   "%s == %s: expected %lld, got %lld", #exp,  \
				   #act, e_, a_);                              \
	} while (0)

#define VT_STR_EQ(exp, act)                                                    \
	do {                                                                   \
		const char *e_ = (exp), *a_ = (act);                           \
		if (!e_ || !a_ || strcmp(e_, a_))                              \
			vtest_fail(__FILE__, __LINE__,                         \
				   "%s: expected \"%s\", got \"%s\"", #act,    \
				   e_ ? e_ : "(null)", a_ ? a_ : "(null)");    \
	} while (0)

#define VT_NEAR(exp, act, eps)                                                 \
	do {                                                                   \
		double e_ = (exp), a_ = (act);                                 \
		if (!(fabs(e_ - a_) <= (eps)))                                 \
			vtest_fail(__FILE__, __LINE__,                         \
				   "%s ~ %s: expected %g, got %g (eps %g)",    \
				   #exp, #act, e_, a_, (double)(eps));         \
	} while (0)

#endif
