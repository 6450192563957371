/*
 * Test PKI generator on mbedTLS x509write (2.28; 3.6 guarded). See pki.h.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "pki.h"

/* A directory-style distribution point as long as the real ones (a test host): with it the
 * auth certificate is ~1.3 KB of DER, the size of a real one (docs/virtual-card.md). */
#define JPKI_TEST_CRL_URL                                                                  \
    "ldap://crl.jpki-test.invalid/cn%3dCRL%20Distribution%20Point%201%2c"                    \
    "ou%3dAuthentication%20Certificate%20Revocation%20List%2cou%3dJPKI%20for%20"           \
    "user%20authentication%2cou%3dJapan%20Agency%20for%20Local%20Authority%20Information%20" \
    "Systems%20TEST%2co%3dJPKI-TEST%2cc%3dJP?certificateRevocationList"

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#define PKI_ERR_IO (-0x7F00)    /* outside mbedTLS's ranges: file errors */
#define PKI_ERR_ARG (-0x7F01)

struct pki_key {
    mbedtls_pk_context pk;
};

/* ---- random generator shared by all calls ---- */

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static int drbg_ready;
static pthread_once_t drbg_once = PTHREAD_ONCE_INIT;

static void drbg_init(void)
{
    static const char pers[] = "onshi-pki";
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    drbg_ready = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                       (const unsigned char *)pers, sizeof pers - 1) == 0;
}

static pthread_mutex_t drbg_lock = PTHREAD_MUTEX_INITIALIZER;

static int rng(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    pthread_once(&drbg_once, drbg_init);
    if (!drbg_ready)
        return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    pthread_mutex_lock(&drbg_lock);
    int rc = mbedtls_ctr_drbg_random(&drbg, out, len);
    pthread_mutex_unlock(&drbg_lock);
    return rc;
}

/* ---- keys ---- */

