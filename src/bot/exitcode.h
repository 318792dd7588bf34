/* SPDX-License-Identifier: MIT */
/** @file exitcode.h  Process exit codes, sysexits(3) (DESIGN.md §7). */
#ifndef VP_BOT_EXITCODE_H
#define VP_BOT_EXITCODE_H

enum vp_exit {
	VP_EXIT_OK = 0,           /* recorded what the gate allowed, left */
	VP_EXIT_USAGE = 64,       /* bad command line or invite URL */
	VP_EXIT_DATAERR = 65,     /* job, settings, facts or capture invalid */
	VP_EXIT_UNAVAILABLE = 69, /* permanent: no such room, denied, pin */
	VP_EXIT_SOFTWARE = 70,    /* internal error */
	VP_EXIT_CANTCREAT = 73,   /* meeting folder locked: another bot has it */
	VP_EXIT_TEMPFAIL = 75,    /* transient: unreachable, dropped: retry */
	VP_EXIT_NOPERM = 77,      /* not recorded: policy/consent kept it shut */
};

#endif
