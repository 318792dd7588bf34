/* SPDX-License-Identifier: MIT */
/**
 * @file replay.h  `vpbot replay`: a pcap/pcapng of plain RTP over UDP in,
 * a meeting folder out, exactly as a live meeting would write it (one stream
 * per source, capture times as arrival times).
 *
 * Which SSRCs are Opus (without --pt): an SSRC is an Opus stream when
 *  - its payload type is dynamic (96..127), and
 *  - at least 90 % of its payloads have a valid Opus TOC (RFC 6716 §3.1:
 *    libopus reports a duration of 2.5..120 ms for them), and
 *  - where consecutive sequence numbers follow each other, the timestamp
 *    advances by the packet's Opus duration at 48 kHz (RFC 7587 §4.1) for at
 *    least 80 % of them (DTX jumps and restarts are the rest), and
 *  - it has at least 5 packets.
 * With --pt N, every SSRC whose payload type is N is taken as Opus.
 * One SSRC that follows another on the same UDP flow, without overlapping it
 * in time, is the same source restarting: it continues that stream.
 */
#ifndef VP_BOT_REPLAY_H
#define VP_BOT_REPLAY_H

#include <stdint.h>

struct vp_replay_cfg {
	const char *capture;
	const char *out;
	const char *meeting;  /* NULL: capture file name without extension */
	uint32_t rate;	      /* 8000/12000/16000/24000/48000 */
	unsigned channels;    /* 1 or 2 */
	double chunk_seconds; /* default 10 */
	int pt;		      /* -1: detect Opus streams by the rule above */
};

/** @return a process exit code (src/bot/exitcode.h) */
int vp_replay_run(const struct vp_replay_cfg *cfg);

/** SIGINT/SIGTERM: stop reading, finish the chunks in progress. */
void vp_replay_stop(void);

#endif
