/* SPDX-License-Identifier: MIT */
/** @file fs.h  The few file-system steps durable output is made of. */
#ifndef VP_CORE_FS_H
#define VP_CORE_FS_H

#include <stddef.h>
#include <sys/types.h>

/** write() all of buf, retrying short writes and EINTR.
 *  @return 0 or an errno (EIO for a write that made no progress) */
int vp_fs_write_all(int fd, const void *buf, size_t len);
/**
 * Read all that is left on FD, in large blocks, into a new buffer with a
 * NUL after the data (free() it).
 * @param max  the most bytes accepted (0: no bound)
 * @return 0, ENOMEM, EFBIG (more than max) or the errno of read
 */
int vp_fs_read_all(int fd, size_t max, char **bufp, size_t *lenp);
/** fsync a folder, so entries created or renamed in it are durable.
 *  @return 0 or an errno */
int vp_fs_fsync_dir(const char *path);
/**
 * Replace DIR/NAME with TEXT and a final newline, atomically: written as
 * DIR/NAME.tmp (O_EXCL, opened as vp_fs_open_below() does; one a crash
 * left is removed first), fsync'd, renamed, and the folder fsync'd. A
 * failed write leaves no .tmp behind and the old file in place. Blocking.
 * @return 0 or an errno (logged with the path)
 */
int vp_fs_write_atomic(const char *dir, const char *name, const char *text);
/** mkdir -p (0755). @return 0 or an errno */
int vp_fs_mkdir_p(const char *path);

/**
 * Check that PATH is a folder and not a symbolic link to one (the last
 * component only: the folders above it are the operator's choice).
 * @return 0, ELOOP (a link, logged), ENOTDIR or the errno of lstat
 */
int vp_fs_dir_check(const char *path);

/**
 * Open PATH, a file below the folder TOP (PATH is TOP "/" REL), walking REL
 * one component at a time with openat(O_NOFOLLOW) from TOP opened with
 * O_DIRECTORY|O_NOFOLLOW: a symbolic link at TOP or anywhere in REL is
 * refused, so a link planted in an output folder never redirects a write.
 * O_CLOEXEC and O_NOFOLLOW are added to FLAGS. Only a regular file with a
 * single name is opened (a FIFO does not block, a hard link to a file
 * elsewhere is refused). Refusals are logged with the path.
 * @param fdp  out: the descriptor
 * @return 0, EINVAL (PATH not below TOP, or a "." / ".." component),
 *         ELOOP (a symbolic link), EMLINK (a hard link), EPERM (not a
 *         regular file) or the errno of open
 */
int vp_fs_open_below(int *fdp, const char *top, const char *path, int flags,
		     mode_t mode);

/**
 * mkdir PATH (0755), a folder below TOP, walking down as
 * vp_fs_open_below() does; an existing folder is fine, a link or a file
 * in its place is refused (logged). A new folder's entry is fsync'd.
 * @return 0, EINVAL, ELOOP, ENOTDIR or the errno of mkdir
 */
int vp_fs_mkdir_below(const char *top, const char *path);

#endif
