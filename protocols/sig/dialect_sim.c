/* SPDX-License-Identifier: MIT */
/**
 * @file dialect_sim.c  The client side of the `sim` dialect (SIM.md): our
 * own reference signaling, spoken by tools/simconf. Message handling is the
 * pure vp_sig_sim_handle_msg(), which the fuzz target drives.
 */
#define VP_LOG_MODULE "sig-sim"
#include "protocols/sig/dialect_sim.h"

#include "protocols/sig/ws.h"
#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#define LOBBY_TIMEOUT_S 300
#define MAX_STREAMS	64

struct vp_sig_sim {
	struct vp_sig_cfg cfg;
	struct vp_invite inv;
	struct vp_sig_handler h;
	void *arg;
	struct vp_sig_ws *ws;
	char display[128];
	guint lobby_src;
	bool done; /* ended or error delivered: no more events */
	bool leaving;
};

static void finish_error(struct vp_sig_sim *s, enum vp_sig_err_kind kind,
			 const char *reason)
{
	if (s->done)
		return;
	s->done = true;
	if (s->h.error)
		s->h.error(kind, reason, s->arg);
}

static void finish_ended(struct vp_sig_sim *s, const char *reason)
{
	if (s->done)
		return;
	s->done = true;
	if (s->h.ended)
		s->h.ended(reason, s->arg);
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void participant(struct vp_sig_sim *s, json_t *p)
{
	const char *id = str(p, "id");

	if (!id || !json_is_object(p))
		return;
	if (s->h.participant_joined)
		s->h.participant_joined(
			id, str(p, "display"), str(p, "identity"),
			json_is_true(json_object_get(p, "consent")), s->arg);
}

static void on_joined(struct vp_sig_sim *s, json_t *m)
{
	struct vp_sig_joined j = {.room = str(m, "meeting"),
				  .self_id = str(m, "self")};
	json_t *roster = json_object_get(m, "roster"), *p;
	size_t i;

	if (s->lobby_src) {
		g_source_remove(s->lobby_src);
		s->lobby_src = 0;
	}
	if (s->h.joined)
		s->h.joined(&j, s->arg);
	if (json_is_array(roster))
		json_array_foreach(roster, i, p) participant(s, p);
}

static void on_offer(struct vp_sig_sim *s, json_t *m)
{
	struct vp_sig_stream st[MAX_STREAMS];
	struct vp_sig_offer o = {.offer_id = str(m, "offer_id"),
				 .sdp = str(m, "sdp"),
				 .streams = st};
	json_t *streams = json_object_get(m, "streams"), *e;
	size_t i;

	if (!o.offer_id || !o.sdp)
		return;
	if (json_is_array(streams))
		json_array_foreach(streams, i, e)
		{
			if (o.nstreams == MAX_STREAMS || !str(e, "mid"))
				continue;
			st[o.nstreams].mid = str(e, "mid");
			st[o.nstreams].participant = str(e, "participant");
			st[o.nstreams].active =
				!json_is_false(json_object_get(e, "active"));
			st[o.nstreams].mixed = false;
			o.nstreams++;
		}
	if (s->h.offer)
		s->h.offer(&o, s->arg);
}

static gboolean on_lobby_timeout(gpointer arg)
{
	struct vp_sig_sim *s = arg;

	s->lobby_src = 0;
	finish_error(s, VP_SIG_ERR_TRANSIENT, "lobby timeout");
	return G_SOURCE_REMOVE;
}

static void on_error_msg(struct vp_sig_sim *s, json_t *m)
{
	char why[256];

	snprintf(why, sizeof(why), "%s: %s",
		 str(m, "code") ? str(m, "code") : "error",
		 str(m, "reason") ? str(m, "reason") : "");
	finish_error(s,
		     json_is_true(json_object_get(m, "permanent"))
			     ? VP_SIG_ERR_PERMANENT
			     : VP_SIG_ERR_TRANSIENT,
		     why);
}

int vp_sig_sim_handle_msg(struct vp_sig_sim *s, const char *text, size_t len)
{
	int err;
	json_t *m = vp_json_loadb(text, len, 0, NULL, &err);
	const char *type = m ? str(m, "type") : NULL;

	err = err == ENOMEM ? err : 0;
	if (err) {
		/* it may have been a roster change: no longer known */
		vp_log_err("a message was lost: out of memory");
		if (s->h.roster_error && !s->done)
			s->h.roster_error(NULL, ENOMEM, s->arg);
		return ENOMEM;
	}
	if (!json_is_object(m) || !type) {
		err = EBADMSG;
		goto out;
	}
	if (s->done)
		goto out;
	if (!strcmp(type, "joined")) {
		on_joined(s, m);
	} else if (!strcmp(type, "participant_joined")) {
		participant(s, json_object_get(m, "participant"));
	} else if (!strcmp(type, "participant_left")) {
		if (str(m, "id") && s->h.participant_left)
			s->h.participant_left(str(m, "id"), s->arg);
	} else if (!strcmp(type, "consent")) {
		if (str(m, "id") && s->h.consent)
			s->h.consent(
				str(m, "id"),
				json_is_true(json_object_get(m, "granted")),
				s->arg);
	} else if (!strcmp(type, "offer")) {
		on_offer(s, m);
	} else if (!strcmp(type, "lobby")) {
		vp_log_info("waiting in the lobby");
		if (!s->lobby_src && s->cfg.ctx)
			s->lobby_src = g_timeout_add(
				s->cfg.lobby_timeout_ns
					? (guint)(s->cfg.lobby_timeout_ns /
						  VP_MSEC)
					: LOBBY_TIMEOUT_S * 1000,
				on_lobby_timeout, s);
	} else if (!strcmp(type, "admitted")) {
		vp_log_info("admitted from the lobby");
	} else if (!strcmp(type, "denied")) {
		finish_error(s, VP_SIG_ERR_PERMANENT,
			     str(m, "reason") ? str(m, "reason") : "denied");
	} else if (!strcmp(type, "ended")) {
		finish_ended(s, str(m, "reason") ? str(m, "reason") : "ended");
	} else if (!strcmp(type, "error")) {
		on_error_msg(s, m);
	} /* unknown types are ignored: the protocol may grow */
out:
	json_decref(m);
	return err;
}

/* --- transport --- */

static int send_json(struct vp_sig_sim *s, json_t *m)
{
	char *t = vp_json_dumps(m, JSON_COMPACT);
	int err;

	json_decref(m);
	if (!t)
		return ENOMEM;
	err = s->ws ? vp_sig_ws_send(s->ws, t, strlen(t)) : ENOTCONN;
	free(t);
	return err;
}

static void ws_connected(void *arg)
{
	struct vp_sig_sim *s = arg;

	send_json(s, json_pack("{s:s, s:s, s:s, s:s}", "type", "join",
			       "meeting", s->inv.room, "token", s->inv.token,
			       "name", s->display));
}

static void ws_message(const char *text, size_t len, void *arg)
{
	struct vp_sig_sim *s = arg;

	if (vp_sig_sim_handle_msg(s, text, len) == EBADMSG)
		finish_error(s, VP_SIG_ERR_TRANSIENT,
			     "the server sent a message that is not a sim "
			     "message");
}

static void ws_closed(int err, const char *reason, void *arg)
{
	struct vp_sig_sim *s = arg;

	if (s->leaving) {
		finish_ended(s, "left");
		return;
	}
	finish_error(s, VP_SIG_ERR_TRANSIENT,
		     reason && *reason ? reason : "signaling lost");
	(void)err;
}

static void sim_destroy(void *data)
{
	struct vp_sig_sim *s = data;

	if (s->lobby_src)
		g_source_remove(s->lobby_src);
	s->ws = vp_mem_deref(s->ws);
}

int vp_sig_sim_alloc(struct vp_sig_sim **sp, const struct vp_sig_cfg *cfg,
		     const struct vp_invite *inv,
		     const struct vp_sig_handler *h, void *arg)
{
	struct vp_sig_sim *s;

	if (!sp || !inv || !h)
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), sim_destroy);
	if (!s)
		return ENOMEM;
	if (cfg)
		s->cfg = *cfg;
	s->inv = *inv;
	s->h = *h;
	s->arg = arg;
	*sp = s;
	return 0;
}

