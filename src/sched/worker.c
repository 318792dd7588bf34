/* SPDX-License-Identifier: MIT */
/**
 * @file worker.c  The worker's loop: signals, admission, take and reclaim,
 * heartbeats, publish. One thread; every Redis call is blocking with a
 * timeout, and a lost Redis only delays publishing (nothing is dropped:
 * an exited bot's slot stays until its outcome is acknowledged).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/sched/worker_priv.h"

#define KILL_AFTER_MS	 10000 /* SIGTERM, then SIGKILL this much later */
#define DEADLINE_GRACE_S 900   /* a bot still there this long past the end */
#define TAKE_BLOCK_MS	 500

static const char *g_name = "?";

void vp_worker__log(const char *level, const char *event, json_t *f)
{
	struct timespec ts;
	struct tm tm;
	char t[96];
	json_t *o = f ? f : json_object();
	char *s;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	json_object_set_new(o, "ts", json_string(t));
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "worker", json_string(g_name));
	json_object_set_new(o, "event", json_string(event));
	s = vp_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(o);
}

static void fleet_log(int level, const char *msg, void *arg)
{
	static const char *const lv[] = {"error", "warn", "info"};

	vp_worker__log(lv[level < 0 || level > 2 ? 1 : level], "redis",
		       json_pack("{s:s}", "msg", msg));
}

static json_t *slot_fields(const struct vp_worker_slot *s)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "meeting", s->job.meeting,
			 "entry", s->job.id, "attempt", (int)s->job.attempt,
			 "instance", s->job.instance);
}

static struct vp_worker_slot *free_slot(struct vp_worker *w)
{
	unsigned i;

	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].state == VP_SLOT_FREE)
			return &w->slots[i];
	return NULL;
}

static void slot_release(struct vp_worker *w, struct vp_worker_slot *s)
{
	if (s->job_path[0])
		unlink(s->job_path); /* it may hold a token */
	vp_sched_fleet_job_clear(&s->job);
	memset(s, 0, sizeof(*s));
}

/* Acknowledge with the outcome (and requeue); the slot is freed once
 * Redis took it, or when the job turned out not to be ours any more. */
static void publish(struct vp_worker *w, struct vp_worker_slot *s)
{
	struct vp_sched_fleet_result res = {
		.worker = w->cfg->name,
		.outcome = s->outcome ? s->outcome : "failed",
		.exit_code = s->pid && WIFEXITED(s->status)
				     ? WEXITSTATUS(s->status)
				     : -1, /* -1: never ran, or a signal */
		.signal = s->pid && WIFSIGNALED(s->status) ? WTERMSIG(s->status)
							   : 0,
		.reason = s->reason,
		.out = s->out,
		.log = s->log_path,
		.started_us = s->started_us,
		.ended_us = s->ended_us,
		.spawn_latency_us = s->latency_us,
	};
	json_t *f;
	bool done = false;
	int e;

	if (s->stop == VP_STOP_LOST) {
		vp_worker__log("warn", "lost", slot_fields(s));
		slot_release(w, s);
		return;
	}
	e = vp_sched_fleet_finish(w->r, w->cfg->prefix, &s->job, w->cfg->name,
				  &res, s->requeue, &done);
	if (e && e != EPROTO)
		return; /* Redis away: try again next round */
	if (e) {	/* a Redis that lost its data no longer knows the job */
		vp_worker__log("error", "result_lost", slot_fields(s));
		slot_release(w, s);
		return;
	}
	f = slot_fields(s);
	json_object_set_new(f, "outcome", json_string(res.outcome));
	json_object_set_new(f, "exit_code", json_integer(res.exit_code));
	json_object_set_new(f, "signal", json_integer(res.signal));
	json_object_set_new(f, "reason", json_string(s->reason));
	json_object_set_new(f, "requeued", json_boolean(s->requeue));
	json_object_set_new(f, "acked", json_boolean(done));
	vp_worker__log(done ? "info" : "warn", done ? "finished" : "not_ours",
		       f);
	slot_release(w, s);
}

static void start(struct vp_worker *w, struct vp_worker_slot *s)
{
	json_t *f;
	int e = vp_worker__spawn(w, s);

	if (e) {
		s->state = VP_SLOT_EXITED;
		s->status = 70 << 8;
		s->outcome = e == EBADMSG ? "poison" : "failed";
		snprintf(s->reason, sizeof(s->reason), "spawn: %s",
			 strerror(e));
		vp_worker__log("error", "spawn_failed", slot_fields(s));
		return;
	}
	w->load += s->job.load;
	f = slot_fields(s);
	json_object_set_new(f, "pid", json_integer(s->pid));
	json_object_set_new(f, "load", json_integer(w->load));
	json_object_set_new(f, "latency_us", json_integer(s->latency_us));
	json_object_set_new(f, "log", json_string(s->log_path));
	vp_worker__log("info", "spawned", f);
}

