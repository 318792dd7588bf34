/* SPDX-License-Identifier: MIT */
/** @file sig_cap.c  The Janus machine's test fixture (sig_cap.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocols/sig/invite.h"
#include "tests/harness/vtest.h"
#include "tests/unit/sig_cap.h"

static void cap_send(const char *json, size_t len, void *arg)
{
	struct cap *c = arg;

	if (c->nsent < 64)
		c->sent[c->nsent++] = strndup(json, len);
}

#define EV(...)                                                                \
	snprintf(c->ev + strlen(c->ev), sizeof(c->ev) - strlen(c->ev),         \
		 __VA_ARGS__)

static void h_joined(const struct vp_sig_joined *jn, void *arg)
{
	struct cap *c = arg;

	EV("joined %s as %s;", jn->room, jn->self_id);
}

static void h_pj(const char *id, const char *display, const char *ident,
		 bool consented, void *arg)
{
	struct cap *c = arg;

	c->npj++;
	EV("pj %s %s;", id, display ? display : "-");
}

static void h_rerr(const char *id, int err, void *arg)
{
	struct cap *c = arg;

	c->nrerr++;
	EV("rerr %s %d;", id ? id : "-", err);
}

static void h_pl(const char *id, void *arg)
{
	struct cap *c = arg;

	EV("pl %s;", id);
}

static void h_offer(const struct vp_sig_offer *o, void *arg)
{
	struct cap *c = arg;

	snprintf(c->last_offer, sizeof(c->last_offer), "%s", o->offer_id);
	c->last_nstreams = o->nstreams;
	EV("offer %s", o->offer_id);
	for (size_t i = 0; i < o->nstreams; i++)
		EV(" %s=%s:%d", o->streams[i].mid, o->streams[i].participant,
		   o->streams[i].active);
	EV(";");
}

static void h_ended(const char *reason, void *arg)
{
	struct cap *c = arg;

	EV("ended %s;", reason);
}

static void h_error(enum vp_sig_err_kind kind, const char *reason, void *arg)
{
	struct cap *c = arg;

	EV("error %s %s;", kind == VP_SIG_ERR_PERMANENT ? "P" : "T", reason);
}

const struct vp_sig_handler sigt_handler = {
	.joined = h_joined,
	.participant_joined = h_pj,
	.participant_left = h_pl,
	.roster_error = h_rerr,
	.offer = h_offer,
	.ended = h_ended,
	.error = h_error,
};

void cap_clear(struct cap *c)
{
	for (size_t i = 0; i < c->nsent; i++)
		free(c->sent[i]);
	c->nsent = 0;
	c->ev[0] = '\0';
}

/* A field of the n-th sent request, as text ("body.request" style path). */
const char *sent_field(struct cap *c, size_t n, const char *path)
{
	static char out[256];
	json_t *root, *v;
	char key[64];
	const char *p = path;

	if (n >= c->nsent)
		return "(none)";
	root = json_loads(c->sent[n], 0, NULL);
	v = root;
	while (v && *p) {
		size_t k = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)k, p);
		v = json_object_get(v, key);
		p += k + (p[k] == '.');
	}
	if (json_is_string(v))
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	else if (v) {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(out, sizeof(out), "%s", d);
		free(d);
	} else {
		snprintf(out, sizeof(out), "(missing)");
	}
	json_decref(root);
	return out;
}

int feed(struct vp_sig_janus *j, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vp_sig_janus_handle_msg(j, buf, strlen(buf));
}

struct vp_sig_janus *janus_new(struct cap *c, const char *url)
{
	struct vp_sig_janus *j = NULL;
	struct vp_invite inv;

	memset(c, 0, sizeof(*c));
	if (vp_invite_parse(&inv, url, NULL, 0) ||
	    vp_sig_janus_alloc(&j, &inv, "bot", &sigt_handler, c, cap_send, c))
		return NULL;
	return j;
}

/* create -> attach A -> attach B -> join A; returns with join-a sent */
void vr_setup(struct vp_sig_janus *j, struct cap *c)
{
	VT_EQ(0, vp_sig_janus_start(j));
	VT_STR_EQ("create", sent_field(c, 0, "janus"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":111}}",
		      sent_field(c, 0, "transaction")));
	VT_STR_EQ("janus.plugin.videoroom", sent_field(c, 1, "plugin"));
	VT_STR_EQ("111", sent_field(c, 1, "session_id"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":222}}",
		      sent_field(c, 1, "transaction")));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":333}}",
		      sent_field(c, 2, "transaction")));
	VT_STR_EQ("join", sent_field(c, 3, "body.request"));
	VT_STR_EQ("publisher", sent_field(c, 3, "body.ptype"));
	VT_STR_EQ("1234", sent_field(c, 3, "body.room")); /* an integer */
	VT_STR_EQ("222", sent_field(c, 3, "handle_id"));
}
