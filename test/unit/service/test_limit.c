/* service: 高額療養費 ceiling and window co-payment. Vectors computed by hand from the rules
 * in docs/limit-amount.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"

#include <string.h>
#include <time.h>

#define OUT ONSHI_LIMIT_SCOPE_OUTPATIENT
#define ALL ONSHI_LIMIT_SCOPE_ALL
#define MANY ONSHI_LIMIT_F_MANY_TIMES
#define B75 ONSHI_LIMIT_F_BIRTH_MONTH_75

static int64_t ceil_of(const char *code, int64_t cost, int scope, int flags, int month)
{
    int64_t v = -1;
    assert_int_equal(t_limit_ceiling(&v, NULL, code, cost, scope, flags, month), ONSHI_OK);
    return v;
}

static void test_under_70(void **state)
{
    (void)state;
    /* ア: 252,600 + (cost - 842,000) x 1% */
    assert_int_equal(ceil_of("A01", 842000, ALL, 0, 202607), 252600);
    assert_int_equal(ceil_of("A01", 1000000, ALL, 0, 202607), 254180);
    assert_int_equal(ceil_of("A01", 100000, ALL, 0, 202607), 252600); /* below threshold */
    /* ウ: 80,100 + (1,000,000 - 267,000) x 1% = 87,430 */
    assert_int_equal(ceil_of("A03", 1000000, ALL, 0, 202607), 87430);
    assert_int_equal(ceil_of("A03", 1000000, OUT, 0, 202607), 87430); /* same for outpatient */
    /* rounding half up: 80,100 + 50.5 → 80,151 */
    assert_int_equal(ceil_of("A03", 272050, ALL, 0, 202607), 80151);
    assert_int_equal(ceil_of("A02", 558000, ALL, 0, 202607), 167400);
    assert_int_equal(ceil_of("A04", 5000000, ALL, 0, 202607), 57600);
    assert_int_equal(ceil_of("A05", 0, ALL, 0, 202607), 35400);
    assert_int_equal(ceil_of("A06", 0, ALL, 0, 202607), 35400);
    /* 多数回該当 */
    assert_int_equal(ceil_of("A01", 2000000, ALL, MANY, 202607), 140100);
    assert_int_equal(ceil_of("A02", 2000000, ALL, MANY, 202607), 93000);
    assert_int_equal(ceil_of("A03", 2000000, ALL, MANY, 202607), 44400);
    assert_int_equal(ceil_of("A04", 0, ALL, MANY, 202607), 44400);
    assert_int_equal(ceil_of("A05", 0, ALL, MANY, 202607), 24600);
}

static void test_70_and_over(void **state)
{
    (void)state;
    assert_int_equal(ceil_of("B01", 1000000, OUT, 0, 202607), 254180);
    assert_int_equal(ceil_of("B03", 1000000, ALL, 0, 202607), 87430);
    assert_int_equal(ceil_of("B03", 1000000, ALL, MANY, 202607), 44400);
    /* 一般: outpatient 18,000, household 57,600, 多数回 44,400 (household only) */
    assert_int_equal(ceil_of("B04", 300000, OUT, 0, 202607), 18000);
    assert_int_equal(ceil_of("B04", 300000, OUT, MANY, 202607), 18000);
    assert_int_equal(ceil_of("B04", 300000, ALL, 0, 202607), 57600);
    assert_int_equal(ceil_of("B04", 300000, ALL, MANY, 202607), 44400);
    /* 低所得Ⅱ / Ⅰ: no 多数回 reduction */
    assert_int_equal(ceil_of("B05", 300000, OUT, 0, 202607), 8000);
    assert_int_equal(ceil_of("B05", 300000, ALL, MANY, 202607), 24600);
    for (int i = 6; i <= 8; i++) {
        char code[4] = {'B', '0', (char)('0' + i), 0};
        assert_int_equal(ceil_of(code, 300000, OUT, 0, 202607), 8000);
        assert_int_equal(ceil_of(code, 300000, ALL, MANY, 202607), 15000);
    }
    assert_int_equal(ceil_of("B10", 300000, OUT, 0, 202607), 18000);
    assert_int_equal(ceil_of("B10", 300000, ALL, 0, 202607), 57600);
}

static void test_general_2_transition(void **state)
{
    (void)state;
    /* 一般Ⅱ outpatient, October 2022 - September 2025: min(18,000, 6,000 + (cost-30,000)x10%) */
    assert_int_equal(ceil_of("B09", 100000, OUT, 0, 202509), 13000);
    assert_int_equal(ceil_of("B09", 50000, OUT, 0, 202210), 8000);
    assert_int_equal(ceil_of("B09", 10000, OUT, 0, 202401), 6000); /* cost counted as 30,000 */
    assert_int_equal(ceil_of("B09", 500000, OUT, 0, 202401), 18000);
    /* before and after: 18,000 */
    assert_int_equal(ceil_of("B09", 100000, OUT, 0, 202209), 18000);
    assert_int_equal(ceil_of("B09", 100000, OUT, 0, 202510), 18000);
    assert_int_equal(ceil_of("B09", 100000, ALL, 0, 202401), 57600);
}

static void test_birth_month_75(void **state)
{
    (void)state;
    /* halved amounts and threshold: 40,050 + (1,000,000 - 133,500) x 1% = 48,715 */
    assert_int_equal(ceil_of("A03", 1000000, ALL, B75, 202607), 48715);
    assert_int_equal(ceil_of("B04", 300000, OUT, B75, 202607), 9000);
    assert_int_equal(ceil_of("B04", 300000, ALL, B75 | MANY, 202607), 22200);
}

