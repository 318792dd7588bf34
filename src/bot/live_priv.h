/* SPDX-License-Identifier: MIT */
/** @file live_priv.h  Shared by live.c (the io thread's tap, message
 *  packing, stats) and live_ws.c (the live thread: its GMainContext and
 *  the WebSocket client of protocols/sig/ws.h). */
#ifndef VP_BOT_LIVE_PRIV_H
#define VP_BOT_LIVE_PRIV_H

#include "media/pcm/pcm.h"
#include "src/bot/io_thread.h"
#include "src/bot/live.h"

#include <pthread.h>
#include <stdatomic.h>

#define LIVE_STREAMS	VP_IO_MAX_STREAMS
#define LIVE_PART_MAX	128
#define LIVE_MSG_BLOCKS 64 /* blocks packed into one message at most */

/* One tapped block, io thread -> live thread through the ring. */
struct live_blk {
	unsigned idx;
	uint64_t start;	  /* timeline sample of pcm[0] */
	uint64_t dropped; /* this stream's samples dropped just before it */
	uint32_t frames, rate;
	uint16_t ch;
	char id[VP_PCM_ID_MAX + 1];
	char part[LIVE_PART_MAX];
	int16_t pcm[VP_IO_MAX_SAMPLES];
};

/* What the io thread knows of a stream (io thread only). */
struct live_tap_st {
	bool open, started;
	uint64_t end; /* sample after the last one tapped */
	uint32_t rate;
	uint16_t ch;
	uint64_t drop_pending;
	char id[VP_PCM_ID_MAX + 1];
	char part[LIVE_PART_MAX];
};

struct live_ws; /* live_ws.c: the live thread's connection state */

struct vp_live {
	struct vp_live_url url;
	char *ca, *meeting;
	double drain_s;
	struct vp_spsc *ring;
	struct live_tap_st st[LIVE_STREAMS];  /* io thread */
	uint64_t cons_drop[LIVE_STREAMS];     /* live thread */
	struct live_blk blk[LIVE_MSG_BLOCKS]; /* live thread: packing */
	uint8_t *msg;			      /* live thread: a message */
	size_t msg_cap;
	uint64_t msg_seq;
	struct live_ws *ws;
	pthread_t th;
	bool running;
	atomic_bool stopping, kicked, abort; /* abort: drain time is up */
	atomic_ullong messages, samples, bytes, dropped_blocks, dropped_samples,
		connects, reconnects;
	atomic_bool connected;
	pthread_mutex_t err_lock;
	char last_error[160];
};

/* live.c, live thread */
/** Pack queued blocks into l->msg. @return its length,
 *  0 when the ring is empty */
size_t vp_live__pack(struct vp_live *l);
/** Drop everything queued (no connection), counted per stream. */
void vp_live__discard(struct vp_live *l);
void vp_live__set_error(struct vp_live *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* live_ws.c */
int vp_live__ws_create(struct vp_live *l);
void *vp_live__ws_main(void *arg);
/** Wake the live thread (any thread). */
void vp_live__ws_kick(struct vp_live *l);
void vp_live__ws_destroy(struct vp_live *l);

#endif
