/* SPDX-License-Identifier: MIT */
/** @file invite.h  Invite URLs (docs/design.md §4): parse, validate, redact.
 * Pure. */
#ifndef VP_SIG_INVITE_H
#define VP_SIG_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Which signaling dialect the scheme selects; zero = none (reject). */
enum vp_invite_dialect {
	VP_INVITE_NONE = 0,
	VP_INVITE_SIM,
	VP_INVITE_JANUS,
};

/** Janus plugin; VideoRoom is the default (docs/design.md §4). */
enum vp_invite_plugin {
	VP_INVITE_VIDEOROOM = 0,
	VP_INVITE_AUDIOBRIDGE,
};

#define VP_INVITE_HOST_MAX   256
#define VP_INVITE_ROOM_MAX   256
#define VP_INVITE_SECRET_MAX 512
#define VP_INVITE_NAME_MAX   128

/** A parsed invite. All strings are NUL-terminated and percent-decoded. */
struct vp_invite {
	enum vp_invite_dialect dialect;
	enum vp_invite_plugin plugin;  /**< janus only */
	bool tls;		       /**< +wss */
	uint16_t port;		       /**< explicit, or 80 / 443 */
	char host[VP_INVITE_HOST_MAX]; /**< without [] for IPv6 literals */
	bool host_v6;		       /**< host was a [v6] literal */
	char room[VP_INVITE_ROOM_MAX]; /**< meeting id (sim) or room (janus) */
	char token[VP_INVITE_SECRET_MAX]; /**< secret: never log */
	char pin[VP_INVITE_SECRET_MAX];	  /**< secret: never log */
	char name[VP_INVITE_NAME_MAX];	  /**< display name, may be empty */
};

/**
 * Parse an invite URL:
 *   sim+ws|sim+wss://HOST[:PORT]/MEETING[?token=T&name=N]
 *   janus+ws|janus+wss://HOST[:PORT]/ROOM[?pin=P&name=N&plugin=P]
 * HOST may be a name, an IPv4 address or an [IPv6] literal. A Janus ROOM
 * is a decimal number. An unknown or repeated query key is an error (a
 * mistyped "pni=" must not join without the pin), and so is a name that
 * vp_invite_name_check() refuses.
 * @param inv    out: written only on success
 * @param url    the URL
 * @param err    out: a one-line reason on failure (never contains pin or
 *               token); may be NULL
 * @param errsz  size of err
 * @return 0, EINVAL (NULL inv/url) or EBADMSG (malformed; see err)
 */
int vp_invite_parse(struct vp_invite *inv, const char *url, char *err,
		    size_t errsz);

/**
 * Print the invite without secrets, for logs:
 * "janus+ws://127.0.0.1:8188/1234?pin=<redacted>&name=bot&plugin=audiobridge"
 * @return the length snprintf would have written (like snprintf)
 */
int vp_invite_redacted(const struct vp_invite *inv, char *buf, size_t size);

/** What vp_invite_name_check() requires, for error texts. */
#define VP_INVITE_NAME_RULE                                                    \
	"1..127 bytes of UTF-8, no control, line-break, bidi or format "       \
	"characters"

/**
 * The one validator of a display name the bot sends (invite name=, job
 * "name", --name): VP_INVITE_NAME_RULE (Unicode categories Cc, Cf, Zl, Zp
 * are refused: newlines and bidi overrides could forge log lines or
 * other participants' names).
 * @return 0 or EBADMSG
 */
int vp_invite_name_check(const char *name);

/** @return "sim", "janus" or "none" */
const char *vp_invite_dialect_name(enum vp_invite_dialect d);

#endif
