/* service: verification by My Number Card (PIN, face, visual; consent; refusals) and the
 * disaster-mode search, against a behavioural card and an in-process HTTPS server that checks
 * the challenge, the to-be-signed bytes and the signature on its own (test/support/fake_jpki). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "../../support/fake_jpki.h"
#include "service/cardx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct T {
    onshi_ctx *ctx;
    fake_card card;
    /* PIN callback */
    const char *pin;
    int confirm_last, pin_calls, seen_tries, seen_last;
    /* consent callback */
    int grant, consent_calls, offered_seen;
    /* identity callback */
    int verdict, id_calls, id_method;
    /* progress */
    int stages[32], nstages;
    /* audit */
    int audit_before, audit_after, audit_action, audit_outcome, audit_refuse;
    char audit_patient[512];
} T;

static fake_server *srv;
static vcard_material mat;

static int ONSHI_CALL pin_cb(void *ud, int tries, int last, char *buf, size_t size, int *confirm)
{
    T *t = ud;
    t->pin_calls++;
    t->seen_tries = tries;
    t->seen_last = last;
    snprintf(buf, size, "%s", t->pin ? t->pin : "");
    *confirm = t->confirm_last;
    return 0;
}

static int ONSHI_CALL consent_cb(void *ud, int offered, int *granted)
{
    T *t = ud;
    t->consent_calls++;
    t->offered_seen = offered;
    *granted = t->grant;
    return 0;
}

static int ONSHI_CALL identity_cb(void *ud, int method, const onshi_cert *cert, int *verified)
{
    T *t = ud;
    t->id_calls++;
    t->id_method = method;
    assert_non_null(cert);
    *verified = t->verdict;
    return 0;
}

static int ONSHI_CALL progress_cb(void *ud, int stage, int64_t done, int64_t total)
{
    T *t = ud;
    (void)done;
    (void)total;
    if (t->nstages < 32)
        t->stages[t->nstages++] = stage;
    return 0;
}

static int ONSHI_CALL audit_cb(void *ud, int action, int phase, int outcome, const char *op,
                               const char *patient, const char *detail, const char *ts)
{
    T *t = ud;
    (void)op;
    (void)detail;
    assert_int_equal(strlen(ts), 14);
    t->audit_action = action;
    if (phase == ONSHI_AUDIT_BEFORE) {
        t->audit_before++;
        snprintf(t->audit_patient, sizeof t->audit_patient, "%s", patient);
        return t->audit_refuse;
    }
    t->audit_after++;
    t->audit_outcome = outcome;
    return 0;
}

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    assert_int_equal(onshi_ctx_new(&t->ctx), ONSHI_OK);
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_OPERATOR_ID, "reception-03");
    fake_card_init(&t->card, &mat);
    fake_card_attach(t->ctx, &t->card);
    fake_server_setup_ctx(srv, t->ctx);
    tcb_set_pin(t->ctx, pin_cb, t);
    tcb_set_consent(t->ctx, consent_cb, t);
    tcb_set_progress(t->ctx, progress_cb, t);
    tcb_set_audit(t->ctx, audit_cb, t);
    tcb_set_identity(t->ctx, identity_cb, t);
    t->pin = "1234";
    t->verdict = 1;
    t->grant = ONSHI_CONSENT_LIMIT | ONSHI_CONSENT_DRUG;
    fake_server_cfg cfg = {"123", 1, 1, 0, 1};
    fake_server_set_cfg(srv, &cfg);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    vcard_stats st;
    vcard_get_stats(t->card.card, &st);
    /* whatever happened, nothing outside the JPKI allowlist was touched */
    assert_int_equal(st.forbidden, 0);
    assert_int_equal(st.mynumber_reads, 0);
    onshi_ctx_free(t->ctx);
    fake_card_free(&t->card);
    free(t);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    fake_server_cfg cfg = {"123", 1, 1, 0, 1};
    if (vcard_material_generate(&mat, NULL) != 0)
        return -1;
    srv = fake_server_start(&cfg, &mat);
    return srv ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_server_stop(srv);
    vcard_material_free(&mat);
    return 0;
}

