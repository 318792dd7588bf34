/* SPDX-License-Identifier: MIT */
/** @file test_simconf.c  simconf's scenario parser and offer builder. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "protocols/sdp/sdp.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"
#include "tools/simconf/scenario.h"
#include "tools/simconf/sdp_offer.h"

static const char good[] =
	"{\"meetings\": [{\"id\": \"m1\", \"token\": \"t\", \"lobby\": 2,"
	" \"end_at\": 30, \"faults\": {\"hang_at\": 9,"
	" \"lying_fingerprint\": true},"
	" \"participants\": ["
	"  {\"id\": \"p1\", \"display\": \"Alice\","
	"   \"identity\": \"alice@example.com\", \"consent\": true,"
	"   \"revoke_at\": [5, 7.5], \"consent_at\": 6,"
	"   \"speak\": [{\"at\": 1, \"tone\": {\"freq\": 440, \"seconds\": 2}},"
	"             {\"at\": 4, \"file\": \"a.wav\"}],"
	"   \"impair\": {\"loss_pct\": 5, \"jitter_ms\": 20, \"seed\": 9}},"
	"  {\"id\": \"p2\", \"join_at\": 3, \"leave_at\": 8,"
	"   \"speak\": [{\"at\": 4, \"marker\": {\"seconds\": 3,"
	" \"amplitude\": 0.5}}]}]},"
	" {\"id\": \"load\", \"copies\": 3, \"clock\": \"media\","
	"  \"participants\": []}]}";

static int parse(const char *t, char *why, size_t whysz)
{
	struct vp_simconf_scenario *s = NULL;
	int err = vp_simconf_scenario_parse(&s, t, strlen(t), why, whysz);

	vp_mem_deref(s);
	return err;
}

VTEST(simconf_scenario_parses_every_field)
{
	struct vp_simconf_scenario *s = NULL;
	const struct vp_simconf_part *p1, *p2;
	char why[256], id[64];

	VT_EQ(0, vp_simconf_scenario_parse(&s, good, strlen(good), why,
					   sizeof(why)));
	VT_EQ(2, s->nmeetings);
	VT_STR_EQ("t", s->meetings[0].token);
	VT_NEAR(2, s->meetings[0].lobby_s, 1e-9);
	VT_NEAR(30, s->meetings[0].end_at, 1e-9);
	VT_NEAR(9, s->meetings[0].faults.hang_at, 1e-9);
	VT_NEAR(-1, s->meetings[0].faults.garbage_at, 1e-9);
	VT_TRUE(s->meetings[0].faults.lying_fingerprint);
	p1 = &s->meetings[0].parts[0];
	p2 = &s->meetings[0].parts[1];
	VT_STR_EQ("alice@example.com", p1->identity);
	VT_TRUE(p1->consent);
	VT_EQ(2, p1->nrevoke_at);
	VT_NEAR(7.5, p1->revoke_at[1], 1e-9);
	VT_EQ(1, p1->nconsent_at);
	VT_EQ(2, p1->nspeak);
	VT_EQ(VP_SIMCONF_SRC_TONE, p1->speak[0].kind);
	VT_NEAR(0.3, p1->speak[0].amplitude, 1e-9);
	VT_EQ(VP_SIMCONF_SRC_FILE, p1->speak[1].kind);
	VT_STR_EQ("a.wav", p1->speak[1].file);
	VT_NEAR(5, p1->impair.loss_pct, 1e-9);
	VT_EQ(20, p1->impair.jitter_ms);
	VT_EQ(9, p1->impair.seed);
	VT_STR_EQ("p2", p2->display); /* defaults to the id */
	VT_TRUE(p2->identity == NULL);
	VT_NEAR(8, p2->leave_at, 1e-9);
	VT_EQ(VP_SIMCONF_SRC_MARKER, p2->speak[0].kind);
	VT_NEAR(3, p2->speak[0].seconds, 1e-9);
	VT_NEAR(0.5, p2->speak[0].amplitude, 1e-9);
	VT_NEAR(-1, p1->leave_at, 1e-9);
	VT_EQ(3, vp_simconf_scenario_ncopies(&s->meetings[1]));
	VT_TRUE(!s->meetings[0].clock_media);
	VT_TRUE(s->meetings[1].clock_media);
	vp_simconf_scenario_meeting_id(id, sizeof(id), &s->meetings[1], 2);
	VT_STR_EQ("load-3", id);
	vp_simconf_scenario_meeting_id(id, sizeof(id), &s->meetings[0], 0);
	VT_STR_EQ("m1", id);
	vp_mem_deref(s);
}

