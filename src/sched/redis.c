/* SPDX-License-Identifier: MIT */
/** @file redis.c  hiredis adapter: parse, connect, reconnect, map errors. */
#define VP_LOG_MODULE "redis"
#include "src/sched/redis.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/core/log.h"
#include "src/core/mem.h"

#define BACKOFF_MIN_MS	   100
#define BACKOFF_MAX_MS	   5000
#define CONNECT_TIMEOUT_MS 2000

struct vp_sched_redis {
	struct vp_sched_redis_addr addr;
	redisContext *c;
	int timeout_ms;
	int backoff_ms;
	int64_t next_try_ms; /* no connect attempt before this */
	int64_t last_ok_ms;  /* last command that reached Redis */
	bool was_up;
	bool logged_down;
};

static vp_sched_fleet_log_h *log_h;
static void *log_arg;

void vp_sched_fleet_set_log(vp_sched_fleet_log_h *h, void *arg)
{
	log_h = h;
	log_arg = arg;
}

void vp_sched_fleet_log(int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_h)
		log_h(level, msg, log_arg);
	else if (level == 0)
		vp_log_err("%s", msg);
	else if (level == 1)
		vp_log_warn("%s", msg);
	else
		vp_log_info("%s", msg);
}

int64_t vp_sched_redis_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(char *err, size_t errsz, const char *msg)
{
	snprintf(err, errsz, "redis address: %s", msg);
	return EINVAL;
}

static int parse_unix(struct vp_sched_redis_addr *a, const char *p, char *err,
		      size_t errsz)
{
	if (!strncmp(p, "//", 2))
		p += 2;
	if (p[0] != '/')
		return fail(err, errsz, "unix: needs an absolute path");
	if (strlen(p) >= sizeof(a->path))
		return fail(err, errsz, "unix socket path too long");
	a->unix_ = true;
	snprintf(a->path, sizeof(a->path), "%s", p);
	return 0;
}

/* The parts of a redis:// URL we accept; anything else is refused so that a
 * typo (or a password) never passes silently. */
static int parse_tcp(struct vp_sched_redis_addr *a, CURLU *u, char *err,
		     size_t errsz)
{
	char *s = NULL;
	long v;
	int e = 0;

	if (!curl_url_get(u, CURLUPART_USER, &s, 0) ||
	    !curl_url_get(u, CURLUPART_PASSWORD, &s, 0)) {
		curl_free(s);
		return fail(err, errsz,
			    "no credentials in the URL "
			    "(set VPBOT_REDIS_PASSWORD)");
	}
	if (!curl_url_get(u, CURLUPART_QUERY, &s, 0) ||
	    !curl_url_get(u, CURLUPART_FRAGMENT, &s, 0)) {
		curl_free(s);
		return fail(err, errsz, "no query or fragment allowed");
	}
	if (curl_url_get(u, CURLUPART_HOST, &s, 0) || !s || !s[0] ||
	    strlen(s) >= sizeof(a->host)) {
		curl_free(s);
		return fail(err, errsz, "missing or bad host");
	}
	/* [::1] -> ::1 for hiredis */
	if (s[0] == '[' && s[strlen(s) - 1] == ']')
		snprintf(a->host, sizeof(a->host), "%.*s", (int)strlen(s) - 2,
			 s + 1);
	else
		snprintf(a->host, sizeof(a->host), "%s", s);
	curl_free(s);
	s = NULL;
	a->port = 6379;
	if (!curl_url_get(u, CURLUPART_PORT, &s, 0) && s) {
		v = strtol(s, NULL, 10);
		if (v < 1 || v > 65535)
			e = fail(err, errsz, "bad port");
		a->port = (int)v;
	}
	curl_free(s);
	s = NULL;
	if (!e && !curl_url_get(u, CURLUPART_PATH, &s, 0) && s &&
	    strcmp(s, "/") && s[0]) {
		char *end;

		v = strtol(s + 1, &end, 10);
		if (*end || end == s + 1 || v < 0 || v > 15)
			e = fail(err, errsz,
				 "the path must be a db number "
				 "0..15");
		a->db = (int)v;
	}
	curl_free(s);
	return e;
}