static vcard_stats cs(T *t)
{
    vcard_stats st;
    vcard_get_stats(t->card.card, &st);
    return st;
}

static const char *el(const char *name)
{
    static char buf[8192];
    if (!fake_server_last_el(srv, name, buf, sizeof buf))
        return NULL;
    return buf;
}

/* The call's status, with the error message printed when it is not the expected one. */
/* The card workflow's request (the identity callback is installed by setup). */
static int verify_card(onshi_msg **m, onshi_ctx *ctx, int method, int offered)
{
    return t_verify_by_card(m, ctx, method, offered);
}

static int said(onshi_ctx *ctx, int rc, int want)
{
    if (rc != want)
        fprintf(stderr, "    got %s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
    return rc;
}
#define VERIFY(t, m, method, offered, cb, ud, want) \
    assert_int_equal(said((t)->ctx, verify_card(m, (t)->ctx, method, offered), want), want)

static const char *body_str(onshi_msg *m, int field)
{
    const char *v = NULL;
    return onshi_group_get_str(&v, onshi_msg_body(m), field) == ONSHI_OK ? v : NULL;
}

static void test_pin_success(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    int offered = ONSHI_CONSENT_LIMIT | ONSHI_CONSENT_DRUG | ONSHI_CONSENT_CHECKUP;
    VERIFY(t, &m, ONSHI_IDV_PIN, offered, NULL, NULL, ONSHI_OK);
    assert_non_null(m);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_CARDAUTH_RES);
    assert_string_equal(body_str(m, ONSHI_F_IDENTITY_VERIFICATION_METHOD), "1");
    assert_string_equal(body_str(m, ONSHI_F_QUALIFICATION_VALIDITY), "1");
    /* the card: one PIN verification, one signature, reset after the key was used */
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->seen_tries, 3);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(cs(t).signs, 1);
    /* the server: one challenge, one authentication keyed with the challenge id */
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.challenges, before.challenges + 1);
    assert_int_equal(after.cardauths, before.cardauths + 1);
    assert_string_equal(after.last_code, "");
    assert_string_equal(after.last_key, el("ChallengeId"));
    assert_string_equal(el("IdentityVerificationMethod"), "1");
    assert_string_equal(el("SignatureAlgorithm"), "RSA-PKCS1-v1_5-SHA256");
    /* consent: offered three, granted two: only those are requested */
    assert_int_equal(t->offered_seen, offered);
    assert_string_equal(el("LimitApplicationCertificateRelatedConsFlg"), "1");
    assert_string_equal(el("PharmacistsInfoConsFlg"), "1");
    assert_string_equal(el("SpecificHealthCheckupsInfoConsFlg"), "0");
    assert_string_equal(el("DiagnosisInfoConsFlg"), "0");
    assert_string_equal(el("OperationInfoConsFlg"), "0");
    /* stages in order */
    static const int want[] = {ONSHI_STAGE_WAIT_CARD, ONSHI_STAGE_READ_CERT,
                               ONSHI_STAGE_VERIFY_IDENTITY, ONSHI_STAGE_CONSENT,
                               ONSHI_STAGE_SIGN, ONSHI_STAGE_SEND, ONSHI_STAGE_DONE};
    assert_int_equal(t->nstages, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(t->stages[i], want[i]);
    /* audited before and after, naming the card certificate */
    assert_int_equal(t->audit_action, ONSHI_AUDIT_QUALIFICATION);
    assert_int_equal(t->audit_before, 1);
    assert_int_equal(t->audit_after, 1);
    assert_int_equal(t->audit_outcome, ONSHI_OK);
    assert_non_null(strstr(t->audit_patient, "card:"));
    onshi_msg_free(m);
}

