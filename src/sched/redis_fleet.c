/* SPDX-License-Identifier: MIT */
/** @file redis_fleet.c  Jobs, results, claims, leases and heartbeats. */
#define VP_LOG_MODULE "fleet"
#include "src/core/mem.h"
#include "src/sched/redis_fleet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXARGS 64

/* Claim once, then add (KEYS: claim, jobs, the meeting's stop request;
 * ARGV: owner, ttl_s, again, fields…). SET NX fails -> nil: another
 * scheduler (or an earlier pass) did it. again = 1 takes the claim over
 * (an instance that ended and is started anew). A job added clears the
 * meeting's stop request, which was meant for a bot before it. */
static const char LUA_DISPATCH[] =
	"if ARGV[3] == '1' then redis.call('DEL', KEYS[1]) end "
	"if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) "
	"then return false end "
	"redis.call('DEL', KEYS[3]) "
	"local f = {} for i = 4, #ARGV do f[#f + 1] = ARGV[i] end "
	"return redis.call('XADD', KEYS[2], '*', unpack(f))";

/* Refresh our pending entries (KEYS: jobs, n run keys, n stop keys;
 * ARGV: group, me, lease_ms, n ids). XCLAIM … JUSTID resets the idle time
 * without counting a delivery; an entry another consumer owns now is
 * reported lost (its index), a stop request as -(index + 1). */
static const char LUA_TOUCH[] =
	"local out = {} local n = #ARGV - 3 "
	"for i = 1, n do "
	" local id = ARGV[i + 3] "
	" local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1) "
	" if #p == 1 and p[1][2] == ARGV[2] then "
	"  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID') "
	"  if redis.call('GET', KEYS[i + 1]) == ARGV[2] then "
	"   redis.call('PEXPIRE', KEYS[i + 1], ARGV[3]) end "
	"  if redis.call('EXISTS', KEYS[i + 1 + n]) == 1 then "
	"   out[#out + 1] = -i end "
	" else out[#out + 1] = i - 1 end "
	"end return out";

