/* jpki: PIN rules and signatures through the scripted-APDU reader. Tries 3→2→1, last-try
 * refusal and confirmation, locked (63C0 / 6983 / 6984), callback cancel, PIN format, no
 * automatic retry, sign + verify with a test-PKI key, reset after the key was used, PIN
 * masked in traces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "jpki/jpki.h"
#include "../../support/jpki_fixture.h"
#include "../../support/scripted_card.h"

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct T {
    scripted_card sc;
    onshi_ctx *ctx;
    onshi_card *card;
    /* PIN callback behaviour and what it saw */
    const char *pin;
    int confirm;
    int cancel;
    int calls;
    int seen_tries, seen_last;
    char *seen_buf; /* the library's buffer: must be wiped after the call */
    size_t seen_size;
    /* log lines */
    char log[16384];
    /* signing answer */
    int corrupt_sig;
    /* the card was just opened: its transaction is held with the JPKI AP selected */
    bool fresh;
} T;

static int ONSHI_CALL pin_cb(void *ud, int tries, int is_last, char *buf, size_t size,
                             int *confirm)
{
    T *t = ud;
    t->calls++;
    t->seen_tries = tries;
    t->seen_last = is_last;
    t->seen_buf = buf;
    t->seen_size = size;
    assert_int_equal(*confirm, 0);
    assert_int_equal(size, ONSHI_PIN_BUF_SIZE);
    if (t->cancel)
        return 1;
    if (t->pin)
        memcpy(buf, t->pin, strlen(t->pin) < size ? strlen(t->pin) : size);
    *confirm = t->confirm;
    return 0;
}

static void ONSHI_CALL log_cb(void *ud, int level, const char *comp, const char *msg)
{
    T *t = ud;
    (void)level;
    size_t n = strlen(t->log);
    snprintf(t->log + n, sizeof t->log - n, "%s: %s\n", comp, msg);
}

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    assert_non_null(t);
    sc_init(&t->sc);
    assert_int_equal(onshi_ctx_new(&t->ctx), ONSHI_OK);
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_LANG, "en");
    sc_attach(t->ctx, &t->sc);
    tcb_set_pin(t->ctx, pin_cb, t);
    tcb_set_log(t->ctx, log_cb, t);
    onshi_ctx_set_int(t->ctx, ONSHI_OPT_LOG_LEVEL, ONSHI_LOG_DEBUG);
    onshi_ctx_set_int(t->ctx, ONSHI_OPT_JPKI_APDU_TRACE, 1);
    sc_script_open(&t->sc);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_OK);
    t->fresh = true;
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

/* Each on a freshly opened session (a second ask in the same held transaction is answered
 * without any APDU, see test_tries_cached). */
static void tries_left(T *t, const char *sw, int rc_want, int tries_want)
{
    onshi_card_free(t->card);
    sc_script_open(&t->sc);
    assert_int_equal(onshi_card_open(&t->card, t->ctx), ONSHI_OK);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, sw);
    int tries = 99;
    assert_int_equal(onshi_card_pin_tries_left(&tries, t->card), rc_want);
    assert_int_equal(tries, tries_want);
    sc_assert_done(&t->sc);
}

static void test_tries_left(void **state)
{
    T *t = *state;
    tries_left(t, "63C3", ONSHI_OK, 3);
    tries_left(t, "63C2", ONSHI_OK, 2);
    tries_left(t, "63C1", ONSHI_OK, 1);
    tries_left(t, "6300", ONSHI_OK, -1); /* no retry limit */
    tries_left(t, "9000", ONSHI_OK, -1); /* already verified */
    tries_left(t, "63C0", ONSHI_E_JPKI_PIN_LOCKED, 0);
    tries_left(t, "6984", ONSHI_E_JPKI_PIN_LOCKED, 0);
    tries_left(t, "6983", ONSHI_E_JPKI_PIN_LOCKED, 0);
    /* the advice names the municipal office, in both languages */
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "municipal office"));
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_LANG, "ja");
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "市区町村の窓口"));
    tries_left(t, "6A88", ONSHI_E_JPKI_SW, -1);
    assert_int_equal(t->calls, 0); /* asking the tries never asks for the PIN */
}

/* Within one held transaction nobody else can spend a try: the status is asked once, and a
 * signature right after does not ask it again (issue: "PIN status asked twice"). */
