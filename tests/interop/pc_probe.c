/* SPDX-License-Identifier: MIT */
/**
 * @file pc_probe.c  Interop driver for tests/interop/pc_aiortc.py: reads an
 * offer SDP on stdin (up to a line "END"), answers it with vp_pc on stdout
 * (then "END"), and exits 0 once SECURE and >= 50 SRTP packets decrypted
 * with no SRTP authentication failure.
 * The SDP handling is deliberately minimal line matching: the real parser
 * is protocols/sdp, and an independent peer must not share our bugs.
 *
 * Built a second time with PROBE_RR as rr_probe (tests/interop/rr_aiortc.py):
 * `rr_probe SECONDS` also runs the bot's receiver reports (src/bot/rtcp_rr.c)
 * on what it receives for SECONDS once SECURE, so that aiortc judges them,
 * and reads as the bot does (polled_rx: its own socket reader once secure,
 * which must answer aioice's consent checks and have its own answered).
 */
#include "protocols/pc/pc.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#ifdef PROBE_RR
#include "protocols/rtp/rtcp.h"
#include "protocols/rtp/rtp.h"
#include "src/bot/rtcp_rr.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXC 16

struct offer {
	char ufrag[256], pwd[256], fp_alg[16], fp[256], mid[64];
	int pt;
	char cand[MAXC][256];
	unsigned ncand;
};

struct probe {
	enum vp_pc_state st;
	unsigned nrtp, nrtcp;
	bool gathered;
	struct vp_pc *pc;
#ifdef PROBE_RR
	struct vp_rtcp_rr *rr;
#endif
};

#ifdef PROBE_RR
static void rr_rtp(struct probe *p, const uint8_t *pkt, size_t len, uint64_t t)
{
	struct vp_rtp_pkt r;

	if (p->rr && vp_rtp_parse(&r, pkt, len) == 0)
		vp_rtcp_rr_rtp(p->rr, r.ssrc, r.seq, r.ts, t);
}

static void rr_rtcp(struct probe *p, const uint8_t *pkt, size_t len, uint64_t t)
{
	struct vp_rtcp_iter it;
	struct vp_rtcp_pkt r;

	if (!p->rr)
		return;
	vp_rtcp_rr_rtcp_in(p->rr, len);
	vp_rtcp_iter_init(&it, pkt, len);
	while (vp_rtcp_iter_next(&it, &r) == 0)
		if (r.type == VP_RTCP_SR)
			vp_rtcp_rr_sr(p->rr, r.ssrc, r.sr.ntp_sec,
				      r.sr.ntp_frac, t);
}

static int rr_send(const uint8_t *pkt, size_t len, void *arg)
{
	struct probe *p = arg;

	return vp_pc_send_rtcp(p->pc, pkt, len);
}

/* Receive and report for @p secs: the bot's code, our clock (UTC). */
static void rr_run(GMainContext *ctx, struct probe *p, uint64_t secs)
{
	uint64_t end = vp_clock_mono_ns() + secs * VP_SEC;

	if (vp_rtcp_rr_alloc(&p->rr, 0, NULL, vp_clock_utc_ns()))
		return;
	while (vp_clock_mono_ns() < end && p->st == VP_PC_SECURE) {
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
		(void)vp_pc_poll(p->pc);
		vp_rtcp_rr_poll(p->rr, vp_clock_utc_ns(), rr_send, p);
	}
	fprintf(stderr, "probe: rtcp_rr sent=%llu blocks=%llu srs=%llu\n",
		(unsigned long long)vp_rtcp_rr_stats(p->rr)->sent,
		(unsigned long long)vp_rtcp_rr_stats(p->rr)->blocks,
		(unsigned long long)vp_rtcp_rr_stats(p->rr)->srs);
	p->rr = vp_mem_deref(p->rr);
}
#endif

static void strip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static void parse_line(struct offer *o, const char *l)
{
	char name[64];
	int pt;

	if (!strncmp(l, "a=ice-ufrag:", 12))
		g_strlcpy(o->ufrag, l + 12, sizeof(o->ufrag));
	else if (!strncmp(l, "a=ice-pwd:", 10))
		g_strlcpy(o->pwd, l + 10, sizeof(o->pwd));
	else if (!strncmp(l, "a=fingerprint:", 14))
		(void)sscanf(l + 14, "%15s %255s", o->fp_alg, o->fp);
	else if (!strncmp(l, "a=mid:", 6) && !o->mid[0])
		g_strlcpy(o->mid, l + 6, sizeof(o->mid));
	else if (!strncmp(l, "a=candidate:", 12) && o->ncand < MAXC)
		g_strlcpy(o->cand[o->ncand++], l + 2, 256);
	else if (sscanf(l, "a=rtpmap:%d %63[^/]", &pt, name) == 2 &&
		 !strcasecmp(name, "opus") && !o->pt)
		o->pt = pt;
}

static void on_rtp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	struct probe *p = arg;

	if (len >= 12 && (pkt[0] >> 6) == 2)
		p->nrtp++;
#ifdef PROBE_RR
	rr_rtp(p, pkt, len, t);
#else
	(void)t;
#endif
}

static void on_rtcp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	struct probe *p = arg;

	p->nrtcp++;
