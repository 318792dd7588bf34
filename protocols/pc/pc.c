/* SPDX-License-Identifier: MIT */
/** @file pc.c  Glue: ICE datagrams -> RFC 7983 demux -> DTLS | SRTP, states. */
#include "protocols/pc/pc.h"
#include "protocols/dtls/dtls.h"
#include "protocols/ice/ice.h"
#include "protocols/pc/demux.h"
#include "protocols/pc/pc_priv.h"
#include "protocols/srtp/srtp_ctx.h"

#define VP_LOG_MODULE "pc"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>

#define MAX_PKT 1500

struct vp_pc {
	struct vp_ice *ice;
	struct vp_dtls *dtls;
	struct vp_srtp *srtp; /* NULL until SECURE: media dropped */
	struct vp_pc_cfg cfg;
	struct vp_pc_handlers h;
	void *arg;
	enum vp_pc_state state;
	bool remote_set, closed;
	GMainContext *ctx;
	GSource *deadline; /* connect timeout: gather -> SECURE */
	struct vp_pc_stats stats;
	struct vp_log_rl rl;
	uint8_t buf[MAX_PKT + VP_SRTP_MAX_TRAILER];
};

static const char *state_name(enum vp_pc_state st)
{
	static const char *const n[] = {"new",	  "checking", "connected",
					"secure", "failed",   "closed"};

	return (unsigned)st < 6 ? n[st] : "?";
}

static void set_state(struct vp_pc *pc, enum vp_pc_state st, const char *reason)
{
	/* terminal states stay; SECURE never goes back to CONNECTED */
	if (pc->state == st || pc->state == VP_PC_FAILED ||
	    pc->state == VP_PC_CLOSED || (pc->state > st && st != VP_PC_FAILED))
		return;
	pc->state = st;
	vp_log_info("state=%s%s%s srtp=%s", state_name(st),
		    reason ? " reason=" : "", reason ? reason : "",
		    vp_pc_srtp_profile(pc));
	pc->h.state(st, reason, pc->arg);
}

static void deadline_kill(struct vp_pc *pc)
{
	if (pc->deadline) {
		g_source_destroy(pc->deadline);
		g_source_unref(pc->deadline);
		pc->deadline = NULL;
	}
}

/* --- Runs on: net thread --- */

static void fail(struct vp_pc *pc, const char *reason)
{
	deadline_kill(pc);
	pc->srtp = vp_mem_deref(pc->srtp); /* no media after a failure */
	set_state(pc, VP_PC_FAILED, reason);
}

/* RFC 5764 §4.2: the client writes with the client key, reads server's */
static int srtp_from_dtls(struct vp_pc *pc)
{
	const struct vp_dtls_srtp_keys *k = vp_dtls_srtp_keys(pc->dtls);
	enum vp_srtp_profile prof;
	bool cl = pc->cfg.dtls_client;

	if (!k)
		return EPROTO;
	if (k->profile == VP_DTLS_SRTP_AEAD_AES_128_GCM)
		prof = VP_SRTP_AEAD_AES_128_GCM;
	else if (k->profile == VP_DTLS_SRTP_AES128_CM_SHA1_80)
		prof = VP_SRTP_AES128_CM_SHA1_80;
	else
		return EPROTO;
	return vp_srtp_alloc(&pc->srtp, prof,
			     cl ? k->client_key : k->server_key,
			     cl ? k->client_salt : k->server_salt,
			     cl ? k->server_key : k->client_key,
			     cl ? k->server_salt : k->client_salt);
}

static void on_dtls_state(enum vp_dtls_state st, const char *reason, void *arg)
{
	struct vp_pc *pc = arg;

	switch (st) {
	case VP_DTLS_CONNECTED:
		if (srtp_from_dtls(pc)) {
			fail(pc, "srtp setup failed");
			break;
		}
		deadline_kill(pc);
		/* the handshake is done: media can wait for the tick */
		if (pc->cfg.polled_rx && vp_ice_set_polled(pc->ice))
			vp_log_warn("polled reading refused: per packet");
		set_state(pc, VP_PC_SECURE, NULL);
		break;
	case VP_DTLS_FAILED:
		fail(pc, reason ? reason : "dtls failed");
		break;
	case VP_DTLS_CLOSED:
		pc->srtp = vp_mem_deref(pc->srtp);
		set_state(pc, VP_PC_CLOSED, reason ? reason : "dtls closed");
		break;
	default:
		break;
	}
}

