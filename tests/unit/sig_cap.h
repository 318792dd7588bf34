/* SPDX-License-Identifier: MIT */
/** @file sig_cap.h  The Janus machine's test fixture: requests it sends and
 *  events it reports, captured as text (test_sig.c, test_sig_subscribe.c). */
#ifndef VP_TESTS_SIG_CAP_H
#define VP_TESTS_SIG_CAP_H

#include <stddef.h>

#include "protocols/sig/janus.h"

struct cap {
	char *sent[64];
	size_t nsent;
	char ev[4096];
	char last_offer[32];
	size_t last_nstreams;
	unsigned npj, nrerr;
};

extern const struct vp_sig_handler sigt_handler;

void cap_clear(struct cap *c);
/* A field of the n-th sent request, as text ("body.request" style path). */
const char *sent_field(struct cap *c, size_t n, const char *path);
/* Hand the machine one formatted message. */
int feed(struct vp_sig_janus *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct vp_sig_janus *janus_new(struct cap *c, const char *url);
/* create -> attach A -> attach B -> join A; returns with join-a sent */
void vr_setup(struct vp_sig_janus *j, struct cap *c);

#define PUB(id, name, mid)                                                     \
	"{\"id\":" #id ",\"display\":\"" name "\",\"streams\":[{\"type\":"     \
	"\"audio\",\"mid\":\"" mid "\",\"codec\":\"opus\"}]}"

#endif
