/* SPDX-License-Identifier: MIT */
/** @file bot_report.c  What the bot tells: meeting.json's participants and
 * join timings (streams and status are the recorder's), the terminal line,
 * the first fatal error. */
#define VP_LOG_MODULE "bot"
#include "src/bot/bot_priv.h"

#include "src/bot/exitcode.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- Runs on: net thread --- */

/* Every lookup compares the whole id: an id is never cut, so two ids that
 * share a prefix are two participants (docs/design.md §6). */
struct bot_participant *vp_bot__part(struct bot *b, const char *id, bool add)
{
	struct bot_participant *p;
	char *copy;

	if (!id)
		return NULL;
	for (unsigned i = 0; i < b->nparts; i++)
		if (!strcmp(b->parts[i].id, id))
			return &b->parts[i];
	if (!add || b->nparts == BOT_MAX_PART_SEEN)
		return NULL;
	if (b->nparts == b->capparts) {
		unsigned cap = b->capparts + BOT_PART_STEP;

		p = vp_realloc(b->parts, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->parts = p;
		b->capparts = cap;
	}
	copy = vp_mem_strdup(id);
	if (!copy)
		return NULL;
	p = &b->parts[b->nparts++];
	memset(p, 0, sizeof(*p));
	p->id = copy;
	p->stream = -1;
	return p;
}

unsigned vp_bot__npresent(const struct bot *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->nparts; i++)
		n += b->parts[i].present;
	return n;
}

void vp_bot__parts_free(struct bot *b)
{
	for (unsigned i = 0; i < b->nparts; i++)
		vp_mem_deref(b->parts[i].id);
	free(b->parts);
	b->parts = NULL;
	b->nparts = b->capparts = 0;
}

/* The cap is on who is present at once, never on how many came and went:
 * a participant the bot cannot track is unknown to the gate, which must
 * not stay open (docs/design.md §6). */
void vp_bot__roster_join(struct bot *b, const char *id, const char *display,
			 const char *identity, bool consented)
{
	struct bot_participant *p = vp_bot__part(b, id, false);

	if (p && p->present)
		return; /* already known: a repeated notice */
	if (vp_bot__npresent(b) >= BOT_MAX_PART) {
		vp_bot__gate_error(b, ENOSPC,
				   "more participants present at once than "
				   "the bot tracks",
				   id);
		return;
	}
	if (!p)
		p = vp_bot__part(b, id, true);
	if (!p) {
		vp_bot__gate_error(
			b, b->nparts == BOT_MAX_PART_SEEN ? ENOSPC : ENOMEM,
			"participant table full", id);
		return;
	}
	p->present = true;
	p->joined_ns = vp_clock_utc_ns();
	if (!p->first_joined_ns)
		p->first_joined_ns = p->joined_ns;
	p->left_ns = 0;
	identity = vp_bot__identity(b, id, identity);
	snprintf(p->display, sizeof(p->display), "%s", display ? display : "");
	snprintf(p->identity, sizeof(p->identity), "%s",
		 identity ? identity : "");
	vp_log_info("participant joined id=%s", id);
	vp_bot__gate_join(b, id, identity, consented);
	vp_events_emit(b->ev, "participant_joined",
		       json_pack("{s:s, s:s?, s:s?, s:b}", "id", id, "display",
				 display, "identity", identity, "consented",
				 consented));
	vp_bot__save(b, "recording");
}

void vp_bot__roster_leave(struct bot *b, const char *id)
{
	struct bot_participant *p = vp_bot__part(b, id, false);

	if (!p || !p->present)
		return; /* "unpublished" then "leaving": idempotent */
	p->present = false;
	p->left_ns = vp_clock_utc_ns();
	vp_log_info("participant left id=%s", id);
	vp_bot__gate_leave(b, id);
	vp_events_emit(b->ev, "participant_left", json_pack("{s:s}", "id", id));
	vp_bot__save(b, "recording");
}

static json_t *utc_json(uint64_t ns)
{
	char ts[32];

	if (!ns)
		return json_null();
	vp_clock_rfc3339(ts, sizeof(ts), ns);
	return json_string(ts);
}

/*
 * What a participant said before our media was up never reached us (the
 * server forwards only to a connected transport) and cannot be recorded:
 * report, per participant, how long they were in the meeting with us
 * before that moment, an upper bound of their unrecorded speech. It is
 * counted from their first visit: one who left before media and came
 * back after it spoke in the first.
 */
