/*
 * service/ — the batch object (docs/workflow-batch.md): its entries, its request documents and
 * its accessors. Saving and running are in batch_run.c, the local checks in batch_validate.c,
 * the SQL in batch_store.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int onshi__batch_set_test_hook(onshi_ctx *ctx, void (*hook)(void *ud, const char *point),
                               void *ud)
{
    onshi__service *s = onshi__service_state(ctx);
    if (s == NULL)
        return ONSHI_E_NOMEM;
    s->batch_hook = hook;
    s->batch_hook_ud = ud;
    return ONSHI_OK;
}

void onshi__batch_hook(onshi_batch *b, const char *point)
{
    const onshi__service *s = onshi__slot_get(b->ctx, ONSHI__SLOT_SERVICE);
    if (s != NULL && s->batch_hook != NULL)
        s->batch_hook(s->batch_hook_ud, point);
}

/* A batch that asks the system for a list (no entries of ours): consent bulk, 医療扶助. */
int onshi__batch_is_query(int kind)
{
    return kind == ONSHI_BATCH_HOMECARE || kind == ONSHI_BATCH_ONLINE ||
           kind == ONSHI_BATCH_WELFARE;
}

void onshi__batch_entry_clear(onshi__batch_entry *x)
{
    free(x->pid);
    free(x->insurer);
    free(x->symbol);
    free(x->number);
    free(x->branch);
    free(x->birth);
    free(x->refnum);
    free(x->code);
    free(x->message);
    memset(x, 0, sizeof *x);
}

ONSHI_API void ONSHI_CALL onshi_batch_free(onshi_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        onshi__batch_entry_clear(&b->e[i]);
    free(b->e);
    free(b->institution);
    free(b->reception);
    free(b->fail_message);
    free(b->raw);
    free(b->q_from);
    free(b->q_to);
    onshi_msg_free(b->res);
    free(b);
}

int onshi__batch_up_type(int kind)
{
    switch (kind) {
    case ONSHI_BATCH_REFNUM:
        return ONSHI_MSG_BULK_REFNUM_UP_REQ;
    case ONSHI_BATCH_HOMECARE:
        return ONSHI_MSG_BULK_HOMECARE_UP_REQ;
    case ONSHI_BATCH_ONLINE:
        return ONSHI_MSG_BULK_ONLINE_UP_REQ;
    case ONSHI_BATCH_WELFARE:
        return ONSHI_MSG_BULK_WELFARE_UP_REQ;
    default:
        return ONSHI_MSG_BULK_QUAL_UP_REQ;
    }
}

/* Every family numbers its download request two after its upload request. */
int onshi__batch_down_type(int kind)
{
    return onshi__batch_up_type(kind) + 2;
}

ONSHI_API int ONSHI_CALL onshi_batch_new(onshi_batch **out, onshi_ctx *ctx, int kind)
{
    if (out == NULL || ctx == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and ctx must not be NULL");
    *out = NULL;
    if (kind < ONSHI_BATCH_QUALIFICATION || kind > ONSHI_BATCH_WELFARE)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "unknown batch kind %d", kind);
    onshi_batch *b = onshi__calloc(1, sizeof *b);
    if (b == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "batch");
    b->ctx = ctx;
    b->kind = kind;
    b->phase = ONSHI_BATCH_PHASE_NEW;
    *out = b;
    return ONSHI_OK;
}

static char *dup_opt(const char *s)
{
    return onshi__strdup(s ? s : "");
}

int onshi__batch_add_entry(onshi_batch *b, onshi__batch_entry *x)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        onshi__batch_entry *ne = realloc(b->e, nc * sizeof *ne);
        if (ne == NULL)
            return ONSHI_E_NOMEM;
        b->e = ne;
        b->cap = nc;
    }
    x->unit = -1;
    b->e[b->n++] = *x;
    return ONSHI_OK;
}

