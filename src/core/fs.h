/* SPDX-License-Identifier: MIT */
/** @file fs.h  The few file-system steps durable output is made of. */
#ifndef VP_CORE_FS_H
#define VP_CORE_FS_H

#include <stddef.h>

/** write() all of buf, retrying short writes and EINTR.
 *  @return 0 or an errno (EIO for a write that made no progress) */
int vp_fs_write_all(int fd, const void *buf, size_t len);
/** fsync a folder, so entries created or renamed in it are durable.
 *  @return 0 or an errno */
int vp_fs_fsync_dir(const char *path);
/** mkdir -p (0755). @return 0 or an errno */
int vp_fs_mkdir_p(const char *path);

#endif
