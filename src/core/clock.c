/* SPDX-License-Identifier: MIT */
/** @file clock.c  Clocks, RFC 3339 formatting, NTP conversion. */
#include "src/core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * VP_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t vp_clock_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t vp_clock_utc_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

uint64_t vp_clock_cpu_ns(void)
{
	return read_clock(CLOCK_PROCESS_CPUTIME_ID);
}

int vp_clock_rfc3339(char *buf, size_t sz, uint64_t utc_ns)
{
	time_t sec = (time_t)(utc_ns / VP_SEC);
	unsigned usec = (unsigned)((utc_ns % VP_SEC) / VP_USEC);
	struct tm tm;

	if (!buf || sz < 28)
		return EINVAL;
	gmtime_r(&sec, &tm);
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, usec);
	return 0;
}

uint64_t vp_clock_ntp_to_utc_ns(uint32_t ntp_sec, uint32_t ntp_frac)
{
	uint64_t sec = ntp_sec;

	/* RFC 5905 era 0 ends in 2036: values below the Unix epoch in NTP
	 * time belong to era 1. */
	if (sec < VP_NTP_UNIX_OFFSET)
		sec += 1ULL << 32;
	sec -= VP_NTP_UNIX_OFFSET;
	return sec * VP_SEC + (((uint64_t)ntp_frac * VP_SEC) >> 32);
}

void vp_clock_utc_ns_to_ntp(uint64_t utc_ns, uint32_t *ntp_sec,
			    uint32_t *ntp_frac)
{
	uint64_t sec = utc_ns / VP_SEC + VP_NTP_UNIX_OFFSET;

	*ntp_sec = (uint32_t)sec;
	*ntp_frac = (uint32_t)(((utc_ns % VP_SEC) << 32) / VP_SEC);
}
