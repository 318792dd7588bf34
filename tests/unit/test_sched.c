/* SPDX-License-Identifier: MIT */
/**
 * @file test_sched.c  vpbot-sched: real-world ICS shapes (Google and
 * Outlook exports in tests/data/ics/) -> meetings -> verdicts; ids;
 * invite detection; the SQLite claim that keeps one bot per meeting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <string.h>

#include "src/bot/meeting.h"
#include "src/bot/meeting_lock.h"
#include "src/core/mem.h"
#include "src/gate/settings.h"
#include "src/sched/config.h"
#include "src/sched/decide.h"
#include "src/sched/sched.h"
#include "src/sched/source.h"
#include "src/sched/state.h"
#include "tests/harness/vtest.h"

#define DATA	 VP_SCHED_DATA_DIR
#define SETTINGS VP_SCHED_DATA_DIR "/../settings/company.json"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(1 << 20);

	*n = f && b ? fread(b, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return b;
}

static int parse(struct vp_sched_list *l, const char *file, const char *owner,
		 const char *from, double hours,
		 struct vp_sched_parse_stats *st)
{
	struct vp_sched_parse_opt o = {.owner = owner,
				       .assistant = "notetaker@example.com",
				       .max_instances = 1000};
	char err[256], path[512];
	size_t n;
	char *t;
	int e;

	snprintf(path, sizeof(path), "%s/%s", DATA, file);
	t = slurp(path, &n);
	VT_EQ(0, vp_sched_parse_time(&o.from, from));
	o.to = o.from + (int64_t)(hours * 3600);
	e = vp_sched_ics_parse(l, t, n, &o, st, err, sizeof(err));
	free(t);
	return e;
}

static struct vp_sched_meeting *at(struct vp_sched_list *l, const char *utc)
{
	int64_t t;

	VT_EQ(0, vp_sched_parse_time(&t, utc));
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i]->start == t)
			return l->v[i];
	return NULL;
}

static const char *verdict(struct vp_sched_meeting *m, const char **cause)
{
	struct vp_settings *s = NULL;
	struct vp_policy_decision d;
	char err[256];
	static char c[VP_POLICY_REASON_LEN];

	VT_EQ(0, vp_settings_load(&s, SETTINGS, err, sizeof(err)));
	vp_sched_decide(&d, m, s);
	snprintf(c, sizeof(c), "%s", vp_policy_cause(&d));
	*strchrnul(c, ':') = '\0';
	*cause = c;
	vp_mem_deref(s);
	return vp_policy_verdict_str(d.verdict);
}

VTEST(sched_google_weekly_across_dst_with_exdate_and_override)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	struct vp_sched_meeting *m;

	VT_EQ(0, parse(&l, "google.ics", "alice@example.com",
		       "2027-02-20T00:00:00Z", 24 * 40, &st));
	/* 10:00 New York: 15:00Z in EST, 14:00Z once DST starts (Mar 14) */
	VT_TRUE(at(&l, "2027-02-22T15:00:00Z") != NULL);
	VT_TRUE(at(&l, "2027-03-22T14:00:00Z") != NULL);
	VT_TRUE(at(&l, "2027-03-29T14:00:00Z") != NULL);
	/* EXDATE 2027-03-08 */
	VT_TRUE(at(&l, "2027-03-08T15:00:00Z") == NULL);
	/* Mar 1 moved to 14:00 local (19:00Z); the 10:00 one is gone, the
	 * id is still the original occurrence's */
	VT_TRUE(at(&l, "2027-03-01T15:00:00Z") == NULL);
	m = at(&l, "2027-03-01T19:00:00Z");
	VT_TRUE(m != NULL);
	VT_TRUE(strstr(m->id, "-20270301T150000Z") != NULL);
	VT_STR_EQ("Customer weekly sync (moved)", m->title);
	/* COUNT=6 minus one EXDATE; the cancelled one is listed, cancelled */
	m = at(&l, "2027-03-15T14:00:00Z");
	VT_TRUE(m != NULL && m->cancelled);
	VT_EQ(0u, st.dropped);
	vp_sched_list_clear(&l);
}

