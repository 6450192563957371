/*
 * The SQLite state store: connection, migrations, sequence, pending requests, face cursor.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- schema of the core component -------------------------------------------------------
 * Append steps; never edit a released one. Other layers register their own component. */
static const onshi__store_step core_steps[] = {
    {1, "CREATE TABLE seq_day (day TEXT PRIMARY KEY, last INTEGER NOT NULL);"
        "CREATE TABLE pending ("
        " id TEXT PRIMARY KEY, type INTEGER NOT NULL, state INTEGER NOT NULL,"
        " req_name TEXT NOT NULL, req_dir TEXT NOT NULL, res_dir TEXT NOT NULL,"
        " res_name TEXT, err INTEGER NOT NULL DEFAULT 0,"
        " created_ms INTEGER NOT NULL, published_ms INTEGER, taken_ms INTEGER,"
        " answered_ms INTEGER, consumed_ms INTEGER,"
        " owner_host TEXT NOT NULL, owner_pid INTEGER NOT NULL);"
        "CREATE INDEX pending_open ON pending(state, id);"
        "CREATE TABLE face_dir (dir TEXT PRIMARY KEY, started_ms INTEGER NOT NULL);"
        "CREATE TABLE face_seen (dir TEXT NOT NULL, name TEXT NOT NULL,"
        " delivered_ms INTEGER NOT NULL, PRIMARY KEY (dir, name));"},
};

int onshi__store_fail(onshi_ctx *ctx, onshi__store *st, int rc, const char *what)
{
    int ext = st && st->db ? sqlite3_extended_errcode(st->db) : rc;
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    int status = (rc & 0xff) == SQLITE_FULL ? ONSHI_E_DISK_FULL : ONSHI_E_STORE;
    return onshi__err_foreign(ctx, status, ONSHI_FOREIGN_SQLITE, ext, "state store %s: %s (%s)",
                              st && st->path ? st->path : "", what, msg);
}

int onshi__store_exec(onshi_ctx *ctx, onshi__store *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ONSHI_OK : onshi__store_fail(ctx, st, rc, "exec");
}

int onshi__store_begin(onshi_ctx *ctx, onshi__store *st)
{
    return onshi__store_exec(ctx, st, "BEGIN IMMEDIATE");
}

int onshi__store_commit(onshi_ctx *ctx, onshi__store *st)
{
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return ONSHI_OK;
    int r = onshi__store_fail(ctx, st, rc, "commit");
    onshi__store_rollback(st);
    return r;
}

