/* SPDX-License-Identifier: MIT */
/**
 * @file track_fixture.h  The live track the bot's unit tests feed
 * (test_bot.c, test_bot_io.c): one 48 kHz mono stream "s1" with 10 s
 * chunks and a 200 ms start hold behind a gate handler, its timeline and
 * an io thread writing to a fresh folder under the test's tmpdir.
 */
#ifndef VP_TEST_TRACK_FIXTURE_H
#define VP_TEST_TRACK_FIXTURE_H

#include "src/bot/io_thread.h"
#include "src/bot/track.h"
#include "media/timeline/timeline.h"

#include <stdint.h>

struct track_fix {
	struct vp_timeline tl;
	struct vp_track *t;
	struct vp_io *io;
	char dir[512];
};

/**
 * Make DIR = tmpdir/NAME, start the timeline at T0, the io thread and the
 * track. @return 0, or an errno (nothing left running)
 */
int track_fix_start(struct track_fix *f, const char *name,
		    vp_track_gate_h *gateh, uint64_t t0);

/**
 * Flush the track, close its stream and stop the io thread (its stats in
 * *st). The track stays for its stats: vp_mem_deref(f->t) after.
 * @return what vp_io_stream_close() returned
 */
int track_fix_stop(struct track_fix *f, struct vp_io_stats *st);

#endif
