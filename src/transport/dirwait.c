/*
 * Waiting for changes in an exchange folder. The OS layer's folder watch (inotify on Linux,
 * ReadDirectoryChangesW on a local Windows folder) wakes us within milliseconds of a rename
 * or close; polling at ONSHI_OPT_POLL_INTERVAL_MS always runs as well, because a mounted share
 * (SMB/CIFS, NFS) does not report changes made by the other machine. A wake object lets
 * onshi_ctx_cancel end the wait from another thread.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The transport's per-context state (slot ONSHI__SLOT_TRANSPORT): a test's hooks and the
 * converters of .err texts, opened once per context and reused (glibc's iconv_open loads gconv
 * modules: it costs time and races in glibc's loader under ThreadSanitizer). */
typedef struct transport_slot {
    onshi__file_hooks hooks;
    int have_hooks;
    onshi__cv_t err_cd[2]; /* UTF-8 from UTF-8 (validation), UTF-8 from CP932 */
} transport_slot;

static size_t err_cd_opened;

static void slot_free(void *p)
{
    transport_slot *s = p;
    for (int i = 0; i < 2; i++)
        if (s->err_cd[i] != ONSHI__CV_NONE)
            onshi__cv_close(s->err_cd[i]);
    free(s);
}

static transport_slot *slot_of(onshi_ctx *ctx)
{
    transport_slot *s = onshi__slot_get(ctx, ONSHI__SLOT_TRANSPORT);
    if (s == NULL) {
        if ((s = calloc(1, sizeof *s)) == NULL)
            return NULL;
        s->err_cd[0] = s->err_cd[1] = ONSHI__CV_NONE;
        onshi__slot_set(ctx, ONSHI__SLOT_TRANSPORT, s, slot_free);
    }
    return s;
}

int onshi__file_hooks_set(onshi_ctx *ctx, const onshi__file_hooks *h)
{
    transport_slot *s = slot_of(ctx);
    if (s == NULL)
        return ONSHI_E_NOMEM;
    memset(&s->hooks, 0, sizeof s->hooks);
    s->have_hooks = h != NULL;
    if (h != NULL)
        s->hooks = *h;
    return ONSHI_OK;
}

const onshi__file_hooks *onshi__file_hooks_of(const onshi_ctx *ctx)
{
    static const onshi__file_hooks none;
    const transport_slot *s = ctx ? onshi__slot_get(ctx, ONSHI__SLOT_TRANSPORT) : NULL;
    return s && s->have_hooks ? &s->hooks : &none;
}

onshi__cv_t onshi__file_err_cd(onshi_ctx *ctx, int which)
{
    transport_slot *s = ctx ? slot_of(ctx) : NULL;
    if (s == NULL || which < 0 || which > 1)
        return ONSHI__CV_NONE;
    if (s->err_cd[which] == ONSHI__CV_NONE) {
        s->err_cd[which] = onshi__cv_open("UTF-8", which == 0 ? "UTF-8" : "CP932");
        if (s->err_cd[which] == ONSHI__CV_NONE)
            return ONSHI__CV_NONE;
        __atomic_add_fetch(&err_cd_opened, 1, __ATOMIC_RELAXED);
    }
    onshi__cv(s->err_cd[which], NULL, NULL, NULL, NULL); /* initial state */
    return s->err_cd[which];
}

size_t onshi__file_err_cd_opened(void)
{
    return __atomic_load_n(&err_cd_opened, __ATOMIC_RELAXED);
}

static void wake_fn(void *arg)
{
    onshi__dirwait *w = arg;
    onshi__os_wake_signal(w->wake);
}

int onshi__dirwait_open(onshi_ctx *ctx, onshi__dirwait *w, const char *dir, const char *dir2,
                        int64_t poll_ms)
{
    memset(w, 0, sizeof *w);
    w->poll_ms = poll_ms > 0 ? poll_ms : 300;
    if (onshi__os_wake_open(&w->wake) != 0)
        return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, errno, "pipe");
    if (!onshi__file_hooks_of(ctx)->force_poll && onshi__os_watch_open(&w->watch, dir, dir2) != 0) {
        /* Not fatal: polling still finds the files. */
        if (errno != ENOSYS)
            onshi__log(ctx, ONSHI_LOG_INFO, "transport",
                       "folder watch not available on %s (errno %d): polling every %lld ms", dir,
                       errno, (long long)w->poll_ms);
        w->watch = NULL;
    }
    return ONSHI_OK;
}

