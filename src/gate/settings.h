/* SPDX-License-Identifier: MIT */
/**
 * @file settings.h  Company recording settings and a meeting's calendar
 * facts: JSON parsing (pure) and loading a settings file or https URL.
 *
 * Both formats are documented with examples in src/gate/README.md and
 * tests/data/settings/. Unknown keys are rejected (EBADMSG naming the key):
 * a misspelt rule must not silently become "record". Every error names the
 * offending field in `err`, e.g.
 * "settings: consent.mode must be one of none|notify|enforced".
 *
 * Parsed objects are immutable and refcounted (vp_mem_deref to release);
 * addresses, domains and title words are stored lower-cased (ASCII), so
 * all matching is case-insensitive.
 */
#ifndef VP_GATE_SETTINGS_H
#define VP_GATE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/** Consent mode. The zero value is the safe one: enforced. */
enum vp_consent_mode {
	VP_CONSENT_ENFORCED = 0, /**< record only while all present consent */
	VP_CONSENT_NOTIFY,	 /**< announce on bot join and every join */
	VP_CONSENT_NONE,	 /**< no announcement, no consent needed */
};

/** A member's data-capture setting. Zero is the safe one: never. */
enum vp_settings_capture {
	VP_SETTINGS_CAPTURE_NEVER = 0, /**< never record: closes the gate */
	VP_SETTINGS_CAPTURE_DEFAULT,   /**< follow the company settings */
	VP_SETTINGS_CAPTURE_ALWAYS,    /**< a recorded member in any case */
};

/** A list of lower-cased strings (vp_mem owned). */
struct vp_settings_strv {
	char **v;
	size_t n;
};

struct vp_settings_member {
	char *address; /**< lower-cased e-mail */
	enum vp_settings_capture capture;
};

/** Company settings; read-only after vp_settings_parse(). */
struct vp_settings {
	struct vp_settings_strv company_domains; /**< at least one */
	bool record_internal;
	bool record_external;
	bool recorded_all;		  /**< recorded_members == "all" */
	struct vp_settings_strv recorded; /**< else: these addresses */
	struct vp_settings_member *members;
	size_t nmembers;
	struct vp_settings_strv excl_domains; /**< sub-domains match too */
	struct vp_settings_strv excl_addresses;
	struct vp_settings_strv excl_words; /**< whole words / phrases */
	enum vp_consent_mode consent;
	char *announcement; /**< text the bot says/sends; never NULL */
};

/** A meeting's calendar facts; read-only after parsing. */
struct vp_meeting_facts {
	char *organizer;		  /**< lower-cased, NULL if unknown */
	struct vp_settings_strv invitees; /**< lower-cased e-mails */
	char *title;			  /**< never NULL ("" if none) */
	bool private_;			  /**< JSON "private" */
	bool manual_invite;
	char *conference_url; /**< NULL: physical room, metadata only */
	/** vouched_identities: participant ids (as the dialect reports
	 *  them, exact) and, index by index, the lower-cased addresses the
	 *  deployment vouches for */
	struct vp_settings_strv vouched_pids;
	struct vp_settings_strv vouched_addrs;
};

/** Longest participant id a vouched_identities key may be. */
#define VP_FACTS_PID_MAX 63

/**
 * Parse company settings JSON.
 * @param sp    out: new settings (only on success)
 * @param json  the text (need not be NUL-terminated)
 * @param len   its length (at most 1 MiB)
 * @param err   out: a one-line message naming the field (may be NULL)
 * @param errsz size of err
 * @return 0, EINVAL (NULL sp/json), EBADMSG (not valid; err names the
 *         field) or ENOMEM
 */
int vp_settings_parse(struct vp_settings **sp, const char *json, size_t len,
		      char *err, size_t errsz);

/**
 * Load company settings from a file path or an https:// URL (libcurl,
 * 10 s timeout, TLS peer and host verified, no redirects, 1 MiB cap).
 * Any failure is an error: the caller fails closed. The URL is never
 * written to err or the log (it may carry a token), nor is a source that
 * is neither a URL nor a plain path: one with a scheme-like first word,
 * ":/", a query or fragment, a blank at either end or a control character
 * is refused unopened (EINVAL). A plain path is named in err.
 * @return 0, EINVAL (NULL argument, a URL scheme other than https or a
 *         source that is no plain path),
 *         ENOENT (no such file, HTTP 404), EACCES (file permission,
 *         HTTP 401/403), ETIMEDOUT (the server did not answer: refused,
 *         unresolvable or timed out), EPROTO (TLS failure, other HTTP
 *         status), EBADMSG (content not valid) or ENOMEM
 */
int vp_settings_load(struct vp_settings **sp, const char *path_or_https_url,
		     char *err, size_t errsz);

/** Whether vp_settings_load() fetches SRC: it starts with https://, in
 *  any case. */
bool vp_settings_src_is_url(const char *src);

/**
 * Parse meeting facts JSON. Same conventions as vp_settings_parse().
 * @return 0, EINVAL, EBADMSG (err names the field) or ENOMEM
 */
int vp_meeting_facts_parse(struct vp_meeting_facts **fp, const char *json,
			   size_t len, char *err, size_t errsz);

/**
 * Read meeting facts from a file (at most 1 MiB).
 * @return 0, EINVAL, ENOENT, EACCES, EBADMSG or ENOMEM
 */
int vp_meeting_facts_load(struct vp_meeting_facts **fp, const char *path,
			  char *err, size_t errsz);

/**
 * @return the address the deployment vouches for as participant pid
 *         (meeting facts' vouched_identities), or NULL
 */
const char *vp_meeting_facts_vouched(const struct vp_meeting_facts *f,
				     const char *pid);

/** @return the member entry for a (any case) address, or NULL */
const struct vp_settings_member *
vp_settings_member_find(const struct vp_settings *s, const char *address);

/** @return "none", "notify" or "enforced" */
const char *vp_consent_mode_str(enum vp_consent_mode m);

#endif
