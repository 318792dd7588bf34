/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_live_url.c  The live output's URL parser (live.h) on arbitrary
 * bytes. Checks, besides "no crash": an accepted URL has a host without
 * brackets, a port, a path that starts with '/' and holds no blank or line
 * break, and an origin that holds neither the path nor the query (which
 * may carry a token); a query is flagged as a secret.
 */
#include "src/bot/live.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct vp_live_url *u)
{
	const char *q = strchr(u->path, '?');

	if (!u->host[0] || !u->port || u->path[0] != '/')
		abort();
	if (strchr(u->host, '[') || strchr(u->path, '\n') ||
	    strchr(u->path, ' '))
		abort();
	if (strncmp(u->origin, u->tls ? "wss://" : "ws://", u->tls ? 6 : 5))
		abort();
	if (strchr(u->origin, '?') || strchr(u->origin + 6, '/'))
		abort();
	if (!!q != u->secret)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_live_url u;
	char why[160], *s = malloc(n + 1);

	if (!s)
		return 0;
	memcpy(s, d, n);
	s[n] = '\0';
	if (vp_live_url_parse(&u, s, why, sizeof(why)) == 0)
		check(&u);
	else if (strlen(why) >= sizeof(why))
		abort();
	free(s);
	return 0;
}