static void on_dtls_send(const uint8_t *buf, size_t len, void *arg)
{
	struct vp_pc *pc = arg;

	/* before a pair is selected this fails; DTLS retransmits */
	if (vp_ice_send(pc->ice, buf, len))
		pc->stats.tx_fail++;
}

static void on_ice_state(enum vp_ice_state st, void *arg)
{
	struct vp_pc *pc = arg;

	switch (st) {
	case VP_ICE_CHECKING:
		set_state(pc, VP_PC_CHECKING, NULL);
		break;
	case VP_ICE_CONNECTED:
		set_state(pc, VP_PC_CONNECTED, NULL);
		/* the client speaks first (RFC 5763 §5) */
		if (pc->cfg.dtls_client &&
		    vp_dtls_state(pc->dtls) == VP_DTLS_NEW &&
		    vp_dtls_start(pc->dtls))
			fail(pc, "dtls start failed");
		break;
	case VP_ICE_FAILED:
		fail(pc, pc->state >= VP_PC_CONNECTED ? "consent lost"
						      : "ice failed");
		break;
	default:
		break;
	}
}

static void on_ice_cand(const char *cand, void *arg)
{
	struct vp_pc *pc = arg;

	pc->h.candidate(cand, pc->arg);
}

static void rx_media(struct vp_pc *pc, const uint8_t *b, size_t len, bool rtcp)
{
	size_t n = len;
	int err;

	if (!pc->srtp || len > MAX_PKT) {
		pc->stats.rx_drop++;
		return;
	}
	memcpy(pc->buf, b, len);
	err = rtcp ? vp_srtp_unprotect_rtcp(pc->srtp, pc->buf, &n)
		   : vp_srtp_unprotect(pc->srtp, pc->buf, &n);
	if (err == EBADMSG)
		pc->stats.srtp_auth_fail++;
	else if (err == EALREADY)
		pc->stats.srtp_replay++;
	else if (err)
		pc->stats.srtp_other_fail++;
	if (err) {
		vp_log_warn_every(
			&pc->rl, 10 * VP_SEC,
			"srtp drops auth=%llu replay=%llu other=%llu",
			(unsigned long long)pc->stats.srtp_auth_fail,
			(unsigned long long)pc->stats.srtp_replay,
			(unsigned long long)pc->stats.srtp_other_fail);
		return;
	}
	if (rtcp) {
		if (pc->h.rtcp)
			pc->h.rtcp(pc->buf, n, vp_clock_utc_ns(), pc->arg);
	} else {
		pc->h.rtp(pc->buf, n, vp_clock_utc_ns(), pc->arg);
	}
}

static void on_ice_recv(const uint8_t *b, size_t len, void *arg)
{
	struct vp_pc *pc = arg;

	if (pc->state == VP_PC_FAILED || pc->state == VP_PC_CLOSED) {
		pc->stats.rx_drop++;
		return;
	}
	switch (vp_pc_demux_classify(b, len)) {
	case VP_PC_DEMUX_DTLS:
		pc->stats.rx_dtls++;
		(void)vp_dtls_recv(pc->dtls, b, len); /* failures via state */
		break;
	case VP_PC_DEMUX_SRTP:
		pc->stats.rx_srtp++;
		rx_media(pc, b, len, false);
		break;
	case VP_PC_DEMUX_SRTCP:
		pc->stats.rx_srtcp++;
		rx_media(pc, b, len, true);
		break;
	default:
		pc->stats.rx_drop++;
		break;
	}
}

/* The operator's join timeout, not a library's: a peer slow to answer
 * checks or handshake on a saturated machine is waited for this long. */