/* Run lease (KEYS: run key; ARGV: me, ms): take it if free, renew if ours */
static const char LUA_LEASE[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == false then "
	" redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
	"if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
	" return 1 end return 0";

/* Ack + result (+ requeue) if the entry is still pending to me
 * (KEYS: jobs, results, run key; ARGV: group, id, me, requeue, nres,
 * result fields…, job fields…). */
static const char LUA_FINISH[] =
	"local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], "
	" ARGV[2], 1) "
	"if #p ~= 1 or p[1][2] ~= ARGV[3] then return 0 end "
	"redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) "
	"redis.call('XDEL', KEYS[1], ARGV[2]) "
	"local n = tonumber(ARGV[5]) local res = {} local job = {} "
	"for i = 6, 5 + n do res[#res + 1] = ARGV[i] end "
	"for i = 6 + n, #ARGV do job[#job + 1] = ARGV[i] end "
	"redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', '*', "
	" unpack(res)) "
	"if ARGV[4] == '1' then redis.call('XADD', KEYS[1], '*', "
	" unpack(job)) end "
	"if redis.call('GET', KEYS[3]) == ARGV[3] then "
	" redis.call('DEL', KEYS[3]) end return 1";

/* Heartbeat (KEYS: worker hash, workers zset; ARGV: name, cap, load,
 * running, now_ms, ttl_ms) */
static const char LUA_HEARTBEAT[] =
	"redis.call('HSET', KEYS[1], 'name', ARGV[1], 'capacity', ARGV[2], "
	" 'load', ARGV[3], 'running', ARGV[4], 'updated_ms', ARGV[5]) "
	"redis.call('PEXPIRE', KEYS[1], ARGV[6]) "
	"redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) return 1";

struct argv {
	const char *v[MAXARGS];
	char buf[MAXARGS][64]; /* numbers and built keys */
	int n;
};

static void arg(struct argv *a, const char *s)
{
	if (a->n < MAXARGS)
		a->v[a->n++] = s ? s : "";
}

/* A formatted argument kept in a's own storage. */
static void argf(struct argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void argf(struct argv *a, const char *fmt, ...)
{
	va_list ap;

	if (a->n >= MAXARGS)
		return;
	va_start(ap, fmt);
	vsnprintf(a->buf[a->n], sizeof(a->buf[0]), fmt, ap);
	va_end(ap);
	a->v[a->n] = a->buf[a->n];
	a->n++;
}

static bool err_is(const redisReply *rep, const char *code)
{
	return rep && rep->type == REDIS_REPLY_ERROR && rep->str &&
	       !strncmp(rep->str, code, strlen(code));
}

/* Run a command; an error reply is logged here. */
static int run(struct vp_sched_redis *r, redisReply **rep, struct argv *a)
{
	int e = vp_sched_redis_cmd(r, rep, a->n, a->v);

	if (e == EPROTO) {
		VP_FLEET_WARN("redis %s: %s", a->v[0], (*rep)->str);
		freeReplyObject(*rep);
		*rep = NULL;
	}
	return e;
}

void vp_sched_fleet_job_clear(struct vp_sched_fleet_job *j)
{
	if (!j)
		return;
	free(j->job);
	memset(j, 0, sizeof(*j));
}

static int num(int64_t *v, const char *s, int64_t lo, int64_t hi)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
		return EBADMSG;
	*v = x;
	return 0;
}

static bool safe_id(const char *s)
{
	size_t i;

	if (!s[0] || s[0] == '.')
		return false;
	for (i = 0; s[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
			    "XYZ0123456789._-@",
			    s[i]))
			return false;
	return true;
}

static int decode_field(struct vp_sched_fleet_job *j, const char *k,
			const char *v)
{
	int64_t x;
	int e = 0;

	if (!strcmp(k, "meeting")) {
		if (strlen(v) >= sizeof(j->meeting) || !safe_id(v))
			return EBADMSG;
		snprintf(j->meeting, sizeof(j->meeting), "%s", v);
	} else if (!strcmp(k, "instance")) {
		if (strlen(v) >= sizeof(j->instance))
			return EBADMSG;
		snprintf(j->instance, sizeof(j->instance), "%s", v);
	} else if (!strcmp(k, "attempt")) {
		if (!(e = num(&x, v, 1, 100000)))
			j->attempt = (unsigned)x;
	} else if (!strcmp(k, "not_after")) {
		e = num(&j->not_after, v, 0, INT64_MAX / 2);
	} else if (!strcmp(k, "load")) {
		if (!(e = num(&x, v, 1, 100000)))
			j->load = (unsigned)x;
	} else if (!strcmp(k, "dispatched_us")) {
		e = num(&j->dispatched_us, v, 0, INT64_MAX / 2);
	} else if (!strcmp(k, "job")) {
		free(j->job);
		j->job = vp_strdup(v);
		if (!j->job)
			return ENOMEM;
	}
	return e;
}

int vp_sched_fleet_job_decode(struct vp_sched_fleet_job *j,
			      const char *const *kv, size_t n)
{
	size_t i;
	int e = 0;

	if (!j || (n && !kv))
		return EINVAL;
	j->meeting[0] = j->instance[0] = '\0';
	j->attempt = j->load = 0;
	j->not_after = j->dispatched_us = 0;
	if (n % 2)
		return EBADMSG;
	for (i = 0; i + 1 < n && !e; i += 2)
		e = decode_field(j, kv[i], kv[i + 1]);
	if (!e && (!j->meeting[0] || !j->attempt || !j->job || !j->job[0]))
		e = EBADMSG;
	if (!e && !j->load)
		j->load = 1;
	return e;
}

int vp_sched_fleet_ensure_group(struct vp_sched_redis *r, const char *pfx)
{
	struct argv a = {.n = 0};
	redisReply *rep = NULL;
	int e;

	arg(&a, "XGROUP");
	arg(&a, "CREATE");
	argf(&a, "%s:jobs", pfx);
	arg(&a, VP_FLEET_GROUP);
	arg(&a, "0"); /* entries added before any worker existed count too */
	arg(&a, "MKSTREAM");
	e = vp_sched_redis_cmd(r, &rep, a.n, a.v);
	if (e == EPROTO && err_is(rep, "BUSYGROUP"))
		e = 0;
	else if (e == EPROTO)
		VP_FLEET_WARN("redis XGROUP CREATE: %s", rep->str);
	freeReplyObject(rep);
	return e;
}

/* The job's fields, as XADD wants them. */
static void job_fields(struct argv *a, const struct vp_sched_fleet_job *j,
		       unsigned attempt)
{
	arg(a, "meeting");
	arg(a, j->meeting);
	arg(a, "instance");
	arg(a, j->instance);
	arg(a, "attempt");
	argf(a, "%u", attempt);
	arg(a, "not_after");
	argf(a, "%" PRId64, j->not_after);
	arg(a, "load");
	argf(a, "%u", j->load ? j->load : 1);
	arg(a, "dispatched_us");
	argf(a, "%" PRId64, j->dispatched_us);
	arg(a, "job");
	arg(a, j->job);
}

int vp_sched_fleet_dispatch(struct vp_sched_redis *r, const char *pfx,
			    const struct vp_sched_fleet_job *j,
			    const char *scheduler, int64_t claim_ttl_s,
			    bool again, bool *added)
{
	struct argv a = {.n = 0};
	redisReply *rep = NULL;
	char claim[320]; /* longer than an argv buffer */
	int e;

	if (!j || !j->job || !added)
		return EINVAL;
	snprintf(claim, sizeof(claim), "%s:claim:%s:%s", pfx, j->meeting,
		 j->instance);
	arg(&a, "EVAL");
	arg(&a, LUA_DISPATCH);
	arg(&a, "3");
	arg(&a, claim);
	argf(&a, "%s:jobs", pfx);
	argf(&a, "%s:stop:%s", pfx, j->meeting);
	arg(&a, scheduler);
	argf(&a, "%" PRId64, claim_ttl_s > 0 ? claim_ttl_s : 1);
	arg(&a, again ? "1" : "0");
	job_fields(&a, j, j->attempt ? j->attempt : 1);
	e = run(r, &rep, &a);
	if (!e)
		*added = rep->type == REDIS_REPLY_STRING;
	freeReplyObject(rep);
	return e;
}

/* One [id, [k, v, …]] entry into j. */
static int entry_to_job(const redisReply *en, struct vp_sched_fleet_job *j)
{
	const char *kv[MAXARGS];
	const redisReply *f;
	size_t i;

	if (!en || en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
	    en->element[0]->type != REDIS_REPLY_STRING)
		return EBADMSG;
	snprintf(j->id, sizeof(j->id), "%s", en->element[0]->str);
	f = en->element[1];
	if (f->type != REDIS_REPLY_ARRAY || f->elements > MAXARGS)
		return EBADMSG;
	for (i = 0; i < f->elements; i++) {
		if (f->element[i]->type != REDIS_REPLY_STRING)
			return EBADMSG;
		kv[i] = f->element[i]->str;
	}
	return vp_sched_fleet_job_decode(j, kv, f->elements);
}

static const redisReply *first_entry(const redisReply *rep, bool reclaim)
{
	const redisReply *l;

	if (!rep || rep->type != REDIS_REPLY_ARRAY)
		return NULL;
	if (reclaim) /* [next, [entries], [deleted]] */
		l = rep->elements >= 2 ? rep->element[1] : NULL;
	else /* [[stream, [entries]]] */
		l = rep->elements == 1 &&
				    rep->element[0]->type ==
					    REDIS_REPLY_ARRAY &&
				    rep->element[0]->elements == 2
			    ? rep->element[0]->element[1]
			    : NULL;
	if (!l || l->type != REDIS_REPLY_ARRAY || !l->elements)
		return NULL;
	return l->element[0];
}

/* XAUTOCLAIM does not say how often an entry was delivered: XPENDING. */
static void deliveries(struct vp_sched_redis *r, const char *pfx,
		       struct vp_sched_fleet_job *j)
{
	struct argv a = {.n = 0};
	redisReply *rep = NULL;
	const redisReply *p;

	arg(&a, "XPENDING");
	argf(&a, "%s:jobs", pfx);
	arg(&a, VP_FLEET_GROUP);
	arg(&a, j->id);
	arg(&a, j->id);
	arg(&a, "1");
	if (run(r, &rep, &a) == 0 && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 1) {
		p = rep->element[0];
		if (p->type == REDIS_REPLY_ARRAY && p->elements == 4 &&
		    p->element[3]->type == REDIS_REPLY_INTEGER)
			j->deliveries = (unsigned)p->element[3]->integer;
	}
	freeReplyObject(rep);
}

int vp_sched_fleet_take(struct vp_sched_redis *r, const char *pfx,
			const char *me, bool reclaim, int64_t arg_ms,
			struct vp_sched_fleet_job *j, bool *got)
{
	struct argv a = {.n = 0};
	const redisReply *en;
	redisReply *rep = NULL;
	int e;

	*got = false;
	arg(&a, reclaim ? "XAUTOCLAIM" : "XREADGROUP");
	if (reclaim) {
		argf(&a, "%s:jobs", pfx);
		arg(&a, VP_FLEET_GROUP);
		arg(&a, me);
		argf(&a, "%" PRId64, arg_ms);
		arg(&a, "0-0");
		arg(&a, "COUNT");
		arg(&a, "1");
	} else {
		arg(&a, "GROUP");
		arg(&a, VP_FLEET_GROUP);
		arg(&a, me);
		arg(&a, "COUNT");
		arg(&a, "1");
		arg(&a, "BLOCK");
		argf(&a, "%" PRId64, arg_ms);
		arg(&a, "STREAMS");
		argf(&a, "%s:jobs", pfx);
		arg(&a, ">");
	}
	e = vp_sched_redis_cmd(r, &rep, a.n, a.v);
	if (e == EPROTO && err_is(rep, "NOGROUP")) {
		/* a Redis that lost its data: make the group again */
		freeReplyObject(rep);
		return vp_sched_fleet_ensure_group(r, pfx);
	}
	if (e == EPROTO)
		VP_FLEET_WARN("redis %s: %s", a.v[0], rep->str);
	if (e)
		goto out;
	en = first_entry(rep, reclaim);
	if (!en)
		goto out;
	e = entry_to_job(en, j);
	*got = true; /* even a bad entry is ours now: the caller acks it */
	j->deliveries = 1;
	if (reclaim && j->id[0])
		deliveries(r, pfx, j);
out:
	freeReplyObject(rep);
	return e == EBADMSG ? EBADMSG : e;
}

int vp_sched_fleet_touch(struct vp_sched_redis *r, const char *pfx,
			 const char *me, const char *const *ids,
			 const char *const *meetings, size_t n,
			 int64_t lease_ms, uint64_t *lost, uint64_t *stop)
{
	const char *v[4 + 3 * 64 + 4];
	char jobs[128], keys[64][192], skeys[64][192], ms[24], nk[16];
	redisReply *rep = NULL;
	size_t i;
	int c = 0, e;

	*lost = *stop = 0;
	if (n > 64)
		return EINVAL;
	if (!n)
		return 0;
	snprintf(jobs, sizeof(jobs), "%s:jobs", pfx);
	snprintf(ms, sizeof(ms), "%" PRId64, lease_ms);
	snprintf(nk, sizeof(nk), "%zu", 2 * n + 1);
	v[c++] = "EVAL";
	v[c++] = LUA_TOUCH;
	v[c++] = nk;
	v[c++] = jobs;
	for (i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s:run:%s", pfx,
			 meetings[i]);
		v[c++] = keys[i];
	}
	for (i = 0; i < n; i++) {
		snprintf(skeys[i], sizeof(skeys[i]), "%s:stop:%s", pfx,
			 meetings[i]);
		v[c++] = skeys[i];
	}
	v[c++] = VP_FLEET_GROUP;
	v[c++] = me;
	v[c++] = ms;
	for (i = 0; i < n; i++)
		v[c++] = ids[i];
	e = vp_sched_redis_cmd(r, &rep, c, v);
	if (e == EPROTO)
		VP_FLEET_WARN("redis touch: %s", rep->str);
	if (!e && rep->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < rep->elements; i++) {
			long long x = rep->element[i]->integer;

			if (rep->element[i]->type != REDIS_REPLY_INTEGER)
				continue;
			if (x >= 0 && x < 64)
				*lost |= 1ull << x;
			else if (x < 0 && x >= -64)
				*stop |= 1ull << (-x - 1);
		}
	freeReplyObject(rep);
	return e;
}