VTEST(sched_google_facts_folded_invite_attendees)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	struct vp_sched_meeting *m;
	const char *c;

	VT_EQ(0, parse(&l, "google.ics", "alice@example.com",
		       "2027-02-20T00:00:00Z", 24 * 5, &st));
	m = at(&l, "2027-02-22T15:00:00Z");
	VT_TRUE(m != NULL);
	/* the DESCRIPTION's URL is folded across two lines */
	VT_STR_EQ("sim+ws://127.0.0.1:9/weekly-sync?token=s3cret",
		  m->conference_url);
	VT_STR_EQ("alice@example.com", m->organizer);
	/* CN with a space folded inside; the organizer is not an invitee */
	VT_EQ((size_t)1, m->invitees.n);
	VT_STR_EQ("erin@customer.test", m->invitees.v[0]);
	VT_STR_EQ("record", verdict(m, &c));
	VT_STR_EQ("deny", verdict(at(&l, "2027-02-23T15:00:00Z"), &c));
	VT_STR_EQ("private_meeting", c);
	VT_STR_EQ("metadata_only", verdict(at(&l, "2027-02-23T16:00:00Z"), &c));
	VT_STR_EQ("unsupported_platform", c);
	VT_STR_EQ("metadata_only", verdict(at(&l, "2027-02-23T17:00:00Z"), &c));
	VT_STR_EQ("no_conference_url", c);
	VT_STR_EQ("deny", verdict(at(&l, "2027-02-23T18:00:00Z"), &c));
	VT_STR_EQ("declined", c);
	m = at(&l, "2027-02-24T00:00:00Z");
	VT_TRUE(m != NULL && m->all_day && m->transparent);
	VT_STR_EQ("deny", verdict(m, &c));
	VT_STR_EQ("all_day", c);
	vp_sched_list_clear(&l);
}

VTEST(sched_outlook_windows_tz_teams_room_resource)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	struct vp_sched_meeting *m;
	const char *c;

	VT_EQ(0, parse(&l, "outlook.ics", "alice@example.com",
		       "2027-03-01T00:00:00Z", 24 * 50, &st));
	/* 09:00 "W. Europe Standard Time": 08:00Z, 07:00Z after Mar 28 */
	m = at(&l, "2027-03-11T08:00:00Z");
	VT_TRUE(m != NULL);
	VT_TRUE(at(&l, "2027-03-18T08:00:00Z") != NULL);
	VT_TRUE(at(&l, "2027-03-25T08:00:00Z") == NULL); /* EXDATE */
	VT_TRUE(at(&l, "2027-04-01T07:00:00Z") != NULL);
	VT_TRUE(at(&l, "2027-04-15T07:00:00Z") != NULL); /* UNTIL inclusive */
	VT_TRUE(at(&l, "2027-04-22T07:00:00Z") == NULL);
	VT_STR_EQ("alice@example.com", m->organizer); /* lower-cased */
	VT_EQ((size_t)1, m->invitees.n); /* the room is no invitee */
	VT_TRUE(m->conference_url == NULL);
	VT_STR_EQ("teams", m->unsupported);
	VT_STR_EQ("metadata_only", verdict(m, &c));
	VT_STR_EQ("unsupported_platform", c);
	vp_sched_list_clear(&l);
}

VTEST(sched_outlook_confidential_manual_invite_overrides)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	struct vp_sched_meeting *m;
	const char *c;

	VT_EQ(0, parse(&l, "outlook.ics", "alice@example.com",
		       "2027-03-01T00:00:00Z", 24 * 50, &st));
	m = at(&l, "2027-03-16T13:00:00Z");
	VT_TRUE(m != NULL);
	VT_TRUE(m->private_);	   /* CLASS:CONFIDENTIAL */
	VT_TRUE(m->manual_invite); /* the assistant is invited */
	VT_TRUE(!vp_sched_strv_has(&m->invitees, "notetaker@example.com"));
	VT_STR_EQ("janus+ws://10.1.2.3:8188/1234?pin=9876", m->conference_url);
	/* private and "confidential" in the title: overridden by hand */
	VT_STR_EQ("record", verdict(m, &c));
	vp_sched_list_clear(&l);
}

