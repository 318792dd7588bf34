/* SPDX-License-Identifier: MIT */
/**
 * @file webhook.h  Status events POSTed to a webhook (docs/design.md §7).
 *
 * Every event is POSTed, in order, one at a time, from a thread of its own
 * (libcurl, blocking): the net thread only appends a copy to a bounded
 * queue, so a slow or dead receiver never touches signaling or media.
 * A delivery that does not get a 2xx is retried with exponential backoff
 * and jitter. Each attempt is signed afresh (README "Webhooks"):
 *
 *     Vpbot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 *                      "<t>.<body>")>
 *
 * https only, certificates verified (an extra CA file may be given);
 * redirects are not followed. The secret and the URL's path and query are
 * never logged or written anywhere; meeting.json gets the origin only.
 */
#ifndef VP_BOT_WEBHOOK_H
#define VP_BOT_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct vp_webhook;

struct vp_webhook_cfg {
	const char *url;	/**< https://HOST[:PORT]/PATH */
	const char *secret;	/**< HMAC key, required, never logged */
	const char *ca_file;	/**< extra CA bundle (PEM), NULL: system */
	double final_timeout_s; /**< bound on delivering what is queued when
				 *   the bot stops (0: 30 s) */
};

/**
 * Check the configuration and start the delivery thread.
 * @param why  out (optional): on EINVAL, what is wrong (no secret shown)
 * @return 0, EINVAL (not https, no host, empty secret), ENOMEM, or the
 *         errno of pthread_create
 */
int vp_webhook_start(struct vp_webhook **whp, const struct vp_webhook_cfg *cfg,
		     char *why, size_t whysz);

/**
 * Queue one event body (copied) for delivery; never waits on the network.
 * @param seq    the body's "seq", sent as the Vpbot-Event-Seq header
 * @param final  the last event (`left` or `error`): after it, nothing more
 *               is queued and its delivery is what finish() reports
 */
void vp_webhook_post(struct vp_webhook *wh, unsigned long seq, const char *body,
		     size_t len, bool final);

/**
 * Stop: deliver what is queued (retrying) until it is acknowledged or the
 * final_timeout_s bound passes, join the thread.
 * @return what happened, for meeting.json: {"origin", "events",
 *         "delivered", "failed", "dropped", "final": {"event" seq,
 *         "delivered", "attempts", "http_status", "error"}}; new reference
 */
json_t *vp_webhook_finish(struct vp_webhook *wh);

/**
 * The signature header's value for @p body at unix time @p t, as
 * receivers recompute it (exposed for tests).
 * @param out  at least 96 bytes
 * @return 0, EINVAL or ENOMEM
 */
int vp_webhook_sign(char *out, size_t outsz, const char *secret, long long t,
		    const char *body, size_t len);

#endif
