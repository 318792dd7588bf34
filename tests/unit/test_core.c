/* SPDX-License-Identifier: MIT */
/** @file test_core.c  mem, clock, spsc, log. */
#include "src/core/bytes.h"
#include "src/core/clock.h"
#include "src/core/fs.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

static int destroyed;
static void count_destroy(void *d)
{
	(void)d;
	destroyed++;
}

VTEST(core_mem_refcount_runs_destructor_once)
{
	char *p = vp_mem_zalloc(16, count_destroy);

	VT_TRUE(p != NULL);
	VT_EQ(0, p[15]);
	vp_mem_ref(p);
	VT_EQ(2, vp_mem_nrefs(p));
	vp_mem_deref(p);
	VT_EQ(0, destroyed);
	p = vp_mem_deref(p);
	VT_EQ(1, destroyed);
	VT_TRUE(p == NULL);
}

VTEST(core_mem_fail_after)
{
	void *a, *b;

	vp_mem_fail_after(1);
	a = vp_mem_zalloc(8, NULL);
	b = vp_mem_zalloc(8, NULL);
	VT_TRUE(a != NULL);
	VT_TRUE(b == NULL);
	VT_TRUE(vp_mem_fail_hit());
	vp_mem_fail_reset();
	vp_mem_deref(a);
}

VTEST(core_clock_rfc3339_microseconds)
{
	char buf[32];

	/* 2026-11-28T03:19:56.123456Z */
	VT_EQ(0, vp_clock_rfc3339(buf, sizeof(buf),
				  1795835996ULL * VP_SEC + 123456789ULL));
	VT_STR_EQ("2026-11-28T03:19:56.123456Z", buf);
	VT_EQ(EINVAL, vp_clock_rfc3339(buf, 10, 0));
}

VTEST(core_clock_ntp_roundtrip)
{
	uint32_t s, f;
	uint64_t t = 1795835996ULL * VP_SEC + 500000000ULL;

	vp_clock_utc_ns_to_ntp(t, &s, &f);
	VT_EQ(1795835996ULL + VP_NTP_UNIX_OFFSET, s);
	VT_EQ(0x80000000U, f);
	VT_NEAR((double)t, (double)vp_clock_ntp_to_utc_ns(s, f), 2);
}

VTEST(core_bytes_be)
{
	uint8_t b[4];

	vp_put_be32(b, 0x01020304);
	VT_EQ(0x01020304, vp_be32(b));
	VT_EQ(0x0102, vp_be16(b));
	VT_TRUE(vp_is_pow2(64));
	VT_TRUE(!vp_is_pow2(48));
}

VTEST(core_spsc_full_and_order)
{
	struct vp_spsc *q = NULL;
	int *s;

	VT_EQ(EINVAL, vp_spsc_alloc(&q, sizeof(int), 3));
	VT_EQ(0, vp_spsc_alloc(&q, sizeof(int), 4));
	for (int i = 0; i < 4; i++) {
		s = vp_spsc_reserve(q);
		VT_TRUE(s != NULL);
		*s = i;
		vp_spsc_commit(q);
	}
	VT_TRUE(vp_spsc_reserve(q) == NULL);
	for (int i = 0; i < 4; i++) {
		s = vp_spsc_peek(q);
		VT_EQ(i, *s);
		vp_spsc_release(q);
	}
	VT_TRUE(vp_spsc_peek(q) == NULL);
	vp_mem_deref(q);
}

static void *producer(void *arg)
{
	struct vp_spsc *q = arg;

	for (int i = 0; i < 100000;) {
		int *s = vp_spsc_reserve(q);

		if (!s)
			continue;
		*s = i++;
		vp_spsc_commit(q);
	}
	return NULL;
}

VTEST(core_spsc_threads_keep_order)
{
	struct vp_spsc *q = NULL;
	pthread_t th;
	int next = 0;

	VT_EQ(0, vp_spsc_alloc(&q, sizeof(int), 64));
	pthread_create(&th, NULL, producer, q);
	while (next < 100000) {
		int *s = vp_spsc_peek(q);

		if (!s) {
			vp_spsc_wait(q, 5);
			continue;
		}
		VT_EQ(next, *s);
		next++;
		vp_spsc_release(q);
	}
	pthread_join(th, NULL);
	vp_mem_deref(q);
}