VTEST(sched_same_meeting_in_two_calendars_is_one)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	size_t n;

	VT_EQ(0, parse(&l, "google.ics", "alice@example.com",
		       "2027-02-20T00:00:00Z", 24 * 5, &st));
	n = l.n;
	VT_EQ(0, parse(&l, "google.ics", "bob@example.com",
		       "2027-02-20T00:00:00Z", 24 * 5, &st));
	VT_EQ(n, l.n);
	VT_EQ((size_t)2, at(&l, "2027-02-22T15:00:00Z")->calendars.n);
	vp_sched_list_clear(&l);
}

VTEST(sched_malformed_line_is_named)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;

	VT_EQ(0, parse(&l, "malformed.ics", "alice@example.com",
		       "2026-12-30T00:00:00Z", 24 * 5, &st));
	VT_EQ((size_t)1, l.n); /* the good event */
	VT_EQ(1u, st.dropped); /* the one without UID */
	VT_TRUE(!strncmp(st.first_problem, "line 8: ", 8));
	VT_TRUE(strstr(st.first_problem, "THIS IS NOT A PROPERTY") != NULL);
	vp_sched_list_clear(&l);
}

VTEST(sched_not_an_icalendar)
{
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.to = 1, .max_instances = 10};
	struct vp_sched_parse_stats st;
	char err[128];

	VT_EQ(EBADMSG, vp_sched_ics_parse(&l, "<html>404</html>", 16, &o, &st,
					  err, sizeof(err)));
	VT_TRUE(!strncmp(err, "line 1:", 7));
	VT_EQ(EBADMSG, vp_sched_ics_parse(&l, "BEGIN:VCALENDAR\0x", 17, &o, &st,
					  err, sizeof(err)));
	VT_EQ((size_t)0, l.n);
}

VTEST(sched_meeting_id_is_safe_and_stable)
{
	char a[112], b[112], c[112];

	vp_sched_meeting_id(a, sizeof(a), "../../etc/passwd", 1800000000);
	vp_sched_meeting_id(b, sizeof(b), "../../etc/passwd", 1800000000);
	vp_sched_meeting_id(c, sizeof(c), "__/__/etc/passwd", 1800000000);
	VT_STR_EQ(a, b);
	VT_TRUE(strcmp(a, c) != 0); /* same sanitized text, other hash */
	VT_EQ(0, vp_meeting_id_check(a));
	VT_TRUE(strchr(a, '/') == NULL);
	VT_TRUE(strstr(a, "-20270115T080000Z") != NULL);
	vp_sched_meeting_id(a, sizeof(a), "", 0);
	VT_EQ(0, vp_meeting_id_check(a));
}

VTEST(sched_find_invite)
{
	char *u = NULL, *p = NULL;

	VT_TRUE(vp_sched_find_invite("Join: <sim+wss://h.test:443/m1?token=x>.",
				     &u, &p));
	VT_STR_EQ("sim+wss://h.test:443/m1?token=x", u);
	free(u);
	u = NULL;
	VT_TRUE(vp_sched_find_invite("https://us02web.zoom.us/j/1 then "
				     "janus+ws://h:8188/12",
				     &u, &p));
	VT_STR_EQ("janus+ws://h:8188/12", u); /* a supported one wins */
	VT_STR_EQ("zoom", p);
	free(u);
	free(p);
	u = p = NULL;
	VT_TRUE(!vp_sched_find_invite("https://notzoom.us/x and "
				      "https://meet.google.co/x",
				      &u, &p));
	VT_TRUE(vp_sched_find_invite("https://meet.google.com/abc-defg-hij", &u,
				     &p));
	VT_TRUE(u == NULL);
	VT_STR_EQ("google_meet", p);
	free(p);
	p = NULL;
	VT_TRUE(!vp_sched_find_invite("sim+ws://", &u, &p));
}

