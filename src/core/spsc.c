/* SPDX-License-Identifier: MIT */
/**
 * @file spsc.c  Lock-free SPSC ring: head written only by the producer, tail
 * only by the consumer (acquire/release pairs). The consumer's sleep uses a
 * mutex+condvar that the producer touches only when the consumer is asleep.
 */
#include "src/core/spsc.h"

#include "src/core/bytes.h"
#include "src/core/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

struct vp_spsc {
	/* head and tail on their own cache lines (padding, not _Alignas:
	 * vp_mem_zalloc aligns to max_align_t only) */
	atomic_uint head; /* next slot to fill */
	char pad1[64 - sizeof(atomic_uint)];
	atomic_uint tail; /* next slot to read */
	char pad2[64 - sizeof(atomic_uint)];
	atomic_int sleeping;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	size_t slot_size;
	uint32_t mask;
	uint32_t wake_at;
	unsigned char *slots;
};

static void spsc_destroy(void *data)
{
	struct vp_spsc *q = data;

	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mtx);
	vp_mem_deref(q->slots);
}

int vp_spsc_alloc(struct vp_spsc **qp, size_t slot_size, uint32_t capacity)
{
	struct vp_spsc *q;

	if (!qp || !slot_size || !vp_is_pow2(capacity))
		return EINVAL;
	q = vp_mem_zalloc(sizeof(*q), spsc_destroy);
	if (!q)
		return ENOMEM;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->slots = vp_mem_zalloc(slot_size * capacity, NULL);
	if (!q->slots) {
		vp_mem_deref(q);
		return ENOMEM;
	}
	q->slot_size = slot_size;
	q->mask = capacity - 1;
	q->wake_at = 1;
	*qp = q;
	return 0;
}

void *vp_spsc_reserve(struct vp_spsc *q)
{
	unsigned h = atomic_load_explicit(&q->head, memory_order_relaxed);
	unsigned t = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (h - t > q->mask)
		return NULL;
	return q->slots + (size_t)(h & q->mask) * q->slot_size;
}

void vp_spsc_kick(struct vp_spsc *q)
{
	if (atomic_load(&q->sleeping)) {
		pthread_mutex_lock(&q->mtx);
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->mtx);
	}
}

void vp_spsc_commit(struct vp_spsc *q)
{
	atomic_fetch_add_explicit(&q->head, 1, memory_order_release);
	if (vp_spsc_count(q) >= q->wake_at)
		vp_spsc_kick(q);
}

void vp_spsc_set_wake(struct vp_spsc *q, uint32_t wake_at)
{
	q->wake_at = wake_at ? wake_at : 1;
}

void *vp_spsc_peek(struct vp_spsc *q)
{
	unsigned t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	unsigned h = atomic_load_explicit(&q->head, memory_order_acquire);

	if (h == t)
		return NULL;
	return q->slots + (size_t)(t & q->mask) * q->slot_size;
}

void vp_spsc_release(struct vp_spsc *q)
{
	atomic_fetch_add_explicit(&q->tail, 1, memory_order_release);
}

void vp_spsc_wait(struct vp_spsc *q, int timeout_ms)
{
	struct timespec ts;

	pthread_mutex_lock(&q->mtx);
	atomic_store(&q->sleeping, 1);
	if (vp_spsc_count(q) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&q->cond, &q->mtx, &ts);
	}
	atomic_store(&q->sleeping, 0);
	pthread_mutex_unlock(&q->mtx);
}

uint32_t vp_spsc_count(const struct vp_spsc *q)
{
	return atomic_load(&((struct vp_spsc *)q)->head) -
	       atomic_load(&((struct vp_spsc *)q)->tail);
}
