/* SPDX-License-Identifier: MIT */
/**
 * @file ice_rx.c  Polled reading of the selected pair's socket: one
 * recvmmsg(2) per 16 datagrams on the caller's tick instead of libnice's
 * GSource dispatch and one recvmsg each (docs/performance.md). STUN that
 * arrives there is ours to handle (ice_stun.c); libnice keeps its other
 * sockets, which it reads about once a second, and its timers.
 */
#define VP_LOG_MODULE "ice"
#include "protocols/ice/ice_priv.h"

#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>

/* at most this many datagrams per poll (the rest waits for the next) */
#define MAX_BATCHES 64
/* libnice's other sockets (checks on other pairs): every 50th poll */
#define OTHERS_EVERY 50

/* --- Runs on: net thread --- */

static int latch(struct vp_ice *ice)
{
	NiceCandidate *l = NULL, *r = NULL;
	GSocket *gs;

	if (!nice_agent_get_selected_pair(ice->agent, ice->stream,
					  VP_ICE_COMPONENT, &l, &r) ||
	    l->transport != NICE_CANDIDATE_TRANSPORT_UDP ||
	    l->type == NICE_CANDIDATE_TYPE_RELAYED)
		return ENOENT; /* a relay's socket carries TURN framing */
	gs = nice_agent_get_selected_socket(ice->agent, ice->stream,
					    VP_ICE_COMPONENT);
	if (!gs)
		return ENOENT;
	if (ice->rx.sock)
		g_object_unref(ice->rx.sock);
	ice->rx.sock = gs;
	ice->rx.fd = g_socket_get_fd(gs);
	memset(&ice->rx.raddr, 0, sizeof(ice->rx.raddr));
	nice_address_copy_to_sockaddr(&r->addr,
				      (struct sockaddr *)&ice->rx.raddr);
	ice->rx.raddrlen = nice_address_ip_version(&r->addr) == 6
				   ? sizeof(struct sockaddr_in6)
				   : sizeof(struct sockaddr_in);
	return 0;
}

int vp_ice__rx_take(struct vp_ice *ice)
{
	struct vp_ice_rx *rx = &ice->rx;
	uint64_t seed = ((uint64_t)g_random_int() << 32) | g_random_int();
	int err;

	if (!ice->rufrag || !ice->rpwd)
		return ENOENT;
	rx->batch = vp_mem_zalloc(sizeof(*rx->batch), NULL);
	rx->stun = vp_mem_zalloc(sizeof(*rx->stun), NULL);
	if (!rx->batch || !rx->stun)
		err = ENOMEM;
	else
		err = vp_ice_stun_init(rx->stun, ice->controlling, ice->ufrag,
				       ice->pwd, ice->rufrag, ice->rpwd, seed,
				       vp_clock_mono_ns());
	if (!err)
		err = latch(ice);
	if (err) {
		vp_ice__rx_release(ice);
		return err;
	}
	rx->st.own = true;
	return 0;
}

void vp_ice__rx_pair_changed(struct vp_ice *ice)
{
	if (!ice->rx.sock || ice->closed)
		return;
	/* the peer moved: follow it; a pair we cannot read goes back to
	 * libnice, which then also checks consent */
	if (latch(ice)) {
		vp_log_warn("new selected pair not readable here: libnice "
			    "reads");
		vp_ice__rx_release(ice);
		g_object_set(ice->agent, "keepalive-conncheck", TRUE, NULL);
		ice->own_consent = false;
		return;
	}
	/* its check just succeeded: consent is fresh for the new pair */
	ice->rx.stun->last_ok_ns = vp_clock_mono_ns();
}

static bool from_remote(const struct vp_ice_rx *rx,
			const struct sockaddr_storage *a, socklen_t alen)
{
	if (a->ss_family != rx->raddr.ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)&rx->raddr;

		return alen >= sizeof(*x) && x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)&rx->raddr;

		return alen >= sizeof(*x) && x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr,
			       sizeof(x->sin6_addr));
	}
	return false;
}

