/* SPDX-License-Identifier: MIT */
/**
 * @file sender.h  One participant's outgoing stream: the PCM of their speak
 * items placed on the meeting timeline, Opus-encoded in 20 ms frames
 * (RFC 7587), packetised as RTP (RFC 3550 §5.1), impaired (loss, duplicates,
 * reorder, jitter) and logged per run of packets with the same fate.
 * The caller owns time: frame k covers media samples [k*960, (k+1)*960)
 * after the bot joined. Runs on the net thread.
 */
#ifndef VP_TOOLS_SIMCONF_SENDER_H
#define VP_TOOLS_SIMCONF_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/simconf/audio.h"
#include "tools/simconf/log.h"
#include "tools/simconf/scenario.h"

#define VP_SIMCONF_FRAME 960 /**< 20 ms at 48 kHz */

/** Why a frame of speech did not go out; zero = it did. */
enum vp_simconf_fate {
	VP_SIMCONF_SENT = 0,
	VP_SIMCONF_NOT_CONNECTED, /**< media path not SECURE / not answered */
	VP_SIMCONF_HUNG,	  /**< the hang fault is active */
	VP_SIMCONF_LOST,	  /**< dropped by the loss impairment */
};

/** Puts one SRTP/SRTCP plaintext on the wire. @return 0 or an errno */
typedef int(vp_simconf_send_h)(const uint8_t *pkt, size_t len, bool rtcp,
			       void *arg);

struct vp_simconf_sender_cfg {
	const char *meeting;
	const struct vp_simconf_part *part;
	struct vp_simconf_clip *const *clips; /**< one per speak item */
	struct vp_simconf_log *log;
	const char *dump_path; /**< NULL: no dump */
	bool audio_level;      /**< RFC 6464 level in every packet */
};

/** The extmap id simconf offers for ssrc-audio-level (RFC 6464). */
#define VP_SIMCONF_EXT_LEVEL 1

struct vp_simconf_sender;

/** @return 0, EINVAL, ENOMEM, EPROTO (libopus refused) */
int vp_simconf_sender_alloc(struct vp_simconf_sender **sp,
			    const struct vp_simconf_sender_cfg *cfg,
			    vp_simconf_send_h *sendh, void *arg);

uint32_t vp_simconf_sender_ssrc(const struct vp_simconf_sender *s);

/** @return true if frame k holds any speak-item sample while present */
bool vp_simconf_sender_speaks(const struct vp_simconf_sender *s, uint64_t k);

/**
 * Produce frame k: append it to the dump; if it holds speech, encode it
 * and send it (or log why not).
 * @param why  VP_SIMCONF_SENT if the media path is up, else the reason
 */
void vp_simconf_sender_frame(struct vp_simconf_sender *s, uint64_t k,
			     enum vp_simconf_fate why, uint64_t now_ns);

/** Send delayed (jittered / reordered) packets that are due. */
void vp_simconf_sender_flush(struct vp_simconf_sender *s, uint64_t now_ns);

/** RTCP SR + SDES (RFC 3550 §6.4.1, §6.5) for media sample pos at utc,
 * if due: with the first RTP packets, then every period_ns.
 * @return true if one was sent */
bool vp_simconf_sender_sr(struct vp_simconf_sender *s, uint64_t now_ns,
			  uint64_t period_ns, uint64_t utc_ns,
			  uint64_t media_samples);

/** Log the open run and the totals; close the dump. Idempotent. */
void vp_simconf_sender_finish(struct vp_simconf_sender *s);

#endif