int vp_sched_fleet_lease(struct vp_sched_redis *r, const char *pfx,
			 const char *meeting, const char *me, int64_t lease_ms,
			 bool *got)
{
	struct argv a = {.n = 0};
	redisReply *rep = NULL;
	char key[192];
	int e;

	snprintf(key, sizeof(key), "%s:run:%s", pfx, meeting);
	arg(&a, "EVAL");
	arg(&a, LUA_LEASE);
	arg(&a, "1");
	arg(&a, key);
	arg(&a, me);
	argf(&a, "%" PRId64, lease_ms);
	e = run(r, &rep, &a);
	if (!e)
		*got = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return e;
}

static void result_fields(struct argv *a, const struct vp_sched_fleet_job *j,
			  const struct vp_sched_fleet_result *res)
{
	arg(a, "meeting");
	arg(a, j->meeting);
	arg(a, "instance");
	arg(a, j->instance);
	arg(a, "attempt");
	argf(a, "%u", j->attempt);
	arg(a, "entry");
	arg(a, j->id);
	arg(a, "worker");
	arg(a, res->worker);
	arg(a, "outcome");
	arg(a, res->outcome);
	arg(a, "exit_code");
	argf(a, "%d", res->exit_code);
	arg(a, "signal");
	argf(a, "%d", res->signal);
	arg(a, "reason");
	arg(a, res->reason);
	arg(a, "out");
	arg(a, res->out);
	arg(a, "log");
	arg(a, res->log);
	arg(a, "started_us");
	argf(a, "%" PRId64, res->started_us);
	arg(a, "ended_us");
	argf(a, "%" PRId64, res->ended_us);
	arg(a, "spawn_latency_us");
	argf(a, "%" PRId64, res->spawn_latency_us);
}

