/*
 * service/ — the batch store: the batch tables (batch_run, batch_patient) in the state store
 * and every SQL statement that reads or writes them. The rest of the batch workflow sees only
 * the functions of batch.h.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/batch.h"

#include "core/store.h"
#include "transport/file.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* The download result in its own table: SQLite rewrites a whole row, overflow pages
     * included, on every UPDATE, so a result of hundreds of megabytes in batch_run was
     * copied again by each later step of the run (issue 17: batch time grew faster than
     * the number of reservations). */
    {3, "CREATE TABLE batch_result (batch_id TEXT PRIMARY KEY, result BLOB NOT NULL);"
        "INSERT INTO batch_result (batch_id, result)"
        " SELECT id, result FROM batch_run WHERE result IS NOT NULL;"
        "UPDATE batch_run SET result = NULL WHERE result IS NOT NULL;"},
};

static int batch_store(onshi_ctx *ctx, onshi__store **out)
{
    /* With the file transport's tables: adopt() reads its pending requests. */
    int r = onshi__file_store(ctx, out);
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

/* Finished batches (DONE, FAILED) hold the patients' search keys and the whole result:
 * dropped, with their entries, ONSHI_OPT_CONSUMED_KEEP_HOURS after their last step. Runs when
 * a new batch is saved; a failure is not the caller's (logged). */
static void purge_finished(onshi_ctx *ctx, onshi__store *st)
{
    int64_t before = onshi__wall_ms() -
                     onshi__opt_int(ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS) * INT64_C(3600000);
    char sql[400];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE;"
             "DELETE FROM batch_patient WHERE batch_id IN (SELECT id FROM batch_run WHERE"
             " phase IN (%d, %d) AND updated_ms <= %lld);"
             "DELETE FROM batch_result WHERE batch_id IN (SELECT id FROM batch_run WHERE"
             " phase IN (%d, %d) AND updated_ms <= %lld);"
             "DELETE FROM batch_run WHERE phase IN (%d, %d) AND updated_ms <= %lld;"
             "COMMIT;",
             ONSHI_BATCH_PHASE_DONE, ONSHI_BATCH_PHASE_FAILED, (long long)before,
             ONSHI_BATCH_PHASE_DONE, ONSHI_BATCH_PHASE_FAILED, (long long)before,
             ONSHI_BATCH_PHASE_DONE, ONSHI_BATCH_PHASE_FAILED, (long long)before);
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        onshi__store_rollback(st);
        onshi__log(ctx, ONSHI_LOG_WARN, "service", "finished batches not purged: %s",
                   sqlite3_errmsg(st->db));
    }
}

static int step_fail(onshi_ctx *ctx, onshi__store *st, int rc, const char *what)
{
    return onshi__store_fail(ctx, st, rc, what);
}

/* Step a statement that returns no row: SQLITE_OK when it is done. */
static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* End a write transaction: commit when rc is SQLITE_OK, else record `what` and roll back. */
static int end_tx(onshi_ctx *ctx, onshi__store *st, int rc, const char *what)
{
    if (rc != SQLITE_OK) {
        int r = step_fail(ctx, st, rc, what);
        onshi__store_rollback(st);
        return r;
    }
    return onshi__store_commit(ctx, st);
}

static int bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

/* The store (tables current) and one prepared statement; the failure is recorded as `what`. */
static int prepare(onshi_ctx *ctx, onshi__store **st, sqlite3_stmt **s, const char *sql,
                   const char *what)
{
    *s = NULL;
    int r = batch_store(ctx, st);
    if (r != ONSHI_OK)
        return r;
    int rc = sqlite3_prepare_v2((*st)->db, sql, -1, s, NULL);
    return rc == SQLITE_OK ? ONSHI_OK : step_fail(ctx, *st, rc, what);
}

/* Run one UPDATE of batch_run with text/int arguments described by fmt ('s' text or NULL,
 * 'i' int64), the batch id bound last. */
static int run_update(onshi_batch *b, const char *sql, const char *fmt, ...)
{
    onshi__store *st;
    sqlite3_stmt *s;
    int r = prepare(b->ctx, &st, &s, sql, "batch update");
    if (r != ONSHI_OK)
        return r;
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
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return step_fail(b->ctx, st, rc, "batch update");
    return ONSHI_OK;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? onshi__strdup((const char *)t) : NULL;
}


/* ---- the run's steps -------------------------------------------------------------------- */

static const char *slot_column(onshi__batch_slot slot)
{
    return slot == ONSHI__BATCH_SLOT_UP ? "up_file_id" : "down_file_id";
}

int onshi__batch_store_mark(onshi_batch *b, const char *host, int64_t pid)
{
    return run_update(b, "UPDATE batch_run SET send_ms = ?, send_host = ?, send_pid = ?,"
                         " updated_ms = ? WHERE id = ?",
                      "isi", onshi__wall_ms(), host, pid);
}

