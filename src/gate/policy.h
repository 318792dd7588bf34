/* SPDX-License-Identifier: MIT */
/**
 * @file policy.h  The recording policy (pure): company settings + meeting
 * facts -> a verdict with reasons (docs/design.md §6, the rows before the live
 * ones). The live rows (never-record participants, consent) are enforced
 * by the gate (gate.h); the decision carries the consent mode to it.
 *
 * Each reason is "code: text", the code first so machines can match it:
 *   settings_missing, facts_missing         -> DENY (fail closed)
 *   organizer_unknown                       -> DENY unless manual invite
 *   internal_not_recorded, external_not_recorded, private_meeting,
 *   no_recorded_member, excluded_domain, excluded_address,
 *   excluded_title_word                     -> DENY unless manual invite;
 *                                              with one, the same code
 *                                              prefixed "overridden_"
 *   no_conference_url                       -> at most METADATA_ONLY
 *   internal_recorded, external_recorded, recorded_member, manual_invite,
 *   never_record_invitee, consent_enforced, consent_notify,
 *   consent_none                            -> information
 *   reasons_truncated                       -> more than fit
 */
#ifndef VP_GATE_POLICY_H
#define VP_GATE_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "src/gate/settings.h"

/** The verdict. The zero value is the safe one: DENY. */
enum vp_policy_verdict {
	VP_POLICY_DENY = 0,
	VP_POLICY_METADATA_ONLY, /**< join, keep metadata, write no audio */
	VP_POLICY_RECORD,	 /**< record while the live gate is open */
};

#define VP_POLICY_MAX_REASONS 16
#define VP_POLICY_REASON_LEN  160

struct vp_policy_decision {
	enum vp_policy_verdict verdict;
	enum vp_consent_mode consent; /**< ENFORCED when settings missing */
	bool manual_invite;
	/** the organizer or an invitee is a never-record member: the gate
	 *  then stays closed while anyone present has no verified identity
	 *  (never_record_unverifiable) */
	bool never_record_invited;
	unsigned
		cause; /**< index of the reason that set a non-RECORD verdict */
	unsigned nreasons;
	char reasons[VP_POLICY_MAX_REASONS][VP_POLICY_REASON_LEN];
};

/**
 * Decide. Never fails: a missing input gives DENY with a reason. The
 * decision and each reason are logged at info level (the audit trail).
 * @param d  out: always written
 * @param s  company settings (NULL: DENY, settings_missing)
 * @param f  meeting facts (NULL: DENY, facts_missing)
 */
void vp_policy_decide(struct vp_policy_decision *d, const struct vp_settings *s,
		      const struct vp_meeting_facts *f);

/** @return the reason that set a DENY/METADATA_ONLY verdict, or "" */
const char *vp_policy_cause(const struct vp_policy_decision *d);

/** @return true if one of d's reasons has this code */
bool vp_policy_has_reason(const struct vp_policy_decision *d, const char *code);

/** @return "deny", "metadata_only" or "record" */
const char *vp_policy_verdict_str(enum vp_policy_verdict v);

/**
 * For meeting.json and the events:
 * {"verdict": "deny", "consent": "enforced", "manual_invite": false,
 *  "never_record_invited": false, "cause": "private_meeting: ...",
 *  "reasons": ["...", ...]}
 * ("cause" only when the verdict is not RECORD)
 * @return a new reference, or NULL (ENOMEM)
 */
json_t *vp_policy_decision_json(const struct vp_policy_decision *d);

#endif
