/*
 * Verify by insurer/symbol/number (資格確認書, 資格情報のお知らせ), 照会番号 registration,
 * drug/checkup information, late pickup.
 * Every input is checked here before a request exists, so an invalid number or a missing
 * consent never reaches the linkage app or the server (nothing to take back there).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"
#include "service/verify.h"

#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- local checks ------------------------------------------------------------------- */

int onshi__verify_field_error(onshi_ctx *ctx, int status, const char *ja_name,
                              const char *en_name, const char *why_en, const char *why_ja)
{
    char en[300], ja[300];
    snprintf(en, sizeof en, "%s: %s", en_name, why_en);
    snprintf(ja, sizeof ja, "%s：%s", ja_name, why_ja);
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_NONE, 0, en, ja);
}

/* Characters (code points) of a UTF-8 string: the system counts characters, not bytes. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int empty(const char *s)
{
    return s == NULL || *s == '\0';
}

int onshi__verify_check_insured(onshi_ctx *ctx, const char *insurer, const char *symbol,
                                const char *number, const char *branch)
{
    if (empty(insurer))
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_MISSING, "保険者番号", "insurer number",
                                         "required", "入力してください");
    int rc = onshi_insurer_number_check(insurer);
    if (rc == ONSHI_E_CHECK_DIGIT) {
        /* Name the digit: the last one (検証番号) disagrees with the ones before it. */
        bool six = strspn(insurer + strspn(insurer, " "), "0123456789") == 6;
        return onshi__verify_field_error(
            ctx, rc, "保険者番号", "insurer number",
            six ? "digit 6 (the check digit) does not match digits 1-5: one of them is "
                  "probably mistyped"
                : "digit 8 (the check digit) does not match digits 1-7: one of them is "
                  "probably mistyped",
            six ? "6桁目（検証番号）が1〜5桁目と一致しません（入力誤りの可能性）"
                : "8桁目（検証番号）が1〜7桁目と一致しません（入力誤りの可能性）");
    }
    if (rc != ONSHI_OK)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "保険者番号", "insurer number",
                                         "6 or 8 digits expected", "6桁または8桁の数字です");
    if (!empty(symbol) && utf8_chars(symbol) > 20)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_LENGTH, "記号", "symbol",
                                         "at most 20 characters", "20文字以内です");
    if (empty(number))
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_MISSING, "番号", "number", "required",
                                         "入力してください");
    if (utf8_chars(number) > 20)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_LENGTH, "番号", "number",
                                         "at most 20 characters", "20文字以内です");
    if (!empty(branch) && !onshi__digits(branch, 2))
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "枝番", "branch number",
                                         "2 digits expected (e.g. 01)", "2桁の数字です（例: 01）");
    return ONSHI_OK;
}

/*
 * The one check of the institution's own code, used by every workflow. Unset or not 10 digits
 * cannot be written into a request: ONSHI_E_CONFIG. A code whose prefecture, 点数表 or check
 * digit fails the local rule is only warned about (log), and sent: the central system is the
 * authority, and a wrong local rule must never stop a clinic (docs/codec.md).
 */
int onshi__verify_institution(onshi_ctx *ctx, const char **code)
{
    const char *c = onshi__opt_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE);
    *code = c;
    if (empty(c))
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "medical_institution_code is not set",
                             "医療機関コード（medical_institution_code）が設定されていません");
    size_t n = strlen(c);
    if (n != 10 || !onshi__digits(c, n))
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "medical_institution_code must be the 10-digit 医療機関コード",
                             "医療機関コード（medical_institution_code）は10桁の数字です");
    (void)onshi__institution_code_warn(ctx, c);
    return ONSHI_OK;
}

/* The patient reference written to the audit trail: it must identify the record. */
static void patient_ref(char *out, size_t n, const char *insurer, const char *symbol,
                        const char *number, const char *branch)
{
    snprintf(out, n, "%s/%s/%s/%s", insurer ? insurer : "", symbol ? symbol : "",
             number ? number : "", branch ? branch : "");
}

/* ---- one audited, checked exchange --------------------------------------------------- */

