/* SPDX-License-Identifier: MIT */
/** @file ice_stun.c  Checks answered and consent kept on the selected
 * pair (see ice_stun.h), with libnice's STUN library. */
#include "protocols/ice/ice_stun.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stun/usages/ice.h>

/* comprehension-required attributes an ICE check may carry (RFC 8445
 * §16.1); optional ones (ICE-CONTROLLING, FINGERPRINT, …) need no entry */
static const uint16_t known_attrs[] = {STUN_ATTRIBUTE_MAPPED_ADDRESS,
				       STUN_ATTRIBUTE_USERNAME,
				       STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
				       STUN_ATTRIBUTE_ERROR_CODE,
				       STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
				       STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
				       STUN_ATTRIBUTE_PRIORITY,
				       STUN_ATTRIBUTE_USE_CANDIDATE,
				       0};

/* RFC 8445 §5.1.2.1: a peer-reflexive candidate's priority (type 110,
 * local preference 65535, component 1), what a check carries */
#define PRFLX_PRIORITY ((110u << 24) | (65535u << 8) | 255u)

static uint64_t rnd64(struct vp_ice_stun *s)
{
	/* xorshift64*: jitter and tie-breaker, nothing secret */
	s->rnd ^= s->rnd >> 12;
	s->rnd ^= s->rnd << 25;
	s->rnd ^= s->rnd >> 27;
	return s->rnd * 0x2545F4914F6CDD1DULL;
}

static bool cpy(char *dst, size_t cap, const char *a, const char *sep,
		const char *b)
{
	int n = snprintf(dst, cap, "%s%s%s", a, sep, b);

	return n > 0 && (size_t)n < cap;
}

