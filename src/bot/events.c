/* SPDX-License-Identifier: MIT */
/** @file events.c  JSON-lines status events, one write() per line. */
#define VP_LOG_MODULE "events"
#include "src/bot/events.h"
#include "src/bot/webhook.h"

#include "src/core/clock.h"
#include "src/core/json.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vp_events {
	int fd;
	bool own;
	unsigned long seq;     /* "seq" of the last event, from 1 */
	struct vp_webhook *wh; /* optional: every event POSTed too */
};

static void events_destroy(void *data)
{
	struct vp_events *ev = data;

	if (ev->own && ev->fd >= 0)
		close(ev->fd);
	vp_mem_deref(ev->wh);
}

int vp_events_webhook(struct vp_events *ev, const struct vp_webhook_cfg *cfg,
		      char *why, size_t whysz)
{
	if (!ev || ev->wh)
		return EINVAL;
	return vp_webhook_start(&ev->wh, cfg, why, whysz);
}

json_t *vp_events_finish(struct vp_events *ev)
{
	return ev ? vp_webhook_finish(ev->wh) : NULL;
}

int vp_events_open(struct vp_events **evp, const char *spec)
{
	struct vp_events *ev;
	const char *num = NULL;
	char *end;

	if (!evp)
		return EINVAL;
	ev = vp_mem_zalloc(sizeof(*ev), events_destroy);
	if (!ev)
		return ENOMEM;
	ev->fd = -1;
	/* only "fd:N" names a descriptor: "2024-ev.jsonl" is a file name */
	if (spec && !strncmp(spec, "fd:", 3))
		num = spec + 3;
	if (num) {
		long fd = strtol(num, &end, 10);

		if (!*num || *end || fd < 0 || fd > 65535 ||
		    fcntl((int)fd, F_GETFD) < 0) {
			vp_mem_deref(ev);
			return EBADF;
		}
		ev->fd = (int)fd;
	} else if (spec) {
		ev->fd = open(spec, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);
		if (ev->fd < 0) {
			int err = errno;

			vp_mem_deref(ev);
			return err;
		}
		ev->own = true;
	}
	*evp = ev;
	return 0;
}

static _Thread_local unsigned long emit_mark;

void vp_events__mark(void)
{
	emit_mark = vp_mem_failures();
}

void vp_events__emit(struct vp_events *ev, const char *event, json_t *fields)
{
	char ts[32], *line;
	json_t *o = json_is_object(fields) ? fields : json_object();

	if (fields && o != fields)
		json_decref(fields);
	if (!ev || (ev->fd < 0 && !ev->wh)) {
		json_decref(o);
		return;
	}
	vp_clock_rfc3339(ts, sizeof(ts), vp_clock_utc_ns());
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "seq", json_integer((json_int_t)++ev->seq));
	line = vp_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (line && vp_mem_failures() != emit_mark) {
		free(line); /* made, but perhaps without a member */
		line = NULL;
	}
	if (!line) {
		vp_log_warn("events: %s (seq %lu) not written: no memory",
			    event, ev->seq);
		return;
	}
	size_t n = strlen(line);
	/* the webhook thread copies the body: nothing waits on the network */
	vp_webhook_post(ev->wh, ev->seq, line, n,
			!strcmp(event, "left") || !strcmp(event, "error"));
	line[n] = '\n'; /* json_dumps' NUL becomes the newline */
	if (ev->fd >= 0 && write(ev->fd, line, n + 1) != (ssize_t)(n + 1))
		vp_log_warn("events: write failed: %s", strerror(errno));
	free(line);
}
