/*
 * Batch before the visit (一括照会, OQSmuquc) and bulk 照会番号 registration (OQSmuimm): the
 * two-phase bulk protocol (oqs-interface.md §1.5) with every step persisted in the state
 * store, so that a batch resumed after a crash continues where it stopped and never submits
 * a list twice. docs/workflow-batch.md describes the states.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include "codec/codec.h"
#include "core/store.h"
#include "transport/file.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void (*onshi__batch_test_hook)(const char *point);

static void hook(const char *point)
{
    if (onshi__batch_test_hook)
        onshi__batch_test_hook(point);
}

/* ---- the store -------------------------------------------------------------------------- */

static const onshi__store_step batch_steps[] = {
    {1, "CREATE TABLE batch_run ("
        " id TEXT PRIMARY KEY, kind INTEGER NOT NULL, phase INTEGER NOT NULL,"
        " transport INTEGER NOT NULL, institution TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
        " send_ms INTEGER, send_host TEXT, send_pid INTEGER,"
        " up_file_id TEXT, reception TEXT, reception_time TEXT,"
        " polls INTEGER NOT NULL DEFAULT 0, down_file_id TEXT, consume_id TEXT,"
        " result BLOB, fail_status INTEGER, fail_message TEXT);"
        "CREATE TABLE batch_patient ("
        " batch_id TEXT NOT NULL, idx INTEGER NOT NULL, patient_id TEXT NOT NULL,"
        " insurer TEXT, symbol TEXT, number TEXT, branch TEXT, birthdate TEXT,"
        " limit_consent INTEGER NOT NULL DEFAULT 0, refnum TEXT,"
        " outcome INTEGER NOT NULL DEFAULT 0, unit_index INTEGER, code TEXT, message TEXT,"
        " PRIMARY KEY (batch_id, idx));"},
    /* query batches (同意済資格情報 / 医療扶助): the period or month asked for */
    {2, "ALTER TABLE batch_run ADD COLUMN q_from TEXT;"
        "ALTER TABLE batch_run ADD COLUMN q_to TEXT;"
        "ALTER TABLE batch_run ADD COLUMN q_exam INTEGER NOT NULL DEFAULT 0;"},
};

static int batch_store(onshi_ctx *ctx, onshi__store **out)
{
    int r = onshi__store_get(ctx, out);
    if (r != ONSHI_OK)
        return r;
    /* Every step of a batch comes here: a plain read when the tables are current, the
     * migration's write transactions only when they are not. */
    const size_t n = sizeof batch_steps / sizeof batch_steps[0];
    int have = 0;
    if (onshi__store_version(NULL, *out, "svc_batch", &have) == ONSHI_OK &&
        have >= batch_steps[n - 1].version)
        return ONSHI_OK;
    return onshi__store_migrate(ctx, *out, "svc_batch", batch_steps, n);
}

/* ---- the object ------------------------------------------------------------------------- */

typedef struct entry {
    char *pid;
    char *insurer, *symbol, *number, *branch, *birth, *refnum;
    int limit;
    int outcome;
    int unit; /* index of the BulkConfirmUnit in the result, -1 none */
    char *code, *message;
} entry;

struct onshi_batch {
    onshi_ctx *ctx;
    int kind;
    int phase;
    int transport;
    char id[ONSHI_BATCH_ID_SIZE];
    char *institution;
    entry *e;
    size_t n, cap;
    char *reception;
    int64_t polls;
    char *fail_message;
    int fail_status;
    unsigned char *raw; /* stored 02res bytes (DONE) */
    size_t raw_len;
    onshi_msg *res;     /* raw decoded on first access to a unit */
    char *q_from, *q_to; /* query batches: period (YYYYMMDD) or month (YYYYMM, q_to NULL) */
    int q_exam;          /* ONLINE: the period is of examinations, not of consents */
};

/* A batch that asks the system for a list (no entries of ours): consent bulk, 医療扶助. */
static int is_query(int kind)
{
    return kind == ONSHI_BATCH_HOMECARE || kind == ONSHI_BATCH_ONLINE ||
           kind == ONSHI_BATCH_WELFARE;
}

static void entry_clear(entry *x)
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
        entry_clear(&b->e[i]);
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

