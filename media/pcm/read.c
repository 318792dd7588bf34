/* SPDX-License-Identifier: MIT */
/**
 * @file read.c  A meeting folder read back by the tools that run after the
 * call: a manifest line parsed strictly (what is wrong is said, not
 * guessed), and a chunk's header as it is on disk.
 */
#include "media/pcm/pcm_priv.h"
#include "media/pcm/pcm_read.h"
#include "src/core/json.h"
#include "src/core/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(char *why, size_t sz, const char *fmt, const char *key)
{
	if (why && sz)
		snprintf(why, sz, fmt, key);
}

/* A required non-negative integer <= max. */
static int req_u64(json_t *o, const char *key, uint64_t max, uint64_t *v,
		   char *why, size_t sz)
{
	json_t *j = json_object_get(o, key);

	if (!j) {
		say(why, sz, "no \"%s\"", key);
		return EBADMSG;
	}
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max) {
		say(why, sz, "\"%s\" is not an integer in range", key);
		return EBADMSG;
	}
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

/* Optional: absent is 0, present must be valid. */
static int opt_u64(json_t *o, const char *key, uint64_t *v, char *why,
		   size_t sz)
{
	*v = 0;
	if (!json_object_get(o, key))
		return 0;
	return req_u64(o, key, INT64_MAX, v, why, sz);
}

static int strings(struct vp_pcm_line *l, json_t *o, char *why, size_t sz)
{
	const char *id = json_string_value(json_object_get(o, "stream"));
	const char *file = json_string_value(json_object_get(o, "file"));

	if (!id || !vp_pcm_stream_id_valid(id)) {
		say(why, sz, "%s", "\"stream\" missing or not a valid id");
		return EBADMSG;
	}
	/* the file is opened relative to the meeting folder: never out */
	if (!file || !file[0] || file[0] == '/' || strstr(file, "..") ||
	    strlen(file) >= sizeof(l->file)) {
		say(why, sz, "%s", "\"file\" missing or not a relative path");
		return EBADMSG;
	}
	strcpy(l->stream, id);
	strcpy(l->file, file);
	return 0;
}

static int numbers(struct vp_pcm_line *l, json_t *o, char *why, size_t sz)
{
	uint64_t seq, rate, ch;
	json_t *rec = json_object_get(o, "recovered");
	int err;

	err = req_u64(o, "seq", UINT32_MAX, &seq, why, sz);
	err = err ? err
		  : req_u64(o, "start_sample", INT64_MAX, &l->start_sample, why,
			    sz);
	err = err ? err
		  : req_u64(o, "samples", INT64_MAX, &l->samples, why, sz);
	err = err ? err : req_u64(o, "rate", 384000, &rate, why, sz);
	err = err ? err : req_u64(o, "channels", 2, &ch, why, sz);
	err = err ? err : req_u64(o, "bytes", INT64_MAX, &l->bytes, why, sz);
	err = err ? err : opt_u64(o, "start_utc_ns", &l->start_utc_ns, why, sz);
	err = err ? err : opt_u64(o, "gap_samples", &l->gap_samples, why, sz);
	err = err ? err
		  : opt_u64(o, "overlap_samples", &l->overlap_samples, why, sz);
	if (err)
		return err;
	if (!rate || !ch) {
		say(why, sz, "\"%s\" is 0", rate ? "channels" : "rate");
		return EBADMSG;
	}
	if (rec && !json_is_boolean(rec)) {
		say(why, sz, "%s", "\"recovered\" is not a boolean");
		return EBADMSG;
	}
	l->seq = (uint32_t)seq;
	l->rate = (uint32_t)rate;
	l->channels = (uint16_t)ch;
	l->recovered = json_is_true(rec);
	return 0;
}

int vp_pcm_line_parse(struct vp_pcm_line *l, const char *s, size_t n, char *why,
		      size_t whysz)
{
	struct vp_pcm_line tmp = {0};
	json_error_t je;
	json_t *o;
	int err;

	if (!l || (!s && n))
		return EINVAL;
	o = vp_json_loadb(s, n, JSON_REJECT_DUPLICATES, &je, &err);
	if (err == ENOMEM) { /* not a bad line */
		say(why, whysz, "%s", "out of memory");
		return ENOMEM;
	}
	if (!json_is_object(o)) {
		say(why, whysz, "not a JSON object (%s)",
		    o ? "another JSON value" : je.text);
		json_decref(o);
		return EBADMSG;
	}
	err = strings(&tmp, o, why, whysz);
	err = err ? err : numbers(&tmp, o, why, whysz);
	json_decref(o);
	if (!err)
		*l = tmp;
	return err;
}

static int get_le32_at(int fd, off_t off, uint64_t *v)
{
	uint8_t b[4];
	ssize_t r = pread(fd, b, 4, off);

	if (r < 0)
		return errno;
	if (r != 4)
		return EBADMSG;
	*v = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	     (uint64_t)b[3] << 24;
	return 0;
}

int vp_pcm_chunk_probe(struct vp_pcm_chunk_info *ci, int fd)
{
	struct vp_pcm_chunk_info tmp = {0};
	struct vp_pcm__meta mt = {0};
	struct stat st;
	int err;

	if (!ci || fd < 0)
		return EINVAL;
	if (fstat(fd, &st))
		return errno;
	err = vp_pcm__wav_parse(fd, &mt, &tmp.data_off);
	err = err ? err : get_le32_at(fd, 4, &tmp.riff_bytes);
	err = err ? err
		  : get_le32_at(fd, (off_t)tmp.data_off - 4, &tmp.data_bytes);
	if (err)
		return err;
	strcpy(tmp.stream, mt.stream);
	tmp.seq = mt.seq;
	tmp.start_sample = mt.start_sample;
	tmp.rate = mt.rate;
	tmp.channels = mt.channels;
	tmp.file_bytes = (uint64_t)st.st_size;
	*ci = tmp;
	return 0;
}
