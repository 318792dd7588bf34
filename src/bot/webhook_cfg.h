/* SPDX-License-Identifier: MIT */
/**
 * @file webhook_cfg.h  The status webhook's configuration (README
 * "Webhooks"). In a job:
 *
 *   "webhook": {"url": "https://hooks.example/vpbot",
 *               "secret": "…" | "secret_file": "/run/…" | "secret_env": "V",
 *               "ca_file": "/etc/…/ca.pem",      optional extra CA
 *               "final_timeout_s": 30}           optional bound at the end
 *
 * On the command line: `--webhook URL` (no query), `--webhook-file FILE|-`
 * or VPBOT_WEBHOOK_URL, with the secret from `--webhook-secret-file FILE`
 * or the environment variable VPBOT_WEBHOOK_SECRET (never an argument).
 */
#ifndef VP_BOT_WEBHOOK_CFG_H
#define VP_BOT_WEBHOOK_CFG_H

#include "src/bot/bot.h"

#include <jansson.h>
#include <stddef.h>

/** The environment variable `vpbot join --webhook` reads the secret from. */
#define VP_WEBHOOK_SECRET_ENV "VPBOT_WEBHOOK_SECRET"
/** Where `vpbot join` finds the URL when neither --webhook nor
 *  --webhook-file is given (unset once read). */
#define VP_WEBHOOK_URL_ENV "VPBOT_WEBHOOK_URL"

/**
 * The webhook URL of `vpbot join`: --webhook URL (refused if it has a
 * query, or a path segment of 16+ characters mixing letters and digits:
 * a token there is shown to every local user by ps), else
 * --webhook-file FILE ("-": one line of stdin), else $VPBOT_WEBHOOK_URL,
 * under src/core/secret.h's rules.
 * @param out  out: malloc'd URL (vp_secret_free it), NULL if none given
 * @return 0 or EBADMSG/ENOMEM with why (never the URL)
 */
int vp_webhook_url_cli(char **out, const char *arg, const char *file, char *why,
		       size_t whysz);

/**
 * Load a secret from @p file, else from the environment variable @p env
 * (then unset), under src/core/secret.h's rules (one line, its end
 * dropped, at most 4096 bytes).
 * @param out  out: malloc'd secret (free it)
 * @return 0, ENOMEM or EBADMSG (why says which source, never the value)
 */
int vp_webhook_secret_load(char **out, const char *file, const char *env,
			   char *why, size_t whysz);

/**
 * Fill @p c's webhook fields from a job's "webhook" object.
 * @param secretp  out: the malloc'd secret @p c points to (free it)
 * @return 0, ENOMEM or EBADMSG with why naming the field
 */
int vp_webhook_cfg_job(struct vp_bot_cfg *c, char **secretp, json_t *o,
		       char *why, size_t whysz);

#endif
