/* SPDX-License-Identifier: MIT */
/** @file test_ice_rx.c  The polled reader's parts: batched UDP receive over
 * loopback, and the STUN side (answers, consent) against libnice's STUN
 * library in the peer's role. */
#include "protocols/ice/ice_stun.h"
#include "protocols/ice/udp_batch.h"
#include "src/core/clock.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <stun/usages/bind.h>
#include <stun/usages/ice.h>

/* --- udp_batch --- */

static int udp_bound(struct sockaddr_in *a)
{
	socklen_t n = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	VT_TRUE(fd >= 0);
	VT_EQ(0, bind(fd, (struct sockaddr *)a, sizeof(*a)));
	VT_EQ(0, getsockname(fd, (struct sockaddr *)a, &n));
	return fd;
}

/* datagram k: its length and bytes (k == 7 is too long for a buffer) */
static size_t dgram(unsigned k, uint8_t *b)
{
	size_t n = k == 7 ? VP_UDP_BATCH_DGRAM + 100 : 20 + (k * 37) % 1400;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(k * 31 + i);
	return n;
}

VTEST(udp_batch_reads_all_in_order_in_batches)
{
	static struct vp_udp_batch b;
	static uint8_t ref[VP_UDP_BATCH_DGRAM + 100];
	struct sockaddr_in ra, sa;
	int r = udp_bound(&ra), s = udp_bound(&sa);
	unsigned got = 0, reads = 0, trunc = 0;
	int n;

	VT_EQ(0, vp_udp_batch_read(&b, r)); /* nothing waiting */
	for (unsigned k = 0; k < 40; k++) {
		size_t len = dgram(k, ref);

		VT_EQ((long long)len,
		      sendto(s, ref, len, 0, (struct sockaddr *)&ra,
			     sizeof(ra)));
	}
	while ((n = vp_udp_batch_read(&b, r)) > 0) {
		reads++;
		VT_TRUE(n <= VP_UDP_BATCH_N);
		for (int i = 0; i < n; i++, got++) {
			size_t len, exp = dgram(got, ref);
			const uint8_t *p =
				vp_udp_batch_data(&b, (unsigned)i, &len);
			socklen_t fl;
			const struct sockaddr_in *f =
				(const void *)vp_udp_batch_from(&b, (unsigned)i,
								&fl);

			VT_EQ(sizeof(sa), fl);
			VT_EQ(sa.sin_port, f->sin_port);
			if (vp_udp_batch_truncated(&b, (unsigned)i)) {
				trunc++;
				VT_EQ(7, got);
				continue;
			}
			VT_EQ(exp, len); /* whole, in the order sent */
			VT_EQ(0, memcmp(p, ref, len));
		}
	}
	VT_EQ(0, n);
	VT_EQ(40, got);
	VT_EQ(1, trunc);
	VT_EQ(3, reads); /* 16 + 16 + 8 */
	VT_EQ(-EINVAL, vp_udp_batch_read(&b, -1));
	{
		int pp[2];

		VT_EQ(0, pipe(pp)); /* an error is returned, not hidden */
		VT_EQ(-ENOTSOCK, vp_udp_batch_read(&b, pp[0]));
		close(pp[0]);
		close(pp[1]);
	}
	close(r);
	close(s);
}

/* --- ice_stun: we are "L" (controlled); the peer "R" is libnice's STUN
 * agent, controlling, as a conference server would be --- */

#define LU "lufr"
#define LP "local-password-22chars"
#define RU "rufr"
#define RP "remote-password-22char"

static const uint16_t attrs[] = {STUN_ATTRIBUTE_USERNAME,
				 STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
				 STUN_ATTRIBUTE_ERROR_CODE,
				 STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
				 STUN_ATTRIBUTE_PRIORITY,
				 STUN_ATTRIBUTE_USE_CANDIDATE,
				 0};

static void peer_init(StunAgent *p)
{
	stun_agent_init(p, attrs, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
}

static struct sockaddr_storage peer_addr(socklen_t *len)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a = (void *)&ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(40123);
	a->sin_addr.s_addr = htonl(0x7f000002);
	*len = sizeof(*a);
	return ss;
}

