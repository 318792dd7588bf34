/* SPDX-License-Identifier: MIT */
/** @file log.c  One line per call, written whole (stdio locks the stream). */
#include "src/core/log.h"

#include "src/core/clock.h"

#include <stdarg.h>
#include <string.h>

static enum vp_log_level level = VP_LOG_INFO;
static FILE *out;
static char trace_cats[256];
static char bot_id[64] = "-";

void vp_log_set_level(enum vp_log_level lvl)
{
	level = lvl;
}

void vp_log_set_stream(FILE *f)
{
	out = f;
}

void vp_log_set_bot(const char *id)
{
	snprintf(bot_id, sizeof(bot_id), "%s", id && *id ? id : "-");
}

void vp_log_trace_enable(const char *csv)
{
	snprintf(trace_cats, sizeof(trace_cats), ",%s,", csv ? csv : "");
}

bool vp_log_trace_on(const char *cat)
{
	char key[64];

	if (!trace_cats[0] || level < VP_LOG_TRACE)
		return false;
	if (strstr(trace_cats, ",all,"))
		return true;
	snprintf(key, sizeof(key), ",%s,", cat);
	return strstr(trace_cats, key) != NULL;
}

void vp_log_write(enum vp_log_level lvl, const char *module, const char *fmt,
		  ...)
{
	static const char lch[] = "EWIDT";
	char ts[32], msg[1024];
	va_list ap;

	if (lvl > level && lvl != VP_LOG_TRACE)
		return;
	vp_clock_rfc3339(ts, sizeof(ts), vp_clock_utc_ns());
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(out ? out : stderr, "%s %c %s bot=%s %s\n", ts, lch[lvl],
		module, bot_id, msg);
}

bool vp_log_rl_pass(struct vp_log_rl *rl, uint64_t period_ns)
{
	uint64_t now = vp_clock_mono_ns();

	if (now < rl->next_ns) {
		rl->suppressed++;
		return false;
	}
	rl->next_ns = now + period_ns;
	rl->suppressed = 0;
	return true;
}
