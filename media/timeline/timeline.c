/* SPDX-License-Identifier: MIT */
/** @file timeline.c  RTP timestamps -> timeline samples -> wall clock. */
#include "media/timeline/timeline.h"
#include "src/core/clock.h"

#include <errno.h>

/*
 * floor(num * mul / div) for a signed num, exact: __int128 keeps the
 * product from overflowing however long the meeting (GCC and Clang on
 * every 64-bit target we build for).
 */
static int64_t scale_floor(int64_t num, uint64_t mul, uint64_t div)
{
	__int128 p = (__int128)num * (__int128)mul;
	__int128 q = p / (__int128)div;

	if (p % (__int128)div != 0 && p < 0)
		q--;
	return (int64_t)q;
}

static uint64_t add_clamped(uint64_t base, int64_t delta)
{
	if (delta < 0 && (uint64_t)-delta > base)
		return 0;
	return base + (uint64_t)delta;
}

int vp_timeline_init(struct vp_timeline *tl, uint32_t rate, uint64_t origin_ns)
{
	if (!tl || !rate)
		return EINVAL;
	tl->rate = rate;
	tl->origin_ns = origin_ns;
	return 0;
}

uint64_t vp_timeline_sample_at(const struct vp_timeline *tl, uint64_t utc_ns)
{
	uint64_t d;

	if (!tl || utc_ns <= tl->origin_ns)
		return 0;
	d = utc_ns - tl->origin_ns;
	/* split so that d * rate cannot overflow: still an exact floor */
	return (d / VP_SEC) * tl->rate + (d % VP_SEC) * tl->rate / VP_SEC;
}

int vp_timeline_stream_init(struct vp_timeline_stream *s,
			    const struct vp_timeline *tl, uint32_t clock)
{
	if (!s || !tl)
		return EINVAL;
	*s = (struct vp_timeline_stream){
		.tl = tl,
		.clock = clock ? clock : VP_TIMELINE_OPUS_CLOCK,
	};
	return 0;
}

/* Begin a run of one SSRC at timeline sample @p pos. */
static void stream_restart(struct vp_timeline_stream *s, uint32_t ssrc,
			   uint64_t ext_ts, uint64_t arrival_ns, uint64_t pos)
{
	s->started = true;
	s->ssrc = ssrc;
	s->first_ts = ext_ts;
	s->first_pos = pos;
	s->first_arrival_ns = arrival_ns;
}

int vp_timeline_stream_place(struct vp_timeline_stream *s, uint32_t ssrc,
			     uint64_t ext_ts, uint32_t dur, uint64_t arrival_ns,
			     uint64_t *posp)
{
	uint64_t pos, at;
	int64_t d;

	if (!s || !s->tl || !posp)
		return EINVAL;
	at = vp_timeline_sample_at(s->tl, arrival_ns);
	if (!s->started) {
		stream_restart(s, ssrc, ext_ts, arrival_ns, at);
		pos = at;
	} else if (ssrc != s->ssrc) {
		/* A sender restart picks a new SSRC and a random timestamp
		 * (RFC 3550 §8.2): nothing links it to the old run, so it
		 * continues where the stream ended, or later if time passed. */
		pos = at > s->end ? at : s->end;
		stream_restart(s, ssrc, ext_ts, arrival_ns, pos);
	} else {
		d = (int64_t)(ext_ts - s->first_ts);
		pos = add_clamped(s->first_pos,
				  scale_floor(d, s->tl->rate, s->clock));
	}
	if (pos + dur > s->end)
		s->end = pos + dur;
	*posp = pos;
	return 0;
}

uint64_t vp_timeline_utc_of(const struct vp_timeline *tl, uint64_t pos)
{
	if (!tl || !tl->rate)
		return 0;
	return tl->origin_ns + (pos / tl->rate) * VP_SEC +
	       (pos % tl->rate) * VP_SEC / tl->rate;
}

int vp_timeline_stream_anchor(struct vp_timeline_stream *s, uint32_t ssrc,
			      uint64_t ext_ts, uint64_t arrival_ns,
			      uint64_t pos)
{
	uint64_t utc;

	if (!s || !s->tl)
		return EINVAL;
	utc = vp_timeline_utc_of(s->tl, pos);
	if (s->started && s->ssrc == ssrc)
		s->have_sr = false; /* its SR described the old run */
	stream_restart(s, ssrc, ext_ts, utc > arrival_ns ? utc : arrival_ns,
		       pos);
	if (pos > s->end)
		s->end = pos;
	return 0;
}

int vp_timeline_stream_sr(struct vp_timeline_stream *s, uint32_t ssrc,
			  uint32_t ntp_sec, uint32_t ntp_frac, uint32_t rtp_ts)
{
	if (!s)
		return EINVAL;
	s->have_sr = true;
	s->sr_ssrc = ssrc;
	s->sr_ts = rtp_ts;
	s->sr_utc_ns = vp_clock_ntp_to_utc_ns(ntp_sec, ntp_frac);
	return 0;
}

uint64_t vp_timeline_stream_utc(const struct vp_timeline_stream *s,
				uint64_t ext_ts, enum vp_timeline_src *srcp)
{
	enum vp_timeline_src src = VP_TIMELINE_SRC_ARRIVAL;
	uint64_t utc = 0;
	int64_t d;

	if (!s || !s->started)
		goto out;
	if (s->have_sr && s->sr_ssrc == s->ssrc) {
		/* RFC 3550 §6.4.1: the SR's RTP ts is on the same clock as
		 * the media; the 32-bit difference is signed so a packet
		 * just before the SR (or across a wrap) maps correctly. */
		d = (int32_t)((uint32_t)ext_ts - s->sr_ts);
		utc = add_clamped(s->sr_utc_ns,
				  scale_floor(d, VP_SEC, s->clock));
		src = VP_TIMELINE_SRC_SR;
	} else {
		d = (int64_t)(ext_ts - s->first_ts);
		utc = add_clamped(s->first_arrival_ns,
				  scale_floor(d, VP_SEC, s->clock));
	}
out:
	if (srcp)
		*srcp = src;
	return utc;
}
