/* SPDX-License-Identifier: MIT */
/**
 * @file live_ws.c  The live output's thread (live.h): a GMainContext of its
 * own that runs the bot's WebSocket client (protocols/sig/ws.h), so neither
 * the net thread (signaling, media) nor the io thread (disk) ever waits on
 * the receiver. The io thread wakes it through a GSource whose ready time
 * it sets (g_source_set_ready_time() is safe from any thread).
 *
 * The client's own queue holds one message at most: the next one is packed
 * from the ring only when the last one was written (its sent handler), so
 * the ring stays the one bounded queue and a slow receiver fills it, which
 * the io thread counts as drops instead of waiting.
 *
 * Reconnects: attempt n after a failure waits min(30 s, 0.5 s x 2^(n-1))
 * x U(0.5, 1) (equal jitter, as the webhook); a connection that came up
 * resets n. While there is no connection, queued blocks are discarded and
 * counted, so a receiver that comes back gets live audio, not a backlog.
 */
#define VP_LOG_MODULE "live"
#include "src/bot/live_priv.h"

#include "protocols/sig/ws.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_BASE 0.5  /* s */
#define BACKOFF_CAP  30.0 /* s */
#define END_MSG	     "{\"type\":\"end\"}"

struct live_ws {
	struct vp_live *l;
	GMainContext *ctx;
	GSource *kick;	/* made ready by vp_live__ws_kick() */
	GSource *retry; /* the next connection attempt */
	struct vp_sig_ws *ws;
	unsigned fails; /* attempts since the last connection came up */
	bool open;	/* between connectedh and closedh */
	bool end_sent;	/* stopping: {"type":"end"} is queued */
	bool quit;	/* leave the loop */
	unsigned seed;
};

/* --- Runs on: live thread --- */

static gboolean connect_now(gpointer data);

static void schedule_connect(struct live_ws *w)
{
	double d = BACKOFF_BASE;

	if (atomic_load(&w->l->stopping)) {
		w->quit = true;
		return;
	}
	for (unsigned i = 1; i < w->fails && d < BACKOFF_CAP; i++)
		d *= 2;
	if (d > BACKOFF_CAP)
		d = BACKOFF_CAP;
	d *= 0.5 + 0.5 * ((double)rand_r(&w->seed) / ((double)RAND_MAX + 1));
	w->retry = g_timeout_source_new((guint)(d * 1000));
	g_source_set_callback(w->retry, connect_now, w, NULL);
	g_source_attach(w->retry, w->ctx);
}

/* Pack the next message when the client's queue is empty; after the last
 * one, while stopping, say "end" and close (the client flushes first). */
static void pump(struct live_ws *w)
{
	struct vp_live *l = w->l;
	size_t n;

	if (!w->open || w->end_sent || vp_sig_ws_queued(w->ws))
		return;
	n = vp_live__pack(l);
	if (n) {
		if (vp_sig_ws_send_binary(w->ws, l->msg, n))
			vp_live__set_error(l, "cannot queue a message");
		return;
	}
	if (atomic_load(&l->stopping)) {
		w->end_sent = true;
		vp_sig_ws_send(w->ws, END_MSG, strlen(END_MSG));
		vp_sig_ws_close(w->ws);
	}
}

static void on_sent(size_t len, bool binary, void *arg)
{
	struct live_ws *w = arg;

	if (binary) {
		atomic_fetch_add(&w->l->messages, 1);
		atomic_fetch_add(&w->l->bytes, len);
	}
	pump(w);
}

static void send_hello(struct live_ws *w)
{
	json_t *o =
		json_pack("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 1,
			  "meeting", w->l->meeting, "format", "s16le");
	char *txt = o ? vp_json_dumps(o, JSON_COMPACT) : NULL;

	if (!txt || vp_sig_ws_send(w->ws, txt, strlen(txt)))
		vp_live__set_error(w->l, "cannot queue the hello");
	json_decref(o);
	free(txt);
}

static void on_connected(void *arg)
{
	struct live_ws *w = arg;
	struct vp_live *l = w->l;

	w->fails = 0;
	w->open = true;
	l->msg_seq = 0; /* seq counts this connection's messages */
	atomic_store(&l->connected, true);
	atomic_fetch_add(&l->connects, 1);
	vp_log_info("live: connected to %s", l->url.origin);
	send_hello(w); /* the rest follows from on_sent */
}

/* err 0: our own close after "end"; else the client's reason, which names
 * a refused certificate (OpenSSL's words) and never the path or query */
