/*
 * A ZIP holding one file, in memory (libzip): bulk results may come back zipped.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

int sim_zip_one(const char *name, const unsigned char *data, size_t len, sim_out *out)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *mem = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!mem)
        return -1;
    zip_source_keep(mem);
    zip_t *za = zip_open_from_source(mem, ZIP_TRUNCATE, &ze);
    if (!za) {
        zip_source_free(mem);
        zip_source_free(mem);
        return -1;
    }
    zip_source_t *file = zip_source_buffer(za, data, len, 0);
    if (!file || zip_file_add(za, name, file, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(file);
        zip_discard(za);
        zip_source_free(mem);
        return -1;
    }
    if (zip_close(za) != 0) {
        zip_discard(za);
        zip_source_free(mem);
        return -1;
    }
    int rc = -1;
    zip_stat_t zs;
    if (zip_source_stat(mem, &zs) == 0 && zip_source_open(mem) == 0) {
        out->data = malloc(zs.size ? zs.size : 1);
        if (out->data && zip_source_read(mem, out->data, zs.size) == (zip_int64_t)zs.size) {
            out->len = (size_t)zs.size;
            out->ext = "zip";
            out->ctype = "application/zip";
            out->status = 200;
            rc = 0;
        } else {
            free(out->data);
            out->data = NULL;
        }
        zip_source_close(mem);
    }
    zip_source_free(mem);
    return rc;
}
