/* SPDX-License-Identifier: MIT */
/** @file dtls.c  OpenSSL DTLS 1.2 adapter: datagram BIO, timers, fingerprint,
 * keys. */
#include "protocols/dtls/dtls.h"
#include "protocols/dtls/cert.h"

#define VP_LOG_MODULE "dtls"
#include "src/core/log.h"
#include "src/core/mem.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* GCM first (RFC 7714 §14.2; 2.6x cheaper to unprotect, docs/performance.md) */
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
/* fits a 1280-byte IPv6 minimum MTU path after UDP/IP headers */
#define DTLS_MTU 1200

struct vp_dtls {
	SSL_CTX *sctx;
	SSL *ssl;
	BIO *rbio; /* memory BIO: one received datagram at a time */
	GMainContext *ctx;
	GSource *timer;
	bool client;
	enum vp_dtls_state state;
	char ralg[8];
	char rfp[VP_DTLS_FP_MAX];
	bool fp_checked, fp_mismatch;
	struct vp_dtls_srtp_keys keys;
	vp_dtls_send_h *sendh;
	vp_dtls_state_h *stateh;
	void *arg;
};

static pthread_once_t meth_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *dgram_meth;

/* The one place the OpenSSL error queue becomes an errno (docs/style.md §6). */
static int ssl_err(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "no error in queue";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	vp_log_warn("%s: %s", what, buf);
	ERR_clear_error();
	return ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE ? ENOMEM : EPROTO;
}

/*
 * Write side of the SSL: OpenSSL writes one record group per BIO_write
 * and expects datagram semantics, which a memory BIO would lose by
 * concatenating a whole flight. Each write goes out as one datagram.
 */
static int bio_write(BIO *b, const char *buf, int len)
{
	struct vp_dtls *d = BIO_get_data(b);

	if (len > 0 && d && d->sendh)
		d->sendh((const uint8_t *)buf, (size_t)len, d->arg);
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_MTU;
	default:
		return 0; /* PENDING, WPENDING, timeouts: nothing buffered */
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void make_meth(void)
{
	dgram_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				  "vp_dtls_dgram");
	if (!dgram_meth)
		return;
	BIO_meth_set_write(dgram_meth, bio_write);
	BIO_meth_set_ctrl(dgram_meth, bio_ctrl);
	BIO_meth_set_create(dgram_meth, bio_create);
}

const char *vp_dtls_local_fingerprint(void)
{
	const struct vp_dtls_cert *c;

	return vp_dtls_cert_get(&c) ? NULL : c->fp_sha256;
}

static void set_state(struct vp_dtls *d, enum vp_dtls_state st,
		      const char *reason)
{
	if (d->state == st)
		return;
	d->state = st;
	static const char *const names[] = {"new", "handshaking", "connected",
					    "failed", "closed"};

	vp_log_info("state=%s role=%s%s%s", names[st],
		    d->client ? "client" : "server", reason ? " reason=" : "",
		    reason ? reason : "");
	d->stateh(st, reason, d->arg);
}

/* RFC 8122 §5: the certificate presented must hash to the SDP value */
static bool peer_matches(struct vp_dtls *d, X509 *peer)
{
	char fp[VP_DTLS_FP_MAX];

	if (!peer || !d->rfp[0])
		return false;
	if (vp_dtls_cert_fingerprint(fp, sizeof(fp), peer, d->ralg))
		return false;
	return strcasecmp(fp, d->rfp) == 0;
}

/*
 * Self-signed is expected (RFC 8827 §6.5): the chain verdict is ignored,
 * the fingerprint is the authentication. A mismatch aborts the handshake
 * here, so the peer gets a bad_certificate alert and no key exists.
 */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct vp_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;

	(void)preverify_ok;
	if (!d)
		return 0;
	if (X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;
	if (!peer_matches(d, X509_STORE_CTX_get_current_cert(store))) {
		d->fp_mismatch = true;
		return 0;
	}
	d->fp_checked = true;
	return 1;
}

static void timer_stop(struct vp_dtls *d)
{
	if (!d->timer)
		return;
	g_source_destroy(d->timer);
	g_source_unref(d->timer);
	d->timer = NULL;
}

static void dtls_destroy(void *arg)
{
	struct vp_dtls *d = arg;

	timer_stop(d);
	d->sendh = NULL;
	SSL_free(d->ssl); /* frees both BIOs */
	SSL_CTX_free(d->sctx);
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
}

static void fail(struct vp_dtls *d, const char *reason)
{
	timer_stop(d);
	set_state(d, VP_DTLS_FAILED, reason);
}

