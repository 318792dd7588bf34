/* SPDX-License-Identifier: MIT */
/**
 * @file media.c  The publisher's media path: one vp_pc (ICE controlling,
 * DTLS server: we offer actpass, Janus answers active), the sendonly
 * offer, and the 20 ms sender. Frame k (k = 0 at the moment SRTP is
 * up) is the marker frame k, sent when its 20 ms are over; its Opus
 * payload is encoded once into a cache and reused (encode once,
 * packetize many), only the RTP header and SRTP are per packet.
 */
#include <errno.h>
#include <string.h>

#include <opus.h>

#include "protocols/rtp/rtp.h"
#include "protocols/sdp/sdp.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tools/jpub/jpub.h"
#include "tools/simconf/marker.h"
#include "tools/simconf/sdp_offer.h"

#define VP_LOG_MODULE "jpub"
#include "src/core/log.h"

#define FRAME_NS  20000000ULL
#define MAX_PAYLD 400
#define SR_NS	  1000000000ULL
#define CACHE_K	  VP_MARKER_PERIOD * 4 /* then the cache is reused */
#define RUN_MAX	  250		       /* a run is logged at least every 5 s */

/* Frames are encoded in order, once; frame k >= CACHE_K reuses the
 * payload of k mod the cache's period (the marker repeats every 256
 * frames and the encoder has long settled by then). */
struct jpub_enc {
	OpusEncoder *enc;
	double amp;
	unsigned n; /* frames encoded */
	uint16_t len[CACHE_K];
	uint8_t b[CACHE_K][MAX_PAYLD];
};

static void enc_destroy(void *data)
{
	struct jpub_enc *e = data;

	if (e->enc)
		opus_encoder_destroy(e->enc);
}

static int enc_alloc(struct jpub_enc **ep, double amp)
{
	struct jpub_enc *e = vp_mem_zalloc(sizeof(*e), enc_destroy);
	int err = 0;

	if (!e)
		return ENOMEM;
	e->amp = amp;
	e->enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	if (!e->enc || err != OPUS_OK) {
		vp_mem_deref(e);
		return EPROTO;
	}
	/* the same settings as simconf (enctrack.c) */
	opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(5));
	opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(3));
	opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(32000));
	*ep = e;
	return 0;
}

static size_t enc_frame(struct jpub_enc *e, uint64_t k, const uint8_t **b)
{
	unsigned i = (unsigned)(k < CACHE_K ? k
					    : CACHE_K - VP_MARKER_PERIOD +
						      k % VP_MARKER_PERIOD);

	while (e->n <= i) {
		int16_t pcm[VP_MARKER_FRAME];
		opus_int32 n;

		vp_marker_frame(pcm, e->n, e->amp);
		n = opus_encode(e->enc, pcm, VP_MARKER_FRAME, e->b[e->n],
				MAX_PAYLD);
		e->len[e->n++] = n > 0 ? (uint16_t)n : 0;
	}
	*b = e->b[i];
	return e->len[i];
}

/* Encode every frame of the cache now (≈ 0.1 s of CPU before the media
 * is up), so sending costs only the RTP header and SRTP */
static void enc_fill(struct jpub_enc *e)
{
	const uint8_t *b;

	enc_frame(e, CACHE_K - 1, &b);
}

/* --- the send log: runs of frames with the same fate --- */

static void run_close(struct jpub *j)
{
	if (!j->run_open)
		return;
	j->run_open = false;
	vp_simconf_log_event(j->log, j->room_s, j->o->id, "audio",
			     (int64_t)(j->run_k0 * FRAME_NS),
			     json_pack("{s:b, s:s?, s:I, s:I}", "sent",
				       j->run_sent, "why",
				       j->run_sent ? NULL : "send_failed",
				       "k_first", (json_int_t)j->run_k0,
				       "frames", (json_int_t)j->run_n));
}

static void run_add(struct jpub *j, uint64_t k, bool sent)
{
	if (j->run_open && (j->run_sent != sent || j->run_k0 + j->run_n != k ||
			    j->run_n >= RUN_MAX))
		run_close(j);
	if (!j->run_open) {
		j->run_open = true;
		j->run_sent = sent;
		j->run_k0 = k;
		j->run_n = 0;
	}
	j->run_n++;
}