static int check_open(onshi_batch *b)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    if (b->phase != ONSHI_BATCH_PHASE_NEW)
        return onshi__err(b->ctx, ONSHI_E_BATCH_STATE,
                          "batch %s was already saved: entries cannot be added", b->id);
    return ONSHI_OK;
}

/* The common part of the two adders: the batch must be open and of `kind`; the entry's
 * strings were copied by the caller (NULL = out of memory). */
static int add_copied(onshi_batch *b, int kind, const char *wrong_kind, onshi__batch_entry *x, bool copied)
{
    int r = check_open(b);
    if (r == ONSHI_OK && b->kind != kind)
        r = onshi__err(b->ctx, ONSHI_E_INVALID_ARG, "%s", wrong_kind);
    if (r == ONSHI_OK && (!copied || onshi__batch_add_entry(b, x) != ONSHI_OK))
        r = onshi__err(b->ctx, ONSHI_E_NOMEM, "batch entry");
    if (r != ONSHI_OK)
        onshi__batch_entry_clear(x);
    return r;
}

static int batch_add(onshi_batch *b, const char *patient_id, const char *insurer_number,
                     const char *symbol, const char *number, const char *branch,
                     const char *birthdate, int limit_consent)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi__batch_entry x;
    memset(&x, 0, sizeof x);
    x.pid = dup_opt(patient_id);
    x.insurer = dup_opt(insurer_number);
    x.symbol = dup_opt(symbol);
    x.number = dup_opt(number);
    x.branch = dup_opt(branch);
    x.birth = dup_opt(birthdate);
    x.limit = limit_consent;
    return add_copied(b, ONSHI_BATCH_QUALIFICATION,
                      "onshi_batch_add: a query batch has no entries of its own", &x,
                      x.pid && x.insurer && x.symbol && x.number && x.branch && x.birth);
}

static int batch_add_refnum(onshi_batch *b, const char *patient_id,
                            const char *reference_number, const char *insurer_number,
                            const char *symbol, const char *number, const char *branch)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi__batch_entry x;
    memset(&x, 0, sizeof x);
    x.pid = dup_opt(patient_id);
    x.refnum = dup_opt(reference_number);
    x.insurer = dup_opt(insurer_number);
    x.symbol = dup_opt(symbol);
    x.number = dup_opt(number);
    x.branch = dup_opt(branch);
    return add_copied(b, ONSHI_BATCH_REFNUM,
                      "onshi_batch_add: a query batch has no entries of its own", &x,
                      x.pid && x.refnum && x.insurer && x.symbol && x.number && x.branch);
}

ONSHI_API int ONSHI_CALL onshi_batch_add(onshi_batch *b, const onshi_request *entry)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    int rc = onshi__request_check(b->ctx, entry, ONSHI_REQ_BATCH_ENTRY, "onshi_batch_add");
    if (rc != ONSHI_OK)
        return rc;
    const char *pid = onshi__request_str(entry, ONSHI_P_PATIENT_ID);
    const char *ins = onshi__request_str(entry, ONSHI_P_INSURER_NUMBER);
    const char *sym = onshi__request_str(entry, ONSHI_P_SYMBOL);
    const char *num = onshi__request_str(entry, ONSHI_P_NUMBER);
    const char *br = onshi__request_str(entry, ONSHI_P_BRANCH);
    /* a parameter the batch's kind does not send is refused, not silently dropped */
    if (b->kind == ONSHI_BATCH_REFNUM) {
        if (onshi__request_has(entry, ONSHI_P_BIRTHDATE) ||
            onshi__request_has(entry, ONSHI_P_LIMIT_CONSENT))
            return onshi__err(b->ctx, ONSHI_E_INVALID_ARG,
                              "onshi_batch_add: a 照会番号 registration batch takes no birthdate "
                              "or limit_consent");
        return batch_add_refnum(b, pid, onshi__request_str(entry, ONSHI_P_REFERENCE_NUMBER), ins,
                                sym, num, br);
    }
    if (b->kind == ONSHI_BATCH_QUALIFICATION && onshi__request_has(entry, ONSHI_P_REFERENCE_NUMBER))
        return onshi__err(b->ctx, ONSHI_E_INVALID_ARG,
                          "onshi_batch_add: a qualification batch takes no reference_number");
    /* checked with the other fields by onshi_batch_validate, which names the entry */
    int64_t consent = onshi__request_int(entry, ONSHI_P_LIMIT_CONSENT, 0);
    int limit = consent == 0 || consent == 1 ? (int)consent : 2;
    return batch_add(b, pid, ins, sym, num, br, onshi__request_str(entry, ONSHI_P_BIRTHDATE),
                     limit);
}