VTEST(sched_parse_time)
{
	int64_t t;

	VT_EQ(0, vp_sched_parse_time(&t, "2027-01-15T08:00:00Z"));
	VT_EQ((int64_t)1800000000, t);
	VT_EQ(0, vp_sched_parse_time(&t, "2027-01-15T09:00:00.5+01:00"));
	VT_EQ((int64_t)1800000000, t);
	VT_EQ(EINVAL, vp_sched_parse_time(&t, "2027-01-15 08:00"));
	VT_EQ(EINVAL, vp_sched_parse_time(&t, "2027-01-15T08:00:00"));
}

VTEST(sched_state_claims_once_across_two_schedulers)
{
	struct vp_sched_state *a = NULL, *b = NULL;
	struct vp_sched_row r;
	char path[512];

	snprintf(path, sizeof(path), "%s/state.db", vtest_tmpdir());
	VT_EQ(0, vp_sched_state_open(&a, path, "A"));
	VT_EQ(0, vp_sched_state_open(&b, path, "B"));
	VT_EQ(0, vp_sched_state_seen(a, "m1", "u1", 100, 200, "t", "record",
				     "upcoming", 50));
	VT_EQ(0, vp_sched_state_seen(a, "m2", "u2", 100, 200, "t", "record",
				     "upcoming", 50));
	VT_EQ(0, vp_sched_state_claim(b, "m1", 95, 1));
	VT_EQ(EALREADY, vp_sched_state_claim(a, "m1", 95, 1));
	VT_EQ(EBUSY, vp_sched_state_claim(a, "m2", 95, 1)); /* cap 1 */
	VT_EQ(0, vp_sched_state_claim(a, "m2", 95, 2));
	/* a scan of a running meeting does not make it claimable again */
	VT_EQ(0, vp_sched_state_seen(b, "m1", "u1", 100, 200, "t", "record",
				     "upcoming", 60));
	VT_EQ(EALREADY, vp_sched_state_claim(a, "m1", 95, 9));
	/* a retry due while the cap is reached waits, as a new one does
	 * (the loop warns once, when a row turns waiting) */
	VT_EQ(0, vp_sched_state_seen(a, "m3", "u3", 100, 200, "t", "record",
				     "upcoming", 50));
	VT_EQ(0, vp_sched_state_set(a, "m3", "retry", 90, 75));
	VT_EQ(EBUSY, vp_sched_state_claim(a, "m3", 95, 2));
	VT_EQ(0, vp_sched_state_get(a, "m3", &r));
	VT_STR_EQ("waiting", r.state);
	VT_EQ(0, vp_sched_state_claim(a, "m3", 95, 3));
	VT_EQ(0, vp_sched_state_get(a, "m3", &r));
	VT_STR_EQ("running", r.state);
	vp_sched_state_close(a);
	vp_sched_state_close(b);
}

static long count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A scheduler that runs for months forgets meetings long over, with
 * their attempts and silent schedulers; nothing that may still run. */
