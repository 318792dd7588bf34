/* SPDX-License-Identifier: MIT */
/**
 * @file janus_msg.c  Incoming Janus messages (docs/janus.md §5): replies
 * matched by transaction, plugin events dispatched by their "videoroom" /
 * "audiobridge" verb. Every field is type-checked; this file is the
 * fuzz target's surface (tests/fuzz/fuzz_sig_janus.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocols/sig/janus_priv.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "janus"
#include "src/core/log.h"

/* janus_videoroom.c / janus_audiobridge.c error codes that retrying cannot
 * fix: no such room (426 / 485), unauthorized = wrong pin (433 / 487). */
static bool plugin_code_permanent(json_int_t code)
{
	return code == 426 || code == 433 || code == 485 || code == 487;
}

/* janus.h core codes: 403 unauthorized, 405 plugin unauthorized, 460
 * plugin not found. */
static bool core_code_permanent(json_int_t code)
{
	return code == 403 || code == 405 || code == 460;
}

/* A Janus id (integer or string) as text; buf holds integer ids. */
static const char *id_str(json_t *v, char buf[24])
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(buf, 24, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	}
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) < 128 &&
	    strlen(json_string_value(v)) == json_string_length(v))
		return json_string_value(v);
	return NULL;
}

static uint64_t get_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return 0;
	return (uint64_t)json_integer_value(v);
}

static const char *get_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* --- participants --- */

static struct jpart *part_find(struct vp_sig_janus *j, const char *id)
{
	for (struct jpart *p = j->parts; p; p = p->next) {
		if (!strcmp(p->id, id))
			return p;
	}
	return NULL;
}

static struct jpart *part_join(struct vp_sig_janus *j, const char *id,
			       const char *display)
{
	struct jpart *p = part_find(j, id), **pp;

	if (j->self_id && !strcmp(id, j->self_id))
		return NULL; /* ourselves */
	if (!p) {
		int err = j->nparts >= JANUS_MAX_PARTS ? ENOSPC : 0;

		if (!err) {
			p = vp_mem_zalloc(sizeof(*p) + strlen(id) + 1, NULL);
			err = p ? 0 : ENOMEM;
		}
		if (err) { /* present but untracked: never silently */
			vp_log_err("participant id=%.64s cannot be tracked: "
				   "%s",
				   id, strerror(err));
			if (j->h.roster_error)
				j->h.roster_error(id, err, j->harg);
			return NULL;
		}
		strcpy(p->id, id);
		/* at the tail: subscriptions past the cap go oldest first */
		for (pp = &j->parts; *pp; pp = &(*pp)->next)
			;
		*pp = p;
		j->nparts++;
	}
	if (!p->present) {
		p->present = true;
		vp_log_info("participant joined id=%s", id);
		if (j->h.participant_joined)
			j->h.participant_joined(id, display, NULL, false,
						j->harg);
	}
	return p;
}

/* Idempotent: "unpublished" may come twice, then "leaving" (§5.1 step 6).
 * The entry goes with its participant: Janus gives one who comes back a
 * new id, so a long meeting's churn must not fill JANUS_MAX_PARTS (the
 * bot keeps who left). Its subscription, if any, is settled by then or
 * ignored: a settling transaction only looks at who is still here. */
static void part_left(struct vp_sig_janus *j, const char *id)
{
	struct jpart **pp, *p;

	for (pp = &j->parts; *pp && strcmp((*pp)->id, id); pp = &(*pp)->next)
		;
	p = *pp;
	if (!p || !p->present)
		return;
	*pp = p->next;
	j->nparts--;
	vp_log_info("participant left id=%s", id);
	if (j->h.participant_left)
		j->h.participant_left(id, j->harg);
	vp_mem_deref(p);
}

/* --- VideoRoom subscriptions (§5.1 step 4, §5.3) --- */

/* The batch of join/subscribe `seq` settled: accepted, or refused. Janus
 * refuses the whole request when one feed in it is gone (428 "No such
 * feed (ID)"); that one waits for its next "publishers" notice, the others
 * are asked for again.
 * @return true if the refusal named a participant of the batch */
