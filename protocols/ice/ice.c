/* SPDX-License-Identifier: MIT */
/** @file ice.c  libnice adapter: agent setup, candidates, state, datagrams. */
#include "protocols/ice/ice.h"
#include "protocols/ice/ice_priv.h"

#define VP_LOG_MODULE "ice"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>

#define COMPONENT VP_ICE_COMPONENT

void vp_ice__set_state(struct vp_ice *ice, enum vp_ice_state st)
{
	if (ice->state == st || ice->closed)
		return;
	ice->state = st;
	vp_log_info("state=%s", st == VP_ICE_CHECKING	 ? "checking"
				: st == VP_ICE_CONNECTED ? "connected"
				: st == VP_ICE_FAILED	 ? "failed"
							 : "other");
	ice->stateh(st, ice->arg);
}

/* --- Runs on: net thread (libnice signals on the agent's context) --- */

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len,
		    gchar *buf, gpointer arg)
{
	struct vp_ice *ice = arg;

	(void)agent, (void)stream, (void)comp;
	if (!ice->closed && len) {
		ice->nread++;
		ice->recvh((const uint8_t *)buf, len, ice->arg);
	}
}

/*
 * libnice runs its check timer every 20 ms until "idle-timeout" has passed
 * with nothing to check (patience() stretched it to the connect timeout).
 * Once polled (secure) and nominated, no failure can come of the wait
 * (libnice fails only a component without a nominated pair): its default
 * lets the timer stop within seconds instead of a minute.
 */
static void settle(struct vp_ice *ice)
{
	if (ice->polled && ice->nominated && !ice->settled && !ice->closed) {
		g_object_set(ice->agent, "idle-timeout", 5000u, NULL);
		ice->settled = true;
	}
}

