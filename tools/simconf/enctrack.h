/* SPDX-License-Identifier: MIT */
/**
 * @file enctrack.h  Encode once, packetize many: the Opus frames of one
 * scenario participant, encoded once and shared by every meeting copy
 * (and every session) that sends them. Frame k's PCM is the same in every
 * copy (the time base is the bot's join), so the encoder is fed the
 * participant's speaking frames in order, once, and each sender only adds
 * its RTP header and SRTP. Frames are kept for the life of the track
 * (≈ 4.5 KB per second of speech). Net thread only.
 */
#ifndef VP_TOOLS_SIMCONF_ENCTRACK_H
#define VP_TOOLS_SIMCONF_ENCTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "tools/simconf/audio.h"
#include "tools/simconf/scenario.h"

struct vp_simconf_enctrack;

/**
 * The shared track of part (one per part pointer: a second call returns
 * the same track with one more reference). vp_mem_deref() when done.
 * @return 0, EINVAL, ENOMEM or EPROTO (libopus refused)
 */
int vp_simconf_enctrack_get(struct vp_simconf_enctrack **tp,
			    const struct vp_simconf_part *part,
			    struct vp_simconf_clip *const *clips);

/**
 * Opus payload of frame k (encoding every speaking frame up to k first).
 * @param b    out: the payload, valid until the next call
 * @return its length, 0 when frame k is silent or on error
 */
size_t vp_simconf_enctrack_frame(struct vp_simconf_enctrack *t, uint64_t k,
				 const uint8_t **b);

/** Fill pcm (960 samples) with frame k of part, silence included.
 * @return the speak index that frame starts in, or -1 for silence;
 *         src0/src1: that item's sample range in the frame */
int vp_simconf_frame_pcm(const struct vp_simconf_part *p,
			 struct vp_simconf_clip *const *clips, uint64_t k,
			 int16_t *pcm, size_t *src0, size_t *src1);

#endif
