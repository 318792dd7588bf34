/* SPDX-License-Identifier: MIT */
/**
 * @file test_sdp.c  SDP offers from Janus, aiortc and Chromium parse with
 * the right fields; answers to them parse again and follow the answer rules;
 * renegotiation keeps order; malformed SDPs give EBADMSG; OOM paths.
 */
#include "protocols/sdp/sdp.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdlib.h>

#ifndef VP_SDP_DATA_DIR
#define VP_SDP_DATA_DIR "tests/data/sdp"
#endif

#define FP_OURS                                                                \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"                     \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"

static const char *const our_cands[] = {
	"candidate:4001cb5a 1 udp 2130706431 127.0.0.2 44463 typ host",
	"a=candidate:4001cb5b 1 udp 2130706175 127.0.0.1 44464 typ host",
};

static const struct vp_sdp_answer_params params = {
	.ufrag = "bOt1",
	.pwd = "abcdefghijklmnopqrstuv+/",
	.fp_sha256 = FP_OURS,
	.cand = our_cands,
	.ncand = 2,
	.sess_id = 42,
	.sess_version = 2,
};

static char *load(const char *name, size_t *lenp)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", VP_SDP_DATA_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		vtest_fail(__FILE__, __LINE__, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		vtest_fail(__FILE__, __LINE__, "cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	*lenp = (size_t)n;
	return buf;
}

static struct vp_sdp_session *parse_file(const char *name)
{
	struct vp_sdp_session *s = NULL;
	size_t n;
	char *txt = load(name, &n);
	char why[128];
	int err = vp_sdp_parse_why(&s, txt, n, why, sizeof(why));

	free(txt);
	if (err)
		vtest_fail(__FILE__, __LINE__, "%s: err %d: %s", name, err,
			   why);
	return s;
}

static struct vp_sdp_session *parse_str(const char *txt, int expect)
{
	struct vp_sdp_session *s = NULL;
	char why[128];
	int err = vp_sdp_parse_why(&s, txt, strlen(txt), why, sizeof(why));

	if (err != expect)
		vtest_fail(__FILE__, __LINE__, "expected %d, got %d (%s)",
			   expect, err, why);
	if (err == EBADMSG && !why[0])
		vtest_fail(__FILE__, __LINE__, "EBADMSG without a reason");
	return s;
}

/* Answer an offer, check the answer parses, return both. */
static struct vp_sdp_session *answer_of(const struct vp_sdp_session *o,
					const struct vp_sdp_answer_params *p,
					char **txtp)
{
	char *txt = NULL;
	struct vp_sdp_session *a = NULL;
	int err = vp_sdp_answer(&txt, o, p);

	if (err)
		vtest_fail(__FILE__, __LINE__, "answer: %d", err);
	a = parse_str(txt, 0);
	if (txtp)
		*txtp = txt;
	else
		vp_mem_deref(txt);
	return a;
}

