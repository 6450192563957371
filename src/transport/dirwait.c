/*
 * Waiting for changes in an exchange folder. inotify (Linux) wakes us within milliseconds of
 * a rename or close; polling at ONSHI_OPT_POLL_INTERVAL_MS always runs as well, because a
 * mounted share (SMB/CIFS, NFS) does not report changes made by the other machine.
 * A pipe in the poll set lets onshi_ctx_cancel wake the wait from another thread.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/inotify.h>
#define HAVE_INOTIFY 1
#endif

/* The transport's per-context state (slot ONSHI__SLOT_TRANSPORT): a test's hooks and the
 * converters of .err texts, opened once per context and reused (iconv_open loads gconv
 * modules: it costs time and races in glibc's loader under ThreadSanitizer). */
typedef struct transport_slot {
    onshi__file_hooks hooks;
    int have_hooks;
    iconv_t err_cd[2]; /* UTF-8 from UTF-8 (validation), UTF-8 from CP932 */
} transport_slot;

static size_t err_cd_opened;

static void slot_free(void *p)
{
    transport_slot *s = p;
    for (int i = 0; i < 2; i++)
        if (s->err_cd[i] != (iconv_t)-1)
            iconv_close(s->err_cd[i]);
    free(s);
}

static transport_slot *slot_of(onshi_ctx *ctx)
{
    transport_slot *s = onshi__slot_get(ctx, ONSHI__SLOT_TRANSPORT);
    if (s == NULL) {
        if ((s = calloc(1, sizeof *s)) == NULL)
            return NULL;
        s->err_cd[0] = s->err_cd[1] = (iconv_t)-1;
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

iconv_t onshi__file_err_cd(onshi_ctx *ctx, int which)
{
    transport_slot *s = ctx ? slot_of(ctx) : NULL;
    if (s == NULL || which < 0 || which > 1)
        return (iconv_t)-1;
    if (s->err_cd[which] == (iconv_t)-1) {
        s->err_cd[which] = iconv_open("UTF-8", which == 0 ? "UTF-8" : "CP932");
        if (s->err_cd[which] == (iconv_t)-1)
            return (iconv_t)-1;
        __atomic_add_fetch(&err_cd_opened, 1, __ATOMIC_RELAXED);
    }
    iconv(s->err_cd[which], NULL, NULL, NULL, NULL); /* initial state */
    return s->err_cd[which];
}

size_t onshi__file_err_cd_opened(void)
{
    return __atomic_load_n(&err_cd_opened, __ATOMIC_RELAXED);
}

static void wake_fn(void *arg)
{
    onshi__dirwait *w = arg;
    char c = 1;
    /* Non-blocking: a full pipe already means "wake up". */
    ssize_t n = write(w->wake[1], &c, 1);
    (void)n;
}

int onshi__dirwait_open(onshi_ctx *ctx, onshi__dirwait *w, const char *dir, const char *dir2,
                        int64_t poll_ms)
{
    memset(w, 0, sizeof *w);
    w->ifd = -1;
    w->wd[0] = w->wd[1] = -1;
    w->wake[0] = w->wake[1] = -1;
    w->poll_ms = poll_ms > 0 ? poll_ms : 300;
    if (pipe(w->wake) != 0) {
        w->wake[0] = w->wake[1] = -1;
        return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, errno, "pipe");
    }
    for (int i = 0; i < 2; i++) {
        fcntl(w->wake[i], F_SETFL, O_NONBLOCK);
        fcntl(w->wake[i], F_SETFD, FD_CLOEXEC);
    }
#ifdef HAVE_INOTIFY
    if (!onshi__file_hooks_of(ctx)->force_poll) {
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        const uint32_t mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                              IN_MOVED_FROM | IN_DELETE | IN_ATTRIB;
        if (w->ifd >= 0) {
            w->wd[0] = inotify_add_watch(w->ifd, dir, mask);
            if (dir2 != NULL)
                w->wd[1] = inotify_add_watch(w->ifd, dir2, IN_MOVED_FROM | IN_DELETE);
            if (w->wd[0] < 0) {
                /* Not fatal: polling still finds the files. */
                onshi__log(ctx, ONSHI_LOG_INFO, "transport",
                           "inotify not available on %s (errno %d): polling every %lld ms", dir,
                           errno, (long long)w->poll_ms);
                close(w->ifd);
                w->ifd = -1;
            }
        }
    }
#else
    (void)dir;
    (void)dir2;
#endif
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
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->wake[0] >= 0) {
        close(w->wake[0]);
        close(w->wake[1]);
    }
    names_clear(w);
    memset(w, 0, sizeof *w);
    w->ifd = w->wake[0] = w->wake[1] = -1;
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

#ifdef HAVE_INOTIFY
static void drain_inotify(onshi__dirwait *w)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof buf);
        if (n <= 0)
            return;
        w->events_seen = 1;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len > 0 && ev->wd == w->wd[0]) {
                /* A rename brings a complete file; a create or write means a writer holds
                 * it until its close. */
                if (ev->mask & (IN_CREATE | IN_MODIFY))
                    name_set(w, ev->name, ONSHI__NAME_WRITING);
                if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_DELETE))
                    name_set(w, ev->name, 0);
                if (ev->mask & IN_MOVED_TO)
                    name_set(w, ev->name, ONSHI__NAME_MOVED_IN);
            }
            if (ev->mask & IN_Q_OVERFLOW)
                names_clear(w);
            p += sizeof *ev + ev->len;
        }
    }
}
#endif

int onshi__dirwait_wait(onshi_ctx *ctx, onshi__dirwait *w, int64_t max_ms)
{
    int r = onshi__cancel_check(ctx);
    if (r != ONSHI_OK)
        return r;
    if (max_ms > w->poll_ms)
        max_ms = w->poll_ms;
    if (max_ms < 0)
        max_ms = 0;
    struct pollfd pf[2];
    int n = 0;
    pf[n].fd = w->wake[0];
    pf[n++].events = POLLIN;
    if (w->ifd >= 0) {
        pf[n].fd = w->ifd;
        pf[n++].events = POLLIN;
    }
    int rc = poll(pf, (nfds_t)n, (int)max_ms);
    if (rc > 0 && (pf[0].revents & POLLIN)) {
        char buf[64];
        while (read(w->wake[0], buf, sizeof buf) > 0) {
        }
    }
#ifdef HAVE_INOTIFY
    if (w->ifd >= 0)
        drain_inotify(w);
#endif
    return onshi__cancel_check(ctx);
}