static int up_type(int kind)
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
static int down_type(int kind)
{
    return up_type(kind) + 2;
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

static int add_entry(onshi_batch *b, entry *x)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        entry *ne = realloc(b->e, nc * sizeof *ne);
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
static int add_copied(onshi_batch *b, int kind, const char *wrong_kind, entry *x, bool copied)
{
    int r = check_open(b);
    if (r == ONSHI_OK && b->kind != kind)
        r = onshi__err(b->ctx, ONSHI_E_INVALID_ARG, "%s", wrong_kind);
    if (r == ONSHI_OK && (!copied || add_entry(b, x) != ONSHI_OK))
        r = onshi__err(b->ctx, ONSHI_E_NOMEM, "batch entry");
    if (r != ONSHI_OK)
        entry_clear(x);
    return r;
}

static int batch_add(onshi_batch *b, const char *patient_id, const char *insurer_number,
                     const char *symbol, const char *number, const char *branch,
                     const char *birthdate, int limit_consent)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    entry x;
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
    entry x;
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

/* ---- local validation ------------------------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int valid_date(const char *s)
{
    if (!all_digits(s, 8))
        return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1868 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

static int bad(onshi_batch *b, size_t i, int status, const char *field, const char *en,
               const char *ja)
{
    char den[300], dja[300];
    snprintf(den, sizeof den, "entry %zu (patient \"%s\"): %s: %s", i, b->e[i].pid, field, en);
    snprintf(dja, sizeof dja, "%zu件目（患者ID「%s」）：%s：%s", i + 1, b->e[i].pid, field, ja);
    return onshi__err_ja(b->ctx, status, ONSHI_FOREIGN_NONE, 0, den, dja);
}

static int validate_entry(onshi_batch *b, size_t i)
{
    entry *x = &b->e[i];
    if (x->pid[0] == '\0' || strlen(x->pid) > 64)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "patient_id", "empty or longer than 64 bytes",
                   "空または64バイトを超えています");
    for (size_t j = 0; j < i; j++)
        if (strcmp(b->e[j].pid, x->pid) == 0)
            return bad(b, i, ONSHI_E_FIELD_FORMAT, "patient_id", "appears twice in the batch",
                       "一括の中で重複しています");
    int r = onshi_insurer_number_check(x->insurer);
    if (r == ONSHI_E_CHECK_DIGIT)
        return bad(b, i, r, "insurer_number", "check digit does not match",
                   "保険者番号の検証番号が一致しません");
    if (r != ONSHI_OK)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "insurer_number", "not 6 or 8 digits",
                   "保険者番号は6桁または8桁の数字です");
    if (strlen(x->symbol) > 60) /* 20 characters of up to 3 UTF-8 bytes */
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "symbol", "longer than 20 characters",
                   "記号が20文字を超えています");
    if (x->number[0] == '\0' || strlen(x->number) > 60)
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "number", "empty or longer than 20 characters",
                   "番号が空または20文字を超えています");
    if (x->branch[0] != '\0' && !all_digits(x->branch, 2))
        return bad(b, i, ONSHI_E_FIELD_FORMAT, "branch", "not 2 digits",
                   "枝番は2桁の数字です");
    if (b->kind == ONSHI_BATCH_QUALIFICATION) {
        if (!valid_date(x->birth))
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

static void set_search(onshi_group *g, const entry *x, int kind)
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

static void today8(char out[9])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

/* The upload document of the whole list. */
static int build_upload(onshi_msg **out, onshi_batch *b)
{
    *out = NULL;
    onshi_msg *m = NULL;
    int r = onshi_msg_new(&m, up_type(b->kind));
    if (r != ONSHI_OK)
        return onshi__err(b->ctx, r, "upload message");
    onshi_group *h = onshi_msg_header(m), *body = onshi_msg_body(m);
    if (b->kind == ONSHI_BATCH_QUALIFICATION) {
        char d[9];
        today8(d);
        onshi_group_set_str(h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, d);
    }
    onshi_group_set_str(h, ONSHI_F_MEDICAL_INSTITUTION_CODE, b->institution);
    /* The batch id identifies the file in the system's logs; it carries no personal data. */
    onshi_group_set_str(h, ONSHI_F_ARBITRARY_FILE_IDENTIFIER, b->id);
    if (b->kind == ONSHI_BATCH_WELFARE) {
        onshi_group_set_str(body, ONSHI_F_BODY_MEDICAL_TREATMENT_MONTH, b->q_from);
    } else if (is_query(b->kind)) {
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
        set_search(g, &b->e[i], b->kind);
    }
    *out = m;
    return ONSHI_OK;
}

static int check_institution(onshi_batch *b)
{
    const char *inst = onshi__opt_str(b->ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE);
    if (onshi_institution_code_check(inst ? inst : "") != ONSHI_OK)
        return onshi__err_ja(b->ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "option medical_institution_code is not a valid 医療機関コード",
                             "医療機関コード（medical_institution_code）が正しくありません");
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
        if (b->q_from == NULL || !all_digits(b->q_from, 6) || !valid_date(d))
            return query_bad(b, "month", "not a month YYYYMM", "対象月がYYYYMM形式ではありません");
    } else {
        if (b->q_from == NULL || !valid_date(b->q_from))
            return query_bad(b, "from", "not a date YYYYMMDD", "開始日がYYYYMMDD形式の日付ではありません");
        if (!valid_date(b->q_to))
            return query_bad(b, "to", "not a date YYYYMMDD", "終了日がYYYYMMDD形式の日付ではありません");
        if (strcmp(b->q_from, b->q_to) > 0)
            return query_bad(b, "to", "before the start of the period", "開始日より前です");
    }
    int r = check_institution(b);
    if (r != ONSHI_OK)
        return r;
    onshi_msg *m = NULL;
    onshi_buf *enc = NULL;
    if ((r = build_upload(&m, b)) == ONSHI_OK)
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
    if (is_query(b->kind))
        return validate_query(b);
    if (b->n == 0)
        return onshi__err_ja(b->ctx, ONSHI_E_INVALID_ARG, ONSHI_FOREIGN_NONE, 0,
                             "the batch has no entries", "一括の対象がありません");
    for (size_t i = 0; i < b->n; i++) {
        int r = validate_entry(b, i);
        if (r != ONSHI_OK) {
            if (bad_index)
                *bad_index = i;
            return r;
        }
    }
    /* The codec's own rules (lengths, characters CP932 can carry) on the real document. */
    int rc0 = check_institution(b);
    if (rc0 != ONSHI_OK)
        return rc0;
    for (size_t i = 0; i < b->n; i++) {
        /* One entry at a time so that the error can name it. */
        onshi_msg *m = NULL;
        int r = onshi_msg_new(&m, up_type(b->kind));
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
        set_search(g, &b->e[i], b->kind);
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

/* ---- persistence ------------------------------------------------------------------------ */

static int step_fail(onshi_ctx *ctx, onshi__store *st, int rc, const char *what)
{
    return onshi__store_fail(ctx, st, rc, what);
}

static int bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

/* Run one UPDATE of batch_run with text/int arguments described by fmt ('s' text or NULL,
 * 'i' int64), the batch id bound last. */
static int run_update(onshi_batch *b, const char *sql, const char *fmt, ...)
{
    onshi__store *st;
    int r = batch_store(b->ctx, &st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return step_fail(b->ctx, st, rc, "batch update");
    va_list ap;
    va_start(ap, fmt);
    int i = 1;
    for (const char *f = fmt; *f; f++, i++) {
        if (*f == 's')
            bind_text_or_null(s, i, va_arg(ap, const char *));
        else
            sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
    }
    va_end(ap);
    sqlite3_bind_int64(s, i++, onshi__wall_ms());
    sqlite3_bind_text(s, i, b->id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return step_fail(b->ctx, st, rc, "batch update");
    return ONSHI_OK;
}

static void make_id(onshi_batch *b)
{
    static unsigned counter;
    unsigned char rnd[4] = {0, 0, 0, 0};
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(rnd, 1, sizeof rnd, f) != sizeof rnd)
            memset(rnd, 0, sizeof rnd);
        fclose(f);
    }
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char ts[16];
    strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
    snprintf(b->id, sizeof b->id, "B%s-%02x%02x%02x%02x%04x", ts, rnd[0], rnd[1], rnd[2], rnd[3],
             (unsigned)((getpid() + ++counter) & 0xffff));
}

ONSHI_API int ONSHI_CALL onshi_batch_save(onshi_batch *b)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    if (b->phase != ONSHI_BATCH_PHASE_NEW)
        return ONSHI_OK;
    int r = onshi_batch_validate(NULL, b);
    if (r != ONSHI_OK)
        return r;
    onshi__store *st;
    if ((r = batch_store(b->ctx, &st)) != ONSHI_OK)
        return r;
    make_id(b);
    b->transport = (int)onshi__opt_int(b->ctx, ONSHI_OPT_TRANSPORT);
    if ((r = onshi__store_begin(b->ctx, st)) != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int64_t now = onshi__wall_ms();
    int rc = sqlite3_prepare_v2(st->db,
                                "INSERT INTO batch_run (id, kind, phase, transport, institution,"
                                " created_ms, updated_ms, q_from, q_to, q_exam)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, b->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, b->kind);
        sqlite3_bind_int(s, 3, ONSHI_BATCH_PHASE_UPLOAD);
        sqlite3_bind_int(s, 4, b->transport);
        sqlite3_bind_text(s, 5, b->institution, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 6, now);
        sqlite3_bind_int64(s, 7, now);
        bind_text_or_null(s, 8, b->q_from);
        bind_text_or_null(s, 9, b->q_to);
        sqlite3_bind_int(s, 10, b->q_exam);
        rc = sqlite3_step(s);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "INSERT INTO batch_patient (batch_id, idx, patient_id, insurer,"
                                " symbol, number, branch, birthdate, limit_consent, refnum)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                                -1, &s, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < b->n; i++) {
        const entry *x = &b->e[i];
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, b->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, (int64_t)i);
        sqlite3_bind_text(s, 3, x->pid, -1, SQLITE_TRANSIENT);
        bind_text_or_null(s, 4, x->insurer);
        bind_text_or_null(s, 5, x->symbol);
        bind_text_or_null(s, 6, x->number);
        bind_text_or_null(s, 7, x->branch);
        bind_text_or_null(s, 8, x->birth);
        sqlite3_bind_int(s, 9, x->limit);
        bind_text_or_null(s, 10, x->refnum);
        rc = sqlite3_step(s);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
        r = step_fail(b->ctx, st, rc, "batch save");
        onshi__store_rollback(st);
        b->id[0] = '\0';
        return r;
    }
    if ((r = onshi__store_commit(b->ctx, st)) != ONSHI_OK) {
        b->id[0] = '\0';
        return r;
    }
    b->phase = ONSHI_BATCH_PHASE_UPLOAD;
    onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s saved (%zu entries)", b->id, b->n);
    hook("saved");
    return ONSHI_OK;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? onshi__strdup((const char *)t) : NULL;
}

/* The run row's mutable columns. */
typedef struct run_row {
    int phase;
    int64_t send_ms, send_pid, polls;
    char *send_host, *up_file_id, *down_file_id, *consume_id, *reception;
    int have_send;
} run_row;

static void row_clear(run_row *w)
{
    free(w->send_host);
    free(w->up_file_id);
    free(w->down_file_id);
    free(w->consume_id);
    free(w->reception);
    memset(w, 0, sizeof *w);
}

static int load_row(onshi_batch *b, run_row *w)
{
    memset(w, 0, sizeof *w);
    onshi__store *st;
    int r = batch_store(b->ctx, &st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT phase, send_ms, send_host, send_pid, up_file_id,"
                                " down_file_id, consume_id, reception, polls"
                                " FROM batch_run WHERE id = ?",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return step_fail(b->ctx, st, rc, "batch load");
    sqlite3_bind_text(s, 1, b->id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        w->phase = sqlite3_column_int(s, 0);
        w->have_send = sqlite3_column_type(s, 1) != SQLITE_NULL;
        w->send_ms = sqlite3_column_int64(s, 1);
        w->send_host = col_dup(s, 2);
        w->send_pid = sqlite3_column_int64(s, 3);
        w->up_file_id = col_dup(s, 4);
        w->down_file_id = col_dup(s, 5);
        w->consume_id = col_dup(s, 6);
        w->reception = col_dup(s, 7);
        w->polls = sqlite3_column_int64(s, 8);
        r = ONSHI_OK;
    } else if (rc == SQLITE_DONE) {
        r = onshi__err(b->ctx, ONSHI_E_NOT_FOUND, "no batch with id %s", b->id);
    } else {
        r = step_fail(b->ctx, st, rc, "batch load");
    }
    sqlite3_finalize(s);
    return r;
}

/* ---- sending without ever sending twice ------------------------------------------------- *
 * onshi_file_send records the request as pending in the store before publishing it; between
 * its return and our UPDATE naming the id, a crash would lose which pending request is ours.
 * So we first mark the batch "sending" (time, host, pid), and on resume adopt the pending
 * request of that type that this host/pid created after the mark and that no batch names.
 * Within one process the mutex keeps two batches from being in that window together; a
 * crash ends the process, so the adopted request can only be the marked batch's. */
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

static int adopt(onshi_batch *b, const run_row *w, int type, char id_out[ONSHI_FILE_ID_SIZE])
{
    id_out[0] = '\0';
    onshi__store *st;
    int r = batch_store(b->ctx, &st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        st->db,
        "SELECT id FROM pending WHERE type = ? AND owner_host = ? AND owner_pid = ?"
        " AND created_ms >= ? AND id NOT IN (SELECT up_file_id FROM batch_run WHERE"
        " up_file_id IS NOT NULL UNION SELECT down_file_id FROM batch_run WHERE down_file_id"
        " IS NOT NULL UNION SELECT consume_id FROM batch_run WHERE consume_id IS NOT NULL)"
        " ORDER BY id LIMIT 1",
        -1, &s, NULL);
    if (rc != SQLITE_OK)
        return step_fail(b->ctx, st, rc, "batch adopt");
    sqlite3_bind_int(s, 1, type);
    bind_text_or_null(s, 2, w->send_host);
    sqlite3_bind_int64(s, 3, w->send_pid);
    sqlite3_bind_int64(s, 4, w->send_ms);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(id_out, ONSHI_FILE_ID_SIZE, "%s", t ? (const char *)t : "");
    } else if (rc != SQLITE_DONE) {
        r = step_fail(b->ctx, st, rc, "batch adopt");
    }
    sqlite3_finalize(s);
    return r;
}

/* Send a request document over the file transport, naming its id in `column` of the run
 * row. */
static int file_send_marked(onshi_batch *b, int type, const onshi_buf *body, const char *column,
                            char id[ONSHI_FILE_ID_SIZE])
{
    char host[256] = "", sql[200];
    gethostname(host, sizeof host - 1);
    pthread_mutex_lock(&send_lock);
    int r = run_update(b, "UPDATE batch_run SET send_ms = ?, send_host = ?, send_pid = ?,"
                          " updated_ms = ? WHERE id = ?",
                       "isi", onshi__wall_ms(), host, (int64_t)getpid());
    if (r == ONSHI_OK) {
        hook("marked");
        r = onshi_file_send(id, ONSHI_FILE_ID_SIZE, b->ctx, type, onshi_buf_data(body),
                            onshi_buf_len(body));
        hook("sent");
        snprintf(sql, sizeof sql,
                 "UPDATE batch_run SET %s = ?, send_ms = NULL, send_host = NULL,"
                 " send_pid = NULL, updated_ms = ? WHERE id = ?",
                 column);
        int r2 = run_update(b, sql, "s", r == ONSHI_OK ? id : NULL);
        if (r == ONSHI_OK && r2 != ONSHI_OK)
            r = r2; /* the mark stays: a resume adopts the request */
    }
    pthread_mutex_unlock(&send_lock);
    return r;
}

/* Resolve a "sending" mark left by a crash: adopt the request, or forget the mark when the
 * crash came before anything was recorded. */
static int resolve_mark(onshi_batch *b, run_row *w, int type, const char *column, char **slot)
{
    if (!w->have_send)
        return ONSHI_OK;
    char id[ONSHI_FILE_ID_SIZE], sql[200];
    int r = adopt(b, w, type, id);
    if (r != ONSHI_OK)
        return r;
    snprintf(sql, sizeof sql,
             "UPDATE batch_run SET %s = ?, send_ms = NULL, send_host = NULL, send_pid = NULL,"
             " updated_ms = ? WHERE id = ?",
             column);
    if ((r = run_update(b, sql, "s", id[0] ? id : NULL)) != ONSHI_OK)
        return r;
    if (id[0]) {
        onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: adopted request %s after a crash",
                   b->id, id);
        free(*slot);
        *slot = onshi__strdup(id);
    }
    w->have_send = 0;
    return ONSHI_OK;
}

