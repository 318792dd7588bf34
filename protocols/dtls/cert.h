/* SPDX-License-Identifier: MIT */
/**
 * @file cert.h  The process's DTLS identity: a self-signed ECDSA P-256
 * certificate made once and reused by every connection (RFC 8827 §6.5
 * allows one per origin; we are one origin), and its SDP fingerprint.
 */
#ifndef VP_PROTOCOLS_DTLS_CERT_H
#define VP_PROTOCOLS_DTLS_CERT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/** Longest fingerprint text: sha-512 is 64 bytes as "XX:" (192 chars). */
#define VP_DTLS_FP_MAX 200

struct vp_dtls_cert {
	X509 *x509;			/**< owned by the process */
	EVP_PKEY *key;			/**< owned by the process */
	char fp_sha256[VP_DTLS_FP_MAX]; /**< "AB:CD:…" uppercase */
};

/**
 * Get the process certificate, generating it on first use (thread-safe).
 * @param certp out: borrowed, valid until exit
 * @return 0, ENOMEM or EPROTO (OpenSSL failed)
 */
int vp_dtls_cert_get(const struct vp_dtls_cert **certp);

/**
 * Fingerprint of a certificate (RFC 8122 §5): hash of the DER, uppercase
 * hex bytes joined by ':'.
 * @param out  at least VP_DTLS_FP_MAX bytes
 * @param alg  "sha-1", "sha-256", "sha-384" or "sha-512" (any case)
 * @return 0, EINVAL (NULL), EBADMSG (unknown hash name), EPROTO
 */
int vp_dtls_cert_fingerprint(char *out, size_t sz, X509 *x509, const char *alg);

/** @return the OpenSSL digest for an SDP hash name, or NULL if unknown */
const EVP_MD *vp_dtls_cert_md(const char *alg);

#endif
