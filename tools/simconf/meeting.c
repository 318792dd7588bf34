/* SPDX-License-Identifier: MIT */
/**
 * @file meeting.c  One hosted meeting (SIM.md, server side). A session is
 * one attached bot: its `joined` is t = 0 of the scenario, so every event
 * and every audio sample has a fixed place on the bot's timeline whatever
 * the start-up delays. The shared 10 ms tick (ticker.h) fires scenario
 * events and produces the 20 ms frames that are due (catching up if the
 * loop stalled).
 */
#include "tools/simconf/meeting.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/pc/pc.h"
#include "protocols/sdp/sdp.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tools/simconf/sdp_offer.h"
#include "tools/simconf/sender.h"
#include "tools/simconf/ticker.h"

#define VP_LOG_MODULE "meeting"
#include "src/core/log.h"

#define SR_PERIOD (5 * VP_SEC) /* RFC 3550 §6.2 allows 5 s minimum */
#define FRAME_NS  (20 * VP_MSEC)

enum mstate { M_IDLE = 0, M_LOBBY, M_ACTIVE, M_HUNG, M_ENDED };

struct part_rt {
	const struct vp_simconf_part *def;
	struct vp_simconf_sender *snd; /* NULL: never speaks */
	bool joined, left, consent;
	uint32_t fired_c, fired_r; /* consent_at / revoke_at fired */
	int mid;		   /* -1: no m= line yet */
	bool in_offer, negotiated; /* active in the pending / answered offer */
};

struct vp_simconf_meeting {
	char id[64];
	const struct vp_simconf_mdef *def;
	struct vp_simconf_clip *const *const *clips;
	struct vp_simconf_log *log;
	char *dump_dir;
	char media_addr[64];
	GMainContext *ctx;
	enum mstate st;
	void *conn;
	const struct vp_simconf_conn_ops *ops;
	unsigned sessions;
	bool faults_used, drop_done, hang_done, garbage_done;
	GSource *lobby;
	struct vp_simconf_tick tick; /* in the shared ticker */
	uint64_t t0_mono, next_k;
	struct vp_pc *pc;
	enum vp_pc_state pcst;
	bool gathered, remote_set, pending, dirty;
	bool clock_held; /* "clock": "media" and the media is not up yet */
	unsigned offer_n, nmid;
	char offer_id[32];
	struct part_rt parts[VP_SIMCONF_MAX_PARTS];
};

static int64_t media_ns(const struct vp_simconf_meeting *m)
{
	return m->st == M_ACTIVE || m->st == M_HUNG
		       ? (int64_t)(vp_clock_mono_ns() - m->t0_mono)
		       : -1;
}

static void event(struct vp_simconf_meeting *m, const char *part,
		  const char *ev, json_t *extra)
{
	vp_simconf_log_event(m->log, m->id, part, ev, media_ns(m), extra);
}

/* Send a message to conn (stolen); never to a hung session's bot */
static void send_to(struct vp_simconf_meeting *m, void *conn,
		    const struct vp_simconf_conn_ops *ops, json_t *o)
{
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!t) {
		vp_log_warn("meeting=%s cannot encode a message", m->id);
		return;
	}
	if (ops->send(conn, t))
		vp_log_warn("meeting=%s cannot queue a message", m->id);
	free(t);
}

static void send_msg(struct vp_simconf_meeting *m, json_t *o)
{
	if (!m->conn || m->st == M_HUNG) {
		json_decref(o);
		return;
	}
	send_to(m, m->conn, m->ops, o);
}

