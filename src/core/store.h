/*
 * core/store — the SDK's durable state on SQLite: the connection, the store's identity, and
 * a migration mechanism each layer uses for its own tables (the file transport's sequence,
 * pending requests and face cursor in transport/filestore.c; the service layer's batch
 * state). Internal; the SQLite type never reaches onshi.h.
 *
 * One connection per context (opened lazily by onshi__store_get, kept in ONSHI__SLOT_STORE).
 * Several processes of one clinic may share the file: WAL journal, a busy timeout, and every
 * read-modify-write in a BEGIN IMMEDIATE transaction.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CORE_STORE_H
#define ONSHI_CORE_STORE_H

#include "core.h"

#include <sqlite3.h>

typedef struct onshi__store {
    sqlite3 *db;
    char *path;
} onshi__store;

/* How long a connection waits for another process's write lock before ONSHI_E_STORE. */
#define ONSHI__STORE_BUSY_MS 10000

/* The default file when ONSHI_OPT_STATE_DB is unset: $ONSHI_STATE_DB, else
 * $XDG_STATE_HOME/libonshi/state.db, else $HOME/.local/state/libonshi/state.db
 * (%LOCALAPPDATA%\libonshi\state.db on Windows). The folder is created. *out is malloc'd. */
int onshi__store_default_path(onshi_ctx *ctx, char **out);

/* Open (creating and migrating) a store file. Errors recorded on ctx (may be NULL). */
int onshi__store_open(onshi_ctx *ctx, const char *path, onshi__store **out);
void onshi__store_close(onshi__store *st);

/* The context's store: opened on first use from ONSHI_OPT_STATE_DB (or the default path),
 * reopened when that option changed. Borrowed; lives until the context is freed. */
int onshi__store_get(onshi_ctx *ctx, onshi__store **out);

/* Schema migrations. Each component ("core", "service", ...) has its own version row in
 * table schema_version; steps with a version above the stored one run in order, each in
 * its own transaction together with the version update. Steps must be sorted by version. */
typedef struct onshi__store_step {
    int version;
    const char *sql; /* one or more statements */
} onshi__store_step;
int onshi__store_migrate(onshi_ctx *ctx, onshi__store *st, const char *component,
                         const onshi__store_step *steps, size_t n);
/* The stored version of a component (0 if none). */
int onshi__store_version(onshi_ctx *ctx, onshi__store *st, const char *component,
                         int *version);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE), so a read followed by
 * a write cannot fail half-way on another process's lock. */
int onshi__store_begin(onshi_ctx *ctx, onshi__store *st);
int onshi__store_commit(onshi_ctx *ctx, onshi__store *st);
void onshi__store_rollback(onshi__store *st);
int onshi__store_exec(onshi_ctx *ctx, onshi__store *st, const char *sql);
/* Translate an SQLite result code into ONSHI_E_STORE (ONSHI_E_DISK_FULL for SQLITE_FULL),
 * keeping the extended code as foreign detail. */
int onshi__store_fail(onshi_ctx *ctx, onshi__store *st, int rc, const char *what);

/* Statement helpers for the layers' own tables: prepare (failure recorded on ctx), and step
 * a statement that returns no rows, then finalize it. */
int onshi__store_prep(onshi_ctx *ctx, onshi__store *st, const char *sql, sqlite3_stmt **out);
int onshi__store_step_done(onshi_ctx *ctx, onshi__store *st, sqlite3_stmt *s, const char *what);

/* A random identity of this store file (32 hex digits), drawn once when first asked for and
 * kept in table store_info: lets a layer tell "this installation" from another one sharing
 * the same folders (the file transport's workstation component). */
int onshi__store_install_id(onshi_ctx *ctx, onshi__store *st, char out[33]);
/* Draw a new identity (when another store turned out to derive the same values from it). */
int onshi__store_install_id_renew(onshi_ctx *ctx, onshi__store *st, char out[33]);


#endif
