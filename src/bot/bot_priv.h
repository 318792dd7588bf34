/* SPDX-License-Identifier: MIT */
/** @file bot_priv.h  State shared by bot.c (lifecycle, signaling),
 * bot_media.c (offers, peer connection, RTP routing) and bot_report.c
 * (meeting.json, events, terminal line). Runs on: net thread. */
#ifndef VP_BOT_BOT_PRIV_H
#define VP_BOT_BOT_PRIV_H

#include "protocols/rtp/rtp.h"
#include "protocols/sig/invite.h"
#include "protocols/sig/sig.h"
#include "src/bot/bot.h"
#include "src/bot/events.h"
#include "src/bot/recorder.h"

#include <glib.h>

/* Participants present at once: one more is a roster the bot cannot
 * track, which closes the gate for the rest of the meeting (docs/design.md
 * §6). Who left keeps an entry (meeting.json lists everyone), so the table
 * grows in steps of BOT_PART_STEP up to BOT_MAX_PART_SEEN distinct ids in
 * one meeting (Janus gives a rejoining publisher a fresh id). */
#define BOT_MAX_PART	  128
#define BOT_PART_STEP	  64
#define BOT_MAX_PART_SEEN 8192
#define BOT_MAX_MIDS	  64
#define BOT_MAX_SSRC	  8

struct vp_pc;
struct vp_rtcp_rr;
struct vp_sdp_session;
struct vp_gate;
struct vp_settings;
struct vp_meeting_facts;
struct vp_live;

struct bot_participant {
	char *id; /* whole, as the dialect gave it (vp_mem): never cut */
	char display[128];
	char identity[128];
	uint64_t joined_ns, left_ns; /* this visit's */
	uint64_t first_joined_ns;    /* the first visit's */
	bool present;
	int stream; /* the recorder's stream index, -1: no audio yet */
};

/* one m-line of the current offer: whose audio arrives on it */
struct bot_mid {
	char mid[32];
	char *participant; /* whole (vp_mem); NULL: nobody's (or no memory) */
	bool active;
	bool mixed; /* the server's mix of the roster (AudioBridge) */
	int pt;	    /* its negotiated Opus PT; -1: none */
	uint32_t ssrc[BOT_MAX_SSRC]; /* from the offer, then learned (MID) */
	unsigned nssrc;
	unsigned nsdp;	 /* how many of them the offer listed */
	unsigned nlearn; /* learned so far (ring over the rest) */
	int stream;	 /* its participant's recorder stream, -1: not yet */
	/* 1 + its participant's index in b->parts once found (entries stay
	 * and keep their index; the table moves as it grows), 0: not yet */
	unsigned part1;
};

struct bot {
	const struct vp_bot_cfg *cfg;
	struct vp_invite inv;
	GMainContext *ctx;
	GMainLoop *loop;
	struct vp_sig *sig;
	struct vp_events *ev;

	/* policy and gate (bot_gate.c) */
	struct vp_settings *settings;
	struct vp_meeting_facts *facts;
	struct vp_gate *gate;
	bool gate_started, gate_ever_open;
	uint64_t gate_open_since; /* timeline sample of the last opening */
	uint64_t gate_epoch;	  /* openings so far (track.h) */

	/* the meeting folder, io thread, timeline and streams */
	struct vp_rec *rec;

	/* media */
	struct vp_pc *pc;
	bool gathered;
	char srtp_profile[40];	      /* negotiated, kept for meeting.json */
	struct vp_sdp_session *offer; /* latest offer, awaiting answer */
	char offer_id[64];
	bool answer_pending;
	int ext_mid;   /* sdes:mid extmap id, 0 if none */
	int ext_level; /* ssrc-audio-level extmap id, 0 if none */
	struct bot_mid mids[BOT_MAX_MIDS];
	unsigned nmids;
	uint64_t rtp_unknown, rtp_malformed, rtcp_malformed;
	uint64_t rtp_not_opus;	  /* PT other than the mid's Opus: dropped */
	uint64_t rtp_unannounced; /* of a participant not in the roster */
	uint64_t rtp_absent;	  /* of one who has left: dropped */
	uint64_t sdp_shared_ssrc; /* a=ssrc ids on two m= lines: not used */
	struct vp_rtcp_rr *rr;	  /* receiver reports (rtcp_rr.c) */

	struct bot_participant *parts; /* vp_malloc'd, grown in steps */
	unsigned nparts, capparts;

	/* lifecycle */
	uint64_t start_ns, joined_ns, first_pcm_ns;
	/* UTC: the server let us in; our media became secure (0: not yet) */
	uint64_t joined_utc_ns, media_utc_ns;
	bool leaving, done;
	int code;
	char reason[256];
	guint poll_src, status_src, stop_src, sig_srcs[2], gate_idle;

