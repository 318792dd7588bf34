/* SPDX-License-Identifier: MIT */
/**
 * @file secret.c  One line from a file, stdin or the environment, under one
 * set of rules (secret.h).
 */
#include "src/core/secret.h"

#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENV   "the environment variable"
#define SLACK 8 /* line ends and blanks beyond max that trimming removes */

static int say(char *why, size_t sz, const char *what, const char *src,
	       const char *fault)
{
	snprintf(why, sz, "%s %s: %s", what, src, fault);
	return EBADMSG;
}

static int too_long(char *why, size_t sz, size_t max, const char *what,
		    const char *src)
{
	char lim[48];

	snprintf(lim, sizeof(lim), "over %zu bytes", max);
	return say(why, sz, what, src, lim);
}

static void wipe_free(char *buf, size_t len)
{
	explicit_bzero(buf, len);
	free(buf);
}

/* Trim buf[0..n) in place as the rule says; check what is left. */
static int clean(char *buf, size_t n, const struct vp_secret_rule *r,
		 const char *what, const char *src, char *why, size_t sz)
{
	const char *ends = r->trim_blanks ? " \t\r\n" : "\r\n";
	size_t a = 0, n0 = n;

	if (memchr(buf, '\0', n))
		return say(why, sz, what, src, "binary (a NUL byte)");
	while (n && strchr(ends, buf[n - 1]))
		n--;
	while (r->trim_blanks && a < n && strchr(ends, buf[a]))
		a++;
	memmove(buf, buf + a, n - a);
	n -= a;
	explicit_bzero(buf + n, n0 - n + 1); /* no copy past the end */
	if (!n)
		return say(why, sz, what, src, "empty");
	if (strpbrk(buf, "\r\n"))
		return say(why, sz, what, src, "more than one line");
	return n > r->max ? too_long(why, sz, r->max, what, src) : 0;
}

/* Up to cap bytes of fd. @return bytes read, or -1 with errno */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r = 1;

	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return r < 0 ? -1 : (ssize_t)n;
}

int vp_secret_file(char **out, const char *file, const struct vp_secret_rule *r,
		   char *why, size_t whysz)
{
	bool std = r->stdin_ok && !strcmp(file, "-");
	int fd = std ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	size_t cap = r->max + SLACK;
	char *buf;
	ssize_t n;
	int e;

	*out = NULL;
	if (fd < 0)
		return say(why, whysz, r->what, file, strerror(errno));
	buf = vp_calloc(1, cap + 2);
	n = buf ? read_upto(fd, buf, cap + 1) : 0;
	e = n < 0 ? errno : 0;
	if (!std)
		close(fd);
	if (!buf) {
		snprintf(why, whysz, "%s %s: out of memory", r->what, file);
		return ENOMEM;
	}
	if (e)
		e = say(why, whysz, r->what, file, strerror(e));
	else if ((size_t)n > cap)
		e = too_long(why, whysz, r->max, r->what, file);
	else
		e = clean(buf, (size_t)n, r, r->what, file, why, whysz);
	if (e) {
		wipe_free(buf, cap + 2);
		return e;
	}
	*out = buf;
	return 0;
}

int vp_secret_env(char **out, const char *name, const struct vp_secret_rule *r,
		  char *why, size_t whysz)
{
	const char *v = getenv(name);
	size_t n = v ? strlen(v) : 0;
	char *buf;
	int e;

	*out = NULL;
	if (!n) {
		unsetenv(name);
		snprintf(why, whysz, "%s %s is not set", ENV, name);
		return ENOENT;
	}
	buf = n <= r->max + SLACK ? vp_strdup(v) : NULL;
	unsetenv(name); /* nothing vpbot starts inherits it */
	if (n > r->max + SLACK)
		return too_long(why, whysz, r->max, ENV, name);
	if (!buf) {
		snprintf(why, whysz, "%s %s: out of memory", ENV, name);
		return ENOMEM;
	}
	e = clean(buf, n, r, ENV, name, why, whysz);
	if (e) {
		wipe_free(buf, n + 1);
		return e;
	}
	*out = buf;
	return 0;
}

void vp_secret_free(char *s)
{
	if (s)
		wipe_free(s, strlen(s));
}
