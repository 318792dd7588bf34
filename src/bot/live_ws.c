/* SPDX-License-Identifier: MIT */
/**
 * @file live_ws.c  The live output's thread (live.h): a libwebsockets 4.1
 * client context of its own, serviced by lws's default poll loop on this
 * thread only, so neither the net thread (signaling, media) nor the io
 * thread (disk) ever waits on the receiver. The io thread wakes it with
 * lws_cancel_service(), the one lws call documented as safe from another
 * thread.
 *
 * Reconnects: attempt n after a failure waits min(30 s, 0.5 s x 2^(n-1))
 * x U(0.5, 1) (equal jitter, as the webhook); a connection that came up
 * resets n. While there is no connection, queued blocks are discarded and
 * counted, so a receiver that comes back gets live audio, not a backlog.
 */
#define VP_LOG_MODULE "live"
#include "src/bot/live_priv.h"

#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/spsc.h"

#include <errno.h>
#include <libwebsockets.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CA_BUNDLE    "/etc/ssl/certs/ca-certificates.crt"
#define BACKOFF_BASE 0.5  /* s */
#define BACKOFF_CAP  30.0 /* s */
#define PCM_CAP	     (LIVE_MSG_BLOCKS * VP_IO_MAX_SAMPLES * 2)

struct live_ws {
	struct vp_live *l; /* back pointer: lws callbacks find it here */
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_connect;
	lws_retry_bo_t retry;
	unsigned fails;	   /* attempts since the last connection came up */
	bool hello_due;	   /* the connection's first message */
	bool end_sent;	   /* stopping: {"type":"end"} went out */
	bool quit;	   /* leave the service loop */
	char tls_err[120]; /* why the certificate was refused, this attempt */
	unsigned seed;
};

/* --- Runs on: live thread --- */

static struct live_ws *ws_of(struct lws *wsi)
{
	struct lws_context *c = wsi ? lws_get_context(wsi) : NULL;

	return c ? lws_context_user(c) : NULL;
}

static void connect_now(lws_sorted_usec_list_t *sul);

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
	lws_sul_schedule(w->ctx, 0, &w->sul_connect, connect_now,
			 (lws_usec_t)(d * LWS_US_PER_SEC));
}

static void connect_now(lws_sorted_usec_list_t *sul)
{
	struct live_ws *w = lws_container_of(sul, struct live_ws, sul_connect);
	const struct vp_live_url *u = &w->l->url;
	struct lws_client_connect_info ci;

	if (atomic_load(&w->l->stopping)) {
		w->quit = true;
		return;
	}
	if (w->fails++)
		atomic_fetch_add(&w->l->reconnects, 1);
	w->tls_err[0] = '\0';
	memset(&ci, 0, sizeof(ci));
	ci.context = w->ctx;
	ci.address = u->host;
	ci.port = u->port;
	ci.path = u->path;
	ci.host = u->host;
	ci.origin = u->host;
	ci.protocol = NULL;
	ci.local_protocol_name = "vp-live";
	ci.retry_and_idle_policy = &w->retry;
	ci.pwsi = &w->wsi;
	if (u->tls)
		ci.ssl_connection = LCCSCF_USE_SSL;
	if (!lws_client_connect_via_info(&ci)) {
		w->wsi = NULL;
		vp_live__set_error(w->l, "connect to %s failed", u->origin);
		schedule_connect(w);
	}
}

static int write_text(struct lws *wsi, const char *txt)
{
	unsigned char buf[LWS_PRE + 512];
	size_t n = strlen(txt);

	if (n > sizeof(buf) - LWS_PRE)
		return -1;
	memcpy(buf + LWS_PRE, txt, n);
	return lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1
									 : 0;
}

static int send_hello(struct live_ws *w, struct lws *wsi)
{
	json_t *o =
		json_pack("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 1,
			  "meeting", w->l->meeting, "format", "s16le");
	char *txt = o ? vp_json_dumps(o, JSON_COMPACT) : NULL;
	int r = txt ? write_text(wsi, txt) : -1;

	json_decref(o);
	free(txt);
	return r;
}

