/* core: status codes, bands, per-context last error (also across threads), cancel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Every code of the table, with the band its value must fall in. */
static const struct {
    int code;
    int band;
} codes[] = {
#define X(name, en, ja) {name, 0},
#include "core/status.def"
#undef X
};

static int expected_band(int code)
{
    if (code == 0)
        return ONSHI_BAND_OK;
    if (code <= -1 && code >= -99)
        return ONSHI_BAND_CORE;
    if (code <= -100 && code >= -199)
        return ONSHI_BAND_CARD;
    if (code <= -200 && code >= -299)
        return ONSHI_BAND_JPKI;
    if (code <= -300 && code >= -399)
        return ONSHI_BAND_CODEC;
    if (code <= -400 && code >= -499)
        return ONSHI_BAND_TRANSPORT;
    if (code <= -500 && code >= -599)
        return ONSHI_BAND_SERVICE;
    if (code <= -600 && code >= -699)
        return ONSHI_BAND_CALLBACK;
    return ONSHI_BAND_UNKNOWN;
}

static void test_bands(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int c = codes[i].code;
        assert_int_equal(onshi_status_band(c), expected_band(c));
        assert_int_not_equal(onshi_status_band(c), ONSHI_BAND_UNKNOWN);
        assert_non_null(onshi_status_name(c));
        assert_string_not_equal(onshi_status_label(lang_ctx(0), c), "unknown status");
        assert_string_not_equal(onshi_status_label(lang_ctx(1), c), "不明なステータス");
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(codes[j].code, c);
    }
    /* names say which layer: a card code is named ONSHI_E_CARD_* */
    assert_string_equal(onshi_status_name(ONSHI_E_CARD_REMOVED), "ONSHI_E_CARD_REMOVED");
    assert_int_equal(onshi_status_band(ONSHI_E_JPKI_PIN_LOCKED), ONSHI_BAND_JPKI);
    assert_int_equal(onshi_status_band(ONSHI_E_PENDING), ONSHI_BAND_TRANSPORT);
    assert_int_equal(onshi_status_band(ONSHI_E_CANCELLED), ONSHI_BAND_CALLBACK);
    assert_int_equal(onshi_status_band(1), ONSHI_BAND_UNKNOWN);
    /* an int getter returns a value >= 0 or a status, never another negative number */
    assert_int_equal(onshi_status_band(-700), ONSHI_E_INVALID_ARG);
    assert_true(onshi_status_band(ONSHI_OK) >= 0);
    assert_int_equal(onshi_status_band(-700), ONSHI_BAND_UNKNOWN);
    assert_null(onshi_status_name(-99));
    assert_string_equal(onshi_status_label(lang_ctx(0), -99), "unknown status");
}

