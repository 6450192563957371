/*
 * The SQLite state store: connection, migrations, sequence, pending requests, face cursor.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"

#include "core/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema of the core component -------------------------------------------------------
 * Append steps; never edit a released one. Other layers register their own component. */
static const onshi__store_step core_steps[] = {
    /* Version 1 of libonshi 0.1 also created the file transport's tables (seq_day, pending,
     * face_dir, face_seen); they now belong to the transport component, which creates them
     * with IF NOT EXISTS, so old and new files end with the same schema. */
    {1, "CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)"},
    {2, "CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)"},
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
int onshi__store_prep(onshi_ctx *ctx, onshi__store *st, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? ONSHI_OK : onshi__store_fail(ctx, st, rc, "prepare");
}

/* Step a statement that returns no rows, then finalize it. */
int onshi__store_step_done(onshi_ctx *ctx, onshi__store *st, sqlite3_stmt *s, const char *what)
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
    int r = onshi__store_prep(ctx, st, "SELECT version FROM schema_version WHERE component=?1", &s);
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
                r = onshi__store_prep(ctx, st,
                         "INSERT INTO schema_version(component, version) VALUES(?1, ?2)"
                         " ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                         &s);
            if (r == ONSHI_OK) {
                sqlite3_bind_text(s, 1, component, -1, SQLITE_STATIC);
                sqlite3_bind_int(s, 2, steps[i].version);
                r = onshi__store_step_done(ctx, st, s, "write schema version");
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
        int rc = onshi__os_mkdir(path, 0700);
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
        int n = onshi__os_state_path(buf, sizeof buf);
        if (n == -1)
            return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                                 "ONSHI_OPT_STATE_DB is not set and there is no HOME",
                                 "状態DB (state_db) が設定されておらず HOME もありません");
        if (n != 0)
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

/* The store holds what recovery needs and nothing for other users: the file and SQLite's
 * companions (-wal, -shm, -journal, which SQLite creates with the main file's mode) are
 * 0600 whatever the umask; a file left more open by an older version is tightened. */
static void private_mode(onshi_ctx *ctx, const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        char p[4096];
        if (snprintf(p, sizeof p, "%s%s", path, sfx[i]) >= (int)sizeof p)
            return;
        int fd = onshi__os_open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
                                       (i == 0 ? O_CREAT : 0), 0600);
        if (fd < 0)
            continue;
        onshi__os_st sb;
        if (onshi__os_fstat(fd, &sb) == 0 && sb.type == ONSHI__OS_REG && (sb.mode & 077) != 0 &&
            sb.mine) {
            if (onshi__os_fchmod(fd, 0600) == 0)
                onshi__log(ctx, ONSHI_LOG_INFO, "core", "state store %s%s: mode set to 0600",
                           path, sfx[i]);
        }
        close(fd);
    }
}

int onshi__store_open(onshi_ctx *ctx, const char *path, onshi__store **out)
{
    *out = NULL;
    if (strcmp(path, ":memory:") != 0)
        private_mode(ctx, path);
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
        if ((r = onshi__store_prep(ctx, st, "PRAGMA journal_mode=WAL", &s)) != ONSHI_OK)
            goto fail;
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0)
            onshi__log(ctx, ONSHI_LOG_WARN, "core",
                       "state store %s: WAL not available, using %s", path,
                       (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        if ((rc & 0xff) != SQLITE_BUSY || onshi__now_ms() >= give_up)
            break;
        onshi__os_sleep_ms(10);
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


/* ---- identity --------------------------------------------------------------------------- */

static int read_install_id(onshi_ctx *ctx, onshi__store *st, char out[33], int *found)
{
    sqlite3_stmt *s;
    *found = 0;
    int r = onshi__store_prep(ctx, st, "SELECT value FROM store_info WHERE key='install_id'", &s);
    if (r != ONSHI_OK)
        return r;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(out, sqlite3_column_text(s, 0), 33);
        *found = 1;
    } else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        r = onshi__store_fail(ctx, st, rc, "read store identity");
    }
    sqlite3_finalize(s);
    return r;
}

int onshi__store_install_id(onshi_ctx *ctx, onshi__store *st, char out[33])
{
    int found;
    int r = read_install_id(ctx, st, out, &found);
    if (r != ONSHI_OK || found)
        return r; /* the usual case: a read, no write transaction */
    char hex[33];
    r = onshi__random_hex(ctx, hex, 16); /* the one source of random bytes, failing loudly */
    if (r != ONSHI_OK)
        return r;
    sqlite3_stmt *s;
    /* The first writer wins; everybody reads the same value afterwards. */
    r = onshi__store_prep(ctx, st,
                          "INSERT OR IGNORE INTO store_info(key, value) VALUES('install_id', ?1)",
                          &s);
    if (r != ONSHI_OK)
        return r;
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    if ((r = onshi__store_step_done(ctx, st, s, "write store identity")) != ONSHI_OK)
        return r;
    if ((r = read_install_id(ctx, st, out, &found)) == ONSHI_OK && !found)
        r = onshi__err(ctx, ONSHI_E_STORE, "state store %s: no identity after writing it",
                       st->path);
    return r;
}

int onshi__store_install_id_renew(onshi_ctx *ctx, onshi__store *st, char out[33])
{
    int r = onshi__store_exec(ctx, st, "DELETE FROM store_info WHERE key='install_id'");
    return r == ONSHI_OK ? onshi__store_install_id(ctx, st, out) : r;
}
