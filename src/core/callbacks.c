/*
 * The callbacks of a context: one versioned struct, copied in and read by every layer.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "ctx_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Bytes of onshi_callbacks each version knows. Fields are only appended: when version 2 adds
 * a field, version 1's entry becomes offsetof(onshi_callbacks, <first field of version 2>). */
static const size_t size_of_version[ONSHI_CALLBACKS_VERSION + 1] = {
    0,
    sizeof(onshi_callbacks),
};

static size_t known_size(const onshi_ctx *ctx, int version)
{
    if (version < 1 || version > ONSHI_CALLBACKS_VERSION) {
        if (ctx != NULL) {
            char en[160];
            char ja[200];
            snprintf(en, sizeof en,
                     "onshi_callbacks.version %d is not known to this library (1 to %d): "
                     "initialise it with ONSHI_CALLBACKS_INIT",
                     version, ONSHI_CALLBACKS_VERSION);
            snprintf(ja, sizeof ja,
                     "onshi_callbacks.version %d はこのライブラリでは使えません（1〜%d）。"
                     "ONSHI_CALLBACKS_INIT で初期化してください",
                     version, ONSHI_CALLBACKS_VERSION);
            onshi__err_ja((onshi_ctx *)ctx, ONSHI_E_INVALID_ARG, ONSHI_FOREIGN_NONE, 0, en, ja);
        }
        return 0;
    }
    return size_of_version[version];
}

ONSHI_API int ONSHI_CALL onshi_ctx_set_callbacks(onshi_ctx *ctx, const onshi_callbacks *cbs)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi_callbacks next;
    memset(&next, 0, sizeof next);
    if (cbs != NULL) {
        size_t n = known_size(ctx, cbs->version);
        if (n == 0)
            return ONSHI_E_INVALID_ARG;
        memcpy(&next, cbs, n);
    }
    next.version = ONSHI_CALLBACKS_VERSION;
    ctx->cbs = next;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_get_callbacks(onshi_callbacks *out, const onshi_ctx *ctx)
{
    if (out == NULL || ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    int version = out->version;
    size_t n = known_size(ctx, version);
    if (n == 0)
        return ONSHI_E_INVALID_ARG;
    memcpy(out, &ctx->cbs, n);
    out->version = version;
    return ONSHI_OK;
}

const onshi_callbacks *onshi__callbacks(const onshi_ctx *ctx)
{
    static const onshi_callbacks none = ONSHI_CALLBACKS_INIT;
    return ctx != NULL ? &ctx->cbs : &none;
}
