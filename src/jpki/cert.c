/*
 * X.509 certificates through mbedTLS (2.28; builds on 3.6): parsing with the JPKI policies
 * accepted, getters, chain verification against the configured JPKI CAs, and signature
 * verification with the certificate's key (RSA or ECDSA, from the key itself).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define CRT_PRIV(c, f) ((c)->MBEDTLS_PRIVATE(f))
#else
#define CRT_PRIV(c, f) ((c)->f)
#endif

struct onshi_cert {
    mbedtls_x509_crt crt;
    char serial[2 * MBEDTLS_X509_RFC5280_MAX_SERIAL_LEN + 1];
    char issuer[512];
    char subject[512];
    char not_before[15];
    char not_after[15];
    int64_t not_after_epoch;
};

/* ---- certificatePolicies ---------------------------------------------------------------- */

static bool policy_accepted(const char *oid)
{
    if (strcmp(oid, "2.5.29.32.0") == 0) /* anyPolicy */
        return true;
    for (size_t i = 0; i < onshi__jpki_profile_count(); i++) {
        const char *arc = onshi__jpki_profile_at(i)->policy_arc;
        if (strncmp(oid, arc, strlen(arc)) == 0)
            return true;
    }
    return false;
}

/* JPKI certificates carry a *critical* certificatePolicies extension with J-LIS policy OIDs,
 * which mbedTLS refuses unless told: accept it when every policy is a JPKI one. */