VTEST(sched_state_forgets_what_is_long_over)
{
	static const struct {
		const char *id, *state;
		int64_t end;
		bool kept;
	} rows[] = {{"old-done", "done", 1000, false},
		    {"old-failed", "failed", 1000, false},
		    {"old-not-joined", "not_joined", 1000, false},
		    {"old-retry", "retry", 1000, true},
		    {"old-running", "running", 1000, true},
		    {"new-done", "done", 9000, true}};
	struct vp_sched_state *a = NULL;
	struct vp_sched_row r;
	char path[512];
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/forget.db", vtest_tmpdir());
	VT_EQ(0, vp_sched_state_open(&a, path, "A"));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		VT_EQ(0,
		      vp_sched_state_seen(a, rows[i].id, "u", 500, rows[i].end,
					  "t", "record", "upcoming", 50));
		VT_EQ(0, vp_sched_state_claim(a, rows[i].id, 500, 99));
		VT_EQ(0,
		      vp_sched_state_set(a, rows[i].id, rows[i].state, 0, 0));
	}
	VT_EQ(0, vp_sched_state_heartbeat(a, 100));
	VT_EQ(0, vp_sched_state_forget(a, 5000, &n));
	VT_EQ(3, n);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		VT_EQ(rows[i].kept ? 0 : ENOENT,
		      vp_sched_state_get(a, rows[i].id, &r));
	VT_EQ(0, vp_sched_state_forget(a, 5000, &n));
	VT_EQ(0, n);
	vp_sched_state_close(a);
	/* their attempts went with them, and the scheduler silent since 100 */
	VT_EQ(3, count_rows(path, "SELECT count(*) FROM attempts"));
	VT_EQ(0, count_rows(path, "SELECT count(*) FROM schedulers"));
}

VTEST(sched_meeting_lock_one_holder)
{
	int fd1 = -1, fd2 = -1;
	const char *dir = vtest_tmpdir();

	VT_TRUE(!vp_meeting_lock_held(dir));
	VT_EQ(0, vp_meeting_lock(&fd1, dir));
	VT_TRUE(vp_meeting_lock_held(dir));
	VT_EQ(EWOULDBLOCK, vp_meeting_lock(&fd2, dir));
	vp_meeting_unlock(&fd1);
	VT_TRUE(!vp_meeting_lock_held(dir));
	VT_EQ(0, vp_meeting_lock(&fd2, dir));
	vp_meeting_unlock(&fd2);
}

VTEST(sched_title_not_utf8_is_kept_readable)
{
	static const char ics[] =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w1252\r\n"
		"DTSTART:20270101T100000Z\r\nDTEND:20270101T110000Z\r\n"
		"SUMMARY:Caf\xe9 meeting\r\n"
		"ORGANIZER:mailto:alice@example.com\r\n"
		"ATTENDEE:mailto:erin@customer.test\r\n"
		"DESCRIPTION:sim+ws://127.0.0.1:9/m\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .from = 1798700000,
				       .to = 1798800000,
				       .max_instances = 10};
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	const char *c;
	char err[128];

	VT_EQ(0, vp_sched_ics_parse(&l, ics, sizeof(ics) - 1, &o, &st, err,
				    sizeof(err)));
	VT_EQ((size_t)1, l.n);
	VT_STR_EQ("Caf? meeting", l.v[0]->title);
	/* the facts stay valid: not a fail-closed facts_missing */
	VT_STR_EQ("record", verdict(l.v[0], &c));
	vp_sched_list_clear(&l);
}

/* A weekly series, then series that fire every second from 1970 (COUNT
 * rules walk from DTSTART): the first is skipped past 100000 steps
 * before the window, the next spends the calendar's step budget and the
 * whole calendar is refused, naming that series' line. */
/* The zone check is for a calendar's own VTIMEZONEs: a meeting in each of
 * the system's 300-odd zones (tzdata's zone1970.tab; libical's builtin
 * zones, which libical depends on) all count. Checked like a calendar's
 * own, these would pass the 50,000-change bound and be refused. */
