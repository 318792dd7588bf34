/* SPDX-License-Identifier: MIT */
/**
 * @file dtls.h  DTLS 1.2 for DTLS-SRTP (RFC 5764) over OpenSSL 3: the ICE
 * agent carries the datagrams (send handler / vp_dtls_recv), retransmit
 * timers run as GSources on the caller's GMainContext, the peer's
 * certificate must match the SDP fingerprint (RFC 8122 §5) before any key
 * is exported. One thread: the one iterating the context.
 */
#ifndef VP_PROTOCOLS_DTLS_DTLS_H
#define VP_PROTOCOLS_DTLS_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum vp_dtls_state {
	VP_DTLS_NEW = 0, /**< nothing sent, no key */
	VP_DTLS_HANDSHAKING,
	VP_DTLS_CONNECTED, /**< handshake done, fingerprint matched, keys out */
	VP_DTLS_FAILED,	   /**< terminal; reason given to the handler */
	VP_DTLS_CLOSED,	   /**< close_notify sent or received */
};

/** RFC 5764 §4.1.2 / RFC 7714 §14.2 profile ids as negotiated. */
#define VP_DTLS_SRTP_AES128_CM_SHA1_80 0x0001
#define VP_DTLS_SRTP_AEAD_AES_128_GCM  0x0007

/** Keying material split per RFC 5764 §4.2. Never log it. */
struct vp_dtls_srtp_keys {
	uint16_t profile;	  /**< VP_DTLS_SRTP_* */
	const char *profile_name; /**< OpenSSL's name, static */
	size_t key_len, salt_len; /**< 16 and 14 (CM) or 12 (GCM) */
	uint8_t client_key[16], server_key[16];
	uint8_t client_salt[14], server_salt[14];
};

/** One outgoing datagram (one DTLS flight piece). */
typedef void(vp_dtls_send_h)(const uint8_t *buf, size_t len, void *arg);
/** State change; reason is e.g. "fingerprint mismatch", "timeout". */
typedef void(vp_dtls_state_h)(enum vp_dtls_state st, const char *reason,
			      void *arg);

struct vp_dtls;

/**
 * @param dp      out: new endpoint (refcounted; deref to free)
 * @param ctx     context for the retransmit timers (NULL: the default)
 * @param client  true: we send ClientHello (SDP setup:active)
 * @param sendh   datagram output; stateh  state changes (both required)
 * @return 0, EINVAL, ENOMEM, EPROTO
 */
int vp_dtls_alloc(struct vp_dtls **dp, GMainContext *ctx, bool client,
		  vp_dtls_send_h *sendh, vp_dtls_state_h *stateh, void *arg);

/**
 * The fingerprint from the peer's SDP (a=fingerprint, RFC 8122 §5).
 * Must be set before vp_dtls_start().
 * @param alg "sha-256" (also sha-1, sha-384, sha-512)
 * @param fp  "AB:CD:…" (case ignored)
 * @return 0, EINVAL, EBADMSG (unknown hash or not hex pairs)
 */
int vp_dtls_set_remote_fingerprint(struct vp_dtls *d, const char *alg,
				   const char *fp);

/** Begin: a client sends its ClientHello, a server waits for one.
 * @return 0, EINVAL (no remote fingerprint yet), EALREADY, EPROTO */
int vp_dtls_start(struct vp_dtls *d);

/**
 * Feed one received DTLS datagram (RFC 7983 first byte 20..63).
 * @return 0, EINVAL, EPROTO (the handshake failed; the state handler has
 *         been told), EALREADY (FAILED or CLOSED: ignored)
 */
int vp_dtls_recv(struct vp_dtls *d, const uint8_t *buf, size_t len);

/** @return the exported SRTP keys once CONNECTED, else NULL */
const struct vp_dtls_srtp_keys *vp_dtls_srtp_keys(const struct vp_dtls *d);

enum vp_dtls_state vp_dtls_state(const struct vp_dtls *d);

/** Send close_notify if connected, stop timers; no handler call. */
void vp_dtls_close(struct vp_dtls *d);

/** Our certificate's sha-256 fingerprint ("AB:CD:…"), or NULL on failure. */
const char *vp_dtls_local_fingerprint(void);

#endif
