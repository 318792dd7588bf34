/* SPDX-License-Identifier: MIT */
/** @file test_sig.c  protocols/sig: the Janus machine on
 *  recorded message sequences (docs/janus.md §5), the ws buffers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/sig/dialect_sim.h"
#include "protocols/sig/invite.h"
#include "protocols/sig/janus.h"
#include "protocols/sig/ws_buf.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"
#include "tests/unit/sig_cap.h"

/* --- the Janus machine --- */

VTEST(sig_janus_videoroom_event_before_ack)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234?pin=42x");
	char tx[32];

	VT_TRUE(j != NULL);
	vr_setup(j, c);
	VT_STR_EQ("42x", sent_field(c, 3, "body.pin"));
	snprintf(tx, sizeof(tx), "%s", sent_field(c, 3, "transaction"));
	/* the event first, its ack after (docs/janus.md §5) */
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\","
		   "\"data\":"
		   "{\"videoroom\":\"joined\",\"room\":1234,\"id\":900,"
		   "\"private_id\":77,"
		   "\"publishers\":[" PUB(42, "alice", "0") "]}}}",
		   tx));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"ack\",\"session_id\":111,\"transaction\":"
		      "\"%s\"}",
		      tx));
	VT_STR_EQ("joined 1234 as 900;pj 42 alice;", c->ev);
	VT_EQ(5, c->nsent);
	VT_STR_EQ("subscriber", sent_field(c, 4, "body.ptype"));
	VT_STR_EQ("333", sent_field(c, 4, "handle_id"));
	VT_STR_EQ("[{\"feed\":42,\"mid\":\"0\"}]",
		  sent_field(c, 4, "body.streams"));
	VT_STR_EQ("77", sent_field(c, 4, "body.private_id"));
	vp_mem_deref(j);
	cap_clear(c);
}

/* A publisher the dialect cannot track (no memory for it, or past its
 * table) is reported as a roster error, never dropped in silence: the bot
 * closes the gate on it. The oom suite fails each allocation of handling
 * the roster event in turn. */
VTEST_OOM(sig_janus_roster_oom_never_drops_a_participant)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j;
	char tx[32];
	int e;

	VT_OOM_SKIP();
	j = janus_new(c, "janus+ws://h:8188/1234");
	VT_TRUE(j != NULL);
	vr_setup(j, c);
	snprintf(tx, sizeof(tx), "%s", sent_field(c, 3, "transaction"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"ack\",\"session_id\":111,\"transaction\":"
		      "\"%s\"}",
		      tx));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\","
		   "\"data\":"
		   "{\"videoroom\":\"joined\",\"room\":1234,\"id\":900,"
		   "\"private_id\":77,"
		   "\"publishers\":[" PUB(42, "alice", "0") "]}}}",
		   tx));
	c->ev[0] = '\0';
	VT_OOM_WALK();
	e = feed(j,
		 "{\"janus\":\"event\",\"sender\":222,\"plugindata\":{"
		 "\"plugin\":"
		 "\"janus.plugin.videoroom\",\"data\":{\"videoroom\":\"event\","
		 "\"room\":1234,\"publishers\":[" PUB(43, "bob", "1") "," PUB(
			 44, "carol", "2") "]}}}");
	VT_OOM_SKIP();
	if (e) { /* the message itself was lost: the whole roster is */
		VT_EQ(ENOMEM, e);
		VT_TRUE(vtest_oom_hit());
		VT_STR_EQ("rerr - 12;", c->ev);
	} else {
		VT_TRUE(strstr(c->ev, "pj 43 bob;") ||
			strstr(c->ev, "rerr 43 12;"));
		VT_TRUE(strstr(c->ev, "pj 44 carol;") ||
			strstr(c->ev, "rerr 44 12;"));
		VT_TRUE(!c->nrerr || vtest_oom_hit());
	}
	vp_mem_deref(j);
	cap_clear(c);
}

