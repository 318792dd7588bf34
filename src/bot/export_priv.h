/* SPDX-License-Identifier: MIT */
/**
 * @file export_priv.h  The meeting folder as export and verify read it:
 * manifest lines, the runs recorded in meeting.json, their timelines.
 */
#ifndef VP_BOT_EXPORT_PRIV_H
#define VP_BOT_EXPORT_PRIV_H

#include "media/pcm/pcm_read.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** One manifest line that parsed. */
struct vp_export__chunk {
	struct vp_pcm_line l;
	unsigned lineno; /**< 1-based line in manifest.jsonl */
	int run;	 /**< index into runs[], -1: in no run's streams */
};

/** A meeting folder, read. */
struct vp_export__folder {
	char mdir[PATH_MAX];
	json_t *meeting; /**< meeting.json, NULL if missing or unreadable */
	json_t **runs;	 /**< borrowed: [0] the last run, then earlier ones */
	size_t nruns;
	struct vp_export__chunk *c; /**< in manifest order */
	size_t n, cap;
};

/** Told about each thing the loader finds wrong (problem, not warning). */
typedef void(vp_export__report_h)(const char *msg, void *arg);

/**
 * Read MDIR/meeting.json and MDIR/manifest.jsonl. Lines that do not parse,
 * an empty line, a torn last line and an unreadable meeting.json are
 * reported and skipped; the rest is loaded.
 * @return 0, ENOENT (no such folder or no manifest), ENOMEM or a read errno
 */
int vp_export__load(struct vp_export__folder *f, const char *mdir,
		    vp_export__report_h *rep, void *arg);
void vp_export__free(struct vp_export__folder *f);

/** The index of the run whose "streams" names @p id, or -1. */
int vp_export__run_of(const struct vp_export__folder *f, const char *id);

/**
 * A run's sample 0 as UTC ns ("timeline_origin_utc"), 0 if unknown.
 */
uint64_t vp_export__origin_ns(const struct vp_export__folder *f, int run);

/**
 * Was the gate of @p run closed at some time within [from, to] (samples)?
 * A run without a gate_timeline (a replay) never closed its gate.
 */
bool vp_export__closed_within(const struct vp_export__folder *f, int run,
			      uint64_t from, uint64_t to);

/** "streams/ID/NNNNNN.wav": the name a line must carry. */
void vp_export__expected_name(char *buf, size_t sz, const char *id,
			      uint32_t seq);

#endif
