/* SPDX-License-Identifier: MIT */
/**
 * @file meeting.h  The meeting folder and its meeting.json (docs/design.md §5):
 * meeting, policy decision, gate timeline, participants, streams, status.
 * meeting.json is rewritten whole, atomically (tmp, fsync, rename), at
 * start, on every participant or gate change and at the end, so after a
 * crash it says "recording" and what was known until then.
 */
#ifndef VP_BOT_MEETING_H
#define VP_BOT_MEETING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/** Lost members remembered by name; past that, saves fail to the end. */
#define VP_MEETING_LOST_MAX 8

struct vp_meeting {
	char id[128];
	char dir[4096];	      /* OUT/ID */
	json_t *doc;	      /* meeting.json, owned */
	unsigned run;	      /* 1 for the first run into this folder */
	unsigned next_stream; /* stream ids continue across runs: s1, s2… */
	int lock_fd;	      /* holds the folder's flock (meeting_lock.h) */
	bool locked;	      /* lock_fd is valid */
	unsigned nlost;	      /* members vp_meeting_set() refused: lost */
	char lost[VP_MEETING_LOST_MAX][32];
};

/** What vp_meeting_id_check() requires, for error texts. */
#define VP_MEETING_ID_RULE                                                     \
	"1..100 characters of A-Z a-z 0-9 . _ -, not starting with '.' "       \
	"(one folder name: no '/', no '..')"

/**
 * Check an id the bot uses as a folder name: VP_MEETING_ID_RULE.
 * @return 0 or EINVAL
 */
int vp_meeting_id_check(const char *id);

/**
 * Create or reopen OUT/ID: recover chunks a crashed run left behind
 * (*.wav.tmp), continue stream numbering, write meeting.json.
 * Takes the folder's exclusive lock first (meeting_lock.h).
 * @return 0, EINVAL (bad id), EWOULDBLOCK (another bot has the folder),
 *         or an errno from mkdir/open
 */
int vp_meeting_open(struct vp_meeting *m, const char *out, const char *id,
		    const char *err_ctx);

/** Make a derived id usable: characters outside [A-Za-z0-9._-] become
 *  '_', and so does a leading '.' (an empty id becomes "_"). */
void vp_meeting_id_sanitize(char *id);

/** Next stream id ("s1", "s2", …), unique in this folder across runs. */
void vp_meeting_stream_id(struct vp_meeting *m, char *buf, size_t sz);

/** Write meeting.json atomically, now (blocking; a full disk gets the
 *  space held in reserve for the final status). @return 0 or an errno;
 *  ENOMEM (nothing written) while a member is lost (vp_meeting_set) */
int vp_meeting_save(struct vp_meeting *m);
/**
 * Set member @p key of meeting.json to @p v (a new reference, taken).
 * jansson leaves a member out when its value could not be allocated, and
 * a value built with json_object_set_new() may itself lack one; so @p v
 * is refused when it is NULL, when the set fails, or when an allocation on
 * this thread failed since @p mark (vp_mem_failures() taken before @p v
 * was built). A refused key is lost: every save then fails with ENOMEM and
 * leaves the file as it was, until the key is set again in full. So a
 * meeting.json on disk is always one that was complete.
 * @return 0 or ENOMEM
 */
int vp_meeting_set(struct vp_meeting *m, unsigned long mark, const char *key,
		   json_t *v);

/** meeting.json's text, malloc'd (json_dumps), for the io thread to
 *  write (vp_io_meta); NULL for no memory or while a member is lost. */
char *vp_meeting_dump(const struct vp_meeting *m);

void vp_meeting_close(struct vp_meeting *m);

#endif