static void test_face_and_visual(void **state)
{
    T *t = *state;
    static const int methods[] = {ONSHI_IDV_FACE, ONSHI_IDV_VISUAL};
    for (int i = 0; i < 2; i++) {
        onshi_msg *m = NULL;
        t->id_calls = 0;
        assert_int_equal(verify_card(&m, t->ctx, methods[i], ONSHI_CONSENT_LIMIT),
                         ONSHI_OK);
        char want[2] = {(char)('0' + methods[i]), 0};
        assert_string_equal(body_str(m, ONSHI_F_IDENTITY_VERIFICATION_METHOD), want);
        assert_string_equal(el("IdentityVerificationMethod"), want);
        assert_int_equal(t->id_calls, 1);
        assert_int_equal(t->id_method, methods[i]);
        /* no PIN is entered, so the card signs nothing: certificate only */
        assert_null(el("Signature"));
        assert_null(el("SignatureAlgorithm"));
        assert_non_null(el("AuthCertificate"));
        onshi_msg_free(m);
    }
    assert_int_equal(t->pin_calls, 0);
    assert_int_equal(t->card.verifies, 0);
    assert_int_equal(cs(t).signs, 0);
}

static void test_face_not_identified(void **state)
{
    T *t = *state;
    onshi_msg *m = (onshi_msg *)1;
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    t->verdict = 0;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_FACE, 0),
                     ONSHI_E_VERIFICATION_METHOD);
    assert_null(m);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.challenges, before.challenges); /* nothing was sent */
    assert_int_equal(t->audit_before, 0);
    /* face/visual without an identity callback */
    tcb_set_identity(t->ctx, NULL, NULL);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_VISUAL, 0),
                     ONSHI_E_NO_CALLBACK);
}

static void test_method_refused_by_server(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_cfg cfg = {"1", 1, 1, 0, 1};
    fake_server_set_cfg(srv, &cfg);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_VISUAL, 0),
                     ONSHI_E_VERIFICATION_METHOD);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "CA009"));
    assert_int_equal(t->audit_after, 1);
    assert_int_equal(t->audit_outcome, ONSHI_E_VERIFICATION_METHOD);
}

static void test_no_consent(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    t->grant = 0;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT | ONSHI_CONSENT_DRUG |
                                              ONSHI_CONSENT_CHECKUP | ONSHI_CONSENT_DIAGNOSIS |
                                              ONSHI_CONSENT_SURGERY),
                     ONSHI_OK);
    assert_int_equal(t->consent_calls, 1);
    static const char *const flags[] = {"LimitApplicationCertificateRelatedConsFlg",
                                        "PharmacistsInfoConsFlg",
                                        "SpecificHealthCheckupsInfoConsFlg",
                                        "DiagnosisInfoConsFlg", "OperationInfoConsFlg"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(el(flags[i]), "0");
    onshi_msg_free(m);
    /* a consent asked without a consent callback is refused before the card is touched */
    tcb_set_consent(t->ctx, NULL, NULL);
    unsigned long apdus = t->card.apdus;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_DRUG),
                     ONSHI_E_NO_CALLBACK);
    assert_int_equal(t->card.apdus, apdus); /* the card was not touched, no PIN asked */
    assert_int_equal(cs(t).signs, 1);
    /* the PIN method without a PIN callback: the same, before the card */
    tcb_set_consent(t->ctx, consent_cb, t);
    tcb_set_pin(t->ctx, NULL, NULL);
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_NO_CALLBACK);
    assert_int_equal(t->card.apdus, apdus);
}

static void test_pin_locked(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    fake_card_spend_tries(&t->card, 3);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT),
                     ONSHI_E_JPKI_PIN_LOCKED);
    assert_int_equal(t->pin_calls, 0);
    assert_int_equal(t->consent_calls, 0); /* refused before consent and challenge */
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.challenges, before.challenges);
    assert_int_equal(t->card.verifies, 0);
}

static void test_last_try_not_confirmed(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_card_spend_tries(&t->card, 2);
    t->confirm_last = 0;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->seen_last, 1);
    assert_int_equal(t->card.verifies, 0); /* the last try was not spent */
    assert_int_equal(cs(t).tries_left, 1);
    /* confirmed: the try is made once */
    t->confirm_last = 1;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0), ONSHI_OK);
    assert_int_equal(t->card.verifies, 1);
    onshi_msg_free(m);
}