int onshi__verify_run(onshi_msg **out, char *pending_id, size_t id_size, onshi_ctx *ctx,
                      onshi_msg *req, int audit_action, const char *patient, const char *detail)
{
    int rc = onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0);
    if (rc != ONSHI_OK)
        return rc;
    if (audit_action != 0) {
        rc = onshi__audit(ctx, audit_action, ONSHI_AUDIT_BEFORE, 0, patient, detail);
        if (rc != ONSHI_OK)
            return rc;
    }
    rc = onshi__service_exchange(out, ctx, req, NULL, pending_id, id_size);
    if (rc == ONSHI_OK) {
        rc = onshi__service_check(ctx, *out);
        if (rc != ONSHI_OK) {
            onshi_msg_free(*out);
            *out = NULL;
        }
    }
    if (audit_action != 0)
        onshi__audit(ctx, audit_action, ONSHI_AUDIT_AFTER, rc, patient, detail);
    if (rc == ONSHI_OK)
        (void)onshi__progress(ctx, ONSHI_STAGE_DONE, 0, 0); /* the result is already here */
    return rc;
}

static int set(int rc, onshi_group *g, int field, const char *v)
{
    if (rc != ONSHI_OK || empty(v))
        return rc;
    return onshi_group_set_str(g, field, v);
}

/* ---- public calls -------------------------------------------------------------------- */

ONSHI_API int ONSHI_CALL onshi_result_check(onshi_ctx *ctx, const onshi_msg *result)
{
    return onshi__service_check(ctx, result);
}

static int verify_insurance_card(onshi_msg **out, char *pending_id, size_t id_size,
                                 onshi_ctx *ctx, const char *insurer_number, const char *symbol,
                                 const char *number, const char *branch, const char *birthdate,
                                 int limit_consent, const char *arbitrary_id)
{
    if (out == NULL || ctx == NULL)
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG, "out must not be NULL")
                   : ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (pending_id != NULL && id_size > 0)
        pending_id[0] = '\0';
    int rc = onshi__verify_check_insured(ctx, insurer_number, symbol, number, branch);
    if (rc != ONSHI_OK)
        return rc;
    char now[15];
    onshi__jst_now14(now, ctx);
    if (empty(birthdate))
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_MISSING, "生年月日", "birth date",
                                         "required", "入力してください");
    if (!onshi__date8_ok(birthdate) || strncmp(birthdate, now, 8) > 0)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "生年月日", "birth date",
                                         "a past date YYYYMMDD expected",
                                         "YYYYMMDD 形式の過去の日付です");
    if (limit_consent != 0 && limit_consent != 1)
        return onshi__verify_field_error(ctx, ONSHI_E_INVALID_ARG, "限度額情報提供の同意",
                                         "limit-amount consent", "0 or 1 expected",
                                         "0 または 1 です");
    if (arbitrary_id != NULL && utf8_chars(arbitrary_id) > 50)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_LENGTH, "任意識別子",
                                         "ArbitraryIdentifier", "at most 50 characters",
                                         "50文字以内です");
    const char *inst;
    rc = onshi__verify_institution(ctx, &inst);
    if (rc != ONSHI_OK)
        return rc;

    onshi_msg *req = NULL;
    rc = onshi_msg_new(&req, ONSHI_MSG_QUAL_REQ);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "qualification request");
    char date[9];
    memcpy(date, now, 8);
    date[8] = '\0';
    onshi_group *h = onshi_msg_header(req), *s = NULL;
    rc = set(rc, h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, date);
    rc = set(rc, h, ONSHI_F_MEDICAL_INSTITUTION_CODE, inst);
    if (rc == ONSHI_OK)
        rc = onshi_group_add(&s, onshi_msg_body(req), ONSHI_G_SEARCH);
    rc = set(rc, s, ONSHI_F_SEARCH_INSURER_NUMBER, insurer_number);
    rc = set(rc, s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, symbol);
    rc = set(rc, s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, number);
    rc = set(rc, s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, branch);
    rc = set(rc, s, ONSHI_F_SEARCH_BIRTHDATE, birthdate);
    rc = set(rc, s, ONSHI_F_SEARCH_LIMIT_CONS_FLG, limit_consent ? "1" : "0");
    rc = set(rc, s, ONSHI_F_SEARCH_ARBITRARY_IDENTIFIER, arbitrary_id);
    if (rc != ONSHI_OK) {
        onshi_msg_free(req);
        return onshi__err_is(ctx, rc) ? rc : onshi__err(ctx, rc, "building the request");
    }
    char patient[200];
    patient_ref(patient, sizeof patient, insurer_number, symbol, number, branch);
    rc = onshi__verify_run(out, pending_id, id_size, ctx, req, ONSHI_AUDIT_QUALIFICATION,
                           patient, "qualification by insurer/symbol/number (OQSsiquc01req)");
    onshi_msg_free(req);
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_result_pickup(onshi_msg **out, onshi_ctx *ctx,
                                             const char *pending_id, int req_type,
                                             int64_t timeout_ms)
{
    if (out == NULL || ctx == NULL || empty(pending_id))
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and pending_id are required")
                   : ONSHI_E_INVALID_ARG;
    *out = NULL;
    int res_type = onshi__service_result_type(req_type);
    if (res_type == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "message type %d is not a request", req_type);
    int rc = onshi__progress(ctx, ONSHI_STAGE_WAIT_RESULT, 0, 0);
    if (rc != ONSHI_OK)
        return rc;
    rc = onshi__service_pickup(out, ctx, pending_id, res_type, timeout_ms);
    if (rc == ONSHI_OK) {
        rc = onshi__service_check(ctx, *out);
        if (rc != ONSHI_OK) {
            onshi_msg_free(*out);
            *out = NULL;
        }
    }
    if (req_type == ONSHI_MSG_DRUG_REQ || req_type == ONSHI_MSG_CHECKUP_REQ) {
        /* the medical information arrives now: the trail records its delivery too */
        char detail[80];
        snprintf(detail, sizeof detail, "late result of request %s", pending_id);
        if (rc != ONSHI_E_PENDING)
            onshi__audit(ctx, req_type == ONSHI_MSG_DRUG_REQ ? ONSHI_AUDIT_DRUG_INFO
                                                             : ONSHI_AUDIT_CHECKUP_INFO,
                         ONSHI_AUDIT_AFTER, rc, "", detail);
    }
    if (rc == ONSHI_OK)
        (void)onshi__progress(ctx, ONSHI_STAGE_DONE, 0, 0);
    return rc;
}