int pki_key_gen(pki_key **out, int kind)
{
    if (out == NULL)
        return PKI_ERR_ARG;
    *out = NULL;
    pki_key *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MBEDTLS_ERR_PK_ALLOC_FAILED;
    mbedtls_pk_init(&k->pk);
    int rc;
    if (kind == PKI_KEY_RSA2048) {
        rc = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), rng, NULL, 2048, 65537);
    } else if (kind == PKI_KEY_EC_P256 || kind == PKI_KEY_EC_P384) {
        rc = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0)
            rc = mbedtls_ecp_gen_key(kind == PKI_KEY_EC_P256 ? MBEDTLS_ECP_DP_SECP256R1
                                                             : MBEDTLS_ECP_DP_SECP384R1,
                                     mbedtls_pk_ec(k->pk), rng, NULL);
    } else {
        rc = PKI_ERR_ARG;
    }
    if (rc != 0) {
        pki_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int pki_key_read(pki_key **out, const char *path)
{
    if (out == NULL || path == NULL)
        return PKI_ERR_ARG;
    *out = NULL;
    pki_key *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MBEDTLS_ERR_PK_ALLOC_FAILED;
    mbedtls_pk_init(&k->pk);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    int rc = mbedtls_pk_parse_keyfile(&k->pk, path, NULL, rng, NULL);
#else
    int rc = mbedtls_pk_parse_keyfile(&k->pk, path, NULL);
#endif
    if (rc != 0) {
        pki_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

static int write_file(const char *path, const unsigned char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return PKI_ERR_IO;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return PKI_ERR_IO;
        }
        off += (size_t)n;
    }
    return close(fd) == 0 ? 0 : PKI_ERR_IO;
}

int pki_key_write(const pki_key *key, const char *path)
{
    if (key == NULL || path == NULL)
        return PKI_ERR_ARG;
    unsigned char buf[8192];
    int rc = mbedtls_pk_write_key_pem((mbedtls_pk_context *)&key->pk, buf, sizeof buf);
    if (rc != 0)
        return rc;
    rc = write_file(path, buf, strlen((char *)buf), 0600);
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}

mbedtls_pk_context *pki_key_pk(pki_key *key)
{
    return key ? &key->pk : NULL;
}

void pki_key_free(pki_key *key)
{
    if (key == NULL)
        return;
    mbedtls_pk_free(&key->pk);
    free(key);
}

/* ---- small DER builder for the extensions x509write has no setter for ---- */

typedef struct {
    unsigned char b[1024];
    size_t n;
    int overflow;
} der_buf;

static void der_raw(der_buf *d, const void *p, size_t n)
{
    if (d->n + n > sizeof d->b) {
        d->overflow = 1;
        return;
    }
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

/* Append tag + length + content. */
static void der_tlv(der_buf *d, unsigned char tag, const void *content, size_t len)
{
    unsigned char hdr[4];
    size_t h = 0;
    hdr[h++] = tag;
    if (len < 0x80) {
        hdr[h++] = (unsigned char)len;
    } else if (len < 0x100) {
        hdr[h++] = 0x81;
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = 0x82;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    }
    der_raw(d, hdr, h);
    der_raw(d, content, len);
}

/* Dotted OID text → DER content bytes (base-128 arcs). */
static size_t oid_encode(const char *text, unsigned char *out, size_t cap)
{
    unsigned long arcs[32];
    size_t n = 0;
    const char *p = text;
    while (*p && n < 32) {
        char *end;
        arcs[n++] = strtoul(p, &end, 10);
        p = *end == '.' ? end + 1 : end;
        if (*end != '.' && *end != '\0')
            return 0;
    }
    if (n < 2)
        return 0;
    size_t len = 0;
    unsigned long first = arcs[0] * 40 + arcs[1];
    for (size_t i = 1; i < n; i++) {
        unsigned long v = i == 1 ? first : arcs[i];
        unsigned char tmp[8];
        size_t t = 0;
        do {
            tmp[t++] = (unsigned char)(v & 0x7F);
            v >>= 7;
        } while (v != 0);
        while (t > 0) {
            if (len >= cap)
                return 0;
            t--;
            /* every byte but the last of an arc has the continuation bit */
            out[len++] = (unsigned char)(tmp[t] | (t > 0 ? 0x80 : 0));
        }
    }
    return len;
}

static void der_oid(der_buf *d, const char *text)
{
    unsigned char oid[64];
    size_t n = oid_encode(text, oid, sizeof oid);
    if (n == 0)
        d->overflow = 1;
    der_tlv(d, MBEDTLS_ASN1_OID, oid, n);
}

static int add_ext(mbedtls_x509write_cert *crt, const char *oid_text, int critical,
                   const der_buf *value)
{
    unsigned char oid[64];
    size_t n = oid_encode(oid_text, oid, sizeof oid);
    if (n == 0 || value->overflow)
        return PKI_ERR_ARG;
    return mbedtls_x509write_crt_set_extension(crt, (const char *)oid, n, critical, value->b,
                                               value->n);
}

/* certificatePolicies: SEQUENCE { PolicyInformation SEQUENCE { policyIdentifier } } */
static int ext_policies(mbedtls_x509write_cert *crt)
{
    der_buf pi = {0}, pis = {0}, seq = {0};
    der_oid(&pi, PKI_JPKI_TEST_POLICY_OID);
    der_tlv(&pis, 0x30, pi.b, pi.n);
    der_tlv(&seq, 0x30, pis.b, pis.n);
    /* Critical, as public descriptions of the J-LIS profile mark it (jpki-card.md). */
    return add_ext(crt, "2.5.29.32", 1, &seq);
}

/* cRLDistributionPoints: SEQUENCE { DistributionPoint { [0] { [0] fullName { [6] URI } } } } */
static int ext_crl_dp(mbedtls_x509write_cert *crt, const char *uri)
{
    der_buf name = {0}, full = {0}, dpn = {0}, dp = {0}, seq = {0};
    der_tlv(&name, 0x86, uri, strlen(uri));
    der_tlv(&full, 0xA0, name.b, name.n);
    der_tlv(&dpn, 0xA0, full.b, full.n);
    der_tlv(&dp, 0x30, dpn.b, dpn.n);
    der_tlv(&seq, 0x30, dp.b, dp.n);
    return add_ext(crt, "2.5.29.31", 0, &seq);
}

/* authorityInfoAccess: SEQUENCE { AccessDescription { ocsp OID, [6] URI } } */
static int ext_aia(mbedtls_x509write_cert *crt, const char *uri)
{
    der_buf ad = {0}, seq = {0};
    der_oid(&ad, "1.3.6.1.5.5.7.48.1");
    der_tlv(&ad, 0x86, uri, strlen(uri));
    der_buf ads = {0};
    der_tlv(&ads, 0x30, ad.b, ad.n);
    der_tlv(&seq, 0x30, ads.b, ads.n);
    return add_ext(crt, "1.3.6.1.5.5.7.1.1", 0, &seq);
}

static int ext_eku(mbedtls_x509write_cert *crt, const char *purpose_oid)
{
    der_buf oid = {0}, seq = {0};
    der_oid(&oid, purpose_oid);
    der_tlv(&seq, 0x30, oid.b, oid.n);
    return add_ext(crt, "2.5.29.37", 0, &seq);
}

/* subjectAltName from "DNS:a,IP:1.2.3.4,IP:::1" */
static int ext_san(mbedtls_x509write_cert *crt, const char *san)
{
    der_buf names = {0}, seq = {0};
    char *copy = strdup(san);
    if (copy == NULL)
        return MBEDTLS_ERR_X509_ALLOC_FAILED;
    char *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (strncmp(item, "DNS:", 4) == 0) {
            der_tlv(&names, 0x82, item + 4, strlen(item + 4));
        } else if (strncmp(item, "IP:", 3) == 0) {
            unsigned char ip[16];
            if (inet_pton(AF_INET, item + 3, ip) == 1)
                der_tlv(&names, 0x87, ip, 4);
            else if (inet_pton(AF_INET6, item + 3, ip) == 1)
                der_tlv(&names, 0x87, ip, 16);
            else
                rc = PKI_ERR_ARG;
        } else {
            rc = PKI_ERR_ARG;
        }
    }
    free(copy);
    if (rc != 0)
        return rc;
    der_tlv(&seq, 0x30, names.b, names.n);
    return add_ext(crt, "2.5.29.17", 0, &seq);
}

/* ---- certificates ---- */

static void time_str(char out[16], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* mbedtls_x509_dn_gets writes "C=JP, O=X"; the name parser wants "C=JP,O=X". */
static void dn_compact(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        *w++ = *r;
        if (*r == ',')
            while (r[1] == ' ')
                r++;
    }
    *w = '\0';
}

static int set_serial(mbedtls_x509write_cert *crt, const char *serial_hex)
{
    unsigned char raw[20];
    size_t n = 0;
    if (serial_hex != NULL) {
        size_t len = strlen(serial_hex);
        if (len == 0 || len > 40 || len % 2 != 0)
            return PKI_ERR_ARG;
        for (size_t i = 0; i < len; i += 2) {
            unsigned int v;
            if (sscanf(serial_hex + i, "%2x", &v) != 1)
                return PKI_ERR_ARG;
            raw[n++] = (unsigned char)v;
        }
    } else {
        n = 8;
        int rc = rng(NULL, raw, n);
        if (rc != 0)
            return rc;
        raw[0] &= 0x7F; /* positive */
        raw[0] |= 0x01; /* and 8 bytes long */
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
    return mbedtls_x509write_crt_set_serial_raw(crt, raw, n);
#else
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    int rc = mbedtls_mpi_read_binary(&serial, raw, n);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(crt, &serial);
    mbedtls_mpi_free(&serial);
    return rc;
#endif
}

int pki_cert_issue(const pki_cert_spec *spec, pki_key *subject_key, pki_key *issuer_key,
                   const unsigned char *issuer_der, size_t issuer_len,
                   unsigned char **der_out, size_t *der_len)
{
    if (spec == NULL || subject_key == NULL || issuer_key == NULL || der_out == NULL ||
        der_len == NULL || spec->subject == NULL)
        return PKI_ERR_ARG;
    if (issuer_der == NULL && issuer_key != subject_key)
        return PKI_ERR_ARG;
    *der_out = NULL;
    *der_len = 0;

    mbedtls_x509write_cert crt;
    mbedtls_x509_crt issuer;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_x509_crt_init(&issuer);
    unsigned char *buf = NULL;
    char issuer_name[512];
    int rc;

    if (issuer_der != NULL) {
        rc = mbedtls_x509_crt_parse_der(&issuer, issuer_der, issuer_len);
        if (rc != 0)
            goto out;
        if (mbedtls_x509_dn_gets(issuer_name, sizeof issuer_name, &issuer.subject) < 0) {
            rc = PKI_ERR_ARG;
            goto out;
        }
        dn_compact(issuer_name);
    } else {
        snprintf(issuer_name, sizeof issuer_name, "%s", spec->subject);
    }

    time_t nb = spec->not_before ? spec->not_before : time(NULL) - 86400;
    time_t na = spec->not_after ? spec->not_after : nb + (time_t)5 * 365 * 86400;
    char nb_s[16], na_s[16];
    time_str(nb_s, nb);
    time_str(na_s, na);

    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &subject_key->pk);
    mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_key->pk);
    if ((rc = set_serial(&crt, spec->serial_hex)) != 0 ||
        (rc = mbedtls_x509write_crt_set_validity(&crt, nb_s, na_s)) != 0 ||
        (rc = mbedtls_x509write_crt_set_subject_name(&crt, spec->subject)) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer_name)) != 0 ||
        (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
        (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0)
        goto out;

    switch (spec->profile) {
    case PKI_PROFILE_CA:
        if ((rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, -1)) != 0 ||
            (rc = mbedtls_x509write_crt_set_key_usage(
                 &crt, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)) != 0)
            goto out;
        break;
    case PKI_PROFILE_JPKI_AUTH:
        if ((rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) !=
                0 ||
            (rc = ext_policies(&crt)) != 0 ||
            (rc = ext_crl_dp(&crt, JPKI_TEST_CRL_URL)) != 0 ||
            (rc = ext_aia(&crt, "http://ocsp.jpki-test.invalid/")) != 0)
            goto out;
        break;
    case PKI_PROFILE_TLS_SERVER:
        if ((rc = mbedtls_x509write_crt_set_key_usage(
                 &crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT)) !=
                0 ||
            (rc = ext_eku(&crt, "1.3.6.1.5.5.7.3.1")) != 0 ||
            (spec->san != NULL && (rc = ext_san(&crt, spec->san)) != 0))
            goto out;
        break;
    case PKI_PROFILE_TLS_CLIENT:
        if ((rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) !=
                0 ||
            (rc = ext_eku(&crt, "1.3.6.1.5.5.7.3.2")) != 0)
            goto out;
        break;
    default:
        rc = PKI_ERR_ARG;
        goto out;
    }

    size_t cap = 8192;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
        goto out;
    }
    rc = mbedtls_x509write_crt_der(&crt, buf, cap, rng, NULL);
    if (rc < 0)
        goto out;
    /* x509write fills the buffer from its end. */
    size_t len = (size_t)rc;
    unsigned char *der = malloc(len);
    if (der == NULL) {
        rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
        goto out;
    }
    memcpy(der, buf + cap - len, len);
    *der_out = der;
    *der_len = len;
    rc = 0;
