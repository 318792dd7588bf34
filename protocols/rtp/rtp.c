/* SPDX-License-Identifier: MIT */
/**
 * @file rtp.c  RTP parse/write (RFC 3550 §5.1, §5.3.1), header extension
 * elements (RFC 8285) and audio level (RFC 6464). Runs on the net thread
 * per packet: no allocation, no logging.
 */
#include "protocols/rtp/rtp.h"
#include "src/core/bytes.h"

#include <errno.h>
#include <string.h>

/*
 * RFC 3550 §5.1 P bit: "The last octet of the padding contains a count of
 * how many padding octets should be ignored, including itself." So the
 * count is at least 1 and cannot reach back into the header.
 */
static int strip_padding(struct vp_rtp_pkt *p, const uint8_t *body,
			 size_t body_len)
{
	uint8_t pad;

	if (!p->padding) {
		p->payload = body;
		p->payload_len = body_len;
		return 0;
	}
	if (body_len == 0)
		return EBADMSG;
	pad = body[body_len - 1];
	if (pad == 0 || pad > body_len)
		return EBADMSG;
	p->payload = body;
	p->payload_len = body_len - pad;
	return 0;
}

int vp_rtp_parse(struct vp_rtp_pkt *p, const uint8_t *buf, size_t len)
{
	struct vp_rtp_pkt t;
	size_t off = VP_RTP_HDR_LEN;
	int err;

	if (!p || !buf)
		return EINVAL;
	if (len < VP_RTP_HDR_LEN)
		return EBADMSG;

	memset(&t, 0, sizeof(t));
	t.version = buf[0] >> 6;
	if (t.version != 2)
		return EBADMSG;
	t.padding = (buf[0] >> 5) & 1;
	t.ext = (buf[0] >> 4) & 1;
	t.cc = buf[0] & 0x0f;
	t.marker = buf[1] >> 7;
	t.pt = buf[1] & 0x7f;
	t.seq = vp_be16(buf + 2);
	t.ts = vp_be32(buf + 4);
	t.ssrc = vp_be32(buf + 8);

	if (len - off < (size_t)t.cc * 4)
		return EBADMSG;
	for (unsigned i = 0; i < t.cc; i++, off += 4)
		t.csrc[i] = vp_be32(buf + off);

	/* §5.3.1: 16-bit profile word, 16-bit length in 32-bit words */
	if (t.ext) {
		size_t xlen;

		if (len - off < 4)
			return EBADMSG;
		t.ext_profile = vp_be16(buf + off);
		xlen = (size_t)vp_be16(buf + off + 2) * 4;
		off += 4;
		if (len - off < xlen)
			return EBADMSG;
		t.ext_data = buf + off;
		t.ext_len = xlen;
		off += xlen;
	}

	err = strip_padding(&t, buf + off, len - off);
	if (err)
		return err;
	*p = t;
	return 0;
}

/* RFC 8285 §4.2: one-byte form; ID 0 is a padding byte, ID 15 stops. */
static int find_one_byte(const uint8_t *d, size_t n, uint8_t id,
			 const uint8_t **data, size_t *len)
{
	size_t i = 0;

	while (i < n) {
		uint8_t eid = d[i] >> 4;
		size_t elen = (size_t)(d[i] & 0x0f) + 1;

		if (eid == 0) { /* padding: "MUST be ignored" */
			i++;
			continue;
		}
		if (eid == 15) /* reserved: terminate processing */
			return ENOENT;
		if (n - i - 1 < elen)
			return EBADMSG;
		if (eid == id) {
			*data = d + i + 1;
			*len = elen;
			return 0;
		}
		i += 1 + elen;
	}
	return ENOENT;
}

/* RFC 8285 §4.3: two-byte form; ID 0 is a padding byte, length 0 legal. */
static int find_two_byte(const uint8_t *d, size_t n, uint8_t id,
			 const uint8_t **data, size_t *len)
{
	size_t i = 0;

	while (i < n) {
		size_t elen;

		if (d[i] == 0) {
			i++;
			continue;
		}
		if (n - i < 2)
			return EBADMSG;
		elen = d[i + 1];
		if (n - i - 2 < elen)
			return EBADMSG;
		if (d[i] == id) {
			*data = d + i + 2;
			*len = elen;
			return 0;
		}
		i += 2 + elen;
	}
	return ENOENT;
}

int vp_rtp_ext_find(const struct vp_rtp_pkt *p, uint8_t id,
		    const uint8_t **data, size_t *len)
{
	if (!p || !data || !len || id == 0)
		return EINVAL;
	if (!p->ext || !p->ext_data)
		return ENOENT;
	if (p->ext_profile == VP_RTP_EXT_ONE_BYTE) {
		if (id > 14)
			return EINVAL;
		return find_one_byte(p->ext_data, p->ext_len, id, data, len);
	}
	if ((p->ext_profile & VP_RTP_EXT_TWO_BYTE_MASK) == VP_RTP_EXT_TWO_BYTE)
		return find_two_byte(p->ext_data, p->ext_len, id, data, len);
	return ENOENT; /* some other profile's extension (§5.3.1) */
}

int vp_rtp_audio_level(const struct vp_rtp_pkt *p, uint8_t ext_id, bool *voice,
		       uint8_t *level)
{
	const uint8_t *d;
	size_t n;
	int err;

	if (!voice || !level)
		return EINVAL;
	err = vp_rtp_ext_find(p, ext_id, &d, &n);
	if (err)
		return err;
	/* RFC 6464 §3: one byte, |V| level (7 bits, -dBov) | */
	if (n != 1)
		return EBADMSG;
	*voice = d[0] >> 7;
	*level = d[0] & 0x7f;
	return 0;
}

size_t vp_rtp_write_hdr(uint8_t *buf, size_t size, const struct vp_rtp_pkt *p)
{
	size_t need, off = VP_RTP_HDR_LEN;

	if (!buf || !p || p->cc > 15 || p->pt > 127)
		return 0;
	need = VP_RTP_HDR_LEN + (size_t)p->cc * 4;
	if (p->ext) {
		if (p->ext_len % 4 || p->ext_len / 4 > 0xffff ||
		    (p->ext_len && !p->ext_data))
			return 0;
		need += 4 + p->ext_len;
	}
	if (size < need)
		return 0;

	buf[0] = (uint8_t)(0x80 | (p->padding << 5) | (p->ext << 4) | p->cc);
	buf[1] = (uint8_t)((p->marker << 7) | p->pt);
	vp_put_be16(buf + 2, p->seq);
	vp_put_be32(buf + 4, p->ts);
	vp_put_be32(buf + 8, p->ssrc);
	for (unsigned i = 0; i < p->cc; i++, off += 4)
		vp_put_be32(buf + off, p->csrc[i]);
	if (p->ext) {
		vp_put_be16(buf + off, p->ext_profile);
		vp_put_be16(buf + off + 2, (uint16_t)(p->ext_len / 4));
		off += 4;
		if (p->ext_len)
			memcpy(buf + off, p->ext_data, p->ext_len);
		off += p->ext_len;
	}
	return off;
}
