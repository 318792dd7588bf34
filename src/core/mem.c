/* SPDX-License-Identifier: MIT */
/** @file mem.c  Reference-counted allocation with an OOM test mode. */
#include "src/core/mem.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct mem_hdr {
	atomic_uint nrefs;
	vp_mem_destroy_h *dh;
	max_align_t align[]; /* the user's data starts here, aligned */
};

static atomic_long fail_countdown = -1;
static atomic_int fail_hit;

static struct mem_hdr *hdr_of(const void *data)
{
	return (struct mem_hdr *)((char *)data - offsetof(struct mem_hdr, align));
}

static bool should_fail(void)
{
	long n = atomic_load(&fail_countdown);

	if (n < 0)
		return false;
	if (n == 0) {
		atomic_store(&fail_hit, 1);
		return true;
	}
	atomic_fetch_sub(&fail_countdown, 1);
	return false;
}

void *vp_mem_zalloc(size_t size, vp_mem_destroy_h *dh)
{
	struct mem_hdr *h;

	if (should_fail() || size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = calloc(1, sizeof(*h) + size);
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

void vp_mem_fail_after(long n)
{
	atomic_store(&fail_hit, 0);
	atomic_store(&fail_countdown, n);
}

void vp_mem_fail_reset(void)
{
	atomic_store(&fail_countdown, -1);
}

int vp_mem_fail_hit(void)
{
	return atomic_load(&fail_hit);
}
