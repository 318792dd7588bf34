/* SPDX-License-Identifier: MIT */
/**
 * @file config.h  vpbot-sched's JSON config (README "Scheduler").
 *
 * {"calendars": [{"owner": "alice@example.com", "file": "alice.ics"},
 *                {"owner": "bob@example.com", "url": "https://…"}],
 *  "settings": {…} | "settings_file": "…" | "settings_url": "https://…",
 *  "out": "out", "state": "vpbot-sched.db", "lead_s": 60,
 *  "lookahead_h": 24, "max_concurrent": 4,
 *  "assistant_address": "notetaker@example.com", …}
 * Every key but "calendars" and the settings has a default; unknown keys
 * are rejected; relative paths are resolved against the config's folder.
 */
#ifndef VP_SCHED_CONFIG_H
#define VP_SCHED_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct vp_sched_cal {
	char *owner;	/**< lower-cased member address */
	char *file;	/**< resolved path, or NULL */
	char *url;	/**< https feed (a secret: never logged), or NULL */
	char label[64]; /**< "owner#N": how logs name the calendar */
};

struct vp_sched_cfg {
	struct vp_sched_cal *cals;
	size_t ncals;
	char *settings_json; /**< inline settings, serialised, or NULL */
	char *settings_src;  /**< file path or https URL, or NULL */
	char *out, *state, *vpbot, *assistant, *bot_name;
	int64_t lead_s, lookahead_s, grace_s, scan_s;
	int64_t retry_base_s, retry_max_s, feed_timeout_s;
	int64_t max_concurrent, max_attempts, feed_max_bytes;
	double tick_s;
	json_t *job_extra; /**< "job": keys copied into every job, or NULL */
	int log_level;	   /**< enum vp_log_level the CLI set (not JSON) */
	char *dispatch;	   /**< Redis URL of the fleet, or NULL: local */
};

/**
 * Load and validate. @return 0, ENOENT/EACCES (unreadable), EBADMSG (err
 * names the key) or ENOMEM
 */
int vp_sched_cfg_load(struct vp_sched_cfg *c, const char *path, char *err,
		      size_t errsz);
void vp_sched_cfg_free(struct vp_sched_cfg *c);

#endif
