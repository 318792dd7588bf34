/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_invite.c  Invite URL parsing and redaction on arbitrary bytes.
 * Checks, besides "no crash": the redacted text does not depend on the pin
 * or token (so it cannot leak them), it is truncated like snprintf, an
 * error text does not depend on a pin= or token= value in the URL, an
 * accepted URL has only known, unrepeated KEY=VALUE query parts, and an
 * accepted name holds no control, line-break or bidi control character.
 */
#include "protocols/sig/invite.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redact into a buffer of every size up to the full one: snprintf rules. */
static void check_truncation(const struct vp_invite *inv, const char *full,
			     int n)
{
	char small[64];

	for (size_t sz = 1; sz <= sizeof(small); sz += 7) {
		memset(small, 'X', sizeof(small));
		if (vp_invite_redacted(inv, small, sz) != n)
			abort();
		if (strlen(small) != ((size_t)n < sz ? (size_t)n : sz - 1) ||
		    strncmp(small, full, strlen(small)))
			abort();
	}
	if (vp_invite_redacted(inv, NULL, 0) != n)
		abort();
}

/*
 * Does @p secret show in @p text although no public part holds it? The
 * public parts are the text printed with both secrets empty and the fixed
 * words around "<redacted>"; a secret made of URL punctuation could match
 * across those, so such secrets are left to the equality check.
 */
static bool leaks(const struct vp_invite *inv, const char *text,
		  const char *secret)
{
	static char pub[4096];
	struct vp_invite *bare;

	if (!secret[0] || !strstr(text, secret) || strpbrk(secret, "<>=?&"))
		return false;
	bare = malloc(sizeof(*bare));
	if (!bare)
		return false;
	*bare = *inv;
	bare->pin[0] = bare->token[0] = '\0';
	vp_invite_redacted(bare, pub, sizeof(pub));
	free(bare);
	return !strstr(pub, secret) && !strstr("token pin redacted", secret);
}

static void check_redacted(const struct vp_invite *inv)
{
	static char a[4096], b[4096];
	struct vp_invite *other;
	int n, m;

	n = vp_invite_redacted(inv, a, sizeof(a));
	if (n < 0 || (size_t)n >= sizeof(a))
		abort();
	check_truncation(inv, a, n);
	/* the same invite with other secrets must print the same text */
	other = malloc(sizeof(*other));
	if (!other)
		return;
	*other = *inv;
	for (size_t i = 0; inv->pin[i]; i++) /* differ at every byte */
		other->pin[i] = inv->pin[i] == 'x' ? 'y' : 'x';
	for (size_t i = 0; inv->token[i]; i++)
		other->token[i] = inv->token[i] == 'x' ? 'y' : 'x';
	m = vp_invite_redacted(other, b, sizeof(b));
	free(other);
	if (m != n || strcmp(a, b))
		abort();
	/* and a secret never shows, unless a public field holds it too */
	if (leaks(inv, a, inv->pin) || leaks(inv, a, inv->token))
		abort();
}

/* Spaces and control bytes make the whole URL fail with a fixed text. */
static bool url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/*
 * An error text must not echo a pin= or token= query value: if it shows
 * the value, the URL with that value replaced (same length, different at
 * every byte) must fail with the same text (the shown bytes came from a
 * public part) or parse (the value itself was the problem).
 */
static void check_err(const char *url, const char *err)
{
	static const char *keys[] = {"pin=", "token="};
	const char *q = strstr(url, "://"); /* the query: after authority */
	char err2[256];

	q = q ? strchr(q + 3, '?') : NULL;
	for (size_t k = 0; q && k < 2; k++) {
		for (const char *p = strstr(q, keys[k]); p;
		     p = strstr(p + 1, keys[k])) {
			size_t at = (size_t)(p - url) + strlen(keys[k]);
			size_t vn = strcspn(url + at, "&#");
			struct vp_invite *inv;
			char *u2;

			if (p[-1] != '?' && p[-1] != '&')
				continue; /* inside another value */
			if (vn < 4 || !url_chars(url + at, vn))
				continue; /* too short to tell, or refused early
					   */
			u2 = strdup(url);
			inv = malloc(sizeof(*inv));
			for (size_t i = 0; u2 && i < vn; i++)
				u2[at + i] = url[at + i] == 'x' ? 'y' : 'x';
			/* a leak: the text shows the value and follows it */
			if (u2 && inv && vn &&
			    vp_invite_parse(inv, u2, err2, sizeof(err2)) &&
			    strcmp(err, err2) &&
			    memmem(err, strlen(err), url + at, vn))
				abort();
			free(u2);
			free(inv);
		}
	}
}

/* Accepted: every non-empty query part is KEY=VALUE, KEY known, once. */
static void check_query(const char *url)
{
	static const char *const known[] = {"token", "pin", "name", "plugin"};
	const char *q = strstr(url, "://"), *end;
	unsigned seen = 0;

	q = q ? strchr(q + 3, '?') : NULL;
	end = url + strcspn(url, "#");
	if (!q || q > end)
		return;
	for (const char *p = q + 1; p < end;) {
		size_t pn = strcspn(p, "&#"), kn = strcspn(p, "=&#");
		unsigned k;

		if (pn && kn == pn)
			abort(); /* no '=' */
		for (k = 0; pn && k < 4; k++)
			if (strlen(known[k]) == kn && !memcmp(p, known[k], kn))
				break;
		if (pn && (k == 4 || (seen & (1u << k))))
			abort(); /* unknown or repeated */
		if (pn)
			seen |= 1u << k;
		p += pn;
		if (*p != '&')
			break;
		p++;
	}
}

/* Accepted name: no C0/DEL/C1 and none of U+061C, U+200E/F, U+2028..202E,
 * U+2066..2069 (their UTF-8 bytes, checked without the parser's library) */
static void check_name(const unsigned char *s)
{
	for (; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			abort();
		if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			abort();
		if (s[0] == 0xd8 && s[1] == 0x9c)
			abort();
		if (s[0] == 0xe2 && s[1] == 0x80 &&
		    (s[2] == 0x8e || s[2] == 0x8f ||
		     (s[2] >= 0xa8 && s[2] <= 0xae)))
			abort();
		if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 &&
		    s[2] <= 0xa9)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_invite *inv;
	char err[256];
	char *url;

	url = malloc(n + 1);
	inv = malloc(sizeof(*inv));
	if (!url || !inv)
		goto out;
	memcpy(url, d, n);
	url[n] = '\0';
	if (vp_invite_parse(inv, url, err, sizeof(err)) == 0) {
		if (inv->dialect == VP_INVITE_NONE || !inv->port)
			abort();
		check_query(url);
		check_name((const unsigned char *)inv->name);
		check_redacted(inv);
	} else {
		if (strlen(err) >= sizeof(err))
			abort();
		check_err(url, err);
	}
out:
	free(url);
	free(inv);
	return 0;
}
