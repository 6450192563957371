/*
 * Per-context last error: status, foreign code, English and Japanese detail.
 * Kept per context, not per thread: binding thread pools hop threads between calls.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "ctx_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void onshi__error_reset(onshi__error *e)
{
    free(e->detail_en);
    free(e->detail_ja);
    memset(e, 0, sizeof *e);
}

/* The detail text, formatted by the buffer's one formatter; the caller frees it. */
static char *vformat(const char *fmt, va_list ap)
{
    onshi_buf b;
    onshi__buf_init(&b, false);
    if (onshi__buf_vprintf(&b, fmt, ap) != ONSHI_OK) {
        onshi__buf_clear(&b);
        return NULL;
    }
    return (char *)b.data;
}

static void error_store(onshi_ctx *ctx, int status, int kind, int64_t value, char *en, char *ja)
{
    onshi__error_reset(&ctx->err);
    ctx->err.status = status;
    ctx->err.foreign_kind = kind;
    ctx->err.foreign_value = value;
    ctx->err.detail_en = en;
    ctx->err.detail_ja = ja;
    /* The status name only: details may name personal data and are for the caller. */
    onshi__log(ctx, ONSHI_LOG_DEBUG, "core", "error %s (%d)",
               onshi_status_name(status) ? onshi_status_name(status) : "?", status);
}

static int err_v(onshi_ctx *ctx, int status, int kind, int64_t value, const char *fmt,
                 va_list ap)
{
    if (ctx == NULL)
        return status;
    error_store(ctx, status, kind, value, fmt ? vformat(fmt, ap) : NULL, NULL);
    return status;
}

int onshi__err(onshi_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_v(ctx, status, ONSHI_FOREIGN_NONE, 0, fmt, ap);
    va_end(ap);
    return status;
}

int onshi__err_foreign(onshi_ctx *ctx, int status, int kind, int64_t value, const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_v(ctx, status, kind, value, fmt, ap);
    va_end(ap);
    return status;
}

int onshi__err_ja(onshi_ctx *ctx, int status, int kind, int64_t value, const char *detail_en,
                  const char *detail_ja)
{
    if (ctx == NULL)
        return status;
    error_store(ctx, status, kind, value, detail_en ? onshi__strdup(detail_en) : NULL,
                detail_ja ? onshi__strdup(detail_ja) : NULL);
    return status;
}

bool onshi__err_is(const onshi_ctx *ctx, int status)
{
    return ctx != NULL && ctx->err.status == status;
}

ONSHI_API int ONSHI_CALL onshi_ctx_last_error(const onshi_ctx *ctx)
{
    return ctx ? ctx->err.status : ONSHI_E_INVALID_ARG;
}

ONSHI_API const char *ONSHI_CALL onshi_ctx_last_error_message(const onshi_ctx *ctx)
{
    if (ctx == NULL || ctx->err.status == ONSHI_OK)
        return "";
    onshi_ctx *mctx = (onshi_ctx *)ctx; /* the composed message is a cache */
    bool ja = onshi__lang_ja(ctx);
    const char *head = onshi__status_str_lang(ctx->err.status, ja);
    const char *detail = ja && ctx->err.detail_ja ? ctx->err.detail_ja : ctx->err.detail_en;
    /* "head：detail", never saying the same thing twice: a detail that is the status's own
     * text (or begins with it) stands alone. */
    if (detail != NULL && head != NULL) {
        size_t hl = strlen(head);
        if (strcmp(detail, head) == 0)
            detail = NULL;
        else if (strncmp(detail, head, hl) == 0)
            head = "";
    }
    onshi_buf b;
    onshi__buf_init(&b, false);
    int rc = onshi__buf_append_str(&b, head);
    if (rc == ONSHI_OK && detail != NULL && *detail != '\0' && *head != '\0') {
        rc = onshi__buf_append_str(&b, ja ? "：" : ": ");
        if (rc == ONSHI_OK)
            rc = onshi__buf_append_str(&b, detail);
    } else if (rc == ONSHI_OK && detail != NULL && *head == '\0') {
        rc = onshi__buf_append_str(&b, detail);
    }
    if (rc == ONSHI_OK)
        rc = onshi__buf_append(&b, "", 1);
    if (rc != ONSHI_OK) {
        onshi__buf_clear(&b);
        return head; /* static text: still a useful message without memory */
    }
    free(mctx->err_message);
    mctx->err_message = (char *)b.data;
    return mctx->err_message;
}

ONSHI_API int ONSHI_CALL onshi_ctx_last_error_foreign(int *kind, int64_t *value,
                                                      const onshi_ctx *ctx)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    if (kind)
        *kind = ctx->err.foreign_kind;
    if (value)
        *value = ctx->err.foreign_value;
    return ctx->err.status;
}

ONSHI_API int ONSHI_CALL onshi_ctx_set_error(onshi_ctx *ctx, int status, const char *message)
{
    if (ctx == NULL || status >= 0)
        return ONSHI_E_INVALID_ARG;
    char *copy = message ? onshi__strdup(message) : NULL;
    if (message != NULL && copy == NULL)
        return ONSHI_E_NOMEM;
    /* The binding's text is shown in both languages: it is already in the user's. */
    char *copy_ja = copy ? onshi__strdup(copy) : NULL;
    error_store(ctx, status, ONSHI_FOREIGN_NONE, 0, copy, copy_ja);
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_ctx_clear_error(onshi_ctx *ctx)
{
    if (ctx != NULL)
        onshi__error_reset(&ctx->err);
}
