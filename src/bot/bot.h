/* SPDX-License-Identifier: MIT */
/**
 * @file bot.h  One live meeting: signaling (protocols/sig) + one peer
 * connection (protocols/pc) + a track per participant + the io thread,
 * all on one GLib main context (the net thread); `vpbot join` and
 * `vpbot run` end here.
 */
#ifndef VP_BOT_BOT_H
#define VP_BOT_BOT_H

#include <stdbool.h>
#include <stdint.h>

#define VP_BOT_JOIN_TIMEOUT_NS (30 * 1000000000ULL)

struct vp_bot_cfg {
	const char *invite;  /* invite URL (docs/design.md §4) */
	const char *out;     /* output folder */
	const char *meeting; /* NULL: derived from the invite (room) */
	const char *name;    /* display name, NULL: invite's or "vpbot" */
	const char *events;  /* --events FILE|FD, or NULL */
	double duration_s;   /* 0: until the meeting ends or a signal */
	/* how long each step of joining may take: the signaling connection,
	 * and the media connection (ICE + DTLS) after the offer; 0: 30 s */
	double join_timeout_s;
	double lobby_timeout_s; /* waiting to be admitted; 0: 300 s */
	uint32_t rate;
	unsigned channels;
	double chunk_seconds;
	bool insecure; /* wss without certificate checks */
	/* recording policy (src/gate): company settings and meeting facts,
	 * each from a file/URL or inline JSON (a job). Without any settings
	 * `vpbot join` is a manual invite with no company rules and consent
	 * mode "none"; `vpbot run` requires settings (fail closed). */
	const char *settings_src;  /* path or https:// URL */
	const char *settings_json; /* inline */
	const char *facts_src;	   /* path */
	const char *facts_json;	   /* inline */
	bool require_settings;
	/* status webhook (webhook.h); the secret never comes from argv */
	const char *webhook_url;
	const char *webhook_secret;
	const char *webhook_ca;
	double webhook_timeout_s;
	/* live audio out (live.h): ws:// or wss://, may hold a token */
	const char *live_url;
	const char *live_ca; /* wss: CA file (PEM); NULL: the system's */
	bool status_line;    /* terminal progress on stderr */
};

/** Join, record, leave. @return a process exit code (exitcode.h) */
int vp_bot_run(const struct vp_bot_cfg *cfg);

#endif
