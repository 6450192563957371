/*
 * Monthly co-payment ceiling (高額療養費 自己負担限度額) from the 適用区分 of a result, so the
 * window charge can stop at it. The table is limit.def.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/core.h"
#include "service/service.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { FORMULA, FIXED, ELDER };
enum { P2018, P2026 };

typedef struct {
    int period;
    const char *code;
    int kind;
    int64_t base, threshold, many, outpatient, yearly, outpatient_yearly;
} limit_row;

typedef struct {
    int id, first, last, confirmed;
} limit_period;

static const limit_period limit_periods[] = {
#define PERIOD(id, first, last, confirmed) {id, first, last, confirmed},
#define LIMIT(period, code, kind, base, thr, many, out, yearly, out_yearly)
#include "limit.def"
#undef LIMIT
#undef PERIOD
};

static const limit_row limit_rows[] = {
#define PERIOD(id, first, last, confirmed)
#define LIMIT(period, code, kind, base, thr, many, out, yearly, out_yearly)                       \
    {period, code, kind, base, thr, many, out, yearly, out_yearly},
#include "limit.def"
#undef LIMIT
#undef PERIOD
};

/* The first month any table covers. */
#define FIRST_MONTH 201808
/* 一般Ⅱ (後期高齢者 2割) outpatient 配慮措置: October 2022 through September 2025 the
 * outpatient ceiling was min(18,000, 6,000 + (cost - 30,000) x 10%), cost counted as at least
 * 30,000; from October 2025 it is 18,000 like 一般Ⅰ. */
#define B09_TRANSITION_FIRST 202210
#define B09_TRANSITION_LAST 202509

static const limit_row *limit_find_in(int period, const char *code)
{
    for (size_t i = 0; i < sizeof limit_rows / sizeof limit_rows[0]; i++)
        if (limit_rows[i].period == period && strcmp(limit_rows[i].code, code) == 0)
            return &limit_rows[i];
    return NULL;
}

static bool known_class(const char *code)
{
    for (size_t i = 0; i < sizeof limit_rows / sizeof limit_rows[0]; i++)
        if (strcmp(limit_rows[i].code, code) == 0)
            return true;
    return false;
}

/*
 * The row of class_code for service_month, or an error: a month no table covers, or a table
 * whose figures are not confirmed while the caller did not ask for provisional figures, is
 * ONSHI_E_LIMIT_NO_TABLE — never the numbers of another period.
 */
