/* SPDX-License-Identifier: MIT */
/**
 * @file invite.c  Invite URL parser (docs/design.md §4). Generic syntax after
 * RFC 3986 §3 (scheme "://" authority path ["?" query]); IPv6 literals in
 * brackets per RFC 3986 §3.2.2; percent-decoding per RFC 3986 §2.1.
 * Error texts name the problem but never echo a query value, so a pin or
 * token cannot leak through them.
 */
#include "protocols/sig/invite.h"
#include "src/core/mem.h"

#include <ctype.h>
#include <glib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *scheme;
	enum vp_invite_dialect dialect;
	bool tls;
} schemes[] = {
	{"sim+ws", VP_INVITE_SIM, false},
	{"sim+wss", VP_INVITE_SIM, true},
	{"janus+ws", VP_INVITE_JANUS, false},
	{"janus+wss", VP_INVITE_JANUS, true},
};

static int fail(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return EBADMSG;
}

/* Printable, short and made of URL-safe characters: safe to echo. */
static bool echoable(const char *s, size_t n)
{
	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("+-.:_", s[i]))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * RFC 3986 §2.1 percent-decoding of s[0..n) into dst; '+' stays '+' (this
 * is not form encoding). A decoded NUL is refused: it would truncate.
 * @return 0, EBADMSG (bad escape or NUL) or ENOSPC (too long)
 */
static int pct_decode(char *dst, size_t dsz, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return EBADMSG;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return EBADMSG;
			c = hi * 16 + lo;
			i += 2;
			if (c == 0)
				return EBADMSG;
		}
		if (o + 1 >= dsz)
			return ENOSPC;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

static int parse_scheme(struct vp_invite *inv, const char *url,
			const char **rest, char *err, size_t errsz)
{
	const char *sep = strstr(url, "://");
	size_t n;

	if (!sep)
		return fail(
			err, errsz,
			"not an invite URL (expected SCHEME://HOST:PORT/ROOM)");
	n = (size_t)(sep - url);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].scheme) == n &&
		    !strncasecmp(url, schemes[i].scheme, n)) {
			inv->dialect = schemes[i].dialect;
			inv->tls = schemes[i].tls;
			*rest = sep + 3;
			return 0;
		}
	}
	if (echoable(url, n))
		return fail(err, errsz, "unknown scheme '%.*s'", (int)n, url);
	return fail(err, errsz, "unknown scheme");
}

static int parse_port(struct vp_invite *inv, const char *s, size_t n, char *err,
		      size_t errsz)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		goto bad;
	inv->port = (uint16_t)v;
	return 0;
bad:
	if (echoable(s, n))
		return fail(err, errsz, "bad port '%.*s'", (int)n, s);
	return fail(err, errsz, "bad port");
}

/* authority = host [":" port]; userinfo is refused (it would be a secret) */
static int parse_authority(struct vp_invite *inv, const char *s, size_t n,
			   char *err, size_t errsz)
{
	const char *end = s + n, *colon;
	size_t hn;

	if (memchr(s, '@', n))
		return fail(err, errsz,
			    "credentials in the URL are not supported");
	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb || rb == s + 1)
			return fail(err, errsz, "bad IPv6 host");
		hn = (size_t)(rb - s - 1);
		if (hn >= sizeof(inv->host))
			return fail(err, errsz, "host too long");
		for (size_t i = 1; i <= hn; i++) {
			if (!isxdigit((unsigned char)s[i]) &&
			    !strchr(":.", s[i]))
				return fail(err, errsz, "bad IPv6 host");
		}
		memcpy(inv->host, s + 1, hn);
		inv->host[hn] = '\0';
		inv->host_v6 = true;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return fail(err, errsz, "bad IPv6 host");
	} else {
		colon = memchr(s, ':', n);
		hn = colon ? (size_t)(colon - s) : n;
		if (hn == 0)
			return fail(err, errsz, "missing host");
		if (hn >= sizeof(inv->host))
			return fail(err, errsz, "host too long");
		for (size_t i = 0; i < hn; i++) {
			if (!isalnum((unsigned char)s[i]) &&
			    !strchr("-._", s[i]))
				return fail(err, errsz, "bad host");
		}
		memcpy(inv->host, s, hn);
		inv->host[hn] = '\0';
	}
	if (colon)
		return parse_port(inv, colon + 1, (size_t)(end - colon - 1),
				  err, errsz);
	inv->port = inv->tls ? 443 : 80;
	return 0;
}

