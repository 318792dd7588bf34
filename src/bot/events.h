/* SPDX-License-Identifier: MIT */
/**
 * @file events.h  Status events: one JSON object per line, each with
 * "ts" (RFC 3339 UTC, µs) and "event" (joining, joined, participant_joined,
 * participant_left, stream_started, gate, left, error, …), written to
 * --events FILE or FD (docs/design.md §7). Never carries keys, tokens or audio.
 */
#ifndef VP_BOT_EVENTS_H
#define VP_BOT_EVENTS_H

#include <jansson.h>
#include <stddef.h>

struct vp_events;
struct vp_webhook_cfg;

/**
 * @param spec  a path (appended to), or "fd:N" for an inherited file
 *              descriptor (only that form: "2024-ev.jsonl" is a file);
 *              NULL: events are dropped
 * @return 0, EINVAL, ENOMEM or the errno of open
 */
int vp_events_open(struct vp_events **evp, const char *spec);

/**
 * POST every later event to a webhook too (webhook.h), from its own thread.
 * @return 0, EINVAL (why says what, never the secret), ENOMEM or an errno
 */
int vp_events_webhook(struct vp_events *ev, const struct vp_webhook_cfg *cfg,
		      char *why, size_t whysz);

/**
 * Deliver what the webhook still has (bounded), stop it.
 * @return its delivery record for meeting.json, or NULL without a webhook
 */
json_t *vp_events_finish(struct vp_events *ev);

/**
 * Emit one event ("seq" counts from 1); takes ownership of `fields`. An
 * event that may lack a member (an allocation on this thread failed from
 * before `fields` was built until the line was made: jansson leaves such a
 * member out, json_pack returns NULL) is not written, only logged: its
 * "seq" is skipped, so a reader sees the gap.
 */
#define vp_events_emit(ev, event, fields)                                      \
	(vp_events__mark(), vp_events__emit(ev, event, fields))
/* the failure count before `fields` is built (the comma orders the calls) */
void vp_events__mark(void);
void vp_events__emit(struct vp_events *ev, const char *event, json_t *fields);

#endif
