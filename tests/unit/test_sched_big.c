/* SPDX-License-Identifier: MIT */
/** @file test_sched_big.c  Large feeds: the series' EXDATEs, the
 * overrides (RECURRENCE-ID) and the merge by meeting id are looked up,
 * not scanned (each was quadratic: 10,000 occurrences against 40,000
 * EXDATEs took 92 s, 20,000 single events 3 s; tools/perf/sched_bench.sh
 * measures the cost). These check that the lookups find exactly what the
 * scans found, in any document order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/sched/sched.h"
#include "tests/harness/vtest.h"

#define BIG (1 << 20)

static int parse(struct vp_sched_list *l, const char *ics, size_t n)
{
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 10000};
	struct vp_sched_parse_stats st;
	char err[256];

	if (vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"))
		return -1;
	o.to = o.from + 86400;
	return vp_sched_ics_parse(l, ics, n, &o, &st, err, sizeof(err));
}

/* HHMMSS of second S of the day (two at a time in one call) */
static const char *hms(unsigned s)
{
	static char b[2][8];
	static unsigned k;

	k ^= 1;
	snprintf(b[k], sizeof(b[k]), "%02u%02u%02u", s / 3600, s / 60 % 60,
		 s % 60);
	return b[k];
}

/* A meeting every second from midnight, its even seconds excluded (in
 * descending order, each twice): 10,000 occurrences, the 5,000 odd ones
 * kept. */
VTEST(sched_big_exdates_exact)
{
	char *ics = malloc(BIG);
	struct vp_sched_list l = {0};
	size_t n = 0;
	int64_t t0;

	VT_TRUE(ics != NULL);
	n += (size_t)snprintf(
		ics + n, BIG - n,
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\n"
		"DTSTART:20261207T000000Z\r\n"
		"DTEND:20261207T000001Z\r\nRRULE:FREQ=SECONDLY\r\n");
	for (int s = 9998; s >= 0; s -= 2)
		for (int k = 0; k < 2; k++)
			n += (size_t)snprintf(ics + n, BIG - n,
					      "EXDATE:20261207T%sZ\r\n",
					      hms((unsigned)s));
	n += (size_t)snprintf(ics + n, BIG - n,
			      "END:VEVENT\r\nEND:VCALENDAR\r\n");
	VT_TRUE(n < BIG);
	VT_EQ(0, parse(&l, ics, n));
	VT_EQ((size_t)5000, l.n);
	VT_EQ(0, vp_sched_parse_time(&t0, "2026-12-07T00:00:00Z"));
	for (size_t i = 0; i < l.n; i++)
		VT_EQ(1, (int)((l.v[i]->start - t0) % 2));
	vp_sched_list_clear(&l);
	free(ics);
}

/* 3,000 single meetings and, after their series in the document and
 * latest first, 500 overrides that move every 6th occurrence of a
 * per-second series by an hour: every override replaces its occurrence
 * (had it not been found, the occurrence would have taken the id first),
 * the others stay; each id is found in the list. */
VTEST(sched_big_overrides_and_ids)
{
	char *ics = malloc(BIG);
	struct vp_sched_list l = {0};
	size_t n = 0, moved = 0;
	int64_t t0;

	VT_TRUE(ics != NULL);
	n += (size_t)snprintf(ics + n, BIG - n, "BEGIN:VCALENDAR\r\n");
	n += (size_t)snprintf(
		ics + n, BIG - n,
		"BEGIN:VEVENT\r\nUID:s\r\n"
		"DTSTART:20261207T000000Z\r\n"
		"RRULE:FREQ=SECONDLY;COUNT=3000\r\nEND:VEVENT\r\n");
	for (int s = 2994; s >= 0; s -= 6) /* latest first */
		n += (size_t)snprintf(ics + n, BIG - n,
				      "BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:"
				      "20261207T%sZ\r\n"
				      "DTSTART:20261207T%sZ\r\nEND:VEVENT\r\n",
				      hms((unsigned)s),
				      hms((unsigned)s + 3600));
	for (unsigned i = 0; i < 3000; i++)
		n += (size_t)snprintf(ics + n, BIG - n,
				      "BEGIN:VEVENT\r\nUID:one-%u\r\n"
				      "DTSTART:20261207T%sZ\r\nEND:VEVENT\r\n",
				      i, hms(7200 + i));
	n += (size_t)snprintf(ics + n, BIG - n, "END:VCALENDAR\r\n");
	VT_TRUE(n < BIG);
	VT_EQ(0, parse(&l, ics, n));
	VT_EQ((size_t)6000, l.n);
	VT_EQ(0, vp_sched_parse_time(&t0, "2026-12-07T00:00:00Z"));
	for (size_t i = 0; i < l.n; i++) {
		const struct vp_sched_meeting *m = l.v[i];

		VT_TRUE(vp_sched_list_find(&l, m->id) == m);
		if (strcmp(m->uid, "s"))
			continue;
		if (m->start != m->orig_start) { /* moved */
			VT_EQ(m->orig_start + 3600, m->start);
			VT_EQ(0, (int)((m->orig_start - t0) % 6));
			moved++;
		} else {
			VT_TRUE((m->start - t0) % 6 != 0);
		}
	}
	VT_EQ((size_t)500, moved);
	VT_TRUE(vp_sched_list_find(&l, "no such id") == NULL);
	vp_sched_list_clear(&l);
	free(ics);
}
