/*
 * core/store — the SDK's durable state on SQLite: per-day request sequence, pending
 * requests, face cursor, and a migration mechanism other layers use for their own tables
 * (the service layer's batch state). Internal; the SQLite type never reaches onshi.h.
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

/* ---- per-day request sequence ----------------------------------------------------------
 * Identifiers are YYYYMMDD + 4 digits (12 characters). `in_use` (may be NULL) is asked about
 * each candidate; a non-zero answer skips it (a result with that name may still exist). The
 * counter only grows within a day, so a number is never handed out twice. ONSHI_E_LIMIT when
 * the day's 9999 numbers are used up. */
#define ONSHI__ID_LEN 12
int onshi__store_seq_next(onshi_ctx *ctx, onshi__store *st, const char *day8,
                          int (*in_use)(void *arg, const char *id), void *arg,
                          char id_out[ONSHI__ID_LEN + 1]);

/* ---- pending requests ------------------------------------------------------------------ */
enum onshi__pstate {
    ONSHI__P_RECORDED = 1,  /* temp file written, not yet renamed into req/ */
    ONSHI__P_PUBLISHED = 2, /* visible in req/ */
    ONSHI__P_TAKEN = 3,     /* the linkage app took it (gone from req/) */
    ONSHI__P_ANSWERED = 4,  /* a result (or error file) was read */
    ONSHI__P_CONSUMED = 5,  /* the caller has it; result file deleted or archived */
    ONSHI__P_ABANDONED = 6  /* crashed before the rename: never visible, never sent */
};

typedef struct onshi__pending {
    char id[ONSHI__ID_LEN + 1];
    int type;            /* ONSHI_MSG_* of the request */
    int state;           /* onshi__pstate */
    char *req_name;      /* file name in req/ */
    char *req_dir;       /* folders at the time of publishing: a later pickup uses these */
    char *res_dir;
    char *res_name;      /* result or error file found (NULL before) */
    int err;             /* 1 when res_name is an error file */
    int64_t created_ms, published_ms, taken_ms, answered_ms, consumed_ms; /* Unix ms */
    char *owner_host;    /* process that recorded it (crash recovery) */
    int64_t owner_pid;
} onshi__pending;

void onshi__pending_clear(onshi__pending *p);
int onshi__pending_insert(onshi_ctx *ctx, onshi__store *st, const onshi__pending *p);
/* ONSHI_E_NOT_FOUND (not recorded on ctx) when there is no such id. */
int onshi__pending_get(onshi_ctx *ctx, onshi__store *st, const char *id, onshi__pending *out);
/* Move to `state`, stamping the matching time; res_name/err only for ANSWERED. */
int onshi__pending_set_state(onshi_ctx *ctx, onshi__store *st, const char *id, int state,
                             const char *res_name, int err);
/* The smallest id > after (NULL: first) whose state is below CONSUMED (still open). */
int onshi__pending_next(onshi_ctx *ctx, onshi__store *st, const char *after,
                        char id_out[ONSHI__ID_LEN + 1]);
/* Delete consumed and abandoned rows finished before `before_ms` (Unix ms). Open requests
 * are never deleted. */
#define ONSHI__PENDING_KEEP_MS (INT64_C(30) * 24 * 3600 * 1000)
int onshi__pending_prune(onshi_ctx *ctx, onshi__store *st, int64_t before_ms);
/* Is an id known at all (any state)? */
int onshi__pending_exists(onshi_ctx *ctx, onshi__store *st, const char *id, int *exists);

/* ---- face cursor -------------------------------------------------------------------------
 * Per watched folder: which face files were delivered. */
int onshi__face_dir_known(onshi_ctx *ctx, onshi__store *st, const char *dir, int *known);
int onshi__face_dir_add(onshi_ctx *ctx, onshi__store *st, const char *dir);
int onshi__face_is_seen(onshi_ctx *ctx, onshi__store *st, const char *dir, const char *name,
                        int *seen);
/* Mark delivered; *claimed = 0 if another connection marked it first. */
int onshi__face_mark(onshi_ctx *ctx, onshi__store *st, const char *dir, const char *name,
                     int *claimed);
/* Forget delivered names that are no longer in the folder (names[0..n) is a full listing),
 * so the table does not grow forever. */
int onshi__face_prune(onshi_ctx *ctx, onshi__store *st, const char *dir, char *const *names,
                      size_t n);


#endif
