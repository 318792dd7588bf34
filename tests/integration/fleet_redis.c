/* SPDX-License-Identifier: MIT */
/**
 * @file fleet_redis.c  The fleet's Redis steps against Debian's
 * redis-server (started here on a Unix socket in the test's folder):
 * claim once, take, reclaim, a reclaimed job's old owner can neither
 * refresh nor acknowledge it, leases, requeue, status hides job bodies.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "src/core/mem.h"
#include "src/sched/redis_dispatch.h"
#include "src/sched/redis_fleet.h"
#include "tests/harness/vtest.h"

static pid_t srv;
static char url[300];

static void stop_server(void)
{
	if (srv > 0) {
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
		srv = 0;
	}
}

/* A fresh server per test: no state leaks between tests. */
static struct vp_sched_redis *server(void)
{
	struct vp_sched_redis *r = NULL;
	char sock[256], err[256];
	int i;

	snprintf(sock, sizeof(sock), "%s/r.sock", vtest_tmpdir());
	snprintf(url, sizeof(url), "unix:%s", sock);
	srv = fork();
	if (srv == 0) {
		/* gone with the test that failed an assertion, and not
		 * holding its output open (a failure must not look like a
		 * hang) */
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", sock, "--save", "", "--appendonly", "no",
		       "--dir", vtest_tmpdir(), "--logfile", "/dev/null",
		       (char *)NULL);
		_exit(127);
	}
	VT_TRUE(srv > 0);
	VT_EQ(0, vp_sched_redis_alloc(&r, url, err, sizeof(err)));
	for (i = 0; i < 100; i++) {
		const char *ping[] = {"PING"};

		if (!access(sock, F_OK) && !vp_sched_redis_do(r, 1, ping))
			return r;
		usleep(50000);
	}
	stop_server();
	vtest_fail(__FILE__, __LINE__, "redis-server did not start");
}

static void job(struct vp_sched_fleet_job *j, const char *m, const char *inst)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->meeting, sizeof(j->meeting), "%s", m);
	snprintf(j->instance, sizeof(j->instance), "%s", inst);
	j->attempt = 1;
	j->load = 1;
	j->not_after = time(NULL) + 600;
	j->job = strdup("{\"settings_url\":\"https://x/?token=SECRET\"}");
}

/* Every socket of this process is close-on-exec: a worker's Redis
 * connection is not inherited by the bots it spawns. */
static void sockets_cloexec(void)
{
	char path[64], link[64];
	unsigned n = 0;

	for (int fd = 3; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(path, link, sizeof(link) - 1);

		if (k <= 0)
			continue;
		link[k] = '\0';
		if (strncmp(link, "socket:", 7))
			continue;
		n++;
		VT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	VT_TRUE(n >= 1); /* the connection was looked at */
}

VTEST(fleet_redis_claim_dispatches_once)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_fleet_job j, t;
	bool added = false, got = false;

	job(&j, "m1", "20261207T100000Z");
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t"));
	sockets_cloexec();
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t")); /* BUSYGROUP is fine */
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s1", 60, false, &added));
	VT_TRUE(added);
	/* a second scheduler making the same decision */
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s2", 60, false, &added));
	VT_TRUE(!added);
	memset(&t, 0, sizeof(t));
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w1", false, 10, &t, &got));
	VT_TRUE(got);
	VT_STR_EQ("m1", t.meeting);
	vp_sched_fleet_job_clear(&t);
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w2", false, 10, &t, &got));
	VT_TRUE(!got);
	vp_sched_fleet_job_clear(&j);
	vp_mem_deref(r);
	stop_server();
}