int onshi__batch_store_set_request(onshi_batch *b, onshi__batch_slot slot, const char *id)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "UPDATE batch_run SET %s = ?, send_ms = NULL, send_host = NULL,"
             " send_pid = NULL, updated_ms = ? WHERE id = ?",
             slot_column(slot));
    return run_update(b, sql, "s", id);
}

int onshi__batch_store_drop_request(onshi_batch *b, onshi__batch_slot slot)
{
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE batch_run SET %s = NULL, updated_ms = ? WHERE id = ?",
             slot_column(slot));
    return run_update(b, sql, "");
}

int onshi__batch_store_consume_request(onshi_batch *b, onshi__batch_slot slot)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "UPDATE batch_run SET consume_id = %s, %s = NULL, updated_ms = ? WHERE id = ?",
             slot_column(slot), slot_column(slot));
    return run_update(b, sql, "");
}

int onshi__batch_store_set_consume(onshi_batch *b, const char *consume_id)
{
    return run_update(b, "UPDATE batch_run SET consume_id = ?, updated_ms = ? WHERE id = ?", "s",
                      consume_id);
}

int onshi__batch_store_download_answered(onshi_batch *b, const char *consume_id)
{
    return run_update(b, "UPDATE batch_run SET down_file_id = NULL, consume_id = ?,"
                         " updated_ms = ? WHERE id = ?",
                      "s", consume_id);
}

int onshi__batch_store_reception(onshi_batch *b, const char *number, const char *time,
                                 const char *consume_id)
{
    return run_update(b, "UPDATE batch_run SET phase = ?, reception = ?, reception_time = ?,"
                         " up_file_id = NULL, consume_id = ?, updated_ms = ? WHERE id = ?",
                      "isss", (int64_t)ONSHI_BATCH_PHASE_POLL, number, time, consume_id);
}

int onshi__batch_store_polls(onshi_batch *b, int64_t polls)
{
    return run_update(b, "UPDATE batch_run SET polls = ?, updated_ms = ? WHERE id = ?", "i",
                      polls);
}

int onshi__batch_store_fail(onshi_batch *b, int status, const char *message)
{
    return run_update(b, "UPDATE batch_run SET phase = ?, fail_status = ?, fail_message = ?,"
                         " updated_ms = ? WHERE id = ?",
                      "iis", (int64_t)ONSHI_BATCH_PHASE_FAILED, (int64_t)status, message);
}

int onshi__batch_store_insert(onshi_batch *b)
{
    onshi__store *st;
    int r = batch_store(b->ctx, &st);
    if (r != ONSHI_OK)
        return r;
    purge_finished(b->ctx, st);
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
        rc = step_done(s);
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
        const onshi__batch_entry *x = &b->e[i];
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
        rc = step_done(s);
    }
    sqlite3_finalize(s);
    return end_tx(b->ctx, st, rc, "batch save");
}

void onshi__batch_row_clear(onshi__batch_row *w)
{
    free(w->send_host);
    free(w->up_file_id);
    free(w->down_file_id);
    free(w->consume_id);
    free(w->reception);
    memset(w, 0, sizeof *w);
}


int onshi__batch_store_load_row(onshi_batch *b, onshi__batch_row *w)
{
    memset(w, 0, sizeof *w);
    onshi__store *st;
    sqlite3_stmt *s;
    int r = prepare(b->ctx, &st, &s,
                    "SELECT phase, send_ms, send_host, send_pid, up_file_id,"
                    " down_file_id, consume_id, reception, polls"
                    " FROM batch_run WHERE id = ?",
                    "batch load");
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, b->id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
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

int onshi__batch_store_adopt(onshi_batch *b, const onshi__batch_row *w, int type,
                             char id_out[ONSHI_FILE_ID_SIZE])
{
    id_out[0] = '\0';
    onshi__store *st;
    sqlite3_stmt *s;
    int r = prepare(b->ctx, &st, &s,
                    "SELECT id FROM pending WHERE type = ? AND owner_host = ? AND owner_pid = ?"
                    " AND created_ms >= ? AND id NOT IN (SELECT up_file_id FROM batch_run WHERE"
                    " up_file_id IS NOT NULL UNION SELECT down_file_id FROM batch_run WHERE down_file_id"
                    " IS NOT NULL UNION SELECT consume_id FROM batch_run WHERE consume_id IS NOT NULL)"
                    " ORDER BY id LIMIT 1",
                    "batch adopt");
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_int(s, 1, type);
    bind_text_or_null(s, 2, w->send_host);
    sqlite3_bind_int64(s, 3, w->send_pid);
    sqlite3_bind_int64(s, 4, w->send_ms);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(id_out, ONSHI_FILE_ID_SIZE, "%s", t ? (const char *)t : "");
    } else if (rc != SQLITE_DONE) {
        r = step_fail(b->ctx, st, rc, "batch adopt");
    }
    sqlite3_finalize(s);
    return r;
}

