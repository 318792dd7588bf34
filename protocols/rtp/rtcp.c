/* SPDX-License-Identifier: MIT */
/**
 * @file rtcp.c  RTCP compound iterator (RFC 3550 §6.1, §6.4-6.6, A.2) and
 * the RR + SDES builder. Runs per packet: no allocation, no logging.
 */
#include "protocols/rtp/rtcp.h"
#include "src/core/bytes.h"

#include <errno.h>
#include <string.h>

#define RTCP_HDR_LEN	4
#define RB_LEN		24 /* §6.4.1 report block */
#define SENDER_INFO_LEN 20

void vp_rtcp_iter_init(struct vp_rtcp_iter *it, const uint8_t *buf, size_t len)
{
	if (!it)
		return;
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = buf ? len : 0;
}

/* §6.4.1: cumulative number of packets lost is a signed 24-bit field */
static int32_t sign24(uint32_t v)
{
	v &= 0xffffff;
	return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

static void rb_read(struct vp_rtcp_rb *rb, const uint8_t *d)
{
	rb->ssrc = vp_be32(d);
	rb->fraction = d[4];
	rb->lost = sign24(vp_be32(d + 4));
	rb->ext_seq = vp_be32(d + 8);
	rb->jitter = vp_be32(d + 12);
	rb->lsr = vp_be32(d + 16);
	rb->dlsr = vp_be32(d + 20);
}

/*
 * SR (§6.4.1) and RR (§6.4.2): SSRC, [sender info], RC report blocks, then
 * optional profile-specific extension bytes, which we ignore.
 */
static int parse_report(struct vp_rtcp_pkt *p)
{
	const uint8_t *d = p->body;
	size_t need = 4 + (size_t)p->count * RB_LEN;

	if (p->type == VP_RTCP_SR)
		need += SENDER_INFO_LEN;
	if (p->body_len < need)
		return EBADMSG;
	p->ssrc = vp_be32(d);
	d += 4;
	if (p->type == VP_RTCP_SR) {
		p->sr.ntp_sec = vp_be32(d);
		p->sr.ntp_frac = vp_be32(d + 4);
		p->sr.rtp_ts = vp_be32(d + 8);
		p->sr.pkt_count = vp_be32(d + 12);
		p->sr.octet_count = vp_be32(d + 16);
		d += SENDER_INFO_LEN;
	}
	for (unsigned i = 0; i < p->count; i++, d += RB_LEN)
		rb_read(&p->rb[i], d);
	p->rb_count = p->count;
	return 0;
}

/*
 * One SDES chunk (§6.5): SSRC/CSRC, items (type, length, text), ended by
 * a null octet and padded with nulls to the next 32-bit boundary.
 * @return bytes consumed in *used, or EBADMSG.
 */
static int parse_chunk(struct vp_rtcp_cname *c, const uint8_t *d, size_t n,
		       size_t *used)
{
	size_t i = 4;

	if (n < 4)
		return EBADMSG;
	c->ssrc = vp_be32(d);
	for (;;) {
		size_t ilen;

		if (i >= n)
			return EBADMSG; /* no terminating null item */
		if (d[i] == 0)
			break;
		if (n - i < 2)
			return EBADMSG;
		ilen = d[i + 1];
		if (n - i - 2 < ilen)
			return EBADMSG;
		if (d[i] == VP_RTCP_SDES_CNAME && !c->cname) {
			c->cname = (const char *)d + i + 2;
			c->len = ilen;
		}
		i += 2 + ilen;
	}
	/* skip the null octet and the padding up to a 32-bit boundary */
	i = (i + 4) & ~(size_t)3;
	if (i > n)
		return EBADMSG;
	*used = i;
	return 0;
}

static int parse_sdes(struct vp_rtcp_pkt *p)
{
	size_t off = 0;

	for (unsigned k = 0; k < p->count; k++) {
		size_t used;
		int err = parse_chunk(&p->cname[k], p->body + off,
				      p->body_len - off, &used);

		if (err)
			return err;
		off += used;
	}
	p->cname_count = p->count;
	return 0;
}

/* BYE (§6.6): SC SSRC/CSRCs, then optional length-prefixed reason. */
static int parse_bye(struct vp_rtcp_pkt *p)
{
	size_t need = (size_t)p->count * 4;
	const uint8_t *r;

	if (p->body_len < need)
		return EBADMSG;
	for (unsigned i = 0; i < p->count; i++)
		p->bye_ssrc[i] = vp_be32(p->body + 4 * i);
	p->bye_count = p->count;
	if (p->body_len == need)
		return 0;
	r = p->body + need;
	if ((size_t)r[0] + 1 > p->body_len - need)
		return EBADMSG;
	if (r[0]) {
		p->reason = (const char *)r + 1;
		p->reason_len = r[0];
	}
	return 0;
}

/* Common header (§6.4.1): V=2, P, count, PT, length in words minus one. */
static int parse_header(struct vp_rtcp_pkt *p, const uint8_t *d, size_t n)
{
	size_t plen;
	bool padding;

	if (n < RTCP_HDR_LEN || (d[0] >> 6) != 2)
		return EBADMSG;
	/* RFC 5761 §4: RTCP packet types live in 192..223 */
	if (d[1] < 192 || d[1] > 223)
		return EBADMSG;
	plen = ((size_t)vp_be16(d + 2) + 1) * 4;
	if (plen > n)
		return EBADMSG; /* length lies: runs past the compound */
	padding = (d[0] >> 5) & 1;
	/* A.2: only the last sub-packet of a compound may be padded */
	if (padding && plen != n)
		return EBADMSG;

	memset(p, 0, sizeof(*p));
	p->pt = d[1];
	p->count = d[0] & 0x1f;
	p->raw = d;
	p->raw_len = plen;
	p->body = d + RTCP_HDR_LEN;
	p->body_len = plen - RTCP_HDR_LEN;
	if (padding) {
		uint8_t pad = d[plen - 1];

		/* §6.4.1 P: the count includes itself */
		if (pad == 0 || pad > p->body_len)
			return EBADMSG;
		p->body_len -= pad;
	}
	if (p->pt >= VP_RTCP_SR && p->pt <= VP_RTCP_XR)
		p->type = (enum vp_rtcp_type)p->pt;
	return 0;
}

int vp_rtcp_iter_next(struct vp_rtcp_iter *it, struct vp_rtcp_pkt *p)
{
	struct vp_rtcp_pkt t; /* RTCP is ~1 packet/s: copying is cheap */
	int err;

	if (!it || !p)
		return EINVAL;
	if (it->failed)
		return EBADMSG;
	if (it->off >= it->len)
		return ENOENT;

	err = parse_header(&t, it->buf + it->off, it->len - it->off);
	if (err)
		goto out;
	switch (t.type) {
	case VP_RTCP_SR:
	case VP_RTCP_RR:
		err = parse_report(&t);
		break;
	case VP_RTCP_SDES:
		err = parse_sdes(&t);
		break;
	case VP_RTCP_BYE:
		err = parse_bye(&t);
		break;
	default:
		break; /* APP, feedback, XR...: type and length only */
	}
out:
	if (err) {
		it->failed = true; /* framing lost: stop for good */
		return err;
	}
	it->off += t.raw_len;
	*p = t;
	return 0;
}

int vp_rtcp_check(const uint8_t *buf, size_t len, bool first_must_be_report)
{
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt p;
	bool first = true;
	int err;

	if (!buf)
		return EINVAL;
	if (len == 0)
		return EBADMSG;
	vp_rtcp_iter_init(&it, buf, len);
	while ((err = vp_rtcp_iter_next(&it, &p)) == 0) {
		if (first && first_must_be_report && p.type != VP_RTCP_SR &&
		    p.type != VP_RTCP_RR)
			return EBADMSG;
		first = false;
	}
	return err == ENOENT ? 0 : err;
}

/* §6.4.1: clamp the cumulative loss to what 24 signed bits can carry */
static uint32_t lost24(int32_t lost)
{
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (uint32_t)lost & 0xffffff;
}

static void rb_write(uint8_t *d, const struct vp_rtcp_rb *rb)
{
	vp_put_be32(d, rb->ssrc);
	vp_put_be32(d + 4, ((uint32_t)rb->fraction << 24) | lost24(rb->lost));
	vp_put_be32(d + 8, rb->ext_seq);
	vp_put_be32(d + 12, rb->jitter);
	vp_put_be32(d + 16, rb->lsr);
	vp_put_be32(d + 20, rb->dlsr);
}

int vp_rtcp_rr_sdes_build(uint8_t *buf, size_t size, size_t *lenp,
			  uint32_t ssrc, const struct vp_rtcp_rb *rbs, size_t n,
			  const char *cname)
{
	size_t clen, rr_len, chunk_len, off;

	if (!buf || !lenp || !cname || n > VP_RTCP_MAX_COUNT || (n && !rbs))
		return EINVAL;
	clen = strnlen(cname, 256);
	if (clen == 0 || clen > 255)
		return EINVAL;
	rr_len = RTCP_HDR_LEN + 4 + n * RB_LEN;
	/* SSRC, CNAME item (2 + clen), null item, pad to 32 bits (§6.5) */
	chunk_len = (4 + 2 + clen + 4) & ~(size_t)3;
	if (size < rr_len + RTCP_HDR_LEN + chunk_len)
		return EINVAL;

	/* RR: V=2, P=0, RC=n, PT=201, length in words minus one */
	buf[0] = (uint8_t)(0x80 | n);
	buf[1] = VP_RTCP_RR;
	vp_put_be16(buf + 2, (uint16_t)(rr_len / 4 - 1));
	vp_put_be32(buf + 4, ssrc);
	for (size_t i = 0; i < n; i++)
		rb_write(buf + 8 + i * RB_LEN, &rbs[i]);

	off = rr_len;
	buf[off] = 0x80 | 1; /* SC = 1 */
	buf[off + 1] = VP_RTCP_SDES;
	vp_put_be16(buf + off + 2,
		    (uint16_t)((RTCP_HDR_LEN + chunk_len) / 4 - 1));
	off += RTCP_HDR_LEN;
	memset(buf + off, 0, chunk_len);
	vp_put_be32(buf + off, ssrc);
	buf[off + 4] = VP_RTCP_SDES_CNAME;
	buf[off + 5] = (uint8_t)clen;
	memcpy(buf + off + 6, cname, clen);
	*lenp = off + chunk_len;
	return 0;
}