static int parse_room(struct vp_invite *inv, const char *s, size_t n, char *err,
		      size_t errsz)
{
	int e;

	/* a trailing slash is tolerated: "host:1/1234/" */
	if (n && s[n - 1] == '/')
		n--;
	if (n == 0)
		return fail(err, errsz, "missing room");
	if (memchr(s, '/', n))
		return fail(err, errsz, "bad room (one path segment expected)");
	e = pct_decode(inv->room, sizeof(inv->room), s, n);
	if (e)
		return fail(err, errsz, "bad room");
	if (inv->dialect == VP_INVITE_JANUS) {
		size_t len = strlen(inv->room);

		/* Janus room ids are uint64 (janus_videoroom.c "room") */
		if (len > 19)
			return fail(err, errsz,
				    "bad room (Janus rooms are numbers)");
		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)inv->room[i])) {
				if (echoable(inv->room, len))
					return fail(err, errsz,
						    "bad room '%s' (Janus "
						    "rooms are numbers)",
						    inv->room);
				return fail(
					err, errsz,
					"bad room (Janus rooms are numbers)");
			}
		}
	}
	return 0;
}

int vp_invite_name_check(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= VP_INVITE_NAME_MAX ||
	    !g_utf8_validate(name, -1, NULL))
		return EBADMSG;
	for (const char *p = name; *p; p = g_utf8_next_char(p)) {
		switch (g_unichar_type(g_utf8_get_char(p))) {
		case G_UNICODE_CONTROL: /* Cc: C0, DEL, C1 (newlines) */
		case G_UNICODE_FORMAT:	/* Cf: bidi embeddings, overrides,
					 * isolates, marks; zero-width */
		case G_UNICODE_LINE_SEPARATOR: /* Zl, Zp: line breaks too */
		case G_UNICODE_PARAGRAPH_SEPARATOR:
			return EBADMSG;
		default:
			break;
		}
	}
	return 0;
}

/* Which field a query key fills, and a bit for duplicate detection. */
static int query_field(struct vp_invite *inv, const char *k, size_t kn,
		       char **dst, size_t *dsz)
{
#define KEY(lit) (kn == sizeof(lit) - 1 && !memcmp(k, lit, kn))
	if (KEY("token")) {
		*dst = inv->token;
		*dsz = sizeof(inv->token);
		return 1;
	}
	if (KEY("pin")) {
		*dst = inv->pin;
		*dsz = sizeof(inv->pin);
		return 2;
	}
	if (KEY("name")) {
		*dst = inv->name;
		*dsz = sizeof(inv->name);
		return 4;
	}
	return KEY("plugin") ? 8 : 0;
#undef KEY
}

static int query_param(struct vp_invite *inv, const char *k, size_t kn,
		       const char *v, size_t vn, unsigned *seen, char *err,
		       size_t errsz)
{
	char *dst = NULL;
	size_t dsz = 0;
	int bit, e;

	bit = query_field(inv, k, kn, &dst, &dsz);
	/* a typo must not silently drop a pin: unknown keys are errors. A
	 * key is echoed only when short and plain (it is not a secret, but
	 * "?SECRET" without a key would be) */
	if (!bit && echoable(k, kn) && kn <= 20)
		return fail(err, errsz,
			    "unknown query key '%.*s' (known: "
			    "token, pin, name, plugin)",
			    (int)kn, k);
	if (!bit)
		return fail(err, errsz,
			    "unknown query key (known: token, "
			    "pin, name, plugin)");
	if (*seen & (unsigned)bit)
		return fail(err, errsz, "duplicate query key '%.*s'", (int)kn,
			    k);
	*seen |= (unsigned)bit;
	if (bit == 8) {
		if (vn == 9 && !memcmp(v, "videoroom", 9))
			inv->plugin = VP_INVITE_VIDEOROOM;
		else if (vn == 11 && !memcmp(v, "audiobridge", 11))
			inv->plugin = VP_INVITE_AUDIOBRIDGE;
		else if (echoable(v, vn))
			return fail(err, errsz, "unknown plugin '%.*s'",
				    (int)vn, v);
		else
			return fail(err, errsz, "unknown plugin");
		return 0;
	}
	e = pct_decode(dst, dsz, v, vn);
	if (e == ENOSPC)
		return fail(err, errsz, "%.*s too long", (int)kn, k);
	if (e)
		return fail(err, errsz, "bad percent-encoding in %.*s", (int)kn,
			    k);
	/* one rule for every display name we send: vp_invite_name_check */
	if (bit == 4 && dst[0] && vp_invite_name_check(dst))
		return fail(err, errsz, "bad name: " VP_INVITE_NAME_RULE);
	return 0;
}