static void test_wrong_pin_not_retried(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    t->pin = "9999";
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(cs(t).tries_left, 2);
    assert_int_equal(cs(t).signs, 0);
}

static void test_card_removed(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    /* removed while the certificate is read */
    t->card.remove_at = 6;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_CARD_REMOVED);
    assert_null(m);
    assert_int_equal(t->pin_calls, 0);
    /* removed on the signature, after the PIN */
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    fake_card_free(&t->card);
    fake_card_init(&t->card, &mat);
    fake_card_attach(t->ctx, &t->card);
    t->card.remove_on_sign = 1;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_CARD_REMOVED);
    assert_null(m);
    assert_int_equal(t->pin_calls, 1);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.cardauths, before.cardauths); /* nothing unsigned was sent */
}

static void test_server_rejects_signature(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_cfg cfg = {"123", 1, 1, 0, 2}; /* the server expects other to-be-signed bytes */
    fake_server_set_cfg(srv, &cfg);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_AUTH_FAILED);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "CA008"));
    int64_t fv = 0;
    int fk = 0;
    assert_int_equal(onshi_ctx_last_error_foreign(&fk, &fv, t->ctx), ONSHI_E_AUTH_FAILED);
    assert_int_equal(fk, ONSHI_FOREIGN_SYSTEM);
    assert_int_equal(fv, 8);
    /* a server clock 20 minutes ahead: the signing time is out of range */
    fake_server_cfg skew = {"123", 1, 1, 1200, 1};
    fake_server_set_cfg(srv, &skew);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_AUTH_FAILED);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "CA002"));
    assert_null(m);
}

static void test_audit_refuses(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    t->audit_refuse = 1;
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_CANCELLED);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.cardauths, before.cardauths);
}

static void test_file_transport_and_config(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "123");
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_CONFIG);
    onshi_ctx_set_int(t->ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_FILE);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_UNSUPPORTED);
    assert_int_equal(verify_card(&m, t->ctx, 7, 0), ONSHI_E_INVALID_ARG);
    assert_int_equal(verify_card(&m, t->ctx, ONSHI_IDV_PIN, 0x40),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(verify_card(NULL, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_UNSUPPORTED);
}

static void test_tbs_bytes(void **state)
{
    (void)state;
    /* docs/protocol.md 7.2: seven LF-separated lines, no trailing LF */
    char tbs[512];
    static const unsigned char der[3] = {0x30, 0x01, 0x00};
    int n = onshi__cardx_tbs(tbs, sizeof tbs, "c-4f1d2a9e7b",
                             "q8Jv0m7o2vQk3m1ZxQ0p1bN8yR4mC9f6Tz2WcGk5x0A=", "1311234567",
                             "20250115093012", 1, der, sizeof der);
    assert_int_equal(n, (int)strlen(tbs));
    static const char want[] = "libonshi-cardauth-v1\nc-4f1d2a9e7b\nq8Jv0m7o2vQk3m1ZxQ0p1bN8y"
                               "R4mC9f6Tz2WcGk5x0A=\n1311234567\n20250115093012\n1\n";
    assert_int_equal(strncmp(tbs, want, strlen(want)), 0);
    assert_int_equal(n, (int)strlen(want) + 64);
    assert_int_equal(tbs[n - 1] != '\n', 1);
    const char *hex = strrchr(tbs, '\n') + 1;
    assert_int_equal(strlen(hex), 64);
    char jst[15];
    onshi__jst_format14(jst, 0); /* 1970-01-01 00:00 UTC = 09:00 JST */
    assert_string_equal(jst, "19700101090000");
}

/* ---- disaster mode ---- */

static void test_disaster_open(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", "ﾐﾎﾝ ﾊﾅｺ", "19800401", 2,
                                           "東京都千代田区", ONSHI_DISASTER_DRUG, 2),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_DRUG_RES);
    onshi_msg_free(m);
    assert_string_equal(el("Name"), "見本　花子");
    assert_string_equal(el("NameKana"), "ﾐﾎﾝ ﾊﾅｺ");
    assert_string_equal(el("Sex1"), "2");
    assert_string_equal(el("Address"), "東京都千代田区");
    assert_string_equal(el("StaffId"), "reception-03");
    assert_string_equal(el("InformationKind"), "1");
    assert_int_equal(t->audit_action, ONSHI_AUDIT_DISASTER_SEARCH);
    assert_int_equal(t->audit_before, 1);
    assert_int_equal(t->audit_after, 1);
    assert_non_null(strstr(t->audit_patient, "19800401"));
    /* checkups, and a PDF */
    assert_int_equal(t_disaster_search(&m, t->ctx, NULL, "ﾐﾎﾝ ﾊﾅｺ", "19800401", 0, NULL,
                                           ONSHI_DISASTER_CHECKUP, 2),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_CHECKUP_RES);
    assert_null(el("Sex1"));
    onshi_msg_free(m);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 1),
                     ONSHI_OK);
    const unsigned char *pdf = NULL;
    size_t len = 0;
    const char *name = NULL;
    assert_int_equal(onshi_msg_attachment(&pdf, &len, &name, m), ONSHI_OK);
    assert_memory_equal(pdf, "%PDF-", 5);
    onshi_msg_free(m);
    assert_int_equal(t->audit_before, 3);
    assert_int_equal(t->audit_after, 3);
}