static int sim_alloc(void **statep, const struct vp_sig_cfg *cfg,
		     const struct vp_invite *inv,
		     const struct vp_sig_handler *h, void *arg)
{
	return vp_sig_sim_alloc((struct vp_sig_sim **)statep, cfg, inv, h, arg);
}

static int sim_join(void *state, const char *display)
{
	struct vp_sig_sim *s = state;
	struct vp_sig_ws_cfg wc = {
		.ctx = s->cfg.ctx,
		.host = s->inv.host,
		.port = s->inv.port,
		.path = "/",
		.tls = s->inv.tls,
		.insecure = s->cfg.insecure,
		.subprotocol = "vpbot-sim",
		.connect_timeout_ns = s->cfg.connect_timeout_ns,
	};

	snprintf(s->display, sizeof(s->display), "%s", display);
	return vp_sig_ws_alloc(&s->ws, &wc, ws_connected, ws_message, ws_closed,
			       s);
}

static int sim_answer(void *state, const char *offer_id, const char *sdp)
{
	return send_json(state, json_pack("{s:s, s:s, s:s}", "type", "answer",
					  "offer_id", offer_id, "sdp", sdp));
}

static int sim_trickle(void *state, const char *mid, unsigned mline,
		       const char *cand)
{
	(void)mid;
	(void)mline;
	return send_json(state, json_pack("{s:s, s:s?}", "type", "trickle",
					  "candidate", cand));
}

static int sim_leave(void *state)
{
	struct vp_sig_sim *s = state;

	s->leaving = true;
	if (!s->ws || !vp_sig_ws_is_open(s->ws))
		return ENOTCONN;
	return send_json(s, json_pack("{s:s}", "type", "leave"));
}

int vp_sig_sim_notice(struct vp_sig_sim *s, const char *text)
{
	return send_json(
		s, json_pack("{s:s, s:s}", "type", "notice", "text", text));
}

static int sim_notice(void *state, const char *text)
{
	return vp_sig_sim_notice(state, text);
}

const struct vp_sig_dialect vp_sig_dialect_sim = {
	.version = VP_SIG_DIALECT_VERSION,
	.name = "sim",
	.id = VP_INVITE_SIM,
	.alloc = sim_alloc,
	.join = sim_join,
	.answer = sim_answer,
	.trickle = sim_trickle,
	.leave = sim_leave,
	.notice = sim_notice,
};
