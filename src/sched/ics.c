/* SPDX-License-Identifier: MIT */
/**
 * @file ics.c  One calendar's text -> meeting instances in a window
 * (libical: RFC 5545 parsing, VTIMEZONE/TZID, RRULE/RDATE/EXDATE expansion
 * by icalcomponent_foreach_recurrence()).
 *
 * An instance is a master's occurrence, unless a VEVENT with the same UID
 * and a RECURRENCE-ID equal to that occurrence's start overrides it
 * (RFC 5545 §3.8.4.4): then the override is the instance, at its own
 * DTSTART (a moved occurrence keeps its id: the id is built from the
 * original start).
 */
#include "src/core/mem.h"
#include "src/sched/sched_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ev {
	icalcomponent *c;
	const char *uid;
	int64_t rid; /* RECURRENCE-ID in UTC; 0 for a master */
	unsigned line;
	bool all_day; /* DTSTART is a DATE */
};

struct parse {
	struct vp_sched_list *out;
	const struct vp_sched_parse_opt *opt;
	struct vp_sched_parse_stats *st;
	struct ev *evs;
	size_t nev;
	const char *text; /* the calendar, for naming problem lines */
	size_t len;
	unsigned count;	     /* occurrences of the series being expanded */
	unsigned long steps; /* recurrence steps of the whole calendar */
	char why[200];	     /* why the calendar is refused */
	const icaltimezone *zones[16]; /* zones zone_ok passed */
	unsigned nzones;
	unsigned long zone_changes; /* theirs, up to ZONE_YEAR_MAX */
	int64_t *ex; /* the UTC EXDATEs of the series expanded, sorted */
	size_t nex;
	const struct ev **ovr; /* the overrides (rid), by rid then uid */
	size_t novr;
	/* the facts of the event expanded, read once: each lookup walks all
	 * its properties, 40,000 EXDATEs among them, once an occurrence */
	struct vp_sched_meeting *facts;
	int err;
};

static void problem(struct vp_sched_parse_stats *st, unsigned line,
		    const char *fmt, const char *what)
{
	if (st->first_problem[0])
		return;
	snprintf(st->first_problem, sizeof(st->first_problem),
		 "line %u: ", line);
	snprintf(st->first_problem + strlen(st->first_problem),
		 sizeof(st->first_problem) - strlen(st->first_problem), fmt,
		 what);
}

/* Years a time is converted in its own zone. libical builds a zone's
 * changes from its first observance up to the year converted, so a DTSTART
 * in 9999 would cost 8,000 years of changes for each observance (zone_ok
 * bounds them up to ZONE_YEAR_MAX). No meeting is scheduled outside these
 * years: there a local time is read as UTC, at most a day off, far from
 * any window; so is a time in a refused zone. */
#define ZONE_YEAR_MIN 1800
#define ZONE_YEAR_MAX 2200

static unsigned long max_steps(const struct parse *p)
{
	return p->opt->max_steps ? p->opt->max_steps : VP_SCHED_MAX_STEPS;
}

static unsigned long max_zone_changes(const struct parse *p)
{
	return p->opt->max_zone_changes ? p->opt->max_zone_changes
					: VP_SCHED_MAX_ZONE_CHANGES;
}

/* Spends N recurrence steps of the calendar's budget. Past it the
 * calendar is refused, naming WHAT that spent the last (on LINE, if
 * known), and true is returned. */
static bool spend(struct parse *p, unsigned long n, unsigned line,
		  const char *what)
{
	char at[24] = "";

	p->steps += n;
	if (p->steps <= max_steps(p))
		return false;
	if (!p->err) {
		if (line)
			snprintf(at, sizeof(at), "line %u: ", line);
		snprintf(p->why, sizeof(p->why),
			 "%s%s: more than %lu recurrence steps in all; the "
			 "calendar is refused",
			 at, what, max_steps(p));
		p->err = E2BIG;
	}
	return true;
}

