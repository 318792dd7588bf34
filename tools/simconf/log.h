/* SPDX-License-Identifier: MIT */
/**
 * @file log.h  The send log: one JSON object per line, flushed as written,
 * saying exactly what simconf did and which audio it put on the wire
 * (README.md lists the events and fields). Tests read it as the proof of
 * what must and must not be on the bot's disk.
 */
#ifndef VP_TOOLS_SIMCONF_LOG_H
#define VP_TOOLS_SIMCONF_LOG_H

#include <stdint.h>

#include <jansson.h>

struct vp_simconf_log;

/** @return 0, EINVAL, ENOENT (cannot create path) or ENOMEM */
int vp_simconf_log_open(struct vp_simconf_log **lp, const char *path);

/**
 * Write one line {"meeting", "participant"?, "event", "utc_ns",
 * "media_ns"?, …extra}. Never blocks on anything but the file.
 * @param participant  NULL for meeting-level events
 * @param media_ns     ns after the bot joined, < 0 to leave it out
 * @param extra        object whose fields are added; stolen; may be NULL
 */
void vp_simconf_log_event(struct vp_simconf_log *l, const char *meeting,
			  const char *participant, const char *event,
			  int64_t media_ns, json_t *extra);

#endif
