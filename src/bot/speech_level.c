/* SPDX-License-Identifier: MIT */
/**
 * @file speech_level.c  Who spoke when from the sender's own RFC 6464
 * audio levels (speech.h): a packet is voiced when its level is louder
 * than -50 dBov and either its V bit (the sender's voice activity, RFC 6464
 * §3) is set or it is -40 dBov or louder; segments follow the energy
 * detector's rules in time (onset after 40 ms voiced, 300 ms hang, under
 * 60 ms dropped), on spans of the timeline instead of 10 ms frames.
 */
#include "src/bot/speech.h"

#include "src/core/mem.h"

#include <errno.h>

#define LV_SILENT  50 /* -dBov: never voiced at or below -50 dBov */
#define LV_NO_VAD  40 /* -dBov: voiced without the V bit from -40 dBov */
#define ONSET_MS   40
#define HANG_MS	   300
#define MIN_SEG_MS 60

struct vp_speech_lv {
	uint32_t rate;
	vp_speech_seg_h *segh;
	void *arg;
	bool started, in_seg;
	uint64_t pos;		     /* next expected timeline sample */
	uint64_t run_start, run_len; /* voiced samples in a row */
	uint64_t quiet;		     /* unvoiced samples since the last */
	uint64_t seg_start, seg_end;
};

bool vp_speech_level_voiced(uint8_t level)
{
	unsigned db = level & 0x7f;

	return db < LV_SILENT && ((level & 0x80) || db <= LV_NO_VAD);
}

int vp_speech_lv_alloc(struct vp_speech_lv **sp, uint32_t rate,
		       vp_speech_seg_h *segh, void *arg)
{
	struct vp_speech_lv *s;

	if (!sp || rate < 100 || !segh)
		return EINVAL;
	s = vp_mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;
	s->rate = rate;
	s->segh = segh;
	s->arg = arg;
	*sp = s;
	return 0;
}

void vp_speech_lv_flush(struct vp_speech_lv *s)
{
	if (!s)
		return;
	if (s->in_seg && (s->seg_end - s->seg_start) * 1000 >=
				 (uint64_t)MIN_SEG_MS * s->rate)
		s->segh(s->seg_start, s->seg_end, s->arg);
	s->in_seg = false;
	s->started = false;
	s->run_len = 0;
	s->quiet = 0;
}

void vp_speech_lv_feed(struct vp_speech_lv *s, uint64_t start, uint64_t n,
		       bool voiced)
{
	if (!s || !n)
		return;
	if (s->started && start != s->pos)
		vp_speech_lv_flush(s); /* a gap: the gate closed, or a jump */
	s->started = true;
	s->pos = start + n;
	if (!voiced) {
		s->run_len = 0;
		if (s->in_seg) {
			s->quiet += n;
			if (s->quiet * 1000 >= (uint64_t)HANG_MS * s->rate) {
				vp_speech_lv_flush(s);
				s->started = true; /* contiguity continues */
			}
		}
		return;
	}
	if (!s->run_len)
		s->run_start = start;
	s->run_len += n;
	s->quiet = 0;
	if (!s->in_seg && s->run_len * 1000 >= (uint64_t)ONSET_MS * s->rate) {
		s->in_seg = true;
		s->seg_start = s->run_start;
	}
	if (s->in_seg)
		s->seg_end = start + n;
}