static bool sub_settled(struct vp_sig_janus *j, uint64_t seq, bool ok,
			const char *gone)
{
	bool named = false;

	for (struct jpart *p = j->parts; p; p = p->next) {
		if (!p->sub_tx || p->sub_tx != seq)
			continue;
		p->sub_tx = 0;
		if (ok)
			continue;
		p->subscribed = false;
		if (gone && !strcmp(p->id, gone))
			named = true;
		else
			p->want_sub = p->present;
	}
	return named;
}

/* Subscribed at once, counting those in flight: each is one m-line of the
 * subscriber offer (Janus reuses the inactive m-line of one who left). */
static unsigned sub_count(const struct vp_sig_janus *j)
{
	unsigned n = 0;

	for (const struct jpart *p = j->parts; p; p = p->next)
		n += p->subscribed;
	return n;
}

static void kick_subscribe(struct vp_sig_janus *j)
{
	json_t *streams, *body;
	unsigned nsub;
	bool any = false;
	int err;

	if (j->ab || !j->hb || !j->self_id || j->sub_inflight || j->leaving ||
	    j->done)
		return;
	nsub = sub_count(j);
	streams = json_array();
	for (struct jpart *p = j->parts; p && streams; p = p->next) {
		json_t *s;

		if (!p->want_sub)
			continue;
		if (nsub >= JANUS_MAX_STREAMS) {
			/* asked for again when someone's m-line frees */
			if (!p->capped)
				vp_log_warn(
					"participant id=%.64s not received: "
					"%d audio streams already",
					p->id, JANUS_MAX_STREAMS);
			p->capped = true;
			continue;
		}
		s = json_pack("{s:o}", "feed", vp_sig_janus__id_json(p->id));
		if (s && p->mid[0])
			json_object_set_new(s, "mid", json_string(p->mid));
		if (!s || json_array_append_new(streams, s))
			break;
		p->want_sub = false;
		p->subscribed = true;
		p->capped = false;
		p->sub_tx = UINT64_MAX; /* this batch, until its tx is known */
		nsub++;
		any = true;
	}
	if (!any) {
		json_decref(streams);
		return;
	}
	if (!j->sub_joined) {
		body = json_pack("{s:s, s:s, s:o, s:o}", "request", "join",
				 "ptype", "subscriber", "room",
				 vp_sig_janus__id_json(j->inv.room), "streams",
				 streams);
		if (body && j->private_id)
			json_object_set_new(
				body, "private_id",
				vp_sig_janus__id_json(j->private_id));
		if (body && j->inv.pin[0])
			json_object_set_new(body, "pin",
					    json_string(j->inv.pin));
	} else {
		body = json_pack("{s:s, s:o}", "request", "subscribe",
				 "streams", streams);
	}
	err = vp_sig_janus__body(j, j->sub_joined ? JTX_SUBSCRIBE : JTX_JOIN_B,
				 j->hb, body, NULL);
	if (err) {
		/* unsent: asked for again with the next roster change */
		vp_log_warn("subscribe not sent: %s", strerror(err));
		sub_settled(j, UINT64_MAX, false, NULL);
		return;
	}
	for (struct jpart *p = j->parts; p; p = p->next)
		if (p->sub_tx == UINT64_MAX)
			p->sub_tx = j->txseq;
	j->sub_inflight = true;
	j->sub_joined = true;
}

/* One publisher entry: {"id","display","streams":[{"type","mid"}]} */
static void on_publisher(struct vp_sig_janus *j, json_t *pub)
{
	char buf[24];
	const char *id = id_str(json_object_get(pub, "id"), buf);
	json_t *streams = json_object_get(pub, "streams"), *s;
	const char *mid = NULL;
	bool audio = false;
	struct jpart *p;
	size_t i;

	if (!id)
		return;
	json_array_foreach(streams, i, s)
	{
		const char *type = get_str(s, "type");

		if (type && !strcmp(type, "audio") &&
		    !json_is_true(json_object_get(s, "disabled"))) {
			audio = true;
			if (!mid)
				mid = get_str(s, "mid");
		}
	}
	if (!json_is_array(streams) && get_str(pub, "audio_codec"))
		audio = true; /* pre-multistream shape */
	p = part_join(j, id, get_str(pub, "display"));
	if (!p || !audio || p->subscribed)
		return;
	p->want_sub = true;
	snprintf(p->mid, sizeof(p->mid), "%s",
		 mid && strlen(mid) < sizeof(p->mid) ? mid : "");
}

