/* SPDX-License-Identifier: MIT */
/**
 * @file meeting.h  One hosted meeting: the SIM.md server side for the bot
 * attached to it, its scenario clock (0 = the bot's `joined`), the peer
 * connection (ICE controlling, DTLS server) and one sender per speaking
 * participant. Runs on the net thread (one GMainContext).
 */
#ifndef VP_TOOLS_SIMCONF_MEETING_H
#define VP_TOOLS_SIMCONF_MEETING_H

#include <stdbool.h>

#include <glib.h>
#include <jansson.h>

#include "tools/simconf/audio.h"
#include "tools/simconf/log.h"
#include "tools/simconf/scenario.h"

/** What a meeting may do with the WebSocket it is attached to. */
struct vp_simconf_conn_ops {
	/** queue one text message. @return 0 or ENOMEM */
	int (*send)(void *conn, const char *text);
	/** close politely once the queue is sent */
	void (*close)(void *conn);
	/** close abruptly: no close frame (the signaling-drop fault) */
	void (*drop)(void *conn);
	/** stop reading the connection, as a frozen server would: not even
	 *  WebSocket pings are answered any more (the hang fault) */
	void (*freeze)(void *conn);
};

struct vp_simconf_meeting_cfg {
	const char *id; /**< this copy's id */
	const struct vp_simconf_mdef *def;
	struct vp_simconf_clip *const *const *clips; /**< [part][speak] */
	struct vp_simconf_log *log;
	const char *dump_dir;	/**< NULL: no dump */
	const char *media_addr; /**< local ICE address (a loopback one) */
	GMainContext *ctx;
};

struct vp_simconf_meeting;

/** @return 0, EINVAL or ENOMEM */
int vp_simconf_meeting_alloc(struct vp_simconf_meeting **mp,
			     const struct vp_simconf_meeting_cfg *cfg);

const char *vp_simconf_meeting_id(const struct vp_simconf_meeting *m);

/**
 * A bot sent `join` for this meeting on conn. The meeting answers (lobby,
 * joined, denied or an error) through ops; on an error it closes conn.
 * @return 0 if conn is now attached, else EACCES (refused; conn closing)
 */
int vp_simconf_meeting_attach(struct vp_simconf_meeting *m, void *conn,
			      const struct vp_simconf_conn_ops *ops,
			      json_t *join);

/** A message from the attached bot (after join). */
void vp_simconf_meeting_msg(struct vp_simconf_meeting *m, json_t *msg);

/** The attached conn is gone (closed by either side). */
void vp_simconf_meeting_detach(struct vp_simconf_meeting *m, void *conn);

/** @return true once a session ended and none is running */
bool vp_simconf_meeting_done(const struct vp_simconf_meeting *m);

#endif