static void test_disaster_closed_and_refusals(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_server_cfg closed = {"123", 0, 1, 0, 1};
    fake_server_set_cfg(srv, &closed);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_DISASTER_CLOSED);
    assert_null(m);
    assert_int_equal(t->audit_before, 1); /* audited even when closed */
    assert_int_equal(t->audit_after, 1);
    assert_int_equal(t->audit_outcome, ONSHI_E_DISASTER_CLOSED);
    fake_server_cfg many = {"123", 1, 2, 0, 1}, none = {"123", 1, 0, 0, 1};
    fake_server_set_cfg(srv, &many);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_SYSTEM_ERROR);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "DS002"));
    fake_server_set_cfg(srv, &none);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_INFO_NOT_AVAILABLE);
    /* refused by the audit callback: nothing is sent */
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    t->audit_refuse = 1;
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本　花子", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_CANCELLED);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.disasters, before.disasters);
    t->audit_refuse = 0;
    /* local validation names the field; nothing is sent */
    assert_int_equal(t_disaster_search(&m, t->ctx, NULL, "", "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_FIELD_MISSING);
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本", NULL, "19800230", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_FIELD_FORMAT);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "Birthdate"));
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本", NULL, "19800401", 3, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_FIELD_FORMAT);
    /* without an operator id there is nobody to name in the audit trail */
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_OPERATOR_ID, "");
    assert_int_equal(t_disaster_search(&m, t->ctx, "見本", NULL, "19800401", 2, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_CONFIG);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.disasters, before.disasters);
}

/* Issue 17: a whole verification with the PIN on a physical card with a 1.3 KB certificate
 * sends 13 APDUs: SELECT AP, SELECT 000A, 6 READ BINARY, SELECT 0018, PIN status, VERIFY,
 * SELECT 0017, SIGN (the AP is not selected again per stage, the tries are asked once, the
 * token label is not read). */
static void test_fewest_apdus(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    assert_true(mat.cert_len > 5 * 256 && mat.cert_len <= 6 * 256); /* ~1.3 KB: 6 READs */
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT),
                     ONSHI_OK);
    onshi_msg_free(m);
    assert_int_equal(t->card.apdus, 13);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(cs(t).signs, 1);
}

/* Issue 11: the Android smartphone (JPKIAPGPSETOKEN) end to end: the certificate is read
 * after the PIN, same allowlist, same signature; 17 APDUs (the refused read, the label and
 * the second SELECT 000A: 4 more than a card, see docs/card.md for why not 2). */
