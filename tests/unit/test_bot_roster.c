/* SPDX-License-Identifier: MIT */
/** @file test_bot_roster.c  The bot's roster against the gate: a cap on
 * who is present at once (not on who ever came), ids kept whole, the
 * streams a churning meeting opens, and the default meeting id that names
 * the server. */
#include "protocols/sig/invite.h"
#include "src/bot/bot_priv.h"
#include "src/bot/meeting.h"
#include "src/bot/recorder.h"
#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "tests/harness/vtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char facts[] =
	"{\"organizer\":\"alice@example.com\",\"invitees\":"
	"[\"erin@customer.test\"],\"title\":\"x\",\"private\":false,"
	"\"manual_invite\":false,\"conference_url\":\"https://m.test/x\"}";

static const char settings_fmt[] =
	"{\"company_domains\":[\"example.com\"],\"record_internal\":true,"
	"\"record_external\":true,\"recorded_members\":\"all\","
	"\"members\":[{\"address\":\"carol@example.com\","
	"\"data_capture\":\"never\"}],\"consent\":{\"mode\":\"%s\"}}";

struct rig {
	char settings[512];
	struct vp_bot_cfg cfg;
	struct bot *b;
};

/* A bot with a meeting folder and a started gate, as after "joined". */
static void rig_open(struct rig *r, const char *id, const char *consent)
{
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = id,
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10};

	snprintf(r->settings, sizeof(r->settings), settings_fmt, consent);
	r->cfg = (struct vp_bot_cfg){.rate = 48000,
				     .settings_json = r->settings,
				     .facts_json = facts,
				     .require_settings = true};
	r->b = calloc(1, sizeof(*r->b));
	VT_TRUE(r->b != NULL);
	r->b->cfg = &r->cfg;
	rc.gate = vp_bot__rec_gate(r->b);
	VT_EQ(0, vp_rec_open(&r->b->rec, &rc));
	VT_EQ(0, vp_bot__policy(r->b));
	vp_bot__gate_start(r->b);
}

static bool rig_gate_open(struct rig *r)
{
	uint64_t since, epoch;
	struct vp_rec_gate g = vp_bot__rec_gate(r->b);

	return g.open(r->b, &since, &epoch);
}

static void rig_close(struct rig *r)
{
	vp_bot__gate_close(r->b);
	vp_rec_close(r->b->rec);
	vp_bot__gate_free(r->b);
	vp_bot__parts_free(r->b);
	free(r->b);
}

static json_t *meeting_json(const char *id)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s/meeting.json", vtest_tmpdir(), id);
	return json_load_file(path, 0, NULL);
}

/* Janus gives a rejoining publisher a fresh id: 200 ids come and go with
 * at most 5 present at once. The gate stays open throughout (the cap is
 * on who is present, not on who ever came) and meeting.json lists all
 * 200 with their leave times. */
VTEST(bot_roster_churn_keeps_gate_open)
{
	struct rig r;
	char pid[32];
	json_t *mj, *parts;

	rig_open(&r, "churn", "none");
	VT_TRUE(rig_gate_open(&r));
	for (unsigned i = 0; i < 200; i++) {
		snprintf(pid, sizeof(pid), "pub-%u", i);
		vp_bot__roster_join(r.b, pid, "Someone", NULL, false);
		if (i >= 4) { /* the one who came 4 joins earlier leaves */
			snprintf(pid, sizeof(pid), "pub-%u", i - 4);
			vp_bot__roster_leave(r.b, pid);
		}
		VT_TRUE(vp_bot__npresent(r.b) <= 5);
		VT_TRUE(rig_gate_open(&r));
	}
	VT_TRUE(!vp_gate_failed(r.b->gate));
	VT_EQ(200, r.b->nparts);
	vp_bot__save(r.b, "recording");
	mj = meeting_json("churn");
	VT_TRUE(mj != NULL);
	parts = json_object_get(mj, "participants");
	VT_EQ(200, json_array_size(parts));
	VT_STR_EQ("pub-0", json_string_value(json_object_get(
				   json_array_get(parts, 0), "id")));
	VT_TRUE(json_is_string(
		json_object_get(json_array_get(parts, 0), "left_utc")));
	VT_STR_EQ("pub-199", json_string_value(json_object_get(
				     json_array_get(parts, 199), "id")));
	VT_TRUE(json_is_true(
		json_object_get(json_array_get(parts, 199), "present")));
	json_decref(mj);
	rig_close(&r);
}

/* More than BOT_MAX_PART present at once is a roster the bot cannot
 * track: the gate fails closed for the rest of the meeting, as before. */