int vp_sched_fleet_finish(struct vp_sched_redis *r, const char *pfx,
			  const struct vp_sched_fleet_job *j, const char *me,
			  const struct vp_sched_fleet_result *res,
			  unsigned requeue_attempt, bool *done)
{
	struct argv a = {.n = 0};
	redisReply *rep = NULL;
	char run_key[192];
	int e, nres_at;

	*done = false;
	snprintf(run_key, sizeof(run_key), "%s:run:%s", pfx, j->meeting);
	arg(&a, "EVAL");
	arg(&a, LUA_FINISH);
	arg(&a, "3");
	argf(&a, "%s:jobs", pfx);
	argf(&a, "%s:results", pfx);
	arg(&a, run_key);
	arg(&a, VP_FLEET_GROUP);
	arg(&a, j->id);
	arg(&a, me);
	arg(&a, requeue_attempt ? "1" : "0");
	nres_at = a.n;
	arg(&a, "");
	result_fields(&a, j, res);
	snprintf(a.buf[nres_at], sizeof(a.buf[0]), "%d", a.n - nres_at - 1);
	a.v[nres_at] = a.buf[nres_at];
	if (requeue_attempt && j->job)
		job_fields(&a, j, requeue_attempt);
	if (a.n >= MAXARGS)
		return EINVAL;
	e = run(r, &rep, &a);
	if (!e)
		*done = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return e;
}