int onshi__batch_store_results(onshi_batch *b, const unsigned char *data, size_t len,
                               const char *consume_id)
{
    int r;
    onshi__store *st;
    if ((r = batch_store(b->ctx, &st)) != ONSHI_OK)
        return r;
    if ((r = onshi__store_begin(b->ctx, st)) != ONSHI_OK)
        return r;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                onshi__batch_is_query(b->kind)
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
        rc = step_done(s);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "UPDATE batch_run SET phase = ?, down_file_id = NULL,"
                                " consume_id = ?, updated_ms = ? WHERE id = ?",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        /* The result's bytes are written into a zeroblob piece by piece: binding them whole
         * makes SQLite build the row in memory, a second copy of a result that can be
         * hundreds of megabytes (100,000 units). */
        sqlite3_bind_int(s, 1, ONSHI_BATCH_PHASE_DONE);
        bind_text_or_null(s, 2, consume_id);
        sqlite3_bind_int64(s, 3, onshi__wall_ms());
        sqlite3_bind_text(s, 4, b->id, -1, SQLITE_TRANSIENT);
        rc = step_done(s);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_OK && len > (size_t)INT_MAX)
        rc = SQLITE_TOOBIG; /* sqlite3_blob_write takes int offsets */
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "INSERT OR REPLACE INTO batch_result (batch_id, result)"
                                " VALUES (?, zeroblob(?))",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, b->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)len);
        rc = step_done(s);
    }
    sqlite3_finalize(s);
    sqlite3_int64 rowid = sqlite3_last_insert_rowid(st->db);
    sqlite3_blob *blob = NULL;
    if (rc == SQLITE_OK && len > 0)
        rc = sqlite3_blob_open(st->db, "main", "batch_result", "result", rowid, 1, &blob);
    for (size_t off = 0; rc == SQLITE_OK && off < len;) {
        size_t n = len - off > ((size_t)1 << 20) ? ((size_t)1 << 20) : len - off;
        rc = sqlite3_blob_write(blob, data + off, (int)n, (int)off);
        off += n;
    }
    if (blob != NULL) {
        int rc2 = sqlite3_blob_close(blob);
        if (rc == SQLITE_OK)
            rc = rc2;
    }
    return end_tx(b->ctx, st, rc, "batch results");
}

int onshi__batch_store_open(onshi_batch *b, const char *batch_id)
{
    onshi_ctx *ctx = b->ctx;
    onshi__store *st;
    sqlite3_stmt *s;
    int r = prepare(ctx, &st, &s,
                    "SELECT kind, phase, transport, institution, reception, polls,"
                    " (SELECT result FROM batch_result WHERE batch_id = batch_run.id),"
                    " fail_status, fail_message, q_from, q_to, q_exam"
                    " FROM batch_run WHERE id = ?",
                    "batch open");
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(s);
        if (rc == SQLITE_DONE)
            return onshi__err_ja(ctx, ONSHI_E_NOT_FOUND, ONSHI_FOREIGN_NONE, 0,
                                 "no batch with this id in the state store",
                                 "この一括IDは状態ストアにありません");
        return step_fail(ctx, st, rc, "batch open");
    }
    snprintf(b->id, sizeof b->id, "%s", batch_id);
    b->kind = sqlite3_column_int(s, 0);
    b->phase = sqlite3_column_int(s, 1);
    b->transport = sqlite3_column_int(s, 2);
    b->institution = col_dup(s, 3);
    b->reception = col_dup(s, 4);
    b->polls = sqlite3_column_int64(s, 5);
    if (sqlite3_column_type(s, 6) == SQLITE_BLOB) {
        int n = sqlite3_column_bytes(s, 6);
        onshi__free_wiped(b->raw);
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
    if (rc != SQLITE_OK)
        return step_fail(ctx, st, rc, "batch open");
    sqlite3_bind_text(s, 1, batch_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        onshi__batch_entry x;
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
        if (onshi__batch_add_entry(b, &x) != ONSHI_OK) {
            onshi__batch_entry_clear(&x);
            rc = SQLITE_NOMEM;
            break;
        }
        b->e[b->n - 1].unit = unit;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return step_fail(ctx, st, rc, "batch open");
    return ONSHI_OK;
}


int onshi__batch_store_next_unfinished(onshi_ctx *ctx, const char *after, char *id_out,
                                       size_t id_size)
{
    onshi__store *st;
    sqlite3_stmt *s;
    int r = prepare(ctx, &st, &s,
                    "SELECT id FROM batch_run WHERE phase IN (?, ?) AND id > ?"
                    " ORDER BY id LIMIT 1",
                    "batch list");
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_int(s, 1, ONSHI_BATCH_PHASE_UPLOAD);
    sqlite3_bind_int(s, 2, ONSHI_BATCH_PHASE_POLL);
    sqlite3_bind_text(s, 3, after ? after : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
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
