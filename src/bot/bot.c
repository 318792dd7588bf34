/* SPDX-License-Identifier: MIT */
/**
 * @file bot.c  One live meeting's lifecycle: parse the invite (no network
 * before it is valid), open the meeting folder and io thread, join through
 * the dialect, follow participants, leave on a signal, --duration or the
 * meeting's end, and map what happened to an exit code (docs/design.md §7).
 */
#define VP_LOG_MODULE "bot"
#include "src/bot/bot_priv.h"

#include "src/bot/exitcode.h"
#include "src/bot/meeting.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LEAVE_TIMEOUT_MS 3000

/* --- Runs on: net thread --- */

uint64_t vp_bot__join_timeout_ns(const struct bot *b)
{
	return b->cfg->join_timeout_s > 0
		       ? (uint64_t)(b->cfg->join_timeout_s * VP_SEC)
		       : VP_BOT_JOIN_TIMEOUT_NS;
}

static gboolean on_gate_start(gpointer arg)
{
	struct bot *b = arg;

	b->gate_idle = 0;
	vp_bot__gate_start(b);
	return G_SOURCE_REMOVE;
}

static void on_joined(const struct vp_sig_joined *j, void *arg)
{
	struct bot *b = arg;

	b->joined_ns = vp_clock_mono_ns();
	b->joined_utc_ns = vp_clock_utc_ns();
	/* the roster that comes with "joined" is delivered right after it:
	 * start the gate once it is known */
	if (!b->gate_idle) /* removed at the end: it must not outlive b */
		b->gate_idle = g_idle_add(on_gate_start, b);
	vp_log_info("joined room=%s as id=%s", j->room ? j->room : "?",
		    j->self_id ? j->self_id : "?");
	vp_events_emit(b->ev, "joined",
		       json_pack("{s:s?, s:s?}", "room", j->room, "self_id",
				 j->self_id));
	vp_bot__save(b, "recording");
}

static void on_part_joined(const char *id, const char *display,
			   const char *identity, bool consented, void *arg)
{
	vp_bot__media_drain(arg); /* what came before the join goes first */
	vp_bot__roster_join(arg, id, display, identity, consented);
}

static void on_part_left(const char *id, void *arg)
{
	/* their last packets meet the gate as it was */
	vp_bot__media_drain(arg);
	vp_bot__roster_leave(arg, id);
}

/* Someone is present whom the dialect could not track: the gate no
 * longer knows the roster and closes for the rest of the meeting. */
static void on_roster_error(const char *id, int err, void *arg)
{
	vp_bot__media_drain(arg);
	vp_bot__gate_error(arg, err ? err : EPROTO,
			   "a participant the dialect cannot track", id);
}

static void on_consent(const char *id, bool granted, void *arg)
{
	struct bot *b = arg;

	vp_bot__media_drain(b); /* audio before the change meets the old gate */
	vp_log_info("participant %s consent=%s", id,
		    granted ? "granted" : "revoked");
	vp_events_emit(b->ev, "consent",
		       json_pack("{s:s, s:b}", "id", id, "granted", granted));
	vp_bot__gate_consent(b, id, granted);
}

static void on_offer(const struct vp_sig_offer *o, void *arg)
{
	vp_bot__on_offer(arg, o);
}

static void on_ended(const char *reason, void *arg)
{
	struct bot *b = arg;

	vp_bot__media_drain(b); /* what was sent before the end is kept */
	if (!b->leaving) {
		vp_log_info("meeting ended: %s", reason ? reason : "?");
		vp_events_emit(b->ev, "meeting_ended",
			       json_pack("{s:s?}", "reason", reason));
		if (!b->reason[0])
			snprintf(b->reason, sizeof(b->reason),
				 "meeting ended: %s", reason ? reason : "");
	}
	vp_bot__quit(b);
}

static void on_error(enum vp_sig_err_kind kind, const char *reason, void *arg)
{
	struct bot *b = arg;

	if (b->leaving) { /* the server went away while we were leaving */
		vp_bot__quit(b);
		return;
	}
	vp_bot__fail(b,
		     kind == VP_SIG_ERR_PERMANENT ? VP_EXIT_UNAVAILABLE
						  : VP_EXIT_TEMPFAIL,
		     "%s", reason ? reason : "signaling error");
}

static gboolean on_leave_timeout(gpointer arg)
{
	struct bot *b = arg;

	b->stop_src = 0;
	vp_log_warn("the server did not confirm our leave; stopping");
	vp_bot__quit(b);
	return G_SOURCE_REMOVE;
}