out:
    free(buf);
    mbedtls_x509_crt_free(&issuer);
    mbedtls_x509write_crt_free(&crt);
    return rc;
}

int pki_cert_write(const char *path, const unsigned char *der, size_t len, int pem)
{
    if (path == NULL || der == NULL)
        return PKI_ERR_ARG;
    if (!pem)
        return write_file(path, der, len, 0644);
    unsigned char out[8192];
    size_t olen = 0;
    int rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
                                      "-----END CERTIFICATE-----\n", der, len, out, sizeof out,
                                      &olen);
    if (rc != 0)
        return rc;
    /* olen counts the terminating NUL */
    return write_file(path, out, olen > 0 ? olen - 1 : 0, 0644);
}

/* Whole file, NUL-terminated; *n counts the NUL (like mbedtls_pk_load_file). */
static int read_file(const char *path, unsigned char **data, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return PKI_ERR_IO;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL) {
                rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got < 4096) {
            if (ferror(f))
                rc = PKI_ERR_IO;
            break;
        }
    }
    fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *data = buf;
    *n = len + 1;
    return 0;
}

int pki_cert_read_der(const char *path, unsigned char **der_out, size_t *len)
{
    if (path == NULL || der_out == NULL || len == NULL)
        return PKI_ERR_ARG;
    *der_out = NULL;
    *len = 0;
    /* Not through mbedtls_x509_crt_parse_file: it refuses the JPKI shape (critical
     * certificatePolicies), and callers may want exactly such certificates. */
    unsigned char *data = NULL;
    size_t n = 0;
    int rc = read_file(path, &data, &n); /* NUL-terminated, n counts it */
    if (rc != 0)
        return rc;
    if (strstr((const char *)data, "-----BEGIN CERTIFICATE-----") != NULL) {
        mbedtls_pem_context pem;
        size_t used = 0;
        mbedtls_pem_init(&pem);
        rc = mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----",
                                     "-----END CERTIFICATE-----", data, NULL, 0, &used);
        if (rc == 0) {
            size_t plen = 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
            const unsigned char *p = mbedtls_pem_get_buffer(&pem, &plen);
#else
            const unsigned char *p = pem.buf;
            plen = pem.buflen;
#endif
            unsigned char *d = malloc(plen);
            if (d == NULL) {
                rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
            } else {
                memcpy(d, p, plen);
                *der_out = d;
                *len = plen;
            }
        }
        mbedtls_pem_free(&pem);
    } else {
        unsigned char *d = malloc(n > 1 ? n - 1 : 1);
        if (d == NULL) {
            rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
        } else {
            memcpy(d, data, n - 1);
            *der_out = d;
            *len = n - 1;
        }
    }
    mbedtls_platform_zeroize(data, n);
    free(data);
    return rc;
}