void onshi__store_rollback(onshi__store *st)
{
    if (st && st->db && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Prepare or record the failure. */
static int prep(onshi_ctx *ctx, onshi__store *st, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? ONSHI_OK : onshi__store_fail(ctx, st, rc, "prepare");
}

/* Step a statement that returns no rows, then finalize it. */
static int step_done(onshi_ctx *ctx, onshi__store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    int r = rc == SQLITE_DONE ? ONSHI_OK : onshi__store_fail(ctx, st, rc, what);
    sqlite3_finalize(s);
    return r;
}

/* ---- opening and migrations ------------------------------------------------------------ */

int onshi__store_version(onshi_ctx *ctx, onshi__store *st, const char *component, int *version)
{
    sqlite3_stmt *s;
    *version = 0;
    int r = prep(ctx, st, "SELECT version FROM schema_version WHERE component=?1", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, component, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    else if (rc != SQLITE_DONE)
        r = onshi__store_fail(ctx, st, rc, "read schema version");
    sqlite3_finalize(s);
    return r;
}

int onshi__store_migrate(onshi_ctx *ctx, onshi__store *st, const char *component,
                         const onshi__store_step *steps, size_t n)
{
    int r = onshi__store_exec(ctx, st,
                              "CREATE TABLE IF NOT EXISTS schema_version ("
                              " component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    if (r != ONSHI_OK)
        return r;
    for (size_t i = 0; i < n; i++) {
        /* Re-read inside the write lock: another process may have migrated meanwhile. */
        int have;
        if ((r = onshi__store_begin(ctx, st)) != ONSHI_OK)
            return r;
        r = onshi__store_version(ctx, st, component, &have);
        if (r == ONSHI_OK && steps[i].version > have) {
            r = onshi__store_exec(ctx, st, steps[i].sql);
            sqlite3_stmt *s = NULL;
            if (r == ONSHI_OK)
                r = prep(ctx, st,
                         "INSERT INTO schema_version(component, version) VALUES(?1, ?2)"
                         " ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                         &s);
            if (r == ONSHI_OK) {
                sqlite3_bind_text(s, 1, component, -1, SQLITE_STATIC);
                sqlite3_bind_int(s, 2, steps[i].version);
                r = step_done(ctx, st, s, "write schema version");
            }
        }
        if (r != ONSHI_OK) {
            onshi__store_rollback(st);
            return r;
        }
        if ((r = onshi__store_commit(ctx, st)) != ONSHI_OK)
            return r;
    }
    /* A file written by a newer libonshi: its tables may mean things we do not know. */
    int have;
    if ((r = onshi__store_version(ctx, st, component, &have)) != ONSHI_OK)
        return r;
    if (n > 0 && have > steps[n - 1].version)
        return onshi__err(ctx, ONSHI_E_STORE,
                          "state store %s: schema version %d of '%s' is newer than this "
                          "library (%d)",
                          st->path, have, component, steps[n - 1].version);
    return ONSHI_OK;
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int onshi__store_default_path(onshi_ctx *ctx, char **out)
{
    *out = NULL;
    const char *env = getenv("ONSHI_STATE_DB");
    char buf[4096];
    if (env != NULL && *env != '\0') {
        snprintf(buf, sizeof buf, "%s", env);
    } else {
        const char *xdg = getenv("XDG_STATE_HOME");
        const char *home = getenv("HOME");
        int n;
        if (xdg != NULL && xdg[0] == '/')
            n = snprintf(buf, sizeof buf, "%s/libonshi/state.db", xdg);
        else if (home != NULL && home[0] == '/')
            n = snprintf(buf, sizeof buf, "%s/.local/state/libonshi/state.db", home);
        else
            return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                                 "ONSHI_OPT_STATE_DB is not set and there is no HOME",
                                 "状態DB (state_db) が設定されておらず HOME もありません");
        if (n < 0 || (size_t)n >= sizeof buf)
            return onshi__err(ctx, ONSHI_E_CONFIG, "state store path too long");
    }
    if (mkdirs(buf) != 0)
        return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, errno,
                                  "cannot create the folder of state store %s", buf);
    *out = onshi__strdup(buf);
    return *out ? ONSHI_OK : ONSHI_E_NOMEM;
}

void onshi__store_close(onshi__store *st)
{
    if (st == NULL)
        return;
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

int onshi__store_open(onshi_ctx *ctx, const char *path, onshi__store **out)
{
    *out = NULL;
    onshi__store *st = onshi__calloc(1, sizeof *st);
    if (st == NULL || (st->path = onshi__strdup(path)) == NULL) {
        free(st);
        return onshi__err(ctx, ONSHI_E_NOMEM, "state store");
    }
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE,
                             NULL);
    int r = ONSHI_OK;
    if (rc != SQLITE_OK) {
        r = onshi__store_fail(ctx, st, rc, "open");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, ONSHI__STORE_BUSY_MS);
    /* WAL lets readers of other processes go on while one writes. It does not work on every
     * file system (network shares): then the default rollback journal is kept. FULL sync:
     * a request recorded as pending must survive a power cut before it is published. */
    sqlite3_stmt *s;
    /* Two processes opening a new file at once race for the switch to WAL, and SQLite answers
     * SQLITE_BUSY there without calling the busy handler (deadlock avoidance): retry within
     * the busy timeout. */
    int64_t give_up = onshi__now_ms() + ONSHI__STORE_BUSY_MS;
    for (;;) {
        if ((r = prep(ctx, st, "PRAGMA journal_mode=WAL", &s)) != ONSHI_OK)
            goto fail;
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0)
            onshi__log(ctx, ONSHI_LOG_WARN, "core",
                       "state store %s: WAL not available, using %s", path,
                       (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        if ((rc & 0xff) != SQLITE_BUSY || onshi__now_ms() >= give_up)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = onshi__store_fail(ctx, st, rc, "journal mode");
        goto fail;
    }
    if ((r = onshi__store_exec(ctx, st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"))
        != ONSHI_OK)
        goto fail;
    r = onshi__store_migrate(ctx, st, "core", core_steps,
                             sizeof core_steps / sizeof core_steps[0]);
    if (r != ONSHI_OK)
        goto fail;
    *out = st;
    return ONSHI_OK;
fail:
    onshi__store_close(st);
    return r;
}

static void store_slot_free(void *p)
{
    onshi__store_close(p);
}

int onshi__store_get(onshi_ctx *ctx, onshi__store **out)
{
    *out = NULL;
    const char *opt = onshi__opt_str(ctx, ONSHI_OPT_STATE_DB);
    char *path = NULL;
    int r;
    if (opt != NULL && *opt != '\0')
        path = onshi__strdup(opt);
    else if ((r = onshi__store_default_path(ctx, &path)) != ONSHI_OK)
        return r;
    if (path == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "state store path");
    onshi__store *st = onshi__slot_get(ctx, ONSHI__SLOT_STORE);
    if (st != NULL && strcmp(st->path, path) == 0) {
        free(path);
        *out = st;
        return ONSHI_OK;
    }
    r = onshi__store_open(ctx, path, &st);
    free(path);
    if (r != ONSHI_OK)
        return r;
    onshi__slot_set(ctx, ONSHI__SLOT_STORE, st, store_slot_free);
    *out = st;
    return ONSHI_OK;
}

/* ---- sequence ------------------------------------------------------------------------- */

int onshi__store_seq_next(onshi_ctx *ctx, onshi__store *st, const char *day8,
                          int (*in_use)(void *arg, const char *id), void *arg,
                          char id_out[ONSHI__ID_LEN + 1])
{
    if (strlen(day8) != 8)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "day must be YYYYMMDD");
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
        snprintf(id_out, ONSHI__ID_LEN + 1, "%s%04d", day8, (int)last);
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
                 " published_ms, owner_host, owner_pid) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
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
                 " published_ms, taken_ms, answered_ms, consumed_ms, owner_host, owner_pid"
                 " FROM pending WHERE id=?1",
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
        if (!out->req_name || !out->req_dir || !out->res_dir || !out->owner_host ||
            (sqlite3_column_type(s, 6) != SQLITE_NULL && !out->res_name)) {
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
                 "DELETE FROM pending WHERE state >= ?1 AND consumed_ms < ?2", &s);
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
        [ONSHI__P_RECORDED] = "UPDATE pending SET state=?2 WHERE id=?1",
        [ONSHI__P_PUBLISHED] = "UPDATE pending SET state=?2, published_ms=?3 WHERE id=?1",
        [ONSHI__P_TAKEN] = "UPDATE pending SET state=?2, taken_ms=?3 WHERE id=?1",
        [ONSHI__P_ANSWERED] = "UPDATE pending SET state=?2, answered_ms=?3, res_name=?4,"
                              " err=?5, taken_ms=coalesce(taken_ms, ?3) WHERE id=?1",
        [ONSHI__P_CONSUMED] = "UPDATE pending SET state=?2, consumed_ms=?3 WHERE id=?1",
        [ONSHI__P_ABANDONED] = "UPDATE pending SET state=?2, consumed_ms=?3 WHERE id=?1",
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
    sqlite3_stmt *s;
    char from[ONSHI__ID_LEN + 1]; /* after may be id_out itself */
    snprintf(from, sizeof from, "%s", after ? after : "");
    id_out[0] = '\0';
    int r = prep(ctx, st,
                 "SELECT id FROM pending WHERE state < ?2 AND id > ?1 ORDER BY id LIMIT 1", &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, ONSHI__P_CONSUMED);
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
