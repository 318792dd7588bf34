/* SPDX-License-Identifier: MIT */
/** @file sdp_priv.h  Lexing helpers shared by sdp.c and sdp_answer.c. */
#ifndef VP_PROTOCOLS_SDP_PRIV_H
#define VP_PROTOCOLS_SDP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Copy n bytes and a NUL. @return false (dst untouched) if n >= dstsz */
bool vp_sdp__copy(char *dst, size_t dstsz, const char *p, size_t n);
/** Decimal digits only, value <= max. @return false otherwise */
bool vp_sdp__uint(const char *p, size_t n, uint64_t max, uint64_t *v);
/** Next blank-separated token of [*p, end). @return false at the end */
bool vp_sdp__tok(const char **p, const char *end, const char **t, size_t *n);

#endif
