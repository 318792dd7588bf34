/* SPDX-License-Identifier: MIT */
/**
 * @file live_cfg.h  The live output's URL (live.h, README "Live audio
 * out"). In a job:
 *
 *   "live": "ws://127.0.0.1:9000/asr"            a URL without a token, or
 *   "live": {"url": "wss://…?token=T" | "url_file": "/run/…" |
 *            "url_env": "VAR", "ca_file": "/etc/…/ca.pem"}
 *
 * On the command line: `--live URL` (refused when it has a query, which
 * may hold a token), `--live-file FILE|-`, or $VPBOT_LIVE_URL; `--live-ca
 * PEM`. The URL is never logged or written whole: only its origin.
 */
#ifndef VP_BOT_LIVE_CFG_H
#define VP_BOT_LIVE_CFG_H

#include "src/bot/bot.h"

#include <jansson.h>
#include <stddef.h>

/**
 * Pick the live URL: the argument, else the file, else $VPBOT_LIVE_URL
 * (then unset); validated (vp_live_url_parse).
 * @param out  out: malloc'd URL (free it), NULL when none was given
 * @return 0, ENOMEM or EBADMSG with why saying what is wrong (never the
 *         URL's path or query)
 */
int vp_live_cfg_cli(char **out, const char *arg, const char *file, char *why,
		    size_t whysz);

/**
 * Fill c->live_url / c->live_ca from a job's "live" value.
 * @param out  out: the malloc'd URL c->live_url points to (free it)
 * @return 0, ENOMEM or EBADMSG with why naming the field
 */
int vp_live_cfg_job(struct vp_bot_cfg *c, char **out, json_t *o, char *why,
		    size_t whysz);

#endif
