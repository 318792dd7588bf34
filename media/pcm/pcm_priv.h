/* SPDX-License-Identifier: MIT */
/** @file pcm_priv.h  Helpers shared by the pcm module's own files. */
#ifndef VP_MEDIA_PCM_PRIV_H
#define VP_MEDIA_PCM_PRIV_H

#include "media/pcm/pcm.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/** The meeting's manifest: MDIR and the append-only fd. */
struct vp_pcm_manifest {
	char *mdir; /**< vp_mem string */
	int fd;	    /**< MDIR/manifest.jsonl, O_RDWR | O_APPEND */
	bool torn;  /**< a failed append's part could not be cut off */
};

/** What a chunk is: in its vpbt chunk and in its manifest line. */
struct vp_pcm__meta {
	char stream[VP_PCM_ID_MAX + 1];
	uint32_t seq;
	uint64_t start_sample;
	uint32_t rate;
	uint16_t channels;
	uint64_t start_utc_ns;
	enum vp_pcm_utc_src src;
};

/** One manifest line. */
struct vp_pcm__line {
	struct vp_pcm__meta meta;
	uint64_t samples;
	struct vp_pcm_counts counts;
	uint64_t gap_samples;
	uint64_t overlap_samples;
	uint64_t bytes; /**< file size */
	bool recovered;
};

/* wav.c */
/**
 * Build the header of a chunk file with zero sizes.
 * @param buf   VP_PCM_HDR_MAX bytes
 * @param lenp  out: header length = offset of the first data byte
 * @return 0, ENOMEM, EINVAL
 */
int vp_pcm__wav_header(uint8_t *buf, size_t *lenp,
		       const struct vp_pcm__meta *meta);
/**
 * Read a chunk file's header back: fmt, vpbt metadata, data offset.
 * @return 0 or EBADMSG (not ours / unreadable), or a read errno
 */
int vp_pcm__wav_parse(int fd, struct vp_pcm__meta *meta, uint64_t *data_offp);
/** Write the RIFF and data sizes for @p data_bytes of data. */
int vp_pcm__wav_patch(int fd, uint64_t data_off, uint64_t data_bytes);

/* manifest.c */
/** "streams/ID/NNNNNN.wav" + @p suffix, relative to MDIR. */
int vp_pcm__rel_name(char *buf, size_t sz, const char *id, uint32_t seq,
		     const char *suffix);
/** MDIR "/" rel. */
int vp_pcm__path(char *buf, size_t sz, const char *mdir, const char *rel);
/** Append one line (one write(), then fsync). */
int vp_pcm__manifest_append(struct vp_pcm_manifest *m,
			    const struct vp_pcm__line *l);
/** mkdir (EEXIST is fine) and fsync its parent. */
int vp_pcm__mkdir(const char *path, const char *parent);
/** rename that never replaces: EEXIST if @p to exists. */
int vp_pcm__rename_noreplace(const char *from, const char *to);
/** "rtcp_sr" / "arrival" and back (unknown text -> arrival). */
const char *vp_pcm__src_name(enum vp_pcm_utc_src src);
enum vp_pcm_utc_src vp_pcm__src_parse(const char *s);

/** Files named by the manifest, read back. */
struct vp_pcm__mlist {
	struct vp_pcm__mentry {
		char *stream; /**< malloc'd */
		char *file;   /**< malloc'd */
		uint32_t seq;
	} * v;
	size_t n, cap;
};
/** Load MDIR/manifest.jsonl (missing = empty). @return 0, ENOMEM, errno */
int vp_pcm__mlist_load(struct vp_pcm__mlist *ml, const char *mdir);
void vp_pcm__mlist_free(struct vp_pcm__mlist *ml);
bool vp_pcm__mlist_has_file(const struct vp_pcm__mlist *ml, const char *rel);

#endif
