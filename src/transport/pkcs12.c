/*
 * PKCS#12 (.p12/.pfx, RFC 7292) reader — institutions receive their client certificate in
 * this form. mbedTLS 2.28 has the PBE primitives but no container parser, and its PBES2
 * knows neither AES nor HMAC-SHA-256 PRFs everywhere, so the ASN.1 walk and PBES2 are done
 * here with mbedTLS's asn1/md/cipher/pkcs5 functions. Supported: what `openssl pkcs12
 * -export` writes by default with OpenSSL 3 (PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC, MAC
 * SHA-256), PBES2 with SHA-1/AES-128/3DES, and the legacy pbeWithSHAAnd3-KeyTripleDES-CBC.
 * RC2-40 (OpenSSL's old default for the certificate bag) is refused with a clear message:
 * mbedTLS has no RC2.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OID_PKCS7_DATA "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01"
#define OID_PKCS7_ENCRYPTED "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x06"
#define OID_KEY_BAG "\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x0A\x01\x01"
#define OID_SHROUDED_KEY_BAG "\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x0A\x01\x02"
#define OID_CERT_BAG "\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x0A\x01\x03"
#define OID_X509_CERT "\x2A\x86\x48\x86\xF7\x0D\x01\x09\x16\x01"
#define OID_PBES2 "\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0D"
#define OID_PBKDF2 "\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0C"
#define OID_PBE_SHA1_3DES "\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x01\x03"
#define OID_PBE_SHA1_RC2_40 "\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x01\x06"
#define OID_AES128_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x02"
#define OID_AES192_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x16"
#define OID_AES256_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x2A"
#define OID_DES_EDE3_CBC "\x2A\x86\x48\x86\xF7\x0D\x03\x07"

#define OID_HMAC_SHA1 "\x2A\x86\x48\x86\xF7\x0D\x02\x07"
#define OID_HMAC_SHA224 "\x2A\x86\x48\x86\xF7\x0D\x02\x08"
#define OID_HMAC_SHA256 "\x2A\x86\x48\x86\xF7\x0D\x02\x09"
#define OID_HMAC_SHA384 "\x2A\x86\x48\x86\xF7\x0D\x02\x0A"
#define OID_HMAC_SHA512 "\x2A\x86\x48\x86\xF7\x0D\x02\x0B"
#define OID_SHA1 "\x2B\x0E\x03\x02\x1A"
#define OID_SHA224 "\x60\x86\x48\x01\x65\x03\x04\x02\x04"
#define OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define OID_SHA384 "\x60\x86\x48\x01\x65\x03\x04\x02\x02"
#define OID_SHA512 "\x60\x86\x48\x01\x65\x03\x04\x02\x03"

#define OID_IS(buf, lit) \
    ((buf)->len == sizeof(lit) - 1 && memcmp((buf)->p, (lit), sizeof(lit) - 1) == 0)

#define MAX_CERTS 8

/* Own OID tables: mbedtls_oid_get_md_* lookups are gone in mbedTLS 4. */
static int md_of(const mbedtls_asn1_buf *oid, bool hmac, mbedtls_md_type_t *md)
{
    static const struct {
        const char *digest, *hmac;
        size_t dl, hl;
        mbedtls_md_type_t md;
    } t[] = {
        {OID_SHA1, OID_HMAC_SHA1, sizeof OID_SHA1 - 1, sizeof OID_HMAC_SHA1 - 1, MBEDTLS_MD_SHA1},
        {OID_SHA224, OID_HMAC_SHA224, sizeof OID_SHA224 - 1, sizeof OID_HMAC_SHA224 - 1, MBEDTLS_MD_SHA224},
        {OID_SHA256, OID_HMAC_SHA256, sizeof OID_SHA256 - 1, sizeof OID_HMAC_SHA256 - 1, MBEDTLS_MD_SHA256},
        {OID_SHA384, OID_HMAC_SHA384, sizeof OID_SHA384 - 1, sizeof OID_HMAC_SHA384 - 1, MBEDTLS_MD_SHA384},
        {OID_SHA512, OID_HMAC_SHA512, sizeof OID_SHA512 - 1, sizeof OID_HMAC_SHA512 - 1, MBEDTLS_MD_SHA512},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *o = hmac ? t[i].hmac : t[i].digest;
        size_t l = hmac ? t[i].hl : t[i].dl;
        if (oid->len == l && memcmp(oid->p, o, l) == 0 && mbedtls_md_info_from_type(t[i].md)) {
            *md = t[i].md;
            return 0;
        }
    }
    return -1;
}

