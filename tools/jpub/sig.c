/* SPDX-License-Identifier: MIT */
/**
 * @file sig.c  The Janus publisher flow over the WebSocket API
 * (docs/janus.md §5, §6): create → attach videoroom → [create room] →
 * join as publisher → publish (sendonly offer, "trickle": false) → the
 * answer. AudioBridge (--plugin audiobridge): attach audiobridge →
 * [create room] → join → configure unmuted with the offer → the answer.
 * Requests go one at a time; the reply is matched by transaction (the
 * event of an asynchronous request may come before its ack).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "src/core/mem.h"
#include "tools/jpub/jpub.h"

#define VP_LOG_MODULE "jpub"
#include "src/core/log.h"

#define ROOM_EXISTS    427 /* JANUS_VIDEOROOM_ERROR_ROOM_EXISTS */
#define AB_ROOM_EXISTS 486 /* JANUS_AUDIOBRIDGE_ERROR_ROOM_EXISTS */
#define KEEPALIVE_S    25

static const char *const stname[] = {"connect", "session", "attach",  "create",
				     "join",	"gather",  "publish", "media",
				     "leaving", "done"};

int jpub_sig_send(struct jpub *j, const char *kind, json_t *body, json_t *jsep,
		  bool wait)
{
	json_t *o = json_object();
	char tx[16], *text;
	int err;

	snprintf(tx, sizeof(tx), "t%u", ++j->tx_n);
	json_object_set_new(o, "janus", json_string(kind));
	json_object_set_new(o, "transaction", json_string(tx));
	if (j->session)
		json_object_set_new(o, "session_id",
				    json_integer((json_int_t)j->session));
	if (j->handle && (body || jsep || !strcmp(kind, "detach")))
		json_object_set_new(o, "handle_id",
				    json_integer((json_int_t)j->handle));
	if (!strcmp(kind, "attach"))
		json_object_set_new(
			o, "plugin",
			json_string(j->o->audiobridge
					    ? "janus.plugin.audiobridge"
					    : "janus.plugin.videoroom"));
	if (body)
		json_object_set_new(o, "body", body);
	if (jsep)
		json_object_set_new(o, "jsep", jsep);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return ENOMEM;
	err = vp_sig_ws_send(j->ws, text, strlen(text));
	free(text);
	if (!err && wait)
		snprintf(j->tx_wait, sizeof(j->tx_wait), "%s", tx);
	return err;
}

void jpub_fail(struct jpub *j, int rc, const char *why)
{
	if (j->st == J_DONE)
		return;
	if (!j->rc) {
		j->rc = rc;
		snprintf(j->why, sizeof(j->why), "%s", why);
	}
	vp_log_err("%s (in state %s)", why, stname[j->st]);
	jpub_sig_leave(j, why);
}

static void done(struct jpub *j)
{
	if (j->st == J_DONE)
		return;
	j->st = J_DONE;
	jpub_media_stop(j);
	if (j->ws && vp_sig_ws_is_open(j->ws))
		vp_sig_ws_close(j->ws);
	else
		g_main_loop_quit(j->loop);
}

static gboolean on_leave_guard(gpointer arg)
{
	struct jpub *j = arg;

	j->leave_guard = 0;
	done(j);
	return G_SOURCE_REMOVE;
}

/* The next step of the leave, one request at a time (Janus runs plugin
 * messages on other threads: a session destroyed at once would cut the
 * leave and the room's destroy short): leave → [destroy room] → destroy
 * the session → done */
static void leave_next(struct jpub *j)
{
	bool room = j->o->create && j->o->destroy && j->handle;
	unsigned step = j->leave_step++;

	if (step == 0 && j->handle) {
		jpub_sig_send(j, "message",
			      json_pack("{s:s}", "request", "leave"), NULL,
			      true);
	} else if (step <= 1 && room) {
		j->leave_step = 2;
		jpub_sig_send(j, "message",
			      json_pack("{s:s, s:I}", "request", "destroy",
					"room", (json_int_t)j->o->room),
			      NULL, true);
	} else if (step <= 2) {
		j->leave_step = 3;
		jpub_sig_send(j, "destroy", NULL, NULL, true);
	} else {
		done(j);
	}
}

