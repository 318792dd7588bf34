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
#include "src/core/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX (VP_LIVE_PATH_MAX + VP_LIVE_HOST_MAX + 16)

static int say(char *why, size_t sz, const char *fmt, const char *what)
{
	snprintf(why, sz, fmt, what);
	return EBADMSG;
}

/* One line of FILE ("-": stdin, on the command line only): src/core/secret.h,
 * the rules every secret-bearing value follows. */
static int read_line(char **out, const char *file, bool cli, char *why,
		     size_t sz)
{
	const struct vp_secret_rule r = {.what = cli ? "--live-file"
						     : "job: live.url_file",
					 .max = URL_MAX,
					 .stdin_ok = cli,
					 .trim_blanks = true};

	return vp_secret_file(out, file, &r, why, sz);
}

static int read_env(char **out, const char *name, char *why, size_t sz)
{
	const struct vp_secret_rule r = {
		.what = "live URL", .max = URL_MAX, .trim_blanks = true};

	return vp_secret_env(out, name, &r, why, sz);
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
	int e;

	*out = NULL;
	if (arg && file)
		return say(why, sz, "%s",
			   "give --live or --live-file, not "
			   "both");
	if (file) {
		e = read_line(out, file, true, why, sz);
		unsetenv(VP_LIVE_URL_ENV); /* not passed on either */
	} else if (arg) {
		e = check(arg, true, why, sz);
		if (!e && !(*out = vp_strdup(arg)))
			e = ENOMEM;
		return e;
	} else {
		/* unset once read: not passed on to anything we start */
		e = read_env(out, VP_LIVE_URL_ENV, why, sz);
		if (e == ENOENT)
			return 0;
	}
	if (!e)
		e = check(*out, false, why, sz);
	if (e) {
		vp_secret_free(*out);
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
	} else if (env) {
		e = read_env(out, env, why, sz);
		if (e == ENOENT)
			return say(why, sz,
				   "job: live: the environment "
				   "variable %.64s is not set",
				   env);
	} else {
		*out = vp_strdup(url);
		e = *out ? 0 : ENOMEM;
	}
	if (!e && (e = check(*out, false, why, sz))) {
		vp_secret_free(*out);
		*out = NULL;
	}
	if (!e)
		c->live_url = *out;
	return e;
}
