/* SPDX-License-Identifier: MIT */
/**
 * @file ics_rule.c  One RRULE walked by libical at a counted cost.
 *
 * libical 3.0 finds an occurrence by stepping one FREQ period at a time
 * until every BY part matches, up to the year 2582 (and 20000 for the
 * first MONTHLY or YEARLY occurrence). A rule no date can match costs
 * that whole search in a single call: 0.6 s for a DAILY rule from 1970,
 * 1.3 s for a MONTHLY one, 15 s for FREQ=HOURLY;BYMONTH=3;BYDAY=2SU and
 * hours for MINUTELY or SECONDLY (fuzz_ics found the hourly one in a
 * garbled VTIMEZONE). So, before a rule is walked:
 *
 * - rules RFC 5545 §3.3.10 forbids, or that no date can match in the
 *   ways checked here, are refused with the reason (vp_sched__rule_why);
 * - a rule finer than daily may narrow only the time of day, so its
 *   search never passes a day;
 * - every call is charged the periods libical searched (vp_sched__walk):
 *   the calendar's step budget then bounds the CPU a calendar costs,
 *   whatever its rules, to the budget plus one search.
 */
#include "src/sched/sched_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE	    ICAL_RECURRENCE_ARRAY_MAX
#define LAST_YEAR   2582  /* libical 3.0's MAX_TIME_T_YEAR (64-bit) */
#define FIRST_LIMIT 20000 /* its bound on a first MONTHLY/YEARLY search */

static size_t len(const short *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NONE)
		n++;
	return n;
}

#define LEN(a) len(a, sizeof(a) / sizeof(a[0]))

