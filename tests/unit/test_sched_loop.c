/* SPDX-License-Identifier: MIT */
/**
 * @file test_sched_loop.c  The run loop's scan (loop_scan.c) over a
 * calendar file and a settings file, on a state database of its own: what
 * a scan writes into a meeting's folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/core/fs.h"
#include "src/core/mem.h"
#include "src/sched/config.h"
#include "src/sched/loop_priv.h"
#include "tests/harness/vtest.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	VT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b = calloc(1, 65536);

	VT_TRUE(f != NULL && b != NULL);
	(void)!fread(b, 1, 65535, f);
	fclose(f);
	return b;
}

static void stamp(char *buf, size_t sz, time_t t)
{
	strftime(buf, sz, "%Y%m%dT%H%M%SZ", gmtime(&t));
}

static const char allow[] =
	"{\"company_domains\":[\"example.com\"],\"record_internal\":true,"
	"\"record_external\":true,\"recorded_members\":\"all\","
	"\"consent\":{\"mode\":\"none\"}}";
static const char deny[] =
	"{\"company_domains\":[\"example.com\"],\"record_internal\":false,"
	"\"record_external\":false,\"recorded_members\":\"all\","
	"\"consent\":{\"mode\":\"none\"}}";

/* A loop as `run` has it, without a dispatcher: one calendar file of
 * one meeting from now - 600 to now + 3000, settings from `set`. */
static struct loop *loop_new(struct vp_sched_cfg *c, char *set, size_t setsz,
			     time_t now)
{
	const char *d = vtest_tmpdir();
	char ics[512], cfgp[512], s0[32], s1[32], err[256];
	char cal[2048], cfgtxt[2048];
	struct loop *l = calloc(1, sizeof(*l));

	VT_TRUE(l != NULL);
	stamp(s0, sizeof(s0), now - 600);
	stamp(s1, sizeof(s1), now + 3000);
	snprintf(cal, sizeof(cal),
		 "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
		 "BEGIN:VEVENT\r\nUID:kept@vpbot.test\r\nDTSTAMP:%s\r\n"
		 "DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Review\r\n"
		 "ORGANIZER:mailto:alice@example.com\r\n"
		 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\n"
		 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:x@partner.test\r\n"
		 "DESCRIPTION:Join: sim+ws://127.0.0.1:9/kept\r\n"
		 "END:VEVENT\r\nEND:VCALENDAR\r\n",
		 s0, s0, s1);
	snprintf(ics, sizeof(ics), "%s/cal.ics", d);
	snprintf(set, setsz, "%s/settings.json", d);
	snprintf(cfgp, sizeof(cfgp), "%s/cfg.json", d);
	put(ics, cal);
	put(set, allow);
	snprintf(cfgtxt, sizeof(cfgtxt),
		 "{\"calendars\": [{\"owner\": \"alice@example.com\", "
		 "\"file\": \"%s\"}], \"settings_file\": \"%s\", "
		 "\"out\": \"%s/out\", \"state\": \"%s/state.db\", "
		 "\"vpbot\": \"/bin/true\"}",
		 ics, set, d, d);
	put(cfgp, cfgtxt);
	memset(c, 0, sizeof(*c));
	VT_EQ(0, vp_sched_cfg_load(c, cfgp, err, sizeof(err)));
	l->cfg = c;
	l->feeds = vp_calloc(c->ncals, sizeof(*l->feeds));
	VT_TRUE(l->feeds != NULL);
	VT_EQ(0, vp_sched_state_open(&l->st, c->state, "t"));
	l->now = now;
	return l;
}

static void loop_free(struct loop *l, struct vp_sched_cfg *c)
{
	vp_sched_state_close(l->st);
	for (size_t i = 0; i < c->ncals; i++)
		vp_sched_feed_clear(&l->feeds[i]);
	free(l->feeds);
	vp_sched_list_clear(&l->cur);
	vp_mem_deref(l->settings);
	vp_sched_cfg_free(c);
	free(l);
}

/* A meeting whose bot joined and ended keeps the meeting.json the bot
 * wrote when a later scan decides against recording it (settings that
 * changed, or failed closed): the decision file went over it, every
 * minute until the meeting's end, and the streams and the gate's record
 * were lost. A meeting no bot joined still gets the decision file. */