/* the peer's check: USERNAME "LU:RU", keyed with our password */
static size_t peer_check(StunAgent *p, uint8_t *buf, const char *user,
			 const char *key)
{
	StunMessage m;

	return stun_usage_ice_conncheck_create(
		p, &m, buf, 548, (const uint8_t *)user, strlen(user),
		(const uint8_t *)key, strlen(key), false, true, 0x6effffff, 42,
		NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

VTEST(ice_stun_answers_an_authenticated_check)
{
	static struct vp_ice_stun s;
	StunAgent p;
	StunMessage resp;
	uint8_t req[548], out[VP_ICE_STUN_MAX_MSG];
	struct sockaddr_storage from, mapped;
	socklen_t fl, ml = sizeof(mapped);
	size_t n, outn = 1;

	from = peer_addr(&fl);
	peer_init(&p);
	VT_EQ(0, vp_ice_stun_init(&s, false, LU, LP, RU, RP, 7, VP_SEC));
	n = peer_check(&p, req, LU ":" RU, LP);
	VT_TRUE(n > 0);
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	VT_TRUE(outn > 20);
	VT_EQ(1, s.stats.answered);
	/* the peer takes it: its transaction, our password, its address */
	VT_EQ(STUN_VALIDATION_SUCCESS,
	      stun_agent_validate(&p, &resp, out, outn, NULL, NULL));
	VT_EQ(STUN_RESPONSE, stun_message_get_class(&resp));
	VT_EQ(STUN_USAGE_ICE_RETURN_SUCCESS,
	      stun_usage_ice_conncheck_process(
		      &resp, &mapped, &ml,
		      STUN_USAGE_ICE_COMPATIBILITY_RFC5245));
	VT_EQ(0, memcmp(&mapped, &from, sizeof(struct sockaddr_in)));
	/* an answer is not consent for our side */
	VT_EQ(0, s.stats.consent_ok);
}

/* our answer to REQ: a STUN error with CODE, for REQ's transaction */
static void expect_error(const uint8_t *out, size_t outn, const uint8_t *req,
			 int code)
{
	StunMessage m = {.buffer = (uint8_t *)out, .buffer_len = outn};
	int got = 0;

	VT_TRUE(outn > 20);
	VT_EQ((int)outn, stun_message_validate_buffer_length(out, outn, true));
	VT_EQ(STUN_ERROR, stun_message_get_class(&m));
	VT_EQ(STUN_BINDING, stun_message_get_method(&m));
	VT_EQ(0, memcmp(out + 8, req + 8, 12)); /* transaction id */
	VT_EQ(STUN_MESSAGE_RETURN_SUCCESS, stun_message_find_error(&m, &got));
	VT_EQ(code, got);
}

/* RFC 8489 §9.1.3 and §6.3.1.1, as libnice answers its own checks */
VTEST(ice_stun_refuses_wrong_credentials_and_junk)
{
	static struct vp_ice_stun s;
	StunAgent p;
	StunMessage m;
	uint8_t req[548], out[VP_ICE_STUN_MAX_MSG];
	struct sockaddr_storage from;
	socklen_t fl;
	size_t n, outn;

	from = peer_addr(&fl);
	peer_init(&p);
	VT_EQ(0, vp_ice_stun_init(&s, false, LU, LP, RU, RP, 7, VP_SEC));
	n = peer_check(&p, req, LU ":" RU, "not-our-password-at-all");
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	expect_error(out, outn, req, STUN_ERROR_UNAUTHORIZED);
	n = peer_check(&p, req, "someone:" RU, LP);
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	expect_error(out, outn, req, STUN_ERROR_UNAUTHORIZED);
	/* no USERNAME, no MESSAGE-INTEGRITY: 400 */
	VT_TRUE(stun_agent_init_request(&p, &m, req, sizeof(req),
					STUN_BINDING));
	n = stun_agent_finish_message(&p, &m, NULL, 0);
	VT_TRUE(n > 0);
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	expect_error(out, outn, req, STUN_ERROR_BAD_REQUEST);
	/* authenticated, but a comprehension-required attribute we do not
	 * know (0x0030): 420 */
	VT_TRUE(stun_agent_init_request(&p, &m, req, sizeof(req),
					STUN_BINDING));
	VT_EQ(STUN_MESSAGE_RETURN_SUCCESS,
	      stun_message_append32(&m, 0x0030, 1));
	VT_EQ(STUN_MESSAGE_RETURN_SUCCESS,
	      stun_message_append_string(&m, STUN_ATTRIBUTE_USERNAME,
					 LU ":" RU));
	n = stun_agent_finish_message(&p, &m, (const uint8_t *)LP, strlen(LP));
	VT_TRUE(n > 0);
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	expect_error(out, outn, req, STUN_ERROR_UNKNOWN_ATTRIBUTE);
	VT_EQ(4, s.stats.rejected);
	/* not a well-formed request: nothing to answer */
	n = peer_check(&p, req, LU ":" RU, LP);
	req[30] ^= 1; /* fingerprint no longer matches */
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	VT_EQ(0, outn);
	vp_ice_stun_recv(&s, req, 19, &from, fl, VP_SEC, out, &outn);
	VT_EQ(0, outn);
	memset(req, 0, 40); /* STUN-shaped, no cookie, no length */
	vp_ice_stun_recv(&s, req, 40, &from, fl, VP_SEC, out, &outn);
	VT_EQ(0, outn);
	VT_EQ(0, s.stats.answered);
	VT_EQ(7, s.stats.bad);
	VT_EQ(4, s.stats.rejected);
	/* a keepalive indication needs nothing */
	n = stun_usage_bind_keepalive(&p, &(StunMessage){0}, req, sizeof(req));
	VT_TRUE(n > 0);
	vp_ice_stun_recv(&s, req, n, &from, fl, VP_SEC, out, &outn);
	VT_EQ(0, outn);
	VT_EQ(1, s.stats.ignored);
	VT_EQ(EINVAL, vp_ice_stun_init(&s, false, "", LP, RU, RP, 7, 0));
	VT_EQ(EINVAL, vp_ice_stun_init(NULL, false, LU, LP, RU, RP, 7, 0));
}

/* the peer answers our consent request as an ICE agent would */
static size_t peer_answer(StunAgent *p, const uint8_t *req, size_t n,
			  uint8_t *out)
{
	StunDefaultValidaterData v = {(uint8_t *)RU ":" LU, strlen(RU ":" LU),
				      (uint8_t *)RP, strlen(RP)};
	StunMessage m, r;
	struct sockaddr_storage from;
	socklen_t fl;
	size_t outn = 548;
	bool control = true;

	from = peer_addr(&fl);
	VT_EQ(STUN_VALIDATION_SUCCESS,
	      stun_agent_validate(p, &m, req, n, stun_agent_default_validater,
				  &v));
	VT_TRUE(stun_message_has_attribute(&m, STUN_ATTRIBUTE_ICE_CONTROLLED));
	VT_EQ(STUN_USAGE_ICE_RETURN_SUCCESS,
	      stun_usage_ice_conncheck_create_reply(
		      p, &m, &r, out, &outn, &from, fl, &control, 1,
		      STUN_USAGE_ICE_COMPATIBILITY_RFC5245));
	return outn;
}

VTEST(ice_stun_consent_kept_by_answers_lost_without)
{
	static struct vp_ice_stun s;
	StunAgent p;
	uint8_t req[VP_ICE_STUN_MAX_MSG], ans[548];
	struct sockaddr_storage from;
	socklen_t fl;
	uint64_t t = 100 * VP_SEC;
	size_t n, an, outn;

	from = peer_addr(&fl);
	peer_init(&p);
	VT_EQ(0, vp_ice_stun_init(&s, false, LU, LP, RU, RP, 9, t));
	VT_EQ(0, vp_ice_stun_tick(&s, t, req, &n));
	VT_EQ(0, n); /* the first after 4..6 s (RFC 7675 §5.1) */
	VT_EQ(0, vp_ice_stun_tick(&s, t + 3900 * VP_MSEC, req, &n));
	VT_EQ(0, n);
	VT_EQ(0, vp_ice_stun_tick(&s, t + 6 * VP_SEC, req, &n));
	VT_TRUE(n > 20);
	VT_EQ(1, s.stats.sent);
	an = peer_answer(&p, req, n, ans);
	VT_TRUE(an > 20);
	/* the same answer twice: the second matches nothing */
	vp_ice_stun_recv(&s, ans, an, &from, fl, t + 7 * VP_SEC, req, &outn);
	VT_EQ(0, outn);
	VT_EQ(1, s.stats.consent_ok);
	vp_ice_stun_recv(&s, ans, an, &from, fl, t + 8 * VP_SEC, req, &outn);
	VT_EQ(1, s.stats.consent_ok);
	VT_EQ(1, s.stats.ignored);
	/* then silence: requests go on, more than can be pending, and
	 * consent ends 30 s after the last answer (t + 7 s) */
	for (uint64_t x = t + 8 * VP_SEC; x <= t + 37 * VP_SEC; x += VP_SEC)
		VT_EQ(0, vp_ice_stun_tick(&s, x, req, &n));
	VT_TRUE(s.stats.sent >= 5);
	VT_EQ(ETIMEDOUT, vp_ice_stun_tick(&s, t + 37 * VP_SEC + 1, req, &n));
	VT_EQ(0, n);
}

VTEST(ice_stun_many_unanswered_requests_never_jam)
{
	static struct vp_ice_stun s;
	StunAgent p;
	uint8_t req[VP_ICE_STUN_MAX_MSG], ans[548];
	struct sockaddr_storage from;
	socklen_t fl;
	uint64_t t = VP_SEC;
	size_t n = 0, an, outn;

	from = peer_addr(&fl);
	peer_init(&p);
	VT_EQ(0, vp_ice_stun_init(&s, false, LU, LP, RU, RP, 3, t));
	/* 300 requests, none answered (more than the library's table of
	 * 200): the answer to the last one still renews consent */
	for (unsigned k = 0; k < 300; k++) {
		t += 6 * VP_SEC;
		s.last_ok_ns = t; /* keep it alive for the loop */
		VT_EQ(0, vp_ice_stun_tick(&s, t, req, &n));
		VT_TRUE(n > 20);
	}
	VT_EQ(300, s.stats.sent);
	VT_TRUE(s.npending <= VP_ICE_STUN_PENDING);
	an = peer_answer(&p, req, n, ans);
	vp_ice_stun_recv(&s, ans, an, &from, fl, t + VP_SEC, req, &outn);
	VT_EQ(1, s.stats.consent_ok);
	VT_EQ(t + VP_SEC, s.last_ok_ns);
}
