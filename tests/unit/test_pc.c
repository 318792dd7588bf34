/* SPDX-License-Identifier: MIT */
/** @file test_pc.c  Two vp_pc on one GMainContext over 127.0.0.1. */
#include "protocols/ice/ice_priv.h"
#include "protocols/pc/demux.h"
#include "protocols/pc/pc.h"
#include "protocols/pc/pc_priv.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <unistd.h>

struct peer {
	struct vp_pc *pc;
	struct peer *other;
	enum vp_pc_state st;
	char reason[64];
	unsigned nrtp, nrtcp, ncand, bad;
	bool gathered;
	uint16_t next_seq;
};

static const char *const lo[] = {"127.0.0.1"};

static void make_rtp(uint8_t *p, uint16_t seq, size_t plen)
{
	size_t i;

	memset(p, 0, 12);
	p[0] = 0x80, p[1] = 111;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[7] = (uint8_t)seq;
	p[8] = 0xde, p[9] = 0xad, p[10] = 0xbe, p[11] = 0xef;
	for (i = 0; i < plen; i++)
		p[12 + i] = (uint8_t)(i ^ seq);
}

static void on_rtp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	struct peer *p = arg;
	uint8_t ref[12 + 100];
	uint16_t seq;

	VT_TRUE(t > 0);
	seq = (uint16_t)((pkt[2] << 8) | pkt[3]);
	make_rtp(ref, seq, 100);
	/* intact and in order: loopback does not reorder */
	if (len != sizeof(ref) || memcmp(pkt, ref, len) || seq != p->next_seq)
		p->bad++;
	p->next_seq = (uint16_t)(seq + 1);
	p->nrtp++;
}

static void on_rtcp(const uint8_t *pkt, size_t len, uint64_t t, void *arg)
{
	struct peer *p = arg;

	(void)t;
	if (len == 8 && pkt[1] == 201)
		p->nrtcp++;
}

static void on_state(enum vp_pc_state st, const char *reason, void *arg)
{
	struct peer *p = arg;

	p->st = st;
	snprintf(p->reason, sizeof(p->reason), "%s", reason ? reason : "");
}

/* trickle straight into the other side, as signaling would */
static void on_cand(const char *cand, void *arg)
{
	struct peer *p = arg;

	if (!cand) {
		p->gathered = true;
		VT_EQ(0, vp_pc_remote_candidates_done(p->other->pc));
		return;
	}
	VT_TRUE(strstr(cand, "127.0.0.1") != NULL);
	VT_TRUE(strncmp(cand, "candidate:", 10) == 0);
	p->ncand++;
	VT_EQ(0, vp_pc_add_remote_candidate(p->other->pc, cand));
}

static const struct vp_pc_handlers hs = {on_rtp, on_rtcp, on_state, on_cand};

/* iterate until cond or 10 s: a hang is a failure, not a stuck test */
#define RUN_UNTIL(ctx, cond)                                                   \
	do {                                                                   \
		uint64_t end_ = vp_clock_mono_ns() + 10 * VP_SEC;              \
		while (!(cond) && vp_clock_mono_ns() < end_)                   \
			g_main_context_iteration((ctx), FALSE) ||              \
				(g_usleep(1000), 0);                           \
	} while (0)

static bool done(const struct peer *p)
{
	return p->st == VP_PC_SECURE || p->st == VP_PC_FAILED;
}

