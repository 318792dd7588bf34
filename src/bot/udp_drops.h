/* SPDX-License-Identifier: MIT */
/**
 * @file udp_drops.h  Datagrams the kernel dropped at this process's own
 * UDP sockets because their receive buffer was full (the bot did not read
 * in time): the `drops` column of /proc/self/net/udp and udp6, summed over
 * the socket inodes of /proc/self/fd. libnice owns the sockets, so
 * SO_RXQ_OVFL is not ours to set; /proc sees them all. The load harness
 * uses it to tell loss before vpbot from loss in the socket buffer.
 */
#ifndef VP_BOT_UDP_DROPS_H
#define VP_BOT_UDP_DROPS_H

#include <stddef.h>
#include <stdint.h>

/** Socket inodes one process holds at most that are looked up. */
#define VP_UDP_DROPS_MAX_SOCKETS 256

/**
 * Sum the drops of the sockets whose inode is in @p inodes, from the text
 * of a /proc/net/udp or udp6 table (pure; a line that does not parse is
 * skipped and counted).
 * @param text     the table, header line first; need not be NUL-terminated
 * @param len      its length
 * @param inodes   socket inodes (any order)
 * @param n        how many
 * @param drops    receives the sum (written on success)
 * @param badp     receives the lines skipped (may be NULL)
 * @return 0 or EINVAL (NULL text or drops, or inodes NULL with n > 0)
 */
int vp_udp_drops_parse(const char *text, size_t len, const uint64_t *inodes,
		       size_t n, uint64_t *drops, unsigned *badp);

/**
 * The receive-buffer drops of every UDP socket this process holds now
 * (IPv4 and IPv6 tables of its network namespace).
 * @return 0, or an errno from reading /proc (then *drops is unchanged)
 */
int vp_udp_drops_self(uint64_t *drops);

#endif
