/* SPDX-License-Identifier: MIT */
/** @file source.h  Read one calendar: a file or an https feed (source.c). */
#ifndef VP_SCHED_SOURCE_H
#define VP_SCHED_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/** One calendar's last good content (kept across scans for the ETag). */
struct vp_sched_feed {
	char *body;
	size_t len;
	char etag[256];
	unsigned not_modified; /**< 304 answers so far */
};

struct vp_sched_fetch_opt {
	const char *file; /**< a path, or NULL */
	const char *url;  /**< else this feed URL (a secret) */
	long timeout_s;	  /**< connect and total */
	size_t max_bytes; /**< cap on the body */
	bool allow_http;  /**< tests only (a local plain-HTTP server) */
};

/**
 * Read the calendar into f (on 304 or any error, f keeps its previous
 * body). err never contains the URL.
 * @return 0, ENOENT (no file, HTTP 404/410), EACCES (401/403),
 *         ETIMEDOUT (refused, unresolvable, timed out, 5xx), EFBIG (over
 *         the cap), EPROTO (TLS, other status), EBADMSG (not a calendar:
 *         a login or error page served with 200) or ENOMEM
 */
int vp_sched_feed_read(struct vp_sched_feed *f,
		       const struct vp_sched_fetch_opt *o, char *err,
		       size_t errsz);
void vp_sched_feed_clear(struct vp_sched_feed *f);

#endif
