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

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- Runs on: net thread --- */

struct bot_participant *vp_bot__part(struct bot *b, const char *id, bool add)
{
	struct bot_participant *p;

	for (unsigned i = 0; i < b->nparts; i++)
		if (!strcmp(b->parts[i].id, id))
			return &b->parts[i];
	if (!add || b->nparts == BOT_MAX_PART)
		return NULL;
	p = &b->parts[b->nparts++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->stream = -1;
	return p;
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
 * before that moment, an upper bound of their unrecorded speech.
 */
static json_t *before_media_ms(const struct bot *b,
			       const struct bot_participant *p)
{
	uint64_t from, to;

	if (!b->joined_utc_ns || !p->joined_ns)
		return json_null();
	from = p->joined_ns > b->joined_utc_ns ? p->joined_ns
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
void vp_bot__save(struct bot *b, const char *state)
{
	if (!b->rec)
		return;
	vp_rec_set(b->rec, "participants", participants_json(b));
	if (state) {
		vp_rec_save(b->rec, state);
		return;
	}
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
	vp_rec_finish(b->rec, b->code, b->reason[0] ? b->reason : NULL);
}

/* One line, rewritten in place: who is here and how much is on disk. */
void vp_bot__status_line(struct bot *b, bool final)
{
	uint64_t samples = b->rec ? vp_rec_samples(b->rec) : 0;
	unsigned present = 0;

	for (unsigned i = 0; i < b->nparts; i++)
		present += b->parts[i].present;
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
