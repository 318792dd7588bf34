/* SPDX-License-Identifier: MIT */
/** @file util.c  Address and domain matching, error text, file reading. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "src/core/mem.h"
#include "src/gate/gate_priv.h"

void vp_gate__errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

void vp_gate__lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* RFC 1035 2.3.1 / RFC 1123 2.1: letters, digits, hyphens; labels 1..63 */
bool vp_gate__domain_valid(const char *d)
{
	size_t len = strlen(d), label = 0;

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (const char *p = d; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* A pragmatic subset of RFC 5321 4.1.2: we only compare addresses, so we
 * need exactly one '@', a non-empty local part and a valid domain. */
bool vp_gate__addr_valid(const char *a)
{
	const char *at = strchr(a, '@');

	if (!at || at == a || strchr(at + 1, '@') || strlen(a) > 254)
		return false;
	for (const char *p = a; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return vp_gate__domain_valid(at + 1);
}

const char *vp_gate__addr_domain(const char *a)
{
	const char *at = strrchr(a, '@');

	return at ? at + 1 : "";
}

bool vp_gate__domain_match(const char *domain, const char *pattern)
{
	size_t dl = strlen(domain), pl = strlen(pattern);

	if (dl == pl)
		return strcmp(domain, pattern) == 0;
	/* sub-domain: "eu.example.com" matches "example.com", but
	 * "badexample.com" does not */
	return dl > pl && domain[dl - pl - 1] == '.' &&
	       strcmp(domain + dl - pl, pattern) == 0;
}

const char *vp_gate__domain_in(const struct vp_settings_strv *v,
			       const char *domain)
{
	for (size_t i = 0; i < v->n; i++) {
		if (vp_gate__domain_match(domain, v->v[i]))
			return v->v[i];
	}
	return NULL;
}

bool vp_gate__strv_has(const struct vp_settings_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->v[i], s) == 0)
			return true;
	}
	return false;
}

static bool is_word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

bool vp_gate__title_has_word(const char *title, const char *word)
{
	size_t tl = strlen(title), wl = strlen(word);

	if (wl == 0 || wl > tl)
		return false;
	for (size_t i = 0; i + wl <= tl; i++) {
		if (strncasecmp(title + i, word, wl) != 0)
			continue;
		/* the match must sit on word boundaries at both ends */
		if (i > 0 && is_word((unsigned char)title[i - 1]) &&
		    is_word((unsigned char)word[0]))
			continue;
		if (is_word((unsigned char)title[i + wl]) &&
		    is_word((unsigned char)word[wl - 1]))
			continue;
		return true;
	}
	return false;
}

int vp_gate__read_file(char **bufp, size_t *lenp, const char *path,
		       const char *what, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	int e = 0;

	if (!f) {
		e = errno == EACCES ? EACCES : ENOENT;
		vp_gate__errf(err, errsz, "%s: cannot open %s: %s", what, path,
			      strerror(errno));
		return e;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > VP_GATE__MAX_INPUT) {
		vp_gate__errf(err, errsz,
			      "%s: %s is not a regular file "
			      "of at most 1 MiB",
			      what, path);
		e = EBADMSG;
		goto out;
	}
	buf = vp_mem_zalloc((size_t)st.st_size + 1, NULL);
	if (!buf) {
		e = ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		vp_gate__errf(err, errsz, "%s: cannot read %s", what, path);
		e = EBADMSG;
		goto out;
	}
out:
	fclose(f);
	if (e) {
		vp_mem_deref(buf);
	} else {
		*bufp = buf;
		*lenp = (size_t)st.st_size;
	}
	return e;
}