ONSHI_API int ONSHI_CALL onshi_batch_set_period(onshi_batch *b, int examination,
                                                const char *from, const char *to)
{
    int r = check_open(b);
    if (r != ONSHI_OK)
        return r;
    if (b->kind != ONSHI_BATCH_HOMECARE && b->kind != ONSHI_BATCH_ONLINE)
        return onshi__err(b->ctx, ONSHI_E_INVALID_ARG,
                          "a period is asked only by the consent batches (訪問 / オンライン)");
    if (examination && b->kind != ONSHI_BATCH_ONLINE)
        return onshi__err(b->ctx, ONSHI_E_INVALID_ARG,
                          "an examination period exists only for オンライン診療等");
    free(b->q_from);
    free(b->q_to);
    b->q_from = dup_opt(from);
    b->q_to = dup_opt(to);
    b->q_exam = examination ? 1 : 0;
    if (b->q_from == NULL || b->q_to == NULL)
        return onshi__err(b->ctx, ONSHI_E_NOMEM, "period");
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_batch_set_month(onshi_batch *b, const char *month)
{
    int r = check_open(b);
    if (r != ONSHI_OK)
        return r;
    if (b->kind != ONSHI_BATCH_WELFARE)
        return onshi__err(b->ctx, ONSHI_E_INVALID_ARG, "a month is asked only by 医療扶助 batches");
    free(b->q_from);
    free(b->q_to);
    b->q_to = NULL;
    if ((b->q_from = dup_opt(month)) == NULL)
        return onshi__err(b->ctx, ONSHI_E_NOMEM, "month");
    return ONSHI_OK;
}

void onshi__batch_set_search(onshi_group *g, const onshi__batch_entry *x, int kind)
{
    if (kind == ONSHI_BATCH_REFNUM) {
        onshi_group_set_str(g, ONSHI_F_REG_REFERENCE_NUMBER, x->refnum);
        onshi_group_set_str(g, ONSHI_F_REG_INSURER_NUMBER, x->insurer);
        if (x->symbol[0])
            onshi_group_set_str(g, ONSHI_F_REG_INSURED_CARD_SYMBOL, x->symbol);
        onshi_group_set_str(g, ONSHI_F_REG_INSURED_ID_NUMBER, x->number);
        if (x->branch[0])
            onshi_group_set_str(g, ONSHI_F_REG_INSURED_BRANCH_NUMBER, x->branch);
        return;
    }
    onshi_group_set_str(g, ONSHI_F_SEARCH_INSURER_NUMBER, x->insurer);
    if (x->symbol[0])
        onshi_group_set_str(g, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, x->symbol);
    onshi_group_set_str(g, ONSHI_F_SEARCH_INSURED_ID_NUMBER, x->number);
    if (x->branch[0])
        onshi_group_set_str(g, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, x->branch);
    onshi_group_set_str(g, ONSHI_F_SEARCH_BIRTHDATE, x->birth);
    onshi_group_set_str(g, ONSHI_F_SEARCH_LIMIT_CONS_FLG, x->limit ? "1" : "0");
}

/* The upload document of the whole list. */
int onshi__batch_build_upload(onshi_msg **out, onshi_batch *b)
{
    *out = NULL;
    onshi_msg *m = NULL;
    int r = onshi_msg_new(&m, onshi__batch_up_type(b->kind));
    if (r != ONSHI_OK)
        return onshi__err(b->ctx, r, "upload message");
    onshi_group *h = onshi_msg_header(m), *body = onshi_msg_body(m);
    if (b->kind == ONSHI_BATCH_QUALIFICATION) {
        char d[9];
        onshi__jst_today(d, b->ctx);
        onshi_group_set_str(h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, d);
    }
    onshi_group_set_str(h, ONSHI_F_MEDICAL_INSTITUTION_CODE, b->institution);
    /* The batch id identifies the file in the system's logs; it carries no personal data. */
    onshi_group_set_str(h, ONSHI_F_ARBITRARY_FILE_IDENTIFIER, b->id);
    if (b->kind == ONSHI_BATCH_WELFARE) {
        /* inside QualificationConfirmSearchInfo, as the production tool OQSDrug2 writes it */
        onshi_group *g = NULL;
        if ((r = onshi_group_add(&g, body, ONSHI_G_SEARCH)) != ONSHI_OK) {
            onshi_msg_free(m);
            return onshi__err(b->ctx, r, "upload month");
        }
        onshi_group_set_str(g, ONSHI_F_SEARCH_MEDICAL_TREATMENT_MONTH, b->q_from);
    } else if (onshi__batch_is_query(b->kind)) {
        onshi_group *g = NULL;
        if ((r = onshi_group_add(&g, body, ONSHI_G_SEARCH)) != ONSHI_OK) {
            onshi_msg_free(m);
            return onshi__err(b->ctx, r, "upload period");
        }
        onshi_group_set_str(g, b->q_exam ? ONSHI_F_EXAMINATION_DATE_FROM : ONSHI_F_CONSENT_DATE_FROM,
                            b->q_from);
        onshi_group_set_str(g, b->q_exam ? ONSHI_F_EXAMINATION_DATE_TO : ONSHI_F_CONSENT_DATE_TO,
                            b->q_to);
        onshi_group_set_str(g, ONSHI_F_SEARCH_MEDICAL_TREATMENT_FLAG,
                            b->kind == ONSHI_BATCH_HOMECARE ? "2" : "3");
    }
    for (size_t i = 0; i < b->n; i++) {
        onshi_group *g = NULL;
        r = onshi_group_add(&g, body, b->kind == ONSHI_BATCH_REFNUM ? ONSHI_G_REFNUM
                                                                   : ONSHI_G_SEARCH);
        if (r != ONSHI_OK) {
            onshi_msg_free(m);
            return onshi__err(b->ctx, r, "upload entry %zu", i);
        }
        onshi__batch_set_search(g, &b->e[i], b->kind);
    }
    *out = m;
    return ONSHI_OK;
}

int onshi__batch_build_download(onshi_buf **out, onshi_batch *b)
{
    onshi_msg *m = NULL;
    int r = onshi_msg_new(&m, onshi__batch_down_type(b->kind));
    if (r != ONSHI_OK)
        return onshi__err(b->ctx, r, "download message");
    onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, b->institution);
    onshi_group_set_str(onshi_msg_body(m), ONSHI_F_RECEPTION_NUMBER, b->reception);
    r = onshi_msg_encode(out, b->ctx, m);
    onshi_msg_free(m);
    return r;
}

