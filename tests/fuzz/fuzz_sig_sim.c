/* SPDX-License-Identifier: MIT */
/** @file fuzz_sig_sim.c  sim dialect message handling on arbitrary input:
 * the input is split at newlines into a sequence of messages; the events
 * they raise keep the dialect's promises (fuzz_sig_oracle.h). */
#include "protocols/sig/dialect_sim.h"
#include "src/core/mem.h"
#include "tests/fuzz/fuzz_sig_oracle.h"

#include <stdint.h>
#include <string.h>

static void offer(const struct vp_sig_offer *o, void *arg)
{
	fuzz_sig_check_offer(o, arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct vp_sig_handler h = FUZZ_SIG_HANDLER(offer);
	struct fuzz_sig f = {0};
	struct vp_invite inv = {0};
	struct vp_sig_sim *s = NULL;
	size_t start = 0;

	if (vp_sig_sim_alloc(&s, NULL, &inv, &h, &f))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || d[i] == '\n') {
			vp_sig_sim_handle_msg(s, (const char *)d + start,
					      i - start);
			start = i + 1;
		}
	}
	vp_mem_deref(s);
	return 0;
}
