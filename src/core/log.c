/*
 * Logging through the vendor's callback. The library never prints by itself.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "ctx_impl.h"

#include <stdio.h>
#include <stdlib.h>


bool onshi__log_enabled(const onshi_ctx *ctx, int level)
{
    return ctx != NULL && ctx->cbs.log != NULL && level >= onshi__opt_int(ctx, ONSHI_OPT_LOG_LEVEL);
}

void onshi__vlog(const onshi_ctx *ctx, int level, const char *component, const char *fmt,
                 va_list ap)
{
    if (!onshi__log_enabled(ctx, level))
        return;
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        ctx->cbs.log(ctx->cbs.log_userdata, level, component, small);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        ctx->cbs.log(ctx->cbs.log_userdata, level, component, small); /* truncated is better */
        return;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    ctx->cbs.log(ctx->cbs.log_userdata, level, component, big);
    free(big);
}

void onshi__log(const onshi_ctx *ctx, int level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    onshi__vlog(ctx, level, component, fmt, ap);
    va_end(ap);
}