/* Leave: done when Janus confirmed every step or after 3 s */
void jpub_sig_leave(struct jpub *j, const char *why)
{
	if (j->st >= J_LEAVING)
		return;
	vp_log_info("leaving: %s", why);
	jpub_media_stop(j);
	if (!j->session || !j->ws || !vp_sig_ws_is_open(j->ws)) {
		done(j);
		return;
	}
	j->st = J_LEAVING;
	j->leave_step = 0;
	j->leave_guard = g_timeout_add_seconds(3, on_leave_guard, j);
	leave_next(j);
}

static gboolean on_keepalive(gpointer arg)
{
	struct jpub *j = arg;

	if (j->session && j->st < J_LEAVING)
		jpub_sig_send(j, "keepalive", NULL, NULL, false);
	return G_SOURCE_CONTINUE;
}

static void send_join(struct jpub *j)
{
	j->st = J_JOIN;
	if (j->o->audiobridge) {
		jpub_sig_send(j, "message",
			      json_pack("{s:s, s:I, s:s, s:b}", "request",
					"join", "room", (json_int_t)j->o->room,
					"display", j->o->id, "muted", 0),
			      NULL, true);
		return;
	}
	jpub_sig_send(j, "message",
		      json_pack("{s:s, s:s, s:I, s:s}", "request", "join",
				"ptype", "publisher", "room",
				(json_int_t)j->o->room, "display", j->o->id),
		      NULL, true);
}

static void send_create(struct jpub *j)
{
	j->st = J_CREATE;
	if (j->o->audiobridge) {
		jpub_sig_send(j, "message",
			      json_pack("{s:s, s:I, s:s, s:i, s:b}", "request",
					"create", "room",
					(json_int_t)j->o->room, "description",
					"vpbot-load", "sampling_rate", 48000,
					"permanent", 0),
			      NULL, true);
		return;
	}
	jpub_sig_send(j, "message",
		      json_pack("{s:s, s:I, s:s, s:i, s:s, s:b, s:b}",
				"request", "create", "room",
				(json_int_t)j->o->room, "description",
				"vpbot-load", "publishers",
				(int)j->o->room_publishers, "audiocodec",
				"opus", "permanent", 0, "audiolevel_event", 0),
		      NULL, true);
}

/* Gathering done: publish the sendonly offer */
void jpub_sig_publish(struct jpub *j)
{
	char *sdp = NULL;
	int err;

	if (j->st != J_GATHER || !j->gathered)
		return;
	err = jpub_media_offer(j, &sdp);
	if (err) {
		jpub_fail(j, 70, "cannot build the offer");
		return;
	}
	j->st = J_PUBLISH;
	jpub_sig_send(j, "message",
		      j->o->audiobridge
			      ? json_pack("{s:s, s:b}", "request", "configure",
					  "muted", 0)
			      : json_pack("{s:s, s:s}", "request", "publish",
					  "audiocodec", "opus"),
		      json_pack("{s:s, s:s, s:b}", "type", "offer", "sdp", sdp,
				"trickle", 0),
		      true);
	vp_mem_deref(sdp);
}

static void on_plugin_reply(struct jpub *j, json_t *data, json_t *jsep)
{
	json_t *ec = json_object_get(data, "error_code");
	const char *answer;
	char why[200];

	if (ec &&
	    !(j->st == J_CREATE &&
	      json_integer_value(ec) ==
		      (j->o->audiobridge ? AB_ROOM_EXISTS : ROOM_EXISTS))) {
		snprintf(why, sizeof(why), "janus: %s (%lld)",
			 json_string_value(json_object_get(data, "error"))
				 ?: "error",
			 (long long)json_integer_value(ec));
		jpub_fail(j, 69, why);
		return;
	}
	switch (j->st) {
	case J_CREATE:
		send_join(j);
		break;
	case J_JOIN:
		j->feed = (uint64_t)json_integer_value(
			json_object_get(data, "id"));
		vp_simconf_log_event(
			j->log, j->room_s, j->o->id, "joined", -1,
			json_pack("{s:I}", "feed_id", (json_int_t)j->feed));
		j->st = J_GATHER;
		if (jpub_media_start(j))
			jpub_fail(j, 70, "cannot start the media path");
		break;
	case J_PUBLISH:
		answer = json_string_value(json_object_get(jsep, "sdp"));
		if (!answer) {
			jpub_fail(j, 69, "janus: publish without an answer");
			break;
		}
		j->st = J_MEDIA;
		if (jpub_media_answer(j, answer))
			jpub_fail(j, 69, "janus: the answer is not usable");
		break;
	default:
		break;
	}
}