VTEST(bot_roster_too_many_present_fails_closed)
{
	struct rig r;
	char pid[32];

	rig_open(&r, "crowd", "none");
	for (unsigned i = 0; i < BOT_MAX_PART; i++) {
		snprintf(pid, sizeof(pid), "p%u", i);
		vp_bot__roster_join(r.b, pid, NULL, NULL, false);
	}
	VT_TRUE(rig_gate_open(&r));
	VT_EQ(BOT_MAX_PART, vp_bot__npresent(r.b));
	vp_bot__roster_join(r.b, "one-too-many", NULL, NULL, false);
	VT_TRUE(!rig_gate_open(&r));
	VT_TRUE(vp_gate_failed(r.b->gate));
	vp_bot__roster_leave(r.b, "p0"); /* latched: stays closed */
	VT_TRUE(!rig_gate_open(&r));
	rig_close(&r);
}

/* An id of 100 characters is kept whole: its leave reaches the gate
 * (which reopens), live consent applies, a rejoin is the same entry. */
VTEST(bot_roster_long_id_whole)
{
	struct rig r;
	char id[101], other[101];

	memset(id, 'j', 100);
	id[100] = '\0';
	memcpy(other, id, sizeof(other));
	other[99] = 'x'; /* the same first 99 characters */

	/* never-record: closes the gate, and the leave reopens it */
	rig_open(&r, "longid", "none");
	VT_TRUE(rig_gate_open(&r));
	vp_bot__roster_join(r.b, id, "Carol", "carol@example.com", false);
	VT_TRUE(!rig_gate_open(&r));
	vp_bot__roster_leave(r.b, id);
	VT_TRUE(rig_gate_open(&r));
	VT_TRUE(!vp_gate_failed(r.b->gate));
	/* a rejoin of the same id is the same entry, not a second join */
	vp_bot__roster_join(r.b, id, "Carol", "carol@example.com", false);
	VT_TRUE(!rig_gate_open(&r));
	VT_TRUE(!vp_gate_failed(r.b->gate));
	VT_EQ(1, r.b->nparts);
	VT_STR_EQ(id, r.b->parts[0].id);
	vp_bot__roster_leave(r.b, id);
	VT_TRUE(rig_gate_open(&r));
	rig_close(&r);

	/* enforced consent: live consent for the long id opens the gate */
	rig_open(&r, "longid-consent", "enforced");
	vp_bot__roster_join(r.b, id, "Bob", "bob@example.com", false);
	VT_TRUE(!rig_gate_open(&r));
	vp_bot__gate_consent(r.b, other, true); /* someone else's: ignored */
	VT_TRUE(!rig_gate_open(&r));
	vp_bot__gate_consent(r.b, id, true);
	VT_TRUE(rig_gate_open(&r));
	VT_TRUE(!vp_gate_failed(r.b->gate));
	rig_close(&r);
}

/* An offer stream for an id nobody announced never matches a present
 * participant whose id merely starts the same way. */
VTEST(bot_roster_long_id_no_prefix_match)
{
	struct bot *b = calloc(1, sizeof(*b));
	struct bot_participant *p;
	char id[101], other[101];
	struct bot_mid m = {.active = true, .pt = 111};

	VT_TRUE(b != NULL);
	memset(id, 'k', 100);
	id[100] = '\0';
	memcpy(other, id, sizeof(other));
	other[80] = 'x';
	p = vp_bot__part(b, id, true);
	VT_TRUE(p != NULL);
	p->present = true;
	m.participant = other;
	VT_TRUE(!vp_bot__may_track(b, &m));
	VT_EQ(1, b->rtp_unannounced);
	VT_TRUE(vp_bot__part(b, other, false) == NULL);
	m.participant = id;
	VT_TRUE(vp_bot__may_track(b, &m));
	vp_bot__parts_free(b);
	free(b);
}

static void mid_of(const char *url, char *id, size_t sz)
{
	struct vp_invite inv;
	char err[200];

	VT_EQ(0, vp_invite_parse(&inv, url, err, sizeof(err)));
	vp_bot__meeting_id(&inv, NULL, id, sz);
	VT_EQ(0, vp_meeting_id_check(id));
}

/* The same room on two servers is two meetings, two folders; the same
 * invite again (a rerun) is the same folder. */