VTEST(simconf_scenario_names_the_bad_field)
{
	static const struct {
		const char *json, *why;
	} cases[] = {
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\"}, {\"id\": \"b\", \"join_at\": -1}]}]}",
		 "meetings[0].participants[1].join_at must be a number >= 0 "
		 "and <= 86400"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [],"
		 " \"lobyy\": 1}]}",
		 "meetings[0] has an unknown field \"lobyy\""},
		{"{\"meetings\": [{\"id\": \"../x\", \"participants\": []}]}",
		 "meetings[0].id must be 1..48 of [A-Za-z0-9._-], not starting "
		 "with '.'"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\", \"speak\": [{\"at\": 1}]}]}]}",
		 "meetings[0].participants[0].speak[0] needs exactly one of "
		 "tone, marker, file, speech"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\", \"speak\": [{\"at\": 0, \"marker\": {\"freq\": 1,"
		 " \"seconds\": 2}}]}]}]}",
		 "meetings[0].participants[0].speak[0].marker has an unknown "
		 "field \"freq\""},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\"}, {\"id\": \"a\"}]}]}",
		 "meetings[0].participants[1].id \"a\" is used twice"},
		{"{\"meetings\": [{\"id\": \"m-1\", \"participants\": []},"
		 " {\"id\": \"m\", \"copies\": 2, \"participants\": []}]}",
		 "meetings name \"m-1\" twice"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\", \"join_at\": 5, \"leave_at\": 4}]}]}",
		 "meetings[0].participants[0].leave_at must be after join_at"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\", \"speak\": [{\"at\": 3, \"speech\": \"hi\"},"
		 " {\"at\": 2, \"speech\": \"ho\"}]}]}]}",
		 "meetings[0].participants[0].speak[1] starts before the item "
		 "before it"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [{\"id\":"
		 " \"a\", \"revoke_at\": \"soon\"}]}]}",
		 "meetings[0].participants[0].revoke_at must be a number or a "
		 "list of numbers"},
		{"{\"meetings\": [{\"id\": \"m\", \"participants\": [],"
		 " \"clock\": \"wall\"}]}",
		 "meetings[0].clock must be \"joined\" or \"media\""},
		{"{\"meetings\": []}",
		 "meetings must be a list of 1..1000 meetings"},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		VT_EQ(EBADMSG, parse(cases[i].json, why, sizeof(why)));
		VT_STR_EQ(cases[i].why, why);
	}
	VT_EQ(EBADMSG, parse("{\"meetings\": [", why, sizeof(why)));
	VT_TRUE(strstr(why, "is not valid JSON") != NULL);
	VT_EQ(EINVAL, vp_simconf_scenario_parse(NULL, "{}", 2, NULL, 0));
}

VTEST(simconf_scenario_load_sets_dir)
{
	struct vp_simconf_scenario *s = NULL;
	char path[512], why[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/s.json", vtest_tmpdir());
	f = fopen(path, "w");
	VT_TRUE(f != NULL);
	fputs(good, f);
	fclose(f);
	VT_EQ(0, vp_simconf_scenario_load(&s, path, why, sizeof(why)));
	VT_STR_EQ(vtest_tmpdir(), s->dir);
	vp_mem_deref(s);
	snprintf(path, sizeof(path), "%s/missing.json", vtest_tmpdir());
	VT_EQ(ENOENT, vp_simconf_scenario_load(&s, path, why, sizeof(why)));
}

static const char *const cands[] = {
	"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host"};

static int build(char **sdp, struct vp_simconf_offer_media *m, unsigned n)
{
	struct vp_simconf_offer_params p = {
		.sess_id = 42,
		.sess_version = 3,
		.ufrag = "abcd",
		.pwd = "0123456789abcdefghijklmn",
		.fp_sha256 = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
			     "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
		.cand = cands,
		.ncand = 1,
		.media = m,
		.nmedia = n,
	};

	return vp_simconf_offer_build(sdp, &p);
}

VTEST(simconf_offer_parses_with_the_bots_parser)
{
	struct vp_simconf_offer_media m[2] = {
		{"0", 1111, "alice", true},
		{"1", 2222, "bob", false},
	};
	struct vp_sdp_session *s = NULL;
	const struct vp_sdp_media *a;
	char *sdp = NULL;

	VT_EQ(0, build(&sdp, m, 2));
	VT_EQ(0, vp_sdp_parse(&s, sdp, strlen(sdp)));
	VT_EQ(2, s->nmedia);
	VT_EQ(2, s->nbundle);
	VT_STR_EQ("1", s->bundle[1]);
	VT_EQ(3, (long long)s->sess_version);
	a = &s->media[0];
	VT_STR_EQ("0", a->mid);
	VT_EQ(VP_SDP_SENDONLY, a->dir);
	VT_EQ(111, a->opus_pt);
	VT_EQ(2, a->opus_channels);
	VT_TRUE(a->opus_fec);
	VT_TRUE(a->rtcp_mux);
	VT_EQ(VP_SDP_SETUP_ACTPASS, a->setup);
	VT_STR_EQ("abcd", a->ufrag);
	VT_STR_EQ("sha-256", a->fp_alg);
	VT_EQ(1, a->ncand);
	VT_TRUE(a->end_of_candidates);
	VT_EQ(1, a->nssrc);
	VT_EQ(1111, a->ssrc[0]);
	VT_STR_EQ("alice", a->cname);
	VT_EQ(VP_SDP_INACTIVE, s->media[1].dir);
	VT_EQ(2222, s->media[1].ssrc[0]);
	vp_mem_deref(s);
	vp_mem_deref(sdp);
}

VTEST(simconf_offer_rejects_injection)
{
	struct vp_simconf_offer_media m = {"0", 1, "x\r\na=setup:active", true};
	struct vp_simconf_offer_media bad_mid = {"0 1", 1, "x", true};
	char *sdp = NULL;

	VT_EQ(EINVAL, build(&sdp, &m, 1));
	VT_EQ(EINVAL, build(&sdp, &bad_mid, 1));
	VT_EQ(EINVAL, build(&sdp, &m, 0));
	VT_TRUE(sdp == NULL);
}