/* A held job starts once the meeting's run lease is ours: the previous
 * bot of a reclaimed job has had time to die with its worker. */
static void try_start(struct vp_worker *w, struct vp_worker_slot *s)
{
	const char *id = s->job.id, *m = s->job.meeting;
	uint64_t lost = 0, stop = 0;
	bool got = false;

	if (time(NULL) >= s->job.not_after) {
		s->state = VP_SLOT_EXITED;
		s->outcome = "expired";
		snprintf(s->reason, sizeof(s->reason),
			 "taken after the meeting's end; not started");
		return;
	}
	/* withdrawn while it waited in the queue: no bot joins at all (the
	 * heartbeat would stop it only after it joined); asked once, the
	 * heartbeat asks for a slot that waits on a lease */
	if (!s->asked_stop) {
		s->asked_stop = true;
		if (!vp_sched_fleet_touch(w->r, w->cfg->prefix, w->cfg->name,
					  &id, &m, 1, w->cfg->reclaim_idle_ms,
					  &lost, &stop) &&
		    (lost || stop)) {
			vp_worker__touched(&s, 1, lost, stop);
			if (s->state != VP_SLOT_HELD || s->stop)
				return;
		}
	}
	if (vp_sched_fleet_lease(w->r, w->cfg->prefix, s->job.meeting,
				 w->cfg->name, w->cfg->reclaim_idle_ms, &got) ||
	    !got)
		return;
	start(w, s);
}

static void admit(struct vp_worker *w, struct vp_worker_slot *s, bool reclaimed)
{
	json_t *f = slot_fields(s);

	json_object_set_new(f, "reclaimed", json_boolean(reclaimed));
	json_object_set_new(f, "deliveries", json_integer(s->job.deliveries));
	vp_worker__log("info", "taken", f);
	if (w->load && w->load + s->job.load > w->cfg->capacity) {
		/* a bigger job than the room left: back to the queue */
		s->state = VP_SLOT_EXITED;
		s->outcome = "requeued";
		s->requeue = s->job.attempt;
		snprintf(s->reason, sizeof(s->reason),
			 "load %u does not fit (%u of %u in use)", s->job.load,
			 w->load, w->cfg->capacity);
		w->hold_full = true;
		return;
	}
	s->state = VP_SLOT_HELD;
	try_start(w, s);
}

static void on_signals(struct vp_worker *w, int sfd);

static bool room(const struct vp_worker *w)
{
	return !w->draining && !w->hold_full && w->load < w->cfg->capacity &&
	       free_slot((struct vp_worker *)w);
}

/* @return 0, or the error that kept us from asking Redis */
static int take(struct vp_worker *w, int64_t now)
{
	struct vp_worker_slot *s = free_slot(w);
	bool got = false, reclaim = now >= w->next_reclaim_ms;
	int e;

	if (reclaim)
		w->next_reclaim_ms = now + 1000;
	e = vp_sched_fleet_take(w->r, w->cfg->prefix, w->cfg->name, reclaim,
				reclaim ? w->cfg->reclaim_idle_ms
					: TAKE_BLOCK_MS,
				&s->job, &got);
	if (!got)
		return e;
	if (e == EBADMSG) {
		s->state = VP_SLOT_EXITED;
		s->outcome = "poison";
		snprintf(s->reason, sizeof(s->reason), "malformed job entry");
		if (!s->job.meeting[0])
			snprintf(s->job.meeting, sizeof(s->job.meeting), "-");
		return 0;
	}
	if (w->cfg->max_deliveries &&
	    s->job.deliveries > w->cfg->max_deliveries) {
		s->state = VP_SLOT_EXITED;
		s->outcome = "poison";
		snprintf(s->reason, sizeof(s->reason),
			 "reclaimed %u times: its workers keep dying",
			 s->job.deliveries);
		return 0;
	}
	on_signals(w, w->sfd); /* SIGTERM during the blocking read */
	if (w->draining) {
		s->state = VP_SLOT_EXITED;
		s->outcome = "requeued";
		s->requeue = s->job.attempt;
		snprintf(s->reason, sizeof(s->reason),
			 "taken as the worker began to drain");
		return 0;
	}
	admit(w, s, reclaim);
	return 0;
}

