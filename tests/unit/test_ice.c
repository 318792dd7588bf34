/* SPDX-License-Identifier: MIT */
/** @file test_ice.c  libnice adapter: gathering, bad input, a datagram across.
 */
#include "protocols/ice/ice.h"
#include "protocols/ice/ice_priv.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

struct end {
	struct vp_ice *ice;
	struct end *other;
	enum vp_ice_state st;
	unsigned ncand, nrecv;
	bool gathered;
	uint8_t last[64];
	size_t lastn;
};

/* the second only where a test asks for two local addresses */
static const char *const lo[] = {"127.0.0.1", "127.0.0.3"};

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
			 bool b_polled, size_t naddrs)
{
	struct vp_ice_cfg ca = {
		.controlling = true, .local_addrs = lo, .nlocal_addrs = naddrs};
	struct vp_ice_cfg cb = {
		.local_addrs = lo, .nlocal_addrs = naddrs, .polled = b_polled};
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
	VT_TRUE(connect_pair(ctx, &a, &b, own, 1));
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

/* A candidate of LIST whose address is not NOT's (any, if NOT is NULL). */
static NiceCandidate *other_cand(GSList *list, const NiceCandidate * not )
{
	for (GSList *i = list; i; i = i->next) {
		NiceCandidate *c = i->data;

		if (!not || !nice_address_equal_no_port(&c->addr, &not ->addr))
			return c;
	}
	return NULL;
}

static void iterate_poll(GMainContext *ctx, struct vp_ice *ice)
{
	g_main_context_iteration(ctx, FALSE);
	vp_ice_poll(ice);
	g_usleep(1000);
}

/* After the bot reads the selected socket itself, the pair changes (a
 * peer that moves, or a better pair nominated): the bot follows, reading
 * the new pair's socket, taking data from the new remote and keeping
 * consent with it. Without following, the new socket's datagrams would be
 * libnice's to read, never counted here. */
VTEST(ice_polled_follows_a_new_selected_pair)
{
	GMainContext *ctx = g_main_context_new();
	static struct end a, b;
	static const uint8_t msg[] = {0x80, 0x6f, 0, 7, 0, 0};
	NiceCandidate *bl = NULL, *br = NULL, *nl, *nr;
	GSList *locs, *rems;
	struct vp_ice_rx_stats rs;
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint64_t ok0, end;
	int fd;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	VT_TRUE(connect_pair(ctx, &a, &b, true, 2));
	VT_EQ(0, vp_ice_set_polled(b.ice));
	vp_ice_rx_stats(b.ice, &rs);
	VT_TRUE(rs.own);
	VT_TRUE(nice_agent_get_selected_pair(b.ice->agent, b.ice->stream,
					     VP_ICE_COMPONENT, &bl, &br));
	/* the pair on the other local and the other remote address */
	locs = nice_agent_get_local_candidates(b.ice->agent, b.ice->stream,
					       VP_ICE_COMPONENT);
	rems = nice_agent_get_remote_candidates(b.ice->agent, b.ice->stream,
						VP_ICE_COMPONENT);
	nl = other_cand(locs, bl);
	nr = other_cand(rems, br);
	VT_TRUE(nl && nr);
	VT_TRUE(nice_agent_set_selected_pair(a.ice->agent, a.ice->stream,
					     VP_ICE_COMPONENT, nr->foundation,
					     nl->foundation));
	VT_TRUE(nice_agent_set_selected_pair(b.ice->agent, b.ice->stream,
					     VP_ICE_COMPONENT, nl->foundation,
					     nr->foundation));
	/* b reads the new pair's socket, and knows the new remote */
	VT_EQ(b.ice->rx.fd,
	      g_socket_get_fd(nice_agent_get_selected_socket(
		      b.ice->agent, b.ice->stream, VP_ICE_COMPONENT)));
	VT_EQ(nice_address_get_port(&nr->addr),
	      ntohs(((struct sockaddr_in *)&b.ice->rx.raddr)->sin_port));
	/* a's data over the new pair arrives through b's poll */
	VT_EQ(0, vp_ice_send(a.ice, msg, sizeof(msg)));
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	while (!b.nrecv && vp_clock_mono_ns() < end)
		iterate_poll(ctx, b.ice);
	VT_EQ(1, b.nrecv);
	VT_EQ(0, memcmp(b.last, msg, sizeof(msg)));
	/* a stranger's datagram on the new socket is ours to drop */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	VT_TRUE(fd >= 0);
	nice_address_copy_to_sockaddr(&nl->addr, (struct sockaddr *)&to);
	VT_TRUE(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to,
		       sizeof(to)) == (ssize_t)sizeof(msg));
	close(fd);
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	do {
		iterate_poll(ctx, b.ice);
		vp_ice_rx_stats(b.ice, &rs);
	} while (!rs.unknown_src && vp_clock_mono_ns() < end);
	VT_EQ(1, rs.unknown_src);
	VT_EQ(1, b.nrecv);
	/* consent is kept with the new remote (a request every 4-6 s) */
	ok0 = rs.consent_ok;
	end = vp_clock_mono_ns() + 15 * VP_SEC;
	do {
		iterate_poll(ctx, b.ice);
		vp_ice_rx_stats(b.ice, &rs);
	} while (rs.consent_ok == ok0 && vp_clock_mono_ns() < end);
	VT_TRUE(rs.consent_ok > ok0);
	VT_EQ(VP_ICE_CONNECTED, vp_ice_state(b.ice));
	g_slist_free_full(locs, (GDestroyNotify)nice_candidate_free);
	g_slist_free_full(rems, (GDestroyNotify)nice_candidate_free);
	a.ice = vp_mem_deref(a.ice);
	b.ice = vp_mem_deref(b.ice);
	g_main_context_unref(ctx);
}
