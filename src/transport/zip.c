/*
 * ZIP results (bulk downloads may arrive as a .zip holding one XML), opened with libzip.
 * Limits against zip bombs: entry count, uncompressed size counted while inflating (the
 * header's sizes are not trusted), compression ratio; encrypted entries are refused (the
 * linkage app's encryption mode is not supported).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

static int zip_fail(onshi_ctx *ctx, const char *name, int64_t zerr, const char *what)
{
    char en[512], ja[512];
    snprintf(en, sizeof en, "ZIP result %s: %s", name, what);
    snprintf(ja, sizeof ja, "ZIP 形式の結果 %s を開けません：%s", name, what);
    return onshi__err_ja(ctx, ONSHI_E_ZIP, zerr ? ONSHI_FOREIGN_ERRNO : ONSHI_FOREIGN_NONE,
                         zerr, en, ja);
}

static int is_xml_name(const char *n)
{
    size_t l = strlen(n);
    return l > 4 && strcasecmp(n + l - 4, ".xml") == 0;
}

int onshi__zip_extract(onshi_ctx *ctx, const char *name, onshi_buf *data, size_t cap,
                       char **entry)
{
    *entry = NULL;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data->data, data->len, 0, &ze);
    if (src == NULL) {
        zip_error_fini(&ze);
        return zip_fail(ctx, name, 0, "out of memory");
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (za == NULL) {
        int code = zip_error_code_zip(&ze);
        char what[256];
        snprintf(what, sizeof what, "not a valid archive (%s)", zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return zip_fail(ctx, name, code, what);
    }
    zip_error_fini(&ze);
    int r = ONSHI_OK;
    char what[256];
    zip_int64_t n = zip_get_num_entries(za, 0);
    zip_int64_t xml = -1;
    if (n < 0 || n > ONSHI__ZIP_MAX_ENTRIES) {
        snprintf(what, sizeof what, "%lld entries (at most %d accepted)", (long long)n,
                 ONSHI__ZIP_MAX_ENTRIES);
        r = zip_fail(ctx, name, 0, what);
        goto out;
    }
    for (zip_int64_t i = 0; i < n; i++) {
        const char *en = zip_get_name(za, (zip_uint64_t)i, 0);
        if (en == NULL || !is_xml_name(en))
            continue;
        if (xml >= 0) {
            r = zip_fail(ctx, name, 0, "more than one XML inside");
            goto out;
        }
        xml = i;
    }
    if (xml < 0) {
        r = zip_fail(ctx, name, 0, "no XML inside");
        goto out;
    }
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(za, (zip_uint64_t)xml, 0, &zs) != 0) {
        r = zip_fail(ctx, name, 0, "cannot read the entry");
        goto out;
    }
    if ((zs.valid & ZIP_STAT_ENCRYPTION_METHOD) && zs.encryption_method != ZIP_EM_NONE) {
        r = zip_fail(ctx, name, 0, "encrypted entry (linkage-app encryption is not supported)");
        goto out;
    }
    /* Bound what may come out: the size cap and the ratio to the compressed size. */
    uint64_t comp = (zs.valid & ZIP_STAT_COMP_SIZE) ? zs.comp_size : data->len;
    uint64_t limit = (uint64_t)cap;
    if (comp * ONSHI__ZIP_MAX_RATIO + 4096 < limit)
        limit = comp * ONSHI__ZIP_MAX_RATIO + 4096;
    if ((zs.valid & ZIP_STAT_SIZE) && zs.size > limit) {
        snprintf(what, sizeof what,
                 "entry declares %llu bytes from %llu compressed (limit %llu: zip bomb?)",
                 (unsigned long long)zs.size, (unsigned long long)comp,
                 (unsigned long long)limit);
        r = zip_fail(ctx, name, 0, what);
        goto out;
    }
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)xml, 0);
    if (zf == NULL) {
        r = zip_fail(ctx, name, 0, zip_strerror(za));
        goto out;
    }
    onshi_buf b;
    onshi__buf_init(&b, false);
    for (;;) {
        if ((r = onshi__buf_reserve(&b, 65536)) != ONSHI_OK) {
            r = onshi__err(ctx, ONSHI_E_NOMEM, "inflating %s", name);
            break;
        }
        zip_int64_t got = zip_fread(zf, b.data + b.len, 65536);
        if (got < 0) {
            snprintf(what, sizeof what, "corrupt entry (%s)", zip_file_strerror(zf));
            r = zip_fail(ctx, name, 0, what);
            break;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
        if (b.len > limit) {
            snprintf(what, sizeof what, "entry inflates beyond %llu bytes (zip bomb?)",
                     (unsigned long long)limit);
            r = zip_fail(ctx, name, 0, what);
            break;
        }
    }
    zip_fclose(zf);
    if (r == ONSHI_OK && (*entry = onshi__strdup(zip_get_name(za, (zip_uint64_t)xml, 0))) == NULL)
        r = onshi__err(ctx, ONSHI_E_NOMEM, "entry name");
    if (r != ONSHI_OK) {
        onshi__buf_clear(&b);
        goto out;
    }
    zip_close(za); /* read-only: frees the source, which does not own data */
    za = NULL;
    onshi__buf_clear(data);
    *data = b;
out:
    if (za != NULL)
        zip_discard(za);
    return r;
}
