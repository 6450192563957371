/*
 * Test PKI generator (mbedTLS): JPKI-like CA and card certificates, TLS CA, server and client
 * certificates. Test tooling only — never part of libonshi's ABI, never used with real keys.
 * Used by onshi-pki, onshi-vcard, onshi-sim and the unit tests. Keys are generated fresh at
 * run time and never committed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_PKI_H
#define ONSHI_PKI_H

#include <mbedtls/pk.h>
#include <stddef.h>
#include <time.h>

#define PKI_KEY_RSA2048 1
#define PKI_KEY_EC_P256 2
#define PKI_KEY_EC_P384 3

#define PKI_PROFILE_CA         1 /* basicConstraints CA (critical), keyUsage keyCertSign|cRLSign, SKI */
#define PKI_PROFILE_JPKI_AUTH  2 /* JPKI-like auth cert: keyUsage digitalSignature (critical),
                                    certificatePolicies (CRITICAL, test policy OID
                                    PKI_JPKI_TEST_POLICY_OID), CRL distribution point, AIA, SKI/AKI */
#define PKI_PROFILE_TLS_SERVER 3 /* subjectAltName from spec->san, EKU serverAuth */
#define PKI_PROFILE_TLS_CLIENT 4 /* EKU clientAuth */
#define PKI_JPKI_TEST_POLICY_OID "1.2.392.200149.8.5.1.3.30.999" /* test-only, JPKI-shaped */

typedef struct pki_key pki_key;
int pki_key_gen(pki_key **out, int kind);                 /* 0 or negative mbedTLS error */
int pki_key_read(pki_key **out, const char *path);        /* PEM or DER, unencrypted */
int pki_key_write(const pki_key *key, const char *path);  /* PEM, mode 0600 */
mbedtls_pk_context *pki_key_pk(pki_key *key);
void pki_key_free(pki_key *key);

typedef struct pki_cert_spec {
    int profile;              /* PKI_PROFILE_* */
    const char *subject;      /* "C=JP,O=JPKI-TEST,CN=Test Card 0001" */
    const char *serial_hex;   /* NULL: random 63-bit */
    time_t not_before;        /* 0: now - 1 day */
    time_t not_after;         /* 0: not_before + 5 years */
    const char *san;          /* TLS server: "DNS:localhost,IP:127.0.0.1,IP:::1"; NULL: none */
} pki_cert_spec;

/* Issue a certificate. Self-signed when issuer_der is NULL (issuer_key must then be
 * subject_key). *der_out is malloc'ed DER, freed by the caller with free(). */
int pki_cert_issue(const pki_cert_spec *spec, pki_key *subject_key, pki_key *issuer_key,
                   const unsigned char *issuer_der, size_t issuer_len,
                   unsigned char **der_out, size_t *der_len);
int pki_cert_write(const char *path, const unsigned char *der, size_t len, int pem);
int pki_cert_read_der(const char *path, unsigned char **der_out, size_t *len); /* PEM or DER */

/* The standard test set in dir (created if missing), every key generated fresh:
 *  jpki-ca.crt jpki-ca.key                      JPKI-like auth CA (RSA-2048, self-signed)
 *  card-auth.der card-auth.crt card-auth.key    JPKI auth cert for the virtual card (RSA-2048)
 *  card-expired.der  card-notyet.der            same key, validity past / future
 *  other-ca.crt other-ca.key card-unknown-ca.der  a card cert from a CA nobody trusts
 *  tls-ca.crt tls-ca.key                        TLS CA
 *  server.crt server.key                        SAN localhost, 127.0.0.1, ::1
 *  server-expired.crt server-wronghost.crt      same server key; expired / SAN wrong.invalid
 *  client.crt client.key client-expired.crt     TLS client (institution) cert
 * (.crt = PEM, .der = DER). Returns 0 or negative. `onshi-pki DIR` runs it. */
int pki_make_standard(const char *dir);

#endif