/* a: offerer (ICE controlling, DTLS server); b: our bot (answerer) */
static void connect_pair_rx(GMainContext *ctx, struct peer *a, struct peer *b,
			    const char *b_expects_fp, bool b_polled)
{
	struct vp_pc_cfg ca = {.controlling = true,
			       .dtls_client = false,
			       .local_addrs = lo,
			       .nlocal_addrs = 1};
	struct vp_pc_cfg cb = {.controlling = false,
			       .dtls_client = true,
			       .local_addrs = lo,
			       .nlocal_addrs = 1,
			       .port_min = 40000,
			       .port_max = 40999,
			       .polled_rx = b_polled};
	const char *ua, *pa, *ub, *pb, *fp;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->other = b, b->other = a;
	VT_EQ(0, vp_pc_alloc(&a->pc, ctx, &ca, &hs, a));
	VT_EQ(0, vp_pc_alloc(&b->pc, ctx, &cb, &hs, b));
	VT_EQ(0, vp_pc_local_ice(a->pc, &ua, &pa));
	VT_EQ(0, vp_pc_local_ice(b->pc, &ub, &pb));
	VT_TRUE(strlen(ua) >= 4 && strlen(pa) >= 22); /* RFC 8839 §5.4 */
	fp = vp_pc_local_fingerprint(a->pc);
	VT_TRUE(fp != NULL);
	VT_EQ(0, vp_pc_set_remote(a->pc, ub, pb, "sha-256", fp));
	VT_EQ(EALREADY, vp_pc_set_remote(a->pc, ub, pb, "sha-256", fp));
	VT_EQ(0, vp_pc_set_remote(b->pc, ua, pa, "sha-256",
				  b_expects_fp ? b_expects_fp : fp));
	VT_EQ(0, vp_pc_gather(a->pc));
	VT_EQ(0, vp_pc_gather(b->pc));
	RUN_UNTIL(ctx, done(a) && done(b));
}

static void connect_pair(GMainContext *ctx, struct peer *a, struct peer *b,
			 const char *b_expects_fp)
{
	connect_pair_rx(ctx, a, b, b_expects_fp, false);
}

VTEST(pc_secure_and_50_rtp_arrive_intact)
{
	GMainContext *ctx = g_main_context_new();
	static struct peer a, b;
	uint8_t pkt[12 + 100], rtcp[8] = {0x80, 201, 0, 1, 1, 2, 3, 4};
	char cands[8][256];
	uint16_t seq;

	connect_pair(ctx, &a, &b, NULL);
	VT_EQ(VP_PC_SECURE, a.st);
	VT_EQ(VP_PC_SECURE, b.st);
	VT_TRUE(a.ncand >= 1 && b.ncand >= 1);
	VT_TRUE(a.gathered && b.gathered);
	VT_EQ(b.ncand, vp_pc_local_candidates(b.pc, cands, 8));
	VT_TRUE(strstr(cands[0], " 4") != NULL); /* port range 40000.. */
	VT_STR_EQ("SRTP_AEAD_AES_128_GCM", vp_pc_srtp_profile(a.pc));
	VT_STR_EQ("SRTP_AEAD_AES_128_GCM", vp_pc_srtp_profile(b.pc));
	VT_TRUE(vp_pc_stats(b.pc)->rx_dtls > 0);

	b.next_seq = 1000;
	for (seq = 1000; seq < 1050; seq++) {
		make_rtp(pkt, seq, 100);
		VT_EQ(0, vp_pc_send_rtp(a.pc, pkt, sizeof(pkt)));
	}
	VT_EQ(0, vp_pc_send_rtcp(a.pc, rtcp, sizeof(rtcp)));
	RUN_UNTIL(ctx, b.nrtp >= 50 && b.nrtcp >= 1);
	VT_EQ(50, b.nrtp);
	VT_EQ(0, b.bad);
	VT_EQ(1, b.nrtcp);
	VT_EQ(50, vp_pc_stats(a.pc)->tx_srtp);
	VT_EQ(50, vp_pc_stats(b.pc)->rx_srtp);
	VT_EQ(0, vp_pc_stats(b.pc)->srtp_auth_fail);

	/* close_notify from b reaches a */
	vp_pc_close(b.pc);
	RUN_UNTIL(ctx, a.st == VP_PC_CLOSED);
	VT_EQ(VP_PC_CLOSED, a.st);
	VT_EQ(EAGAIN, vp_pc_send_rtp(a.pc, pkt, sizeof(pkt)));
	vp_pc_close(a.pc);
	a.pc = vp_mem_deref(a.pc);
	b.pc = vp_mem_deref(b.pc);
	g_main_context_unref(ctx);
}

