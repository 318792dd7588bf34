/* SPDX-License-Identifier: MIT */
/**
 * @file facts.c  One VEVENT -> the meeting facts of src/gate/README.md:
 * ORGANIZER/ATTENDEE mailto: -> organizer/invitees, SUMMARY -> title,
 * CLASS:PRIVATE|CONFIDENTIAL -> private, the conference address from
 * CONFERENCE (RFC 7986 §5.11), URL, LOCATION or DESCRIPTION, in that order.
 */
#include "src/sched/sched_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocols/sig/invite.h"
#include "src/core/mem.h"

/* Links of platforms vpbot does not speak: the meeting is online, so it
 * is not a physical room, but no bot can join it (unsupported_platform). */
static const struct {
	const char *host; /* the host or a parent domain of it */
	const char *name;
} platforms[] = {
	{"zoom.us", "zoom"},
	{"zoomgov.com", "zoom"},
	{"meet.google.com", "google_meet"},
	{"teams.microsoft.com", "teams"},
	{"teams.live.com", "teams"},
	{"webex.com", "webex"},
	{"gotomeeting.com", "gotomeeting"},
	{"whereby.com", "whereby"},
	{"meet.jit.si", "jitsi"},
	{"chime.aws", "chime"},
};

static bool host_in(const char *host, size_t hlen, const char *dom)
{
	size_t dl = strlen(dom);

	if (hlen < dl || strncasecmp(host + hlen - dl, dom, dl))
		return false;
	return hlen == dl || host[hlen - dl - 1] == '.';
}

static const char *platform_of(const char *url, size_t len)
{
	const char *h = strstr(url, "://");
	size_t hl = 0;

	if (!h || (size_t)(h - url) > len)
		return NULL;
	h += 3;
	while (h + hl < url + len &&
	       (isalnum((unsigned char)h[hl]) || h[hl] == '.' || h[hl] == '-'))
		hl++;
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (host_in(h, hl, platforms[i].host))
			return platforms[i].name;
	return NULL;
}

static bool url_char(char c)
{
	return c > ' ' && c != '<' && c != '>' && c != '"' && c != '\'' &&
	       c != '\\' && c != '(' && c != ')' && (unsigned char)c < 0x7f;
}

static bool scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '.' || c == '-';
}

/* One candidate URL [b, e): a supported invite, or a known platform. */
static bool try_url(const char *b, const char *e, char **url, char **platform)
{
	struct vp_invite inv;
	char *u = vp_strndup(b, (size_t)(e - b));
	const char *p;

	if (!u)
		return false;
	if (!vp_invite_parse(&inv, u, NULL, 0)) {
		*url = u;
		return true;
	}
	p = platform_of(u, strlen(u));
	free(u);
	if (p && !*platform)
		*platform = strdup(p);
	return false;
}

bool vp_sched_find_invite(const char *text, char **url, char **platform)
{
	const char *p = text;

	while (text && (p = strstr(p, "://"))) {
		const char *b = p, *e = p + 3;

		while (b > text && scheme_char(b[-1]))
			b--;
		while (url_char(*e))
			e++;
		/* trailing punctuation of the sentence is not the URL's */
		while (e > p + 3 && strchr(".,;:!?", e[-1]))
			e--;
		if (b < p && try_url(b, e, url, platform))
			return true;
		p = e > p + 3 ? e : p + 3;
	}
	return *platform != NULL;
}

/* "mailto:Alice@Example.com" -> "alice@example.com"; NULL if no address */
static char *address_of(const char *v)
{
	char *a;

	if (!v)
		return NULL;
	if (!strncasecmp(v, "mailto:", 7))
		v += 7;
	if (!strchr(v, '@') || strlen(v) > 320)
		return NULL;
	a = vp_strdup(v);
	for (char *c = a; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return a;
}

static bool is_room(icalproperty *p)
{
	icalparameter *cu =
		icalproperty_get_first_parameter(p, ICAL_CUTYPE_PARAMETER);
	icalparameter_cutype t;

	if (!cu)
		return false;
	t = icalparameter_get_cutype(cu);
	return t == ICAL_CUTYPE_ROOM || t == ICAL_CUTYPE_RESOURCE;
}

static bool declined(icalproperty *p)
{
	icalparameter *ps =
		icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);

	return ps && icalparameter_get_partstat(ps) == ICAL_PARTSTAT_DECLINED;
}

