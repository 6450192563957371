/*
 * core/ — the operating-system layer on POSIX (Linux first; os.h documents each call).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef _WIN32
#include "core/os.h"

#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/inotify.h>
#define HAVE_INOTIFY 1
#endif

/* ---- files ------------------------------------------------------------------------------ */
int onshi__os_open(const char *path, int flags, int mode)
{
    return open(path, flags, mode);
}

void onshi__os_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

ssize_t onshi__os_write(int fd, const void *p, size_t n)
{
    return write(fd, p, n);
}

FILE *onshi__os_fopen(const char *path, const char *mode)
{
    char m[8];
    snprintf(m, sizeof m, "%se", mode); /* e: O_CLOEXEC where the C library knows it */
    return fopen(path, m);
}

int onshi__os_fsync(int fd)
{
    return fsync(fd);
}

int onshi__os_fchmod(int fd, unsigned mode)
{
    return fchmod(fd, (mode_t)mode);
}

ssize_t onshi__os_pread(int fd, void *buf, size_t n, int64_t off)
{
    return pread(fd, buf, n, (off_t)off);
}

static void from_stat(const struct stat *sb, onshi__os_st *st)
{
    memset(st, 0, sizeof *st);
    st->type = S_ISREG(sb->st_mode)   ? ONSHI__OS_REG
               : S_ISDIR(sb->st_mode) ? ONSHI__OS_DIR
               : S_ISLNK(sb->st_mode) ? ONSHI__OS_LNK
                                      : ONSHI__OS_OTHER;
    st->size = (int64_t)sb->st_size;
    st->mtime_s = (int64_t)sb->st_mtim.tv_sec;
    st->mtime_ns = (long)sb->st_mtim.tv_nsec;
    st->nlink = (uint64_t)sb->st_nlink;
    st->mode = (unsigned)(sb->st_mode & 07777);
    st->mine = sb->st_uid == geteuid();
}

int onshi__os_stat(const char *path, onshi__os_st *st)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    from_stat(&sb, st);
    return 0;
}

int onshi__os_lstat(const char *path, onshi__os_st *st)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return -1;
    from_stat(&sb, st);
    return 0;
}

int onshi__os_fstat(int fd, onshi__os_st *st)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return -1;
    from_stat(&sb, st);
    return 0;
}

int onshi__os_unlink(const char *path)
{
    return unlink(path);
}

int onshi__os_mkdir(const char *path, unsigned mode)
{
    return mkdir(path, (mode_t)mode);
}

int onshi__os_rename(const char *from, const char *to)
{
    return rename(from, to);
}

int onshi__os_rename_noreplace(const char *a, const char *b, int force_link)
{
#if defined(__linux__) && defined(SYS_renameat2)
    if (!force_link) {
        if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 1u /* RENAME_NOREPLACE */) == 0)
            return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
            return errno;
    }
#else
    (void)force_link;
#endif
    if (link(a, b) != 0)
        return errno;
    unlink(a);
    return 0;
}

int onshi__os_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : errno;
    close(fd);
    return e;
}

int onshi__os_access(const char *path, int mode)
{
    return access(path, mode);
}

char *onshi__os_realpath(const char *path, char *out, size_t size)
{
    char buf[PATH_MAX];
    if (realpath(path, buf) == NULL)
        return NULL;
    if (strlen(buf) >= size) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    strcpy(out, buf);
    return out;
}

int onshi__os_state_path(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, size, "%s/libonshi/state.db", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(buf, size, "%s/.local/state/libonshi/state.db", home);
    else
        return -1;
    return n < 0 || (size_t)n >= size ? -2 : 0;
}

struct onshi__os_dir {
    DIR *d;
};

onshi__os_dir *onshi__os_opendir(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return NULL;
    onshi__os_dir *o = malloc(sizeof *o);
    if (o == NULL) {
        closedir(d);
        errno = ENOMEM;
        return NULL;
    }
    o->d = d;
    return o;
}

const char *onshi__os_readdir(onshi__os_dir *d)
{
    errno = 0;
    struct dirent *e = readdir(d->d);
    return e ? e->d_name : NULL;
}

void onshi__os_closedir(onshi__os_dir *d)
{
    if (d != NULL) {
        closedir(d->d);
        free(d);
    }
}