/* --- sending --- */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 3550 §6.4.1 SR + §6.5 SDES CNAME, for the frame boundary k */
static void send_sr(struct jpub *j, uint64_t k)
{
	uint8_t b[28 + 8 + 4 + 64 + 4] = {0};
	size_t cl = strlen(j->o->id), words;
	uint32_t ns, nf;

	if (cl > 64)
		cl = 64;
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	be32(b + 4, j->ssrc);
	vp_clock_utc_ns_to_ntp(j->t0_utc + k * FRAME_NS, &ns, &nf);
	be32(b + 8, ns);
	be32(b + 12, nf);
	be32(b + 16, j->ts0 + (uint32_t)(k * VP_MARKER_FRAME));
	be32(b + 20, (uint32_t)j->pkts);
	be32(b + 24, (uint32_t)j->octets);
	words = (4 + 4 + 2 + cl + 1 + 3) / 4;
	b[28] = 0x81;
	b[29] = 202;
	b[31] = (uint8_t)(words - 1);
	be32(b + 32, j->ssrc);
	b[36] = 1;
	b[37] = (uint8_t)cl;
	memcpy(b + 38, j->o->id, cl);
	if (vp_pc_send_rtcp(j->pc, b, 28 + words * 4))
		j->send_fail++;
}

static void send_frame(struct jpub *j, uint64_t k)
{
	uint8_t b[VP_RTP_HDR_LEN + MAX_PAYLD + 16];
	const uint8_t *pl = NULL;
	struct vp_rtp_pkt h = {
		.pt = VP_SIMCONF_OFFER_PT,
		.marker = k == 0, /* RFC 3551 §4.1: talkspurt start */
		.seq = j->seq,
		.ts = j->ts0 + (uint32_t)(k * VP_MARKER_FRAME),
		.ssrc = j->ssrc,
	};
	size_t hl = vp_rtp_write_hdr(b, sizeof(b), &h);
	size_t n = enc_frame(j->enc, k, &pl);
	bool ok;

	if (!hl || !n) {
		j->unsent++;
		run_add(j, k, false);
		return;
	}
	memcpy(b + hl, pl, n);
	ok = !vp_pc_send_rtp(j->pc, b, hl + n);
	j->seq++; /* a failed send still uses its seq: the gap is real */
	if (ok) {
		j->pkts++;
		j->octets += n;
	} else {
		j->send_fail++;
	}
	run_add(j, k, ok);
}

static gboolean on_tick(gpointer arg);

/* One wake-up per frame: a one-shot timer to the next frame's end */
static void arm(struct jpub *j, uint64_t now)
{
	uint64_t due = j->t0_mono + (j->next_k + 1) * FRAME_NS;
	guint ms = due > now ? (guint)((due - now + 999999) / 1000000) : 0;

	j->tick = g_timeout_add_full(G_PRIORITY_HIGH, ms, on_tick, j, NULL);
}

static gboolean on_tick(gpointer arg)
{
	struct jpub *j = arg;
	uint64_t now = vp_clock_mono_ns();

	while (j->secure && now >= j->t0_mono + (j->next_k + 1) * FRAME_NS) {
		send_frame(j, j->next_k);
		j->next_k++;
		if (j->next_k * FRAME_NS >= j->next_sr) {
			send_sr(j, j->next_k);
			j->next_sr += SR_NS;
		}
	}
	j->tick = 0;
	if (j->secure)
		arm(j, now);
	return G_SOURCE_REMOVE;
}

static void pc_rtp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	(void)pkt, (void)len, (void)t, (void)arg; /* sendonly */
}

static void pc_state(enum vp_pc_state st, const char *reason, void *arg)
{
	struct jpub *j = arg;

	if (st == VP_PC_SECURE && !j->secure) {
		j->secure = true;
		j->t0_mono = vp_clock_mono_ns();
		j->t0_utc = vp_clock_utc_ns();
		j->next_k = 0;
		j->next_sr = 0;
		vp_simconf_log_event(
			j->log, j->room_s, j->o->id, "media_start", 0,
			json_pack("{s:I, s:I, s:I, s:s}", "t0_utc_ns",
				  (json_int_t)j->t0_utc, "ssrc",
				  (json_int_t)j->ssrc, "feed_id",
				  (json_int_t)j->feed, "srtp",
				  vp_pc_srtp_profile(j->pc)));
		arm(j, j->t0_mono);
	} else if ((st == VP_PC_FAILED || st == VP_PC_CLOSED) && !j->paused) {
		jpub_fail(j, 75, reason ? reason : "media failed");
	} else if (st == VP_PC_FAILED) { /* done sending: wait for the stop */
		vp_log_info("media path %s after the stop",
			    reason ? reason : "failed");
	}
}

