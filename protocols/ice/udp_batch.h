/* SPDX-License-Identifier: MIT */
/**
 * @file udp_batch.h  Batched UDP receive: every datagram waiting on a
 * non-blocking socket in one recvmmsg(2) per VP_UDP_BATCH_N, into buffers
 * allocated once (no allocation per datagram).
 */
#ifndef VP_PROTOCOLS_ICE_UDP_BATCH_H
#define VP_PROTOCOLS_ICE_UDP_BATCH_H

/* recvmmsg, struct mmsghdr: _GNU_SOURCE (meson.build) */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define VP_UDP_BATCH_N 16
/** Larger than any datagram we accept (media <= 1500): longer ones are
 * flagged truncated, never delivered cut. */
#define VP_UDP_BATCH_DGRAM 2048

struct vp_udp_batch {
	struct mmsghdr msg[VP_UDP_BATCH_N];
	struct iovec iov[VP_UDP_BATCH_N];
	struct sockaddr_storage from[VP_UDP_BATCH_N];
	uint8_t buf[VP_UDP_BATCH_N][VP_UDP_BATCH_DGRAM];
};

/**
 * Read up to VP_UDP_BATCH_N datagrams (MSG_DONTWAIT).
 * @return the count (0: nothing waiting), or -errno (EINTR is retried)
 */
int vp_udp_batch_read(struct vp_udp_batch *b, int fd);

/** Datagram i of the last read: its bytes and length. */
static inline const uint8_t *vp_udp_batch_data(const struct vp_udp_batch *b,
					       unsigned i, size_t *len)
{
	*len = b->msg[i].msg_len;
	return b->buf[i];
}

/** Whether datagram i was longer than VP_UDP_BATCH_DGRAM (cut: drop it). */
static inline bool vp_udp_batch_truncated(const struct vp_udp_batch *b,
					  unsigned i)
{
	return (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

/** Its source address. */
static inline const struct sockaddr_storage *
vp_udp_batch_from(const struct vp_udp_batch *b, unsigned i, socklen_t *len)
{
	*len = b->msg[i].msg_hdr.msg_namelen;
	return &b->from[i];
}

#endif
