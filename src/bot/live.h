/* SPDX-License-Identifier: MIT */
/**
 * @file live.h  Live audio out (README "Live audio out"): the PCM that
 * reaches disk, sent as it is written to a WebSocket receiver (a live
 * transcriber, a voice agent).
 *
 * The io thread taps each stream where its chunks are written (io_thread.h
 * vp_io_tap) and hands copies to a bounded single-producer ring; a thread
 * of the live output's own, running the bot's WebSocket client
 * (protocols/sig/ws.h) on a GMainContext of its own, packs them into
 * binary messages and sends them. Nothing here runs on the net
 * thread, and nothing waits on the receiver: a full ring drops the block
 * (counted), a lost connection discards what is queued (counted) and is
 * retried with exponential backoff and jitter.
 *
 * Wire format (README has the receiver's view). On each connection the
 * first message is text:
 *
 *   {"type":"hello","version":1,"meeting":"ID","format":"s16le"}
 *
 * then binary messages, each: a 4-byte big-endian length H, H bytes of a
 * JSON header, then the PCM of every segment in order (16-bit little-endian
 * interleaved, samples x channels x 2 bytes each):
 *
 *   {"seq":N,"segments":[{"stream":"s1","participant":"p1",
 *     "start_sample":48000,"rate":16000,"channels":1,"samples":1600,
 *     "dropped":0}, …]}
 *
 * A segment's samples are those written to disk at start_sample on the
 * meeting's recording timeline, exactly; samples of a stream never sent
 * are silence (the gate was closed, or a gap the chunk writer filled with
 * zeros) unless the next segment's "dropped" counts them (queue full or
 * no connection). When the bot stops it sends what is queued (bounded)
 * and then the text message {"type":"end"} before closing with 1000.
 */
#ifndef VP_BOT_LIVE_H
#define VP_BOT_LIVE_H

#include "src/bot/io_thread.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP_LIVE_HOST_MAX   256
#define VP_LIVE_PATH_MAX   2048
#define VP_LIVE_ORIGIN_MAX 300

/** The environment variable `vpbot join` reads the live URL from. */
#define VP_LIVE_URL_ENV "VPBOT_LIVE_URL"

/** A parsed ws:// or wss:// URL. */
struct vp_live_url {
	bool tls;			 /**< wss */
	bool secret;			 /**< has a query (may hold a token) */
	uint16_t port;			 /**< explicit, or 80 / 443 */
	char host[VP_LIVE_HOST_MAX];	 /**< without [] for IPv6 */
	char path[VP_LIVE_PATH_MAX];	 /**< path and query: never log */
	char origin[VP_LIVE_ORIGIN_MAX]; /**< "ws://host:port": printable */
};

/**
 * Parse ws://HOST[:PORT][/PATH][?QUERY] or wss://… (libcurl's URL parser).
 * Refused: another scheme, user info, a fragment, no host, port 0.
 * @param why  a one-line reason on failure (never the path or query)
 * @return 0, EINVAL or EBADMSG
 */
int vp_live_url_parse(struct vp_live_url *u, const char *url, char *why,
		      size_t whysz);

struct vp_live_cfg {
	const char *url;     /**< ws:// or wss:// */
	const char *ca_file; /**< wss: extra CA (PEM); NULL: the system's */
	const char *meeting; /**< meeting id, for the hello */
	uint32_t ring_slots; /**< 0: 1024 blocks (~10 s of one stream) */
	double drain_s;	     /**< at the end: 0: 2 s to send what is queued */
};

struct vp_live_stats {
	uint64_t messages;	  /**< binary messages sent */
	uint64_t samples;	  /**< samples sent (frames x channels) */
	uint64_t bytes;		  /**< payload bytes sent */
	uint64_t dropped_blocks;  /**< blocks not sent: ring full or no
				   *   connection */
	uint64_t dropped_samples; /**< the samples in them */
	uint64_t connects;	  /**< connections established */
	uint64_t reconnects;	  /**< attempts after a lost or refused one */
	bool connected;
	char last_error[160]; /**< never the path or query */
};

struct vp_live;

/**
 * Start the live output's thread; it connects at once and keeps trying.
 * @return 0, EINVAL, EBADMSG (bad URL), ENOMEM or EAGAIN (no thread)
 */
int vp_live_start(struct vp_live **lp, const struct vp_live_cfg *cfg);

/** The io thread's tap (io_thread.h) that feeds @p l. */
void vp_live_tap(struct vp_live *l, struct vp_io_tap *tap);

/** Counters so far; any thread. */
void vp_live_stats(struct vp_live *l, struct vp_live_stats *st);

/** @return {"origin", "messages", …} for meeting.json; any thread */
json_t *vp_live_stats_json(struct vp_live *l);

/**
 * Send what is queued (bounded by drain_s), say "end", close, join the
 * thread; the counters stay readable. Free with vp_mem_deref() (which
 * finishes first if needed). The io thread must be stopped first.
 */
void vp_live_finish(struct vp_live *l);

#endif