VTEST(pc_wrong_fingerprint_fails_and_no_media)
{
	GMainContext *ctx = g_main_context_new();
	static struct peer a, b;
	char bad[256];
	uint8_t pkt[12 + 100];

	snprintf(bad, sizeof(bad), "%s", vp_pc_local_fingerprint(NULL));
	bad[1] = bad[1] == '0' ? '1' : '0';
	connect_pair(ctx, &a, &b, bad);
	VT_EQ(VP_PC_FAILED, b.st);
	VT_STR_EQ("fingerprint mismatch", b.reason);
	VT_TRUE(a.st != VP_PC_SECURE);
	VT_STR_EQ("none", vp_pc_srtp_profile(b.pc));
	make_rtp(pkt, 1, 100);
	VT_EQ(EAGAIN, vp_pc_send_rtp(a.pc, pkt, sizeof(pkt)));
	VT_EQ(EAGAIN, vp_pc_send_rtp(b.pc, pkt, sizeof(pkt)));
	/* let anything in flight land (300 ms): still nothing delivered */
	{
		uint64_t end = vp_clock_mono_ns() + 300 * VP_MSEC;

		RUN_UNTIL(ctx, vp_clock_mono_ns() > end);
	}
	VT_EQ(0, a.nrtp + b.nrtp);
	a.pc = vp_mem_deref(a.pc);
	b.pc = vp_mem_deref(b.pc);
	g_main_context_unref(ctx);
}

VTEST(pc_bit_flipped_srtp_counted_not_delivered)
{
	GMainContext *ctx = g_main_context_new();
	static struct peer a, b;
	uint8_t pkt[12 + 100 + VP_SRTP_MAX_TRAILER];
	size_t len = 12 + 100;

	connect_pair(ctx, &a, &b, NULL);
	VT_EQ(VP_PC_SECURE, b.st);
	b.next_seq = 7;
	make_rtp(pkt, 7, 100);
	VT_EQ(0, vp_srtp_protect(vp_pc__srtp(a.pc), pkt, &len, sizeof(pkt)));
	VT_EQ(VP_PC_DEMUX_SRTP, vp_pc_demux_classify(pkt, len));
	pkt[40] ^= 0x04; /* one bit of ciphertext */
	VT_EQ(0, vp_ice_send(vp_pc__ice(a.pc), pkt, len));
	RUN_UNTIL(ctx, vp_pc_stats(b.pc)->srtp_auth_fail >= 1);
	VT_EQ(1, vp_pc_stats(b.pc)->srtp_auth_fail);
	VT_EQ(0, b.nrtp);
	/* the next good packet still passes */
	make_rtp(pkt, 8, 100);
	b.next_seq = 8;
	VT_EQ(0, vp_pc_send_rtp(a.pc, pkt, 12 + 100));
	RUN_UNTIL(ctx, b.nrtp >= 1);
	VT_EQ(1, b.nrtp);
	VT_EQ(0, b.bad);
	a.pc = vp_mem_deref(a.pc);
	b.pc = vp_mem_deref(b.pc);
	g_main_context_unref(ctx);
}

