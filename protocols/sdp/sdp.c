/* SPDX-License-Identifier: MIT */
/**
 * @file sdp.c  SDP parser (RFC 8866) for WebRTC offers: m= lines, mids,
 * BUNDLE, ICE and DTLS attributes, Opus rtpmap/fmtp, extmaps, ssrcs.
 *
 * Lenient where real peers differ (CRLF or LF, trailing blanks, unknown
 * attributes, Janus's "a=fmtp:111 0 maxplaybackrate=…" token), strict where
 * a wrong guess would hurt later (overlong values are refused, never cut).
 */
#include "protocols/sdp/sdp.h"
#include "protocols/sdp/sdp_priv.h"

#define VP_LOG_MODULE "sdp"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Slot used for session-level attributes in the per-media bookkeeping. */
#define SESS VP_SDP_MAX_MEDIA

struct pctx {
	struct vp_sdp_session *s;
	struct vp_sdp_media sess; /* session-level defaults, inherited */
	int cur;		  /* media index, or SESS before the 1st m= */
	unsigned lineno;
	bool dir_set[VP_SDP_MAX_MEDIA + 1];
	uint8_t opus_pos[VP_SDP_MAX_MEDIA];   /* fmt position of opus_pt */
	uint8_t ptpos[VP_SDP_MAX_MEDIA][128]; /* 1 + position in m= line */
	char *why;
	size_t whysz;
};

