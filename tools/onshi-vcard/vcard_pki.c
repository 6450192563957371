/*
 * onshi-vcard: card contents generated on the fly with the project's test PKI, and loading
 * them from files.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "vcard_pki.h"

#include "../onshi-pki/pki.h"

#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vcard_material_free(vcard_material *m)
{
    if (m == NULL)
        return;
    free(m->cert);
    free(m->ca);
    if (m->key != NULL)
        mbedtls_platform_zeroize(m->key, m->key_len);
    free(m->key);
    memset(m, 0, sizeof *m);
}

static int key_der(pki_key *k, unsigned char **out, size_t *len)
{
    unsigned char *buf = malloc(4096);
    int n;
    if (buf == NULL)
        return -1;
    n = mbedtls_pk_write_key_der(pki_key_pk(k), buf, 4096);
    if (n <= 0) {
        free(buf);
        return n < 0 ? n : -1;
    }
    /* mbedtls writes at the end of the buffer. */
    memmove(buf, buf + 4096 - n, (size_t)n);
    mbedtls_platform_zeroize(buf + n, 4096 - (size_t)n);
    *out = buf;
    *len = (size_t)n;
    return 0;
}

int vcard_material_generate(vcard_material *m, const char *serial_hex)
{
    return vcard_material_generate_validity(m, serial_hex, 0, 0);
}

int vcard_material_generate_validity(vcard_material *m, const char *serial_hex,
                                     time_t not_before, time_t not_after)
{
    pki_key *ca_key = NULL, *card_key = NULL;
    pki_cert_spec ca_spec, card_spec;
    int rc;

    memset(m, 0, sizeof *m);
    memset(&ca_spec, 0, sizeof ca_spec);
    memset(&card_spec, 0, sizeof card_spec);
    ca_spec.profile = PKI_PROFILE_CA;
    /* The shape of the J-LIS auth CA's name (jpki-card.md), under a test O: with the
     * extensions of PKI_PROFILE_JPKI_AUTH the auth certificate is ~1.3 KB of DER, the size
     * of a real one (docs/virtual-card.md), so reads take as many commands as on a card. */
    ca_spec.subject = "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,"
                      "OU=Japan Agency for Local Authority Information Systems TEST";
    card_spec.profile = PKI_PROFILE_JPKI_AUTH;
    /* A real auth certificate names no person: only a serial-like CN. */
    card_spec.subject = "C=JP,CN=onshi-vcard-0001";
    card_spec.serial_hex = serial_hex;
    card_spec.not_before = not_before;
    card_spec.not_after = not_after;
    if ((rc = pki_key_gen(&ca_key, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&card_key, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_cert_issue(&ca_spec, ca_key, ca_key, NULL, 0, &m->ca, &m->ca_len)) != 0 ||
        (rc = pki_cert_issue(&card_spec, card_key, ca_key, m->ca, m->ca_len, &m->cert,
                             &m->cert_len)) != 0 ||
        (rc = key_der(card_key, &m->key, &m->key_len)) != 0)
        vcard_material_free(m);
    pki_key_free(ca_key);
    pki_key_free(card_key);
    return rc;
}

static int read_all(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL)
        return -1;
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            unsigned char *nb = realloc(buf, cap = n + 65536);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0'; /* mbedTLS wants PEM NUL-terminated */
    *out = buf;
    *len = n;
    return 0;
}

/* PEM or DER to DER without judging the certificate: the card stores whatever it is given,
 * including test certificates mbedTLS would refuse (critical certificatePolicies). */
static int read_cert(const char *path, unsigned char **der, size_t *len)
{
    return pki_cert_read_der(path, der, len);
}

int vcard_material_load(vcard_material *m, const char *cert, const char *key, const char *ca,
                        const char **failed)
{
    int rc;
    memset(m, 0, sizeof *m);
    *failed = cert;
    if ((rc = read_cert(cert, &m->cert, &m->cert_len)) != 0)
        goto fail;
    *failed = ca;
    if ((rc = read_cert(ca, &m->ca, &m->ca_len)) != 0)
        goto fail;
    *failed = key;
    if ((rc = read_all(key, &m->key, &m->key_len)) != 0)
        goto fail;
    if (strstr((char *)m->key, "-----BEGIN") != NULL)
        m->key_len++; /* include the NUL for the PEM parser */
    *failed = NULL;
    return 0;
fail:
    vcard_material_free(m);
    return rc;
}

int vcard_material_export(const vcard_material *m, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/card-auth.der", dir);
    if (pki_cert_write(path, m->cert, m->cert_len, 0) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/jpki-ca.der", dir);
    if (pki_cert_write(path, m->ca, m->ca_len, 0) != 0)
        return -1;
    return 0;
}

void vcard_material_config(vcard_config *cfg, const vcard_material *m)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cert_der = m->cert;
    cfg->cert_len = m->cert_len;
    cfg->ca_der = m->ca;
    cfg->ca_len = m->ca_len;
    cfg->key = m->key;
    cfg->key_len = m->key_len;
}
