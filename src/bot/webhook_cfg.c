/* SPDX-License-Identifier: MIT */
/**
 * @file webhook_cfg.c  Where the webhook's settings come from: the job's
 * "webhook" object, or `--webhook URL` (one that may hold a token, in its
 * query or a token-shaped path segment, from a file or the environment)
 * with the secret from a file or an environment variable. No secret from
 * argv (ps shows argv to every user), and none echoed in an error.
 */
#include "src/bot/webhook_cfg.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/core/secret.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 4096

static int say(char *why, size_t sz, const char *fmt, const char *what)
{
	snprintf(why, sz, fmt, what);
	return EBADMSG;
}

/* src/core/secret.h: the rules every secret-bearing value follows; a
 * secret keeps its blanks (they are part of what is signed with) */
static const struct vp_secret_rule secret_rule = {.what = "webhook secret file",
						  .max = SECRET_MAX};

#define URL_MAX	    4096
#define TOKEN_SHAPE 16 /* a path segment this long, letters and digits */

/* Does a segment of the URL's path look like a token (Slack's, Discord's
 * webhook URLs carry one there)? */
static bool token_in_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	while (p && *p) {
		size_t n = strcspn(++p, "/");
		bool alpha = false, digit = false;

		for (size_t i = 0; i < n; i++) {
			alpha |= (p[i] >= 'a' && p[i] <= 'z') ||
				 (p[i] >= 'A' && p[i] <= 'Z');
			digit |= p[i] >= '0' && p[i] <= '9';
		}
		if (n >= TOKEN_SHAPE && alpha && digit)
			return true;
		p += n;
	}
	return false;
}

int vp_webhook_url_cli(char **out, const char *arg, const char *file, char *why,
		       size_t whysz)
{
	const struct vp_secret_rule r = {.what = file ? "--webhook-file"
						      : "webhook URL",
					 .max = URL_MAX,
					 .stdin_ok = true,
					 .trim_blanks = true};
	int e;

	*out = NULL;
	if (arg && file)
		return say(why, whysz, "%s",
			   "give --webhook or --webhook-file, not both");
	if (arg) {
		if (strchr(arg, '?') || token_in_path(arg))
			return say(why, whysz, "%s",
				   "a webhook URL with a query, or a path "
				   "segment shaped like a token, may hold a "
				   "secret: give it with --webhook-file "
				   "FILE|- or $" VP_WEBHOOK_URL_ENV
				   ", never as an argument");
		*out = vp_strdup(arg);
		return *out ? 0 : ENOMEM;
	}
	if (file)
		e = vp_secret_file(out, file, &r, why, whysz);
	else
		e = vp_secret_env(out, VP_WEBHOOK_URL_ENV, &r, why, whysz);
	unsetenv(VP_WEBHOOK_URL_ENV); /* not passed on to anything we start */
	return e == ENOENT && !file ? 0 : e;
}

int vp_webhook_secret_load(char **out, const char *file, const char *env,
			   char *why, size_t whysz)
{
	int e;

	if (file)
		return vp_secret_file(out, file, &secret_rule, why, whysz);
	e = env ? vp_secret_env(out, env, &secret_rule, why, whysz) : ENOENT;
	if (e == ENOENT)
		return say(why, whysz,
			   "the webhook needs a secret: a file, or "
			   "the environment variable %s",
			   env ? env : "(none)");
	return e;
}

static int opt_str(json_t *o, const char *key, const char **v, char *why,
		   size_t sz)
{
	json_t *j = json_object_get(o, key);

	if (!j)
		return 0;
	if (!json_is_string(j) || !json_string_length(j))
		return say(why, sz,
			   "job: webhook.%s must be a non-empty "
			   "string",
			   key);
	*v = json_string_value(j);
	return 0;
}

static int check_keys(json_t *o, char *why, size_t sz)
{
	static const char *const keys[] = {
		"url",	   "secret",	      "secret_file", "secret_env",
		"ca_file", "final_timeout_s", NULL};
	const char *k = vp_json_unknown_key(o, keys);

	return k ? say(why, sz, "job: webhook: unknown key '%.64s'", k) : 0;
}

int vp_webhook_cfg_job(struct vp_bot_cfg *c, char **secretp, json_t *o,
		       char *why, size_t sz)
{
	const char *sec = NULL, *file = NULL, *env = NULL;
	json_t *to = json_object_get(o, "final_timeout_s");
	int e;

	if (!json_is_object(o))
		return say(why, sz, "job: %s must be an object", "webhook");
	e = check_keys(o, why, sz);
	e = e ? e : opt_str(o, "url", &c->webhook_url, why, sz);
	e = e ? e : opt_str(o, "secret", &sec, why, sz);
	e = e ? e : opt_str(o, "secret_file", &file, why, sz);
	e = e ? e : opt_str(o, "secret_env", &env, why, sz);
	e = e ? e : opt_str(o, "ca_file", &c->webhook_ca, why, sz);
	if (e)
		return e;
	if (!c->webhook_url)
		return say(why, sz, "job: webhook.%s is required", "url");
	if (!!sec + !!file + !!env != 1)
		return say(why, sz, "job: webhook: give exactly one of %s",
			   "secret, secret_file, secret_env");
	if (to && (!json_is_number(to) || json_number_value(to) < 1 ||
		   json_number_value(to) > 3600))
		return say(why, sz, "job: webhook.%s must be 1..3600",
			   "final_timeout_s");
	c->webhook_timeout_s = to ? json_number_value(to) : 0;
	if (sec) {
		*secretp = strdup(sec);
		e = *secretp ? 0 : ENOMEM;
	} else {
		e = vp_webhook_secret_load(secretp, file, env, why, sz);
	}
	if (!e)
		c->webhook_secret = *secretp;
	return e;
}