VTEST(fleet_redis_reclaimed_job_is_not_the_old_owners)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_fleet_job j, a, b;
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = "done",
					    .reason = "",
					    .out = "",
					    .log = ""};
	const char *ids[1], *ms[1] = {"m2"};
	bool added, got, done;
	uint64_t lost, stop;
	json_t *out = NULL;
	char last[48] = "0";

	job(&j, "m2", "i");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t"));
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w1", false, 10, &a, &got));
	VT_TRUE(got);
	ids[0] = a.id;
	VT_EQ(0, vp_sched_fleet_touch(r, "t", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(0, lost);
	VT_EQ(0, stop);
	VT_EQ(0, vp_sched_fleet_request_stop(r, "t", "m2"));
	VT_EQ(0, vp_sched_fleet_touch(r, "t", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(0, lost);
	VT_EQ(1, stop); /* a scheduler withdrew m2 */
	/* idle 200 ms > min-idle 100: w2 reclaims it */
	usleep(200000);
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w2", true, 100, &b, &got));
	VT_TRUE(got);
	VT_STR_EQ(a.id, b.id);
	VT_EQ(2, b.deliveries);
	VT_EQ(0, vp_sched_fleet_touch(r, "t", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(1, lost);
	VT_EQ(0, vp_sched_fleet_finish(r, "t", &a, "w1", &res, 0, &done));
	VT_TRUE(!done); /* nothing published by the old owner */
	res.worker = "w2";
	VT_EQ(0, vp_sched_fleet_finish(r, "t", &b, "w2", &res, 0, &done));
	VT_TRUE(done);
	VT_EQ(0, vp_sched_fleet_finish(r, "t", &b, "w2", &res, 0, &done));
	VT_TRUE(!done); /* a retried finish does not publish twice */
	VT_EQ(0, vp_sched_fleet_results(r, "t", last, 10, &out));
	VT_EQ(1, json_array_size(out));
	VT_STR_EQ("w2", json_string_value(json_object_get(
				json_array_get(out, 0), "worker")));
	json_decref(out);
	vp_sched_fleet_job_clear(&j);
	vp_sched_fleet_job_clear(&a);
	vp_sched_fleet_job_clear(&b);
	vp_mem_deref(r);
	stop_server();
}

VTEST(fleet_redis_lease_and_requeue)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_fleet_job j, a;
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = "retry",
					    .reason = "",
					    .out = "",
					    .log = ""};
	bool got, added, done;

	VT_EQ(0, vp_sched_fleet_lease(r, "t", "m3", "w1", 300, &got));
	VT_TRUE(got);
	VT_EQ(0, vp_sched_fleet_lease(r, "t", "m3", "w2", 300, &got));
	VT_TRUE(!got);
	VT_EQ(0, vp_sched_fleet_lease(r, "t", "m3", "w1", 300, &got));
	VT_TRUE(got);
	usleep(400000); /* w1 died: its lease runs out */
	VT_EQ(0, vp_sched_fleet_lease(r, "t", "m3", "w2", 300, &got));
	VT_TRUE(got);

	job(&j, "m4", "i");
	memset(&a, 0, sizeof(a));
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t"));
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w1", false, 10, &a, &got));
	VT_EQ(0, vp_sched_fleet_finish(r, "t", &a, "w1", &res, 2, &done));
	VT_TRUE(done);
	vp_sched_fleet_job_clear(&a);
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w2", false, 10, &a, &got));
	VT_TRUE(got);
	VT_EQ(2, a.attempt);
	VT_STR_EQ(j.job, a.job);
	vp_sched_fleet_job_clear(&a);
	vp_sched_fleet_job_clear(&j);
	vp_mem_deref(r);
	stop_server();
}

VTEST(fleet_redis_status_shows_workers_and_queue_not_secrets)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_fleet_job j;
	json_t *st = NULL;
	bool added;
	char *s;

	job(&j, "m5", "i");
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t"));
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_EQ(0, vp_sched_fleet_heartbeat(r, "t", "w1", 4, 3,
					  "[{\"meeting\":\"m0\"}]", 5000));
	VT_EQ(0, vp_sched_fleet_status(r, "t", &st));
	s = json_dumps(st, JSON_COMPACT);
	VT_TRUE(s && !strstr(s, "SECRET"));
	free(s);
	VT_EQ(1, json_array_size(json_object_get(st, "workers")));
	VT_EQ(3, json_integer_value(json_object_get(
			 json_array_get(json_object_get(st, "workers"), 0),
			 "load")));
	VT_EQ(1, json_array_size(json_object_get(st, "queued")));
	json_decref(st);
	VT_EQ(0, vp_sched_fleet_leave(r, "t", "w1"));
	VT_EQ(0, vp_sched_fleet_status(r, "t", &st));
	VT_EQ(0, json_array_size(json_object_get(st, "workers")));
	json_decref(st);
	vp_sched_fleet_job_clear(&j);
	vp_mem_deref(r);
	stop_server();
}

VTEST(fleet_redis_down_is_econnreset_then_recovers)
{
	struct vp_sched_redis *r = server();
	const char *ping[] = {"PING"};
	int i, e = 0;

	stop_server();
	VT_EQ(ECONNRESET, vp_sched_redis_do(r, 1, ping));
	VT_TRUE(!vp_sched_redis_up(r));
	vp_mem_deref(r);
	r = server(); /* same socket path: a restarted Redis */
	for (i = 0; i < 100 && (e = vp_sched_redis_do(r, 1, ping)); i++)
		usleep(50000);
	VT_EQ(0, e);
	vp_mem_deref(r);
	stop_server();
}

static int64_t got_handle = -1;
static int got_code = -100;

static void on_exit_cb(int64_t handle, int code, int sig, void *arg)
{
	(void)sig;
	(void)arg;
	got_handle = handle;
	got_code = code;
}

/* The scheduler's dispatcher: a result published while no scheduler ran
 * is reported when the meeting is started again (its claim is held). */
VTEST(fleet_redis_dispatcher_finds_results_after_a_restart)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_dispatch *d = NULL;
	struct vp_sched_fleet_job t;
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = "done",
					    .reason = "",
					    .out = "",
					    .log = ""};
	json_t *job = json_pack("{s:s, s:i, s:{s:[s, s]}}", "invite",
				"sim+ws://127.0.0.1:1/m", "max_duration_s",
				3600 + 120, "meeting", "invitees", "a@x.test",
				"b@x.test");
	int64_t h1 = 0, h2 = 0;
	bool got, done;

	memset(&t, 0, sizeof(t));
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	VT_EQ(0, d->ops->start(d, "mx", job, &h1));
	d->ops->destroy(d); /* the scheduler stops */
	VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w1", false, 10, &t, &got));
	VT_TRUE(got);
	VT_EQ(2, t.load); /* two invitees: two streams */
	VT_EQ(0, vp_sched_fleet_finish(r, "vpbot", &t, "w1", &res, 0, &done));
	VT_TRUE(done);
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1")); /* restarted */
	VT_EQ(0, d->ops->start(d, "mx", job, &h2)); /* claim held: no XADD */
	got_handle = -1;
	d->ops->reap(d, on_exit_cb, NULL);
	VT_EQ(h2, got_handle);
	VT_EQ(0, got_code);
	VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w2", false, 10, &t, &got));
	VT_TRUE(!got); /* dispatched once */
	d->ops->destroy(d);
	vp_sched_fleet_job_clear(&t);
	json_decref(job);
	vp_mem_deref(r);
	stop_server();
}

