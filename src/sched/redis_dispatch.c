/* SPDX-License-Identifier: MIT */
/**
 * @file redis_dispatch.c  The scheduler's Redis Streams dispatcher
 * (dispatch.h, docs/fleet.md): start = claim + XADD, reap = read the
 * results stream, stop = a stop request the job's worker sees at its next
 * heartbeat.
 *
 * A handle is a number of ours (>= 2^40, never a pid). The claim is keyed
 * by meeting id and instance = the meeting's scheduled start and end, so
 * several schedulers dispatch a meeting once and a moved meeting is a new
 * instance. A start whose claim was already taken (another scheduler, or
 * this one before a restart) still gets a handle: the job is in the fleet
 * and its result will come; one read before the handle existed is kept.
 * An instance the loop starts again after its last bot ended (d->again:
 * a meeting cancelled, then restored) takes its claim over: no result
 * would come.
 */
#define VP_LOG_MODULE "sched"
#include "src/sched/redis_dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/sched/redis_fleet.h"

#define HANDLE_BASE ((int64_t)1 << 40)
/* An instance's claim lives until a day past its end (d_start); what we
 * remember of it is of no use after that, and is forgotten, hourly. */
#define FORGET_AFTER_S 86400
#define PRUNE_EVERY_S  3600

struct rdisp {
	struct vp_sched_dispatch base;
	struct vp_sched_redis *r;
	char prefix[32];
	char name[128];
	int64_t grace_s;
	int64_t next_handle;
	char last[48]; /* results read up to here */
	json_t *byid;  /* "meeting instance" -> handle, while one is out */
	json_t *final; /* "meeting instance" -> [code, sig], no handle */
	json_t *ready; /* [handle, code, sig] to report at the next reap */
	int64_t next_prune;
};

/* The outcome as the loop's exit code (docs/design.md §7); false: not final
 * (the worker requeued it: retry, drained, fenced, requeued). A final
 * outcome ends the meeting for the loop too, as a code it does not retry:
 * the worker already retried within the meeting's window, and the loop's
 * retry would find the instance claimed, add nothing and wait for a
 * result that never comes. */
static bool final_code(json_t *res, int *code, int *sig)
{
	const char *o = json_string_value(json_object_get(res, "outcome"));

	*code = (int)json_integer_value(json_object_get(res, "exit_code"));
	*sig = (int)json_integer_value(json_object_get(res, "signal"));
	if (!o || !strcmp(o, "retry") || !strcmp(o, "drained") ||
	    !strcmp(o, "fenced") || !strcmp(o, "requeued"))
		return false;
	if (!strcmp(o, "done") || !strcmp(o, "cancelled"))
		*code = 0;
	else if (!strcmp(o, "poison"))
		*code = 65;
	else if (!strcmp(o, "not_recorded"))
		*code = 77;
	else if (!strcmp(o, "duplicate"))
		*code = 73; /* another bot holds the folder */
	else if (*code != 64 && *code != 65 && *code != 69 && *code != 73)
		*code = 69; /* failed (or expired): the worker gave up */
	return true;
}