/* ---- processes and time ----------------------------------------------------------------- */
int64_t onshi__os_pid(void)
{
    return (int64_t)getpid();
}

int onshi__os_pid_alive(int64_t pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

void onshi__os_hostname(char *buf, size_t size)
{
    if (size == 0)
        return;
    memset(buf, 0, size);
    gethostname(buf, size - 1);
}

void onshi__os_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int64_t onshi__os_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t onshi__os_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *onshi__os_strerror(int err, char *buf, size_t size)
{
    (void)buf;
    (void)size;
    return strerror(err);
}

/* ---- random ----------------------------------------------------------------------------- */
int onshi__os_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > 256 ? 256 : n - got; /* getrandom's atomic size */
        ssize_t k = getrandom(p + got, want, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)k;
    }
    return 0;
}

/* ---- wake-ups: a non-blocking self-pipe ---------------------------------------------------- */
struct onshi__os_wake {
    int p[2];
};

int onshi__os_wake_open(onshi__os_wake **out)
{
    *out = NULL;
    onshi__os_wake *w = malloc(sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (pipe(w->p) != 0) {
        int e = errno;
        free(w);
        errno = e;
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(w->p[i], F_SETFL, fcntl(w->p[i], F_GETFL) | O_NONBLOCK);
        fcntl(w->p[i], F_SETFD, FD_CLOEXEC);
    }
    *out = w;
    return 0;
}

void onshi__os_wake_close(onshi__os_wake *w)
{
    if (w != NULL) {
        close(w->p[0]);
        close(w->p[1]);
        free(w);
    }
}

void onshi__os_wake_signal(onshi__os_wake *w)
{
    char c = 1;
    /* Non-blocking: a full pipe already means "wake up". */
    ssize_t n = write(w->p[1], &c, 1);
    (void)n;
}

void onshi__os_wake_drain(onshi__os_wake *w)
{
    char buf[64];
    while (w != NULL && read(w->p[0], buf, sizeof buf) > 0) {
    }
}

int onshi__os_wake_wait(onshi__os_wake *w, int64_t ms)
{
    struct pollfd p = {w->p[0], POLLIN, 0};
    if (poll(&p, 1, (int)(ms > 1000000 ? 1000000 : ms < 0 ? 0 : ms)) > 0) {
        onshi__os_wake_drain(w);
        return 1;
    }
    return 0;
}

/* ---- folder watch: inotify --------------------------------------------------------------- */
struct onshi__os_watch {
    int ifd;
    int wd[2];
};

int onshi__os_watch_open(onshi__os_watch **out, const char *dir, const char *dir2)
{
    *out = NULL;
#ifdef HAVE_INOTIFY
    onshi__os_watch *wt = malloc(sizeof *wt);
    if (wt == NULL) {
        errno = ENOMEM;
        return -1;
    }
    wt->wd[0] = wt->wd[1] = -1;
    wt->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (wt->ifd < 0) {
        int e = errno;
        free(wt);
        errno = e;
        return -1;
    }
    const uint32_t mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                          IN_DELETE | IN_ATTRIB;
    wt->wd[0] = inotify_add_watch(wt->ifd, dir, mask);
    if (wt->wd[0] < 0) {
        int e = errno;
        close(wt->ifd);
        free(wt);
        errno = e;
        return -1;
    }
    if (dir2 != NULL)
        wt->wd[1] = inotify_add_watch(wt->ifd, dir2, IN_MOVED_FROM | IN_DELETE);
    *out = wt;
    return 0;
#else
    (void)dir;
    (void)dir2;
    errno = ENOSYS;
    return -1;
#endif
}

void onshi__os_watch_close(onshi__os_watch *wt)
{
    if (wt != NULL) {
        close(wt->ifd);
        free(wt);
    }
}

#ifdef HAVE_INOTIFY
static void drain_inotify(onshi__os_watch *wt, void (*fn)(void *, int, const char *), void *arg)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(wt->ifd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len > 0 && ev->wd == wt->wd[0]) {
                /* A rename brings a complete file; a create or write means a writer holds
                 * it until its close. */
                if (ev->mask & (IN_CREATE | IN_MODIFY))
                    fn(arg, ONSHI__OS_EV_WRITING, ev->name);
                if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_DELETE))
                    fn(arg, ONSHI__OS_EV_GONE, ev->name);
                if (ev->mask & IN_MOVED_TO)
                    fn(arg, ONSHI__OS_EV_MOVED_IN, ev->name);
            } else {
                fn(arg, ONSHI__OS_EV_OTHER, NULL);
            }
            if (ev->mask & IN_Q_OVERFLOW)
                fn(arg, ONSHI__OS_EV_OVERFLOW, NULL);
            p += sizeof *ev + ev->len;
        }
    }
}
#endif

