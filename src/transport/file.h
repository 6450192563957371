/*
 * transport/file — exchange with the terminal's linkage app through req/, res/ and face/.
 * Internal interface for the service layer; the public face is the "transport (files)"
 * section of onshi.h. This layer moves bytes: encoding is the codec's business.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TRANSPORT_FILE_H
#define ONSHI_TRANSPORT_FILE_H

#include "core/core.h"
#include "core/os.h"
#include "core/store.h"

#include <sys/types.h>

/* ---- the layer's tables in the state store (filestore.c) --------------------------------
 * The context's store with the transport's tables migrated (onshi__store_get + migration). */
int onshi__file_store(onshi_ctx *ctx, onshi__store **out);
/* Migrate the transport's tables of an already open store. */
int onshi__file_store_migrate(onshi_ctx *ctx, onshi__store *st);

/* Request identifiers: YYYYMMDD (the clinic's local date), a 4-digit workstation component
 * and a 4-digit number per day of this store: 16 digits. libonshi 0.1 wrote 12 digits (no
 * workstation); such ids are still accepted for pickup. `in_use` (may be NULL) is asked about
 * each candidate; a non-zero answer skips it (a file with that id may exist, written by
 * another process or machine). The counter only grows within a day. ONSHI_E_LIMIT when the
 * day's 9999 numbers are used up. */
#define ONSHI__ID_LEN 16
#define ONSHI__ID_LEN_V1 12
#define ONSHI__WS_LEN 4
int onshi__store_seq_next(onshi_ctx *ctx, onshi__store *st, const char *day8, const char *ws,
                          int (*in_use)(void *arg, const char *id), void *arg,
                          char id_out[ONSHI__ID_LEN + 1]);

