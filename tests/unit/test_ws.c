/* SPDX-License-Identifier: MIT */
/** @file test_ws.c  protocols/sig/ws.c against hostile or dying servers
 *  on 127.0.0.1: every way a connection can end before or during the
 *  WebSocket handshake reports once, promptly, with the right errno, and
 *  nothing touches the connection afterwards (run under ASan in the
 *  sanitizer build: a use after close is a crash there). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "protocols/sig/ws.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

enum srv_mode {
	SRV_CLOSE_AFTER_REQUEST, /* read the upgrade request, hang up */
	SRV_SILENT,		 /* accept, read, never answer */
	SRV_HTTP_ERROR,		 /* answer 503, hang up */
	SRV_HALF_REPLY,		 /* half a 101 status line, hang up */
	SRV_RESET,		 /* accept and reset at once (SO_LINGER 0) */
};

struct srv {
	int lfd;
	uint16_t port;
	enum srv_mode mode;
	pthread_t th;
	int stop[2]; /* pipe: the test ends, the server closes its fds */
};

static void read_request(int fd)
{
	char buf[2048];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static void srv_answer(struct srv *s, int fd)
{
	static const char e503[] = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	static const char half[] = "HTTP/1.1 101 Swi";
	struct linger lg = {1, 0};
	char c;

	switch (s->mode) {
	case SRV_RESET:
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		return;
	case SRV_SILENT:
		read_request(fd);
		(void)!read(s->stop[0], &c, 1); /* hold it open till the end */
		return;
	case SRV_HTTP_ERROR:
		read_request(fd);
		(void)!write(fd, e503, sizeof(e503) - 1);
		return;
	case SRV_HALF_REPLY:
		read_request(fd);
		(void)!write(fd, half, sizeof(half) - 1);
		return;
	case SRV_CLOSE_AFTER_REQUEST:
	default:
		read_request(fd);
		return;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd >= 0) {
		srv_answer(s, fd);
		close(fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	s->mode = mode;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	VT_TRUE(s->lfd >= 0);
	VT_EQ(0, bind(s->lfd, (struct sockaddr *)&a, sizeof(a)));
	VT_EQ(0, listen(s->lfd, 4));
	VT_EQ(0, getsockname(s->lfd, (struct sockaddr *)&a, &al));
	s->port = ntohs(a.sin_port);
	VT_EQ(0, pipe(s->stop));
	VT_EQ(0, pthread_create(&s->th, NULL, srv_main, s));
}

static void srv_stop(struct srv *s)
{
	close(s->stop[1]);
	shutdown(s->lfd, SHUT_RDWR); /* wakes accept() if nobody came */
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->stop[0]);
}

struct res {
	int closed; /* how many times closedh ran */
	int connected;
	int err;
	uint64_t at_ns;
	struct vp_sig_ws *ws;
	bool deref_in_handler;
};

static void on_conn(void *arg)
{
	((struct res *)arg)->connected++;
}

static void on_msg(const char *t, size_t n, void *arg)
{
	(void)t;
	(void)n;
	(void)arg;
}

static void on_closed(int err, const char *reason, void *arg)
{
	struct res *r = arg;

	(void)reason;
	r->closed++;
	r->err = err;
	r->at_ns = vp_clock_mono_ns();
	if (r->deref_in_handler)
		r->ws = vp_mem_deref(r->ws);
}

/* Iterate ctx for ms milliseconds (or until done turns non-zero). */
static void spin(GMainContext *ctx, unsigned ms, const int *done)
{
	uint64_t end = vp_clock_mono_ns() + ms * VP_MSEC;

	while (vp_clock_mono_ns() < end && !(done && *done))
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

/*
 * Connect to a server in @mode with a 1.5 s connect timeout; return what
 * the handler saw. After the report, the loop runs past the timeout so a
 * timer left behind would fire, then the object goes, then the loop runs
 * again (lws finishes its own teardown from idle sources).
 */
static struct res run_mode_lws(enum srv_mode mode, bool deref_in_handler,
			       unsigned timeout_ms, unsigned lws_secs)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_sig_ws_cfg cfg = {.ctx = ctx,
				    .host = "127.0.0.1",
				    .connect_timeout_ns = timeout_ms * VP_MSEC,
				    .lws_timeout_secs = lws_secs};
	struct res r = {.deref_in_handler = deref_in_handler};
	struct srv s;
	uint64_t t0;

	srv_start(&s, mode);
	cfg.port = s.port;
	t0 = vp_clock_mono_ns();
	VT_EQ(0, vp_sig_ws_alloc(&r.ws, &cfg, on_conn, on_msg, on_closed, &r));
	spin(ctx, timeout_ms + 8000, &r.closed);
	r.at_ns = r.closed ? r.at_ns - t0 : 0;
	spin(ctx, 2500, NULL);
	r.ws = vp_mem_deref(r.ws);
	spin(ctx, 200, NULL);
	srv_stop(&s);
	g_main_context_unref(ctx);
	return r;
}

static struct res run_mode_to(enum srv_mode mode, bool deref_in_handler,
			      unsigned timeout_ms)
{
	return run_mode_lws(mode, deref_in_handler, timeout_ms, 0);
}

static struct res run_mode(enum srv_mode mode, bool deref_in_handler)
{
	return run_mode_to(mode, deref_in_handler, 1500);
}

/* A hang-up before the 101: reported at once as ECONNRESET, not left
 * for the connect timer to find (which then poked a freed wsi). */
VTEST(ws_server_closes_before_upgrade_reply)
{
	struct res r = run_mode(SRV_CLOSE_AFTER_REQUEST, false);

	VT_EQ(1, r.closed);
	VT_EQ(0, r.connected);
	VT_EQ(ECONNRESET, r.err);
	VT_TRUE(r.at_ns < 1200 * VP_MSEC);
}

VTEST(ws_server_answers_http_error)
{
	struct res r = run_mode(SRV_HTTP_ERROR, false);

	VT_EQ(1, r.closed);
	VT_EQ(ECONNRESET, r.err);
	VT_TRUE(r.at_ns < 1200 * VP_MSEC);
}

VTEST(ws_server_half_reply_then_close)
{
	struct res r = run_mode(SRV_HALF_REPLY, false);

	VT_EQ(1, r.closed);
	VT_EQ(ECONNRESET, r.err);
	VT_TRUE(r.at_ns < 1200 * VP_MSEC);
}

VTEST(ws_server_resets)
{
	struct res r = run_mode(SRV_RESET, true);

	VT_EQ(1, r.closed);
	VT_EQ(ECONNRESET, r.err);
	VT_TRUE(r.at_ns < 1200 * VP_MSEC);
}

/* The server never answers: our own timer ends it with ETIMEDOUT, once,
 * and the connection lws still holds is torn down without us. */
VTEST(ws_server_silent_times_out)
{
	struct res r = run_mode(SRV_SILENT, false);

	VT_EQ(1, r.closed);
	VT_EQ(ETIMEDOUT, r.err);
	VT_TRUE(r.at_ns >= 1400 * VP_MSEC);
}

VTEST(ws_server_silent_deref_in_handler)
{
	struct res r = run_mode(SRV_SILENT, true);

	VT_EQ(1, r.closed);
	VT_EQ(ETIMEDOUT, r.err);
}

/* Longer than libwebsockets' own 5 s wait for the 101: lws must not drop
 * the connection behind our back (it did, and our timer then poked the
 * freed wsi: the SIGSEGV under load). Ours decides, once. */
VTEST(ws_connect_timeout_beyond_lws_default)
{
	struct res r = run_mode_to(SRV_SILENT, false, 7000);

	VT_EQ(1, r.closed);
	VT_EQ(ETIMEDOUT, r.err);
	VT_TRUE(r.at_ns >= 6900 * VP_MSEC);
}

/* lws's own timeout drops the connection while it waits for the 101: we
 * hear of it (CLOSED_CLIENT_HTTP / WSI_DESTROY), report it once, and our
 * connect timer, which fires later, finds nothing to touch. */
VTEST(ws_lws_drops_first)
{
	struct res r = run_mode_lws(SRV_SILENT, false, 3000, 1);

	VT_EQ(1, r.closed);
	VT_EQ(ECONNRESET, r.err);
	VT_TRUE(r.at_ns < 2900 * VP_MSEC);
}
