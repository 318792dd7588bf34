/* SPDX-License-Identifier: MIT */
/**
 * @file sdp_answer.c  Build the bot's recvonly Opus answer to an offer
 * (RFC 8829 JSEP §5.3.1, RFC 3264 §6, RFC 8843 BUNDLE, RFC 7587 Opus).
 */
#include "protocols/sdp/sdp.h"
#include "protocols/sdp/sdp_priv.h"

#include "src/core/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What we do with one offered m= line. */
enum role {
	ROLE_REJECT = 0, /* port 0: video, data, audio without Opus */
	ROLE_INACTIVE,	 /* Opus audio the peer does not send: keep it */
	ROLE_RECV,	 /* Opus audio the peer sends: recvonly */
};

/* Text sink: with buf NULL it only counts, so the answer is built twice,
 * once to size the vp_mem buffer and once to fill it. */
struct sb {
	char *buf;
	size_t cap, len;
};

static void put(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf ? b->buf + b->len : NULL,
		      b->buf ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static enum role role_of(const struct vp_sdp_media *m)
{
	if (m->rejected || strcmp(m->type, "audio") || m->opus_pt < 0)
		return ROLE_REJECT;
	if (m->dir == VP_SDP_SENDONLY || m->dir == VP_SDP_SENDRECV)
		return ROLE_RECV;
	return ROLE_INACTIVE;
}

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static bool ice_chars_ok(const char *s, size_t min)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > 256)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return false;
	}
	return true;
}