static int on_writable(struct live_ws *w, struct lws *wsi)
{
	struct vp_live *l = w->l;
	size_t n;

	if (w->hello_due) {
		w->hello_due = false;
		if (send_hello(w, wsi))
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	n = vp_live__pack(l);
	if (n) {
		if (lws_write(wsi, l->msg + l->msg_pre, n, LWS_WRITE_BINARY) <
		    (int)n) {
			vp_live__set_error(l, "write failed");
			return -1;
		}
		atomic_fetch_add(&l->messages, 1);
		atomic_fetch_add(&l->bytes, n);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (atomic_load(&l->stopping) && !w->end_sent) {
		w->end_sent = true;
		if (write_text(wsi, "{\"type\":\"end\"}"))
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (w->end_sent) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	return 0;
}

static void gone(struct live_ws *w, const char *why)
{
	bool was = atomic_exchange(&w->l->connected, false);

	w->wsi = NULL;
	if (why && w->tls_err[0]) /* OpenSSL's reason, not lws's summary */
		why = w->tls_err;
	if (why)
		vp_live__set_error(w->l, "%s: %s", w->l->url.origin, why);
	if (was || why)
		vp_log_info("live: %s %s", w->l->url.origin,
			    why ? why : "closed");
	if (w->end_sent || atomic_load(&w->l->stopping)) {
		w->quit = true;
		return;
	}
	vp_live__discard(w->l);
	schedule_connect(w);
}

static void on_cancel(struct live_ws *w)
{
	atomic_store(&w->l->kicked, false);
	if (atomic_load(&w->l->abort)) {
		w->quit =
			true; /* the context's destruction closes the socket */
		return;
	}
	if (w->wsi && atomic_load(&w->l->connected)) {
		lws_callback_on_writable(w->wsi);
		return;
	}
	vp_live__discard(w->l); /* nobody to send to: stay live, count */
	if (atomic_load(&w->l->stopping) && !w->wsi)
		w->quit = true;
}

static int dispatch(struct live_ws *w, struct lws *wsi,
		    enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		on_cancel(w);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		w->fails = 0;
		w->hello_due = true;
		w->l->msg_seq = 0; /* seq counts this connection's messages */
		atomic_store(&w->l->connected, true);
		atomic_fetch_add(&w->l->connects, 1);
		vp_log_info("live: connected to %s", w->l->url.origin);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(w, wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return 0; /* the receiver has nothing to say to us */
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* user: the X509_STORE_CTX, len: preverify_ok; keep the
		 * verdict, note the reason (as protocols/sig/ws.c) */
		if (!len && user)
			snprintf(w->tls_err, sizeof(w->tls_err),
				 "TLS: server certificate not trusted: %s",
				 X509_verify_cert_error_string(
					 X509_STORE_CTX_get_error(user)));
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi == w->wsi || !w->wsi)
			gone(w, in ? (const char *)in : "connect failed");
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (wsi == w->wsi)
			gone(w, w->end_sent ? NULL : "connection lost");
		return 0;
	default:
		return 0;
	}
}

static int lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		  void *in, size_t len)
{
	struct live_ws *w = ws_of(wsi);

	return w ? dispatch(w, wsi, reason, user, in, len) : 0;
}

static const struct lws_protocols protocols[] = {
	{"vp-live", lws_cb, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws's own log lines, into ours (the same as protocols/sig/ws.c does:
 * the level is global to the process) */
static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		vp_log_warn("live: lws error: %.*s", (int)n, line);
	else
		vp_log_debug("live: lws: %.*s", (int)n, line);
}

int vp_live__ws_create(struct vp_live *l)
{
	struct lws_context_creation_info info;
	struct live_ws *w = vp_calloc(1, sizeof(*w));

	if (!w)
		return ENOMEM;
	w->l = l;
	w->seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)w;
	w->retry.secs_since_valid_ping = 20;
	w->retry.secs_since_valid_hangup = 50;
	l->ws = w;
	l->msg_pre = LWS_PRE;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = w;
	info.fd_limit_per_thread = 8;
	if (l->url.tls) {
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = l->ca ? l->ca : CA_BUNDLE;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		vp_log_err("live: libwebsockets: cannot create a context");
		return EPROTO;
	}
	return 0;
}

void vp_live__ws_kick(struct vp_live *l)
{
	if (l->ws && l->ws->ctx && !atomic_exchange(&l->kicked, true))
		lws_cancel_service(l->ws->ctx);
}

void *vp_live__ws_main(void *arg)
{
	struct vp_live *l = arg;
	struct live_ws *w = l->ws;

	lws_sul_schedule(w->ctx, 0, &w->sul_connect, connect_now, 1);
	/* vp_live_finish() bounds the end: it sets abort and wakes us */
	while (!w->quit && !(atomic_load(&l->stopping) && !w->wsi))
		if (lws_service(w->ctx, 0) < 0)
			break;
	vp_live__discard(l);
	return NULL;
}

void vp_live__ws_destroy(struct vp_live *l)
{
	struct live_ws *w = l->ws;

	if (!w)
		return;
	if (w->ctx) {
		lws_sul_cancel(&w->sul_connect);
		lws_context_destroy(w->ctx);
	}
	free(w);
	l->ws = NULL;
}
