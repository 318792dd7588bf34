/* SPDX-License-Identifier: MIT */
/**
 * @file webhook_bot.c  The bot's side of the status webhook: start it with
 * the events, and after the final event record in meeting.json whether it
 * was delivered (the scheduler's proof that the receiver knows the end).
 */
#define VP_LOG_MODULE "bot"
#include "src/bot/bot_priv.h"
#include "src/bot/webhook.h"

#include "src/core/log.h"
#include "src/core/mem.h"

#include <stdio.h>

/* --- Runs on: net thread, before the loop starts and after it ends --- */

int vp_bot__webhook_start(struct bot *b)
{
	const struct vp_bot_cfg *c = b->cfg;
	struct vp_webhook_cfg wc = {
		.url = c->webhook_url,
		.secret = c->webhook_secret,
		.ca_file = c->webhook_ca,
		.final_timeout_s = c->webhook_timeout_s,
	};
	char why[160] = "cannot start";
	int err = vp_events_webhook(b->ev, &wc, why, sizeof(why));

	if (err)
		fprintf(stderr, "vpbot: webhook: %s\n", why);
	return err;
}

void vp_bot__webhook_finish(struct bot *b)
{
	unsigned long mark = vp_mem_failures();
	json_t *rec = vp_events_finish(b->ev);

	/* NULL: no webhook, unless its record could not be made */
	if (!b->rec || (!rec && vp_mem_failures() == mark)) {
		json_decref(rec);
		return;
	}
	vp_rec_set_built(b->rec, "webhook", rec, mark);
	vp_rec_write(b->rec);
}
