/* SPDX-License-Identifier: MIT */
/** @file dialect_sim.h  The `sim` dialect (protocol: SIM.md). */
#ifndef VP_SIG_DIALECT_SIM_H
#define VP_SIG_DIALECT_SIM_H

#include "protocols/sig/dialect.h"

struct vp_sig_sim;

extern const struct vp_sig_dialect vp_sig_dialect_sim;

/** Make a state object without connecting (tests, fuzzing). */
int vp_sig_sim_alloc(struct vp_sig_sim **sp, const struct vp_sig_cfg *cfg,
		     const struct vp_invite *inv,
		     const struct vp_sig_handler *h, void *arg);
/**
 * Handle one server message (pure apart from the handlers it calls).
 * @return 0, EBADMSG when it is not a JSON object with a string "type",
 * or ENOMEM (the message was lost: roster_error was called)
 */
int vp_sig_sim_handle_msg(struct vp_sig_sim *s, const char *text, size_t len);
/** Send the bot's recording announcement. */
int vp_sig_sim_notice(struct vp_sig_sim *s, const char *text);

#endif