int vp_sched_fleet_heartbeat(struct vp_sched_redis *r, const char *pfx,
			     const char *me, unsigned capacity, unsigned load,
			     const char *running_json, int64_t ttl_ms)
{
	struct argv a = {.n = 0};
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	arg(&a, "EVAL");
	arg(&a, LUA_HEARTBEAT);
	arg(&a, "2");
	argf(&a, "%s:worker:%s", pfx, me);
	argf(&a, "%s:workers", pfx);
	arg(&a, me);
	argf(&a, "%u", capacity);
	argf(&a, "%u", load);
	arg(&a, running_json);
	argf(&a, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	argf(&a, "%" PRId64, ttl_ms);
	return vp_sched_redis_do(r, a.n, a.v);
}

int vp_sched_fleet_leave(struct vp_sched_redis *r, const char *pfx,
			 const char *me)
{
	struct argv a = {.n = 0};
	int e;

	arg(&a, "DEL");
	argf(&a, "%s:worker:%s", pfx, me);
	e = vp_sched_redis_do(r, a.n, a.v);
	a.n = 0;
	arg(&a, "ZREM");
	argf(&a, "%s:workers", pfx);
	arg(&a, me);
	return e ? e : vp_sched_redis_do(r, a.n, a.v);
}

int vp_sched_fleet_request_stop(struct vp_sched_redis *r, const char *pfx,
				const char *meeting)
{
	struct argv a = {.n = 0};
	char key[192];

	snprintf(key, sizeof(key), "%s:stop:%s", pfx, meeting);
	arg(&a, "SET");
	arg(&a, key);
	arg(&a, "1");
	arg(&a, "EX");
	arg(&a, "86400");
	return vp_sched_redis_do(r, a.n, a.v);
}
