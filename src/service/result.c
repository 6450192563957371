/*
 * Helpers on qualification results for reception staff: validity, consent per item,
 * effective sex, "what changed since the last visit", and face-reader results as messages.
 * They read the codec's groups; no parallel result model.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"
#include "service/verify.h"
#include "codec/codec.h"
#include "transport/file.h"

#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ONSHI_API int ONSHI_CALL onshi_result_validity(int *validity, const char **label,
                                               const onshi_ctx *ctx, onshi_msg *result)
{
    if (validity == NULL || result == NULL)
        return ONSHI_E_INVALID_ARG;
    *validity = 0;
    if (label != NULL)
        *label = NULL;
    const char *v = NULL;
    onshi_group *b = onshi_msg_body(result);
    if (onshi_group_get_str(&v, b, ONSHI_F_QUALIFICATION_VALIDITY) != ONSHI_OK || v == NULL)
        return ONSHI_E_NOT_FOUND;
    *validity = atoi(v);
    if (label != NULL)
        onshi_group_get_label(label, ctx, b, ONSHI_F_QUALIFICATION_VALIDITY);
    return ONSHI_OK;
}

/* ---- consent ------------------------------------------------------------------------- */

static const struct consent_item {
    int bit, flg, time;
    const char *ja, *en;
} consent_items[] = {
    {ONSHI_CONSENT_LIMIT, ONSHI_F_LIMIT_CONS_FLG, 0, "限度額適用認定証等情報の提供",
     "limit-amount certificate information"},
    {ONSHI_CONSENT_CHECKUP, ONSHI_F_CHECKUPS_CONS_FLG, ONSHI_F_CHECKUPS_AVAILABLE_TIME,
     "特定健診等情報の閲覧", "specific health checkup information"},
    {ONSHI_CONSENT_DRUG, ONSHI_F_PHARMACISTS_CONS_FLG, ONSHI_F_PHARMACISTS_AVAILABLE_TIME,
     "薬剤情報の閲覧", "drug information"},
    {ONSHI_CONSENT_DIAGNOSIS, ONSHI_F_DIAGNOSIS_CONS_FLG, ONSHI_F_DIAGNOSIS_AVAILABLE_TIME,
     "診療情報の閲覧", "diagnosis information"},
    {ONSHI_CONSENT_SURGERY, ONSHI_F_OPERATION_CONS_FLG, ONSHI_F_OPERATION_AVAILABLE_TIME,
     "手術情報の閲覧", "surgery information"},
};

static int consent_err(onshi_ctx *ctx, int status, const struct consent_item *it,
                       const char *why_en, const char *why_ja)
{
    if (ctx == NULL)
        return status;
    char en[200], ja[200];
    snprintf(en, sizeof en, "consent to %s: %s", it->en, why_en);
    snprintf(ja, sizeof ja, "%sの同意：%s", it->ja, why_ja);
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_NONE, 0, en, ja);
}

ONSHI_API int ONSHI_CALL onshi_person_consent(onshi_ctx *ctx, const onshi_group *person,
                                              int item, const char *now)
{
    const struct consent_item *it = NULL;
    for (size_t i = 0; i < sizeof consent_items / sizeof consent_items[0]; i++)
        if (consent_items[i].bit == item)
            it = &consent_items[i];
    if (person == NULL || it == NULL || (now != NULL && !onshi__digits(now, 14)))
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG,
                                "person, one ONSHI_CONSENT_* item and now (14 digits) expected")
                   : ONSHI_E_INVALID_ARG;
    char nowbuf[15];
    if (now == NULL) {
        onshi__jst_now14(nowbuf, ctx);
        now = nowbuf;
    }
    const char *flg = NULL;
    onshi_group_get_str(&flg, person, it->flg);
    if (flg != NULL && strcmp(flg, "2") == 0)
        return consent_err(ctx, ONSHI_E_CONSENT_EXPIRED, it, "expired (ConsFlg 2)",
                           "有効期限が切れています");
    if (flg == NULL || strcmp(flg, "1") != 0)
        return consent_err(ctx, ONSHI_E_NO_CONSENT, it, "not given", "ありません");
    if (it->time != 0) {
        const char *avail = NULL;
        onshi_group_get_str(&avail, person, it->time);
        /* the system gives a 14-digit deadline; one we cannot read is not a valid consent */
        if (avail != NULL && !onshi__digits(avail, 14))
            return consent_err(ctx, ONSHI_E_CONSENT_EXPIRED, it, "unreadable AvailableTime",
                               "有効期限を読み取れません");
        if (avail != NULL && strcmp(avail, now) < 0)
            return consent_err(ctx, ONSHI_E_CONSENT_EXPIRED, it, "the AvailableTime has passed",
                               "有効期限が過ぎています");
    }
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_person_sex(const char **code, const char **label,
                                          const onshi_ctx *ctx, const onshi_group *person)
{
    if (code == NULL || person == NULL)
        return ONSHI_E_INVALID_ARG;
    *code = NULL;
    if (label != NULL)
        *label = NULL;
    int field = ONSHI_F_SEX2;
    if (onshi_group_get_str(code, person, ONSHI_F_SEX2) != ONSHI_OK || *code == NULL ||
        **code == '\0') {
        field = ONSHI_F_SEX1;
        if (onshi_group_get_str(code, person, ONSHI_F_SEX1) != ONSHI_OK || *code == NULL)
            return ONSHI_E_NOT_FOUND;
    }
    if (label != NULL)
        *label = onshi__code_label(onshi_field_code_table(field), *code, onshi__lang_ja(ctx));
    return ONSHI_OK;
}