/* Finish the consumption of a result whose content is already persisted. */
static void finish_consume(onshi_batch *b, run_row *w)
{
    if (w->consume_id == NULL)
        return;
    int r = onshi_file_consume(b->ctx, w->consume_id);
    if (r != ONSHI_OK && r != ONSHI_E_NOT_FOUND)
        onshi__log(b->ctx, ONSHI_LOG_WARN, "batch", "result %s not consumed (%s)",
                   w->consume_id, onshi_status_name(r));
    else
        run_update(b, "UPDATE batch_run SET consume_id = NULL, updated_ms = ? WHERE id = ?", "");
    free(w->consume_id);
    w->consume_id = NULL;
}

static int fail_batch(onshi_batch *b, int status)
{
    const char *msg = onshi_ctx_last_error_message(b->ctx);
    char *keep = onshi__strdup(msg ? msg : "");
    run_update(b, "UPDATE batch_run SET phase = ?, fail_status = ?, fail_message = ?,"
                  " updated_ms = ? WHERE id = ?",
               "iis", (int64_t)ONSHI_BATCH_PHASE_FAILED, (int64_t)status, keep);
    b->phase = ONSHI_BATCH_PHASE_FAILED;
    b->fail_status = status;
    free(b->fail_message);
    b->fail_message = keep;
    /* Leave the original error as the call's error. */
    return onshi__err(b->ctx, status, "%s", keep ? keep : "");
}

