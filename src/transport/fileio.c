/*
 * File helpers of the file transport: folder checks, errno translation, whole-file reads,
 * the stable-read rule, atomic writes.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *onshi__path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    size_t o = a;
    if (a > 0 && !ONSHI__OS_IS_SEP(dir[a - 1]))
        p[o++] = '/';
    memcpy(p + o, name, b + 1);
    return p;
}

void onshi__names_free(onshi__names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int onshi__names_add(onshi__names *l, char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (nv == NULL)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = name;
    return 0;
}

int onshi__dir_list(onshi_ctx *ctx, const char *dir, int (*keep)(const char *name),
                    onshi__names *l)
{
    onshi__os_dir *d = onshi__os_opendir(dir);
    if (d == NULL)
        return onshi__file_errno(ctx, errno, dir, NULL, "list");
    const char *e;
    int r = ONSHI_OK;
    while ((e = onshi__os_readdir(d)) != NULL) {
        if (!keep(e))
            continue;
        char *copy = onshi__strdup(e);
        if (copy == NULL || onshi__names_add(l, copy) != 0) {
            free(copy);
            r = onshi__err(ctx, ONSHI_E_NOMEM, "listing %s", dir);
            break;
        }
    }
    onshi__os_closedir(d);
    return r;
}

int onshi__file_errno(onshi_ctx *ctx, int err, const char *dir, const char *name,
                      const char *op)
{
    char en[1024], ja[1024];
    const char *n = name ? name : "";
    const char *sep = name ? "/" : "";
    int status;
    switch (err) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        status = ONSHI_E_DISK_FULL;
        snprintf(en, sizeof en, "no space left writing %s%s%s", dir, sep, n);
        snprintf(ja, sizeof ja, "%s%s%s の書き込み中にディスクが一杯になりました", dir, sep, n);
        break;
    case ENOENT:
    case ENOTDIR:
        status = ONSHI_E_FOLDER;
        snprintf(en, sizeof en, "folder %s does not exist (%s %s)", dir, op, n);
        snprintf(ja, sizeof ja, "フォルダ %s がありません（%s %s）", dir, op, n);
        break;
    case EACCES:
    case EPERM:
    case EROFS:
        if (strcmp(op, "list") == 0 || strcmp(op, "read") == 0) {
            status = ONSHI_E_FOLDER;
            snprintf(en, sizeof en, "no permission to read folder %s (%s %s)", dir, op, n);
            snprintf(ja, sizeof ja, "フォルダ %s を読む権限がありません（%s %s）", dir, op, n);
        } else {
            status = ONSHI_E_FOLDER_NOT_WRITABLE;
            snprintf(en, sizeof en, "folder %s is not writable (%s %s)", dir, op, n);
            snprintf(ja, sizeof ja, "フォルダ %s に書き込めません（%s %s）", dir, op, n);
        }
        break;
    default:
        status = ONSHI_E_IO;
        char eb[128];
        const char *es = onshi__os_strerror(err, eb, sizeof eb);
        snprintf(en, sizeof en, "%s %s%s%s failed: %s", op, dir, sep, n, es);
        snprintf(ja, sizeof ja, "%s%s%s の %s に失敗しました（%s）", dir, sep, n, op, es);
        break;
    }
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_ERRNO, err, en, ja);
}

int onshi__dir_check(onshi_ctx *ctx, const char *dir, const char *what, int write)
{
    if (dir == NULL || *dir == '\0') {
        char en[128], ja[128];
        snprintf(en, sizeof en, "the %s folder is not configured (%s_dir)", what, what);
        snprintf(ja, sizeof ja, "%s フォルダが設定されていません（%s_dir）", what, what);
        return onshi__err_ja(ctx, ONSHI_E_FOLDER, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    /* Real operations, not access(2): root passes access() on any mode bits, and a share may
     * refuse what the mode bits allow. */
    onshi__os_dir *d = onshi__os_opendir(dir);
    if (d == NULL)
        return onshi__file_errno(ctx, errno, dir, NULL, "list");
    while (onshi__os_readdir(d) != NULL) {
    }
    int e = errno;
    onshi__os_closedir(d);
    if (e != 0)
        return onshi__file_errno(ctx, e, dir, NULL, "list");
    if (!write)
        return ONSHI_OK;
    char *probe = onshi__path_join(dir, ".~onshi-probe.tmp");
    if (probe == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    int fd = onshi__os_open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    e = errno;
    if (fd >= 0) {
        close(fd);
        onshi__os_unlink(probe);
    }
    free(probe);
    return fd >= 0 ? ONSHI_OK : onshi__file_errno(ctx, e, dir, NULL, "create a file in");
}

static int too_large(onshi_ctx *ctx, const char *path, size_t cap)
{
    char en[1024], ja[1024];
    snprintf(en, sizeof en, "%s is larger than the limit of %zu bytes (result_max_size)", path,
             cap);
    snprintf(ja, sizeof ja, "%s が上限 %zu バイト (result_max_size) を超えています", path, cap);
    return onshi__err_ja(ctx, ONSHI_E_RESULT_TOO_LARGE, ONSHI_FOREIGN_NONE, 0, en, ja);
}