static json_t *before_media_ms(const struct bot *b,
			       const struct bot_participant *p)
{
	uint64_t from, to;

	if (!b->joined_utc_ns || !p->first_joined_ns)
		return json_null();
	from = p->first_joined_ns > b->joined_utc_ns ? p->first_joined_ns
						     : b->joined_utc_ns;
	to = b->media_utc_ns ? b->media_utc_ns : vp_clock_utc_ns();
	if (p->left_ns && p->left_ns < to)
		to = p->left_ns;
	return json_integer(to > from ? (json_int_t)((to - from) / 1000000)
				      : 0);
}

static json_t *participants_json(const struct bot *b)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < b->nparts; i++) {
		const struct bot_participant *p = &b->parts[i];
		const char *sid =
			p->stream >= 0
				? vp_rec_stream_id(b->rec, (unsigned)p->stream)
				: NULL;

		/* the display name is data, never a file name */
		json_array_append_new(
			a,
			json_pack("{s:s, s:s, s:s?, s:o, s:o, s:b, s:s?, s:o}",
				  "id", p->id, "display", p->display,
				  "identity",
				  p->identity[0] ? p->identity : NULL,
				  "joined_utc", utc_json(p->joined_ns),
				  "left_utc", utc_json(p->left_ns), "present",
				  p->present, "stream", sid,
				  "present_before_media_ms",
				  before_media_ms(b, p)));
	}
	return a;
}

/* STATE NULL: the final save (the recorder adds streams, gate, status) */
int vp_bot__save(struct bot *b, const char *state)
{
	if (!b->rec)
		return 0;
	vp_rec_set(b->rec, "participants", participants_json(b));
	if (state)
		return vp_rec_save(b->rec, state);
	vp_rec_set(b->rec, "media_connected_utc", utc_json(b->media_utc_ns));
	if (b->media_utc_ns && b->joined_utc_ns)
		vp_rec_set(b->rec, "joined_to_media_ms",
			   json_integer((json_int_t)((b->media_utc_ns -
						      b->joined_utc_ns) /
						     1000000)));
	if (b->first_pcm_ns && b->joined_ns)
		vp_rec_set(b->rec, "join_to_first_audio_ms",
			   json_real((double)(b->first_pcm_ns - b->start_ns) /
				     1e6));
	vp_bot__live_report(b);
	return vp_rec_finish(b->rec, b->code, b->reason[0] ? b->reason : NULL);
}

void vp_bot__save_final(struct bot *b)
{
	int err = vp_bot__save(b, NULL);

	if (!err)
		return;
	vp_log_err("the final meeting.json could not be written: %s",
		   vp_exit_io_text(err));
	if (b->code != VP_EXIT_OK)
		return; /* the exit code already says it failed */
	b->code = vp_exit_for_io(err);
	snprintf(b->reason, sizeof(b->reason),
		 "the final meeting.json could not be written: %s",
		 vp_exit_io_text(err));
	fprintf(stderr, "vpbot: %s\n", b->reason);
	(void)vp_bot__save(b, NULL); /* every member set again, in full */
}

/* One line, rewritten in place: who is here and how much is on disk. */
void vp_bot__status_line(struct bot *b, bool final)
{
	uint64_t samples = b->rec ? vp_rec_samples(b->rec) : 0;
	unsigned present = vp_bot__npresent(b);

	fprintf(stderr,
		"\r\033[K%s: %u in the room, %u stream(s), %.1f s "
		"recorded%s",
		b->rec ? vp_rec_meeting_id(b->rec) : "", present,
		b->rec ? vp_rec_nstreams(b->rec) : 0,
		b->cfg->rate ? (double)samples / b->cfg->rate : 0.0,
		final ? "\n" : "");
	fflush(stderr);
}

void vp_bot__fail(struct bot *b, int code, const char *fmt, ...)
{
	va_list ap;

	if (b->code == VP_EXIT_OK) {
		b->code = code;
		va_start(ap, fmt);
		vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
		va_end(ap);
		vp_log_err("%s", b->reason);
		fprintf(stderr, "vpbot: %s\n", b->reason);
	}
	vp_bot__quit(b);
}

void vp_bot__quit(struct bot *b)
{
	b->done = true;
	if (b->loop && g_main_loop_is_running(b->loop))
		g_main_loop_quit(b->loop);
}