/* More publishers than the dialect holds: the ones past its table are
 * roster errors (the bot closes the gate), not vanished participants. */
VTEST(sig_janus_roster_full_is_an_error)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	char tx[32];

	VT_TRUE(j != NULL);
	vr_setup(j, c);
	snprintf(tx, sizeof(tx), "%s", sent_field(c, 3, "transaction"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"ack\",\"session_id\":111,\"transaction\":"
		      "\"%s\"}",
		      tx));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\","
		   "\"data\":"
		   "{\"videoroom\":\"joined\",\"room\":1234,\"id\":900,"
		   "\"private_id\":77,"
		   "\"publishers\":[]}}}",
		   tx));
	for (int i = 0; i < 1030; i++) {
		c->ev[0] = '\0';
		VT_EQ(0,
		      feed(j,
			   "{\"janus\":\"event\",\"sender\":222,\"plugindata\":"
			   "{\"plugin\":\"janus.plugin.videoroom\",\"data\":"
			   "{\"videoroom\":\"event\",\"room\":1234,"
			   "\"publishers\":"
			   "[{\"id\":%d,\"display\":\"p\",\"streams\":[]}]}}}",
			   5000 + i));
	}
	VT_EQ(1024, c->npj);
	VT_EQ(6, c->nrerr);
	VT_STR_EQ("rerr 6029 28;", c->ev); /* ENOSPC */
	vp_mem_deref(j);
	cap_clear(c);
}

VTEST(sig_janus_videoroom_renegotiation_and_unpublished_twice)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	char tx[32];

	VT_TRUE(j != NULL);
	vr_setup(j, c);
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"joined\",\"id\":"
		   "900,"
		   "\"publishers\":[" PUB(42, "alice", "0") "]}}}",
		   sent_field(c, 3, "transaction")));
	snprintf(tx, sizeof(tx), "%s", sent_field(c, 4, "transaction"));
	/* a second publisher while the subscriber join is in flight: queued */
	VT_EQ(0, feed(j, "{\"janus\":\"event\",\"sender\":222,\"plugindata\":{"
			 "\"data\":"
			 "{\"videoroom\":\"event\",\"room\":1234,"
			 "\"publishers\":[" PUB(43, "bob", "0") "]}}}"));
	VT_EQ(5, c->nsent);
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":333,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"attached\","
		   "\"room\":1234,"
		   "\"streams\":[{\"type\":\"audio\",\"active\":true,\"mid\":"
		   "\"0\","
		   "\"feed_id\":42}]}},\"jsep\":{\"type\":\"offer\",\"sdp\":"
		   "\"v=0\\r\\n\"}}",
		   tx));
	/* attached -> offer, then the queued subscribe for bob */
	VT_TRUE(strstr(c->ev, "offer sub-1 0=42:1;") != NULL);
	VT_EQ(6, c->nsent);
	VT_STR_EQ("subscribe", sent_field(c, 5, "body.request"));
	VT_STR_EQ("[{\"feed\":43,\"mid\":\"0\"}]",
		  sent_field(c, 5, "body.streams"));
	/* answering a stale offer id is refused; the current one works */
	VT_EQ(EALREADY, vp_sig_janus_answer(j, "sub-0", "v=0\r\n"));
	VT_EQ(0, vp_sig_janus_answer(j, "sub-1",
				     "v=0\r\na=end-of-candidates\r\n"));
	VT_STR_EQ("start", sent_field(c, 6, "body.request"));
	VT_STR_EQ("answer", sent_field(c, 6, "jsep.type"));
	VT_STR_EQ("false", sent_field(c, 6, "jsep.trickle"));
	VT_STR_EQ("333", sent_field(c, 6, "handle_id"));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":333,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"updated\","
		   "\"streams\":["
		   "{\"type\":\"audio\",\"active\":true,\"mid\":\"0\",\"feed_"
		   "id\":42},"
		   "{\"type\":\"audio\",\"active\":true,\"mid\":\"1\",\"feed_"
		   "id\":43},"
		   "{\"type\":\"data\",\"mid\":\"2\"}]}},"
		   "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}",
		   sent_field(c, 5, "transaction")));
	VT_TRUE(strstr(c->ev, "offer sub-2 0=42:1 1=43:1;") != NULL);
	c->ev[0] = '\0';
	/* alice goes: autoupdate offer without feed_id, unpublished twice */
	VT_EQ(0,
	      feed(j, "{\"janus\":\"event\",\"sender\":333,\"plugindata\":{"
		      "\"data\":"
		      "{\"videoroom\":\"updated\",\"streams\":["
		      "{\"type\":\"audio\",\"active\":false,\"mid\":\"0\"},"
		      "{\"type\":\"audio\",\"active\":true,\"mid\":\"1\","
		      "\"feed_id\":43}]}},"
		      "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}"));
	for (int i = 0; i < 2; i++)
		VT_EQ(0,
		      feed(j,
			   "{\"janus\":\"event\",\"sender\":222,\"plugindata\":"
			   "{\"data\":"
			   "{\"videoroom\":\"event\",\"unpublished\":42}}}"));
	VT_EQ(0, feed(j, "{\"janus\":\"event\",\"sender\":222,\"plugindata\":{"
			 "\"data\":"
			 "{\"videoroom\":\"event\",\"leaving\":42}}}"));
	VT_STR_EQ("offer sub-3 0=42:0 1=43:1;pl 42;", c->ev);
	/* she comes back: announced and subscribed again */
	c->ev[0] = '\0';
	VT_EQ(0, feed(j, "{\"janus\":\"event\",\"sender\":222,\"plugindata\":{"
			 "\"data\":"
			 "{\"videoroom\":\"event\",\"publishers\":[" PUB(
				 42, "alice", "0") "]}}}"));
	VT_STR_EQ("pj 42 alice;", c->ev);
	VT_STR_EQ("subscribe", sent_field(c, c->nsent - 1, "body.request"));
	VT_STR_EQ("[{\"feed\":42,\"mid\":\"0\"}]",
		  sent_field(c, c->nsent - 1, "body.streams"));
	vp_mem_deref(j);
	cap_clear(c);
}

