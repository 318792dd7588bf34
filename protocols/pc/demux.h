/* SPDX-License-Identifier: MIT */
/** @file demux.h  RFC 7983 §7 first-byte demultiplexing (pure). */
#ifndef VP_PROTOCOLS_PC_DEMUX_H
#define VP_PROTOCOLS_PC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum vp_pc_demux {
	VP_PC_DEMUX_DROP = 0, /**< unknown or too short: the safe default */
	VP_PC_DEMUX_DTLS,     /**< 20..63 */
	VP_PC_DEMUX_SRTP,     /**< 128..191, second byte not an RTCP type */
	VP_PC_DEMUX_SRTCP,    /**< 128..191, second byte 192..223 */
};

/** Classify one datagram (STUN, 0..3, is consumed inside libnice). */
enum vp_pc_demux vp_pc_demux_classify(const uint8_t *b, size_t len);

#endif