static int limit_lookup(const limit_row **out, onshi_ctx *ctx, const char *class_code,
                        int service_month, int flags)
{
    *out = NULL;
    if (service_month < FIRST_MONTH || service_month % 100 < 1 || service_month % 100 > 12)
        return onshi__err_ja(ctx, ONSHI_E_UNSUPPORTED, ONSHI_FOREIGN_NONE, 0,
                             "service month must be YYYYMM from 201808 (rules before August "
                             "2018 are not in the table)",
                             "診療年月は2018年8月（201808）以降をYYYYMMで指定してください");
    if (!known_class(class_code))
        return onshi__err(ctx, ONSHI_E_CODE_VALUE,
                          "LimitApplicationCertificateClassificationFlag \"%.8s\" is not in "
                          "OQSCD012 (A01-A06, B01-B10)",
                          class_code);
    const limit_period *p = NULL;
    for (size_t i = 0; i < sizeof limit_periods / sizeof limit_periods[0]; i++)
        if (service_month >= limit_periods[i].first && service_month <= limit_periods[i].last)
            p = &limit_periods[i];
    char en[400], ja[600];
    if (p == NULL) {
        snprintf(en, sizeof en, "no ceiling table is known for service month %d (the tables end "
                 "with July 2027; the August 2027 step is not in them)", service_month);
        snprintf(ja, sizeof ja, "診療年月 %d の限度額表がありません（2027年7月診療分まで。"
                 "2027年8月の見直しは未収録）", service_month);
        return onshi__err_ja(ctx, ONSHI_E_LIMIT_NO_TABLE, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    if (!p->confirmed && !(flags & ONSHI_LIMIT_F_PROVISIONAL)) {
        snprintf(en, sizeof en, "service month %d falls under the August 2026 revision, whose "
                 "figures are not confirmed against MHLW or the amended 政令 "
                 "(docs/limit-amount.md); pass ONSHI_LIMIT_F_PROVISIONAL to use the published "
                 "provisional figures", service_month);
        snprintf(ja, sizeof ja, "診療年月 %d は2026年8月の見直しの対象ですが、その金額は厚生労働省"
                 "の資料・改正政令で未確認です（docs/limit-amount.md）。暫定値を使う場合は "
                 "ONSHI_LIMIT_F_PROVISIONAL を指定してください", service_month);
        return onshi__err_ja(ctx, ONSHI_E_LIMIT_NO_TABLE, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    *out = limit_find_in(p->id, class_code);
    if (*out == NULL)
        return onshi__err(ctx, ONSHI_E_GENERIC, "limit table has no row %s", class_code);
    return ONSHI_OK;
}

/* x * pct / 100 rounded half up to the yen (x >= 0). */
static int64_t percent(int64_t x, int64_t pct)
{
    return (x * pct + 50) / 100;
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
    if (flags & ~(ONSHI_LIMIT_F_MANY_TIMES | ONSHI_LIMIT_F_BIRTH_MONTH_75 |
                  ONSHI_LIMIT_F_PROVISIONAL))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "unknown flags 0x%x", (unsigned)flags);
    if (service_month == 0)
        service_month = onshi__jst_month(ctx);
    const limit_row *r = NULL;
    int rc = limit_lookup(&r, ctx, class_code, service_month, flags);
    if (rc != ONSHI_OK)
        return rc;

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
            if (r->period == P2018 && strcmp(r->code, "B09") == 0 &&
                service_month >= B09_TRANSITION_FIRST &&
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

static int limit_yearly_cap(int64_t *out, onshi_ctx *ctx, const char *class_code, int scope,
                            int flags, int service_month)
{
    if (out == NULL || class_code == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "class_code and out must not be NULL");
    *out = 0;
    if (scope != ONSHI_LIMIT_SCOPE_OUTPATIENT && scope != ONSHI_LIMIT_SCOPE_ALL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "scope %d is not ONSHI_LIMIT_SCOPE_*", scope);
    if (flags & ~ONSHI_LIMIT_F_PROVISIONAL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "unknown flags 0x%x", (unsigned)flags);
    if (service_month == 0)
        service_month = onshi__jst_month(ctx);
    const limit_row *r = NULL;
    int rc = limit_lookup(&r, ctx, class_code, service_month, flags);
    if (rc != ONSHI_OK)
        return rc;
    int64_t cap = scope == ONSHI_LIMIT_SCOPE_OUTPATIENT ? r->outpatient_yearly : r->yearly;
    if (cap == 0) {
        char en[200], ja[300];
        snprintf(en, sizeof en, "class %s has no yearly cap of this scope in service month %d",
                 r->code, service_month);
        snprintf(ja, sizeof ja, "区分 %s には診療年月 %d のこの範囲の年間上限がありません",
                 r->code, service_month);
        return onshi__err_ja(ctx, ONSHI_E_NOT_FOUND, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    *out = cap;
    return ONSHI_OK;
}

/* The int parameters of a limit request, each in a range that fits an int; the calculator
 * checks their meaning. */
static int limit_args(onshi_ctx *ctx, const onshi_request *req, const char *call, bool need_cost,
                      int *ratio, int *scope, int *flags, int *month)
{
    if (need_cost && req != NULL && !onshi__request_has(req, ONSHI_P_TOTAL_COST))
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
        rc = limit_args(ctx, req, "onshi_limit_ceiling", true, &ratio, &scope, &flags, &month);
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
        rc = limit_args(ctx, req, "onshi_limit_copay", true, &ratio, &scope, &flags, &month);
    if (rc != ONSHI_OK)
        return rc;
    if (!onshi__request_has(req, ONSHI_P_RATIO_PERCENT))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "onshi_limit_copay: ratio_percent is not set");
    return limit_copay(out, ctx, onshi__request_str(req, ONSHI_P_CLASS_CODE),
                       onshi__request_int(req, ONSHI_P_TOTAL_COST, 0), ratio, scope, flags,
                       month);
}

ONSHI_API int ONSHI_CALL onshi_limit_yearly_cap(int64_t *out, onshi_ctx *ctx,
                                                const onshi_request *req)
{
    if (out != NULL)
        *out = 0;
    int ratio, scope, flags, month;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_LIMIT, "onshi_limit_yearly_cap");
    if (rc == ONSHI_OK)
        rc = limit_args(ctx, req, "onshi_limit_yearly_cap", false, &ratio, &scope, &flags, &month);
    if (rc != ONSHI_OK)
        return rc;
    return limit_yearly_cap(out, ctx, onshi__request_str(req, ONSHI_P_CLASS_CODE), scope, flags,
                            month);
}