/* ---- one exchange, raw bytes ------------------------------------------------------------ */

/* HTTPS: one keyed request, the body (ZIP unpacked) in *out. */
static int https_raw(onshi_batch *b, int type, const onshi_buf *body, const char *key,
                     onshi_buf **out)
{
    int r = onshi_https_exchange(out, b->ctx, type, onshi_buf_data(body), onshi_buf_len(body), key);
    if (r != ONSHI_OK)
        return r;
    if (onshi_buf_len(*out) >= 4 && memcmp(onshi_buf_data(*out), "PK\003\004", 4) == 0) {
        char *entry = NULL;
        r = onshi__zip_extract(b->ctx, onshi_msgtype_prefix(type + 1), *out,
                               (size_t)onshi__opt_int(b->ctx, ONSHI_OPT_RESULT_MAX_SIZE), &entry);
        free(entry);
        if (r != ONSHI_OK) {
            onshi_buf_free(*out);
            *out = NULL;
        }
    }
    return r;
}

/* File transport: wait for the result of `id`. ONSHI_E_STATE with *abandoned set when the
 * request never became visible (a crash before its rename): it must be sent again. */
static int file_result(onshi_batch *b, const char *id, onshi_file_result **out, int *abandoned)
{
    *abandoned = 0;
    int r = onshi_file_wait(out, b->ctx, id, -1);
    if (r == ONSHI_E_STATE) {
        int st = 0;
        if (onshi_file_state(&st, b->ctx, id) == ONSHI_OK && st == ONSHI_FILE_STATE_ABANDONED)
            *abandoned = 1;
    }
    return r;
}

/* ---- the upload ------------------------------------------------------------------------- */

static int take_reception(onshi_batch *b, const unsigned char *data, size_t len, int type,
                          const char *consume_id)
{
    onshi_msg *m = NULL;
    int r = onshi_msg_decode(&m, b->ctx, type, data, len);
    if (r != ONSHI_OK)
        return r;
    r = onshi__service_check(b->ctx, m);
    const char *rn = NULL, *rt = NULL;
    if (r == ONSHI_OK) {
        onshi_group_get_str(&rn, onshi_msg_body(m), ONSHI_F_RECEPTION_NUMBER);
        if (rn == NULL || *rn == '\0')
            onshi_group_get_str(&rn, onshi_msg_header(m), ONSHI_F_HDR_RECEPTION_NUMBER);
        onshi_group_get_str(&rt, onshi_msg_body(m), ONSHI_F_RECEPTION_DATE_TIME);
        if (rn == NULL || *rn == '\0')
            r = onshi__err_ja(b->ctx, ONSHI_E_BATCH_STATE, ONSHI_FOREIGN_NONE, 0,
                              "the upload result carries no ReceptionNumber",
                              "アップロード結果に受付番号がありません");
    }
    if (r != ONSHI_OK) {
        onshi_msg_free(m);
        if (consume_id)
            run_update(b, "UPDATE batch_run SET consume_id = ?, updated_ms = ? WHERE id = ?",
                       "s", consume_id);
        return fail_batch(b, r);
    }
    /* Reception number first, consumption after: a crash in between leaves a result file
     * that the next run consumes; never a lost reception number. */
    r = run_update(b, "UPDATE batch_run SET phase = ?, reception = ?, reception_time = ?,"
                      " up_file_id = NULL, consume_id = ?, updated_ms = ? WHERE id = ?",
                   "isss", (int64_t)ONSHI_BATCH_PHASE_POLL, rn, rt, consume_id);
    if (r == ONSHI_OK) {
        free(b->reception);
        b->reception = onshi__strdup(rn);
        b->phase = ONSHI_BATCH_PHASE_POLL;
        onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: reception number %s", b->id, rn);
        hook("reception");
    }
    onshi_msg_free(m);
    return r;
}

static int do_upload(onshi_batch *b, run_row *w)
{
    int r = onshi__progress(b->ctx, ONSHI_STAGE_BATCH_UPLOAD, 0, (int64_t)b->n);
    if (r != ONSHI_OK)
        return r;
    int type = up_type(b->kind);
    if (b->transport == ONSHI_TRANSPORT_HTTPS) {
        onshi_msg *m = NULL;
        onshi_buf *body = NULL, *res = NULL;
        if ((r = build_upload(&m, b)) == ONSHI_OK)
            r = onshi_msg_encode(&body, b->ctx, m);
        onshi_msg_free(m);
        char key[128];
        /* The same key after any retry or restart: the server answers a repeated upload with
         * the stored reception, it never registers the list twice. */
        snprintf(key, sizeof key, "%s-%s-up", b->institution, b->id);
        if (r == ONSHI_OK)
            r = https_raw(b, type, body, key, &res);
        onshi_buf_free(body);
        if (r == ONSHI_OK)
            r = take_reception(b, onshi_buf_data(res), onshi_buf_len(res), type + 1, NULL);
        onshi_buf_free(res);
        return r;
    }
    if ((r = resolve_mark(b, w, type, "up_file_id", &w->up_file_id)) != ONSHI_OK)
        return r;
    if (w->up_file_id == NULL) {
        onshi_msg *m = NULL;
        onshi_buf *body = NULL;
        if ((r = build_upload(&m, b)) == ONSHI_OK)
            r = onshi_msg_encode(&body, b->ctx, m);
        onshi_msg_free(m);
        char id[ONSHI_FILE_ID_SIZE];
        if (r == ONSHI_OK)
            r = file_send_marked(b, type, body, "up_file_id", id);
        onshi_buf_free(body);
        if (r != ONSHI_OK)
            return r;
        w->up_file_id = onshi__strdup(id);
        onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: upload %s published", b->id, id);
    }
    onshi_file_result *fr = NULL;
    int abandoned;
    r = file_result(b, w->up_file_id, &fr, &abandoned);
    if (abandoned) {
        onshi_ctx_clear_error(b->ctx);
        return run_update(b, "UPDATE batch_run SET up_file_id = NULL, updated_ms = ? WHERE id = ?",
                          "");
    }
    if (r == ONSHI_E_ERR_FILE) {
        run_update(b, "UPDATE batch_run SET consume_id = up_file_id, up_file_id = NULL,"
                      " updated_ms = ? WHERE id = ?", "");
        return fail_batch(b, r);
    }
    if (r != ONSHI_OK)
        return r;
    r = take_reception(b, onshi_file_result_data(fr), onshi_file_result_len(fr), type + 1,
                       w->up_file_id);
    onshi_file_result_free(fr);
    return r;
}

