/* SPDX-License-Identifier: MIT */
/**
 * @file events.h  Status events: one JSON object per line, each with
 * "ts" (RFC 3339 UTC, µs) and "event" (joining, joined, participant_joined,
 * participant_left, stream_started, gate, left, error, …), written to
 * --events FILE or FD (DESIGN.md §7). Never carries keys, tokens or audio.
 */
#ifndef VP_BOT_EVENTS_H
#define VP_BOT_EVENTS_H

#include <jansson.h>

struct vp_events;

/**
 * @param spec  a path (appended to), or "fd:N" for an inherited file
 *              descriptor (only that form: "2024-ev.jsonl" is a file);
 *              NULL: events are dropped
 * @return 0, EINVAL, ENOMEM or the errno of open
 */
int vp_events_open(struct vp_events **evp, const char *spec);

/** Emit one event; takes ownership of `fields` (may be NULL). */
void vp_events_emit(struct vp_events *ev, const char *event, json_t *fields);

#endif
