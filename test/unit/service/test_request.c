/* The 1.0 ABI shape: request objects, the callbacks struct, the language of labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "onshi.h"

#include <string.h>

static onshi_ctx *mkctx(const char *lang)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, lang), ONSHI_OK);
    return ctx;
}

static void test_request_params(void **state)
{
    (void)state;
    onshi_request *r = (onshi_request *)1;
    assert_int_equal(onshi_request_new(&r, 0), ONSHI_E_INVALID_ARG);
    assert_null(r);
    assert_int_equal(onshi_request_new(&r, 99), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_request_new(&r, ONSHI_REQ_INSURANCE_CARD_VERIFY), ONSHI_OK);
    assert_int_equal(onshi_request_kind(r), ONSHI_REQ_INSURANCE_CARD_VERIFY);
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_INSURER_NUMBER, "06139990"), ONSHI_OK);
    /* a parameter of another kind is refused at once, not ignored by the call */
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_REFERENCE_NUMBER, "A-1"), ONSHI_E_FIELD_ID);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_TOTAL_COST, 1), ONSHI_E_FIELD_ID);
    assert_int_equal(onshi_request_set_str(r, 999, "x"), ONSHI_E_FIELD_ID);
    /* the wrong type */
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_INSURER_NUMBER, 1), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_LIMIT_CONSENT, "1"), ONSHI_E_INVALID_ARG);
    /* unset with NULL, set again */
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_INSURER_NUMBER, NULL), ONSHI_OK);
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_INSURER_NUMBER, "06139990"), ONSHI_OK);
    assert_int_equal(onshi_request_set_str(NULL, ONSHI_P_NUMBER, "1"), ONSHI_E_INVALID_ARG);
    assert_string_equal(onshi_request_param_name(ONSHI_P_INSURER_NUMBER), "insurer_number");
    assert_string_equal(onshi_request_param_name(ONSHI_P_SERVICE_MONTH), "service_month");
    assert_null(onshi_request_param_name(0));
    assert_null(onshi_request_param_name(ONSHI_P_SERVICE_MONTH + 1));
    assert_int_equal(onshi_request_kind(NULL), ONSHI_E_INVALID_ARG);
    onshi_request_free(r);
    onshi_request_free(NULL);
}

static void test_request_of_another_kind(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx("en");
    onshi_request *lim = NULL;
    assert_int_equal(onshi_request_new(&lim, ONSHI_REQ_LIMIT), ONSHI_OK);
    onshi_msg *m = (onshi_msg *)1;
    char id[ONSHI_FILE_ID_SIZE] = "x";
    assert_int_equal(onshi_insurance_card_verify(&m, id, sizeof id, ctx, lim),
                     ONSHI_E_INVALID_ARG);
    assert_null(m);
    assert_string_equal(id, "");
    const char *msg = onshi_ctx_last_error_message(ctx);
    assert_non_null(strstr(msg, "ONSHI_REQ_INSURANCE_CARD_VERIFY"));
    assert_non_null(strstr(msg, "ONSHI_REQ_LIMIT"));
    assert_int_equal(onshi_insurance_card_verify(&m, NULL, 0, ctx, NULL), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_disaster_search(&m, ctx, lim), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_mynumber_card_verify(&m, ctx, lim), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_refnum_register(&m, NULL, 0, ctx, lim), ONSHI_E_INVALID_ARG);
    onshi_request_free(lim);
    onshi_ctx_free(ctx);
}