static int ext_cb(void *p_ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                  int critical, const unsigned char *p, const unsigned char *end)
{
    (void)p_ctx;
    (void)crt;
    (void)critical;
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_CERTIFICATE_POLICIES, oid) != 0)
        return -1;
    unsigned char *q = (unsigned char *)p;
    size_t len;
    if (mbedtls_asn1_get_tag(&q, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return -1;
    if (q + len != end || len == 0)
        return -1;
    while (q < end) {
        size_t plen;
        if (mbedtls_asn1_get_tag(&q, end, &plen,
                                 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
            return -1;
        const unsigned char *pend = q + plen;
        mbedtls_asn1_buf po;
        po.tag = MBEDTLS_ASN1_OID;
        if (mbedtls_asn1_get_tag(&q, pend, &po.len, MBEDTLS_ASN1_OID))
            return -1;
        po.p = q;
        char s[96];
        if (mbedtls_oid_get_numeric_string(s, sizeof s, &po) < 0 || !policy_accepted(s))
            return -1;
        q = (unsigned char *)pend; /* qualifiers are informational */
    }
    return 0;
}

static int parse_into(mbedtls_x509_crt *chain, const unsigned char *der, size_t len)
{
    return mbedtls_x509_crt_parse_der_with_ext_cb(chain, der, len, 1, ext_cb, NULL);
}

/* ---- time ------------------------------------------------------------------------------ */

static void x509_str(char out[15], const mbedtls_x509_time *t)
{
    unsigned v[6] = {(unsigned)t->year % 10000u, (unsigned)t->mon % 100u, (unsigned)t->day % 100u,
                     (unsigned)t->hour % 100u, (unsigned)t->min % 100u, (unsigned)t->sec % 100u};
    out[0] = (char)('0' + v[0] / 1000);
    out[1] = (char)('0' + v[0] / 100 % 10);
    out[2] = (char)('0' + v[0] / 10 % 10);
    out[3] = (char)('0' + v[0] % 10);
    for (int i = 1; i < 6; i++) {
        out[2 + 2 * i] = (char)('0' + v[i] / 10);
        out[3 + 2 * i] = (char)('0' + v[i] % 10);
    }
    out[14] = '\0';
}

/* ---- parse and getters ----------------------------------------------------------------- */

int onshi__cert_parse(onshi_cert **out, onshi_ctx *ctx, const unsigned char *der, size_t len)
{
    *out = NULL;
    onshi_cert *c = onshi__calloc(1, sizeof *c);
    if (c == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "certificate");
    mbedtls_x509_crt_init(&c->crt);
    int ret = parse_into(&c->crt, der, len);
    if (ret != 0) {
        char m[128];
        mbedtls_strerror(ret, m, sizeof m);
        mbedtls_x509_crt_free(&c->crt);
        free(c);
        return onshi__err_foreign(ctx, ONSHI_E_JPKI_CERT_PARSE, ONSHI_FOREIGN_MBEDTLS, ret,
                                  "X.509 DER of %zu bytes: %s", len, m);
    }
    const mbedtls_x509_buf *sn = &c->crt.serial;
    size_t n = sn->len < MBEDTLS_X509_RFC5280_MAX_SERIAL_LEN ? sn->len
                                                              : MBEDTLS_X509_RFC5280_MAX_SERIAL_LEN;
    onshi__hex(c->serial, sn->p, n);
    if (mbedtls_x509_dn_gets(c->issuer, sizeof c->issuer, &c->crt.issuer) < 0)
        c->issuer[0] = '\0';
    if (mbedtls_x509_dn_gets(c->subject, sizeof c->subject, &c->crt.subject) < 0)
        c->subject[0] = '\0';
    x509_str(c->not_before, &c->crt.valid_from);
    x509_str(c->not_after, &c->crt.valid_to);
    c->not_after_epoch = onshi__x509_epoch(&c->crt.valid_to);
    *out = c;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_cert_from_der(onshi_cert **out, onshi_ctx *ctx,
                                             const unsigned char *der, size_t len)
{
    if (out == NULL || der == NULL || len == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out, der and len are required");
    return onshi__cert_parse(out, ctx, der, len);
}

ONSHI_API void ONSHI_CALL onshi_cert_free(onshi_cert *cert)
{
    if (cert == NULL)
        return;
    mbedtls_x509_crt_free(&cert->crt);
    free(cert);
}

ONSHI_API const char *ONSHI_CALL onshi_cert_serial_hex(const onshi_cert *cert)
{
    return cert ? cert->serial : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_cert_issuer(const onshi_cert *cert)
{
    return cert ? cert->issuer : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_cert_subject(const onshi_cert *cert)
{
    return cert ? cert->subject : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_cert_not_before(const onshi_cert *cert)
{
    return cert ? cert->not_before : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_cert_not_after(const onshi_cert *cert)
{
    return cert ? cert->not_after : NULL;
}

ONSHI_API int64_t ONSHI_CALL onshi_cert_not_after_epoch(const onshi_cert *cert)
{
    return cert ? cert->not_after_epoch : 0;
}

ONSHI_API int ONSHI_CALL onshi_cert_days_left(int64_t *out, const onshi_cert *cert)
{
    if (out != NULL)
        *out = 0;
    if (out == NULL || cert == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = onshi__days_left(cert->not_after_epoch, onshi__clock_s(NULL));
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_cert_key_type(const onshi_cert *cert)
{
    if (cert == NULL)
        return 0;
    if (mbedtls_pk_can_do(&cert->crt.pk, MBEDTLS_PK_RSA))
        return ONSHI_KEY_RSA;
    if (mbedtls_pk_can_do(&cert->crt.pk, MBEDTLS_PK_ECDSA))
        return ONSHI_KEY_EC;
    return 0;
}

ONSHI_API int ONSHI_CALL onshi_cert_key_bits(const onshi_cert *cert)
{
    return cert ? (int)mbedtls_pk_get_bitlen(&cert->crt.pk) : 0;
}

ONSHI_API int ONSHI_CALL onshi_cert_key_usage(const onshi_cert *cert)
{
    if (cert == NULL)
        return ONSHI_E_INVALID_ARG;
    if (!(CRT_PRIV(&cert->crt, ext_types) & MBEDTLS_X509_EXT_KEY_USAGE))
        return ONSHI_E_NOT_FOUND;
    return (int)(CRT_PRIV(&cert->crt, key_usage) & 0xFF);
}

ONSHI_API int ONSHI_CALL onshi_cert_der(onshi_buf **out, const onshi_cert *cert)
{
    if (out == NULL || cert == NULL)
        return ONSHI_E_INVALID_ARG;
    return onshi__buf_new_copy(cert->crt.raw.p, cert->crt.raw.len, out);
}

/* ---- signature ------------------------------------------------------------------------- */

int onshi__cert_verify_sig(onshi_ctx *ctx, const onshi_cert *cert, int hash_alg,
                           const unsigned char *hash, size_t hash_len, const unsigned char *sig,
                           size_t sig_len)
{
    mbedtls_md_type_t md = hash_alg == ONSHI_HASH_SHA384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
    /* mbedtls_pk_verify picks PKCS#1 v1.5 or ECDSA from the key in the certificate. */
    int ret = mbedtls_pk_verify((mbedtls_pk_context *)&cert->crt.pk, md, hash, hash_len, sig,
                                sig_len);
    if (ret != 0)
        return onshi__err_foreign(ctx, ONSHI_E_JPKI_SIGNATURE, ONSHI_FOREIGN_MBEDTLS, ret,
                                  "signature of %zu bytes does not verify with the key of "
                                  "certificate %s",
                                  sig_len, cert->serial);
    return ONSHI_OK;
}

/* ---- CA set and chain verification ------------------------------------------------------ */

ONSHI_API int ONSHI_CALL onshi_cert_verify(onshi_ctx *ctx, const onshi_cert *cert)
{
    if (ctx == NULL || cert == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "ctx and cert are required");
    mbedtls_x509_crt cas;
    mbedtls_x509_crt_init(&cas);
    int rc = onshi__x509_load_cas(ctx, &cas, onshi__opt_str(ctx, ONSHI_OPT_JPKI_CA_FILES),
                                  "jpki_ca_files", parse_into, NULL);
    if (rc != ONSHI_OK) {
        mbedtls_x509_crt_free(&cas);
        return rc;
    }
    uint32_t flags = 0;
    int ret = mbedtls_x509_crt_verify((mbedtls_x509_crt *)&cert->crt, &cas, NULL, NULL, &flags,
                                      NULL, NULL);
    mbedtls_x509_crt_free(&cas);
    if (ret == 0)
        return ONSHI_OK;
    char info[256];
    if (mbedtls_x509_crt_verify_info(info, sizeof info, "", flags) < 0)
        info[0] = '\0';
    for (char *q = info; *q; q++)
        if (*q == '\n')
            *q = ';';
    int status = ONSHI_E_JPKI_CERT_INVALID;
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        status = ONSHI_E_JPKI_CERT_UNKNOWN_ISSUER;
    else if (flags & MBEDTLS_X509_BADCERT_REVOKED)
        status = ONSHI_E_JPKI_CERT_REVOKED;
    else if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        status = ONSHI_E_JPKI_CERT_EXPIRED;
    else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        status = ONSHI_E_JPKI_CERT_NOT_YET_VALID;
    return onshi__err_foreign(ctx, status, ONSHI_FOREIGN_MBEDTLS, ret,
                              "certificate %s (valid %s-%s): %s (flags 0x%x)", cert->serial,
                              cert->not_before, cert->not_after, info, (unsigned)flags);
}