static void send_to(struct vp_ice_rx *rx, const uint8_t *b, size_t n,
		    const struct sockaddr_storage *to, socklen_t tolen)
{
	/* a lost answer is retransmitted by the peer */
	if (sendto(rx->fd, b, n, MSG_DONTWAIT, (const struct sockaddr *)to,
		   tolen) < 0)
		rx->st.read_errors++;
}

static void stun_in(struct vp_ice *ice, const uint8_t *b, size_t len,
		    const struct sockaddr_storage *from, socklen_t fromlen,
		    uint64_t now)
{
	uint8_t out[VP_ICE_STUN_MAX_MSG];
	size_t n = 0;

	vp_ice_stun_recv(ice->rx.stun, b, len, from, fromlen, now, out, &n);
	if (n)
		send_to(&ice->rx, out, n, from, fromlen);
}

/* One batch: data from the selected remote to the handler, in order.
 * @return false when the handler closed us */
static bool deliver(struct vp_ice *ice, unsigned n, uint64_t now)
{
	struct vp_ice_rx *rx = &ice->rx;

	for (unsigned i = 0; i < n && !ice->closed; i++) {
		const struct sockaddr_storage *from;
		socklen_t fromlen;
		size_t len;
		const uint8_t *b = vp_udp_batch_data(rx->batch, i, &len);

		from = vp_udp_batch_from(rx->batch, i, &fromlen);
		if (vp_udp_batch_truncated(rx->batch, i))
			rx->st.truncated++;
		else if (len && b[0] < 4) /* RFC 7983 §7: STUN */
			stun_in(ice, b, len, from, fromlen, now);
		else if (!from_remote(rx, from, fromlen))
			rx->st.unknown_src++; /* as libnice drops them */
		else if (len) {
			ice->nread++;
			ice->recvh(b, len, ice->arg);
		}
	}
	return !ice->closed;
}

static void read_all(struct vp_ice *ice, uint64_t now)
{
	for (unsigned k = 0; k < MAX_BATCHES; k++) {
		int n = vp_udp_batch_read(ice->rx.batch, ice->rx.fd);

		if (n < 0) {
			if (!ice->rx.st.read_errors++)
				vp_log_warn("recvmmsg: %s", strerror(-n));
			return;
		}
		if (!deliver(ice, (unsigned)n, now) || n < VP_UDP_BATCH_N)
			return; /* fewer than asked: nothing more waited */
	}
}

static void consent(struct vp_ice *ice, uint64_t now)
{
	uint8_t out[VP_ICE_STUN_MAX_MSG];
	size_t n = 0;

	if (vp_ice_stun_tick(ice->rx.stun, now, out, &n) == ETIMEDOUT) {
		vp_log_warn("consent lost: no answer for %u s",
			    (unsigned)(VP_ICE_STUN_CONSENT_NS / VP_SEC));
		vp_ice__set_state(ice, VP_ICE_FAILED);
		return;
	}
	if (n)
		send_to(&ice->rx, out, n, &ice->rx.raddr, ice->rx.raddrlen);
}

void vp_ice__rx_poll(struct vp_ice *ice)
{
	uint64_t now = vp_clock_mono_ns();

	read_all(ice, now); /* answers first: they renew consent */
	if (!ice->closed && ice->rx.sock)
		consent(ice, now);
	if (!ice->closed && ++ice->rx.polls >= OTHERS_EVERY) {
		ice->rx.polls = 0;
		(void)g_main_context_iteration(ice->io_ctx, FALSE);
	}
}

void vp_ice__rx_release(struct vp_ice *ice)
{
	struct vp_ice_rx *rx = &ice->rx;

	if (rx->sock)
		g_object_unref(rx->sock);
	rx->sock = NULL;
	rx->fd = -1;
	rx->batch = vp_mem_deref(rx->batch);
	rx->st.own = false;
	/* rx->stun and its counters stay until the object goes */
}
