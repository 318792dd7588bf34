/* SPDX-License-Identifier: MIT */
/** @file clock.h  Monotonic and wall clocks in nanoseconds; RFC 3339 text. */
#ifndef VP_CORE_CLOCK_H
#define VP_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define VP_USEC 1000ULL
#define VP_MSEC 1000000ULL
#define VP_SEC	1000000000ULL

uint64_t vp_clock_mono_ns(void);
/** Wall clock, ns since the Unix epoch. */
uint64_t vp_clock_utc_ns(void);
/** CPU time of this process, ns. */
uint64_t vp_clock_cpu_ns(void);

/**
 * Format a wall-clock time as RFC 3339 UTC with microseconds,
 * e.g. "2026-11-28T03:19:56.123456Z" (27 chars + NUL).
 * @return 0, or EINVAL if sz < 28
 */
int vp_clock_rfc3339(char *buf, size_t sz, uint64_t utc_ns);

/* NTP (RFC 5905) 64-bit timestamps, as in RTCP sender reports. */
#define VP_NTP_UNIX_OFFSET 2208988800ULL
/** NTP seconds.fraction -> ns since the Unix epoch. */
uint64_t vp_clock_ntp_to_utc_ns(uint32_t ntp_sec, uint32_t ntp_frac);
/** ns since the Unix epoch -> NTP seconds.fraction. */
void vp_clock_utc_ns_to_ntp(uint64_t utc_ns, uint32_t *ntp_sec,
			    uint32_t *ntp_frac);

#endif