/* libical builds a zone's offset changes, from each observance's DTSTART
 * up to the year converted (at most ZONE_YEAR_MAX here), on the first
 * conversion: a zone whose rule repeats every minute from 1601, or 5,000
 * yearly observances (0.5 MB: 23 s of CPU), would cost minutes and
 * gigabytes. A real observance repeats once a year, and a zone has a few.
 * ZONE_PROBE steps of each rule tell its rate; refused are a rule that
 * repeats more than ZONE_PER_YEAR times a year and a calendar whose zones
 * would make more than max_zone_changes() changes. The probes count
 * against the calendar's step budget. Checked when a time is first
 * converted in a zone, wherever libical found its VTIMEZONE. */
#define ZONE_PER_YEAR 4
#define ZONE_PROBE    64

/* One RRULE of an observance from DS: its changes up to ZONE_YEAR_MAX.
 * BAD says why the zone is refused: a rule that repeats more than
 * ZONE_PER_YEAR times a year, one libical cannot walk in bounded time,
 * or one that stops matching (searched to libical's last year, as every
 * conversion would search it again). */
static unsigned long rule_changes(struct parse *p, icalproperty *rp,
				  struct icaltimetype ds, char *bad, size_t bn)
{
	struct icalrecurrencetype r = icalproperty_get_rrule(rp);
	struct icaltimetype t = ds;
	struct vp_sched_walk w;
	unsigned long n = 0, cost;
	long years;

	if (!vp_sched__rule_why(&r, bad, bn))
		return 0;
	spend(p, vp_sched__walk_open(&w, r, ds), 0, "VTIMEZONE");
	while (!p->err && n < ZONE_PROBE) {
		struct icaltimetype x = vp_sched__walk_next(&w, &cost);

		if (spend(p, cost, 0, "VTIMEZONE") || icaltime_is_null_time(x))
			break;
		t = x;
		n++;
	}
	vp_sched__walk_close(&w);
	if (w.capped)
		snprintf(bad, bn, "%s",
			 "a rule that stops matching (libical would search "
			 "it to the year 2582 at every conversion)");
	if (n < ZONE_PROBE)
		return n; /* the rule ended */
	years = t.year - ds.year + 1;
	if (years < 1 || ZONE_PROBE / years > ZONE_PER_YEAR) {
		snprintf(bad, bn, "%s",
			 "a rule that changes the offset more than 4 times "
			 "a year");
		return n;
	}
	/* ZONE_PROBE a `years` onwards */
	return n + (ds.year < ZONE_YEAR_MAX
			    ? (unsigned long)(ZONE_YEAR_MAX - ds.year) *
				      ZONE_PROBE / (unsigned long)years
			    : 0);
}

/* Up to MAX properties of KIND of C: libical walks a component's
 * properties with one cursor, so two kinds cannot be walked nested.
 * @return how many C holds (more than MAX: only MAX kept) */
static size_t props(icalcomponent *c, icalproperty_kind kind, icalproperty **v,
		    size_t max)
{
	size_t n = 0;

	for (icalproperty *x = icalcomponent_get_first_property(c, kind); x;
	     x = icalcomponent_get_next_property(c, kind))
		if (n++ < max)
			v[n - 1] = x;
	return n;
}

/* Every property of KIND of C, in an array of its own (free() it), so that
 * walking them survives lookups that move libical's cursor: an EXDATE
 * check, icalcomponent_get_dtstart(). NULL when there is none or memory
 * ran out (then p->err). */
static icalproperty **all_props(struct parse *p, icalcomponent *c,
				icalproperty_kind kind, size_t *n)
{
	size_t want = (size_t)icalcomponent_count_properties(c, kind);
	icalproperty **v = want ? vp_calloc(want, sizeof(*v)) : NULL;

	*n = 0;
	if (want && !v) {
		p->err = ENOMEM;
		return NULL;
	}
	if (v)
		*n = props(c, kind, v, want);
	return v;
}

