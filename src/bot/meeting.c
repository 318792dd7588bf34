/* SPDX-License-Identifier: MIT */
/** @file meeting.c  The meeting folder, reruns into it, meeting.json. */
#define VP_LOG_MODULE "meeting"
#include "src/bot/meeting.h"
#include "src/bot/meeting_lock.h"

#include "media/pcm/pcm.h"
#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vp_meeting_id_check(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 100 || id[0] == '.')
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return EINVAL;
	}
	return 0;
}

void vp_meeting_id_sanitize(char *id)
{
	for (char *p = id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789._-",
			    *p))
			*p = '_';
	if (id[0] == '.')
		id[0] = '_';
	else if (id[0] == '\0')
		strcpy(id, "_");
}

/* Streams of earlier runs keep their ids: continue after the highest sN. */
static unsigned scan_streams(const char *mdir)
{
	char path[4200];
	unsigned max = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/streams", mdir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		unsigned long n;

		if (e->d_name[0] != 's')
			continue;
		n = strtoul(e->d_name + 1, &end, 10);
		if (*end == '\0' && n > max && n < 1000000)
			max = (unsigned)n;
	}
	closedir(d);
	return max;
}

/* A rerun keeps what the earlier runs said, under "previous_runs" (read
 * without following a link: a planted one must not copy a file in). */
static json_t *carry_previous(const char *mdir, unsigned *run, int *errp)
{
	char path[4200];
	json_t *old = NULL, *prev;
	int fd;

	*errp = 0;
	snprintf(path, sizeof(path), "%s/meeting.json", mdir);
	if (!vp_fs_open_below(&fd, mdir, path, O_RDONLY, 0)) {
		old = vp_json_loadfd(fd, 0, NULL, errp);
		close(fd);
	}
	*run = 1;
	if (*errp == ENOMEM) {
		/* unread for want of memory: saving now would overwrite
		 * the earlier runs' record */
		return NULL;
	}
	*errp = 0;
	if (!old)
		return json_array();
	prev = json_incref(json_object_get(old, "previous_runs"));
	if (!json_is_array(prev)) {
		json_decref(prev);
		prev = json_array();
	}
	json_object_del(old, "previous_runs");
	*run = (unsigned)json_array_size(prev) + 2;
	json_array_append_new(prev, old);
	return prev;
}

/* Disk space held back while vpbot runs, so that a disk filled by the
 * recording still gets meeting.json's final status ("failed", why). */
#define RESERVE	      ".reserve"
#define RESERVE_BYTES (64 * 1024)

static void reserve_make(const char *dir)
{
	char path[4200];
	int fd, err;

	snprintf(path, sizeof(path), "%s/" RESERVE, dir);
	err = vp_fs_open_below(&fd, dir, path, O_WRONLY | O_CREAT, 0600);
	if (err)
		return; /* a refusal was logged; a missing reserve is no error
			 */
	err = posix_fallocate(fd, 0, RESERVE_BYTES);
	close(fd);
	if (err) /* not all of it: then none, it would only mislead */
		unlink(path);
}

static bool reserve_spend(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/" RESERVE, dir);
	return unlink(path) == 0;
}

