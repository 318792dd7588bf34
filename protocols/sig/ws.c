/* SPDX-License-Identifier: MIT */
/**
 * @file ws.c  WebSocket client adapter over libwebsockets 4.1 (RFC 6455).
 *
 * Threading: lws runs *inside the bot's GMainContext* through its glib
 * event library (LWS_SERVER_OPTION_GLIB + info.foreign_loops, which Debian
 * ships as libwebsockets-evlib_glib.so and lws dlopens at context
 * creation). Chosen over a separate lws thread because it keeps every
 * callback, timer and the dialect state on one thread with no locks and no
 * cross-thread queue, which is what docs/design.md §2 asks for; the interop
 * probe (tests/interop/sig_janus.sh) exercises it against a real Janus.
 *
 * One lws_context per connection: a bot has one signaling connection (and
 * at most one live audio connection, on a GMainContext of its own thread),
 * and a private context makes teardown independent of other connections. The
 * context is reached through a small heap "box" that outlives the vp_sig_ws
 * object, so the object may be destroyed from inside one of its own handlers:
 * the context is then destroyed from an idle source.
 */
#include "protocols/sig/ws.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/x509.h>

#include "protocols/sig/ws_buf.h"
#include "src/core/clock.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "ws"
#include "src/core/log.h"

#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct ws_box {
	struct vp_sig_ws *ws; /* NULL once the object is gone */
	struct lws_context *lctx;
	GMainLoop *gloop; /* wraps the bot's context for lws */
	void *loops[1];
	int in_cb;
};

struct vp_sig_ws {
	struct ws_box *box;
	struct lws *wsi;
	GMainContext *gctx;
	GSource *timer;	  /* connect timeout */
	GSource *starter; /* deferred connect */
	char *host, *path, *subprotocol;
	uint16_t port;
	bool tls, insecure;
	bool open, closing, done;
	bool discard;	/* dropping the rest of an oversized message */
	int close_code; /* 0, or the RFC 6455 code to close with */
	bool failed;	/* fail_err/fail_reason hold the first cause */
	int fail_err;
	char fail_reason[192];
	lws_retry_bo_t retry;
	struct vp_sig_txq txq;
	struct vp_sig_rx rx;
	uint64_t connect_timeout_ns;
	unsigned lws_timeout_secs;
	vp_sig_ws_connected_h *connh;
	vp_sig_ws_message_h *msgh;
	vp_sig_ws_closed_h *closeh;
	vp_sig_ws_sent_h *senth;
	void *arg;
};

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		vp_log_warn("lws error: %.*s", (int)n, line);
	else
		vp_log_debug("lws: %.*s", (int)n, line);
}

static void lws_log_setup(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
}

