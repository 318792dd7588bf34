/* SPDX-License-Identifier: MIT */
/** @file test_bot.c  Capture header walk, meeting folder ids and reruns,
 * tracks, the recorder. */
#include "src/bot/bot_priv.h"
#include "src/bot/exitcode.h"
#include "src/bot/capture.h"
#include "src/bot/job.h"
#include "src/bot/meeting.h"
#include "src/bot/recorder.h"
#include "src/bot/track.h"
#include "src/gate/gate.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"
#include "tests/unit/track_fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const uint8_t ipv4_udp[] = {0x45, 0,  0, 32, 0,	  0,	0,    0,
				   64,	 17, 0, 0,  127,  0,	0,    1,
				   127,	 0,  0, 2,  0x13, 0x88, 0x17, 0x70,
				   0,	 12, 0, 0,  0x80, 0x6f, 0x00, 0x01};

VTEST(bot_capture_raw_ipv4_udp)
{
	struct vp_capture_dgram d;

	VT_EQ(0, vp_capture_udp(DLT_RAW, ipv4_udp, sizeof(ipv4_udp), &d));
	VT_EQ(5000, d.sport);
	VT_EQ(6000, d.dport);
	VT_EQ(4, d.len);
	VT_EQ(0x80, d.payload[0]);
}

