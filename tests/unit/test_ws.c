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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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
	SRV_OVERSIZED,		 /* upgrade, send 1 MiB in one frame */
	SRV_RECORD,		 /* upgrade, note the client's frames */
	SRV_HELLO,		 /* upgrade, send "hi", hold it open */
};

#define REC_MAX 8

struct srv {
	int lfd;
	uint16_t port;
	enum srv_mode mode;
	pthread_t th;
	int stop[2];	/* pipe: the test ends, the server closes its fds */
	int close_code; /* SRV_OVERSIZED: the client's close code, or -1 */
	int nrec;	/* SRV_RECORD: frames before the close */
	int rec_op[REC_MAX];
	size_t rec_len[REC_MAX];
	bool rec_ok[REC_MAX]; /* payload as the test sends it */
};

static void read_request_into(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	buf[0] = 0;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static void read_request(int fd)
{
	char buf[2048];

	read_request_into(fd, buf, sizeof(buf));
}

static bool read_all(int fd, uint8_t *b, size_t n)
{
	ssize_t r;

	for (size_t got = 0; got < n; got += (size_t)r)
		if ((r = read(fd, b + got, n - got)) <= 0)
			return false;
	return true;
}

/* RFC 6455 §4.2.2: accept = base64(SHA-1(key + GUID)); 101 on @fd. */
static bool ws_upgrade(int fd)
{
	char req[4096], key[64], rsp[256];
	const char *k;
	guint8 dig[20];
	gsize dl = sizeof(dig);
	GChecksum *c;
	gchar *acc;
	int n;

	read_request_into(fd, req, sizeof(req));
	k = strcasestr(req, "Sec-WebSocket-Key:");
	if (!k || sscanf(k + 18, " %63[^\r\n]", key) != 1)
		return false;
	c = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(c, (const guchar *)key, (gssize)strlen(key));
	g_checksum_update(
		c, (const guchar *)"258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
	g_checksum_get_digest(c, dig, &dl);
	g_checksum_free(c);
	acc = g_base64_encode(dig, dl);
	n = snprintf(rsp, sizeof(rsp),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
		     "\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s"
		     "\r\n\r\n",
		     acc);
	g_free(acc);
	return send(fd, rsp, (size_t)n, MSG_NOSIGNAL) == n;
}

/* One text frame of 1 MiB (the client's cap is far lower), written
 * while the client reads; then the client's frames up to its close:
 * its status code, or -1 when the connection ended without one. */
static int send_oversized(int fd)
{
	enum { BIG = 1 << 20 };
	uint8_t *f = calloc(1, 10 + BIG), h[14], pl[128];
	struct timeval tv = {.tv_sec = 15};
	int code = -1;

	if (!f)
		return -1;
	f[0] = 0x81; /* FIN, text */
	f[1] = 127;
	for (int i = 0; i < 8; i++)
		f[2 + i] = (uint8_t)((uint64_t)BIG >> (56 - 8 * i));
	memset(f + 10, 'x', BIG);
	f[10] = '"';
	(void)!send(fd, f, 10 + BIG, MSG_NOSIGNAL);
	free(f);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (read_all(fd, h, 2)) {
		size_t len = h[1] & 0x7f;

		if (len > 125 || !(h[1] & 0x80) || !read_all(fd, h + 2, 4) ||
		    !read_all(fd, pl, len))
			break; /* client frames here are short and masked */
		for (size_t i = 0; i < len; i++)
			pl[i] ^= h[2 + i % 4];
		if ((h[0] & 0x0f) == 0x8) {
			code = len >= 2 ? pl[0] << 8 | pl[1] : 0;
			break;
		}
	}
	return code;
}

/* One masked client frame (RFC 6455 §5.2), payload up to 64 KiB. */
static bool read_frame(int fd, int *op, uint8_t *pl, size_t cap, size_t *lenp)
{
	uint8_t h[8], mask[4];
	size_t len;

	if (!read_all(fd, h, 2) || !(h[1] & 0x80))
		return false;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (!read_all(fd, h + 2, 2))
			return false;
		len = (size_t)h[2] << 8 | h[3];
	}
	if (len > cap || len == 127 || !read_all(fd, mask, 4) ||
	    !read_all(fd, pl, len))
		return false;
	for (size_t i = 0; i < len; i++)
		pl[i] ^= mask[i % 4];
	*op = h[0] & 0x0f;
	*lenp = len;
	return true;
}

/* The test's messages: binary i % 251 for i < len, or the text "end". */
static bool payload_ok(int op, const uint8_t *pl, size_t len)
{
	if (op == 1)
		return len == 3 && !memcmp(pl, "end", 3);
	for (size_t i = 0; i < len; i++)
		if (pl[i] != i % 251)
			return false;
	return op == 2;
}

static void record(struct srv *s, int fd)
{
	static uint8_t pl[65536];
	struct timeval tv = {.tv_sec = 15};
	size_t len;
	int op;

	s->close_code = -2;
	if (!ws_upgrade(fd))
		return;
	s->close_code = -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (s->nrec < REC_MAX && read_frame(fd, &op, pl, sizeof(pl), &len)) {
		if (op == 0x8) {
			s->close_code = len >= 2 ? pl[0] << 8 | pl[1] : 0;
			return;
		}
		s->rec_op[s->nrec] = op;
		s->rec_len[s->nrec] = len;
		s->rec_ok[s->nrec++] = payload_ok(op, pl, len);
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
	case SRV_OVERSIZED:
		s->close_code = ws_upgrade(fd) ? send_oversized(fd) : -2;
		return;
	case SRV_RECORD:
		record(s, fd);
		return;
	case SRV_HELLO:
		if (ws_upgrade(fd))
			(void)!write(fd, "\x81\x02hi", 4);
		(void)!read(s->stop[0], &c, 1);
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
	int msgs;	/* messages delivered */
	int close_code; /* what the server saw (SRV_OVERSIZED) */
};

static void on_conn(void *arg)
{
	((struct res *)arg)->connected++;
}

static void on_msg(const char *t, size_t n, void *arg)
{
	(void)t;
	(void)n;
	struct res *r = arg;

	r->msgs++;
	if (r->deref_in_handler && r->ws) { /* the owner is done with it */
		r->ws = vp_mem_deref(r->ws);
		r->closed++;
	}
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
				    .lws_timeout_secs = lws_secs,
				    .max_msg = 64 * 1024};
	struct res r = {.deref_in_handler = deref_in_handler};
	struct srv s = {0};
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
	r.close_code = s.close_code;
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
/* The message handler may free the socket it was called from (the bot
 * ends on a message): nothing of it is read afterwards (ASan). */
VTEST(ws_message_handler_frees_the_socket)
{
	struct res r = run_mode(SRV_HELLO, true);

	VT_EQ(1, r.connected);
	VT_EQ(1, r.msgs);
	VT_EQ(1, r.closed);
}

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

/* A message over the cap, in one 1 MiB frame: the client reads the frame
 * to its end (lws 4.1.6 wrote past its rx buffer when the receive
 * callback failed mid-message), delivers nothing, closes with 1009, and
 * reports EMSGSIZE once. */
VTEST(ws_oversized_message_drained_then_1009)
{
	struct res r = run_mode(SRV_OVERSIZED, false);

	VT_EQ(1, r.connected);
	VT_EQ(1, r.closed);
	VT_EQ(EMSGSIZE, r.err);
	VT_EQ(0, r.msgs);
	VT_EQ(1009, r.close_code);
}

/* What the live audio output needs: a binary message and a text one,
 * queued before the connection is up, sent in order; the sent handler
 * hears of each as it is written; close flushes, then 1000, and closedh
 * says 0 (our own close). */
static uint8_t bin_msg[1000];
static int sent_bin, sent_text;

static void on_sent(size_t len, bool binary, void *arg)
{
	(void)arg;
	if (binary && len == sizeof(bin_msg))
		sent_bin++;
	else if (!binary && len == 3)
		sent_text++;
}

VTEST(ws_binary_and_text_in_order_then_clean_close)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_sig_ws_cfg cfg = {.ctx = ctx, .host = "127.0.0.1"};
	struct res r = {0};
	struct srv s = {0};

	for (size_t i = 0; i < sizeof(bin_msg); i++)
		bin_msg[i] = (uint8_t)(i % 251);
	sent_bin = sent_text = 0;
	srv_start(&s, SRV_RECORD);
	cfg.port = s.port;
	VT_EQ(0, vp_sig_ws_alloc(&r.ws, &cfg, on_conn, on_msg, on_closed, &r));
	vp_sig_ws_set_senth(r.ws, on_sent);
	VT_EQ(0, vp_sig_ws_send_binary(r.ws, bin_msg, sizeof(bin_msg)));
	VT_EQ(0, vp_sig_ws_send(r.ws, "end", 3));
	VT_EQ(2, vp_sig_ws_queued(r.ws));
	spin(ctx, 10000, &r.connected);
	VT_EQ(1, r.connected);
	vp_sig_ws_close(r.ws);
	VT_EQ(ECONNRESET, vp_sig_ws_send(r.ws, "late", 4));
	spin(ctx, 10000, &r.closed);
	VT_EQ(1, r.closed);
	VT_EQ(0, r.err);
	VT_EQ(1, sent_bin);
	VT_EQ(1, sent_text);
	r.ws = vp_mem_deref(r.ws);
	spin(ctx, 200, NULL);
	srv_stop(&s);
	VT_EQ(2, s.nrec);
	VT_EQ(2, s.rec_op[0]);
	VT_EQ(sizeof(bin_msg), s.rec_len[0]);
	VT_TRUE(s.rec_ok[0]);
	VT_EQ(1, s.rec_op[1]);
	VT_TRUE(s.rec_ok[1]);
	VT_EQ(1000, s.close_code);
	g_main_context_unref(ctx);
}
