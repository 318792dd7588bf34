/* SPDX-License-Identifier: MIT */
/** @file capture.c  libpcap adapter and the link/IP/UDP header walk. */
#include "src/bot/capture.h"

#include "src/core/bytes.h"
#include "src/core/clock.h"
#include "src/core/mem.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct vp_capture {
	pcap_t *pcap;
	int dlt;
	bool nano;
	struct vp_capture_stats stats;
};

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	IPPROTO_UDP_ = 17,
};

static void capture_destroy(void *data)
{
	struct vp_capture *cap = data;

	if (cap->pcap)
		pcap_close(cap->pcap);
}

int vp_capture_open(struct vp_capture **capp, const char *path, char *err,
		    size_t errsz)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct vp_capture *cap;
	struct vp_capture_dgram probe;

	if (!capp || !path)
		return EINVAL;
	if (access(path, R_OK) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return ENOENT;
	}
	cap = vp_mem_zalloc(sizeof(*cap), capture_destroy);
	if (!cap)
		return ENOMEM;
	/* Nanosecond precision when the file has it (pcapng, nsec pcap). */
	cap->pcap = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!cap->pcap) {
		snprintf(err, errsz, "%s: not a pcap or pcapng capture (%s)",
			 path, ebuf);
		vp_mem_deref(cap);
		return EBADMSG;
	}
	cap->dlt = pcap_datalink(cap->pcap);
	cap->nano = pcap_get_tstamp_precision(cap->pcap) ==
		    PCAP_TSTAMP_PRECISION_NANO;
	if (vp_capture_udp(cap->dlt, NULL, 0, &probe) == ENOTSUP) {
		snprintf(err, errsz, "%s: link type %s is not supported", path,
			 pcap_datalink_val_to_name(cap->dlt)
				 ? pcap_datalink_val_to_name(cap->dlt)
				 : "unknown");
		vp_mem_deref(cap);
		return EBADMSG;
	}
	*capp = cap;
	return 0;
}

int vp_capture_next(struct vp_capture *cap, struct vp_capture_dgram *d)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	for (;;) {
		r = pcap_next_ex(cap->pcap, &h, &data);
		if (r == PCAP_ERROR_BREAK)
			return ENOENT;
		if (r != 1)
			return EBADMSG;
		cap->stats.frames++;
		r = vp_capture_udp(cap->dlt, data, h->caplen, d);
		if (r == 0) {
			d->ts_ns = (uint64_t)h->ts.tv_sec * VP_SEC +
				   (uint64_t)h->ts.tv_usec *
					   (cap->nano ? 1 : VP_USEC);
			cap->stats.udp++;
			return 0;
		}
		if (r == ENOENT)
			cap->stats.non_udp++;
		else if (r == EAGAIN)
			cap->stats.fragments++;
		else
			cap->stats.malformed++;
	}
}

const struct vp_capture_stats *vp_capture_stats(const struct vp_capture *cap)
{
	return &cap->stats;
}

/* RFC 768 */
static int udp_walk(const uint8_t *p, size_t len, struct vp_capture_dgram *d)
{
	size_t ulen;

	if (len < 8)
		return EBADMSG;
	ulen = vp_be16(p + 4);
	if (ulen < 8 || ulen > len)
		return EBADMSG;
	d->sport = vp_be16(p);
	d->dport = vp_be16(p + 2);
	d->payload = p + 8;
	d->len = ulen - 8;
	return 0;
}

/* RFC 791 §3.1 */
static int ipv4_walk(const uint8_t *p, size_t len, struct vp_capture_dgram *d)
{
	size_t ihl, tot;

	if (len < 20 || (p[0] >> 4) != 4)
		return EBADMSG;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = vp_be16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return EBADMSG;
	if (vp_be16(p + 6) & 0x3fff) /* MF flag or a fragment offset */
		return EAGAIN;
	if (p[9] != IPPROTO_UDP_)
		return ENOENT;
	return udp_walk(p + ihl, tot - ihl, d);
}

/* RFC 8200 §3, §4: skip the common extension headers to reach UDP */
static int ipv6_walk(const uint8_t *p, size_t len, struct vp_capture_dgram *d)
{
	size_t plen, off = 40;
	uint8_t nh;

	if (len < 40 || (p[0] >> 4) != 6)
		return EBADMSG;
	plen = vp_be16(p + 4);
	if (40 + plen > len)
		return EBADMSG;
	len = 40 + plen;
	nh = p[6];
	for (int i = 0; i < 8; i++) {
		switch (nh) {
		case IPPROTO_UDP_:
			return udp_walk(p + off, len - off, d);
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (off + 8 > len)
				return EBADMSG;
			nh = p[off];
			off += 8 + (size_t)p[off + 1] * 8;
			if (off > len)
				return EBADMSG;
			break;
		case 44: /* fragment */
			return EAGAIN;
		default:
			return ENOENT;
		}
	}
	return ENOENT;
}

static int ip_walk(uint16_t ethertype, const uint8_t *p, size_t len,
		   struct vp_capture_dgram *d)
{
	if (ethertype == ETH_IPV4)
		return ipv4_walk(p, len, d);
	if (ethertype == ETH_IPV6)
		return ipv6_walk(p, len, d);
	return ENOENT;
}

static int eth_walk(const uint8_t *p, size_t len, struct vp_capture_dgram *d)
{
	size_t off = 14;
	uint16_t type;

	if (len < 14)
		return EBADMSG;
	type = vp_be16(p + 12);
	/* IEEE 802.1Q / 802.1ad tags, at most two */
	for (int i = 0; i < 2 && (type == ETH_VLAN || type == ETH_QINQ); i++) {
		if (len < off + 4)
			return EBADMSG;
		type = vp_be16(p + off + 2);
		off += 4;
	}
	return ip_walk(type, p + off, len - off, d);
}

int vp_capture_udp(int dlt, const uint8_t *f, size_t len,
		   struct vp_capture_dgram *d)
{
	switch (dlt) {
	case DLT_EN10MB:
		return f ? eth_walk(f, len, d) : EBADMSG;
	case DLT_LINUX_SLL: /* 16-byte cooked header, protocol at 14 */
		if (!f || len < 16)
			return EBADMSG;
		return ip_walk(vp_be16(f + 14), f + 16, len - 16, d);
	case DLT_LINUX_SLL2: /* 20-byte cooked header, protocol at 0 */
		if (!f || len < 20)
			return EBADMSG;
		return ip_walk(vp_be16(f), f + 20, len - 20, d);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (!f || len < 1)
			return EBADMSG;
		return ip_walk((f[0] >> 4) == 6 ? ETH_IPV6 : ETH_IPV4, f, len,
			       d);
	case DLT_NULL:
	case DLT_LOOP: { /* 4-byte address family, host or network order */
		uint32_t af;

		if (!f || len < 4)
			return EBADMSG;
		memcpy(&af, f, 4);
		if (af == 2 || af == 0x02000000)
			return ipv4_walk(f + 4, len - 4, d);
		return ipv6_walk(f + 4, len - 4, d);
	}
	default:
		return ENOTSUP;
	}
}
