/* SPDX-License-Identifier: MIT */
/**
 * @file source.c  Read one calendar: an ICS file, or an https ICS feed
 * (the "secret address" Google Calendar and Outlook publish) with libcurl:
 * TLS peer and host verified, connect and total timeouts, a size cap,
 * ETag / If-None-Match (RFC 9110 §13.1.2) so an unchanged feed costs a
 * 304. The URL is a secret: it is never logged nor put in an error; the
 * calendar is named by its label ("owner#N").
 */
#include "src/core/mem.h"
#include "src/sched/sched_priv.h"
#include "src/sched/source.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct body {
	char *b;
	size_t n;
	size_t cap;
	bool over;
	char etag[256];
};

static size_t on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = sz * n;

	if (b->n + len > b->cap) {
		b->over = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	memcpy(b->b + b->n, d, len);
	b->n += len;
	return len;
}

static size_t on_header(char *d, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = sz * n, vl;

	if (len > 5 && !strncasecmp(d, "ETag:", 5)) {
		const char *v = d + 5;

		while (*v == ' ' || *v == '\t')
			v++;
		vl = len - (size_t)(v - d);
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		if (vl < sizeof(b->etag)) {
			memcpy(b->etag, v, vl);
			b->etag[vl] = '\0';
		}
	}
	return len;
}

static int map_curl(CURLcode rc, const struct body *b, char *err, size_t errsz)
{
	if (b->over) {
		snprintf(err, errsz, "feed larger than the cap (%zu bytes)",
			 b->cap);
		return EFBIG;
	}
	snprintf(err, errsz, "feed: %s", curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return ETIMEDOUT;
	default:
		return EPROTO;
	}
}

static int map_status(long st, char *err, size_t errsz)
{
	snprintf(err, errsz, "feed answered HTTP %ld", st);
	if (st == 404 || st == 410)
		return ENOENT;
	if (st == 401 || st == 403)
		return EACCES;
	return st >= 500 ? ETIMEDOUT : EPROTO;
}

/* B (N bytes, ours now on success) becomes f's last good copy, if it is a
 * calendar: a proxy's or a login page's 200 must not replace the copy a
 * later failure falls back on. */
static int keep(struct vp_sched_feed *f, char *b, size_t n, char *err,
		size_t errsz)
{
	if (!b || !vp_sched__starts_like_ics(b, n)) {
		snprintf(err, errsz, "%s",
			 "not an iCalendar (BEGIN:VCALENDAR expected)");
		return EBADMSG;
	}
	free(f->body);
	f->body = b;
	f->len = n;
	return 0;
}

static int fetch(struct vp_sched_feed *f, const struct vp_sched_fetch_opt *o,
		 char *err, size_t errsz)
{
	struct body b = {.cap = o->max_bytes};
	struct curl_slist *hdr = NULL;
	char inm[300];
	CURL *c;
	CURLcode rc;
	long st = 0;
	int e = 0;

	b.b = vp_malloc(b.cap ? b.cap : 1);
	c = curl_easy_init();
	if (!b.b || !c) {
		e = ENOMEM;
		goto out;
	}
	if (f->etag[0] && f->body) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", f->etag);
		hdr = curl_slist_append(hdr, inm);
	}
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 o->allow_http ? "https,http" : "https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)o->max_bytes);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vpbot-sched");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	rc = curl_easy_perform(c);
	if (rc == CURLE_FILESIZE_EXCEEDED)
		b.over = true;
	if (rc != CURLE_OK) {
		e = map_curl(rc, &b, err, errsz);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	if (st == 304 && f->body) {
		f->not_modified++;
		goto out;
	}
	if (st != 200) {
		e = map_status(st, err, errsz);
		goto out;
	}
	e = keep(f, b.b, b.n, err, errsz);
	if (e)
		goto out;
	b.b = NULL;
	snprintf(f->etag, sizeof(f->etag), "%s", b.etag);
out:
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	free(b.b);
	return e;
}

static int read_file(struct vp_sched_feed *f, const char *path, size_t max,
		     char *err, size_t errsz)
{
	FILE *fp = fopen(path, "rb");
	char *b;
	size_t n;
	int e = 0;

	if (!fp) {
		e = errno;
		snprintf(err, errsz, "cannot read %s: %s", path, strerror(e));
		return e;
	}
	b = vp_malloc(max + 1);
	n = b ? fread(b, 1, max + 1, fp) : 0;
	if (!b) {
		e = ENOMEM;
	} else if (n > max) {
		snprintf(err, errsz, "file larger than the cap (%zu bytes)",
			 max);
		e = EFBIG;
	} else if (ferror(fp)) {
		e = EIO;
		snprintf(err, errsz, "cannot read %s", path);
	}
	fclose(fp);
	if (!e)
		e = keep(f, b, n, err, errsz);
	if (e)
		free(b);
	return e;
}

int vp_sched_feed_read(struct vp_sched_feed *f,
		       const struct vp_sched_fetch_opt *o, char *err,
		       size_t errsz)
{
	if (o->file)
		return read_file(f, o->file, o->max_bytes, err, errsz);
	return fetch(f, o, err, errsz);
}

void vp_sched_feed_clear(struct vp_sched_feed *f)
{
	free(f->body);
	memset(f, 0, sizeof(*f));
}
