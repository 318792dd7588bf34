/* SPDX-License-Identifier: MIT */
/**
 * @file jpub.h  jpub: one native Janus VideoRoom (or AudioBridge)
 * publisher for vpbot-load
 * (tools/load/README.md). It speaks the Janus publisher flow over the
 * WebSocket API (create session, attach videoroom, optionally create the
 * room, join as publisher, publish a sendonly Opus offer), brings up
 * ICE + DTLS-SRTP with the project's own stack in the sender role
 * (protocols/pc, as simconf uses it) and sends the marker signal
 * (tools/simconf/marker.h): frame k names k mod 256. Every frame is
 * encoded once (the cache is shared by the life of the process) and only
 * packetized and protected per send. What went on the wire is written to
 * a send log (jsonl), the truth vpbot-load compares the subscribers with.
 */
#ifndef VP_TOOLS_JPUB_JPUB_H
#define VP_TOOLS_JPUB_JPUB_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <jansson.h>

#include "protocols/pc/pc.h"
#include "protocols/sig/ws.h"
#include "tools/simconf/log.h"

struct jpub_opts {
	const char *host, *path, *log, *id, *media_addr;
	uint16_t port;
	uint64_t room;
	unsigned seconds;	  /* stop by itself after this long (bound) */
	unsigned room_publishers; /* with --create: the room's max publishers */
	bool create, destroy; /* create the room first / destroy it at leave */
	bool audiobridge;     /* --plugin audiobridge (else videoroom) */
	double amp;
};

enum jpub_state {
	J_CONNECT = 0,
	J_SESSION,
	J_ATTACH,
	J_CREATE,
	J_JOIN,
	J_GATHER,
	J_PUBLISH,
	J_MEDIA,
	J_LEAVING,
	J_DONE,
};

struct jpub_enc; /* media.c: the encoded frame cache */

struct jpub {
	const struct jpub_opts *o;
	GMainLoop *loop;
	struct vp_sig_ws *ws;
	struct vp_simconf_log *log;
	char room_s[24];
	enum jpub_state st;
	uint64_t session, handle, feed;
	unsigned tx_n;
	char tx_wait[16]; /* transaction of the request we wait for */
	guint keepalive, deadline, tick, leave_guard;
	unsigned leave_step;
	int rc; /* exit code: 0, or why it failed */
	char why[160];
	/* media */
	struct vp_pc *pc;
	struct jpub_enc *enc;
	bool gathered, secure, paused;
	uint32_t ssrc, ts0;
	uint16_t seq;
	uint64_t t0_mono, t0_utc, next_k, next_sr;
	uint64_t pkts, octets, send_fail, unsent;
	/* the open run of frames with one fate (the send log's "audio") */
	bool run_open, run_sent;
	uint64_t run_k0, run_n;
};

/* sig.c */
int jpub_sig_start(struct jpub *j);
/** Send {"janus":kind,...} (+ handle) with body/jsep (stolen, may be
 * NULL); remembers the transaction when wait is true. */
int jpub_sig_send(struct jpub *j, const char *kind, json_t *body, json_t *jsep,
		  bool wait);
/** Gathering is done: send the offer (publish). */
void jpub_sig_publish(struct jpub *j);
void jpub_sig_leave(struct jpub *j, const char *why);
void jpub_fail(struct jpub *j, int rc, const char *why);

/* media.c */
int jpub_media_start(struct jpub *j);
/** Build the sendonly offer (vp_mem string) once gathering is done. */
int jpub_media_offer(struct jpub *j, char **sdp);
int jpub_media_answer(struct jpub *j, const char *sdp);
/** SIGUSR1: stop sending (the stats are logged), stay in the room */
void jpub_media_pause(struct jpub *j);
void jpub_media_stop(struct jpub *j);
void jpub_media_free(struct jpub *j);

#endif
