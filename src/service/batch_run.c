/*
 * Batch before the visit (一括照会, OQSmuquc), bulk 照会番号 registration (OQSmuimm) and the
 * query batches: the two-phase bulk protocol (oqs-interface.md §1.5) with every step persisted
 * in the batch store, so that a batch resumed after a crash continues where it stopped and
 * never submits a list twice. docs/workflow-batch.md describes the states.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/batch.h"

#include "transport/file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The batch id: the Japan time of saving (ids sort by time) and 48 random bits from core's
 * one source; no random bytes, no batch (the id is the primary key of the store). */
static int make_id(onshi_batch *b)
{
    char ts[15], rnd[13];
    int r = onshi__random_hex(b->ctx, rnd, 6);
    if (r != ONSHI_OK)
        return r;
    onshi__jst_now14(ts, b->ctx);
    snprintf(b->id, sizeof b->id, "B%s-%s", ts, rnd);
    return ONSHI_OK;
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
    if ((r = make_id(b)) != ONSHI_OK)
        return r;
    b->transport = (int)onshi__opt_int(b->ctx, ONSHI_OPT_TRANSPORT);
    if ((r = onshi__batch_store_insert(b)) != ONSHI_OK) {
        b->id[0] = '\0';
        return r;
    }
    b->phase = ONSHI_BATCH_PHASE_UPLOAD;
    onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s saved (%zu entries)", b->id, b->n);
    onshi__batch_hook(b, "saved");
    return ONSHI_OK;
}

/* ---- sending without ever sending twice ------------------------------------------------- *
 * onshi_file_send records the request as pending in the store before publishing it; between
 * its return and our UPDATE naming the id, a crash would lose which pending request is ours.
 * So we first mark the batch "sending" (time, host, pid), and on resume adopt the pending
 * request of that type that this host/pid created after the mark and that no batch names.
 * Within one process the mutex keeps two batches from being in that window together; a
 * crash ends the process, so the adopted request can only be the marked batch's. */
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

/* Send a request document over the file transport, naming its id in `slot` of the run
 * row. */
static int file_send_marked(onshi_batch *b, int type, const onshi_buf *body,
                            onshi__batch_slot slot, char id[ONSHI_FILE_ID_SIZE])
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    pthread_mutex_lock(&send_lock);
    int r = onshi__batch_store_mark(b, host, (int64_t)getpid());
    if (r == ONSHI_OK) {
        onshi__batch_hook(b, "marked");
        r = onshi_file_send(id, ONSHI_FILE_ID_SIZE, b->ctx, type, onshi_buf_data(body),
                            onshi_buf_len(body));
        onshi__batch_hook(b, "sent");
        int r2 = onshi__batch_store_set_request(b, slot, r == ONSHI_OK ? id : NULL);
        if (r == ONSHI_OK && r2 != ONSHI_OK)
            r = r2; /* the mark stays: a resume adopts the request */
    }
    pthread_mutex_unlock(&send_lock);
    return r;
}

/* Resolve a "sending" mark left by a crash: adopt the request, or forget the mark when the
 * crash came before anything was recorded. */
static int resolve_mark(onshi_batch *b, onshi__batch_row *w, int type, onshi__batch_slot slot,
                        char **id_slot)
{
    if (!w->have_send)
        return ONSHI_OK;
    char id[ONSHI_FILE_ID_SIZE];
    int r = onshi__batch_store_adopt(b, w, type, id);
    if (r != ONSHI_OK)
        return r;
    if ((r = onshi__batch_store_set_request(b, slot, id[0] ? id : NULL)) != ONSHI_OK)
        return r;
    if (id[0]) {
        onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: adopted request %s after a crash",
                   b->id, id);
        free(*id_slot);
        *id_slot = onshi__strdup(id);
    }
    w->have_send = 0;
    return ONSHI_OK;
}

/* Finish the consumption of a result whose content is already persisted. */
static void finish_consume(onshi_batch *b, onshi__batch_row *w)
{
    if (w->consume_id == NULL)
        return;
    int r = onshi_file_consume(b->ctx, w->consume_id);
    if (r != ONSHI_OK && r != ONSHI_E_NOT_FOUND)
        onshi__log(b->ctx, ONSHI_LOG_WARN, "batch", "result %s not consumed (%s)",
                   w->consume_id, onshi_status_name(r));
    else
        onshi__batch_store_set_consume(b, NULL);
    free(w->consume_id);
    w->consume_id = NULL;
}

