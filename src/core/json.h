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
 * ENOMEM instead. And jansson aborts (an assert in its lexer) when one
 * allocation of a parse fails and a later one succeeds: these parse with
 * vp_mem_sticky() on, so the first failure holds until the parse ends.
 * Header only: the core library does not link jansson.
 */
#ifndef VP_CORE_JSON_H
#define VP_CORE_JSON_H

#include "src/core/fs.h"
#include "src/core/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/** json_dumps(), or NULL if any allocation failed on the way */
static inline char *vp_json_dumps(const json_t *o, size_t flags)
{
	unsigned long fails = vp_mem_failures();
	char *s;

	vp_mem_sticky(true);
	s = o ? json_dumps(o, flags) : NULL;
	vp_mem_sticky(false);
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
/* the common end of the loaders: *errp from the failures since `fails` */
static inline json_t *vp_json__loaded(json_t *o, unsigned long fails, int *errp)
{
	vp_mem_sticky(false);
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

static inline json_t *vp_json_loadb(const char *s, size_t n, size_t flags,
				    json_error_t *je, int *errp)
{
	unsigned long fails = vp_mem_failures();

	vp_mem_sticky(true);
	return vp_json__loaded(json_loadb(s, n, flags, je), fails, errp);
}

/**
 * vp_json_loadb() of all that is left to read on FD. Read here in large
 * blocks: json_loadfd() reads one byte a system call. *errp is EIO when
 * reading failed.
 */
static inline json_t *vp_json_loadfd(int fd, size_t flags, json_error_t *je,
				     int *errp)
{
	size_t len;
	char *buf;
	json_t *o;
	int e = vp_fs_read_all(fd, 0, &buf, &len);

	if (e) {
		*errp = e == ENOMEM ? ENOMEM : EIO;
		return NULL;
	}
	o = vp_json_loadb(buf, len, flags, je, errp);
	free(buf);
	return o;
}

static inline json_t *vp_json_load_file(const char *path, size_t flags,
					json_error_t *je, int *errp)
{
	unsigned long fails = vp_mem_failures();

	vp_mem_sticky(true);
	return vp_json__loaded(json_load_file(path, flags, je), fails, errp);
}

/** json_loads(), NULL for bad input or any failed allocation */
static inline json_t *vp_json_loads(const char *s, size_t flags,
				    json_error_t *je)
{
	int err;

	return s ? vp_json_loadb(s, strlen(s), flags, je, &err) : NULL;
}

/** json_load_file(), NULL for bad input or any failed allocation */
static inline json_t *vp_json_load_path(const char *path, size_t flags,
					json_error_t *je)
{
	int err;

	return vp_json_load_file(path, flags, je, &err);
}

/** The first member of object O whose name KEYS (NULL-ended) does not
 *  list, or NULL when every member is known: unknown keys are errors. */
static inline const char *vp_json_unknown_key(json_t *o,
					      const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		unsigned i = 0;

		while (keys[i] && strcmp(keys[i], k))
			i++;
		if (!keys[i])
			return k;
	}
	return NULL;
}

#endif
