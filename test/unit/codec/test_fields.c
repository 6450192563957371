/* codec: the one set of field validators (fields.c) — digits, dates, months, time stamps — and
 * the same rule seen through the codec's format check and through the workflows' pre-checks
 * (verify, batch, disaster search all refused 1800-1867 differently before). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "codec/codec.h"
#include "../../support/api.h"

#include <stdlib.h>
#include <string.h>

static void test_digits(void **state)
{
    (void)state;
    assert_true(onshi__digits("0123456789", 10));
    assert_false(onshi__digits("012345678", 10)); /* length is exact */
    assert_false(onshi__digits("01234567890", 10));
    assert_false(onshi__digits("12a4", 4));
    assert_false(onshi__digits("１２", 2)); /* full-width digits are not digits here */
    assert_false(onshi__digits(NULL, 0));
    assert_true(onshi__digits("", 0));
}

static void test_dates(void **state)
{
    (void)state;
    assert_true(onshi__date8_ok("18680101")); /* 明治元年 */
    assert_false(onshi__date8_ok("18671231"));
    assert_false(onshi__date8_ok("18000101")); /* the codec accepted this before */
    assert_true(onshi__date8_ok("20000229"));  /* 400-year rule */
    assert_false(onshi__date8_ok("21000229")); /* 100-year rule */
    assert_true(onshi__date8_ok("20240229"));
    assert_false(onshi__date8_ok("20230229"));
    assert_false(onshi__date8_ok("20250431"));
    assert_false(onshi__date8_ok("20251301"));
    assert_false(onshi__date8_ok("20250100"));
    assert_false(onshi__date8_ok("2025011"));
    assert_false(onshi__date8_ok("2025-1-1"));
    assert_false(onshi__date8_ok(NULL));
    assert_true(onshi__month6_ok("202602"));
    assert_false(onshi__month6_ok("202613"));
    assert_false(onshi__month6_ok("202600"));
    assert_false(onshi__month6_ok("186712"));
    assert_false(onshi__month6_ok("2026021"));
    assert_true(onshi__stamp14_ok("20270101083000"));
    assert_false(onshi__stamp14_ok("20270101240000"));
    assert_false(onshi__stamp14_ok("20270101236000"));
    assert_false(onshi__stamp14_ok("20270230083000"));
    assert_false(onshi__stamp14_ok("2027010108300"));
}

/* The codec's format check of a date field says what the pre-checks say. */
static void test_codec_uses_the_same_rule(void **state)
{
    (void)state;
    const onshi__field *f = onshi__field_by_id(ONSHI_F_SEARCH_BIRTHDATE, -1);
    assert_non_null(f);
    int st = 0;
    assert_null(onshi__format_problem(f, "18680101", &st));
    assert_non_null(onshi__format_problem(f, "18500101", &st));
    assert_int_equal(st, ONSHI_E_FIELD_FORMAT);
    assert_non_null(onshi__format_problem(f, "21000229", &st));
}

/* Each workflow refuses the same birth date the codec refuses. */
static void test_workflows_agree(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "P1", "138016", "", "561", "", "18500101", 0), ONSHI_OK);
    size_t bad = 99;
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(bad, 0);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "birthdate"));
    onshi_batch_free(b);
    onshi_msg *m = NULL;
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    assert_int_equal(t_disaster_search(&m, ctx, "見本　太郎", NULL, "18500101", 1, NULL, ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_FIELD_FORMAT);
    assert_null(m);
    onshi_ctx_free(ctx);
}

/* base64 of the extension documents: RFC 4648 §10 test vectors, and refusals. */
static void test_base64(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char *e = onshi__base64_encode(plain[i], strlen(plain[i]));
        assert_non_null(e);
        assert_string_equal(e, enc[i]);
        free(e);
        unsigned char out[16];
        size_t n = 99;
        assert_int_equal(onshi__base64_decode(enc[i], out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(out, plain[i], n);
    }
    unsigned char out[4];
    size_t n;
    assert_int_equal(onshi__base64_decode("Zm9", out, sizeof out, &n), -1);      /* length */
    assert_int_equal(onshi__base64_decode("Zm=v", out, sizeof out, &n), -1);     /* pad inside */
    assert_int_equal(onshi__base64_decode("Zm9v Zg==", out, sizeof out, &n), -1); /* space */
    assert_int_equal(onshi__base64_decode("Zm9vYmFy", out, sizeof out, &n), -1); /* too big */
    assert_int_equal(onshi__base64_decode("Z===", out, sizeof out, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_codec_uses_the_same_rule),
        cmocka_unit_test(test_workflows_agree),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
