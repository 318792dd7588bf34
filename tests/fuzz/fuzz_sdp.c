/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_sdp.c  libFuzzer target: parse an SDP, look for Opus, build
 * an answer and parse that answer again (it must always parse); an a=ssrc
 * shared by two m= lines is dropped from every one.
 */
#include "protocols/sdp/sdp.h"
#include "src/core/mem.h"

#include <stdlib.h>
#include <string.h>

#define FP                                                                     \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"                     \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* after vp_sdp_drop_shared_ssrc no a=ssrc id is on two m= lines */
static void check_shared(struct vp_sdp_session *o)
{
	(void)vp_sdp_drop_shared_ssrc(o);
	for (unsigned i = 0; i < o->nmedia; i++)
		for (unsigned j = 0; j < o->media[i].nssrc; j++)
			for (unsigned k = i + 1; k < o->nmedia; k++)
				for (unsigned l = 0; l < o->media[k].nssrc; l++)
					if (o->media[k].ssrc[l] ==
					    o->media[i].ssrc[j])
						abort();
	if (vp_sdp_drop_shared_ssrc(o) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const cand[] = {
		"candidate:1 1 udp 2130706431 127.0.0.2 4000 typ host"};
	const struct vp_sdp_answer_params p = {
		.ufrag = "fUzZ",
		.pwd = "0123456789abcdefghijkl",
		.fp_sha256 = FP,
		.cand = cand,
		.ncand = 1,
		.sess_id = 1,
		.sess_version = 1,
	};
	struct vp_sdp_session *o = NULL, *again = NULL;
	const struct vp_sdp_media *m = NULL;
	char why[128], *ans = NULL;
	int err;

	if (vp_sdp_parse_why(&o, (const char *)d, n, why, sizeof(why)))
		return 0;
	(void)vp_sdp_opus_find(&m, o);
	(void)vp_sdp_has_opus(o);
	if (vp_sdp_answer(&ans, o, &p) == 0) {
		/* our own answer must be valid SDP with the same m= lines */
		err = vp_sdp_parse_why(&again, ans, strlen(ans), why,
				       sizeof(why));
		if (err || again->nmedia != o->nmedia)
			abort();
	}
	vp_mem_deref(again);
	vp_mem_deref(ans);
	check_shared(o);
	vp_mem_deref(o);
	return 0;
}