/* Apply one touch batch's answer: stop requests and jobs no longer ours. */
void vp_worker__touched(struct vp_worker_slot **map, size_t n, uint64_t lost,
			uint64_t stop)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((stop & (1ull << i)) && !map[i]->stop &&
		    (map[i]->state == VP_SLOT_RUNNING ||
		     map[i]->state == VP_SLOT_HELD ||
		     map[i]->state == VP_SLOT_BACKOFF)) {
			vp_worker__log("info", "cancel_requested",
				       slot_fields(map[i]));
			if (map[i]->state == VP_SLOT_RUNNING) {
				vp_worker__stop(map[i], VP_STOP_CANCEL);
			} else { /* no bot (yet, or again): none starts */
				map[i]->stop = VP_STOP_CANCEL;
				map[i]->state = VP_SLOT_EXITED;
				map[i]->outcome = "cancelled";
				map[i]->requeue = 0;
				snprintf(map[i]->reason, sizeof(map[i]->reason),
					 "a scheduler withdrew the meeting "
					 "before its bot started");
			}
		}
		if (!(lost & (1ull << i)) || map[i]->stop == VP_STOP_LOST)
			continue;
		vp_worker__log("warn", "reclaimed_from_us",
			       slot_fields(map[i]));
		if (map[i]->state == VP_SLOT_RUNNING)
			vp_worker__stop(map[i], VP_STOP_LOST);
		else
			map[i]->stop = VP_STOP_LOST;
	}
}

/* Keep our claims fresh so nobody reclaims a live job: every slot that
 * holds an entry, in batches of 64 (one Lua call each). */
static void touch_all(struct vp_worker *w)
{
	const char *ids[64], *ms[64];
	struct vp_worker_slot *map[64];
	uint64_t lost, stop;
	size_t n = 0;
	unsigned i;

	for (i = 0; i < w->nslots; i++) {
		struct vp_worker_slot *s = &w->slots[i];

		if (s->state != VP_SLOT_FREE && s->job.id[0]) {
			map[n] = s;
			ids[n] = s->job.id;
			ms[n++] = s->job.meeting;
		}
		if (n == 64 || (i + 1 == w->nslots && n)) {
			if (vp_sched_fleet_touch(
				    w->r, w->cfg->prefix, w->cfg->name, ids, ms,
				    n, w->cfg->reclaim_idle_ms, &lost, &stop))
				return;
			vp_worker__touched(map, n, lost, stop);
			n = 0;
		}
	}
}

/* Heartbeat: capacity, load and running meetings, then the claims. */
static void beat(struct vp_worker *w)
{
	json_t *run = json_array();
	unsigned i;
	char *rs;

	for (i = 0; i < w->nslots; i++) {
		struct vp_worker_slot *s = &w->slots[i];

		if (s->state == VP_SLOT_RUNNING)
			json_array_append_new(
				run, json_pack("{s:s, s:i, s:i, s:I}",
					       "meeting", s->job.meeting,
					       "attempt", (int)s->job.attempt,
					       "pid", (int)s->pid, "since_us",
					       (json_int_t)s->started_us));
	}
	rs = vp_json_dumps(run, JSON_COMPACT);
	json_decref(run);
	vp_sched_fleet_heartbeat(w->r, w->cfg->prefix, w->cfg->name,
				 w->cfg->capacity, w->load, rs ? rs : "[]",
				 3 * w->cfg->heartbeat_ms);
	free(rs);
	touch_all(w);
}

static void police(struct vp_worker *w, int64_t now)
{
	bool fence = vp_sched_redis_silent_ms(w->r) >
		     w->cfg->reclaim_idle_ms * 2 / 3;
	time_t t = time(NULL);
	unsigned i;

	for (i = 0; i < w->nslots; i++) {
		struct vp_worker_slot *s = &w->slots[i];

		if (s->state == VP_SLOT_RUNNING) {
			if (fence) /* others will reclaim it: never two bots */
				vp_worker__stop(s, VP_STOP_FENCED);
			else if (w->draining && now >= w->drain_deadline_ms)
				vp_worker__stop(s, VP_STOP_DRAIN);
			else if (t > s->job.not_after + DEADLINE_GRACE_S)
				vp_worker__stop(s, VP_STOP_DEADLINE);
			/* fenced: its job is reclaimable once the lease ends,
			 * so the bot must be gone well before that */
			if (s->stop &&
			    now - s->stop_ms >
				    (s->stop == VP_STOP_FENCED
					     ? w->cfg->reclaim_idle_ms / 6
					     : KILL_AFTER_MS))
				kill(-s->pid, SIGKILL);
		} else if (s->state == VP_SLOT_HELD) {
			try_start(w, s);
		} else if (s->state == VP_SLOT_BACKOFF &&
			   (now >= s->retry_at_ms || w->draining)) {
			s->state = VP_SLOT_EXITED;
		}
		if (s->state == VP_SLOT_EXITED)
			publish(w, s);
	}
}

