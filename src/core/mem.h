/* SPDX-License-Identifier: MIT */
/** @file mem.h  Reference-counted allocation (after baresip/re mem_*). */
#ifndef VP_CORE_MEM_H
#define VP_CORE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Called once, when the last reference goes, before the memory is freed. */
typedef void(vp_mem_destroy_h)(void *data);

/** @return zeroed memory with one reference, or NULL (ENOMEM) */
void *vp_mem_zalloc(size_t size, vp_mem_destroy_h *dh);
/** Take a second reference. @return data */
void *vp_mem_ref(void *data);
/** Drop one reference (NULL is fine). @return NULL, so `x = vp_mem_deref(x);`
 */
void *vp_mem_deref(void *data);
/** @return the current reference count (0 for NULL) */
uint32_t vp_mem_nrefs(const void *data);
/** Refcounted copy of a C string; NULL in, NULL out. */
char *vp_mem_strdup(const char *s);
/** Refcounted copy of n bytes of s plus a NUL. */
char *vp_mem_strndup(const char *s, size_t n);

/*
 * Plain (not refcounted) allocation, released with free(). Every raw
 * allocation of src/, protocols/ and media/ goes through these, so that
 * the OOM test mode reaches it (tools/lint/ccheck.py refuses a bare
 * malloc there). The test harness also routes jansson's and OpenSSL's
 * allocators here (tests/harness/vtest.c).
 */
void *vp_malloc(size_t size);
void *vp_calloc(size_t n, size_t size);
/** realloc(); with size 0 it frees and returns NULL, never failing */
void *vp_realloc(void *p, size_t size);
char *vp_strdup(const char *s);
char *vp_strndup(const char *s, size_t n);
/** asprintf(): @return the length, or -1 with *out NULL */
int vp_asprintf(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** getline(): -1 with errno ENOMEM when an allocation fails (errno is
 * set to 0 first, so a caller can tell EOF from an error) */
long vp_getline(char **line, size_t *cap, FILE *f);
struct dirent;
/** scandir() with the same arguments; -1 with errno ENOMEM on failure */
int vp_scandir(const char *dir, struct dirent ***list,
	       int (*filter)(const struct dirent *),
	       int (*cmp)(const struct dirent **, const struct dirent **));

/*
 * OOM test mode. Allocations are counted from the call on (through
 * vp_mem_zalloc and the plain allocators above).
 * vp_mem_fail_nth(n): only allocation #n (0 = the next) fails, every other
 * succeeds: fail, then recover. n < 0: count only.
 * vp_mem_fail_after(n): allocation #n fails and every later one too.
 * vp_mem_fail_reset() ends both.
 */
void vp_mem_fail_nth(long n);
void vp_mem_fail_after(long n);
void vp_mem_fail_reset(void);
/** Paused: allocations neither count nor fail (a test's own set-up). */
void vp_mem_fail_pause(bool paused);
/** @return true if an allocation failed on purpose since the last arm */
int vp_mem_fail_hit(void);
/** @return allocations counted since the last vp_mem_fail_nth/_after */
long vp_mem_fail_count(void);
/**
 * @return how many allocations through vp_mem have failed on this thread
 * (for real or on purpose). A caller whose library hides the cause of a
 * failure (jansson reports some failed allocations as syntax errors)
 * compares it before and after the call to tell ENOMEM from bad input.
 */
unsigned long vp_mem_failures(void);
/**
 * Between vp_mem_sticky(true) and (false), once a vp_malloc on this
 * thread has failed every later one fails too. jansson 2.14 aborts
 * (assert in lex_scan_string) when one allocation of a parse fails and
 * the next succeed; src/core/json.h parses this way. Nests.
 */
void vp_mem_sticky(bool on);
/** @return true if the calling allocation must fail (test mode only) */
bool vp_mem_fail_now(void);

#endif
