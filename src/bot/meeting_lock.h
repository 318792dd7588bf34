/* SPDX-License-Identifier: MIT */
/**
 * @file meeting_lock.h  One bot per meeting folder: an exclusive flock(2)
 * on OUT/ID itself, held for the bot's life (released by the kernel when
 * the process dies, even by SIGKILL). A second `vpbot` for the same
 * meeting gets EWOULDBLOCK and exits 73 (docs/design.md §7); a scheduler can
 * ask whether a bot still holds a folder (vp_meeting_lock_held).
 */
#ifndef VP_BOT_MEETING_LOCK_H
#define VP_BOT_MEETING_LOCK_H

#include <stdbool.h>

/**
 * Lock DIR. Waits up to ~0.3 s (a probe by vp_meeting_lock_held() holds
 * the lock for microseconds), then gives up.
 * @param fdp  out: the descriptor that holds the lock (O_CLOEXEC)
 * @return 0, EWOULDBLOCK (another process holds it) or an errno of open
 */
int vp_meeting_lock(int *fdp, const char *dir);

/** Release a lock taken by vp_meeting_lock() (*fdp < 0: no-op). */
void vp_meeting_unlock(int *fdp);

/** @return true if a process holds DIR's lock (false if none or no DIR) */
bool vp_meeting_lock_held(const char *dir);

#endif