static gboolean timer_fire(gpointer arg);

/* DTLS retransmission (RFC 6347 §4.2.4) is driven by OpenSSL's timer */
static void timer_arm(struct vp_dtls *d)
{
	struct timeval tv;
	guint ms;

	timer_stop(d);
	if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return;
	ms = (guint)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
	d->timer = g_timeout_source_new(ms);
	g_source_set_callback(d->timer, timer_fire, d, NULL);
	g_source_attach(d->timer, d->ctx);
}

/* --- Runs on: net thread (the GMainContext's) --- */
static gboolean timer_fire(gpointer arg)
{
	struct vp_dtls *d = arg;

	g_source_unref(d->timer); /* GLib keeps it alive until we return */
	d->timer = NULL;
	if (DTLSv1_handle_timeout(d->ssl) < 0) {
		ERR_clear_error();
		fail(d, "timeout");
		return G_SOURCE_REMOVE;
	}
	timer_arm(d);
	return G_SOURCE_REMOVE;
}

/* RFC 5764 §4.2: client key | server key | client salt | server salt */
static int export_keys(struct vp_dtls *d)
{
	const SRTP_PROTECTION_PROFILE *p =
		SSL_get_selected_srtp_profile(d->ssl);
	struct vp_dtls_srtp_keys *k = &d->keys;
	uint8_t mat[2 * (16 + 14)];
	size_t kl = 16, sl;

	if (!p)
		return EPROTO;
	if (p->id == SRTP_AEAD_AES_128_GCM)
		sl = 12; /* RFC 7714 §12 */
	else if (p->id == SRTP_AES128_CM_SHA1_80)
		sl = 14;
	else
		return EPROTO;
	if (SSL_export_keying_material(d->ssl, mat, 2 * (kl + sl),
				       "EXTRACTOR-dtls_srtp", 19, NULL, 0,
				       0) != 1)
		return ssl_err("export_keying_material");
	k->profile = (uint16_t)p->id;
	k->profile_name = p->name;
	k->key_len = kl;
	k->salt_len = sl;
	memcpy(k->client_key, mat, kl);
	memcpy(k->server_key, mat + kl, kl);
	memcpy(k->client_salt, mat + 2 * kl, sl);
	memcpy(k->server_salt, mat + 2 * kl + sl, sl);
	OPENSSL_cleanse(mat, sizeof(mat));
	return 0;
}

static int handshake_done(struct vp_dtls *d)
{
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	bool ok = d->fp_checked && peer_matches(d, peer);

	X509_free(peer);
	/* never export a key for a peer the SDP did not name */
	if (!ok) {
		fail(d, "fingerprint mismatch");
		return EPROTO;
	}
	if (export_keys(d)) {
		fail(d, "no SRTP profile");
		return EPROTO;
	}
	timer_arm(d); /* the last flight may still need a retransmit */
	set_state(d, VP_DTLS_CONNECTED, NULL);
	return 0;
}

static int step_handshake(struct vp_dtls *d)
{
	int r = SSL_do_handshake(d->ssl), e;

	if (r == 1)
		return handshake_done(d);
	e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		timer_arm(d);
		return 0;
	}
	(void)ssl_err("handshake");
	fail(d, d->fp_mismatch ? "fingerprint mismatch" : "handshake failed");
	return EPROTO;
}

/* after the handshake: alerts and retransmitted flights; no app data */
static int step_connected(struct vp_dtls *d)
{
	uint8_t buf[2048];
	int r = SSL_read(d->ssl, buf, sizeof(buf)), e;

	if (r > 0)
		return 0; /* no data channel here: application data dropped */
	e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		timer_arm(d);
		return 0;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		timer_stop(d);
		set_state(d, VP_DTLS_CLOSED, "close_notify");
		return 0;
	}
	(void)ssl_err("read");
	fail(d, "alert");
	return EPROTO;
}