static void source_kill(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static void box_free(struct ws_box *box)
{
	if (box->lctx)
		lws_context_destroy(box->lctx);
	if (box->gloop)
		g_main_loop_unref(box->gloop);
	free(box);
}

static gboolean box_free_idle(gpointer data)
{
	box_free(data);
	return G_SOURCE_REMOVE;
}

static void ws_destroy(void *data)
{
	struct vp_sig_ws *ws = data;
	struct ws_box *box = ws->box;

	source_kill(&ws->timer);
	source_kill(&ws->starter);
	if (box) {
		box->ws = NULL;
		if (box->in_cb) {
			/* inside an lws callback: the context must outlive it
			 */
			GSource *s = g_idle_source_new();

			g_source_set_callback(s, box_free_idle, box, NULL);
			g_source_attach(s, ws->gctx);
			g_source_unref(s);
		} else {
			box_free(box);
		}
	}
	vp_sig_txq_flush(&ws->txq);
	vp_sig_rx_free(&ws->rx);
	vp_mem_deref(ws->host);
	vp_mem_deref(ws->path);
	vp_mem_deref(ws->subprotocol);
	if (ws->gctx)
		g_main_context_unref(ws->gctx);
}

/* Report the end once; the handler may destroy ws. */
static void notify_closed(struct vp_sig_ws *ws, int err, const char *reason)
{
	if (ws->done)
		return;
	ws->done = true;
	ws->open = false;
	source_kill(&ws->timer);
	vp_sig_txq_flush(&ws->txq);
	vp_log_info("closed: %s", reason);
	if (ws->closeh)
		ws->closeh(err, reason, ws->arg);
}

static void fail_set(struct vp_sig_ws *ws, int err, const char *reason)
{
	/* the first cause wins, our own close (0) included: lws reports the
	 * socket's end after it, which is not an error then */
	if (ws->failed)
		return;
	ws->failed = true;
	ws->fail_err = err;
	snprintf(ws->fail_reason, sizeof(ws->fail_reason), "%s", reason);
}

/* RFC 6455 §5.5.1: a close frame carries a 2-byte code and a UTF-8 reason */
static void peer_close(struct vp_sig_ws *ws, const uint8_t *in, size_t len)
{
	char r[100];
	unsigned code = len >= 2 ? (unsigned)(in[0] << 8 | in[1]) : 1005;
	size_t rn = len > 2 ? len - 2 : 0;

	if (rn > 60)
		rn = 60;
	snprintf(r, sizeof(r), "closed by server (%u%s%.*s)", code,
		 rn ? ": " : "", (int)rn, rn ? (const char *)in + 2 : "");
	fail_set(ws, ECONNRESET, r);
}

static int on_receive(struct vp_sig_ws *ws, struct lws *wsi, const void *in,
		      size_t len)
{
	bool last = lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi);
	struct ws_box *box;
	bool done = false;
	int e;

	if (ws->discard) {
		/* the rest of an oversized message: drop it, then close */
		if (last) {
			ws->discard = false;
			ws->closing = true;
			lws_callback_on_writable(wsi);
		}
		return 0;
	}
	e = vp_sig_rx_add(&ws->rx, in, len, last, &done);
	if (e == EMSGSIZE) {
		/* RFC 6455 §7.4.1: 1009 = message too big to process. Not by
		 * returning -1 here: libwebsockets 4.1.6 writes past its rx
		 * buffer when a client callback fails mid-message (seen under
		 * ASan); finish the message, then close from WRITEABLE. */
		fail_set(ws, EMSGSIZE, "message too large");
		vp_sig_rx_reset(&ws->rx);
		ws->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
		if (last) {
			ws->closing = true;
			lws_callback_on_writable(wsi);
		} else {
			ws->discard = true;
		}
		return 0;
	}
	if (e) {
		fail_set(ws, e, "out of memory");
		return -1;
	}
	if (!done)
		return 0;
	box = ws->box; /* the handler may free ws; the box outlives it */
	if (ws->msgh)
		ws->msgh(ws->rx.buf, ws->rx.len, ws->arg);
	if (box && box->ws)
		vp_sig_rx_reset(&ws->rx);
	return 0;
}

static int on_writable(struct vp_sig_ws *ws, struct lws *wsi)
{
	struct vp_sig_txmsg *m = vp_sig_txq_peek(&ws->txq);
	size_t len;
	bool bin;

	if (!m || ws->close_code) {
		if (ws->closing) {
			static const char big[] = "message too large";

			if (ws->close_code)
				lws_close_reason(wsi, ws->close_code,
						 (unsigned char *)big,
						 sizeof(big) - 1);
			else
				lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
						 NULL, 0);
			fail_set(ws, 0, "closed by us");
			return -1;
		}
		return 0;
	}
	len = m->len;
	bin = m->binary;
	if (lws_write(wsi, m->buf + LWS_PRE, len,
		      bin ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)len) {
		fail_set(ws, ECONNRESET, "write failed");
		return -1;
	}
	vp_sig_txq_pop(&ws->txq);
	if (vp_sig_txq_peek(&ws->txq) || ws->closing)
		lws_callback_on_writable(wsi);
	if (ws->senth) /* may queue more, close, or destroy ws */
		ws->senth(len, bin, ws->arg);
	return 0;
}