VTEST(sig_janus_leave_sequence)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h:8188/1234");
	size_t n0;

	VT_TRUE(j != NULL);
	vr_setup(j, c);
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":222,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"videoroom\":\"joined\",\"id\":"
		   "900}}}",
		   sent_field(c, 3, "transaction")));
	n0 = c->nsent;
	VT_EQ(0, vp_sig_janus_leave(j));
	VT_EQ(EALREADY, vp_sig_janus_leave(j));
	/* no subscriber joined yet: leave A, detach B, detach A, destroy */
	VT_EQ(n0 + 4, c->nsent);
	VT_STR_EQ("leave", sent_field(c, n0, "body.request"));
	VT_STR_EQ("222", sent_field(c, n0, "handle_id"));
	VT_STR_EQ("333", sent_field(c, n0 + 1, "handle_id"));
	VT_STR_EQ("detach", sent_field(c, n0 + 2, "janus"));
	VT_STR_EQ("222", sent_field(c, n0 + 2, "handle_id"));
	VT_STR_EQ("destroy", sent_field(c, n0 + 3, "janus"));
	VT_STR_EQ("joined 1234 as 900;", c->ev);
	VT_EQ(0, feed(j, "{\"janus\":\"success\",\"transaction\":\"%s\"}",
		      sent_field(c, n0 + 3, "transaction")));
	VT_STR_EQ("joined 1234 as 900;ended left;", c->ev);
	VT_TRUE(vp_sig_janus_done(j));
	VT_EQ(EALREADY, feed(j, "{\"janus\":\"timeout\"}"));
	vp_mem_deref(j);
	cap_clear(c);
}