static int d_start(struct vp_sched_dispatch *d, const char *id, json_t *job,
		   int64_t *handle)
{
	struct rdisp *rd = (struct rdisp *)d;
	struct vp_sched_fleet_job j;
	int64_t now = time(NULL), dur;
	json_t *inv, *fin;
	char key[256];
	bool added = false;
	int e;

	memset(&j, 0, sizeof(j));
	if (strlen(id) >= sizeof(j.meeting))
		return EINVAL;
	snprintf(j.meeting, sizeof(j.meeting), "%s", id);
	dur = json_integer_value(json_object_get(job, "max_duration_s"));
	/* the scheduled end, as the loop knows it: not derived from `now`
	 * (max_duration_s = end - now + grace, at least 60), which made a
	 * retry or a second scheduler name a new instance of a meeting
	 * with less than a minute left, and dispatched it twice */
	if (d->end_utc > 0)
		j.not_after = d->end_utc;
	else
		j.not_after = dur - rd->grace_s >= 60
				      ? now + dur - rd->grace_s
				      : now + (dur > 0 ? dur : 3600);
	if (d->start_utc > 0)
		snprintf(j.instance, sizeof(j.instance), "%" PRId64 "-%" PRId64,
			 d->start_utc, j.not_after);
	else
		snprintf(j.instance, sizeof(j.instance), "end-%" PRId64,
			 j.not_after);
	snprintf(key, sizeof(key), "%s %s", id, j.instance);
	if (d->again) /* an outcome read at start-up is the ended attempt's */
		json_object_del(rd->final, key);
	inv = json_object_get(json_object_get(job, "meeting"), "invitees");
	j.load = json_array_size(inv) ? (unsigned)json_array_size(inv) : 1;
	j.attempt = 1;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		j.dispatched_us =
			(int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	j.job = vp_json_dumps(job, JSON_COMPACT);
	if (!j.job)
		return ENOMEM;
	e = vp_sched_fleet_ensure_group(rd->r, rd->prefix);
	if (!e)
		e = vp_sched_fleet_dispatch(rd->r, rd->prefix, &j, rd->name,
					    j.not_after - now + 86400, d->again,
					    &added);
	free(j.job);
	if (e)
		return e == EPROTO ? EIO : e;
	*handle = rd->next_handle++;
	vp_log_info("meeting %s: %s the fleet's queue (instance %s, load %u)",
		    id, added ? "added to" : "already in", j.instance, j.load);
	fin = json_object_get(rd->final, key);
	if (!added && fin) {
		/* it ended while we were not looking */
		json_array_append_new(
			rd->ready, json_pack("[I, O, O]", (json_int_t)*handle,
					     json_array_get(fin, 0),
					     json_array_get(fin, 1)));
		json_object_del(rd->final, key);
		return 0;
	}
	json_object_set_new(rd->byid, key, json_integer(*handle));
	return 0;
}

static void report_ready(struct rdisp *rd, vp_sched_exit_h *h, void *arg)
{
	json_t *rdy = rd->ready;
	size_t i;

	rd->ready = json_array();
	for (i = 0; i < json_array_size(rdy); i++) {
		json_t *x = json_array_get(rdy, i);

		h(json_integer_value(json_array_get(x, 0)),
		  (int)json_integer_value(json_array_get(x, 1)),
		  (int)json_integer_value(json_array_get(x, 2)), arg);
	}
	json_decref(rdy);
}

/* Read results on from rd->last; h NULL: only remember them (start-up).
 * @return how many entries were read, or -1 if Redis did not answer */
static int read_results(struct rdisp *rd, vp_sched_exit_h *h, void *arg)
{
	json_t *arr = NULL, *res, *hv;
	const char *m, *inst;
	char key[256];
	size_t i;
	int code, sig, n;

	if (vp_sched_fleet_results(rd->r, rd->prefix, rd->last, 500, &arr))
		return -1; /* Redis away: read on from rd->last later */
	n = (int)json_array_size(arr);
	json_array_foreach(arr, i, res)
	{
		m = json_string_value(json_object_get(res, "meeting"));
		inst = json_string_value(json_object_get(res, "instance"));
		if (!m || !inst || !final_code(res, &code, &sig))
			continue;
		snprintf(key, sizeof(key), "%s %s", m, inst);
		hv = json_object_get(rd->byid, key);
		if (!h || !hv) {
			json_object_set_new(rd->final, key,
					    json_pack("[i, i]", code, sig));
			continue;
		}
		vp_log_info("meeting %s: %s on worker %s (exit %d): %s", m,
			    json_string_value(json_object_get(res, "outcome")),
			    json_string_value(json_object_get(res, "worker"))
				    ?: "?",
			    code,
			    json_string_value(json_object_get(res, "reason"))
				    ?: "");
		int64_t hd = json_integer_value(hv);

		json_object_del(rd->byid, key);
		h(hd, code, sig, arg);
	}
	json_decref(arr);
	return n;
}

/* The end of a "meeting instance" key's instance ("START-END" or
 * "end-END"); 0 if it names none (not one of ours: forget it too). */
static int64_t key_end(const char *key)
{
	const char *sp = strrchr(key, ' '), *dash;

	dash = sp ? strrchr(sp, '-') : NULL;
	return dash ? strtoll(dash + 1, NULL, 10) : 0;
}

static size_t forget_before(json_t *map, int64_t t)
{
	const char *key;
	json_t *v;
	void *tmp;
	size_t n = 0;

	json_object_foreach_safe(map, tmp, key, v)
	{
		if (key_end(key) >= t)
			continue;
		json_object_del(map, key);
		n++;
	}
	return n;
}

/* Forget the outcomes of instances whose claims have expired, so a
 * scheduler that runs for months does not grow by every meeting. */
static void prune(struct rdisp *rd, int64_t now)
{
	size_t n;

	if (now < rd->next_prune)
		return;
	rd->next_prune = now + PRUNE_EVERY_S;
	n = forget_before(rd->final, now - FORGET_AFTER_S);
	if (n)
		vp_log_debug("forgot %zu instance(s) past their claims", n);
}

static void d_reap(struct vp_sched_dispatch *d, vp_sched_exit_h *h, void *arg)
{
	struct rdisp *rd = (struct rdisp *)d;

	report_ready(rd, h, arg);
	(void)read_results(rd, h, arg);
	prune(rd, time(NULL));
}

size_t vp_sched_dispatch_redis_remembered(const struct vp_sched_dispatch *d)
{
	const struct rdisp *rd = (const struct rdisp *)d;

	return json_object_size(rd->final);
}

static int d_stop(struct vp_sched_dispatch *d, int64_t handle)
{
	struct rdisp *rd = (struct rdisp *)d;
	const char *key;
	char id[256], *sp;
	json_t *v;

	if (handle < HANDLE_BASE)
		return ESRCH; /* a pid from a local run: not ours */
	json_object_foreach(rd->byid, key, v)
	{
		if (json_integer_value(v) != handle)
			continue;
		snprintf(id, sizeof(id), "%s", key);
		sp = strchr(id, ' ');
		if (sp)
			*sp = '\0';
		return vp_sched_fleet_request_stop(rd->r, rd->prefix, id);
	}
	return ESRCH;
}

/* A bot of ours from before a restart has no handle: stop by meeting. */
static int d_stop_meeting(struct vp_sched_dispatch *d, const char *id)
{
	struct rdisp *rd = (struct rdisp *)d;

	return vp_sched_fleet_request_stop(rd->r, rd->prefix, id);
}

static void d_destroy(struct vp_sched_dispatch *d)
{
	struct rdisp *rd = (struct rdisp *)d;

	if (!rd)
		return;
	vp_mem_deref(rd->r);
	json_decref(rd->byid);
	json_decref(rd->final);
	json_decref(rd->ready);
	free(rd);
}

static const struct vp_sched_dispatch_ops redis_ops = {
	.name = "redis",
	.start = d_start,
	.reap = d_reap,
	.stop = d_stop,
	.stop_meeting = d_stop_meeting,
	.destroy = d_destroy,
};

int vp_sched_dispatch_redis(struct vp_sched_dispatch **dp, const char *url,
			    int64_t grace_s, const char *scheduler)
{
	struct rdisp *rd;
	char err[256];
	int e;

	rd = vp_calloc(1, sizeof(*rd));
	if (!rd)
		return ENOMEM;
	rd->base.ops = &redis_ops;
	snprintf(rd->prefix, sizeof(rd->prefix), "vpbot");
	snprintf(rd->name, sizeof(rd->name), "%s", scheduler);
	snprintf(rd->last, sizeof(rd->last), "0");
	rd->grace_s = grace_s;
	rd->next_handle = HANDLE_BASE + 1;
	rd->byid = json_object();
	rd->final = json_object();
	rd->ready = json_array();
	e = vp_sched_redis_alloc(&rd->r, url, err, sizeof(err));
	if (e)
		vp_log_err("dispatch: %s", err);
	if (!e && (!rd->byid || !rd->final || !rd->ready))
		e = ENOMEM;
	if (e) {
		d_destroy(&rd->base);
		return e;
	}
	/* Results published while no scheduler of ours ran: remembered, and
	 * reported when the loop starts that meeting again (its claim says
	 * it is already in the fleet). Redis away: read them later. */
	while (read_results(rd, NULL, NULL) > 0)
		;
	prune(rd, time(NULL));
	*dp = &rd->base;
	return 0;
}
