/* SPDX-License-Identifier: MIT */
/**
 * @file rtcp_rr.h  RTCP receiver reports to the SFU (RFC 3550 §6.4.2), so
 * that it sees the bot's loss and jitter: per received SSRC the A.1/A.3/A.8
 * statistics of protocols/rtp/seq.c, LSR/DLSR from that source's last
 * sender report, and a compound RR + SDES CNAME (§6.1) handed to a send
 * handler (the peer connection protects it as SRTCP) at the §6.2 / A.7
 * interval. Pure apart from the handler: times come in as arguments.
 * Runs on: net thread.
 */
#ifndef VP_BOT_RTCP_RR_H
#define VP_BOT_RTCP_RR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_rtcp_rr;

/** Sources tracked at most; a new one replaces the longest silent. */
#define VP_RTCP_RR_MAX_SOURCES 64
/** RTP clock rate of what we receive: Opus is always 48 kHz (RFC 7587 §4.1). */
#define VP_RTCP_RR_CLOCK 48000

/**
 * Sends one RTCP compound packet. @return 0 or an errno (counted).
 */
typedef int(vp_rtcp_rr_send_h)(const uint8_t *pkt, size_t len, void *arg);

/** Counters, for meeting.json. */
struct vp_rtcp_rr_stats {
	uint64_t sent;	    /**< compound packets sent */
	uint64_t send_fail; /**< the handler failed */
	uint64_t blocks;    /**< report blocks sent, over all packets */
	uint64_t sources;   /**< distinct SSRCs seen */
	uint64_t evicted;   /**< sources dropped for a newer one */
	uint64_t srs;	    /**< sender reports taken (for LSR/DLSR) */
	bool bye;	    /**< the BYE went out */
};

/**
 * @param rrp    receives the object (vp_mem_deref() to free)
 * @param ssrc   our SSRC (the reporter); 0: a random one
 * @param cname  our CNAME (1..255 bytes); NULL: a random one (RFC 7022)
 * @param now_ns the current time (any clock used for every call)
 * @return 0, EINVAL or ENOMEM
 */
int vp_rtcp_rr_alloc(struct vp_rtcp_rr **rrp, uint32_t ssrc, const char *cname,
		     uint64_t now_ns);

/** One received, routed RTP packet (arrival_ns on the same clock). */
void vp_rtcp_rr_rtp(struct vp_rtcp_rr *rr, uint32_t ssrc, uint16_t seq,
		    uint32_t ts, uint64_t arrival_ns);

/** A sender report of a source (RFC 3550 §6.4.1), for LSR and DLSR. */
void vp_rtcp_rr_sr(struct vp_rtcp_rr *rr, uint32_t ssrc, uint32_t ntp_sec,
		   uint32_t ntp_frac, uint64_t arrival_ns);

/** Any RTCP compound received: its size feeds avg_rtcp_size (A.7). */
void vp_rtcp_rr_rtcp_in(struct vp_rtcp_rr *rr, size_t len);

/**
 * Send a report if one is due, then schedule the next (§6.2, A.7, with a
 * fresh random factor). The first is due 1.03..3.08 s after
 * vp_rtcp_rr_alloc().
 * @return true if a report was sent (or its send failed)
 */
bool vp_rtcp_rr_poll(struct vp_rtcp_rr *rr, uint64_t now_ns,
		     vp_rtcp_rr_send_h *sendh, void *arg);

/**
 * Build the compound (RR + SDES CNAME) for now_ns and start a new
 * fraction-lost interval for the sources reported. Round robin over the
 * sources heard since their last report when they are more than 31
 * (§6.4: a subset per interval).
 * @return 0 or EINVAL (buffer too small)
 */
int vp_rtcp_rr_build(struct vp_rtcp_rr *rr, uint64_t now_ns, uint8_t *buf,
		     size_t size, size_t *lenp);

/**
 * Leaving (RFC 3550 §6.3.7): send a last compound RR + SDES CNAME + BYE
 * naming our SSRC, so the SFU stops waiting for our reports. At most once.
 * @return true if it was sent
 */
bool vp_rtcp_rr_bye(struct vp_rtcp_rr *rr, uint64_t now_ns,
		    vp_rtcp_rr_send_h *sendh, void *arg);

/** Our SSRC. */
uint32_t vp_rtcp_rr_ssrc(const struct vp_rtcp_rr *rr);
const struct vp_rtcp_rr_stats *vp_rtcp_rr_stats(const struct vp_rtcp_rr *rr);
/** {"ssrc", "sent", "send_fail", "blocks", "sources", "evicted", "srs",
 *  "bye"}. */
json_t *vp_rtcp_rr_json(const struct vp_rtcp_rr *rr);

#endif
