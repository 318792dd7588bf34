/* SPDX-License-Identifier: MIT */
/** @file meeting_lock.c  flock(2) on the meeting folder (meeting_lock.h). */
#include "src/bot/meeting_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int vp_meeting_lock(int *fdp, const char *dir)
{
	const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	for (int i = 0; i < 15; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			*fdp = fd;
			return 0;
		}
		err = errno;
		if (err != EWOULDBLOCK && err != EINTR)
			break;
		nanosleep(&pause, NULL);
	}
	close(fd);
	return err;
}

void vp_meeting_unlock(int *fdp)
{
	if (*fdp < 0)
		return;
	close(*fdp); /* closing the only descriptor releases the flock */
	*fdp = -1;
}

bool vp_meeting_lock_held(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	/* shared: two probes never block each other */
	held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}