int onshi__file_read_all(onshi_ctx *ctx, const char *path, size_t cap, onshi_buf *out)
{
    onshi__buf_init(out, false);
    int fd;
    onshi__os_st sb;
    int r = onshi__open_regular(ctx, path, &fd, &sb);
    if (r != ONSHI_OK)
        return r;
    if ((uint64_t)sb.size > cap) {
        r = too_large(ctx, path, cap);
        goto out;
    }
    if ((r = onshi__buf_reserve(out, (size_t)sb.size + 1)) != ONSHI_OK)
        goto out;
    for (;;) {
        if (out->len >= cap + 1 || onshi__buf_reserve(out, 4096) != ONSHI_OK) {
            r = out->len > cap ? ONSHI_E_RESULT_TOO_LARGE : ONSHI_E_NOMEM;
            break;
        }
        size_t room = out->cap - out->len;
        if (room > cap + 1 - out->len)
            room = cap + 1 - out->len;
        ssize_t n = read(fd, out->data + out->len, (unsigned)room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = onshi__file_errno(ctx, errno, path, NULL, "read");
            break;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
    }
    if (r == ONSHI_E_RESULT_TOO_LARGE)
        too_large(ctx, path, cap);
    else if (r == ONSHI_E_NOMEM)
        onshi__err(ctx, r, "reading %s", path);
out:
    close(fd);
    if (r != ONSHI_OK)
        onshi__buf_clear(out);
    return r;
}

static int ends_like_xml(const char *name, const onshi_buf *b)
{
    size_t n = strlen(name);
    if (n < 4 || strcasecmp(name + n - 4, ".xml") != 0)
        return 1; /* only XML has a closing tag to look for */
    size_t i = b->len;
    while (i > 0 && (b->data[i - 1] == ' ' || b->data[i - 1] == '\n' ||
                     b->data[i - 1] == '\r' || b->data[i - 1] == '\t' || b->data[i - 1] == 0))
        i--;
    return i > 0 && b->data[i - 1] == '>';
}

int onshi__file_kind(const char *dir, const char *name)
{
    char *p = onshi__path_join(dir, name);
    onshi__os_st sb;
    int k = p == NULL || onshi__os_lstat(p, &sb) != 0 ? -1 : sb.type == ONSHI__OS_REG ? 1 : 0;
    free(p);
    return k;
}

static int stat_of(const char *path, onshi__os_st *sb)
{
    return onshi__os_lstat(path, sb) == 0 ? 0 : -1;
}

int onshi__file_read_stable(onshi_ctx *ctx, onshi__dirwait *w, const char *dir,
                            const char *name, size_t cap, int64_t deadline_ms, onshi_buf *out)
{
    char *path = onshi__path_join(dir, name);
    if (path == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    onshi_buf prev;
    onshi__buf_init(&prev, false);
    onshi__buf_init(out, false);
    onshi__os_st s1, s2;
    int64_t stable_since = 0; /* when the current content was first read */
    int r = ONSHI_OK;
    if (stat_of(path, &s1) != 0 || (r = onshi__file_read_all(ctx, path, cap, &prev)) != ONSHI_OK) {
        r = r != ONSHI_OK ? r : ONSHI_E_NOT_FOUND;
        goto out;
    }
    stable_since = onshi__now_ms();
    for (;;) {
        /* A short gap is enough when inotify shows the folder is local and tells us whether
         * the writer still holds the file; otherwise (no watch, or Windows, which reports no
         * close) one poll interval, as peers do. */
        int64_t gap = onshi__dirwait_moved_in(w, name) ? ONSHI__STABLE_GAP_MOVED_MS
                      : onshi__dirwait_touched(w, name) ? w->poll_ms /* no close reported */
                      : w->events_seen                  ? ONSHI__STABLE_GAP_MS
                                                        : w->poll_ms;
        int64_t until = onshi__now_ms() + gap;
        while (onshi__now_ms() < until)
            if ((r = onshi__dirwait_wait(ctx, w, until - onshi__now_ms())) != ONSHI_OK)
                goto out;
        if (stat_of(path, &s2) != 0) {
            r = ONSHI_E_NOT_FOUND; /* taken by someone else meanwhile */
            goto out;
        }
        if ((r = onshi__file_read_all(ctx, path, cap, out)) != ONSHI_OK)
            goto out;
        int64_t now = onshi__now_ms();
        int same = out->len == prev.len && s1.size == s2.size &&
                   s1.mtime_s == s2.mtime_s && s1.mtime_ns == s2.mtime_ns &&
                   (out->len == 0 || memcmp(out->data, prev.data, out->len) == 0);
        if (!same) {
            stable_since = now;
        } else {
            int quiet = !onshi__dirwait_writing(w, name) ||
                        now - stable_since >= ONSHI__WRITER_HOLD_MS;
            /* An .xml that does not end with '>' is a result still being written (or cut
             * short): never handed on as if complete, however long it stays so. At the
             * deadline it is ONSHI_E_RESULT_UNSTABLE and the request stays pending. */
            int complete = ends_like_xml(name, out);
            /* An empty file is usually one whose writer has not started; an empty .err
             * is still an answer once it stayed empty for a poll interval. */
            if (quiet && complete && (out->len > 0 || now - stable_since >= w->poll_ms))
                break;
        }
        if (now >= deadline_ms) {
            char en[1024], ja[1024];
            snprintf(en, sizeof en, "%s kept changing or stayed incomplete", path);
            snprintf(ja, sizeof ja, "%s が変化し続けているか、不完全なままです", path);
            r = onshi__err_ja(ctx, ONSHI_E_RESULT_UNSTABLE, ONSHI_FOREIGN_NONE, 0, en, ja);
            goto out;
        }
        onshi__buf_clear(&prev);
        prev = *out;
        onshi__buf_init(out, false);
        s1 = s2;
    }
out:
    onshi__buf_clear(&prev);
    if (r != ONSHI_OK)
        onshi__buf_clear(out);
    else
        onshi__dirwait_forget(w, name);
    free(path);
    return r;
}

int onshi__file_write_temp(onshi_ctx *ctx, const char *dir, const char *tmpname,
                           const void *data, size_t len)
{
    char *path = onshi__path_join(dir, tmpname);
    if (path == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    /* 0600 whatever the umask: requests and copies carry personal data. */
    int fd = onshi__os_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        free(path);
        return onshi__file_errno(ctx, e, dir, tmpname, "create");
    }
    const onshi__file_hooks *h = onshi__file_hooks_of(ctx);
    ssize_t (*wr)(int, const void *, size_t) = h->write ? h->write : onshi__os_write;
    const unsigned char *p = data;
    size_t left = len;
    int e = onshi__os_fchmod(fd, 0600) == 0 ? 0 : errno;
    while (e == 0 && left > 0) {
        ssize_t n = wr(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : ENOSPC;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (e == 0 && onshi__os_fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        /* Nothing half-written may stay behind. */
        onshi__os_unlink(path);
        free(path);
        return onshi__file_errno(ctx, e, dir, tmpname, "write");
    }
    free(path);
    return ONSHI_OK;
}

int onshi__file_rename_sync(onshi_ctx *ctx, const char *dir, const char *from, const char *to)
{
    char *a = onshi__path_join(dir, from), *b = onshi__path_join(dir, to);
    int r = ONSHI_OK;
    if (a == NULL || b == NULL) {
        r = onshi__err(ctx, ONSHI_E_NOMEM, "path");
    } else if (onshi__os_rename(a, b) != 0) {
        r = onshi__file_errno(ctx, errno, dir, to, "rename");
    } else {
        int e = onshi__os_fsync_dir(dir);
        if (e != 0)
            r = onshi__file_errno(ctx, e, dir, NULL, "fsync");
    }
    free(a);
    free(b);
    return r;
}

int onshi__file_publish(onshi_ctx *ctx, const char *dir, const char *from, const char *to,
                        int *exists)
{
    *exists = 0;
    char *a = onshi__path_join(dir, from), *b = onshi__path_join(dir, to);
    int r = ONSHI_OK;
    if (a == NULL || b == NULL) {
        r = onshi__err(ctx, ONSHI_E_NOMEM, "path");
    } else {
        int e = onshi__os_rename_noreplace(a, b, onshi__file_hooks_of(ctx)->force_link);
        if (e == EEXIST) {
            *exists = 1;
            r = onshi__file_errno(ctx, e, dir, to, "publish");
        } else if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS) {
            char en[1024], ja[1024];
            snprintf(en, sizeof en,
                     "folder %s supports neither renameat2(RENAME_NOREPLACE) nor hard links: a "
                     "request could silently replace another one there, so none is published",
                     dir);
            snprintf(ja, sizeof ja,
                     "フォルダ %s は上書きしない名前変更もハードリンクも使えません。他の要求を"
                     "上書きするおそれがあるため、要求を置きません", dir);
            r = onshi__err_ja(ctx, ONSHI_E_FOLDER_NOT_WRITABLE, ONSHI_FOREIGN_ERRNO, e, en, ja);
        } else if (e != 0) {
            r = onshi__file_errno(ctx, e, dir, to, "publish");
        } else if ((e = onshi__os_fsync_dir(dir)) != 0) {
            r = onshi__file_errno(ctx, e, dir, NULL, "fsync");
        }
    }
    free(a);
    free(b);
    return r;
}

int onshi__file_write_atomic(onshi_ctx *ctx, const char *dir, const char *name,
                             const void *data, size_t len)
{
    char tmp[512];
    static unsigned counter;
    snprintf(tmp, sizeof tmp, ".~onshi-%lld-%u-%s.tmp", (long long)onshi__os_pid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED), name);
    int r = onshi__file_write_temp(ctx, dir, tmp, data, len);
    if (r == ONSHI_OK && (r = onshi__file_rename_sync(ctx, dir, tmp, name)) != ONSHI_OK) {
        char *p = onshi__path_join(dir, tmp);
        if (p)
            onshi__os_unlink(p);
        free(p);
    }
    return r;
}
