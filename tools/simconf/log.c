/* SPDX-License-Identifier: MIT */
/** @file log.c  The send log (JSON lines, flushed per line, so a test that
 * kills simconf still reads every line written before). */
#include "tools/simconf/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/core/clock.h"
#include "src/core/mem.h"

#define VP_LOG_MODULE "sendlog"
#include "src/core/log.h"

struct vp_simconf_log {
	FILE *f;
	struct vp_log_rl rl;
};

static void log_destroy(void *data)
{
	struct vp_simconf_log *l = data;

	if (l->f)
		fclose(l->f);
}

int vp_simconf_log_open(struct vp_simconf_log **lp, const char *path)
{
	struct vp_simconf_log *l;

	if (!lp || !path)
		return EINVAL;
	l = vp_mem_zalloc(sizeof(*l), log_destroy);
	if (!l)
		return ENOMEM;
	l->f = fopen(path, "w");
	if (!l->f) {
		vp_mem_deref(l);
		return ENOENT;
	}
	*lp = l;
	return 0;
}

void vp_simconf_log_event(struct vp_simconf_log *l, const char *meeting,
			  const char *participant, const char *event,
			  int64_t media_ns, json_t *extra)
{
	json_t *o = json_object();
	char *text;

	if (!l || !o) {
		json_decref(extra);
		json_decref(o);
		return;
	}
	json_object_set_new(o, "meeting", json_string(meeting));
	if (participant)
		json_object_set_new(o, "participant", json_string(participant));
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "utc_ns",
			    json_integer((json_int_t)vp_clock_utc_ns()));
	if (media_ns >= 0)
		json_object_set_new(o, "media_ns", json_integer(media_ns));
	if (extra)
		json_object_update(o, extra);
	json_decref(extra);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text || fprintf(l->f, "%s\n", text) < 0 || fflush(l->f))
		vp_log_warn_every(&l->rl, 10 * VP_SEC,
				  "cannot write the send log");
	free(text);
}
