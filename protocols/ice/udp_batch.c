/* SPDX-License-Identifier: MIT */
/** @file udp_batch.c  recvmmsg(2) into buffers made once; see udp_batch.h. */
#include "protocols/ice/udp_batch.h"

#include <errno.h>
#include <string.h>

int vp_udp_batch_read(struct vp_udp_batch *b, int fd)
{
	int n;

	if (!b || fd < 0)
		return -EINVAL;
	/* the kernel writes back lengths and flags: reset them each time */
	for (unsigned i = 0; i < VP_UDP_BATCH_N; i++) {
		b->iov[i] = (struct iovec){b->buf[i], sizeof(b->buf[i])};
		b->msg[i] = (struct mmsghdr){
			.msg_hdr = {.msg_name = &b->from[i],
				    .msg_namelen = sizeof(b->from[i]),
				    .msg_iov = &b->iov[i],
				    .msg_iovlen = 1}};
	}
	do
		n = recvmmsg(fd, b->msg, VP_UDP_BATCH_N, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
}
