/* SPDX-License-Identifier: MIT */
/** @file mem.c  Reference-counted allocation with an OOM test mode. */
#include "src/core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct mem_hdr {
	atomic_uint nrefs;
	vp_mem_destroy_h *dh;
	max_align_t align[]; /* the user's data starts here, aligned */
};

enum fail_mode { FAIL_OFF, FAIL_NTH, FAIL_AFTER };

static atomic_int fail_mode; /* FAIL_OFF: no counting, no failure */
static atomic_long fail_at = -1;
static atomic_long fail_count;
static atomic_int fail_hit;
static atomic_bool fail_paused;
static _Thread_local unsigned long failures;
static _Thread_local unsigned sticky;
static _Thread_local unsigned long sticky_mark;

void vp_mem_sticky(bool on)
{
	if (on && !sticky++)
		sticky_mark = failures;
	else if (!on && sticky)
		sticky--;
}

unsigned long vp_mem_failures(void)
{
	return failures;
}

/* @return p; counts a NULL */
static void *counted(void *p)
{
	if (!p)
		failures++;
	return p;
}

static struct mem_hdr *hdr_of(const void *data)
{
	return (struct mem_hdr *)((char *)data -
				  offsetof(struct mem_hdr, align));
}

bool vp_mem_fail_now(void)
{
	int mode = atomic_load_explicit(&fail_mode, memory_order_relaxed);
	long n, at;

	if (mode == FAIL_OFF || atomic_load(&fail_paused))
		return false;
	n = atomic_fetch_add(&fail_count, 1);
	at = atomic_load(&fail_at);
	if (at < 0 || n < at || (mode == FAIL_NTH && n != at))
		return false;
	atomic_store(&fail_hit, 1);
	failures++;
	if (getenv("VP_MEM_FAIL_TRACE")) { /* where the walk failed one */
		void *bt[32];

		backtrace_symbols_fd(bt, backtrace(bt, 32), 2);
	}
	return true;
}

void *vp_mem_zalloc(size_t size, vp_mem_destroy_h *dh)
{
	struct mem_hdr *h;

	if (vp_mem_fail_now() || size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = counted(calloc(1, sizeof(*h) + size));
	if (!h)
		return NULL;
	atomic_init(&h->nrefs, 1);
	h->dh = dh;
	return h->align;
}

void *vp_mem_ref(void *data)
{
	if (data)
		atomic_fetch_add(&hdr_of(data)->nrefs, 1);
	return data;
}

void *vp_mem_deref(void *data)
{
	struct mem_hdr *h;

	if (!data)
		return NULL;
	h = hdr_of(data);
	if (atomic_fetch_sub(&h->nrefs, 1) != 1)
		return NULL;
	if (h->dh)
		h->dh(data);
	free(h);
	return NULL;
}

uint32_t vp_mem_nrefs(const void *data)
{
	return data ? atomic_load(&hdr_of(data)->nrefs) : 0;
}

char *vp_mem_strndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = vp_mem_zalloc(n + 1, NULL);
	if (d)
		memcpy(d, s, n);
	return d;
}

char *vp_mem_strdup(const char *s)
{
	return s ? vp_mem_strndup(s, strlen(s)) : NULL;
}

static void arm(int mode, long n)
{
	atomic_store(&fail_mode, FAIL_OFF);
	atomic_store(&fail_hit, 0);
	atomic_store(&fail_count, 0);
	atomic_store(&fail_at, n);
	atomic_store(&fail_mode, mode);
}

void vp_mem_fail_nth(long n)
{
	arm(FAIL_NTH, n);
}

void vp_mem_fail_after(long n)
{
	arm(FAIL_AFTER, n);
}

void vp_mem_fail_reset(void)
{
	atomic_store(&fail_mode, FAIL_OFF);
	atomic_store(&fail_at, -1);
	atomic_store(&fail_paused, false);
}

void vp_mem_fail_pause(bool paused)
{
	atomic_store(&fail_paused, paused);
}

int vp_mem_fail_hit(void)
{
	return atomic_load(&fail_hit);
}

long vp_mem_fail_count(void)
{
	return atomic_load(&fail_count);
}

/* --- plain allocators, free()d by the caller --- */

void *vp_malloc(size_t size)
{
	if (sticky && failures != sticky_mark)
		return NULL; /* vp_mem_sticky: the first failure holds */
	return vp_mem_fail_now() ? NULL : counted(malloc(size ? size : 1));
}

void *vp_calloc(size_t n, size_t size)
{
	return vp_mem_fail_now() ? NULL
				 : counted(calloc(n ? n : 1, size ? size : 1));
}

void *vp_realloc(void *p, size_t size)
{
	if (!size) {
		free(p);
		return NULL;
	}
	return vp_mem_fail_now() ? NULL : counted(realloc(p, size));
}

char *vp_strndup(const char *s, size_t n)
{
	return vp_mem_fail_now() ? NULL : counted(strndup(s, n));
}

char *vp_strdup(const char *s)
{
	return vp_mem_fail_now() ? NULL : counted(strdup(s));
}

int vp_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	*out = NULL;
	if (vp_mem_fail_now())
		return -1;
	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0)
		*out = NULL;
	return n;
}

long vp_getline(char **line, size_t *cap, FILE *f)
{
	errno = 0;
	if (vp_mem_fail_now()) {
		errno = ENOMEM;
		return -1;
	}
	return (long)getline(line, cap, f);
}

int vp_scandir(const char *dir, struct dirent ***list,
	       int (*filter)(const struct dirent *),
	       int (*cmp)(const struct dirent **, const struct dirent **))
{
	if (vp_mem_fail_now()) {
		errno = ENOMEM;
		return -1;
	}
	return scandir(dir, list, filter, cmp);
}
