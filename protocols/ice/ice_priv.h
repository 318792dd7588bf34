/* SPDX-License-Identifier: MIT */
/** @file ice_priv.h  vp_ice internals shared by ice.c and ice_rx.c. */
#ifndef VP_PROTOCOLS_ICE_ICE_PRIV_H
#define VP_PROTOCOLS_ICE_ICE_PRIV_H

#include "protocols/ice/ice.h"
#include "protocols/ice/ice_stun.h"
#include "protocols/ice/udp_batch.h"

#include <agent.h>

#define VP_ICE_COMPONENT 1 /* rtcp-mux (RFC 5761): one component only */

/* The polled reader of the selected pair's socket (ice_rx.c). */
struct vp_ice_rx {
	GSocket *sock; /* ref: the fd stays ours to read while it lives */
	int fd;
	struct sockaddr_storage raddr; /* the selected remote */
	socklen_t raddrlen;
	struct vp_udp_batch *batch; /* vp_mem */
	struct vp_ice_stun *stun;   /* vp_mem */
	unsigned polls;		    /* since libnice last read the others */
	struct vp_ice_rx_stats st;
};

/*
 * Reading: libnice reads a component's sockets from sources on the context
 * given to nice_agent_attach_recv(). Until the caller asks for polled
 * reading that is the caller's context (each datagram is handled as it
 * arrives: checks and the DTLS handshake stay prompt); afterwards it is
 * io_ctx, a context of our own, and the selected pair's socket is read by
 * vp_ice_poll() itself (ice_rx.c), on the caller's tick.
 */
struct vp_ice {
	NiceAgent *agent;
	GMainContext *ctx;
	GMainContext *io_ctx; /* polled or closed: the sockets' context */
	guint stream;
	char *ufrag, *pwd;   /* vp_mem strings */
	char *rufrag, *rpwd; /* the peer's, vp_mem strings */
	enum vp_ice_state state;
	bool gathering, gather_started, closed, polled, in_poll;
	bool controlling, own_consent;
	bool nominated, settled; /* READY seen; libnice's idle wait shortened */
	unsigned nread; /* datagrams delivered by the current vp_ice_poll */
	struct vp_ice_rx rx; /* rx.sock != NULL: we read the selected socket */
	vp_ice_recv_h *recvh;
	vp_ice_state_h *stateh;
	vp_ice_cand_h *candh;
	void *arg;
};

void vp_ice__set_state(struct vp_ice *ice, enum vp_ice_state st);

/** Take the selected pair's socket. @return 0, ENOENT (no UDP pair),
 * ENOMEM */
int vp_ice__rx_take(struct vp_ice *ice);
/** A new selected pair: follow it (or give the reading back). */
void vp_ice__rx_pair_changed(struct vp_ice *ice);
/** Read what waits, answer STUN, keep consent. */
void vp_ice__rx_poll(struct vp_ice *ice);
void vp_ice__rx_release(struct vp_ice *ice);

#endif
