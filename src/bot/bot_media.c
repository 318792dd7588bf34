/* SPDX-License-Identifier: MIT */
/**
 * @file bot_media.c  Offers in, answers out; one peer connection (BUNDLE,
 * rtcp-mux) for every participant; decrypted RTP routed to a track per
 * participant by SSRC (from the offer's a=ssrc) or by the RTP sdes:mid
 * header extension (RFC 9143 / RFC 8843 §15).
 */
#define VP_LOG_MODULE "media"
#include "src/bot/bot_priv.h"

#include "protocols/pc/pc.h"
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/rtp.h"
#include "protocols/sdp/sdp.h"
#include "src/bot/exitcode.h"
#include "src/bot/rtcp_rr.h"
#include "src/bot/udp_drops.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <string.h>

#define MAX_LOCAL_CAND 16

/* --- Runs on: net thread --- */

struct bot_mid *vp_bot__mid_by_ssrc(struct bot *b, uint32_t ssrc)
{
	for (unsigned i = 0; i < b->nmids; i++)
		for (unsigned k = 0; k < b->mids[i].nssrc; k++)
			if (b->mids[i].ssrc[k] == ssrc)
				return &b->mids[i];
	return NULL;
}

static struct bot_mid *mid_by_name(struct bot *b, const char *mid, size_t n)
{
	for (unsigned i = 0; i < b->nmids; i++)
		if (strlen(b->mids[i].mid) == n &&
		    !memcmp(b->mids[i].mid, mid, n))
			return &b->mids[i];
	return NULL;
}

/*
 * A stream is made only for audio whose sender the gate judges: a
 * participant the roster announced and who is present, or the server's
 * mix of the whole roster (AudioBridge's "mix", whose members the gate
 * knows one by one). An offer's stream map naming anyone else is not
 * enough (docs/design.md §6): their audio is counted and dropped.
 */
bool vp_bot__may_track(struct bot *b, const struct bot_mid *m)
{
	const struct bot_participant *p;

	if (m->mixed)
		return true;
	p = vp_bot__part(b, m->participant, false);
	if (p && p->present)
		return true;
	if (!b->rtp_unannounced++)
		vp_log_warn("audio for participant=%.64s, whom the roster "
			    "never announced: dropped",
			    m->participant ? m->participant : "-");
	return false;
}

/* Audio only of a participant who is present now, or of the mix
 * (docs/design.md §6): a stream outlives its participant's leave, and
 * their packets read after it must not reach disk. Asked per packet; the
 * roster entry is looked up by name once. */
static bool sender_present(struct bot *b, struct bot_mid *m)
{
	if (m->mixed)
		return true;
	if (!m->part1) {
		const struct bot_participant *p =
			vp_bot__part(b, m->participant, false);

		if (!p)
			return false;
		m->part1 = (unsigned)(p - b->parts) + 1;
	}
	return b->parts[m->part1 - 1].present;
}

/* The participant's stream, made on its first packet once the timeline
 * runs: a publisher who leaves and comes back continues the same stream
 * (a new SSRC). @return its index, or -1 */
static int stream_for(struct bot *b, struct bot_mid *m)
{
	const char *pid = m->participant;
	struct bot_participant *p;
	const char *id;
	unsigned idx;
	int i, err;

	if (m->stream >= 0) /* per packet: no search by name */
		return m->stream;
	i = vp_rec_stream_find(b->rec, pid);
	if (i >= 0)
		return m->stream = i;
	if (!vp_rec_timeline_started(b->rec) || !vp_bot__may_track(b, m))
		return -1;
	err = vp_rec_stream_open(b->rec, pid, &idx);
	if (err) {
		if (err != EAGAIN && err != ENOSPC)
			vp_log_err("stream for participant=%s: %s", pid,
				   strerror(err));
		return -1;
	}
	id = vp_rec_stream_id(b->rec, idx);
	p = vp_bot__part(b, pid, true);
	if (p)
		p->stream = (int)idx;
	m->stream = (int)idx;
	if (!b->first_pcm_ns)
		b->first_pcm_ns = vp_clock_mono_ns();
	vp_log_info("stream=%s participant=%s started", id, pid);
	vp_events_emit(
		b->ev, "stream_started",
		json_pack("{s:s, s:s}", "stream", id, "participant", pid));
	vp_bot__save(b, "recording");
	return (int)idx;
}