static void test_last_error_message_lang(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_OK);
    assert_string_equal(onshi_ctx_last_error_message(ctx), "");

    assert_int_equal(onshi__err_ja(ctx, ONSHI_E_FIELD_FORMAT, ONSHI_FOREIGN_NONE, 0,
                                   "InsurerNumber must be 6 or 8 digits",
                                   "保険者番号は6桁または8桁です"),
                     ONSHI_E_FIELD_FORMAT);
    /* default language is Japanese */
    assert_string_equal(onshi_ctx_last_error_message(ctx),
                        "項目の形式が不正です：保険者番号は6桁または8桁です");
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_string_equal(onshi_ctx_last_error_message(ctx),
                        "field has the wrong format: InsurerNumber must be 6 or 8 digits");

    /* a successful call does not clear the error; clear_error does */
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LOG_LEVEL, ONSHI_LOG_WARN), ONSHI_OK);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_E_FIELD_FORMAT);
    onshi_ctx_clear_error(ctx);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_OK);

    /* foreign detail */
    onshi__err_foreign(ctx, ONSHI_E_CARD_PCSC, ONSHI_FOREIGN_PCSC, 0x80100017, "SCardTransmit");
    int kind = -1;
    int64_t value = 0;
    assert_int_equal(onshi_ctx_last_error_foreign(&kind, &value, ctx), ONSHI_E_CARD_PCSC);
    assert_int_equal(kind, ONSHI_FOREIGN_PCSC);
    assert_int_equal(value, 0x80100017);

    /* a binding attaches its own text from a callback */
    assert_int_equal(onshi_ctx_set_error(ctx, ONSHI_E_CALLBACK, "ValueError in on_pin"),
                     ONSHI_OK);
    assert_string_equal(onshi_ctx_last_error_message(ctx), "callback failed: ValueError in on_pin");
    assert_int_equal(onshi_ctx_set_error(ctx, 5, "x"), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

/* Two contexts used by two threads: each keeps its own last error. */
struct thread_arg {
    onshi_ctx *ctx;
    int status;
    char tag[16];
    int ok;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    a->ok = 1;
    for (int i = 0; i < 2000; i++) {
        onshi__err(a->ctx, a->status, "%s #%d", a->tag, i);
        if (onshi_ctx_last_error(a->ctx) != a->status)
            a->ok = 0;
        char want[64];
        snprintf(want, sizeof want, "%s #%d", a->tag, i);
        if (strstr(onshi_ctx_last_error_message(a->ctx), want) == NULL)
            a->ok = 0;
    }
    return NULL;
}

static void test_last_error_per_context_threads(void **state)
{
    (void)state;
    struct thread_arg a = {0}, b = {0};
    assert_int_equal(onshi_ctx_new(&a.ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_new(&b.ctx), ONSHI_OK);
    a.status = ONSHI_E_CARD_REMOVED;
    b.status = ONSHI_E_XML_MALFORMED;
    strcpy(a.tag, "alpha");
    strcpy(b.tag, "beta");
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, thread_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, thread_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_true(a.ok);
    assert_true(b.ok);
    assert_int_equal(onshi_ctx_last_error(a.ctx), ONSHI_E_CARD_REMOVED);
    assert_int_equal(onshi_ctx_last_error(b.ctx), ONSHI_E_XML_MALFORMED);
    /* A context handed to another thread keeps its error (binding thread pools). */
    onshi_ctx_free(a.ctx);
    onshi_ctx_free(b.ctx);
}

static int woken;
static void wake(void *arg)
{
    (void)arg;
    woken++;
}

static void *cancel_main(void *p)
{
    onshi_ctx_cancel(p);
    return NULL;
}

static void test_cancel_from_other_thread(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi__cancel_check(ctx), ONSHI_OK);
    woken = 0;
    onshi__cancel_set_wake(ctx, wake, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_main, ctx), 0);
    pthread_join(t, NULL);
    assert_int_equal(woken, 1);
    assert_true(onshi__cancel_requested(ctx));
    assert_int_equal(onshi__cancel_check(ctx), ONSHI_E_CANCELLED);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_E_CANCELLED);
    /* consumed: the next operation runs */
    assert_int_equal(onshi__cancel_check(ctx), ONSHI_OK);
    onshi__cancel_set_wake(ctx, NULL, NULL);
    /* a cancel that came before the wait installs its hook still wakes it */
    onshi_ctx_cancel(ctx);
    onshi__cancel_set_wake(ctx, wake, NULL);
    assert_int_equal(woken, 2);
    onshi__cancel_set_wake(ctx, NULL, NULL);
    onshi_ctx_free(ctx);
}

static int slot_freed;
static void slot_free(void *p)
{
    slot_freed += *(int *)p;
}

static void test_slots_and_global(void **state)
{
    (void)state;
    assert_int_equal(onshi_global_init(), ONSHI_OK);
    assert_int_equal(onshi_global_init(), ONSHI_OK);
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    static int one = 1, ten = 10;
    slot_freed = 0;
    onshi__slot_set(ctx, ONSHI__SLOT_CARD, &one, slot_free);
    assert_ptr_equal(onshi__slot_get(ctx, ONSHI__SLOT_CARD), &one);
    onshi__slot_set(ctx, ONSHI__SLOT_CARD, &ten, slot_free); /* replaces: frees the old */
    assert_int_equal(slot_freed, 1);
    onshi_ctx_free(ctx); /* frees the rest */
    assert_int_equal(slot_freed, 11);
    onshi_global_cleanup();
    onshi_global_cleanup();
    onshi_global_cleanup(); /* one too many is harmless */
    int major = -1, minor = -1, patch = -1;
    assert_string_equal(onshi_version(&major, &minor, &patch), ONSHI_VERSION_STRING);
    assert_int_equal(major, ONSHI_VERSION_MAJOR);
    assert_int_equal(minor, ONSHI_VERSION_MINOR);
    assert_int_equal(patch, ONSHI_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bands),
        cmocka_unit_test(test_last_error_message_lang),
        cmocka_unit_test(test_last_error_per_context_threads),
        cmocka_unit_test(test_cancel_from_other_thread),
        cmocka_unit_test(test_slots_and_global),
    };
    return cmocka_run_group_tests_name("core/errors", tests, NULL, NULL);
}