static void leave(struct bot *b, const char *why)
{
	if (b->leaving)
		return;
	b->leaving = true;
	vp_log_info("leaving: %s", why);
	vp_events_emit(b->ev, "leaving", json_pack("{s:s}", "reason", why));
	vp_bot__rtcp_bye(b);
	if (!b->sig || vp_sig_leave(b->sig) != 0) {
		vp_bot__quit(b);
		return;
	}
	/* if the server never confirms, stop anyway */
	if (b->stop_src)
		g_source_remove(b->stop_src);
	b->stop_src = g_timeout_add(LEAVE_TIMEOUT_MS, on_leave_timeout, b);
}

static gboolean on_signal(gpointer arg)
{
	leave(arg, "signal");
	return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer arg)
{
	struct bot *b = arg;

	b->stop_src = 0;
	leave(b, "duration reached");
	return G_SOURCE_REMOVE;
}

static gboolean on_poll(gpointer arg)
{
	vp_bot__poll_tracks(arg);
	return G_SOURCE_CONTINUE;
}

static gboolean on_status(gpointer arg)
{
	vp_bot__status_line(arg, false);
	return G_SOURCE_CONTINUE;
}

/* [a-z0-9.-]+ (after lower-casing a host name): no '_' */
static bool plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'))
			return false;
	return true;
}

/*
 * The default meeting id names the server as well as the room: room 1234
 * is Janus's default on every server, and two meetings must never share a
 * folder (a second one would be taken for a rerun of the first). The same
 * invite always maps to the same id, so a rerun finds its folder.
 * "DIALECT-HOST[_PORT]_ROOM" (port only if not the scheme's default) when
 * that is a valid id made of plain parts, which keeps it one-to-one (no
 * host or room holds a '_'); else its sanitized start and a hash of it all.
 */