/* Remember an SSRC the MID extension routed: the offer's own ids stay,
 * learned ones take the other slots in turn. */
static void learn_ssrc(struct bot_mid *m, uint32_t ssrc)
{
	unsigned room = BOT_MAX_SSRC - m->nsdp;

	if (!room)
		return;
	if (m->nssrc < BOT_MAX_SSRC)
		m->ssrc[m->nssrc++] = ssrc;
	else
		m->ssrc[m->nsdp + m->nlearn % room] = ssrc;
	m->nlearn++;
}

struct bot_mid *vp_bot__route_rtp(struct bot *b, const struct vp_rtp_pkt *p)
{
	struct bot_mid *m = vp_bot__mid_by_ssrc(b, p->ssrc);
	bool by_ext = false;

	if (!m && b->ext_mid) {
		const uint8_t *v;
		size_t vl;

		if (vp_rtp_ext_find(p, (uint8_t)b->ext_mid, &v, &vl) == 0)
			m = mid_by_name(b, (const char *)v, vl);
		by_ext = m != NULL;
	}
	if (!m || !m->participant || !m->participant[0]) {
		b->rtp_unknown++;
		return NULL;
	}
	if (m->pt < 0 || p->pt != (unsigned)m->pt) {
		/* only the negotiated Opus PT is audio (RFC 7587 §7) */
		b->rtp_not_opus++;
		return NULL;
	}
	if (by_ext)
		learn_ssrc(m, p->ssrc);
	return m;
}

void vp_bot__on_rtp(const uint8_t *pkt, size_t len, uint64_t arrival_ns,
		    void *arg)
{
	struct bot *b = arg;
	struct vp_rtp_pkt p;
	struct bot_mid *m;
	int s;

	if (vp_rtp_parse(&p, pkt, len) != 0) {
		b->rtp_malformed++;
		return;
	}
	m = vp_bot__route_rtp(b, &p);
	if (!m)
		return;
	vp_rtcp_rr_rtp(b->rr, p.ssrc, p.seq, p.ts, arrival_ns);
	s = stream_for(b, m);
	if (s < 0)
		return;
	if (!sender_present(b, m)) {
		/* one who left: kept in sequence (no loss concealed over
		 * the absence), never written */
		b->rtp_absent++;
		vp_rec_rtp_absent(b->rec, (unsigned)s, p.ssrc, p.seq, p.ts,
				  p.payload, p.payload_len, arrival_ns);
		return;
	}
	if (b->ext_level) /* RFC 6464: who spoke when */
		vp_rec_level(b->rec, (unsigned)s, &p, (uint8_t)b->ext_level);
	vp_rec_rtp(b->rec, (unsigned)s, p.ssrc, p.seq, p.ts, p.payload,
		   p.payload_len, arrival_ns);
}

static void on_rtcp(const uint8_t *pkt, size_t len, uint64_t arrival_ns,
		    void *arg)
{
	struct bot *b = arg;
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	int err;

	vp_rtcp_rr_rtcp_in(b->rr, len);
	vp_rtcp_iter_init(&it, pkt, len);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0) {
		struct bot_mid *m;
		int s;

		if (p.type != VP_RTCP_SR)
			continue;
		vp_rtcp_rr_sr(b->rr, p.ssrc, p.sr.ntp_sec, p.sr.ntp_frac,
			      arrival_ns);
		m = vp_bot__mid_by_ssrc(b, p.ssrc);
		s = !m ? -1
		    : m->stream >= 0
			    ? m->stream
			    : vp_rec_stream_find(b->rec, m->participant);
		if (s >= 0)
			vp_rec_sr(b->rec, (unsigned)s, p.ssrc, p.sr.ntp_sec,
				  p.sr.ntp_frac, p.sr.rtp_ts);
	}
	if (err == EBADMSG)
		b->rtcp_malformed++;
}