static void test_tries_cached(void **state)
{
    T *t = *state;
    t->pin = "1234";
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C2");
    int tries = 0;
    assert_int_equal(onshi_card_pin_tries_left(&tries, t->card), ONSHI_OK);
    assert_int_equal(onshi_card_pin_tries_left(&tries, t->card), ONSHI_OK);
    assert_int_equal(tries, 2);
    sc_assert_done(&t->sc);
    /* the signature: certificate, then (PIN EF selected again) VERIFY with the tries the
     * card gave: the status is asked again only because the EF changed */
    const jpki_fixture *fx = jf_get();
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C2");
    sc_expect_hex(&t->sc, "002000800431323334", "63C1");
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(t->seen_tries, 2);
    sc_assert_done(&t->sc);
    /* after a VERIFY the status is never taken from before it */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C1");
    assert_int_equal(onshi_card_pin_tries_left(&tries, t->card), ONSHI_OK);
    assert_int_equal(tries, 1);
    sc_assert_done(&t->sc);
}

/* The card's signing step: a real RSA signature with the card key over the DigestInfo. */
static int sign_handler(void *arg, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *rlen)
{
    T *t = arg;
    onshi__apdu a;
    assert_int_equal(onshi__apdu_parse(&a, cmd, len), ONSHI_OK);
    assert_int_equal(onshi__apdu_case(&a), 4);
    assert_int_equal(a.le, 256);
    assert_int_equal(a.lc, 51);
    size_t n = 0;
    assert_int_equal(jf_card_sign(a.data, a.lc, resp, &n), 0);
    assert_true(n + 2 <= cap);
    if (t->corrupt_sig)
        resp[10] ^= 0x01;
    resp[n] = 0x90;
    resp[n + 1] = 0x00;
    *rlen = n + 2;
    return 0;
}

static void script_cert(T *t)
{
    const jpki_fixture *fx = jf_get();
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
}

/* SELECT AP, cert (if not known yet), PIN status; the rest is up to the test. */
static void script_until_verify(T *t, bool cert, const char *status_sw)
{
    if (!t->fresh) /* every sign sequence ends the transaction: the next selects the AP */
        sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    t->fresh = false;
    if (cert)
        script_cert(t);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, status_sw);
}

static void hash_of(uint8_t h[32], const char *s)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_sha256((const unsigned char *)s, strlen(s), h, 0);
#else
    mbedtls_sha256_ret((const unsigned char *)s, strlen(s), h, 0);
#endif
}

static bool pin_wiped(const T *t)
{
    for (size_t i = 0; i < t->seen_size; i++)
        if (t->seen_buf[i] != 0)
            return false;
    return true;
}

static void test_sign_and_verify(void **state)
{
    T *t = *state;
    t->pin = "1234";
    script_until_verify(t, true, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080333031300D060960864801650304020105000420", sign_handler, t);
    uint8_t h[32];
    hash_of(h, "challenge from the server");
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, sizeof h), ONSHI_OK);
    sc_assert_done(&t->sc);
    assert_int_equal(onshi_buf_len(sig), 256);
    assert_int_equal(t->calls, 1);
    assert_int_equal(t->seen_tries, 3);
    assert_int_equal(t->seen_last, 0);
    assert_true(pin_wiped(t));
    assert_int_equal(t->sc.resets, 1); /* the key was used: card reset */
    /* the signature verifies with the certificate the card holds */
    onshi_cert *c;
    const jpki_fixture *fx = jf_get();
    assert_int_equal(onshi_cert_from_der(&c, t->ctx, fx->card.p, fx->card.n), ONSHI_OK);
    assert_int_equal(onshi__cert_verify_sig(t->ctx, c, ONSHI_HASH_SHA256, h, 32,
                                            onshi_buf_data(sig), onshi_buf_len(sig)),
                     ONSHI_OK);
    onshi_cert_free(c);
    onshi_buf_free(sig);
    /* the PIN never appears in a log line, even with APDU traces on */
    if (strstr(t->log, "0020008004 ********") == NULL)
        fail_msg("log: %s", t->log);
    assert_null(strstr(t->log, "31323334"));
    assert_null(strstr(t->log, "1234"));

    /* a second signature: the certificate is known, it is not read again */
    t->calls = 0;
    script_until_verify(t, false, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, t);
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, sizeof h), ONSHI_OK);
    sc_assert_done(&t->sc);
    onshi_buf_free(sig);
    assert_int_equal(t->sc.resets, 2);
}

static void test_bad_signature_refused(void **state)
{
    T *t = *state;
    t->pin = "1234";
    t->corrupt_sig = 1;
    script_until_verify(t, true, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, t);
    uint8_t h[32];
    hash_of(h, "x");
    onshi_buf *sig = (onshi_buf *)&sig;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_SIGNATURE);
    assert_null(sig);
    assert_int_equal(t->sc.resets, 1);
    sc_assert_done(&t->sc);
}

