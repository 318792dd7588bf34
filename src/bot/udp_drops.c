/* SPDX-License-Identifier: MIT */
/** @file udp_drops.c  Receive-buffer drops of our UDP sockets; see
 * udp_drops.h. */
#define VP_LOG_MODULE "udp_drops"
#include "src/bot/udp_drops.h"

#include "src/core/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COL_INODE 9  /* sl local rem st tx:rx tr:when retr uid timeout inode */
#define COL_DROPS 12 /* ... ref pointer drops */
#define MAX_TABLE (4u << 20) /* a namespace with ~30 000 sockets */

/* The unsigned decimal at s[0..n), or false. */
static bool dec(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

static bool wanted(const uint64_t *inodes, size_t n, uint64_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (inodes[i] == ino)
			return true;
	return false;
}

/* One table line: its inode and drops columns. */
static bool parse_line(const char *s, size_t n, uint64_t *ino, uint64_t *dr)
{
	size_t i = 0, col = 0;
	bool got_ino = false, got_dr = false;

	while (i < n) {
		size_t start;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		if (col == COL_INODE)
			got_ino = dec(s + start, i - start, ino);
		else if (col == COL_DROPS)
			got_dr = dec(s + start, i - start, dr);
		col++;
	}
	return got_ino && got_dr && col == COL_DROPS + 1;
}

int vp_udp_drops_parse(const char *text, size_t len, const uint64_t *inodes,
		       size_t n, uint64_t *drops, unsigned *badp)
{
	uint64_t sum = 0;
	unsigned bad = 0;
	size_t off = 0;
	bool header = true;

	if (!text || !drops || (!inodes && n))
		return EINVAL;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		uint64_t ino = 0, dr = 0;

		if (header) {
			header = false; /* "sl local_address ..." */
		} else if (parse_line(text + off, ll, &ino, &dr)) {
			if (wanted(inodes, n, ino))
				sum += dr;
		} else if (ll) {
			bad++;
		}
		off += ll + 1;
	}
	*drops = sum;
	if (badp)
		*badp = bad;
	return 0;
}

/* Inodes of the sockets among our open file descriptors. */
static size_t socket_inodes(uint64_t *inodes, size_t max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		char link[64], path[300];
		ssize_t l;
		uint64_t ino;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l < 10 || strncmp(link, "socket:[", 8) ||
		    link[l - 1] != ']')
			continue;
		if (dec(link + 8, (size_t)l - 9, &ino))
			inodes[n++] = ino;
	}
	closedir(d);
	return n;
}

/* The whole of a /proc table (its size is not known in advance). */
static int read_table(const char *path, char **bufp, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return errno;
	e = vp_fs_read_all(fd, MAX_TABLE, bufp, lenp);
	close(fd);
	return e;
}

int vp_udp_drops_self(uint64_t *drops)
{
	static const char *const tables[] = {"/proc/self/net/udp",
					     "/proc/self/net/udp6"};
	uint64_t inodes[VP_UDP_DROPS_MAX_SOCKETS], sum = 0;
	size_t n = socket_inodes(inodes, VP_UDP_DROPS_MAX_SOCKETS);

	for (size_t i = 0; i < 2; i++) {
		char *buf = NULL;
		size_t len = 0;
		uint64_t d = 0;
		int err = read_table(tables[i], &buf, &len);

		if (err == ENOENT && i == 1)
			break; /* no IPv6 in this kernel */
		if (err)
			return err;
		vp_udp_drops_parse(buf, len, inodes, n, &d, NULL);
		free(buf);
		sum += d;
	}
	*drops = sum;
	return 0;
}