#define OBS_PROPS 8 /* DTSTARTs or RRULEs an observance may have */

/* An observance's changes up to ZONE_YEAR_MAX; BAD says why it is
 * refused: a rule refused by rule_changes, or more than OBS_PROPS
 * DTSTARTs or RRULEs (a real one has one of each). Every RRULE is probed
 * from every DTSTART: libical takes the last one, and a malformed first
 * one must not hide a rule. */
static unsigned long zone_changes(struct parse *p, icalcomponent *obs,
				  char *bad, size_t bn)
{
	icalproperty *dts[OBS_PROPS], *rrs[OBS_PROPS];
	size_t nd = props(obs, ICAL_DTSTART_PROPERTY, dts, OBS_PROPS);
	size_t nr = props(obs, ICAL_RRULE_PROPERTY, rrs, OBS_PROPS);
	unsigned long sum = nd + (unsigned long)icalcomponent_count_properties(
					 obs, ICAL_RDATE_PROPERTY);

	bad[0] = '\0';
	if (nd > OBS_PROPS || nr > OBS_PROPS)
		snprintf(bad, bn,
			 "an observance with more than %d DTSTARTs "
			 "or RRULEs",
			 OBS_PROPS);
	for (size_t d = 0; d < nd && !bad[0]; d++) {
		struct icaltimetype ds = icalproperty_get_dtstart(dts[d]);

		for (size_t r = 0; r < nr && !bad[0] && !p->err; r++)
			if (!icaltime_is_null_time(ds))
				sum += rule_changes(p, rrs[r], ds, bad, bn);
	}
	return sum;
}

static void zone_refuse(struct parse *p, icalcomponent *z, const char *what)
{
	icalproperty *tp =
		icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
	const char *id = tp ? icalproperty_get_tzid(tp) : NULL;

	snprintf(p->why, sizeof(p->why),
		 "VTIMEZONE %.64s: %s; the calendar is refused",
		 id ? id : "(no TZID)", what);
	p->err = E2BIG;
}

/* One zone, the first time a time is to be converted in it. libical's
 * builtin zones (an Olson TZID with no VTIMEZONE) are the system's own
 * data, built once a process: only a calendar's own zones are checked. */
static bool zone_ok(struct parse *p, const icaltimezone *zone)
{
	static const icalcomponent_kind kinds[] = {ICAL_XSTANDARD_COMPONENT,
						   ICAL_XDAYLIGHT_COMPONENT};
	const char *tzid = icaltimezone_get_tzid((icaltimezone *)zone);
	icalcomponent *z, *o;
	char bad[160];

	if (zone == icaltimezone_get_utc_timezone() ||
	    (tzid && icaltimezone_get_builtin_timezone_from_tzid(tzid) == zone))
		return true;
	for (unsigned i = 0; i < p->nzones; i++)
		if (p->zones[i] == zone)
			return true;
	if (p->err)
		return false;
	z = icaltimezone_get_component((icaltimezone *)zone);
	for (size_t k = 0; z && k < 2 && !p->err; k++)
		for (o = icalcomponent_get_first_component(z, kinds[k]);
		     o && !p->err;
		     o = icalcomponent_get_next_component(z, kinds[k])) {
			p->zone_changes += zone_changes(p, o, bad, sizeof(bad));
			if (p->err)
				break; /* the step budget */
			if (bad[0])
				zone_refuse(p, z, bad);
			else if (p->zone_changes > max_zone_changes(p)) {
				snprintf(bad, sizeof(bad),
					 "its rules would make more than %lu "
					 "offset changes in the calendar's "
					 "zones",
					 max_zone_changes(p));
				zone_refuse(p, z, bad);
			}
		}
	if (p->err)
		return false;
	if (p->nzones < sizeof(p->zones) / sizeof(p->zones[0]))
		p->zones[p->nzones++] = zone; /* past that: checked again */
	return true;
}