static void on_publishers(struct vp_sig_janus *j, json_t *arr)
{
	json_t *pub;
	size_t i;

	json_array_foreach(arr, i, pub)
	{
		if (json_is_object(pub))
			on_publisher(j, pub);
	}
	kick_subscribe(j);
}

/* --- offers --- */

static void next_offer_id(struct vp_sig_janus *j, uint64_t handle)
{
	j->offer_handle = handle;
	j->offer_seq++;
	snprintf(j->offer_id, sizeof(j->offer_id), "%s-%u",
		 j->ab ? "ab" : "sub", j->offer_seq);
}

/* Remember (feed given) or recall (feed missing) who owns `mid`. */
static const char *midmap(struct vp_sig_janus *j, const char *mid,
			  const char *feed)
{
	size_t i, free_slot = JANUS_MAX_STREAMS;

	if (strlen(mid) >= sizeof(j->midmap[0].mid))
		return feed;
	for (i = 0; i < JANUS_MAX_STREAMS; i++) {
		if (!j->midmap[i].mid[0]) {
			if (free_slot == JANUS_MAX_STREAMS)
				free_slot = i;
			continue;
		}
		if (!strcmp(j->midmap[i].mid, mid))
			break;
	}
	if (i == JANUS_MAX_STREAMS)
		i = free_slot;
	if (i == JANUS_MAX_STREAMS)
		return feed;
	if (feed && strlen(feed) < sizeof(j->midmap[i].id)) {
		snprintf(j->midmap[i].mid, sizeof(j->midmap[i].mid), "%s", mid);
		snprintf(j->midmap[i].id, sizeof(j->midmap[i].id), "%s", feed);
		return feed;
	}
	return j->midmap[i].mid[0] ? j->midmap[i].id : feed;
}

/* "streams" of attached/updated: [{"mid","feed_id","active","type"}] */
static void emit_vr_offer(struct vp_sig_janus *j, json_t *streams,
			  const char *sdp)
{
	struct vp_sig_stream st[JANUS_MAX_STREAMS];
	char ids[JANUS_MAX_STREAMS][24];
	struct vp_sig_offer o;
	size_t i, n = 0;
	json_t *s;

	json_array_foreach(streams, i, s)
	{
		const char *mid = get_str(s, "mid"), *type = get_str(s, "type");
		json_t *act = json_object_get(s, "active");
		const char *feed;

		if (n >= JANUS_MAX_STREAMS)
			break;
		feed = id_str(json_object_get(s, "feed_id"), ids[n]);
		if (!mid || (type && strcmp(type, "audio")))
			continue;
		st[n].mid = mid;
		st[n].mixed = false;
		st[n].active = feed && (!act || json_is_true(act));
		feed = midmap(j, mid, feed);
		st[n].participant = feed ? feed : "";
		n++;
	}
	next_offer_id(j, j->hb);
	o.offer_id = j->offer_id;
	o.sdp = sdp;
	o.streams = st;
	o.nstreams = n;
	vp_log_info("offer %s with %zu audio stream(s)", o.offer_id, n);
	if (j->h.offer)
		j->h.offer(&o, j->harg);
}

/* AudioBridge: one m-line carrying the mix; its mid comes from the SDP */
static void emit_ab_offer(struct vp_sig_janus *j, const char *sdp)
{
	struct vp_sig_stream st;
	struct vp_sig_offer o;
	const char *m = strstr(sdp, "a=mid:");
	char mid[32] = "0";

	if (m) {
		size_t n = strcspn(m + 6, "\r\n");

		if (n && n < sizeof(mid))
			snprintf(mid, sizeof(mid), "%.*s", (int)n, m + 6);
	}
	st.mid = mid;
	st.participant = "mix";
	st.active = true;
	st.mixed = true;
	next_offer_id(j, j->ha);
	o.offer_id = j->offer_id;
	o.sdp = sdp;
	o.streams = &st;
	o.nstreams = 1;
	vp_log_info("offer %s (audiobridge mix)", o.offer_id);
	if (j->h.offer)
		j->h.offer(&o, j->harg);
}

static const char *jsep_offer(json_t *jsep)
{
	const char *type = get_str(jsep, "type");

	if (!type || strcmp(type, "offer"))
		return NULL;
	return get_str(jsep, "sdp");
}

/* --- plugin events --- */

