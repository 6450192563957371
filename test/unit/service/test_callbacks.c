/* service: progress, consent and audit callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "service/service.h"

#include <stdio.h>
#include <string.h>

static int stages, cancel_at;
static int on_progress(void *ud, int stage, int64_t done, int64_t total)
{
    (void)ud;
    (void)done;
    (void)total;
    stages++;
    return stage == cancel_at;
}

static int on_consent(void *ud, int offered, int *granted)
{
    (void)offered;
    *granted = *(int *)ud;
    return *(int *)ud < 0;
}

static char audit_line[512];
static int audit_refuse;
static int on_audit(void *ud, int action, int phase, int outcome, const char *op,
                    const char *patient, const char *detail, const char *ts)
{
    (void)ud;
    snprintf(audit_line, sizeof audit_line, "%d %d %d %s %s %s %zu", action, phase, outcome, op,
             patient, detail, strlen(ts));
    return audit_refuse;
}

static void test_callbacks(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    /* nothing installed */
    assert_int_equal(onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0), ONSHI_OK);
    int granted = 9;
    assert_int_equal(onshi__consent(ctx, ONSHI_CONSENT_DRUG, &granted), ONSHI_E_NO_CALLBACK);
    assert_int_equal(granted, 0);
    assert_int_equal(onshi__audit(ctx, ONSHI_AUDIT_DRUG_INFO, ONSHI_AUDIT_BEFORE, 0, "p", "d"),
                     ONSHI_OK);

    assert_int_equal(tcb_set_progress(ctx, on_progress, NULL), ONSHI_OK);
    cancel_at = ONSHI_STAGE_SIGN;
    assert_int_equal(onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0), ONSHI_OK);
    assert_int_equal(onshi__progress(ctx, ONSHI_STAGE_SIGN, 0, 0), ONSHI_E_CANCELLED);
    assert_int_equal(stages, 2);
    /* onshi_ctx_cancel is honoured at the next stage */
    onshi_ctx_cancel(ctx);
    assert_int_equal(onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0), ONSHI_E_CANCELLED);
    assert_int_equal(onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0), ONSHI_OK);

    int answer = ONSHI_CONSENT_DRUG | ONSHI_CONSENT_SURGERY;
    assert_int_equal(tcb_set_consent(ctx, on_consent, &answer), ONSHI_OK);
    assert_int_equal(onshi__consent(ctx, ONSHI_CONSENT_DRUG | ONSHI_CONSENT_LIMIT, &granted),
                     ONSHI_OK);
    assert_int_equal(granted, ONSHI_CONSENT_DRUG); /* masked to what was offered */
    answer = -1;
    assert_int_equal(onshi__consent(ctx, ONSHI_CONSENT_DRUG, &granted), ONSHI_E_CANCELLED);

    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_OPERATOR_ID, "staff-07"), ONSHI_OK);
    assert_int_equal(tcb_set_audit(ctx, on_audit, NULL), ONSHI_OK);
    assert_int_equal(onshi__audit(ctx, ONSHI_AUDIT_DRUG_INFO, ONSHI_AUDIT_BEFORE, 0,
                                  "06130012/12-34/567/01", "drug 202501-202506"),
                     ONSHI_OK);
    assert_string_equal(audit_line, "1 1 0 staff-07 06130012/12-34/567/01 drug 202501-202506 14");
    audit_refuse = 1;
    assert_int_equal(onshi__audit(ctx, ONSHI_AUDIT_DISASTER_SEARCH, ONSHI_AUDIT_BEFORE, 0, "x", "y"),
                     ONSHI_E_CANCELLED);
    assert_int_equal(onshi__audit(ctx, ONSHI_AUDIT_DISASTER_SEARCH, ONSHI_AUDIT_AFTER,
                                  ONSHI_E_CANCELLED, "x", "y"),
                     ONSHI_OK);
    assert_int_equal(tcb_set_audit(NULL, on_audit, NULL), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_callbacks)};
    return cmocka_run_group_tests_name("service/callbacks", tests, NULL, NULL);
}
