/* SPDX-License-Identifier: MIT */
/** @file exitcode.h  Process exit codes, sysexits(3) (docs/design.md §7). */
#ifndef VP_BOT_EXITCODE_H
#define VP_BOT_EXITCODE_H

#include <errno.h>
#include <string.h>

enum vp_exit {
	VP_EXIT_OK = 0,		  /* recorded what the gate allowed, left */
	VP_EXIT_USAGE = 64,	  /* bad command line or invite URL */
	VP_EXIT_DATAERR = 65,	  /* job, settings, facts or capture invalid */
	VP_EXIT_UNAVAILABLE = 69, /* permanent: no such room, denied, pin */
	VP_EXIT_SOFTWARE = 70,	  /* internal error */
	VP_EXIT_CANTCREAT = 73,	  /* output cannot be created: permission,
				     a planted link, or the meeting folder
				     is locked by another vpbot */
	VP_EXIT_IOERR = 74,	  /* writing the output failed: disk full… */
	VP_EXIT_TEMPFAIL = 75,	  /* transient: unreachable, dropped: retry */
	VP_EXIT_NOPERM = 77, /* not recorded: policy/consent kept it shut */
};

/**
 * The exit code for a failed step on the output folder, so a scheduler
 * can tell its operator's problem from ours: 73 when the output cannot be
 * created (permissions, a read-only file system, a planted link refused),
 * 74 when writing it failed (disk full, quota, I/O error), 70 for ENOMEM
 * and EINVAL (ours).
 */
static inline int vp_exit_for_io(int err)
{
	switch (err) {
	case ENOMEM:
	case EINVAL:
	case 0:
		return VP_EXIT_SOFTWARE;
	case EACCES:
	case EPERM:
	case EROFS:
	case ELOOP:
	case EMLINK:
	case ENOTDIR:
	case EISDIR:
	case EEXIST:
	case ENAMETOOLONG:
		return VP_EXIT_CANTCREAT;
	default: /* ENOSPC, EDQUOT, EIO, EFBIG, … */
		return VP_EXIT_IOERR;
	}
}

/** Words for an output errno: strerror, except for the refusals that
 *  strerror would word misleadingly. */
static inline const char *vp_exit_io_text(int err)
{
	if (err == ELOOP)
		return "refused: a symbolic link where vpbot writes (see log)";
	if (err == EMLINK)
		return "refused: a hard link where vpbot writes (see log)";
	return strerror(err);
}

#endif
