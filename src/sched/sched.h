/* SPDX-License-Identifier: MIT */
/**
 * @file sched.h  vpbot-sched (docs/design.md §8): calendars in (libical), one
 * meeting per event instance, policy (src/gate), state (SQLite), dispatch.
 *
 * Files, one job each:
 *   ics.c       ICS text -> VEVENTs grouped by UID, parse errors by line
 *   expand.c    recurrences over a window -> meeting instances
 *   facts.c     one VEVENT -> meeting facts (src/gate/README.md)
 *   source.c    read a calendar: file, or https feed (libcurl, ETag, cap)
 *   decide.c    facts + settings -> verdict (src/gate policy) + our codes
 *   config.c    the JSON config
 *   state.c     SQLite (WAL): meetings, attempts, exit codes, owners
 *   dispatch.h  how a job reaches a bot; dispatch_local.c: posix_spawn
 *   loop.c      the lifecycle: scan, decide, dispatch, reap, retry
 *   cli.c       `vpbot-sched run|once|status`
 * Times are UTC seconds since the epoch (int64_t) throughout.
 */
#ifndef VP_SCHED_H
#define VP_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "src/gate/policy.h"

/** A growable list of malloc'd strings. */
struct vp_sched_strv {
	char **v;
	size_t n;
};

/** One meeting: a calendar event instance (UID + original start). */
struct vp_sched_meeting {
	char id[112]; /**< stable, safe as a folder name */
	char *uid;
	int64_t start, end; /**< this instance, UTC */
	int64_t orig_start; /**< RECURRENCE-ID / occurrence start, UTC; 0
			     *   for a single (non-recurring) event */
	char *title;	    /**< never NULL */
	char *organizer;    /**< lower-cased, NULL if unknown */
	struct vp_sched_strv invitees;	/**< lower-cased, no rooms, no bot */
	struct vp_sched_strv calendars; /**< owners it was found in */
	bool private_;
	bool all_day;
	bool transparent;
	bool cancelled;	      /**< STATUS:CANCELLED */
	unsigned declined;    /**< calendars whose owner declined it */
	bool manual_invite;   /**< the assistant's address is invited */
	char *conference_url; /**< first supported invite, or NULL */
	char *unsupported;    /**< platform of a link we do not speak */
	unsigned line;	      /**< line of its BEGIN:VEVENT */
};

/** Meetings of one scan, merged across calendars by id. */
struct vp_sched_list {
	struct vp_sched_meeting **v;
	size_t n, cap;
	struct vp_sched_meeting **ix; /* by id: open addressing, ixcap slots */
	size_t ixcap;
};

/* --- strv / list helpers (facts.c) --- */
int vp_sched_strv_add(struct vp_sched_strv *sv, const char *s);
bool vp_sched_strv_has(const struct vp_sched_strv *sv, const char *s);
void vp_sched_strv_clear(struct vp_sched_strv *sv);
void vp_sched_meeting_free(struct vp_sched_meeting *m);
void vp_sched_list_clear(struct vp_sched_list *l);
/** Add m (ownership moves) or merge it into the meeting with its id
 * (found by hash: a feed of 100,000 events must not cost n² compares). */
int vp_sched_list_merge(struct vp_sched_list *l, struct vp_sched_meeting *m);
/** Sort by start, then id. */
void vp_sched_list_sort(struct vp_sched_list *l);
/** The meeting with ID, or NULL. */
struct vp_sched_meeting *vp_sched_list_find(const struct vp_sched_list *l,
					    const char *id);
/** Free the list's arrays, not its meetings (they moved elsewhere). */
void vp_sched_list_release(struct vp_sched_list *l);

/** Parse options for one calendar's text. */
struct vp_sched_parse_opt {
	const char *owner; /**< the member whose calendar it is */
	const char
		*assistant; /**< assistant address (manual invite), or NULL */
	int64_t from, to;   /**< instances that overlap [from, to) */
	unsigned max_instances;	 /**< per series (bounds a runaway RRULE) */
	unsigned long max_steps; /**< per calendar; 0: VP_SCHED_MAX_STEPS */
	unsigned long max_zone_changes; /**< per calendar; 0:
					 *   VP_SCHED_MAX_ZONE_CHANGES */
};

/**
 * Recurrence steps one calendar may take in all before it is refused with
 * E2BIG: the FREQ periods libical searches for every occurrence an RRULE
 * walks, before the window or in it (src/sched/ics_rule.c). A step costs
 * 1 to 8 µs here (a second of a SECONDLY rule least, a year of a YEARLY
 * one most), so a hostile calendar costs at most a few seconds of CPU a
 * scan; an ordinary one spends a few thousand.
 */
#define VP_SCHED_MAX_STEPS 1000000UL

/**
 * Offset changes a calendar's own VTIMEZONEs may make up to the year 2200
 * before it is refused with E2BIG: libical builds them on the first
 * conversion in a zone, one recurrence step each (src/sched/ics.c). A
 * real zone makes two a year: one from 1601, as Outlook writes them,
 * about 1,330 up to 2200.
 */
#define VP_SCHED_MAX_ZONE_CHANGES 50000UL

/** What one calendar's parse found. */
struct vp_sched_parse_stats {
	unsigned events;	 /**< VEVENTs read */
	unsigned instances;	 /**< meetings added */
	unsigned dropped;	 /**< VEVENTs unusable (no UID/DTSTART) */
	unsigned warnings;	 /**< lines libical could not read */
	char first_problem[256]; /**< "line N: …", "" if none */
};

/**
 * Parse one calendar (libical) and add its instances in the window to
 * *out, merged by meeting id.
 * @return 0, EBADMSG (not an iCalendar at all; err names the line) or
 *         ENOMEM. Bad events are counted in *st and dropped.
 */
int vp_sched_ics_parse(struct vp_sched_list *out, const char *text, size_t len,
		       const struct vp_sched_parse_opt *opt,
		       struct vp_sched_parse_stats *st, char *err,
		       size_t errsz);

/**
 * The meeting id: up to 40 safe characters of the UID, a 48-bit hash of
 * the whole UID and, for an occurrence of a series, its original start
 * in UTC (RECURRENCE-ID), e.g.
 * "abc123_google.com-5f0c2a9e3b71-20261207T100000Z"; a single event's id
 * has no time, so moving it keeps its id (it is rescheduled).
 */
void vp_sched_meeting_id(char *buf, size_t sz, const char *uid,
			 int64_t orig_start);

/**
 * The meeting facts JSON of src/gate/README.md for m.
 * @return a new reference, or NULL (ENOMEM)
 */
json_t *vp_sched_facts_json(const struct vp_sched_meeting *m);

/**
 * Find the conference address in a property value: the first supported
 * invite URL (sim+ws…, janus+ws…) into *url (malloc'd); otherwise the
 * name of a recognised platform vpbot does not speak into *platform.
 * @return true if either was found
 */
bool vp_sched_find_invite(const char *text, char **url, char **platform);

/** RFC 3339 UTC ("2026-12-07T10:00:00Z") */
void vp_sched_utc(char *buf, size_t sz, int64_t t);
/** Parse RFC 3339 (Z or ±hh:mm offset). @return 0 or EINVAL */
int vp_sched_parse_time(int64_t *t, const char *s);

#endif
