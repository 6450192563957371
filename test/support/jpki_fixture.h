/*
 * Certificates for card tests, generated once per test program with the test PKI
 * (tools/onshi-pki): a JPKI-like CA, an auth certificate (good / expired / not yet valid)
 * with its key, and a certificate from a CA nobody trusts. Nothing is committed; the CA
 * files live in a temporary folder removed at exit.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_JPKI_FIXTURE_H
#define ONSHI_TEST_JPKI_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../../tools/onshi-pki/pki.h"

typedef struct jf_der {
    unsigned char *p;
    size_t n;
} jf_der;

typedef struct jpki_fixture {
    pki_key *ca_key, *card_key, *other_key;
    jf_der ca, card, expired, notyet, unknown, other_ca;
    char dir[256];         /* temporary folder */
    char ca_file[300];     /* dir/jpki-ca.crt (PEM) */
    char ca_der_file[300]; /* dir/jpki-ca.der */
    char other_ca_file[300];
} jpki_fixture;

/* Generated on first call; the same for the whole program. */
const jpki_fixture *jf_get(void);
/* RSA PKCS#1 v1.5 signature of a DigestInfo with the card key (the card's operation). */
int jf_card_sign(const uint8_t *di, size_t di_len, uint8_t *sig, size_t *sig_len);

#endif
