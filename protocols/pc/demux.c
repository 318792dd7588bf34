/* SPDX-License-Identifier: MIT */
/** @file demux.c  RFC 7983 §7 first-byte demultiplexing (pure). */
#include "protocols/pc/demux.h"

/* RFC 7983 §7: the first byte routes the datagram; RFC 5761 §4: with
 * rtcp-mux, RTCP packet types 192..223 tell RTCP from RTP */
enum vp_pc_demux vp_pc_demux_classify(const uint8_t *b, size_t len)
{
	if (!b || len < 2)
		return VP_PC_DEMUX_DROP;
	if (b[0] >= 20 && b[0] <= 63)
		return VP_PC_DEMUX_DTLS;
	if (b[0] >= 128 && b[0] <= 191)
		return (b[1] >= 192 && b[1] <= 223) ? VP_PC_DEMUX_SRTCP
						    : VP_PC_DEMUX_SRTP;
	return VP_PC_DEMUX_DROP; /* STUN 0..3, ZRTP 16..19, TURN 64..79 */
}