static void source_kill(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static void session_end(struct vp_simconf_meeting *m, enum mstate next,
			const char *why)
{
	if (m->st == M_IDLE || m->st == M_ENDED)
		return;
	vp_simconf_ticker_remove(&m->tick);
	source_kill(&m->lobby);
	for (unsigned i = 0; i < m->def->nparts; i++)
		m->parts[i].snd = vp_mem_deref(m->parts[i].snd);
	if (m->pc) {
		vp_pc_close(m->pc);
		m->pc = vp_mem_deref(m->pc);
	}
	event(m, NULL, "session_end", json_pack("{s:s}", "reason", why));
	if (m->drop_done || m->hang_done || m->garbage_done)
		m->faults_used = true;
	m->st = next;
	vp_log_info("meeting=%s session ended: %s", m->id, why);
}

static void meeting_destroy(void *data)
{
	struct vp_simconf_meeting *m = data;

	session_end(m, M_ENDED, "simconf stopped");
	vp_mem_deref(m->dump_dir);
}

int vp_simconf_meeting_alloc(struct vp_simconf_meeting **mp,
			     const struct vp_simconf_meeting_cfg *cfg)
{
	struct vp_simconf_meeting *m;

	if (!mp || !cfg || !cfg->id || !cfg->def || !cfg->clips)
		return EINVAL;
	m = vp_mem_zalloc(sizeof(*m), meeting_destroy);
	if (!m)
		return ENOMEM;
	snprintf(m->id, sizeof(m->id), "%s", cfg->id);
	m->def = cfg->def;
	m->clips = cfg->clips;
	m->log = cfg->log;
	m->ctx = cfg->ctx;
	snprintf(m->media_addr, sizeof(m->media_addr), "%s",
		 cfg->media_addr ? cfg->media_addr : "127.0.0.1");
	if (cfg->dump_dir) {
		m->dump_dir = vp_mem_strdup(cfg->dump_dir);
		if (!m->dump_dir) {
			vp_mem_deref(m);
			return ENOMEM;
		}
	}
	*mp = m;
	return 0;
}

const char *vp_simconf_meeting_id(const struct vp_simconf_meeting *m)
{
	return m->id;
}

bool vp_simconf_meeting_done(const struct vp_simconf_meeting *m)
{
	return m->sessions && (m->st == M_IDLE || m->st == M_ENDED);
}

/* --- Offer / answer (RFC 8829 JSEP, we are always the offerer) --- */

/* Only loopback candidates: simconf never sends anywhere else */
static bool cand_loopback(const char *c)
{
	char addr[64] = "";

	if (sscanf(c, "%*s %*s %*s %*s %63s", addr) != 1)
		return false;
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1");
}

static void lie(char *fp)
{
	/* same length and format, different hash: RFC 8122 §5 mismatch */
	fp[0] = fp[0] == '0' ? '1' : '0';
}

static int offer_sdp(struct vp_simconf_meeting *m, char **sdp)
{
	struct vp_simconf_offer_media md[VP_SIMCONF_MAX_PARTS];
	char mids[VP_SIMCONF_MAX_PARTS][12], cand[16][256], fp[200];
	const char *cp[16], *ufrag, *pwd, *lfp = vp_pc_local_fingerprint(m->pc);
	unsigned nc = vp_pc_local_candidates(m->pc, cand, 16);
	struct vp_simconf_offer_params p = {
		.media = md, .nmedia = m->nmid, .cand = cp};

	if (!lfp || vp_pc_local_ice(m->pc, &ufrag, &pwd))
		return EPROTO;
	snprintf(fp, sizeof(fp), "%s", lfp);
	if (m->def->faults.lying_fingerprint)
		lie(fp);
	for (unsigned i = 0; i < nc; i++)
		if (cand_loopback(cand[i]))
			cp[p.ncand++] = cand[i];
	for (unsigned i = 0; i < m->def->nparts; i++) {
		struct part_rt *pr = &m->parts[i];

		if (pr->mid < 0)
			continue;
		snprintf(mids[pr->mid], sizeof(mids[0]), "%d", pr->mid);
		md[pr->mid] = (struct vp_simconf_offer_media){
			mids[pr->mid], vp_simconf_sender_ssrc(pr->snd),
			pr->def->id, pr->joined && !pr->left};
		pr->in_offer = pr->joined && !pr->left;
	}
	p.sess_id =
		(m->t0_mono / 1000) & 0xFFFFFFFFFFull; /* stable per session */
	p.sess_version = m->offer_n;
	p.ext_audio_level = m->def->audio_level ? VP_SIMCONF_EXT_LEVEL : 0;
	p.ufrag = ufrag;
	p.pwd = pwd;
	p.fp_sha256 = fp;
	return vp_simconf_offer_build(sdp, &p);
}

static void streams(struct vp_simconf_meeting *m, json_t *arr)
{
	for (int mid = 0; mid < (int)m->nmid; mid++)
		for (unsigned i = 0; i < m->def->nparts; i++) {
			struct part_rt *pr = &m->parts[i];
			char s[12];

			if (pr->mid != mid)
				continue;
			snprintf(s, sizeof(s), "%d", mid);
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:b}", "mid", s,
					       "participant", pr->def->id,
					       "active", pr->in_offer));
		}
}

