/* SPDX-License-Identifier: MIT */
/**
 * @file janus.h  The Janus dialect's protocol machine (docs/janus.md §5):
 * pure, no sockets and no timers. It is fed Janus messages and produces
 * requests through a send handler; dialect_janus.c wires it to a
 * WebSocket and a keepalive timer, the tests and the fuzzer drive it
 * directly.
 */
#ifndef VP_SIG_JANUS_H
#define VP_SIG_JANUS_H

#include <stdbool.h>
#include <stddef.h>

#include "protocols/sig/dialect.h"
#include "protocols/sig/invite.h"

struct vp_sig_janus;

/** One request (JSON text, NUL-terminated, borrowed) to send to Janus. */
typedef void(vp_sig_janus_send_h)(const char *json, size_t len, void *arg);

/**
 * @param jp     out
 * @param inv    room, pin, plugin (copied)
 * @param display our display name (NULL: inv->name, else "vpbot")
 * @param h      the bot's handlers (copied); called with harg
 * @param sendh  where requests go; called with sarg
 * @return 0, EINVAL (not a janus invite, NULL argument) or ENOMEM
 */
int vp_sig_janus_alloc(struct vp_sig_janus **jp, const struct vp_invite *inv,
		       const char *display, const struct vp_sig_handler *h,
		       void *harg, vp_sig_janus_send_h *sendh, void *sarg);

/** The transport is up: create the session. @return 0, EALREADY, ENOMEM */
int vp_sig_janus_start(struct vp_sig_janus *j);

/**
 * Handle one message from Janus. Never crashes on garbage: a message that
 * is not a JSON object with a "janus" string is refused, unknown or
 * ill-typed fields are ignored.
 * @return 0, EINVAL, EBADMSG (not a Janus message) or EALREADY (the
 *         session already ended; ignored)
 */
int vp_sig_janus_handle_msg(struct vp_sig_janus *j, const char *json,
			    size_t len);

/** Send a session keepalive (every 25 s; Janus drops a session after 60 s
 *  of silence). @return 0, EALREADY (no session) or ENOMEM */
int vp_sig_janus_keepalive(struct vp_sig_janus *j);

/**
 * Answer the offer `offer_id` (VideoRoom: "start"; AudioBridge:
 * "configure" muted). "trickle":false is added when the SDP already ends
 * its candidates (a=end-of-candidates).
 * @return 0, EINVAL, EALREADY (not the latest offer, or ended) or ENOMEM
 */
int vp_sig_janus_answer(struct vp_sig_janus *j, const char *offer_id,
			const char *sdp);

/** Trickle a candidate for the current offer; candidate NULL = completed.
 *  @return 0, EINVAL, EALREADY (no offer yet, or ended) or ENOMEM */
int vp_sig_janus_trickle(struct vp_sig_janus *j, const char *mid,
			 unsigned mline, const char *candidate);

/**
 * Leave politely: leave on every handle, detach, destroy the session.
 * `ended("left")` follows when Janus confirms (or at once without a
 * session). @return 0, EALREADY (leaving or ended) or ENOMEM
 */
int vp_sig_janus_leave(struct vp_sig_janus *j);

/**
 * The transport is gone. While leaving this completes the leave
 * (ended "left"), otherwise it is a transient error "signaling lost".
 */
void vp_sig_janus_lost(struct vp_sig_janus *j, const char *why);

/** @return true once ended or error was reported (no events follow) */
bool vp_sig_janus_done(const struct vp_sig_janus *j);
/** @return true while a session exists (keepalives are due) */
bool vp_sig_janus_has_session(const struct vp_sig_janus *j);

#endif
