/* SPDX-License-Identifier: MIT */
/**
 * @file webhook.c  Status events POSTed by a thread of its own (webhook.h).
 *
 * Retries: attempt n waits min(cap, base x 2^(n-1)) x U(0.5, 1) before the
 * next ("equal jitter", so a fleet of bots that lost the same receiver does
 * not come back in step). While the bot runs an event gets RUN_TRIES
 * attempts (about a minute) before it is given up, so one bad event cannot
 * hold the queue forever; once the bot stops, what is queued is sent on
 * (with the same attempts) until the final_timeout_s bound, and the final
 * event is retried until then.
 */
#define VP_LOG_MODULE "webhook"
#include "src/bot/webhook.h"

#include "src/core/clock.h"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define QUEUE_MAX    4096 /* events waiting; past it the oldest is dropped */
#define RUN_TRIES    8
#define BACKOFF_BASE 0.5  /* s */
#define BACKOFF_CAP  30.0 /* s */
#define REQ_TIMEOUT  10.0 /* s, one attempt */
#define ORIGIN_MAX   300

struct item {
	struct item *next;
	unsigned long seq;
	bool final;
	size_t len;
	char body[];
};

struct vp_webhook {
	char *url, *secret, *ca; /* malloc'd; secret wiped on free */
	char origin[ORIGIN_MAX];
	double final_timeout_s;
	pthread_t thread;
	bool started, inited;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	struct item *head, *tail;
	unsigned queued;
	bool stopping;
	uint64_t deadline_ns; /* mono, set when stopping */
	unsigned long events, delivered, failed, dropped; /* events: offered */
	/* the final event's delivery, written by the thread */
	unsigned long final_seq;
	bool final_ok;
	unsigned final_attempts;
	long final_status;
	char final_error[CURL_ERROR_SIZE];
	char last_error[CURL_ERROR_SIZE]; /* of any failed attempt */
	unsigned rng;
};

int vp_webhook_sign(char *out, size_t outsz, const char *secret, long long t,
		    const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char pre[32];
	int n = snprintf(pre, sizeof(pre), "%lld.", t);
	size_t klen = secret ? strlen(secret) : 0;
	unsigned char *msg;
	int w;

	if (!out || !klen || n < 0 || (!body && len))
		return EINVAL;
	msg = vp_malloc((size_t)n + len + 1);
	if (!msg)
		return ENOMEM;
	memcpy(msg, pre, (size_t)n);
	if (len)
		memcpy(msg + n, body, len);
	if (!HMAC(EVP_sha256(), secret, (int)klen, msg, (size_t)n + len, mac,
		  &maclen)) {
		free(msg);
		return ENOMEM;
	}
	free(msg);
	w = snprintf(out, outsz, "t=%lld,v1=", t);
	if (w < 0 || (size_t)w + maclen * 2 + 1 > outsz)
		return EINVAL;
	for (unsigned i = 0; i < maclen; i++)
		snprintf(out + w + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

/* --- Runs on: the webhook thread --- */

static double backoff_s(struct vp_webhook *wh, unsigned attempt)
{
	double d = BACKOFF_BASE;

	for (unsigned i = 1; i < attempt && d < BACKOFF_CAP; i++)
		d *= 2;
	if (d > BACKOFF_CAP)
		d = BACKOFF_CAP;
	return d * (0.5 + 0.5 * (double)rand_r(&wh->rng) / RAND_MAX);
}

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n; /* the receiver's body is not ours to keep */
}

/* One POST. @return the HTTP status, or 0 with err set */
static long post_once(struct vp_webhook *wh, const struct item *it,
		      double timeout_s, char *err)
{
	char sig[160], hsig[200], hseq[64];
	struct curl_slist *h = NULL;
	long status = 0,
	     ms = timeout_s * 1000 >= 1 ? (long)(timeout_s * 1000) : 1;
	CURLcode rc;
	CURL *c;

	err[0] = '\0';
	if (vp_webhook_sign(sig, sizeof(sig), wh->secret,
			    (long long)(vp_clock_utc_ns() / 1000000000u),
			    it->body, it->len)) {
		snprintf(err, CURL_ERROR_SIZE, "signing failed");
		return 0;
	}
	snprintf(hsig, sizeof(hsig), "Vpbot-Signature: %s", sig);
	snprintf(hseq, sizeof(hseq), "Vpbot-Event-Seq: %lu", it->seq);
	c = curl_easy_init();
	h = curl_slist_append(h, "Content-Type: application/json");
	h = h ? curl_slist_append(h, hsig) : NULL;
	h = h ? curl_slist_append(h, hseq) : NULL;
	if (!c || !h) {
		snprintf(err, CURL_ERROR_SIZE, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, wh->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (wh->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, wh->ca);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)&it->body[0]);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vpbot-webhook/1");
	/* at least 1 ms: for curl, 0 means no timeout at all */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (!err[0])
		snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
out:
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	return status;
}

/* Seconds left before the stop bound (a large number while running). */
static double left_s(struct vp_webhook *wh)
{
	uint64_t now = vp_clock_mono_ns();
	bool stopping;
	uint64_t dl;

	pthread_mutex_lock(&wh->lock);
	stopping = wh->stopping;
	dl = wh->deadline_ns;
	pthread_mutex_unlock(&wh->lock);
	if (!stopping)
		return 1e9;
	return now >= dl ? 0 : (double)(dl - now) / 1e9;
}

/* Wait s seconds, or less if a stop brings the bound closer. */
static void pause_s(struct vp_webhook *wh, double s)
{
	uint64_t until = vp_clock_mono_ns() + (uint64_t)(s * 1e9);
	struct timespec ts;

	pthread_mutex_lock(&wh->lock);
	while (vp_clock_mono_ns() < until &&
	       !(wh->stopping && vp_clock_mono_ns() >= wh->deadline_ns)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000; /* re-check every 100 ms */
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wh->cond, &wh->lock, &ts);
	}
	pthread_mutex_unlock(&wh->lock);
}

