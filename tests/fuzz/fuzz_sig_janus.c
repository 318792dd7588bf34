/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_sig_janus.c  Drives the Janus machine with a sequence of
 * messages, one per line. Transactions are deterministic ("vp1" = create,
 * "vp2" = attach A, "vp3" = attach B, "vp4" = join A, ...) so corpus files
 * can reach the deep states. The events keep the dialect's promises
 * (fuzz_sig_oracle.h), every offer's stream names its publisher, and every
 * request the machine sends is a Janus request (a JSON object with a verb
 * and a transaction); requests are then dropped.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "protocols/sig/janus.h"
#include "src/core/mem.h"
#include "tests/fuzz/fuzz_sig_oracle.h"

struct run {
	struct fuzz_sig f; /* first: the oracle's handlers take arg as it */
	struct vp_sig_janus *j;
	unsigned sent;
};

/* Every request the machine sends is a JSON object with a "janus" verb
 * and a transaction of its own, whatever the server sent before. */
static void sink(const char *json, size_t len, void *arg)
{
	struct run *r = arg;
	json_t *m = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(m) ||
	    !json_is_string(json_object_get(m, "janus")) ||
	    !json_is_string(json_object_get(m, "transaction")))
		__builtin_trap();
	json_decref(m);
	r->sent++;
}

static void on_offer(const struct vp_sig_offer *o, void *arg)
{
	struct run *r = arg;

	fuzz_sig_check_offer(o, arg);
	/* every Janus stream is a publisher's: the participant is known */
	for (size_t i = 0; i < o->nstreams; i++)
		if (!o->streams[i].participant)
			__builtin_trap();
	/* answer like the bot would, to reach the post-answer states */
	(void)vp_sig_janus_answer(r->j, o->offer_id, "v=0\r\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct vp_sig_handler h = FUZZ_SIG_HANDLER(on_offer);
	const char *urls[] = {"janus+ws://h/1234?pin=1",
			      "janus+ws://h/2468?plugin=audiobridge"};
	struct run r = {0};
	struct vp_invite inv;
	const char *p = (const char *)d, *end = p + n;

	if (vp_invite_parse(&inv, urls[n && (d[0] & 1)], NULL, 0))
		return 0;
	if (vp_sig_janus_alloc(&r.j, &inv, "fuzz", &h, &r, sink, &r))
		return 0;
	(void)vp_sig_janus_start(r.j);
	if (!r.sent)
		__builtin_trap(); /* start sends "create" */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		(void)vp_sig_janus_handle_msg(r.j, p, len);
		p += len + 1;
	}
	(void)vp_sig_janus_keepalive(r.j);
	(void)vp_sig_janus_trickle(r.j, "0", 0, NULL);
	(void)vp_sig_janus_leave(r.j);
	vp_sig_janus_lost(r.j, "fuzz");
	vp_mem_deref(r.j);
	return 0;
}