static int ctx_setup(struct vp_dtls *d)
{
	const struct vp_dtls_cert *c;
	int err = vp_dtls_cert_get(&c);

	if (err)
		return err;
	d->sctx = SSL_CTX_new(DTLS_method());
	if (!d->sctx)
		return ssl_err("SSL_CTX_new");
	/* RFC 8827 §6.5: DTLS 1.2 or later; OpenSSL 3.0 has no DTLS 1.3 */
	if (SSL_CTX_set_min_proto_version(d->sctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(d->sctx, c->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(d->sctx, c->key) != 1 ||
	    SSL_CTX_set_tlsext_use_srtp(d->sctx, SRTP_PROFILES) != 0)
		return ssl_err("SSL_CTX setup");
	SSL_CTX_set_verify(d->sctx,
			   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   verify_cb);
	SSL_CTX_set_read_ahead(d->sctx, 1);
	return 0;
}

static int ssl_setup(struct vp_dtls *d)
{
	BIO *wbio;

	pthread_once(&meth_once, make_meth);
	if (!dgram_meth)
		return ENOMEM;
	d->ssl = SSL_new(d->sctx);
	d->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(dgram_meth);
	if (!d->ssl || !d->rbio || !wbio) {
		BIO_free(d->rbio);
		BIO_free(wbio);
		d->rbio = NULL;
		return ssl_err("SSL_new");
	}
	BIO_set_mem_eof_return(d->rbio, -1); /* empty = "want read" */
	BIO_set_data(wbio, d);
	SSL_set_bio(d->ssl, d->rbio, wbio);
	SSL_set_app_data(d->ssl, d);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, DTLS_MTU);
	if (d->client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return 0;
}

int vp_dtls_alloc(struct vp_dtls **dp, GMainContext *ctx, bool client,
		  vp_dtls_send_h *sendh, vp_dtls_state_h *stateh, void *arg)
{
	struct vp_dtls *d;
	int err;

	if (!dp || !sendh || !stateh)
		return EINVAL;
	d = vp_mem_zalloc(sizeof(*d), dtls_destroy);
	if (!d)
		return ENOMEM;
	d->ctx = ctx;
	d->client = client;
	d->sendh = sendh;
	d->stateh = stateh;
	d->arg = arg;
	err = ctx_setup(d);
	if (err)
		goto out;
	err = ssl_setup(d);
out:
	if (err)
		vp_mem_deref(d);
	else
		*dp = d;
	return err;
}

int vp_dtls_set_remote_fingerprint(struct vp_dtls *d, const char *alg,
				   const char *fp)
{
	const EVP_MD *md;
	size_t n, i;

	if (!d || !alg || !fp)
		return EINVAL;
	md = vp_dtls_cert_md(alg);
	if (!md || strlen(alg) >= sizeof(d->ralg))
		return EBADMSG;
	/* RFC 8122 §5: 2UHEX *(":" 2UHEX), one pair per digest byte */
	n = strlen(fp);
	if (n != (size_t)EVP_MD_get_size(md) * 3 - 1)
		return EBADMSG;
	for (i = 0; i < n; i++) {
		bool colon = (i % 3) == 2;

		if (colon ? fp[i] != ':' : !g_ascii_isxdigit(fp[i]))
			return EBADMSG;
	}
	g_strlcpy(d->ralg, alg, sizeof(d->ralg));
	g_strlcpy(d->rfp, fp, sizeof(d->rfp));
	return 0;
}

int vp_dtls_start(struct vp_dtls *d)
{
	if (!d || !d->rfp[0])
		return EINVAL;
	if (d->state != VP_DTLS_NEW)
		return EALREADY;
	set_state(d, VP_DTLS_HANDSHAKING, NULL);
	if (!d->client)
		return 0; /* the server speaks when the ClientHello comes */
	return step_handshake(d);
}

/* --- Runs on: net thread (per packet: no logging) --- */
int vp_dtls_recv(struct vp_dtls *d, const uint8_t *buf, size_t len)
{
	if (!d || !buf || !len || len > INT_MAX)
		return EINVAL;
	if (d->state == VP_DTLS_FAILED || d->state == VP_DTLS_CLOSED ||
	    d->state == VP_DTLS_NEW)
		return EALREADY;
	(void)BIO_reset(d->rbio); /* leftovers of a bad datagram go */
	if (BIO_write(d->rbio, buf, (int)len) != (int)len)
		return ENOMEM;
	if (d->state == VP_DTLS_HANDSHAKING)
		return step_handshake(d);
	return step_connected(d);
}

const struct vp_dtls_srtp_keys *vp_dtls_srtp_keys(const struct vp_dtls *d)
{
	return d && d->state == VP_DTLS_CONNECTED ? &d->keys : NULL;
}

enum vp_dtls_state vp_dtls_state(const struct vp_dtls *d)
{
	return d ? d->state : VP_DTLS_NEW;
}

void vp_dtls_close(struct vp_dtls *d)
{
	if (!d)
		return;
	timer_stop(d);
	if (d->state == VP_DTLS_CONNECTED) {
		(void)SSL_shutdown(d->ssl); /* close_notify, RFC 5246 §7.2.1 */
		ERR_clear_error();
	}
	if (d->state != VP_DTLS_FAILED)
		d->state = VP_DTLS_CLOSED;
}
