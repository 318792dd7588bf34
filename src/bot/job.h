/* SPDX-License-Identifier: MIT */
/**
 * @file job.h  `vpbot run JOB.json`: the scheduler's job file.
 *
 * {
 *   "invite": "janus+ws://127.0.0.1:8188/1234",   required (docs/design.md §4)
 *   "out": "/var/lib/vpbot",                       required
 *   "meeting_id": "weekly-sync-2026-11-28",        default: from the invite;
 *                      one folder name (VP_MEETING_ID_RULE), else exit 65
 *   "name": "Notetaker",                           display name, the
 *                      rule of an invite's name= (vp_invite_name_check)
 *   "rate": 16000, "channels": 1, "chunk_seconds": 10,
 *   "max_duration_s": 3600,                        leave after this long
 *   "join_timeout_s": 30, "lobby_timeout_s": 300,  see bot.h
 *   "events": "/run/vpbot/job-17.events",          or "fd:3"
 *   "settings": { … } | "settings_url": "https://…" | "settings_file": "…",
 *   "meeting": { … meeting facts … }               see src/gate/README.md
 *   "webhook": { "url", "secret"|"secret_file"|"secret_env", … }
 *                                                  see webhook_cfg.h
 *   "live": "ws://…" | { "url"|"url_file"|"url_env", "ca_file" }
 *                                                  see live_cfg.h
 * }
 * Unknown keys are errors (a typo must not silently drop a limit).
 */
#ifndef VP_BOT_JOB_H
#define VP_BOT_JOB_H

#include "src/bot/bot.h"

#include <jansson.h>
#include <stddef.h>

struct vp_job {
	json_t *doc; /* owns every string cfg points to */
	struct vp_bot_cfg cfg;
	char *settings_json;	  /* inline "settings", serialised, or NULL */
	const char *settings_src; /* "settings_url"/"settings_file", or NULL */
	char *facts_json;	  /* "meeting", serialised, or NULL */
	char *webhook_secret;	  /* "webhook" secret, loaded, or NULL */
	char *live_url;		  /* "live" URL, loaded, or NULL */
};

/**
 * Parse and validate a job document.
 * @return 0, or EBADMSG with err naming the field ("job: rate must be …")
 */
int vp_job_parse(struct vp_job *job, const char *text, size_t len, char *err,
		 size_t errsz);
/** vp_job_parse() on a file; ENOENT/EACCES when unreadable. */
int vp_job_load(struct vp_job *job, const char *path, char *err, size_t errsz);
void vp_job_free(struct vp_job *job);

#endif