/* The one place libnice component states become ours. */
static void on_comp_state(NiceAgent *agent, guint stream, guint comp, guint st,
			  gpointer arg)
{
	struct vp_ice *ice = arg;

	(void)agent, (void)stream, (void)comp;
	switch (st) {
	case NICE_COMPONENT_STATE_CONNECTING:
		if (ice->state == VP_ICE_NEW)
			vp_ice__set_state(ice, VP_ICE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
		vp_ice__set_state(ice, VP_ICE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_READY:
		ice->nominated = true;
		vp_ice__set_state(ice, VP_ICE_CONNECTED);
		settle(ice);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		/* also what keepalive-conncheck reports on lost consent */
		vp_ice__set_state(ice, VP_ICE_FAILED);
		break;
	default:
		break;
	}
}

/* libnice writes "a=candidate:…"; SDP users and trickle want the value */
static const char *attr_value(const char *sdp)
{
	return g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;
}

static void on_new_cand(NiceAgent *agent, NiceCandidate *c, gpointer arg)
{
	struct vp_ice *ice = arg;
	gchar *sdp;

	if (ice->closed || c->component_id != COMPONENT)
		return;
	sdp = nice_agent_generate_local_candidate_sdp(agent, c);
	if (sdp) {
		vp_log_debug("local %s", attr_value(sdp));
		ice->candh(attr_value(sdp), ice->arg);
	}
	g_free(sdp);
}

static void on_pair(NiceAgent *agent, guint stream, guint comp,
		    NiceCandidate *l, NiceCandidate *r, gpointer arg)
{
	(void)agent, (void)stream, (void)comp, (void)l, (void)r;
	vp_ice__rx_pair_changed(arg);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer arg)
{
	struct vp_ice *ice = arg;

	(void)agent, (void)stream;
	ice->gathering = false;
	if (!ice->closed)
		ice->candh(NULL, ice->arg);
}

static GMainContext *io_ctx(struct vp_ice *ice)
{
	if (!ice->io_ctx)
		ice->io_ctx = g_main_context_new();
	return ice->io_ctx;
}

/* The sockets go to io_ctx with no callback: on the caller's context a
 * readable socket nobody reads would wake it again and again until the
 * agent is gone. */
static void detach(struct vp_ice *ice)
{
	if (!ice->agent)
		return;
	g_signal_handlers_disconnect_by_data(ice->agent, ice);
	if (ice->stream)
		nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT,
				       io_ctx(ice), NULL, NULL);
}

static void ice_destroy(void *arg)
{
	struct vp_ice *ice = arg;

	detach(ice);
	vp_ice__rx_release(ice);
	if (ice->agent) {
		/* libuv's close rule: libnice finishes asynchronously */
		nice_agent_close_async(ice->agent, NULL, NULL);
		g_object_unref(ice->agent);
	}
	if (ice->io_ctx)
		g_main_context_unref(ice->io_ctx);
	vp_mem_deref(ice->ufrag);
	vp_mem_deref(ice->pwd);
	vp_mem_deref(ice->rufrag);
	vp_mem_deref(ice->rpwd);
	vp_mem_deref(ice->rx.stun);
}

static int add_local_addrs(struct vp_ice *ice, const struct vp_ice_cfg *cfg)
{
	unsigned i;

	for (i = 0; i < cfg->nlocal_addrs; i++) {
		NiceAddress a;

		nice_address_init(&a);
		if (!cfg->local_addrs[i] ||
		    !nice_address_set_from_string(&a, cfg->local_addrs[i]))
			return EINVAL;
		if (!nice_agent_add_local_address(ice->agent, &a))
			return EPROTO;
	}
	return 0;
}

static int credentials(struct vp_ice *ice)
{
	gchar *u = NULL, *p = NULL;
	int err = 0;

	if (!nice_agent_get_local_credentials(ice->agent, ice->stream, &u, &p))
		return EPROTO;
	ice->ufrag = vp_mem_strdup(u);
	ice->pwd = vp_mem_strdup(p);
	if (!ice->ufrag || !ice->pwd)
		err = ENOMEM;
	g_free(u);
	g_free(p);
	return err;
}

/*
 * libnice declares a component failed when every pair's check has timed
 * out (RFC 8445 §14.3: RTO 500 ms doubling, "stun-max-retransmissions"
 * sends, default 3: about 2 s) and then "idle-timeout" (5 s) has passed.
 * On a saturated machine the peer answers later than that, so stretch
 * both to cover the caller's connect timeout: retransmissions until the
 * doubling interval reaches it, and the idle grace up to libnice's 60 s
 * maximum. The caller's own timer still decides when to give up.
 */
static void patience(NiceAgent *agent, unsigned timeout_ms)
{
	unsigned rc = 3, rto = 500;

	if (!timeout_ms)
		return;
	while (rto < timeout_ms && rc < 10) {
		rto *= 2;
		rc++;
	}
	g_object_set(agent, "stun-max-retransmissions", rc, "idle-timeout",
		     timeout_ms < 50	  ? 50
		     : timeout_ms > 60000 ? 60000
					  : timeout_ms,
		     NULL);
}

static int agent_setup(struct vp_ice *ice, const struct vp_ice_cfg *cfg)
{
	int err;

	/* RFC 8445 full ICE; trickle so end-of-candidates decides failure */
	ice->agent = nice_agent_new_full(ice->ctx, NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_ICE_TRICKLE);
	if (!ice->agent)
		return ENOMEM;
	/* RFC 7675 consent: libnice's, unless ours will run (polled); it
	 * arms its consent timer with the first check after selection, so
	 * it must stay off from the start */
	ice->controlling = cfg->controlling;
	ice->own_consent = cfg->polled;
	g_object_set(ice->agent, "controlling-mode", cfg->controlling,
		     "keepalive-conncheck", !cfg->polled, "ice-tcp", FALSE,
		     "upnp", FALSE, NULL);
	patience(ice->agent, cfg->connect_timeout_ms);
	err = add_local_addrs(ice, cfg);
	if (err)
		return err;
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (!ice->stream)
		return EPROTO;
	nice_agent_set_stream_name(ice->agent, ice->stream, "audio");
	if (cfg->port_min || cfg->port_max)
		nice_agent_set_port_range(ice->agent, ice->stream, COMPONENT,
					  cfg->port_min, cfg->port_max);
	g_signal_connect(ice->agent, "component-state-changed",
			 G_CALLBACK(on_comp_state), ice);
	g_signal_connect(ice->agent, "new-candidate-full",
			 G_CALLBACK(on_new_cand), ice);
	g_signal_connect(ice->agent, "candidate-gathering-done",
			 G_CALLBACK(on_gathering_done), ice);
	g_signal_connect(ice->agent, "new-selected-pair-full",
			 G_CALLBACK(on_pair), ice);
	if (!nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT,
				    ice->ctx, on_recv, ice))
		return EPROTO;
	return credentials(ice);
}

