/* SPDX-License-Identifier: MIT */
/**
 * @file gate.h  The live gate: whether audio may reach disk, frame by
 * frame (docs/design.md §6, the rows not overridden by a manual invite).
 *
 * One whole-meeting gate. It is open only when all of these hold:
 *  - no error has happened on the gate's path (see "Errors" below);
 *  - vp_gate_start() was called (nothing is captured before that);
 *  - the policy verdict is RECORD;
 *  - no present participant is a never-record member (identity matched
 *    case-insensitively against the settings' members);
 *  - if a never-record member is invited (decision.never_record_invited),
 *    every present participant has an identity: one we cannot identify
 *    may be that member (never_record_unverifiable). Identities come from
 *    the dialect (verified by its server) or from the deployment
 *    (meeting facts' vouched_identities); a display name is not one;
 *  - with consent enforced, every present participant has consented
 *    (a participant with no identity counts as not consented until they
 *    consent live; with none/notify and no never-record invitee an
 *    unknown participant does not close the gate).
 * The bot itself is not a participant: never pass it to _join().
 *
 * Errors fail closed, for good: every function below that changes state
 * and returns an error other than EINVAL-for-a-NULL-gate has, before it
 * returns, latched the gate closed for the rest of the meeting (reason
 * "gate_error: ..."), cleared the open flag and added a timeline entry. A
 * gate that could not register a participant, or write its timeline,
 * no longer knows who is present; reopening later would be a guess.
 * So a caller that ignores a return value still cannot leave it open;
 * callers should still log it. vp_gate_fail() latches from outside, for
 * errors the caller meets on the gate's path (e.g. a participant it
 * could not even pass to the gate).
 *
 * Threads: every function runs on the net thread (the owner), except
 * vp_gate_is_open(), a single atomic load that any thread may call.
 *
 * Why "a revocation takes effect within one frame" holds: join, leave and
 * consent events are applied synchronously, on the thread that also runs
 * the per-frame check. The call that closes the gate clears the open
 * flag first (a release store), then returns; the next frame's
 * vp_gate_is_open() load sees it. So no frame processed after the event
 * can pass, and a new participant's first frame always comes after their
 * join event. The per-frame check is the recorder's gate
 * (src/bot/recorder.h), which every stream requires; audio that arrives
 * while closed is dropped by the caller and counted here
 * (vp_gate_dropped_add), never buffered.
 */
#ifndef VP_GATE_GATE_H
#define VP_GATE_GATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/gate/policy.h"
#include "src/gate/settings.h"

struct vp_gate;

/** Called on every open/closed transition, after the state changed. */
typedef void(vp_gate_change_h)(bool open, const char *reason,
			       uint64_t at_sample, void *arg);
/**
 * Called when the bot must announce recording (consent notify or
 * enforced): once at vp_gate_start() with pid NULL (announce to all), and
 * on every participant join with their pid.
 */
typedef void(vp_gate_announce_h)(const char *pid, uint64_t at_sample,
				 void *arg);

/**
 * @param gp  out: a new, closed gate ("not_started")
 * @param s   settings (a reference is kept); NULL only with a DENY decision
 * @param d   the policy decision (copied)
 * @return 0, EINVAL (NULL gp/d, or NULL s with a non-DENY verdict), ENOMEM
 */
int vp_gate_alloc(struct vp_gate **gp, const struct vp_settings *s,
		  const struct vp_policy_decision *d);

void vp_gate_on_change(struct vp_gate *g, vp_gate_change_h *h, void *arg);
void vp_gate_on_announce(struct vp_gate *g, vp_gate_announce_h *h, void *arg);

/**
 * The bot is in and knows the participants present at join (register them
 * with _join() first): evaluate, and open if allowed. Adds the first
 * timeline entry, open or closed, with its reason.
 * @return 0, EALREADY (started before), EINVAL, ENOMEM; any error latches
 */
int vp_gate_start(struct vp_gate *g, uint64_t at_sample);

/**
 * Latch the gate closed for the rest of the meeting (reason "gate_error:
 * WHAT (strerror(err)); closed for the rest of the meeting"), for an error
 * the caller met on the gate's path. Only the first error's reason is
 * kept. @return 0, or EINVAL for a NULL gate
 */
int vp_gate_fail(struct vp_gate *g, int err, const char *what,
		 uint64_t at_sample);
/** @return true once latched closed by an error (or for NULL) */
bool vp_gate_failed(const struct vp_gate *g);

/**
 * A participant joined. Closes the gate before returning if they are
 * never-record, or (consent enforced) have not consented.
 * @param pid       the dialect's participant id (copied)
 * @param identity  verified e-mail (from the dialect, or vouched for by
 *                  the deployment), else NULL; never a display name
 * @return 0, EINVAL, EALREADY (pid present), ENOMEM; any error but a NULL
 *         gate latches the gate closed
 */
int vp_gate_participant_join(struct vp_gate *g, const char *pid,
			     const char *identity, uint64_t at_sample);
/** vp_gate_participant_join() for one who arrives having consented. */
int vp_gate_participant_join_consented(struct vp_gate *g, const char *pid,
				       const char *identity, bool consented,
				       uint64_t at_sample);
/** @return 0, EINVAL, ENOENT (pid not present), ENOMEM; errors latch */
int vp_gate_participant_leave(struct vp_gate *g, const char *pid,
			      uint64_t at_sample);
/**
 * A participant granted or revoked consent. A revocation closes the gate
 * (consent enforced) before returning.
 * @return 0, EINVAL, ENOENT (pid not present), ENOMEM; errors latch
 */
int vp_gate_consent(struct vp_gate *g, const char *pid, bool granted,
		    uint64_t at_sample);

/** Per-frame check: one atomic load. NULL gate: false. */
bool vp_gate_is_open(const struct vp_gate *g);

/** Count audio the caller dropped because the gate was closed. */
void vp_gate_dropped_add(struct vp_gate *g, uint64_t frames, uint64_t samples);

/** @return why the gate is in its current state ("code: text") */
const char *vp_gate_reason(const struct vp_gate *g);

/**
 * Timeline for meeting.json: [{"sample": N, "open": bool, "reason": s}]
 * @return a new reference, or NULL (ENOMEM)
 */
json_t *vp_gate_timeline_json(const struct vp_gate *g);

/**
 * Whole state: {"open", "failed", "reason", "dropped_frames",
 * "dropped_samples",
 * "participants": [{"pid", "known", "never_record", "consented"}],
 * "timeline": [...]}. Identities are not included (meeting.json has them
 * in the participants list). @return a new reference, or NULL
 */
json_t *vp_gate_json(const struct vp_gate *g);

#endif