static void names_clear(onshi__dirwait *w)
{
    for (size_t i = 0; i < w->nnames; i++)
        free(w->names[i].name);
    free(w->names);
    w->names = NULL;
    w->nnames = 0;
}

void onshi__dirwait_close(onshi__dirwait *w)
{
    onshi__dirwait_disarm(w);
    onshi__os_watch_close(w->watch);
    onshi__os_wake_close(w->wake);
    names_clear(w);
    memset(w, 0, sizeof *w);
}

void onshi__dirwait_arm(onshi__dirwait *w, onshi_ctx *ctx)
{
    w->armed = ctx;
    onshi__cancel_set_wake(ctx, wake_fn, w);
}

void onshi__dirwait_disarm(onshi__dirwait *w)
{
    if (w->armed != NULL) {
        onshi__cancel_set_wake(w->armed, NULL, NULL);
        w->armed = NULL;
    }
}

static long name_find(const onshi__dirwait *w, const char *name)
{
    for (size_t i = 0; i < w->nnames; i++)
        if (strcmp(w->names[i].name, name) == 0)
            return (long)i;
    return -1;
}

int onshi__dirwait_writing(const onshi__dirwait *w, const char *name)
{
    long i = name_find(w, name);
    return i >= 0 && w->names[i].state == ONSHI__NAME_WRITING;
}

int onshi__dirwait_touched(const onshi__dirwait *w, const char *name)
{
    long i = name_find(w, name);
    return i >= 0 && w->names[i].state == ONSHI__NAME_TOUCHED;
}

int onshi__dirwait_moved_in(const onshi__dirwait *w, const char *name)
{
    long i = name_find(w, name);
    return i >= 0 && w->names[i].state == ONSHI__NAME_MOVED_IN;
}

/* state 0 forgets the name. */
static void name_set(onshi__dirwait *w, const char *name, int state)
{
    long i = name_find(w, name);
    if (i >= 0) {
        if (state != 0) {
            w->names[i].state = state;
            return;
        }
        free(w->names[i].name);
        w->names[i] = w->names[--w->nnames];
        return;
    }
    if (state == 0 || w->nnames >= 256) /* a bound: the polling rules decide beyond it */
        return;
    void *n = realloc(w->names, (w->nnames + 1) * sizeof *w->names);
    if (n == NULL)
        return;
    w->names = n;
    if ((w->names[w->nnames].name = onshi__strdup(name)) != NULL)
        w->names[w->nnames++].state = state;
}

void onshi__dirwait_forget(onshi__dirwait *w, const char *name)
{
    name_set(w, name, 0);
}

static void on_event(void *arg, int kind, const char *name)
{
    onshi__dirwait *w = arg;
    w->events_seen = 1;
    switch (kind) {
    /* A rename brings a complete file; a create or write means a writer holds it until its
     * close. */
    case ONSHI__OS_EV_WRITING: name_set(w, name, ONSHI__NAME_WRITING); break;
    case ONSHI__OS_EV_GONE: name_set(w, name, 0); break;
    case ONSHI__OS_EV_MOVED_IN: name_set(w, name, ONSHI__NAME_MOVED_IN); break;
    /* Changed where no close will ever be reported: not held as written-to (that waits
     * ONSHI__WRITER_HOLD_MS every time) but read twice a poll interval apart. */
    case ONSHI__OS_EV_TOUCHED: name_set(w, name, ONSHI__NAME_TOUCHED); break;
    case ONSHI__OS_EV_OVERFLOW: names_clear(w); break;
    default: break;
    }
}

/* A watch that names no file (Windows' change notification: a network path, or where
 * ReadDirectoryChangesW could not be started) only wakes: events_seen stays 0 so the
 * stable-read rule keeps its polling gaps. */
static void on_event_named(void *arg, int kind, const char *name)
{
    if (kind != ONSHI__OS_EV_CHANGED)
        on_event(arg, kind, name);
}

int onshi__dirwait_wait(onshi_ctx *ctx, onshi__dirwait *w, int64_t max_ms)
{
    int r = onshi__cancel_check(ctx);
    if (r != ONSHI_OK)
        return r;
    if (max_ms > w->poll_ms)
        max_ms = w->poll_ms;
    if (max_ms < 0)
        max_ms = 0;
    onshi__os_watch_wait(w->watch, w->wake, max_ms, on_event_named, w);
    return onshi__cancel_check(ctx);
}