/* Walked by the oom suite: the plain allocators fail one at a time (the
 * walk proves each is counted) and the ones after succeed again. */
VTEST_OOM(core_plain_allocators_oom_walk)
{
	char *a = vp_strdup("abc"), *b = vp_strndup("defgh", 2), *c = NULL;
	int *v = vp_calloc(4, sizeof(*v)), *w;
	int n = vp_asprintf(&c, "%s-%d", "x", 7);

	VT_TRUE(a || vtest_oom_hit());
	VT_TRUE(!a || !strcmp(a, "abc"));
	VT_TRUE(!b || !strcmp(b, "de"));
	VT_TRUE(n < 0 ? c == NULL : !strcmp(c, "x-7"));
	VT_TRUE(v || vtest_oom_hit());
	if (v) {
		w = vp_realloc(v, 64 * sizeof(*v));
		if (w)
			v = w; /* a failed realloc keeps the old block */
		VT_TRUE(w || vtest_oom_hit());
		VT_EQ(0, v[3]);
	}
	VT_TRUE(vp_realloc(vp_malloc(8), 0) == NULL); /* frees, never fails */
	free(a);
	free(b);
	free(c);
	free(v);
}

/* What a server or participant named cannot forge a log line (a gate
 * decision) or reach the terminal: one line a message, control bytes
 * written out. */
VTEST(core_log_one_line_whatever_the_message_holds)
{
	char buf[4096];
	size_t n;
	FILE *f = tmpfile();

	VT_TRUE(f != NULL);
	vp_log_set_stream(f);
	vp_log_write(VP_LOG_INFO, "gate", "gate closed reason=\"%s\"",
		     "p1\n2026-12-07T00:00:00.000000Z I gate bot=- gate open"
		     "\r\t\x1b[2J\x7f\x01 é");
	vp_log_set_stream(NULL);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	VT_TRUE(n > 0 && buf[n - 1] == '\n');
	VT_TRUE(strchr(buf, '\n') == buf + n - 1); /* one line */
	for (size_t i = 0; i + 1 < n; i++)
		VT_TRUE((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f);
	VT_TRUE(strstr(buf, " I gate bot=- gate closed reason=\"p1\\n2026-") !=
		NULL);
	VT_TRUE(strstr(buf, "gate open\\r\\t\\x1b[2J\\x7f\\x01 é\"\n") != NULL);
}

/* All of a file of unknown size, past the first blocks, NUL after it; a
 * bound refuses more. */
VTEST(core_fs_read_all_grows_and_bounds)
{
	static char data[100003];
	FILE *f = tmpfile();
	char *buf = NULL;
	size_t len = 1;

	VT_TRUE(f != NULL);
	VT_EQ(vp_fs_read_all(fileno(f), 0, &buf, &len), 0);
	VT_TRUE(len == 0 && buf[0] == '\0');
	free(buf);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	VT_TRUE(fwrite(data, 1, sizeof(data), f) == sizeof(data));
	fflush(f);
	VT_EQ(lseek(fileno(f), 0, SEEK_SET), 0);
	VT_EQ(vp_fs_read_all(fileno(f), 0, &buf, &len), 0);
	VT_TRUE(len == sizeof(data) && !memcmp(buf, data, len) &&
		buf[len] == '\0');
	free(buf);
	buf = NULL;
	VT_EQ(lseek(fileno(f), 0, SEEK_SET), 0);
	VT_EQ(vp_fs_read_all(fileno(f), sizeof(data) - 1, &buf, &len), EFBIG);
	VT_TRUE(buf == NULL);
	VT_EQ(lseek(fileno(f), 0, SEEK_SET), 0);
	VT_EQ(vp_fs_read_all(fileno(f), sizeof(data), &buf, &len), 0);
	VT_TRUE(len == sizeof(data));
	free(buf);
	fclose(f);
}