VTEST(sched_scan_keeps_the_meeting_json_a_bot_wrote)
{
	const char *d = vtest_tmpdir();
	char set[512], mj[1024], id[112], *got;
	static const char bot_doc[] = "{\"run\": 1, \"streams\": [{\"id\": "
				      "\"s1\"}], \"status\": {\"state\": "
				      "\"done\"}}\n";
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct vp_sched_row row;
	struct loop *l = loop_new(&c, set, sizeof(set), now);

	vp_sched__scan(l);
	VT_EQ(1, l->cur.n);
	snprintf(id, sizeof(id), "%s", l->cur.v[0]->id);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("upcoming", row.state);

	/* its bot ran and ended; the folder holds what it wrote */
	VT_EQ(0, vp_sched_state_claim(l->st, id, now, 4));
	VT_EQ(0, vp_sched_state_attempt_end(l->st, id, 0, 0, now));
	VT_EQ(0, vp_sched_state_set(l->st, id, "done", 0, 0));
	snprintf(mj, sizeof(mj), "%s/out/%s", d, id);
	VT_EQ(0, vp_fs_mkdir_p(mj));
	snprintf(mj, sizeof(mj), "%s/out/%s/meeting.json", d, id);
	put(mj, bot_doc);

	/* the settings now say no: the scan decides so, and keeps the file */
	put(set, deny);
	vp_sched__scan(l);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("done", row.state);
	VT_STR_EQ("deny", row.verdict);
	got = slurp(mj);
	VT_STR_EQ(bot_doc, got);
	free(got);

	/* a meeting no bot joined (a state that never saw it): the decision
	 * is written */
	vp_sched_state_close(l->st);
	remove(c.state);
	VT_EQ(0, vp_sched_state_open(&l->st, c.state, "t"));
	remove(mj);
	vp_sched__scan(l);
	got = slurp(mj);
	VT_TRUE(strstr(got, "\"not_joined\"") != NULL);
	VT_TRUE(strstr(got, "\"streams\"") == NULL);
	free(got);
	loop_free(l, &c);
}

/* A meeting that ended before its bot could start, and is no longer in
 * the scan's window (the scheduler was down over it), ends as failed: it
 * stayed upcoming for good, and was selected as due at every tick. */
VTEST(sched_due_fails_a_meeting_that_ended_unseen)
{
	char set[512];
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct vp_sched_row row;
	struct loop *l = loop_new(&c, set, sizeof(set), now);

	VT_EQ(0, vp_sched_state_seen(l->st, "old-meeting", "old@vpbot.test",
				     now - 7200, now - 5400, "Old", "record",
				     "upcoming", now - 7300));
	vp_sched__due(l);
	VT_EQ(0, vp_sched_state_get(l->st, "old-meeting", &row));
	VT_STR_EQ("failed", row.state);
	loop_free(l, &c);
}

/* A dispatcher whose backend is away for the first `away` starts. */
struct fake_disp {
	struct vp_sched_dispatch base;
	int away, starts;
};

static int fake_start(struct vp_sched_dispatch *d, const char *id, json_t *job,
		      int64_t *handle)
{
	struct fake_disp *f = (struct fake_disp *)d;

	(void)id;
	(void)job;
	if (f->starts++ < f->away)
		return ECONNRESET;
	*handle = 1000;
	return 0;
}

static void fake_reap(struct vp_sched_dispatch *d, vp_sched_exit_h *h,
		      void *arg)
{
	(void)d;
	(void)h;
	(void)arg;
}

static const struct vp_sched_dispatch_ops fake_ops = {
	.name = "fake", .start = fake_start, .reap = fake_reap};

/* A fleet that cannot be reached when a meeting is due (Redis restarting)
 * costs no attempt: the meeting is tried again after retry_base_s, past
 * max_attempts, until it starts. It failed for good after max_attempts
 * (about 75 s of an outage), however long the meeting still ran. */
VTEST(sched_unreachable_fleet_is_not_an_attempt)
{
	char set[512], id[112];
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct vp_sched_row row;
	struct fake_disp f = {.base.ops = &fake_ops, .away = 12};
	struct loop *l = loop_new(&c, set, sizeof(set), now);

	l->disp = &f.base;
	vp_sched__scan(l);
	VT_EQ(1, l->cur.n);
	snprintf(id, sizeof(id), "%s", l->cur.v[0]->id);
	VT_TRUE(f.away > c.max_attempts);
	for (int i = 0; i < f.away; i++) {
		vp_sched__due(l);
		VT_EQ(i + 1, f.starts);
		VT_EQ(0, vp_sched_state_get(l->st, id, &row));
		VT_STR_EQ("retry", row.state);
		VT_EQ(0, row.attempts);
		VT_EQ(l->now + c.retry_base_s, row.next_try);
		vp_sched__due(l); /* not before next_try */
		VT_EQ(i + 1, f.starts);
		l->now += c.retry_base_s;
	}
	vp_sched__due(l);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("running", row.state);
	VT_EQ(1, row.attempts);
	VT_EQ(1, l->nkids);
	loop_free(l, &c);
}

