/*
 * The file transport's tables in the state store (component "transport"): the per-day
 * request sequence, the pending requests and the face cursor. core/store.c owns the
 * connection and the migration mechanism; the tables are this layer's.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append steps; never edit a released one. libonshi 0.1 created version 1's tables as part
 * of the core component: IF NOT EXISTS keeps those files as they are. */
static const onshi__store_step transport_steps[] = {
    {1, "CREATE TABLE IF NOT EXISTS seq_day (day TEXT PRIMARY KEY, last INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS pending ("
        " id TEXT PRIMARY KEY, type INTEGER NOT NULL, state INTEGER NOT NULL,"
        " req_name TEXT NOT NULL, req_dir TEXT NOT NULL, res_dir TEXT NOT NULL,"
        " res_name TEXT, err INTEGER NOT NULL DEFAULT 0,"
        " created_ms INTEGER NOT NULL, published_ms INTEGER, taken_ms INTEGER,"
        " answered_ms INTEGER, consumed_ms INTEGER,"
        " owner_host TEXT NOT NULL, owner_pid INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS pending_open ON pending(state, id);"
        "CREATE TABLE IF NOT EXISTS face_dir (dir TEXT PRIMARY KEY, started_ms INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS face_seen (dir TEXT NOT NULL, name TEXT NOT NULL,"
        " delivered_ms INTEGER NOT NULL, PRIMARY KEY (dir, name));"},
    /* 0.2: the unique temporary name of a request being published, and the fingerprints of
     * the request's search keys (never the keys themselves) its result must match. */
    {2, "ALTER TABLE pending ADD COLUMN tmp_name TEXT;"
        "ALTER TABLE pending ADD COLUMN match TEXT;"},
    /* 1.0: the salted fingerprint of the request's bytes (an identical query joins it instead
     * of being sent again) and the masked patient key shown by a listing. */
    {3, "ALTER TABLE pending ADD COLUMN qkey TEXT;"
        "ALTER TABLE pending ADD COLUMN patient TEXT;"},
};

int onshi__file_store_migrate(onshi_ctx *ctx, onshi__store *st)
{
    const size_t n = sizeof transport_steps / sizeof transport_steps[0];
    int have = 0;
    /* Every exchange comes here: a plain read when the tables are current. */
    if (onshi__store_version(NULL, st, "transport", &have) == ONSHI_OK &&
        have >= transport_steps[n - 1].version)
        return ONSHI_OK;
    return onshi__store_migrate(ctx, st, "transport", transport_steps, n);
}

int onshi__file_store(onshi_ctx *ctx, onshi__store **out)
{
    int r = onshi__store_get(ctx, out);
    if (r == ONSHI_OK && (r = onshi__file_store_migrate(ctx, *out)) != ONSHI_OK)
        *out = NULL;
    return r;
}

#define prep onshi__store_prep
#define step_done onshi__store_step_done

/* ---- sequence ------------------------------------------------------------------------- */

int onshi__store_seq_next(onshi_ctx *ctx, onshi__store *st, const char *day8, const char *ws,
                          int (*in_use)(void *arg, const char *id), void *arg,
                          char id_out[ONSHI__ID_LEN + 1])
{
    if (strlen(day8) != 8)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "day must be YYYYMMDD");
    if (strlen(ws) != ONSHI__WS_LEN)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "workstation must be %d digits",
                          ONSHI__WS_LEN);
    int r = onshi__store_begin(ctx, st);
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s;
    int64_t last = 0;
    if ((r = prep(ctx, st, "SELECT last FROM seq_day WHERE day=?1", &s)) != ONSHI_OK)
        goto out;
    sqlite3_bind_text(s, 1, day8, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        last = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        r = onshi__store_fail(ctx, st, rc, "read sequence");
    sqlite3_finalize(s);
    if (r != ONSHI_OK)
        goto out;
    for (;;) {
        if (++last > 9999) {
            r = onshi__err_ja(ctx, ONSHI_E_LIMIT, ONSHI_FOREIGN_NONE, 0,
                              "all 9999 request numbers of today are used",
                              "本日の要求番号 (9999件) を使い切りました");
            goto out;
        }
        snprintf(id_out, ONSHI__ID_LEN + 1, "%s%s%04d", day8, ws, (int)last);
        int known = 0;
        if ((r = onshi__pending_exists(ctx, st, id_out, &known)) != ONSHI_OK)
            goto out;
        if (!known && (in_use == NULL || !in_use(arg, id_out)))
            break;
    }
    if ((r = prep(ctx, st,
                  "INSERT INTO seq_day(day, last) VALUES(?1, ?2)"
                  " ON CONFLICT(day) DO UPDATE SET last=excluded.last",
                  &s)) != ONSHI_OK)
        goto out;
    sqlite3_bind_text(s, 1, day8, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, last);
    if ((r = step_done(ctx, st, s, "write sequence")) != ONSHI_OK)
        goto out;
    /* Old days are of no use; keep the table small. */
    if ((r = prep(ctx, st, "DELETE FROM seq_day WHERE day < ?1", &s)) != ONSHI_OK)
        goto out;
    sqlite3_bind_text(s, 1, day8, -1, SQLITE_STATIC);
    r = step_done(ctx, st, s, "prune sequence");
out:
    if (r != ONSHI_OK) {
        onshi__store_rollback(st);
        id_out[0] = '\0';
        return r;
    }
    return onshi__store_commit(ctx, st);
}

