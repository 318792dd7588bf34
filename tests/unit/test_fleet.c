/* SPDX-License-Identifier: MIT */
/** @file test_fleet.c  Redis addresses, job entries, a bot's environment,
 *  the worker's decision on a bot's exit (no server). */
#include "src/sched/redis.h"
#include "src/sched/redis_fleet.h"
#include "src/sched/worker_priv.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

VTEST(fleet_url_tcp_defaults_and_db)
{
	struct vp_sched_redis_addr a;
	char err[256];

	VT_EQ(0, vp_sched_redis_url_parse(&a, "redis://10.0.0.7", err,
					  sizeof(err)));
	VT_STR_EQ("10.0.0.7", a.host);
	VT_EQ(6379, a.port);
	VT_EQ(0, a.db);
	VT_EQ(0, vp_sched_redis_url_parse(&a, "redis://redis.fleet.svc:6380/3",
					  err, sizeof(err)));
	VT_STR_EQ("redis.fleet.svc", a.host);
	VT_EQ(6380, a.port);
	VT_EQ(3, a.db);
	VT_EQ(0, vp_sched_redis_url_parse(&a, "redis://[::1]:7000", err,
					  sizeof(err)));
	VT_STR_EQ("::1", a.host);
	VT_TRUE(!a.unix_);
}

VTEST(fleet_url_unix)
{
	struct vp_sched_redis_addr a;
	char err[256];

	VT_EQ(0, vp_sched_redis_url_parse(&a, "unix:/run/redis/r.sock", err,
					  sizeof(err)));
	VT_TRUE(a.unix_);
	VT_STR_EQ("/run/redis/r.sock", a.path);
	VT_EQ(0, vp_sched_redis_url_parse(&a, "unix:///tmp/x.sock", err,
					  sizeof(err)));
	VT_STR_EQ("/tmp/x.sock", a.path);
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "unix:rel.sock", err, sizeof(err)));
}

VTEST(fleet_url_refusals_say_why)
{
	struct vp_sched_redis_addr a;
	char err[256];

	VT_EQ(EINVAL, vp_sched_redis_url_parse(&a, "rediss://h:6379", err,
					       sizeof(err)));
	VT_TRUE(strstr(err, "TLS") != NULL);
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://:pw@h", err, sizeof(err)));
	VT_TRUE(strstr(err, "VPBOT_REDIS_PASSWORD") != NULL);
	VT_TRUE(strstr(err, "pw") == NULL || strstr(err, "pw@") == NULL);
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://h:0", err, sizeof(err)));
	VT_EQ(EINVAL, vp_sched_redis_url_parse(&a, "redis://h:99999", err,
					       sizeof(err)));
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://h/16", err, sizeof(err)));
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://h/x", err, sizeof(err)));
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://h?db=1", err, sizeof(err)));
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "http://h", err, sizeof(err)));
	VT_EQ(EINVAL,
	      vp_sched_redis_url_parse(&a, "redis://", err, sizeof(err)));
}

VTEST(fleet_job_decode_fields)
{
	const char *kv[] = {"meeting", "m-1", "instance",      "20261207T1000Z",
			    "attempt", "2",   "not_after",     "1796600000",
			    "load",    "3",   "dispatched_us", "17",
			    "job",     "{}",  "future_field",  "ignored"};
	struct vp_sched_fleet_job j;

	memset(&j, 0, sizeof(j));
	VT_EQ(0, vp_sched_fleet_job_decode(&j, kv, 16));
	VT_STR_EQ("m-1", j.meeting);
	VT_STR_EQ("20261207T1000Z", j.instance);
	VT_EQ(2, j.attempt);
	VT_EQ(1796600000, j.not_after);
	VT_EQ(3, j.load);
	VT_EQ(17, j.dispatched_us);
	VT_STR_EQ("{}", j.job);
	vp_sched_fleet_job_clear(&j);
}

