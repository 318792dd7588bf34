/* SPDX-License-Identifier: MIT */
/** @file bot_report.c  What the bot tells: meeting.json (participants,
 * streams, status), the terminal line, the first fatal error. */
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
		const char *sid = p->stream >= 0
					  ? vp_track_id(b->tracks[p->stream])
					  : NULL;

		/* the display name is data, never a file name */
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s?, s:o, s:o, s:b, s:s?, s:o}", "id",
			p->id, "display", p->display, "identity",
			p->identity[0] ? p->identity : NULL, "joined_utc",
			utc_json(p->joined_ns), "left_utc",
			utc_json(p->left_ns), "present", p->present, "stream",
			sid, "present_before_media_ms", before_media_ms(b, p)));
	}
	return a;
}

static json_t *streams_json(const struct bot *b)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < b->ntracks; i++) {
		json_t *o = vp_track_stats_json(b->tracks[i]);

		json_object_set_new(o, "participant",
				    json_string(b->track_part[i]));
		json_array_append_new(a, o);
	}
	return a;
}

void vp_bot__save(struct bot *b, const char *state)
{
	if (!b->m.doc)
		return;
	json_object_set_new(b->m.doc, "participants", participants_json(b));
	json_object_set_new(b->m.doc, "streams", streams_json(b));
	if (!state) {
		json_object_set_new(b->m.doc, "ended_utc",
				    utc_json(vp_clock_utc_ns()));
		json_object_set_new(b->m.doc, "status", json_pack(
			"{s:s, s:i, s:s?, s:I, s:I}", "state",
			b->code == VP_EXIT_OK ? "finished" : "failed",
			"exit_code", b->code, "reason",
			b->reason[0] ? b->reason : NULL, "rtp_unknown_ssrc",
			(json_int_t)b->rtp_unknown, "rtp_malformed",
			(json_int_t)b->rtp_malformed));
		json_object_set_new(b->m.doc, "media_connected_utc",
				    utc_json(b->media_utc_ns));
		if (b->media_utc_ns && b->joined_utc_ns)
			json_object_set_new(b->m.doc, "joined_to_media_ms",
				json_integer((json_int_t)(
					(b->media_utc_ns - b->joined_utc_ns) /
					1000000)));
		if (b->first_pcm_ns && b->joined_ns)
			json_object_set_new(b->m.doc, "join_to_first_audio_ms",
				json_real((double)(b->first_pcm_ns -
						   b->start_ns) / 1e6));
	} else {
		json_object_set_new(b->m.doc, "status",
				    json_pack("{s:s}", "state", state));
	}
	vp_bot__live_report(b);
	vp_meeting_save(&b->m);
}

/* One line, rewritten in place: who is here and how much is on disk. */
void vp_bot__status_line(struct bot *b, bool final)
{
	uint64_t samples = 0;
	unsigned present = 0;

	for (unsigned i = 0; i < b->nparts; i++)
		present += b->parts[i].present;
	for (unsigned i = 0; i < b->ntracks; i++)
		samples += vp_track_stats(b->tracks[i])->samples;
	fprintf(stderr, "\r\033[K%s: %u in the room, %u stream(s), %.1f s "
		"recorded%s", b->m.id, present, b->ntracks,
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
