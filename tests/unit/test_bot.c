/* SPDX-License-Identifier: MIT */
/** @file test_bot.c  Capture header walk, meeting folder ids and reruns. */
#include "src/bot/bot_priv.h"
#include "src/bot/capture.h"
#include "src/bot/meeting.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <sys/stat.h>

static const uint8_t ipv4_udp[] = {
	0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2,
	0x13, 0x88, 0x17, 0x70, 0, 12, 0, 0, 0x80, 0x6f, 0x00, 0x01};

VTEST(bot_capture_raw_ipv4_udp)
{
	struct vp_capture_dgram d;

	VT_EQ(0, vp_capture_udp(DLT_RAW, ipv4_udp, sizeof(ipv4_udp), &d));
	VT_EQ(5000, d.sport);
	VT_EQ(6000, d.dport);
	VT_EQ(4, d.len);
	VT_EQ(0x80, d.payload[0]);
}

VTEST(bot_capture_rejects_lies)
{
	uint8_t b[sizeof(ipv4_udp)];
	struct vp_capture_dgram d;

	memcpy(b, ipv4_udp, sizeof(b));
	b[25] = 200; /* UDP length past the end */
	VT_EQ(EBADMSG, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[3] = 250; /* IP total length past the end */
	VT_EQ(EBADMSG, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[9] = 6; /* TCP */
	VT_EQ(ENOENT, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	memcpy(b, ipv4_udp, sizeof(b));
	b[6] = 0x20; /* more fragments */
	VT_EQ(EAGAIN, vp_capture_udp(DLT_RAW, b, sizeof(b), &d));
	VT_EQ(EBADMSG, vp_capture_udp(DLT_EN10MB, b, 10, &d));
	VT_EQ(ENOTSUP, vp_capture_udp(9999, b, sizeof(b), &d));
}

VTEST(bot_capture_open_errors)
{
	char err[256], path[512];
	struct vp_capture *cap = NULL;
	FILE *f;

	VT_EQ(ENOENT, vp_capture_open(&cap, "/nonexistent/x.pcap", err,
				      sizeof(err)));
	snprintf(path, sizeof(path), "%s/junk.pcap", vtest_tmpdir());
	f = fopen(path, "w");
	fputs("this is not a capture file\n", f);
	fclose(f);
	VT_EQ(EBADMSG, vp_capture_open(&cap, path, err, sizeof(err)));
	VT_TRUE(strstr(err, "not a pcap") != NULL);
}

VTEST(bot_meeting_id_check)
{
	VT_EQ(0, vp_meeting_id_check("talk-1_2.x"));
	VT_EQ(EINVAL, vp_meeting_id_check("../etc"));
	VT_EQ(EINVAL, vp_meeting_id_check(".hidden"));
	VT_EQ(EINVAL, vp_meeting_id_check("a/b"));
	VT_EQ(EINVAL, vp_meeting_id_check(""));
}

VTEST(bot_meeting_rerun_continues_streams)
{
	struct vp_meeting m;
	char id[16], p[4200];

	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(1, m.run);
	vp_meeting_stream_id(&m, id, sizeof(id));
	VT_STR_EQ("s1", id);
	snprintf(p, sizeof(p), "%s/streams", m.dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/streams/s1", m.dir);
	mkdir(p, 0755);
	vp_meeting_close(&m);
	VT_EQ(0, vp_meeting_open(&m, vtest_tmpdir(), "m1", NULL));
	VT_EQ(2, m.run);
	vp_meeting_stream_id(&m, id, sizeof(id));
	VT_STR_EQ("s2", id);
	VT_EQ(1, json_array_size(json_object_get(m.doc, "previous_runs")));
	vp_meeting_close(&m);
}

/* A packet of SSRC 0x11223344, PT pt, with the sdes:mid extension (id 3)
 * saying "a" when with_mid. */
static void mk_rtp(struct vp_rtp_pkt *p, uint8_t *b, uint8_t pt,
		   bool with_mid)
{
	static const uint8_t hdr[] = {0x90, 0, 0, 1, 0, 0, 0, 0,
				      0x11, 0x22, 0x33, 0x44,
				      0xBE, 0xDE, 0, 1, 0x30, 'a', 0, 0,
				      0xF8, 0xFF, 0xFE};

	memcpy(b, hdr, sizeof(hdr));
	b[1] = pt;
	if (!with_mid)
		b[17] = 'z';
	VT_EQ(0, vp_rtp_parse(p, b, sizeof(hdr)));
}

/* issue 10 items 4 and 12: only the m-line's Opus PT is audio; an SSRC
 * found through the MID extension is learned, so RTCP finds it too */
VTEST(bot_route_rtp_pt_and_mid_learning)
{
	struct bot *b = calloc(1, sizeof(*b));
	struct vp_rtp_pkt p;
	uint8_t buf[64];

	VT_TRUE(b != NULL);
	b->nmids = 1;
	b->ext_mid = 3;
	snprintf(b->mids[0].mid, sizeof(b->mids[0].mid), "a");
	snprintf(b->mids[0].participant, sizeof(b->mids[0].participant),
		 "p1");
	b->mids[0].active = true;
	b->mids[0].pt = 111;

	mk_rtp(&p, buf, 96, true); /* e.g. VP8 on the same m-line */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(1, b->rtp_not_opus);
	VT_TRUE(vp_bot__mid_by_ssrc(b, 0x11223344) == NULL); /* not learned */

	mk_rtp(&p, buf, 111, false); /* unknown mid, unknown SSRC */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(1, b->rtp_unknown);

	mk_rtp(&p, buf, 111, true);
	VT_TRUE(vp_bot__route_rtp(b, &p) == &b->mids[0]);
	VT_TRUE(vp_bot__mid_by_ssrc(b, 0x11223344) == &b->mids[0]);
	mk_rtp(&p, buf, 111, false); /* now known by its SSRC alone */
	VT_TRUE(vp_bot__route_rtp(b, &p) == &b->mids[0]);
	mk_rtp(&p, buf, 0, false); /* ... but still only with the Opus PT */
	VT_TRUE(vp_bot__route_rtp(b, &p) == NULL);
	VT_EQ(2, b->rtp_not_opus);
	VT_EQ(1, b->mids[0].nssrc);
	free(b);
}