/* A fleet job whose outcome never comes (Redis lost it) ends as failed
 * FLEET_LOST_S (1800 s) after the meeting's end + grace; before that it
 * runs: it held its max_concurrent slot for good. */
VTEST(sched_fleet_job_without_an_outcome_ends)
{
	char set[512], id[112];
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct vp_sched_row row;
	struct fake_disp f = {.base.ops = &fake_ops};
	struct loop *l = loop_new(&c, set, sizeof(set), now);

	c.dispatch = strdup("redis://127.0.0.1:1");
	VT_TRUE(c.dispatch != NULL);
	l->disp = &f.base;
	vp_sched__scan(l);
	snprintf(id, sizeof(id), "%s", l->cur.v[0]->id);
	vp_sched__due(l);
	VT_EQ(1, l->nkids);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("running", row.state);
	l->now = row.end + c.grace_s + 1800;
	vp_sched__watch(l);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("running", row.state);
	l->now++;
	vp_sched__watch(l);
	VT_EQ(0, l->nkids);
	VT_EQ(0, vp_sched_state_get(l->st, id, &row));
	VT_STR_EQ("failed", row.state);
	VT_EQ(69, row.exit_code);
	loop_free(l, &c);
}

/* A scan reads the calendars one by one; between two of them the bots
 * that are due start (from the last scan's meetings): a scan of slow
 * feeds (20 s each) held every dispatch until it ended. The second scan
 * here starts the bot without a tick's due() of its own. */
VTEST(sched_scan_starts_what_is_due_between_calendars)
{
	char set[512];
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct fake_disp f = {.base.ops = &fake_ops};
	struct loop *l = loop_new(&c, set, sizeof(set), now);

	l->disp = &f.base;
	vp_sched__scan(l); /* finds the meeting: nothing was due before */
	VT_EQ(0, f.starts);
	VT_EQ(1, l->cur.n);
	vp_sched__scan(l);
	VT_EQ(1, f.starts);
	VT_EQ(1, l->nkids);
	VT_EQ(1, l->cur.n);
	VT_TRUE(!f.base.again); /* a first attempt */
	/* a retry: its job may still be in the fleet, no new one */
	VT_EQ(0, vp_sched_state_set(l->st, l->cur.v[0]->id, "retry", 0, 75));
	l->nkids = 0;
	vp_sched__due(l);
	VT_EQ(2, f.starts);
	VT_TRUE(!f.base.again);
	/* its bot left with 0 because it was cancelled (vp_sched__ended:
	 * state cancelled, exit code 0), then it was restored (a scan:
	 * upcoming): the next dispatch tells the fleet that attempt is over */
	VT_EQ(0, vp_sched_state_set(l->st, l->cur.v[0]->id, "cancelled", 0, 0));
	VT_EQ(0, vp_sched_state_set(l->st, l->cur.v[0]->id, "upcoming", 0, -1));
	l->nkids = 0;
	vp_sched__due(l);
	VT_EQ(3, f.starts);
	VT_TRUE(f.base.again);
	loop_free(l, &c);
}

/* A scan beats between its calendars: a scan of slow feeds longer than
 * STALE_S (20 s) made another scheduler on the same state adopt this
 * one's running bots. */
VTEST(sched_scan_beats_between_calendars)
{
	char set[512], id[112];
	time_t now = time(NULL);
	struct vp_sched_cfg c;
	struct vp_sched_state *other = NULL;
	struct loop *l = loop_new(&c, set, sizeof(set), now);
	unsigned n = 9;

	vp_sched__scan(l);
	snprintf(id, sizeof(id), "%s", l->cur.v[0]->id);
	VT_EQ(0, vp_sched_state_claim(l->st, id, now, 4)); /* ours, running */
	VT_EQ(0, vp_sched_state_open(&other, c.state, "other"));
	VT_EQ(0, vp_sched_state_adopt(other, now, 20, &n));
	VT_EQ(0, n);
	vp_sched_state_close(other);
	loop_free(l, &c);
}
