/*
 * crypto/ — CA lists, certificate times and SHA-256, shared by the layers above (crypto.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "crypto/crypto.h"

#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "core/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_FILE_MAX (1024 * 1024)

int64_t onshi__x509_epoch(const mbedtls_x509_time *t)
{
    /* The JST helper works on wall times of Japan; a UTC wall time is nine hours later. */
    return onshi__jst_to_epoch(t->year, t->mon, t->day, t->hour, t->min, t->sec) + 9 * 3600;
}

static int default_parse(mbedtls_x509_crt *chain, const unsigned char *der, size_t len)
{
    return mbedtls_x509_crt_parse_der(chain, der, len);
}

static int load_file(onshi_ctx *ctx, mbedtls_x509_crt *chain, const char *path,
                     const char *option, onshi__x509_parse_fn parse, int *count)
{
    FILE *f = onshi__os_fopen(path, "rb");
    if (f == NULL)
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_ERRNO, errno, path,
                             "CA証明書ファイルを開けません");
    onshi_buf b;
    onshi__buf_init(&b, false);
    unsigned char tmp[4096];
    size_t n;
    int rc = ONSHI_OK;
    while (rc == ONSHI_OK && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
        rc = b.len + n > CA_FILE_MAX ? ONSHI_E_LIMIT : onshi__buf_append(&b, tmp, n);
    fclose(f);
    if (rc == ONSHI_OK)
        rc = onshi__buf_append(&b, "", 1); /* PEM parsing wants a NUL */
    if (rc != ONSHI_OK) {
        onshi__buf_clear(&b);
        return onshi__err(ctx, ONSHI_E_CONFIG, "%s: CA file %s too large or unreadable", option,
                          path);
    }
    int ret = 0;
    int before = *count;
    if (b.len > 1 && b.data[0] == 0x30) {
        ret = parse(chain, b.data, b.len - 1);
        if (ret == 0)
            (*count)++;
    } else {
        const unsigned char *p = b.data;
        while (ret == 0 && strstr((const char *)p, "-----BEGIN CERTIFICATE-----") != NULL) {
            mbedtls_pem_context pem;
            size_t used = 0;
            mbedtls_pem_init(&pem);
            ret = mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----",
                                          "-----END CERTIFICATE-----", p, NULL, 0, &used);
            if (ret == 0) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
                size_t dlen = 0;
                const unsigned char *d = mbedtls_pem_get_buffer(&pem, &dlen);
#else
                size_t dlen = pem.buflen;
                const unsigned char *d = pem.buf;
#endif
                ret = parse(chain, d, dlen);
                if (ret == 0)
                    (*count)++;
                p += used;
            }
            mbedtls_pem_free(&pem);
        }
    }
    onshi__buf_clear(&b);
    if (ret != 0 || *count == before) {
        char en[1200];
        snprintf(en, sizeof en, "%s: CA file %s holds no readable certificate", option, path);
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_MBEDTLS, ret, en,
                             "CA証明書ファイルに読める証明書がありません");
    }
    return ONSHI_OK;
}

static bool ca_file_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (strcmp(dot, ".crt") == 0 || strcmp(dot, ".pem") == 0 ||
                   strcmp(dot, ".cer") == 0 || strcmp(dot, ".der") == 0);
}

static int load_dir(onshi_ctx *ctx, mbedtls_x509_crt *chain, const char *dir,
                    const char *option, onshi__x509_parse_fn parse, int *count)
{
    onshi__os_dir *d = onshi__os_opendir(dir);
    if (d == NULL)
        return onshi__err(ctx, ONSHI_E_CONFIG, "%s: CA folder %s cannot be opened", option, dir);
    int rc = ONSHI_OK;
    const char *e;
    while (rc == ONSHI_OK && (e = onshi__os_readdir(d)) != NULL) {
        if (!ca_file_name(e))
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e) >= sizeof path)
            continue;
        rc = load_file(ctx, chain, path, option, parse, count);
    }
    onshi__os_closedir(d);
    return rc;
}

int onshi__x509_load_cas(onshi_ctx *ctx, mbedtls_x509_crt *chain, const char *list,
                         const char *option, onshi__x509_parse_fn parse, int *count)
{
    int loaded = 0;
    if (count)
        *count = 0;
    if (parse == NULL)
        parse = default_parse;
    if (list == NULL || *list == '\0') {
        char en[300];
        snprintf(en, sizeof en, "%s is not set: no CA certificate to verify against", option);
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0, en,
                             "検証に使うCA証明書が設定されていません");
    }
    int rc = ONSHI_OK;
    const char *p = list;
    while (rc == ONSHI_OK && *p) {
        size_t n = strcspn(p, ";");
        char *item = onshi__strndup(p, n);
        if (item == NULL)
            return onshi__err(ctx, ONSHI_E_NOMEM, "CA path");
        onshi__os_st st;
        if (n == 0)
            ;
        else if (onshi__os_stat(item, &st) == 0 && st.type == ONSHI__OS_DIR)
            rc = load_dir(ctx, chain, item, option, parse, &loaded);
        else
            rc = load_file(ctx, chain, item, option, parse, &loaded);
        free(item);
        p += n + (p[n] == ';' ? 1 : 0);
    }
    if (rc == ONSHI_OK && loaded == 0)
        rc = onshi__err(ctx, ONSHI_E_CONFIG, "%s names no certificate", option);
    if (count)
        *count = loaded;
    return rc;
}

int onshi__sha256(const void *data, size_t n, unsigned char out[32])
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_sha256(data, n, out, 0) == 0 ? 0 : -1;
#else
    return mbedtls_sha256_ret(data, n, out, 0) == 0 ? 0 : -1;
#endif
}
