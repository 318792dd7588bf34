/* SPDX-License-Identifier: MIT */
/** @file log.h  Levelled, tagged logging; trace categories switched at run
 * time. */
#ifndef VP_CORE_LOG_H
#define VP_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum vp_log_level {
	VP_LOG_ERR = 0,
	VP_LOG_WARN,
	VP_LOG_INFO,
	VP_LOG_DEBUG,
	VP_LOG_TRACE,
};

/** Lines at or below this level are written (default VP_LOG_INFO). */
void vp_log_set_level(enum vp_log_level lvl);
/** Where lines go (default stderr). */
void vp_log_set_stream(FILE *f);
/** Enable trace categories from a comma list ("ice,dtls,jb" or "all"). */
void vp_log_trace_enable(const char *csv);
bool vp_log_trace_on(const char *cat);
/** A short id put on every line as bot=<id> (e.g. the meeting id). */
void vp_log_set_bot(const char *id);

/** Line format: `<UTC ts> <L> <module> bot=<id> msg`, one line whatever
 * msg holds: its control bytes are written as \n, \r, \t or \xNN. */
void vp_log_write(enum vp_log_level lvl, const char *module, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

#ifndef VP_LOG_MODULE
#define VP_LOG_MODULE "vpbot"
#endif

#define vp_log_err(...)	  vp_log_write(VP_LOG_ERR, VP_LOG_MODULE, __VA_ARGS__)
#define vp_log_warn(...)  vp_log_write(VP_LOG_WARN, VP_LOG_MODULE, __VA_ARGS__)
#define vp_log_info(...)  vp_log_write(VP_LOG_INFO, VP_LOG_MODULE, __VA_ARGS__)
#define vp_log_debug(...) vp_log_write(VP_LOG_DEBUG, VP_LOG_MODULE, __VA_ARGS__)
#define vp_log_trace(cat, ...)                                                 \
	do {                                                                   \
		if (vp_log_trace_on(cat))                                      \
			vp_log_write(VP_LOG_TRACE, VP_LOG_MODULE,              \
				     __VA_ARGS__);                             \
	} while (0)

/** Rate limit for a warning on a per-packet path. Zero-initialise. */
struct vp_log_rl {
	uint64_t next_ns;
	uint32_t suppressed;
};
/** @return true if a line may be written now (and arms the next period) */
bool vp_log_rl_pass(struct vp_log_rl *rl, uint64_t period_ns);
#define vp_log_warn_every(rl, period_ns, ...)                                  \
	do {                                                                   \
		if (vp_log_rl_pass((rl), (period_ns)))                         \
			vp_log_warn(__VA_ARGS__);                              \
	} while (0)

#endif
