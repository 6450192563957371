/*
 * service/ — the local checks of a batch before it is saved (docs/workflow-batch.md): each
 * entry's fields, the period or month of a query batch, the configured institution, then the
 * codec's own rules on the real document.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/batch.h"
#include "service/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(onshi_batch *b, size_t i, int status, const char *field, const char *en,
               const char *ja)
{
    char den[300], dja[300];
    snprintf(den, sizeof den, "entry %zu (patient \"%s\"): %s: %s", i, b->e[i].pid, field, en);
    snprintf(dja, sizeof dja, "%zu件目（患者ID「%s」）：%s：%s", i + 1, b->e[i].pid, field, ja);
    return onshi__err_ja(b->ctx, status, ONSHI_FOREIGN_NONE, 0, den, dja);
}

/* Which entries repeat the patient id of an earlier entry: sorted by (id, index), O(n log n)
 * (a comparison with every earlier entry was O(n^2): minutes at 100,000). NULL on ENOMEM. */
typedef struct pid_ref {
    const char *pid;
    size_t i;
} pid_ref;

static int pid_cmp(const void *a, const void *b)
{
    const pid_ref *x = a, *y = b;
    ONSHI__WORK(1);
    int c = strcmp(x->pid, y->pid);
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static unsigned char *repeated_ids(const onshi_batch *b)
{
    pid_ref *r = malloc((b->n ? b->n : 1) * sizeof *r);
    unsigned char *dup = calloc(b->n ? b->n : 1, 1);
    if (r == NULL || dup == NULL) {
        free(r);
        free(dup);
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++)
        r[i] = (pid_ref){b->e[i].pid, i};
    qsort(r, b->n, sizeof *r, pid_cmp);
    for (size_t k = 1; k < b->n; k++)
        if (strcmp(r[k - 1].pid, r[k].pid) == 0)
            dup[r[k].i] = 1; /* not the first of its id */
    ONSHI__WORK(b->n);
    free(r);
    return dup;
}

static int validate_entry(onshi_batch *b, size_t i, bool repeated)
{
    onshi__batch_entry *x = &b->e[i];
    if (x->pid[0] == '\0' || strlen(x->pid) > 64)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "patient_id", "empty or longer than 64 bytes",
                   "空または64バイトを超えています");
    if (repeated)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "patient_id", "appears twice in the batch",
                   "一括の中で重複しています");
    int r = onshi_insurer_number_check(x->insurer);
    if (r == ONSHI_E_CHECK_DIGIT)
        return bad(b, i, r, "insurer_number",
                   "the last digit (検証番号) does not match the digits before it",
                   "保険者番号の最後の桁（検証番号）がその前の桁と一致しません");
    if (r != ONSHI_OK)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "insurer_number", "not 6 or 8 digits",
                   "保険者番号は6桁または8桁の数字です");
    if (strlen(x->symbol) > 60) /* 20 characters of up to 3 UTF-8 bytes */
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "symbol", "longer than 20 characters",
                   "記号が20文字を超えています");
    if (x->number[0] == '\0' || strlen(x->number) > 60)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "number", "empty or longer than 20 characters",
                   "番号が空または20文字を超えています");
    if (x->branch[0] != '\0' && !onshi__digits(x->branch, 2))
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "branch", "not 2 digits",
                   "枝番は2桁の数字です");
    if (b->kind == ONSHI_BATCH_QUALIFICATION) {
        if (!onshi__date8_ok(x->birth))
            return bad(b, i, ONSHI_E_FIELD_FORMAT, "birthdate", "not a date YYYYMMDD",
                       "生年月日がYYYYMMDD形式の日付ではありません");
        if (x->limit != 0 && x->limit != 1)
            return bad(b, i, ONSHI_E_FIELD_FORMAT, "limit_consent", "not 0 or 1",
                       "限度額情報提供同意は0または1です");
    } else if (x->refnum[0] == '\0' || strlen(x->refnum) > 50) {
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "reference_number",
                   "empty or longer than 50 characters", "照会番号が空または50文字を超えています");
    }
    return ONSHI_OK;
}

static int check_institution(onshi_batch *b)
{
    const char *inst = NULL;
    int rc = onshi__verify_institution(b->ctx, &inst); /* one check for every workflow */
    if (rc != ONSHI_OK)
        return rc;
    /* Taken when validated; persisted by save, so a resumed batch keeps its institution. */
    char *copy = onshi__strdup(inst);
    if (copy == NULL)
        return onshi__err(b->ctx, ONSHI_E_NOMEM, "institution");
    free(b->institution);
    b->institution = copy;
    return ONSHI_OK;
}