/*
 * The wsi is gone, or about to be freed by lws: forget it first, so that no
 * path (our connect timer, close, send) can reach it again, then report.
 * lws ends a client connection through more than one callback:
 * CLIENT_CONNECTION_ERROR, CLIENT_CLOSED, and CLOSED_CLIENT_HTTP when its
 * own timeout drops a connection still waiting for the 101 (it used to go
 * unnoticed here, and our connect timer then called lws_set_timeout() on
 * the freed wsi: the SIGSEGV seen with 100 bots on a busy machine).
 * WSI_DESTROY comes last on every path, so nothing can slip through.
 */
static void wsi_gone(struct vp_sig_ws *ws, int err, const char *reason)
{
	ws->wsi = NULL;
	fail_set(ws, err, reason);
	notify_closed(ws, ws->fail_err, ws->fail_reason);
}

static int dispatch(struct vp_sig_ws *ws, struct lws *wsi,
		    enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	char r[160];

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		source_kill(&ws->timer);
		ws->open = true;
		vp_log_info("connected to %s:%u", ws->host, ws->port);
		if (vp_sig_txq_peek(&ws->txq) || ws->closing)
			lws_callback_on_writable(wsi);
		if (ws->connh)
			ws->connh(ws->arg);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(ws, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(ws, wsi);
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* user: the X509_STORE_CTX, len: preverify_ok. Keep OpenSSL's
		 * verdict (return 0 without touching the error), but keep its
		 * reason too, so the error the user sees names it. */
		if (!len && user) {
			int e = X509_STORE_CTX_get_error(user);

			snprintf(r, sizeof(r),
				 "TLS: server certificate not trusted: %s",
				 X509_verify_cert_error_string(e));
			fail_set(ws, EPROTO, r);
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		peer_close(ws, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(r, sizeof(r), "connect to %s:%u failed: %.100s",
			 ws->host, ws->port, in ? (const char *)in : "?");
		wsi_gone(ws, ECONNRESET, r);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		wsi_gone(ws, ECONNRESET,
			 ws->open ? "connection lost"
				  : "connection lost during the handshake");
		return 0;
	default:
		return 0;
	}
}

/* Callbacks about some other wsi of the context (lws's own event pipe):
 * not ours to act on. WSI_DESTROY only counts for our connection. */
static bool ours(const struct vp_sig_ws *ws, const struct lws *wsi,
		 enum lws_callback_reasons reason)
{
	if (reason == LWS_CALLBACK_WSI_DESTROY ||
	    reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP)
		return ws->wsi && wsi == ws->wsi;
	return !(ws->wsi && wsi != ws->wsi &&
		 reason >= LWS_CALLBACK_CLIENT_CONNECTION_ERROR &&
		 reason <= LWS_CALLBACK_CLIENT_WRITEABLE);
}

static int lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		  void *in, size_t len)
{
	struct lws_context *lctx = lws_get_context(wsi);
	struct ws_box *box = lctx ? lws_context_user(lctx) : NULL;
	int ret;

	if (!box || !box->ws) {
		/* object gone: only let lws finish tearing down */
		return reason == LWS_CALLBACK_CLIENT_RECEIVE ||
				       reason == LWS_CALLBACK_CLIENT_WRITEABLE
			       ? -1
			       : 0;
	}
	if (!ours(box->ws, wsi, reason))
		return 0;
	box->in_cb++;
	ret = dispatch(box->ws, wsi, reason, user, in, len);
	box->in_cb--;
	/* the handler may have destroyed the object */
	if (!box->ws && (reason == LWS_CALLBACK_CLIENT_RECEIVE ||
			 reason == LWS_CALLBACK_CLIENT_ESTABLISHED ||
			 reason == LWS_CALLBACK_CLIENT_WRITEABLE))
		return -1;
	return ret;
}

static const struct lws_protocols protocols[] = {
	{"vp-sig", lws_cb, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static gboolean connect_timeout(gpointer data)
{
	struct vp_sig_ws *ws = data;

	g_source_unref(ws->timer);
	ws->timer = NULL;
	if (ws->wsi)
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
	notify_closed(ws, ETIMEDOUT, "connect timeout");
	return G_SOURCE_REMOVE;
}

static gboolean connect_start(gpointer data)
{
	struct vp_sig_ws *ws = data;
	struct ws_box *box = ws->box;
	struct lws_client_connect_info ci;
	char r[160];
	bool ok;

	g_source_unref(ws->starter);
	ws->starter = NULL;
	memset(&ci, 0, sizeof(ci));
	ci.context = ws->box->lctx;
	ci.address = ws->host;
	ci.port = ws->port;
	ci.path = ws->path;
	ci.host = ws->host;
	ci.origin = ws->host;
	ci.protocol = ws->subprotocol;
	ci.local_protocol_name = protocols[0].name;
	ci.retry_and_idle_policy = &ws->retry;
	ci.pwsi = &ws->wsi;
	if (ws->tls) {
		ci.ssl_connection = LCCSCF_USE_SSL;
		if (ws->insecure)
			ci.ssl_connection |=
				LCCSCF_ALLOW_SELFSIGNED |
				LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
				LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	ws->timer =
		g_timeout_source_new((guint)(ws->connect_timeout_ns / VP_MSEC));
	g_source_set_callback(ws->timer, connect_timeout, ws, NULL);
	g_source_attach(ws->timer, ws->gctx);
	/* a handler run from inside the call may destroy ws: keep the box,
	 * which outlives it while in_cb is set */
	box->in_cb++;
	ok = lws_client_connect_via_info(&ci) != NULL;
	box->in_cb--;
	if (!box->ws)
		return G_SOURCE_REMOVE;
	if (!ok) {
		/* lws freed the wsi it may have stored through pwsi */
		ws->wsi = NULL;
		snprintf(r, sizeof(r), "connect to %s:%u failed", ws->host,
			 ws->port);
		notify_closed(ws, ECONNRESET, r);
	}
	return G_SOURCE_REMOVE;
}

static int context_create(struct vp_sig_ws *ws, const char *ca_file)
{
	struct lws_context_creation_info info;
	struct ws_box *box = vp_calloc(1, sizeof(*box));

	if (!box)
		return ENOMEM;
	box->ws = ws;
	box->gloop = g_main_loop_new(ws->gctx, FALSE);
	box->loops[0] = box->gloop;
	ws->box = box;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_GLIB;
	if (ws->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = box->loops;
	info.user = box;
	/* lws's own connect-phase timeouts (TCP connect, TLS, waiting for the
	 * 101: 5 s by default) must not end a connection before our timer,
	 * which is the operator's --join-timeout */
	info.timeout_secs = ws->lws_timeout_secs;
	info.connect_timeout_secs = info.timeout_secs;
	/* lws sizes its fd table from this; the default is RLIMIT_NOFILE */
	info.fd_limit_per_thread = 16;
	if (ws->tls && !ws->insecure && ca_file)
		info.client_ssl_ca_filepath = ca_file;
	else if (ws->tls && !ws->insecure && access(CA_BUNDLE, R_OK) == 0)
		info.client_ssl_ca_filepath = CA_BUNDLE;
	box->lctx = lws_create_context(&info);
	if (!box->lctx) {
		vp_log_err(
			"libwebsockets: cannot create a context (glib evlib)");
		return EPROTO;
	}
	return 0;
}

static int ws_setup(struct vp_sig_ws *ws, const struct vp_sig_ws_cfg *cfg)
{
	ws->gctx = g_main_context_ref(
		cfg->ctx ? cfg->ctx : g_main_context_ref_thread_default());
	if (!cfg->ctx) /* ref_thread_default already took one */
		g_main_context_unref(ws->gctx);
	ws->host = vp_mem_strdup(cfg->host);
	ws->path = vp_mem_strdup(cfg->path ? cfg->path : "/");
	ws->subprotocol =
		cfg->subprotocol ? vp_mem_strdup(cfg->subprotocol) : NULL;
	if (!ws->host || !ws->path || (cfg->subprotocol && !ws->subprotocol))
		return ENOMEM;
	ws->port = cfg->port;
	ws->tls = cfg->tls;
	ws->insecure = cfg->insecure;
	ws->rx.max = cfg->max_msg ? cfg->max_msg : VP_SIG_WS_MAX_MSG;
	ws->txq.max_count = cfg->queue_max_count ? cfg->queue_max_count : 256;
	ws->txq.max_bytes =
		cfg->queue_max_bytes ? cfg->queue_max_bytes : 1024 * 1024;
	ws->txq.pre = LWS_PRE;
	ws->connect_timeout_ns =
		cfg->connect_timeout_ns ? cfg->connect_timeout_ns : 10 * VP_SEC;
	ws->lws_timeout_secs =
		cfg->lws_timeout_secs
			? cfg->lws_timeout_secs
			: (unsigned)(ws->connect_timeout_ns / VP_SEC) + 5;
	/* lws pings after secs_since_valid_ping of silence and hangs up after
	 * secs_since_valid_hangup without a valid pong */
	ws->retry.secs_since_valid_ping =
		(uint16_t)(cfg->ping_secs ? cfg->ping_secs : 20);
	ws->retry.secs_since_valid_hangup =
		(uint16_t)(ws->retry.secs_since_valid_ping * 5 / 2);
	return 0;
}

int vp_sig_ws_alloc(struct vp_sig_ws **wsp, const struct vp_sig_ws_cfg *cfg,
		    vp_sig_ws_connected_h *connh, vp_sig_ws_message_h *msgh,
		    vp_sig_ws_closed_h *closeh, void *arg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct vp_sig_ws *ws;
	int err;

	if (!wsp || !cfg || !cfg->host || !cfg->port)
		return EINVAL;
	ws = vp_mem_zalloc(sizeof(*ws), ws_destroy);
	if (!ws)
		return ENOMEM;
	ws->connh = connh;
	ws->msgh = msgh;
	ws->closeh = closeh;
	ws->arg = arg;
	err = ws_setup(ws, cfg);
	if (err)
		goto out;
	pthread_once(&once, lws_log_setup);
	err = context_create(ws, cfg->ca_file);
	if (err)
		goto out;
	/* connect from the loop, so no handler runs before we return */
	ws->starter = g_idle_source_new();
	g_source_set_callback(ws->starter, connect_start, ws, NULL);
	g_source_attach(ws->starter, ws->gctx);
out:
	if (err)
		vp_mem_deref(ws);
	else
		*wsp = ws;
	return err;
}

static int send_any(struct vp_sig_ws *ws, const void *data, size_t len,
		    bool binary)
{
	int err;

	if (!ws || !data)
		return EINVAL;
	if (ws->done || ws->closing)
		return ECONNRESET;
	err = vp_sig_txq_push(&ws->txq, data, len);
	if (err == ENOBUFS)
		vp_log_warn("send queue full (%zu messages, %zu bytes)",
			    ws->txq.count, ws->txq.bytes);
	if (!err)
		ws->txq.tail->binary = binary;
	if (!err && ws->open && ws->wsi)
		lws_callback_on_writable(ws->wsi);
	return err;
}

int vp_sig_ws_send(struct vp_sig_ws *ws, const char *text, size_t len)
{
	return send_any(ws, text, len, false);
}

int vp_sig_ws_send_binary(struct vp_sig_ws *ws, const void *data, size_t len)
{
	return send_any(ws, data, len, true);
}

size_t vp_sig_ws_queued(const struct vp_sig_ws *ws)
{
	return ws ? ws->txq.count : 0;
}

void vp_sig_ws_set_senth(struct vp_sig_ws *ws, vp_sig_ws_sent_h *senth)
{
	if (ws)
		ws->senth = senth;
}

void vp_sig_ws_close(struct vp_sig_ws *ws)
{
	if (!ws || ws->done || ws->closing)
		return;
	ws->closing = true;
	if (ws->open && ws->wsi) {
		lws_callback_on_writable(ws->wsi);
		return;
	}
	/* not connected yet: nothing to flush */
	source_kill(&ws->starter);
	if (ws->wsi)
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
	notify_closed(ws, 0, "closed by us");
}

bool vp_sig_ws_is_open(const struct vp_sig_ws *ws)
{
	return ws && ws->open && !ws->done;
}