static void send_answer(struct bot *b);

static void on_pc_state(enum vp_pc_state st, const char *reason, void *arg)
{
	struct bot *b = arg;

	switch (st) {
	case VP_PC_SECURE:
		if (!b->media_utc_ns)
			b->media_utc_ns = vp_clock_utc_ns();
		snprintf(b->srtp_profile, sizeof(b->srtp_profile), "%s",
			 vp_pc_srtp_profile(b->pc));
		vp_log_info("media secure (srtp %s)",
			    vp_pc_srtp_profile(b->pc));
		if (!b->rr &&
		    vp_rtcp_rr_alloc(&b->rr, 0, NULL, vp_clock_utc_ns()))
			vp_log_warn("no RTCP receiver reports: out of memory");
		vp_events_emit(
			b->ev, "media_connected",
			json_pack("{s:s}", "srtp", vp_pc_srtp_profile(b->pc)));
		break;
	case VP_PC_FAILED:
		/* a certificate that does not match the offer's fingerprint
		 * is not something a retry fixes */
		vp_bot__fail(b,
			     reason && strstr(reason, "fingerprint")
				     ? VP_EXIT_UNAVAILABLE
				     : VP_EXIT_TEMPFAIL,
			     "media failed: %s", reason ? reason : "?");
		break;
	default:
		break;
	}
}

static void on_candidate(const char *cand, void *arg)
{
	struct bot *b = arg;

	if (cand)
		return; /* answered with all candidates, no trickle */
	b->gathered = true;
	if (b->answer_pending)
		send_answer(b);
}

static int make_pc(struct bot *b, const struct vp_sdp_media *m)
{
	struct vp_pc_cfg pc = {.controlling = false,
			       .dtls_client = true,
			       .connect_timeout_ns = vp_bot__join_timeout_ns(b),
			       /* read on the 20 ms poll tick once secure */
			       .polled_rx = true};
	struct vp_pc_handlers h = {.rtp = vp_bot__on_rtp,
				   .rtcp = on_rtcp,
				   .state = on_pc_state,
				   .candidate = on_candidate};
	int err;

	/* RFC 5763 §5: answering actpass with active makes us the DTLS
	 * client; passive offers would need us to be the server */
	if (m->setup == VP_SDP_SETUP_ACTIVE)
		pc.dtls_client = false;
	err = vp_pc_alloc(&b->pc, b->ctx, &pc, &h, b);
	if (!err)
		err = vp_pc_set_remote(b->pc, m->ufrag, m->pwd, m->fp_alg,
				       m->fp);
	for (unsigned i = 0; !err && i < m->ncand; i++)
		if (vp_pc_add_remote_candidate(b->pc, m->cand[i]))
			vp_log_warn("ignoring a malformed remote candidate");
	if (!err && m->end_of_candidates)
		vp_pc_remote_candidates_done(b->pc);
	if (!err)
		err = vp_pc_gather(b->pc);
	return err;
}

static void send_answer(struct bot *b)
{
	char cand[MAX_LOCAL_CAND][256];
	const char *cp[MAX_LOCAL_CAND];
	struct vp_sdp_answer_params ap = {0};
	unsigned n;
	char *sdp = NULL;
	int err;

	if (!b->offer || !b->pc)
		return;
	n = vp_pc_local_candidates(b->pc, cand, MAX_LOCAL_CAND);
	for (unsigned i = 0; i < n; i++)
		cp[i] = cand[i];
	vp_pc_local_ice(b->pc, &ap.ufrag, &ap.pwd);
	ap.fp_sha256 = vp_pc_local_fingerprint(b->pc);
	ap.cand = cp;
	ap.ncand = n;
	ap.sess_id = (uint64_t)b->start_ns & 0x7fffffffffffULL;
	ap.sess_version = b->offer->sess_version;
	ap.stereo = b->cfg->channels == 2;
	err = vp_sdp_answer(&sdp, b->offer, &ap);
	if (!err)
		err = vp_sig_answer(b->sig, b->offer_id, sdp);
	if (err)
		vp_bot__fail(b, VP_EXIT_SOFTWARE, "answering the offer: %s",
			     strerror(err));
	else
		vp_log_info("answered offer=%s (%u candidate(s))", b->offer_id,
			    n);
	b->answer_pending = false;
	vp_mem_deref(sdp);
}