static void maybe_offer(struct vp_simconf_meeting *m)
{
	json_t *o, *arr;
	char *sdp = NULL;
	int err;

	if (m->st != M_ACTIVE || !m->gathered || m->pending || !m->dirty ||
	    !m->nmid)
		return;
	m->offer_n++;
	err = offer_sdp(m, &sdp);
	if (err) {
		vp_log_err("meeting=%s cannot build the offer (%d)", m->id,
			   err);
		return;
	}
	snprintf(m->offer_id, sizeof(m->offer_id), "o%u", m->offer_n);
	arr = json_array();
	streams(m, arr);
	o = json_pack("{s:s, s:s, s:s, s:o}", "type", "offer", "offer_id",
		      m->offer_id, "sdp", sdp, "streams", arr);
	event(m, NULL, "offer",
	      json_pack("{s:s, s:i, s:b}", "offer_id", m->offer_id, "mlines",
			(int)m->nmid, "lying_fingerprint",
			m->def->faults.lying_fingerprint));
	send_msg(m, o);
	vp_mem_deref(sdp);
	m->pending = true;
	m->dirty = false;
}

/* The first answer fixes the transport; later ones only confirm mids */
static int set_remote(struct vp_simconf_meeting *m,
		      const struct vp_sdp_session *s)
{
	const struct vp_sdp_media *md = NULL;
	int err;

	for (unsigned i = 0; i < s->nmedia && !md; i++)
		if (!s->media[i].rejected && s->media[i].ufrag[0] &&
		    s->media[i].fp[0])
			md = &s->media[i];
	if (!md)
		return EBADMSG;
	err = vp_pc_set_remote(m->pc, md->ufrag, md->pwd, md->fp_alg, md->fp);
	for (unsigned i = 0; i < s->nmedia && !err; i++)
		for (unsigned c = 0; c < s->media[i].ncand; c++)
			if (cand_loopback(s->media[i].cand[c]) &&
			    vp_pc_add_remote_candidate(m->pc,
						       s->media[i].cand[c]))
				vp_log_debug("meeting=%s candidate refused",
					     m->id);
	if (!err)
		err = vp_pc_remote_candidates_done(m->pc);
	return err;
}

static void on_answer(struct vp_simconf_meeting *m, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "offer_id"));
	const char *sdp = json_string_value(json_object_get(msg, "sdp"));
	struct vp_sdp_session *s = NULL;
	int err;

	if (!m->pending || !id || strcmp(id, m->offer_id) || !sdp) {
		event(m, NULL, "answer_ignored", NULL);
		return;
	}
	err = vp_sdp_parse(&s, sdp, strlen(sdp));
	if (!err && !m->remote_set) {
		err = set_remote(m, s);
		m->remote_set = !err;
	}
	vp_mem_deref(s);
	event(m, NULL, "answer",
	      json_pack("{s:s, s:b}", "offer_id", id, "ok", !err));
	if (err) {
		vp_log_warn("meeting=%s bad answer (%d)", m->id, err);
		return;
	}
	m->pending = false;
	for (unsigned i = 0; i < m->def->nparts; i++)
		m->parts[i].negotiated = m->parts[i].in_offer;
	maybe_offer(m);
}