typedef struct p12 {
    onshi_ctx *ctx;
    const char *pw;
    size_t pwlen;
    /* certificates found (pointers into the input or into decrypted buffers) */
    const unsigned char *cert[MAX_CERTS];
    size_t cert_len[MAX_CERTS];
    int ncert;
    unsigned char *key_der; /* decrypted PrivateKeyInfo, owned, wiped */
    size_t key_len;
    unsigned char *plain[MAX_CERTS + 2]; /* decrypted buffers to free */
    size_t plain_len[MAX_CERTS + 2];
    int nplain;
} p12;

static int bad(p12 *s, const char *what, int r)
{
    return onshi__err_foreign(s->ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, r,
                              "PKCS#12 file is not readable: %s", what);
}

static int wrong_password(p12 *s, int r)
{
    return onshi__err_ja(s->ctx, ONSHI_E_CLIENT_CERT_PASSWORD, ONSHI_FOREIGN_MBEDTLS, r,
                         "wrong password for the PKCS#12 file",
                         "クライアント証明書（PKCS#12）のパスワードが違います");
}

/* PKCS#12 MAC passwords are BMPStrings: UTF-16BE with a terminating 00 00 (RFC 7292 B.1). */
static unsigned char *bmp_password(const char *pw, size_t *outlen)
{
    size_t n = strlen(pw);
    unsigned char *o = calloc(2 * n + 2, 1);
    if (o == NULL)
        return NULL;
    size_t j = 0;
    const unsigned char *u = (const unsigned char *)pw;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        if (u[i] < 0x80) {
            cp = u[i++];
        } else if ((u[i] & 0xE0) == 0xC0 && i + 1 < n) {
            cp = ((u[i] & 0x1Fu) << 6) | (u[i + 1] & 0x3Fu);
            i += 2;
        } else if ((u[i] & 0xF0) == 0xE0 && i + 2 < n) {
            cp = ((u[i] & 0x0Fu) << 12) | ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3Fu);
            i += 3;
        } else {
            cp = '?'; /* outside the BMP: such a password cannot be typed into OpenSSL either */
            i++;
            while (i < n && (u[i] & 0xC0) == 0x80)
                i++;
        }
        o[j++] = (unsigned char)(cp >> 8);
        o[j++] = (unsigned char)cp;
    }
    o[j++] = 0;
    o[j++] = 0;
    *outlen = j;
    return o;
}