static void test_smartphone_android(void **state)
{
    T *t = *state;
    fake_card_free(&t->card);
    fake_card_init_phone(&t->card, &mat, VCARD_PHONE_ANDROID);
    fake_card_attach(t->ctx, &t->card);
    onshi_msg *m = NULL;
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT),
                     ONSHI_OK);
    onshi_msg_free(m);
    assert_int_equal(t->card.apdus, 17);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(cs(t).signs, 1);
    /* the patient key comes from the certificate read after the PIN */
    assert_non_null(strstr(t->audit_patient, "card:"));
    /* face / visual cannot read a phone's certificate: refused before the identity step */
    t->id_calls = 0;
    assert_int_equal((tcb_set_identity(t->ctx, identity_cb, t), t_verify_by_card(&m, t->ctx, ONSHI_IDV_FACE, 0)),
                     ONSHI_E_VERIFICATION_METHOD);
    assert_int_equal(t->id_calls, 0);
    /* an iPhone: recognised, a clear status, no PIN asked, nothing sent */
    fake_card_free(&t->card);
    fake_card_init_phone(&t->card, &mat, VCARD_PHONE_IPHONE);
    fake_card_attach(t->ctx, &t->card);
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    t->pin_calls = 0;
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "iPhone"));
    assert_int_equal(t->pin_calls, 0);
    assert_int_equal(t->card.verifies, 0);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.challenges, before.challenges);
}

/* Issue 17, "Card: the fewest APDUs", through the card calls an application makes itself
 * (open, certificate, PIN tries, signature), for each holder: the exact sequence of commands
 * (INS, SELECT target) and how often the PIN was asked. The certificate has a real size: 6
 * READ BINARY. */
#define SEQ_READ6 "B0 B0 B0 B0 B0 B0"

static int read_then_sign(T *t, int with_tries, onshi_cert **cert_out)
{
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32] = {0x17};
    int tries = -1;
    int rc = onshi_card_open(&card, t->ctx);
    if (rc == ONSHI_OK)
        rc = onshi_card_read_auth_cert(&cert, card);
    if (rc == ONSHI_OK && with_tries)
        rc = onshi_card_pin_tries_left(&tries, card);
    if (rc == ONSHI_OK)
        rc = onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32);
    if (rc == ONSHI_OK)
        assert_int_equal(onshi_buf_len(sig), 256);
    onshi_buf_free(sig);
    onshi_card_free(card);
    if (cert_out != NULL)
        *cert_out = cert;
    else
        onshi_cert_free(cert);
    return rc;
}

static void use_holder(T *t, int phone)
{
    fake_card_free(&t->card);
    fake_card_init_phone(&t->card, &mat, phone);
    fake_card_attach(t->ctx, &t->card);
    t->pin_calls = 0;
}

