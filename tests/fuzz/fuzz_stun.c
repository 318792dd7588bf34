/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_stun.c  Fuzz the STUN side of the polled socket reader
 * (protocols/ice/ice_stun.c): any datagram is answered, counted or
 * dropped; an answer only for a binding request that authenticated with
 * our password, never longer than its buffer; nothing read past the input.
 * Seeds: tests/fuzz/corpus/stun (tests/fuzz/gen_corpus_stun.py).
 */
#include "protocols/ice/ice_stun.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct vp_ice_stun s;
	struct sockaddr_storage from = {0};
	struct sockaddr_in *a = (void *)&from;
	uint8_t out[VP_ICE_STUN_MAX_MSG], *copy = malloc(n ? n : 1);
	size_t outn = 12345;
	uint64_t before;

	if (!copy)
		return 0;
	memcpy(copy, d, n); /* the exact size: a read past it is caught */
	/* the credentials of the seeds (gen_corpus_stun.py) */
	if (vp_ice_stun_init(&s, false, "lufr", "local-password-22chars",
			     "rufr", "remote-password-22char", 7, 1000))
		abort();
	a->sin_family = AF_INET;
	a->sin_port = htons(40000);
	a->sin_addr.s_addr = htonl(0x7f000002);
	vp_ice_stun_recv(&s, copy, n, &from, sizeof(*a), 2000, out, &outn);
	if (outn > sizeof(out) || (outn && s.stats.answered != 1) ||
	    (!outn && s.stats.answered))
		abort();
	if (outn && (n < 20 || (copy[0] & 0xC0) || copy[1] != 0x01))
		abort(); /* answered something that is not a binding request */
	before = s.stats.sent;
	if (vp_ice_stun_tick(&s, 10ULL * 1000000000ULL, out, &outn) ||
	    outn == 0 || s.stats.sent != before + 1)
		abort(); /* a request is due 4-6 s after init */
	free(copy);
	return 0;
}