VTEST(bot_capture_rejects_lies)
{
	uint8_t b[sizeof(ipv4_udp)];
	struct vp_capture_dgram d;

	memcpy(b, ipv4_udp, sizeof(b));
	b[25] = 200; /* UDP length past the end */
	VT_EQ(EBADMSG, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[3] = 250; /* IP total length past the end */
	VT_EQ(EBADMSG, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[9] = 6; /* TCP */
	VT_EQ(ENOENT, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[6] = 0x20; /* more fragments */
	VT_EQ(EAGAIN, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	VT_EQ(EBADMSG, vp_capture_udp(DLT_EN10MB, b, 10, &d));
	VT_EQ(ENOTSUP, vp_capture_udp(9999, b, sizeof(b), &d));
}

VTEST(bot_capture_open_errors)
{
	char err[256], path[512];
	struct vp_capture *cap = NULL;
	FILE *f;

	VT_EQ(ENOENT,
	      vp_capture_open(&cap, "/nonexistent/x.pcap", err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/junk.pcap", vtest_tmpdir());
	f = fopen(path, "w");
	fputs("this is not a capture file\n", f);
	fclose(f);
	VT_EQ(EBADMSG, vp_capture_open(&cap, path, err, sizeof(err)));
	VT_TRUE(strstr(err, "not a pcap") != NULL);
}

VTEST(bot_meeting_id_check)
{
	VT_EQ(0, vp_meeting_id_check("talk-1_2.x"));
	VT_EQ(EINVAL, vp_meeting_id_check("../etc"));
	VT_EQ(EINVAL, vp_meeting_id_check(".hidden"));
	VT_EQ(EINVAL, vp_meeting_id_check("a/b"));
	VT_EQ(EINVAL, vp_meeting_id_check(""));
}

VTEST(bot_meeting_rerun_continues_streams)
{
	struct vp_meeting m;
	char id[16], p[4200];

	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(1, m.run);
	vp_meeting_stream_id(&m, id, sizeof(id));
	VT_STR_EQ("s1", id);
	snprintf(p, sizeof(p), "%s/streams", m.dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/streams/s1", m.dir);
	mkdir(p, 0755);
	vp_meeting_close(&m);
	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(2, m.run);
	vp_meeting_stream_id(&m, id, sizeof(id));
	VT_STR_EQ("s2", id);
	VT_EQ(1, json_array_size(json_object_get(m.doc, "previous_runs")));
	vp_meeting_close(&m);
}

/* A long history (meeting.json of 100s of KiB, read in growing blocks,
 * src/core/json.h) is carried over whole. */
VTEST(bot_meeting_rerun_keeps_long_history)
{
	struct vp_meeting m;
	json_t *doc = json_object(), *prev = json_array();
	char p[4200];

	for (int i = 0; i < 3000; i++)
		json_array_append_new(prev,
				      json_pack("{s:i, s:s}", "run", i + 1,
						"note", "an earlier run"));
	json_object_set_new(doc, "previous_runs", prev);
	json_object_set_new(doc, "run", json_integer(3001));
	snprintf(p, sizeof(p), "%s/m1", vtest_tmpdir());
	VT_EQ(0, mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/m1/meeting.json", vtest_tmpdir());
	VT_EQ(0, json_dump_file(doc, p, 0));
	json_decref(doc);
	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(3002, m.run);
	prev = json_object_get(m.doc, "previous_runs");
	VT_EQ(3001, json_array_size(prev));
	VT_EQ(3000, json_integer_value(json_object_get(
			    json_array_get(prev, 2999), "run")));
	VT_EQ(3001, json_integer_value(json_object_get(
			    json_array_get(prev, 3000), "run")));
	vp_meeting_close(&m);
}

/* The join timeouts are the operator's (job keys); a bad one names itself */
VTEST(bot_job_join_timeouts)
{
	static const char ok[] = "{\"invite\": \"sim+ws://h:1/m\", \"out\": "
				 "\"/o\", \"join_timeout_s\": 45, "
				 "\"lobby_timeout_s\": 600}";
	static const char low[] = "{\"invite\": \"sim+ws://h:1/m\", \"out\": "
				  "\"/o\", \"join_timeout_s\": 0}";
	struct vp_job j;
	char err[256];

	VT_EQ(0, vp_job_parse(&j, ok, sizeof(ok) - 1, err, sizeof(err)));
	VT_NEAR(45, j.cfg.join_timeout_s, 0);
	VT_NEAR(600, j.cfg.lobby_timeout_s, 0);
	vp_job_free(&j);
	VT_EQ(EBADMSG,
	      vp_job_parse(&j, low, sizeof(low) - 1, err, sizeof(err)));
	VT_TRUE(strstr(err, "join_timeout_s") != NULL);
}

/* A job's settings_url is a URL: any other value is refused, unechoed */
VTEST(bot_job_settings_url_must_be_https)
{
	static const char *const bad[] = {
		"{\"invite\": \"sim+ws://h:1/m\", \"out\": \"/o\", "
		"\"settings_url\": \" https://h/s?token=SECRET\"}",
		"{\"invite\": \"sim+ws://h:1/m\", \"out\": \"/o\", "
		"\"settings_url\": \"h/s?token=SECRET\"}",
		"{\"invite\": \"sim+ws://h:1/m\", \"out\": \"/o\", "
		"\"settings_url\": \"/etc/SECRET\"}",
	};
	static const char ok[] = "{\"invite\": \"sim+ws://h:1/m\", \"out\": "
				 "\"/o\", \"settings_url\": \"HTTPS://h/s\"}";
	struct vp_job j;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		VT_EQ(EBADMSG, vp_job_parse(&j, bad[i], strlen(bad[i]), err,
					    sizeof(err)));
		VT_TRUE(strstr(err, "settings_url") != NULL);
		VT_TRUE(strstr(err, "SECRET") == NULL);
	}
	VT_EQ(0, vp_job_parse(&j, ok, sizeof(ok) - 1, err, sizeof(err)));
	vp_job_free(&j);
}

/* The policy step (bot_gate.c) with a settings source that is no clean
 * URL: its token reaches neither meeting.json nor the status reason
 * (which also goes to the events, the webhook, stderr and the log); and
 * the URL test is case-blind, so HTTPS:// fails as https:// does. */
static int policy_with(const char *src, const char *id, char *reason,
		       size_t rsz, char *mj, size_t mjsz)
{
	struct vp_bot_cfg cfg = {.rate = 48000,
				 .settings_src = src,
				 .facts_json = "{\"invitees\":[],\"private\":"
					       "false}",
				 .require_settings = true};
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = id,
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10};
	struct bot *b = calloc(1, sizeof(*b));
	char path[512];
	FILE *f;
	size_t n;
	int code;

	if (!b)
		return -1;
	b->cfg = &cfg;
	rc.gate = vp_bot__rec_gate(b);
	if (vp_rec_open(&b->rec, &rc)) {
		free(b);
		return -1;
	}
	code = vp_bot__policy(b);
	snprintf(reason, rsz, "%s", b->reason);
	vp_rec_finish(b->rec, code, b->reason); /* as the bot ends */
	vp_rec_close(b->rec);
	vp_bot__gate_free(b);
	free(b);
	snprintf(path, sizeof(path), "%s/%s/meeting.json", vtest_tmpdir(), id);
	f = fopen(path, "r");
	n = f ? fread(mj, 1, mjsz - 1, f) : 0;
	mj[n] = '\0';
	if (f)
		fclose(f);
	return code;
}

VTEST(bot_policy_settings_src_not_echoed)
{
	static const char *const bad[] = {
		" https://h.test/s?token=SECRET",
		"https:/h.test/s?token=SECRET",
		"h.test/s?token=SECRET",
	};
	char reason[512], mj[16384], id[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(id, sizeof(id), "malformed%zu", i);
		VT_EQ(65, policy_with(bad[i], id, reason, sizeof(reason), mj,
				      sizeof(mj)));
		VT_TRUE(strstr(mj, "SECRET") == NULL);
		VT_TRUE(strstr(reason, "SECRET") == NULL);
		VT_TRUE(strstr(mj, "load_error") != NULL);
		VT_TRUE(strstr(mj, "only https://") != NULL); /* the reason */
	}
	/* a URL libcurl refuses (bad port): "not recorded", in either case */
	VT_EQ(77, policy_with("https://127.0.0.1:1:2/s", "lower", reason,
			      sizeof(reason), mj, sizeof(mj)));
	VT_EQ(77, policy_with("HTTPS://127.0.0.1:1:2/s", "upper", reason,
			      sizeof(reason), mj, sizeof(mj)));
}

/* A packet of SSRC 0x11223344, PT pt, with the sdes:mid extension (id 3)
 * saying "a" when with_mid. */
static void mk_rtp(struct vp_rtp_pkt *p, uint8_t *b, uint8_t pt, bool with_mid)
{
	static const uint8_t hdr[] = {
		0x90, 0,    0, 1, 0,	0,   0, 0, 0x11, 0x22, 0x33, 0x44,
		0xBE, 0xDE, 0, 1, 0x30, 'a', 0, 0, 0xF8, 0xFF, 0xFE};

	memcpy(b, hdr, sizeof(hdr));
	b[1] = pt;
	if (!with_mid)
		b[17] = 'z';
	VT_EQ(0, vp_rtp_parse(p, b, sizeof(hdr)));
}

/* issue 10 items 4 and 12: only the m-line's Opus PT is audio; an SSRC
 * found through the MID extension is learned, so RTCP finds it too */
VTEST(bot_route_rtp_pt_and_mid_learning)
{
	struct bot *b = calloc(1, sizeof(*b));
	char p1[] = "p1";
	struct vp_rtp_pkt p;
	uint8_t buf[64];

	VT_TRUE(b != NULL);
	b->nmids = 1;
	b->ext_mid = 3;
	snprintf(b->mids[0].mid, sizeof(b->mids[0].mid), "a");
	b->mids[0].participant = p1;
	b->mids[0].active = true;
	b->mids[0].pt = 111;

	mk_rtp(&p, buf, 96, true); /* e.g. VP8 on the same m-line */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(1, b->rtp_not_opus);
	VT_TRUE(vp_bot__mid_by_ssrc(b, 0x11223344) == NULL); /* not learned */

	mk_rtp(&p, buf, 111, false); /* unknown mid, unknown SSRC */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(1, b->rtp_unknown);

	mk_rtp(&p, buf, 111, true);
	VT_TRUE(vp_bot__route_rtp(b, &p) == &b->mids[0]);
	VT_TRUE(vp_bot__mid_by_ssrc(b, 0x11223344) == &b->mids[0]);
	mk_rtp(&p, buf, 111, false); /* now known by its SSRC alone */
	VT_TRUE(vp_bot__route_rtp(b, &p) == &b->mids[0]);
	mk_rtp(&p, buf, 0, false); /* ... but still only with the Opus PT */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(2, b->rtp_not_opus);
	VT_EQ(1, b->mids[0].nssrc);
	free(b);
}

#define T0 (1700000000ULL * VP_SEC)

static struct {
	bool open;
	uint64_t since;
	uint64_t epoch;
} tgate;

static bool test_gate(void *arg, uint64_t *open_since, uint64_t *epoch)
{
	(void)arg;
	*open_since = tgate.since;
	*epoch = tgate.epoch;
	return tgate.open;
}

static void feed(struct vp_track *t, unsigned from, unsigned to, uint64_t at)
{
	static const uint8_t opus[] = {0xF8, 0xFF, 0xFE, 0x01, 0x02};

	for (unsigned k = from; k < to; k++)
		vp_track_rtp(t, 7, (uint16_t)k, k * 960, opus, sizeof(opus),
			     at);
}

/* Live: a burst runs the stream ahead of the clock. What arrives while the
 * gate is closed is dropped at once, even though it is placed after the
 * reopening; what arrived while open is held until the clock passes it, and
 * what the clock passes after the close is dropped then, even where it is
 * placed after the reopening: it arrived before it (issue 10, gate-revoke;
 * a frame is written only in the gate epoch its packet arrived in). */
VTEST(bot_track_gate_exact_with_hold)
{
	struct track_fix tf;
	struct vp_track *t;
	struct vp_io_stats ios;
	char line[1024];
	uint64_t total = 0;
	FILE *f;

	tgate.open = true;
	tgate.since = 0;
	tgate.epoch = 1;
	VT_EQ(0, track_fix_start(&tf, "hold", test_gate, T0));
	t = tf.t;
	feed(t, 0, 30, T0 + 10 * VP_MSEC);    /* 600 ms of audio at once */
	vp_track_poll(t, T0 + 300 * VP_MSEC); /* placed 480..29280; */
	/* written 480..13920 (frames that end by 14400), the rest held */
	tgate.open = false;		     /* closed at 310 ms */
	feed(t, 30, 40, T0 + 320 * VP_MSEC); /* would go at 29280..38880 */
	tgate.open = true;		     /* reopened at 330 ms */
	tgate.epoch++;
	tgate.since = vp_timeline_sample_at(&tf.tl, T0 + 330 * VP_MSEC);
	vp_track_poll(t, T0 + 2 * VP_SEC);
	VT_EQ(0, track_fix_stop(&tf, &ios));
	VT_EQ(0, ios.write_errors);
	snprintf(line, sizeof(line), "%s/manifest.jsonl", tf.dir);
	f = fopen(line, "r");
	VT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		json_int_t s =
			json_integer_value(json_object_get(j, "start_sample"));
		json_int_t n =
			json_integer_value(json_object_get(j, "samples"));

		VT_TRUE(j != NULL);
		VT_TRUE(s + n <= 14400 || s >= 15840); /* not while closed */
		VT_TRUE(s + n <= 29280); /* nothing that arrived while closed */
		total += (uint64_t)n;
		json_decref(j);
	}
	fclose(f);
	VT_EQ(13440, total); /* 480..13920 */
	VT_EQ(total, vp_track_stats(t)->samples);
	vp_mem_deref(t);
}

/* Issue 10 item 11 at the bot's level (bot_gate.c): a never-record
 * member's roster join while allocations fail. The oom suite fails each
 * allocation of the join in turn: the bot's gate must be closed after it,
 * and stay closed (latched) when the join reported an error. */
VTEST_OOM(bot_never_record_join_oom_closes_gate)
{
	static const char st[] =
		"{\"company_domains\":[\"example.com\"],\"record_internal\":"
		"true,"
		"\"record_external\":true,\"recorded_members\":\"all\","
		"\"members\":[{\"address\":\"carol@example.com\","
		"\"data_capture\":\"never\"}],\"consent\":{\"mode\":\"none\"}}";
	static const char fa[] =
		"{\"organizer\":\"alice@example.com\",\"invitees\":"
		"[\"erin@customer.test\"],\"title\":\"x\",\"private\":false,"
		"\"manual_invite\":false,\"conference_url\":\"https://m.test/"
		"x\"}";
	struct vp_bot_cfg cfg = {.rate = 48000,
				 .settings_json = st,
				 .facts_json = fa,
				 .require_settings = true};
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = "nrjoin",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10};
	struct vp_rec_gate g;
	struct bot *b;
	uint64_t since, epoch;

	VT_OOM_SKIP();
	b = calloc(1, sizeof(*b));
	VT_TRUE(b != NULL);
	b->cfg = &cfg;
	g = rc.gate = vp_bot__rec_gate(b);
	VT_EQ(0, vp_rec_open(&b->rec, &rc));
	VT_EQ(0, vp_bot__policy(b));
	vp_bot__gate_join(b, "p1", "bob@example.com", false);
	vp_bot__gate_start(b);
	VT_TRUE(g.open(b, &since, &epoch));
	VT_OOM_WALK();
	vp_bot__gate_join(b, "p2", "carol@example.com", false);
	VT_OOM_SKIP();
	VT_TRUE(!g.open(b, &since, &epoch));
	VT_OOM_WALK();
	vp_bot__gate_leave(b, "p2");
	VT_OOM_SKIP();
	/* open again only if no error reached the gate */
	VT_EQ(!vp_gate_failed(b->gate), g.open(b, &since, &epoch));
	vp_bot__gate_close(b);
	vp_rec_close(b->rec);
	vp_bot__gate_free(b);
	free(b);
}

/* Audio reaches a stream only for a participant the roster announced and
 * who is present, or for the server's mix of the roster (AudioBridge):
 * an offer's stream map alone never makes a stream. */
VTEST(bot_stream_only_for_announced_participants)
{
	struct bot *b = calloc(1, sizeof(*b));
	struct bot_participant *p;
	char p1[] = "p1", mix[] = "mix";
	struct bot_mid m = {.participant = p1, .active = true, .pt = 111};

	VT_TRUE(b != NULL);
	VT_TRUE(!vp_bot__may_track(b, &m)); /* never announced */
	VT_TRUE(!vp_bot__may_track(b, &m));
	VT_EQ(2, b->rtp_unannounced);
	p = vp_bot__part(b, "p1", true);
	VT_TRUE(p != NULL);
	VT_TRUE(!vp_bot__may_track(b, &m)); /* known, but not present */
	p->present = true;
	VT_TRUE(vp_bot__may_track(b, &m));
	VT_EQ(3, b->rtp_unannounced);
	/* "mix" as a participant id is not the mix: only the flag is */
	m.participant = mix;
	VT_TRUE(!vp_bot__may_track(b, &m));
	m.mixed = true;
	VT_TRUE(vp_bot__may_track(b, &m));
	VT_EQ(4, b->rtp_unannounced);
	vp_bot__parts_free(b);
	free(b);
}

/* Walked by the oom suite: a rerun into a meeting folder, each of its
 * allocations failing in turn. The open fails with an error or keeps
 * the earlier run's record; it never saves over it (a meeting.json
 * that lost "previous_runs"). */
VTEST_OOM(bot_meeting_rerun_oom_keeps_history)
{
	struct vp_meeting m;
	json_t *doc;
	char p[4200];
	int e;

	VT_OOM_SKIP();
	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	vp_meeting_close(&m);
	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(2, m.run);
	vp_meeting_close(&m);
	VT_OOM_WALK();
	e = vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL);
	VT_OOM_SKIP();
	if (!e) {
		VT_EQ(3, m.run);
		vp_meeting_close(&m);
	}
	VT_TRUE(!e || vtest_oom_hit());
	snprintf(p, sizeof(p), "%s/m1/meeting.json", vtest_tmpdir());
	doc = json_load_file(p, 0, NULL);
	VT_TRUE(doc != NULL);
	VT_EQ(e ? 1 : 2,
	      json_array_size(json_object_get(doc, "previous_runs")));
	VT_EQ(e ? 2 : 3, json_integer_value(json_object_get(doc, "run")));
	json_decref(doc);
}

/* Walked by the oom suite: a job with inline settings and meeting facts,
 * each allocation of its parse failing in turn: an error, or exactly
 * what a parse without failures gives (the settings and facts are
 * re-serialised: a member jansson lost would show). */
VTEST_OOM(bot_job_parse_oom_walk)
{
	static const char txt[] =
		"{\"invite\":\"janus+ws://127.0.0.1:8188/1234\",\"out\":\"/tmp/"
		"o\","
		"\"rate\":16000,\"meeting\":{\"organizer\":\"a@x.com\","
		"\"invitees\":[\"c@x.com\"]},\"settings\":{\"company_domains\":"
		"[\"x.com\"],\"members\":[{\"address\":\"c@x.com\","
		"\"data_capture\":\"never\"}]}}";
	struct vp_job ref, j;
	char err[256];
	int e;

	VT_OOM_SKIP();
	VT_EQ(0, vp_job_parse(&ref, txt, sizeof(txt) - 1, err, sizeof(err)));
	VT_OOM_WALK();
	e = vp_job_parse(&j, txt, sizeof(txt) - 1, err, sizeof(err));
	VT_OOM_SKIP();
	if (!VT_OOM(e)) {
		VT_STR_EQ(ref.settings_json, j.settings_json);
		VT_STR_EQ(ref.facts_json, j.facts_json);
		VT_STR_EQ(ref.cfg.invite, j.cfg.invite);
		VT_EQ(16000, j.cfg.rate);
		vp_job_free(&j);
	}
	vp_job_free(&ref);
}

/* There is no "no gate" (issue 11): a stream and a recorder without one
 * are refused. */
VTEST(bot_rec_requires_a_gate)
{
	struct vp_track_cfg tc = {.id = "s1",
				  .rate = 48000,
				  .channels = 1,
				  .chunk_samples = 480000};
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = "nogate",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10};
	struct vp_timeline tl;
	struct vp_track *t = NULL;
	struct vp_rec *r = NULL;

	vp_timeline_init(&tl, 48000, T0);
	/* a stand-in io: the missing gate must be what is refused */
	VT_EQ(EINVAL, vp_track_alloc(&t, &tc, &tl, (struct vp_io *)&tc));
	VT_TRUE(t == NULL);
	VT_EQ(EINVAL, vp_rec_open(&r, &rc));
	VT_TRUE(r == NULL);
}

/* The recorder owns streams/status/gate; a replay's meeting.json says its
 * gate is none, and its streams have the live shape (participant, ssrcs). */
VTEST(bot_rec_replay_meeting_json)
{
	static const uint8_t opus[] = {0xF8, 0xFF, 0xFE, 0x01, 0x02};
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = "rec1",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10,
				.offline = true,
				.gate = vp_rec_gate_none};
	struct vp_rec *r = NULL;
	json_t *doc, *st, *s0;
	char path[4200];
	unsigned idx = 9;

	VT_EQ(0, vp_rec_open(&r, &rc));
	VT_EQ(EINVAL, vp_rec_set(r, "streams", json_array()));
	VT_EQ(EINVAL, vp_rec_set(r, "status", json_object()));
	VT_EQ(0, vp_rec_set(r, "source", json_string("test")));
	VT_EQ(0, vp_rec_start(r));
	VT_EQ(EAGAIN, vp_rec_stream_open(r, NULL, &idx)); /* no timeline */
	vp_rec_timeline_start(r, T0);
	VT_EQ(0, vp_rec_stream_open(r, NULL, &idx));
	VT_EQ(0, idx);
	for (unsigned k = 0; k < 50; k++)
		vp_rec_rtp(r, 0, k < 25 ? 7 : 8, (uint16_t)k, k * 960, opus,
			   sizeof(opus), T0 + k * 20 * VP_MSEC);
	VT_EQ(0, vp_rec_stop(r));
	VT_EQ(0, vp_rec_finish(r, 0, NULL));
	snprintf(path, sizeof(path), "%s/rec1/meeting.json", vtest_tmpdir());
	doc = json_load_file(path, 0, NULL);
	VT_TRUE(doc != NULL);
	VT_STR_EQ("none (replay)",
		  json_string_value(json_object_get(doc, "gate")));
	VT_STR_EQ("test", json_string_value(json_object_get(doc, "source")));
	st = json_object_get(doc, "status");
	VT_STR_EQ("finished", json_string_value(json_object_get(st, "state")));
	VT_EQ(0, json_integer_value(json_object_get(st, "io_write_errors")));
	s0 = json_array_get(json_object_get(doc, "streams"), 0);
	VT_STR_EQ("s1", json_string_value(json_object_get(s0, "id")));
	VT_TRUE(json_is_null(json_object_get(s0, "participant")));
	VT_EQ(2, json_array_size(json_object_get(s0, "ssrcs")));
	VT_EQ(8, json_integer_value(
			 json_array_get(json_object_get(s0, "ssrcs"), 1)));
	VT_TRUE(json_integer_value(json_object_get(s0, "samples")) > 0);
	json_decref(doc);
	vp_rec_close(r);
}

/* One rewrite of meeting.json in a meeting's life (k = 0..3): the open,
 * a save with a section set, a mid-meeting save with sections set and one
 * edited in place plus a warning and a counter, the final save. */
static int rec_step(struct vp_rec **r, unsigned k, const char *out)
{
	struct vp_rec_cfg rc = {.out = out,
				.id = "m1",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10,
				.offline = true,
				.gate = vp_rec_gate_none};
	int e;

	if (k == 0)
		return vp_rec_open(r, &rc);
	if (k == 1) {
		vp_rec_set(*r, "source", json_pack("{s:s}", "kind", "test"));
		vp_rec_timeline_start(*r, T0);
		return vp_rec_save(*r, "recording");
	}
	if (k == 2) {
		vp_rec_set(*r, "participants",
			   json_pack("[{s:s, s:b, s:[s]}]", "id", "p1",
				     "present", 1, "streams", "s1"));
		json_object_set_new(vp_rec_get(*r, "source"), "packets",
				    json_integer(12345));
		vp_rec_warn(*r, "a warning the final status lists");
		vp_rec_status_count(*r, "test_dropped", 3);
		return vp_rec_save(*r, "recording");
	}
	e = vp_rec_finish(*r, 0, NULL);
	return e;
}

/* meeting.json as written, without the clock's stamps; "" if none */
static char *rec_file(const char *out)
{
	char p[4200];
	json_t *doc;
	char *s;

	snprintf(p, sizeof(p), "%s/m1/meeting.json", out);
	doc = json_load_file(p, 0, NULL);
	json_object_del(doc, "started_utc");
	json_object_del(doc, "ended_utc");
	s = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT) : strdup("");
	json_decref(doc);
	return s;
}

