/* card: PC/SC error translation (the mapping table), reader-name matching, and the PC/SC
 * driver against a missing service (a private, non-existent pcscd socket). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "card/card.h"

#include <stdlib.h>
#include <string.h>
#include <winscard.h>

static void test_mapping_table(void **state)
{
    (void)state;
    static const struct {
        LONG code;
        int status;
    } want[] = {
        {SCARD_E_NO_SERVICE, ONSHI_E_CARD_NO_SERVICE},
        {SCARD_E_SERVICE_STOPPED, ONSHI_E_CARD_NO_SERVICE},
        {SCARD_E_NO_READERS_AVAILABLE, ONSHI_E_CARD_NO_READER},
        {SCARD_E_UNKNOWN_READER, ONSHI_E_CARD_READER_NOT_FOUND},
        {SCARD_E_READER_UNAVAILABLE, ONSHI_E_CARD_READER_NOT_FOUND},
        {SCARD_E_NO_SMARTCARD, ONSHI_E_CARD_NO_CARD},
        {SCARD_W_REMOVED_CARD, ONSHI_E_CARD_REMOVED},
        {SCARD_E_SHARING_VIOLATION, ONSHI_E_CARD_READER_BUSY},
        {SCARD_E_TIMEOUT, ONSHI_E_CARD_TIMEOUT},
        {SCARD_W_RESET_CARD, ONSHI_E_CARD_RESET},
        {SCARD_W_UNRESPONSIVE_CARD, ONSHI_E_CARD_UNRESPONSIVE},
        {SCARD_W_UNPOWERED_CARD, ONSHI_E_CARD_UNRESPONSIVE},
        {SCARD_E_PROTO_MISMATCH, ONSHI_E_CARD_COMM},
        {SCARD_F_COMM_ERROR, ONSHI_E_CARD_COMM},
        {SCARD_E_NOT_TRANSACTED, ONSHI_E_CARD_COMM},
        {SCARD_E_CANCELLED, ONSHI_E_CANCELLED},
        {SCARD_E_NO_MEMORY, ONSHI_E_NOMEM},
        {SCARD_E_INVALID_HANDLE, ONSHI_E_CARD_PCSC},   /* not in the table */
        {SCARD_F_INTERNAL_ERROR, ONSHI_E_CARD_PCSC},
        {0x12345678, ONSHI_E_CARD_PCSC},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(onshi__pcsc_status((uint32_t)want[i].code), want[i].status);

    /* each row: unique code, a name, a Japanese hint, a card-band or core status */
    for (size_t i = 0; i < onshi__pcsc_errdef_count(); i++) {
        const onshi__pcsc_errdef *d = onshi__pcsc_errdef_at(i);
        assert_non_null(d->name);
        assert_true(strncmp(d->name, "SCARD_", 6) == 0);
        assert_true(strlen(d->ja) > 0);
        assert_non_null(onshi_status_name(d->status));
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(onshi__pcsc_errdef_at(j)->code, d->code);
    }
    assert_null(onshi__pcsc_errdef_at(onshi__pcsc_errdef_count()));
}

static void test_error_detail(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    assert_int_equal(onshi__pcsc_err(ctx, (uint32_t)SCARD_E_SHARING_VIOLATION, "SCardConnect"),
                     ONSHI_E_CARD_READER_BUSY);
    int kind;
    int64_t v;
    assert_int_equal(onshi_ctx_last_error_foreign(&kind, &v, ctx), ONSHI_E_CARD_READER_BUSY);
    assert_int_equal(kind, ONSHI_FOREIGN_PCSC);
    assert_int_equal(v, (int64_t)(uint32_t)SCARD_E_SHARING_VIOLATION);
    const char *m = onshi_ctx_last_error_message(ctx);
    assert_non_null(strstr(m, "SCardConnect"));
    assert_non_null(strstr(m, "SCARD_E_SHARING_VIOLATION"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "ja");
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "別のアプリケーション"));
    onshi_ctx_free(ctx);
}

/* Every mapped PC/SC code, in both languages: the status's text once, then which call
 * returned which code. */
static void test_error_message_once(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    for (size_t i = 0; i <= onshi__pcsc_errdef_count(); i++) {
        const onshi__pcsc_errdef *d = onshi__pcsc_errdef_at(i);
        uint32_t code = d ? d->code : 0x80100099u;
        for (int ja = 0; ja < 2; ja++) {
            onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, ja ? "ja" : "en");
            int st = onshi__pcsc_err(ctx, code, "SCardTransmit");
            const char *m = onshi_ctx_last_error_message(ctx);
            const char *label = onshi_status_label(ctx, st);
            const char *first = strstr(m, label);
            if (first == NULL || strstr(first + 1, label) != NULL || strncmp(m, label, strlen(label)))
                fail_msg("%s: \"%s\"", d ? d->name : "unmapped", m);
            assert_non_null(strstr(m, "SCardTransmit"));
            if (d)
                assert_non_null(strstr(m, d->name));
        }
    }
    onshi_ctx_free(ctx);
}

static void test_reader_name_matching(void **state)
{
    (void)state;
    assert_true(onshi__reader_name_matches(NULL, "Virtual PCD 00 00"));
    assert_true(onshi__reader_name_matches("", "Virtual PCD 00 00"));
    assert_true(onshi__reader_name_matches("Virtual PCD 00 00", "Virtual PCD 00 00"));
    assert_true(onshi__reader_name_matches("Virtual PCD", "Virtual PCD 00 01"));
    assert_false(onshi__reader_name_matches("Virtual PCD 00 01", "Virtual PCD 00 00"));
    assert_false(onshi__reader_name_matches("SONY", "Virtual PCD 00 00"));
}

/* No pcscd behind the socket: every PC/SC entry point reports the service as missing. */
static void test_no_service(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_PCSC),
                     ONSHI_OK);
    onshi_buf *names = NULL;
    size_t n = 7;
    assert_int_equal(onshi_card_readers(&names, &n, ctx), ONSHI_E_CARD_NO_SERVICE);
    assert_null(names);
    assert_int_equal(n, 0);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_PCSC);
    assert_int_equal(v, (int64_t)(uint32_t)SCARD_E_NO_SERVICE);
    int ev = 5;
    assert_int_equal(onshi_card_wait(&ev, ctx, ONSHI_CARD_EVENT_INSERTED, 10),
                     ONSHI_E_CARD_NO_SERVICE);
    assert_int_equal(ev, 0);
    onshi_card *card = NULL;
    assert_int_equal(onshi_card_open(&card, ctx), ONSHI_E_CARD_NO_SERVICE);
    assert_null(card);
    onshi_ctx_free(ctx);
}

int main(void)
{
    /* a socket path nobody listens on: the PC/SC client library honours this variable */
    setenv("PCSCLITE_CSOCK_NAME", "/nonexistent/onshi-test/pcscd.comm", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping_table),
        cmocka_unit_test(test_error_detail),
        cmocka_unit_test(test_error_message_once),
        cmocka_unit_test(test_reader_name_matching),
        cmocka_unit_test(test_no_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
