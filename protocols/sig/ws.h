/* SPDX-License-Identifier: MIT */
/**
 * @file ws.h  WebSocket client (libwebsockets) on a GMainContext: ws:// and
 * wss:// (system CAs or one CA file), a subprotocol, a bounded send queue
 * of text and binary messages, capped message reassembly, pings, connect
 * timeout and close with a reason. The bot's one WebSocket client: the
 * signaling connection (net thread) and the live audio output (its own
 * thread and context, src/bot/live_ws.c) both use it.
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
	const char *path;	 /**< NULL: "/" */
	bool tls;		 /**< wss: server certificate verified */
	bool insecure;		 /**< wss without certificate checks */
	const char *ca_file;	 /**< wss: trust only this PEM file; NULL: the
				  *   system's CAs */
	const char *subprotocol; /**< e.g. "janus-protocol"; NULL: none */
	size_t max_msg;		 /**< 0: VP_SIG_WS_MAX_MSG */
	size_t queue_max_count;	 /**< 0: 256 messages */
	size_t queue_max_bytes;	 /**< 0: 1 MiB */
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

/** A queued message was handed to the socket (vp_sig_ws_set_senth()). */
typedef void(vp_sig_ws_sent_h)(size_t len, bool binary, void *arg);

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

/**
 * Queue a binary message, as vp_sig_ws_send() (same queue, same order).
 * @return 0, EINVAL, ENOBUFS (queue full), ENOMEM or ECONNRESET (closed)
 */
int vp_sig_ws_send_binary(struct vp_sig_ws *ws, const void *data, size_t len);

/** @return the number of messages queued and not yet sent */
size_t vp_sig_ws_queued(const struct vp_sig_ws *ws);

/** Call @p senth (with the alloc's arg) after each message is written, so
 *  a producer can keep the queue short and hold the rest itself. */
void vp_sig_ws_set_senth(struct vp_sig_ws *ws, vp_sig_ws_sent_h *senth);

/** Flush the queue, then close with 1000; closedh(0, ...) follows. */
void vp_sig_ws_close(struct vp_sig_ws *ws);

/** @return true between connectedh and closedh */
bool vp_sig_ws_is_open(const struct vp_sig_ws *ws);

#endif
