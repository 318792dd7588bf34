/* SPDX-License-Identifier: MIT */
/**
 * @file secret.h  One reader for the values that must never be on argv
 * (every local user can read a process's argv): an invite with a token, a
 * live URL with a token, a webhook secret. Each comes as one line of a
 * file (or stdin, on the command line), or from an environment variable,
 * and every caller applies the same rules and says the same things.
 *
 * Rules: the final line end(s) (\n, \r\n) are dropped; with trim_blanks
 * (a URL, which cannot hold them) surrounding blanks go too. Refused,
 * with a message naming the source and never the value: unreadable,
 * empty, more than one line, a NUL byte, longer than max bytes.
 */
#ifndef VP_CORE_SECRET_H
#define VP_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/** What is read, and how much of it. */
struct vp_secret_rule {
	const char *what; /**< names the source in messages ("--live-file") */
	size_t max;	  /**< longest value accepted, in bytes */
	bool stdin_ok;	  /**< the file "-" is stdin (command line only) */
	bool trim_blanks; /**< drop surrounding blanks too */
};

/**
 * Read the one line of FILE.
 * @param out  out: malloc'd value; release it with vp_secret_free()
 * @param why  the reason on failure: "WHAT FILE: …", never the value
 * @return 0, EBADMSG (refused, why says why) or ENOMEM
 */
int vp_secret_file(char **out, const char *file, const struct vp_secret_rule *r,
		   char *why, size_t whysz);

/**
 * Take the environment variable NAME under the same rules, then unset it
 * (nothing vpbot starts inherits it), whether accepted or not.
 * @return 0, ENOENT (unset or empty), EBADMSG (refused) or ENOMEM
 */
int vp_secret_env(char **out, const char *name, const struct vp_secret_rule *r,
		  char *why, size_t whysz);

/** Overwrite, then free, a value from vp_secret_file/env (NULL: nothing). */
void vp_secret_free(char *s);

#endif
