/*
 * Watcher of the face folder (results of the face-recognition card reader).
 * The folder is shared with other products (EMRs, kiosks) that may read, move or delete the
 * same files: we only open them read-only, never lock, move or delete, and we tolerate a file
 * disappearing at any moment. Delivered names are kept in the state store per folder (the
 * cursor), so a restart neither replays nor misses.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onshi_face_watch {
    onshi_ctx *ctx;
    char *dir;     /* as configured */
    char *key;     /* canonical path: the cursor's key */
    int flags;
    onshi__dirwait w;
    int64_t last_prune_ms;
};

/* Delivery order: the 14-digit time stamp before ".xml", then the name. */
static const char *stamp_of(const char *name)
{
    size_t n = strlen(name);
    if (n < 4 + 14 + 1)
        return "";
    const char *s = name + n - 4 - 14;
    for (int i = 0; i < 14; i++)
        if (s[i] < '0' || s[i] > '9')
            return "";
    return s;
}

static int by_stamp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strncmp(stamp_of(x), stamp_of(y), 14);
    return c ? c : strcmp(x, y);
}

static int is_face_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".xml") == 0 &&
           onshi_msgtype_from_filename(name) == ONSHI_MSG_FACE_RES;
}

static int list_face(onshi_ctx *ctx, const char *dir, onshi__names *l)
{
    memset(l, 0, sizeof *l);
    int r = onshi__dir_list(ctx, dir, is_face_file, l);
    if (r != ONSHI_OK) {
        onshi__names_free(l);
        return r;
    }
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, by_stamp);
    return ONSHI_OK;
}

/* First watch of a folder: what is already there counts as seen (unless asked otherwise),
 * so a new installation does not deliver yesterday's patients. */
static int baseline(onshi_face_watch *fw, onshi__store *st)
{
    onshi_ctx *ctx = fw->ctx;
    int known, r;
    if ((r = onshi__face_dir_known(ctx, st, fw->key, &known)) != ONSHI_OK || known)
        return r;
    onshi__names l = {NULL, 0, 0};
    if (!(fw->flags & ONSHI_FACE_WATCH_DELIVER_EXISTING) &&
        (r = list_face(ctx, fw->dir, &l)) != ONSHI_OK)
        return r;
    if ((r = onshi__store_begin(ctx, st)) == ONSHI_OK) {
        int claimed;
        for (size_t i = 0; i < l.n && r == ONSHI_OK; i++)
            r = onshi__face_mark(ctx, st, fw->key, l.v[i], &claimed);
        if (r == ONSHI_OK)
            r = onshi__face_dir_add(ctx, st, fw->key);
        if (r == ONSHI_OK)
            r = onshi__store_commit(ctx, st);
        else
            onshi__store_rollback(st);
    }
    onshi__names_free(&l);
    return r;
}

ONSHI_API int ONSHI_CALL onshi_face_watch_new(onshi_face_watch **out, onshi_ctx *ctx, int flags)
{
    if (out == NULL || ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    const char *dir = onshi__opt_str(ctx, ONSHI_OPT_FACE_DIR);
    int r = onshi__dir_check(ctx, dir, "face", 0);
    if (r != ONSHI_OK)
        return r;
    onshi__store *st;
    if ((r = onshi__file_store(ctx, &st)) != ONSHI_OK)
        return r;
    onshi_face_watch *fw = onshi__calloc(1, sizeof *fw);
    if (fw == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "face watcher");
    fw->ctx = ctx;
    fw->flags = flags;
    char canon[PATH_MAX];
    fw->dir = onshi__strdup(dir);
    fw->key = onshi__strdup(realpath(dir, canon) ? canon : dir);
    if (fw->dir == NULL || fw->key == NULL) {
        r = onshi__err(ctx, ONSHI_E_NOMEM, "face watcher");
        goto fail;
    }
    if ((r = onshi__dirwait_open(ctx, &fw->w, dir, NULL,
                                 onshi__opt_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS))) != ONSHI_OK)
        goto fail;
    if ((r = baseline(fw, st)) != ONSHI_OK)
        goto fail;
    if (onshi__file_hooks_of(ctx)->watching)
        onshi__file_hooks_of(ctx)->watching();
    *out = fw;
    return ONSHI_OK;
fail:
    onshi_face_watch_free(fw);
    return r;
}

ONSHI_API void ONSHI_CALL onshi_face_watch_free(onshi_face_watch *fw)
{
    if (fw == NULL)
        return;
    if (fw->w.wake[0] != 0 || fw->w.ifd != 0) /* opened (calloc leaves both 0) */
        onshi__dirwait_close(&fw->w);
    free(fw->dir);
    free(fw->key);
    free(fw);
}

/* Find, read and (when `mark`) claim the oldest undelivered file. ONSHI_E_TIMEOUT when none
 * appears before the deadline. */