int onshi__os_watch_wait(onshi__os_watch *wt, onshi__os_wake *w, int64_t ms,
                         void (*fn)(void *arg, int kind, const char *name), void *arg)
{
    struct pollfd pf[2];
    int n = 0;
    pf[n].fd = w->p[0];
    pf[n++].events = POLLIN;
    if (wt != NULL) {
        pf[n].fd = wt->ifd;
        pf[n++].events = POLLIN;
    }
    int rc = poll(pf, (nfds_t)n, (int)(ms > 1000000 ? 1000000 : ms < 0 ? 0 : ms));
    int woken = 0;
    if (rc > 0 && (pf[0].revents & POLLIN)) {
        onshi__os_wake_drain(w);
        woken = 1;
    }
#ifdef HAVE_INOTIFY
    if (wt != NULL)
        drain_inotify(wt, fn, arg);
#else
    (void)fn;
    (void)arg;
#endif
    return woken;
}

/* ---- sockets ---------------------------------------------------------------------------- */
int onshi__os_net_init(void)
{
    return 0;
}

int onshi__os_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    return getaddrinfo(host, port, hints, res);
}

void onshi__os_freeaddrinfo(struct addrinfo *res)
{
    freeaddrinfo(res);
}

const char *onshi__os_gai_strerror(int err)
{
    return gai_strerror(err);
}

int onshi__os_sock_connect(const struct addrinfo *ai, onshi__os_sock *out)
{
    *out = -1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    *out = fd;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    return errno == EINPROGRESS ? 1 : -1;
}

int onshi__os_sock_error(onshi__os_sock s)
{
    int so = 0;
    socklen_t sl = sizeof so;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &so, &sl) != 0)
        return errno;
    return so;
}

void onshi__os_sock_nodelay(onshi__os_sock s)
{
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void onshi__os_sock_close(onshi__os_sock s)
{
    if (s >= 0)
        close(s);
}

ssize_t onshi__os_send(onshi__os_sock s, const void *p, size_t n)
{
    return send(s, p, n, MSG_NOSIGNAL);
}

ssize_t onshi__os_recv(onshi__os_sock s, void *p, size_t n)
{
    return recv(s, p, n, 0);
}

int onshi__os_sock_wait(onshi__os_sock s, int events, onshi__os_wake *w, int64_t ms)
{
    struct pollfd p[2];
    int n = 1;
    p[0].fd = s;
    p[0].events = (short)((events & ONSHI__OS_IN ? POLLIN : 0) |
                          (events & ONSHI__OS_OUT ? POLLOUT : 0));
    p[0].revents = 0;
    if (w != NULL) {
        p[1].fd = w->p[0];
        p[1].events = POLLIN;
        p[1].revents = 0;
        n = 2;
    }
    int r = poll(p, (nfds_t)n, (int)(ms > 1000000 ? 1000000 : ms < 0 ? 0 : ms));
    if (r < 0)
        return -1;
    int out = 0;
    if (r > 0 && p[0].revents != 0)
        out |= 1;
    if (n == 2 && (p[1].revents & POLLIN))
        out |= 2;
    return out;
}

int onshi__os_inet_pton(const char *text, unsigned char out[16])
{
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, out) == 1)
        return 16;
    return 0;
}

/* ---- character conversion: iconv -------------------------------------------------------- */
onshi__cv_t onshi__cv_open(const char *to, const char *from)
{
    return iconv_open(to, from);
}

size_t onshi__cv(onshi__cv_t cd, char **in, size_t *inleft, char **out, size_t *outleft)
{
    return iconv(cd, in, inleft, out, outleft);
}

void onshi__cv_close(onshi__cv_t cd)
{
    if (cd != ONSHI__CV_NONE)
        iconv_close(cd);
}
#endif
