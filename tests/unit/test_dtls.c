/* SPDX-License-Identifier: MIT */
/** @file test_dtls.c  Two in-process DTLS endpoints wired back to back. */
#include "protocols/dtls/cert.h"
#include "protocols/dtls/dtls.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>

#define MAXQ 64

/* one side: its endpoint and the datagrams it has sent, not yet delivered */
struct side {
	struct vp_dtls *d;
	struct {
		uint8_t b[1500];
		size_t n;
	} q[MAXQ];
	unsigned nq, sent, drop;
	enum vp_dtls_state st;
	char reason[64];
	unsigned nstate;
};

static void on_send(const uint8_t *buf, size_t len, void *arg)
{
	struct side *s = arg;

	s->sent++;
	if (s->drop) { /* the network loses it */
		s->drop--;
		return;
	}
	if (s->nq < MAXQ && len <= sizeof(s->q[0].b)) {
		memcpy(s->q[s->nq].b, buf, len);
		s->q[s->nq++].n = len;
	}
}

static void on_state(enum vp_dtls_state st, const char *reason, void *arg)
{
	struct side *s = arg;

	s->st = st;
	s->nstate++;
	snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
}

/* deliver what `from` queued to `to`; queued first so no reentrancy */
static unsigned flush(struct side *from, struct side *to)
{
	unsigned i, n = from->nq;

	from->nq = 0;
	for (i = 0; i < n; i++)
		(void)vp_dtls_recv(to->d, from->q[i].b, from->q[i].n);
	return n;
}

static bool settled(const struct side *a, const struct side *b)
{
	return (a->st == VP_DTLS_CONNECTED || a->st == VP_DTLS_FAILED) &&
	       (b->st == VP_DTLS_CONNECTED || b->st == VP_DTLS_FAILED);
}

/* pump both ways and run the timers, bounded by a 10 s deadline */
static void pump(GMainContext *ctx, struct side *c, struct side *s)
{
	uint64_t end = vp_clock_mono_ns() + 10 * VP_SEC;

	while (vp_clock_mono_ns() < end) {
		unsigned moved = flush(c, s) + flush(s, c);

		if (settled(c, s) && !c->nq && !s->nq)
			break;
		if (!moved && !g_main_context_iteration(ctx, FALSE))
			g_usleep(2000);
	}
}

static void setup(GMainContext *ctx, struct side *c, struct side *s,
		  const char *fp_for_client)
{
	const char *ours = vp_dtls_local_fingerprint();

	VT_TRUE(ours != NULL);
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	VT_EQ(0, vp_dtls_alloc(&c->d, ctx, true, on_send, on_state, c));
	VT_EQ(0, vp_dtls_alloc(&s->d, ctx, false, on_send, on_state, s));
	/* same process, same certificate: each expects ours */
	VT_EQ(0, vp_dtls_set_remote_fingerprint(c->d, "sha-256",
						fp_for_client ?: ours));
	VT_EQ(0, vp_dtls_set_remote_fingerprint(s->d, "SHA-256", ours));
}

VTEST(dtls_handshake_gcm_and_matching_keys)
{
	GMainContext *ctx = g_main_context_new();
	static struct side c, s;
	const struct vp_dtls_srtp_keys *kc, *ks;

	setup(ctx, &c, &s, NULL);
	VT_EQ(0, vp_dtls_start(s.d));
	VT_EQ(0, vp_dtls_start(c.d));
	VT_EQ(EALREADY, vp_dtls_start(c.d));
	pump(ctx, &c, &s);
	VT_EQ(VP_DTLS_CONNECTED, c.st);
	VT_EQ(VP_DTLS_CONNECTED, s.st);
	kc = vp_dtls_srtp_keys(c.d);
	ks = vp_dtls_srtp_keys(s.d);
	VT_TRUE(kc && ks);
	VT_EQ(VP_DTLS_SRTP_AEAD_AES_128_GCM, kc->profile);
	VT_EQ(kc->profile, ks->profile);
	VT_STR_EQ("SRTP_AEAD_AES_128_GCM", kc->profile_name);
	VT_EQ(12, kc->salt_len);
	VT_EQ(0, memcmp(kc->client_key, ks->client_key, 16));
	VT_EQ(0, memcmp(kc->server_key, ks->server_key, 16));
	VT_EQ(0, memcmp(kc->client_salt, ks->client_salt, 12));
	VT_EQ(0, memcmp(kc->server_salt, ks->server_salt, 12));
	VT_TRUE(memcmp(kc->client_key, kc->server_key, 16) != 0);

	/* close_notify reaches the other side */
	vp_dtls_close(c.d);
	flush(&c, &s);
	VT_EQ(VP_DTLS_CLOSED, s.st);
	VT_STR_EQ("close_notify", s.reason);
	vp_mem_deref(c.d);
	vp_mem_deref(s.d);
	g_main_context_unref(ctx);
}

VTEST(dtls_wrong_fingerprint_fails_without_keys)
{
	GMainContext *ctx = g_main_context_new();
	static struct side c, s;
	char bad[VP_DTLS_FP_MAX];

	snprintf(bad, sizeof(bad), "%s", vp_dtls_local_fingerprint());
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	setup(ctx, &c, &s, bad);
	VT_EQ(0, vp_dtls_start(s.d));
	VT_EQ(0, vp_dtls_start(c.d));
	pump(ctx, &c, &s);
	VT_EQ(VP_DTLS_FAILED, c.st);
	VT_STR_EQ("fingerprint mismatch", c.reason);
	VT_TRUE(vp_dtls_srtp_keys(c.d) == NULL);
	/* the server got our alert and never reached CONNECTED either */
	VT_TRUE(s.st != VP_DTLS_CONNECTED);
	VT_TRUE(vp_dtls_srtp_keys(s.d) == NULL);
	vp_mem_deref(c.d);
	vp_mem_deref(s.d);
	g_main_context_unref(ctx);
}