static bool busy(const struct vp_worker *w)
{
	unsigned i;

	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].state != VP_SLOT_FREE)
			return true;
	return false;
}

static void on_signals(struct vp_worker *w, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (w->draining) {
			w->drain_deadline_ms = 0; /* second signal: now */
			continue;
		}
		w->draining = true;
		w->drain_deadline_ms =
			vp_sched_redis_now_ms() + w->cfg->grace_s * 1000;
		vp_worker__log("info", "draining",
			       json_pack("{s:i, s:I}", "signal",
					 (int)si.ssi_signo, "grace_s",
					 (json_int_t)w->cfg->grace_s));
	}
}

static int loop(struct vp_worker *w, int sfd)
{
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};

	while (vp_sched_fleet_ensure_group(w->r, w->cfg->prefix) ==
	       ECONNRESET) {
		on_signals(w, sfd);
		if (w->draining)
			return 0;
		poll(&pfd, 1, 200);
	}
	for (;;) {
		int64_t now = vp_sched_redis_now_ms();

		on_signals(w, sfd);
		vp_worker__reap(w);
		if (now >= w->next_beat_ms) {
			w->next_beat_ms = now + w->cfg->heartbeat_ms;
			beat(w);
		}
		police(w, now);
		if (w->draining && !busy(w))
			break;
		/* with room, the blocking read is the loop's wait; without
		 * room, or with Redis away (backoff), a short nap */
		if (!room(w) || take(w, now))
			poll(&pfd, 1, 200);
	}
	vp_sched_fleet_leave(w->r, w->cfg->prefix, w->cfg->name);
	vp_worker__log("info", "stopped", NULL);
	return 0;
}

void vp_sched_worker_defaults(struct vp_sched_worker_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->prefix = "vpbot";
	cfg->capacity = 8;
	cfg->reclaim_idle_ms = 30000;
	cfg->heartbeat_ms = 2000;
	cfg->grace_s = 4 * 3600;
	cfg->retry_ms = 5000;
	cfg->max_deliveries = 5;
}

static int setup(struct vp_worker *w, const struct vp_sched_worker_cfg *cfg)
{
	char err[256], d[600];

	w->cfg = cfg;
	g_name = cfg->name;
	vp_sched_fleet_set_log(fleet_log, NULL);
	if (vp_sched_redis_alloc(&w->r, cfg->redis_url, err, sizeof(err))) {
		vp_worker__log("error", "config",
			       json_pack("{s:s}", "msg", err));
		return 64;
	}
	vp_sched_redis_set_timeout(w->r, TAKE_BLOCK_MS + 4000);
	snprintf(d, sizeof(d), "%s/jobs", cfg->work_dir);
	if (vp_fs_mkdir_p(d))
		return 73;
	snprintf(d, sizeof(d), "%s/logs", cfg->work_dir);
	if (vp_fs_mkdir_p(d))
		return 73;
	/* one slot per admission unit, plus room for jobs in backoff */
	w->nslots = cfg->capacity * 2 + 4;
	w->slots = vp_calloc(w->nslots, sizeof(*w->slots));
	return w->slots ? 0 : 70;
}

int vp_sched_worker_run(const struct vp_sched_worker_cfg *cfg)
{
	struct vp_worker w;
	sigset_t set;
	int sfd, rc;
	unsigned i;

	memset(&w, 0, sizeof(w));
	rc = setup(&w, cfg);
	if (rc)
		goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		rc = 70;
		goto out;
	}
	w.sfd = sfd;
	vp_worker__log("info", "started",
		       json_pack("{s:i, s:I, s:s}", "capacity",
				 (int)cfg->capacity, "reclaim_idle_ms",
				 (json_int_t)cfg->reclaim_idle_ms, "vpbot",
				 cfg->vpbot));
	rc = loop(&w, sfd);
	close(sfd);
out:
	for (i = 0; w.slots && i < w.nslots; i++)
		vp_sched_fleet_job_clear(&w.slots[i].job);
	free(w.slots);
	w.r = vp_mem_deref(w.r);
	return rc;
}
