/* SPDX-License-Identifier: MIT */
/** @file ticker.c  The shared meeting tick (ticker.h). */
#include "tools/simconf/ticker.h"

#include <string.h>

static struct {
	GSource *src;
	GPtrArray *active; /* struct vp_simconf_tick *, not owned */
} tk;

static gboolean on_tick(gpointer arg)
{
	guint n = tk.active ? tk.active->len : 0;
	struct vp_simconf_tick **snap =
		g_newa(struct vp_simconf_tick *, n ? n : 1);

	(void)arg;
	/* a tick may remove subscribers (a session ends): walk a copy */
	if (n)
		memcpy(snap, tk.active->pdata, n * sizeof(*snap));
	for (guint i = 0; i < n; i++)
		if (snap[i]->on)
			snap[i]->fn(snap[i]->arg);
	return G_SOURCE_CONTINUE;
}

void vp_simconf_ticker_add(GMainContext *ctx, struct vp_simconf_tick *t)
{
	if (t->on)
		return;
	if (!tk.active)
		tk.active = g_ptr_array_new();
	g_ptr_array_add(tk.active, t);
	t->on = true;
	if (!tk.src) {
		tk.src = g_timeout_source_new(VP_SIMCONF_TICK_MS);
		g_source_set_callback(tk.src, on_tick, NULL, NULL);
		g_source_attach(tk.src, ctx);
	}
}

void vp_simconf_ticker_remove(struct vp_simconf_tick *t)
{
	if (!t->on)
		return;
	t->on = false;
	g_ptr_array_remove_fast(tk.active, t);
	if (tk.active->len)
		return;
	/* the last one: the source goes (destroying it from inside its own
	 * callback is allowed; GLib drops it after the dispatch) */
	g_source_destroy(tk.src);
	g_source_unref(tk.src);
	tk.src = NULL;
	g_ptr_array_free(tk.active, TRUE);
	tk.active = NULL;
}
