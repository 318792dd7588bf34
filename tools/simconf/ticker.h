/* SPDX-License-Identifier: MIT */
/**
 * @file ticker.h  One 10 ms tick shared by every running meeting: one
 * wake-up and one GSource for hundreds of meetings rather than one each
 * (a GLib iteration walks every source, and unaligned timers wake the
 * process once per meeting). Net thread only.
 */
#ifndef VP_TOOLS_SIMCONF_TICKER_H
#define VP_TOOLS_SIMCONF_TICKER_H

#include <stdbool.h>

#include <glib.h>

#define VP_SIMCONF_TICK_MS 10

/** A subscriber: fn(arg) every tick while on. Owned by the caller. */
struct vp_simconf_tick {
	void (*fn)(void *arg);
	void *arg;
	bool on;
};

/** Start ticking t (idempotent); the first one attaches to ctx. */
void vp_simconf_ticker_add(GMainContext *ctx, struct vp_simconf_tick *t);

/** Stop ticking t (idempotent; safe from inside its own fn). */
void vp_simconf_ticker_remove(struct vp_simconf_tick *t);

#endif
