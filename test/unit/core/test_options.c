/* core: numbered typed options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/core.h"

#include <string.h>

static int setup(void **state)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    *state = ctx;
    return 0;
}

static int teardown(void **state)
{
    onshi_ctx_free(*state);
    return 0;
}

static void test_table_sorted_and_unique(void **state)
{
    (void)state;
    size_t n = onshi__optdef_count();
    assert_true(n > 10);
    for (size_t i = 1; i < n; i++)
        assert_true(onshi__optdef_at(i - 1)->id < onshi__optdef_at(i)->id);
    for (size_t i = 0; i < n; i++) {
        const onshi__optdef *d = onshi__optdef_at(i);
        /* names are unique and map back to the id */
        assert_int_equal(onshi_option_id(d->name), d->id);
        assert_string_equal(onshi_option_name(d->id), d->name);
        if (d->type == ONSHI_OPTTYPE_INT) {
            assert_true(d->min_int <= d->def_int && d->def_int <= d->max_int);
        }
        /* the id's hundred is its layer band: 1xx core ... 6xx service */
        assert_true(d->id >= 100 && d->id < 700);
    }
}

static void test_unknown_id(void **state)
{
    onshi_ctx *ctx = *state;
    assert_int_equal(onshi_ctx_set_int(ctx, 9999, 1), ONSHI_E_UNKNOWN_OPTION);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_E_UNKNOWN_OPTION);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "9999"));
    assert_int_equal(onshi_ctx_set_str(ctx, -1, "x"), ONSHI_E_UNKNOWN_OPTION);
    assert_int_equal(onshi_ctx_set_bytes(ctx, 0, "x", 1), ONSHI_E_UNKNOWN_OPTION);
    assert_int_equal(onshi_option_id("no_such_option"), ONSHI_E_UNKNOWN_OPTION);
    assert_null(onshi_option_name(12345));
    assert_int_equal(onshi_option_type(12345), ONSHI_E_UNKNOWN_OPTION);
}

static void test_wrong_type(void **state)
{
    onshi_ctx *ctx = *state;
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_REQ_DIR, 5), ONSHI_E_OPTION_TYPE);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LOG_LEVEL, "10"), ONSHI_E_OPTION_TYPE);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_LANG, "en", 2), ONSHI_E_OPTION_TYPE);
    int64_t v;
    const char *s;
    assert_int_equal(onshi_ctx_get_int(&v, ctx, ONSHI_OPT_LANG), ONSHI_E_OPTION_TYPE);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_LOG_LEVEL), ONSHI_E_OPTION_TYPE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "log_level"));
}

static void test_null_ctx(void **state)
{
    (void)state;
    int64_t v;
    const char *s;
    assert_int_equal(onshi_ctx_set_int(NULL, ONSHI_OPT_LOG_LEVEL, 10), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_set_str(NULL, ONSHI_OPT_LANG, "en"), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_set_bytes(NULL, ONSHI_OPT_TLS_PINNED_KEY, NULL, 0),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_get_int(&v, NULL, ONSHI_OPT_LOG_LEVEL), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_get_str(&s, NULL, ONSHI_OPT_LANG), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_new(NULL), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_last_error(NULL), ONSHI_E_INVALID_ARG);
    assert_string_equal(onshi_ctx_last_error_message(NULL), "");
    onshi_ctx_free(NULL);
    onshi_ctx_cancel(NULL);
    onshi_ctx_clear_error(NULL);
}

static void test_defaults_set_reset(void **state)
{
    onshi_ctx *ctx = *state;
    int64_t v = -1;
    const char *s = NULL;
    assert_int_equal(onshi_ctx_get_int(&v, ctx, ONSHI_OPT_LOG_REDACT), ONSHI_OK);
    assert_int_equal(v, 1); /* redaction on by default */
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_LANG), ONSHI_OK);
    assert_string_equal(s, "ja");
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_REQ_DIR), ONSHI_OK);
    assert_null(s);

    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, "/tmp/req"), ONSHI_OK);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_REQ_DIR), ONSHI_OK);
    assert_string_equal(s, "/tmp/req");
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, NULL), ONSHI_OK);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_REQ_DIR), ONSHI_OK);
    assert_null(s);

    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 5000), ONSHI_OK);
    assert_int_equal(onshi__opt_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS), 5000);
}

static void test_range(void **state)
{
    onshi_ctx *ctx = *state;
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LOG_REDACT, 0), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LOG_REDACT, 2), ONSHI_E_OPTION_RANGE);
    /* the old value stays */
    assert_int_equal(onshi__opt_int(ctx, ONSHI_OPT_LOG_REDACT), 0);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, -1),
                     ONSHI_E_OPTION_RANGE);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "fr"), ONSHI_E_OPTION_RANGE);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    unsigned char key[31] = {0};
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, key, sizeof key),
                     ONSHI_E_OPTION_RANGE);
}

static void test_bytes(void **state)
{
    onshi_ctx *ctx = *state;
    unsigned char key[32];
    size_t len = 99;
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)i;
    assert_null(onshi__opt_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, &len));
    assert_int_equal(len, 0);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, key, 32), ONSHI_OK);
    key[0] = 99; /* copied, not borrowed */
    const unsigned char *got = onshi__opt_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, &len);
    assert_int_equal(len, 32);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[31], 31);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, NULL, 0), ONSHI_OK);
    assert_null(onshi__opt_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, &len));
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, NULL, 3),
                     ONSHI_E_INVALID_ARG);
}

static void test_secret_not_readable(void **state)
{
    onshi_ctx *ctx = *state;
    const char *s = NULL;
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, "hunter2"), ONSHI_OK);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD),
                     ONSHI_E_OPTION_TYPE);
    assert_null(s);
    /* the library itself can read it */
    assert_string_equal(onshi__opt_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD), "hunter2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_and_unique),
        cmocka_unit_test_setup_teardown(test_unknown_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type, setup, teardown),
        cmocka_unit_test(test_null_ctx),
        cmocka_unit_test_setup_teardown(test_defaults_set_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_not_readable, setup, teardown),
    };
    return cmocka_run_group_tests_name("core/options", tests, NULL, NULL);
}
