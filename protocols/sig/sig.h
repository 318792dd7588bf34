/* SPDX-License-Identifier: MIT */
/**
 * @file sig.h  Signaling front door for the bot: one conference connection
 * whose dialect is chosen by the invite scheme (docs/design.md §4). Events come
 * back through struct vp_sig_handler (dialect.h) on cfg->ctx's thread.
 */
#ifndef VP_SIG_SIG_H
#define VP_SIG_SIG_H

#include "protocols/sig/dialect.h"
#include "protocols/sig/invite.h"

struct vp_sig;

/** @return the dialect serving `d`, or NULL */
const struct vp_sig_dialect *vp_sig_dialect_find(enum vp_invite_dialect d);

/**
 * Prepare a connection (no network activity yet).
 * @param sigp out
 * @param cfg  ctx (required), insecure, timeouts
 * @param inv  a parsed invite (copied)
 * @param h    the bot's handlers (copied), called with arg
 * @return 0, EINVAL, ENOENT (no dialect for this scheme; e.g. sim not
 *         linked yet) or ENOMEM
 */
int vp_sig_alloc(struct vp_sig **sigp, const struct vp_sig_cfg *cfg,
		 const struct vp_invite *inv, const struct vp_sig_handler *h,
		 void *arg);

/** Connect and join under `display` (NULL: the invite's name, else
 *  "vpbot"). @return 0, EINVAL, EALREADY, ENOMEM or EPROTO */
int vp_sig_join(struct vp_sig *s, const char *display);

/** Answer offer `offer_id` with a recvonly SDP.
 *  @return 0, EINVAL, EALREADY (stale offer or ended), ENOMEM */
int vp_sig_answer(struct vp_sig *s, const char *offer_id, const char *sdp);

/** Trickle a local candidate (candidate NULL: end of candidates).
 *  @return 0, EINVAL, EALREADY, ENOMEM */
int vp_sig_trickle(struct vp_sig *s, const char *mid, unsigned mline,
		   const char *candidate);

/** Leave politely; `ended` follows. @return 0, EINVAL, EALREADY */
int vp_sig_leave(struct vp_sig *s);

/**
 * Show the bot's recording announcement to the meeting (consent modes
 * notify/enforced). @return 0, EINVAL, ENOTSUP (the dialect has no way to)
 */
int vp_sig_notice(struct vp_sig *s, const char *text);

/** @return the dialect's name ("janus", "sim") */
const char *vp_sig_name(const struct vp_sig *s);

#endif