static void test_limit_by_request(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx("en");
    onshi_request *r = NULL;
    assert_int_equal(onshi_request_new(&r, ONSHI_REQ_LIMIT), ONSHI_OK);
    int64_t yen = -1;
    /* nothing set: the call names what is missing */
    assert_int_equal(onshi_limit_ceiling(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "total_cost"));
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_CLASS_CODE, "A03"), ONSHI_OK);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_TOTAL_COST, 1000000), ONSHI_OK);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_SERVICE_MONTH, 202607), ONSHI_OK);
    /* 区分ウ: 80,100 + (1,000,000 - 267,000) x 1% = 87,430 (docs/limit-amount.md) */
    assert_int_equal(onshi_limit_ceiling(&yen, ctx, r), ONSHI_OK);
    assert_int_equal(yen, 87430);
    /* copay needs the ratio */
    assert_int_equal(onshi_limit_copay(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "ratio_percent"));
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_RATIO_PERCENT, 30), ONSHI_OK);
    assert_int_equal(onshi_limit_copay(&yen, ctx, r), ONSHI_OK);
    assert_int_equal(yen, 87430);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_TOTAL_COST, 100000), ONSHI_OK);
    assert_int_equal(onshi_limit_copay(&yen, ctx, r), ONSHI_OK);
    assert_int_equal(yen, 30000);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_RATIO_PERCENT, 101), ONSHI_OK);
    assert_int_equal(onshi_limit_copay(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "ratio_percent 101"));
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_RATIO_PERCENT, 30), ONSHI_OK);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_SCOPE, (int64_t)1 << 40), ONSHI_OK);
    assert_int_equal(onshi_limit_ceiling(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "scope"));
    onshi_request_free(r);

    /* the yearly cap takes the same kind of request, without a total cost */
    assert_int_equal(onshi_request_new(&r, ONSHI_REQ_LIMIT), ONSHI_OK);
    assert_int_equal(onshi_request_set_str(r, ONSHI_P_CLASS_CODE, "B04"), ONSHI_OK);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_SCOPE, ONSHI_LIMIT_SCOPE_OUTPATIENT),
                     ONSHI_OK);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_SERVICE_MONTH, 202607), ONSHI_OK);
    assert_int_equal(onshi_limit_yearly_cap(&yen, ctx, r), ONSHI_OK);
    assert_int_equal(yen, 144000);
    assert_int_equal(onshi_request_set_int(r, ONSHI_P_SCOPE, (int64_t)1 << 40), ONSHI_OK);
    assert_int_equal(onshi_limit_yearly_cap(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_int_equal(yen, 0);
    onshi_request_free(r);
    /* another kind of request is refused, naming the call */
    assert_int_equal(onshi_request_new(&r, ONSHI_REQ_INFO), ONSHI_OK);
    assert_int_equal(onshi_limit_yearly_cap(&yen, ctx, r), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "onshi_limit_yearly_cap"));
    onshi_request_free(r);
    onshi_ctx_free(ctx);
}

static void test_batch_entry_checked_against_kind(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx("en");
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    onshi_request *e = NULL;
    assert_int_equal(onshi_request_new(&e, ONSHI_REQ_BATCH_ENTRY), ONSHI_OK);
    assert_int_equal(onshi_request_set_str(e, ONSHI_P_PATIENT_ID, "P1"), ONSHI_OK);
    assert_int_equal(onshi_request_set_str(e, ONSHI_P_REFERENCE_NUMBER, "R1"), ONSHI_OK);
    /* a 照会番号 is not sent by a qualification batch: refused, not dropped */
    assert_int_equal(onshi_batch_add(b, e), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "reference_number"));
    assert_int_equal(onshi_request_set_str(e, ONSHI_P_REFERENCE_NUMBER, NULL), ONSHI_OK);
    assert_int_equal(onshi_request_set_int(e, ONSHI_P_LIMIT_CONSENT, 1), ONSHI_OK);
    assert_int_equal(onshi_batch_add(b, e), ONSHI_OK);
    assert_int_equal(onshi_batch_count(b), 1);
    onshi_batch_free(b);
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_REFNUM), ONSHI_OK);
    assert_int_equal(onshi_batch_add(b, e), ONSHI_E_INVALID_ARG); /* limit_consent */
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "limit_consent"));
    onshi_request *other = NULL;
    assert_int_equal(onshi_request_new(&other, ONSHI_REQ_REFNUM_REGISTER), ONSHI_OK);
    assert_int_equal(onshi_batch_add(b, other), ONSHI_E_INVALID_ARG); /* another kind */
    onshi_request_free(other);
    onshi_batch_free(b);
    onshi_request_free(e);
    onshi_ctx_free(ctx);
}