static void on_closed(int err, const char *reason, void *arg)
{
	struct live_ws *w = arg;
	struct vp_live *l = w->l;
	bool was = atomic_exchange(&l->connected, false);

	w->open = false;
	if (err)
		vp_live__set_error(l, "%s: %s", l->url.origin, reason);
	if (was || err)
		vp_log_info("live: %s %s", l->url.origin,
			    err ? reason : "closed");
	/* allowed from its own handler; reason lived in it */
	w->ws = vp_mem_deref(w->ws);
	if (w->end_sent || atomic_load(&l->stopping)) {
		w->quit = true;
		return;
	}
	vp_live__discard(l);
	schedule_connect(w);
}

static gboolean connect_now(gpointer data)
{
	struct live_ws *w = data;
	const struct vp_live_url *u = &w->l->url;
	struct vp_sig_ws_cfg c = {
		.ctx = w->ctx,
		.host = u->host,
		.port = u->port,
		.path = u->path,
		.tls = u->tls,
		.ca_file = w->l->ca,
		.queue_max_bytes = 4 * 1024 * 1024, /* > one packed message */
	};

	g_source_unref(w->retry);
	w->retry = NULL;
	if (atomic_load(&w->l->stopping)) {
		w->quit = true;
		return G_SOURCE_REMOVE;
	}
	if (w->fails++)
		atomic_fetch_add(&w->l->reconnects, 1);
	if (vp_sig_ws_alloc(&w->ws, &c, on_connected, NULL, on_closed, w)) {
		w->ws = NULL;
		vp_live__set_error(w->l, "connect to %s failed", u->origin);
		schedule_connect(w);
		return G_SOURCE_REMOVE;
	}
	vp_sig_ws_set_senth(w->ws, on_sent);
	return G_SOURCE_REMOVE;
}

static gboolean on_kick(gpointer data)
{
	struct live_ws *w = data;
	struct vp_live *l = w->l;

	atomic_store(&l->kicked, false);
	if (atomic_load(&l->abort)) {
		w->quit = true; /* the client's destruction closes the socket */
		return G_SOURCE_CONTINUE;
	}
	if (w->open) {
		pump(w);
		return G_SOURCE_CONTINUE;
	}
	vp_live__discard(l); /* nobody to send to: stay live, count */
	if (atomic_load(&l->stopping))
		w->quit = true;
	return G_SOURCE_CONTINUE;
}

static gboolean kick_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	g_source_set_ready_time(s, -1);
	return cb(data);
}

static GSourceFuncs kick_funcs = {.dispatch = kick_dispatch};

int vp_live__ws_create(struct vp_live *l)
{
	struct live_ws *w = vp_calloc(1, sizeof(*w));

	if (!w)
		return ENOMEM;
	w->l = l;
	w->seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)w;
	w->ctx = g_main_context_new();
	w->kick = g_source_new(&kick_funcs, sizeof(GSource));
	g_source_set_callback(w->kick, on_kick, w, NULL);
	g_source_set_ready_time(w->kick, -1);
	g_source_attach(w->kick, w->ctx);
	l->ws = w;
	return 0;
}

/* --- Runs on: any thread --- */

void vp_live__ws_kick(struct vp_live *l)
{
	if (l->ws && !atomic_exchange(&l->kicked, true))
		g_source_set_ready_time(l->ws->kick, 0);
}

/* --- Runs on: live thread --- */

void *vp_live__ws_main(void *arg)
{
	struct vp_live *l = arg;
	struct live_ws *w = l->ws;

	g_main_context_push_thread_default(w->ctx);
	w->retry = g_idle_source_new();
	g_source_set_callback(w->retry, connect_now, w, NULL);
	g_source_attach(w->retry, w->ctx);
	/* vp_live_finish() bounds the end: it sets abort and wakes us */
	while (!w->quit)
		g_main_context_iteration(w->ctx, TRUE);
	w->ws = vp_mem_deref(w->ws);
	/* let lws finish its teardown (idle sources), boundedly */
	for (int i = 0; i < 100 && g_main_context_pending(w->ctx); i++)
		g_main_context_iteration(w->ctx, FALSE);
	vp_live__discard(l);
	g_main_context_pop_thread_default(w->ctx);
	return NULL;
}

/* --- Runs on: the bot's thread, the live thread joined --- */

void vp_live__ws_destroy(struct vp_live *l)
{
	struct live_ws *w = l->ws;

	if (!w)
		return;
	l->ws = NULL;
	vp_mem_deref(w->ws);
	if (w->retry) {
		g_source_destroy(w->retry);
		g_source_unref(w->retry);
	}
	g_source_destroy(w->kick);
	g_source_unref(w->kick);
	g_main_context_unref(w->ctx);
	free(w);
}
