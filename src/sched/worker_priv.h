/* SPDX-License-Identifier: MIT */
/** @file worker_priv.h  Shared between worker.c and worker_child.c. */
#ifndef VP_SCHED_WORKER_PRIV_H
#define VP_SCHED_WORKER_PRIV_H

#include <jansson.h>
#include <sys/types.h>

#include "src/sched/redis_fleet.h"
#include "src/sched/worker.h"

enum vp_worker_slot_state {
	VP_SLOT_FREE = 0,
	VP_SLOT_HELD,	 /**< taken; waiting for the meeting's run lease */
	VP_SLOT_RUNNING, /**< its bot runs */
	VP_SLOT_EXITED,	 /**< bot gone; outcome not yet published */
	VP_SLOT_BACKOFF, /**< 75: requeued when retry_at comes */
};

/** Why we stopped a bot ourselves (0: we did not). */
enum vp_worker_stop {
	VP_STOP_NONE = 0,
	VP_STOP_DRAIN,	  /**< SIGTERM to the worker, grace over */
	VP_STOP_LOST,	  /**< the job was reclaimed by another worker */
	VP_STOP_FENCED,	  /**< Redis unreachable too long */
	VP_STOP_DEADLINE, /**< past the meeting's end + grace */
	VP_STOP_CANCEL,	  /**< a scheduler withdrew the meeting */
};

struct vp_worker_slot {
	enum vp_worker_slot_state state;
	struct vp_sched_fleet_job job;
	pid_t pid;
	int status; /**< waitpid status */
	enum vp_worker_stop stop;
	int64_t stop_ms; /**< when we sent SIGTERM (SIGKILL 10 s on) */
	int64_t started_us, ended_us, latency_us;
	int64_t retry_at_ms;
	char job_path[512];
	char log_path[512];
	char out[512];
	const char *outcome; /**< decided at exit */
	char reason[160];
	unsigned requeue; /**< attempt to requeue with, 0: none */
	bool asked_stop;  /**< a stop request looked for before the start */
};

struct vp_worker {
	const struct vp_sched_worker_cfg *cfg;
	struct vp_sched_redis *r;
	struct vp_worker_slot *slots;
	unsigned nslots;
	unsigned load;
	bool draining;
	int64_t drain_deadline_ms;
	bool hold_full; /**< a job did not fit: wait for a change */
	int64_t next_beat_ms, next_reclaim_ms;
	int sfd; /**< signalfd: SIGTERM, SIGINT, SIGCHLD */
};

/* worker_child.c */
int vp_worker__spawn(struct vp_worker *w, struct vp_worker_slot *s);
/** A bot's environment: ENV without VPBOT_REDIS_PASSWORD (a bot reads
 *  untrusted network input and needs no Redis). Points into ENV's
 *  strings; free() the array. NULL: out of memory */
char **vp_worker__bot_env(char *const *env);
void vp_worker__reap(struct vp_worker *w);
void vp_worker__decide(struct vp_worker *w, struct vp_worker_slot *s);
void vp_worker__stop(struct vp_worker_slot *s, enum vp_worker_stop why);
int64_t vp_worker__utc_us(void);

/* worker.c: apply one touch batch's answer (bits per map entry): stop
 * requests (a bot stopped, or none started) and jobs no longer ours */
void vp_worker__touched(struct vp_worker_slot **map, size_t n, uint64_t lost,
			uint64_t stop);
/* worker.c: one JSON log line: {"ts", "level", "worker", "event", …f} */
void vp_worker__log(const char *level, const char *event, json_t *f);

#endif