/* ---- accessors -------------------------------------------------------------------------- */

ONSHI_API const char *ONSHI_CALL onshi_batch_id(const onshi_batch *b)
{
    return b ? b->id : "";
}

ONSHI_API int ONSHI_CALL onshi_batch_kind(const onshi_batch *b)
{
    return b ? b->kind : 0;
}

ONSHI_API int ONSHI_CALL onshi_batch_phase(const onshi_batch *b)
{
    return b ? b->phase : 0;
}

ONSHI_API const char *ONSHI_CALL onshi_batch_reception_number(const onshi_batch *b)
{
    return b && b->reception ? b->reception : "";
}

ONSHI_API int64_t ONSHI_CALL onshi_batch_download_count(const onshi_batch *b)
{
    return b ? b->polls : 0;
}

ONSHI_API size_t ONSHI_CALL onshi_batch_count(const onshi_batch *b)
{
    return b ? b->n : 0;
}

ONSHI_API const char *ONSHI_CALL onshi_batch_patient_id(const onshi_batch *b, size_t i)
{
    return b && i < b->n ? b->e[i].pid : NULL;
}

ONSHI_API int ONSHI_CALL onshi_batch_outcome(const onshi_batch *b, size_t i)
{
    return b && i < b->n ? b->e[i].outcome : ONSHI_E_INVALID_ARG;
}