static int refnum_register(onshi_msg **out, char *pending_id, size_t id_size, onshi_ctx *ctx,
                           const char *reference_number, const char *insurer_number,
                           const char *symbol, const char *number, const char *branch)
{
    if (out == NULL || ctx == NULL)
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG, "out must not be NULL")
                   : ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (pending_id != NULL && id_size > 0)
        pending_id[0] = '\0';
    if (empty(reference_number))
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_MISSING, "照会番号",
                                         "reference number", "required", "入力してください");
    if (utf8_chars(reference_number) > 50)
        return onshi__verify_field_error(ctx, ONSHI_E_FIELD_LENGTH, "照会番号",
                                         "reference number", "at most 50 characters",
                                         "50文字以内です");
    int rc = onshi__verify_check_insured(ctx, insurer_number, symbol, number, branch);
    if (rc != ONSHI_OK)
        return rc;
    const char *inst;
    rc = onshi__verify_institution(ctx, &inst);
    if (rc != ONSHI_OK)
        return rc;
    onshi_msg *req = NULL;
    rc = onshi_msg_new(&req, ONSHI_MSG_REFNUM_REQ);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "registration request");
    onshi_group *g = NULL;
    rc = set(rc, onshi_msg_header(req), ONSHI_F_MEDICAL_INSTITUTION_CODE, inst);
    if (rc == ONSHI_OK)
        rc = onshi_group_add(&g, onshi_msg_body(req), ONSHI_G_REFNUM);
    rc = set(rc, g, ONSHI_F_REG_REFERENCE_NUMBER, reference_number);
    rc = set(rc, g, ONSHI_F_REG_INSURER_NUMBER, insurer_number);
    rc = set(rc, g, ONSHI_F_REG_INSURED_CARD_SYMBOL, symbol);
    rc = set(rc, g, ONSHI_F_REG_INSURED_ID_NUMBER, number);
    rc = set(rc, g, ONSHI_F_REG_INSURED_BRANCH_NUMBER, branch);
    if (rc != ONSHI_OK) {
        onshi_msg_free(req);
        return onshi__err_is(ctx, rc) ? rc : onshi__err(ctx, rc, "building the request");
    }
    char patient[200];
    patient_ref(patient, sizeof patient, insurer_number, symbol, number, branch);
    rc = onshi__verify_run(out, pending_id, id_size, ctx, req, 0, patient,
                           "reference number registration (OQSsiimm01req)");
    onshi_msg_free(req);
    return rc;
}

/* YYYYMM of `months` months before ym (ym as "YYYYMM"). */
static void month_minus(char *out, size_t size, const char *ym, int months)
{
    int y = (ym[0] - '0') * 1000 + (ym[1] - '0') * 100 + (ym[2] - '0') * 10 + (ym[3] - '0');
    int m = (ym[4] - '0') * 10 + (ym[5] - '0');
    int t = y * 12 + (m - 1) - months;
    if (t < 0)
        t = 0;
    snprintf(out, size, "%04d%02d", (t / 12) % 10000, (t % 12 + 1) % 100);
}