VTEST(sched_every_builtin_zone_accepted)
{
	static char ics[256 * 1024];
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100};
	struct vp_sched_parse_stats st;
	FILE *f = fopen("/usr/share/zoneinfo/zone1970.tab", "r");
	char line[512], err[256], zone[128];
	size_t n, k = 0;

	VT_TRUE(f != NULL);
	n = (size_t)snprintf(ics, sizeof(ics), "BEGIN:VCALENDAR\r\n");
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%*s %*s %127s", zone) == 1) {
			n += (size_t)snprintf(
				ics + n, sizeof(ics) - n,
				"BEGIN:VEVENT\r\nUID:u%zu\r\n"
				"DTSTART;TZID=%s:20261207T100000\r\n"
				"DTEND;TZID=%s:20261207T103000\r\n"
				"ORGANIZER:mailto:alice@example.com\r\n"
				"END:VEVENT\r\n",
				k++, zone, zone);
			VT_TRUE(n < sizeof(ics));
		}
	fclose(f);
	n += (size_t)snprintf(ics + n, sizeof(ics) - n, "END:VCALENDAR\r\n");
	VT_TRUE(k > 250 && n < sizeof(ics));
	/* 10:00 local on Dec 7 is within Dec 6 20:00Z .. Dec 7 22:00Z */
	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-06T00:00:00Z"));
	o.to = o.from + 3 * 86400;
	VT_EQ(0, vp_sched_ics_parse(&l, ics, n, &o, &st, err, sizeof(err)));
	VT_EQ(k, l.n);
	vp_sched_list_clear(&l);
}

/* Every RDATE and RRULE of a series counts, whatever else it holds: libical
 * walks a component's properties with one cursor, which an EXDATE lookup
 * (or DTSTART's) moved while the RDATEs were being walked. */
VTEST(sched_every_rdate_with_an_exdate)
{
	static const char ics[] =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\n"
		"DTSTART:20261207T090000Z\r\nDTEND:20261207T093000Z\r\n"
		"RDATE:20261207T110000Z\r\nEXDATE:20261201T090000Z\r\n"
		"RDATE:20261207T130000Z\r\nRDATE:20261207T150000Z\r\n"
		"RRULE:FREQ=DAILY;COUNT=1\r\nRRULE:FREQ=WEEKLY;COUNT=1\r\n"
		"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"
		"END:VCALENDAR\r\n";
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100};
	struct vp_sched_parse_stats st;
	char err[256];

	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"));
	o.to = o.from + 86400;
	VT_EQ(0, vp_sched_ics_parse(&l, ics, strlen(ics), &o, &st, err,
				    sizeof(err)));
	/* 09:00 (both RRULEs: one instance), 11:00, 13:00, 15:00 */
	VT_EQ((size_t)4, l.n);
	vp_sched_list_clear(&l);
}

#define RUNAWAY(uid)                                                           \
	"BEGIN:VEVENT\r\nUID:" uid "\r\nDTSTART:19700101T000000Z\r\n"          \
	"DTEND:19700101T000001Z\r\n"                                           \
	"RRULE:FREQ=SECONDLY;COUNT=100000000\r\nEND:VEVENT\r\n"
VTEST(sched_runaway_recurrence_is_bounded)
{
	static const char head[] =
		"BEGIN:VCALENDAR\r\n"
		"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTART:20261207T100000Z\r\n"
		"DTEND:20261207T103000Z\r\nRRULE:FREQ=WEEKLY\r\n"
		"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n" RUNAWAY(
			"r1");
	static const char tail[] = RUNAWAY("r2") "END:VCALENDAR\r\n";
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100,
				       .max_steps = 150000};
	struct vp_sched_parse_stats st;
	char ics[1024], err[256];

	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"));
	o.to = o.from + 86400;
	/* one runaway series: skipped, the weekly meeting kept */
	snprintf(ics, sizeof(ics), "%sEND:VCALENDAR\r\n", head);
	VT_EQ(0, vp_sched_ics_parse(&l, ics, strlen(ics), &o, &st, err,
				    sizeof(err)));
	VT_EQ((size_t)1, l.n);
	VT_TRUE(!strcmp(l.v[0]->uid, "weekly"));
	VT_TRUE(!strncmp(st.first_problem, "line 9: RRULE: more than 100000",
			 31));
	vp_sched_list_clear(&l);
	/* two: the budget is spent in the second, line 15 */
	snprintf(ics, sizeof(ics), "%s%s", head, tail);
	VT_EQ(E2BIG, vp_sched_ics_parse(&l, ics, strlen(ics), &o, &st, err,
					sizeof(err)));
	VT_TRUE(!strcmp(err, "line 15: RRULE: more than 150000 recurrence "
			     "steps in all; the calendar is refused"));
	VT_EQ((size_t)0, l.n); /* refused whole: not even the weekly one */
	vp_sched_list_clear(&l);
}

