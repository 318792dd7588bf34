/* SPDX-License-Identifier: MIT */
/**
 * @file live_url.c  The live output's ws:// / wss:// URL (live.h), read
 * with libcurl's URL parser (curl_url, CURLU_NON_SUPPORT_SCHEME: Debian
 * 12's libcurl does not speak WebSocket, but parses its URLs). Pure: no
 * network. A path or query may hold a token, so only the origin is ever
 * printed.
 */
#include "src/bot/live.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t sz, const char *what)
{
	if (why && sz)
		snprintf(why, sz, "live URL: %s", what);
	return EBADMSG;
}

/* A part that must be absent: user info (a password) and a fragment. */
static bool has(CURLU *h, CURLUPart part)
{
	char *s = NULL;
	bool yes = !curl_url_get(h, part, &s, 0) && s;

	curl_free(s);
	return yes;
}

static int host_port(struct vp_live_url *u, CURLU *h, char *why, size_t sz)
{
	char *s = NULL;
	size_t n;
	long port;
	char *end;

	if (curl_url_get(h, CURLUPART_HOST, &s, 0) || !s || !s[0]) {
		curl_free(s);
		return fail(why, sz, "no host");
	}
	n = strlen(s);
	/* RFC 3986 §3.2.2: an IPv6 literal is bracketed in the URL only */
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	if (strlen(s) >= sizeof(u->host)) {
		curl_free(s);
		return fail(why, sz, "host name too long");
	}
	snprintf(u->host, sizeof(u->host), "%s", s);
	curl_free(s);
	s = NULL;
	u->port = u->tls ? 443 : 80;
	if (!curl_url_get(h, CURLUPART_PORT, &s, 0) && s) {
		port = strtol(s, &end, 10);
		if (*end || port < 1 || port > 65535) {
			curl_free(s);
			return fail(why, sz, "port must be 1..65535");
		}
		u->port = (uint16_t)port;
	}
	curl_free(s);
	return 0;
}

static int path_query(struct vp_live_url *u, CURLU *h, char *why, size_t sz)
{
	char *p = NULL, *q = NULL;
	int n, e = 0;

	if (curl_url_get(h, CURLUPART_PATH, &p, 0) || !p)
		e = fail(why, sz, "no path");
	if (!e && !curl_url_get(h, CURLUPART_QUERY, &q, 0) && q)
		u->secret = true;
	if (!e) {
		n = snprintf(u->path, sizeof(u->path), "%s%s%s", p,
			     q ? "?" : "", q ? q : "");
		if (n < 0 || (size_t)n >= sizeof(u->path))
			e = fail(why, sz, "path too long");
	}
	if (!e && (strchr(u->path, '\r') || strchr(u->path, '\n') ||
		   strchr(u->path, ' ')))
		e = fail(why, sz, "path holds a blank or line break");
	curl_free(p);
	curl_free(q);
	return e;
}

int vp_live_url_parse(struct vp_live_url *out, const char *url, char *why,
		      size_t whysz)
{
	struct vp_live_url u;
	CURLU *h;
	int e;

	if (!out || !url)
		return EINVAL;
	memset(&u, 0, sizeof(u));
	if (!strncasecmp(url, "wss://", 6))
		u.tls = true;
	else if (strncasecmp(url, "ws://", 5))
		return fail(why, whysz, "must start with ws:// or wss://");
	if (strlen(url) > VP_LIVE_PATH_MAX + VP_LIVE_HOST_MAX)
		return fail(why, whysz, "too long");
	h = curl_url();
	if (!h)
		return ENOMEM;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME))
		e = fail(why, whysz, "not a valid URL");
	else if (has(h, CURLUPART_USER) || has(h, CURLUPART_PASSWORD))
		e = fail(why, whysz,
			 "user info is not supported (put a "
			 "token in the query)");
	else if (has(h, CURLUPART_FRAGMENT))
		e = fail(why, whysz, "a fragment is not sent: remove it");
	else
		e = host_port(&u, h, why, whysz);
	if (!e)
		e = path_query(&u, h, why, whysz);
	curl_url_cleanup(h);
	if (e)
		return e;
	snprintf(u.origin, sizeof(u.origin), "%s://%s%s%s:%u",
		 u.tls ? "wss" : "ws", strchr(u.host, ':') ? "[" : "", u.host,
		 strchr(u.host, ':') ? "]" : "", u.port);
	*out = u;
	return 0;
}
