/*
 * The workflow layer's UI callbacks (progress, consent, audit), read from onshi_callbacks;
 * the layer's per-context state.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include <stdlib.h>
#include <time.h>

static void service_free(void *p)
{
    free(p);
}

onshi__service *onshi__service_state(onshi_ctx *ctx)
{
    onshi__service *s = onshi__slot_get(ctx, ONSHI__SLOT_SERVICE);
    if (s == NULL && ctx != NULL) {
        s = onshi__calloc(1, sizeof *s);
        if (s != NULL)
            onshi__slot_set(ctx, ONSHI__SLOT_SERVICE, s, service_free);
    }
    return s;
}

int onshi__progress(onshi_ctx *ctx, int stage, int64_t done, int64_t total)
{
    int rc = onshi__cancel_check(ctx);
    if (rc != ONSHI_OK)
        return rc;
    const onshi_callbacks *s = onshi__callbacks(ctx);
    if (s->progress != NULL && s->progress(s->progress_userdata, stage, done, total) != 0)
        return onshi__err_ja(ctx, ONSHI_E_CANCELLED, ONSHI_FOREIGN_NONE, 0,
                             "cancelled by the progress callback",
                             "進捗コールバックにより中止しました");
    return ONSHI_OK;
}

int onshi__consent(onshi_ctx *ctx, int offered, int *granted)
{
    *granted = 0;
    const onshi_callbacks *s = onshi__callbacks(ctx);
    if (s->consent == NULL)
        return onshi__err_ja(ctx, ONSHI_E_NO_CALLBACK, ONSHI_FOREIGN_NONE, 0,
                             "no consent callback (onshi_callbacks.consent)",
                             "同意確認のコールバックが設定されていません");
    int g = 0;
    if (s->consent(s->consent_userdata, offered, &g) != 0)
        return onshi__err_ja(ctx, ONSHI_E_CANCELLED, ONSHI_FOREIGN_NONE, 0,
                             "cancelled at the consent screen", "同意確認の画面で中止しました");
    *granted = g & offered;
    return ONSHI_OK;
}

int onshi__audit(onshi_ctx *ctx, int action, int phase, int outcome, const char *patient,
                 const char *detail)
{
    const onshi_callbacks *s = onshi__callbacks(ctx);
    if (s->audit == NULL)
        return ONSHI_OK;
    char ts[16];
    onshi__jst_now14(ts, ctx);
    const char *op = onshi__opt_str(ctx, ONSHI_OPT_OPERATOR_ID);
    int r = s->audit(s->audit_userdata, action, phase, outcome, op ? op : "", patient ? patient : "",
                     detail ? detail : "", ts);
    if (phase == ONSHI_AUDIT_BEFORE && r != 0)
        return onshi__err_ja(ctx, ONSHI_E_CANCELLED, ONSHI_FOREIGN_NONE, 0,
                             "the audit callback refused the access (it could not be logged)",
                             "監査ログに記録できないため、アクセスを中止しました");
    return ONSHI_OK;
}
