/* SPDX-License-Identifier: MIT */
/**
 * @file sig_janus_probe.c  Drives protocols/sig against a real Janus
 * (run by tests/interop/sig_janus.sh inside a netns).
 *
 *   sig_janus_probe full URL       join, get the publisher and an offer
 *                                  naming it, answer, print READY, then
 *                                  expect participant_left + a renegotiation
 *                                  offer with that stream inactive, leave
 *   sig_janus_probe permanent URL  expect a permanent error (wrong room)
 *   sig_janus_probe transient URL  join, print JOINED, expect a transient
 *                                  error (the script kills Janus)
 * Exit 0 when the expectation held, 1 otherwise; 30 s overall deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/sig/sig.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "probe"
#include "src/core/log.h"

struct probe {
	const char *mode;
	struct vp_sig *sig;
	GMainLoop *loop;
	char pub[64];
	int offers;
	bool left_seen, ok, finished;
};

static void finish(struct probe *p, bool ok, const char *why)
{
	if (p->finished)
		return;
	p->finished = true;
	p->ok = ok;
	printf("%s: %s\n", ok ? "PASS" : "FAIL", why);
	fflush(stdout);
	g_main_loop_quit(p->loop);
}

/* A syntactically valid recvonly answer: one m-line per offered mid. */
static char *make_answer(const char *offer)
{
	GString *s = g_string_new(NULL), *mids = g_string_new(NULL);
	GString *media = g_string_new(NULL);
	const char *m = offer;

	while ((m = strstr(m, "\nm=")) != NULL) {
		const char *next = strstr(m + 1, "\nm=");
		const char *mid = strstr(m, "a=mid:");
		const char *inact = strstr(m, "a=inactive");
		size_t n;

		m++;
		if (!mid || (next && mid > next))
			continue;
		n = strcspn(mid + 6, "\r\n");
		g_string_append_printf(mids, " %.*s", (int)n, mid + 6);
		g_string_append_printf(
			media,
			"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
			"c=IN IP4 0.0.0.0\r\n%s\r\na=mid:%.*s\r\n"
			"a=rtcp-mux\r\na=ice-ufrag:vpbt\r\n"
			"a=ice-pwd:vpbotprobepassword0123456\r\n"
			"a=fingerprint:sha-256 "
			"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
			"a=setup:active\r\na=rtpmap:111 opus/48000/2\r\n",
			inact && (!next || inact < next) ? "a=inactive"
							 : "a=recvonly",
			(int)n, mid + 6);
	}
	g_string_append_printf(s,
			       "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			       "t=0 0\r\na=group:BUNDLE%s\r\n%s",
			       mids->str, media->str);
	g_string_free(mids, TRUE);
	g_string_free(media, TRUE);
	return g_string_free(s, FALSE);
}

static void on_joined(const struct vp_sig_joined *j, void *arg)
{
	struct probe *p = arg;

	printf("joined room=%s self=%s\n", j->room,
	       j->self_id ? j->self_id : "?");
	if (!strcmp(p->mode, "transient"))
		printf("JOINED\n");
	fflush(stdout);
}

static void on_pjoined(const char *id, const char *display,
		       const char *identity, bool consented, void *arg)
{
	struct probe *p = arg;

	printf("participant_joined id=%s display=%s\n", id,
	       display ? display : "");
	fflush(stdout);
	if (!p->pub[0])
		snprintf(p->pub, sizeof(p->pub), "%s", id);
}

static void on_pleft(const char *id, void *arg)
{
	struct probe *p = arg;

	printf("participant_left id=%s\n", id);
	fflush(stdout);
	if (!strcmp(id, p->pub))
		p->left_seen = true;
}