static void test_apdus_card_calls(void **state)
{
    T *t = *state;
    assert_true(mat.cert_len > 5 * 256 && mat.cert_len <= 6 * 256);
    /* a physical card: the minimum, 13 (SELECT AP, SELECT 000A, 6 READ, SELECT 0018, status,
     * VERIFY, SELECT 0017, SIGN), reset once, at the end */
    use_holder(t, VCARD_PHONE_NONE);
    assert_int_equal(read_then_sign(t, 1, NULL), ONSHI_OK);
    assert_string_equal(t->card.trace,
                        "A4:AP A4:000A " SEQ_READ6 " A4:0018 20 20 A4:0017 2A");
    assert_int_equal(t->card.apdus, 13);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(t->card.resets, 1);
    assert_int_equal(cs(t).signs, 1);

    /* an Android phone, certificate first as on a card: 17 = the minimum + the refused read,
     * the label (2) and the second SELECT 000A (docs/card.md "Fewest APDUs"). The VERIFY of
     * the certificate read serves the signature in the same held transaction: the PIN is
     * asked once, sent once; one reset, at the end. (Before: 21 APDUs, the PIN asked and
     * sent twice, a reset in between.) */
    use_holder(t, VCARD_PHONE_ANDROID);
    onshi_cert *cert = NULL;
    assert_int_equal(read_then_sign(t, 0, &cert), ONSHI_OK);
    assert_non_null(cert);
    assert_int_equal(onshi_cert_key_bits(cert), 2048);
    onshi_cert_free(cert);
    assert_string_equal(t->card.trace, "A4:AP A4:000A B0 A4:0006 B0 A4:0018 20 20 A4:000A " SEQ_READ6
                                       " A4:0017 2A");
    assert_int_equal(t->card.apdus, 17);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(t->card.resets, 1);
    assert_int_equal(cs(t).signs, 1);

    /* the phone, signature first (the order docs/card.md used to advise): the same 17 */
    use_holder(t, VCARD_PHONE_ANDROID);
    onshi_card *card = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32] = {0x17};
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    onshi_buf_free(sig);
    onshi_card_free(card);
    assert_int_equal(t->card.apdus, 17);
    assert_int_equal(t->pin_calls, 1);

    /* an iPhone: refused as before, after the label, the PIN never asked, nothing verified;
     * a signature asked anyway is refused the same way */
    use_holder(t, VCARD_PHONE_IPHONE);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
    assert_non_null(strstr(onshi_ctx_last_error_message(t->ctx), "iPhone"));
    assert_string_equal(t->card.trace, "A4:AP A4:000A B0 A4:0006 B0");
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
    onshi_card_free(card);
    assert_null(strstr(t->card.trace, " 20"));
    assert_int_equal(t->pin_calls, 0);
    assert_int_equal(t->card.verifies, 0);
    assert_int_equal(cs(t).signs, 0);
}

/* The phone's verified state held between the certificate and the signature is lost on every
 * path that is not the signature: an error after the VERIFY (reset at once), the session
 * closed without signing (reset at onshi_card_free), the holder taken away between the two
 * calls (the signature fails, nothing signed). A wrong PIN is not retried. */
static void test_phone_verified_state_ends(void **state)
{
    T *t = *state;
    unsigned char hash[32] = {0x17};
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;

    /* closed without a signature: one reset, by onshi_card_free */
    use_holder(t, VCARD_PHONE_ANDROID);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    assert_int_equal(t->card.resets, 0); /* held for the signature */
    onshi_card_free(card);
    assert_int_equal(t->card.resets, 1);

    /* a wrong PIN on the certificate read: reset at once, not retried; the next call asks
     * the person again (a new VERIFY only with a new answer of the callback) */
    use_holder(t, VCARD_PHONE_ANDROID);
    t->pin = "9999";
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(t->card.verifies, 1);
    assert_int_equal(t->card.resets, 1);
    assert_int_equal(cs(t).tries_left, 2);
    t->pin = "1234";
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32), ONSHI_OK);
    onshi_buf_free(sig);
    assert_int_equal(t->pin_calls, 2);
    assert_int_equal(t->card.verifies, 2);
    assert_int_equal(t->card.resets, 2);
    onshi_card_free(card);
    assert_int_equal(t->card.resets, 2);

    /* the last try: the certificate read of a phone keeps the rule (nothing sent unconfirmed) */
    use_holder(t, VCARD_PHONE_ANDROID);
    fake_card_spend_tries(&t->card, 2);
    t->confirm_last = 0;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(t->seen_last, 1);
    assert_int_equal(t->card.verifies, 0);
    onshi_card_free(card);
    assert_int_equal(cs(t).tries_left, 1);

    /* the phone taken away after the certificate: the signature fails, nothing is signed */
    use_holder(t, VCARD_PHONE_ANDROID);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    t->card.remove_at = (int)t->card.apdus + 1;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_CARD_REMOVED);
    assert_null(sig);
    assert_int_equal(cs(t).signs, 0);
    assert_int_equal(t->pin_calls, 1);
    onshi_card_free(card);
}

/* Issue 16: the card removed at any APDU of the verification gives ONSHI_E_CARD_REMOVED,
 * and nothing is sent for authentication. */