/* ---- what changed since the last visit ----------------------------------------------- */

static const struct cmp_field {
    int kind, field;
    const char *ja, *en;
} cmp_fields[] = {
    {ONSHI_G_RESULT, ONSHI_F_INSURED_CARD_CLASSIFICATION, "被保険者証区分", "card classification"},
    {ONSHI_G_RESULT, ONSHI_F_INSURER_NUMBER, "保険者番号", "insurer number"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_CARD_SYMBOL, "記号", "symbol"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_ID_NUMBER, "番号", "number"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_BRANCH_NUMBER, "枝番", "branch number"},
    {ONSHI_G_RESULT, ONSHI_F_PUBLIC_EXPENSE_NUMBER, "公費負担者番号", "public expense number"},
    {ONSHI_G_RESULT, ONSHI_F_BENEFICIARY_NUMBER, "受給者番号", "beneficiary number"},
    {ONSHI_G_RESULT, ONSHI_F_PERSONAL_FAMILY_CLASSIFICATION, "本人・家族の別",
     "insured person or family"},
    {ONSHI_G_RESULT, ONSHI_F_INSURER_NAME, "保険者名称", "insurer name"},
    {ONSHI_G_RESULT, ONSHI_F_NAME, "氏名", "name"},
    {ONSHI_G_RESULT, ONSHI_F_NAME_KANA, "氏名（カナ）", "name (kana)"},
    {ONSHI_G_RESULT, ONSHI_F_SEX2, "性別", "sex"},
    {ONSHI_G_RESULT, ONSHI_F_BIRTHDATE, "生年月日", "birth date"},
    {ONSHI_G_RESULT, ONSHI_F_ADDRESS, "住所", "address"},
    {ONSHI_G_RESULT, ONSHI_F_POST_NUMBER, "郵便番号", "post code"},
    {ONSHI_G_RESULT, ONSHI_F_QUALIFICATION_DATE, "資格取得年月日", "qualification date"},
    {ONSHI_G_RESULT, ONSHI_F_DISQUALIFICATION_DATE, "資格喪失年月日", "disqualification date"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_CARD_VALID_DATE, "有効開始年月日", "card valid from"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_CARD_EXPIRATION_DATE, "有効終了年月日", "card valid until"},
    {ONSHI_G_RESULT, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO, "一部負担金割合", "co-payment ratio"},
    {ONSHI_G_ELDERLY, ONSHI_F_ELDERLY_CONTRIB_RATIO, "高齢受給者 負担割合",
     "elderly co-payment ratio"},
    {ONSHI_G_ELDERLY, ONSHI_F_ELDERLY_VALID_END_DATE, "高齢受給者証 有効終了年月日",
     "elderly certificate valid until"},
    {ONSHI_G_LIMIT, ONSHI_F_LIMIT_CLASSIFICATION_FLAG, "限度額 適用区分", "limit-amount class"},
    {ONSHI_G_LIMIT, ONSHI_F_LIMIT_VALID_START_DATE, "限度額 有効開始年月日",
     "limit-amount valid from"},
    {ONSHI_G_LIMIT, ONSHI_F_LIMIT_VALID_END_DATE, "限度額 有効終了年月日",
     "limit-amount valid until"},
    {ONSHI_G_RESULT, ONSHI_F_REFERENCE_NUMBER, "照会番号", "reference number"},
};

