/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_meeting_json.c  A rerun reloads meeting.json: the input is
 * the meeting.json an earlier run (or a crash, or anyone) left in the
 * meeting folder. Seeds: meeting.json files real runs wrote (replay,
 * rerun with previous_runs, a failed join) and damaged ones.
 *
 * Oracles (abort on violation): the folder opens; the run number is one
 * more than the runs the file proves (1 when it proves none); the new
 * meeting.json is one whole JSON object naming the meeting, whose
 * previous_runs (if any) is a list that ends with the earlier document.
 */
#include "src/bot/meeting.h"
#include "src/core/log.h"
#include "tests/fuzz/fuzz_tmp.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const char *top; /* the meeting folder's parent */

static void put(const char *path, const uint8_t *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ORACLE(fd >= 0);
	ORACLE(write(fd, d, n) == (ssize_t)n);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_meeting m;
	char path[256];
	json_t *old, *doc, *prev;
	size_t want;

	vp_log_set_level(VP_LOG_ERR);
	if (!top) {
		top = fuzz_tmp_dir("meeting");
		snprintf(path, sizeof(path), "%s/m", top);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/m/meeting.json", top);
	put(path, d, n);
	old = json_loadb((const char *)d, n, 0, NULL);
	/* what the file proves: its previous_runs (a list) plus itself */
	want = !old ? 1
		    : (json_is_array(json_object_get(old, "previous_runs"))
			       ? json_array_size(
					 json_object_get(old, "previous_runs"))
			       : 0) +
			       2;
	ORACLE(vp_meeting_open(&m, top, "m", NULL) == 0);
	ORACLE(m.run == want);
	vp_meeting_close(&m);
	doc = json_load_file(path, 0, NULL);
	ORACLE(json_is_object(doc));
	ORACLE(json_is_string(json_object_get(doc, "meeting")) &&
	       !strcmp(json_string_value(json_object_get(doc, "meeting")),
		       "m"));
	prev = json_object_get(doc, "previous_runs");
	ORACLE(!prev || json_is_array(prev));
	if (old)
		ORACLE(json_array_size(prev) == want - 1);
	json_decref(doc);
	json_decref(old);
	return 0;
}