/* ---- the download ----------------------------------------------------------------------- */

static void trim_copy(char *out, size_t size, const char *s)
{
    if (s == NULL)
        s = "";
    while (*s == ' ')
        s++;
    snprintf(out, size, "%s", s);
    size_t l = strlen(out);
    while (l > 0 && out[l - 1] == ' ')
        out[--l] = '\0';
}

static void entry_key(char *out, size_t size, const entry *x, int kind)
{
    char ins[32];
    trim_copy(ins, sizeof ins, x->insurer);
    if (kind == ONSHI_BATCH_REFNUM)
        snprintf(out, size, "%s|%s|%s|%s|%s", x->refnum, ins, x->symbol, x->number, x->branch);
    else
        snprintf(out, size, "%s|%s|%s|%s|%s", ins, x->symbol, x->number, x->branch, x->birth);
}

/* The key of a unit's echo; 0 when the unit carries none. */
static int unit_key(char *out, size_t size, onshi_group *u, int kind)
{
    onshi_group *g = NULL;
    if (onshi_group_at(&g, u, kind == ONSHI_BATCH_REFNUM ? ONSHI_G_REFNUM : ONSHI_G_SEARCH, 0) !=
            ONSHI_OK ||
        g == NULL)
        return 0;
    entry x;
    memset(&x, 0, sizeof x);
    const char *v[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    if (kind == ONSHI_BATCH_REFNUM) {
        onshi_group_get_str(&v[0], g, ONSHI_F_REG_REFERENCE_NUMBER);
        onshi_group_get_str(&v[1], g, ONSHI_F_REG_INSURER_NUMBER);
        onshi_group_get_str(&v[2], g, ONSHI_F_REG_INSURED_CARD_SYMBOL);
        onshi_group_get_str(&v[3], g, ONSHI_F_REG_INSURED_ID_NUMBER);
        onshi_group_get_str(&v[4], g, ONSHI_F_REG_INSURED_BRANCH_NUMBER);
        x.refnum = (char *)(v[0] ? v[0] : "");
    } else {
        onshi_group_get_str(&v[1], g, ONSHI_F_SEARCH_INSURER_NUMBER);
        onshi_group_get_str(&v[2], g, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL);
        onshi_group_get_str(&v[3], g, ONSHI_F_SEARCH_INSURED_ID_NUMBER);
        onshi_group_get_str(&v[4], g, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER);
        onshi_group_get_str(&v[5], g, ONSHI_F_SEARCH_BIRTHDATE);
        x.birth = (char *)(v[5] ? v[5] : "");
    }
    x.insurer = (char *)(v[1] ? v[1] : "");
    x.symbol = (char *)(v[2] ? v[2] : "");
    x.number = (char *)(v[3] ? v[3] : "");
    x.branch = (char *)(v[4] ? v[4] : "");
    entry_key(out, size, &x, kind);
    return 1;
}

static int unit_outcome(onshi_group *u, int kind)
{
    const char *st = NULL, *val = NULL;
    onshi_group_get_str(&st, u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS);
    onshi_group_get_str(&val, u, ONSHI_F_UNIT_QUALIFICATION_VALIDITY);
    int ok = st == NULL || strcmp(st, "1") == 0;
    /* The validity speaks first: "not found" and "several" may come with either status
     * (oqs-interface.md §7 gotcha 4); "valid" only with a normal status. */
    if (val != NULL && val[1] == '\0') {
        switch (val[0]) {
        case '4':
            return ONSHI_BATCH_NOT_FOUND;
        case '5':
            return ONSHI_BATCH_SEVERAL;
        case '2':
        case '3':
            return ONSHI_BATCH_INVALID;
        case '1':
        case '6':
            return ok ? ONSHI_BATCH_VALID : ONSHI_BATCH_ERROR;
        default:
            break;
        }
    }
    if (ok && st != NULL && (val == NULL || *val == '\0') && kind == ONSHI_BATCH_REFNUM)
        return ONSHI_BATCH_VALID; /* a registration has no validity */
    return ONSHI_BATCH_ERROR;
}

/* The entries' keys sorted (ties by entry order), so that matching 100,000 units stays
 * n log n: a unit takes the first entry with its key that is not answered yet. */
typedef struct key_index {
    char **keys;  /* per entry */
    size_t *ord;  /* entry indices sorted by key, then index */
    size_t n;
} key_index;

static key_index *sort_ix;

static int ord_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_ix->keys[x], sort_ix->keys[y]);
    return c ? c : (x < y ? -1 : x > y);
}

static void index_free(key_index *ix)
{
    for (size_t i = 0; ix->keys && i < ix->n; i++)
        free(ix->keys[i]);
    free(ix->keys);
    free(ix->ord);
    memset(ix, 0, sizeof *ix);
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int index_build(key_index *ix, onshi_batch *b)
{
    ix->n = b->n;
    ix->keys = calloc(b->n ? b->n : 1, sizeof *ix->keys);
    ix->ord = calloc(b->n ? b->n : 1, sizeof *ix->ord);
    if (ix->keys == NULL || ix->ord == NULL) {
        index_free(ix);
        return onshi__err(b->ctx, ONSHI_E_NOMEM, "result index");
    }
    char k[400];
    for (size_t i = 0; i < b->n; i++) {
        entry_key(k, sizeof k, &b->e[i], b->kind);
        if ((ix->keys[i] = onshi__strdup(k)) == NULL) {
            index_free(ix);
            return onshi__err(b->ctx, ONSHI_E_NOMEM, "result index");
        }
        ix->ord[i] = i;
    }
    /* qsort has no context argument in C11: the comparator's index is handed over under a
     * lock (batches of several threads may finish together). */
    pthread_mutex_lock(&sort_lock);
    sort_ix = ix;
    qsort(ix->ord, ix->n, sizeof *ix->ord, ord_cmp);
    sort_ix = NULL;
    pthread_mutex_unlock(&sort_lock);
    return ONSHI_OK;
}

static size_t find_entry(const key_index *ix, onshi_batch *b, const char *key)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->keys[ix->ord[mid]], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < ix->n && strcmp(ix->keys[ix->ord[lo]], key) == 0; lo++)
        if (b->e[ix->ord[lo]].unit < 0)
            return ix->ord[lo];
    return b->n;
}

/* Match the units of a final 02res to the entries (streaming), then persist everything in
 * one transaction together with phase DONE. */