VTEST(fleet_job_decode_rejects_bad_entries)
{
	const char *no_job[] = {"meeting", "m", "attempt", "1"};
	const char *bad_id[] = {"meeting", "../etc", "attempt",
				"1",	   "job",    "{}"};
	const char *bad_num[] = {"meeting", "m", "attempt", "1x", "job", "{}"};
	const char *zero[] = {"meeting", "m", "attempt", "0", "job", "{}"};
	const char *odd[] = {"meeting", "m", "attempt"};
	const char *noload[] = {"meeting", "m", "attempt", "1", "job", "{}"};
	struct vp_sched_fleet_job j;

	memset(&j, 0, sizeof(j));
	VT_EQ(EBADMSG, vp_sched_fleet_job_decode(&j, no_job, 4));
	VT_EQ(EBADMSG, vp_sched_fleet_job_decode(&j, bad_id, 6));
	VT_EQ(EBADMSG, vp_sched_fleet_job_decode(&j, bad_num, 6));
	VT_EQ(EBADMSG, vp_sched_fleet_job_decode(&j, zero, 6));
	VT_EQ(EBADMSG, vp_sched_fleet_job_decode(&j, odd, 3));
	VT_EQ(0, vp_sched_fleet_job_decode(&j, noload, 6));
	VT_EQ(1, j.load); /* an old scheduler's job costs one unit */
	vp_sched_fleet_job_clear(&j);
}

/* The worker's Redis password never reaches a bot; the rest does. */
VTEST(fleet_bot_env_has_no_redis_password)
{
	char *env[] = {"PATH=/usr/bin", "VPBOT_REDIS_PASSWORD=s3cret",
		       "VPBOT_REDIS_PASSWORD_FILE=/keep", "HOME=/root", NULL};
	char **v = vp_worker__bot_env(env);

	VT_TRUE(v != NULL);
	VT_STR_EQ("PATH=/usr/bin", v[0]);
	VT_STR_EQ("VPBOT_REDIS_PASSWORD_FILE=/keep", v[1]);
	VT_STR_EQ("HOME=/root", v[2]);
	VT_TRUE(v[3] == NULL);
	free(v);
}

/* 73 (the meeting's folder is locked) ends a first delivery as a
 * duplicate; a reclaimed job retries it within the meeting's window: the
 * lock may be the lost host's, which NFS keeps for its lease (90 s),
 * longer than --reclaim-idle. */
VTEST(fleet_locked_folder_after_a_reclaim_is_retried)
{
	struct vp_sched_worker_cfg cfg = {.retry_ms = 1000};
	struct vp_worker w = {.cfg = &cfg};
	struct vp_worker_slot s;

	memset(&s, 0, sizeof(s));
	s.status = 73 << 8; /* exited 73 */
	s.job.attempt = 1;
	s.job.deliveries = 1;
	s.job.not_after = time(NULL) + 600;
	vp_worker__decide(&w, &s);
	VT_STR_EQ("duplicate", s.outcome);
	VT_EQ(0, s.requeue);
	s.job.deliveries = 2;
	vp_worker__decide(&w, &s);
	VT_STR_EQ("retry", s.outcome);
	VT_EQ(2, s.requeue);
	/* requeued: a new entry (delivered once) of attempt 2, the lease
	 * still held: retried again */
	s.job.deliveries = 1;
	s.job.attempt = 2;
	vp_worker__decide(&w, &s);
	VT_STR_EQ("retry", s.outcome);
	VT_EQ(3, s.requeue);
	s.job.not_after = time(NULL) - 1; /* the meeting is over */
	vp_worker__decide(&w, &s);
	VT_STR_EQ("failed", s.outcome);
}

/* A stop request for a meeting whose job waits (on a run lease, or in a
 * retry's backoff) ends the job as cancelled with no bot started: only a
 * running bot was stopped, and a waiting one started later for a meeting
 * already withdrawn. A job no longer ours is marked lost. */
VTEST(fleet_stop_request_cancels_a_waiting_job)
{
	struct vp_worker_slot held, backoff, gone,
		*map[3] = {&held, &backoff, &gone};

	memset(&held, 0, sizeof(held));
	memset(&backoff, 0, sizeof(backoff));
	memset(&gone, 0, sizeof(gone));
	held.state = VP_SLOT_HELD;
	backoff.state = VP_SLOT_BACKOFF;
	backoff.outcome = "retry";
	backoff.requeue = 2;
	gone.state = VP_SLOT_HELD;
	vp_worker__touched(map, 3, 1u << 2, 3u);
	VT_EQ(VP_SLOT_EXITED, held.state);
	VT_STR_EQ("cancelled", held.outcome);
	VT_EQ(VP_STOP_CANCEL, held.stop);
	VT_EQ(VP_SLOT_EXITED, backoff.state);
	VT_STR_EQ("cancelled", backoff.outcome);
	VT_EQ(0, backoff.requeue); /* not retried */
	VT_EQ(VP_SLOT_HELD, gone.state);
	VT_EQ(VP_STOP_LOST, gone.stop);
}