VTEST(pc_demux_rfc7983)
{
	const uint8_t stun[2] = {0, 1}, dtls[2] = {22, 0xfe},
		      rtp[2] = {0x80, 111}, rtcp[2] = {0x80, 200},
		      rtcp_hi[2] = {0x81, 223}, rtp_m[2] = {0x80, 224},
		      turn[2] = {64, 0}, zrtp[2] = {16, 0};

	VT_EQ(VP_PC_DEMUX_DROP, vp_pc_demux_classify(stun, 2));
	VT_EQ(VP_PC_DEMUX_DTLS, vp_pc_demux_classify(dtls, 2));
	VT_EQ(VP_PC_DEMUX_SRTP, vp_pc_demux_classify(rtp, 2));
	VT_EQ(VP_PC_DEMUX_SRTCP, vp_pc_demux_classify(rtcp, 2));
	VT_EQ(VP_PC_DEMUX_SRTCP, vp_pc_demux_classify(rtcp_hi, 2));
	VT_EQ(VP_PC_DEMUX_SRTP, vp_pc_demux_classify(rtp_m, 2));
	VT_EQ(VP_PC_DEMUX_DROP, vp_pc_demux_classify(turn, 2));
	VT_EQ(VP_PC_DEMUX_DROP, vp_pc_demux_classify(zrtp, 2));
	VT_EQ(VP_PC_DEMUX_DROP, vp_pc_demux_classify(dtls, 1));
	VT_EQ(VP_PC_DEMUX_DROP, vp_pc_demux_classify(NULL, 0));
}

VTEST(pc_rejects_malformed_candidate)
{
	struct vp_pc *pc = NULL;
	struct vp_pc_cfg c = {.local_addrs = lo, .nlocal_addrs = 1};
	static struct peer p;

	VT_EQ(0, vp_pc_alloc(&pc, NULL, &c, &hs, &p));
	VT_EQ(EBADMSG, vp_pc_add_remote_candidate(pc, "candidate:garbage"));
	VT_EQ(EBADMSG, vp_pc_set_remote(pc, "abcd", "0123456789012345678901",
					"sha-256", "AB"));
	VT_EQ(0,
	      vp_pc_add_remote_candidate(
		      pc,
		      "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"));
	pc = vp_mem_deref(pc);
}

static void on_cand_ignore(const char *cand, void *arg)
{
	(void)cand;
	(void)arg;
}

/* A peer that never answers a check: the pc fails at its own connect
 * timeout (the operator's --join-timeout), not at libnice's ~7 s, and
 * says so; a pc that got through stops its timer (above: SECURE stays). */
VTEST(pc_connect_timeout_is_the_callers)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_pc_handlers h = {on_rtp, on_rtcp, on_state, on_cand_ignore};
	struct vp_pc_cfg c = {.dtls_client = true,
			      .local_addrs = lo,
			      .nlocal_addrs = 1,
			      .connect_timeout_ns = 1500 * VP_MSEC};
	static struct peer p;
	uint64_t t0;

	memset(&p, 0, sizeof(p));
	VT_EQ(0, vp_pc_alloc(&p.pc, ctx, &c, &h, &p));
	VT_EQ(0, vp_pc_set_remote(p.pc, "abcd", "0123456789012345678901",
				  "sha-256", vp_pc_local_fingerprint(NULL)));
	/* a discard port on loopback: checks go out, nothing answers */
	VT_EQ(0, vp_pc_add_remote_candidate(
			 p.pc, "candidate:1 1 UDP 2130706431 127.0.0.1 9 "
			       "typ host"));
	t0 = vp_clock_mono_ns();
	VT_EQ(0, vp_pc_gather(p.pc));
	RUN_UNTIL(ctx, p.st == VP_PC_FAILED);
	VT_EQ(VP_PC_FAILED, p.st);
	VT_TRUE(strstr(p.reason, "media connect timeout") != NULL);
	VT_TRUE(vp_clock_mono_ns() - t0 >= 1400 * VP_MSEC);
	p.pc = vp_mem_deref(p.pc);
	g_main_context_unref(ctx);
}

/* libnice's own give-up stays behind a long caller timeout: 9 s later
 * the checks against a silent peer still run (state is not FAILED). */