static void on_joined(struct vp_sig_janus *j, json_t *data)
{
	struct vp_sig_joined info;
	char b1[24], b2[24];
	const char *self = id_str(json_object_get(data, "id"), b1);
	const char *priv = id_str(json_object_get(data, "private_id"), b2);

	if (!self || j->self_id)
		return;
	j->self_id = vp_mem_strdup(self);
	if (priv)
		j->private_id = vp_mem_strdup(priv);
	if (!j->self_id) {
		vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT, "out of memory");
		return;
	}
	info.room = j->inv.room;
	info.self_id = j->self_id;
	info.description = get_str(data, "description");
	vp_log_info("joined room %s as %s", j->inv.room, j->self_id);
	if (j->h.joined)
		j->h.joined(&info, j->harg);
}

static void on_leave_id(struct vp_sig_janus *j, json_t *v, bool kicked)
{
	char buf[24];
	const char *id = id_str(v, buf);

	if (!id)
		return; /* "ok": our own leave/unpublish confirmed */
	if (j->self_id && !strcmp(id, j->self_id)) {
		if (!j->leaving)
			vp_sig_janus__end(j, kicked ? "kicked" : "removed");
		return;
	}
	part_left(j, id);
}

/* a non-publishing participant (rooms with notify_joining) */
static void on_attendee(struct vp_sig_janus *j, json_t *a)
{
	char buf[24];
	const char *id = id_str(json_object_get(a, "id"), buf);

	if (id)
		part_join(j, id, get_str(a, "display"));
}

static void on_attendees(struct vp_sig_janus *j, json_t *arr)
{
	json_t *a;
	size_t i;

	json_array_foreach(arr, i, a) on_attendee(j, a);
}

static bool is_sub_tx(const struct jtx *t)
{
	return t && (t->kind == JTX_JOIN_B || t->kind == JTX_SUBSCRIBE);
}

static void on_vr_event(struct vp_sig_janus *j, struct jtx *t, const char *verb,
			json_t *data, json_t *jsep)
{
	const char *sdp = jsep_offer(jsep);
	json_t *v;

	/* our join/subscribe accepted ("updating": its offer comes later) */
	if (is_sub_tx(t) &&
	    (!strcmp(verb, "attached") || !strcmp(verb, "updated") ||
	     !strcmp(verb, "updating")))
		sub_settled(j, t->seq, true, NULL);
	if (!strcmp(verb, "joined")) {
		on_joined(j, data);
		on_attendees(j, json_object_get(data, "attendees"));
		on_publishers(j, json_object_get(data, "publishers"));
	} else if (!strcmp(verb, "attached") || !strcmp(verb, "updated")) {
		j->sub_inflight = false;
		if (sdp && !j->leaving)
			emit_vr_offer(j, json_object_get(data, "streams"), sdp);
		kick_subscribe(j);
	} else if (!strcmp(verb, "destroyed")) {
		vp_sig_janus__end(j, "room destroyed");
	} else if (!strcmp(verb, "event")) {
		if ((v = json_object_get(data, "publishers")))
			on_publishers(j, v);
		if ((v = json_object_get(data, "joining")) && json_is_object(v))
			on_attendee(j, v);
		if ((v = json_object_get(data, "unpublished")))
			on_leave_id(j, v, false);
		if ((v = json_object_get(data, "leaving")))
			on_leave_id(j, v, false);
		if ((v = json_object_get(data, "kicked")))
			on_leave_id(j, v, true);
		if (get_str(data, "started"))
			vp_log_info("subscriber started");
	}
	/* updating, talking, slow_link...: nothing to do (§5.3) */
}

static void on_ab_event(struct vp_sig_janus *j, const char *verb, json_t *data,
			json_t *jsep)
{
	const char *sdp = jsep_offer(jsep);
	json_t *v;

	if (!strcmp(verb, "joined")) {
		on_joined(j, data); /* no-op for other people's "joined" */
		on_attendees(j, json_object_get(data, "participants"));
		if (sdp && !j->leaving && !j->done)
			emit_ab_offer(j, sdp);
	} else if (!strcmp(verb, "event")) {
		on_attendees(j, json_object_get(data, "participants"));
		if ((v = json_object_get(data, "leaving")))
			on_leave_id(j, v, false);
		if ((v = json_object_get(data, "kicked")))
			on_leave_id(j, v, true);
		/* renegotiation offers keep Janus as the offerer (§5.2) */
		if (sdp && !j->leaving && !j->done)
			emit_ab_offer(j, sdp);
	} else if (!strcmp(verb, "destroyed")) {
		vp_sig_janus__end(j, "room destroyed");
	}
}

