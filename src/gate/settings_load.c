/* SPDX-License-Identifier: MIT */
/**
 * @file settings_load.c  Load settings from a file or an https URL
 * (libcurl adapter) and meeting facts from a file. Every failure is an
 * error; the caller keeps the gate closed (docs/design.md §6, fail closed).
 */
#define VP_LOG_MODULE "gate"
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate_priv.h"
#include "src/gate/settings.h"

#define FETCH_TIMEOUT_MS 10000L

struct body {
	char *buf; /* vp_mem, VP_GATE__MAX_INPUT + 1 */
	size_t len;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > VP_GATE__MAX_INPUT - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return n;
}

/* The one place libcurl codes become our errnos. */
static int map_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_OUT_OF_MEMORY:
		return ENOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return ETIMEDOUT; /* "the settings URL did not answer" */
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return EBADMSG;
	default:
		return EPROTO; /* TLS verification and the rest */
	}
}

int vp_gate__http_err(long status)
{
	if (status == 200)
		return 0;
	if (status == 404 || status == 410)
		return ENOENT;
	if (status == 401 || status == 403)
		return EACCES;
	if (status == 429 || status == 408 || (status >= 500 && status < 600))
		return ETIMEDOUT; /* the server's trouble, for now */
	return EPROTO;
}

static int setup(CURL *h, const char *url, struct body *b)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
	SET(CURLOPT_CONNECTTIMEOUT_MS, FETCH_TIMEOUT_MS);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VP_GATE__MAX_INPUT);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_USERAGENT, "vpbot/0.1");
#undef SET
	return rc == CURLE_OK ? 0 : map_curl(rc);
}

static int fetch(struct body *b, const char *url, char *err, size_t errsz)
{
	CURL *h = curl_easy_init();
	long status = 0;
	CURLcode rc;
	int e;

	if (!h)
		return ENOMEM;
	e = setup(h, url, b);
	if (e)
		goto out;
	rc = curl_easy_perform(h);
	e = b->too_big ? EBADMSG : map_curl(rc);
	if (e) {
		/* curl's text names the failure; the URL stays out of it */
		vp_gate__errf(err, errsz, "settings: URL fetch failed: %s",
			      b->too_big ? "larger than 1 MiB"
					 : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	e = vp_gate__http_err(status);
	if (e)
		vp_gate__errf(err, errsz, "settings: URL answered HTTP %ld",
			      status);
out:
	curl_easy_cleanup(h);
	return e;
}

bool vp_settings_src_is_url(const char *src)
{
	return src && strncasecmp(src, "https://", 8) == 0;
}

/* A source that is no plain file path: a scheme-like first word
 * ("https:", "host:443"), ":/" anywhere ("https:/h", "x://h"), a query or
 * fragment, a blank at either end or a control character. Most likely a
 * mistyped URL, and it may carry a token: it is neither opened as a path
 * (whose errors name it) nor written anywhere. */
static bool url_like(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (isalnum(*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p == ':' && p > (const unsigned char *)s)
		return true;
	if (strstr(s, ":/") || strpbrk(s, "?#"))
		return true;
	if (!n || isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[n - 1]))
		return true;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
	}
	return false;
}

int vp_settings_load(struct vp_settings **sp, const char *src, char *err,
		     size_t errsz)
{
	struct body b = {0};
	int e;

	if (!sp || !src) {
		vp_gate__errf(err, errsz, "settings: none given");
		return EINVAL;
	}
	if (!vp_settings_src_is_url(src) && url_like(src)) {
		vp_gate__errf(err, errsz,
			      "settings: only https:// URLs (TLS verified) or "
			      "plain file paths are accepted (the value is not "
			      "shown: it may carry a token)");
		e = EINVAL;
		goto parse;
	}
	if (!vp_settings_src_is_url(src)) {
		e = vp_gate__read_file(&b.buf, &b.len, src, "settings", err,
				       errsz);
		goto parse;
	}
	b.buf = vp_mem_zalloc(VP_GATE__MAX_INPUT + 1, NULL);
	if (!b.buf)
		return ENOMEM;
	e = fetch(&b, src, err, errsz);
parse:
	if (!e)
		e = vp_settings_parse(sp, b.buf, b.len, err, errsz);
	if (e)
		vp_log_warn("settings not loaded (err=%d): %s", e,
			    err ? err : "");
	vp_mem_deref(b.buf);
	return e;
}

int vp_meeting_facts_load(struct vp_meeting_facts **fp, const char *path,
			  char *err, size_t errsz)
{
	char *buf = NULL;
	size_t len = 0;
	int e;

	if (!fp || !path)
		return EINVAL;
	e = vp_gate__read_file(&buf, &len, path, "facts", err, errsz);
	if (!e)
		e = vp_meeting_facts_parse(fp, buf, len, err, errsz);
	vp_mem_deref(buf);
	return e;
}