static void test_copay(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(t_limit_copay(&v, NULL, "A03", 100000, 30, ALL, 0, 202607), ONSHI_OK);
    assert_int_equal(v, 30000); /* below the ceiling: the plain share */
    assert_int_equal(t_limit_copay(&v, NULL, "A03", 1000000, 30, ALL, 0, 202607), ONSHI_OK);
    assert_int_equal(v, 87430);
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 250000, 10, OUT, 0, 202607), ONSHI_OK);
    assert_int_equal(v, 18000);
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 12345, 10, OUT, 0, 202607), ONSHI_OK);
    assert_int_equal(v, 1235); /* 1,234.5 rounded */
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 12345, 101, OUT, 0, 202607),
                     ONSHI_E_INVALID_ARG);
}

static void test_errors(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    int64_t v = 7;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_int_equal(t_limit_ceiling(&v, ctx, "C01", 1, ALL, 0, 202607), ONSHI_E_CODE_VALUE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "C01"));
    assert_int_equal(v, 0);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", -1, ALL, 0, 202607), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, 3, 0, 202607), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 8, 202607), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 201807), ONSHI_E_UNSUPPORTED);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 202613), ONSHI_E_UNSUPPORTED);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 16, 202607), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, NULL, 1, ALL, 0, 202607), ONSHI_E_INVALID_ARG);
    /* 0 = the current month: the same answer as that month given explicitly */
    {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        int month = (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
        int64_t w = 0;
        int rc0 = t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 0);
        int rc1 = t_limit_ceiling(&w, ctx, "A01", 1, ALL, 0, month);
        assert_int_equal(rc0, rc1);
        assert_true(v == w);
    }
    onshi_ctx_free(ctx);
}

/* Each table carries the months it is valid for; a month past the confirmed tables is an
 * explicit status, never silently the old numbers. */
static void test_periods(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    int64_t v = 7;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    /* July 2026: the 2018 table */
    assert_int_equal(ceil_of("A03", 1000000, ALL, 0, 202607), 87430);
    /* August 2026: the revision's figures are not confirmed: explicit status, no number */
    assert_int_equal(t_limit_ceiling(&v, ctx, "A03", 1000000, ALL, 0, 202608),
                     ONSHI_E_LIMIT_NO_TABLE);
    assert_int_equal(v, 0);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "not confirmed"));
    assert_int_equal(t_limit_copay(&v, ctx, "A03", 1000000, 30, ALL, 0, 202612),
                     ONSHI_E_LIMIT_NO_TABLE);
    /* with ONSHI_LIMIT_F_PROVISIONAL: ウ 85,800 + (1,000,000 - 286,000) x 1% = 92,940 */
    int P = ONSHI_LIMIT_F_PROVISIONAL;
    assert_int_equal(ceil_of("A03", 1000000, ALL, P, 202608), 92940);
    assert_int_equal(ceil_of("A01", 1000000, ALL, P, 202707), 271290); /* 270,300 + 990 */
    assert_int_equal(ceil_of("A02", 597000, ALL, P, 202612), 179100);
    assert_int_equal(ceil_of("A04", 0, ALL, P, 202612), 61500);
    assert_int_equal(ceil_of("A05", 0, ALL, P, 202612), 36900);
    assert_int_equal(ceil_of("A05", 0, ALL, P | MANY, 202612), 24600);
    assert_int_equal(ceil_of("B04", 300000, OUT, P, 202612), 22000);
    assert_int_equal(ceil_of("B04", 300000, ALL, P, 202612), 61500);
    assert_int_equal(ceil_of("B05", 300000, OUT, P, 202612), 11000);
    assert_int_equal(ceil_of("B05", 300000, ALL, P | MANY, 202612), 24600); /* new 多数回 */
    assert_int_equal(ceil_of("B06", 300000, ALL, P, 202612), 15700);
    /* the 2018 table is not affected by the flag */
    assert_int_equal(ceil_of("A03", 1000000, ALL, P, 202607), 87430);
    /* August 2027 on: no table at all, even provisional */
    assert_int_equal(t_limit_ceiling(&v, ctx, "A03", 1000000, ALL, P, 202708),
                     ONSHI_E_LIMIT_NO_TABLE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "202708"));
    /* yearly caps */
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "A03", ALL, P, 202608), ONSHI_OK);
    assert_int_equal(v, 530000);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "A01", ALL, P, 202608), ONSHI_OK);
    assert_int_equal(v, 1680000);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "B06", ALL, P, 202608), ONSHI_OK);
    assert_int_equal(v, 180000);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "B04", OUT, P, 202608), ONSHI_OK);
    assert_int_equal(v, 216000);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "B04", OUT, 0, 202607), ONSHI_OK);
    assert_int_equal(v, 144000);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "A03", ALL, 0, 202607), ONSHI_E_NOT_FOUND);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "A03", ALL, 0, 202608),
                     ONSHI_E_LIMIT_NO_TABLE);
    assert_int_equal(t_limit_yearly_cap(&v, ctx, "Z99", ALL, P, 202608), ONSHI_E_CODE_VALUE);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_70),
        cmocka_unit_test(test_70_and_over),
        cmocka_unit_test(test_general_2_transition),
        cmocka_unit_test(test_birth_month_75),
        cmocka_unit_test(test_copay),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_periods),
    };
    return cmocka_run_group_tests_name("service/limit", tests, NULL, NULL);
}