/* A job added clears the meeting's stop request (it was for the bot
 * before); again = true takes over a claim whose instance ended. */
VTEST(fleet_redis_dispatch_clears_stop_and_takes_over)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_fleet_job j, a, b;
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = "cancelled",
					    .reason = "",
					    .out = "",
					    .log = ""};
	const char *ids[1], *ms[1] = {"m3"};
	bool added, got, done;
	uint64_t lost, stop;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "t"));
	job(&j, "m3", "100-200");
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_TRUE(added);
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w1", false, 10, &a, &got));
	VT_TRUE(got);
	VT_EQ(0, vp_sched_fleet_request_stop(r, "t", "m3")); /* moved */
	ids[0] = a.id;
	VT_EQ(0, vp_sched_fleet_touch(r, "t", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(1, stop);
	VT_EQ(0, vp_sched_fleet_finish(r, "t", &a, "w1", &res, 0, &done));
	VT_TRUE(done);
	/* its new time: a new instance, and its bot is not stopped */
	vp_sched_fleet_job_clear(&j);
	job(&j, "m3", "300-400");
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_TRUE(added);
	VT_EQ(0, vp_sched_fleet_take(r, "t", "w1", false, 10, &b, &got));
	VT_TRUE(got);
	VT_STR_EQ("300-400", b.instance);
	ids[0] = b.id;
	VT_EQ(0, vp_sched_fleet_touch(r, "t", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(0, stop);
	VT_EQ(0, lost);
	/* the claim holds against the same decision, not against again */
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, false, &added));
	VT_TRUE(!added);
	VT_EQ(0, vp_sched_fleet_dispatch(r, "t", &j, "s", 60, true, &added));
	VT_TRUE(added);
	vp_sched_fleet_job_clear(&j);
	vp_sched_fleet_job_clear(&a);
	vp_sched_fleet_job_clear(&b);
	vp_mem_deref(r);
	stop_server();
}

static void worker_ends(struct vp_sched_redis *r, const char *outcome, int code,
			struct vp_sched_fleet_job *t)
{
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = outcome,
					    .exit_code = code,
					    .reason = "",
					    .out = "",
					    .log = ""};
	bool got = false, done = false;

	VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w1", false, 10, t, &got));
	VT_TRUE(got);
	VT_EQ(0, vp_sched_fleet_finish(r, "vpbot", t, "w1", &res, 0, &done));
	VT_TRUE(done);
}

