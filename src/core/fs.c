/* SPDX-License-Identifier: MIT */
/** @file fs.c  Durable-write helpers shared by the chunk writer and
 *  meeting.json, and opens that never follow a link planted in an output
 *  folder. */
#define VP_LOG_MODULE "fs"
#include "src/core/fs.h"

#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vp_fs_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int vp_fs_read_all(int fd, size_t max, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int e = 0;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			nb = vp_realloc(buf, cap);
			if (!nb) {
				e = ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (max && len > max) {
			e = EFBIG;
			break;
		}
	}
	if (e) {
		free(buf);
		return e;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int vp_fs_fsync_dir(const char *path)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd))
		err = errno;
	close(fd);
	return err;
}

int vp_fs_mkdir_p(const char *path)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp))
		return ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

/* Why open(2) refused NAME in DFD: a symbolic link is said so, in plain
 * words, since ELOOP's own text ("too many levels") misleads. */
static int refused(int dfd, const char *name, const char *path, int err)
{
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR || err == EMLINK) &&
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		vp_log_err("refusing %s: '%s' is a symbolic link, and output "
			   "is never written through one",
			   path, name);
		return ELOOP;
	}
	return err;
}

int vp_fs_dir_check(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno;
	if (S_ISLNK(st.st_mode)) {
		vp_log_err("refusing %s: it is a symbolic link, and output is "
			   "never written through one",
			   path);
		return ELOOP;
	}
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* The file now open as FD is a regular file with one name. */
static int check_file(int fd, const char *path, int flags)
{
	struct stat st;

	if (fstat(fd, &st))
		return errno;
	if (!S_ISREG(st.st_mode)) {
		vp_log_err("refusing %s: not a regular file", path);
		return EPERM;
	}
	/* a hard link planted in the folder would make us write elsewhere */
	if ((flags & O_ACCMODE) != O_RDONLY && st.st_nlink > 1) {
		vp_log_err("refusing %s: it has %lu names (a hard link)", path,
			   (unsigned long)st.st_nlink);
		return EMLINK;
	}
	/* O_NONBLOCK was only for the open (a FIFO must not hang us) */
	if (!(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return errno;
	return 0;
}

/* One step: NAME in DFD, a folder unless LAST. */
static int step(int dfd, const char *name, bool last, int flags, mode_t mode,
		const char *path)
{
	int fd;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (last)
		fd = openat(dfd, name,
			    flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	else
		fd = openat(dfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -refused(dfd, name, path, errno);
	return fd;
}

/* Open the folder PATH's last component is in, walking down from TOP
 * without following a link; REL (a buffer) gets the last component. */
static int walk(int *dfdp, char *rel, size_t relsz, const char **lastp,
		const char *top, const char *path)
{
	size_t tl = top ? strlen(top) : 0;
	char *name, *slash;
	int dfd, fd, err;

	if (!tl || !path || strncmp(path, top, tl) || path[tl] != '/' ||
	    !path[tl + 1])
		return EINVAL;
	if ((size_t)snprintf(rel, relsz, "%s", path + tl + 1) >= relsz)
		return ENAMETOOLONG;
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = errno;
		return (err == ELOOP || err == ENOTDIR) ? vp_fs_dir_check(top)
							: err;
	}
	for (name = rel; (slash = strchr(name, '/')); name = slash + 1) {
		*slash = '\0';
		if (!*name) /* "a//b" */
			continue;
		fd = step(dfd, name, false, 0, 0, path);
		close(dfd);
		if (fd < 0)
			return -fd;
		dfd = fd;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		close(dfd);
		return EINVAL;
	}
	*dfdp = dfd;
	*lastp = name;
	return 0;
}

int vp_fs_mkdir_below(const char *top, const char *path)
{
	const char *name;
	char rel[4096];
	struct stat st;
	int dfd, err;

	err = walk(&dfd, rel, sizeof(rel), &name, top, path);
	if (err)
		return err;
	if (mkdirat(dfd, name, 0755) == 0) {
		err = fsync(dfd) ? errno : 0; /* the new entry is durable */
	} else if (errno != EEXIST) {
		err = errno;
	} else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		err = errno;
	} else if (!S_ISDIR(st.st_mode)) {
		err = refused(dfd, name, path,
			      S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR);
	}
	close(dfd);
	return err;
}

int vp_fs_open_below(int *fdp, const char *top, const char *path, int flags,
		     mode_t mode)
{
	const char *name;
	char rel[4096];
	int dfd, fd, err;

	if (!fdp)
		return EINVAL;
	err = walk(&dfd, rel, sizeof(rel), &name, top, path);
	if (err)
		return err;
	fd = step(dfd, name, true, flags, mode, path);
	close(dfd);
	if (fd < 0)
		return -fd;
	err = check_file(fd, path, flags);
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* A new DIR/NAME.tmp of our own (O_EXCL, no link followed). One
 * a crash left is removed first, but only if it is a plain file of ours. */
static int open_tmp(int *fdp, const char *dir, const char *tmp)
{
	int fd, err;

	err = vp_fs_open_below(fdp, dir, tmp, O_WRONLY | O_CREAT | O_EXCL,
			       0644);
	if (err != EEXIST)
		return err;
	err = vp_fs_open_below(&fd, dir, tmp, O_WRONLY, 0);
	if (err)
		return err;
	close(fd);
	if (unlink(tmp))
		return errno;
	return vp_fs_open_below(fdp, dir, tmp, O_WRONLY | O_CREAT | O_EXCL,
				0644);
}

int vp_fs_write_atomic(const char *dir, const char *name, const char *text)
{
	char tmp[4200], dst[4200];
	size_t n = strlen(text);
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) >=
	    sizeof(tmp))
		return ENAMETOOLONG;
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	err = open_tmp(&fd, dir, tmp);
	if (err)
		goto out;
	err = vp_fs_write_all(fd, text, n);
	if (!err)
		err = vp_fs_write_all(fd, "\n", 1);
	if (!err && fsync(fd) != 0)
		err = errno;
	close(fd);
	if (!err && rename(tmp, dst) != 0)
		err = errno;
	if (err) /* never leave a torn or empty .tmp behind */
		unlink(tmp);
	if (!err)
		err = vp_fs_fsync_dir(dir);
out:
	if (err)
		vp_log_err("writing %s: %s", dst, strerror(err));
	return err;
}
