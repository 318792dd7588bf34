/* SPDX-License-Identifier: MIT */
/** @file mem.h  Reference-counted allocation (after baresip/re mem_*). */
#ifndef VP_CORE_MEM_H
#define VP_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

/** Called once, when the last reference goes, before the memory is freed. */
typedef void(vp_mem_destroy_h)(void *data);

/** @return zeroed memory with one reference, or NULL (ENOMEM) */
void *vp_mem_zalloc(size_t size, vp_mem_destroy_h *dh);
/** Take a second reference. @return data */
void *vp_mem_ref(void *data);
/** Drop one reference (NULL is fine). @return NULL, so `x = vp_mem_deref(x);` */
void *vp_mem_deref(void *data);
/** @return the current reference count (0 for NULL) */
uint32_t vp_mem_nrefs(const void *data);
/** Refcounted copy of a C string; NULL in, NULL out. */
char *vp_mem_strdup(const char *s);
/** Refcounted copy of n bytes of s plus a NUL. */
char *vp_mem_strndup(const char *s, size_t n);

/**
 * OOM test mode: the n-th allocation from now (0 = the next) fails, and
 * every later one too, until vp_mem_fail_reset(). Used by tests' --oom.
 */
void vp_mem_fail_after(long n);
void vp_mem_fail_reset(void);
/** @return true if an allocation failed on purpose since the last reset */
int vp_mem_fail_hit(void);

#endif
