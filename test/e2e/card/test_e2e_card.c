/*
 * End to end: onshi_mynumber_card_verify through the REAL pcscd + vpcd + onshi-vcard (PC/SC driver,
 * harness.sh of test/integration/pcsc) and an HTTPS server implementing docs/protocol.md §7
 * (test/support/fake_jpki; onshi-sim takes its place once it is on main). PIN success with
 * consent, card pulled out while the PIN is being asked, last try not confirmed, locked PIN; every APDU log checked
 * against the JPKI allowlist (the My Number never read, VERIFY data masked).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "onshi.h"
#include "../../integration/pcsc/pcsc_util.h"
#include "../../support/fake_jpki.h"

#include <stdio.h>
#include <string.h>

static vc_pki pki;
static vcard_material mat;
static SCARDCONTEXT pctx;
static vc_proc card;
static fake_server *srv;

typedef struct ui {
    const char *pin;
    int pin_calls, pull_card, grant;
} ui;

static int ONSHI_CALL pin_cb(void *ud, int tries, int last, char *buf, size_t cap, int *confirm)
{
    ui *u = ud;
    (void)tries;
    (void)last;
    (void)confirm;
    u->pin_calls++;
    if (u->pull_card) /* the patient takes the card back while the PIN pad is shown */
        vc_stop(&card, pctx);
    snprintf(buf, cap, "%s", u->pin);
    return 0;
}

static int ONSHI_CALL consent_cb(void *ud, int offered, int *granted)
{
    ui *u = ud;
    *granted = offered & u->grant;
    return 0;
}

static int ONSHI_CALL confirming_pin_impl(void *ud, int tries, int last, char *buf, size_t cap,
                                          int *confirm);
/* A PIN callback that confirms the last try. */
static int ONSHI_CALL confirming_pin(void *ud, int tries, int last, char *buf, size_t cap,
                                     int *confirm)
{
    return confirming_pin_impl(ud, tries, last, buf, cap, confirm);
}

static onshi_ctx *new_ctx(ui *u)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, READER0);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 15000);
    fake_server_setup_ctx(srv, ctx);
    tcb_set_pin(ctx, pin_cb, u);
    tcb_set_consent(ctx, consent_cb, u);
    return ctx;
}

static void assert_clean_log(const vc_proc *p)
{
    pt_logscan s;
    assert_int_equal(pt_log_scan(p->log, &s), 0);
    assert_true(s.apdus > 0);
    assert_int_equal(s.outside, 0);
    assert_int_equal(s.flagged, 0);
    assert_int_equal(s.mynumber, 0);
    assert_int_equal(s.unmasked_verify, 0);
}

static int group_setup(void **state)
{
    const char *failed = NULL;
    (void)state;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pctx) != SCARD_S_SUCCESS)
        return -1;
    if (pt_pki_make(&pki) != 0 || vcard_material_load(&mat, pki.cert, pki.key, pki.ca, &failed))
        return -1;
    fake_server_cfg cfg = {"123", 1, 1, 0, 1};
    srv = fake_server_start(&cfg, &mat);
    return srv ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_server_stop(srv);
    vcard_material_free(&mat);
    SCardReleaseContext(pctx);
    pt_pki_free(&pki);
    return 0;
}

static int stop_card(void **state)
{
    (void)state;
    vc_stop(&card, pctx);
    return 0;
}

static void test_pin_and_consent(void **state)
{
    (void)state;
    ui u = {"1234", 0, 0, ONSHI_CONSENT_DRUG};
    assert_int_equal(vc_start(&card, pctx, READER0, "e2e-ok", &pki, NULL), 0);
    onshi_ctx *ctx = new_ctx(&u);
    onshi_msg *m = NULL;
    int rc = t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_DRUG | ONSHI_CONSENT_LIMIT);
    if (rc != ONSHI_OK)
        fprintf(stderr, "    %s\n", onshi_ctx_last_error_message(ctx));
    assert_int_equal(rc, ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_CARDAUTH_RES);
    assert_int_equal(u.pin_calls, 1);
    char v[16];
    assert_true(fake_server_last_el(srv, "PharmacistsInfoConsFlg", v, sizeof v));
    assert_string_equal(v, "1");
    assert_true(fake_server_last_el(srv, "LimitApplicationCertificateRelatedConsFlg", v, sizeof v));
    assert_string_equal(v, "0");
    fake_server_stats st;
    fake_server_stats_get(srv, &st);
    assert_string_equal(st.last_code, ""); /* the server verified the signature */
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_card_pulled_at_pin(void **state)
{
    (void)state;
    ui u = {"1234", 0, 1, 0};
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    assert_int_equal(vc_start(&card, pctx, READER0, "e2e-pulled", &pki, NULL), 0);
    onshi_ctx *ctx = new_ctx(&u);
    onshi_msg *m = NULL;
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_CARD_REMOVED);
    assert_null(m);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.cardauths, before.cardauths); /* nothing was sent */
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_last_try_then_locked(void **state)
{
    (void)state;
    ui u = {"0000", 0, 0, 0};
    static const char *const extra[] = {"--tries", "1", NULL};
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    assert_int_equal(vc_start(&card, pctx, READER0, "e2e-locked", &pki, extra), 0);
    onshi_ctx *ctx = new_ctx(&u);
    onshi_msg *m = NULL;
    /* one try left and the UI does not confirm it: refused, the try is not spent */
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(u.pin_calls, 1);
    /* confirmed, but wrong: the card locks */
    u.pin_calls = 0;
    tcb_set_pin(ctx, confirming_pin, &u);
    int rc = t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0);
    assert_true(rc == ONSHI_E_JPKI_PIN_LOCKED || rc == ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(u.pin_calls, 1);
    /* locked: refused before the PIN is asked and before anything is sent */
    u.pin_calls = 0;
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_DRUG),
                     ONSHI_E_JPKI_PIN_LOCKED);
    assert_int_equal(u.pin_calls, 0);
    assert_null(m);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.cardauths, before.cardauths);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static int ONSHI_CALL confirming_pin_impl(void *ud, int tries, int last, char *buf, size_t cap,
                                  int *confirm)
{
    ui *u = ud;
    (void)tries;
    (void)last;
    u->pin_calls++;
    *confirm = 1;
    snprintf(buf, cap, "%s", u->pin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pin_and_consent, stop_card),
        cmocka_unit_test_teardown(test_card_pulled_at_pin, stop_card),
        cmocka_unit_test_teardown(test_last_try_then_locked, stop_card),
    };
    return cmocka_run_group_tests_name("e2e/card (pcscd + vpcd + onshi-vcard + HTTPS)", tests,
                                       group_setup, group_teardown);
}
