/* SPDX-License-Identifier: MIT */
/**
 * @file scenario.h  The simconf scenario file (JSON, README.md): meetings,
 * their participants, what they say and when, and the faults to inject.
 * Pure: text in, validated structs out. Every time is in seconds after the
 * bot joined that meeting (its `joined`), so runs are deterministic.
 */
#ifndef VP_TOOLS_SIMCONF_SCENARIO_H
#define VP_TOOLS_SIMCONF_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP_SIMCONF_MAX_MEETINGS 1000	/**< after expanding copies */
#define VP_SIMCONF_MAX_PARTS	32	/**< participants per meeting */
#define VP_SIMCONF_MAX_SPEAK	64	/**< speak items per participant */
#define VP_SIMCONF_MAX_TIMES	16	/**< consent_at / revoke_at entries */
#define VP_SIMCONF_MAX_T	86400.0 /**< latest allowed time, s */
#define VP_SIMCONF_MAX_ID	48	/**< id length ([A-Za-z0-9._-]) */

/** What a speak item plays; zero = nothing (never valid after parsing). */
enum vp_simconf_src {
	VP_SIMCONF_SRC_NONE = 0,
	VP_SIMCONF_SRC_TONE,   /**< sine: freq Hz for seconds */
	VP_SIMCONF_SRC_FILE,   /**< 16-bit mono WAV, any rate */
	VP_SIMCONF_SRC_SPEECH, /**< text spoken by espeak-ng at load time */
	VP_SIMCONF_SRC_MARKER, /**< frame-numbered tones (marker.h) */
};

struct vp_simconf_speak {
	double at; /**< s after the bot joined */
	enum vp_simconf_src kind;
	double freq, seconds, amplitude; /**< tone, marker; amplitude 0..1 */
	char *file; /**< FILE: path (relative to the scenario's folder) */
	char *text; /**< SPEECH */
};

/** Network faults on one participant's stream; all zero = clean. */
struct vp_simconf_impair {
	double loss_pct;	/**< packets dropped, 0..100 */
	double dup_pct;		/**< packets sent twice */
	double reorder_pct;	/**< packets held back ... */
	unsigned reorder_depth; /**< ... behind this many later ones */
	unsigned jitter_ms;	/**< extra uniform send delay 0..jitter_ms */
	uint32_t seed;		/**< PRNG seed (0 = derived from the ids) */
};

struct vp_simconf_part {
	char *id, *display;
	char *identity; /**< e-mail, NULL for a guest */
	double join_at;
	double leave_at; /**< < 0: stays to the end */
	bool consent;	 /**< initial consent */
	double consent_at[VP_SIMCONF_MAX_TIMES];
	unsigned nconsent_at;
	double revoke_at[VP_SIMCONF_MAX_TIMES];
	unsigned nrevoke_at;
	struct vp_simconf_speak *speak; /**< sorted by at, no overlap
					     checked here (needs lengths) */
	unsigned nspeak;
	struct vp_simconf_impair impair;
};

/** Meeting-level faults; a time < 0 means "never". */
struct vp_simconf_faults {
	double signaling_drop_at; /**< close the WebSocket abruptly */
	double hang_at;		  /**< stop answering and stop media */
	double garbage_at;	  /**< send a non-JSON text message */
	bool lying_fingerprint;	  /**< offer a wrong a=fingerprint */
};

struct vp_simconf_mdef {
	char *id;
	char *token;	  /**< NULL: any token is accepted */
	double lobby_s;	  /**< > 0: lobby, admitted after this many s */
	char *deny;	  /**< non-NULL: deny entry with this reason */
	double end_at;	  /**< < 0: never ends by itself */
	unsigned copies;  /**< 0: one meeting named id; N: id-1 … id-N */
	bool clock_media; /**< "clock": "media": times count from the first
			       moment the bot's media is secure */
	bool audio_level; /**< "audio_level": true: every packet carries the
			       RFC 6464 ssrc-audio-level extension (id 1) */
	struct vp_simconf_faults faults;
	struct vp_simconf_part *parts;
	unsigned nparts;
};

/** A parsed scenario (vp_mem); release with vp_mem_deref(). */
struct vp_simconf_scenario {
	struct vp_simconf_mdef *meetings;
	unsigned nmeetings;
	char *dir; /**< folder relative file paths are resolved against */
};

/**
 * Parse and validate a scenario strictly: unknown fields, wrong types,
 * out-of-range values, duplicate ids (also after expanding copies) and
 * unordered speak items are errors.
 * @param sp    out: the scenario, only on success
 * @param text  JSON text (need not be NUL-ended)
 * @param why   out: on EBADMSG, the field and the rule, e.g.
 *              "meetings[0].participants[1].join_at must be a number >= 0"
 * @return 0, EINVAL (NULL args), EBADMSG or ENOMEM
 */
int vp_simconf_scenario_parse(struct vp_simconf_scenario **sp, const char *text,
			      size_t len, char *why, size_t whysz);

/**
 * Read a file and vp_simconf_scenario_parse() it; dir = the file's folder.
 * @return as parse, or ENOENT (unreadable; why says so)
 */
int vp_simconf_scenario_load(struct vp_simconf_scenario **sp, const char *path,
			     char *why, size_t whysz);

/** The id of copy k (0-based) of meeting m into buf ("m1" or "m1-3"). */
void vp_simconf_scenario_meeting_id(char *buf, size_t sz,
				    const struct vp_simconf_mdef *m,
				    unsigned k);

/** @return how many meetings m stands for (copies, or 1). */
unsigned vp_simconf_scenario_ncopies(const struct vp_simconf_mdef *m);

#endif
