/* SPDX-License-Identifier: MIT */
/**
 * @file dialect_janus.c  The Janus dialect: janus.c's pure machine wired
 * to a WebSocket ("janus-protocol" subprotocol, docs/janus.md §3), a
 * keepalive timer (25 s < session_timeout 60 s, §5) and a leave deadline.
 */
#include <errno.h>
#include <string.h>

#include "protocols/sig/dialect.h"
#include "protocols/sig/janus.h"
#include "protocols/sig/ws.h"
#include "src/core/clock.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "janus"
#include "src/core/log.h"

#define KEEPALIVE_NS	  (25 * VP_SEC)
#define LEAVE_DEADLINE_MS 3000

struct jglue {
	struct vp_sig_cfg cfg;
	struct vp_invite inv;
	struct vp_sig_handler h;
	void *arg;
	struct vp_sig_janus *j;
	struct vp_sig_ws *ws;
	GSource *keepalive, *deadline;
	bool closed;
};

/* --- Runs on: the bot's GMainContext thread (all of this file) --- */

static void source_kill(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static void glue_destroy(void *data)
{
	struct jglue *g = data;

	source_kill(&g->keepalive);
	source_kill(&g->deadline);
	g->ws = vp_mem_deref(g->ws);
	g->j = vp_mem_deref(g->j);
	memset(&g->inv, 0, sizeof(g->inv)); /* holds the pin */
}

/* After the machine reported ended/error: stop timers, close politely */
static void maybe_finish(struct jglue *g)
{
	if (!vp_sig_janus_done(g->j) || g->closed)
		return;
	g->closed = true;
	source_kill(&g->keepalive);
	source_kill(&g->deadline);
	vp_sig_ws_close(g->ws);
}

static void on_send(const char *json, size_t len, void *arg)
{
	struct jglue *g = arg;
	int err = vp_sig_ws_send(g->ws, json, len);

	if (err && err != ECONNRESET)
		vp_log_warn("request dropped: %s", strerror(err));
}

static void on_connected(void *arg)
{
	struct jglue *g = arg;

	vp_mem_ref(g);
	if (vp_sig_janus_start(g->j) == ENOMEM)
		vp_sig_janus_lost(g->j, "out of memory");
	maybe_finish(g);
	vp_mem_deref(g);
}

static void on_message(const char *text, size_t len, void *arg)
{
	struct jglue *g = arg;
	int err;

	vp_mem_ref(g); /* a handler may drop the bot's reference */
	err = vp_sig_janus_handle_msg(g->j, text, len);
	if (err == EBADMSG)
		vp_log_warn(
			"ignored a message that is not Janus JSON (%zu bytes)",
			len);
	maybe_finish(g);
	vp_mem_deref(g);
}

static void on_closed(int err, const char *reason, void *arg)
{
	struct jglue *g = arg;

	vp_mem_ref(g);
	g->closed = true;
	source_kill(&g->keepalive);
	source_kill(&g->deadline);
	vp_sig_janus_lost(g->j, reason);
	vp_mem_deref(g);
}

static gboolean keepalive_tick(gpointer data)
{
	struct jglue *g = data;

	if (vp_sig_janus_has_session(g->j))
		(void)vp_sig_janus_keepalive(g->j);
	return G_SOURCE_CONTINUE;
}

static gboolean leave_deadline(gpointer data)
{
	struct jglue *g = data;

	g_source_unref(g->deadline);
	g->deadline = NULL;
	vp_mem_ref(g);
	vp_log_warn("janus did not confirm the leave in time");
	vp_sig_janus_lost(g->j, "leave timeout");
	maybe_finish(g);
	vp_mem_deref(g);
	return G_SOURCE_REMOVE;
}

static GSource *timer_start(struct jglue *g, guint ms, GSourceFunc fn)
{
	GSource *s = g_timeout_source_new(ms);

	g_source_set_callback(s, fn, g, NULL);
	g_source_attach(s, g->cfg.ctx);
	return s;
}

static int janus_alloc(void **statep, const struct vp_sig_cfg *cfg,
		       const struct vp_invite *inv,
		       const struct vp_sig_handler *h, void *arg)
{
	struct jglue *g;

	if (!statep || !cfg || !cfg->ctx || !inv || !h ||
	    inv->dialect != VP_INVITE_JANUS)
		return EINVAL;
	g = vp_mem_zalloc(sizeof(*g), glue_destroy);
	if (!g)
		return ENOMEM;
	g->cfg = *cfg;
	g->inv = *inv;
	g->h = *h;
	g->arg = arg;
	*statep = g;
	return 0;
}

static int janus_join(void *state, const char *display)
{
	struct jglue *g = state;
	struct vp_sig_ws_cfg wc;
	uint64_t ka;
	int err;

	if (!g)
		return EINVAL;
	if (g->j)
		return EALREADY;
	err = vp_sig_janus_alloc(&g->j, &g->inv, display, &g->h, g->arg,
				 on_send, g);
	if (err)
		return err;
	memset(&wc, 0, sizeof(wc));
	wc.ctx = g->cfg.ctx;
	wc.host = g->inv.host;
	wc.port = g->inv.port;
	wc.path = "/";
	wc.tls = g->inv.tls;
	wc.insecure = g->cfg.insecure;
	wc.subprotocol = "janus-protocol"; /* Janus refuses others (§3) */
	wc.connect_timeout_ns = g->cfg.connect_timeout_ns;
	err = vp_sig_ws_alloc(&g->ws, &wc, on_connected, on_message, on_closed,
			      g);
	if (err) {
		g->j = vp_mem_deref(g->j);
		return err;
	}
	ka = g->cfg.keepalive_ns ? g->cfg.keepalive_ns : KEEPALIVE_NS;
	g->keepalive = timer_start(g, (guint)(ka / VP_MSEC), keepalive_tick);
	return 0;
}

static int janus_answer(void *state, const char *offer_id, const char *sdp)
{
	struct jglue *g = state;

	if (!g)
		return EINVAL;
	return g->j ? vp_sig_janus_answer(g->j, offer_id, sdp) : EALREADY;
}

static int janus_trickle(void *state, const char *mid, unsigned mline,
			 const char *candidate)
{
	struct jglue *g = state;

	if (!g)
		return EINVAL;
	return g->j ? vp_sig_janus_trickle(g->j, mid, mline, candidate)
		    : EALREADY;
}

static int janus_leave(void *state)
{
	struct jglue *g = state;
	int err;

	if (!g || !g->j)
		return g ? EALREADY : EINVAL;
	vp_mem_ref(g);
	err = vp_sig_janus_leave(g->j);
	if (!err && !vp_sig_janus_done(g->j) && !g->deadline)
		g->deadline = timer_start(g, LEAVE_DEADLINE_MS, leave_deadline);
	maybe_finish(g);
	vp_mem_deref(g);
	return err;
}

const struct vp_sig_dialect vp_sig_dialect_janus = {
	.version = VP_SIG_DIALECT_VERSION,
	.name = "janus",
	.id = VP_INVITE_JANUS,
	.alloc = janus_alloc,
	.join = janus_join,
	.answer = janus_answer,
	.trickle = janus_trickle,
	.leave = janus_leave,
};