static int face_next(onshi_face_watch *fw, onshi_file_result **out, int64_t timeout_ms,
                     int mark)
{
    onshi_ctx *ctx = fw->ctx;
    *out = NULL;
    onshi__store *st;
    int r = onshi__file_store(ctx, &st);
    if (r != ONSHI_OK)
        return r;
    size_t cap = (size_t)onshi__opt_int(ctx, ONSHI_OPT_RESULT_MAX_SIZE);
    int64_t start = onshi__now_ms();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : start + timeout_ms;
    for (;;) {
        if ((r = onshi__cancel_check(ctx)) != ONSHI_OK)
            return r;
        onshi__names l;
        if ((r = list_face(ctx, fw->dir, &l)) != ONSHI_OK)
            return r;
        int64_t now = onshi__now_ms();
        if (now - fw->last_prune_ms > 60000) {
            fw->last_prune_ms = now;
            onshi__face_prune(ctx, st, fw->key, l.v, l.n); /* housekeeping only */
        }
        for (size_t i = 0; i < l.n; i++) {
            int seen;
            if ((r = onshi__face_is_seen(ctx, st, fw->key, l.v[i], &seen)) != ONSHI_OK)
                break;
            if (seen)
                continue;
            if (onshi__file_kind(fw->dir, l.v[i]) == 0) {
                /* A link (to /etc/shadow, to another folder) or a FIFO is never read; marked,
                 * so it neither comes back nor holds up the files after it. */
                onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                           "face file %s is a symbolic link or not a regular file: skipped",
                           l.v[i]);
                int claimed;
                if ((r = onshi__face_mark(ctx, st, fw->key, l.v[i], &claimed)) != ONSHI_OK)
                    break;
                continue;
            }
            onshi_buf b;
            int64_t sd = onshi__now_ms() + 4 * fw->w.poll_ms + ONSHI__STABLE_MIN_MS;
            r = onshi__file_read_stable(ctx, &fw->w, fw->dir, l.v[i], cap, sd, &b);
            if (r == ONSHI_E_NOT_FOUND || r == ONSHI_E_RESULT_UNSTABLE) {
                /* Another reader took it, or it is still being written: not our failure. */
                onshi__log(ctx, ONSHI_LOG_INFO, "transport", "face file %s %s", l.v[i],
                           r == ONSHI_E_NOT_FOUND ? "vanished before it was read"
                                                  : "still changing; later");
                r = ONSHI_OK;
                continue;
            }
            int claimed = 1;
            if (r == ONSHI_E_RESULT_TOO_LARGE || (r == ONSHI_OK && mark)) {
                /* Too large never gets better: remember it so it is reported once. */
                int r2 = onshi__face_mark(ctx, st, fw->key, l.v[i], &claimed);
                if (r == ONSHI_OK)
                    r = r2;
            }
            if (r != ONSHI_OK) {
                onshi__buf_clear(&b);
                break;
            }
            if (!claimed) { /* another process sharing the store delivered it */
                onshi__buf_clear(&b);
                continue;
            }
            onshi_file_result *res;
            if (onshi__file_result_new(&res, "", ONSHI_MSG_FACE_RES, l.v[i]) != ONSHI_OK) {
                onshi__buf_clear(&b);
                r = onshi__err(ctx, ONSHI_E_NOMEM, "face result");
                break;
            }
            res->data = b;
            *out = res;
            break;
        }
        onshi__names_free(&l);
        if (r != ONSHI_OK || *out != NULL)
            return r;
        now = onshi__now_ms();
        if (now >= deadline)
            return onshi__err(ctx, ONSHI_E_TIMEOUT, "no new file in %s", fw->dir);
        if ((r = onshi__dirwait_wait(ctx, &fw->w, deadline - now)) != ONSHI_OK)
            return r;
    }
}

onshi_ctx *onshi__face_watch_ctx(const onshi_face_watch *fw)
{
    return fw != NULL ? fw->ctx : NULL;
}

int onshi__face_watch_next_file(onshi_file_result **out, onshi_face_watch *fw, int64_t timeout_ms)
{
    if (fw == NULL || out == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi__dirwait_arm(&fw->w, fw->ctx);
    int r = face_next(fw, out, timeout_ms, 1);
    onshi__dirwait_disarm(&fw->w);
    return r;
}

int onshi__face_watch_run_files(onshi_face_watch *fw, onshi__face_file_cb cb, void *userdata,
                                int64_t timeout_ms)
{
    if (fw == NULL || cb == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi_ctx *ctx = fw->ctx;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : onshi__now_ms() + timeout_ms;
    int r = ONSHI_OK;
    for (;;) {
        int64_t left = deadline == INT64_MAX ? -1 : deadline - onshi__now_ms();
        if (left != -1 && left < 0)
            left = 0;
        onshi_file_result *res;
        onshi__dirwait_arm(&fw->w, ctx);
        r = face_next(fw, &res, left, 0);
        onshi__dirwait_disarm(&fw->w);
        if (r == ONSHI_E_TIMEOUT) {
            r = ONSHI_OK;
            break;
        }
        if (r != ONSHI_OK)
            break;
        /* The callback runs outside any wait hook and may call onshi_ctx_cancel. */
        int stop = cb(userdata, res);
        onshi__store *st;
        int claimed;
        r = onshi__file_store(ctx, &st);
        if (r == ONSHI_OK)
            r = onshi__face_mark(ctx, st, fw->key, res->name, &claimed);
        onshi_file_result_free(res);
        if (r != ONSHI_OK)
            break;
        if (stop) {
            if (!onshi__err_is(ctx, ONSHI_E_CALLBACK))
                onshi__err(ctx, ONSHI_E_CANCELLED, "the face callback asked to stop");
            r = ONSHI_E_CANCELLED;
            break;
        }
        if (left == 0)
            break;
    }
    return r;
}