/* --- Runs on: net thread (pc handlers) --- */

static void pc_rtp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	(void)pkt, (void)len, (void)t, (void)arg; /* a recvonly bot: none */
}

static void pc_state(enum vp_pc_state st, const char *reason, void *arg)
{
	static const char *const names[] = {"new",    "checking", "connected",
					    "secure", "failed",	  "closed"};
	struct vp_simconf_meeting *m = arg;

	m->pcst = st;
	event(m, NULL, "media_state",
	      json_pack("{s:s, s:s?}", "state",
			st <= VP_PC_CLOSED ? names[st] : "?", "reason",
			reason));
	if (st == VP_PC_SECURE && m->clock_held) {
		/* "clock": "media": the scenario starts now, whenever the
		 * bot's media came up (a loaded machine is slow, not wrong) */
		m->clock_held = false;
		m->t0_mono = vp_clock_mono_ns();
		m->next_k = 0;
		event(m, NULL, "clock_start", NULL);
	}
}

static void pc_candidate(const char *cand, void *arg)
{
	struct vp_simconf_meeting *m = arg;

	if (cand)
		return; /* non-trickle: all of them go in the offer */
	m->gathered = true;
	maybe_offer(m);
}

static int pc_start(struct vp_simconf_meeting *m)
{
	const char *lo[] = {m->media_addr};
	struct vp_pc_cfg cfg = {
		.controlling = true,  /* RFC 8445 §6.1.1: the offerer */
		.dtls_client = false, /* actpass offered, the bot is active */
		.local_addrs = lo,
		.nlocal_addrs = 1,
	};
	struct vp_pc_handlers h = {
		.rtp = pc_rtp, .state = pc_state, .candidate = pc_candidate};
	int err = vp_pc_alloc(&m->pc, m->ctx, &cfg, &h, m);

	if (!err)
		err = vp_pc_gather(m->pc);
	return err;
}

/* --- Scenario events --- */

static json_t *part_json(const struct part_rt *pr)
{
	return json_pack("{s:s, s:s, s:s?, s:b}", "id", pr->def->id, "display",
			 pr->def->display, "identity", pr->def->identity,
			 "consent", pr->consent);
}

static void part_join(struct vp_simconf_meeting *m, struct part_rt *pr,
		      bool roster)
{
	pr->joined = true;
	if (pr->snd && pr->mid < 0) {
		pr->mid = (int)m->nmid++;
		m->dirty = true;
	}
	event(m, pr->def->id, "participant_joined",
	      json_pack("{s:b, s:b, s:I}", "roster", roster, "consent",
			pr->consent, "ssrc",
			(json_int_t)(pr->snd ? vp_simconf_sender_ssrc(pr->snd)
					     : 0)));
	if (!roster)
		send_msg(m,
			 json_pack("{s:s, s:o}", "type", "participant_joined",
				   "participant", part_json(pr)));
}

static void part_consent(struct vp_simconf_meeting *m, struct part_rt *pr,
			 bool granted)
{
	pr->consent = granted;
	event(m, pr->def->id, granted ? "consent" : "revoke", NULL);
	send_msg(m, json_pack("{s:s, s:s, s:b}", "type", "consent", "id",
			      pr->def->id, "granted", granted));
}

static void part_events(struct vp_simconf_meeting *m, struct part_rt *pr,
			double t)
{
	const struct vp_simconf_part *d = pr->def;

	if (!pr->joined && t >= d->join_at)
		part_join(m, pr, false);
	if (!pr->joined || pr->left)
		return;
	for (unsigned i = 0; i < d->nconsent_at; i++)
		if (!(pr->fired_c & 1u << i) && t >= d->consent_at[i]) {
			pr->fired_c |= 1u << i;
			part_consent(m, pr, true);
		}
	for (unsigned i = 0; i < d->nrevoke_at; i++)
		if (!(pr->fired_r & 1u << i) && t >= d->revoke_at[i]) {
			pr->fired_r |= 1u << i;
			part_consent(m, pr, false);
		}
	if (d->leave_at >= 0 && t >= d->leave_at) {
		pr->left = true;
		if (pr->mid >= 0)
			m->dirty = true; /* re-offer with a=inactive */
		event(m, d->id, "participant_left", NULL);
		send_msg(m, json_pack("{s:s, s:s}", "type", "participant_left",
				      "id", d->id));
	}
}