/* Walked by the oom suite: each allocation of a meeting's four rewrites of
 * meeting.json fails in turn (jansson's included). After every step the
 * file is the one a run without failures writes at that step, or, when
 * the step reported an error, the file as it was before it: never one
 * with a member missing (jansson leaves out a member it could not
 * allocate; vp_meeting_set refuses it). */
VTEST_OOM(bot_rec_meeting_json_oom_walk)
{
	char ref_out[4200], out[4200], *ref[4], *prev, *cur;
	struct vp_rec *r = NULL;
	unsigned k;
	int e;

	VT_OOM_SKIP();
	snprintf(ref_out, sizeof(ref_out), "%s/ref", vtest_tmpdir());
	snprintf(out, sizeof(out), "%s/walk", vtest_tmpdir());
	for (k = 0; k < 4; k++) {
		VT_EQ(0, rec_step(&r, k, ref_out));
		ref[k] = rec_file(ref_out);
		VT_TRUE(ref[k][0] != '\0');
	}
	vp_rec_close(r);
	r = NULL;
	VT_TRUE(strstr(ref[3], "\"packets\":12345") &&
		strstr(ref[3], "\"test_dropped\":3") &&
		strstr(ref[3], "a warning the final status lists"));
	prev = strdup("");
	for (k = 0; k < 4; k++) {
		VT_OOM_WALK();
		e = rec_step(&r, k, out);
		VT_OOM_SKIP();
		cur = rec_file(out);
		/* an error only for an injected failure, and then the file
		 * is the right one (written before the failure) or unchanged */
		if (e && strcmp(cur, ref[k])) {
			VT_TRUE(vtest_oom_hit());
			VT_STR_EQ(prev, cur);
		} else {
			VT_TRUE(!e || vtest_oom_hit());
			VT_STR_EQ(ref[k], cur);
		}
		free(prev);
		prev = cur;
		if (k == 0 && e)
			break;
	}
	free(prev);
	vp_rec_close(r);
	for (k = 0; k < 4; k++)
		free(ref[k]);
}

