/* jpki: opening a card and reading its certificates through the scripted-APDU reader:
 * detection by SELECT (the token label only when the certificate is refused), the fewest
 * READ BINARYs, the AP selected once per held transaction, every status word, truncated
 * answers, wrong lengths, garbage DER, a card removed in the middle of a read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "jpki/jpki.h"
#include "../../support/jpki_fixture.h"
#include "../../support/scripted_card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct T {
    scripted_card sc;
    onshi_ctx *ctx;
    onshi_card *card;
} T;

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    assert_non_null(t);
    sc_init(&t->sc);
    assert_int_equal(onshi_ctx_new(&t->ctx), ONSHI_OK);
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_LANG, "en");
    sc_attach(t->ctx, &t->sc);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    onshi_card_free(t->card);
    assert_true(sc_only_allowed_selects(&t->sc));
    onshi_ctx_free(t->ctx);
    free(t);
    return 0;
}

/* Open with a good card and forget the commands of the opening. */
static void open_card(T *t)
{
    sc_script_open(&t->sc);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_OK);
    sc_assert_done(&t->sc);
}

static void reopen(T *t)
{
    onshi_card_free(t->card);
    t->card = NULL;
    open_card(t);
}

static void test_open_labels(void **state)
{
    T *t = *state;
    open_card(t);
    /* one SELECT; the label is not read from a card */
    assert_int_equal(t->sc.nlog, 1);
    assert_string_equal(onshi_card_token_label(t->card), "");
    assert_string_equal(onshi_card_reader_name(t->card), "callback");
    onshi_cert *c = NULL;

    /* Android: the certificate answers 6982, the label names the phone, and the certificate
     * then needs the PIN (no PIN callback here: refused before any VERIFY) */
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "6982");
    sc_script_label(&t->sc, "JPKIAPGPSETOKEN");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_NO_CALLBACK);
    assert_string_equal(onshi_card_token_label(t->card), "JPKIAPGPSETOKEN");
    sc_assert_done(&t->sc);

    /* iPhone: recognised, refused with its own message, nothing more sent */
    reopen(t);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "6982");
    sc_script_label(&t->sc, "JPKIAPIOSTOKEN");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "iPhone"));
    sc_assert_done(&t->sc);

    /* the old 住基カード token and anything else: unsupported */
    static const char *const others[] = {"JPKIAPICCTOKEN", "\x01\x02garbage"};
    for (size_t i = 0; i < 2; i++) {
        reopen(t);
        sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
        sc_expect_hex(&t->sc, "00B0000000", "6982");
        sc_script_label(&t->sc, others[i]);
        assert_int_equal(onshi_card_read_auth_cert(&c, t->card),
                         ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
        sc_assert_done(&t->sc);
    }
    assert_null(c);
}

static void test_open_not_jpki(void **state)
{
    T *t = *state;
    /* no JPKI AP: detection by SELECT, not by ATR */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "6A82");
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_JPKI_NOT_JPKI);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_SW);
    assert_int_equal(v, 0x6A82);
    /* AP present, certificate refused, and no token file */
    onshi_cert *c = NULL;
    open_card(t);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "6A82");
    sc_expect_hex(&t->sc, SC_SELECT_TOKEN, "6A82");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_NOT_JPKI);
    /* token label answer of the wrong length */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "6A82");
    sc_expect_hex(&t->sc, SC_SELECT_TOKEN, "9000");
    sc_expect_hex(&t->sc, "00B0000020", "4A504B499000");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_BAD_RESPONSE);
    onshi_card_free(t->card);
    t->card = NULL;
    /* the reader answers one byte: no status word */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "90");
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_JPKI_BAD_RESPONSE);
    sc_assert_done(&t->sc);
}

static void test_open_driver_errors(void **state)
{
    T *t = *state;
    sc_expect_fail(&t->sc, SC_SELECT_AP, ONSHI_E_CARD_NO_CARD);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_CARD_NO_CARD);
    sc_expect_fail(&t->sc, SC_SELECT_AP, 42);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_CARD_DRIVER);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(v, 42);
    sc_assert_done(&t->sc);
    /* no transmit callback at all */
    tcb_set_card_transmit(t->ctx, NULL, NULL);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_NO_CALLBACK);
    size_t n;
    onshi_buf *names;
    assert_int_equal(onshi_card_readers(&names, &n, t->ctx), ONSHI_E_NO_CALLBACK);
}

