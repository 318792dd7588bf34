/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_sig_janus.c  Drives the Janus machine with a sequence of
 * messages, one per line. Transactions are deterministic ("vp1" = create,
 * "vp2" = attach A, "vp3" = attach B, "vp4" = join A, ...) so corpus files
 * can reach the deep states. Requests the machine sends are dropped.
 */
#include <stdint.h>
#include <string.h>

#include "protocols/sig/janus.h"
#include "src/core/mem.h"

static void sink(const char *json, size_t len, void *arg)
{
	(void)json;
	(void)len;
	(void)arg;
}

static void on_offer(const struct vp_sig_offer *o, void *arg)
{
	struct vp_sig_janus *j = *(struct vp_sig_janus **)arg;

	/* answer like the bot would, to reach the post-answer states */
	for (size_t i = 0; i < o->nstreams; i++) {
		if (!o->streams[i].mid || !o->streams[i].participant)
			__builtin_trap();
	}
	(void)vp_sig_janus_answer(j, o->offer_id, "v=0\r\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct vp_sig_handler h = {.offer = on_offer};
	const char *urls[] = {"janus+ws://h/1234?pin=1",
			      "janus+ws://h/2468?plugin=audiobridge"};
	struct vp_sig_janus *j = NULL;
	struct vp_invite inv;
	const char *p = (const char *)d, *end = p + n;

	if (vp_invite_parse(&inv, urls[n && (d[0] & 1)], NULL, 0))
		return 0;
	if (vp_sig_janus_alloc(&j, &inv, "fuzz", &h, &j, sink, NULL))
		return 0;
	(void)vp_sig_janus_start(j);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		(void)vp_sig_janus_handle_msg(j, p, len);
		p += len + 1;
	}
	(void)vp_sig_janus_keepalive(j);
	(void)vp_sig_janus_trickle(j, "0", 0, NULL);
	(void)vp_sig_janus_leave(j);
	vp_sig_janus_lost(j, "fuzz");
	vp_mem_deref(j);
	return 0;
}