int vp_ice_alloc(struct vp_ice **ip, GMainContext *ctx,
		 const struct vp_ice_cfg *cfg, vp_ice_recv_h *recvh,
		 vp_ice_state_h *stateh, vp_ice_cand_h *candh, void *arg)
{
	struct vp_ice *ice;
	int err;

	if (!ip || !cfg || !recvh || !stateh || !candh ||
	    (cfg->nlocal_addrs && !cfg->local_addrs) ||
	    (cfg->port_max && cfg->port_min > cfg->port_max))
		return EINVAL;
	ice = vp_mem_zalloc(sizeof(*ice), ice_destroy);
	if (!ice)
		return ENOMEM;
	ice->ctx = ctx ? ctx : g_main_context_default();
	ice->recvh = recvh;
	ice->stateh = stateh;
	ice->candh = candh;
	ice->arg = arg;
	err = agent_setup(ice, cfg);
	if (err)
		vp_mem_deref(ice);
	else
		*ip = ice;
	return err;
}

int vp_ice_local_credentials(const struct vp_ice *ice, const char **ufrag,
			     const char **pwd)
{
	if (!ice || !ufrag || !pwd)
		return EINVAL;
	*ufrag = ice->ufrag;
	*pwd = ice->pwd;
	return 0;
}

int vp_ice_gather(struct vp_ice *ice)
{
	if (!ice || ice->closed)
		return EINVAL;
	/* host-only gathering may finish inside nice_agent_gather_candidates */
	if (ice->gather_started)
		return EALREADY;
	ice->gathering = ice->gather_started = true;
	if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
		ice->gathering = false;
		return EPROTO;
	}
	return 0;
}

unsigned vp_ice_local_candidates(const struct vp_ice *ice, char out[][256],
				 unsigned max)
{
	GSList *l, *it;
	unsigned n = 0;

	if (!ice || !out)
		return 0;
	l = nice_agent_get_local_candidates(ice->agent, ice->stream, COMPONENT);
	for (it = l; it && n < max; it = it->next) {
		gchar *sdp = nice_agent_generate_local_candidate_sdp(ice->agent,
								     it->data);

		if (sdp && strlen(attr_value(sdp)) < 256)
			g_strlcpy(out[n++], attr_value(sdp), 256);
		g_free(sdp);
	}
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	return n;
}

int vp_ice_set_remote_credentials(struct vp_ice *ice, const char *ufrag,
				  const char *pwd)
{
	if (!ice || !ufrag || !pwd || ice->closed)
		return EINVAL;
	if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag,
					       pwd))
		return EPROTO;
	/* kept for our own consent checks and answers (ice_rx.c) */
	vp_mem_deref(ice->rufrag);
	vp_mem_deref(ice->rpwd);
	ice->rufrag = vp_mem_strdup(ufrag);
	ice->rpwd = vp_mem_strdup(pwd);
	return ice->rufrag && ice->rpwd ? 0 : ENOMEM;
}

