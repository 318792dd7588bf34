/* SPDX-License-Identifier: MIT */
/** @file test_sched_zone.c  What a calendar's TZIDs may make the
 * scheduler read: libical resolves a TZID that no VTIMEZONE defines as a
 * file below the system's zoneinfo folder. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/sched/sched.h"
#include "tests/harness/vtest.h"

struct watch {
	const char *fifo;
	atomic_bool stop, opened;
};

/* A reader blocked opening the FIFO lets a non-blocking writer open it:
 * note that, and let the reader go (it reads end of file). */
static void *watch(void *arg)
{
	struct watch *w = arg;

	while (!atomic_load(&w->stop)) {
		int fd = open(w->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			atomic_store(&w->opened, true);
			close(fd);
		}
		usleep(1000);
	}
	return NULL;
}

/* A TZID that climbs out of the zone folder to a FIFO (a terminal would
 * do the same) never reaches the file system: the FIFO is never opened,
 * the meeting is kept with its time read as UTC, and the warning names
 * the line. An Olson name in the same calendar still converts. */
VTEST(sched_tzid_path_never_opened)
{
	char dir[] = "/tmp/vpt-tzid-XXXXXX", fifo[64], ics[1024];
	struct watch w = {.fifo = fifo};
	struct vp_sched_list l = {0};
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .max_instances = 10};
	struct vp_sched_parse_stats st;
	char err[256];
	pthread_t th;
	int64_t want;
	int n;

	VT_TRUE(mkdtemp(dir) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	VT_EQ(0, mkfifo(fifo, 0600));
	n = snprintf(
		ics, sizeof(ics),
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n"
		"BEGIN:VEVENT\r\nUID:climb\r\n"
		"DTSTART;TZID=../../../../../../../..%s:20261207T100000\r\n"
		"DTEND;TZID=/freeassociation.sourceforge.net/../../../../"
		"../../../..%s:20261207T103000\r\n"
		"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:berlin\r\n"
		"DTSTART;TZID=Europe/Berlin:20261207T120000\r\n"
		"DTEND;TZID=Europe/Berlin:20261207T123000\r\n"
		"ORGANIZER:mailto:alice@example.com\r\nEND:VEVENT\r\n"
		"END:VCALENDAR\r\n",
		fifo, fifo);
	VT_TRUE(n > 0 && (size_t)n < sizeof(ics));
	VT_EQ(0, vp_sched_parse_time(&o.from, "2026-12-07T00:00:00Z"));
	o.to = o.from + 86400;
	VT_EQ(0, pthread_create(&th, NULL, watch, &w));
	VT_EQ(0, vp_sched_ics_parse(&l, ics, (size_t)n, &o, &st, err,
				    sizeof(err)));
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	VT_TRUE(!atomic_load(&w.opened));
	VT_EQ((size_t)2, l.n);
	VT_EQ(2u, st.warnings);
	VT_TRUE(!strncmp(st.first_problem, "line 6: TZID \"../../", 20));
	VT_TRUE(strstr(st.first_problem, "out of the zone folder; read as "
					 "UTC") != NULL);
	for (size_t i = 0; i < l.n; i++) {
		bool climb = !strcmp(l.v[i]->uid, "climb");

		/* 10:00 read as UTC; 12:00 in Berlin in winter is 11:00Z */
		VT_EQ(0, vp_sched_parse_time(&want,
					     climb ? "2026-12-07T10:00:00Z"
						   : "2026-12-07T11:00:00Z"));
		VT_EQ(want, l.v[i]->start);
		VT_EQ(want + 1800, l.v[i]->end);
	}
	vp_sched_list_clear(&l);
	unlink(fifo);
	rmdir(dir);
}
