/* SPDX-License-Identifier: MIT */
/**
 * @file rtcp_interval.c  The RTCP transmission interval of RFC 3550 §6.2
 * and Appendix A.7 (rtcp_interval()), pure: the random factor comes in as
 * an argument so that a test can pin it.
 */
#include "protocols/rtp/rtcp.h"

/*
 * A.7: "To compensate for 'timer reconsideration' converging to a value
 * below the intended average", the randomised interval is divided by
 * e - 3/2.
 */
#define COMPENSATION 1.21828 /* e - 3/2 */

uint64_t vp_rtcp_interval_ns(const struct vp_rtcp_interval_in *in, double u)
{
	/* §6.2: 5 s minimum, half of it before the first packet */
	double tmin = in->initial ? 2.5 : 5.0;
	double bw = in->rtcp_bw, n = in->members, t;

	if (u < 0.0)
		u = 0.0;
	if (u > 1.0)
		u = 1.0;
	if (n < 1)
		n = 1;
	/*
	 * §6.2: if senders are at most a quarter of the members, senders
	 * share 25 % of the RTCP bandwidth and receivers the other 75 %;
	 * we never send RTP, so ours is the receivers' share.
	 */
	if (in->senders > 0 && in->senders <= in->members / 4.0) {
		if (in->we_sent) {
			bw *= 0.25;
			n = in->senders;
		} else {
			bw *= 0.75;
			n -= in->senders;
		}
	}
	t = bw > 0 ? in->avg_rtcp_size * n / bw : tmin;
	if (t < tmin)
		t = tmin;
	/* uniformly in [0.5 t, 1.5 t] (§6.3.1), then compensated */
	t = t * (0.5 + u) / COMPENSATION;
	return (uint64_t)(t * 1e9);
}
