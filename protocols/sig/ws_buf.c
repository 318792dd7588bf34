/* SPDX-License-Identifier: MIT */
/**
 * @file ws_buf.c  Bounded send queue and capped reassembly for the
 * WebSocket client. RFC 6455 §5.4: a message may arrive as many fragments
 * (and lws may split one frame into several reads), so the receiver must
 * cap the total, not the frame.
 */
#include "protocols/sig/ws_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/mem.h"

int vp_sig_txq_push(struct vp_sig_txq *q, const char *text, size_t len)
{
	struct vp_sig_txmsg *m;

	if (!q || (!text && len))
		return EINVAL;
	if (q->count + 1 > q->max_count || len > q->max_bytes ||
	    q->bytes + len > q->max_bytes)
		return ENOBUFS;
	m = vp_mem_zalloc(sizeof(*m) + q->pre + len + 1, NULL);
	if (!m)
		return ENOMEM;
	m->len = len;
	if (len)
		memcpy(m->buf + q->pre, text, len);
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
	q->bytes += len;
	return 0;
}

struct vp_sig_txmsg *vp_sig_txq_peek(const struct vp_sig_txq *q)
{
	return q ? q->head : NULL;
}

void vp_sig_txq_pop(struct vp_sig_txq *q)
{
	struct vp_sig_txmsg *m;

	if (!q || !q->head)
		return;
	m = q->head;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->count--;
	q->bytes -= m->len;
	vp_mem_deref(m);
}

void vp_sig_txq_flush(struct vp_sig_txq *q)
{
	while (q && q->head)
		vp_sig_txq_pop(q);
}

int vp_sig_rx_add(struct vp_sig_rx *rx, const void *data, size_t n, bool last,
		  bool *donep)
{
	if (!rx || (!data && n) || !donep)
		return EINVAL;
	if (n > rx->max || rx->len > rx->max - n) {
		rx->len = 0;
		return EMSGSIZE;
	}
	if (rx->len + n + 1 > rx->cap) {
		size_t cap = rx->cap ? rx->cap : 1024;
		char *nb;

		while (cap < rx->len + n + 1)
			cap *= 2;
		nb = vp_mem_zalloc(cap, NULL);
		if (!nb)
			return ENOMEM;
		if (rx->len)
			memcpy(nb, rx->buf, rx->len);
		vp_mem_deref(rx->buf);
		rx->buf = nb;
		rx->cap = cap;
	}
	if (n)
		memcpy(rx->buf + rx->len, data, n);
	rx->len += n;
	rx->buf[rx->len] = '\0';
	*donep = last;
	return 0;
}

void vp_sig_rx_reset(struct vp_sig_rx *rx)
{
	if (rx)
		rx->len = 0;
}

void vp_sig_rx_free(struct vp_sig_rx *rx)
{
	if (!rx)
		return;
	rx->buf = vp_mem_deref(rx->buf);
	rx->len = rx->cap = 0;
}
