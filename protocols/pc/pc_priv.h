/* SPDX-License-Identifier: MIT */
/** @file pc_priv.h  pc internals for the module's own files and its tests. */
#ifndef VP_PROTOCOLS_PC_PC_PRIV_H
#define VP_PROTOCOLS_PC_PC_PRIV_H

#include "protocols/ice/ice.h"
#include "protocols/pc/pc.h"
#include "protocols/srtp/srtp_ctx.h"

/** The ICE transport (borrowed): tests inject raw datagrams with it. */
struct vp_ice *vp_pc__ice(const struct vp_pc *pc);
/** The SRTP context, NULL before SECURE (borrowed). */
struct vp_srtp *vp_pc__srtp(const struct vp_pc *pc);

#endif