static bool due(double at, double t, bool *done)
{
	if (at < 0 || *done || t < at)
		return false;
	*done = true;
	return true;
}

/* @return false if the session ended */
static bool faults(struct vp_simconf_meeting *m, double t)
{
	const struct vp_simconf_faults *f = &m->def->faults;

	if (m->faults_used)
		return true;
	if (due(f->garbage_at, t, &m->garbage_done)) {
		event(m, NULL, "fault", json_pack("{s:s}", "what", "garbage"));
		if (m->conn)
			m->ops->send(m->conn, "this is not JSON {{{");
	}
	if (due(f->hang_at, t, &m->hang_done)) {
		event(m, NULL, "fault", json_pack("{s:s}", "what", "hang"));
		m->st = M_HUNG; /* keeps the tick for the log, sends nothing */
		if (m->conn && m->ops->freeze)
			m->ops->freeze(m->conn);
	}
	if (due(f->signaling_drop_at, t, &m->drop_done)) {
		void *conn = m->conn;

		event(m, NULL, "fault",
		      json_pack("{s:s}", "what", "signaling_drop"));
		m->conn = NULL;
		if (conn)
			m->ops->drop(conn);
		session_end(m, M_IDLE, "signaling dropped (fault)");
		return false;
	}
	return true;
}

static void end_meeting(struct vp_simconf_meeting *m, const char *reason,
			const char *why)
{
	void *conn = m->conn;

	send_msg(m, json_pack("{s:s, s:s}", "type", "ended", "reason", reason));
	event(m, NULL, "meeting_ended", json_pack("{s:s}", "reason", reason));
	m->conn = NULL;
	if (conn)
		m->ops->close(conn);
	session_end(m, M_ENDED, why);
}

static void scenario_events(struct vp_simconf_meeting *m, double t)
{
	for (unsigned i = 0; i < m->def->nparts; i++)
		part_events(m, &m->parts[i], t);
	if (!faults(m, t) || m->st != M_ACTIVE)
		return;
	if (m->def->end_at >= 0 && t >= m->def->end_at) {
		end_meeting(m, "ended by the host", "end_at reached");
		return;
	}
	maybe_offer(m);
}

static void media(struct vp_simconf_meeting *m, uint64_t now)
{
	bool secure = m->pcst == VP_PC_SECURE && m->st == M_ACTIVE;

	while (m->t0_mono + (m->next_k + 1) * FRAME_NS <= now) {
		for (unsigned i = 0; i < m->def->nparts; i++) {
			struct part_rt *pr = &m->parts[i];
			enum vp_simconf_fate f = VP_SIMCONF_SENT;

			if (!pr->snd)
				continue;
			if (m->st == M_HUNG)
				f = VP_SIMCONF_HUNG;
			else if (!secure || !pr->negotiated)
				f = VP_SIMCONF_NOT_CONNECTED;
			vp_simconf_sender_frame(pr->snd, m->next_k, f, now);
		}
		m->next_k++;
	}
	for (unsigned i = 0; i < m->def->nparts && secure; i++)
		if (m->parts[i].snd)
			vp_simconf_sender_flush(m->parts[i].snd, now);
	/* each stream's first SR goes with its first packets, then 5 s */
	for (unsigned i = 0; i < m->def->nparts && secure; i++)
		if (m->parts[i].snd)
			vp_simconf_sender_sr(m->parts[i].snd, now, SR_PERIOD,
					     vp_clock_utc_ns(),
					     (now - m->t0_mono) *
						     VP_SIMCONF_RATE / VP_SEC);
}