/* The feed a refusal names at its end: "No such feed (ID)", "No such mid
 * 'M' in feed (ID)" (janus_videoroom.c), copied to buf. */
static const char *named_feed(const char *why, char *buf, size_t size)
{
	const char *o = why ? strrchr(why, '(') : NULL;
	size_t n = o ? strlen(o + 1) : 0;

	if (n < 2 || o[n] != ')' || n - 1 >= size)
		return NULL;
	memcpy(buf, o + 1, n - 1);
	buf[n - 1] = '\0';
	return buf;
}

static void on_plugin_error(struct vp_sig_janus *j, struct jtx *t, json_t *data)
{
	json_int_t code =
		json_integer_value(json_object_get(data, "error_code"));
	const char *why = get_str(data, "error");
	char r[200];

	snprintf(r, sizeof(r), "janus %" JSON_INTEGER_FORMAT ": %.160s", code,
		 why ? why : "error");
	if (j->leaving)
		return;
	if (is_sub_tx(t)) {
		/* e.g. 428 no such feed: the publisher left meanwhile. The rest
		 * of the batch is asked for again at once when Janus named the
		 * one it refused (the batch shrinks, so this ends); otherwise
		 * with the next roster change. */
		char buf[128];
		bool named = sub_settled(j, t->seq, false,
					 named_feed(why, buf, sizeof(buf)));

		vp_log_warn("subscribe failed: %s", r);
		j->sub_inflight = false;
		if (t->kind == JTX_JOIN_B)
			j->sub_joined = false;
		if (named)
			kick_subscribe(j);
		return;
	}
	if (t && (t->kind == JTX_JOIN_A || t->kind == JTX_START ||
		  t->kind == JTX_CONFIGURE)) {
		vp_sig_janus__fail(j,
				   plugin_code_permanent(code)
					   ? VP_SIG_ERR_PERMANENT
					   : VP_SIG_ERR_TRANSIENT,
				   r);
		return;
	}
	vp_log_warn("plugin error: %s", r);
}

static void on_event(struct vp_sig_janus *j, struct jtx *t, json_t *root)
{
	json_t *pd = json_object_get(root, "plugindata");
	json_t *data = json_object_get(pd, "data");
	json_t *jsep = json_object_get(root, "jsep");
	const char *verb;

	if (!json_is_object(data))
		return;
	if (json_object_get(data, "error_code")) {
		on_plugin_error(j, t, data);
		return;
	}
	verb = get_str(data, j->ab ? "audiobridge" : "videoroom");
	if (!verb)
		return;
	if (j->ab)
		on_ab_event(j, verb, data, jsep);
	else
		on_vr_event(j, t, verb, data, jsep);
}

/* --- core replies --- */

static void join_a(struct vp_sig_janus *j)
{
	json_t *body;

	if (j->ab)
		body = json_pack("{s:s, s:o, s:s, s:b, s:b}", "request", "join",
				 "room", vp_sig_janus__id_json(j->inv.room),
				 "display", j->display, "muted", 1,
				 "generate_offer", 1);
	else
		body = json_pack("{s:s, s:s, s:o, s:s}", "request", "join",
				 "ptype", "publisher", "room",
				 vp_sig_janus__id_json(j->inv.room), "display",
				 j->display);
	if (body && j->inv.pin[0])
		json_object_set_new(body, "pin", json_string(j->inv.pin));
	if (vp_sig_janus__body(j, JTX_JOIN_A, j->ha, body, NULL))
		vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT, "out of memory");
}

static void attach(struct vp_sig_janus *j, enum jtx_kind kind)
{
	const char *plugin =
		j->ab ? "janus.plugin.audiobridge" : "janus.plugin.videoroom";

	if (vp_sig_janus__send(j, kind, 0,
			       json_pack("{s:s, s:s}", "janus", "attach",
					 "plugin", plugin)))
		vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT, "out of memory");
}