int vp_ice_stun_init(struct vp_ice_stun *s, bool controlling,
		     const char *lufrag, const char *lpwd, const char *rufrag,
		     const char *rpwd, uint64_t seed, uint64_t now_ns)
{
	if (!s || !lufrag || !lpwd || !rufrag || !rpwd || !*lufrag)
		return EINVAL;
	memset(s, 0, sizeof(*s));
	if (!cpy(s->luser, sizeof(s->luser), lufrag, ":", "") ||
	    !cpy(s->lpwd, sizeof(s->lpwd), lpwd, "", "") ||
	    !cpy(s->ruser, sizeof(s->ruser), rufrag, ":", lufrag) ||
	    !cpy(s->rpwd, sizeof(s->rpwd), rpwd, "", ""))
		return EINVAL;
	stun_agent_init(&s->agent, known_attrs, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
	s->controlling = controlling;
	s->rnd = seed ? seed : 0x9E3779B97F4A7C15ULL;
	s->tie = rnd64(s);
	s->last_ok_ns = now_ns;
	s->next_req_ns = now_ns + VP_ICE_STUN_INTERVAL_NS * 4 / 5 +
			 rnd64(s) % (VP_ICE_STUN_INTERVAL_NS * 2 / 5);
	return 0;
}

/* RFC 8445 §7.3: USERNAME is "our ufrag:theirs"; the key is our pwd */
static bool validater(StunAgent *agent, StunMessage *msg, uint8_t *user,
		      uint16_t ulen, uint8_t **pw, size_t *pwlen, void *arg)
{
	struct vp_ice_stun *s = arg;
	size_t n = strlen(s->luser); /* "lufrag:" */

	(void)agent, (void)msg;
	if (!user || ulen <= n || memcmp(user, s->luser, n))
		return false;
	*pw = (uint8_t *)s->lpwd;
	*pwlen = strlen(s->lpwd);
	return true;
}

static void forget(struct vp_ice_stun *s, const StunMessage *resp)
{
	StunTransactionId id;

	stun_message_id(resp, id);
	for (unsigned i = 0; i < VP_ICE_STUN_PENDING; i++)
		if (!memcmp(s->pending[i], id, sizeof(id))) {
			memset(s->pending[i], 0, sizeof(id));
			if (s->npending)
				s->npending--;
		}
}

static void answer(struct vp_ice_stun *s, StunMessage *req,
		   const struct sockaddr_storage *from, socklen_t fromlen,
		   uint8_t *out, size_t *outlen)
{
	StunMessage resp;
	size_t n = VP_ICE_STUN_MAX_MSG;
	bool control = s->controlling;
	StunUsageIceReturn r;

	/* a role conflict is answered as the library decides; after
	 * completion our role no longer matters */
	r = stun_usage_ice_conncheck_create_reply(
		&s->agent, req, &resp, out, &n, from, fromlen, &control, s->tie,
		STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if ((r == STUN_USAGE_ICE_RETURN_SUCCESS ||
	     r == STUN_USAGE_ICE_RETURN_ROLE_CONFLICT) &&
	    n > 0) {
		*outlen = n;
		s->stats.answered++;
	} else {
		s->stats.bad++;
	}
}

/* RFC 8489 §9.1.3, as libnice's own checks answer: a request without
 * USERNAME or MESSAGE-INTEGRITY gets 400, wrong credentials 401, an
 * unknown comprehension-required attribute 420 (§6.3.1.1). Error answers
 * carry no MESSAGE-INTEGRITY: we have no key the sender shares. What is
 * not a well-formed request (bad fingerprint, …) gets nothing. */
static void reject(struct vp_ice_stun *s, StunMessage *req,
		   StunValidationStatus v, uint8_t *out, size_t *outlen)
{
	StunMessage err;
	size_t n = 0;

	if (v == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE)
		n = stun_agent_build_unknown_attributes_error(
			&s->agent, &err, out, VP_ICE_STUN_MAX_MSG, req);
	else if ((v == STUN_VALIDATION_UNAUTHORIZED ||
		  v == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST) &&
		 stun_agent_init_error(&s->agent, &err, out,
				       VP_ICE_STUN_MAX_MSG, req,
				       v == STUN_VALIDATION_UNAUTHORIZED
					       ? STUN_ERROR_UNAUTHORIZED
					       : STUN_ERROR_BAD_REQUEST))
		n = stun_agent_finish_message(&s->agent, &err, NULL, 0);
	if (n > 0) {
		*outlen = n;
		s->stats.rejected++;
	}
}

void vp_ice_stun_recv(struct vp_ice_stun *s, const uint8_t *buf, size_t len,
		      const struct sockaddr_storage *from, socklen_t fromlen,
		      uint64_t now_ns, uint8_t *out, size_t *outlen)
{
	StunMessage msg;
	StunValidationStatus v;

	*outlen = 0;
	if (len < 20 ||
	    stun_message_validate_buffer_length(buf, len, true) != (int)len) {
		s->stats.bad++;
		return;
	}
	msg.buffer = (uint8_t *)buf;
	msg.buffer_len = len;
	if (stun_message_get_class(&msg) == STUN_INDICATION) {
		s->stats.ignored++; /* keepalives: nothing to answer */
		return;
	}
	v = stun_agent_validate(&s->agent, &msg, buf, len, validater, s);
	if (v == STUN_VALIDATION_UNMATCHED_RESPONSE) {
		s->stats.ignored++;
		return;
	}
	if (v != STUN_VALIDATION_SUCCESS) {
		s->stats.bad++;
		if (stun_message_get_class(&msg) == STUN_REQUEST)
			reject(s, &msg, v, out, outlen);
		return;
	}
	switch (stun_message_get_class(&msg)) {
	case STUN_REQUEST:
		answer(s, &msg, from, fromlen, out, outlen);
		break;
	case STUN_RESPONSE: /* matched one of ours and authenticated */
		forget(s, &msg);
		s->last_ok_ns = now_ns;
		s->stats.consent_ok++;
		break;
	default: /* an error answer (RFC 7675 §5.2 403 is not consent) */
		forget(s, &msg);
		s->stats.ignored++;
		break;
	}
}

static void remember(struct vp_ice_stun *s, const StunMessage *req)
{
	uint8_t *slot = s->pending[s->next_slot];
	static const StunTransactionId zero;

	/* at most VP_ICE_STUN_PENDING unanswered: the oldest is given up */
	if (memcmp(slot, zero, sizeof(zero)))
		stun_agent_forget_transaction(&s->agent, slot);
	else
		s->npending++;
	stun_message_id(req, slot);
	s->next_slot = (s->next_slot + 1) % VP_ICE_STUN_PENDING;
}

int vp_ice_stun_tick(struct vp_ice_stun *s, uint64_t now_ns, uint8_t *out,
		     size_t *outlen)
{
	StunMessage req;
	size_t n;

	*outlen = 0;
	if (now_ns > s->last_ok_ns &&
	    now_ns - s->last_ok_ns > VP_ICE_STUN_CONSENT_NS)
		return ETIMEDOUT;
	if (now_ns < s->next_req_ns)
		return 0;
	s->next_req_ns = now_ns + VP_ICE_STUN_INTERVAL_NS * 4 / 5 +
			 rnd64(s) % (VP_ICE_STUN_INTERVAL_NS * 2 / 5);
	n = stun_usage_ice_conncheck_create(
		&s->agent, &req, out, VP_ICE_STUN_MAX_MSG,
		(const uint8_t *)s->ruser, strlen(s->ruser),
		(const uint8_t *)s->rpwd, strlen(s->rpwd), false,
		s->controlling, PRFLX_PRIORITY, s->tie, NULL,
		STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (!n)
		return 0; /* the agent's table is full: next time */
	remember(s, &req);
	*outlen = n;
	s->stats.sent++;
	return 0;
}