/* ATTENDEEs: invitees, minus rooms and the assistant (a manual invite). */
static int attendees(struct vp_sched_meeting *m, icalcomponent *ev,
		     const struct vp_sched_parse_opt *opt)
{
	icalproperty *p;
	int err = 0;

	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	     p && !err;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		char *a = address_of(icalproperty_get_attendee(p));

		if (!a || is_room(p)) {
			free(a);
			continue;
		}
		if (opt->owner && !strcasecmp(a, opt->owner) && declined(p))
			m->declined = 1;
		if (opt->assistant && !strcasecmp(a, opt->assistant))
			m->manual_invite = true;
		else if (!m->organizer || strcmp(a, m->organizer))
			err = vp_sched_strv_add(&m->invitees, a);
		free(a);
	}
	return err;
}

static void conference(struct vp_sched_meeting *m, icalcomponent *ev)
{
	static const icalproperty_kind kinds[] = {
		ICAL_CONFERENCE_PROPERTY, ICAL_URL_PROPERTY,
		ICAL_LOCATION_PROPERTY, ICAL_DESCRIPTION_PROPERTY};
	icalproperty *p;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (p = icalcomponent_get_first_property(ev, kinds[k]); p;
		     p = icalcomponent_get_next_property(ev, kinds[k])) {
			const char *v = icalproperty_get_value_as_string(p);

			if (vp_sched_find_invite(v, &m->conference_url,
						 &m->unsupported) &&
			    m->conference_url)
				return;
		}
}

static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s); /* jansson validates UTF-8 */

	json_decref(j);
	return j != NULL;
}

int vp_sched__event_fill(struct vp_sched_meeting *m, icalcomponent *ev,
			 const struct vp_sched_parse_opt *opt)
{
	icalproperty *p;
	const char *s = icalcomponent_get_summary(ev);
	int err = 0;

	m->title = vp_strdup(s ? s : "");
	if (m->title && !utf8_ok(m->title)) /* e.g. a Windows-1252 export */
		for (char *c = m->title; *c; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '?';
	p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	if (p)
		m->organizer = address_of(icalproperty_get_organizer(p));
	if (m->organizer && opt->assistant &&
	    !strcasecmp(m->organizer, opt->assistant))
		m->manual_invite = true;
	p = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY);
	if (p) {
		enum icalproperty_class c = icalproperty_get_class(p);

		m->private_ =
			c == ICAL_CLASS_PRIVATE || c == ICAL_CLASS_CONFIDENTIAL;
	}
	m->cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
	p = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
	m->transparent =
		p && icalproperty_get_transp(p) == ICAL_TRANSP_TRANSPARENT;
	if (opt->owner)
		err = vp_sched_strv_add(&m->calendars, opt->owner);
	if (!err)
		err = attendees(m, ev, opt);
	conference(m, ev);
	if (!m->title)
		err = ENOMEM;
	return err;
}

/* a copy of S (NULL stays NULL); *err on a failed copy */
static char *dup_or_null(const char *s, int *err)
{
	char *d = s ? vp_strdup(s) : NULL;

	if (s && !d)
		*err = ENOMEM;
	return d;
}

int vp_sched__facts_copy(struct vp_sched_meeting *d,
			 const struct vp_sched_meeting *s)
{
	int err = 0;

	d->title = dup_or_null(s->title, &err);
	d->organizer = dup_or_null(s->organizer, &err);
	d->conference_url = dup_or_null(s->conference_url, &err);
	d->unsupported = dup_or_null(s->unsupported, &err);
	for (size_t i = 0; i < s->invitees.n && !err; i++)
		err = vp_sched_strv_add(&d->invitees, s->invitees.v[i]);
	for (size_t i = 0; i < s->calendars.n && !err; i++)
		err = vp_sched_strv_add(&d->calendars, s->calendars.v[i]);
	d->private_ = s->private_;
	d->transparent = s->transparent;
	d->cancelled = s->cancelled;
	d->declined = s->declined;
	d->manual_invite = s->manual_invite;
	return err;
}

json_t *vp_sched_facts_json(const struct vp_sched_meeting *m)
{
	json_t *inv = json_array();
	json_t *o;

	for (size_t i = 0; inv && i < m->invitees.n; i++)
		json_array_append_new(inv, json_string(m->invitees.v[i]));
	o = json_pack("{s:s?, s:o, s:s, s:b, s:b, s:s?}", "organizer",
		      m->organizer, "invitees", inv ? inv : json_array(),
		      "title", m->title, "private", m->private_,
		      "manual_invite", m->manual_invite, "conference_url",
		      m->conference_url);
	return o;
}
