/* SPDX-License-Identifier: MIT */
/** @file test_sig_subscribe.c  protocols/sig: the Janus VideoRoom
 *  subscriptions past the stream table, refused, and capped; participant
 *  churn past the participant table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/sig/janus.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"
#include "tests/unit/sig_cap.h"

/* How many streams the n-th sent request asks for. */
static size_t sent_feeds(struct cap *c, size_t n)
{
	size_t k = 0;

	for (const char *p = n < c->nsent ? c->sent[n] : "";
	     (p = strstr(p, "\"feed\":")); p++)
		k++;
	return k;
}

/* vr_setup, then joined as 900 with `pubs` (a JSON array) */
static void vr_joined(struct vp_sig_janus *j, struct cap *c, const char *pubs)
{
	vr_setup(j, c);
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"joined\",\"id\":"
		   "900,\"publishers\":%s}}}",
		   sent_field(c, 3, "transaction"), pubs));
}

#define PUB_EVENT                                                              \
	"{\"janus\":\"event\",\"sender\":222,\"plugindata\":{\"data\":"        \
	"{\"videoroom\":\"event\",\"publishers\":[" PUB(% d, "p", "0") "]}}}"

/* An offer listing more audio streams than the dialect's table: the first
 * JANUS_MAX_STREAMS (64) reach the bot, the rest are left out, and nothing
 * is written past the table (feed ids were, onto the stack: ASan). */
VTEST(sig_janus_offer_past_the_stream_table)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	char *msg = malloc(16384), *w;

	VT_TRUE(j != NULL && msg != NULL);
	vr_joined(j, c, "[" PUB(42, "alice", "0") "]");
	w = msg + sprintf(msg,
			  "{\"janus\":\"event\",\"sender\":333,\"transaction\":"
			  "\"%s\",\"plugindata\":{\"data\":{\"videoroom\":"
			  "\"attached\",\"streams\":[",
			  sent_field(c, 4, "transaction"));
	for (int i = 0; i < 70; i++)
		w += sprintf(w,
			     "%s{\"type\":\"audio\",\"mid\":\"%d\","
			     "\"feed_id\":%lld}",
			     i ? "," : "", i, 1000000000000000000LL + i);
	sprintf(w, "]}},\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}");
	VT_EQ(0, vp_sig_janus_handle_msg(j, msg, strlen(msg)));
	VT_EQ(64, c->last_nstreams);
	VT_TRUE(strstr(c->ev, " 0=1000000000000000000:1 ") != NULL);
	VT_TRUE(strstr(c->ev, " 63=1000000000000000063:1;") != NULL);
	free(msg);
	vp_mem_deref(j);
	cap_clear(c);
}

/* Janus refuses a whole join or subscribe when one feed in it has gone
 * (428 "No such feed (ID)"): the others are asked for again at once, the
 * named one not; an unnamed refusal waits for the next roster change. A
 * refused subscriber join is joined again, not followed by "subscribe" on a
 * handle that never joined. */
VTEST(sig_janus_refused_subscribe_asks_again)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	size_t n;

	VT_TRUE(j != NULL);
	vr_joined(j, c, "[" PUB(42, "alice", "0") "," PUB(43, "bob", "0") "]");
	VT_EQ(5, c->nsent);
	VT_EQ(2, sent_feeds(c, 4));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"event\",\"sender\":333,\"transaction\":"
		      "\"%s\",\"plugindata\":{\"data\":{\"error_code\":428,"
		      "\"error\":\"No such feed (43)\"}}}",
		      sent_field(c, 4, "transaction")));
	VT_EQ(6, c->nsent);
	VT_STR_EQ("join", sent_field(c, 5, "body.request"));
	VT_STR_EQ("[{\"feed\":42,\"mid\":\"0\"}]",
		  sent_field(c, 5, "body.streams"));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":333,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"attached\","
		   "\"streams\":[{\"type\":\"audio\",\"mid\":\"0\","
		   "\"feed_id\":42}]}},\"jsep\":{\"type\":\"offer\",\"sdp\":"
		   "\"v=0\\r\\n\"}}",
		   sent_field(c, 5, "transaction")));
	VT_EQ(6, c->nsent);
	/* an unnamed refusal of a subscribe: kept for the next change */
	VT_EQ(0, feed(j, PUB_EVENT, 44));
	VT_EQ(7, c->nsent);
	VT_STR_EQ("subscribe", sent_field(c, 6, "body.request"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"event\",\"sender\":333,\"transaction\":"
		      "\"%s\",\"plugindata\":{\"data\":{\"error_code\":499,"
		      "\"error\":\"busy\"}}}",
		      sent_field(c, 6, "transaction")));
	VT_EQ(7, c->nsent);
	VT_EQ(0, feed(j, PUB_EVENT, 45));
	n = c->nsent - 1;
	VT_STR_EQ("subscribe", sent_field(c, n, "body.request"));
	VT_EQ(2, sent_feeds(c, n));
	VT_TRUE(strstr(c->sent[n], "\"feed\":44") != NULL);
	VT_TRUE(strstr(c->sent[n], "\"feed\":45") != NULL);
	vp_mem_deref(j);
	cap_clear(c);
}

/* At most JANUS_MAX_STREAMS (64) subscribed at once, each an m-line of
 * the offer the bot parses: the 65th publisher waits and is asked for as
 * soon as someone's m-line frees. */