static void join_error(const char *url, int code, const char *expect)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, url);
	bool ab = strstr(url, "audiobridge") != NULL;

	VT_TRUE(j != NULL);
	VT_EQ(0, vp_sig_janus_start(j));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":1}}",
		      sent_field(c, 0, "transaction")));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":2}}",
		      sent_field(c, 1, "transaction")));
	if (!ab)
		VT_EQ(0, feed(j,
			      "{\"janus\":\"success\",\"transaction\":\"%s\","
			      "\"data\":{\"id\":3}}",
			      sent_field(c, 2, "transaction")));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":"
		   "{\"data\":{\"%s\":\"event\",\"error_code\":%d,\"error\":"
		   "\"nope\"}}}",
		   sent_field(c, ab ? 2 : 3, "transaction"),
		   ab ? "audiobridge" : "videoroom", code));
	VT_STR_EQ(expect, c->ev);
	vp_mem_deref(j);
	cap_clear(c);
}

VTEST(sig_janus_errors_kind)
{
	join_error("janus+ws://h/9999", 426, "error P janus 426: nope;");
	join_error("janus+ws://h/1?pin=x", 433, "error P janus 433: nope;");
	join_error("janus+ws://h/9?plugin=audiobridge", 485,
		   "error P janus 485: nope;");
	join_error("janus+ws://h/9?plugin=audiobridge", 487,
		   "error P janus 487: nope;");
	join_error("janus+ws://h/1", 499, "error T janus 499: nope;");
}

VTEST(sig_janus_lost_and_timeout_are_transient)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h/1");

	VT_TRUE(j != NULL);
	VT_EQ(0, vp_sig_janus_start(j));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":1}}",
		      sent_field(c, 0, "transaction")));
	VT_TRUE(vp_sig_janus_has_session(j));
	VT_EQ(0, vp_sig_janus_keepalive(j));
	VT_STR_EQ("keepalive", sent_field(c, c->nsent - 1, "janus"));
	VT_EQ(0, feed(j, "{\"janus\":\"timeout\",\"session_id\":1}"));
	VT_STR_EQ("error T signaling lost (session timeout);", c->ev);
	vp_sig_janus_lost(j, "x"); /* nothing more after the first */
	VT_STR_EQ("error T signaling lost (session timeout);", c->ev);
	vp_mem_deref(j);
	cap_clear(c);

	j = janus_new(c, "janus+ws://h/1");
	VT_EQ(0, vp_sig_janus_start(j));
	vp_sig_janus_lost(j, "connection lost");
	VT_STR_EQ("error T signaling lost (connection lost);", c->ev);
	vp_mem_deref(j);
	cap_clear(c);
}

