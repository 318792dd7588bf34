/* SPDX-License-Identifier: MIT */
/**
 * @file redis.h  A thin hiredis (Debian libhiredis-dev 0.14) adapter for
 * the fleet: one blocking connection with timeouts, reconnected with
 * backoff, errors mapped to errno in one place (STYLE §6).
 *
 * Addresses:
 *   redis://HOST[:PORT][/DB]      TCP (port 6379 by default)
 *   unix:/PATH  or unix:///PATH   a Unix socket
 *   rediss://…                    refused: Debian 12's hiredis 0.14 has no
 *                                 TLS, so a certificate could not be
 *                                 verified (docs/fleet.md: use a private
 *                                 network or a TLS sidecar)
 * A password never goes in the URL (it would be in argv): it is read from
 * the environment variable VPBOT_REDIS_PASSWORD (a Kubernetes Secret).
 */
#ifndef VP_SCHED_REDIS_H
#define VP_SCHED_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

/** A parsed address. */
struct vp_sched_redis_addr {
	bool unix_;	/**< path is a Unix socket */
	char host[256]; /**< TCP host */
	int port;	/**< TCP port */
	char path[108]; /**< Unix socket path */
	int db;		/**< SELECT index, 0 by default */
};

/**
 * Parse a Redis address (libcurl's URL API for redis://).
 * @return 0, or EINVAL with err saying why (scheme, credentials in the
 *         URL, rediss://, bad port or db)
 */
int vp_sched_redis_url_parse(struct vp_sched_redis_addr *a, const char *url,
			     char *err, size_t errsz);

struct vp_sched_redis;

/**
 * Make a connection object for url; it connects on first use.
 * @return 0, EINVAL (bad url, err says why) or ENOMEM
 */
int vp_sched_redis_alloc(struct vp_sched_redis **rp, const char *url, char *err,
			 size_t errsz);

/**
 * Run one command. Connects (or reconnects after a failure, no sooner
 * than the backoff allows: 100 ms doubling to 5 s).
 * @param replyp  on 0, the reply (free with freeReplyObject)
 * @return 0; ECONNRESET (Redis unreachable or the link broke: try later);
 *         EPROTO (Redis answered with an error: *replyp is that error
 *         reply, for the caller to read and free);
 *         ENOMEM
 */
int vp_sched_redis_cmd(struct vp_sched_redis *r, redisReply **replyp, int argc,
		       const char **argv);

/** vp_sched_redis_cmd() with a reply that is not kept (errors logged). */
int vp_sched_redis_do(struct vp_sched_redis *r, int argc, const char **argv);

/** True while the last command reached Redis. */
bool vp_sched_redis_up(const struct vp_sched_redis *r);

/** Milliseconds since the last command that reached Redis. */
int64_t vp_sched_redis_silent_ms(const struct vp_sched_redis *r);

/** Read timeout for commands (default 5000 ms; must exceed any BLOCK). */
void vp_sched_redis_set_timeout(struct vp_sched_redis *r, int ms);

/** Where the fleet's log lines go (level: 0 err, 1 warn, 2 info). */
typedef void(vp_sched_fleet_log_h)(int level, const char *msg, void *arg);
/** Send them to h instead of src/core/log (the worker logs JSON lines). */
void vp_sched_fleet_set_log(vp_sched_fleet_log_h *h, void *arg);
/** One log line through the handler (printf format). */
void vp_sched_fleet_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define VP_FLEET_ERR(...)  vp_sched_fleet_log(0, __VA_ARGS__)
#define VP_FLEET_WARN(...) vp_sched_fleet_log(1, __VA_ARGS__)
#define VP_FLEET_INFO(...) vp_sched_fleet_log(2, __VA_ARGS__)

/** Monotonic milliseconds (for the fleet's timers). */
int64_t vp_sched_redis_now_ms(void);

#endif
