/* SPDX-License-Identifier: MIT */
/**
 * @file state.h  The scheduler's state in SQLite (WAL, synchronous=FULL):
 * one row per meeting (times, verdict, lifecycle state, attempts, last
 * exit code, the bot's pid and the scheduler that owns it), one row per
 * attempt, one heartbeat row per running scheduler. Every transition is
 * one statement or one IMMEDIATE transaction, so a kill -9 at any point
 * leaves a state a restart can continue from, and two schedulers on one
 * file claim each meeting once (the claim is a conditional UPDATE).
 *
 * Meeting states:
 *   upcoming      RECORD, waiting for start - lead
 *   waiting       due, but max_concurrent bots are running (reported)
 *   running       a bot was started (pid) or is watched through its lock
 *   retry         the bot failed transiently; again at next_try
 *   done          the bot exited 0
 *   not_recorded  the bot exited 77 (policy/consent kept the gate shut)
 *   failed        64/65/69, or out of attempts / the meeting ended
 *   not_joined    DENY (meeting.json says why)
 *   metadata      METADATA_ONLY (meeting.json "imported_as_metadata")
 *   cancelled     withdrawn: cancelled or gone from every calendar
 */
#ifndef VP_SCHED_STATE_H
#define VP_SCHED_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct vp_sched_state;

/** A meeting row (strings owned by the row). */
struct vp_sched_row {
	char id[112];
	char state[16];
	char verdict[16];
	char stop[16]; /**< "", "cancelled" or "moved": why we SIGTERMed */
	int64_t start, end, next_try, attempts, pid, exit_code;
	char owner[64];
	char title[256];
};

/** @return 0, or an errno (EIO: SQLite failed; the message is logged) */
int vp_sched_state_open(struct vp_sched_state **sp, const char *path,
			const char *owner);
void vp_sched_state_close(struct vp_sched_state *s);

/** The meeting as a scan saw it; new rows get state `initial`. Rows not
 *  yet started follow the verdict (a changed policy applies).
 *  @return 0 or EIO */
int vp_sched_state_seen(struct vp_sched_state *s, const char *id,
			const char *uid, int64_t start, int64_t end,
			const char *title, const char *verdict,
			const char *initial, int64_t now);

/** @return 0 (found), ENOENT or EIO */
int vp_sched_state_get(struct vp_sched_state *s, const char *id,
		       struct vp_sched_row *r);

/** Set state (and next_try, exit_code) unconditionally. */
int vp_sched_state_set(struct vp_sched_state *s, const char *id,
		       const char *state, int64_t next_try, int64_t exit_code);
/** Remember why a running bot was stopped ("cancelled", "moved"). */
int vp_sched_state_stop(struct vp_sched_state *s, const char *id,
			const char *why);

/**
 * Claim a due meeting for this scheduler: running, attempts + 1, owner.
 * @return 0 (claimed), EALREADY (someone else has it / not due), EBUSY
 *         (max_concurrent running: the row becomes "waiting") or EIO
 */
int vp_sched_state_claim(struct vp_sched_state *s, const char *id, int64_t now,
			 int64_t max_running);
/** Undo this scheduler's claim of a bot that never started (its
 *  dispatcher was unreachable): retry at next_try, the attempt not
 *  counted. @return 0 or EIO */
int vp_sched_state_unclaim(struct vp_sched_state *s, const char *id,
			   int64_t next_try);
/** Forget meetings that ended before `before` and will not run again
 *  (every state but upcoming, waiting, retry, running), their attempts,
 *  and schedulers silent since then. @return 0 or EIO; *n: meetings */
int vp_sched_state_forget(struct vp_sched_state *s, int64_t before,
			  unsigned *n);
int vp_sched_state_set_pid(struct vp_sched_state *s, const char *id,
			   int64_t pid);
/** Record the end of the current attempt. */
int vp_sched_state_attempt_end(struct vp_sched_state *s, const char *id,
			       int64_t code, int64_t sig, int64_t now);

/** Take over running rows whose scheduler stopped beating (older than
 *  stale_s). @return how many, via *n */
int vp_sched_state_adopt(struct vp_sched_state *s, int64_t now, int64_t stale_s,
			 unsigned *n);
int vp_sched_state_heartbeat(struct vp_sched_state *s, int64_t now);

/** One transaction around a scan's writes (one fsync, not one per
 *  meeting). Nothing else may claim in between. @return 0 or EIO */
int vp_sched_state_begin(struct vp_sched_state *s);
int vp_sched_state_commit(struct vp_sched_state *s);

typedef void(vp_sched_row_h)(const struct vp_sched_row *r, void *arg);
/** Rows with state in the comma-separated list (NULL: all), by start. */
int vp_sched_state_each(struct vp_sched_state *s, const char *states,
			vp_sched_row_h *h, void *arg);

/** Rows upcoming, waiting or retrying that start at or before `before`. */
int vp_sched_state_due(struct vp_sched_state *s, int64_t before,
		       vp_sched_row_h *h, void *arg);

/** Rows of a state whose id was not seen since `since` (gone). */
int vp_sched_state_unseen(struct vp_sched_state *s, const char *states,
			  int64_t since, vp_sched_row_h *h, void *arg);

#endif