static int verify_mac(p12 *s, const unsigned char *data, size_t dlen, unsigned char **p,
                      const unsigned char *end)
{
    size_t len;
    int r = mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (r != 0)
        return bad(s, "MacData", r);
    const unsigned char *mend = *p + len;
    /* DigestInfo */
    r = mbedtls_asn1_get_tag(p, mend, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (r != 0)
        return bad(s, "MAC DigestInfo", r);
    const unsigned char *dend = *p + len;
    mbedtls_asn1_buf alg, params;
    r = mbedtls_asn1_get_alg(p, dend, &alg, &params);
    if (r != 0)
        return bad(s, "MAC algorithm", r);
    mbedtls_md_type_t md;
    if (md_of(&alg, false, &md) != 0)
        return bad(s, "unsupported MAC digest", 0);
    r = mbedtls_asn1_get_tag(p, dend, &len, MBEDTLS_ASN1_OCTET_STRING);
    if (r != 0)
        return bad(s, "MAC value", r);
    const unsigned char *mac = *p;
    size_t maclen = len;
    *p += len;
    r = mbedtls_asn1_get_tag(p, mend, &len, MBEDTLS_ASN1_OCTET_STRING);
    if (r != 0)
        return bad(s, "MAC salt", r);
    const unsigned char *salt = *p;
    size_t saltlen = len;
    *p += len;
    int iter = 1;
    if (*p < mend && (r = mbedtls_asn1_get_int(p, mend, &iter)) != 0)
        return bad(s, "MAC iterations", r);
    if (iter < 1 || iter > 10000000)
        return bad(s, "MAC iteration count out of range", 0);

    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    size_t hl = mbedtls_md_get_size(mi);
    if (maclen != hl)
        return bad(s, "MAC length", 0);
    size_t bl = 0;
    unsigned char *bmp = bmp_password(s->pw, &bl);
    if (bmp == NULL)
        return onshi__err(s->ctx, ONSHI_E_NOMEM, "out of memory");
    unsigned char key[64], out[64];
    r = mbedtls_pkcs12_derivation(key, hl, bmp, bl, salt, saltlen, md,
                                  MBEDTLS_PKCS12_DERIVE_MAC_KEY, iter);
    mbedtls_platform_zeroize(bmp, bl);
    free(bmp);
    if (r == 0)
        r = mbedtls_md_hmac(mi, key, hl, data, dlen, out);
    mbedtls_platform_zeroize(key, sizeof key);
    if (r != 0)
        return bad(s, "MAC computation", r);
    unsigned diff = 0;
    for (size_t i = 0; i < hl; i++)
        diff |= (unsigned)(out[i] ^ mac[i]);
    if (diff != 0)
        return wrong_password(s, MBEDTLS_ERR_PKCS12_PASSWORD_MISMATCH);
    return ONSHI_OK;
}

static int pbkdf2(mbedtls_md_type_t md, const char *pw, size_t pwlen, const unsigned char *salt,
                  size_t saltlen, int iter, size_t keylen, unsigned char *key)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03030000 /* _ext appeared in 3.3; the old form is deprecated */
    return mbedtls_pkcs5_pbkdf2_hmac_ext(md, (const unsigned char *)pw, pwlen, salt, saltlen,
                                         (unsigned)iter, (uint32_t)keylen, key);
#else
    mbedtls_md_context_t m;
    mbedtls_md_init(&m);
    int r = mbedtls_md_setup(&m, mbedtls_md_info_from_type(md), 1);
    if (r == 0)
        r = mbedtls_pkcs5_pbkdf2_hmac(&m, (const unsigned char *)pw, pwlen, salt, saltlen,
                                      (unsigned)iter, (uint32_t)keylen, key);
    mbedtls_md_free(&m);
    return r;
#endif
}

