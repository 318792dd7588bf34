/* SPDX-License-Identifier: MIT */
/** @file util.c  Lists of strings and meetings, meeting ids, UTC times. */
#include "src/core/mem.h"
#include "src/sched/sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int vp_sched_strv_add(struct vp_sched_strv *sv, const char *s)
{
	char **v;
	char *d;

	if (vp_sched_strv_has(sv, s))
		return 0;
	d = vp_strdup(s);
	v = vp_realloc(sv->v, (sv->n + 1) * sizeof(*v));
	if (!d || !v) {
		free(d);
		if (v)
			sv->v = v;
		return ENOMEM;
	}
	sv->v = v;
	sv->v[sv->n++] = d;
	return 0;
}

bool vp_sched_strv_has(const struct vp_sched_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcasecmp(sv->v[i], s))
			return true;
	return false;
}

void vp_sched_strv_clear(struct vp_sched_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void vp_sched_meeting_free(struct vp_sched_meeting *m)
{
	if (!m)
		return;
	free(m->uid);
	free(m->title);
	free(m->organizer);
	free(m->conference_url);
	free(m->unsupported);
	vp_sched_strv_clear(&m->invitees);
	vp_sched_strv_clear(&m->calendars);
	free(m);
}

void vp_sched_list_release(struct vp_sched_list *l)
{
	free(l->v);
	free(l->ix);
	memset(l, 0, sizeof(*l));
}

void vp_sched_list_clear(struct vp_sched_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		vp_sched_meeting_free(l->v[i]);
	vp_sched_list_release(l);
}

/* FNV-1a of a meeting id */
static size_t id_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

/* The index slot of ID: its meeting's, or the empty one it would take. */
static struct vp_sched_meeting **id_slot(const struct vp_sched_list *l,
					 const char *id)
{
	size_t i = id_hash(id) & (l->ixcap - 1);

	while (l->ix[i] && strcmp(l->ix[i]->id, id))
		i = (i + 1) & (l->ixcap - 1);
	return &l->ix[i];
}

struct vp_sched_meeting *vp_sched_list_find(const struct vp_sched_list *l,
					    const char *id)
{
	return l->ixcap ? *id_slot(l, id) : NULL;
}

/* Room in the index for one more, at most half full. */
static int index_grow(struct vp_sched_list *l)
{
	struct vp_sched_meeting **old = l->ix;
	size_t oldcap = l->ixcap, cap = oldcap ? oldcap : 64;

	while (2 * (l->n + 1) > cap)
		cap *= 2;
	if (cap == oldcap)
		return 0;
	l->ix = vp_calloc(cap, sizeof(*l->ix));
	if (!l->ix) {
		l->ix = old;
		return ENOMEM;
	}
	l->ixcap = cap;
	for (size_t i = 0; i < l->n; i++)
		*id_slot(l, l->v[i]->id) = l->v[i];
	free(old);
	return 0;
}

/* The same instance in another member's calendar: one meeting, found in
 * one more calendar. A cancellation or a decline in one copy is kept. */
static int merge(struct vp_sched_meeting *into, struct vp_sched_meeting *m)
{
	int err = 0;

	for (size_t i = 0; i < m->calendars.n && !err; i++)
		err = vp_sched_strv_add(&into->calendars, m->calendars.v[i]);
	into->declined += m->declined;
	into->manual_invite |= m->manual_invite;
	vp_sched_meeting_free(m);
	return err;
}

int vp_sched_list_merge(struct vp_sched_list *l, struct vp_sched_meeting *m)
{
	struct vp_sched_meeting **v, **slot;

	if (index_grow(l)) {
		vp_sched_meeting_free(m);
		return ENOMEM;
	}
	slot = id_slot(l, m->id);
	if (*slot)
		return merge(*slot, m);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		v = vp_realloc(l->v, cap * sizeof(*v));
		if (!v) {
			vp_sched_meeting_free(m);
			return ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	*slot = m;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct vp_sched_meeting *x = *(struct vp_sched_meeting *const *)a;
	const struct vp_sched_meeting *y = *(struct vp_sched_meeting *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

void vp_sched_list_sort(struct vp_sched_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_start);
}

/* FNV-1a 64: a UID that sanitizes like another still gets its own id */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void vp_sched_meeting_id(char *buf, size_t sz, const char *uid,
			 int64_t orig_start)
{
	char safe[41], when[24];
	size_t n = 0;
	struct tm tm;
	time_t t = (time_t)orig_start;

	for (const char *p = uid; *p && n < sizeof(safe) - 1; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  c == '.';
		safe[n++] = ok ? c : '_';
	}
	safe[n] = '\0';
	if (!n || safe[0] == '.' || safe[0] == '-')
		safe[0] = n ? '_' : '\0';
	when[0] = '\0';
	if (orig_start) { /* an occurrence of a series: "-YYYYMMDDTHHMMSSZ" */
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "-%Y%m%dT%H%M%SZ", &tm);
	}
	snprintf(buf, sz, "%s%s%012llx%s", n ? safe : "", n ? "-" : "u",
		 (unsigned long long)(fnv1a(uid) & 0xffffffffffffULL), when);
}

void vp_sched_utc(char *buf, size_t sz, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int vp_sched_parse_time(int64_t *t, const char *s)
{
	struct tm tm;
	const char *p;
	int oh = 0, om = 0, sign = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s)
		return EINVAL;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return EINVAL;
	if (*p == '.') /* fractions are dropped: the scheduler counts seconds */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 ||
		    om > 59)
			return EINVAL;
		p += 6;
	} else {
		return EINVAL;
	}
	if (*p)
		return EINVAL;
	*t = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}
