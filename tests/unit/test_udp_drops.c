/* SPDX-License-Identifier: MIT */
/** @file test_udp_drops.c  Receive-buffer drops of our own UDP sockets
 * (src/bot/udp_drops.c): the /proc table reader, and a real socket that
 * overflows. */
#include "src/bot/udp_drops.h"
#include "tests/harness/vtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char table[] =
	"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
	"retrnsmt   uid  timeout inode ref pointer drops            \n"
	"  123: 0200007F:E49C 00000000:0000 07 00000000:00000000 00:00000000 "
	"00000000     0        0 12345 2 00000000a1b2c3d4 149     \n"
	"  124: 0100007F:1F90 00000000:0000 07 00000000:00034000 00:00000000 "
	"00000000     0        0 4099921 2 00000000a1b2c3d5 7\n"
	"  125: 0100007F:1F91 00000000:0000 07 00000000:00000000 00:00000000 "
	"00000000     0        0 777 2 00000000a1b2c3d6 1000\n"
	"  126: garbage line\n";

VTEST(bot_udp_drops_parse_sums_only_our_inodes)
{
	const uint64_t ours[] = {4099921, 12345, 5};
	uint64_t drops = 99;
	unsigned bad = 0;

	VT_EQ(0, vp_udp_drops_parse(table, sizeof(table) - 1, ours, 3, &drops,
				    &bad));
	VT_EQ(149 + 7, drops); /* inode 777 is not ours */
	VT_EQ(1, bad);
	VT_EQ(0, vp_udp_drops_parse(table, sizeof(table) - 1, NULL, 0, &drops,
				    NULL));
	VT_EQ(0, drops);
	VT_EQ(EINVAL, vp_udp_drops_parse(table, 10, NULL, 1, &drops, NULL));
	/* cut before the drops column: the partial line is skipped */
	VT_EQ(0, vp_udp_drops_parse(table, strstr(table, "12345") - table + 2,
				    ours, 3, &drops, &bad));
	VT_EQ(0, drops);
	VT_EQ(1, bad);
}

/* A socket with the smallest receive buffer, fed until the kernel drops:
 * the drops show up as ours, and vanish with the socket. */
VTEST(bot_udp_drops_self_sees_a_full_socket)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	uint64_t before = 0, after = 0, closed = 0;
	char pkt[200] = {0};
	int rcv = 1, s, tx;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	VT_TRUE(s >= 0 && tx >= 0);
	VT_EQ(0, setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
	VT_EQ(0, bind(s, (struct sockaddr *)&a, sizeof(a)));
	VT_EQ(0, getsockname(s, (struct sockaddr *)&a, &al));
	VT_EQ(0, vp_udp_drops_self(&before));
	for (int i = 0; i < 200; i++)
		sendto(tx, pkt, sizeof(pkt), 0, (struct sockaddr *)&a, al);
	VT_EQ(0, vp_udp_drops_self(&after));
	VT_TRUE(after > before + 100); /* a minimal buffer holds a few */
	close(s);
	VT_EQ(0, vp_udp_drops_self(&closed));
	VT_TRUE(closed < after);
	close(tx);
}
