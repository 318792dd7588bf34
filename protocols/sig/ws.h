/* SPDX-License-Identifier: MIT */
/**
 * @file ws.h  WebSocket client (libwebsockets) on the bot's GMainContext:
 * ws:// and wss://, a subprotocol, a bounded send queue, capped message
 * reassembly, pings, connect timeout and close with a reason.
 */
#ifndef VP_SIG_WS_H
#define VP_SIG_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct vp_sig_ws;

#define VP_SIG_WS_MAX_MSG (256 * 1024)

/** Zero-initialise, then fill; zero fields take the defaults shown. */
struct vp_sig_ws_cfg {
	GMainContext *ctx; /**< NULL: the thread-default context */
	const char *host;  /**< name or address (no brackets) */
	uint16_t port;
	const char *path;	     /**< NULL: "/" */
	bool tls;		     /**< wss: server certificate verified */
	bool insecure;		     /**< wss without certificate checks */
	const char *subprotocol;     /**< e.g. "janus-protocol"; NULL: none */
	size_t max_msg;		     /**< 0: VP_SIG_WS_MAX_MSG */
	size_t queue_max_count;	     /**< 0: 256 messages */
	size_t queue_max_bytes;	     /**< 0: 1 MiB */
	uint64_t connect_timeout_ns; /**< 0: 10 s */
	unsigned ping_secs; /**< 0: 20 s; no pong within 2.5x: closed */
	/** lws's own connect-phase timeouts; 0: connect timeout + 5 s, so
	 *  ours decides. Tests set it lower to make lws drop first. */
	unsigned lws_timeout_secs;
};

/** The connection is up; queued messages are being sent. */
typedef void(vp_sig_ws_connected_h)(void *arg);
/** One complete text message (NUL-terminated, borrowed). */
typedef void(vp_sig_ws_message_h)(const char *text, size_t len, void *arg);
/**
 * The connection is gone (or never came up); called once, and last.
 * @param err     0 after vp_sig_ws_close(), else ECONNRESET (dropped,
 *                refused, peer closed), ETIMEDOUT (connect or ping
 *                timeout), EMSGSIZE (message too large) or ENOBUFS
 * @param reason  one line for humans
 */
typedef void(vp_sig_ws_closed_h)(int err, const char *reason, void *arg);

/**
 * Connect. Callbacks run on cfg->ctx (iterate it to make progress).
 * Destroy with vp_mem_deref(); that never calls a handler. It is safe to
 * deref the object from inside one of its handlers.
 * @return 0, EINVAL, ENOMEM or EPROTO (libwebsockets refused)
 */
int vp_sig_ws_alloc(struct vp_sig_ws **wsp, const struct vp_sig_ws_cfg *cfg,
		    vp_sig_ws_connected_h *connh, vp_sig_ws_message_h *msgh,
		    vp_sig_ws_closed_h *closeh, void *arg);

/**
 * Queue a text message (sent once connected, in order).
 * @return 0, EINVAL, ENOBUFS (queue full), ENOMEM or ECONNRESET (closed)
 */
int vp_sig_ws_send(struct vp_sig_ws *ws, const char *text, size_t len);

/** Flush the queue, then close with 1000; closedh(0, ...) follows. */
void vp_sig_ws_close(struct vp_sig_ws *ws);

/** @return true between connectedh and closedh */
bool vp_sig_ws_is_open(const struct vp_sig_ws *ws);

#endif