/* Decrypt with PBES2 (RFC 8018): PBKDF2 + a CBC cipher with PKCS#7 padding. */
static int pbes2_decrypt(p12 *s, const mbedtls_asn1_buf *params, const unsigned char *in,
                         size_t inlen, unsigned char *out, size_t *outlen)
{
    unsigned char *p = params->p;
    const unsigned char *end = p + params->len;
    mbedtls_asn1_buf kdf, kdfp, enc, encp;
    int r;
    if (params->tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return bad(s, "PBES2 parameters", 0);
    if ((r = mbedtls_asn1_get_alg(&p, end, &kdf, &kdfp)) != 0 || !OID_IS(&kdf, OID_PBKDF2) ||
        kdfp.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return bad(s, "PBES2 key derivation (only PBKDF2 is defined)", r);
    if ((r = mbedtls_asn1_get_alg(&p, end, &enc, &encp)) != 0)
        return bad(s, "PBES2 encryption scheme", r);

    unsigned char *q = kdfp.p;
    const unsigned char *qend = q + kdfp.len;
    size_t len;
    if ((r = mbedtls_asn1_get_tag(&q, qend, &len, MBEDTLS_ASN1_OCTET_STRING)) != 0)
        return bad(s, "PBKDF2 salt", r);
    const unsigned char *salt = q;
    size_t saltlen = len;
    q += len;
    int iter = 0, keylen = 0;
    if ((r = mbedtls_asn1_get_int(&q, qend, &iter)) != 0 || iter < 1 || iter > 10000000)
        return bad(s, "PBKDF2 iterations", r);
    if (q < qend && *q == MBEDTLS_ASN1_INTEGER &&
        (r = mbedtls_asn1_get_int(&q, qend, &keylen)) != 0)
        return bad(s, "PBKDF2 key length", r);
    mbedtls_md_type_t md = MBEDTLS_MD_SHA1;
    if (q < qend) {
        mbedtls_asn1_buf prf, prfp;
        if ((r = mbedtls_asn1_get_alg(&q, qend, &prf, &prfp)) != 0 ||
            md_of(&prf, true, &md) != 0)
            return bad(s, "unsupported PBKDF2 PRF", r);
    }

    /* Key and IV sizes from the OID (the cipher_info getters differ between 2.28 and 3). */
    mbedtls_cipher_type_t ct;
    size_t klen, ivlen = 16;
    if (OID_IS(&enc, OID_AES256_CBC)) {
        ct = MBEDTLS_CIPHER_AES_256_CBC;
        klen = 32;
    } else if (OID_IS(&enc, OID_AES192_CBC)) {
        ct = MBEDTLS_CIPHER_AES_192_CBC;
        klen = 24;
    } else if (OID_IS(&enc, OID_AES128_CBC)) {
        ct = MBEDTLS_CIPHER_AES_128_CBC;
        klen = 16;
    } else if (OID_IS(&enc, OID_DES_EDE3_CBC)) {
        ct = MBEDTLS_CIPHER_DES_EDE3_CBC;
        klen = 24;
        ivlen = 8;
    } else
        return bad(s, "unsupported PBES2 cipher", 0);
    const mbedtls_cipher_info_t *ci = mbedtls_cipher_info_from_type(ct);
    if (ci == NULL)
        return bad(s, "cipher not built into mbedTLS", 0);
    if (keylen != 0 && (size_t)keylen != klen)
        return bad(s, "PBKDF2 key length does not fit the cipher", 0);
    if (encp.tag != MBEDTLS_ASN1_OCTET_STRING ||
        encp.len != ivlen)
        return bad(s, "PBES2 IV", 0);

    unsigned char key[32];
    r = pbkdf2(md, s->pw, s->pwlen, salt, saltlen, iter, klen, key);
    if (r != 0) {
        mbedtls_platform_zeroize(key, sizeof key);
        return bad(s, "PBKDF2", r);
    }
    mbedtls_cipher_context_t c;
    mbedtls_cipher_init(&c);
    r = mbedtls_cipher_setup(&c, ci);
    if (r == 0)
        r = mbedtls_cipher_setkey(&c, key, (int)(klen * 8), MBEDTLS_DECRYPT);
    if (r == 0)
        r = mbedtls_cipher_set_padding_mode(&c, MBEDTLS_PADDING_PKCS7);
    if (r == 0)
        r = mbedtls_cipher_crypt(&c, encp.p, encp.len, in, inlen, out, outlen);
    mbedtls_cipher_free(&c);
    mbedtls_platform_zeroize(key, sizeof key);
    if (r == MBEDTLS_ERR_CIPHER_INVALID_PADDING)
        return wrong_password(s, r);
    if (r != 0)
        return bad(s, "decryption", r);
    return ONSHI_OK;
}

/* Decrypt `in` under AlgorithmIdentifier (alg, params) into a new owned buffer. */
static int decrypt(p12 *s, const mbedtls_asn1_buf *alg, mbedtls_asn1_buf *params,
                   const unsigned char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
    if (s->nplain >= (int)(sizeof s->plain / sizeof s->plain[0]))
        return bad(s, "too many encrypted parts", 0);
    unsigned char *o = malloc(inlen + 32);
    if (o == NULL)
        return onshi__err(s->ctx, ONSHI_E_NOMEM, "out of memory");
    int rc;
    if (OID_IS(alg, OID_PBES2)) {
        rc = pbes2_decrypt(s, params, in, inlen, o, outlen);
    } else if (OID_IS(alg, OID_PBE_SHA1_3DES)) {
        int r;
#if MBEDTLS_VERSION_NUMBER >= 0x03060000
        r = mbedtls_pkcs12_pbe_ext(params, MBEDTLS_PKCS12_PBE_DECRYPT,
                                   MBEDTLS_CIPHER_DES_EDE3_CBC, MBEDTLS_MD_SHA1,
                                   (const unsigned char *)s->pw, s->pwlen, in, inlen, o,
                                   inlen + 32, outlen);
#else
        r = mbedtls_pkcs12_pbe(params, MBEDTLS_PKCS12_PBE_DECRYPT, MBEDTLS_CIPHER_DES_EDE3_CBC,
                               MBEDTLS_MD_SHA1, (const unsigned char *)s->pw, s->pwlen, in,
                               inlen, o);
        /* 2.28 strips the padding but does not report the length: read it back. */
        *outlen = inlen;
        if (r == 0 && inlen > 0) {
            /* mbedtls_pkcs12_pbe writes the unpadded plaintext; its DER length tells where
             * it ends. */
            unsigned char *pp = o;
            size_t l;
            if (mbedtls_asn1_get_tag(&pp, o + inlen, &l,
                                     MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) == 0)
                *outlen = (size_t)(pp - o) + l;
        }
#endif
        if (r == MBEDTLS_ERR_PKCS12_PASSWORD_MISMATCH)
            rc = wrong_password(s, r);
        else if (r != 0)
            rc = bad(s, "PKCS#12 PBE decryption", r);
        else
            rc = ONSHI_OK;
    } else if (OID_IS(alg, OID_PBE_SHA1_RC2_40)) {
        rc = onshi__err_ja(s->ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_NONE, 0,
                           "PKCS#12 file uses RC2-40 encryption, which mbedTLS does not offer; "
                           "re-export it with `openssl pkcs12 -export` (AES) or convert it to "
                           "PEM (tls_client_cert/tls_client_key)",
                           "この PKCS#12 ファイルは古い暗号（RC2）で保護されています。AES で再出力するか PEM に変換してください");
    } else {
        rc = bad(s, "unsupported encryption algorithm", 0);
    }
    if (rc != ONSHI_OK) {
        mbedtls_platform_zeroize(o, inlen + 32);
        free(o);
        return rc;
    }
    s->plain[s->nplain] = o;
    s->plain_len[s->nplain] = inlen + 32;
    s->nplain++;
    *out = o;
    return ONSHI_OK;
}

static int parse_bags(p12 *s, unsigned char *p, const unsigned char *end)
{
    size_t len;
    int r = mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (r != 0)
        return bad(s, "SafeContents", r);
    end = p + len;
    while (p < end) {
        if ((r = mbedtls_asn1_get_tag(&p, end, &len,
                                      MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
            return bad(s, "SafeBag", r);
        const unsigned char *bend = p + len;
        mbedtls_asn1_buf id;
        if ((r = mbedtls_asn1_get_tag(&p, bend, &id.len, MBEDTLS_ASN1_OID)) != 0)
            return bad(s, "bag id", r);
        id.p = p;
        p += id.len;
        if ((r = mbedtls_asn1_get_tag(&p, bend, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
                                                          MBEDTLS_ASN1_CONSTRUCTED | 0)) != 0)
            return bad(s, "bag value", r);
        unsigned char *v = p;
        const unsigned char *vend = p + len;
        if (OID_IS(&id, OID_CERT_BAG)) {
            size_t l2;
            if ((r = mbedtls_asn1_get_tag(&v, vend, &l2,
                                          MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
                return bad(s, "CertBag", r);
            mbedtls_asn1_buf ct;
            if ((r = mbedtls_asn1_get_tag(&v, vend, &ct.len, MBEDTLS_ASN1_OID)) != 0)
                return bad(s, "CertBag type", r);
            ct.p = v;
            v += ct.len;
            if (OID_IS(&ct, OID_X509_CERT)) {
                if ((r = mbedtls_asn1_get_tag(&v, vend, &l2,
                                              MBEDTLS_ASN1_CONTEXT_SPECIFIC |
                                                  MBEDTLS_ASN1_CONSTRUCTED | 0)) != 0 ||
                    (r = mbedtls_asn1_get_tag(&v, vend, &l2, MBEDTLS_ASN1_OCTET_STRING)) != 0)
                    return bad(s, "certificate value", r);
                if (s->ncert < MAX_CERTS) {
                    s->cert[s->ncert] = v;
                    s->cert_len[s->ncert] = l2;
                    s->ncert++;
                }
            }
        } else if (OID_IS(&id, OID_SHROUDED_KEY_BAG) || OID_IS(&id, OID_KEY_BAG)) {
            if (s->key_der != NULL)
                return bad(s, "more than one private key", 0);
            if (OID_IS(&id, OID_KEY_BAG)) {
                s->key_der = malloc(len);
                if (s->key_der == NULL)
                    return onshi__err(s->ctx, ONSHI_E_NOMEM, "out of memory");
                memcpy(s->key_der, v, len);
                s->key_len = len;
            } else {
                size_t l2;
                if ((r = mbedtls_asn1_get_tag(&v, vend, &l2, MBEDTLS_ASN1_CONSTRUCTED |
                                                                 MBEDTLS_ASN1_SEQUENCE)) != 0)
                    return bad(s, "EncryptedPrivateKeyInfo", r);
                mbedtls_asn1_buf alg, params;
                if ((r = mbedtls_asn1_get_alg(&v, vend, &alg, &params)) != 0 ||
                    (r = mbedtls_asn1_get_tag(&v, vend, &l2, MBEDTLS_ASN1_OCTET_STRING)) != 0)
                    return bad(s, "EncryptedPrivateKeyInfo", r);
                unsigned char *plain = NULL;
                size_t pl = 0;
                int rc = decrypt(s, &alg, &params, v, l2, &plain, &pl);
                if (rc != ONSHI_OK)
                    return rc;
                s->key_der = malloc(pl);
                if (s->key_der == NULL)
                    return onshi__err(s->ctx, ONSHI_E_NOMEM, "out of memory");
                memcpy(s->key_der, plain, pl);
                s->key_len = pl;
            }
        }
        p = (unsigned char *)bend;
    }
    return ONSHI_OK;
}

static int parse_authsafe(p12 *s, unsigned char *p, const unsigned char *end)
{
    size_t len;
    int r = mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (r != 0)
        return bad(s, "AuthenticatedSafe", r);
    end = p + len;
    while (p < end) {
        if ((r = mbedtls_asn1_get_tag(&p, end, &len,
                                      MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
            return bad(s, "ContentInfo", r);
        const unsigned char *cend = p + len;
        mbedtls_asn1_buf type;
        if ((r = mbedtls_asn1_get_tag(&p, cend, &type.len, MBEDTLS_ASN1_OID)) != 0)
            return bad(s, "content type", r);
        type.p = p;
        p += type.len;
        if ((r = mbedtls_asn1_get_tag(&p, cend, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
                                                          MBEDTLS_ASN1_CONSTRUCTED | 0)) != 0)
            return bad(s, "content", r);
        if (OID_IS(&type, OID_PKCS7_DATA)) {
            if ((r = mbedtls_asn1_get_tag(&p, cend, &len, MBEDTLS_ASN1_OCTET_STRING)) != 0)
                return bad(s, "data content", r);
            int rc = parse_bags(s, p, p + len);
            if (rc != ONSHI_OK)
                return rc;
        } else if (OID_IS(&type, OID_PKCS7_ENCRYPTED)) {
            size_t l2;
            if ((r = mbedtls_asn1_get_tag(&p, cend, &l2,
                                          MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
                return bad(s, "EncryptedData", r);
            int ver;
            if ((r = mbedtls_asn1_get_int(&p, cend, &ver)) != 0)
                return bad(s, "EncryptedData version", r);
            if ((r = mbedtls_asn1_get_tag(&p, cend, &l2,
                                          MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
                return bad(s, "EncryptedContentInfo", r);
            const unsigned char *eend = p + l2;
            mbedtls_asn1_buf ct, alg, params;
            if ((r = mbedtls_asn1_get_tag(&p, eend, &ct.len, MBEDTLS_ASN1_OID)) != 0)
                return bad(s, "encrypted content type", r);
            p += ct.len;
            if ((r = mbedtls_asn1_get_alg(&p, eend, &alg, &params)) != 0)
                return bad(s, "content encryption algorithm", r);
            /* [0] IMPLICIT OCTET STRING: primitive as written by OpenSSL. */
            if ((r = mbedtls_asn1_get_tag(&p, eend, &l2, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0)) != 0)
                return bad(s, "encrypted content (constructed form is not supported)", r);
            unsigned char *plain = NULL;
            size_t pl = 0;
            int rc = decrypt(s, &alg, &params, p, l2, &plain, &pl);
            if (rc != ONSHI_OK)
                return rc;
            rc = parse_bags(s, plain, plain + pl);
            if (rc != ONSHI_OK)
                return rc;
        } else {
            return bad(s, "unsupported content type (public-key protected PKCS#12?)", 0);
        }
        p = (unsigned char *)cend;
    }
    return ONSHI_OK;
}

static int pk_parse_der(mbedtls_pk_context *key, const unsigned char *der, size_t len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_key(key, der, len, NULL, 0, onshi__random_cb, NULL);
#else
    return mbedtls_pk_parse_key(key, der, len, NULL, 0);
#endif
}

/* The certificate belongs to the key when its SubjectPublicKeyInfo equals the key's public
 * half: an exact byte comparison, much cheaper than mbedtls_pk_check_pair's RSA checks. */
int onshi__pk_matches_crt(const mbedtls_x509_crt *c, mbedtls_pk_context *key)
{
    unsigned char buf[2600];
    int n = mbedtls_pk_write_pubkey_der(key, buf, sizeof buf);
    return n > 0 && (size_t)n == c->pk_raw.len &&
           memcmp(buf + sizeof buf - (size_t)n, c->pk_raw.p, (size_t)n) == 0;
}

static int assemble(p12 *s, mbedtls_x509_crt *crt, mbedtls_pk_context *key)
{
    if (s->key_der == NULL)
        return bad(s, "no private key inside", 0);
    if (s->ncert == 0)
        return bad(s, "no certificate inside", 0);
    int r = pk_parse_der(key, s->key_der, s->key_len);
    if (r != 0)
        return bad(s, "private key", r);
    int ee = -1;
    for (int i = 0; i < s->ncert && ee < 0; i++) {
        mbedtls_x509_crt t;
        mbedtls_x509_crt_init(&t);
        if (mbedtls_x509_crt_parse_der(&t, s->cert[i], s->cert_len[i]) == 0 &&
            onshi__pk_matches_crt(&t, key))
            ee = i;
        mbedtls_x509_crt_free(&t);
    }
    if (ee < 0)
        return bad(s, "no certificate matches the private key", 0);
    /* End-entity first: mbedtls_ssl_conf_own_cert sends the chain in list order. */
    if ((r = mbedtls_x509_crt_parse_der(crt, s->cert[ee], s->cert_len[ee])) != 0)
        return bad(s, "certificate", r);
    for (int i = 0; i < s->ncert; i++)
        if (i != ee && (r = mbedtls_x509_crt_parse_der(crt, s->cert[i], s->cert_len[i])) != 0)
            return bad(s, "chain certificate", r);
    return ONSHI_OK;
}

int onshi__pkcs12_parse(onshi_ctx *ctx, const unsigned char *der, size_t dlen,
                        const char *password, mbedtls_x509_crt *crt, mbedtls_pk_context *key)
{
    p12 s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.pw = password != NULL ? password : "";
    s.pwlen = strlen(s.pw);

    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + dlen;
    size_t len;
    int rc, r, ver;
    if ((r = mbedtls_asn1_get_tag(&p, end, &len,
                                  MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0) {
        rc = bad(&s, "not a PKCS#12 (PFX) structure", r);
        goto out;
    }
    end = p + len;
    if ((r = mbedtls_asn1_get_int(&p, end, &ver)) != 0 || ver != 3) {
        rc = bad(&s, "PFX version is not 3", r);
        goto out;
    }
    /* authSafe ContentInfo of type data */
    if ((r = mbedtls_asn1_get_tag(&p, end, &len,
                                  MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0) {
        rc = bad(&s, "authSafe", r);
        goto out;
    }
    const unsigned char *aend = p + len;
    mbedtls_asn1_buf type;
    if ((r = mbedtls_asn1_get_tag(&p, aend, &type.len, MBEDTLS_ASN1_OID)) != 0) {
        rc = bad(&s, "authSafe type", r);
        goto out;
    }
    type.p = p;
    p += type.len;
    if (!OID_IS(&type, OID_PKCS7_DATA)) {
        rc = bad(&s, "authSafe is not password-integrity data", 0);
        goto out;
    }
    if ((r = mbedtls_asn1_get_tag(&p, aend, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
                                                      MBEDTLS_ASN1_CONSTRUCTED | 0)) != 0 ||
        (r = mbedtls_asn1_get_tag(&p, aend, &len, MBEDTLS_ASN1_OCTET_STRING)) != 0) {
        rc = bad(&s, "authSafe content", r);
        goto out;
    }
    unsigned char *content = p;
    size_t clen = len;
    p = (unsigned char *)aend;
    /* The MAC proves the password before any decryption is attempted. */
    if (p < end) {
        rc = verify_mac(&s, content, clen, &p, end);
        if (rc != ONSHI_OK)
            goto out;
    }
    rc = parse_authsafe(&s, content, content + clen);
    if (rc == ONSHI_OK)
        rc = assemble(&s, crt, key);
out:
    for (int i = 0; i < s.nplain; i++) {
        mbedtls_platform_zeroize(s.plain[i], s.plain_len[i]);
        free(s.plain[i]);
    }
    if (s.key_der != NULL) {
        mbedtls_platform_zeroize(s.key_der, s.key_len);
        free(s.key_der);
    }
    return rc;
}

int onshi__pkcs12_parse_file(onshi_ctx *ctx, const char *path, const char *password,
                             mbedtls_x509_crt *crt, mbedtls_pk_context *key)
{
    FILE *f = onshi__os_fopen(path, "rb");
    if (f == NULL) {
        char en[1200];
        snprintf(en, sizeof en, "cannot open PKCS#12 file %s", path);
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_NONE, 0, en,
                             "クライアント証明書ファイル（PKCS#12）を開けません");
    }
    /* A secret buffer: the file may hold an unencrypted KeyBag, and realloc would leave
     * copies of it in freed memory; unbuffered, so stdio keeps no copy of its own either. */
    setvbuf(f, NULL, _IONBF, 0);
    onshi_buf b;
    onshi__buf_init(&b, true);
    unsigned char tmp[4096];
    size_t got;
    int rc = ONSHI_OK;
    while (rc == ONSHI_OK && (got = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (b.len + got > (size_t)1 << 20)
            rc = onshi__err(ctx, ONSHI_E_CLIENT_CERT, "PKCS#12 file %s is over 1 MiB", path);
        else if (onshi__buf_append(&b, tmp, got) != ONSHI_OK)
            rc = onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    }
    mbedtls_platform_zeroize(tmp, sizeof tmp);
    fclose(f);
    if (rc == ONSHI_OK)
        rc = onshi__pkcs12_parse(ctx, b.data, b.len, password, crt, key);
    onshi__buf_clear(&b);
    return rc;
}