static gboolean on_deadline(gpointer arg)
{
	struct vp_pc *pc = arg;
	char why[64];

	g_source_unref(pc->deadline);
	pc->deadline = NULL;
	snprintf(why, sizeof(why), "media connect timeout (%s after %.0f s)",
		 pc->state == VP_PC_CONNECTED ? "dtls" : "ice",
		 (double)pc->cfg.connect_timeout_ns / VP_SEC);
	fail(pc, why);
	return G_SOURCE_REMOVE;
}

/* --- Runs on: the caller's thread (the same net thread) --- */

static void pc_destroy(void *arg)
{
	struct vp_pc *pc = arg;

	vp_pc_close(pc);
	deadline_kill(pc);
	pc->srtp = vp_mem_deref(pc->srtp);
	pc->dtls = vp_mem_deref(pc->dtls);
	pc->ice = vp_mem_deref(pc->ice);
}

int vp_pc_alloc(struct vp_pc **pcp, GMainContext *ctx,
		const struct vp_pc_cfg *cfg, const struct vp_pc_handlers *h,
		void *arg)
{
	struct vp_ice_cfg icfg;
	struct vp_pc *pc;
	int err;

	if (!pcp || !cfg || !h || !h->rtp || !h->state || !h->candidate)
		return EINVAL;
	err = vp_srtp_init();
	if (err)
		return err;
	pc = vp_mem_zalloc(sizeof(*pc), pc_destroy);
	if (!pc)
		return ENOMEM;
	pc->cfg = *cfg;
	pc->cfg.local_addrs = NULL; /* not kept: the caller's memory */
	if (!pc->cfg.connect_timeout_ns)
		pc->cfg.connect_timeout_ns = VP_PC_CONNECT_TIMEOUT_NS;
	pc->ctx = ctx;
	pc->h = *h;
	pc->arg = arg;
	icfg = (struct vp_ice_cfg){
		.controlling = cfg->controlling,
		.local_addrs = cfg->local_addrs,
		.nlocal_addrs = cfg->nlocal_addrs,
		.port_min = cfg->port_min,
		.port_max = cfg->port_max,
		.polled = cfg->polled_rx,
		.connect_timeout_ms =
			(unsigned)(pc->cfg.connect_timeout_ns / VP_MSEC)};
	err = vp_dtls_alloc(&pc->dtls, ctx, cfg->dtls_client, on_dtls_send,
			    on_dtls_state, pc);
	if (err)
		goto out;
	err = vp_ice_alloc(&pc->ice, ctx, &icfg, on_ice_recv, on_ice_state,
			   on_ice_cand, pc);
out:
	if (err)
		vp_mem_deref(pc);
	else
		*pcp = pc;
	return err;
}

int vp_pc_local_ice(const struct vp_pc *pc, const char **ufrag,
		    const char **pwd)
{
	if (!pc)
		return EINVAL;
	return vp_ice_local_credentials(pc->ice, ufrag, pwd);
}

const char *vp_pc_local_fingerprint(const struct vp_pc *pc)
{
	(void)pc; /* one certificate per process */
	return vp_dtls_local_fingerprint();
}

int vp_pc_gather(struct vp_pc *pc)
{
	int err;

	if (!pc)
		return EINVAL;
	err = vp_ice_gather(pc->ice);
	if (err || pc->deadline || pc->state >= VP_PC_SECURE)
		return err;
	pc->deadline = g_timeout_source_new(
		(guint)(pc->cfg.connect_timeout_ns / VP_MSEC));
	g_source_set_callback(pc->deadline, on_deadline, pc, NULL);
	g_source_attach(pc->deadline, pc->ctx);
	return 0;
}

unsigned vp_pc_local_candidates(const struct vp_pc *pc, char out[][256],
				unsigned max)
{
	return pc ? vp_ice_local_candidates(pc->ice, out, max) : 0;
}

int vp_pc_set_remote(struct vp_pc *pc, const char *ufrag, const char *pwd,
		     const char *fp_alg, const char *fp)
{
	int err;

	if (!pc || !ufrag || !pwd || !fp_alg || !fp ||
	    pc->state >= VP_PC_FAILED)
		return EINVAL;
	if (pc->remote_set)
		return EALREADY;
	err = vp_dtls_set_remote_fingerprint(pc->dtls, fp_alg, fp);
	if (err)
		return err;
	err = vp_ice_set_remote_credentials(pc->ice, ufrag, pwd);
	if (err)
		return err;
	pc->remote_set = true;
	/* a server must be listening before the peer's ICE finishes first */
	if (!pc->cfg.dtls_client)
		err = vp_dtls_start(pc->dtls);
	return err;
}

