/*
 * transport/file — exchange with the terminal's linkage app through req/, res/ and face/.
 * Internal interface for the service layer; the public face is the "transport (files)"
 * section of onshi.h. This layer moves bytes: encoding is the codec's business.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TRANSPORT_FILE_H
#define ONSHI_TRANSPORT_FILE_H

#include "core/core.h"
#include "core/store.h"

#include <sys/types.h>

/* The result object behind the public onshi_file_result. */
struct onshi_file_result {
    char id[ONSHI__ID_LEN + 1]; /* request id; "" for face results */
    int type;                   /* ONSHI_MSG_* of the file */
    char *name;                 /* file name (no folder) */
    char *entry;                /* for ZIP results: the XML entry's name; else NULL */
    onshi_buf data;             /* the bytes (the XML inside for a ZIP) */
};
int onshi__file_result_new(onshi_file_result **out, const char *id, int type, const char *name);

/* ---- test and benchmark hooks (never set by the library itself) ----------------------- */
typedef struct onshi__file_hooks {
    /* Replaces write(2) for request files: lets a test simulate ENOSPC. */
    ssize_t (*write)(int fd, const void *p, size_t n);
    /* 1: do not use inotify (exercise and measure the polling fallback). */
    int force_poll;
    /* Called after the request is recorded as pending, before the rename that publishes it,
     * and after the rename, before the state becomes "published": crash points for tests. */
    void (*after_record)(const char *id);
    void (*after_publish)(const char *id);
    /* Called when a wait or a face watcher has its folder watch in place (lets a test's
     * writer start only then, so the inotify path is exercised deterministically). */
    void (*watching)(void);
} onshi__file_hooks;
extern onshi__file_hooks onshi__file_test_hooks;

/* ---- limits ----------------------------------------------------------------------------- */
#define ONSHI__ERRFILE_MAX (64 * 1024)   /* .err files are short texts */
#define ONSHI__STABLE_GAP_MS 20          /* second read after this when inotify sees the folder */
#define ONSHI__STABLE_GAP_MOVED_MS 2     /* ... and when the file arrived by rename */
/* inotify saw the file opened for writing but no close (a share may not report it): accept
 * it anyway once its content was stable this long. */
#define ONSHI__WRITER_HOLD_MS 2000
#define ONSHI__ERR_GRACE_MS 500          /* wait for the .err that follows a request-named file */
#define ONSHI__INCOMPLETE_ACCEPT_MS 3000 /* an .xml without closing '>' stable this long: give up */
#define ONSHI__ZIP_MAX_ENTRIES 16
#define ONSHI__ZIP_MAX_RATIO 200         /* uncompressed / compressed of the entry */

/* ---- folder waiting (inotify where available, polling always as a safety net) ---------- */
typedef struct onshi__dirwait {
    int ifd;           /* inotify fd or -1 */
    int wd[2];         /* watches (res/ or face/, and req/) */
    int wake[2];       /* pipe written by onshi_ctx_cancel's hook */
    int64_t poll_ms;
    int events_seen;   /* inotify delivered something: the folder is local, events work */
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
/* Is `name` open for writing as far as inotify knows? */
int onshi__dirwait_writing(const onshi__dirwait *w, const char *name);
/* Did `name` arrive by rename (complete) and stay untouched since? */
int onshi__dirwait_moved_in(const onshi__dirwait *w, const char *name);
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
/* Wait up to timeout_ms (< 0: ONSHI_OPT_RESULT_TIMEOUT_MS; 0: look once) for the result of
 * id. ONSHI_E_PENDING on timeout, ONSHI_E_LINKAGE_NOT_RUNNING when the request was not taken,
 * ONSHI_E_ERR_FILE with the .err text. */
int onshi__file_wait(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                     onshi_file_result **out);
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