static void mids_free(struct bot *b)
{
	for (unsigned i = 0; i < b->nmids; i++)
		b->mids[i].participant = vp_mem_deref(b->mids[i].participant);
	b->nmids = 0;
}

/* Whose audio is on which m-line: the dialect's map, plus the SSRCs the
 * offer announces for each mid. The participant id is kept whole: a cut
 * one could match someone else's (docs/design.md §6); without memory for
 * it the m-line is nobody's, and its audio is dropped (rtp_unknown). */
static void update_mids(struct bot *b, const struct vp_sig_offer *o,
			const struct vp_sdp_session *s)
{
	mids_free(b);
	for (size_t i = 0; i < o->nstreams && b->nmids < BOT_MAX_MIDS; i++) {
		struct bot_mid *m = &b->mids[b->nmids++];
		const char *pid = o->streams[i].participant;

		memset(m, 0, sizeof(*m));
		snprintf(m->mid, sizeof(m->mid), "%s", o->streams[i].mid);
		m->participant = pid && *pid ? vp_mem_strdup(pid) : NULL;
		m->active = o->streams[i].active;
		m->mixed = o->streams[i].mixed;
		m->pt = -1;
		m->stream = -1;
		for (unsigned k = 0; k < s->nmedia; k++) {
			const struct vp_sdp_media *md = &s->media[k];

			if (strcmp(md->mid, m->mid))
				continue;
			if (!md->rejected && !strcmp(md->type, "audio"))
				m->pt = md->opus_pt;
			if (!m->active)
				continue;
			for (unsigned j = 0; j < md->nssrc && j < BOT_MAX_SSRC;
			     j++)
				m->ssrc[m->nssrc++] = md->ssrc[j];
			m->nsdp = m->nssrc;
		}
	}
}

void vp_bot__on_offer(struct bot *b, const struct vp_sig_offer *o)
{
	const struct vp_sdp_media *m = NULL;
	struct vp_sdp_session *s = NULL;
	char why[160] = "";
	unsigned n;
	int err;

	err = vp_sdp_parse_why(&s, o->sdp, strlen(o->sdp), why, sizeof(why));
	if (err) {
		vp_bot__fail(b, VP_EXIT_UNAVAILABLE,
			     "the server's offer is not valid SDP: %s", why);
		return;
	}
	if (vp_sdp_opus_find(&m, s) != 0) {
		/* nothing to record: say so instead of recording nothing */
		if (!b->pc) {
			vp_mem_deref(s);
			vp_bot__fail(b, VP_EXIT_UNAVAILABLE,
				     "the offer has no Opus audio to record");
			return;
		}
	}
	n = vp_sdp_drop_shared_ssrc(s);
	if (n) {
		b->sdp_shared_ssrc += n;
		vp_log_warn("the offer announces %u SSRC(s) on more than one "
			    "m= line: those are routed by the MID header "
			    "extension only",
			    n);
	}
	update_mids(b, o, s);
	if (m && m->ext_mid)
		b->ext_mid = m->ext_mid;
	if (m && m->ext_audio_level)
		b->ext_level = m->ext_audio_level;
	if (!b->pc) {
		err = make_pc(b, m);
		if (err) {
			vp_mem_deref(s);
			vp_bot__fail(b, VP_EXIT_SOFTWARE, "peer connection: %s",
				     strerror(err));
			return;
		}
	}
	vp_mem_deref(b->offer);
	b->offer = s;
	snprintf(b->offer_id, sizeof(b->offer_id), "%s", o->offer_id);
	b->answer_pending = true;
	if (b->gathered)
		send_answer(b);
}

static int send_rtcp(const uint8_t *pkt, size_t len, void *arg)
{
	struct bot *b = arg;

	return b->pc ? vp_pc_send_rtcp(b->pc, pkt, len) : EAGAIN;
}

