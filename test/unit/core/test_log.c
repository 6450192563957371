/* core: logging through the callback, redaction of personal data and secrets, wipe, buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"

#include <string.h>

static char last_line[1024];
static int last_level, lines;

static void log_cb(void *ud, int level, const char *component, const char *msg)
{
    (void)component;
    *(int *)ud += 1;
    last_level = level;
    strncpy(last_line, msg, sizeof last_line - 1);
    lines++;
}

static void test_log_levels(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    int calls = 0;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi__log(ctx, ONSHI_LOG_ERROR, "core", "nobody listens"); /* no callback: nothing */
    assert_int_equal(tcb_set_log(ctx, log_cb, &calls), ONSHI_OK);
    onshi__log(ctx, ONSHI_LOG_DEBUG, "core", "below the default level");
    assert_int_equal(calls, 0);
    onshi__log(ctx, ONSHI_LOG_INFO, "core", "hello %d", 42);
    assert_int_equal(calls, 1);
    assert_string_equal(last_line, "hello 42");
    assert_int_equal(last_level, ONSHI_LOG_INFO);
    /* long lines are not truncated */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    onshi__log(ctx, ONSHI_LOG_WARN, "core", "%s", big);
    assert_int_equal(calls, 2);
    assert_int_equal(strlen(last_line), sizeof last_line - 1); /* our copy is capped */
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LOG_LEVEL, ONSHI_LOG_NONE), ONSHI_OK);
    onshi__log(ctx, ONSHI_LOG_ERROR, "core", "silenced");
    assert_int_equal(calls, 2);
    onshi_ctx_free(ctx);
}

static void test_redaction_default_on(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    onshi__redact_buf rb;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_NAME, "見本　花子"), "[name]");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_DATE, "19800401"), "[date]");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_ADDRESS, "東京都千代田区"), "[address]");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_NUMBER, "  138014"), "****14");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_NUMBER, "7"), "**");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_SECRET, "1234"), "[secret]");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_TEXT,
                                      "birth 19800401, no 12-34, pin １２３４ ok"),
                        "birth ********, no 12-34, pin **** ok");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_NAME, NULL), "(null)");

    /* turned off on request — but secrets stay hidden */
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LOG_REDACT, 0), ONSHI_OK);
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_NAME, "見本　花子"), "見本　花子");
    assert_string_equal(onshi__redact(ctx, &rb, ONSHI__PII_SECRET, "1234"), "[secret]");
    onshi_ctx_free(ctx);
}

static void test_redaction_long_text(void **state)
{
    (void)state;
    onshi__redact_buf rb;
    char big[1000];
    memset(big, '5', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *r = onshi__redact_always(&rb, ONSHI__PII_TEXT, big);
    assert_true(strlen(r) < ONSHI__REDACT_MAX);
    assert_null(strchr(r, '5'));
}

static void test_wipe_and_buf(void **state)
{
    (void)state;
    unsigned char secret[16];
    memset(secret, 0xA5, sizeof secret);
    onshi_mem_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        assert_int_equal(secret[i], 0);
    onshi_mem_wipe(NULL, 10); /* harmless */

    onshi_buf b;
    onshi__buf_init(&b, true);
    for (int i = 0; i < 100; i++)
        assert_int_equal(onshi__buf_append(&b, "0123456789", 10), ONSHI_OK);
    assert_int_equal(b.len, 1000);
    assert_int_equal(onshi__buf_printf(&b, "-%d-", 7), ONSHI_OK);
    assert_int_equal(b.len, 1003);
    assert_memory_equal(b.data + 1000, "-7-", 3);
    onshi_buf *h = NULL;
    assert_int_equal(onshi__buf_detach(&b, &h), ONSHI_OK);
    assert_null(b.data);
    assert_int_equal(onshi_buf_len(h), 1003);
    assert_memory_equal(onshi_buf_data(h), "0123", 4);
    onshi_buf_free(h);
    onshi_buf_free(NULL);
    assert_int_equal(onshi_buf_len(NULL), 0);
    assert_null(onshi_buf_data(NULL));

    assert_int_equal(onshi__buf_new_copy("abc", 3, &h), ONSHI_OK);
    assert_int_equal(onshi_buf_len(h), 3);
    onshi_buf_free(h);

    char hex[9];
    const unsigned char bytes[] = {0x00, 0xA4, 0x04, 0x0C};
    onshi__hex(hex, bytes, 4);
    assert_string_equal(hex, "00a4040c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_redaction_default_on),
        cmocka_unit_test(test_redaction_long_text),
        cmocka_unit_test(test_wipe_and_buf),
    };
    return cmocka_run_group_tests_name("core/log", tests, NULL, NULL);
}
