/*
 * onshi-vcard: where the card's certificates and key come from (files, or the test PKI).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_VCARD_PKI_H
#define ONSHI_VCARD_PKI_H

#include "vcard.h"

#include <stddef.h>
#include <time.h>

typedef struct vcard_material {
    unsigned char *cert, *ca, *key; /* DER, DER, DER or PEM (NUL counted in key_len) */
    size_t cert_len, ca_len, key_len;
} vcard_material;

/* A fresh JPKI-like CA (RSA-2048) and auth certificate + key (RSA-2048) from the test PKI
 * (tools/onshi-pki). serial_hex may be NULL (random). Returns 0 or negative. */
int vcard_material_generate(vcard_material *m, const char *serial_hex);
/* The same with the auth certificate valid from not_before to not_after (0: the defaults,
 * yesterday and five years on), e.g. an expired card. */
int vcard_material_generate_validity(vcard_material *m, const char *serial_hex,
                                     time_t not_before, time_t not_after);
/* Certificates in PEM or DER, key in PEM or DER (unencrypted). On failure *failed names the
 * file that could not be read. */
int vcard_material_load(vcard_material *m, const char *cert, const char *key, const char *ca,
                        const char **failed);
/* Write the public parts (card-auth.der, jpki-ca.der) into dir, for tests that verify. */
int vcard_material_export(const vcard_material *m, const char *dir);
void vcard_material_free(vcard_material *m);
/* A zeroed vcard_config pointing at m (borrowed: m must outlive vcard_new, which copies). */
void vcard_material_config(vcard_config *cfg, const vcard_material *m);

#endif
