/* SPDX-License-Identifier: MIT */
/**
 * @file worker.h  `vpbot-sched worker`: one per host of the fleet
 * (docs/fleet.md). Takes jobs from the Redis stream only while its
 * admitted load leaves room, spawns `vpbot run JOB.json` for each, keeps
 * its claims fresh, acknowledges a job only after its bot exited and
 * publishes the outcome.
 *
 * Admission unit: streams. A job's "load" field (set by the scheduler:
 * the number of invitees, at least 1) is what it may cost; a job is
 * started only while the sum of running loads plus its own stays within
 * --capacity. A job bigger than the whole capacity runs alone.
 */
#ifndef VP_SCHED_WORKER_H
#define VP_SCHED_WORKER_H

#include <stdbool.h>
#include <stdint.h>

struct vp_sched_worker_cfg {
	const char *redis_url;
	const char *name;	 /**< consumer name, unique per host */
	const char *prefix;	 /**< key prefix ("vpbot") */
	unsigned capacity;	 /**< admission units (streams) */
	const char *vpbot;	 /**< the vpbot binary */
	const char *self;	 /**< this binary (for exec-bot) */
	const char *work_dir;	 /**< job files and bot logs */
	int64_t reclaim_idle_ms; /**< reclaim jobs idle this long (30 s) */
	int64_t heartbeat_ms;	 /**< heartbeat and claim refresh (2 s) */
	int64_t grace_s;	 /**< SIGTERM: let bots run this long */
	int64_t retry_ms;	 /**< first retry backoff after 75 (5 s) */
	unsigned max_deliveries; /**< a job reclaimed more often is dropped */
};

/** Defaults for everything but redis_url, name and the paths. */
void vp_sched_worker_defaults(struct vp_sched_worker_cfg *cfg);

/**
 * Run until SIGTERM/SIGINT and drained.
 * @return a process exit code (0, 64 bad config, 70)
 */
int vp_sched_worker_run(const struct vp_sched_worker_cfg *cfg);

/**
 * `vpbot-sched exec-bot PARENT-PID VPBOT ARGS…`: the spawned child's first
 * step. posix_spawn cannot set PR_SET_PDEATHSIG, so this sets it (SIGKILL:
 * a bot outliving its worker would be duplicated by the reclaim), checks
 * the worker is still PARENT-PID, then execs vpbot. Never returns on
 * success.
 * @return an exit code on failure (70, or 75 if the worker already died)
 */
int vp_sched_worker_exec_bot(int argc, char **argv);

/**
 * `vpbot-sched worker …` and `vpbot-sched submit …` argument parsing.
 * @return a process exit code
 */
int vp_sched_worker_main(int argc, char **argv, const char *self);
int vp_sched_submit_main(int argc, char **argv);
/** `vpbot-sched fleet --redis URL [--json]`: the fleet from Redis. */
int vp_sched_fleet_main(int argc, char **argv);

/**
 * Print the fleet (workers, load, running and queued meetings) from the
 * Redis at url: a table, or one JSON object ({"fleet": …} with wrap).
 * @return 0, 64 (bad url) or 75 (Redis did not answer)
 */
int vp_sched_fleet_print(const char *url, const char *pfx, bool as_json,
			 bool wrap);

/**
 * The fleet's subcommands of vpbot-sched: worker, exec-bot, submit, fleet.
 * @return a process exit code, or -1 if argv[1] is none of them
 */
int vp_sched_fleet_cli(int argc, char **argv);

#endif
