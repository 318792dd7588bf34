/* SPDX-License-Identifier: MIT */
/**
 * @file spsc.h  Bounded single-producer single-consumer ring of fixed-size
 * slots. The producer never blocks: a full ring is the caller's to count.
 * The consumer may sleep in vp_spsc_wait() until something is committed.
 */
#ifndef VP_CORE_SPSC_H
#define VP_CORE_SPSC_H

#include <stddef.h>
#include <stdint.h>

struct vp_spsc;

/** @return 0, EINVAL (capacity not a power of two, or 0 size) or ENOMEM */
int vp_spsc_alloc(struct vp_spsc **qp, size_t slot_size, uint32_t capacity);

/* --- Producer side --- */
/** @return a slot to fill, or NULL if the ring is full */
void *vp_spsc_reserve(struct vp_spsc *q);
/**
 * Publish the reserved slot. A sleeping consumer is woken only once the
 * ring holds `wake_at` slots (vp_spsc_set_wake), so a steady stream costs
 * one futex wake per batch instead of one per slot.
 */
void vp_spsc_commit(struct vp_spsc *q);
/** Wake a sleeping consumer now (e.g. after a control message). */
void vp_spsc_kick(struct vp_spsc *q);
/** Batch size for wake-ups (default 1: wake on every commit). */
void vp_spsc_set_wake(struct vp_spsc *q, uint32_t wake_at);

/* --- Consumer side --- */
/** @return the oldest committed slot, or NULL if empty */
void *vp_spsc_peek(struct vp_spsc *q);
/** Give the peeked slot back to the producer. */
void vp_spsc_release(struct vp_spsc *q);
/** Sleep until a slot is committed or timeout_ms passes. */
void vp_spsc_wait(struct vp_spsc *q, int timeout_ms);

uint32_t vp_spsc_count(const struct vp_spsc *q);

#endif