int vp_sched_redis_url_parse(struct vp_sched_redis_addr *a, const char *url,
			     char *err, size_t errsz)
{
	struct vp_sched_redis_addr t;
	CURLU *u;
	int e;

	if (!a || !url || !err)
		return EINVAL;
	memset(&t, 0, sizeof(t));
	if (!strncmp(url, "unix:", 5)) {
		e = parse_unix(&t, url + 5, err, errsz);
		goto out;
	}
	if (!strncasecmp(url, "rediss://", 9))
		return fail(err, errsz,
			    "rediss:// is not supported: Debian "
			    "12's hiredis 0.14 has no TLS, so the "
			    "server certificate could not be "
			    "verified (use a private network or a "
			    "TLS sidecar; see docs/fleet.md)");
	if (strncasecmp(url, "redis://", 8))
		return fail(err, errsz, "must start with redis:// or unix:");
	u = curl_url();
	if (!u)
		return ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME))
		e = fail(err, errsz, "not a valid URL");
	else
		e = parse_tcp(&t, u, err, errsz);
	curl_url_cleanup(u);
out:
	if (!e)
		*a = t;
	return e;
}

static void redis_destroy(void *arg)
{
	struct vp_sched_redis *r = arg;

	if (r->c)
		redisFree(r->c);
}

int vp_sched_redis_alloc(struct vp_sched_redis **rp, const char *url, char *err,
			 size_t errsz)
{
	struct vp_sched_redis *r;
	int e;

	if (!rp || !url)
		return EINVAL;
	r = vp_mem_zalloc(sizeof(*r), redis_destroy);
	if (!r)
		return ENOMEM;
	e = vp_sched_redis_url_parse(&r->addr, url, err, errsz);
	if (e) {
		vp_mem_deref(r);
		return e;
	}
	r->timeout_ms = 5000;
	r->backoff_ms = BACKOFF_MIN_MS;
	*rp = r;
	return 0;
}

void vp_sched_redis_set_timeout(struct vp_sched_redis *r, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	r->timeout_ms = ms;
	if (r->c)
		redisSetTimeout(r->c, tv);
}

static void mark_down(struct vp_sched_redis *r, const char *reason)
{
	int64_t now = vp_sched_redis_now_ms();
	char why[128];

	/* reason may point into r->c, freed below */
	snprintf(why, sizeof(why), "%s", reason);
	if (r->c) {
		redisFree(r->c);
		r->c = NULL;
	}
	if (!r->logged_down)
		VP_FLEET_WARN("redis unreachable (%s); retrying with backoff",
			      why);
	r->logged_down = true;
	r->was_up = false;
	/* jitter keeps a fleet from reconnecting in lock step */
	r->next_try_ms = now + r->backoff_ms + rand() % (r->backoff_ms / 4 + 1);
	r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : r->backoff_ms * 2;
}

/* hiredis writes with write(): a peer that closed the socket would raise
 * SIGPIPE. Block it around the call and swallow the one we caused (the
 * way libcurl does), so the caller's signal disposition does not matter. */
static redisReply *command_nopipe(redisContext *c, int argc, const char **argv)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_set, old, pending;
	redisReply *rep;
	bool was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	rep = redisCommandArgv(c, argc, argv, NULL);
	if (!rep && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rep;
}