static void test_sign_card_errors(void **state)
{
    T *t = *state;
    t->pin = "1234";
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    /* the card still wants the PIN */
    script_until_verify(t, true, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_hex(&t->sc, "802A0080", "6982");
    t->sc.steps[t->sc.nsteps - 1].prefix = true;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_REQUIRED);
    /* key file missing */
    script_until_verify(t, false, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "6A82");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_FILE_NOT_FOUND);
    /* card removed right after the PIN */
    script_until_verify(t, false, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_fail(&t->sc, SC_SELECT_AUTH_KEY, ONSHI_E_CARD_REMOVED);
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_CARD_REMOVED);
    assert_int_equal(t->sc.resets, 3); /* reset on every path after the PIN */
    sc_assert_done(&t->sc);
    assert_null(sig);
    /* wrong hash length / algorithm: nothing sent */
    size_t sent = t->sc.nlog;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 31),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA384, h, 32),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_card_sign(&sig, t->card, 77, h, 32), ONSHI_E_INVALID_ARG);
    /* no PIN callback */
    tcb_set_pin(t->ctx, NULL, NULL);
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_NO_CALLBACK);
    assert_int_equal(t->sc.nlog, sent);
}

/* A wrong PIN ends the call: no retry, tries left reported, 3 → 2 → 1. */
static void test_wrong_pin_counts_down(void **state)
{
    T *t = *state;
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    t->pin = "0000";
    script_until_verify(t, true, "63C3");
    sc_expect_hex(&t->sc, "002000800430303030", "63C2");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_TRIES);
    assert_int_equal(v, 2);
    assert_int_equal(t->calls, 1);
    assert_true(pin_wiped(t));
    sc_assert_done(&t->sc); /* exactly one VERIFY: never retried */

    script_until_verify(t, false, "63C2");
    sc_expect_hex(&t->sc, "002000800430303030", "63C1");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(t->seen_tries, 2);
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(v, 1);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "1 try left"));
    sc_assert_done(&t->sc);

    /* one try left, not confirmed: refused before any VERIFY with data */
    script_until_verify(t, false, "63C1");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(t->seen_tries, 1);
    assert_int_equal(t->seen_last, 1);
    assert_true(pin_wiped(t));
    sc_assert_done(&t->sc);

    /* confirmed and wrong again: locked by that try (63C0) */
    t->confirm = 1;
    script_until_verify(t, false, "63C1");
    sc_expect_hex(&t->sc, "002000800430303030", "63C0");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    sc_assert_done(&t->sc);

    /* every later attempt: 6984 at the status query; the UI is not even asked */
    int calls = t->calls;
    script_until_verify(t, false, "6984");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    assert_int_equal(t->calls, calls);
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_SW);
    assert_int_equal(v, 0x6984);
    sc_assert_done(&t->sc);
    assert_null(sig);
}

static void test_confirmed_last_try_succeeds(void **state)
{
    T *t = *state;
    t->pin = "4321";
    t->confirm = 1;
    script_until_verify(t, true, "63C1");
    sc_expect_hex(&t->sc, "002000800434333231", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, t);
    uint8_t h[32];
    hash_of(h, "last try");
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32), ONSHI_OK);
    assert_int_equal(t->seen_last, 1);
    onshi_buf_free(sig);
    sc_assert_done(&t->sc);
}

static void test_verify_locked_answers(void **state)
{
    T *t = *state;
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    t->pin = "1111";
    script_until_verify(t, true, "63C3");
    sc_expect_hex(&t->sc, "002000800431313131", "6983");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    script_until_verify(t, false, "63C3");
    sc_expect_hex(&t->sc, "002000800431313131", "6984");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    script_until_verify(t, false, "63C3");
    sc_expect_hex(&t->sc, "002000800431313131", "6A80");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32), ONSHI_E_JPKI_SW);
    sc_assert_done(&t->sc);
}

static void test_cancel_and_format(void **state)
{
    T *t = *state;
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    t->cancel = 1;
    script_until_verify(t, true, "63C3");
    assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32), ONSHI_E_CANCELLED);
    sc_assert_done(&t->sc);
    t->cancel = 0;
    static const char *const bad[] = {"123", "12345", "12a4", "", " 1234", "１２３４",
                                      "12345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t->pin = bad[i];
        script_until_verify(t, false, "63C3");
        assert_int_equal(onshi_card_sign(&sig, t->card, ONSHI_HASH_SHA256, h, 32),
                         ONSHI_E_JPKI_PIN_FORMAT);
        assert_true(pin_wiped(t));
        sc_assert_done(&t->sc); /* no VERIFY with data was sent */
    }
    assert_null(sig);
    /* no command with PIN data was ever sent */
    for (size_t i = 0; i < t->sc.nlog; i++)
        assert_false(t->sc.log_len[i] > 4 && t->sc.log[i][1] == 0x20);
}

int main(void)
{
    jf_get();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tries_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tries_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_signature_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_card_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin_counts_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirmed_last_try_succeeds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_locked_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