/* A calendar's own time zone: exact in the years meetings happen. libical
 * builds a zone's offset changes up to the year converted, so a zone whose
 * rule repeats every minute (found by fuzz_ics: over 100 s and 2 GB), or
 * one with 1,000 observances, is refused before any time is converted;
 * a DTSTART in 9999 converts without building 8,000 years of them. */
#define ZONE(rule)                                                             \
	"BEGIN:VTIMEZONE\r\nTZID:Office\r\n"                                   \
	"BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nTZOFFSETFROM:+0200\r\n"  \
	"TZOFFSETTO:+0100\r\n" rule "END:STANDARD\r\n"                         \
	"BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nTZOFFSETFROM:+0100\r\n"  \
	"TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"       \
	"END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
#define ZONED_EVENT(uid, day)                                                  \
	"BEGIN:VEVENT\r\nUID:" uid "\r\nDTSTART;TZID=Office:" day              \
	"T100000\r\n"                                                          \
	"DTEND;TZID=Office:" day "T103000\r\n"                                 \
	"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"

static int many_observances(struct vp_sched_list *l,
			    const struct vp_sched_parse_opt *o,
			    struct vp_sched_parse_stats *st, char *err,
			    size_t errsz)
{
	static char ics[160 * 1024];
	size_t n = 0;
	int e;

	n += (size_t)snprintf(ics + n, sizeof(ics) - n,
			      "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\n"
			      "TZID:Office\r\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(
			ics + n, sizeof(ics) - n,
			"BEGIN:DAYLIGHT\r\nDTSTART:1601%02d%02dT020000\r\n"
			"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
			"RRULE:FREQ=YEARLY\r\nEND:DAYLIGHT\r\n",
			1 + i % 12, 1 + i % 28);
	n += (size_t)snprintf(ics + n, sizeof(ics) - n,
			      "END:VTIMEZONE\r\n" ZONED_EVENT(
				      "t", "20261207") "END:VCALENDAR\r\n");
	VT_TRUE(n < sizeof(ics));
	e = vp_sched_ics_parse(l, ics, n, o, st, err, errsz);
	return e == E2BIG ? 0 : e ? e : -1;
}

VTEST(sched_own_time_zone_bounded)
{
	static const char ok[] = "BEGIN:VCALENDAR\r\n" ZONE(
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n")
		ZONED_EVENT("today", "20261207")
			ZONED_EVENT("far", "99991207") "END:VCALENDAR\r\n";
	static const char dense[] =
		"BEGIN:VCALENDAR\r\n" ZONE("RRULE:FREQ=MINUTELY\r\n")
			ZONED_EVENT("today", "20261207") "END:VCALENDAR\r\n";
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100};
	struct vp_sched_parse_stats st;
	char err[256];
	int64_t want;

	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"));
	VT_EQ(0, vp_sched_parse_time(&want, "2026-12-07T09:00:00Z"));
	o.to = o.from + 86400;
	/* 10:00 in December at +01:00; the far one is simply not in the
	 * window */
	VT_EQ(0, vp_sched_ics_parse(&l, ok, strlen(ok), &o, &st, err,
				    sizeof(err)));
	VT_EQ((size_t)1, l.n);
	VT_TRUE(!strcmp(l.v[0]->uid, "today"));
	VT_EQ(want, l.v[0]->start);
	VT_EQ(want + 1800, l.v[0]->end);
	vp_sched_list_clear(&l);
	VT_EQ(E2BIG, vp_sched_ics_parse(&l, dense, strlen(dense), &o, &st, err,
					sizeof(err)));
	VT_TRUE(!strcmp(err, "VTIMEZONE Office: a rule that changes the "
			     "offset more than 4 times a year; the calendar "
			     "is refused"));
	VT_EQ((size_t)0, l.n);
	vp_sched_list_clear(&l);
	/* 1,000 yearly observances from 1601: 600,000 changes to build */
	VT_EQ(0, many_observances(&l, &o, &st, err, sizeof(err)));
	VT_TRUE(!strcmp(err, "VTIMEZONE Office: its rules would make more than "
			     "50000 offset changes in the calendar's zones; "
			     "the calendar is refused"));
	vp_sched_list_clear(&l);
	/* a smaller bound, as fuzz_ics sets one: an Outlook zone from 1601
	 * makes about 1,330 changes up to 2200 */
	o.max_zone_changes = 2000;
	VT_EQ(0, vp_sched_ics_parse(&l, ok, strlen(ok), &o, &st, err,
				    sizeof(err)));
	VT_EQ((size_t)1, l.n);
	vp_sched_list_clear(&l);
	o.max_zone_changes = 1000;
	VT_EQ(E2BIG, vp_sched_ics_parse(&l, ok, strlen(ok), &o, &st, err,
					sizeof(err)));
	VT_TRUE(!strcmp(err, "VTIMEZONE Office: its rules would make more than "
			     "1000 offset changes in the calendar's zones; "
			     "the calendar is refused"));
	VT_EQ((size_t)0, l.n);
	vp_sched_list_clear(&l);
}