/* Days month M can have (February: 29). */
static int month_days(int m)
{
	static const int d[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m >= 1 && m <= 12 ? d[m - 1] : 31;
}

/* Is day D of the month (negative: from its end) possible in some
 * month of R (all twelve without BYMONTH)? */
static bool mday_possible(const struct icalrecurrencetype *r, int d)
{
	size_t nm = LEN(r->by_month);

	if (!nm)
		return abs(d) <= 31;
	for (size_t i = 0; i < nm; i++)
		if (abs(d) <=
		    month_days(icalrecurrencetype_month_month(r->by_month[i])))
			return true;
	return false;
}

/* Can the POS-th weekday of a month (negative: from its end) fall on
 * its day D, in a month of 28 to 31 days? */
static bool nth_on_mday(int pos, int d)
{
	for (int days = 28; days <= 31; days++) {
		int day = d > 0 ? d : days + 1 + d;
		int lo = pos > 0 ? 7 * (pos - 1) + 1 : days + 7 * pos + 1;

		if (day >= 1 && day <= days && day >= lo && day < lo + 7)
			return true;
	}
	return false;
}

/* Most occurrences one period of R can hold, before BYSETPOS: a bound,
 * the smallest its BY parts give. */
static size_t period_size(const struct icalrecurrencetype *r)
{
	static const size_t days[] = {[ICAL_DAILY_RECURRENCE] = 1,
				      [ICAL_WEEKLY_RECURRENCE] = 7,
				      [ICAL_MONTHLY_RECURRENCE] = 31,
				      [ICAL_YEARLY_RECURRENCE] = 366};
	size_t nm = LEN(r->by_month), nd = LEN(r->by_day);
	size_t n = r->freq <= ICAL_YEARLY_RECURRENCE ? days[r->freq] : 1;
	size_t months = r->freq == ICAL_YEARLY_RECURRENCE && nm ? nm : 1;
	size_t t = (LEN(r->by_hour) ? LEN(r->by_hour) : 1) *
		   (LEN(r->by_minute) ? LEN(r->by_minute) : 1) *
		   (LEN(r->by_second) ? LEN(r->by_second) : 1);

	if (n == 0)
		n = 1; /* a time-of-day rule: sub-daily periods */
	if (nd) {
		size_t k = 0;

		for (size_t i = 0; i < nd; i++)
			k += icalrecurrencetype_day_position(r->by_day[i])
				     ? 1
				     : (r->freq == ICAL_YEARLY_RECURRENCE && !nm
						? 53
						: 5);
		if (k * months < n)
			n = k * months;
	}
	if (LEN(r->by_month_day) && LEN(r->by_month_day) * months < n)
		n = LEN(r->by_month_day) * months;
	if (LEN(r->by_year_day) && LEN(r->by_year_day) < n)
		n = LEN(r->by_year_day);
	return n * t;
}

/* BYDAY's entry I of R refused, for WHAT: false. */
static bool day_why(const struct icalrecurrencetype *r, size_t i, char *why,
		    size_t n, const char *what)
{
	snprintf(why, n, "BYDAY=%d%s: %s",
		 icalrecurrencetype_day_position(r->by_day[i]),
		 icalrecur_weekday_to_string(
			 icalrecurrencetype_day_day_of_week(r->by_day[i])),
		 what);
	return false;
}

/* The BYDAY ordinals: where RFC 5545 allows them, and in range. */
static bool ordinals_ok(const struct icalrecurrencetype *r, char *why, size_t n)
{
	bool yearly = r->freq == ICAL_YEARLY_RECURRENCE;
	int max = yearly && !LEN(r->by_month) ? 53 : 5;
	size_t nd = LEN(r->by_day), nmd = LEN(r->by_month_day);

	for (size_t i = 0; i < nd; i++) {
		int pos = icalrecurrencetype_day_position(r->by_day[i]);
		bool fits = !nmd || !(r->freq == ICAL_MONTHLY_RECURRENCE ||
				      (yearly && LEN(r->by_month)));

		if (!pos)
			continue;
		if (r->freq == ICAL_WEEKLY_RECURRENCE)
			continue; /* libical reads 2SU as SU there */
		if (r->freq == ICAL_DAILY_RECURRENCE ||
		    (yearly && LEN(r->by_week_no)))
			return day_why(r, i, why, n,
				       yearly ? "an ordinal with BYWEEKNO"
					      : "an ordinal with FREQ=DAILY");
		if (abs(pos) > max)
			return day_why(r, i, why, n,
				       "no period has that many of a weekday");
		for (size_t k = 0; !fits && k < nmd; k++)
			fits = nth_on_mday(pos, r->by_month_day[k]);
		if (!fits)
			return day_why(r, i, why, n,
				       "it never falls on a BYMONTHDAY");
	}
	return true;
}

bool vp_sched__rule_why(const struct icalrecurrencetype *r, char *why, size_t n)
{
	enum icalrecurrencetype_frequency f = r->freq;
	size_t nmd = LEN(r->by_month_day), nsp = LEN(r->by_set_pos);
	bool fits = !nmd, pos_fits = !nsp, leap = true;

	if (f > ICAL_YEARLY_RECURRENCE)
		return true; /* no FREQ: libical refuses it at once */
	if (r->rscale && strcasecmp(r->rscale, "GREGORIAN")) {
		snprintf(why, n, "RSCALE=%.32s: only GREGORIAN is expanded",
			 r->rscale);
		return false;
	}
	if (f < ICAL_DAILY_RECURRENCE &&
	    (LEN(r->by_day) || nmd || LEN(r->by_year_day) ||
	     LEN(r->by_week_no) || LEN(r->by_month) || nsp)) {
		snprintf(why, n,
			 "FREQ=%s may narrow only the time of day (BYHOUR, "
			 "BYMINUTE, BYSECOND)",
			 icalrecur_freq_to_string(f));
		return false;
	}
	for (size_t i = 0; i < LEN(r->by_second); i++)
		leap &= r->by_second[i] >= 60;
	if (f == ICAL_SECONDLY_RECURRENCE && LEN(r->by_second) && leap) {
		snprintf(why, n, "%s", "BYSECOND=60 never comes");
		return false;
	}
	if ((LEN(r->by_year_day) && f >= ICAL_DAILY_RECURRENCE &&
	     f != ICAL_YEARLY_RECURRENCE) ||
	    (LEN(r->by_week_no) && f != ICAL_YEARLY_RECURRENCE) ||
	    (nmd && f == ICAL_WEEKLY_RECURRENCE)) {
		snprintf(why, n, "%s with FREQ=%s (RFC 5545 §3.3.10)",
			 LEN(r->by_year_day)  ? "BYYEARDAY"
			 : LEN(r->by_week_no) ? "BYWEEKNO"
					      : "BYMONTHDAY",
			 icalrecur_freq_to_string(f));
		return false;
	}
	for (size_t i = 0; i < nmd && !fits; i++)
		fits = mday_possible(r, r->by_month_day[i]);
	if (!fits) {
		snprintf(why, n, "BYMONTHDAY=%d: no such day in its months",
			 r->by_month_day[0]);
		return false;
	}
	if (!ordinals_ok(r, why, n))
		return false;
	for (size_t i = 0; i < nsp && !pos_fits; i++)
		pos_fits = r->by_set_pos[i] != 0 &&
			   (size_t)abs(r->by_set_pos[i]) <= period_size(r);
	if (!pos_fits) {
		snprintf(why, n,
			 "BYSETPOS=%d: past the most occurrences a "
			 "period can hold",
			 r->by_set_pos[0]);
		return false;
	}
	return true;
}

/* Days from 1970-01-01 to T's date (proleptic Gregorian). */
static int64_t days_of(struct icaltimetype t)
{
	int64_t y = t.year - (t.month <= 2), era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400, m = t.month;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + t.day - 1;

	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* FREQ periods (of INTERVAL) libical steps through from A to B: the cost
 * of a search, at least 1. */
static unsigned long periods(const struct vp_sched_walk *w,
			     struct icaltimetype a, struct icaltimetype b)
{
	int64_t d = days_of(b) - days_of(a), h = d * 24 + b.hour - a.hour;
	int64_t u;

	switch (w->freq) {
	case ICAL_SECONDLY_RECURRENCE:
		u = (h * 60 + b.minute - a.minute) * 60 + b.second - a.second;
		break;
	case ICAL_MINUTELY_RECURRENCE:
		u = h * 60 + b.minute - a.minute;
		break;
	case ICAL_HOURLY_RECURRENCE:
		u = h;
		break;
	case ICAL_DAILY_RECURRENCE:
		u = d;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		u = d / 7;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		u = (int64_t)(b.year - a.year) * 12 + b.month - a.month;
		break;
	default:
		u = b.year - a.year;
	}
	u /= w->interval;
	return u > 1 ? (unsigned long)u : 1;
}

static struct icaltimetype year_start(int y)
{
	struct icaltimetype t = icaltime_null_time();

	t.year = y;
	t.month = t.day = 1;
	return t;
}

/* A first search that found nothing: a MONTHLY or YEARLY one ran to the
 * year 20000; for the others libical refused the rule at once. */
static unsigned long first_failed(struct vp_sched_walk *w,
				  struct icaltimetype from)
{
	if (w->freq != ICAL_MONTHLY_RECURRENCE &&
	    w->freq != ICAL_YEARLY_RECURRENCE)
		return 1;
	w->capped = true;
	return periods(w, from, year_start(FIRST_LIMIT));
}

unsigned long vp_sched__walk_open(struct vp_sched_walk *w,
				  struct icalrecurrencetype r,
				  struct icaltimetype ds)
{
	memset(w, 0, sizeof(*w));
	w->freq = r.freq;
	w->interval = r.interval > 0 ? r.interval : 1;
	w->count = r.count;
	w->until = r.until;
	w->at = ds;
	/* checked here, after the search: libical ends a walk at UNTIL only
	 * after its search for the next occurrence, so its empty result
	 * would not tell an ended rule from one searched to the last year */
	r.until = icaltime_null_time();
	w->it = icalrecur_iterator_new(r, ds);
	return w->it ? 1 : first_failed(w, ds);
}

unsigned long vp_sched__walk_from(struct vp_sched_walk *w,
				  struct icaltimetype t)
{
	w->at = t;
	if (!w->it || w->capped)
		return 0;
	return icalrecur_iterator_set_start(w->it, t) ? 1 : first_failed(w, t);
}

struct icaltimetype vp_sched__walk_next(struct vp_sched_walk *w,
					unsigned long *cost)
{
	struct icaltimetype t;

	*cost = 0;
	if (!w->it || w->capped || w->ended || (w->count && w->n >= w->count))
		return icaltime_null_time();
	t = icalrecur_iterator_next(w->it);
	if (icaltime_is_null_time(t)) { /* searched to its last year */
		*cost = periods(w, w->at, year_start(LAST_YEAR + 1));
		w->capped = true;
		return t;
	}
	*cost = periods(w, w->at, t);
	w->at = t;
	if (!icaltime_is_null_time(w->until) &&
	    icaltime_compare(t, w->until) > 0) {
		w->ended = true;
		return icaltime_null_time();
	}
	w->n++;
	return t;
}

void vp_sched__walk_close(struct vp_sched_walk *w)
{
	icalrecur_iterator_free(w->it);
	w->it = NULL;
}