static void test_removed_at_every_apdu(void **state)
{
    T *t = *state;
    for (int phone = 0; phone < 2; phone++) {
        int total = phone ? 17 : 13;
        for (int at = 1; at <= total; at++) {
            fake_card_free(&t->card);
            fake_card_init_phone(&t->card, &mat, phone ? VCARD_PHONE_ANDROID : VCARD_PHONE_NONE);
            fake_card_attach(t->ctx, &t->card);
            t->card.remove_at = at;
            fake_server_stats before, after;
            fake_server_stats_get(srv, &before);
            onshi_msg *m = NULL;
            int rc = t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, 0);
            if (rc != ONSHI_E_CARD_REMOVED)
                fail_msg("phone %d, removed at APDU %d: %s (%s)", phone, at,
                         onshi_status_name(rc), onshi_ctx_last_error_message(t->ctx));
            assert_null(m);
            fake_server_stats_get(srv, &after);
            assert_int_equal(after.cardauths, before.cardauths);
        }
    }
}

/* Issue 16: the last-try question comes before anything else of the verification: not
 * confirmed, neither the consent nor the server's challenge is asked. */
static void test_last_try_first(void **state)
{
    T *t = *state;
    onshi_msg *m = NULL;
    fake_card_spend_tries(&t->card, 2);
    t->confirm_last = 0;
    fake_server_stats before, after;
    fake_server_stats_get(srv, &before);
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT),
                     ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(t->consent_calls, 0);
    fake_server_stats_get(srv, &after);
    assert_int_equal(after.challenges, before.challenges);
    /* the order of the callbacks when it goes on: PIN first, then consent, then the
     * challenge */
    t->confirm_last = 1;
    t->nstages = 0;
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT),
                     ONSHI_OK);
    onshi_msg_free(m);
    int pin_stage = -1, consent_stage = -1;
    for (int i = 0; i < t->nstages; i++) {
        if (t->stages[i] == ONSHI_STAGE_VERIFY_IDENTITY && pin_stage < 0)
            pin_stage = i;
        if (t->stages[i] == ONSHI_STAGE_CONSENT)
            consent_stage = i;
    }
    assert_true(pin_stage >= 0 && consent_stage > pin_stage);
}

/* Issue 11: an expired certificate is not refused locally: the request is sent and the
 * system's answer reported (here a server that accepts it). */
static void test_expired_cert_sent(void **state)
{
    T *t = *state;
    vcard_material old;
    time_t now = time(NULL);
    assert_int_equal(vcard_material_generate_validity(&old, NULL, now - 6 * 365 * 86400L,
                                                      now - 20 * 86400L),
                     0);
    fake_server_cfg cfg = {"123", 1, 1, 0, 1};
    fake_server *s2 = fake_server_start(&cfg, &old);
    assert_non_null(s2);
    fake_server_setup_ctx(s2, t->ctx);
    fake_card_free(&t->card);
    fake_card_init(&t->card, &old);
    fake_card_attach(t->ctx, &t->card);
    onshi_msg *m = NULL;
    assert_int_equal(t_verify_by_card(&m, t->ctx, ONSHI_IDV_PIN, 0), ONSHI_OK);
    onshi_msg_free(m);
    fake_server_stats st;
    fake_server_stats_get(s2, &st);
    assert_int_equal(st.cardauths, 1);
    fake_server_stop(s2);
    vcard_material_free(&old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pin_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face_and_visual, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face_not_identified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_refused_by_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_consent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_try_not_confirmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_rejects_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_transport_and_config, setup, teardown),
        cmocka_unit_test(test_tbs_bytes),
        cmocka_unit_test_setup_teardown(test_fewest_apdus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smartphone_android, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apdus_card_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone_verified_state_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_at_every_apdu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_try_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_cert_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disaster_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disaster_closed_and_refusals, setup, teardown),
    };
    return cmocka_run_group_tests_name("service/cardauth", tests, group_setup, group_teardown);
}