static void on_tick(void *arg)
{
	struct vp_simconf_meeting *m = arg;
	uint64_t now = vp_clock_mono_ns();

	if (m->clock_held && m->st == M_ACTIVE) {
		/* the clock waits for the media; the meeting still ends */
		if (m->def->end_at >= 0 &&
		    now - m->t0_mono >
			    (uint64_t)(m->def->end_at * 4 + 60) * VP_SEC)
			end_meeting(m, "ended by the host",
				    "media never came up");
		return;
	}
	if (m->st == M_ACTIVE)
		scenario_events(m, (double)(now - m->t0_mono) / VP_SEC);
	if (m->st == M_ACTIVE || m->st == M_HUNG)
		media(m, now);
}

/* --- Sessions --- */

static int send_rtp(const uint8_t *pkt, size_t len, bool rtcp, void *arg);

static int senders(struct vp_simconf_meeting *m)
{
	char dir[4096], path[4200];
	int err = 0;

	if (m->dump_dir) {
		snprintf(dir, sizeof(dir), "%s/%s", m->dump_dir, m->id);
		if (g_mkdir_with_parents(dir, 0755))
			vp_log_warn("cannot create %s", dir);
	}
	for (unsigned i = 0; i < m->def->nparts && !err; i++) {
		const struct vp_simconf_part *d = &m->def->parts[i];
		struct vp_simconf_sender_cfg sc = {
			m->id,	d,    m->clips[i],
			m->log, NULL, m->def->audio_level};

		m->parts[i] = (struct part_rt){
			.def = d, .mid = -1, .consent = d->consent};
		if (!d->nspeak)
			continue;
		if (m->dump_dir) {
			/* ids are [A-Za-z0-9._-]: safe as file names */
			if (m->sessions > 1)
				snprintf(path, sizeof(path), "%s/%s-s%u.wav",
					 dir, d->id, m->sessions);
			else
				snprintf(path, sizeof(path), "%s/%s.wav", dir,
					 d->id);
			sc.dump_path = path;
		}
		err = vp_simconf_sender_alloc(&m->parts[i].snd, &sc, send_rtp,
					      m);
	}
	return err;
}

static void session_start(struct vp_simconf_meeting *m)
{
	json_t *roster = json_array();
	int err;

	m->st = M_ACTIVE;
	m->sessions++;
	m->t0_mono = vp_clock_mono_ns();
	m->next_k = 0;
	m->nmid = m->offer_n = 0;
	m->gathered = m->remote_set = m->pending = m->dirty = false;
	m->pcst = VP_PC_NEW;
	m->clock_held = m->def->clock_media;
	m->drop_done = m->hang_done = m->garbage_done = false;
	event(m, NULL, "bot_joined",
	      json_pack("{s:i}", "session", (int)m->sessions));
	err = senders(m);
	for (unsigned i = 0; i < m->def->nparts && !err; i++)
		if (m->def->parts[i].join_at <= 0) {
			part_join(m, &m->parts[i], true);
			json_array_append_new(roster, part_json(&m->parts[i]));
		}
	send_msg(m,
		 json_pack("{s:s, s:s, s:s, s:o}", "type", "joined", "meeting",
			   m->id, "self", "bot", "roster", roster));
	err = err ? err : pc_start(m);
	if (err) {
		vp_log_err("meeting=%s cannot start media (%d)", m->id, err);
		send_msg(m, json_pack("{s:s, s:s, s:s, s:b}", "type", "error",
				      "code", "internal", "reason",
				      "simconf could not start media",
				      "permanent", 0));
		end_meeting(m, "internal error", "media start failed");
		return;
	}
	m->tick.fn = on_tick;
	m->tick.arg = m;
	vp_simconf_ticker_add(m->ctx, &m->tick);
	vp_log_info("meeting=%s session %u started", m->id, m->sessions);
}

static gboolean on_admit(gpointer arg)
{
	struct vp_simconf_meeting *m = arg;

	source_kill(&m->lobby);
	vp_simconf_log_event(m->log, m->id, NULL, "admitted", -1, NULL);
	send_msg(m, json_pack("{s:s}", "type", "admitted"));
	session_start(m);
	return G_SOURCE_REMOVE;
}