int vp_ice_add_remote_candidate(struct vp_ice *ice, const char *cand)
{
	NiceCandidate *c;
	GSList one = {0};
	gchar *line;
	int n;

	if (!ice || !cand || ice->closed)
		return EINVAL;
	/* libnice parses the whole attribute line: RFC 8839 §5.1 grammar */
	line = g_str_has_prefix(cand, "a=") ? g_strdup(cand)
					    : g_strconcat("a=", cand, NULL);
	c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream,
						  line);
	g_free(line);
	if (!c)
		return EBADMSG;
	if (c->component_id != COMPONENT ||
	    c->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
		nice_candidate_free(c); /* rtcp-mux and UDP only */
		return 0;
	}
	one.data = c;
	n = nice_agent_set_remote_candidates(ice->agent, ice->stream, COMPONENT,
					     &one);
	nice_candidate_free(c);
	return n == 1 ? 0 : EPROTO;
}

int vp_ice_remote_candidates_done(struct vp_ice *ice)
{
	if (!ice || ice->closed)
		return EINVAL;
	return nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream)
		       ? 0
		       : EPROTO;
}

int vp_ice_set_polled(struct vp_ice *ice)
{
	if (!ice || ice->closed)
		return EINVAL;
	if (ice->polled)
		return 0;
	if (!nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT,
				    io_ctx(ice), on_recv, ice))
		return EPROTO;
	ice->polled = true;
	settle(ice);
	/* without cfg.polled libnice's consent runs: its answers must reach
	 * it, so libnice reads (at each poll) */
	if (ice->own_consent && vp_ice__rx_take(ice)) {
		vp_log_warn("selected socket not taken: libnice reads");
		g_object_set(ice->agent, "keepalive-conncheck", TRUE, NULL);
		ice->own_consent = false;
	}
	return 0;
}

/* --- Runs on: net thread (per tick) --- */
unsigned vp_ice_poll(struct vp_ice *ice)
{
	unsigned n;

	/* not from inside itself (a handler that polls): libnice reads are
	 * not re-entrant */
	if (!ice || !ice->polled || ice->closed || ice->in_poll)
		return 0;
	ice->in_poll = true;
	ice->nread = 0;
	if (ice->rx.sock)
		vp_ice__rx_poll(ice);
	else /* one iteration reads every readable socket until it would
	      * block; what comes meanwhile waits for the next tick */
		(void)g_main_context_iteration(ice->io_ctx, FALSE);
	n = ice->nread;
	ice->in_poll = false;
	return n;
}

/* --- Runs on: net thread (per packet) --- */
int vp_ice_send(struct vp_ice *ice, const uint8_t *buf, size_t len)
{
	gint n;

	if (!ice || !buf || !len || len > G_MAXUINT || ice->closed)
		return EINVAL;
	/* no state gate: a peer's check may select a pair before we see it */
	n = nice_agent_send(ice->agent, ice->stream, COMPONENT, (guint)len,
			    (const gchar *)buf);
	return n == (gint)len ? 0 : EAGAIN;
}

void vp_ice_rx_stats(const struct vp_ice *ice, struct vp_ice_rx_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!ice)
		return;
	*st = ice->rx.st;
	if (ice->rx.stun) {
		const struct vp_ice_stun_stats *ss = &ice->rx.stun->stats;

		st->stun_answered = ss->answered;
		st->consent_sent = ss->sent;
		st->consent_ok = ss->consent_ok;
		st->stun_ignored = ss->ignored;
		st->stun_bad = ss->bad;
		st->stun_rejected = ss->rejected;
	}
}

enum vp_ice_state vp_ice_state(const struct vp_ice *ice)
{
	return ice ? ice->state : VP_ICE_NEW;
}

void vp_ice_close(struct vp_ice *ice)
{
	if (!ice || ice->closed)
		return;
	/* sockets close at deref: removing the stream here could pull it
	 * from under a libnice callback that is calling us */
	detach(ice);
	ice->closed = true;
	ice->state = VP_ICE_CLOSED;
}