VTEST(sig_janus_subscriptions_capped_then_resumed)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	char tx[32];

	VT_TRUE(j != NULL);
	vr_joined(j, c, "[]");
	for (int i = 0; i < 65; i++)
		VT_EQ(0, feed(j, PUB_EVENT, 5000 + i));
	VT_EQ(5, c->nsent); /* the join; the rest wait for its answer */
	VT_EQ(1, sent_feeds(c, 4));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":333,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"attached\","
		   "\"streams\":[{\"type\":\"audio\",\"mid\":\"0\","
		   "\"feed_id\":5000}]}},\"jsep\":{\"type\":\"offer\",\"sdp\":"
		   "\"v=0\\r\\n\"}}",
		   sent_field(c, 4, "transaction")));
	VT_EQ(6, c->nsent);
	VT_EQ(63, sent_feeds(c, 5));
	VT_TRUE(strstr(c->sent[5], "\"feed\":5063") != NULL);
	VT_TRUE(strstr(c->sent[5], "\"feed\":5064") == NULL);
	snprintf(tx, sizeof(tx), "%s", sent_field(c, 5, "transaction"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"event\",\"sender\":333,\"transaction\":"
		      "\"%s\",\"plugindata\":{\"data\":{\"videoroom\":"
		      "\"updated\",\"streams\":[]}}}",
		      tx));
	VT_EQ(6, c->nsent);
	/* 5000 leaves; Janus deactivates its m-line and offers again */
	VT_EQ(0, feed(j, "{\"janus\":\"event\",\"sender\":222,\"plugindata\":{"
			 "\"data\":{\"videoroom\":\"event\",\"unpublished\":"
			 "5000}}}"));
	VT_EQ(0,
	      feed(j, "{\"janus\":\"event\",\"sender\":333,\"plugindata\":{"
		      "\"data\":{\"videoroom\":\"updated\",\"streams\":[]}},"
		      "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}"));
	VT_EQ(7, c->nsent);
	VT_STR_EQ("[{\"feed\":5064,\"mid\":\"0\"}]",
		  sent_field(c, 6, "body.streams"));
	vp_mem_deref(j);
	cap_clear(c);
}

/* Janus reuses the m-line of one who left for the next publisher. A long
 * string id (up to the 127 characters the dialect accepts) must take the
 * mid over: it was too long for the mid map, which then named the mid's
 * previous owner, so the newcomer's audio went to the one who left. */
VTEST(sig_janus_reused_mid_takes_a_long_id)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	char id[101], want[160];

	VT_TRUE(j != NULL);
	memset(id, 'b', 100);
	id[100] = '\0';
	vr_joined(j, c, "[" PUB(42, "alice", "0") "]");
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":333,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"attached\","
		   "\"streams\":[{\"type\":\"audio\",\"mid\":\"0\","
		   "\"feed_id\":42}]}},\"jsep\":{\"type\":\"offer\",\"sdp\":"
		   "\"v=0\\r\\n\"}}",
		   sent_field(c, 4, "transaction")));
	c->ev[0] = '\0';
	VT_EQ(0, feed(j,
		      "{\"janus\":\"event\",\"sender\":333,\"plugindata\":{"
		      "\"data\":{\"videoroom\":\"updated\",\"streams\":["
		      "{\"type\":\"audio\",\"mid\":\"0\",\"feed_id\":\"%s\"}"
		      "]}},\"jsep\":{\"type\":\"offer\",\"sdp\":"
		      "\"v=0\\r\\n\"}}",
		      id));
	snprintf(want, sizeof(want), " 0=%s:1;", id);
	VT_TRUE(strstr(c->ev, want) != NULL);
	vp_mem_deref(j);
	cap_clear(c);
}

/* Janus gives a publisher who comes back a new id: 1,200 come and go, one
 * at a time, and every one is tracked (the dialect forgets who left; the
 * 1,025th used to be refused, which closes the bot's gate). */
VTEST(sig_janus_churn_past_the_participant_table)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");

	VT_TRUE(j != NULL);
	vr_joined(j, c, "[]");
	for (int i = 0; i < 1200; i++) {
		c->ev[0] = '\0'; /* the log of one round */
		VT_EQ(0, feed(j,
			      "{\"janus\":\"event\",\"sender\":222,"
			      "\"plugindata\":{\"data\":{\"videoroom\":"
			      "\"event\",\"publishers\":[{\"id\":%d,"
			      "\"display\":\"p\",\"streams\":[]}]}}}",
			      5000 + i));
		VT_EQ(0, feed(j,
			      "{\"janus\":\"event\",\"sender\":222,"
			      "\"plugindata\":{\"data\":{\"videoroom\":"
			      "\"event\",\"leaving\":%d}}}",
			      5000 + i));
	}
	VT_EQ(1200, c->npj);
	VT_EQ(0, c->nrerr);
	VT_TRUE(strstr(c->ev, "pj 6199 p;pl 6199;") != NULL);
	/* a second leave of the same id is still nothing */
	VT_EQ(0, feed(j, "{\"janus\":\"event\",\"sender\":222,\"plugindata\":"
			 "{\"data\":{\"videoroom\":\"event\",\"leaving\":"
			 "6199}}}"));
	VT_TRUE(strstr(c->ev, "pl 6199;pl 6199;") == NULL);
	vp_mem_deref(j);
	cap_clear(c);
}