static void refuse(struct vp_simconf_meeting *m, void *conn,
		   const struct vp_simconf_conn_ops *ops, json_t *msg,
		   const char *ev)
{
	vp_simconf_log_event(m->log, m->id, NULL, ev, -1, NULL);
	send_to(m, conn, ops, msg);
	ops->close(conn);
}

static json_t *error_msg(const char *code, const char *reason)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "type", "error", "code", code,
			 "reason", reason, "permanent", 1);
}

int vp_simconf_meeting_attach(struct vp_simconf_meeting *m, void *conn,
			      const struct vp_simconf_conn_ops *ops,
			      json_t *join)
{
	const char *tok = json_string_value(json_object_get(join, "token"));

	if (m->conn || m->st == M_LOBBY || m->st == M_ACTIVE ||
	    m->st == M_HUNG) {
		refuse(m, conn, ops,
		       error_msg("meeting_full", "a bot is already here"),
		       "refused_full");
		return EACCES;
	}
	if (m->st == M_ENDED) {
		refuse(m, conn, ops,
		       json_pack("{s:s, s:s}", "type", "ended", "reason",
				 "the meeting is over"),
		       "refused_ended");
		return EACCES;
	}
	/* the token is a secret: compared, never logged */
	if (m->def->token && (!tok || strcmp(tok, m->def->token))) {
		refuse(m, conn, ops, error_msg("bad_token", "wrong token"),
		       "refused_token");
		return EACCES;
	}
	if (m->def->deny) {
		m->sessions++;
		m->st = M_ENDED;
		refuse(m, conn, ops,
		       json_pack("{s:s, s:s}", "type", "denied", "reason",
				 m->def->deny),
		       "denied");
		return EACCES;
	}
	m->conn = conn;
	m->ops = ops;
	if (m->def->lobby_s > 0) {
		m->st = M_LOBBY;
		vp_simconf_log_event(m->log, m->id, NULL, "lobby", -1, NULL);
		send_msg(m, json_pack("{s:s}", "type", "lobby"));
		m->lobby =
			g_timeout_source_new((guint)(m->def->lobby_s * 1000));
		g_source_set_callback(m->lobby, on_admit, m, NULL);
		g_source_attach(m->lobby, m->ctx);
	} else {
		session_start(m);
	}
	return 0;
}

void vp_simconf_meeting_msg(struct vp_simconf_meeting *m, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	const char *text;

	if (m->st != M_ACTIVE || !type)
		return; /* a hung meeting does not listen either */
	if (!strcmp(type, "answer")) {
		on_answer(m, msg);
	} else if (!strcmp(type, "leave")) {
		event(m, NULL, "bot_left", NULL);
		end_meeting(m, "left", "the bot left");
	} else if (!strcmp(type, "notice")) {
		text = json_string_value(json_object_get(msg, "text"));
		event(m, NULL, "notice", json_pack("{s:s?}", "text", text));
	} else if (!strcmp(type, "trickle")) {
		text = json_string_value(json_object_get(msg, "candidate"));
		if (m->pc && text && cand_loopback(text))
			vp_pc_add_remote_candidate(m->pc, text);
	}
}

void vp_simconf_meeting_detach(struct vp_simconf_meeting *m, void *conn)
{
	if (!conn || conn != m->conn)
		return;
	m->conn = NULL;
	event(m, NULL, "bot_gone", NULL);
	/* a vanished bot may come back (it retries transient errors) */
	session_end(m, M_IDLE, "signaling closed by the bot");
}

static int send_rtp(const uint8_t *pkt, size_t len, bool rtcp, void *arg)
{
	struct vp_simconf_meeting *m = arg;

	if (!m->pc)
		return ENOTCONN;
	return rtcp ? vp_pc_send_rtcp(m->pc, pkt, len)
		    : vp_pc_send_rtp(m->pc, pkt, len);
}