static int64_t utc_of(struct parse *p, struct icaltimetype t)
{
	const icaltimezone *utc = icaltimezone_get_utc_timezone();

	if (icaltime_is_null_time(t))
		return 0;
	if (!t.zone || t.year < ZONE_YEAR_MIN || t.year > ZONE_YEAR_MAX ||
	    !zone_ok(p, t.zone))
		return (int64_t)icaltime_as_timet_with_zone(t, utc);
	return (int64_t)icaltime_as_timet_with_zone(t, t.zone);
}

/* RECURRENCE-ID in UTC: icalcomponent_get_recurrenceid() drops its
 * TZID, so resolve it against the calendar's VTIMEZONEs like DTSTART. */
static int64_t rid_utc(struct parse *p, icalcomponent *c)
{
	icalproperty *x =
		icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);

	if (!x)
		return 0;
	return utc_of(p, icalproperty_get_datetime_with_component(x, c));
}

static int by_rid(const void *a, const void *b)
{
	const struct ev *x = *(const struct ev *const *)a;
	const struct ev *y = *(const struct ev *const *)b;

	if (x->rid != y->rid)
		return x->rid < y->rid ? -1 : 1;
	return strcmp(x->uid, y->uid);
}

/* The override of the occurrence of UID at START, by binary search: a
 * feed of 100,000 events must not cost 100,000² compares. */
static const struct ev *override_for(const struct parse *p, const char *uid,
				     int64_t start)
{
	struct ev key = {.uid = uid, .rid = start};
	const struct ev *k = &key, *const * f;

	if (!start || !p->novr)
		return NULL;
	f = bsearch(&k, p->ovr, p->novr, sizeof(*p->ovr), by_rid);
	return f ? *f : NULL;
}

static void add(struct parse *p, const struct ev *e, int64_t start, int64_t end,
		int64_t orig)
{
	struct vp_sched_meeting *m;

	if (end <= p->opt->from && !(end == start && start >= p->opt->from))
		return;
	if (start >= p->opt->to)
		return;
	if (!p->facts && (!(p->facts = vp_calloc(1, sizeof(*p->facts))) ||
			  vp_sched__event_fill(p->facts, e->c, p->opt))) {
		p->err = ENOMEM;
		return;
	}
	m = vp_calloc(1, sizeof(*m));
	if (!m || !(m->uid = vp_strdup(e->uid)) ||
	    vp_sched__facts_copy(m, p->facts)) {
		vp_sched_meeting_free(m);
		p->err = ENOMEM;
		return;
	}
	m->start = start;
	m->end = end > start ? end : start;
	m->orig_start = orig;
	m->all_day = e->all_day;
	m->line = e->line;
	vp_sched_meeting_id(m->id, sizeof(m->id), e->uid, orig);
	p->st->instances++;
	if (vp_sched_list_merge(p->out, m))
		p->err = ENOMEM;
}

static int by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The series' EXDATEs in UTC, sorted: each converted once, not once an
 * occurrence (10,000 of them times 40,000 EXDATEs took 92 s). */
static void exdates(struct parse *p, const struct ev *e)
{
	size_t n;
	icalproperty **v = all_props(p, e->c, ICAL_EXDATE_PROPERTY, &n);

	p->ex = n ? vp_calloc(n, sizeof(*p->ex)) : NULL;
	if (n && !p->ex)
		p->err = ENOMEM;
	for (size_t i = 0; p->ex && i < n; i++)
		p->ex[p->nex++] = utc_of(
			p,
			icalproperty_get_datetime_with_component(v[i], e->c));
	free(v);
	if (p->nex)
		qsort(p->ex, p->nex, sizeof(*p->ex), by_time);
}

static bool excluded(const struct parse *p, int64_t s)
{
	return p->nex &&
	       bsearch(&s, p->ex, p->nex, sizeof(*p->ex), by_time) != NULL;
}