static void on_reply(struct jpub *j, const char *kind, json_t *m)
{
	json_t *pd = json_object_get(m, "plugindata");
	json_t *data = json_object_get(pd, "data");
	uint64_t id;

	if (j->st == J_LEAVING) { /* an error ends that step as well */
		if (strcmp(kind, "ack")) {
			j->tx_wait[0] = '\0';
			leave_next(j);
		}
		return;
	}
	if (!strcmp(kind, "error")) {
		char why[200];

		snprintf(why, sizeof(why), "janus: %s",
			 json_string_value(json_object_get(
				 json_object_get(m, "error"), "reason"))
				 ?: "error");
		jpub_fail(j, 69, why);
		return;
	}
	if (!strcmp(kind, "ack"))
		return; /* the event follows (or came first) */
	j->tx_wait[0] = '\0';
	id = (uint64_t)json_integer_value(
		json_object_get(json_object_get(m, "data"), "id"));
	switch (j->st) {
	case J_SESSION:
		j->session = id;
		j->keepalive =
			g_timeout_add_seconds(KEEPALIVE_S, on_keepalive, j);
		j->st = J_ATTACH;
		jpub_sig_send(j, "attach", NULL, NULL, true);
		break;
	case J_ATTACH:
		j->handle = id;
		if (j->o->create)
			send_create(j);
		else
			send_join(j);
		break;
	default:
		if (data)
			on_plugin_reply(j, data, json_object_get(m, "jsep"));
	}
}

static void on_message(const char *text, size_t len, void *arg)
{
	struct jpub *j = arg;
	json_t *m = json_loadb(text, len, 0, NULL);
	const char *kind = json_string_value(json_object_get(m, "janus"));
	const char *tx = json_string_value(json_object_get(m, "transaction"));

	if (!kind) {
		vp_log_warn("not a Janus message: dropped");
	} else if (tx && j->tx_wait[0] && !strcmp(tx, j->tx_wait)) {
		on_reply(j, kind, m);
	} else if (!strcmp(kind, "webrtcup")) {
		vp_simconf_log_event(j->log, j->room_s, j->o->id, "webrtcup",
				     -1, NULL);
	} else if (!strcmp(kind, "hangup") || !strcmp(kind, "timeout") ||
		   !strcmp(kind, "detached")) {
		if (j->st < J_LEAVING && j->paused) /* done sending: fine */
			jpub_sig_leave(j, "janus ended the session");
		else if (j->st < J_LEAVING)
			jpub_fail(j, 75, "janus ended the session");
	}
	json_decref(m);
}

static void on_connected(void *arg)
{
	struct jpub *j = arg;

	j->st = J_SESSION;
	jpub_sig_send(j, "create", NULL, NULL, true);
}

static void on_closed(int err, const char *reason, void *arg)
{
	struct jpub *j = arg;

	if (j->st < J_LEAVING && !j->rc) {
		j->rc = err == ETIMEDOUT || err == ECONNRESET ? 75 : 70;
		snprintf(j->why, sizeof(j->why), "websocket: %s",
			 reason ? reason : "closed");
	}
	j->st = J_DONE;
	jpub_media_stop(j);
	g_main_loop_quit(j->loop);
}

int jpub_sig_start(struct jpub *j)
{
	struct vp_sig_ws_cfg c = {
		.host = j->o->host,
		.port = j->o->port,
		.path = j->o->path,
		.subprotocol = "janus-protocol",
	};

	snprintf(j->room_s, sizeof(j->room_s), "%llu",
		 (unsigned long long)j->o->room);
	return vp_sig_ws_alloc(&j->ws, &c, on_connected, on_message, on_closed,
			       j);
}
