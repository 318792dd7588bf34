/* SPDX-License-Identifier: MIT */
/** @file test_sched_rule.c  RRULEs libical would search without end
 * (src/sched/ics_rule.c). libical 3.0 steps one FREQ period at a time
 * until a date matches, up to the year 2582, in one call: fuzz_ics found
 * a 1 KB calendar whose VTIMEZONE rule FREQ=HOURLY;BYMONTH=3;BYDAY=2SU
 * took 27 s to parse. Each case here would take from 0.1 s to hours if
 * libical were asked to walk it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "src/sched/sched.h"
#include "tests/harness/vtest.h"

#define EVENT(uid, rule)                                                       \
	"BEGIN:VEVENT\r\nUID:" uid "\r\nDTSTART:20261207T100000Z\r\n"          \
	"DTEND:20261207T103000Z\r\n" rule                                      \
	"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"

static int parse(struct vp_sched_list *l, const char *ics, unsigned long steps,
		 struct vp_sched_parse_stats *st, char *err, size_t errsz)
{
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100,
				       .max_steps = steps};

	if (vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"))
		return -1;
	o.to = o.from + 14 * 86400;
	return vp_sched_ics_parse(l, ics, strlen(ics), &o, st, err, errsz);
}

/* Each rule is skipped with its reason, on the event's line; the weekly
 * meeting beside it keeps its two instances. */
VTEST(sched_rule_unbounded_search_is_skipped)
{
	static const struct {
		const char *rule, *why;
	} c[] = {
		{"FREQ=HOURLY;BYMONTH=3;BYDAY=2SU",
		 "FREQ=HOURLY may narrow only the time of day"},
		{"FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30",
		 "FREQ=MINUTELY may narrow only the time of day"},
		{"FREQ=SECONDLY;BYSECOND=60", "BYSECOND=60 never comes"},
		{"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
		 "BYMONTHDAY=30: no such day in its months"},
		{"FREQ=DAILY;BYDAY=2SU",
		 "BYDAY=2SU: an ordinal with FREQ=DAILY"},
		{"FREQ=MONTHLY;BYDAY=6SU",
		 "BYDAY=6SU: no period has that many of a weekday"},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-6MO",
		 "BYDAY=-6MO: no period has that many of a weekday"},
		{"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
		 "BYDAY=1MO: it never falls on a BYMONTHDAY"},
		{"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
		 "BYSETPOS=6: past the most occurrences a period can hold"},
		{"FREQ=MONTHLY;BYYEARDAY=100",
		 "BYYEARDAY with FREQ=MONTHLY (RFC 5545"},
		{"FREQ=YEARLY;RSCALE=CHINESE;BYMONTH=3",
		 "RSCALE=CHINESE: only GREGORIAN is expanded"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vp_sched_list l = {0};
		struct vp_sched_parse_stats st;
		char ics[1024], err[256], want[256];

		snprintf(ics, sizeof(ics),
			 "BEGIN:VCALENDAR\r\n" EVENT("weekly",
						     "RRULE:FREQ=WEEKLY\r\n")
				 EVENT("odd",
				       "RRULE:%s\r\n") "END:VCALENDAR\r\n",
			 c[i].rule);
		snprintf(want, sizeof(want), "line 9: RRULE: %s", c[i].why);
		VT_EQ(0, parse(&l, ics, 0, &st, err, sizeof(err)));
		VT_EQ((size_t)2, l.n);
		VT_TRUE(!strcmp(l.v[0]->uid, "weekly"));
		VT_TRUE(!strcmp(l.v[1]->uid, "weekly"));
		if (strncmp(st.first_problem, want, strlen(want)))
			fprintf(stderr, "%s: %s\n", c[i].rule,
				st.first_problem);
		VT_TRUE(!strncmp(st.first_problem, want, strlen(want)));
		VT_TRUE(strstr(st.first_problem, "; the rule is skipped") !=
			NULL);
		vp_sched_list_clear(&l);
	}
}

/* Rules an ordinary calendar holds still expand, over nine months: the
 * last Monday, the 5th Friday, Friday the 13th, a month's last workday,
 * the second Sunday of December. */