static int fail_batch(onshi_batch *b, int status)
{
    const char *msg = onshi_ctx_last_error_message(b->ctx);
    char *keep = onshi__strdup(msg ? msg : "");
    onshi__batch_store_fail(b, status, keep);
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
            onshi__batch_store_set_consume(b, consume_id);
        return fail_batch(b, r);
    }
    /* Reception number first, consumption after: a crash in between leaves a result file
     * that the next run consumes; never a lost reception number. */
    r = onshi__batch_store_reception(b, rn, rt, consume_id);
    if (r == ONSHI_OK) {
        free(b->reception);
        b->reception = onshi__strdup(rn);
        b->phase = ONSHI_BATCH_PHASE_POLL;
        onshi__log(b->ctx, ONSHI_LOG_INFO, "batch", "batch %s: reception number %s", b->id, rn);
        onshi__batch_hook(b, "reception");
    }
    onshi_msg_free(m);
    return r;
}

static int do_upload(onshi_batch *b, onshi__batch_row *w)
{
    int r = onshi__progress(b->ctx, ONSHI_STAGE_BATCH_UPLOAD, 0, (int64_t)b->n);
    if (r != ONSHI_OK)
        return r;
    int type = onshi__batch_up_type(b->kind);
    if (b->transport == ONSHI_TRANSPORT_HTTPS) {
        onshi_msg *m = NULL;
        onshi_buf *body = NULL, *res = NULL;
        if ((r = onshi__batch_build_upload(&m, b)) == ONSHI_OK)
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
    if ((r = resolve_mark(b, w, type, ONSHI__BATCH_SLOT_UP, &w->up_file_id)) != ONSHI_OK)
        return r;
    if (w->up_file_id == NULL) {
        onshi_msg *m = NULL;
        onshi_buf *body = NULL;
        if ((r = onshi__batch_build_upload(&m, b)) == ONSHI_OK)
            r = onshi_msg_encode(&body, b->ctx, m);
        onshi_msg_free(m);
        char id[ONSHI_FILE_ID_SIZE];
        if (r == ONSHI_OK)
            r = file_send_marked(b, type, body, ONSHI__BATCH_SLOT_UP, id);
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
        return onshi__batch_store_drop_request(b, ONSHI__BATCH_SLOT_UP);
    }
    if (r == ONSHI_E_ERR_FILE) {
        onshi__batch_store_consume_request(b, ONSHI__BATCH_SLOT_UP);
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

static void entry_key(char *out, size_t size, const onshi__batch_entry *x, int kind)
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
    onshi__batch_entry x;
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

/* The entries' keys sorted (ties by onshi__batch_entry order), so that matching 100,000 units stays
 * n log n: a unit takes the first onshi__batch_entry with its key that is not answered yet. */
typedef struct key_index {
    char **keys;  /* per onshi__batch_entry */
    size_t *ord;  /* onshi__batch_entry indices sorted by key, then index */
    size_t n;
} key_index;

static key_index *sort_ix;

static int ord_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    ONSHI__WORK(1);
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
        ONSHI__WORK(1);
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->keys[ix->ord[mid]], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < ix->n && strcmp(ix->keys[ix->ord[lo]], key) == 0; lo++, ONSHI__WORK(1))
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
    if (onshi__batch_is_query(b->kind)) {
        for (size_t i = 0; i < b->n; i++)
            onshi__batch_entry_clear(&b->e[i]);
        b->n = 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        b->e[i].unit = -1;
        b->e[i].outcome = ONSHI_BATCH_PENDING;
    }
    if (!onshi__batch_is_query(b->kind) && (r = index_build(&ix, b)) != ONSHI_OK) {
        onshi_bulk_reader_free(rd);
        return r;
    }
    for (;;) {
        onshi_group *u = NULL;
        if ((r = onshi_bulk_reader_next(&u, rd)) != ONSHI_OK || u == NULL)
            break;
        size_t hit = b->n;
        if (onshi__batch_is_query(b->kind)) {
            /* The system's list: one onshi__batch_entry per unit, in its order. */
            onshi__batch_entry x;
            memset(&x, 0, sizeof x);
            if ((x.pid = onshi__strdup("")) == NULL || onshi__batch_add_entry(b, &x) != ONSHI_OK) {
                onshi__batch_entry_clear(&x);
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
            onshi__batch_entry *x = &b->e[hit];
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
                                     onshi__batch_is_query(b->kind) ? expected_units : (int64_t)b->n)) !=
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
        /* Every onshi__batch_entry is answered: one the system left out is an error, visibly. */
        b->e[i].outcome = ONSHI_BATCH_ERROR;
        free(b->e[i].message);
        b->e[i].message = onshi__strdup("no result for this onshi__batch_entry in the system's answer / "
                                        "システムの結果にこの患者の回答がありません");
    }

    if ((r = onshi__batch_store_results(b, data, len, consume_id)) != ONSHI_OK)
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
    onshi__batch_hook(b, "results");
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
        r = onshi__batch_store_download_answered(b, consume_id);
        onshi__batch_hook(b, "still");
        return r;
    }
    if (failed) {
        onshi__batch_store_download_answered(b, consume_id);
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

static int do_poll(onshi_batch *b, onshi__batch_row *w, int64_t *stills)
{
    int type = onshi__batch_down_type(b->kind);
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
        if ((r = onshi__batch_build_download(&body, b)) != ONSHI_OK)
            return r;
        int again = 0;
        if (b->transport == ONSHI_TRANSPORT_HTTPS) {
            /* One key per download request, counted in the store before sending: a retry of
             * the same request gets the same answer, a new poll gets a fresh one. */
            int64_t k = w->polls + 1;
            r = onshi__batch_store_polls(b, k);
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
            r = resolve_mark(b, w, type, ONSHI__BATCH_SLOT_DOWN, &w->down_file_id);
            if (r == ONSHI_OK && w->down_file_id == NULL) {
                char id[ONSHI_FILE_ID_SIZE];
                r = file_send_marked(b, type, body, ONSHI__BATCH_SLOT_DOWN, id);
                if (r == ONSHI_OK) {
                    w->down_file_id = onshi__strdup(id);
                    w->polls++;
                    b->polls = w->polls;
                    onshi__batch_store_polls(b, w->polls);
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
                r = onshi__batch_store_drop_request(b, ONSHI__BATCH_SLOT_DOWN);
                if (r != ONSHI_OK)
                    return r;
                continue;
            }
            if (r == ONSHI_E_ERR_FILE) {
                onshi__batch_store_consume_request(b, ONSHI__BATCH_SLOT_DOWN);
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
        onshi__batch_row w;
        if ((r = onshi__batch_store_load_row(b, &w)) != ONSHI_OK)
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
                    onshi__batch_row_clear(&w);
                    return r;
                }
                audited = 1;
            }
            r = w.phase == ONSHI_BATCH_PHASE_UPLOAD ? do_upload(b, &w) : do_poll(b, &w, &stills);
            onshi__batch_row_clear(&w);
            if (r != ONSHI_OK) {
                onshi__audit(b->ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_AFTER, r, b->id,
                             detail);
                return r;
            }
            continue;
        }
        onshi__batch_row_clear(&w);
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
                if (onshi__batch_is_query(b->kind)) {
                    onshi__batch_entry *te = b->e;
                    size_t tn = b->n, tc = b->cap;
                    b->e = o->e;
                    b->n = o->n;
                    b->cap = o->cap;
                    o->e = te;
                    o->n = tn;
                    o->cap = tc;
                }
                for (size_t i = 0; !onshi__batch_is_query(b->kind) && i < b->n && i < o->n; i++) {
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
    onshi_batch *b = onshi__calloc(1, sizeof *b);
    if (b == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "batch");
    b->ctx = ctx;
    int r = onshi__batch_store_open(b, batch_id);
    if (r != ONSHI_OK) {
        onshi_batch_free(b);
        return r;
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
    return onshi__batch_store_next_unfinished(ctx, after, id_out, id_size);
}