VTEST(sdp_parse_janus_videoroom_sub)
{
	struct vp_sdp_session *s = parse_file("janus_videoroom_sub.sdp");
	const struct vp_sdp_media *m = &s->media[0], *f = NULL;

	VT_EQ(1795829561247731ULL, s->sess_id);
	VT_EQ(1, s->sess_version);
	VT_EQ(1, s->nbundle);
	VT_STR_EQ("0", s->bundle[0]);
	VT_EQ(1, s->nmedia);
	VT_STR_EQ("audio", m->type);
	VT_EQ(9, m->port);
	VT_TRUE(!m->rejected);
	VT_STR_EQ("UDP/TLS/RTP/SAVPF", m->proto);
	VT_STR_EQ("0", m->mid);
	VT_EQ(VP_SDP_SENDONLY, m->dir);
	VT_EQ(111, m->opus_pt);
	VT_EQ(2, m->opus_channels);
	VT_TRUE(m->opus_fec);
	VT_TRUE(!m->opus_stereo && !m->opus_dtx);
	VT_EQ(1, m->ext_audio_level);
	VT_EQ(4, m->ext_mid);
	VT_TRUE(m->rtcp_mux);
	VT_STR_EQ("7gSt", m->ufrag);
	VT_STR_EQ("Xq3nB0v8yJ2fLpR6tWc1Zk", m->pwd);
	VT_STR_EQ("sha-256", m->fp_alg); /* inherited from session level */
	VT_EQ(0, strncmp(m->fp, "8F:15:3A:C2", 11));
	VT_EQ(95, strlen(m->fp));
	VT_EQ(VP_SDP_SETUP_ACTPASS, m->setup);
	VT_EQ(1, m->ncand);
	VT_STR_EQ("candidate:1 1 udp 2015363327 127.0.0.2 20227 typ host",
		  m->cand[0]);
	VT_TRUE(m->end_of_candidates);
	VT_EQ(1, m->nssrc);
	VT_EQ(231229076, m->ssrc[0]);
	VT_STR_EQ("janus", m->cname);
	VT_EQ(0, vp_sdp_opus_find(&f, s));
	VT_TRUE(f == m);
	VT_TRUE(vp_sdp_has_opus(s));
	vp_mem_deref(s);
}

VTEST(sdp_parse_janus_audiobridge_fmtp_quirk)
{
	struct vp_sdp_session *s = parse_file("janus_audiobridge_offer.sdp");
	const struct vp_sdp_media *m = &s->media[0];

	VT_STR_EQ("audio", s->bundle[0]);
	VT_STR_EQ("audio", m->mid);
	VT_EQ(VP_SDP_SENDRECV, m->dir);
	VT_EQ(111, m->opus_pt);
	/* "0 maxplaybackrate=48000; stereo=0; sprop-stereo=0; useinbandfec=0"
	 */
	VT_EQ(48000, m->opus_maxplaybackrate);
	VT_TRUE(!m->opus_fec);
	VT_TRUE(!m->opus_stereo && !m->opus_sprop_stereo);
	VT_EQ(2, m->ext_mid);
	VT_EQ(3928561540U, m->ssrc[0]);
	vp_mem_deref(s);
}

VTEST(sdp_parse_janus_renegotiation)
{
	struct vp_sdp_session *s = parse_file("janus_multi_renegotiation.sdp");
	const struct vp_sdp_media *f = NULL;

	VT_EQ(3, s->sess_version);
	VT_EQ(3, s->nbundle);
	VT_STR_EQ("2", s->bundle[2]);
	VT_EQ(3, s->nmedia);
	VT_EQ(VP_SDP_INACTIVE, s->media[0].dir);
	VT_EQ(VP_SDP_SENDONLY, s->media[1].dir);
	VT_STR_EQ("video", s->media[2].type);
	VT_EQ(-1, s->media[2].opus_pt);
	VT_STR_EQ("96", s->media[2].fmt0);
	VT_EQ(2, s->media[2].nssrc);
	VT_EQ(3018559611U, s->media[2].ssrc[1]);
	/* the inactive line is skipped: the first one the peer sends */
	VT_EQ(0, vp_sdp_opus_find(&f, s));
	VT_TRUE(f == &s->media[1]);
	vp_mem_deref(s);
}

VTEST(sdp_parse_aiortc)
{
	struct vp_sdp_session *s = parse_file("aiortc_offer.sdp");
	const struct vp_sdp_media *m = &s->media[0];

	VT_EQ(1, s->nmedia);
	VT_EQ(96, m->opus_pt); /* aiortc's dynamic PT, before PCMU/PCMA */
	VT_EQ(2, m->opus_channels);
	VT_TRUE(!m->opus_fec); /* no fmtp at all */
	VT_EQ(VP_SDP_SENDONLY, m->dir);
	VT_EQ(1, m->ext_mid);
	VT_EQ(2, m->ext_audio_level);
	VT_TRUE(m->port != 0);
	VT_EQ(4, strlen(m->ufrag)); /* media-level credentials */
	VT_TRUE(strlen(m->pwd) >= 22);
	VT_STR_EQ("sha-256", m->fp_alg);
	VT_EQ(2, m->ncand);
	VT_EQ(0, strncmp(m->cand[0], "candidate:", 10));
	VT_TRUE(m->end_of_candidates);
	VT_EQ(VP_SDP_SETUP_ACTPASS, m->setup);
	vp_mem_deref(s);
}

