/* SPDX-License-Identifier: MIT */
/**
 * @file ice.h  ICE (RFC 8445) over libnice: one stream, one component
 * (BUNDLE + rtcp-mux), UDP only, consent freshness (RFC 7675). Everything
 * runs on the caller's GMainContext; handlers are called there.
 */
#ifndef VP_PROTOCOLS_ICE_ICE_H
#define VP_PROTOCOLS_ICE_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum vp_ice_state {
	VP_ICE_NEW = 0,
	VP_ICE_CHECKING,
	VP_ICE_CONNECTED, /**< a pair is selected: datagrams flow */
	VP_ICE_FAILED,	  /**< checks failed or consent lost (RFC 7675 §5.1) */
	VP_ICE_CLOSED,
};

struct vp_ice_cfg {
	bool controlling;		/**< RFC 8445 §6.1.1: the offerer */
	const char *const *local_addrs; /**< NULL: libnice gathers itself */
	unsigned nlocal_addrs;
	uint16_t port_min, port_max; /**< 0: any */
	/** How long checks may take before libnice may call it failed
	 *  (its own defaults give up after about 7 s); 0: libnice's. */
	unsigned connect_timeout_ms;
	/** The caller will call vp_ice_set_polled(): libnice's own consent
	 * checks stay off (ours run once polled; see vp_ice_set_polled). */
	bool polled;
};

/** The polled reader's counters (vp_ice_set_polled). */
struct vp_ice_rx_stats {
	bool own;		/**< reading the selected socket itself */
	uint64_t stun_answered; /**< peer's checks and consent requests */
	uint64_t consent_sent, consent_ok; /**< our requests, their answers */
	uint64_t stun_ignored;	/**< indications, errors, stale answers */
	uint64_t stun_bad;	/**< failed authentication or malformed */
	uint64_t stun_rejected; /**< of those, requests answered 400/401/420 */
	uint64_t unknown_src; /**< data not from the selected remote: dropped */
	uint64_t truncated;   /**< longer than a receive buffer: dropped */
	uint64_t read_errors;
};

/** One received datagram (STUN already consumed by libnice). */
typedef void(vp_ice_recv_h)(const uint8_t *buf, size_t len, void *arg);
typedef void(vp_ice_state_h)(enum vp_ice_state st, void *arg);
/** A local candidate ("candidate:…" attribute value), NULL = gathering done. */
typedef void(vp_ice_cand_h)(const char *cand, void *arg);

struct vp_ice;

/**
 * @return 0, EINVAL (NULL, unparsable local address, port_min > port_max),
 *         ENOMEM, EPROTO (libnice refused the stream)
 */
int vp_ice_alloc(struct vp_ice **ip, GMainContext *ctx,
		 const struct vp_ice_cfg *cfg, vp_ice_recv_h *recvh,
		 vp_ice_state_h *stateh, vp_ice_cand_h *candh, void *arg);

/** Our ufrag/pwd (borrowed, live as long as ice). @return 0 or EINVAL */
int vp_ice_local_credentials(const struct vp_ice *ice, const char **ufrag,
			     const char **pwd);

/** Start gathering; candidates arrive via the cand handler.
 * @return 0, EALREADY, EPROTO */
int vp_ice_gather(struct vp_ice *ice);

/** Copy up to max local candidates ("candidate:…") into out. @return count */
unsigned vp_ice_local_candidates(const struct vp_ice *ice, char out[][256],
				 unsigned max);

/** @return 0, EINVAL, EPROTO */
int vp_ice_set_remote_credentials(struct vp_ice *ice, const char *ufrag,
				  const char *pwd);

/**
 * @param cand "candidate:…" or "a=candidate:…" (RFC 8839 §5.1)
 * @return 0 (also for a TCP or other-component candidate, ignored),
 *         EBADMSG (malformed), EINVAL, EPROTO
 */
int vp_ice_add_remote_candidate(struct vp_ice *ice, const char *cand);

/** The peer sent end-of-candidates (lets libnice conclude failure). */
int vp_ice_remote_candidates_done(struct vp_ice *ice);

/** Send one datagram on the selected pair.
 * @return 0, EINVAL, EAGAIN (no pair yet or would block) */
int vp_ice_send(struct vp_ice *ice, const uint8_t *buf, size_t len);

/**
 * From now on datagrams are read only by vp_ice_poll() (until then, as
 * they arrive): the selected pair's socket directly, in batches
 * (recvmmsg), with the peer's STUN checks answered and our own consent
 * checks (RFC 7675) sent from there: call it at least every few tens of
 * ms. libnice keeps the other sockets, read about once a second. Without
 * cfg.polled or a selected UDP pair, libnice reads (and checks consent)
 * at each poll.
 * @return 0, EINVAL (NULL or closed), EPROTO
 */
int vp_ice_set_polled(struct vp_ice *ice);

/** Polled reading: deliver every datagram waiting on the socket to the
 * recv handler (STUN handled inside); consent lost -> state FAILED.
 * @return datagrams delivered */
unsigned vp_ice_poll(struct vp_ice *ice);

/** The polled reader's counters (all 0 before). */
void vp_ice_rx_stats(const struct vp_ice *ice, struct vp_ice_rx_stats *st);

enum vp_ice_state vp_ice_state(const struct vp_ice *ice);

/** Stop delivering: no handler is called afterwards, sends fail; the
 * sockets close when the object is dereferenced. */
void vp_ice_close(struct vp_ice *ice);

#endif
