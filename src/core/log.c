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

/* One line a message, whatever it holds: what a server or a participant
 * named (ids, reasons, display names) may carry a line break or a terminal
 * escape, and must not forge a line of the audit trail (a gate decision)
 * or repaint the terminal. Control bytes are written as \n, \r, \t or
 * \xNN; DST holds 4 bytes for each of SRC's. */
static void escape(char *dst, const char *src)
{
	static const char hex[] = "0123456789abcdef";

	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;

		if (c >= 0x20 && c != 0x7f) {
			*dst++ = (char)c;
			continue;
		}
		*dst++ = '\\';
		if (c == '\n' || c == '\r' || c == '\t') {
			*dst++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			continue;
		}
		*dst++ = 'x';
		*dst++ = hex[c >> 4];
		*dst++ = hex[c & 15];
	}
	*dst = '\0';
}

void vp_log_write(enum vp_log_level lvl, const char *module, const char *fmt,
		  ...)
{
	static const char lch[] = "EWIDT";
	char ts[32], msg[1024], line[sizeof(msg) * 4];
	va_list ap;

	if (lvl > level && lvl != VP_LOG_TRACE)
		return;
	vp_clock_rfc3339(ts, sizeof(ts), vp_clock_utc_ns());
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	escape(line, msg);
	fprintf(out ? out : stderr, "%s %c %s bot=%s %s\n", ts, lch[lvl],
		module, bot_id, line);
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
