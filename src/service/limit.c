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
    int confirmed;
} limit_row;

typedef struct {
    int id, first, last;
} limit_period;

typedef struct {
    int period;
    const char *en, *ja;
} limit_note;

static const limit_period limit_periods[] = {
#define PERIOD(id, first, last) {id, first, last},
#define NOTE(period, en, ja)
#define LIMIT(period, code, kind, base, thr, many, out, yearly, out_yearly, confirmed)
#include "limit.def"
#undef LIMIT
#undef NOTE
#undef PERIOD
};

static const limit_note limit_notes[] = {
#define PERIOD(id, first, last)
#define NOTE(period, en, ja) {period, en, ja},
#define LIMIT(period, code, kind, base, thr, many, out, yearly, out_yearly, confirmed)
#include "limit.def"
#undef LIMIT
#undef NOTE
#undef PERIOD
};

static const limit_row limit_rows[] = {
#define PERIOD(id, first, last)
#define NOTE(period, en, ja)
#define LIMIT(period, code, kind, base, thr, many, out, yearly, out_yearly, confirmed)            \
    {period, code, kind, base, thr, many, out, yearly, out_yearly, confirmed},
#include "limit.def"
#undef LIMIT
#undef NOTE
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
 * The row of class_code for service_month, or an error: a month no table covers, or a row
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
    char en[600], ja[900];
    if (p == NULL) {
        int last = 0;
        for (size_t i = 0; i < sizeof limit_periods / sizeof limit_periods[0]; i++)
            if (limit_periods[i].last > last)
                last = limit_periods[i].last;
        snprintf(en, sizeof en, "no ceiling table is known for service month %d: the last "
                 "table ends with service month %d (the step MHLW plans from August 2027 splits "
                 "the under-70 classes into 13 bands that have no 適用区分 code in OQSCD012 yet; "
                 "docs/limit-amount.md)", service_month, last);
        snprintf(ja, sizeof ja, "診療年月 %d の限度額表がありません。最後の表は診療年月 %d まで"
                 "です（2027年8月から予定の見直しは70歳未満を13区分に分けますが、その適用区分の"
                 "コードがOQSCD012にまだありません。docs/limit-amount.md）", service_month, last);
        return onshi__err_ja(ctx, ONSHI_E_LIMIT_NO_TABLE, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    *out = limit_find_in(p->id, class_code);
    if (*out == NULL)
        return onshi__err(ctx, ONSHI_E_GENERIC, "limit table has no row %s", class_code);
    if (!(*out)->confirmed && !(flags & ONSHI_LIMIT_F_PROVISIONAL)) {
        const char *why_en = "see docs/limit-amount.md", *why_ja = "docs/limit-amount.md を参照";
        for (size_t i = 0; i < sizeof limit_notes / sizeof limit_notes[0]; i++)
            if (limit_notes[i].period == p->id) {
                why_en = limit_notes[i].en;
                why_ja = limit_notes[i].ja;
            }
        *out = NULL;
        snprintf(en, sizeof en, "the ceiling of class %.3s for service month %d is not "
                 "confirmed: %s", class_code, service_month, why_en);
        snprintf(ja, sizeof ja, "区分 %.3s の診療年月 %d の限度額は未確認です。%s", class_code,
                 service_month, why_ja);
        return onshi__err_ja(ctx, ONSHI_E_LIMIT_NO_TABLE, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    return ONSHI_OK;
}

/* x * pct / 100 rounded half up to the yen (x >= 0). */
static int64_t percent(int64_t x, int64_t pct)
{
    return (x * pct + 50) / 100;
}

/* What the ceiling and the yearly cap share: the scope, the flags the calculation knows
 * (`known_flags`), the service month (0: this month in Japan time, written back) and the row
 * of the class in force that month. */
static int limit_row_for(const limit_row **r, onshi_ctx *ctx, const char *class_code, int scope,
                         int flags, int known_flags, int *service_month)
{
    if (scope != ONSHI_LIMIT_SCOPE_OUTPATIENT && scope != ONSHI_LIMIT_SCOPE_ALL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "scope %d is not ONSHI_LIMIT_SCOPE_*", scope);
    if (flags & ~known_flags)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "unknown flags 0x%x", (unsigned)flags);
    if (*service_month == 0)
        *service_month = onshi__jst_month(ctx);
    return limit_lookup(r, ctx, class_code, *service_month, flags);
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
    const limit_row *r = NULL;
    int rc = limit_row_for(&r, ctx, class_code, scope, flags,
                           ONSHI_LIMIT_F_MANY_TIMES | ONSHI_LIMIT_F_BIRTH_MONTH_75 |
                               ONSHI_LIMIT_F_PROVISIONAL,
                           &service_month);
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
    const limit_row *r = NULL;
    int rc = limit_row_for(&r, ctx, class_code, scope, flags, ONSHI_LIMIT_F_PROVISIONAL,
                           &service_month);
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

/* The parameters of a limit request: the int ones each in a range that fits an int; the
 * calculator checks their meaning. */
typedef struct {
    const char *class_code;
    int64_t cost;
    int ratio, scope, flags, month;
} limit_in;

/* What the three public calls share: clear the answer, check the request's kind and read its
 * parameters (`need_cost`: total_cost must be set). */
static int limit_args(limit_in *a, int64_t *out, onshi_ctx *ctx, const onshi_request *req,
                      const char *call, bool need_cost)
{
    if (out != NULL)
        *out = 0;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_LIMIT, call);
    if (rc != ONSHI_OK)
        return rc;
    if (need_cost && !onshi__request_has(req, ONSHI_P_TOTAL_COST))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "%s: total_cost is not set", call);
    const onshi__int_param rows[] = {
        {ONSHI_P_RATIO_PERCENT, -1, 0, 100, &a->ratio},
        {ONSHI_P_SCOPE, ONSHI_LIMIT_SCOPE_ALL, 0, 100, &a->scope},
        {ONSHI_P_FLAGS, 0, 0, 0xffff, &a->flags},
        {ONSHI_P_SERVICE_MONTH, 0, 0, 999999, &a->month},
    };
    rc = onshi__request_ints(ctx, req, call, rows, sizeof rows / sizeof rows[0]);
    if (rc != ONSHI_OK)
        return rc;
    a->class_code = onshi__request_str(req, ONSHI_P_CLASS_CODE);
    a->cost = onshi__request_int(req, ONSHI_P_TOTAL_COST, 0);
    return ONSHI_OK;
}

/* The three public calls: one reading of the request, then the calculation asked for. */
enum { CALL_CEILING, CALL_COPAY, CALL_YEARLY_CAP };

static int limit_call(int which, int64_t *out, onshi_ctx *ctx, const onshi_request *req)
{
    static const char *const names[] = {"onshi_limit_ceiling", "onshi_limit_copay",
                                        "onshi_limit_yearly_cap"};
    limit_in a;
    int rc = limit_args(&a, out, ctx, req, names[which], which != CALL_YEARLY_CAP);
    if (rc != ONSHI_OK)
        return rc;
    switch (which) {
    case CALL_CEILING:
        return limit_ceiling(out, ctx, a.class_code, a.cost, a.scope, a.flags, a.month);
    case CALL_COPAY:
        if (!onshi__request_has(req, ONSHI_P_RATIO_PERCENT))
            return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                              "onshi_limit_copay: ratio_percent is not set");
        return limit_copay(out, ctx, a.class_code, a.cost, a.ratio, a.scope, a.flags, a.month);
    default:
        return limit_yearly_cap(out, ctx, a.class_code, a.scope, a.flags, a.month);
    }
}

ONSHI_API int ONSHI_CALL onshi_limit_ceiling(int64_t *out, onshi_ctx *ctx,
                                             const onshi_request *req)
{
    return limit_call(CALL_CEILING, out, ctx, req);
}

ONSHI_API int ONSHI_CALL onshi_limit_copay(int64_t *out, onshi_ctx *ctx,
                                           const onshi_request *req)
{
    return limit_call(CALL_COPAY, out, ctx, req);
}

ONSHI_API int ONSHI_CALL onshi_limit_yearly_cap(int64_t *out, onshi_ctx *ctx,
                                                const onshi_request *req)
{
    return limit_call(CALL_YEARLY_CAP, out, ctx, req);
}