/* RFC 8122 §5: 32 upper-hex byte pairs joined by ':' for sha-256 */
static bool fp_ok(const char *fp)
{
	if (!fp || strlen(fp) != 32 * 3 - 1)
		return false;
	for (size_t i = 0; i < 32 * 3 - 1; i++) {
		char ch = fp[i];
		bool hex = (ch >= '0' && ch <= '9') ||
			   (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f');

		if (i % 3 == 2 ? ch != ':' : !hex)
			return false;
	}
	return true;
}

/* A candidate is copied verbatim into a line: no line breaks allowed. */
static const char *cand_value(const char *c)
{
	if (!c || strpbrk(c, "\r\n"))
		return NULL;
	if (!strncmp(c, "a=", 2))
		c += 2;
	if (!strncmp(c, "candidate:", 10))
		c += 10;
	return *c ? c : NULL;
}

static int params_check(const struct vp_sdp_answer_params *p)
{
	if (!ice_chars_ok(p->ufrag, 4) || !ice_chars_ok(p->pwd, 22) ||
	    !fp_ok(p->fp_sha256) || (p->ncand && !p->cand))
		return EINVAL;
	for (unsigned i = 0; i < p->ncand; i++)
		if (!cand_value(p->cand[i]))
			return EINVAL;
	return 0;
}

/* RFC 8843 §7.3.1: the answer's BUNDLE group holds the accepted mids of
 * the offer's group, in the offer's order; its first is the tag. */
static bool in_group(const struct vp_sdp_session *o, const char *mid)
{
	for (unsigned i = 0; mid[0] && i < o->nbundle; i++)
		if (!strcmp(o->bundle[i], mid))
			return true;
	return false;
}

static const struct vp_sdp_media *media_by_mid(const struct vp_sdp_session *o,
					       const char *mid)
{
	for (unsigned i = 0; i < o->nmedia; i++)
		if (!strcmp(o->media[i].mid, mid))
			return &o->media[i];
	return NULL;
}

/* @return the BUNDLE-tagged mid of the answer, or NULL */
static const char *put_group(struct sb *b, const struct vp_sdp_session *o)
{
	const char *tag = NULL;

	for (unsigned i = 0; i < o->nbundle; i++) {
		const struct vp_sdp_media *m = media_by_mid(o, o->bundle[i]);

		if (!m || role_of(m) == ROLE_REJECT)
			continue;
		if (!tag) {
			tag = m->mid;
			put(b, "a=group:BUNDLE");
		}
		put(b, " %s", m->mid);
	}
	if (tag)
		put(b, "\r\n");
	return tag;
}

/* RFC 3264 §6: a rejected stream keeps its m= line with port 0; JSEP
 * §5.3.1 keeps its mid so both sides still agree on the m= line order. */
static void put_rejected(struct sb *b, const struct vp_sdp_media *m)
{
	put(b, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->type, m->proto,
	    m->fmt0);
	if (m->mid[0])
		put(b, "a=mid:%s\r\n", m->mid);
	put(b, "a=inactive\r\n");
}

static void put_ice_dtls(struct sb *b, const struct vp_sdp_media *m,
			 const struct vp_sdp_answer_params *p)
{
	put(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ufrag, p->pwd);
	put(b, "a=fingerprint:sha-256 %s\r\n", p->fp_sha256);
	/* RFC 5763 §5: the offerer says actpass and we take the DTLS client
	 * role; only an offer that insists on active makes us passive. */
	put(b, "a=setup:%s\r\n",
	    m->setup == VP_SDP_SETUP_ACTIVE ? "passive" : "active");
}

static void put_audio(struct sb *b, const struct vp_sdp_media *m, enum role r,
		      bool cands, const struct vp_sdp_answer_params *p)
{
	/* JSEP §5.3.1: port 9 (the discard port) since ICE carries the
	 * address; only the Opus PT (RFC 3264 §6.1: a subset of the offer) */
	put(b, "m=audio 9 %s %d\r\nc=IN IP4 0.0.0.0\r\n", m->proto, m->opus_pt);
	if (m->mid[0])
		put(b, "a=mid:%s\r\n", m->mid);
	/* RFC 3264 §6.1: recvonly toward sendonly and sendrecv offers */
	put(b, "a=%s\r\n", r == ROLE_RECV ? "recvonly" : "inactive");
	if (m->rtcp_mux) /* RFC 5761 §5.1.1: only when offered */
		put(b, "a=rtcp-mux\r\n");
	put_ice_dtls(b, m, p);
	/* RFC 7587 §7: always opus/48000/2; fmtp says what we prefer */
	put(b, "a=rtpmap:%d opus/48000/2\r\n", m->opus_pt);
	put(b, "a=fmtp:%d useinbandfec=1%s\r\n", m->opus_pt,
	    p->stereo ? ";stereo=1" : "");
	if (m->ext_audio_level) /* RFC 8285 §7: echo the offered ids */
		put(b,
		    "a=extmap:%d urn:ietf:params:rtp-hdrext:"
		    "ssrc-audio-level\r\n",
		    m->ext_audio_level);
	if (m->ext_mid)
		put(b, "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
		    m->ext_mid);
	if (!cands)
		return;
	for (unsigned i = 0; i < p->ncand; i++)
		put(b, "a=candidate:%s\r\n", cand_value(p->cand[i]));
	/* RFC 8840 §4.1.2; no candidates at all means trickle later */
	if (p->ncand)
		put(b, "a=end-of-candidates\r\n");
}

static void build(struct sb *b, const struct vp_sdp_session *o,
		  const struct vp_sdp_answer_params *p)
{
	const char *tag;

	/* RFC 8866 §5: v= o= s= t= in this order */
	put(b, "v=0\r\no=- %llu %llu IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
	    (unsigned long long)p->sess_id,
	    (unsigned long long)p->sess_version);
	tag = put_group(b, o);
	put(b, "a=ice-options:trickle\r\n"); /* RFC 8840 §4.1.1 */
	for (unsigned i = 0; i < o->nmedia; i++) {
		const struct vp_sdp_media *m = &o->media[i];
		enum role r = role_of(m);
		bool grouped = tag && in_group(o, m->mid);

		if (r == ROLE_REJECT)
			put_rejected(b, m);
		else /* bundled lines share the tagged line's candidates */
			put_audio(b, m, r, !grouped || !strcmp(m->mid, tag), p);
	}
}

int vp_sdp_answer(char **sdpp, const struct vp_sdp_session *offer,
		  const struct vp_sdp_answer_params *p)
{
	struct sb b = {0};
	char *txt;

	if (!sdpp || !offer || !p || offer->nmedia > VP_SDP_MAX_MEDIA ||
	    params_check(p))
		return EINVAL;
	build(&b, offer, p);
	txt = vp_mem_zalloc(b.len + 1, NULL);
	if (!txt)
		return ENOMEM;
	b.buf = txt;
	b.cap = b.len + 1;
	b.len = 0;
	build(&b, offer, p);
	*sdpp = txt;
	return 0;
}
