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
void vtest_register(const char *name, vtest_fn *fn);
void vtest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/** A scratch folder for this test (made fresh, removed when it passes). */
const char *vtest_tmpdir(void);

#define VTEST(name)                                                            \
	static void vtest_##name(void);                                        \
	__attribute__((constructor)) static void vtest_reg_##name(void)        \
	{                                                                      \
		vtest_register(#name, vtest_##name);                           \
	}                                                                      \
	static void vtest_##name(void)

#define VT_TRUE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			vtest_fail(__FILE__, __LINE__, "%s", #c);              \
	} while (0)

#define VT_EQ(exp, act)                                                        \
	do {                                                                   \
		long long e_ = (long long)(exp), a_ = (long long)(act);       \
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
