/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_job.c  The job file parser on arbitrary bytes (dictionary:
 * tests/fuzz/job.dict). Checks, besides "no crash": an accepted job has
 * an invite and an output folder, a meeting_id that is one folder name, a
 * display name by the invite's rule and a rate/channels pair we support.
 */
#include "protocols/sig/invite.h"
#include "src/bot/job.h"
#include "src/bot/meeting.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct vp_bot_cfg *c)
{
	if (!c->invite || !c->invite[0] || !c->out || !c->out[0])
		abort();
	if (c->meeting && (vp_meeting_id_check(c->meeting) ||
			   strchr(c->meeting, '/') || c->meeting[0] == '.'))
		abort();
	if (c->name && (vp_invite_name_check(c->name) || strchr(c->name, '\n')))
		abort();
	if (c->channels != 1 && c->channels != 2)
		abort();
	if (c->rate != 8000 && c->rate != 12000 && c->rate != 16000 &&
	    c->rate != 24000 && c->rate != 48000)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_job j;
	char err[256];

	if (vp_job_parse(&j, (const char *)d, n, err, sizeof(err)) == 0) {
		check(&j.cfg);
		vp_job_free(&j);
	} else if (strlen(err) >= sizeof(err)) {
		abort();
	}
	return 0;
}