VTEST(sig_janus_audiobridge)
{
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j =
		janus_new(c, "janus+ws://h/2468?plugin=audiobridge");

	VT_TRUE(j != NULL);
	VT_EQ(0, vp_sig_janus_start(j));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":1}}",
		      sent_field(c, 0, "transaction")));
	VT_STR_EQ("janus.plugin.audiobridge", sent_field(c, 1, "plugin"));
	VT_EQ(0, feed(j,
		      "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{"
		      "\"id\":2}}",
		      sent_field(c, 1, "transaction")));
	VT_STR_EQ("join", sent_field(c, 2, "body.request"));
	VT_STR_EQ("true", sent_field(c, 2, "body.muted"));
	VT_STR_EQ("true", sent_field(c, 2, "body.generate_offer"));
	/* docs/janus.md §5.4: the stray "0 " fmtp token is the SDP parser's
	 * business; here the offer must reach the bot with the mix stream */
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":2,\"transaction\":\"%s\","
		   "\"plugindata\":{\"data\":{\"audiobridge\":\"joined\","
		   "\"room\":2468,"
		   "\"id\":700,\"participants\":[{\"id\":8,\"display\":"
		   "\"carol\","
		   "\"setup\":false,\"muted\":false}]}},\"jsep\":{\"type\":"
		   "\"offer\","
		   "\"sdp\":\"v=0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF "
		   "111\\r\\na=mid:audio\\r\\n"
		   "a=fmtp:111 0 maxplaybackrate=48000; stereo=0\\r\\n\"}}",
		   sent_field(c, 2, "transaction")));
	VT_STR_EQ("joined 2468 as 700;pj 8 carol;offer ab-1 audio=mix:1;",
		  c->ev);
	VT_EQ(0, vp_sig_janus_answer(j, "ab-1", "v=0\r\n"));
	VT_STR_EQ("configure", sent_field(c, 3, "body.request"));
	VT_STR_EQ("true", sent_field(c, 3, "body.muted"));
	VT_STR_EQ("answer", sent_field(c, 3, "jsep.type"));
	VT_STR_EQ("(missing)", sent_field(c, 3, "jsep.trickle"));
	c->ev[0] = '\0';
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":2,\"plugindata\":{\"data\":"
		   "{\"audiobridge\":\"joined\",\"room\":2468,\"participants\":"
		   "[{\"id\":9,\"display\":\"dan\"}]}}}"));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":2,\"plugindata\":{\"data\":"
		   "{\"audiobridge\":\"event\",\"participants\":[{\"id\":8,"
		   "\"setup\":true}]}}}"));
	VT_EQ(0,
	      feed(j,
		   "{\"janus\":\"event\",\"sender\":2,\"plugindata\":{\"data\":"
		   "{\"audiobridge\":\"event\",\"leaving\":8}}}"));
	VT_STR_EQ("pj 9 dan;pl 8;", c->ev);
	VT_EQ(0,
	      vp_sig_janus_trickle(j, "audio", 0,
				   "candidate:1 1 udp 1 127.0.0.2 5 typ host"));
	VT_STR_EQ("audio", sent_field(c, 4, "candidate.sdpMid"));
	VT_EQ(0, vp_sig_janus_trickle(j, NULL, 0, NULL));
	VT_STR_EQ("true", sent_field(c, 5, "candidate.completed"));
	vp_mem_deref(j);
	cap_clear(c);
}

VTEST(sig_janus_garbage)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{",
		"{\"janus\":5}",
		"\"janus\"",
		"{\"janus\":\"event\",\"plugindata\":7}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"videoroom\":"
		"\"joined\",\"id\":[1]}}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"videoroom\":"
		"\"event\",\"publishers\":[1,{\"id\":{}},{\"id\":-4}]}}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"videoroom\":"
		"\"attached\",\"streams\":[{\"mid\":5}]}},\"jsep\":{\"type\":"
		"\"offer\",\"sdp\":7}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"videoroom\":"
		"\"event\",\"unpublished\":{},\"leaving\":[],\"kicked\":true}}"
		"}",
		"{\"janus\":\"success\",\"transaction\":7}",
		"{\"janus\":\"error\",\"transaction\":\"vp1\",\"error\":5}",
	};
	struct cap cs, *c = &cs;
	struct vp_sig_janus *j = janus_new(c, "janus+ws://h/1");

	VT_TRUE(j != NULL);
	VT_EQ(EBADMSG, vp_sig_janus_handle_msg(j, "[]", 2));
	VT_EQ(EBADMSG, vp_sig_janus_handle_msg(j, "{\"x\":1}", 7));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		(void)vp_sig_janus_handle_msg(j, bad[i], strlen(bad[i]));
	VT_TRUE(strstr(c->ev, "pj") == NULL);
	VT_TRUE(strstr(c->ev, "offer") == NULL);
	vp_mem_deref(j);
	cap_clear(c);
}

/* --- ws buffers --- */

