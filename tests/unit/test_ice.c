/* SPDX-License-Identifier: MIT */
/** @file test_ice.c  libnice adapter: gathering, bad input, a datagram across.
 */
#include "protocols/ice/ice.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>

struct end {
	struct vp_ice *ice;
	struct end *other;
	enum vp_ice_state st;
	unsigned ncand, nrecv;
	bool gathered;
	uint8_t last[64];
	size_t lastn;
};

static const char *const lo[] = {"127.0.0.1"};

static void on_recv(const uint8_t *b, size_t len, void *arg)
{
	struct end *e = arg;

	e->nrecv++;
	e->lastn = len < sizeof(e->last) ? len : sizeof(e->last);
	memcpy(e->last, b, e->lastn);
}

static void on_state(enum vp_ice_state st, void *arg)
{
	((struct end *)arg)->st = st;
}

static void on_cand(const char *c, void *arg)
{
	struct end *e = arg;

	if (!c) {
		e->gathered = true;
		if (e->other)
			VT_EQ(0, vp_ice_remote_candidates_done(e->other->ice));
		return;
	}
	e->ncand++;
	if (e->other)
		VT_EQ(0, vp_ice_add_remote_candidate(e->other->ice, c));
}

static void run(GMainContext *ctx, bool *flag)
{
	uint64_t end = vp_clock_mono_ns() + 10 * VP_SEC;

	while (!*flag && vp_clock_mono_ns() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

VTEST(ice_gathers_loopback_in_port_range)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_ice_cfg cfg = {.local_addrs = lo,
				 .nlocal_addrs = 1,
				 .port_min = 41000,
				 .port_max = 41099};
	static struct end e;
	char c[4][256];
	unsigned port = 0;
	const char *u, *p;

	VT_EQ(0,
	      vp_ice_alloc(&e.ice, ctx, &cfg, on_recv, on_state, on_cand, &e));
	VT_EQ(0, vp_ice_local_credentials(e.ice, &u, &p));
	VT_TRUE(strlen(u) >= 4 && strlen(p) >= 22); /* RFC 8839 §5.4 */
	VT_EQ(0, vp_ice_gather(e.ice));
	VT_EQ(EALREADY, vp_ice_gather(e.ice));
	run(ctx, &e.gathered);
	VT_TRUE(e.gathered);
	VT_EQ(1, e.ncand); /* only the address we gave */
	VT_EQ(1, vp_ice_local_candidates(e.ice, c, 4));
	VT_TRUE(sscanf(c[0], "candidate:%*s 1 %*s %*u 127.0.0.1 %u typ host",
		       &port) == 1);
	VT_TRUE(port >= 41000 && port <= 41099);
	e.ice = vp_mem_deref(e.ice);
	g_main_context_unref(ctx);
}

VTEST(ice_rejects_bad_input)
{
	static const char *const bad[] = {"not-an-ip"};
	struct vp_ice_cfg cfg = {.local_addrs = bad, .nlocal_addrs = 1};
	struct vp_ice *ice = NULL;
	static struct end e;

	VT_EQ(EINVAL,
	      vp_ice_alloc(&ice, NULL, &cfg, on_recv, on_state, on_cand, &e));
	VT_TRUE(ice == NULL);
	cfg = (struct vp_ice_cfg){.port_min = 10, .port_max = 5};
	VT_EQ(EINVAL,
	      vp_ice_alloc(&ice, NULL, &cfg, on_recv, on_state, on_cand, &e));
	cfg = (struct vp_ice_cfg){.local_addrs = lo, .nlocal_addrs = 1};
	VT_EQ(0,
	      vp_ice_alloc(&ice, NULL, &cfg, on_recv, on_state, on_cand, &e));
	VT_EQ(EBADMSG, vp_ice_add_remote_candidate(ice, "candidate:x"));
	/* RTCP component and TCP candidates are ignored under rtcp-mux */
	VT_EQ(0, vp_ice_add_remote_candidate(
			 ice,
			 "candidate:1 2 udp 2130706431 127.0.0.1 9 typ host"));
	ice = vp_mem_deref(ice);
}

VTEST(ice_two_agents_connect_and_carry_a_datagram)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_ice_cfg ca = {
		.controlling = true, .local_addrs = lo, .nlocal_addrs = 1};
	struct vp_ice_cfg cb = {.local_addrs = lo, .nlocal_addrs = 1};
	static struct end a, b;
	static const uint8_t msg[] = {0x80, 0x6f, 1, 2, 3, 4};
	const char *u, *p;
	bool both = false;
	uint64_t end;

	a.other = &b, b.other = &a;
	VT_EQ(0,
	      vp_ice_alloc(&a.ice, ctx, &ca, on_recv, on_state, on_cand, &a));
	VT_EQ(0,
	      vp_ice_alloc(&b.ice, ctx, &cb, on_recv, on_state, on_cand, &b));
	VT_EQ(0, vp_ice_local_credentials(b.ice, &u, &p));
	VT_EQ(0, vp_ice_set_remote_credentials(a.ice, u, p));
	VT_EQ(0, vp_ice_local_credentials(a.ice, &u, &p));
	VT_EQ(0, vp_ice_set_remote_credentials(b.ice, u, p));
	VT_EQ(0, vp_ice_gather(a.ice));
	VT_EQ(0, vp_ice_gather(b.ice));
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	while (!both && vp_clock_mono_ns() < end) {
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
		both = a.st == VP_ICE_CONNECTED && b.st == VP_ICE_CONNECTED;
	}
	VT_TRUE(both);
	VT_EQ(0, vp_ice_send(a.ice, msg, sizeof(msg)));
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	while (!b.nrecv && vp_clock_mono_ns() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	VT_EQ(1, b.nrecv);
	VT_EQ(sizeof(msg), b.lastn);
	VT_EQ(0, memcmp(b.last, msg, sizeof(msg)));
	vp_ice_close(a.ice);
	VT_EQ(EINVAL, vp_ice_send(a.ice, msg, sizeof(msg)));
	a.ice = vp_mem_deref(a.ice);
	b.ice = vp_mem_deref(b.ice);
	g_main_context_unref(ctx);
}

static bool connect_pair(GMainContext *ctx, struct end *a, struct end *b,
			 bool b_polled)
{
	struct vp_ice_cfg ca = {
		.controlling = true, .local_addrs = lo, .nlocal_addrs = 1};
	struct vp_ice_cfg cb = {
		.local_addrs = lo, .nlocal_addrs = 1, .polled = b_polled};
	const char *u, *p;
	uint64_t end = vp_clock_mono_ns() + 10 * VP_SEC;

	a->other = b, b->other = a;
	VT_EQ(0,
	      vp_ice_alloc(&a->ice, ctx, &ca, on_recv, on_state, on_cand, a));
	VT_EQ(0,
	      vp_ice_alloc(&b->ice, ctx, &cb, on_recv, on_state, on_cand, b));
	VT_EQ(0, vp_ice_local_credentials(b->ice, &u, &p));
	VT_EQ(0, vp_ice_set_remote_credentials(a->ice, u, p));
	VT_EQ(0, vp_ice_local_credentials(a->ice, &u, &p));
	VT_EQ(0, vp_ice_set_remote_credentials(b->ice, u, p));
	VT_EQ(0, vp_ice_gather(a->ice));
	VT_EQ(0, vp_ice_gather(b->ice));
	while (vp_clock_mono_ns() < end &&
	       (a->st != VP_ICE_CONNECTED || b->st != VP_ICE_CONNECTED))
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	return a->st == VP_ICE_CONNECTED && b->st == VP_ICE_CONNECTED;
}

/* Polled: datagrams wait in the socket until vp_ice_poll(), which hands
 * all of them over in order; the caller's loop alone delivers nothing. */
/* Both readers: ours of the selected socket (cfg.polled) and libnice's. */
static void polled_in_order(bool own)
{
	GMainContext *ctx = g_main_context_new();
	static struct end a, b;
	struct vp_ice_rx_stats rs;
	uint8_t msg[6] = {0x80, 0x6f, 0, 0, 0, 0};
	unsigned got = 0;
	uint64_t end;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	VT_TRUE(connect_pair(ctx, &a, &b, own));
	VT_EQ(EINVAL, vp_ice_set_polled(NULL));
	VT_EQ(0, vp_ice_set_polled(b.ice));
	VT_EQ(0, vp_ice_set_polled(b.ice)); /* twice is fine */
	vp_ice_rx_stats(b.ice, &rs);
	VT_EQ(own, rs.own);
	for (uint8_t i = 1; i <= 5; i++) {
		msg[5] = i;
		VT_EQ(0, vp_ice_send(a.ice, msg, sizeof(msg)));
	}
	end = vp_clock_mono_ns() + 300 * VP_MSEC;
	while (vp_clock_mono_ns() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	VT_EQ(0, b.nrecv);
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	while (b.nrecv < 5 && vp_clock_mono_ns() < end) {
		got += vp_ice_poll(b.ice);
		g_usleep(1000);
	}
	VT_EQ(5, b.nrecv);
	VT_EQ(5, got);
	VT_EQ(5, b.last[5]); /* the last one sent came last */
	/* the other way is unchanged, and b is still connected */
	VT_EQ(0, vp_ice_send(b.ice, msg, sizeof(msg)));
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	while (!a.nrecv && vp_clock_mono_ns() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	VT_EQ(1, a.nrecv);
	VT_EQ(VP_ICE_CONNECTED, vp_ice_state(b.ice));
	vp_ice_close(b.ice);
	VT_EQ(0, vp_ice_send(a.ice, msg, sizeof(msg)));
	g_usleep(50000);
	VT_EQ(0, vp_ice_poll(b.ice)); /* closed: nothing more */
	VT_EQ(EINVAL, vp_ice_set_polled(b.ice));
	a.ice = vp_mem_deref(a.ice);
	b.ice = vp_mem_deref(b.ice);
	g_main_context_unref(ctx);
}

VTEST(ice_polled_delivers_only_on_poll_all_in_order)
{
	polled_in_order(true);
}

VTEST(ice_polled_by_libnice_without_cfg_polled)
{
	polled_in_order(false);
}
