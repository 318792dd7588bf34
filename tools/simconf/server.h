/* SPDX-License-Identifier: MIT */
/**
 * @file server.h  The sim-dialect WebSocket server (RFC 6455, subprotocol
 * "vpbot-sim") over libwebsockets 4.1 on the caller's GMainContext (lws
 * glib event library), routing each connection's `join` to a meeting.
 */
#ifndef VP_TOOLS_SIMCONF_SERVER_H
#define VP_TOOLS_SIMCONF_SERVER_H

#include <stdint.h>

#include <glib.h>

#include "tools/simconf/meeting.h"

/** @return the meeting with that id, or NULL (-> no_such_meeting) */
typedef struct vp_simconf_meeting *(vp_simconf_lookup_h)(const char *id,
							 void *arg);

struct vp_simconf_server_cfg {
	const char *bind; /**< a loopback address */
	uint16_t port;	  /**< 0: the kernel picks one */
	GMainContext *ctx;
};

struct vp_simconf_server;

/** @return 0, EINVAL, ENOMEM or EADDRINUSE (cannot listen) */
int vp_simconf_server_alloc(struct vp_simconf_server **sp,
			    const struct vp_simconf_server_cfg *cfg,
			    vp_simconf_lookup_h *lookup, void *arg);

/** @return the port actually listened on */
uint16_t vp_simconf_server_port(const struct vp_simconf_server *s);

#endif