static void occurrence(struct parse *p, const struct ev *e, int64_t s,
		       int64_t dur)
{
	if (p->err || excluded(p, s))
		return;
	if (override_for(p, e->uid, s))
		return; /* the override is its own instance */
	add(p, e, s, s + dur, s);
}

/* One RRULE (RFC 5545 §3.3.10) from DTSTART, jumping to the window
 * where libical can; bounded by max_instances, so a rule that fires
 * every second costs no more than one that fires weekly, and by the
 * calendar's step budget, charged the periods libical searched. */
static void rrule(struct parse *p, const struct ev *e, icalproperty *rp,
		  struct icaltimetype ds, int64_t dur)
{
	struct icalrecurrencetype r = icalproperty_get_rrule(rp);
	const icaltimezone *z =
		ds.zone ? ds.zone : icaltimezone_get_utc_timezone();
	struct vp_sched_walk w;
	struct icaltimetype t;
	int64_t from = p->opt->from - dur - 1;
	unsigned before = 0; /* occurrences before the window */
	unsigned long cost;
	char why[160];

	if (!vp_sched__rule_why(&r, why, sizeof(why))) {
		problem(p->st, e->line, "RRULE: %s; the rule is skipped", why);
		return;
	}
	if (spend(p, vp_sched__walk_open(&w, r, ds), e->line, "RRULE"))
		goto out;
	if (!zone_ok(p, z))
		z = icaltimezone_get_utc_timezone();
	if (r.count == 0 && from > utc_of(p, ds) &&
	    spend(p,
		  vp_sched__walk_from(&w, icaltime_from_timet_with_zone(
						  (time_t)from, ds.is_date,
						  (icaltimezone *)z)),
		  e->line, "RRULE"))
		goto out;
	while (!p->err && p->count < p->opt->max_instances) {
		int64_t s;

		t = vp_sched__walk_next(&w, &cost);
		if (spend(p, cost, e->line, "RRULE") ||
		    icaltime_is_null_time(t))
			break;
		if (!t.zone && !icaltime_is_utc(t))
			t.zone = ds.zone;
		s = utc_of(p, t);
		if (s >= p->opt->to)
			break;
		if (s + dur < p->opt->from) { /* COUNT rules start at DTSTART */
			if (++before > 100000) {
				problem(p->st, e->line,
					"%s: more than 100000 occurrences "
					"before the window; series skipped",
					"RRULE");
				break;
			}
			continue;
		}
		p->count++;
		occurrence(p, e, s, dur);
	}
out:
	vp_sched__walk_close(&w);
}

static void rdates(struct parse *p, const struct ev *e, int64_t dur)
{
	size_t n;
	icalproperty **v = all_props(p, e->c, ICAL_RDATE_PROPERTY, &n);

	for (size_t i = 0; i < n && !p->err; i++) {
		struct icaldatetimeperiodtype d = icalproperty_get_rdate(v[i]);
		struct icaltimetype t = d.time;

		if (icaltime_is_null_time(t))
			t = d.period.start;
		if (icaltime_is_null_time(t))
			continue;
		if (!t.zone && !icaltime_is_utc(t))
			t.zone = icalproperty_get_datetime_with_component(v[i],
									  e->c)
					 .zone;
		occurrence(p, e, utc_of(p, t), dur);
	}
	free(v);
}

static void expand(struct parse *p, const struct ev *e)
{
	icalcomponent *c = e->c;
	struct icaltimetype ds = icalcomponent_get_dtstart(c);
	struct icaltimetype de = icalcomponent_get_dtend(c);
	int64_t s = utc_of(p, ds), end = utc_of(p, de);
	icalproperty **rr;
	size_t nr;

	if (e->rid) { /* an overridden occurrence, at its own time */
		add(p, e, s, end, e->rid);
		return;
	}
	if (!icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) &&
	    !icalcomponent_get_first_property(c, ICAL_RDATE_PROPERTY)) {
		/* a single event: its id is the UID alone, so moving it
		 * reschedules the same meeting */
		if (!override_for(p, e->uid, s))
			add(p, e, s, end, 0);
		return;
	}
	p->count = 0;
	exdates(p, e);
	rr = all_props(p, c, ICAL_RRULE_PROPERTY, &nr);
	for (size_t i = 0; i < nr && !p->err; i++)
		rrule(p, e, rr[i], ds, end > s ? end - s : 0);
	free(rr);
	rdates(p, e, end > s ? end - s : 0);
	free(p->ex);
	p->ex = NULL;
	p->nex = 0;
	if (p->count >= p->opt->max_instances)
		problem(p->st, e->line,
			"%s: more instances than the cap; "
			"the rest dropped",
			"RRULE");
}