VTEST(sdp_parse_chromium)
{
	struct vp_sdp_session *s = parse_file("chromium_offer.sdp");
	const struct vp_sdp_media *m = &s->media[0];

	VT_EQ(4611731400430051336ULL, s->sess_id);
	VT_EQ(111, m->opus_pt); /* not red/48000/2 (63) */
	VT_TRUE(m->opus_fec);
	VT_TRUE(!m->opus_dtx);
	VT_EQ(1, m->ext_audio_level);
	VT_EQ(4, m->ext_mid);
	VT_EQ(1, m->ncand);
	VT_TRUE(!m->end_of_candidates);
	VT_EQ(1, m->nssrc); /* two a=ssrc lines, one ssrc */
	VT_STR_EQ("q7ZbB1l2eN4pW9sX", m->cname);
	VT_STR_EQ("EsAw", m->ufrag);
	vp_mem_deref(s);
}

/* The rules every accepted m= line of our answer must follow. */
static void check_accepted(const struct vp_sdp_media *a,
			   const struct vp_sdp_media *o)
{
	VT_STR_EQ(o->mid, a->mid);
	VT_STR_EQ("audio", a->type);
	VT_EQ(9, a->port);
	VT_TRUE(!a->rejected);
	VT_EQ(o->opus_pt, a->opus_pt);
	VT_EQ(2, a->opus_channels);
	VT_TRUE(a->opus_fec);
	VT_EQ(VP_SDP_SETUP_ACTIVE, a->setup);
	VT_TRUE(a->rtcp_mux);
	VT_STR_EQ(params.ufrag, a->ufrag);
	VT_STR_EQ(params.pwd, a->pwd);
	VT_STR_EQ(FP_OURS, a->fp);
	VT_EQ(o->ext_audio_level, a->ext_audio_level);
	VT_EQ(o->ext_mid, a->ext_mid);
}

VTEST(sdp_answer_each_sample_parses_and_follows_rules)
{
	static const char *const files[] = {
		"janus_videoroom_sub.sdp", "janus_audiobridge_offer.sdp",
		"aiortc_offer.sdp", "chromium_offer.sdp"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct vp_sdp_session *o = parse_file(files[i]);
		char *txt = NULL, line[64];
		struct vp_sdp_session *a = answer_of(o, &params, &txt);

		VT_EQ(o->nmedia, a->nmedia);
		check_accepted(&a->media[0], &o->media[0]);
		VT_EQ(VP_SDP_RECVONLY, a->media[0].dir);
		VT_EQ(1, a->nbundle);
		VT_STR_EQ(o->media[0].mid, a->bundle[0]);
		VT_EQ(2, a->media[0].ncand);
		VT_STR_EQ(our_cands[0], a->media[0].cand[0]);
		VT_STR_EQ(our_cands[1] + 2, a->media[0].cand[1]);
		VT_TRUE(a->media[0].end_of_candidates);
		VT_EQ(42, a->sess_id);
		VT_EQ(2, a->sess_version);
		/* only the Opus PT on the m= line */
		snprintf(line, sizeof(line), "\r\nm=audio 9 %s %d\r\n",
			 o->media[0].proto, o->media[0].opus_pt);
		VT_TRUE(strstr(txt, line) != NULL);
		VT_TRUE(strstr(txt, "stereo=1") == NULL);
		VT_EQ(0, strncmp(txt, "v=0\r\n", 5));
		vp_mem_deref(txt);
		vp_mem_deref(a);
		vp_mem_deref(o);
	}
}

