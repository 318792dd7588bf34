/* SPDX-License-Identifier: MIT */
/** @file cert.c  Self-signed ECDSA P-256 certificate and RFC 8122 fingerprints.
 */
#include "protocols/dtls/cert.h"

#define VP_LOG_MODULE "dtls"
#include "src/core/log.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rand.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct vp_dtls_cert cert;
static int cert_err = EPROTO;

const EVP_MD *vp_dtls_cert_md(const char *alg)
{
	/* RFC 8122 §5 hash function textual names (IANA registry) */
	if (!alg)
		return NULL;
	if (!strcasecmp(alg, "sha-256"))
		return EVP_sha256();
	if (!strcasecmp(alg, "sha-1"))
		return EVP_sha1();
	if (!strcasecmp(alg, "sha-384"))
		return EVP_sha384();
	if (!strcasecmp(alg, "sha-512"))
		return EVP_sha512();
	return NULL;
}

int vp_dtls_cert_fingerprint(char *out, size_t sz, X509 *x509, const char *alg)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	const EVP_MD *m;

	if (!out || !x509 || sz < VP_DTLS_FP_MAX)
		return EINVAL;
	m = vp_dtls_cert_md(alg);
	if (!m)
		return EBADMSG;
	if (X509_digest(x509, m, md, &n) != 1 || n == 0)
		return EPROTO;
	for (i = 0; i < n; i++) {
		out[i * 3] = hex[md[i] >> 4];
		out[i * 3 + 1] = hex[md[i] & 15];
		out[i * 3 + 2] = (i + 1 < n) ? ':' : '\0';
	}
	return 0;
}

static int make_x509(X509 **xp, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	uint64_t serial = 0;
	int err = EPROTO;

	if (!x)
		return ENOMEM;
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto out;
	name = X509_NAME_new();
	/* X.509 v3, random serial, valid from yesterday for 30 days */
	if (!name || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1) !=
		    1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"vpbot", -1, -1,
				       0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) <= 0)
		goto out;
	err = 0;
out:
	X509_NAME_free(name);
	if (err)
		X509_free(x);
	else
		*xp = x;
	return err;
}

static void generate(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = NULL;
	int err;

	if (!key) {
		err = EPROTO;
		goto out;
	}
	err = make_x509(&x, key);
	if (err)
		goto out;
	err = vp_dtls_cert_fingerprint(cert.fp_sha256, sizeof(cert.fp_sha256),
				       x, "sha-256");
out:
	if (err) {
		vp_log_err("certificate generation failed: %s",
			   ERR_reason_error_string(ERR_peek_last_error())
				   ?: "?");
		ERR_clear_error();
		X509_free(x);
		EVP_PKEY_free(key);
		return;
	}
	cert.x509 = x;
	cert.key = key;
	cert_err = 0;
}

int vp_dtls_cert_get(const struct vp_dtls_cert **certp)
{
	if (!certp)
		return EINVAL;
	pthread_once(&once, generate);
	if (cert_err)
		return cert_err;
	*certp = &cert;
	return 0;
}