static int info_request(onshi_msg **out, char *pending_id, size_t id_size, onshi_ctx *ctx,
                        const onshi_group *person, int kind, int file_category,
                        const char *start_month, const char *end_month)
{
    if (out == NULL || ctx == NULL || person == NULL)
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and person must not be NULL")
                   : ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (pending_id != NULL && id_size > 0)
        pending_id[0] = '\0';
    if (onshi_group_kind(person) != ONSHI_G_RESULT)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                          "person must be a ResultOfQualificationConfirmation group");
    if (kind != ONSHI_INFO_DRUG && kind != ONSHI_INFO_CHECKUP)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "kind must be ONSHI_INFO_DRUG or _CHECKUP");
    int max_cat = kind == ONSHI_INFO_DRUG ? ONSHI_INFO_DRUG_DIAGNOSIS_XML : ONSHI_INFO_XML;
    if (file_category < ONSHI_INFO_PDF || file_category > max_cat)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "FileCategory %d is not allowed here",
                          file_category);

    /* consent first: nothing is built, written or audited as an access without it */
    int rc = onshi_person_consent(ctx, person,
                                  kind == ONSHI_INFO_DRUG ? ONSHI_CONSENT_DRUG
                                                          : ONSHI_CONSENT_CHECKUP,
                                  NULL);
    if (rc == ONSHI_OK && file_category >= ONSHI_INFO_DRUG_DIAGNOSIS_PDF)
        rc = onshi_person_consent(ctx, person, ONSHI_CONSENT_DIAGNOSIS, NULL);
    if (rc != ONSHI_OK)
        return rc;

    const char *insurer = NULL, *symbol = NULL, *number = NULL, *branch = NULL;
    onshi_group_get_str(&insurer, person, ONSHI_F_INSURER_NUMBER);
    onshi_group_get_str(&symbol, person, ONSHI_F_INSURED_CARD_SYMBOL);
    onshi_group_get_str(&number, person, ONSHI_F_INSURED_ID_NUMBER);
    onshi_group_get_str(&branch, person, ONSHI_F_INSURED_BRANCH_NUMBER);
    rc = onshi__verify_check_insured(ctx, insurer, symbol, number, branch);
    if (rc != ONSHI_OK)
        return rc;
    char start[16] = "", end[16] = "";
    if (kind == ONSHI_INFO_DRUG) {
        char now[15];
        onshi__jst_now14(now, ctx);
        if (end_month != NULL && !onshi__month6_ok(end_month))
            return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "終了年月", "EndDate",
                                             "YYYYMM expected", "YYYYMM 形式です");
        if (start_month != NULL && !onshi__month6_ok(start_month))
            return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "開始年月", "StartDate",
                                             "YYYYMM expected", "YYYYMM 形式です");
        snprintf(end, sizeof end, "%.6s", end_month ? end_month : now);
        if (start_month)
            snprintf(start, sizeof start, "%s", start_month);
        else
            month_minus(start, sizeof start, end, 5);
        if (strcmp(start, end) > 0)
            return onshi__verify_field_error(ctx, ONSHI_E_FIELD_FORMAT, "開始年月", "StartDate",
                                             "after EndDate", "終了年月より後です");
    }
    const char *inst;
    rc = onshi__verify_institution(ctx, &inst);
    if (rc != ONSHI_OK)
        return rc;

    onshi_msg *req = NULL;
    rc = onshi_msg_new(&req, kind == ONSHI_INFO_DRUG ? ONSHI_MSG_DRUG_REQ : ONSHI_MSG_CHECKUP_REQ);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "information request");
    char cat[4];
    snprintf(cat, sizeof cat, "%d", file_category);
    onshi_group *h = onshi_msg_header(req), *b = onshi_msg_body(req);
    rc = set(rc, h, ONSHI_F_MEDICAL_INSTITUTION_CODE, inst);
    rc = set(rc, h, ONSHI_F_HDR_INSURER_NUMBER, insurer);
    rc = set(rc, h, ONSHI_F_HDR_INSURANCE_CARD_SYMBOL, symbol);
    rc = set(rc, h, ONSHI_F_HDR_INSURED_PERSON_ID_NUMBER, number);
    rc = set(rc, h, ONSHI_F_HDR_BRANCH_NUMBER, branch);
    rc = set(rc, b, ONSHI_F_START_DATE, start);
    rc = set(rc, b, ONSHI_F_END_DATE, end);
    rc = set(rc, b, ONSHI_F_FILE_CATEGORY, cat);
    rc = set(rc, b, ONSHI_F_PR_DI_INF_CLASSIFICATION, "1");
    rc = set(rc, b, ONSHI_F_BODY_MEDICAL_TREATMENT_FLAG, "1");
    if (rc != ONSHI_OK) {
        onshi_msg_free(req);
        return onshi__err_is(ctx, rc) ? rc : onshi__err(ctx, rc, "building the request");
    }
    char patient[200], detail[160];
    patient_ref(patient, sizeof patient, insurer, symbol, number, branch);
    if (kind == ONSHI_INFO_DRUG)
        snprintf(detail, sizeof detail, "drug information %s-%s FileCategory %d (YZKsiquc01req)",
                 start, end, file_category);
    else
        snprintf(detail, sizeof detail, "checkup information FileCategory %d (TKKsiquc01req)",
                 file_category);
    rc = onshi__verify_run(out, pending_id, id_size, ctx, req,
                           kind == ONSHI_INFO_DRUG ? ONSHI_AUDIT_DRUG_INFO
                                                   : ONSHI_AUDIT_CHECKUP_INFO,
                           patient, detail);
    onshi_msg_free(req);
    return rc;
}

