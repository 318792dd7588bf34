/* SPDX-License-Identifier: MIT */
/** @file fuzz_scenario.c  simconf's strict scenario parser on arbitrary
 * input: it must reject or accept without crashing or leaking, and an
 * accepted scenario must satisfy the limits the simulator relies on. */
#include "src/core/mem.h"
#include "tools/simconf/scenario.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct vp_simconf_scenario *s)
{
	char id[VP_SIMCONF_MAX_ID + 16];

	for (unsigned i = 0; i < s->nmeetings; i++) {
		const struct vp_simconf_mdef *m = &s->meetings[i];

		if (!m->id || m->nparts > VP_SIMCONF_MAX_PARTS)
			abort();
		vp_simconf_scenario_meeting_id(id, sizeof(id), m, 0);
		for (unsigned j = 0; j < m->nparts; j++) {
			const struct vp_simconf_part *p = &m->parts[j];

			if (!p->id || !p->display || strchr(p->id, '/') ||
			    p->nspeak > VP_SIMCONF_MAX_SPEAK)
				abort();
			for (unsigned k = 0; k < p->nspeak; k++)
				if (p->speak[k].kind == VP_SIMCONF_SRC_NONE)
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_simconf_scenario *s = NULL;
	char why[256];

	if (vp_simconf_scenario_parse(&s, (const char *)d, n, why,
				      sizeof(why)) == 0)
		check(s);
	vp_mem_deref(s);
	return 0;
}
