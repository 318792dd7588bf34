/* SPDX-License-Identifier: MIT */
/**
 * @file pc.h  One ICE + DTLS-SRTP transport (BUNDLE + rtcp-mux: one libnice
 * stream, one component): ICE (libnice) -> RFC 7983 demux -> DTLS
 * (OpenSSL) | SRTP (libsrtp2). Everything runs on the GMainContext given
 * to vp_pc_alloc(); handlers are called on that thread.
 * Handlers must not deref the pc; they may call vp_pc_close().
 */
#ifndef VP_PROTOCOLS_PC_PC_H
#define VP_PROTOCOLS_PC_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "protocols/ice/ice.h"

enum vp_pc_state {
	VP_PC_NEW = 0,
	VP_PC_CHECKING,
	VP_PC_CONNECTED, /**< ICE ok, DTLS running */
	VP_PC_SECURE,	 /**< SRTP keys in place: media flows */
	VP_PC_FAILED,
	VP_PC_CLOSED,
};

struct vp_pc_cfg {
	/** ICE role: the answerer (our bot) is controlled, the offerer
	 * controlling (RFC 8445 §6.1.1) */
	bool controlling;
	/** setup:active -> DTLS client (our bot answering an actpass offer) */
	bool dtls_client;
	/** e.g. {"127.0.0.1"} for tests; NULL = libnice default gathering */
	const char *const *local_addrs;
	unsigned nlocal_addrs;
	uint16_t port_min, port_max; /**< 0 = any */
	/** From vp_pc_gather() to SECURE (ICE + DTLS), else FAILED with
	 * "media connect timeout"; libnice keeps checking at least as long.
	 * 0: VP_PC_CONNECT_TIMEOUT_NS. */
	uint64_t connect_timeout_ns;
	/** Once SECURE, datagrams are read only by vp_pc_poll() (the caller's
	 * tick, at most a few tens of ms apart); before that, as they come. */
	bool polled_rx;
};

#define VP_PC_CONNECT_TIMEOUT_NS (30 * 1000000000ULL)

struct vp_pc_handlers {
	/** decrypted RTP */
	void (*rtp)(const uint8_t *pkt, size_t len, uint64_t arrival_ns,
		    void *arg);
	/** decrypted RTCP compound */
	void (*rtcp)(const uint8_t *pkt, size_t len, uint64_t arrival_ns,
		     void *arg);
	/** reason e.g. "fingerprint mismatch" (NULL when nothing to say) */
	void (*state)(enum vp_pc_state st, const char *reason, void *arg);
	/** "candidate:…" SDP attribute value, NULL = gathering done */
	void (*candidate)(const char *cand, void *arg);
};

struct vp_pc_stats {
	uint64_t rx_dtls, rx_srtp, rx_srtcp;
	uint64_t rx_drop; /**< unknown first byte, or media before keys */
	uint64_t srtp_auth_fail; /**< bad tag: dropped (RFC 3711 §3.3) */
	uint64_t srtp_replay;	 /**< replayed or too old: dropped */
	uint64_t srtp_other_fail;
	uint64_t tx_srtp, tx_srtcp, tx_fail;
};

struct vp_pc;

/**
 * @param ctx  the context the caller iterates (NULL: the global default)
 * @param h    copied; rtp, state and candidate are required
 * @return 0, EINVAL, ENOMEM, EPROTO (a library refused to start)
 */
int vp_pc_alloc(struct vp_pc **pcp, GMainContext *ctx,
		const struct vp_pc_cfg *cfg, const struct vp_pc_handlers *h,
		void *arg);

/** Our ICE credentials for the SDP (borrowed). @return 0 or EINVAL */
int vp_pc_local_ice(const struct vp_pc *pc, const char **ufrag,
		    const char **pwd);

/** "sha-256" value "AB:CD:…" of our self-signed cert (ECDSA P-256,
 * generated per process and reused), NULL if OpenSSL failed. */
const char *vp_pc_local_fingerprint(const struct vp_pc *pc);

/** Start gathering; candidates arrive via the handler.
 * @return 0, EINVAL, EALREADY, EPROTO */
int vp_pc_gather(struct vp_pc *pc);

/** After gathering is done, for a non-trickle SDP. @return count */
unsigned vp_pc_local_candidates(const struct vp_pc *pc, char out[][256],
				unsigned max);

/**
 * The peer's a=ice-ufrag, a=ice-pwd and a=fingerprint (RFC 8122 §5).
 * @param fp_alg "sha-256" (also sha-1, sha-384, sha-512)
 * @return 0, EINVAL, EBADMSG (fingerprint not valid for fp_alg),
 *         EALREADY (set twice), EPROTO
 */
int vp_pc_set_remote(struct vp_pc *pc, const char *ufrag, const char *pwd,
		     const char *fp_alg, const char *fp);

/** "candidate:…" or "a=candidate:…". @return 0, EINVAL, EBADMSG, EPROTO */
int vp_pc_add_remote_candidate(struct vp_pc *pc, const char *cand);

/** a=end-of-candidates or the trickle "completed". @return 0, EINVAL, EPROTO */
int vp_pc_remote_candidates_done(struct vp_pc *pc);

/**
 * SRTP-protect an RTP packet (at most 1500 bytes) and send it.
 * @return 0, EINVAL, EAGAIN (not SECURE yet, or the socket would block),
 *         EPROTO
 */
int vp_pc_send_rtp(struct vp_pc *pc, const uint8_t *pkt, size_t len);
/** Same for an RTCP compound packet (SRTCP). */
int vp_pc_send_rtcp(struct vp_pc *pc, const uint8_t *pkt, size_t len);

/** With cfg.polled_rx: handle every datagram that arrived since the last
 * call (handlers are called from here). @return datagrams read */
unsigned vp_pc_poll(struct vp_pc *pc);

/** Counters (never NULL for a valid pc). */
const struct vp_pc_stats *vp_pc_stats(const struct vp_pc *pc);

/** The polled reader's counters (cfg.polled_rx): protocols/ice/ice.h. */
void vp_pc_rx_stats(const struct vp_pc *pc, struct vp_ice_rx_stats *st);

/** Negotiated profile name ("SRTP_AEAD_AES_128_GCM") or "none". */
const char *vp_pc_srtp_profile(const struct vp_pc *pc);

enum vp_pc_state vp_pc_state(const struct vp_pc *pc);

/** DTLS close_notify, stop ICE, state CLOSED (no handler call);
 * safe to deref afterwards, safe to call twice. */
void vp_pc_close(struct vp_pc *pc);

#endif
