/* SPDX-License-Identifier: MIT */
/** @file sched_priv.h  Shared between src/sched's own files (libical). */
#ifndef VP_SCHED_PRIV_H
#define VP_SCHED_PRIV_H

#include <libical/ical.h>

#include "src/sched/sched.h"

/** Fill m's facts (not times, not id) from one VEVENT. @return 0/ENOMEM */
int vp_sched__event_fill(struct vp_sched_meeting *m, icalcomponent *ev,
			 const struct vp_sched_parse_opt *opt);
/** Copy the facts event_fill found (not times, not id) from S into D.
 * @return 0/ENOMEM */
int vp_sched__facts_copy(struct vp_sched_meeting *d,
			 const struct vp_sched_meeting *s);

/** Does the text start like an iCalendar (BEGIN:VCALENDAR)? */
bool vp_sched__starts_like_ics(const char *t, size_t len);
/** Physical line numbers of each BEGIN:VEVENT, in document order (free()
 * it; NULL when there is none or memory ran out). */
unsigned *vp_sched__vevent_lines(const char *t, size_t len, size_t *n);
/** The first line at or after FROM of TEXT that holds what libical's
 * message MSG ends with, else FROM. */
unsigned vp_sched__line_of(const char *text, size_t len, const char *msg,
			   unsigned from);

/**
 * Is R one libical can walk in bounded time? If not, false and WHY says
 * why (RFC 5545 §3.3.10 forbids it, or no date can match it).
 */
bool vp_sched__rule_why(const struct icalrecurrencetype *r, char *why,
			size_t n);

/** One RRULE walked from its DTSTART, each search's cost counted. */
struct vp_sched_walk {
	icalrecur_iterator *it; /**< NULL: libical refused the rule */
	icalrecurrencetype_frequency freq;
	int interval;
	int count;		   /**< the rule's COUNT, counted here */
	int n;			   /**< occurrences returned */
	struct icaltimetype until; /**< the rule's UNTIL, checked here */
	struct icaltimetype at;	   /**< where libical's search stands */
	bool capped;		   /**< it searched to libical's last year */
	bool ended;		   /**< past UNTIL */
};

/**
 * Open W on R from DS. Each call returns the FREQ periods libical
 * searched (at least 1), to be charged to the calendar's step budget.
 */
unsigned long vp_sched__walk_open(struct vp_sched_walk *w,
				  struct icalrecurrencetype r,
				  struct icaltimetype ds);
/** Start the search at T instead (a rule without COUNT). */
unsigned long vp_sched__walk_from(struct vp_sched_walk *w,
				  struct icaltimetype t);
/** The next occurrence, or a null time at the end; *cost its search. */
struct icaltimetype vp_sched__walk_next(struct vp_sched_walk *w,
					unsigned long *cost);
void vp_sched__walk_close(struct vp_sched_walk *w);

#endif