/* Count the lines libical could not read (X-LIC-ERROR) in c. */
static void lic_errors(struct parse *p, icalcomponent *c, unsigned line)
{
	icalproperty *x;

	for (x = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
	     x;
	     x = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
		const char *msg = icalproperty_get_xlicerror(x);

		/* an empty value (Google's "LOCATION:") is no problem */
		if (msg && !strncmp(msg, "No value for ", 13))
			continue;
		p->st->warnings++;
		problem(p->st, vp_sched__line_of(p->text, p->len, msg, line),
			"%s", msg ? msg : "unreadable line");
	}
}

/* Collect the VEVENTs of one VCALENDAR with their UID and line. */
static int collect(struct parse *p, icalcomponent *cal, const unsigned *lines,
		   size_t nlines, size_t *k)
{
	icalcomponent *c;

	for (c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	     c;
	     c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
		unsigned line = *k < nlines ? lines[*k] : 0;
		struct icaltimetype ds = icalcomponent_get_dtstart(c);
		struct ev *e;

		(*k)++;
		p->st->events++;
		lic_errors(p, c, line);
		if (!icalcomponent_get_uid(c) || icaltime_is_null_time(ds)) {
			p->st->dropped++;
			problem(p->st, line, "%s",
				"event without UID or "
				"DTSTART dropped");
			continue;
		}
		e = &p->evs[p->nev++];
		e->c = c;
		e->uid = icalcomponent_get_uid(c);
		e->line = line;
		e->all_day = ds.is_date;
		e->rid = rid_utc(p, c);
	}
	return 0;
}

static size_t count_events(icalcomponent *root)
{
	size_t n = 0;
	icalcomponent *cal = root;
	bool xroot = icalcomponent_isa(root) == ICAL_XROOT_COMPONENT;

	if (xroot)
		cal = icalcomponent_get_first_component(
			root, ICAL_VCALENDAR_COMPONENT);
	for (; cal; cal = xroot ? icalcomponent_get_next_component(
					  root, ICAL_VCALENDAR_COMPONENT)
				: NULL)
		n += (size_t)icalcomponent_count_components(
			cal, ICAL_VEVENT_COMPONENT);
	return n;
}

/* A TZID with a ".." component. libical reads a TZID that no VTIMEZONE
 * in reach defines as a file below the system's zoneinfo folder, and
 * "../../../../dev/tty" (or a FIFO) would block the scheduler for good. */