VTEST(sdp_answer_renegotiation_keeps_order)
{
	struct vp_sdp_session *o = parse_file("janus_multi_renegotiation.sdp");
	char *txt = NULL;
	struct vp_sdp_session *a = answer_of(o, &params, &txt);

	VT_EQ(3, a->nmedia);
	/* mid 0: inactive offer -> inactive answer, port 9, kept */
	check_accepted(&a->media[0], &o->media[0]);
	VT_EQ(VP_SDP_INACTIVE, a->media[0].dir);
	/* mid 1: the added publisher -> recvonly */
	check_accepted(&a->media[1], &o->media[1]);
	VT_EQ(VP_SDP_RECVONLY, a->media[1].dir);
	/* mid 2: video -> rejected, same mid */
	VT_STR_EQ("video", a->media[2].type);
	VT_STR_EQ("2", a->media[2].mid);
	VT_TRUE(a->media[2].rejected);
	VT_EQ(0, a->media[2].port);
	VT_TRUE(strstr(txt, "\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n") != NULL);
	/* BUNDLE: accepted mids in offer order; candidates on the tag */
	VT_TRUE(strstr(txt, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
	VT_EQ(2, a->nbundle);
	VT_EQ(2, a->media[0].ncand);
	VT_EQ(0, a->media[1].ncand);
	VT_TRUE(!a->media[1].end_of_candidates);
	vp_mem_deref(txt);
	vp_mem_deref(a);
	vp_mem_deref(o);
}

VTEST(sdp_answer_stereo_and_trickle_later)
{
	struct vp_sdp_session *o = parse_file("janus_audiobridge_offer.sdp");
	struct vp_sdp_answer_params p = params;
	char *txt = NULL;
	struct vp_sdp_session *a;

	p.stereo = true;
	p.ncand = 0;
	p.cand = NULL;
	a = answer_of(o, &p, &txt);
	VT_TRUE(a->media[0].opus_stereo);
	VT_TRUE(strstr(txt, "a=fmtp:111 useinbandfec=1;stereo=1\r\n") != NULL);
	VT_EQ(0, a->media[0].ncand);
	VT_TRUE(!a->media[0].end_of_candidates);
	VT_EQ(VP_SDP_RECVONLY, a->media[0].dir); /* toward sendrecv */
	vp_mem_deref(txt);
	vp_mem_deref(a);
	vp_mem_deref(o);
}

static const char no_opus[] =
	"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
	"a=group:BUNDLE a v d\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=mid:a\r\na=sendonly\r\n"
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:96 opus/48000/2\r\n" /* PT not on the m= line */
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n";

VTEST(sdp_no_opus_is_detected_and_rejected)
{
	struct vp_sdp_session *o = parse_str(no_opus, 0);
	const struct vp_sdp_media *f = NULL;
	char *txt = NULL;
	struct vp_sdp_session *a;

	VT_TRUE(!vp_sdp_has_opus(o));
	VT_EQ(ENOENT, vp_sdp_opus_find(&f, o));
	VT_TRUE(f == NULL);
	VT_EQ(-1, o->media[0].opus_pt);
	a = answer_of(o, &params, &txt);
	VT_EQ(3, a->nmedia);
	for (unsigned i = 0; i < 3; i++) {
		VT_TRUE(a->media[i].rejected);
		VT_STR_EQ(o->media[i].mid, a->media[i].mid);
	}
	VT_TRUE(strstr(txt, "m=application 0 UDP/DTLS/SCTP "
			    "webrtc-datachannel\r\n") != NULL);
	VT_EQ(0, a->nbundle);
	VT_TRUE(strstr(txt, "a=candidate") == NULL);
	vp_mem_deref(txt);
	vp_mem_deref(a);
	vp_mem_deref(o);
}

VTEST(sdp_lenient_lf_case_order_session_defaults)
{
	static const char txt[] =
		"v=0  \no=- 7 9 IN IP4 0.0.0.0\ns=-\nt=0 0\n"
		"a=ice-ufrag:sEsS\na=ice-pwd:0123456789012345678901\n"
		"a=fingerprint:SHA-1 AA:BB\n"
		"a=fingerprint:SHA-256 11:22\n"
		"a=sendonly\na=x-unknown:whatever\nx=unknown line\n"
		"m=audio 50000/2 RTP/SAVPF 109 110 \n"
		"a=fmtp:110 usedtx=1;stereo=1;sprop-stereo=1;useinbandfec=1\n"
		"a=rtpmap:109 OPUS/48000/2\na=rtpmap:110 Opus/48000/2\n"
		"a=fmtp:109 useinbandfec=1; usedtx=1;stereo=1\n"
		"a=mid:x\na=ice-ufrag:mEdI\n\n"
		"m=audio 9 RTP/SAVPF 97\na=rtpmap:97 opus/48000\n"
		"a=rtpmap:98 opus/48000/2\na=recvonly\n";
	struct vp_sdp_session *s = parse_str(txt, 0);
	const struct vp_sdp_media *m = &s->media[0];

	VT_EQ(7, s->sess_id);
	VT_EQ(2, s->nmedia);
	VT_EQ(50000, m->port);
	VT_EQ(109, m->opus_pt); /* first on the m= line wins */
	VT_TRUE(m->opus_fec && m->opus_dtx && m->opus_stereo);
	VT_TRUE(!m->opus_sprop_stereo); /* that was PT 110's fmtp */
	VT_STR_EQ("mEdI", m->ufrag);	/* media beats session */
	VT_STR_EQ("0123456789012345678901", m->pwd);
	VT_STR_EQ("sha-256", m->fp_alg); /* sha-256 preferred */
	VT_STR_EQ("11:22", m->fp);
	VT_EQ(VP_SDP_SENDONLY, m->dir); /* session-level direction */
	VT_EQ(VP_SDP_SETUP_NONE, m->setup);
	VT_EQ(0, m->ncand);
	VT_EQ(97, s->media[1].opus_pt);
	VT_EQ(1, s->media[1].opus_channels);
	VT_EQ(VP_SDP_RECVONLY, s->media[1].dir);
	VT_STR_EQ("sEsS", s->media[1].ufrag);
	vp_mem_deref(s);
}

VTEST(sdp_default_direction_is_sendrecv)
{
	struct vp_sdp_session *s = parse_str(
		"v=0\r\nm=audio 9 RTP/AVP 0\r\nm=audio 9 RTP/AVP 0\r\n"
		"a=inactive\r\n",
		0);

	VT_EQ(VP_SDP_SENDRECV, s->media[0].dir);
	VT_EQ(VP_SDP_INACTIVE, s->media[1].dir);
	VT_EQ(0, s->sess_id);
	vp_mem_deref(s);
}

/* issue 10 item 3: two m= lines announce one SSRC; trusting either would
 * put one sender's audio in the other's stream */
VTEST(sdp_shared_ssrc_is_dropped_from_every_mline)
{
	struct vp_sdp_session *s =
		parse_str("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n"
			  "a=rtpmap:111 opus/48000/2\r\na=ssrc:7 cname:x\r\n"
			  "a=ssrc:8 cname:x\r\n"
			  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\n"
			  "a=rtpmap:111 opus/48000/2\r\na=ssrc:9 cname:y\r\n"
			  "a=ssrc:7 cname:y\r\n"
			  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\n"
			  "a=rtpmap:96 VP8/90000\r\na=ssrc:8 cname:x\r\n",
			  0);

	VT_EQ(2, s->media[0].nssrc);
	VT_EQ(2, vp_sdp_drop_shared_ssrc(s));
	VT_EQ(0, s->media[0].nssrc);
	VT_EQ(1, s->media[1].nssrc);
	VT_EQ(9, s->media[1].ssrc[0]);
	VT_EQ(0, s->media[2].nssrc);
	VT_EQ(0, vp_sdp_drop_shared_ssrc(s)); /* nothing left to drop */
	VT_EQ(0, vp_sdp_drop_shared_ssrc(NULL));
	vp_mem_deref(s);
}

VTEST(sdp_offer_setup_active_makes_us_passive)
{
	struct vp_sdp_session *o = parse_str(
		"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n"
		"a=rtpmap:111 opus/48000/2\r\n",
		0);
	struct vp_sdp_session *a = answer_of(o, &params, NULL);

	VT_EQ(VP_SDP_SETUP_PASSIVE, a->media[0].setup);
	VT_EQ(VP_SDP_RECVONLY, a->media[0].dir);
	VT_TRUE(!a->media[0].rtcp_mux); /* not offered, not answered */
	VT_EQ(2, a->media[0].ncand);	/* no BUNDLE: candidates here */
	vp_mem_deref(a);
	vp_mem_deref(o);
}

VTEST(sdp_malformed_gives_ebadmsg)
{
	static const char *const bad[] = {
		"",
		"\r\n\r\n",
		"o=- 1 1 IN IP4 0.0.0.0\r\n",
		"v=1\r\n",
		"v=0\r\nv=0\r\n",
		"v=0\r\nm=audio\r\n",
		"v=0\r\nm=audio x RTP/AVP 0\r\n",
		"v=0\r\nm=audio 70000 RTP/AVP 0\r\n",
		"v=0\r\nm=audio 9 RTP/AVP\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\nno equals sign\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\n=x\r\n",
		"v=0\r\no=- abc 1 IN IP4 0.0.0.0\r\n",
		"v=0\r\no=- 1\r\n",
		"v=0\r\no=- 99999999999999999999 1 IN IP4 x\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\n"
		"m=audio 9 RTP/AVP 0\r\na=mid:a\r\n",
		"v=0\r\nm=audio 9 RTP/AVP "
		"0\r\na=mid:0123456789012345678901234567"
		"890123456789\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\na=ice-ufrag:\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\na=fingerprint:sha-256\r\n",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\rb\r\n",
		"v=0\r\nm=verylongmediatypename 9 RTP/AVP 0\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vp_sdp_session *s = NULL;
		char why[128];

		if (vp_sdp_parse_why(&s, bad[i], strlen(bad[i]), why,
				     sizeof(why)) != EBADMSG)
			vtest_fail(__FILE__, __LINE__, "case %zu accepted", i);
		VT_TRUE(s == NULL);
		VT_TRUE(why[0] != '\0');
	}
}

VTEST(sdp_malformed_limits)
{
	size_t cap = 64 * 1024, n = 0;
	char *big = malloc(cap);
	struct vp_sdp_session *s = NULL;
	static const char nul[] = "v=0\r\ns=a\0b\r\n";

	VT_TRUE(big != NULL);
	/* 33 m= lines */
	n = (size_t)snprintf(big, cap, "v=0\r\n");
	for (int i = 0; i <= VP_SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, cap - n,
				      "m=audio 9 RTP/AVP 0\r\n");
	VT_EQ(EBADMSG, vp_sdp_parse(&s, big, n));
	/* exactly 32 is fine */
	n -= strlen("m=audio 9 RTP/AVP 0\r\n");
	VT_EQ(0, vp_sdp_parse(&s, big, n));
	VT_EQ(VP_SDP_MAX_MEDIA, s->nmedia);
	s = vp_mem_deref(s);
	/* an absurdly long line */
	n = (size_t)snprintf(big, cap, "v=0\r\na=x:");
	memset(big + n, 'x', VP_SDP_MAX_LINE);
	n += VP_SDP_MAX_LINE;
	VT_EQ(EBADMSG, vp_sdp_parse(&s, big, n));
	/* a NUL byte inside */
	VT_EQ(EBADMSG, vp_sdp_parse(&s, nul, sizeof(nul) - 1));
	VT_TRUE(s == NULL);
	VT_EQ(EINVAL, vp_sdp_parse(&s, NULL, 0));
	VT_EQ(EINVAL, vp_sdp_parse(NULL, nul, 3));
	free(big);
}

VTEST(sdp_answer_rejects_bad_params)
{
	struct vp_sdp_session *o = parse_file("janus_videoroom_sub.sdp");
	struct vp_sdp_answer_params p = params;
	const char *nl[] = {"candidate:1 1 udp 1 127.0.0.2 9 typ host\r\n"
			    "a=fingerprint:sha-256 00"};
	char *txt = NULL;

	p.ufrag = "abc"; /* under 4 chars */
	VT_EQ(EINVAL, vp_sdp_answer(&txt, o, &p));
	p = params;
	p.pwd = "short";
	VT_EQ(EINVAL, vp_sdp_answer(&txt, o, &p));
	p = params;
	p.ufrag = "bad\r\nufrag";
	VT_EQ(EINVAL, vp_sdp_answer(&txt, o, &p));
	p = params;
	p.fp_sha256 = "01:23";
	VT_EQ(EINVAL, vp_sdp_answer(&txt, o, &p));
	p = params;
	p.cand = nl; /* line injection */
	p.ncand = 1;
	VT_EQ(EINVAL, vp_sdp_answer(&txt, o, &p));
	VT_EQ(EINVAL, vp_sdp_answer(&txt, NULL, &params));
	VT_TRUE(txt == NULL);
	vp_mem_deref(o);
}

/* Every allocation failure gives ENOMEM and leaks nothing (ASan). */
VTEST(sdp_oom_paths)
{
	size_t n;
	char *txt = load("janus_multi_renegotiation.sdp", &n);
	int err = ENOMEM, hits = 0;

	for (long k = 0; err == ENOMEM && k < 20; k++) {
		struct vp_sdp_session *s = NULL;
		char *ans = NULL;

		vp_mem_fail_after(k);
		err = vp_sdp_parse(&s, txt, n);
		if (!err) {
			err = vp_sdp_answer(&ans, s, &params);
			VT_TRUE(err == 0 || ans == NULL);
		}
		vp_mem_fail_reset();
		hits += err == ENOMEM;
		vp_mem_deref(ans);
		vp_mem_deref(s);
	}
	VT_EQ(0, err);
	VT_EQ(3, hits); /* parse ctx, session, answer text */
	free(txt);
}

/* Walked by the oom suite: parse an offer and answer it with each
 * allocation failing in turn; each run ends in ENOMEM or in exactly the
 * answer a run without failures gives. */
VTEST_OOM(sdp_parse_and_answer_oom_walk)
{
	struct vp_sdp_session *s = NULL, *ref = NULL;
	char *ans = NULL, *want = NULL, *txt;
	size_t n;
	int err;

	VT_OOM_SKIP();
	txt = load("janus_multi_renegotiation.sdp", &n);
	VT_EQ(0, vp_sdp_parse(&ref, txt, n));
	VT_EQ(0, vp_sdp_answer(&want, ref, &params));
	VT_OOM_WALK();
	err = vp_sdp_parse(&s, txt, n);
	if (!err)
		err = vp_sdp_answer(&ans, s, &params);
	VT_OOM_SKIP();
	if (!VT_OOM(err)) {
		VT_STR_EQ(want, ans);
		VT_EQ(ref->nmedia, s->nmedia);
	}
	VT_TRUE(!err || ans == NULL);
	vp_mem_deref(ans);
	vp_mem_deref(want);
	vp_mem_deref(s);
	vp_mem_deref(ref);
	free(txt);
}