	/* live audio out (live_bot.c) */
	struct vp_live *live;
	guint live_src;
	bool live_up;
	uint64_t live_dropped;
};

/* bot.c */
/** The meeting id: GIVEN (--meeting, the job's) if not NULL, else one made
 *  of the invite's dialect, server (host, port) and room, the same for the
 *  same invite and different for another server (docs/design.md §5). */
void vp_bot__meeting_id(const struct vp_invite *inv, const char *given,
			char *id, size_t sz);
/** --join-timeout: each joining step (signaling, media) */
uint64_t vp_bot__join_timeout_ns(const struct bot *b);

/* bot_media.c */
void vp_bot__on_offer(struct bot *b, const struct vp_sig_offer *o);
void vp_bot__media_close(struct bot *b);
void vp_bot__poll_tracks(struct bot *b);
/* Handle the media that arrived before a roster or consent event, before
 * that event: read on a tick, it could otherwise reach the gate after it
 * (a never-record participant's last packets after the gate reopened on
 * their leave). */
void vp_bot__media_drain(struct bot *b);
/* Whose m-line an RTP packet belongs to: by SSRC (offer or learned), else
 * by its MID header extension (then its SSRC is learned, so its RTCP SRs
 * find the stream too); NULL for an unknown source or a PT that is not
 * the m-line's Opus (each counted). */
struct bot_mid *vp_bot__route_rtp(struct bot *b, const struct vp_rtp_pkt *p);
/* The m-line of an SSRC (offer or learned), or NULL. */
struct bot_mid *vp_bot__mid_by_ssrc(struct bot *b, uint32_t ssrc);
bool vp_bot__may_track(struct bot *b, const struct bot_mid *m);
/* The peer connection's decrypted RTP: routed to its participant's
 * stream, written only while they are present (else rtp_absent). */
void vp_bot__on_rtp(const uint8_t *pkt, size_t len, uint64_t arrival_ns,
		    void *arg);
/* RTCP BYE to the SFU (rtcp_rr.c), once, while the transport is up. */
void vp_bot__rtcp_bye(struct bot *b);

/* bot_gate.c */
int vp_bot__policy(struct bot *b);
void vp_bot__gate_start(struct bot *b);
void vp_bot__gate_join(struct bot *b, const char *pid, const char *identity,
		       bool consented);
void vp_bot__gate_leave(struct bot *b, const char *pid);
void vp_bot__gate_consent(struct bot *b, const char *pid, bool granted);
/** Latch the gate closed for an error on its path (and log it). */
void vp_bot__gate_error(struct bot *b, int err, const char *what,
			const char *pid);
/** The identity the gate judges pid by; never the display name. */
const char *vp_bot__identity(const struct bot *b, const char *pid,
			     const char *dialect_identity);
/** The meeting is over: the gate's last counts and timeline. */
void vp_bot__gate_close(struct bot *b);
/** After the final meeting.json: free the gate and the policy inputs. */
void vp_bot__gate_free(struct bot *b);
uint64_t vp_bot__at(const struct bot *b);
/** The recorder's gate (recorder.h): the consent gate, per frame. */
struct vp_rec_gate vp_bot__rec_gate(struct bot *b);

/* bot_report.c */
/** The entry of participant ID (whole-id match), or with ADD a new one;
 *  NULL if unknown, or for ADD with no memory or BOT_MAX_PART_SEEN ids. */
struct bot_participant *vp_bot__part(struct bot *b, const char *id, bool add);
/** How many participants are present now. */
unsigned vp_bot__npresent(const struct bot *b);
/** The roster: a join (fails closed: the gate latches when the bot cannot
 *  track ID) and a leave, each to the gate, the events and meeting.json. */
void vp_bot__roster_join(struct bot *b, const char *id, const char *display,
			 const char *identity, bool consented);
void vp_bot__roster_leave(struct bot *b, const char *id);
/** Free the participant table (after the final save). */
void vp_bot__parts_free(struct bot *b);
int vp_bot__save(struct bot *b, const char *state);
/** The final save (vp_bot__save(b, NULL)); one that fails turns an exit
 *  code of 0 into the output error's (70 or 74) and is tried once more,
 *  saying so: exit 0 promises a meeting.json that says finished. */
void vp_bot__save_final(struct bot *b);

/* webhook_bot.c: the status webhook's start and final record */
int vp_bot__webhook_start(struct bot *b);
void vp_bot__webhook_finish(struct bot *b);
void vp_bot__status_line(struct bot *b, bool final);
/* live_bot.c: live audio out; start after the io thread, stop after it */
int vp_bot__live_start(struct bot *b);
void vp_bot__live_report(struct bot *b);
void vp_bot__live_stop(struct bot *b);
/** Finish: the code and reason of the first fatal event win. */
void vp_bot__fail(struct bot *b, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vp_bot__quit(struct bot *b);

#endif
