/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_ws_buf.c  The WebSocket client's buffers against a model:
 * the input is a script (2 bytes of limits, then ops: push a message,
 * pop one, add a piece of an incoming message, last or not). Seeds: real
 * Janus and sim messages cut into frames.
 *
 * Oracles (abort on violation): the send queue holds exactly what the
 * model says (count, bytes, each message's text and NUL, FIFO order) and
 * refuses (ENOBUFS) exactly when a push would pass a limit; the
 * reassembler gives back exactly the pieces of a message, NUL-terminated,
 * when the last one came, and drops the message (EMSGSIZE) exactly when it
 * would pass its cap.
 */
#include "protocols/sig/ws_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ORACLE(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define QMAX 64

struct model {
	size_t len[QMAX];
	const uint8_t *text[QMAX];
	unsigned head, n;
	size_t bytes;
	uint8_t rx[1 << 16];
	size_t rxlen;
};

static struct model M;

static void push(struct vp_sig_txq *q, const uint8_t *t, size_t len)
{
	bool fits = M.n + 1 <= q->max_count && M.bytes + len <= q->max_bytes;
	int e = vp_sig_txq_push(q, (const char *)t, len);

	ORACLE(fits ? e == 0 : e == ENOBUFS);
	if (e)
		return;
	M.len[(M.head + M.n) % QMAX] = len;
	M.text[(M.head + M.n) % QMAX] = t;
	M.n++;
	M.bytes += len;
}

static void pop(struct vp_sig_txq *q)
{
	struct vp_sig_txmsg *m = vp_sig_txq_peek(q);

	if (!M.n) {
		ORACLE(!m);
		return;
	}
	ORACLE(m && m->len == M.len[M.head]);
	ORACLE(!memcmp(m->buf + q->pre, M.text[M.head], m->len));
	ORACLE(m->buf[q->pre + m->len] == 0);
	vp_sig_txq_pop(q);
	M.bytes -= M.len[M.head];
	M.head = (M.head + 1) % QMAX;
	M.n--;
}

static void piece(struct vp_sig_rx *rx, const uint8_t *t, size_t len, bool last)
{
	bool done = false;
	int e = vp_sig_rx_add(rx, t, len, last, &done);

	if (M.rxlen + len > rx->max) {
		ORACLE(e == EMSGSIZE);
		M.rxlen = 0;
		return;
	}
	ORACLE(e == 0 && done == last);
	memcpy(M.rx + M.rxlen, t, len);
	M.rxlen += len;
	ORACLE(rx->len == M.rxlen && rx->buf[rx->len] == 0);
	ORACLE(!memcmp(rx->buf, M.rx, M.rxlen));
	if (last) { /* the caller hands it on, then forgets it */
		vp_sig_rx_reset(rx);
		M.rxlen = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct vp_sig_txq q = {0};
	struct vp_sig_rx rx = {0};
	size_t i = 2;

	if (n < 2)
		return 0;
	memset(&M, 0, sizeof(M));
	q.max_count = (size_t)(d[0] % 8) + 1;
	q.max_bytes = (size_t)d[0] * 4;
	q.pre = 16;
	rx.max = (size_t)d[1] * 64;
	while (i < n) {
		uint8_t op = d[i++];
		size_t len = op >> 2;

		if (len > n - i)
			len = n - i;
		switch (op & 3) {
		case 0:
			if (M.n < QMAX)
				push(&q, d + i, len);
			break;
		case 1:
			pop(&q);
			len = 0;
			break;
		default:
			piece(&rx, d + i, len, (op & 3) == 3);
		}
		i += len;
	}
	while (M.n)
		pop(&q);
	ORACLE(!vp_sig_txq_peek(&q) && q.count == 0 && q.bytes == 0);
	vp_sig_txq_flush(&q);
	vp_sig_rx_free(&rx);
	return 0;
}