static void on_offer(const struct vp_sig_offer *o, void *arg)
{
	struct probe *p = arg;
	bool named = false, inactive = false;
	char *ans;
	int err;

	for (size_t i = 0; i < o->nstreams; i++) {
		printf("offer %s stream mid=%s participant=%s active=%d\n",
		       o->offer_id, o->streams[i].mid,
		       o->streams[i].participant, o->streams[i].active);
		if (!strcmp(o->streams[i].participant, p->pub)) {
			named = named || o->streams[i].active;
			inactive = inactive || !o->streams[i].active;
		}
	}
	fflush(stdout);
	p->offers++;
	ans = make_answer(o->sdp);
	err = vp_sig_answer(p->sig, o->offer_id, ans);
	g_free(ans);
	if (err) {
		finish(p, false, "answer refused");
		return;
	}
	if (p->offers == 1) {
		if (!named) {
			finish(p, false,
			       "first offer does not name the publisher");
			return;
		}
		printf("READY\n"); /* the script now stops the publisher */
		fflush(stdout);
	} else if (inactive || o->nstreams == 0) {
		printf("renegotiated: publisher stream inactive\n");
		fflush(stdout);
		if (p->left_seen)
			vp_sig_leave(p->sig);
	}
}

static void on_ended(const char *reason, void *arg)
{
	struct probe *p = arg;

	printf("ended: %s\n", reason);
	finish(p,
	       !strcmp(p->mode, "full") && p->left_seen && p->offers >= 2 &&
		       !strcmp(reason, "left"),
	       "ended");
}

static void on_error(enum vp_sig_err_kind kind, const char *reason, void *arg)
{
	struct probe *p = arg;
	bool perm = kind == VP_SIG_ERR_PERMANENT;

	printf("error kind=%s reason=%s\n", perm ? "permanent" : "transient",
	       reason);
	if (!strcmp(p->mode, "permanent"))
		finish(p, perm, "error");
	else if (!strcmp(p->mode, "transient"))
		finish(p, !perm, "error");
	else
		finish(p, false, "unexpected error");
}

static gboolean deadline(gpointer arg)
{
	finish(arg, false, "deadline");
	return G_SOURCE_REMOVE;
}

static gboolean left_check(gpointer arg)
{
	struct probe *p = arg;

	/* the renegotiation offer may come before participant_left */
	if (!strcmp(p->mode, "full") && p->left_seen && p->offers >= 2 &&
	    !p->finished)
		vp_sig_leave(p->sig);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	static const struct vp_sig_handler h = {
		.joined = on_joined,
		.participant_joined = on_pjoined,
		.participant_left = on_pleft,
		.offer = on_offer,
		.ended = on_ended,
		.error = on_error,
	};
	struct probe p = {0};
	struct vp_invite inv;
	struct vp_sig_cfg cfg = {0};
	GMainContext *ctx;
	char err[128];
	int e;

	if (argc != 3) {
		fprintf(stderr, "usage: %s full|permanent|transient URL\n",
			argv[0]);
		return 2;
	}
	vp_log_set_level(VP_LOG_DEBUG);
	p.mode = argv[1];
	if (vp_invite_parse(&inv, argv[2], err, sizeof(err))) {
		fprintf(stderr, "invite: %s\n", err);
		return 2;
	}
	ctx = g_main_context_new();
	p.loop = g_main_loop_new(ctx, FALSE);
	cfg.ctx = ctx;
	cfg.connect_timeout_ns = 5000000000ULL;
	e = vp_sig_alloc(&p.sig, &cfg, &inv, &h, &p);
	if (!e)
		e = vp_sig_join(p.sig, "vpbot-probe");
	if (e) {
		fprintf(stderr, "sig: %s\n", strerror(e));
		return 1;
	}
	GSource *t = g_timeout_source_new_seconds(30);
	g_source_set_callback(t, deadline, &p, NULL);
	g_source_attach(t, ctx);
	GSource *lc = g_timeout_source_new(200);
	g_source_set_callback(lc, left_check, &p, NULL);
	g_source_attach(lc, ctx);
	g_main_loop_run(p.loop);
	g_source_destroy(t);
	g_source_unref(t);
	g_source_destroy(lc);
	g_source_unref(lc);
	p.sig = vp_mem_deref(p.sig);
	/* let deferred teardown (lws context) run */
	for (int i = 0; i < 50 && g_main_context_iteration(ctx, FALSE); i++)
		;
	g_main_loop_unref(p.loop);
	g_main_context_unref(ctx);
	return p.ok ? 0 : 1;
}
