/*
 * crypto/ — the mbedTLS helpers written once below jpki/ and transport/ (and used by
 * service/): a list of CA certificates from an option (files and folders, PEM or DER) for the
 * JPKI CAs and the TLS server CAs, a certificate time as Unix seconds, and SHA-256. mbedTLS is
 * owned by crypto/, jpki/ and transport/ (docs/architecture.md); core/ stays free of it (the
 * days-left arithmetic is core's, on Unix seconds).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CRYPTO_H
#define ONSHI_CRYPTO_H

#include "core/core.h"

#include <mbedtls/x509_crt.h>

/* How one DER certificate is added to a chain (mbedTLS's default when NULL; jpki passes its
 * parser that accepts the JPKI certificate policies). 0 ok, else an mbedTLS error. */
typedef int (*onshi__x509_parse_fn)(mbedtls_x509_crt *chain, const unsigned char *der,
                                    size_t len);

/*
 * Load the CA certificates that `list` names into chain: entries separated by ';', each a file
 * (PEM with one or more certificates, or one DER certificate; at most 1 MiB) or a folder (its
 * *.crt, *.pem, *.cer, *.der files). `option` names the setting in messages. ONSHI_E_CONFIG
 * (with the path) when the list is empty, an entry cannot be read or holds no certificate, or
 * nothing at all was loaded. *count (may be NULL) receives the number loaded.
 */
int onshi__x509_load_cas(onshi_ctx *ctx, mbedtls_x509_crt *chain, const char *list,
                         const char *option, onshi__x509_parse_fn parse, int *count);

/* A certificate time (UTC, as mbedTLS parsed it) as Unix seconds. */
int64_t onshi__x509_epoch(const mbedtls_x509_time *t);

/* SHA-256 of data (0, or -1 on failure). */
int onshi__sha256(const void *data, size_t n, unsigned char out[32]);

#endif
