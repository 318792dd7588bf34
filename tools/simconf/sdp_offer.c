/* SPDX-License-Identifier: MIT */
/**
 * @file sdp_offer.c  Builds the simulator's sendonly Opus offer. The layout
 * follows what a browser offers (JSEP, RFC 8829 §5.2.1) so the bot's
 * parser meets the same shape in tests as in production.
 */
#include "tools/simconf/sdp_offer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "src/core/mem.h"

struct sbuf {
	char *b;
	size_t len, cap;
	int err;
};

static void put(struct sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->b + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len) {
		s->err = ENOMEM; /* sized up front: cannot happen */
		return;
	}
	s->len += (size_t)n;
}

/* A token that goes into an SDP line: no CR/LF (RFC 8866 §5), and for
 * most fields no blank either. */
static bool token_ok(const char *v, size_t max, bool blanks)
{
	size_t n;

	if (!v || !*v || (n = strlen(v)) > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '\r' || v[i] == '\n' || (!blanks && v[i] == ' ') ||
		    (unsigned char)v[i] < 0x20)
			return false;
	return true;
}

static int check(const struct vp_simconf_offer_params *p, size_t *need)
{
	size_t nc = 0, n = 1024;

	if (!p->nmedia || !p->media || (p->ncand && !p->cand) ||
	    !token_ok(p->ufrag, 256, false) || !token_ok(p->pwd, 256, false) ||
	    !token_ok(p->fp_sha256, 191, false))
		return EINVAL;
	for (unsigned i = 0; i < p->ncand; i++) {
		if (!token_ok(p->cand[i], 250, true))
			return EINVAL;
		nc += strlen(p->cand[i]) + 8;
	}
	for (unsigned i = 0; i < p->nmedia; i++) {
		const struct vp_simconf_offer_media *m = &p->media[i];

		if (!token_ok(m->mid, 16, false) ||
		    strspn(m->mid,
			   "0123456789abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m->mid) ||
		    !token_ok(m->cname, 64, false))
			return EINVAL;
		n += 512 + nc + strlen(m->cname) + strlen(m->mid) * 2;
	}
	*need = n + strlen(p->ufrag) + strlen(p->pwd) + strlen(p->fp_sha256);
	return 0;
}

static void media(struct sbuf *s, const struct vp_simconf_offer_params *p,
		  const struct vp_simconf_offer_media *m)
{
	/* RFC 8843 §7.1: port 9 ("discard") with ICE; RFC 5764 profile */
	put(s, "m=audio 9 UDP/TLS/RTP/SAVPF %d\r\n", VP_SIMCONF_OFFER_PT);
	put(s, "c=IN IP4 0.0.0.0\r\n");
	put(s, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
	for (unsigned i = 0; i < p->ncand; i++)
		put(s, "a=%s\r\n", p->cand[i]);
	if (p->ncand)
		put(s, "a=end-of-candidates\r\n"); /* RFC 8840 §4.1.2 */
	put(s, "a=mid:%s\r\n", m->mid);
	put(s, "a=%s\r\n", m->active ? "sendonly" : "inactive");
	put(s, "a=rtcp-mux\r\n");
	/* RFC 7587 §7: opus is always signalled as 48000/2 */
	put(s, "a=rtpmap:%d opus/48000/2\r\n", VP_SIMCONF_OFFER_PT);
	put(s, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", VP_SIMCONF_OFFER_PT);
	/* RFC 6464 §4 (RFC 8285 one-byte form): the V bit is in use */
	if (p->ext_audio_level > 0 && p->ext_audio_level < 15)
		put(s,
		    "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level "
		    "vad=on\r\n",
		    p->ext_audio_level);
	/* RFC 5576 §4.1: ties the SSRC to the m= line and its cname */
	put(s, "a=ssrc:%u cname:%s\r\n", (unsigned)m->ssrc, m->cname);
}

int vp_simconf_offer_build(char **sdpp, const struct vp_simconf_offer_params *p)
{
	struct sbuf s = {0};
	int err;

	if (!sdpp || !p)
		return EINVAL;
	err = check(p, &s.cap);
	if (err)
		return err;
	s.b = vp_mem_zalloc(s.cap, NULL);
	if (!s.b)
		return ENOMEM;
	put(&s, "v=0\r\n");
	put(&s, "o=- %llu %llu IN IP4 127.0.0.1\r\n",
	    (unsigned long long)p->sess_id,
	    (unsigned long long)p->sess_version);
	put(&s, "s=simconf\r\nt=0 0\r\n");
	put(&s, "a=group:BUNDLE");
	for (unsigned i = 0; i < p->nmedia; i++)
		put(&s, " %s", p->media[i].mid);
	put(&s, "\r\n");
	/* session-level ICE and DTLS (RFC 8839 §5.4, RFC 8122 §5) */
	put(&s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ufrag, p->pwd);
	put(&s, "a=fingerprint:sha-256 %s\r\n", p->fp_sha256);
	put(&s, "a=setup:actpass\r\n");
	put(&s, "a=msid-semantic: WMS\r\n");
	for (unsigned i = 0; i < p->nmedia; i++)
		media(&s, p, &p->media[i]);
	if (s.err) {
		vp_mem_deref(s.b);
		return s.err;
	}
	*sdpp = s.b;
	return 0;
}