void vp_bot__meeting_id(const struct vp_invite *inv, const char *given,
			char *id, size_t sz)
{
	char host[VP_INVITE_HOST_MAX], port[8] = "", raw[600];
	uint64_t h = 14695981039346656037ULL; /* FNV-1a, 64 bits */

	if (given) {
		snprintf(id, sz, "%s", given);
		return;
	}
	snprintf(host, sizeof(host), "%s", inv->host);
	for (char *c = host; *c; c++) /* DNS names ignore case */
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (inv->port != (inv->tls ? 443 : 80))
		snprintf(port, sizeof(port), "_%u", inv->port);
	snprintf(raw, sizeof(raw), "%s-%s%s_%s",
		 vp_invite_dialect_name(inv->dialect), host, port, inv->room);
	if (plain(host) && plain(inv->room) && !vp_meeting_id_check(raw)) {
		snprintf(id, sz, "%s", raw);
		return;
	}
	for (const char *c = raw; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	snprintf(id, sz, "%.80s-%012llx", raw,
		 (unsigned long long)(h & 0xffffffffffffULL));
	vp_meeting_id_sanitize(id);
}

static int start(struct bot *b)
{
	const struct vp_bot_cfg *c = b->cfg;
	struct vp_sig_handler h = {
		.joined = on_joined,
		.participant_joined = on_part_joined,
		.participant_left = on_part_left,
		.roster_error = on_roster_error,
		.offer = on_offer,
		.consent = on_consent,
		.ended = on_ended,
		.error = on_error,
	};
	struct vp_sig_cfg sc = {
		.ctx = b->ctx,
		.insecure = c->insecure,
		.connect_timeout_ns = vp_bot__join_timeout_ns(b),
		.lobby_timeout_ns = (uint64_t)(c->lobby_timeout_s * VP_SEC),
	};
	char id[320], red[512];
	int err;

	vp_bot__meeting_id(&b->inv, c->meeting, id, sizeof(id));
	vp_log_set_bot(id);
	err = vp_rec_open(
		&b->rec, &(struct vp_rec_cfg){.out = c->out,
					      .id = id,
					      .rate = c->rate,
					      .channels = c->channels,
					      .chunk_seconds = c->chunk_seconds,
					      .gate = vp_bot__rec_gate(b)});
	if (err == EWOULDBLOCK) {
		vp_bot__fail(b, VP_EXIT_CANTCREAT,
			     "another vpbot is already "
			     "in meeting %s (its folder %s/%s is locked); "
			     "not joining twice",
			     id, c->out, id);
		return err;
	}
	if (err) {
		vp_bot__fail(b, vp_exit_for_io(err), "cannot use %s/%s: %s",
			     c->out, id, vp_exit_io_text(err));
		return err;
	}
	vp_invite_redacted(&b->inv, red, sizeof(red));
	vp_rec_set(b->rec, "source",
		   json_pack("{s:s, s:s}", "kind", "join", "invite", red));
	/* docs/design.md §6: the policy decides before any network activity */
	if (vp_bot__policy(b))
		return EACCES;
	err = vp_rec_start(b->rec); /* meeting.json is written off-thread */
	if (err) {
		vp_bot__fail(b, vp_exit_for_io(err), "io thread: %s",
			     vp_exit_io_text(err));
		return err;
	}
	err = vp_bot__live_start(b);
	if (err) {
		vp_bot__fail(b, VP_EXIT_SOFTWARE, "live audio: %s",
			     strerror(err));
		return err;
	}
	vp_events_emit(b->ev, "joining", json_pack("{s:s}", "invite", red));
	vp_log_info("joining %s", red);
	err = vp_sig_alloc(&b->sig, &sc, &b->inv, &h, b);
	if (!err)
		err = vp_sig_join(b->sig, c->name	   ? c->name
					  : b->inv.name[0] ? b->inv.name
							   : "vpbot");
	if (err) {
		vp_bot__fail(b, VP_EXIT_TEMPFAIL, "signaling: %s",
			     strerror(err));
		return err;
	}
	return 0;
}

/* The chunks in progress, and a failed chunk write becomes the exit code
 * (docs/design.md §7: 73/74). */
static void finish_recording(struct bot *b)
{
	const struct vp_io_stats *ios;

	if (!b->rec || !vp_rec_stop(b->rec))
		return;
	ios = vp_rec_io_stats(b->rec);
	vp_bot__fail(b, vp_exit_for_io(ios->last_error),
		     "writing chunks failed: %s",
		     vp_exit_io_text(ios->last_error));
}

int vp_bot_run(const struct vp_bot_cfg *cfg)
{
	struct bot *b = g_new0(struct bot, 1);
	char err[256];
	int code;

	b->cfg = cfg;
	b->start_ns = vp_clock_mono_ns();
	b->code = VP_EXIT_OK;
	/* docs/design.md §4: a bad invite fails before any network activity */
	if (vp_invite_parse(&b->inv, cfg->invite, err, sizeof(err)) != 0) {
		fprintf(stderr, "vpbot: %s\n", err);
		g_free(b);
		return VP_EXIT_USAGE;
	}
	if (vp_events_open(&b->ev, cfg->events) != 0) {
		fprintf(stderr, "vpbot: cannot open --events %s\n",
			cfg->events);
		g_free(b);
		return VP_EXIT_USAGE;
	}
	if (cfg->webhook_url && vp_bot__webhook_start(b) != 0) {
		vp_mem_deref(b->ev);
		g_free(b);
		return VP_EXIT_USAGE;
	}
	b->ctx = g_main_context_ref_thread_default();
	b->loop = g_main_loop_new(b->ctx, FALSE);
	b->sig_srcs[0] = g_unix_signal_add(SIGINT, on_signal, b);
	b->sig_srcs[1] = g_unix_signal_add(SIGTERM, on_signal, b);
	if (start(b) == 0) {
		b->poll_src = g_timeout_add(20, on_poll, b);
		if (cfg->status_line)
			b->status_src = g_timeout_add(1000, on_status, b);
		if (cfg->duration_s > 0)
			b->stop_src =
				g_timeout_add((guint)(cfg->duration_s * 1000),
					      on_duration, b);
		if (!b->done)
			g_main_loop_run(b->loop);
	}
	/* finish: the chunks in progress, then the record of the meeting */
	finish_recording(b);
	vp_bot__media_close(b);
	vp_bot__live_stop(b); /* after the io thread: nothing more to tap */
	b->sig = vp_mem_deref(b->sig);
	for (unsigned i = 0; i < 2; i++)
		if (b->sig_srcs[i])
			g_source_remove(b->sig_srcs[i]);
	if (b->poll_src)
		g_source_remove(b->poll_src);
	if (b->status_src)
		g_source_remove(b->status_src);
	if (b->stop_src)
		g_source_remove(b->stop_src);
	if (b->gate_idle)
		g_source_remove(b->gate_idle);
	if (cfg->status_line)
		vp_bot__status_line(b, true);
	if (b->gate && !b->gate_ever_open && b->code == VP_EXIT_OK) {
		/* docs/design.md §7: 77 when policy or consent kept it shut */
		b->code = VP_EXIT_NOPERM;
		snprintf(b->reason, sizeof(b->reason),
			 "not recorded: the gate stayed closed (%s)",
			 vp_gate_reason(b->gate));
	}
	vp_bot__gate_close(b);
	vp_bot__save_final(b);
	vp_bot__gate_free(b);
	vp_bot__parts_free(b);
	vp_events_emit(b->ev, b->code == VP_EXIT_OK ? "left" : "error",
		       json_pack("{s:i, s:s?}", "exit_code", b->code, "reason",
				 b->reason[0] ? b->reason : NULL));
	vp_bot__webhook_finish(b);
	code = b->code;
	b->rec = vp_mem_deref(b->rec);
	vp_mem_deref(b->ev);
	g_main_loop_unref(b->loop);
	g_main_context_unref(b->ctx);
	g_free(b);
	return code;
}
