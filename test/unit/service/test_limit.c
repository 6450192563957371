/* service: 高額療養費 ceiling and window co-payment. Vectors computed by hand from the rules
 * in docs/limit-amount.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"

#include <string.h>

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
    assert_int_equal(ceil_of("A01", 842000, ALL, 0, 202611), 252600);
    assert_int_equal(ceil_of("A01", 1000000, ALL, 0, 202611), 254180);
    assert_int_equal(ceil_of("A01", 100000, ALL, 0, 202611), 252600); /* below threshold */
    /* ウ: 80,100 + (1,000,000 - 267,000) x 1% = 87,430 */
    assert_int_equal(ceil_of("A03", 1000000, ALL, 0, 202611), 87430);
    assert_int_equal(ceil_of("A03", 1000000, OUT, 0, 202611), 87430); /* same for outpatient */
    /* rounding half up: 80,100 + 50.5 → 80,151 */
    assert_int_equal(ceil_of("A03", 272050, ALL, 0, 202611), 80151);
    assert_int_equal(ceil_of("A02", 558000, ALL, 0, 202611), 167400);
    assert_int_equal(ceil_of("A04", 5000000, ALL, 0, 202611), 57600);
    assert_int_equal(ceil_of("A05", 0, ALL, 0, 202611), 35400);
    assert_int_equal(ceil_of("A06", 0, ALL, 0, 202611), 35400);
    /* 多数回該当 */
    assert_int_equal(ceil_of("A01", 2000000, ALL, MANY, 202611), 140100);
    assert_int_equal(ceil_of("A02", 2000000, ALL, MANY, 202611), 93000);
    assert_int_equal(ceil_of("A03", 2000000, ALL, MANY, 202611), 44400);
    assert_int_equal(ceil_of("A04", 0, ALL, MANY, 202611), 44400);
    assert_int_equal(ceil_of("A05", 0, ALL, MANY, 202611), 24600);
}

static void test_70_and_over(void **state)
{
    (void)state;
    assert_int_equal(ceil_of("B01", 1000000, OUT, 0, 202611), 254180);
    assert_int_equal(ceil_of("B03", 1000000, ALL, 0, 202611), 87430);
    assert_int_equal(ceil_of("B03", 1000000, ALL, MANY, 202611), 44400);
    /* 一般: outpatient 18,000, household 57,600, 多数回 44,400 (household only) */
    assert_int_equal(ceil_of("B04", 300000, OUT, 0, 202611), 18000);
    assert_int_equal(ceil_of("B04", 300000, OUT, MANY, 202611), 18000);
    assert_int_equal(ceil_of("B04", 300000, ALL, 0, 202611), 57600);
    assert_int_equal(ceil_of("B04", 300000, ALL, MANY, 202611), 44400);
    /* 低所得Ⅱ / Ⅰ: no 多数回 reduction */
    assert_int_equal(ceil_of("B05", 300000, OUT, 0, 202611), 8000);
    assert_int_equal(ceil_of("B05", 300000, ALL, MANY, 202611), 24600);
    for (int i = 6; i <= 8; i++) {
        char code[4] = {'B', '0', (char)('0' + i), 0};
        assert_int_equal(ceil_of(code, 300000, OUT, 0, 202611), 8000);
        assert_int_equal(ceil_of(code, 300000, ALL, MANY, 202611), 15000);
    }
    assert_int_equal(ceil_of("B10", 300000, OUT, 0, 202611), 18000);
    assert_int_equal(ceil_of("B10", 300000, ALL, 0, 202611), 57600);
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
    assert_int_equal(ceil_of("A03", 1000000, ALL, B75, 202611), 48715);
    assert_int_equal(ceil_of("B04", 300000, OUT, B75, 202611), 9000);
    assert_int_equal(ceil_of("B04", 300000, ALL, B75 | MANY, 202611), 22200);
}

static void test_copay(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(t_limit_copay(&v, NULL, "A03", 100000, 30, ALL, 0, 202611), ONSHI_OK);
    assert_int_equal(v, 30000); /* below the ceiling: the plain share */
    assert_int_equal(t_limit_copay(&v, NULL, "A03", 1000000, 30, ALL, 0, 202611), ONSHI_OK);
    assert_int_equal(v, 87430);
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 250000, 10, OUT, 0, 202611), ONSHI_OK);
    assert_int_equal(v, 18000);
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 12345, 10, OUT, 0, 202611), ONSHI_OK);
    assert_int_equal(v, 1235); /* 1,234.5 rounded */
    assert_int_equal(t_limit_copay(&v, NULL, "B10", 12345, 101, OUT, 0, 202611),
                     ONSHI_E_INVALID_ARG);
}

static void test_errors(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    int64_t v = 7;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_int_equal(t_limit_ceiling(&v, ctx, "C01", 1, ALL, 0, 202611), ONSHI_E_CODE_VALUE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "C01"));
    assert_int_equal(v, 0);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", -1, ALL, 0, 202611), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, 3, 0, 202611), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 8, 202611), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 201807), ONSHI_E_UNSUPPORTED);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 202613), ONSHI_E_UNSUPPORTED);
    assert_int_equal(t_limit_ceiling(&v, ctx, NULL, 1, ALL, 0, 202611), ONSHI_E_INVALID_ARG);
    assert_int_equal(t_limit_ceiling(&v, ctx, "A01", 1, ALL, 0, 0), ONSHI_OK); /* now */
    assert_int_equal(v, 252600);
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
    };
    return cmocka_run_group_tests_name("service/limit", tests, NULL, NULL);
}
