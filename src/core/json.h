/* SPDX-License-Identifier: MIT */
/**
 * @file json.h  jansson calls that never return a wrong document.
 *
 * jansson 2.14 swallows some failed allocations: json_dumps() then writes
 * a line with a key missing ({"a":1,:3}) and json_loadb() may return a
 * document with a member missing, or report the failure as a syntax
 * error. Through these, any allocation that failed during the call
 * (counted by vp_mem_failures(), src/core/mem.h; vpbot and the tests
 * route jansson's allocator through vp_malloc) makes the call fail with
 * ENOMEM instead. Header only: the core library does not link jansson.
 */
#ifndef VP_CORE_JSON_H
#define VP_CORE_JSON_H

#include "src/core/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

/** json_dumps(), or NULL if any allocation failed on the way */
static inline char *vp_json_dumps(const json_t *o, size_t flags)
{
	unsigned long fails = vp_mem_failures();
	char *s = o ? json_dumps(o, flags) : NULL;

	if (s && vp_mem_failures() != fails) {
		free(s);
		s = NULL;
	}
	return s;
}

/**
 * json_loadb(), but *errp says why it failed: EBADMSG (bad input, je says
 * where) or ENOMEM (an allocation failed: the input may be fine).
 */
static inline json_t *vp_json_loadb(const char *s, size_t n, size_t flags,
				    json_error_t *je, int *errp)
{
	unsigned long fails = vp_mem_failures();
	json_t *o = json_loadb(s, n, flags, je);

	*errp = 0;
	if (vp_mem_failures() != fails) {
		json_decref(o);
		*errp = ENOMEM;
		return NULL;
	}
	if (!o)
		*errp = EBADMSG;
	return o;
}

#endif
