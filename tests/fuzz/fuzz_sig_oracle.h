/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_sig_oracle.h  What every signaling dialect promises the bot
 * (protocols/sig/dialect.h), checked on the events a fuzzed message
 * sequence makes it raise: nothing after "ended" or "error" (no more
 * events follow), one of them at most, every id and reason a string, an
 * offer with its id, its SDP and a mid on every stream. A broken promise
 * traps, as a sanitizer report would.
 */
#ifndef VP_FUZZ_SIG_ORACLE_H
#define VP_FUZZ_SIG_ORACLE_H

#include "protocols/sig/dialect.h"

struct fuzz_sig {
	bool done;	 /* ended or error seen */
	unsigned events; /* raised, all kinds */
};

static inline void fuzz_sig_live(void *arg)
{
	struct fuzz_sig *f = arg;

	if (f->done)
		__builtin_trap(); /* an event after the last one */
	f->events++;
}

static void fuzz_sig_joined(const struct vp_sig_joined *j, void *arg)
{
	fuzz_sig_live(arg);
	if (!j)
		__builtin_trap();
}

static void fuzz_sig_pjoined(const char *id, const char *display,
			     const char *identity, bool consented, void *arg)
{
	(void)display, (void)identity, (void)consented;
	fuzz_sig_live(arg);
	if (!id)
		__builtin_trap();
}

static void fuzz_sig_left(const char *id, void *arg)
{
	fuzz_sig_live(arg);
	if (!id)
		__builtin_trap();
}

static void fuzz_sig_roster_error(const char *id, int err, void *arg)
{
	(void)id;
	fuzz_sig_live(arg);
	if (!err)
		__builtin_trap(); /* the gate closes for a reason */
}

/* the offer's promises; the caller may answer it */
static inline void fuzz_sig_check_offer(const struct vp_sig_offer *o, void *arg)
{
	fuzz_sig_live(arg);
	if (!o || !o->offer_id || !o->sdp || (o->nstreams && !o->streams))
		__builtin_trap();
	for (size_t i = 0; i < o->nstreams; i++)
		if (!o->streams[i].mid)
			__builtin_trap();
}

static void fuzz_sig_consent(const char *id, bool granted, void *arg)
{
	(void)granted;
	fuzz_sig_live(arg);
	if (!id)
		__builtin_trap();
}

static void fuzz_sig_ended(const char *reason, void *arg)
{
	fuzz_sig_live(arg);
	if (!reason)
		__builtin_trap();
	((struct fuzz_sig *)arg)->done = true;
}

static void fuzz_sig_error(enum vp_sig_err_kind kind, const char *reason,
			   void *arg)
{
	fuzz_sig_live(arg);
	if (!reason ||
	    (kind != VP_SIG_ERR_TRANSIENT && kind != VP_SIG_ERR_PERMANENT))
		__builtin_trap();
	((struct fuzz_sig *)arg)->done = true;
}

/* the handlers, with OFFER for the offer (it calls fuzz_sig_check_offer) */
#define FUZZ_SIG_HANDLER(offer_h)                                              \
	{                                                                      \
		.joined = fuzz_sig_joined,                                     \
		.participant_joined = fuzz_sig_pjoined,                        \
		.participant_left = fuzz_sig_left,                             \
		.roster_error = fuzz_sig_roster_error, .offer = (offer_h),     \
		.consent = fuzz_sig_consent, .ended = fuzz_sig_ended,          \
		.error = fuzz_sig_error,                                       \
	}

#endif