#ifdef PROBE_RR
	rr_rtcp(p, pkt, len, t);
#else
	(void)pkt, (void)len, (void)t;
#endif
}

static void on_state(enum vp_pc_state st, const char *reason, void *arg)
{
	struct probe *p = arg;

	p->st = st;
	fprintf(stderr, "probe: state=%d reason=%s\n", (int)st,
		reason ? reason : "-");
}

static void on_cand(const char *cand, void *arg)
{
	struct probe *p = arg;

	if (!cand)
		p->gathered = true;
}

static void run_until(GMainContext *ctx, bool *flag, struct probe *p,
		      uint64_t ns)
{
	uint64_t end = vp_clock_mono_ns() + ns;

	while (vp_clock_mono_ns() < end && !(flag && *flag) &&
	       !(!flag && p->nrtp >= 50) && p->st != VP_PC_FAILED) {
		g_main_context_iteration(ctx, FALSE) || (g_usleep(1000), 0);
		if (p->pc)
			(void)vp_pc_poll(p->pc); /* polled_rx (rr_probe) */
	}
}

static void answer(struct vp_pc *pc, const struct offer *o)
{
	char c[MAXC][256];
	const char *u, *pw;
	unsigned i, n = vp_pc_local_candidates(pc, c, MAXC);

	(void)vp_pc_local_ice(pc, &u, &pw);
	printf("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	       "s=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n"
	       "m=audio 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n"
	       "a=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n"
	       "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
	       "a=fingerprint:sha-256 %s\r\na=setup:active\r\n"
	       "a=rtpmap:%d opus/48000/2\r\n",
	       o->mid, o->pt, o->mid, u, pw, vp_pc_local_fingerprint(pc),
	       o->pt);
	for (i = 0; i < n; i++)
		printf("a=%s\r\n", c[i]);
	printf("a=end-of-candidates\r\nEND\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct offer o;
	struct probe p = {0};
	struct vp_pc_handlers h = {on_rtp, on_rtcp, on_state, on_cand};
	struct vp_pc_cfg cfg = {.controlling = false, .dtls_client = true};
#ifdef PROBE_RR
	struct vp_ice_rx_stats rx;
#endif
	GMainContext *ctx = g_main_context_new();
	struct vp_pc *pc = NULL;
	char line[1024];
	unsigned i;
	int ok;

#ifdef PROBE_RR
	cfg.polled_rx = true;
#endif
	while (fgets(line, sizeof(line), stdin)) {
		strip(line);
		if (!strcmp(line, "END"))
			break;
		parse_line(&o, line);
	}
	if (!o.ufrag[0] || !o.pwd[0] || !o.fp[0] || !o.pt || !o.ncand) {
		fprintf(stderr, "probe: offer incomplete\n");
		return 2;
	}
	if (vp_pc_alloc(&pc, ctx, &cfg, &h, &p) || vp_pc_gather(pc))
		return 3;
	p.pc = pc;
	run_until(ctx, &p.gathered, &p, 5 * VP_SEC);
	answer(pc, &o);
	if (vp_pc_set_remote(pc, o.ufrag, o.pwd, o.fp_alg, o.fp))
		return 4;
	for (i = 0; i < o.ncand; i++)
		if (vp_pc_add_remote_candidate(pc, o.cand[i]))
			fprintf(stderr, "probe: bad candidate %s\n", o.cand[i]);
	(void)vp_pc_remote_candidates_done(pc);
	run_until(ctx, NULL, &p, 20 * VP_SEC);
#ifdef PROBE_RR
	if (argc > 1)
		rr_run(ctx, &p, strtoull(argv[1], NULL, 10));
#else
	(void)argc, (void)argv;
#endif
	/* aiortc's SRTP is the referee: every packet must authenticate */
	ok = p.st == VP_PC_SECURE && p.nrtp >= 50 &&
	     vp_pc_stats(pc)->srtp_auth_fail == 0;
#ifdef PROBE_RR
	/* aioice asks for consent every 4-6 s, and so do we (RFC 7675) */
	vp_pc_rx_stats(pc, &rx);
	fprintf(stderr,
		"probe: ice own=%d stun_answered=%llu consent_sent=%llu "
		"consent_ok=%llu unknown_src=%llu\n",
		(int)rx.own, (unsigned long long)rx.stun_answered,
		(unsigned long long)rx.consent_sent,
		(unsigned long long)rx.consent_ok,
		(unsigned long long)rx.unknown_src);
	if (argc > 1 && strtoull(argv[1], NULL, 10) >= 10)
		ok = ok && rx.own && rx.stun_answered >= 1 &&
		     rx.consent_ok >= 1;
#endif
	fprintf(stderr,
		"probe: RESULT state=%d profile=%s rtp=%u rtcp=%u "
		"auth_fail=%llu %s\n",
		(int)p.st, vp_pc_srtp_profile(pc), p.nrtp, p.nrtcp,
		(unsigned long long)vp_pc_stats(pc)->srtp_auth_fail,
		ok ? "PASS" : "FAIL");
	vp_pc_close(pc);
	vp_mem_deref(pc);
	g_main_context_unref(ctx);
	return ok ? 0 : 1;
}
