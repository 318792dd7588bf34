/* SPDX-License-Identifier: MIT */
/** @file sched_priv.h  Shared between src/sched's own files (libical). */
#ifndef VP_SCHED_PRIV_H
#define VP_SCHED_PRIV_H

#include <libical/ical.h>

#include "src/sched/sched.h"

/** Fill m's facts (not times, not id) from one VEVENT. @return 0/ENOMEM */
int vp_sched__event_fill(struct vp_sched_meeting *m, icalcomponent *ev,
			 const struct vp_sched_parse_opt *opt);

#endif
