/* SPDX-License-Identifier: MIT */
/**
 * @file redis_fleet.h  The fleet's data in Redis (docs/fleet.md):
 *
 *   P:jobs            stream of jobs; consumer group "workers"
 *   P:results         stream of outcomes (capped ~100000)
 *   P:claim:M:I       SET NX EX: meeting M instance I was dispatched once
 *   P:run:M           lease: the worker whose bot is in meeting M (PX)
 *   P:stop:M          a scheduler asks the worker of meeting M to stop it
 *   P:worker:NAME     hash: name, capacity, load, running, updated_ms (PX)
 *   P:workers         zset NAME -> last heartbeat (ms), for `status`
 *
 * P is the prefix ("vpbot" by default). Every step that must not be half
 * done (claim + add, ack + result + requeue) is one Lua script, so a
 * connection lost in the middle leaves either all of it or none.
 */
#ifndef VP_SCHED_REDIS_FLEET_H
#define VP_SCHED_REDIS_FLEET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/sched/redis.h"

#define VP_FLEET_GROUP "workers"

/** One job entry of P:jobs. */
struct vp_sched_fleet_job {
	char id[48];	       /**< stream entry id */
	char meeting[128];     /**< meeting id (safe as a folder name) */
	char instance[64];     /**< the claim's instance (e.g. start time) */
	unsigned attempt;      /**< 1 for the first dispatch */
	int64_t not_after;     /**< UTC s: no (re)start after this */
	unsigned load;	       /**< admission units (streams), >= 1 */
	int64_t dispatched_us; /**< UTC µs of the scheduler's decision */
	unsigned deliveries;   /**< times delivered (XAUTOCLAIM counts) */
	char *job;	       /**< the job JSON (malloc'd) */
};

/** An outcome for P:results. */
struct vp_sched_fleet_result {
	const char *worker;
	const char *outcome; /**< done|retry|poison|failed|expired|drained */
	int exit_code;	     /**< -1: killed by a signal */
	int signal;	     /**< the signal, 0 if exited */
	const char *reason;
	const char *out; /**< the meeting folder */
	const char *log; /**< the bot's log file on the worker */
	int64_t started_us, ended_us, spawn_latency_us;
};

void vp_sched_fleet_job_clear(struct vp_sched_fleet_job *j);

/**
 * Fill j from a stream entry's field/value list (kv[0], kv[1], …).
 * @return 0, or EBADMSG (a field missing or malformed; unknown fields are
 *         ignored so that newer schedulers can add some) or ENOMEM
 */
int vp_sched_fleet_job_decode(struct vp_sched_fleet_job *j,
			      const char *const *kv, size_t n);

/** Create the consumer group (and stream) if missing. @return 0 or errno */
int vp_sched_fleet_ensure_group(struct vp_sched_redis *r, const char *pfx);

/**
 * Claim j->meeting/j->instance and add the job, atomically; a job added
 * clears the meeting's stop request (it was for an earlier bot).
 * @param claim_ttl_s  how long the claim lives (past the meeting's end)
 * @param again        take the claim over: this instance ended and is
 *                     started anew (a meeting cancelled, then restored)
 * @param added        true if this call added it; false if it was
 *                     claimed before (by us or another scheduler)
 * @return 0 or ECONNRESET/EPROTO/ENOMEM
 */
int vp_sched_fleet_dispatch(struct vp_sched_redis *r, const char *pfx,
			    const struct vp_sched_fleet_job *j,
			    const char *scheduler, int64_t claim_ttl_s,
			    bool again, bool *added);

/**
 * Take one job: new ones (XREADGROUP) when reclaim is false, else one that
 * has been idle for min_idle_ms in another consumer (XAUTOCLAIM).
 * @param got  false when there was none
 * @return 0 or errno
 */
int vp_sched_fleet_take(struct vp_sched_redis *r, const char *pfx,
			const char *me, bool reclaim, int64_t arg_ms,
			struct vp_sched_fleet_job *j, bool *got);

/**
 * Keep our pending entries fresh (idle 0) and their run leases alive.
 * @param lost  set to a bit per entry no longer ours (max 64 entries)
 * @param stop  set to a bit per entry whose meeting a scheduler asked to
 *              stop (cancelled: vp_sched_fleet_request_stop())
 */
int vp_sched_fleet_touch(struct vp_sched_redis *r, const char *pfx,
			 const char *me, const char *const *ids,
			 const char *const *meetings, size_t n,
			 int64_t lease_ms, uint64_t *lost, uint64_t *stop);

/** Ask whichever worker runs meeting's bot to stop it (P:stop:M, 1 day). */
int vp_sched_fleet_request_stop(struct vp_sched_redis *r, const char *pfx,
				const char *meeting);

/** Take (or renew) the run lease of a meeting. @param got false if held */
int vp_sched_fleet_lease(struct vp_sched_redis *r, const char *pfx,
			 const char *meeting, const char *me, int64_t lease_ms,
			 bool *got);

/**
 * Publish res and acknowledge j, atomically; with requeue_attempt > 0, add
 * j again with that attempt number in the same step. Nothing happens if j
 * is no longer pending to me (reclaimed by another worker): *done is then
 * false.
 */
int vp_sched_fleet_finish(struct vp_sched_redis *r, const char *pfx,
			  const struct vp_sched_fleet_job *j, const char *me,
			  const struct vp_sched_fleet_result *res,
			  unsigned requeue_attempt, bool *done);

/** Write this worker's heartbeat (expires after ttl_ms). */
int vp_sched_fleet_heartbeat(struct vp_sched_redis *r, const char *pfx,
			     const char *me, unsigned capacity, unsigned load,
			     const char *running_json, int64_t ttl_ms);

/** Remove this worker's heartbeat (clean exit). */
int vp_sched_fleet_leave(struct vp_sched_redis *r, const char *pfx,
			 const char *me);

/**
 * The fleet as JSON: {"workers": [...], "queued": [...], "pending": N}.
 * @return 0 or errno; *out is a new reference
 */
int vp_sched_fleet_status(struct vp_sched_redis *r, const char *pfx,
			  json_t **out);

/**
 * Results after *last_id ("0" to start): an array of objects, one per
 * entry, each with its "id"; *last_id advances (size 48).
 */
int vp_sched_fleet_results(struct vp_sched_redis *r, const char *pfx,
			   char *last_id, size_t count, json_t **out);

#endif
