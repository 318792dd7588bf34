/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_gate_settings.c  Settings + meeting facts parse, decide, and a
 * short live-gate run. Input: SETTINGS '\0' FACTS; without a NUL the whole
 * input is tried as both (so plain example files are useful seeds).
 */
#include <stdint.h>
#include <string.h>

#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/policy.h"
#include "src/gate/settings.h"

static void run_gate(const struct vp_settings *s,
		     const struct vp_meeting_facts *f,
		     const struct vp_policy_decision *d)
{
	struct vp_gate *g = NULL;
	json_t *j;

	if (vp_gate_alloc(&g, s, d))
		return;
	(void)vp_gate_participant_join(g, "p0", f ? f->organizer : NULL, 0);
	(void)vp_gate_start(g, 0);
	for (size_t i = 0; f && i < f->invitees.n && i < 8; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "p%zu", i + 1);
		(void)vp_gate_participant_join(g, pid, f->invitees.v[i], i);
		(void)vp_gate_consent(g, pid, i % 2 == 0, i);
	}
	(void)vp_gate_is_open(g);
	(void)vp_gate_consent(g, "p0", true, 100);
	(void)vp_gate_participant_leave(g, "p1", 200);
	j = vp_gate_json(g);
	json_decref(j);
	vp_mem_deref(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *txt = (const char *)d;
	const uint8_t *nul = memchr(d, 0, n);
	size_t sl = nul ? (size_t)(nul - d) : n;
	const char *ft = nul ? txt + sl + 1 : txt;
	size_t fl = nul ? n - sl - 1 : n;
	struct vp_settings *s = NULL;
	struct vp_meeting_facts *f = NULL;
	struct vp_policy_decision dec;
	char err[256];
	json_t *j;

	vp_log_set_level(VP_LOG_ERR);
	(void)vp_settings_parse(&s, txt, sl, err, sizeof(err));
	(void)vp_meeting_facts_parse(&f, ft, fl, err, sizeof(err));
	vp_policy_decide(&dec, s, f);
	j = vp_policy_decision_json(&dec);
	json_decref(j);
	run_gate(s, f, &dec);
	vp_mem_deref(s);
	vp_mem_deref(f);
	return 0;
}
