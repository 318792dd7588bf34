/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_ics.c  ICS -> meetings -> facts -> verdict on arbitrary
 * bytes: libical parsing, recurrence expansion over a year, invite
 * detection, the facts JSON the gate parses, the policy. Oracles: every
 * refusal says why; every meeting lies in the window and is found once
 * by its id.
 *
 * libical keeps its temporary strings in a per-thread ring that outlives
 * the call (reachable, not leaked). Left there, every run ends with more
 * mallocs than frees, which makes libFuzzer re-run it under a full
 * LeakSanitizer scan (about 8 times the cost of the run) and, after 1000
 * such runs, turn leak detection off. Freeing the ring after each input
 * keeps the balance, so leaks are still looked for and runs stay cheap.
 *
 * The bounds are small (two months, 40 instances a series, 4000 steps and
 * 5000 zone offset changes a calendar): each step costs the same code as
 * in a year's window, and small ones let libFuzzer try a hundred times
 * more calendars. An ordinary zone from 1601 makes about 1,330 changes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "src/core/mem.h"
#include "src/gate/settings.h"
#include "src/sched/decide.h"
#include "src/sched/sched.h"

static const char settings[] =
	"{\"company_domains\":[\"example.com\"],\"record_internal\":true,"
	"\"record_external\":true,\"recorded_members\":\"all\","
	"\"consent\":{\"mode\":\"none\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_sched_parse_opt o = {.owner = "alice@example.com",
				       .assistant = "notetaker@example.com",
				       .from = 1790000000,
				       .to = 1790000000 + 62 * 86400,
				       .max_instances = 40,
				       .max_steps = 4000,
				       .max_zone_changes = 5000};
	struct vp_sched_list l = {0};
	struct vp_sched_parse_stats st;
	struct vp_settings *s = NULL;
	char err[256];

	if (n > (1 << 20))
		return 0;
	vp_settings_parse(&s, settings, strlen(settings), err, sizeof(err));
	if (vp_sched_ics_parse(&l, (const char *)d, n, &o, &st, err,
			       sizeof(err)) &&
	    !err[0])
		abort(); /* every refusal says why */
	for (size_t i = 0; i < l.n; i++) {
		struct vp_policy_decision dec;
		json_t *j;

		/* what the parse promises: each meeting in the window, once,
		 * found by its id */
		if (vp_sched_list_find(&l, l.v[i]->id) != l.v[i] ||
		    l.v[i]->end < l.v[i]->start || l.v[i]->start >= o.to ||
		    (l.v[i]->end <= o.from && l.v[i]->start < o.from))
			abort();
		vp_sched_decide(&dec, l.v[i], s);
		j = vp_sched_meeting_json(l.v[i], &dec);
		json_decref(j);
		j = vp_sched_facts_json(l.v[i]);
		json_decref(j);
	}
	vp_sched_list_clear(&l);
	vp_mem_deref(s);
	icalmemory_free_ring();
	return 0;
}
