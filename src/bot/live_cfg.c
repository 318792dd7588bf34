/* SPDX-License-Identifier: MIT */
/**
 * @file live_cfg.c  Where the live URL comes from (live_cfg.h). A URL with
 * a query may hold a token, and every local user can read a process's
 * argv: such a URL is taken from a file, stdin or the environment only,
 * as an invite with a token is (README "Commands").
 */
#include "src/bot/live_cfg.h"
#include "src/bot/live.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define URL_MAX (VP_LIVE_PATH_MAX + VP_LIVE_HOST_MAX + 16)

static int say(char *why, size_t sz, const char *fmt, const char *what)
{
	snprintf(why, sz, fmt, what);
	return EBADMSG;
}

/* One line from FILE ("-": stdin, on the command line only), surrounding
 * blanks dropped. */
static int read_line(char **out, const char *file, bool cli, char *why,
		     size_t sz)
{
	int fd = strcmp(file, "-") || !cli ? open(file, O_RDONLY | O_CLOEXEC)
					   : 0;
	char *buf = vp_calloc(1, URL_MAX + 2);
	size_t n = 0, a = 0;
	ssize_t r = 1;

	if (fd < 0 || !buf) {
		free(buf);
		return say(why, sz, "cannot read the live URL file %s", file);
	}
	while (r > 0 && n < URL_MAX + 1) {
		r = read(fd, buf + n, URL_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			r = 1;
		else if (r > 0)
			n += (size_t)r;
	}
	if (fd > 0)
		close(fd);
	while (n && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = '\0';
	while (a < n && strchr(" \t\r\n", buf[a]))
		a++;
	memmove(buf, buf + a, n - a + 1);
	if (r < 0 || !buf[0] || n > URL_MAX || strlen(buf) != n - a) {
		free(buf);
		return say(why, sz,
			   "the live URL file %s is unreadable, "
			   "empty, binary or too long",
			   file);
	}
	*out = buf;
	return 0;
}

static int check(const char *url, bool from_argv, char *why, size_t sz)
{
	struct vp_live_url u;
	int e = vp_live_url_parse(&u, url, why, sz);

	if (!e && from_argv && u.secret)
		e = say(why, sz, "%s",
			"a live URL with a query may hold a "
			"token: give it with --live-file FILE|- or "
			"$" VP_LIVE_URL_ENV ", never as an argument");
	return e;
}

int vp_live_cfg_cli(char **out, const char *arg, const char *file, char *why,
		    size_t sz)
{
	const char *env = getenv(VP_LIVE_URL_ENV);
	int e;

	*out = NULL;
	if (arg && file)
		return say(why, sz, "%s",
			   "give --live or --live-file, not "
			   "both");
	if (file) {
		e = read_line(out, file, true, why, sz);
	} else if (arg) {
		e = check(arg, true, why, sz);
		if (!e && !(*out = vp_strdup(arg)))
			e = ENOMEM;
		return e;
	} else if (env && *env) {
		*out = vp_strdup(env);
		e = *out ? 0 : ENOMEM;
	} else {
		return 0;
	}
	unsetenv(VP_LIVE_URL_ENV); /* not passed on to anything we start */
	if (!e)
		e = check(*out, false, why, sz);
	if (e) {
		free(*out);
		*out = NULL;
	}
	return e;
}

static int opt_str(json_t *o, const char *key, const char **v, char *why,
		   size_t sz)
{
	json_t *j = json_object_get(o, key);

	if (!j)
		return 0;
	if (!json_is_string(j) || !json_string_length(j))
		return say(why, sz, "job: live.%s must be a non-empty string",
			   key);
	*v = json_string_value(j);
	return 0;
}

static int check_keys(json_t *o, char *why, size_t sz)
{
	static const char *const keys[] = {"url", "url_file", "url_env",
					   "ca_file", NULL};
	const char *k = vp_json_unknown_key(o, keys);

	return k ? say(why, sz, "job: live: unknown key '%.64s'", k) : 0;
}

int vp_live_cfg_job(struct vp_bot_cfg *c, char **out, json_t *o, char *why,
		    size_t sz)
{
	const char *url = NULL, *file = NULL, *env = NULL;
	int e;

	if (json_is_string(o)) {
		url = json_string_value(o);
	} else if (json_is_object(o)) {
		e = check_keys(o, why, sz);
		e = e ? e : opt_str(o, "url", &url, why, sz);
		e = e ? e : opt_str(o, "url_file", &file, why, sz);
		e = e ? e : opt_str(o, "url_env", &env, why, sz);
		e = e ? e : opt_str(o, "ca_file", &c->live_ca, why, sz);
		if (e)
			return e;
		if (!!url + !!file + !!env != 1)
			return say(why, sz, "job: live: give exactly one of %s",
				   "url, url_file, url_env");
	} else {
		return say(why, sz, "job: %s must be a URL or an object",
			   "live");
	}
	if (file) {
		e = read_line(out, file, false, why, sz);
	} else {
		const char *v = url ? url : getenv(env);

		if (!v || !v[0])
			return say(why, sz,
				   "job: live: the environment "
				   "variable %.64s is not set",
				   env);
		*out = vp_strdup(v);
		e = *out ? 0 : ENOMEM;
	}
	if (!e && (e = check(*out, false, why, sz))) {
		free(*out);
		*out = NULL;
	}
	if (!e)
		c->live_url = *out;
	return e;
}