int vp_pc_add_remote_candidate(struct vp_pc *pc, const char *cand)
{
	return pc ? vp_ice_add_remote_candidate(pc->ice, cand) : EINVAL;
}

int vp_pc_remote_candidates_done(struct vp_pc *pc)
{
	return pc ? vp_ice_remote_candidates_done(pc->ice) : EINVAL;
}

static int send_media(struct vp_pc *pc, const uint8_t *pkt, size_t len,
		      bool rtcp)
{
	size_t n = len;
	int err;

	if (!pc || !pkt || len < (rtcp ? 8u : 12u) || len > MAX_PKT)
		return EINVAL;
	if (pc->state != VP_PC_SECURE || !pc->srtp)
		return EAGAIN;
	memcpy(pc->buf, pkt, len);
	err = rtcp ? vp_srtp_protect_rtcp(pc->srtp, pc->buf, &n,
					  sizeof(pc->buf))
		   : vp_srtp_protect(pc->srtp, pc->buf, &n, sizeof(pc->buf));
	if (!err)
		err = vp_ice_send(pc->ice, pc->buf, n);
	if (err)
		pc->stats.tx_fail++;
	else if (rtcp)
		pc->stats.tx_srtcp++;
	else
		pc->stats.tx_srtp++;
	return err;
}

int vp_pc_send_rtp(struct vp_pc *pc, const uint8_t *pkt, size_t len)
{
	return send_media(pc, pkt, len, false);
}

int vp_pc_send_rtcp(struct vp_pc *pc, const uint8_t *pkt, size_t len)
{
	return send_media(pc, pkt, len, true);
}

unsigned vp_pc_poll(struct vp_pc *pc)
{
	return pc && !pc->closed ? vp_ice_poll(pc->ice) : 0;
}

const struct vp_pc_stats *vp_pc_stats(const struct vp_pc *pc)
{
	return pc ? &pc->stats : NULL;
}

void vp_pc_rx_stats(const struct vp_pc *pc, struct vp_ice_rx_stats *st)
{
	vp_ice_rx_stats(pc ? pc->ice : NULL, st);
}

const char *vp_pc_srtp_profile(const struct vp_pc *pc)
{
	const struct vp_dtls_srtp_keys *k;

	k = pc && pc->srtp ? vp_dtls_srtp_keys(pc->dtls) : NULL;
	return k ? k->profile_name : "none";
}

enum vp_pc_state vp_pc_state(const struct vp_pc *pc)
{
	return pc ? pc->state : VP_PC_NEW;
}

void vp_pc_close(struct vp_pc *pc)
{
	if (!pc || pc->closed)
		return;
	pc->closed = true;
	deadline_kill(pc);
	vp_dtls_close(pc->dtls); /* close_notify still goes out via ICE */
	vp_ice_close(pc->ice);
	if (pc->srtp && vp_srtp_stats(pc->srtp)->ssrc_evicted)
		vp_log_warn("srtp forgot %llu SSRCs (over %d)",
			    (unsigned long long)vp_srtp_stats(pc->srtp)
				    ->ssrc_evicted,
			    VP_SRTP_MAX_SSRC);
	pc->srtp = vp_mem_deref(pc->srtp);
	if (pc->state != VP_PC_FAILED)
		pc->state = VP_PC_CLOSED;
	vp_log_info("closed rx_srtp=%llu auth_fail=%llu replay=%llu",
		    (unsigned long long)pc->stats.rx_srtp,
		    (unsigned long long)pc->stats.srtp_auth_fail,
		    (unsigned long long)pc->stats.srtp_replay);
}

struct vp_ice *vp_pc__ice(const struct vp_pc *pc)
{
	return pc->ice;
}

struct vp_srtp *vp_pc__srtp(const struct vp_pc *pc)
{
	return pc->srtp;
}