static int take_results(onshi_batch *b, const unsigned char *data, size_t len, int type,
                        const char *consume_id)
{
    onshi_bulk_reader *rd = NULL;
    int r = onshi_bulk_reader_open_mem(&rd, b->ctx, data, len, type);
    if (r != ONSHI_OK)
        return r;
    char key[400];
    size_t units = 0, matched = 0;
    key_index ix = {NULL, NULL, 0};
    int64_t expected_units = 0;
    onshi_group_get_int(&expected_units, onshi_bulk_reader_header(rd),
                        ONSHI_F_NUMBER_OF_PROCESSING_RESULT);
    if (is_query(b->kind)) {
        for (size_t i = 0; i < b->n; i++)
            entry_clear(&b->e[i]);
        b->n = 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        b->e[i].unit = -1;
        b->e[i].outcome = ONSHI_BATCH_PENDING;
    }
    if (!is_query(b->kind) && (r = index_build(&ix, b)) != ONSHI_OK) {
        onshi_bulk_reader_free(rd);
        return r;
    }
    for (;;) {
        onshi_group *u = NULL;
        if ((r = onshi_bulk_reader_next(&u, rd)) != ONSHI_OK || u == NULL)
            break;
        size_t hit = b->n;
        if (is_query(b->kind)) {
            /* The system's list: one entry per unit, in its order. */
            entry x;
            memset(&x, 0, sizeof x);
            if ((x.pid = onshi__strdup("")) == NULL || add_entry(b, &x) != ONSHI_OK) {
                entry_clear(&x);
                r = onshi__err(b->ctx, ONSHI_E_NOMEM, "result entry");
                break;
            }
            hit = b->n - 1;
        } else if (unit_key(key, sizeof key, u, b->kind)) {
            hit = find_entry(&ix, b, key);
        } else {
            /* No echo: the system's order is the upload's order. */
            if (units < b->n && b->e[units].unit < 0)
                hit = units;
        }
        if (hit == b->n) {
            onshi__log(b->ctx, ONSHI_LOG_WARN, "batch",
                       "batch %s: result unit %zu matches no entry", b->id, units);
        } else {
            entry *x = &b->e[hit];
            const char *code = NULL, *msg = NULL;
            onshi_group_get_str(&code, u, ONSHI_F_UNIT_PROCESSING_RESULT_CODE);
            onshi_group_get_str(&msg, u, ONSHI_F_UNIT_PROCESSING_RESULT_MESSAGE);
            x->unit = (int)units;
            x->outcome = unit_outcome(u, b->kind);
            free(x->code);
            free(x->message);
            x->code = code ? onshi__strdup(code) : NULL;
            x->message = msg ? onshi__strdup(msg) : NULL;
            matched++;
            if ((r = onshi__progress(b->ctx, ONSHI_STAGE_BATCH_RESULTS, (int64_t)matched,
                                     is_query(b->kind) ? expected_units : (int64_t)b->n)) !=
                ONSHI_OK)
                break;
        }
        units++;
    }
    onshi_bulk_reader_free(rd);
    index_free(&ix);
    if (r != ONSHI_OK)
        return r;
    for (size_t i = 0; i < b->n; i++) {
        if (b->e[i].unit >= 0)
            continue;
        /* Every entry is answered: one the system left out is an error, visibly. */
        b->e[i].outcome = ONSHI_BATCH_ERROR;
        free(b->e[i].message);
        b->e[i].message = onshi__strdup("no result for this entry in the system's answer / "
                                        "システムの結果にこの患者の回答がありません");
    }

    onshi__store *st;
    if ((r = batch_store(b->ctx, &st)) != ONSHI_OK)
        return r;
    if ((r = onshi__store_begin(b->ctx, st)) != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                is_query(b->kind)
                                    ? "INSERT INTO batch_patient (outcome, unit_index, code,"
                                      " message, batch_id, idx, patient_id) VALUES (?,?,?,?,?,?,'')"
                                    : "UPDATE batch_patient SET outcome = ?, unit_index = ?,"
                                      " code = ?, message = ? WHERE batch_id = ? AND idx = ?",
                                -1, &s, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < b->n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int(s, 1, b->e[i].outcome);
        if (b->e[i].unit >= 0)
            sqlite3_bind_int(s, 2, b->e[i].unit);
        else
            sqlite3_bind_null(s, 2);
        bind_text_or_null(s, 3, b->e[i].code);
        bind_text_or_null(s, 4, b->e[i].message);
        sqlite3_bind_text(s, 5, b->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 6, (int64_t)i);
        rc = sqlite3_step(s);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "UPDATE batch_run SET phase = ?, result = ?, down_file_id = NULL,"
                                " consume_id = ?, updated_ms = ? WHERE id = ?",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(s, 1, ONSHI_BATCH_PHASE_DONE);
        sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_TRANSIENT);
        bind_text_or_null(s, 3, consume_id);
        sqlite3_bind_int64(s, 4, onshi__wall_ms());
        sqlite3_bind_text(s, 5, b->id, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
        r = step_fail(b->ctx, st, rc, "batch results");
        onshi__store_rollback(st);
        return r;
    }
    if ((r = onshi__store_commit(b->ctx, st)) != ONSHI_OK)
        return r;
    free(b->raw);
    b->raw = malloc(len ? len : 1);
    if (b->raw) {
        memcpy(b->raw, data, len);
        b->raw_len = len;
    }
    b->phase = ONSHI_BATCH_PHASE_DONE;
    onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: %zu results stored (%zu units)",
               b->id, matched, units);
    hook("results");
    return ONSHI_OK;
}

/* Look at a 02res: still processing (*again = 1), failed, or final (results stored). */
static int take_download(onshi_batch *b, const unsigned char *data, size_t len, int type,
                         const char *consume_id, int *again)
{
    *again = 0;
    onshi_bulk_reader *rd = NULL;
    int r = onshi_bulk_reader_open_mem(&rd, b->ctx, data, len, type);
    if (r != ONSHI_OK)
        return r;
    onshi_group *h = onshi_bulk_reader_header(rd);
    const char *seg = NULL, *code = NULL, *msg = NULL;
    onshi_group_get_str(&seg, h, ONSHI_F_SEGMENT_OF_RESULT);
    onshi_group_get_str(&code, h, ONSHI_F_ERROR_CODE);
    onshi_group_get_str(&msg, h, ONSHI_F_ERROR_MESSAGE);
    int still = seg != NULL && strcmp(seg, "2") == 0;
    int failed = !still && ((seg != NULL && strcmp(seg, "1") != 0) || (code && *code));
    char en[700], ja[700];
    if (failed) {
        snprintf(en, sizeof en, "ErrorCode %s: %s", code ? code : "(no code)",
                 msg ? msg : "(no message)");
        snprintf(ja, sizeof ja, "エラーコード %s：%s", code ? code : "（コードなし）",
                 msg ? msg : "（メッセージなし）");
    }
    onshi_bulk_reader_free(rd);
    if (still) {
        *again = 1;
        r = run_update(b, "UPDATE batch_run SET down_file_id = NULL, consume_id = ?,"
                          " updated_ms = ? WHERE id = ?",
                       "s", consume_id);
        hook("still");
        return r;
    }
    if (failed) {
        run_update(b, "UPDATE batch_run SET down_file_id = NULL, consume_id = ?,"
                      " updated_ms = ? WHERE id = ?",
                   "s", consume_id);
        char *end = NULL;
        long long v = code ? strtoll(code, &end, 10) : 0;
        int numeric = code && *code && end && *end == '\0';
        onshi__err_ja(b->ctx, ONSHI_E_SYSTEM_ERROR,
                      numeric ? ONSHI_FOREIGN_SYSTEM : ONSHI_FOREIGN_NONE, numeric ? v : 0, en,
                      ja);
        return fail_batch(b, ONSHI_E_SYSTEM_ERROR);
    }
    return take_results(b, data, len, type, consume_id);
}