static bool tzid_climbs(const char *id)
{
	for (const char *s = id; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == id || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

/* Before libical resolves any time: each such TZID in C and below is
 * dropped, so its times read as UTC, as with a TZID that names no zone. */
static void tzids_checked(struct parse *p, icalcomponent *c)
{
	icalproperty *x;
	icalcomponent *sub;

	for (x = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); x;
	     x = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
		icalparameter *tp;
		const char *id;
		char msg[96];

		/* libical takes the first TZID: check until it is a good one */
		while ((tp = icalproperty_get_first_parameter(
				x, ICAL_TZID_PARAMETER)) &&
		       (id = icalparameter_get_tzid(tp)) && tzid_climbs(id)) {
			snprintf(msg, sizeof(msg), "TZID: %s", id);
			p->st->warnings++;
			problem(p->st,
				vp_sched__line_of(p->text, p->len, msg, 1),
				"TZID \"%.64s\" is a path out of the zone "
				"folder; read as UTC",
				id);
			icalproperty_remove_parameter_by_ref(x, tp);
		}
	}
	for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	     sub; sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		tzids_checked(p, sub);
}

static int parse_root(struct parse *p, icalcomponent *root, const char *text,
		      size_t len)
{
	icalcomponent *cal = root;
	bool xroot = icalcomponent_isa(root) == ICAL_XROOT_COMPONENT;
	size_t nlines, k = 0, n = count_events(root);
	unsigned *lines = vp_sched__vevent_lines(text, len, &nlines);

	tzids_checked(p, root);
	p->evs = vp_calloc(n ? n : 1, sizeof(*p->evs));
	if (!p->evs) {
		free(lines);
		return ENOMEM;
	}
	if (xroot)
		cal = icalcomponent_get_first_component(
			root, ICAL_VCALENDAR_COMPONENT);
	for (; cal; cal = xroot ? icalcomponent_get_next_component(
					  root, ICAL_VCALENDAR_COMPONENT)
				: NULL) {
		lic_errors(p, cal, 1);
		collect(p, cal, lines, nlines, &k);
	}
	p->ovr = vp_calloc(p->nev ? p->nev : 1, sizeof(*p->ovr));
	if (!p->ovr)
		p->err = ENOMEM;
	for (size_t i = 0; p->ovr && i < p->nev; i++)
		if (p->evs[i].rid)
			p->ovr[p->novr++] = &p->evs[i];
	if (p->novr)
		qsort(p->ovr, p->novr, sizeof(*p->ovr), by_rid);
	for (size_t i = 0; i < p->nev && !p->err; i++) {
		expand(p, &p->evs[i]);
		vp_sched_meeting_free(p->facts);
		p->facts = NULL;
	}
	free(p->ovr);
	free(lines);
	free(p->evs);
	return p->err;
}

int vp_sched_ics_parse(struct vp_sched_list *out, const char *text, size_t len,
		       const struct vp_sched_parse_opt *opt,
		       struct vp_sched_parse_stats *st, char *err, size_t errsz)
{
	struct vp_sched_list mine = {0}; /* into out only if all went well */
	struct parse p = {
		.out = &mine, .opt = opt, .st = st, .text = text, .len = len};
	icalcomponent *root;
	char *z;
	int e;

	memset(st, 0, sizeof(*st));
	snprintf(err, errsz, "out of memory"); /* until a later message */
	if (!vp_sched__starts_like_ics(text, len)) {
		snprintf(err, errsz,
			 "line 1: not an iCalendar "
			 "(BEGIN:VCALENDAR expected)");
		return EBADMSG;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errsz, "a NUL byte in the calendar");
		return EBADMSG;
	}
	z = vp_strndup(text, len);
	if (!z)
		return ENOMEM;
	icalerror_set_errors_are_fatal(0);
	root = icalparser_parse_string(z);
	free(z);
	if (!root || (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT &&
		      icalcomponent_isa(root) != ICAL_XROOT_COMPONENT)) {
		if (root)
			icalcomponent_free(root);
		snprintf(err, errsz,
			 "line 1: not an iCalendar (libical "
			 "found no VCALENDAR)");
		return EBADMSG;
	}
	e = parse_root(&p, root, text, len);
	icalcomponent_free(root);
	/* a refused calendar adds nothing, not the series before the one
	 * that broke a bound */
	for (size_t i = 0; i < mine.n; i++) {
		if (e)
			vp_sched_meeting_free(mine.v[i]);
		else if (vp_sched_list_merge(out, mine.v[i]))
			e = ENOMEM; /* it freed the meeting */
	}
	vp_sched_list_release(&mine);
	if (!e)
		snprintf(err, errsz, "%s", "");
	else if (p.why[0])
		snprintf(err, errsz, "%s", p.why);
	return e;
}