VTEST(sig_ws_send_queue_bound)
{
	struct vp_sig_txq q = {.max_count = 3, .max_bytes = 10, .pre = 16};

	VT_EQ(0, vp_sig_txq_push(&q, "abcd", 4));
	VT_EQ(0, vp_sig_txq_push(&q, "efgh", 4));
	VT_EQ(ENOBUFS, vp_sig_txq_push(&q, "ijk", 3)); /* 11 bytes > 10 */
	VT_EQ(0, vp_sig_txq_push(&q, "ij", 2));
	VT_EQ(ENOBUFS, vp_sig_txq_push(&q, "", 0)); /* 4 messages > 3 */
	VT_EQ(3, q.count);
	VT_EQ(10, q.bytes);
	VT_EQ(0, memcmp(vp_sig_txq_peek(&q)->buf + 16, "abcd", 4));
	vp_sig_txq_pop(&q);
	VT_EQ(0, memcmp(vp_sig_txq_peek(&q)->buf + 16, "efgh", 4));
	VT_EQ(0, vp_sig_txq_push(&q, "kl", 2));
	vp_sig_txq_flush(&q);
	VT_EQ(0, q.count);
	VT_EQ(0, q.bytes);
	VT_TRUE(vp_sig_txq_peek(&q) == NULL);
}

VTEST(sig_ws_message_cap)
{
	struct vp_sig_rx rx = {.max = 2048};
	char chunk[1000];
	bool done = false;

	memset(chunk, 'a', sizeof(chunk));
	VT_EQ(0, vp_sig_rx_add(&rx, "{\"a\":", 5, false, &done));
	VT_TRUE(!done);
	VT_EQ(0, vp_sig_rx_add(&rx, "1}", 2, true, &done));
	VT_TRUE(done);
	VT_STR_EQ("{\"a\":1}", rx.buf);
	vp_sig_rx_reset(&rx);
	/* 2 x 1000 fits, the third fragment breaks the 2048 cap */
	VT_EQ(0, vp_sig_rx_add(&rx, chunk, 1000, false, &done));
	VT_EQ(0, vp_sig_rx_add(&rx, chunk, 1000, false, &done));
	VT_EQ(EMSGSIZE, vp_sig_rx_add(&rx, chunk, 1000, true, &done));
	VT_EQ(0, rx.len);
	/* exactly at the cap is fine */
	VT_EQ(0, vp_sig_rx_add(&rx, chunk, 1000, false, &done));
	VT_EQ(0, vp_sig_rx_add(&rx, chunk, 1000, false, &done));
	VT_EQ(0, vp_sig_rx_add(&rx, chunk, 48, true, &done));
	VT_TRUE(done);
	VT_EQ(2048, rx.len);
	vp_sig_rx_free(&rx);
}

/* The sim dialect, walked by the oom suite: a participant's join either
 * reaches the bot whole or, if its message could not be read for want of
 * memory, as a roster error (the bot closes the gate); never lost. */
VTEST_OOM(sig_sim_join_oom_never_lost)
{
	static const char msg[] =
		"{\"type\":\"participant_joined\",\"participant\":{\"id\":"
		"\"p7\","
		"\"display\":\"Carol\",\"identity\":\"carol@example.com\","
		"\"consent\":true}}";
	struct cap cs, *c = &cs;
	struct vp_sig_sim *s = NULL;
	struct vp_invite inv;
	int e;

	VT_OOM_SKIP();
	memset(c, 0, sizeof(*c));
	VT_EQ(0, vp_invite_parse(&inv, "sim+ws://h:1/m", NULL, 0));
	VT_EQ(0, vp_sig_sim_alloc(&s, NULL, &inv, &sigt_handler, c));
	VT_OOM_WALK();
	e = vp_sig_sim_handle_msg(s, msg, sizeof(msg) - 1);
	VT_OOM_SKIP();
	if (e) {
		VT_EQ(ENOMEM, e);
		VT_STR_EQ("rerr - 12;", c->ev);
	} else {
		VT_STR_EQ("pj p7 Carol;", c->ev);
	}
	vp_mem_deref(s);
}
