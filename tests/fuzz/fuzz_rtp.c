/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_rtp.c  Fuzz vp_rtp_parse, every extension id through
 * vp_rtp_ext_find, the RFC 6464 audio level, and a write/parse round trip
 * of the parsed header. Seeds: tests/fuzz/corpus/rtp (gen_corpus_rtp.py).
 */
#include "protocols/rtp/rtp.h"

#include <stdlib.h>
#include <string.h>

static volatile uint8_t sink;

/* the round trip must give back the same header fields */
static void roundtrip(const struct vp_rtp_pkt *p)
{
	uint8_t buf[12 + 60 + 4 + 4 * 0xffff + 1];
	struct vp_rtp_pkt q;
	size_t n = vp_rtp_write_hdr(buf, sizeof(buf), p);

	if (n == 0)
		abort();	  /* every parsed header must be writable */
	buf[0] &= (uint8_t)~0x20; /* no padding: the payload is not copied */
	if (vp_rtp_parse(&q, buf, n) != 0)
		abort();
	if (q.seq != p->seq || q.ts != p->ts || q.ssrc != p->ssrc ||
	    q.pt != p->pt || q.cc != p->cc || q.marker != p->marker ||
	    q.ext != p->ext || q.ext_len != p->ext_len ||
	    memcmp(q.csrc, p->csrc, sizeof(q.csrc)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_rtp_pkt p;
	const uint8_t *e;
	size_t elen;
	bool voice;
	uint8_t level;

	if (vp_rtp_parse(&p, d, n) != 0)
		return 0;
	if (p.payload_len)
		sink ^= p.payload[0] ^ p.payload[p.payload_len - 1];
	for (unsigned id = 1; id < 256; id++) {
		if (vp_rtp_ext_find(&p, (uint8_t)id, &e, &elen) == 0 && elen)
			sink ^= e[0] ^ e[elen - 1];
	}
	if (vp_rtp_audio_level(&p, 1, &voice, &level) == 0 && level > 127)
		abort();
	roundtrip(&p);
	return 0;
}
