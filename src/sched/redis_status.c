/* SPDX-License-Identifier: MIT */
/** @file redis_status.c  Read the fleet back: workers, queue, results. */
#define VP_LOG_MODULE "fleet"
#include "src/sched/redis_fleet.h"
#include "src/core/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmd(struct vp_sched_redis *r, redisReply **rep, int argc,
	       const char **argv)
{
	int e = vp_sched_redis_cmd(r, rep, argc, argv);

	if (e == EPROTO) {
		VP_FLEET_WARN("redis %s: %s", argv[0], (*rep)->str);
		freeReplyObject(*rep);
		*rep = NULL;
	}
	return e;
}

/* Fields that hold numbers (everything else stays a string: a meeting id
 * may look like a number). */
static bool numeric(const char *k)
{
	static const char *const keys[] = {
		"capacity",	    "load",	     "updated_ms",
		"attempt",	    "not_after",     "exit_code",
		"signal",	    "started_us",    "ended_us",
		"spawn_latency_us", "dispatched_us", "pending",
		"consumers",	    "entries-read",  "lag",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* [k, v, k, v…] of strings -> {k: v}; numbers where they look like one */
static json_t *kv_object(const redisReply *l)
{
	json_t *o = json_object();
	size_t i;

	if (!o || l->type != REDIS_REPLY_ARRAY)
		return o;
	for (i = 0; i + 1 < l->elements; i += 2) {
		const redisReply *k = l->element[i], *v = l->element[i + 1];
		json_t *jv;
		char *end;
		long long n;

		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (v->type == REDIS_REPLY_INTEGER) {
			jv = json_integer(v->integer);
		} else if (v->type == REDIS_REPLY_STRING) {
			n = strtoll(v->str, &end, 10);
			jv = v->str[0] && !*end && numeric(k->str)
				     ? json_integer(n)
				     : json_string(v->str);
		} else {
			continue;
		}
		json_object_set_new(o, k->str, jv ? jv : json_null());
	}
	return o;
}

static int add_worker(struct vp_sched_redis *r, const char *pfx,
		      const char *name, json_t *arr)
{
	char key[192], zkey[128];
	const char *v[3] = {"HGETALL", key, NULL};
	redisReply *rep = NULL;
	json_t *w, *run;
	int e;

	snprintf(key, sizeof(key), "%s:worker:%s", pfx, name);
	e = cmd(r, &rep, 2, v);
	if (e)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY || !rep->elements) {
		/* its heartbeat expired: the worker is gone */
		const char *z[3] = {"ZREM", zkey, name};

		snprintf(zkey, sizeof(zkey), "%s:workers", pfx);
		freeReplyObject(rep);
		return vp_sched_redis_do(r, 3, z);
	}
	w = kv_object(rep);
	freeReplyObject(rep);
	run = vp_json_loads(
		json_string_value(json_object_get(w, "running"))
			? json_string_value(json_object_get(w, "running"))
			: "[]",
		0, NULL);
	json_object_set_new(w, "running", run ? run : json_array());
	json_array_append_new(arr, w);
	return 0;
}

static int workers(struct vp_sched_redis *r, const char *pfx, json_t *out)
{
	char key[128];
	const char *v[4] = {"ZRANGE", key, "0", "-1"};
	redisReply *rep = NULL;
	json_t *arr = json_array();
	size_t i;
	int e;

	snprintf(key, sizeof(key), "%s:workers", pfx);
	json_object_set_new(out, "workers", arr);
	e = cmd(r, &rep, 4, v);
	for (i = 0; !e && rep->type == REDIS_REPLY_ARRAY && i < rep->elements;
	     i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			e = add_worker(r, pfx, rep->element[i]->str, arr);
	freeReplyObject(rep);
	return e;
}

/* Entries after the group's last delivered id: waiting for a worker. */
static int queued(struct vp_sched_redis *r, const char *pfx, json_t *out)
{
	char key[128], from[64] = "-";
	const char *gi[4] = {"XINFO", "GROUPS", key, NULL};
	const char *rg[6] = {"XRANGE", key, from, "+", "COUNT", "1000"};
	redisReply *rep = NULL;
	json_t *arr = json_array(), *g;
	size_t i;
	int e;

	snprintf(key, sizeof(key), "%s:jobs", pfx);
	json_object_set_new(out, "queued", arr);
	e = cmd(r, &rep, 3, gi);
	if (e == EPROTO || (!e && rep->type != REDIS_REPLY_ARRAY))
		e = 0; /* no stream yet: nothing queued */
	for (i = 0; !e && rep && i < rep->elements; i++) {
		g = kv_object(rep->element[i]);
		if (!strcmp(json_string_value(json_object_get(g, "name")) ?: "",
			    VP_FLEET_GROUP)) {
			json_object_set(out, "pending",
					json_object_get(g, "pending"));
			snprintf(from, sizeof(from), "(%s",
				 json_string_value(json_object_get(
					 g, "last-delivered-id"))
					 ?: "0-0");
		}
		json_decref(g);
	}
	freeReplyObject(rep);
	rep = NULL;
	if (e)
		return e;
	e = cmd(r, &rep, 6, rg);
	for (i = 0; !e && rep->type == REDIS_REPLY_ARRAY && i < rep->elements;
	     i++) {
		const redisReply *en = rep->element[i];
		json_t *o;

		if (en->type != REDIS_REPLY_ARRAY || en->elements != 2)
			continue;
		o = kv_object(en->element[1]);
		json_object_del(o, "job"); /* may hold tokens: never shown */
		json_object_set_new(o, "id", json_string(en->element[0]->str));
		json_array_append_new(arr, o);
	}
	freeReplyObject(rep);
	return e;
}

int vp_sched_fleet_status(struct vp_sched_redis *r, const char *pfx,
			  json_t **out)
{
	json_t *o = json_object();
	int e;

	if (!o)
		return ENOMEM;
	json_object_set_new(o, "pending", json_integer(0));
	e = workers(r, pfx, o);
	if (!e)
		e = queued(r, pfx, o);
	if (e) {
		json_decref(o);
		return e;
	}
	*out = o;
	return 0;
}

int vp_sched_fleet_results(struct vp_sched_redis *r, const char *pfx,
			   char *last_id, size_t count, json_t **out)
{
	char key[128], n[24];
	const char *v[6] = {"XREAD", "COUNT", n, "STREAMS", key, last_id};
	redisReply *rep = NULL;
	const redisReply *l;
	json_t *arr;
	size_t i;
	int e;

	snprintf(key, sizeof(key), "%s:results", pfx);
	snprintf(n, sizeof(n), "%zu", count ? count : 100);
	e = cmd(r, &rep, 6, v);
	if (e)
		return e;
	arr = json_array();
	if (!arr) {
		freeReplyObject(rep);
		return ENOMEM;
	}
	l = rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
			    rep->element[0]->elements == 2
		    ? rep->element[0]->element[1]
		    : NULL;
	for (i = 0; l && l->type == REDIS_REPLY_ARRAY && i < l->elements; i++) {
		const redisReply *en = l->element[i];
		json_t *o;

		if (en->type != REDIS_REPLY_ARRAY || en->elements != 2)
			continue;
		o = kv_object(en->element[1]);
		json_object_set_new(o, "id", json_string(en->element[0]->str));
		json_array_append_new(arr, o);
		snprintf(last_id, 48, "%s", en->element[0]->str);
	}
	freeReplyObject(rep);
	*out = arr;
	return 0;
}
