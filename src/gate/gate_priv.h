/* SPDX-License-Identifier: MIT */
/**
 * @file gate_priv.h  Helpers shared by the gate module's own files:
 * address/domain checks and matching, error text, bounded file reading.
 */
#ifndef VP_GATE_PRIV_H
#define VP_GATE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "src/gate/settings.h"

/** Inputs larger than this are rejected (settings and facts are small). */
#define VP_GATE__MAX_INPUT (1024 * 1024)

/** A settings URL's HTTP status as an errno (settings_load.c): 0 for 200,
 *  ENOENT 404/410, EACCES 401/403, ETIMEDOUT for a server that cannot
 *  answer now (408, 429, 5xx: the bot exits 75, retry later), EPROTO for
 *  the rest. */
int vp_gate__http_err(long status);

/** snprintf into err if err is not NULL. */
void vp_gate__errf(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** ASCII lower-case in place. */
void vp_gate__lower(char *s);

/** DNS name as we accept it: [a-z0-9-] labels joined by '.', 1..253. */
bool vp_gate__domain_valid(const char *d);
/** local@domain, one '@', printable, no spaces, at most 254 chars. */
bool vp_gate__addr_valid(const char *a);
/** @return the domain part of a valid address (after the '@') */
const char *vp_gate__addr_domain(const char *a);

/** domain equals pattern or is a sub-domain of it (both lower-case). */
bool vp_gate__domain_match(const char *domain, const char *pattern);
/** @return the first entry of v that domain matches, or NULL */
const char *vp_gate__domain_in(const struct vp_settings_strv *v,
			       const char *domain);
/** exact (lower-case) membership */
bool vp_gate__strv_has(const struct vp_settings_strv *v, const char *s);

/**
 * Whole-word, case-insensitive (ASCII) search of word (a word or a phrase,
 * lower-case) in title: the match must not touch a letter or digit on
 * either side. Bytes >= 0x80 count as word characters, so UTF-8 words are
 * not split.
 */
bool vp_gate__title_has_word(const char *title, const char *word);

/**
 * Read a whole file of at most VP_GATE__MAX_INPUT bytes into a vp_mem
 * buffer (NUL-terminated). `what` prefixes messages ("settings").
 * @return 0, ENOENT, EACCES, EBADMSG (too large, unreadable) or ENOMEM
 */
int vp_gate__read_file(char **bufp, size_t *lenp, const char *path,
		       const char *what, char *err, size_t errsz);

#endif
