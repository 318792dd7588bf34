/* SPDX-License-Identifier: MIT */
/**
 * @file server.c  WebSocket server adapter. lws runs inside our GMainContext
 * through its glib event library (as protocols/sig/ws.c does on the
 * client side), so signaling, libnice and the media tick share one thread
 * and no locks. Each connection owns a small send queue; lws_write() is
 * only called from the WRITEABLE callback, as lws requires.
 */
#include "tools/simconf/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "src/core/mem.h"

#define VP_LOG_MODULE "server"
#include "src/core/log.h"

#define MAX_MSG (256 * 1024) /* SIM.md: larger is a protocol error */

struct vp_simconf_server {
	struct lws_context *lctx;
	GMainLoop *gloop;
	void *loops[1];
	vp_simconf_lookup_h *lookup;
	void *arg;
	uint16_t port;
};

struct conn {
	struct lws *wsi;
	struct vp_simconf_server *srv;
	struct vp_simconf_meeting *m; /* NULL before join or after close */
	GQueue txq;		      /* of char * (LWS_PRE + text) */
	char *rx;
	size_t rxlen;
	bool joined, closing, dead;
};

struct pss {
	struct conn *c;
};

static void conn_free(struct conn *c)
{
	char *t;

	while ((t = g_queue_pop_head(&c->txq)))
		free(t);
	free(c->rx);
	free(c);
}

/* --- ops the meetings use --- */

static int op_send(void *arg, const char *text)
{
	struct conn *c = arg;
	size_t n = strlen(text);
	char *b;

	if (c->dead || c->closing)
		return 0;
	b = malloc(LWS_PRE + sizeof(size_t) + n);
	if (!b)
		return ENOMEM;
	memcpy(b, &n, sizeof(n));
	memcpy(b + sizeof(n) + LWS_PRE, text, n);
	g_queue_push_tail(&c->txq, b);
	lws_callback_on_writable(c->wsi);
	return 0;
}

static void op_close(void *arg)
{
	struct conn *c = arg;

	c->m = NULL;
	c->closing = true;
	lws_callback_on_writable(c->wsi);
}

/* No close frame: reset the TCP connection (SO_LINGER 0) */
static void op_drop(void *arg)
{
	struct conn *c = arg;
	struct linger l = {1, 0};
	int fd = lws_get_socket_fd(c->wsi);

	c->m = NULL;
	c->dead = true;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		shutdown(fd, SHUT_RDWR);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void op_freeze(void *arg)
{
	struct conn *c = arg;

	lws_rx_flow_control(c->wsi, 0);
}

static const struct vp_simconf_conn_ops ops = {op_send, op_close, op_drop,
					       op_freeze};

/* --- Runs on: net thread (lws callbacks) --- */

static void on_join(struct conn *c, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "meeting"));
	struct vp_simconf_meeting *m =
		id ? c->srv->lookup(id, c->srv->arg) : NULL;
	json_t *e;
	char *t;

	c->joined = true;
	if (!m) {
		vp_log_info("join for an unknown meeting");
		e = json_pack("{s:s, s:s, s:s, s:b}", "type", "error", "code",
			      "no_such_meeting", "reason", "no such meeting",
			      "permanent", 1);
		t = e ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		if (t)
			op_send(c, t);
		free(t);
		op_close(c);
		return;
	}
	if (vp_simconf_meeting_attach(m, c, &ops, msg) == 0)
		c->m = m;
}

static int on_message(struct conn *c)
{
	json_t *msg = json_loadb(c->rx, c->rxlen, 0, NULL);
	const char *type = json_string_value(json_object_get(msg, "type"));

	c->rxlen = 0;
	if (!json_is_object(msg) || !type) {
		vp_log_warn("a client sent a message that is not a sim "
			    "message: closing");
		json_decref(msg);
		return -1;
	}
	if (!c->joined && !strcmp(type, "join"))
		on_join(c, msg);
	else if (c->m)
		vp_simconf_meeting_msg(c->m, msg);
	json_decref(msg);
	return 0;
}

static int on_receive(struct conn *c, struct lws *wsi, const void *in,
		      size_t len)
{
	char *n;

	if (c->dead)
		return 0;
	if (c->rxlen + len > MAX_MSG) {
		vp_log_warn("a client message is over 256 KiB: closing");
		return -1;
	}
	n = realloc(c->rx, c->rxlen + len + 1);
	if (!n)
		return -1;
	c->rx = n;
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	return on_message(c);
}

static int on_writable(struct conn *c, struct lws *wsi)
{
	char *b = g_queue_pop_head(&c->txq);
	size_t n;
	int r;

	if (c->dead) {
		free(b);
		return 0;
	}
	if (!b) {
		if (!c->closing)
			return 0;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	memcpy(&n, b, sizeof(n));
	r = lws_write(wsi, (unsigned char *)b + sizeof(n) + LWS_PRE, n,
		      LWS_WRITE_TEXT);
	free(b);
	if (r < (int)n)
		return -1;
	if (!g_queue_is_empty(&c->txq) || c->closing)
		lws_callback_on_writable(wsi);
	return 0;
}

static int lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		  void *in, size_t len)
{
	struct pss *ps = user;
	struct lws_context *lctx = lws_get_context(wsi);
	struct vp_simconf_server *srv = lctx ? lws_context_user(lctx) : NULL;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		ps->c = calloc(1, sizeof(*ps->c));
		if (!ps->c)
			return -1;
		ps->c->wsi = wsi;
		ps->c->srv = srv;
		g_queue_init(&ps->c->txq);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return ps->c ? on_receive(ps->c, wsi, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ps->c ? on_writable(ps->c, wsi) : -1;
	case LWS_CALLBACK_CLOSED:
		if (ps->c) {
			if (ps->c->m)
				vp_simconf_meeting_detach(ps->c->m, ps->c);
			conn_free(ps->c);
			ps->c = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{"vpbot-sim", lws_cb, sizeof(struct pss), 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
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

static void server_destroy(void *data)
{
	struct vp_simconf_server *s = data;

	if (s->lctx)
		lws_context_destroy(s->lctx);
	if (s->gloop)
		g_main_loop_unref(s->gloop);
}

int vp_simconf_server_alloc(struct vp_simconf_server **sp,
			    const struct vp_simconf_server_cfg *cfg,
			    vp_simconf_lookup_h *lookup, void *arg)
{
	struct lws_context_creation_info info;
	struct vp_simconf_server *s;

	if (!sp || !cfg || !lookup)
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), server_destroy);
	if (!s)
		return ENOMEM;
	s->lookup = lookup;
	s->arg = arg;
	s->gloop = g_main_loop_new(cfg->ctx, FALSE);
	s->loops[0] = s->gloop;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.port = cfg->port;
	info.iface = cfg->bind;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_GLIB;
	info.foreign_loops = s->loops;
	info.user = s;
	/* 50 bots + listener; lws sizes its fd table from this */
	info.fd_limit_per_thread = 4096;
	s->lctx = lws_create_context(&info);
	if (!s->lctx || !lws_get_vhost_by_name(s->lctx, "default")) {
		vp_log_err("cannot listen on %s:%u", cfg->bind, cfg->port);
		vp_mem_deref(s);
		return EADDRINUSE;
	}
	s->port = (uint16_t)lws_get_vhost_listen_port(
		lws_get_vhost_by_name(s->lctx, "default"));
	*sp = s;
	return 0;
}

uint16_t vp_simconf_server_port(const struct vp_simconf_server *s)
{
	return s->port;
}