void vp_bot__media_drain(struct bot *b)
{
	if (b->pc)
		(void)vp_pc_poll(b->pc);
}

void vp_bot__poll_tracks(struct bot *b)
{
	uint64_t now;

	/* what arrived since the last tick first: the jitter buffers must
	 * see it before they give up on a missing packet */
	vp_bot__media_drain(b);
	now = vp_clock_utc_ns();
	vp_rec_poll(b->rec, now);
	if (b->pc && b->rr)
		vp_rtcp_rr_poll(b->rr, now, send_rtcp, b);
}

void vp_bot__rtcp_bye(struct bot *b)
{
	/* RFC 3550 §6.3.7: say we leave while the SFU still listens */
	if (b->rr && b->pc && vp_pc_state(b->pc) == VP_PC_SECURE)
		vp_rtcp_rr_bye(b->rr, vp_clock_utc_ns(), send_rtcp, b);
}

/* The socket reader once secure (protocols/ice/ice_rx.c). */
static json_t *rx_json(struct bot *b)
{
	struct vp_ice_rx_stats r;

	vp_pc_rx_stats(b->pc, &r);
	return json_pack(
		"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"own_reader", r.own, "stun_answered",
		(json_int_t)r.stun_answered, "consent_sent",
		(json_int_t)r.consent_sent, "consent_ok",
		(json_int_t)r.consent_ok, "stun_ignored",
		(json_int_t)r.stun_ignored, "stun_bad", (json_int_t)r.stun_bad,
		"stun_rejected", (json_int_t)r.stun_rejected, "unknown_src",
		(json_int_t)r.unknown_src, "truncated", (json_int_t)r.truncated,
		"read_errors", (json_int_t)r.read_errors);
}

/* Before the sockets close: our RRs, and what the kernel dropped at our
 * full UDP receive buffers (counted, never hidden: docs/design.md §2). */
static void transport_extra(struct bot *b, json_t *tr)
{
	uint64_t drops = 0;

	if (b->rr) { /* RFC 3550 §6.4.2 reports sent to the SFU, BYE last */
		vp_bot__rtcp_bye(b);
		json_object_set_new(tr, "rtcp_rr", vp_rtcp_rr_json(b->rr));
	}
	if (vp_udp_drops_self(&drops) == 0)
		json_object_set_new(tr, "udp_rcvbuf_drops",
				    json_integer((json_int_t)drops));
	json_object_set_new(tr, "ice", rx_json(b));
}

void vp_bot__media_close(struct bot *b)
{
	if (b->pc) {
		const struct vp_pc_stats *st = vp_pc_stats(b->pc);

		/* dropped packets are counted, never hidden (docs/design.md §2)
		 */
		vp_rec_set(
			b->rec, "transport",
			json_pack(
				"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				"s:I, "
				"s:I, s:I, s:I}",
				"srtp_profile",
				b->srtp_profile[0] ? b->srtp_profile : "none",
				"rx_srtp", (json_int_t)st->rx_srtp, "rx_srtcp",
				(json_int_t)st->rx_srtcp, "rx_drop",
				(json_int_t)st->rx_drop, "srtp_auth_fail",
				(json_int_t)st->srtp_auth_fail, "srtp_replay",
				(json_int_t)st->srtp_replay, "srtp_other_fail",
				(json_int_t)st->srtp_other_fail,
				"rtp_malformed", (json_int_t)b->rtp_malformed,
				"rtp_unknown_ssrc", (json_int_t)b->rtp_unknown,
				"rtp_not_opus", (json_int_t)b->rtp_not_opus,
				"rtp_unannounced",
				(json_int_t)b->rtp_unannounced, "rtp_absent",
				(json_int_t)b->rtp_absent, "sdp_shared_ssrc",
				(json_int_t)b->sdp_shared_ssrc));
		transport_extra(b, vp_rec_get(b->rec, "transport"));
		vp_pc_close(b->pc);
	}
	b->rr = vp_mem_deref(b->rr);
	b->pc = vp_mem_deref(b->pc);
	b->offer = vp_mem_deref(b->offer);
	mids_free(b);
}
