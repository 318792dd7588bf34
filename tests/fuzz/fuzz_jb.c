/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_jb.c  The jitter buffer driven by a script of puts and polls
 * (reorder, loss, duplicates, timestamp jumps, restarts, clock steps).
 * Input: 2 config bytes (capacity 2..256, hold 10..500 ms, start hold),
 * then 8-byte ops: put (seq/ts/arrival steps, duration, a payload that
 * names its packet) or poll (clock step).
 *
 * Oracles (abort on violation):
 *  - items come out strictly in extended-sequence order, one apart unless
 *    the later one starts a new sequence (resync), whose timestamp does
 *    not go back; the low 16/32 bits of a PACKET's seq/ts are its wire values;
 *  - a PACKET's payload and arrival are those of the put that gave it;
 *  - after the final flush every accepted put came out exactly once:
 *    received == released + duplicates + late, released == PACKET items,
 *    lost == LOST items, dtx_gaps == items with a DTX gap.
 */
#include "media/jb/jb.h"
#include "src/core/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

struct run {
	bool any;
	uint64_t last_seq, last_ts;
	uint64_t packets, lost, dtx;
	uint64_t accepted;
};

static void on_item(const struct vp_jb_item *it, void *arg)
{
	struct run *r = arg;

	if (r->any) {
		ORACLE(it->seq > r->last_seq);
		ORACLE(it->resync || it->seq == r->last_seq + 1);
		/* a restart moves seq and ts forward by whole cycles; only
		 * differences carry meaning (a sender stepping back may take
		 * the extended ts below zero): compare them signed */
		if (it->resync)
			ORACLE((int64_t)(it->ts - r->last_ts) >= 0);
	}
	r->any = true;
	r->last_seq = it->seq;
	r->last_ts = it->ts;
	if (it->kind == VP_JB_LOST) {
		ORACLE(!it->payload && it->arrival_ns == 0);
		r->lost++;
		return;
	}
	ORACLE(it->kind == VP_JB_PACKET);
	/* the payload names its packet: seq (2 bytes), ts low byte, arrival
	 * low byte */
	ORACLE(it->len == 4 && it->payload);
	ORACLE(it->payload[0] == (uint8_t)it->seq &&
	       it->payload[1] == (uint8_t)(it->seq >> 8));
	ORACLE(it->payload[2] == (uint8_t)it->ts);
	ORACLE(it->payload[3] == (uint8_t)(it->arrival_ns / 1000000));
	r->packets++;
	if (it->dtx_gap)
		r->dtx++;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_jb_cfg cfg;
	struct vp_jb *jb = NULL;
	struct run r = {0};
	const struct vp_jb_stats *st;
	uint16_t seq = 1000;
	uint32_t ts = 123456;
	uint64_t now = 1000000000ULL;

	if (n < 2)
		return 0;
	cfg.capacity = 2u << (d[0] % 8);
	cfg.hold_ns = (uint64_t)(d[1] % 50 + 1) * 10000000ULL;
	cfg.start_hold = d[0] & 0x80;
	if (vp_jb_alloc(&jb, &cfg, on_item, &r))
		return 0;
	for (size_t i = 2; i + 8 <= n; i += 8) {
		const uint8_t *o = d + i;

		if ((o[0] & 3) == 3) {
			now += (uint64_t)o[1] * 10000000ULL;
			vp_jb_poll(jb, now);
			continue;
		}
		seq = (uint16_t)(seq + (int8_t)o[1]);
		ts += (uint32_t)((int32_t)(int16_t)(o[2] | o[3] << 8) * 120);
		now += (uint64_t)o[4] * 1000000ULL;
		if (o[0] & 4)
			ts += 0x40000000u; /* a jump */
		{
			uint8_t pl[4] = {(uint8_t)seq, (uint8_t)(seq >> 8),
					 (uint8_t)ts, (uint8_t)(now / 1000000)};
			struct vp_jb_in in = {.seq = seq,
					      .ts = ts,
					      .arrival_ns = now,
					      .duration = (o[5] % 6 + 1) * 480u,
					      .payload = pl,
					      .len = 4};
			int e = vp_jb_put(jb, &in);

			ORACLE(e == 0 || e == EALREADY || e == ETIMEDOUT ||
			       e == ENOMEM);
			r.accepted += e == 0;
		}
	}
	vp_jb_flush(jb);
	st = vp_jb_stats(jb);
	ORACLE(st->released == r.packets && st->released == r.accepted);
	ORACLE(st->received == st->released + st->duplicates + st->late);
	ORACLE(st->lost == r.lost);
	ORACLE(st->dtx_gaps == r.dtx);
	vp_mem_deref(jb);
	return 0;
}