static void deliver(struct vp_webhook *wh, const struct item *it)
{
	char err[CURL_ERROR_SIZE];
	unsigned attempt = 0;
	long status = 0;
	bool ok = false;
	double left;

	while (!ok && (left = left_s(wh)) > 0) {
		attempt++;
		status = post_once(
			wh, it, left < REQ_TIMEOUT ? left : REQ_TIMEOUT, err);
		ok = status >= 200 && status < 300;
		if (ok)
			break;
		if (err[0])
			vp_log_warn("event %lu: attempt %u: %s", it->seq,
				    attempt, err);
		else
			vp_log_warn("event %lu: attempt %u: HTTP %ld", it->seq,
				    attempt, status);
		if (!it->final && attempt >= RUN_TRIES)
			break;
		pause_s(wh, backoff_s(wh, attempt));
	}
	pthread_mutex_lock(&wh->lock);
	if (ok)
		wh->delivered++;
	else
		wh->failed++;
	if (!ok && attempt && err[0])
		snprintf(wh->last_error, sizeof(wh->last_error), "%s", err);
	else if (!ok && attempt)
		snprintf(wh->last_error, sizeof(wh->last_error), "HTTP %ld",
			 status);
	if (it->final) {
		wh->final_seq = it->seq;
		wh->final_ok = ok;
		wh->final_attempts = attempt;
		wh->final_status = status;
		snprintf(wh->final_error, sizeof(wh->final_error), "%s",
			 ok	   ? ""
			 : attempt ? err
				   : "stop bound passed");
	}
	pthread_mutex_unlock(&wh->lock);
	if (!ok)
		vp_log_warn("event %lu not delivered after %u attempt(s)",
			    it->seq, attempt);
}

static void *run(void *arg)
{
	struct vp_webhook *wh = arg;
	struct item *it;

	pthread_mutex_lock(&wh->lock);
	for (;;) {
		while (!wh->head && !wh->stopping)
			pthread_cond_wait(&wh->cond, &wh->lock);
		it = wh->head;
		if (!it)
			break; /* stopping, nothing left */
		wh->head = it->next;
		if (!wh->head)
			wh->tail = NULL;
		wh->queued--;
		pthread_mutex_unlock(&wh->lock);
		deliver(wh, it);
		free(it);
		pthread_mutex_lock(&wh->lock);
	}
	pthread_mutex_unlock(&wh->lock);
	return NULL;
}

/* --- Runs on: the net thread --- */

void vp_webhook_post(struct vp_webhook *wh, unsigned long seq, const char *body,
		     size_t len, bool final)
{
	struct item *it, *old = NULL;

	if (!wh || !body)
		return;
	it = vp_malloc(sizeof(*it) + len + 1);
	pthread_mutex_lock(&wh->lock);
	wh->events++;
	if (!it || wh->stopping) {
		wh->dropped++;
		pthread_mutex_unlock(&wh->lock);
		free(it);
		return;
	}
	it->next = NULL;
	it->seq = seq; /* the body's: a skipped event leaves a gap in both */
	it->final = final;
	it->len = len;
	memcpy(it->body, body, len);
	it->body[len] = '\0';
	if (wh->queued == QUEUE_MAX && !wh->head->final) {
		old = wh->head; /* the oldest goes: newer states matter more */
		wh->head = old->next;
		wh->queued--;
		wh->dropped++;
	}
	if (wh->tail)
		wh->tail->next = it;
	else
		wh->head = it;
	wh->tail = it;
	wh->queued++;
	pthread_cond_signal(&wh->cond);
	pthread_mutex_unlock(&wh->lock);
	free(old);
}