/* ---- the standard set ---- */

typedef struct {
    const char *dir;
    char path[4096];
} pathbuf;

static const char *at(pathbuf *p, const char *name)
{
    snprintf(p->path, sizeof p->path, "%s/%s", p->dir, name);
    return p->path;
}

/* Issue and write one certificate (DER and/or PEM). */
static int issue_to(pathbuf *p, const pki_cert_spec *spec, pki_key *key, pki_key *ikey,
                    const unsigned char *ider, size_t ilen, const char *der_name,
                    const char *pem_name, unsigned char **keep, size_t *keep_len)
{
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = pki_cert_issue(spec, key, ikey, ider, ilen, &der, &len);
    if (rc == 0 && der_name)
        rc = pki_cert_write(at(p, der_name), der, len, 0);
    if (rc == 0 && pem_name)
        rc = pki_cert_write(at(p, pem_name), der, len, 1);
    if (rc == 0 && keep) {
        *keep = der;
        *keep_len = len;
    } else {
        free(der);
    }
    return rc;
}

int pki_make_standard(const char *dir)
{
    if (dir == NULL)
        return PKI_ERR_ARG;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return PKI_ERR_IO;
    pathbuf p = {.dir = dir};
    pki_key *jca = NULL, *card = NULL, *oca = NULL, *tca = NULL, *srv = NULL, *cli = NULL;
    unsigned char *jca_der = NULL, *oca_der = NULL, *tca_der = NULL;
    size_t jca_len = 0, oca_len = 0, tca_len = 0;
    time_t now = time(NULL);
    const time_t day = 86400, year = 365 * 86400;
    int rc;

    if ((rc = pki_key_gen(&jca, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&card, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&oca, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&tca, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&srv, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&cli, PKI_KEY_RSA2048)) != 0)
        goto out;

    pki_cert_spec ca = {PKI_PROFILE_CA,
                        "C=JP,O=JPKI-TEST,OU=JPKI-TEST CA,CN=Test JPKI User Authentication CA",
                        "01", now - day, now + 10 * year, NULL};
    pki_cert_spec auth = {PKI_PROFILE_JPKI_AUTH, "C=JP,O=JPKI-TEST,CN=TESTCARD0001", NULL,
                          now - day, now + 5 * year, NULL};
    pki_cert_spec expired = auth, notyet = auth;
    expired.not_before = now - 6 * year;
    expired.not_after = now - year;
    notyet.not_before = now + year;
    notyet.not_after = now + 6 * year;
    pki_cert_spec other = {PKI_PROFILE_CA, "C=JP,O=UNTRUSTED-TEST,CN=Untrusted Test CA", "02",
                           now - day, now + 10 * year, NULL};
    pki_cert_spec tls_ca = {PKI_PROFILE_CA, "C=JP,O=ONSHI-TEST,CN=Test TLS CA", "03",
                            now - day, now + 10 * year, NULL};
    pki_cert_spec server = {PKI_PROFILE_TLS_SERVER, "C=JP,O=ONSHI-TEST,CN=localhost", NULL,
                            now - day, now + 2 * year, "DNS:localhost,IP:127.0.0.1,IP:::1"};
    pki_cert_spec server_expired = server, server_wrong = server;
    server_expired.not_before = now - 3 * year;
    server_expired.not_after = now - day;
    server_wrong.subject = "C=JP,O=ONSHI-TEST,CN=wrong.invalid";
    server_wrong.san = "DNS:wrong.invalid";
    pki_cert_spec client = {PKI_PROFILE_TLS_CLIENT,
                            "C=JP,O=ONSHI-TEST,CN=Test Clinic (no institution code)", NULL, now - day,
                            now + 3 * year, NULL};
    pki_cert_spec client_expired = client;
    client_expired.not_before = now - 4 * year;
    client_expired.not_after = now - day;

    if ((rc = pki_key_write(jca, at(&p, "jpki-ca.key"))) != 0 ||
        (rc = issue_to(&p, &ca, jca, jca, NULL, 0, NULL, "jpki-ca.crt", &jca_der, &jca_len)) != 0 ||
        (rc = pki_key_write(card, at(&p, "card-auth.key"))) != 0 ||
        (rc = issue_to(&p, &auth, card, jca, jca_der, jca_len, "card-auth.der", "card-auth.crt",
                       NULL, NULL)) != 0 ||
        (rc = issue_to(&p, &expired, card, jca, jca_der, jca_len, "card-expired.der", NULL, NULL,
                       NULL)) != 0 ||
        (rc = issue_to(&p, &notyet, card, jca, jca_der, jca_len, "card-notyet.der", NULL, NULL,
                       NULL)) != 0 ||
        (rc = pki_key_write(oca, at(&p, "other-ca.key"))) != 0 ||
        (rc = issue_to(&p, &other, oca, oca, NULL, 0, NULL, "other-ca.crt", &oca_der, &oca_len)) !=
            0 ||
        (rc = issue_to(&p, &auth, card, oca, oca_der, oca_len, "card-unknown-ca.der", NULL, NULL,
                       NULL)) != 0 ||
        (rc = pki_key_write(tca, at(&p, "tls-ca.key"))) != 0 ||
        (rc = issue_to(&p, &tls_ca, tca, tca, NULL, 0, NULL, "tls-ca.crt", &tca_der, &tca_len)) !=
            0 ||
        (rc = pki_key_write(srv, at(&p, "server.key"))) != 0 ||
        (rc = issue_to(&p, &server, srv, tca, tca_der, tca_len, NULL, "server.crt", NULL, NULL)) !=
            0 ||
        (rc = issue_to(&p, &server_expired, srv, tca, tca_der, tca_len, NULL,
                       "server-expired.crt", NULL, NULL)) != 0 ||
        (rc = issue_to(&p, &server_wrong, srv, tca, tca_der, tca_len, NULL,
                       "server-wronghost.crt", NULL, NULL)) != 0 ||
        (rc = pki_key_write(cli, at(&p, "client.key"))) != 0 ||
        (rc = issue_to(&p, &client, cli, tca, tca_der, tca_len, NULL, "client.crt", NULL, NULL)) !=
            0 ||
        (rc = issue_to(&p, &client_expired, cli, tca, tca_der, tca_len, NULL,
                       "client-expired.crt", NULL, NULL)) != 0)
        goto out;
out:
    free(jca_der);
    free(oca_der);
    free(tca_der);
    pki_key_free(jca);
    pki_key_free(card);
    pki_key_free(oca);
    pki_key_free(tca);
    pki_key_free(srv);
    pki_key_free(cli);
    return rc;
}