static void test_read_auth_cert_fewest_apdus(void **state)
{
    T *t = *state;
    const jpki_fixture *fx = jf_get();
    open_card(t);
    size_t before = t->sc.nlog;
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
    onshi_cert *c = NULL;
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_OK);
    sc_assert_done(&t->sc);
    /* the AP selected at open stays current (held transaction): 1 SELECT + ceil(size / 256)
     * READ BINARYs, the DER header comes with the first */
    assert_int_equal(t->sc.nlog - before, 1 + (fx->card.n + 255) / 256);
    onshi_buf *der;
    assert_int_equal(onshi_cert_der(&der, c), ONSHI_OK);
    assert_int_equal(onshi_buf_len(der), fx->card.n);
    assert_memory_equal(onshi_buf_data(der), fx->card.p, fx->card.n);
    onshi_buf_free(der);
    assert_string_equal(onshi_cert_subject(c), "C=JP, CN=Test Card 0001");
    onshi_cert_free(c);
}

/* A file padded past the certificate, answered in odd chunk sizes with 6282 at the end. */
static void test_read_padded_and_short_chunks(void **state)
{
    T *t = *state;
    const jpki_fixture *fx = jf_get();
    open_card(t);
    size_t n = fx->ca.n;
    uint8_t *file = calloc(1, n + 300);
    memcpy(file, fx->ca.p, n);
    memset(file + n, 0xFF, 300);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CA, "9000");
    /* first answer shorter than asked (a reader with a small buffer): 200 bytes */
    sc_expect(&t->sc, "00B0000000", file, 200, 0x9000);
    size_t off = 200;
    while (off < n) {
        size_t left = n - off, want = left < 256 ? left : 256;
        char cmd[16];
        snprintf(cmd, sizeof cmd, "00B0%02X%02X%02X", (unsigned)(off >> 8),
                 (unsigned)(off & 0xFF), (unsigned)(want & 0xFF));
        sc_expect(&t->sc, cmd, file + off, want, 0x9000);
        off += want;
    }
    onshi_cert *c = NULL;
    assert_int_equal(onshi_card_read_ca_cert(&c, t->card), ONSHI_OK);
    sc_assert_done(&t->sc);
    assert_string_equal(onshi_cert_subject(c),
                        "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, CN=Test CA");
    onshi_cert_free(c);
    free(file);
}

static void test_read_6cxx_retry(void **state)
{
    T *t = *state;
    const jpki_fixture *fx = jf_get();
    open_card(t);
    /* a small DER object in a file of exactly its size: the card says "wrong Le, 6C" */
    uint8_t small[2 + 100];
    small[0] = 0x30;
    small[1] = 100;
    memset(small + 2, 0x05, 100);
    (void)fx;
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "6C66");
    sc_expect(&t->sc, "00B0000066", small, sizeof small, 0x9000);
    onshi_cert *c = NULL;
    /* read completely, then mbedTLS refuses the garbage inside */
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_CERT_PARSE);
    assert_null(c);
    sc_assert_done(&t->sc);
}

/* Each error ends the held transaction: the next operation selects the AP again. */
static void expect_read_error(T *t, int want, void (*script)(scripted_card *, const jf_der *))
{
    const jpki_fixture *fx = jf_get();
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    script(&t->sc, &fx->card);
    onshi_cert *c = (onshi_cert *)&c;
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), want);
    assert_null(c);
    sc_assert_done(&t->sc);
}