/* ---- pending ---------------------------------------------------------------------------- */

void onshi__pending_clear(onshi__pending *p)
{
    free(p->req_name);
    free(p->req_dir);
    free(p->res_dir);
    free(p->res_name);
    free(p->owner_host);
    free(p->tmp_name);
    free(p->match);
    free(p->qkey);
    free(p->patient);
    memset(p, 0, sizeof *p);
}

static void bind_ms(sqlite3_stmt *s, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

int onshi__pending_insert(onshi_ctx *ctx, onshi__store *st, const onshi__pending *p)
{
    sqlite3_stmt *s;
    int r = prep(ctx, st,
                 "INSERT INTO pending(id, type, state, req_name, req_dir, res_dir, created_ms,"
                 " published_ms, owner_host, owner_pid, tmp_name, match, qkey, patient)"
                 " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                 &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, p->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, p->type);
    sqlite3_bind_int(s, 3, p->state);
    sqlite3_bind_text(s, 4, p->req_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, p->req_dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, p->res_dir, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, p->created_ms);
    bind_ms(s, 8, p->published_ms);
    sqlite3_bind_text(s, 9, p->owner_host ? p->owner_host : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, p->owner_pid);
    sqlite3_bind_text(s, 11, p->tmp_name, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 12, p->match, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 13, p->qkey, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 14, p->patient, -1, SQLITE_STATIC);
    return step_done(ctx, st, s, "record pending request");
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? onshi__strdup((const char *)t) : NULL;
}

int onshi__pending_get(onshi_ctx *ctx, onshi__store *st, const char *id, onshi__pending *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    int r = prep(ctx, st,
                 "SELECT id, type, state, req_name, req_dir, res_dir, res_name, err, created_ms,"
                 " published_ms, taken_ms, answered_ms, consumed_ms, owner_host, owner_pid,"
                 " tmp_name, match, qkey, patient FROM pending WHERE id=?1",
                 &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
        out->type = sqlite3_column_int(s, 1);
        out->state = sqlite3_column_int(s, 2);
        out->req_name = col_dup(s, 3);
        out->req_dir = col_dup(s, 4);
        out->res_dir = col_dup(s, 5);
        out->res_name = col_dup(s, 6);
        out->err = sqlite3_column_int(s, 7);
        out->created_ms = sqlite3_column_int64(s, 8);
        out->published_ms = sqlite3_column_int64(s, 9);
        out->taken_ms = sqlite3_column_int64(s, 10);
        out->answered_ms = sqlite3_column_int64(s, 11);
        out->consumed_ms = sqlite3_column_int64(s, 12);
        out->owner_host = col_dup(s, 13);
        out->owner_pid = sqlite3_column_int64(s, 14);
        out->tmp_name = col_dup(s, 15);
        out->match = col_dup(s, 16);
        out->qkey = col_dup(s, 17);
        out->patient = col_dup(s, 18);
        if (!out->req_name || !out->req_dir || !out->res_dir || !out->owner_host ||
            (sqlite3_column_type(s, 6) != SQLITE_NULL && !out->res_name) ||
            (sqlite3_column_type(s, 15) != SQLITE_NULL && !out->tmp_name) ||
            (sqlite3_column_type(s, 16) != SQLITE_NULL && !out->match) ||
            (sqlite3_column_type(s, 17) != SQLITE_NULL && !out->qkey) ||
            (sqlite3_column_type(s, 18) != SQLITE_NULL && !out->patient)) {
            onshi__pending_clear(out);
            r = onshi__err(ctx, ONSHI_E_NOMEM, "pending request");
        }
    } else if (rc == SQLITE_DONE) {
        r = ONSHI_E_NOT_FOUND;
    } else {
        r = onshi__store_fail(ctx, st, rc, "read pending request");
    }
    sqlite3_finalize(s);
    return r;
}

int onshi__pending_prune(onshi_ctx *ctx, onshi__store *st, int64_t before_ms)
{
    sqlite3_stmt *s;
    int r = prep(ctx, st,
                 "DELETE FROM pending WHERE state >= ?1 AND consumed_ms <= ?2", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_int(s, 1, ONSHI__P_CONSUMED);
    sqlite3_bind_int64(s, 2, before_ms);
    return step_done(ctx, st, s, "prune pending requests");
}

int onshi__pending_exists(onshi_ctx *ctx, onshi__store *st, const char *id, int *exists)
{
    sqlite3_stmt *s;
    *exists = 0;
    int r = prep(ctx, st, "SELECT 1 FROM pending WHERE id=?1", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *exists = 1;
    else if (rc != SQLITE_DONE)
        r = onshi__store_fail(ctx, st, rc, "read pending request");
    sqlite3_finalize(s);
    return r;
}

int onshi__pending_set_state(onshi_ctx *ctx, onshi__store *st, const char *id, int state,
                             const char *res_name, int err)
{
    static const char *const sql[] = {
        /* States only move forward: another process that joined the same request (or
         * picked it up) never moves a consumed request back to "taken". */
        [ONSHI__P_RECORDED] = "UPDATE pending SET state=?2 WHERE id=?1 AND state<=?2",
        [ONSHI__P_PUBLISHED] = "UPDATE pending SET state=?2, published_ms=?3 WHERE id=?1"
                               " AND state<=?2",
        [ONSHI__P_TAKEN] = "UPDATE pending SET state=?2, taken_ms=?3 WHERE id=?1 AND state<=?2",
        [ONSHI__P_ANSWERED] = "UPDATE pending SET state=?2, answered_ms=?3, res_name=?4,"
                              " err=?5, taken_ms=coalesce(taken_ms, ?3) WHERE id=?1"
                              " AND state<=?2",
        [ONSHI__P_CONSUMED] = "UPDATE pending SET state=?2, consumed_ms=?3 WHERE id=?1"
                              " AND state<=?2",
        [ONSHI__P_ABANDONED] = "UPDATE pending SET state=?2, consumed_ms=?3 WHERE id=?1"
                               " AND state<=?2",
    };
    if (state < ONSHI__P_RECORDED || state > ONSHI__P_ABANDONED)
        return onshi__err(ctx, ONSHI_E_GENERIC, "bad pending state %d", state);
    sqlite3_stmt *s;
    int r = prep(ctx, st, sql[state], &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, state);
    if (state != ONSHI__P_RECORDED)
        sqlite3_bind_int64(s, 3, onshi__wall_ms());
    if (state == ONSHI__P_ANSWERED) {
        sqlite3_bind_text(s, 4, res_name, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, err);
    }
    return step_done(ctx, st, s, "update pending request");
}

int onshi__pending_next(onshi_ctx *ctx, onshi__store *st, const char *after,
                        char id_out[ONSHI__ID_LEN + 1])
{
    return onshi__pending_next_ex(ctx, st, after, 0, id_out);
}

int onshi__pending_next_ex(onshi_ctx *ctx, onshi__store *st, const char *after, int all,
                           char id_out[ONSHI__ID_LEN + 1])
{
    sqlite3_stmt *s;
    char from[ONSHI__ID_LEN + 1]; /* after may be id_out itself */
    snprintf(from, sizeof from, "%s", after ? after : "");
    id_out[0] = '\0';
    int r = prep(ctx, st,
                 "SELECT id FROM pending WHERE state < ?2 AND id > ?1 ORDER BY id LIMIT 1", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, all ? ONSHI__P_ABANDONED + 1 : ONSHI__P_CONSUMED);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(id_out, ONSHI__ID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
    else if (rc == SQLITE_DONE)
        r = ONSHI_E_NOT_FOUND;
    else
        r = onshi__store_fail(ctx, st, rc, "list pending requests");
    sqlite3_finalize(s);
    return r;
}

int onshi__pending_list(onshi_ctx *ctx, onshi__store *st, int kind, int type, const char *dir,
                        int64_t since_ms, onshi__names *out)
{
    static const char *const sql[] = {
        /* open requests of one type on one req/ folder, recorded since since_ms, with a
         * fingerprint: "id qkey" */
        "SELECT id || ' ' || qkey FROM pending WHERE state < ?1 AND state <> ?2 AND type=?3"
        " AND req_dir=?4 AND created_ms >= ?5 AND qkey IS NOT NULL ORDER BY id",
        /* requests in one state (any process) */
        "SELECT id FROM pending WHERE state=?2 ORDER BY id",
    };
    sqlite3_stmt *s;
    int r = prep(ctx, st, sql[kind != ONSHI__PL_SAME], &s);
    if (r != ONSHI_OK)
        return r;
    if (kind != ONSHI__PL_SAME) {
        sqlite3_bind_int(s, 2, kind == ONSHI__PL_RECORDED ? ONSHI__P_RECORDED : ONSHI__P_ANSWERED);
    } else {
        sqlite3_bind_int(s, 1, ONSHI__P_CONSUMED);
        sqlite3_bind_int(s, 2, ONSHI__P_RECORDED);
        sqlite3_bind_int(s, 3, type);
        sqlite3_bind_text(s, 4, dir, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, since_ms);
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        char *d = t ? onshi__strdup(t) : NULL;
        if (d == NULL || onshi__names_add(out, d) != 0) {
            free(d);
            r = onshi__err(ctx, ONSHI_E_NOMEM, "pending list");
            break;
        }
    }
    if (r == ONSHI_OK && rc != SQLITE_DONE)
        r = onshi__store_fail(ctx, st, rc, "list pending requests");
    sqlite3_finalize(s);
    return r;
}

/* ---- face cursor ---------------------------------------------------------------------- */

static int exists_query(onshi_ctx *ctx, onshi__store *st, const char *sql, const char *a,
                        const char *b, int *found)
{
    sqlite3_stmt *s;
    *found = 0;
    int r = prep(ctx, st, sql, &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *found = 1;
    else if (rc != SQLITE_DONE)
        r = onshi__store_fail(ctx, st, rc, "read face cursor");
    sqlite3_finalize(s);
    return r;
}

int onshi__face_dir_known(onshi_ctx *ctx, onshi__store *st, const char *dir, int *known)
{
    return exists_query(ctx, st, "SELECT 1 FROM face_dir WHERE dir=?1", dir, NULL, known);
}

int onshi__face_dir_add(onshi_ctx *ctx, onshi__store *st, const char *dir)
{
    sqlite3_stmt *s;
    int r = prep(ctx, st, "INSERT OR IGNORE INTO face_dir(dir, started_ms) VALUES(?1, ?2)", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, dir, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, onshi__wall_ms());
    return step_done(ctx, st, s, "write face cursor");
}

int onshi__face_is_seen(onshi_ctx *ctx, onshi__store *st, const char *dir, const char *name,
                        int *seen)
{
    return exists_query(ctx, st, "SELECT 1 FROM face_seen WHERE dir=?1 AND name=?2", dir, name,
                        seen);
}

int onshi__face_mark(onshi_ctx *ctx, onshi__store *st, const char *dir, const char *name,
                     int *claimed)
{
    sqlite3_stmt *s;
    *claimed = 0;
    int r = prep(ctx, st,
                 "INSERT OR IGNORE INTO face_seen(dir, name, delivered_ms) VALUES(?1, ?2, ?3)",
                 &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, onshi__wall_ms());
    r = step_done(ctx, st, s, "write face cursor");
    if (r == ONSHI_OK)
        *claimed = sqlite3_changes(st->db) > 0;
    return r;
}

int onshi__face_prune(onshi_ctx *ctx, onshi__store *st, const char *dir, char *const *names,
                      size_t n)
{
    int r = onshi__store_begin(ctx, st);
    if (r != ONSHI_OK)
        return r;
    r = onshi__store_exec(ctx, st, "CREATE TEMP TABLE IF NOT EXISTS face_now (name TEXT"
                                   " PRIMARY KEY); DELETE FROM temp.face_now");
    sqlite3_stmt *s = NULL;
    if (r == ONSHI_OK)
        r = prep(ctx, st, "INSERT OR IGNORE INTO temp.face_now(name) VALUES(?1)", &s);
    for (size_t i = 0; r == ONSHI_OK && i < n; i++) {
        sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE)
            r = onshi__store_fail(ctx, st, rc, "prune face cursor");
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (r == ONSHI_OK && (r = prep(ctx, st,
                                   "DELETE FROM face_seen WHERE dir=?1 AND name NOT IN"
                                   " (SELECT name FROM temp.face_now)",
                                   &s)) == ONSHI_OK) {
        sqlite3_bind_text(s, 1, dir, -1, SQLITE_STATIC);
        r = step_done(ctx, st, s, "prune face cursor");
    }
    if (r != ONSHI_OK) {
        onshi__store_rollback(st);
        return r;
    }
    return onshi__store_commit(ctx, st);
}
