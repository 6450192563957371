/*
 * Disaster-mode search (災害時医療情報閲覧, docs/protocol.md §8): drug or checkup information
 * without a card, by name, birth date, sex and address, only while the system says the mode is
 * open. Every search is audited before it is sent, and a refusal by the audit callback stops it.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/cardx.h"

#include "codec/codec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int arg_error(onshi_ctx *ctx, int status, const char *en, const char *ja)
{
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_NONE, 0, en, ja);
}

static bool empty(const char *s)
{
    return s == NULL || *s == '\0';
}

static int validate(onshi_ctx *ctx, const char *name, const char *kana, const char *birth,
                    int sex, const char *address, int kind, int cat)
{
    if (empty(name) && empty(kana))
        return arg_error(ctx, ONSHI_E_FIELD_MISSING, "Name or NameKana: at least one name is needed",
                         "氏名（漢字またはカナ）を入力してください");
    if ((name && strlen(name) > 100) || (kana && strlen(kana) > 100))
        return arg_error(ctx, ONSHI_E_FIELD_LENGTH, "Name/NameKana longer than 100 bytes",
                         "氏名が長すぎます");
    if (!onshi__date8_ok(birth))
        return arg_error(ctx, ONSHI_E_FIELD_FORMAT, "Birthdate must be a date YYYYMMDD",
                         "生年月日は YYYYMMDD の日付で入力してください");
    if (sex < 0 || sex > 2)
        return arg_error(ctx, ONSHI_E_FIELD_FORMAT, "Sex1 must be 1 (male), 2 (female) or 0",
                         "性別は 1（男）・2（女）・0（指定なし）です");
    if (address && strlen(address) > 200)
        return arg_error(ctx, ONSHI_E_FIELD_LENGTH, "Address longer than 200 bytes",
                         "住所が長すぎます");
    if (kind != ONSHI_DISASTER_DRUG && kind != ONSHI_DISASTER_CHECKUP)
        return arg_error(ctx, ONSHI_E_INVALID_ARG, "kind must be ONSHI_DISASTER_DRUG or _CHECKUP",
                         "検索する情報の種類が不正です");
    if (cat != 1 && cat != 2)
        return arg_error(ctx, ONSHI_E_INVALID_ARG, "file_category must be 1 (PDF) or 2 (XML)",
                         "ファイル区分は 1（PDF）または 2（XML）です");
    return ONSHI_OK;
}

static int build(onshi_ctx *ctx, onshi_buf **out, const char *inst, const char *afi,
                 const char *name, const char *kana, const char *birth, int sex,
                 const char *address, int kind, int cat, const char *staff)
{
    char sexs[2], kinds[2], cats[2];
    snprintf(sexs, sizeof sexs, "%d", sex);
    snprintf(kinds, sizeof kinds, "%d", kind);
    snprintf(cats, sizeof cats, "%d", cat);
    onshi__xw d;
    int rc = onshi__xw_begin(&d, true);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "disaster search request");
    onshi__xw_start(&d, "XmlMsg");
    onshi__xw_start(&d, "MessageHeader");
    onshi__xw_el(&d, "MedicalInstitutionCode", inst);
    onshi__xw_el(&d, "ArbitraryFileIdentifier", afi);
    onshi__xw_end(&d);
    onshi__xw_start(&d, "MessageBody");
    onshi__xw_start(&d, "OnshiDisasterSearch");
    onshi__xw_attr(&d, "version", "1");
    if (!empty(kana))
        onshi__xw_el(&d, "NameKana", kana);
    if (!empty(name))
        onshi__xw_el(&d, "Name", name);
    onshi__xw_el(&d, "Birthdate", birth);
    if (sex != 0)
        onshi__xw_el(&d, "Sex1", sexs);
    if (!empty(address))
        onshi__xw_el(&d, "Address", address);
    onshi__xw_el(&d, "InformationKind", kinds);
    onshi__xw_el(&d, "FileCategory", cats);
    onshi__xw_el(&d, "StaffId", staff);
    onshi__xw_end(&d);
    onshi__xw_end(&d);
    onshi__xw_end(&d);
    return onshi__xw_finish(ctx, &d, out);
}

static int disaster_search(onshi_msg **out, onshi_ctx *ctx, const char *name,
                                               const char *name_kana, const char *birthdate,
                                               int sex, const char *address, int kind,
                                               int file_category)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || ctx == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and ctx must not be NULL");
    const char *inst = NULL;
    int rc = onshi__cardx_require_https(ctx, "disaster-mode search");
    if (rc == ONSHI_OK)
        rc = validate(ctx, name, name_kana, birthdate, sex, address, kind, file_category);
    if (rc == ONSHI_OK)
        rc = onshi__cardx_institution(ctx, &inst);
    if (rc != ONSHI_OK)
        return rc;
    const char *staff = onshi__opt_str(ctx, ONSHI_OPT_OPERATOR_ID);
    if (empty(staff))
        return arg_error(ctx, ONSHI_E_CONFIG,
                         "operator_id must name the member of staff who searches (StaffId)",
                         "災害時検索には操作者 ID（operator_id）の設定が必要です");

    char afi[40] = "DS-", stamp[15];
    onshi__jst_now14(stamp, ctx);
    memcpy(afi + 3, stamp, 15);
    strcat(afi, "-");
    if ((rc = onshi__random_hex(ctx, afi + strlen(afi), 4)) != ONSHI_OK)
        return rc;
    onshi_buf *req = NULL;
    if ((rc = build(ctx, &req, inst, afi, name, name_kana, birthdate, sex, address, kind,
                    file_category, staff)) != ONSHI_OK)
        return rc;

    /* The audit trail identifies the record searched for (not redacted, by design). */
    char patient[512], detail[96];
    snprintf(patient, sizeof patient, "%s/%s/%s/%d/%s", empty(name) ? "" : name,
             empty(name_kana) ? "" : name_kana, birthdate, sex, empty(address) ? "" : address);
    snprintf(detail, sizeof detail, "disaster-mode search for %s information (%s)",
             kind == ONSHI_DISASTER_DRUG ? "drug" : "checkup", file_category == 1 ? "PDF" : "XML");
    rc = onshi__audit(ctx, ONSHI_AUDIT_DISASTER_SEARCH, ONSHI_AUDIT_BEFORE, ONSHI_OK, patient,
                      detail);
    if (rc != ONSHI_OK) {
        onshi_buf_free(req);
        return rc;
    }
    onshi_buf *res = NULL;
    rc = onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0);
    /* Read-only: keyed with the request's own identifier so a lost answer may be asked again. */
    if (rc == ONSHI_OK)
        rc = onshi_https_exchange(&res, ctx, ONSHI_MSG_DISASTER_REQ, onshi_buf_data(req), onshi_buf_len(req), afi);
    onshi_buf_free(req);
    onshi_msg *m = NULL;
    if (rc == ONSHI_OK)
        rc = onshi__cardx_decode(&m, ctx,
                                 kind == ONSHI_DISASTER_DRUG ? ONSHI_MSG_DRUG_RES
                                                             : ONSHI_MSG_CHECKUP_RES,
                                 res);
    onshi_buf_free(res);
    if (rc == ONSHI_OK)
        rc = onshi__cardx_check(ctx, m);
    onshi__audit(ctx, ONSHI_AUDIT_DISASTER_SEARCH, ONSHI_AUDIT_AFTER, rc, patient, detail);
    if (rc == ONSHI_OK)
        rc = onshi__progress(ctx, ONSHI_STAGE_DONE, 0, 0);
    if (rc != ONSHI_OK) {
        onshi_msg_free(m);
        return rc;
    }
    *out = m;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_disaster_search(onshi_msg **out, onshi_ctx *ctx,
                                               const onshi_request *req)
{
    if (out != NULL)
        *out = NULL;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_DISASTER_SEARCH, "onshi_disaster_search");
    if (rc != ONSHI_OK)
        return rc;
    int64_t sex = onshi__request_int(req, ONSHI_P_SEX, 0);
    int64_t kind = onshi__request_int(req, ONSHI_P_INFO_KIND, 0);
    int64_t cat = onshi__request_int(req, ONSHI_P_FILE_CATEGORY, 0);
    if (sex < 0 || sex > 9 || kind < 0 || kind > 9 || cat < 0 || cat > 9)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "sex %lld / info_kind %lld / file_category "
                          "%lld out of range", (long long)sex, (long long)kind, (long long)cat);
    return disaster_search(out, ctx, onshi__request_str(req, ONSHI_P_NAME),
                           onshi__request_str(req, ONSHI_P_NAME_KANA),
                           onshi__request_str(req, ONSHI_P_BIRTHDATE), (int)sex,
                           onshi__request_str(req, ONSHI_P_ADDRESS), (int)kind, (int)cat);
}
