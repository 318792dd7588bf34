/* SPDX-License-Identifier: MIT */
/**
 * @file ics_text.c  A calendar's text, before and beside libical: is it
 * one, and which physical line a problem is on (libical keeps no
 * positions).
 */
#include "src/core/mem.h"
#include "src/sched/sched_priv.h"

#include <string.h>
#include <strings.h>

bool vp_sched__starts_like_ics(const char *t, size_t len)
{
	if (len >= 3 && !memcmp(t, "\xef\xbb\xbf", 3)) { /* UTF-8 BOM */
		t += 3;
		len -= 3;
	}
	while (len && (*t == ' ' || *t == '\r' || *t == '\n' || *t == '\t')) {
		t++;
		len--;
	}
	return len >= 15 && !strncasecmp(t, "BEGIN:VCALENDAR", 15);
}

/* Physical line numbers of each BEGIN:VEVENT, in document order: libical
 * keeps no positions, so a problem is named by its event's first line. */
unsigned *vp_sched__vevent_lines(const char *t, size_t len, size_t *n)
{
	unsigned *v = NULL, line = 1;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < len; line++) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - t) : len;

		if (e - i >= 12 && !strncasecmp(t + i, "BEGIN:VEVENT", 12)) {
			if (*n == cap) {
				unsigned *nv;

				cap = cap ? cap * 2 : 64;
				nv = vp_realloc(v, cap * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			v[(*n)++] = line;
		}
		i = e + 1;
	}
	return v;
}

/* libical's message ends with the text it choked on ("…begin tag:
 * THIS IS NOT A PROPERTY"): find the first line at or after `from` that
 * holds it, so the problem is named by its own line. */
unsigned vp_sched__line_of(const char *text, size_t len, const char *msg,
			   unsigned from)
{
	const char *tail = msg ? strstr(msg, ": ") : NULL;
	size_t tl, i = 0;
	unsigned line = 1;

	if (!tail || (tl = strlen(tail + 2)) < 3)
		return from;
	tail += 2;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;

		if (line >= from && memmem(text + i, e - i, tail, tl))
			return line;
		i = e + 1;
		line++;
	}
	return from;
}
