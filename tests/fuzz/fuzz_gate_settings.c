/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_gate_settings.c  Settings + meeting facts parse, decide, and a
 * short live-gate run. Input: SETTINGS '\0' FACTS; without a NUL the whole
 * input is tried as both (so plain example files are useful seeds).
 *
 * Oracles (abort on violation): fail closed. Settings or facts that fail
 * to parse leave no object and the decision is DENY (settings_missing /
 * facts_missing); a decision other than RECORD never opens the gate, for
 * any participant, consent or leave; the decision's JSON says the verdict
 * it was made with, and a cause exactly when it is not RECORD.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/policy.h"
#include "src/gate/settings.h"

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* a gate made with a decision that is not RECORD is never open */
static void closed_unless_record(struct vp_gate *g,
				 const struct vp_policy_decision *d)
{
	if (d->verdict == VP_POLICY_RECORD)
		return;
	ORACLE(!vp_gate_is_open(g));
}

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
	closed_unless_record(g, d);
	for (size_t i = 0; f && i < f->invitees.n && i < 8; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "p%zu", i + 1);
		(void)vp_gate_participant_join(g, pid, f->invitees.v[i], i);
		closed_unless_record(g, d);
		(void)vp_gate_consent(g, pid, i % 2 == 0, i);
		closed_unless_record(g, d);
	}
	(void)vp_gate_is_open(g);
	(void)vp_gate_consent(g, "p0", true, 100);
	closed_unless_record(g, d);
	(void)vp_gate_participant_leave(g, "p1", 200);
	closed_unless_record(g, d);
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
	int es, ef;

	vp_log_set_level(VP_LOG_ERR);
	es = vp_settings_parse(&s, txt, sl, err, sizeof(err));
	ef = vp_meeting_facts_parse(&f, ft, fl, err, sizeof(err));
	ORACLE(es ? !s : s != NULL); /* an object only on success */
	ORACLE(ef ? !f : f != NULL);
	vp_policy_decide(&dec, s, f);
	/* fail closed: what did not parse is missing, and missing is DENY */
	if (!s)
		ORACLE(dec.verdict == VP_POLICY_DENY &&
		       vp_policy_has_reason(&dec, "settings_missing"));
	if (!f)
		ORACLE(dec.verdict == VP_POLICY_DENY &&
		       vp_policy_has_reason(&dec, "facts_missing"));
	j = vp_policy_decision_json(&dec);
	ORACLE(j != NULL);
	ORACLE(!strcmp(json_string_value(json_object_get(j, "verdict")),
		       vp_policy_verdict_str(dec.verdict)));
	ORACLE((json_object_get(j, "cause") != NULL) ==
	       (dec.verdict != VP_POLICY_RECORD));
	json_decref(j);
	run_gate(s, f, &dec);
	vp_mem_deref(s);
	vp_mem_deref(f);
	return 0;
}
