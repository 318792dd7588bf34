/* SPDX-License-Identifier: MIT */
/**
 * @file dialect.h  The interface every signaling dialect implements.
 *
 * The bot talks to a conference through one `struct vp_sig` (sig.h), which
 * forwards to the dialect picked by the invite's scheme. A dialect is a
 * versioned vtable; adding one (e.g. dialect_sim.c) means: implement the
 * five functions below, export `const struct vp_sig_dialect
 * vp_sig_dialect_<name>`, and add it to the table in sig.c.
 *
 * Every event callback runs on the bot's GMainContext thread. Strings given
 * to callbacks are borrowed for the duration of the call only.
 */
#ifndef VP_SIG_DIALECT_H
#define VP_SIG_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "protocols/sig/invite.h"

/**
 * How the bot should treat an error. TRANSIENT (retry later, exit 75) is
 * the zero value: an error a dialect forgot to classify is retried rather
 * than making the scheduler give up on a meeting.
 */
enum vp_sig_err_kind {
	VP_SIG_ERR_TRANSIENT = 0, /**< unreachable, dropped, timeout -> 75 */
	VP_SIG_ERR_PERMANENT,	  /**< no such room, wrong pin, denied -> 69 */
};

/** What the server told us when we got in. */
struct vp_sig_joined {
	const char *room;	 /**< meeting id / room */
	const char *self_id;	 /**< our participant id, may be NULL */
	const char *description; /**< may be NULL */
};

/** One m-line of an offer: which participant's audio arrives on `mid`. */
struct vp_sig_stream {
	const char *mid;
	const char *participant; /**< participant id, or "mix" (AudioBridge) */
	bool active;		 /**< false once the m-line was deactivated */
	/** the server's mix of the whole roster (AudioBridge), not one
	 * participant's audio: the gate judges everyone the roster named */
	bool mixed;
};

/**
 * An offer from the server. The bot answers with vp_sig_answer(offer_id).
 * On renegotiation a new offer carries the whole map again (added streams,
 * and streams whose participant left with active=false).
 */
struct vp_sig_offer {
	const char *offer_id;
	const char *sdp;
	const struct vp_sig_stream *streams;
	size_t nstreams;
};

typedef void(vp_sig_joined_h)(const struct vp_sig_joined *j, void *arg);
/**
 * identity: verified identity (sim) or NULL (janus has none); consented:
 * their consent as they come in (sim), false where the dialect has none.
 * Delivered together so the gate never sees a consenting participant
 * without their consent, not even for a moment.
 */
typedef void(vp_sig_participant_joined_h)(const char *id, const char *display,
					  const char *identity, bool consented,
					  void *arg);
typedef void(vp_sig_participant_left_h)(const char *id, void *arg);
/**
 * A participant is present whom the dialect cannot track (out of memory,
 * more than it can hold): it never announced them, and the roster the
 * gate knows is incomplete from now on. The bot must close the gate for
 * the rest of the meeting (fail closed, docs/design.md §6).
 */
typedef void(vp_sig_roster_error_h)(const char *id, int err, void *arg);
typedef void(vp_sig_offer_h)(const struct vp_sig_offer *o, void *arg);
typedef void(vp_sig_consent_h)(const char *id, bool granted, void *arg);
/** The meeting ended or we left normally; no more events follow. */
typedef void(vp_sig_ended_h)(const char *reason, void *arg);
/** Fatal for this session; no more events follow. */
typedef void(vp_sig_error_h)(enum vp_sig_err_kind kind, const char *reason,
			     void *arg);

/** The bot's handlers. Any member may be NULL. */
struct vp_sig_handler {
	vp_sig_joined_h *joined;
	vp_sig_participant_joined_h *participant_joined;
	vp_sig_participant_left_h *participant_left;
	vp_sig_roster_error_h *roster_error;
	vp_sig_offer_h *offer;
	vp_sig_consent_h *consent; /**< sim only */
	vp_sig_ended_h *ended;
	vp_sig_error_h *error;
};

/** Settings common to all dialects. Zero-initialise, then fill. */
struct vp_sig_cfg {
	GMainContext *ctx;	     /**< the bot's net-thread context */
	bool insecure;		     /**< wss: skip certificate checks */
	uint64_t connect_timeout_ns; /**< 0: 10 s */
	uint64_t lobby_timeout_ns;   /**< 0: 300 s (dialects with a lobby) */
	uint64_t keepalive_ns;	     /**< 0: dialect default (janus 25 s) */
};

#define VP_SIG_DIALECT_VERSION 1

/** A dialect. Its state object is opaque to everyone but the dialect. */
struct vp_sig_dialect {
	int version;		   /**< VP_SIG_DIALECT_VERSION */
	const char *name;	   /**< "janus", "sim" */
	enum vp_invite_dialect id; /**< which invites it serves */
	/** Make the state object (a vp_mem object; deref destroys it
	 *  without callbacks). Connects when join() is called. */
	int (*alloc)(void **statep, const struct vp_sig_cfg *cfg,
		     const struct vp_invite *inv,
		     const struct vp_sig_handler *h, void *arg);
	int (*join)(void *state, const char *display);
	int (*answer)(void *state, const char *offer_id, const char *sdp);
	/** candidate NULL: end of candidates */
	int (*trickle)(void *state, const char *mid, unsigned mline,
		       const char *candidate);
	int (*leave)(void *state);
	/** Optional (NULL: not supported): the recording announcement. */
	int (*notice)(void *state, const char *text);
};

#endif