/* The config's settings_url is a URL: any other value is refused before
 * anything reads it as a file, and the error does not echo it. */
static int cfg_with_url(const char *url, char *err, size_t errsz)
{
	char path[512];
	struct vp_sched_cfg c;
	FILE *f;
	int e;

	snprintf(path, sizeof(path), "%s/sched_url.json", vtest_tmpdir());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"{\"calendars\": [{\"owner\": \"a@example.com\", "
		"\"file\": \"a.ics\"}], \"settings_url\": \"%s\"}",
		url);
	fclose(f);
	memset(&c, 0, sizeof(c));
	e = vp_sched_cfg_load(&c, path, err, errsz);
	vp_sched_cfg_free(&c);
	return e;
}

VTEST(sched_cfg_settings_url_must_be_https)
{
	char err[256];

	VT_EQ(EBADMSG,
	      cfg_with_url(" https://h/s?token=SECRET", err, sizeof(err)));
	VT_TRUE(strstr(err, "settings_url") != NULL);
	VT_TRUE(strstr(err, "SECRET") == NULL);
	VT_EQ(EBADMSG, cfg_with_url("h/s?token=SECRET", err, sizeof(err)));
	VT_TRUE(strstr(err, "SECRET") == NULL);
	VT_EQ(0, cfg_with_url("HTTPS://h/s?token=SECRET", err, sizeof(err)));
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	VT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* A calendar that comes back as something else (a login or error page)
 * is an error, and the last good copy stays what a scan falls back on. */
VTEST(sched_feed_keeps_last_good_copy_over_a_page)
{
	static const char cal[] = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	struct vp_sched_feed f = {0};
	struct vp_sched_fetch_opt o = {.max_bytes = 4096};
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/cal.ics", vtest_tmpdir());
	o.file = path;
	write_text(path, cal);
	VT_EQ(0, vp_sched_feed_read(&f, &o, err, sizeof(err)));
	VT_EQ(strlen(cal), f.len);
	write_text(path, "<html><body>Sign in</body></html>\n");
	VT_EQ(EBADMSG, vp_sched_feed_read(&f, &o, err, sizeof(err)));
	VT_STR_EQ("not an iCalendar (BEGIN:VCALENDAR expected)", err);
	VT_EQ(strlen(cal), f.len);
	VT_TRUE(!memcmp(f.body, cal, f.len));
	write_text(path, "");
	VT_EQ(EBADMSG, vp_sched_feed_read(&f, &o, err, sizeof(err)));
	VT_EQ(strlen(cal), f.len);
	vp_sched_feed_clear(&f);
}