VTEST(pc_ice_waits_beyond_libnice_default)
{
	GMainContext *ctx = g_main_context_new();
	struct vp_pc_handlers h = {on_rtp, on_rtcp, on_state, on_cand_ignore};
	struct vp_pc_cfg c = {.dtls_client = true,
			      .local_addrs = lo,
			      .nlocal_addrs = 1,
			      .connect_timeout_ns = 60 * VP_SEC};
	static struct peer p;
	uint64_t end;

	memset(&p, 0, sizeof(p));
	VT_EQ(0, vp_pc_alloc(&p.pc, ctx, &c, &h, &p));
	VT_EQ(0, vp_pc_set_remote(p.pc, "abcd", "0123456789012345678901",
				  "sha-256", vp_pc_local_fingerprint(NULL)));
	VT_EQ(0, vp_pc_add_remote_candidate(
			 p.pc, "candidate:1 1 UDP 2130706431 127.0.0.1 9 "
			       "typ host"));
	VT_EQ(0, vp_pc_remote_candidates_done(p.pc));
	VT_EQ(0, vp_pc_gather(p.pc));
	end = vp_clock_mono_ns() + 9 * VP_SEC;
	RUN_UNTIL(ctx, p.st == VP_PC_FAILED || vp_clock_mono_ns() > end);
	VT_TRUE(p.st != VP_PC_FAILED);
	p.pc = vp_mem_deref(p.pc);
	g_main_context_unref(ctx);
}

/* b reads its selected socket itself: datagrams from elsewhere are
 * dropped and counted, STUN is not media; the peer's consent checks are
 * answered and b's own are answered by the peer's libnice (RFC 7675,
 * every 4-6 s), and both stay secure. */
static void stray_and_stun(GMainContext *ctx, struct peer *a, struct peer *b)
{
	struct vp_ice *ice = vp_pc__ice(b->pc);
	struct vp_ice_rx_stats rs;
	GSocketAddress *ga;
	struct sockaddr_storage to;
	uint8_t rtp[12 + 100], stun[20] = {0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42};
	unsigned nrtp = b->nrtp;
	uint64_t end;
	guint idle = 0;
	int fd;

	vp_ice_rx_stats(ice, &rs);
	VT_TRUE(rs.own);
	VT_TRUE(ice->rx.sock != NULL);
	ga = g_socket_get_local_address(ice->rx.sock, NULL);
	VT_TRUE(ga != NULL);
	VT_TRUE(g_socket_address_to_native(ga, &to, sizeof(to), NULL));
	g_object_unref(ga);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	make_rtp(rtp, b->next_seq, 100);
	VT_EQ((long long)sizeof(rtp),
	      sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&to,
		     sizeof(struct sockaddr_in)));
	VT_EQ((long long)sizeof(stun),
	      sendto(fd, stun, sizeof(stun), 0, (struct sockaddr *)&to,
		     sizeof(struct sockaddr_in)));
	close(fd);
	end = vp_clock_mono_ns() + 10 * VP_SEC;
	do {
		g_main_context_iteration(ctx, FALSE);
		vp_pc_poll(b->pc);
		vp_ice_rx_stats(ice, &rs);
		g_usleep(2000);
	} while ((rs.unknown_src < 1 || rs.stun_answered < 1 ||
		  rs.consent_ok < 1) &&
		 vp_clock_mono_ns() < end);
	VT_EQ(1, rs.unknown_src);
	VT_TRUE(rs.stun_bad + rs.stun_ignored >= 1); /* the stray one */
	VT_TRUE(rs.stun_answered >= 1);
	VT_TRUE(rs.consent_sent >= 1);
	VT_TRUE(rs.consent_ok >= 1);
	VT_EQ(nrtp, b->nrtp);
	VT_EQ(VP_PC_SECURE, a->st);
	VT_EQ(VP_PC_SECURE, b->st);
	/* nominated and polled: libnice's check timer may stop (5 s idle);
	 * the other side keeps the connect timeout's patience */
	VT_TRUE(ice->nominated);
	g_object_get(ice->agent, "idle-timeout", &idle, NULL);
	VT_EQ(5000, idle);
	g_object_get(vp_pc__ice(a->pc)->agent, "idle-timeout", &idle, NULL);
	VT_EQ(VP_PC_CONNECT_TIMEOUT_NS / VP_MSEC, idle);
}