VTEST(sched_rule_ordinary_rules_expand)
{
	static const char ics[] = "BEGIN:VCALENDAR\r\n" EVENT(
		"last-mo", "RRULE:FREQ=MONTHLY;BYDAY=-1MO\r\n")
		EVENT("fifth", "RRULE:FREQ=MONTHLY;BYDAY=5FR\r\n") EVENT(
			"fri13", "RRULE:FREQ=MONTHLY;BYDAY=FR;"
				 "BYMONTHDAY=13\r\n")
			EVENT("workday",
			      "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;"
			      "BYSETPOS=-1\r\n")
				EVENT("second-su",
				      "RRULE:FREQ=YEARLY;BYMONTH=12;"
				      "BYDAY=2SU\r\n") "END:VCALENDAR\r\n";
	/* 2026-12-07 (a Monday, the DTSTART) to 2027-09-01 */
	static const struct {
		const char *uid;
		size_t n;
		const char *first;
	} want[] = {
		{"last-mo", 9, "2026-12-28T10:00:00Z"},
		{"fifth", 3, "2027-01-29T10:00:00Z"},
		{"fri13", 1, "2027-08-13T10:00:00Z"},
		{"workday", 9, "2026-12-31T10:00:00Z"},
		{"second-su", 1, "2026-12-13T10:00:00Z"},
	};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 100};
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	char err[256];

	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"));
	VT_EQ(0, vp_sched_parse_time(&o.to, "2027-09-01T00:00:00Z"));
	VT_EQ(0, vp_sched_ics_parse(&l, ics, strlen(ics), &o, &st, err,
				    sizeof(err)));
	VT_TRUE(!st.first_problem[0]);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		size_t n = 0;
		int64_t first = 0, t;

		for (size_t i = 0; i < l.n; i++)
			if (!strcmp(l.v[i]->uid, want[k].uid) && !n++)
				first = l.v[i]->start; /* sorted by start */
		if (n != want[k].n)
			fprintf(stderr, "%s: %zu\n", want[k].uid, n);
		VT_EQ(want[k].n, n);
		VT_EQ(0, vp_sched_parse_time(&t, want[k].first));
		VT_EQ(t, first);
	}
	vp_sched_list_clear(&l);
}

/* A rule no date matches that the checks above do not catch: libical's
 * search for its first occurrence runs to the year 20000, and the
 * calendar is charged those 17,974 years. Two of them overrun a budget
 * of 30,000 steps, and the calendar is refused, naming the second. */
VTEST(sched_rule_search_is_charged)
{
#define NOWEEK "RRULE:FREQ=YEARLY;BYWEEKNO=20;BYMONTH=1;BYDAY=MO\r\n"
	static const char one[] =
		"BEGIN:VCALENDAR\r\n" EVENT("weekly", "RRULE:FREQ=WEEKLY\r\n")
			EVENT("a", NOWEEK) "END:VCALENDAR\r\n";
	static const char two[] =
		"BEGIN:VCALENDAR\r\n" EVENT("weekly", "RRULE:FREQ=WEEKLY\r\n")
			EVENT("a", NOWEEK)
				EVENT("b", NOWEEK) "END:VCALENDAR\r\n";
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	char err[256];

	VT_EQ(0, parse(&l, one, 30000, &st, err, sizeof(err)));
	VT_EQ((size_t)2, l.n);
	vp_sched_list_clear(&l);
	VT_EQ(E2BIG, parse(&l, two, 30000, &st, err, sizeof(err)));
	VT_TRUE(!strcmp(err, "line 16: RRULE: more than 30000 recurrence "
			     "steps in all; the calendar is refused"));
	VT_EQ((size_t)0, l.n);
	vp_sched_list_clear(&l);
#undef NOWEEK
}

#define ZONE(rule)                                                             \
	"BEGIN:VTIMEZONE\r\nTZID:Office\r\n"                                   \
	"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"  \
	"TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"      \
	"END:STANDARD\r\n"                                                     \
	"BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:+0100\r\n"  \
	"TZOFFSETTO:+0200\r\n" rule "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"        \
	"BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Office:20261207T100000\r\n"     \
	"DTEND;TZID=Office:20261207T103000\r\nEND:VEVENT\r\n"

/* The rule fuzz_ics found, in a VTIMEZONE (libical would walk it at
 * every conversion): the calendar is refused at once, with the reason;
 * so is a zone rule that stops matching, after one charged search. */
VTEST(sched_rule_zone_unbounded_refused)
{
	static const char hourly[] =
		"BEGIN:VCALENDAR\r\n" ZONE("RRULE:FREQ=HOURLY;BYMONTH=3;BYDAY="
					   "2SU\r\n") "END:VCALENDAR\r\n";
	static const char none[] = "BEGIN:VCALENDAR\r\n" ZONE(
		"RRULE:FREQ=YEARLY;BYWEEKNO=20;BYMONTH=1;BYDAY="
		"MO\r\n") "END:VCALENDAR\r\n";
	static const char ok[] =
		"BEGIN:VCALENDAR\r\n" ZONE("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY="
					   "2SU\r\n") "END:VCALENDAR\r\n";
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	char err[256];
	int64_t want;

	VT_EQ(E2BIG, parse(&l, hourly, 0, &st, err, sizeof(err)));
	VT_TRUE(!strcmp(err, "VTIMEZONE Office: FREQ=HOURLY may narrow only "
			     "the time of day (BYHOUR, BYMINUTE, BYSECOND); "
			     "the calendar is refused"));
	VT_EQ((size_t)0, l.n);
	VT_EQ(E2BIG, parse(&l, none, 0, &st, err, sizeof(err)));
	VT_TRUE(!strncmp(err, "VTIMEZONE Office: a rule that stops matching",
			 44));
	VT_EQ((size_t)0, l.n);
	/* the same zone with a real rule: 10:00 at +01:00 in December */
	VT_EQ(0, parse(&l, ok, 0, &st, err, sizeof(err)));
	VT_EQ((size_t)1, l.n);
	VT_EQ(0, vp_sched_parse_time(&want, "2026-12-07T09:00:00Z"));
	VT_EQ(want, l.v[0]->start);
	vp_sched_list_clear(&l);
}