static void pc_candidate(const char *cand, void *arg)
{
	struct jpub *j = arg;

	if (cand)
		return; /* non-trickle: they all go in the offer */
	j->gathered = true;
	jpub_sig_publish(j);
}

int jpub_media_start(struct jpub *j)
{
	const char *lo[] = {j->o->media_addr};
	struct vp_pc_cfg cfg = {
		.controlling = true,  /* RFC 8445 §6.1.1: the offerer */
		.dtls_client = false, /* actpass offered, Janus is active */
		.local_addrs = lo,
		.nlocal_addrs = 1,
	};
	struct vp_pc_handlers h = {
		.rtp = pc_rtp, .state = pc_state, .candidate = pc_candidate};
	uint32_t r = g_random_int();
	int err = enc_alloc(&j->enc, j->o->amp);

	j->ssrc = r ? r : 1; /* RFC 3550 §5.1: random SSRC, seq, ts */
	j->seq = (uint16_t)g_random_int();
	j->ts0 = g_random_int();
	if (!err) {
		enc_fill(j->enc);
		err = vp_pc_alloc(&j->pc, NULL, &cfg, &h, j);
	}
	if (!err)
		err = vp_pc_gather(j->pc);
	return err;
}

/* Only loopback candidates: jpub never sends anywhere else */
static bool cand_loopback(const char *c)
{
	char addr[64] = "";

	if (sscanf(c, "%*s %*s %*s %*s %63s", addr) != 1)
		return false;
	return !strncmp(addr, "127.", 4);
}

int jpub_media_offer(struct jpub *j, char **sdp)
{
	char cand[16][256];
	const char *cp[16], *ufrag, *pwd, *fp = vp_pc_local_fingerprint(j->pc);
	unsigned nc = vp_pc_local_candidates(j->pc, cand, 16), n = 0;
	struct vp_simconf_offer_media md = {"0", j->ssrc, j->o->id, true};
	struct vp_simconf_offer_params p = {.media = &md, .nmedia = 1};

	if (!fp || vp_pc_local_ice(j->pc, &ufrag, &pwd))
		return EPROTO;
	for (unsigned i = 0; i < nc; i++)
		if (cand_loopback(cand[i]))
			cp[n++] = cand[i];
	p.sess_id = g_random_int();
	p.sess_version = 1;
	p.ufrag = ufrag;
	p.pwd = pwd;
	p.fp_sha256 = fp;
	p.cand = cp;
	p.ncand = n;
	return vp_simconf_offer_build(sdp, &p);
}

int jpub_media_answer(struct jpub *j, const char *sdp)
{
	struct vp_sdp_session *s = NULL;
	const struct vp_sdp_media *md = NULL;
	int err = vp_sdp_parse(&s, sdp, strlen(sdp));

	for (unsigned i = 0; !err && i < s->nmedia && !md; i++)
		if (!s->media[i].rejected && s->media[i].ufrag[0] &&
		    s->media[i].fp[0])
			md = &s->media[i];
	if (!err && !md)
		err = EBADMSG;
	if (!err)
		err = vp_pc_set_remote(j->pc, md->ufrag, md->pwd, md->fp_alg,
				       md->fp);
	for (unsigned c = 0; !err && c < md->ncand; c++)
		if (cand_loopback(md->cand[c]))
			vp_pc_add_remote_candidate(j->pc, md->cand[c]);
	if (!err)
		err = vp_pc_remote_candidates_done(j->pc);
	vp_mem_deref(s);
	return err;
}

/* Stop sending, log what was sent; the session stays (idempotent) */
void jpub_media_pause(struct jpub *j)
{
	j->paused = true;
	if (j->tick) {
		g_source_remove(j->tick);
		j->tick = 0;
	}
	run_close(j);
	if (j->secure)
		vp_simconf_log_event(
			j->log, j->room_s, j->o->id, "stats", -1,
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "ssrc",
				  (json_int_t)j->ssrc, "frames",
				  (json_int_t)j->next_k, "packets",
				  (json_int_t)j->pkts, "octets",
				  (json_int_t)j->octets, "send_fail",
				  (json_int_t)j->send_fail, "unsent",
				  (json_int_t)j->unsent));
	j->secure = false;
}

void jpub_media_stop(struct jpub *j)
{
	jpub_media_pause(j);
	if (j->pc)
		vp_pc_close(j->pc);
}

void jpub_media_free(struct jpub *j)
{
	jpub_media_stop(j);
	j->pc = vp_mem_deref(j->pc);
	j->enc = vp_mem_deref(j->enc);
}
