/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_stun.c  Fuzz the STUN side of the polled socket reader
 * (protocols/ice/ice_stun.c): any datagram is answered, counted or
 * dropped; a success answer only for a binding request that authenticated
 * with our password, an error answer (400, 401, 420) only for a request
 * that did not; every answer whole STUN for the request's transaction,
 * never longer than its buffer; nothing read past the input.
 * Seeds: tests/fuzz/corpus/stun (tests/fuzz/gen_corpus_stun.py).
 */
#include "protocols/ice/ice_stun.h"

#include <netinet/in.h>
#include <stun/stunmessage.h>
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
	if (outn > sizeof(out) ||
	    (outn > 0) != (s.stats.answered + s.stats.rejected == 1))
		abort();
	if (outn && (n < 20 || (copy[0] & 0xC0) || copy[1] != 0x01))
		abort(); /* answered something that is not a binding request */
	if (outn && (stun_message_validate_buffer_length(out, outn, true) !=
			     (int)outn ||
		     memcmp(out + 4, copy + 4, 16)))
		abort(); /* an answer is whole STUN, for the request's
			  * transaction (cookie and id) */
	if (s.stats.rejected &&
	    stun_message_get_class(&(StunMessage){
		    .buffer = out, .buffer_len = outn}) != STUN_ERROR)
		abort(); /* a request that failed is never answered "ok" */
	before = s.stats.sent;
	if (vp_ice_stun_tick(&s, 10ULL * 1000000000ULL, out, &outn) ||
	    outn == 0 || s.stats.sent != before + 1)
		abort(); /* a request is due 4-6 s after init */
	free(copy);
	return 0;
}
