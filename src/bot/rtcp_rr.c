/* SPDX-License-Identifier: MIT */
/**
 * @file rtcp_rr.c  Receiver reports (RFC 3550 §6.4.2) for every SSRC we
 * receive, at the §6.2 interval; see rtcp_rr.h.
 */
#define VP_LOG_MODULE "rtcp_rr"
#include "src/bot/rtcp_rr.h"

#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/seq.h"
#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* UDP + IPv4 headers: A.7 counts them in avg_rtcp_size */
#define UDP_IP_OVERHEAD 28
/* RTCP share of an Opus sender's bandwidth: 5 % (§6.2) of 64 kbit/s */
#define RTCP_BW_PER_SENDER (0.05 * 64000 / 8)
/* a source silent this long no longer counts as a sender (§6.3.5: 2 T) */
#define SENDER_TIMEOUT_NS (10 * VP_SEC)
#define MAX_PKT		  1200

struct source {
	bool used;
	bool heard; /* RTP since its last report block */
	uint32_t ssrc;
	struct vp_rtp_source st;
	uint64_t last_ns; /* last RTP */
	uint32_t lsr;	  /* middle 32 bits of the last SR's NTP time */
	uint64_t sr_ns;	  /* its arrival; 0: no SR yet */
};

struct vp_rtcp_rr {
	uint32_t ssrc;
	char cname[40];
	struct source src[VP_RTCP_RR_MAX_SOURCES];
	unsigned rr_next; /* round robin start */
	unsigned hint;	  /* index of the source found last */
	uint64_t next_ns; /* when the next report is due */
	bool initial;	  /* nothing sent yet */
	double avg_size;  /* A.7 avg_rtcp_size, octets */
	struct vp_rtcp_rr_stats stats;
};

static uint64_t rand64(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = vp_clock_mono_ns() *
		    0x9e3779b97f4a7c15ULL; /* never fails
					    * in practice */
	return r;
}

static double rand_unit(void)
{
	return (double)(rand64() >> 11) / (double)(1ULL << 53);
}

static unsigned senders(const struct vp_rtcp_rr *rr, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VP_RTCP_RR_MAX_SOURCES; i++)
		n += rr->src[i].used &&
		     now - rr->src[i].last_ns < SENDER_TIMEOUT_NS;
	return n;
}

static void schedule(struct vp_rtcp_rr *rr, uint64_t now)
{
	unsigned s = senders(rr, now);
	struct vp_rtcp_interval_in in = {
		.members = 1 + s,
		.senders = s,
		.rtcp_bw = RTCP_BW_PER_SENDER * (s ? s : 1),
		.we_sent = false,
	};

	in.avg_rtcp_size = rr->avg_size;
	in.initial = rr->initial;
	rr->next_ns = now + vp_rtcp_interval_ns(&in, rand_unit());
}

int vp_rtcp_rr_alloc(struct vp_rtcp_rr **rrp, uint32_t ssrc, const char *cname,
		     uint64_t now_ns)
{
	struct vp_rtcp_rr *rr;

	if (!rrp || (cname && (!*cname || strlen(cname) >= 40)))
		return EINVAL;
	rr = vp_mem_zalloc(sizeof(*rr), NULL);
	if (!rr)
		return ENOMEM;
	while (!ssrc)
		ssrc = (uint32_t)rand64();
	rr->ssrc = ssrc;
	if (cname)
		snprintf(rr->cname, sizeof(rr->cname), "%s", cname);
	else /* RFC 7022 §4.2: a short-term persistent random CNAME */
		snprintf(rr->cname, sizeof(rr->cname), "%016llx",
			 (unsigned long long)rand64());
	rr->initial = true;
	/* A.7: before any packet, the size of our own first one */
	rr->avg_size = 4 + 4 + 8 + 2 + 16 + 4 + UDP_IP_OVERHEAD;
	schedule(rr, now_ns);
	*rrp = rr;
	return 0;
}

static struct source *find(struct vp_rtcp_rr *rr, uint32_t ssrc)
{
	struct source *h = &rr->src[rr->hint];

	/* per packet: the last source hit first (runs of one speaker) */
	if (h->used && h->ssrc == ssrc)
		return h;
	for (unsigned i = 0; i < VP_RTCP_RR_MAX_SOURCES; i++) {
		if (rr->src[i].used && rr->src[i].ssrc == ssrc) {
			rr->hint = i;
			return &rr->src[i];
		}
	}
	return NULL;
}

/* A new source: a free slot, else the one silent longest. */
static struct source *add(struct vp_rtcp_rr *rr, uint32_t ssrc)
{
	struct source *s = &rr->src[0];

	for (unsigned i = 0; i < VP_RTCP_RR_MAX_SOURCES; i++) {
		if (!rr->src[i].used) {
			s = &rr->src[i];
			break;
		}
		if (rr->src[i].last_ns < s->last_ns)
			s = &rr->src[i];
	}
	if (s->used)
		rr->stats.evicted++;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->ssrc = ssrc;
	rr->stats.sources++;
	return s;
}

/* ns -> RTP timestamp units, without overflowing 64 bits */
static uint32_t to_rtp_units(uint64_t ns)
{
	uint64_t sec = ns / VP_SEC, frac = ns % VP_SEC;

	return (uint32_t)(sec * VP_RTCP_RR_CLOCK +
			  frac * VP_RTCP_RR_CLOCK / VP_SEC);
}

void vp_rtcp_rr_rtp(struct vp_rtcp_rr *rr, uint32_t ssrc, uint16_t seq,
		    uint32_t ts, uint64_t arrival_ns)
{
	struct source *s;
	int64_t ext;

	if (!rr)
		return;
	s = find(rr, ssrc);
	if (!s)
		s = add(rr, ssrc);
	s->last_ns = arrival_ns;
	/* A.1: a packet of a source on probation is not counted */
	if (!vp_rtp_source_update(&s->st, seq, &ext))
		return;
	s->heard = true;
	vp_rtp_source_jitter(&s->st, ts, to_rtp_units(arrival_ns));
}

