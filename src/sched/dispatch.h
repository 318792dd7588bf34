/* SPDX-License-Identifier: MIT */
/**
 * @file dispatch.h  How a job reaches a bot. The lifecycle loop (loop.c)
 * decides what runs and when; a dispatcher only starts, signals and
 * reports the end of bots. One file per dispatcher:
 *   dispatch_local.c  posix_spawn `vpbot run JOB.json` on this machine
 *   redis_dispatch.c  the fleet: claim + XADD, a results stream
 * A handle names one started bot (the local one: its pid, which is also
 * its process group).
 */
#ifndef VP_SCHED_DISPATCH_H
#define VP_SCHED_DISPATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/** A bot ended: code is its exit code (or -1), sig the signal that
 *  killed it (or 0). */
typedef void(vp_sched_exit_h)(int64_t handle, int code, int sig, void *arg);

struct vp_sched_dispatch;

struct vp_sched_dispatch_ops {
	const char *name;
	/** Start a bot for meeting id with this job document (the loop
	 *  fills invite, meeting, settings, limits; the dispatcher adds
	 *  "events"). @return 0 and *handle, ECONNRESET when the
	 *  dispatcher's backend cannot be reached now (the fleet's Redis:
	 *  not an attempt, the loop tries again), or another errno */
	int (*start)(struct vp_sched_dispatch *d, const char *id, json_t *job,
		     int64_t *handle);
	/** Report every bot that ended since the last call. */
	void (*reap)(struct vp_sched_dispatch *d, vp_sched_exit_h *h,
		     void *arg);
	/** Ask a bot to leave (SIGTERM: it leaves politely, exits 0). */
	int (*stop)(struct vp_sched_dispatch *d, int64_t handle);
	/** Optional (may be NULL): ask meeting id's bot to leave, wherever
	 *  it runs, with no handle of ours (a bot started before a
	 *  restart); without it the loop signals the pid it recorded. */
	int (*stop_meeting)(struct vp_sched_dispatch *d, const char *id);
	/** Optional (may be NULL): the last status event the bot of
	 *  meeting id reported ("left", "error: …"), for the log. */
	void (*last_event)(struct vp_sched_dispatch *d, const char *id,
			   char *buf, size_t sz);
	void (*destroy)(struct vp_sched_dispatch *d);
};

struct vp_sched_dispatch {
	const struct vp_sched_dispatch_ops *ops;
	/** the scheduled start and end (UTC s) of the meeting start() is
	 *  called for, set by the loop: the fleet's claim instance is
	 *  derived from them, so every scheduler and every retry names the
	 *  same instance, and a moved meeting a new one */
	int64_t start_utc, end_utc;
	/** set by the loop with them: the meeting's last bot ended with 0
	 *  and it is due again (cancelled while it ran, then restored), so
	 *  the fleet dispatches it anew though its claim is still held, also
	 *  after a restart of the scheduler, which found the old outcome */
	bool again;
};

/**
 * The local dispatcher: jobs, event and log files in JOBDIR (mode 0700;
 * job files 0600, written tmp + fsync + rename), bots started with
 * posix_spawn in their own process group, stdout/stderr to JOBDIR/ID.log,
 * events to JOBDIR/ID.events.jsonl.
 * @return 0, or an errno of mkdir
 */
int vp_sched_dispatch_local(struct vp_sched_dispatch **dp, const char *vpbot,
			    const char *jobdir);

#endif