/* AUTH from the environment, then SELECT; both on the fresh link. */
static int greet(struct vp_sched_redis *r)
{
	const char *pw = getenv("VPBOT_REDIS_PASSWORD");
	redisReply *rep;
	char db[16];

	if (pw && pw[0]) {
		const char *av[2] = {"AUTH", pw};

		rep = command_nopipe(r->c, 2, av);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			/* the password itself is never logged */
			VP_FLEET_ERR("redis AUTH refused");
			freeReplyObject(rep);
			return ECONNRESET;
		}
		freeReplyObject(rep);
	}
	if (r->addr.db) {
		const char *av[2] = {"SELECT", db};

		snprintf(db, sizeof(db), "%d", r->addr.db);
		rep = command_nopipe(r->c, 2, av);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			freeReplyObject(rep);
			return ECONNRESET;
		}
		freeReplyObject(rep);
	}
	return 0;
}

static int connect_now(struct vp_sched_redis *r)
{
	struct timeval ctv = {CONNECT_TIMEOUT_MS / 1000, 0};
	struct timeval tv = {r->timeout_ms / 1000,
			     (r->timeout_ms % 1000) * 1000};

	if (vp_sched_redis_now_ms() < r->next_try_ms)
		return ECONNRESET;
	if (r->addr.unix_)
		r->c = redisConnectUnixWithTimeout(r->addr.path, ctv);
	else
		r->c = redisConnectWithTimeout(r->addr.host, r->addr.port, ctv);
	if (!r->c) {
		mark_down(r, "out of memory");
		return ENOMEM;
	}
	if (r->c->err) {
		mark_down(r, r->c->errstr);
		return ECONNRESET;
	}
	/* not in the bots a worker spawns: hiredis 0.14 does not ask */
	(void)fcntl(r->c->fd, F_SETFD, FD_CLOEXEC);
	redisSetTimeout(r->c, tv);
	if (!r->addr.unix_)
		redisEnableKeepAlive(r->c);
	if (greet(r)) {
		mark_down(r, "handshake failed");
		return ECONNRESET;
	}
	if (r->logged_down)
		VP_FLEET_INFO("redis reachable again");
	r->logged_down = false;
	r->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

int vp_sched_redis_cmd(struct vp_sched_redis *r, redisReply **replyp, int argc,
		       const char **argv)
{
	redisReply *rep;
	int e;

	if (!r || !replyp || argc < 1 || !argv)
		return EINVAL;
	if (!r->c && (e = connect_now(r)))
		return e;
	rep = command_nopipe(r->c, argc, argv);
	if (!rep) {
		/* REDIS_ERR_IO/EOF/timeout: the context is unusable now */
		char why[128];
		bool oom = r->c->err == REDIS_ERR_OOM;

		snprintf(why, sizeof(why), "%s",
			 r->c->errstr[0] ? r->c->errstr : "I/O error");
		mark_down(r, why);
		return oom ? ENOMEM : ECONNRESET;
	}
	r->was_up = true;
	r->last_ok_ms = vp_sched_redis_now_ms();
	if (rep->type == REDIS_REPLY_ERROR) {
		/* LOADING (a restarted server reading its AOF) is transient */
		if (!strncmp(rep->str, "LOADING", 7) ||
		    !strncmp(rep->str, "BUSY ", 5)) {
			freeReplyObject(rep);
			mark_down(r, "server loading");
			return ECONNRESET;
		}
		*replyp = rep; /* the caller reads the error text */
		return EPROTO;
	}
	*replyp = rep;
	return 0;
}

int vp_sched_redis_do(struct vp_sched_redis *r, int argc, const char **argv)
{
	redisReply *rep = NULL;
	int e = vp_sched_redis_cmd(r, &rep, argc, argv);

	if (e == EPROTO)
		VP_FLEET_WARN("redis %s: %s", argv[0], rep->str);
	freeReplyObject(rep);
	return e;
}

bool vp_sched_redis_up(const struct vp_sched_redis *r)
{
	return r && r->c && r->was_up;
}

int64_t vp_sched_redis_silent_ms(const struct vp_sched_redis *r)
{
	if (!r->last_ok_ms)
		return INT64_MAX / 2;
	return vp_sched_redis_now_ms() - r->last_ok_ms;
}