static int query_bad(onshi_batch *b, const char *field, const char *en, const char *ja)
{
    char den[200], dja[200];
    snprintf(den, sizeof den, "%s: %s", field, en);
    snprintf(dja, sizeof dja, "%s：%s", field, ja);
    return onshi__err_ja(b->ctx, ONSHI_E_FIELD_FORMAT, ONSHI_FOREIGN_NONE, 0, den, dja);
}

static int validate_query(onshi_batch *b)
{
    if (b->kind == ONSHI_BATCH_WELFARE) {
        char d[9];
        snprintf(d, sizeof d, "%.6s01", b->q_from ? b->q_from : "");
        if (b->q_from == NULL || !onshi__digits(b->q_from, 6) || !onshi__date8_ok(d))
            return query_bad(b, "month", "not a month YYYYMM", "対象月がYYYYMM形式ではありません");
    } else {
        if (b->q_from == NULL || !onshi__date8_ok(b->q_from))
            return query_bad(b, "from", "not a date YYYYMMDD", "開始日がYYYYMMDD形式の日付ではありません");
        if (!onshi__date8_ok(b->q_to))
            return query_bad(b, "to", "not a date YYYYMMDD", "終了日がYYYYMMDD形式の日付ではありません");
        if (strcmp(b->q_from, b->q_to) > 0)
            return query_bad(b, "to", "before the start of the period", "開始日より前です");
    }
    int r = check_institution(b);
    if (r != ONSHI_OK)
        return r;
    onshi_msg *m = NULL;
    onshi_buf *enc = NULL;
    if ((r = onshi__batch_build_upload(&m, b)) == ONSHI_OK)
        r = onshi_msg_encode(&enc, b->ctx, m);
    onshi_buf_free(enc);
    onshi_msg_free(m);
    return r;
}

ONSHI_API int ONSHI_CALL onshi_batch_validate(size_t *bad_index, onshi_batch *b)
{
    if (bad_index)
        *bad_index = 0;
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    if (b->phase != ONSHI_BATCH_PHASE_NEW)
        return ONSHI_OK; /* validated when saved; the saved institution stays */
    if (onshi__batch_is_query(b->kind))
        return validate_query(b);
    if (b->n == 0)
        return onshi__err_ja(b->ctx, ONSHI_E_INVALID_ARG, ONSHI_FOREIGN_NONE, 0,
                             "the batch has no entries", "一括の対象がありません");
    unsigned char *dup = repeated_ids(b);
    if (dup == NULL)
        return onshi__err(b->ctx, ONSHI_E_NOMEM, "patient ids");
    for (size_t i = 0; i < b->n; i++) {
        int r = validate_entry(b, i, dup[i] != 0);
        if (r != ONSHI_OK) {
            free(dup);
            if (bad_index)
                *bad_index = i;
            return r;
        }
    }
    free(dup);
    /* The codec's own rules (lengths, characters CP932 can carry) on the real document. */
    int rc0 = check_institution(b);
    if (rc0 != ONSHI_OK)
        return rc0;
    for (size_t i = 0; i < b->n; i++) {
        /* One onshi__batch_entry at a time so that the error can name it. */
        onshi_msg *m = NULL;
        int r = onshi_msg_new(&m, onshi__batch_up_type(b->kind));
        if (r != ONSHI_OK)
            return onshi__err(b->ctx, r, "message");
        onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE,
                            b->institution);
        if (b->kind == ONSHI_BATCH_QUALIFICATION)
            onshi_group_set_str(onshi_msg_header(m), ONSHI_F_QUALIFICATION_CONFIRMATION_DATE,
                                "20250101");
        onshi_group *g = NULL;
        onshi_group_add(&g, onshi_msg_body(m),
                        b->kind == ONSHI_BATCH_REFNUM ? ONSHI_G_REFNUM : ONSHI_G_SEARCH);
        onshi__batch_set_search(g, &b->e[i], b->kind);
        onshi_buf *enc = NULL;
        r = onshi_msg_encode(&enc, b->ctx, m);
        onshi_buf_free(enc);
        onshi_msg_free(m);
        if (r != ONSHI_OK) {
            char why[400];
            snprintf(why, sizeof why, "%s", onshi_ctx_last_error_message(b->ctx));
            if (bad_index)
                *bad_index = i;
            return bad(b, i, r, "codec", why, why);
        }
    }
    return ONSHI_OK;
}