/* A final outcome ends the meeting for the scheduler with a code its loop
 * does not retry (a retry would find the instance claimed and wait for a
 * result that never comes); the instance names start and end; the same
 * instance started again after its end (the loop says so: again) is
 * dispatched again; a bot with no handle of ours is stopped by meeting
 * id. */
VTEST(fleet_redis_dispatcher_final_outcomes_and_restarts)
{
	static const struct {
		const char *outcome;
		int exit_code, want;
	} cases[] = {{"failed", 70, 69},       {"failed", 65, 65},
		     {"expired", 0, 69},       {"done", 0, 0},
		     {"not_recorded", 77, 77}, {"duplicate", 73, 73},
		     {"cancelled", 0, 0}};
	struct vp_sched_redis *r = server();
	struct vp_sched_dispatch *d = NULL;
	struct vp_sched_fleet_job t;
	json_t *job =
		json_pack("{s:s, s:i}", "invite", "sim+ws://127.0.0.1:1/m",
			  "max_duration_s", 3600 + 120);
	const char *ids[1], *ms[1] = {"my"};
	uint64_t lost, stop;
	bool got;
	int64_t h = 0;

	memset(&t, 0, sizeof(t));
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	d->start_utc = time(NULL) + 60;
	d->end_utc = d->start_utc + 3600;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d->again = i > 0; /* the last attempt ended */
		VT_EQ(0, d->ops->start(d, "my", job, &h));
		worker_ends(r, cases[i].outcome, cases[i].exit_code, &t);
		VT_TRUE(strchr(t.instance, '-') != NULL);
		VT_EQ(d->end_utc,
		      strtoll(strchr(t.instance, '-') + 1, NULL, 10));
		VT_EQ(d->start_utc, strtoll(t.instance, NULL, 10));
		vp_sched_fleet_job_clear(&t);
		got_handle = -1;
		got_code = -100;
		d->ops->reap(d, on_exit_cb, NULL);
		VT_EQ(h, got_handle);
		VT_EQ(cases[i].want, got_code);
	}
	/* a bot of ours from before a restart: stopped by meeting id */
	VT_EQ(0, d->ops->start(d, "my", job, &h));
	VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w1", false, 10, &t, &got));
	VT_TRUE(got);
	d->ops->destroy(d);
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	VT_EQ(0, d->ops->stop_meeting(d, "my"));
	ids[0] = t.id;
	VT_EQ(0, vp_sched_fleet_touch(r, "vpbot", "w1", ids, ms, 1, 1000, &lost,
				      &stop));
	VT_EQ(1, stop);
	d->ops->destroy(d);
	vp_sched_fleet_job_clear(&t);
	json_decref(job);
	vp_mem_deref(r);
	stop_server();
}