ONSHI_API const char *ONSHI_CALL onshi_batch_result_code(const onshi_batch *b, size_t i)
{
    return b && i < b->n && b->e[i].code ? b->e[i].code : "";
}

ONSHI_API const char *ONSHI_CALL onshi_batch_result_message(const onshi_batch *b, size_t i)
{
    return b && i < b->n && b->e[i].message ? b->e[i].message : "";
}

ONSHI_API const char *ONSHI_CALL onshi_batch_fail_message(const onshi_batch *b)
{
    return b && b->fail_message ? b->fail_message : "";
}

ONSHI_API int ONSHI_CALL onshi_batch_unit(onshi_group **out, onshi_batch *b, size_t i)
{
    if (out == NULL || b == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (i >= b->n)
        return onshi__err(b->ctx, ONSHI_E_INVALID_ARG, "entry %zu out of range", i);
    if (b->e[i].unit < 0 || b->raw == NULL)
        return onshi__err(b->ctx, ONSHI_E_NOT_FOUND, "entry %zu has no result unit", i);
    if (b->res == NULL) {
        int r = onshi_msg_decode(&b->res, b->ctx, onshi__batch_down_type(b->kind) + 1, b->raw, b->raw_len);
        if (r != ONSHI_OK)
            return r;
    }
    return onshi_group_at(out, onshi_msg_body(b->res), ONSHI_G_BULK_UNIT, (size_t)b->e[i].unit);
}

ONSHI_API size_t ONSHI_CALL onshi_batch_person_count(onshi_batch *b, size_t i)
{
    onshi_group *u = NULL;
    if (onshi_batch_unit(&u, b, i) != ONSHI_OK || u == NULL)
        return 0;
    return onshi_group_count(u, ONSHI_G_RESULT);
}

ONSHI_API int ONSHI_CALL onshi_batch_person(onshi_group **out, onshi_batch *b, size_t i,
                                            size_t k)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    onshi_group *u = NULL;
    int r = onshi_batch_unit(&u, b, i);
    if (r != ONSHI_OK)
        return r;
    return onshi_group_at(out, u, ONSHI_G_RESULT, k);
}

ONSHI_API const char *ONSHI_CALL onshi_batch_outcome_label(const onshi_ctx *ctx, int outcome, int kind)
{
    bool ja = onshi__lang_ja(ctx);
    switch (outcome) {
    case ONSHI_BATCH_PENDING:
        return ja ? "未回答" : "pending";
    case ONSHI_BATCH_VALID:
        if (kind == ONSHI_BATCH_REFNUM)
            return ja ? "登録済" : "registered";
        return ja ? "有効" : "valid";
    case ONSHI_BATCH_INVALID:
        return ja ? "無効" : "invalid";
    case ONSHI_BATCH_NOT_FOUND:
        return ja ? "該当資格なし" : "not found";
    case ONSHI_BATCH_SEVERAL:
        return ja ? "複数該当" : "several matches";
    case ONSHI_BATCH_ERROR:
        return ja ? "エラー" : "error";
    default:
        return NULL;
    }
}