int vp_meeting_open(struct vp_meeting *m, const char *out, const char *id,
		    const char *err_ctx)
{
	unsigned recovered = 0;
	unsigned long fails;
	json_t *prev;
	int err;

	memset(m, 0, sizeof(*m));
	if (vp_meeting_id_check(id))
		return EINVAL;
	snprintf(m->id, sizeof(m->id), "%s", id);
	if ((size_t)snprintf(m->dir, sizeof(m->dir), "%s/%s", out, id) >=
	    sizeof(m->dir))
		return ENAMETOOLONG;
	err = vp_fs_mkdir_p(m->dir);
	if (!err) /* OUT/ID itself must not be a link planted there */
		err = vp_fs_dir_check(m->dir);
	if (!err)
		err = vp_meeting_lock(&m->lock_fd, m->dir);
	if (err)
		return err;
	m->locked = true;
	err = vp_pcm_recover(m->dir, &recovered);
	if (err == ELOOP || err == EMLINK || err == EPERM)
		return err; /* a planted link or file: refused, logged */
	if (err)
		vp_log_warn("recovering %s: %s", m->dir, strerror(err));
	else if (recovered)
		vp_log_info("recovered %u chunk(s) a previous run left in %s",
			    recovered, m->dir);
	m->next_stream = scan_streams(m->dir) + 1;
	fails = vp_mem_failures();
	prev = carry_previous(m->dir, &m->run, &err);
	if (err) {
		vp_meeting_close(m);
		return err;
	}
	m->doc = json_object();
	vp_meeting_set(m, fails, "meeting", json_string(id));
	vp_meeting_set(m, fails, "run", json_integer(m->run));
	vp_meeting_set(m, fails, "recovered_chunks", json_integer(recovered));
	if (json_array_size(prev))
		vp_meeting_set(m, fails, "previous_runs", prev);
	else
		json_decref(prev);
	vp_meeting_set(m, fails, "status",
		       json_pack("{s:s}", "state", "starting"));
	(void)err_ctx;
	/* a first meeting.json without its run number is not saved */
	err = !m->doc || m->nlost ? ENOMEM : vp_meeting_save(m);
	if (err)
		vp_meeting_close(
			m); /* failed: the caller has nothing to close */
	else
		reserve_make(m->dir);
	return err;
}

void vp_meeting_stream_id(struct vp_meeting *m, char *buf, size_t sz)
{
	snprintf(buf, sz, "s%u", m->next_stream++);
}

/* The last save says how it ended: finished or failed. */
static bool is_final(const struct vp_meeting *m)
{
	const char *st = json_string_value(
		json_object_get(json_object_get(m->doc, "status"), "state"));

	return st && (!strcmp(st, "finished") || !strcmp(st, "failed"));
}

/* forget (found) or remember a lost key; false when it does not fit */
static void lost_mark(struct vp_meeting *m, const char *key, bool lost)
{
	unsigned i = 0;

	while (i < m->nlost && strcmp(m->lost[i], key))
		i++;
	if (i < m->nlost && !lost) /* set again in full: found */
		memcpy(m->lost[i], m->lost[--m->nlost], sizeof(m->lost[i]));
	else if (i == m->nlost && lost && i < VP_MEETING_LOST_MAX)
		snprintf(m->lost[m->nlost++], sizeof(m->lost[0]), "%s", key);
	else if (i == m->nlost && lost) /* past the table: never found */
		snprintf(m->lost[i - 1], sizeof(m->lost[0]), "%s", "*");
}

int vp_meeting_set(struct vp_meeting *m, unsigned long mark, const char *key,
		   json_t *v)
{
	bool bad = !v || !m->doc || vp_mem_failures() != mark;

	if (bad)
		json_decref(v);
	else /* takes v, also when it fails */
		bad = json_object_set_new(m->doc, key, v) != 0;
	/* a set that allocated (a new key) may have failed inside */
	bad = bad || vp_mem_failures() != mark;
	if (bad)
		vp_log_warn("meeting.json: %s lost for want of memory: not "
			    "saved until it is set again",
			    key);
	lost_mark(m, key, bad);
	return bad ? ENOMEM : 0;
}

char *vp_meeting_dump(const struct vp_meeting *m)
{
	if (m->nlost)
		return NULL;
	return vp_json_dumps(m->doc, JSON_INDENT(2) | JSON_SORT_KEYS);
}

int vp_meeting_save(struct vp_meeting *m)
{
	char *s = vp_meeting_dump(m);
	int err;

	if (!s) /* no memory, or a member is lost: the file stays */
		return ENOMEM;
	err = vp_fs_write_atomic(m->dir, "meeting.json", s);
	/* the disk is full: the final status is worth the reserve */
	if ((err == ENOSPC || err == EDQUOT) && is_final(m) &&
	    reserve_spend(m->dir)) {
		vp_log_warn("disk full: final meeting.json written with the "
			    "space held in reserve");
		err = vp_fs_write_atomic(m->dir, "meeting.json", s);
	}
	free(s);
	return err;
}

void vp_meeting_close(struct vp_meeting *m)
{
	if (m->doc)
		reserve_spend(m->dir);
	if (m->locked)
		vp_meeting_unlock(&m->lock_fd);
	m->locked = false;
	json_decref(m->doc);
	m->doc = NULL;
}