/* A final save that fails is the bot's exit code: 0 stayed 0 while
 * meeting.json still said "recording". One allocation of the final save
 * fails at a time (k = 0, 1, …) until one makes it fail: then the code is
 * 70 and the file, written once more, says failed/70 and why; every
 * earlier k that did not fail the save left a finished, exit-0 file. */
VTEST(bot_final_save_failure_is_the_exit_code)
{
	struct vp_bot_cfg cfg = {.rate = 48000};
	struct vp_rec_cfg rc = {.out = vtest_tmpdir(),
				.id = "fsave",
				.rate = 48000,
				.channels = 1,
				.chunk_seconds = 10,
				.offline = true,
				.gate = vp_rec_gate_none};
	char p[4200];
	struct bot *b = calloc(1, sizeof(*b));
	json_t *doc, *st;
	long k;

	VT_TRUE(b != NULL);
	b->cfg = &cfg;
	VT_EQ(0, vp_rec_open(&b->rec, &rc));
	vp_rec_timeline_start(b->rec, T0);
	VT_EQ(0, vp_bot__save(b, "recording"));
	snprintf(p, sizeof(p), "%s/fsave/meeting.json", vtest_tmpdir());
	for (k = 0; k < 5000 && b->code == VP_EXIT_OK; k++) {
		vp_mem_fail_nth(k);
		vp_bot__save_final(b);
		vp_mem_fail_reset();
		doc = json_load_file(p, 0, NULL);
		st = json_object_get(doc, "status");
		VT_TRUE(st != NULL);
		if (b->code == VP_EXIT_OK) {
			VT_STR_EQ("finished", json_string_value(json_object_get(
						      st, "state")));
		} else {
			VT_EQ(VP_EXIT_SOFTWARE, b->code);
			VT_STR_EQ("failed", json_string_value(json_object_get(
						    st, "state")));
			VT_EQ(VP_EXIT_SOFTWARE,
			      json_integer_value(
				      json_object_get(st, "exit_code")));
			VT_TRUE(strstr(json_string_value(
					       json_object_get(st, "reason")),
				       "final meeting.json") != NULL);
		}
		json_decref(doc);
	}
	VT_TRUE(b->code == VP_EXIT_SOFTWARE); /* a failing k was found */
	vp_rec_close(b->rec);
	free(b);
}