/* ---- the public calls: their inputs come from an onshi_request ---- */

static void clear_out(onshi_msg **out, char *pending_id, size_t id_size)
{
    if (out != NULL)
        *out = NULL;
    if (pending_id != NULL && id_size > 0)
        pending_id[0] = '\0';
}

ONSHI_API int ONSHI_CALL onshi_insurance_card_verify(onshi_msg **out, char *pending_id,
                                                     size_t id_size, onshi_ctx *ctx,
                                                     const onshi_request *req)
{
    clear_out(out, pending_id, id_size);
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_INSURANCE_CARD_VERIFY,
                                  "onshi_insurance_card_verify");
    if (rc != ONSHI_OK)
        return rc;
    return verify_insurance_card(
        out, pending_id, id_size, ctx, onshi__request_str(req, ONSHI_P_INSURER_NUMBER),
        onshi__request_str(req, ONSHI_P_SYMBOL), onshi__request_str(req, ONSHI_P_NUMBER),
        onshi__request_str(req, ONSHI_P_BRANCH), onshi__request_str(req, ONSHI_P_BIRTHDATE),
        (int)onshi__request_int(req, ONSHI_P_LIMIT_CONSENT, 0),
        onshi__request_str(req, ONSHI_P_ARBITRARY_ID));
}

ONSHI_API int ONSHI_CALL onshi_refnum_register(onshi_msg **out, char *pending_id, size_t id_size,
                                               onshi_ctx *ctx, const onshi_request *req)
{
    clear_out(out, pending_id, id_size);
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_REFNUM_REGISTER, "onshi_refnum_register");
    if (rc != ONSHI_OK)
        return rc;
    return refnum_register(out, pending_id, id_size, ctx,
                           onshi__request_str(req, ONSHI_P_REFERENCE_NUMBER),
                           onshi__request_str(req, ONSHI_P_INSURER_NUMBER),
                           onshi__request_str(req, ONSHI_P_SYMBOL),
                           onshi__request_str(req, ONSHI_P_NUMBER),
                           onshi__request_str(req, ONSHI_P_BRANCH));
}

ONSHI_API int ONSHI_CALL onshi_info_request(onshi_msg **out, char *pending_id, size_t id_size,
                                            onshi_ctx *ctx, const onshi_group *person,
                                            const onshi_request *req)
{
    clear_out(out, pending_id, id_size);
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_INFO, "onshi_info_request");
    if (rc != ONSHI_OK)
        return rc;
    int64_t kind = onshi__request_int(req, ONSHI_P_INFO_KIND, 0);
    int64_t cat = onshi__request_int(req, ONSHI_P_FILE_CATEGORY, 0);
    if (kind < 0 || kind > 100 || cat < 0 || cat > 100)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "info_kind %lld / file_category %lld unknown",
                          (long long)kind, (long long)cat);
    return info_request(out, pending_id, id_size, ctx, person, (int)kind, (int)cat,
                        onshi__request_str(req, ONSHI_P_START_MONTH),
                        onshi__request_str(req, ONSHI_P_END_MONTH));
}