/* ---- pending requests ------------------------------------------------------------------ */
enum onshi__pstate {
    ONSHI__P_RECORDED = 1,  /* temp file written, not yet linked into req/ */
    ONSHI__P_PUBLISHED = 2, /* visible in req/ */
    ONSHI__P_TAKEN = 3,     /* the linkage app took it (gone from req/) */
    ONSHI__P_ANSWERED = 4,  /* a result (or error file) was read and accepted */
    ONSHI__P_CONSUMED = 5,  /* the caller has it; result file deleted or archived */
    ONSHI__P_ABANDONED = 6  /* crashed before publishing: never visible, never sent */
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
    char *tmp_name;      /* unique temporary name in req/ (NULL: a 0.1 row, ".~onshi-<id>.tmp") */
    char *match;         /* opaque text from the service layer (fingerprints); may be NULL */
    char *qkey;          /* "<salt hex>:<hash hex>" of the request's bytes (identical query) */
    char *patient;       /* masked patient key for listings (never the full keys); may be NULL */
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
/* Same; `all` non-zero also lists consumed and abandoned requests still kept. */
int onshi__pending_next_ex(onshi_ctx *ctx, onshi__store *st, const char *after, int all,
                           char id_out[ONSHI__ID_LEN + 1]);
/* Delete consumed and abandoned rows finished before `before_ms` (Unix ms). Open requests
 * are never deleted. */
int onshi__pending_prune(onshi_ctx *ctx, onshi__store *st, int64_t before_ms);
/* Is an id known at all (any state)? */
int onshi__pending_exists(onshi_ctx *ctx, onshi__store *st, const char *id, int *exists);
/* Lists appended to *out: ONSHI__PL_SAME: "id qkey" of the open (published, taken or
 * answered, not consumed) requests of `type` on req/ folder `dir` recorded since since_ms
 * that have a fingerprint; ONSHI__PL_RECORDED: ids of requests of any process stopped
 * between recording and publishing; ONSHI__PL_ANSWERED: ids of answered requests not yet
 * consumed (type, dir, since_ms unused). */
#define ONSHI__PL_SAME 0
#define ONSHI__PL_RECORDED 1
#define ONSHI__PL_ANSWERED 2 /* ids of answered, not consumed requests */
struct onshi__names;
int onshi__pending_list(onshi_ctx *ctx, onshi__store *st, int kind, int type, const char *dir,
                        int64_t since_ms, struct onshi__names *out);

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

/* The result object behind the public onshi_file_result. */
struct onshi_file_result {
    char id[ONSHI__ID_LEN + 1]; /* request id; "" for face results */
    int type;                   /* ONSHI_MSG_* of the file */
    char *name;                 /* file name (no folder) */
    char *entry;                /* for ZIP results: the XML entry's name; else NULL */
    onshi_buf data;             /* the bytes (the XML inside for a ZIP) */
};
int onshi__file_result_new(onshi_file_result **out, const char *id, int type, const char *name);

/* ---- test and benchmark hooks (never set by the library itself) -----------------------
 * Per context: a test's hooks never leak into another context or thread of the process. */
typedef struct onshi__file_hooks {
    /* Replaces write(2) for request files: lets a test simulate ENOSPC. */
    ssize_t (*write)(int fd, const void *p, size_t n);
    /* 1: do not use inotify (exercise and measure the polling fallback). */
    int force_poll;
    /* 1: publish with link(2) + unlink(2) even where renameat2(RENAME_NOREPLACE) works. */
    int force_link;
    /* Called after the request is recorded as pending, before the link that publishes it,
     * and after the link, before the state becomes "published": crash points for tests. */
    void (*after_record)(const char *id);
    void (*after_publish)(const char *id);
    /* Called when a wait or a face watcher has its folder watch in place (lets a test's
     * writer start only then, so the inotify path is exercised deterministically). */
    void (*watching)(void);
} onshi__file_hooks;
/* Install a copy of *h on ctx (NULL removes them). ONSHI_E_NOMEM. */
int onshi__file_hooks_set(onshi_ctx *ctx, const onshi__file_hooks *h);
/* The hooks of ctx; all empty when none were set (never NULL). */
const onshi__file_hooks *onshi__file_hooks_of(const onshi_ctx *ctx);

/* The converter to UTF-8 of .err texts, from UTF-8 (which 0: validates) or CP932 (1): opened
 * once per context (its transport slot) and reset to the initial state; ONSHI__CV_NONE when
 * unavailable. Owned by the context. */
onshi__cv_t onshi__file_err_cd(onshi_ctx *ctx, int which);
/* Converters opened by onshi__file_err_cd so far, in the process (for tests). */
size_t onshi__file_err_cd_opened(void);

/* ---- limits ----------------------------------------------------------------------------- */
#define ONSHI__ERRFILE_MAX (64 * 1024)   /* .err files are short texts */
#define ONSHI__STABLE_GAP_MS 20          /* second read after this when inotify sees the folder */
#define ONSHI__STABLE_GAP_MOVED_MS 2     /* ... and when the file arrived by rename */
/* inotify saw the file opened for writing but no close (a share may not report it): accept
 * it anyway once its content was stable this long. */
#define ONSHI__WRITER_HOLD_MS 2000
/* A "look once" call (or a face file) still gives a file found this long to become stable. */
#define ONSHI__STABLE_MIN_MS 3000
#define ONSHI__ERR_GRACE_MS 500          /* wait for the .err that follows a request-named file */
#define ONSHI__ZIP_MAX_ENTRIES 16
#define ONSHI__ZIP_MAX_RATIO 200         /* uncompressed / compressed of the entry */

/* ---- folder waiting (a folder watch where available, polling always as a safety net) ---- */
typedef struct onshi__dirwait {
    onshi__os_watch *watch; /* res/ or face/ (names), and req/; NULL: polling only */
    onshi__os_wake *wake;   /* signalled by onshi_ctx_cancel's hook */
    int64_t poll_ms;
    int events_seen;   /* the watch reported names: the folder is local, events work */
    struct onshi__dirname {
        char *name;
        int state;     /* ONSHI__NAME_* */
    } *names;          /* what inotify told about names of the first folder */
    size_t nnames;
    onshi_ctx *armed;  /* context whose cancel hook points at us, during a wait */
} onshi__dirwait;

int onshi__dirwait_open(onshi_ctx *ctx, onshi__dirwait *w, const char *dir, const char *dir2,
                        int64_t poll_ms);
void onshi__dirwait_close(onshi__dirwait *w);
/* Install/remove the cancel hook for the duration of a blocking call. */
void onshi__dirwait_arm(onshi__dirwait *w, onshi_ctx *ctx);
void onshi__dirwait_disarm(onshi__dirwait *w);
/* Sleep until an event, max_ms, or a cancel; returns ONSHI_OK or ONSHI_E_CANCELLED. */
int onshi__dirwait_wait(onshi_ctx *ctx, onshi__dirwait *w, int64_t max_ms);
#define ONSHI__NAME_WRITING 1  /* created or modified, not yet closed */
#define ONSHI__NAME_MOVED_IN 2 /* renamed into the folder and untouched since */
#define ONSHI__NAME_TOUCHED 3  /* created or modified where no close is reported (Windows) */
/* Is `name` open for writing as far as inotify knows? */
int onshi__dirwait_writing(const onshi__dirwait *w, const char *name);
/* Did `name` arrive by rename (complete) and stay untouched since? */
int onshi__dirwait_moved_in(const onshi__dirwait *w, const char *name);
/* Was name created or modified where the platform reports no close (Windows)? */
int onshi__dirwait_touched(const onshi__dirwait *w, const char *name);
/* Drop what is known about a name (after it was read). */
void onshi__dirwait_forget(onshi__dirwait *w, const char *name);

/* ---- file helpers ----------------------------------------------------------------------- */
/* Check a folder can be listed (and written, when `write`); errors name the folder. `what`
 * is "req", "res", "face" or "archive" for the message. */
int onshi__dir_check(onshi_ctx *ctx, const char *dir, const char *what, int write);
/* Read a whole file of at most `cap` bytes. ONSHI_E_NOT_FOUND (not recorded) when it does
 * not exist; ONSHI_E_RESULT_TOO_LARGE when larger than cap. */
int onshi__file_read_all(onshi_ctx *ctx, const char *path, size_t cap, onshi_buf *out);
/* dir/name without following a link: 1 regular file, 0 anything else (link, FIFO, folder),
 * -1 missing. */
int onshi__file_kind(const char *dir, const char *name);
/* The stable-read rule: read until two reads `gap` apart agree in size, time and content,
 * the writer has closed the file (inotify) and an .xml ends with '>'; ONSHI_E_RESULT_UNSTABLE
 * at deadline_ms (monotonic). */
int onshi__file_read_stable(onshi_ctx *ctx, onshi__dirwait *w, const char *dir,
                            const char *name, size_t cap, int64_t deadline_ms, onshi_buf *out);
/* Create dir/tmpname (O_EXCL), write it through the write hook, fsync; on any failure it
 * is unlinked (ENOSPC → ONSHI_E_DISK_FULL). */
int onshi__file_write_temp(onshi_ctx *ctx, const char *dir, const char *tmpname,
                           const void *data, size_t len);
/* Publish dir/from under dir/to without ever replacing an existing file (renameat2 with
 * RENAME_NOREPLACE, else link + unlink), then fsync the folder. *exists = 1 (and an error
 * recorded) when `to` already exists: the caller picks another name. A folder that supports
 * neither is ONSHI_E_FOLDER_NOT_WRITABLE naming it. */
int onshi__file_publish(onshi_ctx *ctx, const char *dir, const char *from, const char *to,
                        int *exists);
/* rename within dir, then fsync the folder so the rename survives a power cut. */
int onshi__file_rename_sync(onshi_ctx *ctx, const char *dir, const char *from, const char *to);
/* Write dir/name atomically: temp file in the same folder, fsync, rename, fsync folder. */
int onshi__file_write_atomic(onshi_ctx *ctx, const char *dir, const char *name,
                             const void *data, size_t len);
/* A folder listing: names (no folder) of the entries `keep` accepts, appended to l. */
typedef struct onshi__names {
    char **v;
    size_t n, cap;
} onshi__names;
int onshi__dir_list(onshi_ctx *ctx, const char *dir, int (*keep)(const char *name),
                    onshi__names *l);
void onshi__names_free(onshi__names *l);
/* Append a malloc'd name (taken on success); -1 when out of memory (name not taken). */
int onshi__names_add(onshi__names *l, char *name);
/* Join folder and name into a malloc'd path. */
char *onshi__path_join(const char *dir, const char *name);
/* errno of a failed operation on a folder or a file in it → status, message naming both. */
int onshi__file_errno(onshi_ctx *ctx, int err, const char *dir, const char *name,
                      const char *op);

/* ---- ZIP results ------------------------------------------------------------------------ */
/* Replace a ZIP archive in `data` by its single XML entry, with limits against zip bombs:
 * at most ONSHI__ZIP_MAX_ENTRIES entries, exactly one .xml, uncompressed size <= cap (checked
 * while inflating, not trusted from the header), ratio <= ONSHI__ZIP_MAX_RATIO, no encryption.
 * *entry receives the entry's name (malloc'd). */
int onshi__zip_extract(onshi_ctx *ctx, const char *name, onshi_buf *data, size_t cap,
                       char **entry);

/* ---- request exchange (the service layer's entry points) -------------------------------- */
/* Allocate an id, write the request, record it as pending, publish it. */
int onshi__file_send(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                     char id_out[ONSHI__ID_LEN + 1]);
/* Same, recording `match` (opaque text from the service layer: fingerprints of the request's
 * search keys, never the keys) with the pending request; onshi__file_match returns it. */
int onshi__file_send_ex(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                        const char *match, char id_out[ONSHI__ID_LEN + 1]);
/* The service layer's send: like onshi__file_send_ex, also recording `patient` (a masked key
 * for listings, may be NULL). With `joined` non-NULL, an open request of the same type on the
 * same req/ with exactly these bytes, recorded within ONSHI_OPT_PENDING_REUSE_SECONDS, is not
 * sent again: its id is returned and *joined = 1 (wait for its result). */
int onshi__file_send_q(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                       const char *match, const char *patient, int *joined,
                       char id_out[ONSHI__ID_LEN + 1]);
/* Recovery after a crash, run before every send and listing (cheap when nothing is left):
 * requests of stopped processes stopped between recording and publishing become published
 * or abandoned; our own temporary files in req/ (".~onshi-<id>-...tmp") that no live process
 * is publishing are deleted; an answered request of a stopped process whose result file is
 * gone from res/ (deleted by its consume, which the stop cut short, or purged by the
 * terminal) is marked consumed. Nothing else in req/ or res/ is ever touched. Failures are
 * ignored. */
void onshi__file_recover(onshi_ctx *ctx, onshi__store *st);
/* Wait up to timeout_ms (< 0: ONSHI_OPT_RESULT_TIMEOUT_MS; 0: look once) for the result of
 * id. ONSHI_E_PENDING on timeout, ONSHI_E_LINKAGE_NOT_RUNNING when the request was not taken,
 * ONSHI_E_ERR_FILE with the .err text. */
int onshi__file_wait(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                     onshi_file_result **out);
/* Like onshi__file_wait, but a result read is NOT marked answered: the caller checks that it
 * answers its request first, then calls onshi__file_confirm (or leaves the request open). */
int onshi__file_wait_unconfirmed(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                                 onshi_file_result **out);
int onshi__file_confirm(onshi_ctx *ctx, const onshi_file_result *res);
/* The `match` text recorded with id (*match NULL when none; malloc'd). */
int onshi__file_match(onshi_ctx *ctx, const char *id, char **match);
/* Drop finished requests from the store and archived results from archive_dir older than
 * ONSHI_OPT_CONSUMED_KEEP_HOURS. Failures are not the caller's: ignored. */
void onshi__file_housekeeping(onshi_ctx *ctx, onshi__store *st);
/* onshi_file_send then onshi__file_wait with the configured timeout; on ONSHI_E_PENDING or
 * ONSHI_E_LINKAGE_NOT_RUNNING id_out holds the id to pick up later. */
int onshi__file_exchange(onshi_file_result **out, char *id_out, size_t id_size, onshi_ctx *ctx,
                         int msgtype, const void *body, size_t len);
/* Delete (or archive) the result and error files of id and mark it consumed. */
int onshi__file_consume(onshi_ctx *ctx, const char *id);

/* ---- face folder: the raw files under the public onshi_face_watch_* (which decode them) -- */
typedef int (*onshi__face_file_cb)(void *userdata, const onshi_file_result *result);
/* The next face file not delivered before (as onshi_face_watch_next, undecoded). */
int onshi__face_watch_next_file(onshi_file_result **out, onshi_face_watch *watch,
                                int64_t timeout_ms);
/* Deliver face files to cb (as onshi_face_watch_run, undecoded). */
int onshi__face_watch_run_files(onshi_face_watch *watch, onshi__face_file_cb cb, void *userdata,
                                int64_t timeout_ms);
/* The context a watcher was created with. */
onshi_ctx *onshi__face_watch_ctx(const onshi_face_watch *watch);

#endif
