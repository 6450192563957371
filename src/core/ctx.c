/*
 * Context lifetime, layer slots and cancellation.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "ctx_impl.h"

#include <stdlib.h>

ONSHI_API int ONSHI_CALL onshi_ctx_new(onshi_ctx **out)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    int rc = onshi__global_ensure();
    if (rc != ONSHI_OK)
        return rc;
    onshi_ctx *ctx = onshi__calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return ONSHI_E_NOMEM;
    ctx->opts = onshi__calloc(onshi__optdef_count(), sizeof *ctx->opts);
    if (ctx->opts == NULL) {
        free(ctx);
        return ONSHI_E_NOMEM;
    }
    ctx->cbs.version = ONSHI_CALLBACKS_VERSION;
    atomic_init(&ctx->cancel, false);
    pthread_mutex_init(&ctx->wake_lock, NULL);
    *out = ctx;
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_ctx_free(onshi_ctx *ctx)
{
    if (ctx == NULL)
        return;
    /* Upper layers first, in reverse order: service state may reference transport state. */
    for (int i = ONSHI__SLOT_COUNT - 1; i >= 0; i--)
        onshi__slot_set(ctx, i, NULL, NULL);
    onshi__opts_free(ctx);
    onshi__error_reset(&ctx->err);
    free(ctx->err_message);
    pthread_mutex_destroy(&ctx->wake_lock);
    free(ctx);
}

void *onshi__slot_get(const onshi_ctx *ctx, int slot)
{
    if (ctx == NULL || slot < 0 || slot >= ONSHI__SLOT_COUNT)
        return NULL;
    return ctx->slot[slot];
}

void onshi__slot_set(onshi_ctx *ctx, int slot, void *state, void (*free_fn)(void *state))
{
    if (ctx == NULL || slot < 0 || slot >= ONSHI__SLOT_COUNT)
        return;
    if (ctx->slot[slot] != NULL && ctx->slot[slot] != state && ctx->slot_free[slot] != NULL)
        ctx->slot_free[slot](ctx->slot[slot]);
    ctx->slot[slot] = state;
    ctx->slot_free[slot] = free_fn;
}

/* ---- cancellation ---- */

ONSHI_API void ONSHI_CALL onshi_ctx_cancel(onshi_ctx *ctx)
{
    if (ctx == NULL)
        return;
    atomic_store(&ctx->cancel, true);
    pthread_mutex_lock(&ctx->wake_lock);
    if (ctx->wake_fn != NULL)
        ctx->wake_fn(ctx->wake_arg);
    pthread_mutex_unlock(&ctx->wake_lock);
}

bool onshi__cancel_requested(const onshi_ctx *ctx)
{
    return ctx != NULL && atomic_load(&((onshi_ctx *)ctx)->cancel);
}

int onshi__cancel_check(onshi_ctx *ctx)
{
    if (ctx != NULL && atomic_exchange(&ctx->cancel, false))
        return onshi__err(ctx, ONSHI_E_CANCELLED, "cancelled by onshi_ctx_cancel");
    return ONSHI_OK;
}

void onshi__cancel_set_wake(onshi_ctx *ctx, onshi__wake_fn fn, void *arg)
{
    if (ctx == NULL)
        return;
    pthread_mutex_lock(&ctx->wake_lock);
    ctx->wake_fn = fn;
    ctx->wake_arg = arg;
    pthread_mutex_unlock(&ctx->wake_lock);
    /* A cancel that arrived just before the hook was installed must still wake the wait. */
    if (fn != NULL && atomic_load(&ctx->cancel))
        fn(arg);
}
