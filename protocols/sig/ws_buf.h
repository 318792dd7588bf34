/* SPDX-License-Identifier: MIT */
/**
 * @file ws_buf.h  The WebSocket client's two buffers, pure so they can be
 * tested without a socket: a bounded send queue (count and bytes) and an
 * incoming-message reassembler with a size cap.
 */
#ifndef VP_SIG_WS_BUF_H
#define VP_SIG_WS_BUF_H

#include <stdbool.h>
#include <stddef.h>

/** A queued outgoing message; `pre` bytes of headroom precede the text. */
struct vp_sig_txmsg {
	struct vp_sig_txmsg *next;
	size_t len;	     /**< text length */
	bool binary;	     /**< a binary frame, not text */
	unsigned char buf[]; /**< pre headroom + text + NUL */
};

/** Bounded FIFO of outgoing text messages. Zero-initialise, then set max_*. */
struct vp_sig_txq {
	struct vp_sig_txmsg *head, *tail;
	size_t count, bytes;
	size_t max_count, max_bytes;
	size_t pre; /**< headroom each message keeps (LWS_PRE for lws) */
};

/**
 * Append a copy of text. Never grows past max_count messages or max_bytes
 * bytes of text.
 * @return 0, EINVAL, ENOBUFS (queue full: the message is not queued) or
 *         ENOMEM
 */
int vp_sig_txq_push(struct vp_sig_txq *q, const char *text, size_t len);
/** @return the oldest message (still queued), or NULL */
struct vp_sig_txmsg *vp_sig_txq_peek(const struct vp_sig_txq *q);
/** Remove and free the oldest message. */
void vp_sig_txq_pop(struct vp_sig_txq *q);
/** Free everything. */
void vp_sig_txq_flush(struct vp_sig_txq *q);

/** Reassembles one message from frames/fragments. Zero-init, set max. */
struct vp_sig_rx {
	char *buf; /**< vp_mem; NUL-terminated when complete */
	size_t len, cap, max;
};

/**
 * Add a piece of the current message.
 * @param last  true if this piece completes the message
 * @param donep out: true when a complete message is in rx->buf[0..len)
 * @return 0, EMSGSIZE (message would exceed max; the partial message is
 *         dropped) or ENOMEM
 */
int vp_sig_rx_add(struct vp_sig_rx *rx, const void *data, size_t n, bool last,
		  bool *donep);
/** Forget the current (complete or partial) message, keep the buffer. */
void vp_sig_rx_reset(struct vp_sig_rx *rx);
/** Free the buffer. */
void vp_sig_rx_free(struct vp_sig_rx *rx);

#endif