typedef struct change {
    const struct cmp_field *f;
    char *old_v, *new_v;
    const char *old_lab[2], *new_lab[2]; /* [0] English, [1] Japanese */
    char ratio[2][2][24];                /* [old/new][en/ja] formatted ratios */
} change;

struct onshi_changes {
    change *items;
    size_t n;
    bool ja; /* the language of the context it was made with */
};

static const char *field_value(const onshi_group *person, const struct cmp_field *f)
{
    const char *v = NULL;
    if (f->field == ONSHI_F_SEX2) {
        onshi_person_sex(&v, NULL, NULL, person);
        return v ? v : "";
    }
    const onshi_group *g = person;
    if (f->kind != ONSHI_G_RESULT) {
        onshi_group *sub = NULL;
        if (onshi_group_at(&sub, (onshi_group *)person, f->kind, 0) != ONSHI_OK)
            return "";
        g = sub;
    }
    onshi_group_get_str(&v, g, f->field);
    return v ? v : "";
}

static int is_ratio(int field)
{
    return field == ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO ||
           field == ONSHI_F_ELDERLY_CONTRIB_RATIO;
}

static void label_value(change *c, int side, const char *v)
{
    const char **lab = side ? c->new_lab : c->old_lab;
    for (int ja = 0; ja < 2; ja++) {
        lab[ja] = v;
        if (*v == '\0')
            continue;
        if (is_ratio(c->f->field) && onshi__digits(v, strlen(v)) && strlen(v) <= 3) {
            int pct = atoi(v);
            if (ja && pct % 10 == 0)
                snprintf(c->ratio[side][ja], sizeof c->ratio[side][ja], "%d割", pct / 10);
            else
                snprintf(c->ratio[side][ja], sizeof c->ratio[side][ja], "%d %%", pct);
            lab[ja] = c->ratio[side][ja];
            continue;
        }
        int field = c->f->field == ONSHI_F_SEX2 ? ONSHI_F_SEX1 : c->f->field;
        int table = onshi_field_code_table(field);
        const char *l = table ? onshi__code_label(table, v, ja != 0) : NULL;
        if (l != NULL)
            lab[ja] = l;
    }
}

ONSHI_API void ONSHI_CALL onshi_changes_free(onshi_changes *changes)
{
    if (changes == NULL)
        return;
    for (size_t i = 0; i < changes->n; i++) {
        free(changes->items[i].old_v);
        free(changes->items[i].new_v);
    }
    free(changes->items);
    free(changes);
}

ONSHI_API int ONSHI_CALL onshi_person_compare(onshi_changes **out, onshi_ctx *ctx,
                                              const onshi_group *prev, const onshi_group *cur)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (prev == NULL || cur == NULL || onshi_group_kind(prev) != ONSHI_G_RESULT ||
        onshi_group_kind(cur) != ONSHI_G_RESULT)
        return ctx ? onshi__err(ctx, ONSHI_E_INVALID_ARG,
                                "two ResultOfQualificationConfirmation groups expected")
                   : ONSHI_E_INVALID_ARG;
    size_t nf = sizeof cmp_fields / sizeof cmp_fields[0];
    onshi_changes *ch = onshi__calloc(1, sizeof *ch);
    if (ch != NULL)
        ch->items = onshi__calloc(nf, sizeof *ch->items);
    if (ch == NULL || ch->items == NULL) {
        onshi_changes_free(ch);
        return ctx ? onshi__err(ctx, ONSHI_E_NOMEM, "change list") : ONSHI_E_NOMEM;
    }
    ch->ja = onshi__lang_ja(ctx);
    for (size_t i = 0; i < nf; i++) {
        const char *a = field_value(prev, &cmp_fields[i]);
        const char *b = field_value(cur, &cmp_fields[i]);
        if (strcmp(a, b) == 0)
            continue;
        change *c = &ch->items[ch->n++];
        c->f = &cmp_fields[i];
        c->old_v = onshi__strdup(a);
        c->new_v = onshi__strdup(b);
        if (c->old_v == NULL || c->new_v == NULL) {
            onshi_changes_free(ch);
            return ctx ? onshi__err(ctx, ONSHI_E_NOMEM, "change list") : ONSHI_E_NOMEM;
        }
        label_value(c, 0, c->old_v);
        label_value(c, 1, c->new_v);
    }
    *out = ch;
    return ONSHI_OK;
}