void vp_rtcp_rr_sr(struct vp_rtcp_rr *rr, uint32_t ssrc, uint32_t ntp_sec,
		   uint32_t ntp_frac, uint64_t arrival_ns)
{
	struct source *s = rr ? find(rr, ssrc) : NULL;

	if (!s)
		return; /* an SR of a source whose RTP we do not take */
	/* §6.4.1 LSR: the middle 32 bits of the 64-bit NTP timestamp */
	s->lsr = (ntp_sec & 0xffff) << 16 | ntp_frac >> 16;
	s->sr_ns = arrival_ns ? arrival_ns : 1;
	rr->stats.srs++;
}

void vp_rtcp_rr_rtcp_in(struct vp_rtcp_rr *rr, size_t len)
{
	/* A.7: avg_rtcp_size = 1/16 * packet_size + 15/16 * avg_rtcp_size */
	if (rr)
		rr->avg_size +=
			((double)(len + UDP_IP_OVERHEAD) - rr->avg_size) / 16.0;
}

static void fill_block(struct source *s, uint64_t now, struct vp_rtcp_rb *rb)
{
	vp_rtp_source_rb_fill(&s->st, s->ssrc, rb);
	if (s->sr_ns) {
		/* §6.4.1 DLSR: since that SR arrived, in 1/65536 s */
		uint64_t d = now > s->sr_ns ? now - s->sr_ns : 0;

		rb->lsr = s->lsr;
		rb->dlsr = (uint32_t)(d * 65536 / VP_SEC);
	}
	s->heard = false;
}

int vp_rtcp_rr_build(struct vp_rtcp_rr *rr, uint64_t now_ns, uint8_t *buf,
		     size_t size, size_t *lenp)
{
	struct vp_rtcp_rb rb[VP_RTCP_MAX_COUNT];
	size_t n = 0;
	unsigned i, k;
	int err;

	if (!rr || !buf || !lenp)
		return EINVAL;
	/* §6.4: a block for each source heard since its last report */
	for (k = 0; k < VP_RTCP_RR_MAX_SOURCES && n < VP_RTCP_MAX_COUNT; k++) {
		i = (rr->rr_next + k) % VP_RTCP_RR_MAX_SOURCES;
		if (rr->src[i].used && rr->src[i].heard)
			fill_block(&rr->src[i], now_ns, &rb[n++]);
	}
	rr->rr_next = (rr->rr_next + k) % VP_RTCP_RR_MAX_SOURCES;
	err = vp_rtcp_rr_sdes_build(buf, size, lenp, rr->ssrc, rb, n,
				    rr->cname);
	if (!err)
		rr->stats.blocks += n;
	return err;
}

bool vp_rtcp_rr_poll(struct vp_rtcp_rr *rr, uint64_t now_ns,
		     vp_rtcp_rr_send_h *sendh, void *arg)
{
	uint8_t buf[MAX_PKT];
	size_t len = 0;

	if (!rr || !sendh || now_ns < rr->next_ns)
		return false;
	if (vp_rtcp_rr_build(rr, now_ns, buf, sizeof(buf), &len) ||
	    sendh(buf, len, arg)) {
		rr->stats.send_fail++;
	} else {
		rr->stats.sent++;
		vp_rtcp_rr_rtcp_in(rr, len); /* our own count too (A.7) */
	}
	rr->initial = false;
	schedule(rr, now_ns);
	return true;
}

bool vp_rtcp_rr_bye(struct vp_rtcp_rr *rr, uint64_t now_ns,
		    vp_rtcp_rr_send_h *sendh, void *arg)
{
	uint8_t buf[MAX_PKT];
	size_t len = 0;

	if (!rr || !sendh || rr->stats.bye ||
	    vp_rtcp_rr_build(rr, now_ns, buf, sizeof(buf) - 8, &len))
		return false;
	/* §6.6: V=2, SC=1, PT=203, length 1 (words - 1), our SSRC; it ends
	 * the compound (§6.1: BYE last) */
	buf[len] = 0x81;
	buf[len + 1] = VP_RTCP_BYE;
	buf[len + 2] = 0;
	buf[len + 3] = 1;
	buf[len + 4] = (uint8_t)(rr->ssrc >> 24);
	buf[len + 5] = (uint8_t)(rr->ssrc >> 16);
	buf[len + 6] = (uint8_t)(rr->ssrc >> 8);
	buf[len + 7] = (uint8_t)rr->ssrc;
	if (sendh(buf, len + 8, arg))
		return false; /* the transport is gone: nobody to tell */
	rr->stats.bye = true;
	return true;
}

uint32_t vp_rtcp_rr_ssrc(const struct vp_rtcp_rr *rr)
{
	return rr->ssrc;
}

const struct vp_rtcp_rr_stats *vp_rtcp_rr_stats(const struct vp_rtcp_rr *rr)
{
	return &rr->stats;
}

json_t *vp_rtcp_rr_json(const struct vp_rtcp_rr *rr)
{
	const struct vp_rtcp_rr_stats *s = &rr->stats;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "ssrc",
			 (json_int_t)rr->ssrc, "sent", (json_int_t)s->sent,
			 "send_fail", (json_int_t)s->send_fail, "blocks",
			 (json_int_t)s->blocks, "sources",
			 (json_int_t)s->sources, "evicted",
			 (json_int_t)s->evicted, "srs", (json_int_t)s->srs,
			 "bye", s->bye);
}
