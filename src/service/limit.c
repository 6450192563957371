/*
 * Monthly co-payment ceiling (高額療養費 自己負担限度額) from the 適用区分 of a result, so the
 * window charge can stop at it. The table is limit.def.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/core.h"
#include "service/service.h"

#include <string.h>
#include <time.h>

enum { FORMULA, FIXED, ELDER };

typedef struct {
    const char *code;
    int kind;
    int64_t base, threshold, many, outpatient;
} limit_row;

static const limit_row limit_rows[] = {
#define LIMIT(code, kind, base, thr, many, out) {code, kind, base, thr, many, out},
#include "limit.def"
#undef LIMIT
};

/* The table holds the rules from August 2018 (平成30年8月診療分) on. */
#define FIRST_MONTH 201808
/* 一般Ⅱ (後期高齢者 2割) outpatient 配慮措置: October 2022 through September 2025 the
 * outpatient ceiling was min(18,000, 6,000 + (cost - 30,000) x 10%), cost counted as at least
 * 30,000; from October 2025 it is 18,000 like 一般Ⅰ. */
#define B09_TRANSITION_FIRST 202210
#define B09_TRANSITION_LAST 202509

static const limit_row *limit_find(const char *code)
{
    for (size_t i = 0; i < sizeof limit_rows / sizeof limit_rows[0]; i++)
        if (strcmp(limit_rows[i].code, code) == 0)
            return &limit_rows[i];
    return NULL;
}

/* x * pct / 100 rounded half up to the yen (x >= 0). */
static int64_t percent(int64_t x, int64_t pct)
{
    return (x * pct + 50) / 100;
}

static int current_month(void)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

static int limit_ceiling(int64_t *out, onshi_ctx *ctx, const char *class_code,
                         int64_t total_cost, int scope, int flags, int service_month)
{
    if (out == NULL || class_code == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "class_code and out must not be NULL");
    *out = 0;
    if (total_cost < 0 || total_cost > INT64_C(1000000000000))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "total_cost %lld out of range",
                          (long long)total_cost);
    if (scope != ONSHI_LIMIT_SCOPE_OUTPATIENT && scope != ONSHI_LIMIT_SCOPE_ALL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "scope %d is not ONSHI_LIMIT_SCOPE_*", scope);
    if (flags & ~(ONSHI_LIMIT_F_MANY_TIMES | ONSHI_LIMIT_F_BIRTH_MONTH_75))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "unknown flags 0x%x", (unsigned)flags);
    if (service_month == 0)
        service_month = current_month();
    if (service_month < FIRST_MONTH || service_month % 100 < 1 || service_month % 100 > 12)
        return onshi__err_ja(ctx, ONSHI_E_UNSUPPORTED, ONSHI_FOREIGN_NONE, 0,
                             "service month must be YYYYMM from 201808 (rules before August "
                             "2018 are not in the table)",
                             "診療年月は2018年8月（201808）以降をYYYYMMで指定してください");
    const limit_row *r = limit_find(class_code);
    if (r == NULL)
        return onshi__err(ctx, ONSHI_E_CODE_VALUE,
                          "LimitApplicationCertificateClassificationFlag \"%.8s\" is not in "
                          "OQSCD012 (A01-A06, B01-B10)",
                          class_code);

    /* 75歳到達月の特例: both the amounts and the thresholds are halved. */
    int64_t div = (flags & ONSHI_LIMIT_F_BIRTH_MONTH_75) ? 2 : 1;
    bool many = (flags & ONSHI_LIMIT_F_MANY_TIMES) != 0;
    int64_t ceiling;
    switch (r->kind) {
    case FORMULA: {
        if (many) {
            ceiling = r->many / div;
            break;
        }
        int64_t thr = r->threshold / div;
        ceiling = r->base / div + (total_cost > thr ? percent(total_cost - thr, 1) : 0);
        break;
    }
    case FIXED:
        ceiling = (many ? r->many : r->base) / div;
        break;
    default: /* ELDER */
        if (scope == ONSHI_LIMIT_SCOPE_OUTPATIENT) {
            /* 多数回該当 counts household months only: the outpatient cap stays. */
            ceiling = r->outpatient / div;
            if (strcmp(r->code, "B09") == 0 && service_month >= B09_TRANSITION_FIRST &&
                service_month <= B09_TRANSITION_LAST) {
                int64_t cost = total_cost < 30000 ? 30000 : total_cost;
                int64_t eased = (6000 + percent(cost - 30000, 10)) / div;
                if (eased < ceiling)
                    ceiling = eased;
            }
        } else {
            ceiling = (many && r->many != 0 ? r->many : r->base) / div;
        }
        break;
    }
    *out = ceiling;
    return ONSHI_OK;
}

