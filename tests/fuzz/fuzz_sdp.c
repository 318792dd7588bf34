/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_sdp.c  libFuzzer target: parse an SDP, look for Opus, build
 * an answer and parse that answer again (it must always parse).
 */
#include "protocols/sdp/sdp.h"
#include "src/core/mem.h"

#include <stdlib.h>
#include <string.h>

#define FP                                                                     \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"                     \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

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
	vp_mem_deref(o);
	return 0;
}