static void s_truncated_6b00(scripted_card *sc, const jf_der *d)
{
    sc_expect(sc, "00B0000000", d->p, 256, 0x9000);
    sc_expect_hex(sc, "00B0010000", "6B00"); /* file ends before the DER header's length */
}
static void s_truncated_6282(scripted_card *sc, const jf_der *d)
{
    sc_expect(sc, "00B0000000", d->p, 256, 0x9000);
    sc_expect(sc, "00B0010000", d->p + 256, 10, 0x6282);
}
static void s_too_long(scripted_card *sc, const jf_der *d)
{
    uint8_t big[300];
    memcpy(big, d->p, 256);
    memset(big + 256, 0, 44);
    sc_expect(sc, "00B0000000", big, 257, 0x9000); /* more than Le */
}
static void s_empty_answer(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "9000");
}
static void s_not_der(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "FFFFFFFF9000"); /* an empty (erased) EF */
}
static void s_indefinite(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "3080020101 0000 9000");
}
static void s_huge(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "3083FFFFFF 9000");
}
static void s_removed(scripted_card *sc, const jf_der *d)
{
    sc_expect(sc, "00B0000000", d->p, 256, 0x9000);
    sc_expect_fail(sc, "00B0010000", ONSHI_E_CARD_REMOVED);
}
static void s_security(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "6982"); /* a card that wants the PIN for the cert */
    sc_script_label(sc, "JPKIAPICCTOKEN2");    /* says it is a card: its answer stands */
}
static void s_wrong_p1p2(scripted_card *sc, const jf_der *d)
{
    (void)d;
    sc_expect_hex(sc, "00B0000000", "6B00");
}
static void s_garbage_body(scripted_card *sc, const jf_der *d)
{
    uint8_t g[256];
    memcpy(g, d->p, 4); /* a valid header, garbage after it */
    memset(g + 4, 0xA5, sizeof g - 4);
    sc_expect(sc, "00B0000000", g, 256, 0x9000);
    size_t off = 256;
    while (off < d->n) {
        size_t want = d->n - off < 256 ? d->n - off : 256;
        char cmd[16];
        snprintf(cmd, sizeof cmd, "00B0%02X%02X%02X", (unsigned)(off >> 8),
                 (unsigned)(off & 0xFF), (unsigned)(want & 0xFF));
        sc_expect(sc, cmd, g, want, 0x9000);
        off += want;
    }
}

static void test_read_errors(void **state)
{
    T *t = *state;
    open_card(t);
    /* the first sequence after open needs no SELECT AP: fail it on purpose first */
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "6A88");
    onshi_cert *c = NULL;
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_SW);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_truncated_6b00);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_truncated_6282);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_too_long);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_empty_answer);
    expect_read_error(t, ONSHI_E_JPKI_CERT_PARSE, s_not_der);
    expect_read_error(t, ONSHI_E_JPKI_CERT_PARSE, s_indefinite);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_huge);
    expect_read_error(t, ONSHI_E_CARD_REMOVED, s_removed);
    expect_read_error(t, ONSHI_E_JPKI_PIN_REQUIRED, s_security);
    expect_read_error(t, ONSHI_E_JPKI_BAD_RESPONSE, s_wrong_p1p2);
    expect_read_error(t, ONSHI_E_JPKI_CERT_PARSE, s_garbage_body);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_MBEDTLS);
    assert_true(v < 0);
}

static void test_read_file_not_found_and_sw(void **state)
{
    T *t = *state;
    open_card(t);
    onshi_cert *c = NULL;
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "6A82");
    sc_script_label(&t->sc, "JPKIAPICCTOKEN2");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_FILE_NOT_FOUND);
    /* the AP vanished between two sequences (another program, another card) */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "6A82");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_NOT_JPKI);
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "6D00");
    assert_int_equal(onshi_card_read_auth_cert(&c, t->card), ONSHI_E_JPKI_SW);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_SW);
    assert_int_equal(v, 0x6D00);
    sc_assert_done(&t->sc);
}

static void test_callback_driver_readers(void **state)
{
    T *t = *state;
    onshi_buf *names = NULL;
    size_t n = 0;
    assert_int_equal(onshi_card_readers(&names, &n, t->ctx), ONSHI_OK);
    assert_int_equal(n, 1);
    assert_string_equal((const char *)onshi_buf_data(names), "callback");
    onshi_buf_free(names);
    int ev = -1;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 0), ONSHI_OK);
    assert_int_equal(ev, ONSHI_CARD_EVENT_INSERTED);
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_REMOVED, 0),
                     ONSHI_E_UNSUPPORTED);
    assert_int_equal(onshi_card_wait(&ev, t->ctx, 7, 0), ONSHI_E_INVALID_ARG);
    /* a pending cancel stops the next operation before it touches the card */
    onshi_ctx_cancel(t->ctx);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_E_CANCELLED);
    assert_int_equal(t->sc.nlog, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_not_jpki, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_driver_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_auth_cert_fewest_apdus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_padded_and_short_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_6cxx_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_not_found_and_sw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_driver_readers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
