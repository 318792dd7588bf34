/* SPDX-License-Identifier: MIT */
/** @file janus_priv.h  State shared by janus.c (requests) and janus_msg.c
 *  (incoming messages). Not for use outside protocols/sig. */
#ifndef VP_SIG_JANUS_PRIV_H
#define VP_SIG_JANUS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "protocols/sig/janus.h"

#define JANUS_MAX_TX	  32
#define JANUS_MAX_STREAMS 64
#define JANUS_MAX_PARTS	  1024

/* What a pending transaction was for. Zero = free slot. */
enum jtx_kind {
	JTX_NONE = 0,
	JTX_CREATE,
	JTX_ATTACH_A,
	JTX_ATTACH_B,
	JTX_JOIN_A,
	JTX_JOIN_B,
	JTX_SUBSCRIBE,
	JTX_START,
	JTX_CONFIGURE,
	JTX_LEAVE,
	JTX_DETACH,
	JTX_DESTROY,
	JTX_KEEPALIVE,
	JTX_TRICKLE,
};

struct jtx {
	enum jtx_kind kind;
	uint64_t seq;
	uint64_t handle;
	char id[24];
};

/* A participant we told the bot about. */
struct jpart {
	struct jpart *next;
	bool present;	 /* joined reported, left not yet */
	bool want_sub;	 /* has audio, subscription not yet requested */
	bool subscribed; /* in the subscriber PeerConnection */
	bool capped;	 /* waits for a free m-line (JANUS_MAX_STREAMS) */
	uint64_t sub_tx; /* the join/subscribe asking for it, until settled */
	char mid[32];	 /* the publisher's audio mid, "" if unknown */
	char id[];	 /* decimal feed id, or the string id */
};

struct vp_sig_janus {
	struct vp_invite inv;
	char *display;
	struct vp_sig_handler h;
	void *harg;
	vp_sig_janus_send_h *sendh;
	void *sarg;
	bool ab; /* AudioBridge, else VideoRoom */
	bool started, leaving, done;
	uint64_t session, ha, hb;
	char *self_id, *private_id;
	bool sub_joined;   /* subscriber join sent on B */
	bool sub_inflight; /* a join/subscribe on B awaits its event */
	struct jpart *parts;
	unsigned nparts;
	struct jtx tx[JANUS_MAX_TX];
	uint64_t txseq;
	/* mid -> participant as last seen, for m-lines Janus deactivated
	 * without naming their feed any more (§5.3 autoupdate) */
	struct {
		char mid[32];
		char id[128]; /* any id id_str() accepts */
	} midmap[JANUS_MAX_STREAMS];
	/* the latest offer, which the bot must answer */
	uint64_t offer_handle;
	unsigned offer_seq;
	char offer_id[32];
};

void vp_sig_janus__fail(struct vp_sig_janus *j, enum vp_sig_err_kind kind,
			const char *reason);
void vp_sig_janus__end(struct vp_sig_janus *j, const char *reason);
struct jtx *vp_sig_janus__tx_find(struct vp_sig_janus *j, const char *id);
int vp_sig_janus__send(struct vp_sig_janus *j, enum jtx_kind kind,
		       uint64_t handle, json_t *msg);
int vp_sig_janus__body(struct vp_sig_janus *j, enum jtx_kind kind,
		       uint64_t handle, json_t *body, json_t *jsep);
json_t *vp_sig_janus__id_json(const char *id);
const char *vp_sig_janus__kind_name(enum jtx_kind k);

#endif