VTEST(bot_meeting_id_names_the_server)
{
	char a[320], a2[320], b[320], c[320], d[320], e[320];

	mid_of("janus+ws://a.example.com/1234", a, sizeof(a));
	mid_of("janus+ws://b.example.com/1234", b, sizeof(b));
	mid_of("janus+ws://a.example.com/1234?pin=x", a2, sizeof(a2));
	VT_TRUE(strcmp(a, b) != 0);
	VT_STR_EQ(a, a2);
	VT_STR_EQ("janus-a.example.com_1234", a);
	/* the port when it is not the scheme's default; case of the host */
	mid_of("janus+ws://A.Example.com:80/1234", c, sizeof(c));
	VT_STR_EQ(a, c);
	mid_of("janus+ws://a.example.com:8188/1234", c, sizeof(c));
	VT_STR_EQ("janus-a.example.com_8188_1234", c);
	mid_of("janus+wss://a.example.com/1234", d, sizeof(d));
	VT_STR_EQ(a, d); /* 443 over TLS is the default too */
	/* host and room split unambiguously: a-b + c is not a + b-c */
	mid_of("sim+ws://a-b:9000/c", d, sizeof(d));
	mid_of("sim+ws://a:9000/b-c", e, sizeof(e));
	VT_TRUE(strcmp(d, e) != 0);
	/* not plain (an IPv6 literal, a room with '_'): a stable hash */
	mid_of("sim+ws://[::1]:9000/m1", d, sizeof(d));
	mid_of("sim+ws://[::2]:9000/m1", e, sizeof(e));
	VT_TRUE(strcmp(d, e) != 0);
	mid_of("sim+ws://[::1]:9000/m1", e, sizeof(e));
	VT_STR_EQ(d, e);
	/* --meeting wins */
	{
		struct vp_invite inv;

		VT_EQ(0, vp_invite_parse(&inv, "janus+ws://a/1", NULL, 0));
		vp_bot__meeting_id(&inv, "weekly", d, sizeof(d));
		VT_STR_EQ("weekly", d);
	}
}

/* Walked by the oom suite: a never-record member with a long id joins
 * while each allocation fails in turn. Whatever failed, the gate is
 * closed after the join; after the leave it is open again only if no
 * error reached it (an untracked participant latches it). */
VTEST_OOM(bot_roster_join_oom_fails_closed)
{
	struct rig r;
	char id[101];

	VT_OOM_SKIP();
	memset(id, 'c', 100);
	id[100] = '\0';
	rig_open(&r, "rosteroom", "none");
	VT_TRUE(rig_gate_open(&r));
	VT_OOM_WALK();
	vp_bot__roster_join(r.b, id, "Carol", "carol@example.com", false);
	VT_OOM_SKIP();
	VT_TRUE(!rig_gate_open(&r));
	VT_OOM_WALK();
	vp_bot__roster_leave(r.b, id);
	VT_OOM_SKIP();
	VT_EQ(!vp_gate_failed(r.b->gate), rig_gate_open(&r));
	rig_close(&r);
}

static bool always_open(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = 0;
	*epoch = 1;
	return true;
}

/* A churning meeting opens more streams than the old fixed 128: each keeps
 * its participant's whole id, and finds it again. */
VTEST(bot_rec_streams_past_128)
{
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = "manystreams",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10,
				.gate = {.open = always_open}};
	struct vp_rec *r;
	char pid[140];
	unsigned idx;

	VT_EQ(0, vp_rec_open(&r, &rc));
	VT_EQ(0, vp_rec_start(r));
	vp_rec_timeline_start(r, 1700000000ULL * 1000000000ULL);
	for (unsigned i = 0; i < 200; i++) {
		/* ids of 130 characters that differ only at the end */
		memset(pid, 'p', 127);
		snprintf(pid + 127, sizeof(pid) - 127, "%03u", i);
		VT_EQ(0, vp_rec_stream_open(r, pid, &idx));
		VT_EQ(i, idx);
	}
	VT_EQ(200, vp_rec_nstreams(r));
	memset(pid, 'p', 127);
	snprintf(pid + 127, sizeof(pid) - 127, "%03u", 150);
	VT_EQ(150, vp_rec_stream_find(r, pid));
	pid[127] = '\0';
	VT_EQ(-1, vp_rec_stream_find(r, pid)); /* a prefix is no match */
	VT_EQ(-1, vp_rec_stream_find(r, NULL));
	VT_STR_EQ("s200", vp_rec_stream_id(r, 199));
	vp_rec_stop(r);
	vp_rec_close(r);
}

/* present_before_media_ms counts from a participant's first visit: one
 * who was there before media, left, and came back after it spoke in the
 * first visit (the rejoin used to reset it to 0). */
VTEST(bot_roster_rejoin_keeps_time_before_media)
{
	struct rig r;
	json_t *doc, *p;

	rig_open(&r, "rejoin", "none");
	r.b->joined_utc_ns = vp_clock_utc_ns() - VP_SEC;
	vp_bot__roster_join(r.b, "p1", "Erin", "erin@customer.test", false);
	usleep(30000);
	vp_bot__roster_leave(r.b, "p1");
	usleep(10000);
	r.b->media_utc_ns = vp_clock_utc_ns();
	usleep(10000);
	vp_bot__roster_join(r.b, "p1", "Erin", "erin@customer.test", false);
	doc = meeting_json("rejoin");
	p = json_array_get(json_object_get(doc, "participants"), 0);
	VT_STR_EQ("p1", json_string_value(json_object_get(p, "id")));
	VT_TRUE(json_is_true(json_object_get(p, "present")));
	VT_TRUE(json_integer_value(
			json_object_get(p, "present_before_media_ms")) >= 30);
	json_decref(doc);
	rig_close(&r);
}