/* Outcomes read at start-up are remembered only while the instance's
 * claim can hold (a day past its end): a scheduler that runs for months
 * does not grow by every meeting. */
VTEST(fleet_redis_dispatcher_forgets_instances_past_their_claims)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_dispatch *d = NULL;
	struct vp_sched_fleet_job j, t;
	struct vp_sched_fleet_result res = {.worker = "w1",
					    .outcome = "done",
					    .reason = "",
					    .out = "",
					    .log = ""};
	int64_t now = time(NULL);
	char fresh[64];
	bool added, got, done;

	memset(&t, 0, sizeof(t));
	snprintf(fresh, sizeof(fresh), "%lld-%lld", (long long)now,
		 (long long)now + 3600);
	const char *const inst[] = {"100-200", "end-300", fresh};
	VT_EQ(0, vp_sched_fleet_ensure_group(r, "vpbot"));
	for (size_t i = 0; i < 3; i++) {
		job(&j, i < 2 ? "old" : "new", inst[i]);
		VT_EQ(0, vp_sched_fleet_dispatch(r, "vpbot", &j, "s", 60, false,
						 &added));
		VT_TRUE(added);
		VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w1", false, 10, &t,
					     &got));
		VT_TRUE(got);
		VT_EQ(0, vp_sched_fleet_finish(r, "vpbot", &t, "w1", &res, 0,
					       &done));
		VT_TRUE(done);
		vp_sched_fleet_job_clear(&j);
		vp_sched_fleet_job_clear(&t);
	}
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	VT_EQ(1, vp_sched_dispatch_redis_remembered(d)); /* "new" only */
	d->ops->destroy(d);
	vp_mem_deref(r);
	stop_server();
}

/* A meeting cancelled while its bot ran (outcome "cancelled"), then
 * restored after the scheduler restarted: the new dispatcher read the old
 * outcome at start-up and reported it at once (code 0: "done", no bot).
 * The loop says an earlier attempt ended (again): the job is added anew
 * and the old outcome is not reported. */
VTEST(fleet_redis_restored_after_a_restart_is_dispatched_anew)
{
	struct vp_sched_redis *r = server();
	struct vp_sched_dispatch *d = NULL;
	struct vp_sched_fleet_job t;
	json_t *job =
		json_pack("{s:s, s:i}", "invite", "sim+ws://127.0.0.1:1/m",
			  "max_duration_s", 3600 + 120);
	int64_t h = 0, start = time(NULL) + 60;
	bool got;

	memset(&t, 0, sizeof(t));
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	d->start_utc = start;
	d->end_utc = start + 3600;
	VT_EQ(0, d->ops->start(d, "mr", job, &h));
	worker_ends(r, "cancelled", 0, &t);
	vp_sched_fleet_job_clear(&t);
	got_handle = -1;
	d->ops->reap(d, on_exit_cb, NULL);
	VT_EQ(h, got_handle);
	d->ops->destroy(d); /* the scheduler restarts */
	VT_EQ(0, vp_sched_dispatch_redis(&d, url, 120, "s1"));
	d->start_utc = start;
	d->end_utc = start + 3600;
	d->again = true; /* restored: its last attempt ended */
	VT_EQ(0, d->ops->start(d, "mr", job, &h));
	got_handle = -1;
	d->ops->reap(d, on_exit_cb, NULL);
	VT_EQ(-1, got_handle); /* nothing reported: a bot is to run */
	VT_EQ(0, vp_sched_fleet_take(r, "vpbot", "w2", false, 10, &t, &got));
	VT_TRUE(got); /* dispatched anew */
	VT_STR_EQ("mr", t.meeting);
	d->ops->destroy(d);
	vp_sched_fleet_job_clear(&t);
	json_decref(job);
	vp_mem_deref(r);
	stop_server();
}