VTEST(dtls_lost_flight_is_retransmitted)
{
	GMainContext *ctx = g_main_context_new();
	static struct side c, s;
	uint64_t t0;

	setup(ctx, &c, &s, NULL);
	c.drop = 1; /* the ClientHello is lost */
	VT_EQ(0, vp_dtls_start(s.d));
	t0 = vp_clock_mono_ns();
	VT_EQ(0, vp_dtls_start(c.d));
	VT_EQ(1, c.sent);
	VT_EQ(0, c.nq);
	pump(ctx, &c, &s);
	VT_EQ(VP_DTLS_CONNECTED, c.st);
	VT_EQ(VP_DTLS_CONNECTED, s.st);
	/* OpenSSL's first retransmit comes after its 1 s initial timer */
	VT_TRUE(vp_clock_mono_ns() - t0 >= 900 * VP_MSEC);
	VT_TRUE(c.sent >= 3); /* lost hello, resent hello, finished flight */
	vp_mem_deref(c.d);
	vp_mem_deref(s.d);
	g_main_context_unref(ctx);
}

VTEST(dtls_rejects_malformed_fingerprint)
{
	struct vp_dtls *d = NULL;
	static struct side x;

	VT_EQ(0, vp_dtls_alloc(&d, NULL, true, on_send, on_state, &x));
	VT_EQ(EINVAL, vp_dtls_start(d)); /* no fingerprint yet */
	VT_EQ(EBADMSG, vp_dtls_set_remote_fingerprint(d, "md5", "AB:CD"));
	VT_EQ(EBADMSG, vp_dtls_set_remote_fingerprint(d, "sha-256", "AB:CD"));
	VT_EQ(EBADMSG,
	      vp_dtls_set_remote_fingerprint(d, "sha-1",
					     "ZZ:00:00:00:00:00:00:00:00:00:"
					     "00:00:00:00:00:00:00:00:00:00"));
	VT_EQ(0,
	      vp_dtls_set_remote_fingerprint(d, "sha-1",
					     "AA:00:00:00:00:00:00:00:00:00:"
					     "00:00:00:00:00:00:00:00:00:00"));
	VT_EQ(95, strlen(vp_dtls_local_fingerprint()));
	vp_mem_deref(d);
}

/* pump until both are connected or one has failed: a failed side need
 * not tell the other (its peer's handshake timer ends that one) */
static void pump_oom(GMainContext *ctx, struct side *c, struct side *s)
{
	uint64_t end = vp_clock_mono_ns() + 10 * VP_SEC;

	while (vp_clock_mono_ns() < end && c->st != VP_DTLS_FAILED &&
	       s->st != VP_DTLS_FAILED) {
		unsigned moved = flush(c, s) + flush(s, c);

		if (settled(c, s) && !c->nq && !s->nq)
			break;
		if (!moved && !g_main_context_iteration(ctx, FALSE))
			g_usleep(2000);
	}
}

/* The oom suite fails each allocation (OpenSSL's too, through
 * CRYPTO_set_mem_functions) of a whole handshake in turn: each run ends
 * with both sides connected on the same keys, or with an error reported
 * (a side FAILED, or an allocation call returning ENOMEM); never with
 * both sides stuck, nor a hang. A handshake makes ~7800 allocations:
 * every 16th fails in turn, so that the walk takes a minute in ASan. */
VTEST_OOM_EVERY(dtls_handshake_oom_walk, 16)
{
	GMainContext *ctx;
	static struct side c, s;
	const struct vp_dtls_srtp_keys *kc, *ks;
	const char *fp;
	int e;

	VT_OOM_SKIP();
	ctx = g_main_context_new();
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	fp = vp_dtls_local_fingerprint(); /* the process's key: made once */
	VT_TRUE(fp != NULL);
	VT_OOM_WALK();
	e = vp_dtls_alloc(&c.d, ctx, true, on_send, on_state, &c);
	if (!e)
		e = vp_dtls_alloc(&s.d, ctx, false, on_send, on_state, &s);
	if (!e)
		e = vp_dtls_set_remote_fingerprint(c.d, "sha-256", fp);
	if (!e)
		e = vp_dtls_set_remote_fingerprint(s.d, "sha-256", fp);
	if (!e)
		e = vp_dtls_start(s.d);
	if (!e)
		e = vp_dtls_start(c.d);
	if (VT_OOM(e))
		goto out;
	pump_oom(ctx, &c, &s);
	VT_OOM_SKIP();
	VT_TRUE(settled(&c, &s) || c.st == VP_DTLS_FAILED ||
		s.st == VP_DTLS_FAILED);
	if (c.st != VP_DTLS_CONNECTED || s.st != VP_DTLS_CONNECTED) {
		VT_TRUE(vtest_oom_hit());
		goto out;
	}
	kc = vp_dtls_srtp_keys(c.d);
	ks = vp_dtls_srtp_keys(s.d);
	VT_TRUE(kc && ks);
	VT_EQ(kc->profile, ks->profile);
	VT_EQ(0, memcmp(kc->client_key, ks->client_key, 16));
	VT_EQ(0, memcmp(kc->server_key, ks->server_key, 16));
out:
	VT_OOM_SKIP();
	vp_mem_deref(c.d);
	vp_mem_deref(s.d);
	g_main_context_unref(ctx);
}
