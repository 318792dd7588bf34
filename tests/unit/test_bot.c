/* SPDX-License-Identifier: MIT */
/** @file test_bot.c  Capture header walk, meeting folder ids and reruns. */
#include "src/bot/capture.h"
#include "src/bot/job.h"
#include "src/bot/meeting.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
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

/* The join timeouts are the operator's (job keys); a bad one names itself */
VTEST(bot_job_join_timeouts)
{
	static const char ok[] = "{\"invite\": \"sim+ws://h:1/m\", \"out\": "
				 "\"/o\", \"join_timeout_s\": 45, "
				 "\"lobby_timeout_s\": 600}";
	static const char low[] = "{\"invite\": \"sim+ws://h:1/m\", \"out\": "
				  "\"/o\", \"join_timeout_s\": 0}";
	struct vp_job j;
	char err[256];

	VT_EQ(0, vp_job_parse(&j, ok, sizeof(ok) - 1, err, sizeof(err)));
	VT_NEAR(45, j.cfg.join_timeout_s, 0);
	VT_NEAR(600, j.cfg.lobby_timeout_s, 0);
	vp_job_free(&j);
	VT_EQ(EBADMSG, vp_job_parse(&j, low, sizeof(low) - 1, err, sizeof(err)));
	VT_TRUE(strstr(err, "join_timeout_s") != NULL);
}
