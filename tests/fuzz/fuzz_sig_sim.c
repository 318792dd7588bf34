/* SPDX-License-Identifier: MIT */
/** @file fuzz_sig_sim.c  sim dialect message handling on arbitrary input:
 * the input is split at newlines into a sequence of messages. */
#include "protocols/sig/dialect_sim.h"
#include "src/core/mem.h"

#include <stdint.h>
#include <string.h>

static void offer(const struct vp_sig_offer *o, void *arg)
{
	size_t *n = arg;

	for (size_t i = 0; i < o->nstreams; i++)
		*n += strlen(o->streams[i].mid) +
		      (o->streams[i].participant ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_sig_handler h = {.offer = offer};
	struct vp_invite inv = {0};
	struct vp_sig_sim *s = NULL;
	size_t acc = 0, start = 0;

	if (vp_sig_sim_alloc(&s, NULL, &inv, &h, &acc))
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