static int parse_query(struct vp_invite *inv, const char *s, size_t n,
		       char *err, size_t errsz)
{
	const char *end = s + n;
	unsigned seen = 0;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pe - s));
		int e;

		if (pe > s) {
			if (!eq) /* never echoed: it may be a bare secret */
				return fail(err, errsz,
					    "query part without "
					    "'=' (KEY=VALUE expected)");
			e = query_param(inv, s, (size_t)(eq - s), eq + 1,
					(size_t)(pe - eq - 1), &seen, err,
					errsz);
			if (e)
				return e;
		}
		s = amp ? amp + 1 : end;
	}
	return 0;
}

int vp_invite_parse(struct vp_invite *inv, const char *url, char *err,
		    size_t errsz)
{
	struct vp_invite *tmp;
	const char *p, *slash, *q, *end;
	int e;

	if (!inv || !url)
		return EINVAL;
	if (err && errsz)
		err[0] = '\0';
	for (p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
			return fail(err, errsz,
				    "invite URL contains spaces or control "
				    "characters");
	}
	tmp = vp_calloc(1, sizeof(*tmp));
	if (!tmp)
		return ENOMEM;
	e = parse_scheme(tmp, url, &p, err, errsz);
	if (e)
		goto out;
	end = p + strcspn(p, "#"); /* a fragment is never sent: drop it */
	slash = memchr(p, '/', (size_t)(end - p));
	q = memchr(p, '?', (size_t)(end - p));
	if (q && slash && q < slash)
		slash = NULL;
	e = parse_authority(tmp, p,
			    (size_t)((slash ? slash
				      : q   ? q
					    : end) -
				     p),
			    err, errsz);
	if (e)
		goto out;
	if (!slash) {
		e = fail(err, errsz, "missing room");
		goto out;
	}
	e = parse_room(tmp, slash + 1, (size_t)((q ? q : end) - slash - 1), err,
		       errsz);
	if (e)
		goto out;
	if (q)
		e = parse_query(tmp, q + 1, (size_t)(end - q - 1), err, errsz);
out:
	if (!e)
		*inv = *tmp;
	/* the copy held secrets: wipe before freeing */
	memset(tmp, 0, sizeof(*tmp));
	free(tmp);
	return e;
}

const char *vp_invite_dialect_name(enum vp_invite_dialect d)
{
	switch (d) {
	case VP_INVITE_SIM:
		return "sim";
	case VP_INVITE_JANUS:
		return "janus";
	default:
		return "none";
	}
}

int vp_invite_redacted(const struct vp_invite *inv, char *buf, size_t size)
{
	const char *sep = "?";
	char host[VP_INVITE_HOST_MAX + 2];
	int n;

	if (!inv || (!buf && size))
		return -1;
	snprintf(host, sizeof(host), inv->host_v6 ? "[%s]" : "%s", inv->host);
	n = snprintf(buf, size, "%s+%s://%s:%u/%s",
		     vp_invite_dialect_name(inv->dialect),
		     inv->tls ? "wss" : "ws", host, inv->port, inv->room);
#define APPEND(...)                                                            \
	do {                                                                   \
		size_t o_ = (size_t)n < size ? (size_t)n : size;               \
		n += snprintf(buf ? buf + o_ : NULL, size - o_, __VA_ARGS__);  \
		sep = "&";                                                     \
	} while (0)
	if (inv->token[0])
		APPEND("%stoken=<redacted>", sep);
	if (inv->pin[0])
		APPEND("%spin=<redacted>", sep);
	if (inv->name[0])
		APPEND("%sname=%s", sep, inv->name);
	if (inv->dialect == VP_INVITE_JANUS &&
	    inv->plugin == VP_INVITE_AUDIOBRIDGE)
		APPEND("%splugin=audiobridge", sep);
#undef APPEND
	return n;
}