static int build_download(onshi_buf **out, onshi_batch *b)
{
    onshi_msg *m = NULL;
    int r = onshi_msg_new(&m, down_type(b->kind));
    if (r != ONSHI_OK)
        return onshi__err(b->ctx, r, "download message");
    onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, b->institution);
    onshi_group_set_str(onshi_msg_body(m), ONSHI_F_RECEPTION_NUMBER, b->reception);
    r = onshi_msg_encode(out, b->ctx, m);
    onshi_msg_free(m);
    return r;
}

/* Back-off before the n-th repeated download (n >= 1): base × 2^(n-1), capped. Cancellable. */
static int backoff(onshi_batch *b, int64_t n)
{
    int64_t base = onshi__opt_int(b->ctx, ONSHI_OPT_BATCH_POLL_BASE_MS);
    int64_t cap = onshi__opt_int(b->ctx, ONSHI_OPT_BATCH_POLL_MAX_MS);
    int64_t d = base;
    for (int64_t i = 1; i < n && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    int64_t end = onshi__now_ms() + d;
    for (;;) {
        int r = onshi__cancel_check(b->ctx);
        if (r != ONSHI_OK)
            return r;
        int64_t left = end - onshi__now_ms();
        if (left <= 0)
            return ONSHI_OK;
        if (left > 50)
            left = 50;
        struct timespec ts = {0, (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int do_poll(onshi_batch *b, run_row *w, int64_t *stills)
{
    int type = down_type(b->kind);
    int r;
    for (;;) {
        if (*stills > 0) {
            int64_t limit = onshi__opt_int(b->ctx, ONSHI_OPT_BATCH_POLL_LIMIT);
            if (*stills > limit)
                return onshi__err_ja(
                    b->ctx, ONSHI_E_STILL_PROCESSING, ONSHI_FOREIGN_NONE, 0,
                    "the system is still processing the batch; run it again later (resume)",
                    "システムで処理中です。しばらくしてから再開してください");
            if ((r = onshi__progress(b->ctx, ONSHI_STAGE_BATCH_POLL, *stills, limit)) != ONSHI_OK)
                return r;
            if ((r = backoff(b, *stills)) != ONSHI_OK)
                return r;
        }
        onshi_buf *body = NULL;
        if ((r = build_download(&body, b)) != ONSHI_OK)
            return r;
        int again = 0;
        if (b->transport == ONSHI_TRANSPORT_HTTPS) {
            /* One key per download request, counted in the store before sending: a retry of
             * the same request gets the same answer, a new poll gets a fresh one. */
            int64_t k = w->polls + 1;
            r = run_update(b, "UPDATE batch_run SET polls = ?, updated_ms = ? WHERE id = ?",
                           "i", k);
            char key[128];
            snprintf(key, sizeof key, "%s-%s-down-%lld", b->institution, b->id, (long long)k);
            onshi_buf *res = NULL;
            if (r == ONSHI_OK)
                r = https_raw(b, type, body, key, &res);
            onshi_buf_free(body);
            if (r != ONSHI_OK)
                return r;
            w->polls = k;
            b->polls = k;
            r = take_download(b, onshi_buf_data(res), onshi_buf_len(res), type + 1, NULL, &again);
            onshi_buf_free(res);
        } else {
            r = resolve_mark(b, w, type, "down_file_id", &w->down_file_id);
            if (r == ONSHI_OK && w->down_file_id == NULL) {
                char id[ONSHI_FILE_ID_SIZE];
                r = file_send_marked(b, type, body, "down_file_id", id);
                if (r == ONSHI_OK) {
                    w->down_file_id = onshi__strdup(id);
                    w->polls++;
                    b->polls = w->polls;
                    run_update(b, "UPDATE batch_run SET polls = ?, updated_ms = ? WHERE id = ?",
                               "i", w->polls);
                }
            }
            onshi_buf_free(body);
            if (r != ONSHI_OK)
                return r;
            onshi_file_result *fr = NULL;
            int abandoned;
            r = file_result(b, w->down_file_id, &fr, &abandoned);
            if (abandoned) {
                onshi_ctx_clear_error(b->ctx);
                free(w->down_file_id);
                w->down_file_id = NULL;
                r = run_update(b, "UPDATE batch_run SET down_file_id = NULL, updated_ms = ?"
                                  " WHERE id = ?", "");
                if (r != ONSHI_OK)
                    return r;
                continue;
            }
            if (r == ONSHI_E_ERR_FILE) {
                run_update(b, "UPDATE batch_run SET consume_id = down_file_id,"
                              " down_file_id = NULL, updated_ms = ? WHERE id = ?", "");
                return fail_batch(b, r);
            }
            if (r != ONSHI_OK)
                return r;
            char *cid = w->down_file_id;
            w->down_file_id = NULL;
            r = take_download(b, onshi_file_result_data(fr), onshi_file_result_len(fr), type + 1,
                              cid, &again);
            onshi_file_result_free(fr);
            free(w->consume_id);
            w->consume_id = cid;
            if (r == ONSHI_OK)
                finish_consume(b, w);
        }
        if (r != ONSHI_OK)
            return r;
        if (!again)
            return ONSHI_OK;
        (*stills)++;
    }
}

/* ---- run / open ------------------------------------------------------------------------- */

ONSHI_API int ONSHI_CALL onshi_batch_run(onshi_batch *b)
{
    if (b == NULL)
        return ONSHI_E_INVALID_ARG;
    int r = ONSHI_OK;
    if (b->phase == ONSHI_BATCH_PHASE_NEW && (r = onshi_batch_save(b)) != ONSHI_OK)
        return r;
    int cur = (int)onshi__opt_int(b->ctx, ONSHI_OPT_TRANSPORT);
    if (cur != b->transport)
        return onshi__err_ja(b->ctx, ONSHI_E_BATCH_STATE, ONSHI_FOREIGN_NONE, 0,
                             "the batch was started over another transport; resume it there",
                             "この一括は別の通信方式で開始されました。同じ方式で再開してください");
    char detail[96];
    snprintf(detail, sizeof detail, "batch %s (%zu patients)", b->id, b->n);
    int audited = 0;
    int64_t stills = 0;
    for (;;) {
        run_row w;
        if ((r = load_row(b, &w)) != ONSHI_OK)
            return r;
        finish_consume(b, &w);
        b->phase = w.phase;
        b->polls = w.polls;
        if (w.reception && (b->reception == NULL || strcmp(b->reception, w.reception) != 0)) {
            free(b->reception);
            b->reception = onshi__strdup(w.reception);
        }
        if (w.phase == ONSHI_BATCH_PHASE_UPLOAD || w.phase == ONSHI_BATCH_PHASE_POLL) {
            if (!audited) {
                if ((r = onshi__audit(b->ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_BEFORE, 0,
                                      b->id, detail)) != ONSHI_OK) {
                    row_clear(&w);
                    return r;
                }
                audited = 1;
            }
            r = w.phase == ONSHI_BATCH_PHASE_UPLOAD ? do_upload(b, &w) : do_poll(b, &w, &stills);
            row_clear(&w);
            if (r != ONSHI_OK) {
                onshi__audit(b->ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_AFTER, r, b->id,
                             detail);
                return r;
            }
            continue;
        }
        row_clear(&w);
        if (audited)
            onshi__audit(b->ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_AFTER,
                         b->phase == ONSHI_BATCH_PHASE_DONE ? ONSHI_OK : b->fail_status, b->id,
                         detail);
        if (b->phase == ONSHI_BATCH_PHASE_FAILED)
            return onshi__err(b->ctx, b->fail_status ? b->fail_status : ONSHI_E_BATCH_STATE,
                              "%s", b->fail_message ? b->fail_message : "batch failed");
        if (b->phase == ONSHI_BATCH_PHASE_DONE) {
            if (b->raw == NULL) {
                onshi_batch *o = NULL;
                /* Results were stored by an earlier run: load them. */
                if ((r = onshi_batch_open(&o, b->ctx, b->id)) != ONSHI_OK)
                    return r;
                if (is_query(b->kind)) {
                    entry *te = b->e;
                    size_t tn = b->n, tc = b->cap;
                    b->e = o->e;
                    b->n = o->n;
                    b->cap = o->cap;
                    o->e = te;
                    o->n = tn;
                    o->cap = tc;
                }
                for (size_t i = 0; !is_query(b->kind) && i < b->n && i < o->n; i++) {
                    b->e[i].outcome = o->e[i].outcome;
                    b->e[i].unit = o->e[i].unit;
                    free(b->e[i].code);
                    free(b->e[i].message);
                    b->e[i].code = o->e[i].code;
                    b->e[i].message = o->e[i].message;
                    o->e[i].code = o->e[i].message = NULL;
                }
                b->raw = o->raw;
                b->raw_len = o->raw_len;
                o->raw = NULL;
                onshi_batch_free(o);
            }
            return onshi__progress(b->ctx, ONSHI_STAGE_DONE, (int64_t)b->n, (int64_t)b->n);
        }
        return onshi__err(b->ctx, ONSHI_E_BATCH_STATE, "batch %s: unknown phase %d", b->id,
                          b->phase);
    }
}

ONSHI_API int ONSHI_CALL onshi_batch_open(onshi_batch **out, onshi_ctx *ctx, const char *batch_id)
{
    if (out == NULL || ctx == NULL || batch_id == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out, ctx and batch_id must not be NULL");
    *out = NULL;
    if (strlen(batch_id) >= sizeof ((onshi_batch *)0)->id)
        return onshi__err(ctx, ONSHI_E_NOT_FOUND, "no batch with id %s", batch_id);
    onshi__store *st;
    int r = batch_store(ctx, &st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT kind, phase, transport, institution, reception, polls,"
                                " result, fail_status, fail_message, q_from, q_to, q_exam"
                                " FROM batch_run WHERE id = ?",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return step_fail(ctx, st, rc, "batch open");
    sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(s);
        if (rc == SQLITE_DONE)
            return onshi__err_ja(ctx, ONSHI_E_NOT_FOUND, ONSHI_FOREIGN_NONE, 0,
                                 "no batch with this id in the state store",
                                 "この一括IDは状態ストアにありません");
        return step_fail(ctx, st, rc, "batch open");
    }
    onshi_batch *b = onshi__calloc(1, sizeof *b);
    if (b == NULL) {
        sqlite3_finalize(s);
        return onshi__err(ctx, ONSHI_E_NOMEM, "batch");
    }
    b->ctx = ctx;
    snprintf(b->id, sizeof b->id, "%s", batch_id);
    b->kind = sqlite3_column_int(s, 0);
    b->phase = sqlite3_column_int(s, 1);
    b->transport = sqlite3_column_int(s, 2);
    b->institution = col_dup(s, 3);
    b->reception = col_dup(s, 4);
    b->polls = sqlite3_column_int64(s, 5);
    if (sqlite3_column_type(s, 6) == SQLITE_BLOB) {
        int n = sqlite3_column_bytes(s, 6);
        b->raw = malloc(n > 0 ? (size_t)n : 1);
        if (b->raw) {
            memcpy(b->raw, sqlite3_column_blob(s, 6), (size_t)n);
            b->raw_len = (size_t)n;
        }
    }
    b->fail_status = sqlite3_column_int(s, 7);
    b->fail_message = col_dup(s, 8);
    b->q_from = col_dup(s, 9);
    b->q_to = col_dup(s, 10);
    b->q_exam = sqlite3_column_int(s, 11);
    sqlite3_finalize(s);
    s = NULL;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT patient_id, insurer, symbol, number, branch, birthdate,"
                            " limit_consent, refnum, outcome, unit_index, code, message"
                            " FROM batch_patient WHERE batch_id = ? ORDER BY idx",
                            -1, &s, NULL);
    if (rc != SQLITE_OK) {
        onshi_batch_free(b);
        return step_fail(ctx, st, rc, "batch open");
    }
    sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        entry x;
        memset(&x, 0, sizeof x);
        x.pid = col_dup(s, 0);
        x.insurer = col_dup(s, 1);
        x.symbol = col_dup(s, 2);
        x.number = col_dup(s, 3);
        x.branch = col_dup(s, 4);
        x.birth = col_dup(s, 5);
        x.limit = sqlite3_column_int(s, 6);
        x.refnum = col_dup(s, 7);
        x.outcome = sqlite3_column_int(s, 8);
        x.code = col_dup(s, 10);
        x.message = col_dup(s, 11);
        int unit = sqlite3_column_type(s, 9) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 9);
        if (add_entry(b, &x) != ONSHI_OK) {
            entry_clear(&x);
            rc = SQLITE_NOMEM;
            break;
        }
        b->e[b->n - 1].unit = unit;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        onshi_batch_free(b);
        return step_fail(ctx, st, rc, "batch open");
    }
    *out = b;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_batch_next_unfinished(char *id_out, size_t id_size, onshi_ctx *ctx,
                                                     const char *after)
{
    if (id_out == NULL || ctx == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "id_out and ctx must not be NULL");
    if (id_size < ONSHI_BATCH_ID_SIZE)
        return onshi__err(ctx, ONSHI_E_BUFFER_TOO_SMALL, "id buffer smaller than %d",
                          ONSHI_BATCH_ID_SIZE);
    id_out[0] = '\0';
    onshi__store *st;
    int r = batch_store(ctx, &st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT id FROM batch_run WHERE phase IN (?, ?) AND id > ?"
                                " ORDER BY id LIMIT 1",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return step_fail(ctx, st, rc, "batch list");
    sqlite3_bind_int(s, 1, ONSHI_BATCH_PHASE_UPLOAD);
    sqlite3_bind_int(s, 2, ONSHI_BATCH_PHASE_POLL);
    sqlite3_bind_text(s, 3, after ? after : "", -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        snprintf(id_out, id_size, "%s", (const char *)sqlite3_column_text(s, 0));
        r = ONSHI_OK;
    } else if (rc == SQLITE_DONE) {
        r = ONSHI_E_NOT_FOUND; /* the normal end: not recorded as an error */
    } else {
        r = step_fail(ctx, st, rc, "batch list");
    }
    sqlite3_finalize(s);
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
        int r = onshi_msg_decode(&b->res, b->ctx, down_type(b->kind) + 1, b->raw, b->raw_len);
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