static void on_success(struct vp_sig_janus *j, struct jtx *t, json_t *root)
{
	uint64_t id = get_u64(json_object_get(root, "data"), "id");

	switch (t->kind) {
	case JTX_CREATE:
	case JTX_ATTACH_A:
	case JTX_ATTACH_B:
		if (!id) {
			vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT,
					   "janus: reply without an id");
			return;
		}
		break;
	case JTX_DESTROY:
		vp_sig_janus__end(j, "left");
		return;
	default:
		return;
	}
	if (j->leaving)
		return;
	if (t->kind == JTX_CREATE) {
		j->session = id;
		attach(j, JTX_ATTACH_A);
	} else if (t->kind == JTX_ATTACH_A) {
		j->ha = id;
		if (j->ab)
			join_a(j);
		else
			attach(j, JTX_ATTACH_B);
	} else {
		j->hb = id;
		join_a(j);
	}
}

static void on_core_error(struct vp_sig_janus *j, struct jtx *t, json_t *root)
{
	json_t *e = json_object_get(root, "error");
	json_int_t code = json_integer_value(json_object_get(e, "code"));
	const char *why = get_str(e, "reason");
	char r[200];

	snprintf(r, sizeof(r), "janus %" JSON_INTEGER_FORMAT ": %.160s", code,
		 why ? why : "error");
	if (j->leaving) {
		/* tearing down anyway: the session may already be gone */
		if (t && t->kind == JTX_DESTROY)
			vp_sig_janus__end(j, "left");
		return;
	}
	if (t && (t->kind == JTX_TRICKLE || t->kind == JTX_DETACH)) {
		vp_log_warn("%s failed: %s", vp_sig_janus__kind_name(t->kind),
			    r);
		return;
	}
	vp_sig_janus__fail(j,
			   core_code_permanent(code) ? VP_SIG_ERR_PERMANENT
						     : VP_SIG_ERR_TRANSIENT,
			   r);
}

static void on_unsolicited(struct vp_sig_janus *j, const char *kind,
			   json_t *root)
{
	uint64_t sender = get_u64(root, "sender");
	const char *reason = get_str(root, "reason");

	if (!strcmp(kind, "timeout")) {
		vp_sig_janus__fail(j, VP_SIG_ERR_TRANSIENT,
				   "signaling lost (session timeout)");
	} else if (!strcmp(kind, "webrtcup")) {
		vp_log_info("webrtcup handle=%s",
			    sender == j->hb ? "sub" : "a");
	} else if (!strcmp(kind, "hangup")) {
		vp_log_info("hangup: %.80s", reason ? reason : "?");
	} else if (!strcmp(kind, "detached")) {
		if (!j->leaving)
			vp_log_warn("janus detached a handle");
	} else {
		vp_log_debug("janus %.20s", kind);
	}
}

int vp_sig_janus_handle_msg(struct vp_sig_janus *j, const char *json,
			    size_t len)
{
	json_t *root;
	const char *kind;
	struct jtx *t, copy;
	int err = 0;

	if (!j || (!json && len))
		return EINVAL;
	if (j->done)
		return EALREADY;
	root = vp_json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL, &err);
	if (err == ENOMEM) {
		/* a message lost for want of memory may have been a roster
		 * change: the roster is no longer known */
		vp_log_err("a Janus message was lost: out of memory");
		if (j->h.roster_error)
			j->h.roster_error(NULL, ENOMEM, j->harg);
		return ENOMEM;
	}
	kind = get_str(root, "janus");
	if (!json_is_object(root) || !kind) {
		err = EBADMSG;
		goto out;
	}
	t = vp_sig_janus__tx_find(j, get_str(root, "transaction"));
	if (t) {
		/* free the slot first: a handler may send new requests */
		copy = *t;
		if (strcmp(kind, "ack") || t->kind == JTX_KEEPALIVE ||
		    t->kind == JTX_TRICKLE)
			memset(t, 0, sizeof(*t));
		t = &copy;
	}
	if (!strcmp(kind, "success")) {
		if (t)
			on_success(j, t, root);
	} else if (!strcmp(kind, "error")) {
		if (t)
			on_core_error(j, t, root);
		else
			vp_log_warn("janus error for an unknown transaction");
	} else if (!strcmp(kind, "event")) {
		on_event(j, t, root);
	} else if (strcmp(kind, "ack")) {
		on_unsolicited(j, kind, root);
	}
out:
	json_decref(root);
	return err;
}