/* polled_rx: the handshake runs without any vp_pc_poll() (prompt until
 * SECURE); then media waits for vp_pc_poll(), which delivers all of it. */
VTEST(pc_polled_rx_media_only_on_poll_after_secure)
{
	GMainContext *ctx = g_main_context_new();
	static struct peer a, b;
	uint8_t pkt[12 + 100], rtcp[8] = {0x80, 201, 0, 1, 1, 2, 3, 4};
	unsigned got = 0;
	uint64_t end;

	connect_pair_rx(ctx, &a, &b, NULL, true);
	VT_EQ(VP_PC_SECURE, a.st);
	VT_EQ(VP_PC_SECURE, b.st);
	b.next_seq = 7;
	for (uint16_t seq = 7; seq < 57; seq++) {
		make_rtp(pkt, seq, 100);
		VT_EQ(0, vp_pc_send_rtp(a.pc, pkt, sizeof(pkt)));
	}
	VT_EQ(0, vp_pc_send_rtcp(a.pc, rtcp, sizeof(rtcp)));
	end = vp_clock_mono_ns() + 300 * VP_MSEC;
	while (vp_clock_mono_ns() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	VT_EQ(0, b.nrtp);
	RUN_UNTIL(ctx, (got += vp_pc_poll(b.pc), b.nrtp >= 50 && b.nrtcp));
	VT_EQ(50, b.nrtp);
	VT_TRUE(got >= 51); /* and any DTLS retransmission */
	VT_EQ(0, b.bad);
	VT_EQ(1, b.nrtcp);
	VT_EQ(VP_PC_SECURE, b.st);
	stray_and_stun(ctx, &a, &b);
	vp_pc_close(b.pc); /* close_notify still goes out */
	RUN_UNTIL(ctx, a.st == VP_PC_CLOSED);
	VT_EQ(VP_PC_CLOSED, a.st);
	VT_EQ(0, vp_pc_poll(b.pc));
	vp_pc_close(a.pc);
	a.pc = vp_mem_deref(a.pc);
	b.pc = vp_mem_deref(b.pc);
	g_main_context_unref(ctx);
}

/* Our own consent (RFC 7675) once polled: no authenticated answer for
 * 30 s fails the transport as "consent lost" (aged here, not waited). */
VTEST(pc_polled_consent_lost_fails)
{
	GMainContext *ctx = g_main_context_new();
	static struct peer a, b;
	struct vp_ice *ice;
	uint8_t pkt[12 + 100];

	connect_pair_rx(ctx, &a, &b, NULL, true);
	VT_EQ(VP_PC_SECURE, b.st);
	ice = vp_pc__ice(b.pc);
	VT_TRUE(ice->rx.stun != NULL);
	vp_pc_poll(b.pc);
	VT_EQ(VP_PC_SECURE, b.st); /* fresh: nothing yet */
	ice->rx.stun->last_ok_ns = 1;
	vp_pc_poll(b.pc);
	VT_EQ(VP_PC_FAILED, b.st);
	VT_STR_EQ("consent lost", b.reason);
	/* no media after the failure */
	make_rtp(pkt, 1, 100);
	VT_EQ(0, vp_pc_send_rtp(a.pc, pkt, sizeof(pkt)));
	g_usleep(50000);
	vp_pc_poll(b.pc);
	VT_EQ(0, b.nrtp);
	vp_pc_close(a.pc);
	vp_pc_close(b.pc);
	a.pc = vp_mem_deref(a.pc);
	b.pc = vp_mem_deref(b.pc);
	g_main_context_unref(ctx);
}
