/* SPDX-License-Identifier: MIT */
/**
 * @file live_bot.c  The bot's side of live audio out (live.h): start it
 * and tap the io thread, tell the events stream when the receiver comes or
 * goes or audio is dropped, keep its counters in meeting.json ("live":
 * the origin only, never the path or query, which may hold a token).
 */
#define VP_LOG_MODULE "bot"
#include "src/bot/bot_priv.h"
#include "src/bot/live.h"

#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>

#define LIVE_TICK_MS 1000

/* --- Runs on: net thread --- */

/* At most once a second, and only on a change: connected or not, and
 * how much was dropped (a slow receiver is visible while it happens). */
static gboolean live_tick(gpointer arg)
{
	struct bot *b = arg;
	struct vp_live_stats s;

	vp_live_stats(b->live, &s);
	if (s.connected == b->live_up && s.dropped_samples == b->live_dropped)
		return G_SOURCE_CONTINUE;
	b->live_up = s.connected;
	b->live_dropped = s.dropped_samples;
	vp_events_emit(b->ev, "live",
		       json_pack("{s:s, s:I, s:I, s:I, s:s?}", "state",
				 s.connected ? "connected" : "disconnected",
				 "dropped_samples",
				 (json_int_t)s.dropped_samples, "reconnects",
				 (json_int_t)s.reconnects, "messages",
				 (json_int_t)s.messages, "error",
				 s.last_error[0] ? s.last_error : NULL));
	return G_SOURCE_CONTINUE;
}

int vp_bot__live_start(struct bot *b)
{
	struct vp_live_cfg lc = {
		.url = b->cfg->live_url,
		.ca_file = b->cfg->live_ca,
		.meeting = vp_rec_meeting_id(b->rec),
	};
	struct vp_io_tap tap;
	int err;

	if (!b->cfg->live_url)
		return 0;
	err = vp_live_start(&b->live, &lc);
	if (!err) {
		vp_live_tap(b->live, &tap);
		err = vp_rec_tap(b->rec, &tap);
	}
	if (err)
		return err;
	b->live_src = g_timeout_add(LIVE_TICK_MS, live_tick, b);
	return 0;
}

/* "live" in meeting.json, and its drops in "status" too */
void vp_bot__live_report(struct bot *b)
{
	if (!b->cfg->live_url || !b->rec)
		return;
	if (b->live)
		vp_rec_set(b->rec, "live", vp_live_stats_json(b->live));
	vp_rec_status_count(b->rec, "live_dropped_samples", b->live_dropped);
}

/* After the io thread stopped: nothing more is tapped. */
void vp_bot__live_stop(struct bot *b)
{
	if (!b->live)
		return;
	if (b->live_src)
		g_source_remove(b->live_src);
	b->live_src = 0;
	vp_live_finish(b->live);
	live_tick(b);
	vp_bot__live_report(b);
	b->live = vp_mem_deref(b->live);
}