ONSHI_API size_t ONSHI_CALL onshi_changes_count(const onshi_changes *changes)
{
    return changes ? changes->n : 0;
}

ONSHI_API int ONSHI_CALL onshi_changes_at(int *field, const char **old_value,
                                          const char **new_value, const onshi_changes *changes,
                                          size_t i)
{
    if (changes == NULL || i >= changes->n)
        return ONSHI_E_NOT_FOUND;
    const change *c = &changes->items[i];
    if (field)
        *field = c->f->field;
    if (old_value)
        *old_value = c->old_v;
    if (new_value)
        *new_value = c->new_v;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_changes_labels(const char **field_label, const char **old_label,
                                              const char **new_label,
                                              const onshi_changes *changes, size_t i)
{
    if (changes == NULL || i >= changes->n)
        return ONSHI_E_NOT_FOUND;
    const change *c = &changes->items[i];
    int j = changes->ja ? 1 : 0;
    if (field_label)
        *field_label = j ? c->f->ja : c->f->en;
    if (old_label)
        *old_label = c->old_lab[j];
    if (new_label)
        *new_label = c->new_lab[j];
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_changes_to_json(onshi_buf **out, onshi_ctx *ctx,
                                               const onshi_changes *changes)
{
    if (out == NULL || changes == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    onshi__json_records *w = onshi__json_records_new();
    for (size_t i = 0; i < changes->n; i++) {
        const change *c = &changes->items[i];
        onshi__json_records_next(w);
        onshi__json_records_num(w, "field", c->f->field);
        onshi__json_records_str(w, "name", onshi_field_name(c->f->field));
        onshi__json_records_str(w, "label", c->f->ja);
        onshi__json_records_str(w, "label_en", c->f->en);
        onshi__json_records_str(w, "old", c->old_v);
        onshi__json_records_str(w, "new", c->new_v);
        onshi__json_records_str(w, "old_label", c->old_lab[1]);
        onshi__json_records_str(w, "new_label", c->new_lab[1]);
    }
    return onshi__json_records_finish(w, ctx, out);
}

/* ---- face-reader results as messages -------------------------------------------------- */

static int decode_face(onshi_msg **out, onshi_ctx *ctx, const onshi_file_result *fr)
{
    int rc = onshi_msg_decode(out, ctx, ONSHI_MSG_FACE_RES, onshi_file_result_data(fr),
                              onshi_file_result_len(fr));
    if (rc != ONSHI_OK)
        onshi__log(ctx, ONSHI_LOG_WARN, "service", "face result %s cannot be decoded (%s)",
                   onshi_file_result_name(fr), onshi_status_name(rc));
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_face_watch_next(onshi_msg **out, onshi_face_watch *watch,
                                               int64_t timeout_ms)
{
    onshi_ctx *ctx = onshi__face_watch_ctx(watch);
    if (out != NULL)
        *out = NULL;
    if (out == NULL || watch == NULL || ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi_file_result *fr = NULL;
    int rc = onshi__face_watch_next_file(&fr, watch, timeout_ms);
    if (rc != ONSHI_OK)
        return rc;
    rc = decode_face(out, ctx, fr);
    onshi_file_result_free(fr);
    return rc;
}

struct face_run {
    onshi_ctx *ctx;
    onshi_face_watch_cb cb;
    void *ud;
};

static int face_run_cb(void *ud, const onshi_file_result *fr)
{
    struct face_run *r = ud;
    onshi_msg *m = NULL;
    int rc = decode_face(&m, r->ctx, fr);
    int stop = r->cb(r->ud, rc, m, onshi_file_result_name(fr));
    onshi_msg_free(m);
    return stop;
}

ONSHI_API int ONSHI_CALL onshi_face_watch_run(onshi_face_watch *watch, onshi_face_watch_cb cb,
                                              void *userdata, int64_t timeout_ms)
{
    onshi_ctx *ctx = onshi__face_watch_ctx(watch);
    if (watch == NULL || ctx == NULL || cb == NULL)
        return ONSHI_E_INVALID_ARG;
    struct face_run r = {ctx, cb, userdata};
    return onshi__face_watch_run_files(watch, face_run_cb, &r, timeout_ms);
}