static int limit_copay(int64_t *out, onshi_ctx *ctx, const char *class_code,
                       int64_t total_cost, int ratio_percent, int scope, int flags,
                       int service_month)
{
    if (out == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out must not be NULL");
    *out = 0;
    if (ratio_percent < 0 || ratio_percent > 100)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "ratio_percent %d outside 0..100",
                          ratio_percent);
    int64_t ceiling;
    int rc = limit_ceiling(&ceiling, ctx, class_code, total_cost, scope, flags, service_month);
    if (rc != ONSHI_OK)
        return rc;
    int64_t share = percent(total_cost, ratio_percent);
    *out = share < ceiling ? share : ceiling;
    return ONSHI_OK;
}

/* The int parameters of a limit request, each in a range that fits an int; the calculator
 * checks their meaning. */
static int limit_args(onshi_ctx *ctx, const onshi_request *req, const char *call, int *ratio,
                      int *scope, int *flags, int *month)
{
    if (req != NULL && !onshi__request_has(req, ONSHI_P_TOTAL_COST))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "%s: total_cost is not set", call);
    static const struct {
        int param;
        int64_t def, min, max;
    } rows[] = {
        {ONSHI_P_RATIO_PERCENT, -1, 0, 100},
        {ONSHI_P_SCOPE, ONSHI_LIMIT_SCOPE_ALL, 0, 100},
        {ONSHI_P_FLAGS, 0, 0, 0xffff},
        {ONSHI_P_SERVICE_MONTH, 0, 0, 999999},
    };
    int *dst[] = {ratio, scope, flags, month};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t v = onshi__request_int(req, rows[i].param, rows[i].def);
        if (v != rows[i].def && (v < rows[i].min || v > rows[i].max))
            return onshi__err(ctx, ONSHI_E_INVALID_ARG, "%s: %s %lld out of range", call,
                              onshi_request_param_name(rows[i].param), (long long)v);
        *dst[i] = (int)v;
    }
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_limit_ceiling(int64_t *out, onshi_ctx *ctx,
                                             const onshi_request *req)
{
    if (out != NULL)
        *out = 0;
    int ratio, scope, flags, month;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_LIMIT, "onshi_limit_ceiling");
    if (rc == ONSHI_OK)
        rc = limit_args(ctx, req, "onshi_limit_ceiling", &ratio, &scope, &flags, &month);
    if (rc != ONSHI_OK)
        return rc;
    return limit_ceiling(out, ctx, onshi__request_str(req, ONSHI_P_CLASS_CODE),
                         onshi__request_int(req, ONSHI_P_TOTAL_COST, 0), scope, flags, month);
}

ONSHI_API int ONSHI_CALL onshi_limit_copay(int64_t *out, onshi_ctx *ctx,
                                           const onshi_request *req)
{
    if (out != NULL)
        *out = 0;
    int ratio, scope, flags, month;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_LIMIT, "onshi_limit_copay");
    if (rc == ONSHI_OK)
        rc = limit_args(ctx, req, "onshi_limit_copay", &ratio, &scope, &flags, &month);
    if (rc != ONSHI_OK)
        return rc;
    if (!onshi__request_has(req, ONSHI_P_RATIO_PERCENT))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "onshi_limit_copay: ratio_percent is not set");
    return limit_copay(out, ctx, onshi__request_str(req, ONSHI_P_CLASS_CODE),
                       onshi__request_int(req, ONSHI_P_TOTAL_COST, 0), ratio, scope, flags,
                       month);
}