static int fail(struct pctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->why && c->whysz) {
		n = c->lineno
			    ? snprintf(c->why, c->whysz, "line %u: ", c->lineno)
			    : 0;
		if (n >= 0 && (size_t)n < c->whysz) {
			va_start(ap, fmt);
			vsnprintf(c->why + n, c->whysz - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return EBADMSG;
}

static struct vp_sdp_media *cur(struct pctx *c)
{
	return c->cur == SESS ? &c->sess : &c->s->media[c->cur];
}

/* --- small lexing helpers (shared with sdp_answer.c via sdp_priv.h) --- */

bool vp_sdp__copy(char *dst, size_t dstsz, const char *p, size_t n)
{
	if (n >= dstsz)
		return false;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return true;
}

bool vp_sdp__uint(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

/* Next token separated by blanks; false at the end. */
bool vp_sdp__tok(const char **p, const char *end, const char **t, size_t *n)
{
	const char *q = *p;

	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q == end)
		return false;
	*t = q;
	while (q < end && *q != ' ' && *q != '\t')
		q++;
	*n = (size_t)(q - *t);
	*p = q;
	return true;
}

static bool eq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(p, lit, n);
}

/* --- lines --- */

struct line {
	const char *p; /* whole line, "x=…" */
	size_t n;
};

/* RFC 8866 §5: lines end in CRLF; we take LF alone and drop trailing
 * blanks too. @return 1 line, 0 end, EBADMSG on an overlong line */
static int next_line(struct pctx *c, const char *sdp, size_t len, size_t *pos,
		     struct line *l)
{
	const char *p = sdp + *pos, *e;

	if (*pos >= len)
		return 0;
	e = memchr(p, '\n', len - *pos);
	if (!e)
		e = sdp + len;
	*pos = (size_t)(e - sdp) + 1;
	c->lineno++;
	if ((size_t)(e - p) > VP_SDP_MAX_LINE)
		return fail(c, "line longer than %d bytes", VP_SDP_MAX_LINE);
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	/* a bare CR inside a line would end a line in the answer we echo */
	if (memchr(p, '\r', (size_t)(e - p)))
		return fail(c, "CR inside a line");
	l->p = p;
	l->n = (size_t)(e - p);
	return 1;
}

/* --- o= and m= --- */

/* RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype>
 * <unicast-address>; only the two numbers matter to us. */
static int parse_origin(struct pctx *c, const char *p, const char *end)
{
	const char *t[6];
	size_t n[6];
	uint64_t id, ver;

	for (int i = 0; i < 6; i++)
		if (!vp_sdp__tok(&p, end, &t[i], &n[i]))
			return fail(c, "o= line with %d fields", i);
	if (!vp_sdp__uint(t[1], n[1], UINT64_MAX, &id) ||
	    !vp_sdp__uint(t[2], n[2], UINT64_MAX, &ver))
		return fail(c, "o= session id or version not a number");
	c->s->sess_id = id;
	c->s->sess_version = ver;
	return 0;
}

/* RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> … */
static int parse_m(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m;
	const char *t, *sl;
	size_t n;
	uint64_t port, pt;
	unsigned pos = 0;

	if (c->s->nmedia >= VP_SDP_MAX_MEDIA)
		return fail(c, "more than %d m= lines", VP_SDP_MAX_MEDIA);
	c->cur = (int)c->s->nmedia++;
	m = cur(c);
	m->opus_pt = -1;
	if (!vp_sdp__tok(&p, end, &t, &n) ||
	    !vp_sdp__copy(m->type, sizeof(m->type), t, n))
		return fail(c, "m= line without a valid media type");
	if (!vp_sdp__tok(&p, end, &t, &n))
		return fail(c, "m= line without port");
	sl = memchr(t, '/', n);
	if (!vp_sdp__uint(t, sl ? (size_t)(sl - t) : n, 65535, &port))
		return fail(c, "m= line port not a number");
	m->port = (uint16_t)port;
	m->rejected = port == 0;
	if (!vp_sdp__tok(&p, end, &t, &n) ||
	    !vp_sdp__copy(m->proto, sizeof(m->proto), t, n))
		return fail(c, "m= line without a valid proto");
	while (vp_sdp__tok(&p, end, &t, &n)) {
		if (pos == 0 && !vp_sdp__copy(m->fmt0, sizeof(m->fmt0), t, n))
			return fail(c, "m= line format too long");
		pos++;
		/* RTP payload types (RFC 3551 §6); others (SCTP) are text */
		if (vp_sdp__uint(t, n, 127, &pt) && !c->ptpos[c->cur][pt])
			c->ptpos[c->cur][pt] = (uint8_t)(pos > 255 ? 255 : pos);
	}
	if (pos == 0)
		return fail(c, "m= line without format");
	return 0;
}

/* --- attributes --- */

/* RFC 8866 §6.6 rtpmap:<pt> <encoding>/<clock>[/<channels>]; RFC 7587 §7:
 * Opus is always "opus/48000/2". Several Opus PTs: the m= line's order is
 * the offerer's preference, so the earliest wins. Malformed: ignored. */
static void parse_rtpmap(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m = cur(c);
	const char *t, *enc, *e1, *e2;
	size_t n;
	uint64_t pt, clock, ch = 1;

	if (c->cur == SESS || !vp_sdp__tok(&p, end, &t, &n) ||
	    !vp_sdp__uint(t, n, 127, &pt) || !c->ptpos[c->cur][pt] ||
	    !vp_sdp__tok(&p, end, &enc, &n))
		return;
	e1 = memchr(enc, '/', n);
	if (!e1 || !eq(enc, (size_t)(e1 - enc), "opus"))
		return;
	e2 = memchr(e1 + 1, '/', (size_t)(enc + n - e1 - 1));
	if (!vp_sdp__uint(e1 + 1, (size_t)((e2 ? e2 : enc + n) - e1 - 1),
			  UINT32_MAX, &clock) ||
	    clock != 48000)
		return;
	if (e2 && !vp_sdp__uint(e2 + 1, (size_t)(enc + n - e2 - 1), 255, &ch))
		return;
	if (m->opus_pt >= 0 && c->opus_pos[c->cur] <= c->ptpos[c->cur][pt])
		return;
	m->opus_pt = (int)pt;
	m->opus_channels = (unsigned)ch;
	c->opus_pos[c->cur] = c->ptpos[c->cur][pt];
}

/* RFC 8285 §8: extmap:<id>[/<direction>] <URI> [<attributes>] */
static void parse_extmap(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m = cur(c);
	const char *t, *sl;
	size_t n;
	uint64_t id;

	if (c->cur == SESS || !vp_sdp__tok(&p, end, &t, &n))
		return;
	sl = memchr(t, '/', n);
	if (!vp_sdp__uint(t, sl ? (size_t)(sl - t) : n, 255, &id) || id == 0 ||
	    !vp_sdp__tok(&p, end, &t, &n))
		return;
	if (eq(t, n, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
		m->ext_audio_level = (int)id; /* RFC 6464 §4 */
	else if (eq(t, n, "urn:ietf:params:rtp-hdrext:sdes:mid"))
		m->ext_mid = (int)id; /* RFC 8843 §15.1 */
}

/* RFC 5576 §4.1: ssrc:<ssrc-id> <attribute>[:<value>] */
static void parse_ssrc(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m = cur(c);
	const char *t;
	size_t n;
	uint64_t id;
	unsigned i;

	if (c->cur == SESS || !vp_sdp__tok(&p, end, &t, &n) ||
	    !vp_sdp__uint(t, n, UINT32_MAX, &id))
		return;
	for (i = 0; i < m->nssrc && m->ssrc[i] != id; i++)
		;
	if (i == m->nssrc && m->nssrc < VP_SDP_MAX_SSRC)
		m->ssrc[m->nssrc++] = (uint32_t)id;
	if (!m->cname[0] && vp_sdp__tok(&p, end, &t, &n) && n > 6 &&
	    !strncasecmp(t, "cname:", 6))
		(void)vp_sdp__copy(m->cname, sizeof(m->cname), t + 6, n - 6);
}

/* RFC 8122 §5: fingerprint:<hash-func> <fingerprint>. Several may be
 * given; keep sha-256 if there is one (that is what we can verify). */
static int parse_fingerprint(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m = cur(c);
	const char *alg, *fp;
	size_t an, fn;
	char a[sizeof(m->fp_alg)];

	if (!vp_sdp__tok(&p, end, &alg, &an) || !vp_sdp__tok(&p, end, &fp, &fn))
		return fail(c, "fingerprint without hash or value");
	if (!vp_sdp__copy(a, sizeof(a), alg, an) || fn >= sizeof(m->fp))
		return fail(c, "fingerprint too long");
	for (size_t i = 0; i < an; i++)
		a[i] = (char)((a[i] >= 'A' && a[i] <= 'Z') ? a[i] + 32 : a[i]);
	if (m->fp[0] && (!strcmp(m->fp_alg, "sha-256") || strcmp(a, "sha-256")))
		return 0;
	memcpy(m->fp_alg, a, sizeof(a));
	(void)vp_sdp__copy(m->fp, sizeof(m->fp), fp, fn);
	return 0;
}

static int parse_group(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_session *s = c->s;
	const char *t;
	size_t n;

	/* RFC 5888 §5 / RFC 8843 §7: keep the first BUNDLE group only */
	if (!vp_sdp__tok(&p, end, &t, &n) || !eq(t, n, "BUNDLE") || s->nbundle)
		return 0;
	while (vp_sdp__tok(&p, end, &t, &n) && s->nbundle < VP_SDP_MAX_BUNDLE)
		if (!vp_sdp__copy(s->bundle[s->nbundle++], sizeof(s->bundle[0]),
				  t, n))
			return fail(c, "BUNDLE mid too long");
	return 0;
}

static void set_dir(struct pctx *c, enum vp_sdp_dir d)
{
	cur(c)->dir = d;
	c->dir_set[c->cur] = true;
}

static int set_str(struct pctx *c, char *dst, size_t dstsz, const char *v,
		   size_t vn, const char *what)
{
	if (vn == 0 || !vp_sdp__copy(dst, dstsz, v, vn))
		return fail(c, "%s empty or too long", what);
	return 0;
}

static void add_cand(struct pctx *c, const char *v, size_t vn)
{
	struct vp_sdp_media *m = cur(c);

	/* RFC 8839 §5.1; candidates at session level are not defined */
	if (c->cur == SESS || m->ncand >= VP_SDP_MAX_CAND ||
	    vn + 10 >= sizeof(m->cand[0]))
		return;
	memcpy(m->cand[m->ncand], "candidate:", 10);
	memcpy(m->cand[m->ncand] + 10, v, vn);
	m->cand[m->ncand++][10 + vn] = '\0';
}

/* RFC 8866 §6: a=<attribute-name>[:<attribute-value>] */
static int parse_attr(struct pctx *c, const char *p, const char *end)
{
	struct vp_sdp_media *m = cur(c);
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t nn = (size_t)((colon ? colon : end) - p);
	const char *v = colon ? colon + 1 : end;
	size_t vn = (size_t)(end - v);

	if (eq(p, nn, "mid") && c->cur != SESS)
		return set_str(c, m->mid, sizeof(m->mid), v, vn, "mid");
	if (eq(p, nn, "ice-ufrag"))
		return set_str(c, m->ufrag, sizeof(m->ufrag), v, vn, "ufrag");
	if (eq(p, nn, "ice-pwd"))
		return set_str(c, m->pwd, sizeof(m->pwd), v, vn, "ice-pwd");
	if (eq(p, nn, "fingerprint"))
		return parse_fingerprint(c, v, end);
	if (eq(p, nn, "group") && c->cur == SESS)
		return parse_group(c, v, end);
	if (eq(p, nn, "setup"))
		m->setup = eq(v, vn, "actpass")	   ? VP_SDP_SETUP_ACTPASS
			   : eq(v, vn, "active")   ? VP_SDP_SETUP_ACTIVE
			   : eq(v, vn, "passive")  ? VP_SDP_SETUP_PASSIVE
			   : eq(v, vn, "holdconn") ? VP_SDP_SETUP_HOLDCONN
						   : VP_SDP_SETUP_NONE;
	else if (eq(p, nn, "sendonly"))
		set_dir(c, VP_SDP_SENDONLY);
	else if (eq(p, nn, "recvonly"))
		set_dir(c, VP_SDP_RECVONLY);
	else if (eq(p, nn, "sendrecv"))
		set_dir(c, VP_SDP_SENDRECV);
	else if (eq(p, nn, "inactive"))
		set_dir(c, VP_SDP_INACTIVE);
	else if (eq(p, nn, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (eq(p, nn, "ice-lite"))
		c->s->ice_lite = true;
	else if (eq(p, nn, "end-of-candidates"))
		m->end_of_candidates = true;
	else if (eq(p, nn, "candidate"))
		add_cand(c, v, vn);
	else if (eq(p, nn, "rtpmap"))
		parse_rtpmap(c, v, end);
	else if (eq(p, nn, "extmap"))
		parse_extmap(c, v, end);
	else if (eq(p, nn, "ssrc"))
		parse_ssrc(c, v, end);
	return 0;
}

/* --- the two passes --- */

static int parse_line(struct pctx *c, const struct line *l, bool first)
{
	const char *end = l->p + l->n;

	/* RFC 8866 §5: <type>=<value>, type one lower-case letter */
	if (l->n < 2 || l->p[1] != '=' || l->p[0] < 'a' || l->p[0] > 'z')
		return fail(c, "not a <type>=<value> line");
	if (first != (l->p[0] == 'v'))
		return fail(c, first ? "first line is not v=" : "second v=");
	switch (l->p[0]) {
	case 'v':
		return eq(l->p + 2, l->n - 2, "0") ? 0
						   : fail(c, "version not 0");
	case 'o':
		return c->cur == SESS ? parse_origin(c, l->p + 2, end) : 0;
	case 'm':
		return parse_m(c, l->p + 2, end);
	case 'a':
		return parse_attr(c, l->p + 2, end);
	default:
		return 0; /* s= c= t= b= … carry nothing we use */
	}
}

static int pass1(struct pctx *c, const char *sdp, size_t len)
{
	struct line l;
	size_t pos = 0;
	bool first = true;
	int r, err;

	while ((r = next_line(c, sdp, len, &pos, &l)) == 1) {
		if (l.n == 0)
			continue; /* stray blank line, e.g. a final CRLF CRLF */
		err = parse_line(c, &l, first);
		if (err)
			return err;
		first = false;
	}
	if (r)
		return r;
	c->lineno = 0;
	return first ? fail(c, "empty SDP") : 0;
}

/* RFC 7587 §6.1 Opus fmtp parameters, "key=value" separated by ';'.
 * Peers add blanks after ';' and Janus's AudioBridge even a stray "0 "
 * token, so split on ';' and blanks and skip what has no '='. */
static void parse_opus_fmtp(struct vp_sdp_media *m, const char *p,
			    const char *end)
{
	while (p < end) {
		const char *t = p, *q, *eqs;
		size_t kn, vn;
		uint64_t v;

		while (p < end && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		q = p++;
		eqs = memchr(t, '=', (size_t)(q - t));
		if (!eqs)
			continue;
		kn = (size_t)(eqs - t);
		vn = (size_t)(q - eqs - 1);
		if (!vp_sdp__uint(eqs + 1, vn, UINT32_MAX, &v))
			continue;
		if (eq(t, kn, "useinbandfec"))
			m->opus_fec = v == 1;
		else if (eq(t, kn, "stereo"))
			m->opus_stereo = v == 1;
		else if (eq(t, kn, "sprop-stereo"))
			m->opus_sprop_stereo = v == 1;
		else if (eq(t, kn, "usedtx"))
			m->opus_dtx = v == 1;
		else if (eq(t, kn, "maxplaybackrate"))
			m->opus_maxplaybackrate = (unsigned)v;
	}
}

/* fmtp may come before its rtpmap, so it is read once the Opus PT of every
 * m= line is known. Lines were validated by pass1. */
static void pass2(struct pctx *c, const char *sdp, size_t len)
{
	struct line l;
	size_t pos = 0;
	int idx = -1;

	while (next_line(c, sdp, len, &pos, &l) == 1) {
		const char *p, *end = l.p + l.n, *t;
		size_t n;
		uint64_t pt;

		if (l.n >= 2 && l.p[0] == 'm' && l.p[1] == '=')
			idx++;
		if (idx < 0 || l.n < 7 || strncmp(l.p, "a=fmtp:", 7))
			continue;
		p = l.p + 7;
		if (!vp_sdp__tok(&p, end, &t, &n) ||
		    !vp_sdp__uint(t, n, 127, &pt) ||
		    (int)pt != c->s->media[idx].opus_pt)
			continue;
		parse_opus_fmtp(&c->s->media[idx], p, end);
	}
}

/* Session-level values are defaults for every m= line (RFC 8866 §5;
 * RFC 8839 §5.4 ice creds, RFC 8122 §5 fingerprint, RFC 4145 setup);
 * with no direction anywhere, sendrecv is the default (RFC 8866 §6.7). */
static int finish(struct pctx *c)
{
	const struct vp_sdp_media *d = &c->sess;

	for (unsigned i = 0; i < c->s->nmedia; i++) {
		struct vp_sdp_media *m = &c->s->media[i];

		if (!m->ufrag[0])
			memcpy(m->ufrag, d->ufrag, sizeof(m->ufrag));
		if (!m->pwd[0])
			memcpy(m->pwd, d->pwd, sizeof(m->pwd));
		if (!m->fp[0]) {
			memcpy(m->fp_alg, d->fp_alg, sizeof(m->fp_alg));
			memcpy(m->fp, d->fp, sizeof(m->fp));
		}
		if (m->setup == VP_SDP_SETUP_NONE)
			m->setup = d->setup;
		if (!c->dir_set[i])
			m->dir = c->dir_set[SESS] ? d->dir : VP_SDP_SENDRECV;
		m->end_of_candidates |= d->end_of_candidates;
		/* RFC 8843 §7.2.1 / RFC 5888 §4: mids are unique */
		for (unsigned j = 0; m->mid[0] && j < i; j++)
			if (!strcmp(m->mid, c->s->media[j].mid))
				return fail(c, "duplicate mid in m= line %u",
					    i + 1);
	}
	return 0;
}

int vp_sdp_parse_why(struct vp_sdp_session **sp, const char *sdp, size_t len,
		     char *why, size_t whysz)
{
	struct pctx *c = NULL;
	int err;

	if (why && whysz)
		why[0] = '\0';
	if (!sp || !sdp)
		return EINVAL;
	c = vp_mem_zalloc(sizeof(*c), NULL); /* ~10 KB: not on the stack */
	if (!c)
		return ENOMEM;
	c->why = why;
	c->whysz = whysz;
	c->cur = SESS;
	if (len > VP_SDP_MAX_LEN) {
		err = fail(c, "SDP longer than %d bytes", VP_SDP_MAX_LEN);
		goto out;
	}
	if (memchr(sdp, '\0', len)) {
		err = fail(c, "NUL byte in SDP");
		goto out;
	}
	c->s = vp_mem_zalloc(sizeof(*c->s), NULL);
	if (!c->s) {
		err = ENOMEM;
		goto out;
	}
	err = pass1(c, sdp, len);
	if (!err) {
		pass2(c, sdp, len);
		err = finish(c);
	}
out:
	if (!err)
		*sp = c->s;
	else
		vp_mem_deref(c->s);
	vp_mem_deref(c);
	return err;
}

int vp_sdp_parse(struct vp_sdp_session **sp, const char *sdp, size_t len)
{
	char why[128];
	int err = vp_sdp_parse_why(sp, sdp, len, why, sizeof(why));

	if (err == EBADMSG)
		vp_log_warn("malformed SDP: %s", why);
	return err;
}

int vp_sdp_opus_find(const struct vp_sdp_media **mp,
		     const struct vp_sdp_session *s)
{
	if (!mp || !s)
		return EINVAL;
	for (unsigned i = 0; i < s->nmedia; i++) {
		const struct vp_sdp_media *m = &s->media[i];

		if (!strcmp(m->type, "audio") && !m->rejected &&
		    m->opus_pt >= 0 &&
		    (m->dir == VP_SDP_SENDONLY || m->dir == VP_SDP_SENDRECV)) {
			*mp = m;
			return 0;
		}
	}
	return ENOENT;
}

bool vp_sdp_has_opus(const struct vp_sdp_session *s)
{
	for (unsigned i = 0; s && i < s->nmedia; i++)
		if (!strcmp(s->media[i].type, "audio") &&
		    !s->media[i].rejected && s->media[i].opus_pt >= 0)
			return true;
	return false;
}

const char *vp_sdp_dir_name(enum vp_sdp_dir dir)
{
	switch (dir) {
	case VP_SDP_SENDONLY:
		return "sendonly";
	case VP_SDP_RECVONLY:
		return "recvonly";
	case VP_SDP_SENDRECV:
		return "sendrecv";
	default:
		return "inactive";
	}
}

static bool media_has_ssrc(const struct vp_sdp_media *m, uint32_t ssrc)
{
	for (unsigned j = 0; j < m->nssrc; j++)
		if (m->ssrc[j] == ssrc)
			return true;
	return false;
}

static void media_drop_ssrc(struct vp_sdp_media *m, uint32_t ssrc)
{
	unsigned k = 0;

	for (unsigned j = 0; j < m->nssrc; j++)
		if (m->ssrc[j] != ssrc)
			m->ssrc[k++] = m->ssrc[j];
	m->nssrc = k;
}

unsigned vp_sdp_drop_shared_ssrc(struct vp_sdp_session *s)
{
	unsigned dropped = 0;

	if (!s)
		return 0;
	for (unsigned i = 0; i < s->nmedia; i++) {
		struct vp_sdp_media *m = &s->media[i];

		for (unsigned j = 0; j < m->nssrc;) {
			uint32_t ssrc = m->ssrc[j];
			bool shared = false;

			for (unsigned o = i + 1; o < s->nmedia; o++) {
				if (!media_has_ssrc(&s->media[o], ssrc))
					continue;
				shared = true;
				media_drop_ssrc(&s->media[o], ssrc);
			}
			if (!shared) {
				j++;
				continue;
			}
			media_drop_ssrc(m, ssrc); /* m->ssrc[j] is the next */
			dropped++;
		}
	}
	return dropped;
}