static void stop(struct vp_webhook *wh)
{
	if (!wh->started)
		return;
	pthread_mutex_lock(&wh->lock);
	if (!wh->stopping) {
		wh->stopping = true;
		wh->deadline_ns = vp_clock_mono_ns() +
				  (uint64_t)(wh->final_timeout_s * 1e9);
	}
	pthread_cond_broadcast(&wh->cond);
	pthread_mutex_unlock(&wh->lock);
	pthread_join(wh->thread, NULL);
	wh->started = false;
}

json_t *vp_webhook_finish(struct vp_webhook *wh)
{
	json_t *fin = json_null();

	if (!wh)
		return NULL;
	stop(wh);
	if (wh->final_seq)
		fin = json_pack("{s:I, s:b, s:i, s:I, s:s?}", "seq",
				(json_int_t)wh->final_seq, "delivered",
				wh->final_ok, "attempts", wh->final_attempts,
				"http_status", (json_int_t)wh->final_status,
				"error",
				wh->final_error[0] ? wh->final_error : NULL);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:s?}", "origin",
			 wh->origin, "events", (json_int_t)wh->events,
			 "delivered", (json_int_t)wh->delivered, "failed",
			 (json_int_t)wh->failed, "dropped",
			 (json_int_t)wh->dropped, "final", fin, "last_error",
			 wh->last_error[0] ? wh->last_error : NULL);
}

static void webhook_destroy(void *data)
{
	struct vp_webhook *wh = data;
	struct item *it;

	stop(wh);
	while ((it = wh->head)) {
		wh->head = it->next;
		free(it);
	}
	if (wh->inited) {
		pthread_cond_destroy(&wh->cond);
		pthread_mutex_destroy(&wh->lock);
	}
	if (wh->secret)
		OPENSSL_cleanse(wh->secret, strlen(wh->secret));
	free(wh->secret);
	free(wh->url);
	free(wh->ca);
}

/* https://HOST[:PORT] only: the path and query may carry a token. The
 * scheme is checked before anything past it is read: "x" is a URL too. */
static int origin_of(char *out, size_t sz, const char *url)
{
	const char *h;
	size_t n;

	if (strncasecmp(url, "https://", 8))
		return EINVAL;
	h = url + 8;
	n = strcspn(h, "/?#");
	if (!n || memchr(h, '@', n) || n + 9 > sz)
		return EINVAL;
	snprintf(out, sz, "https://%.*s", (int)n, h);
	return 0;
}

int vp_webhook_start(struct vp_webhook **whp, const struct vp_webhook_cfg *cfg,
		     char *why, size_t whysz)
{
	sigset_t all, old;
	struct vp_webhook *wh;
	int err;

	if (!whp || !cfg || !cfg->url)
		return EINVAL;
	wh = vp_mem_zalloc(sizeof(*wh), webhook_destroy);
	if (!wh)
		return ENOMEM;
	if (origin_of(wh->origin, sizeof(wh->origin), cfg->url)) {
		snprintf(why, whysz,
			 "the webhook must be an https:// URL "
			 "with a host and no user:password@");
		vp_mem_deref(wh);
		return EINVAL;
	}
	if (!cfg->secret || !cfg->secret[0]) {
		snprintf(why, whysz, "the webhook needs a signing secret");
		vp_mem_deref(wh);
		return EINVAL;
	}
	pthread_mutex_init(&wh->lock, NULL);
	pthread_cond_init(&wh->cond, NULL);
	wh->inited = true;
	wh->url = vp_strdup(cfg->url);
	wh->secret = vp_strdup(cfg->secret);
	wh->ca = cfg->ca_file ? vp_strdup(cfg->ca_file) : NULL;
	wh->final_timeout_s =
		cfg->final_timeout_s > 0 ? cfg->final_timeout_s : 30;
	wh->rng = (unsigned)vp_clock_mono_ns();
	if (!wh->url || !wh->secret || (cfg->ca_file && !wh->ca)) {
		vp_mem_deref(wh);
		return ENOMEM;
	}
	/* the thread starts with every signal blocked: SIGINT/SIGTERM stay
	 * with the main loop, and a receiver closing on us makes OpenSSL's
	 * write fail with EPIPE instead of killing the process (SIGPIPE) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&wh->thread, NULL, run, wh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		vp_mem_deref(wh);
		return err;
	}
	wh->started = true;
	vp_log_info("webhook to %s", wh->origin);
	*whp = wh;
	return 0;
}