static int ONSHI_CALL on_progress(void *ud, int stage, int64_t done, int64_t total)
{
    (void)stage;
    (void)done;
    (void)total;
    (*(int *)ud)++;
    return 0;
}

static void test_callbacks_struct(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx("en");
    int calls = 0;
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    assert_int_equal(cbs.version, ONSHI_CALLBACKS_VERSION);
    cbs.progress = on_progress;
    cbs.progress_userdata = &calls;
    assert_int_equal(onshi_ctx_set_callbacks(ctx, &cbs), ONSHI_OK);
    onshi_callbacks got = ONSHI_CALLBACKS_INIT;
    assert_int_equal(onshi_ctx_get_callbacks(&got, ctx), ONSHI_OK);
    assert_true(got.progress == on_progress);
    assert_ptr_equal(got.progress_userdata, &calls);
    assert_null(got.pin);
    /* a version this library does not know is refused, naming it */
    cbs.version = ONSHI_CALLBACKS_VERSION + 1;
    assert_int_equal(onshi_ctx_set_callbacks(ctx, &cbs), ONSHI_E_INVALID_ARG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "onshi_callbacks.version"));
    cbs.version = 0;
    assert_int_equal(onshi_ctx_set_callbacks(ctx, &cbs), ONSHI_E_INVALID_ARG);
    got.version = 0;
    assert_int_equal(onshi_ctx_get_callbacks(&got, ctx), ONSHI_E_INVALID_ARG);
    /* the refused calls left the installed set alone */
    got.version = ONSHI_CALLBACKS_VERSION;
    assert_int_equal(onshi_ctx_get_callbacks(&got, ctx), ONSHI_OK);
    assert_true(got.progress == on_progress);
    /* NULL removes every callback */
    assert_int_equal(onshi_ctx_set_callbacks(ctx, NULL), ONSHI_OK);
    assert_int_equal(onshi_ctx_get_callbacks(&got, ctx), ONSHI_OK);
    assert_null(got.progress);
    assert_null(got.progress_userdata);
    assert_int_equal(onshi_ctx_set_callbacks(NULL, &got), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_ctx_get_callbacks(NULL, ctx), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

static void test_labels_follow_lang(void **state)
{
    (void)state;
    onshi_ctx *en = mkctx("en"), *ja = mkctx("ja");
    assert_string_equal(onshi_status_label(en, ONSHI_E_NOMEM), "out of memory");
    assert_string_equal(onshi_status_label(ja, ONSHI_E_NOMEM), "メモリが不足しています");
    /* no context: Japanese, the default of ONSHI_OPT_LANG */
    assert_string_equal(onshi_status_label(NULL, ONSHI_E_NOMEM), "メモリが不足しています");
    assert_string_equal(onshi_code_label(ja, 12, "A03"), "ウ");
    assert_string_equal(onshi_batch_outcome_label(en, ONSHI_BATCH_VALID, ONSHI_BATCH_REFNUM),
                        "registered");
    assert_string_equal(onshi_batch_outcome_label(ja, ONSHI_BATCH_VALID, ONSHI_BATCH_REFNUM),
                        "登録済");
    onshi_ctx_free(en);
    onshi_ctx_free(ja);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_params),
        cmocka_unit_test(test_request_of_another_kind),
        cmocka_unit_test(test_limit_by_request),
        cmocka_unit_test(test_batch_entry_checked_against_kind),
        cmocka_unit_test(test_callbacks_struct),
        cmocka_unit_test(test_labels_follow_lang),
    };
    return cmocka_run_group_tests_name("service/request", tests, NULL, NULL);
}
