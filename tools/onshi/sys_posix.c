/*
 * onshi CLI — operating-system calls on POSIX (sys.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef _WIN32
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

FILE *cli_sys_create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return NULL;
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (f == NULL)
        close(fd);
    return f;
}

struct cli_tty {
    int fd;
    int restore;
    struct termios old;
};

cli_tty *cli_sys_tty_open(int secret)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return NULL;
    cli_tty *t = calloc(1, sizeof *t);
    if (t == NULL) {
        close(fd);
        return NULL;
    }
    t->fd = fd;
    if (secret && tcgetattr(fd, &t->old) == 0) {
        struct termios raw = t->old;
        raw.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        raw.c_lflag |= ICANON;
        t->restore = tcsetattr(fd, TCSAFLUSH, &raw) == 0;
    }
    return t;
}

void cli_sys_tty_write(cli_tty *t, const char *s)
{
    if (write(t->fd, s, strlen(s)) < 0) {
        /* the prompt is a courtesy: go on */
    }
}

int cli_sys_fd_getc(int fd, int timeout_s)
{
    for (;;) {
        if (timeout_s > 0) {
            struct pollfd p = {fd, POLLIN, 0};
            int r = poll(&p, 1, timeout_s * 1000);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -2;
        }
        unsigned char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
        return k == 1 ? c : -1;
    }
}

int cli_sys_fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

int cli_sys_tty_getc(cli_tty *t, int timeout_s)
{
    return cli_sys_fd_getc(t->fd, timeout_s);
}

void cli_sys_tty_close(cli_tty *t)
{
    if (t == NULL)
        return;
    if (t->restore) {
        tcsetattr(t->fd, TCSAFLUSH, &t->old);
        cli_sys_tty_write(t, "\n");
    }
    close(t->fd);
    free(t);
}

int cli_sys_random(void *buf, size_t n)
{
    return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

int cli_sys_isatty(int fd)
{
    return isatty(fd);
}

char *cli_sys_cp932_to_utf8(const char *buf, size_t n, size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", "CP932");
    if (cd == (iconv_t)-1) {
        *bad = (size_t)-1;
        return NULL;
    }
    size_t ocap = n * 3 + 1, inleft = n, outleft = ocap - 1;
    char *out = malloc(ocap), *in = (char *)buf, *op = out;
    size_t rc = out ? iconv(cd, &in, &inleft, &op, &outleft) : (size_t)-1;
    iconv_close(cd);
    if (rc == (size_t)-1) {
        *bad = (size_t)(in - buf);
        free(out);
        return NULL;
    }
    *op = '\0';
    return out;
}

/* Ctrl-C: the handler only writes to a pipe (async-signal-safe); a thread turns that into
 * the callback (onshi_ctx_cancel is thread-safe but not async-signal-safe). */
static int sig_pipe[2] = {-1, -1};
static pthread_t sig_th;
static struct sigaction sig_old;
static void (*sig_fn)(void *);
static void *sig_arg;

static void on_sigint(int sig)
{
    (void)sig;
    char c = 'x';
    ssize_t w = write(sig_pipe[1], &c, 1);
    (void)w;
}

static void *sig_thread(void *unused)
{
    (void)unused;
    char c;
    while (read(sig_pipe[0], &c, 1) == 1) {
        if (c == 'q')
            break;
        sig_fn(sig_arg);
    }
    return NULL;
}

int cli_sys_interrupt_on(void (*fn)(void *), void *arg)
{
    sig_fn = fn;
    sig_arg = arg;
    if (pipe(sig_pipe) != 0)
        return -1;
    if (pthread_create(&sig_th, NULL, sig_thread, NULL) != 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &sig_old);
    return 0;
}

void cli_sys_interrupt_off(void)
{
    if (sig_pipe[0] < 0)
        return;
    sigaction(SIGINT, &sig_old, NULL);
    char q = 'q';
    if (write(sig_pipe[1], &q, 1) == 1)
        pthread_join(sig_th, NULL);
    else
        pthread_detach(sig_th);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
}
#endif
