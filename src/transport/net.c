/*
 * Sockets for the HTTPS transport: resolve and connect (IPv6 and IPv4, each address in
 * turn), HTTP CONNECT tunnel through a proxy, poll()-based I/O with timeouts that a
 * cancellation from another thread wakes through a self-pipe.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include "transport/httpwire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void onshi__conn_init(onshi__conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->wake[0] = c->wake[1] = -1;
    mbedtls_ssl_session_init(&c->session);
}

void onshi__conn_close(onshi__conn *c)
{
    if (c->ssl_ready) {
        mbedtls_ssl_free(&c->ssl);
        c->ssl_ready = false;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->established = false;
}

void onshi__conn_free(onshi__conn *c)
{
    onshi__conn_close(c);
    mbedtls_ssl_session_free(&c->session);
    c->have_session = false;
    for (int i = 0; i < 2; i++) {
        if (c->wake[i] >= 0)
            close(c->wake[i]);
        c->wake[i] = -1;
    }
}

static void wake_fn(void *arg)
{
    onshi__conn *c = arg;
    char b = 1;
    /* Non-blocking pipe: if it is full the waiter is already woken. */
    ssize_t r = write(c->wake[1], &b, 1);
    (void)r;
}

static int ensure_pipe(onshi__conn *c)
{
    if (c->wake[0] >= 0)
        return 0;
    if (pipe(c->wake) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(c->wake[i], F_SETFL, fcntl(c->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(c->wake[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static void drain_pipe(onshi__conn *c)
{
    char buf[64];
    while (c->wake[0] >= 0 && read(c->wake[0], buf, sizeof buf) > 0) {
    }
}

void onshi__conn_arm_cancel(onshi_ctx *ctx, onshi__conn *c)
{
    c->ctx = ctx;
    if (ensure_pipe(c) != 0)
        return; /* cancellation then only takes effect at the next check point */
    drain_pipe(c);
    onshi__cancel_set_wake(ctx, wake_fn, c);
}

void onshi__conn_disarm_cancel(onshi_ctx *ctx)
{
    onshi__cancel_set_wake(ctx, NULL, NULL);
}

/* Wait for `events` on fd or for the wake pipe. Returns 1 ready, 0 timeout, -1 cancelled,
 * -2 poll error (errno). */
static int wait_fd(onshi__conn *c, int fd, short events, int64_t timeout_ms)
{
    int64_t deadline = onshi__now_ms() + timeout_ms;
    if (c->deadline_ms > 0 && c->deadline_ms < deadline)
        deadline = c->deadline_ms; /* the call's overall deadline (http_deadline_ms) */
    for (;;) {
        if (c->ctx != NULL && onshi__cancel_requested(c->ctx))
            return -1;
        struct pollfd p[2];
        int n = 1;
        p[0].fd = fd;
        p[0].events = events;
        p[0].revents = 0;
        if (c->wake[0] >= 0) {
            p[1].fd = c->wake[0];
            p[1].events = POLLIN;
            p[1].revents = 0;
            n = 2;
        }
        int64_t left = deadline - onshi__now_ms();
        if (left < 0)
            left = 0;
        int r = poll(p, (nfds_t)n, (int)(left > 1000000 ? 1000000 : left));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -2;
        }
        if (n == 2 && (p[1].revents & POLLIN)) {
            drain_pipe(c);
            if (c->ctx != NULL && onshi__cancel_requested(c->ctx))
                return -1;
        }
        if (r > 0 && p[0].revents != 0)
            return 1;
        if (onshi__now_ms() >= deadline) {
            if (c->deadline_ms > 0 && deadline == c->deadline_ms)
                c->deadline_hit = true;
            return 0;
        }
    }
}

int onshi__conn_sleep(onshi_ctx *ctx, onshi__conn *c, int64_t ms)
{
    if (ensure_pipe(c) != 0) {
        usleep((useconds_t)(ms * 1000));
        return onshi__cancel_check(ctx);
    }
    int64_t deadline = onshi__now_ms() + ms;
    for (;;) {
        int64_t left = deadline - onshi__now_ms();
        if (onshi__cancel_requested(ctx))
            return onshi__cancel_check(ctx);
        if (left <= 0)
            return ONSHI_OK;
        struct pollfd p = {c->wake[0], POLLIN, 0};
        if (poll(&p, 1, (int)left) > 0)
            drain_pipe(c);
    }
}

int onshi__conn_io_error(onshi_ctx *ctx, onshi__conn *c, const char *what)
{
    switch (c->io_status) {
    case ONSHI_E_CANCELLED:
        return onshi__cancel_check(ctx) != ONSHI_OK
                   ? ONSHI_E_CANCELLED
                   : onshi__err(ctx, ONSHI_E_CANCELLED, "%s cancelled", what);
    case ONSHI_E_TIMEOUT:
        return onshi__err_ja(ctx, ONSHI_E_TIMEOUT, ONSHI_FOREIGN_NONE, 0,
                             what, "サーバーからの応答が時間内にありません");
    default:
        return onshi__err_foreign(ctx, ONSHI_E_CONNECTION_CLOSED, ONSHI_FOREIGN_ERRNO,
                                  c->io_errno, "%s: %s", what,
                                  c->io_errno ? strerror(c->io_errno) : "closed by the peer");
    }
}

static int wait_status(onshi__conn *c, int w)
{
    if (w == 0) {
        c->io_status = ONSHI_E_TIMEOUT;
        return -1;
    }
    if (w == -1) {
        c->io_status = ONSHI_E_CANCELLED;
        return -1;
    }
    c->io_status = ONSHI_E_CONNECTION_CLOSED;
    c->io_errno = errno;
    return -1;
}

/* Past the call's overall deadline? (A peer trickling bytes never lets a read wait.) */
static bool past_deadline(onshi__conn *c)
{
    if (c->deadline_ms > 0 && onshi__now_ms() >= c->deadline_ms) {
        c->deadline_hit = true;
        c->io_status = ONSHI_E_TIMEOUT;
        return true;
    }
    return false;
}

int onshi__sock_write_all(onshi__conn *c, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        if (past_deadline(c))
            return -1;
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            int r = wait_fd(c, c->fd, POLLOUT, c->io_timeout_ms);
            if (r != 1)
                return wait_status(c, r);
            continue;
        }
        c->io_status = ONSHI_E_CONNECTION_CLOSED;
        c->io_errno = errno;
        return -1;
    }
    return 0;
}

int onshi__sock_read_some(onshi__conn *c, void *p, size_t n)
{
    for (;;) {
        if (past_deadline(c))
            return -1;
        ssize_t r = recv(c->fd, p, n, 0);
        if (r >= 0)
            return (int)r;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            int w = wait_fd(c, c->fd, POLLIN, c->io_timeout_ms);
            if (w != 1)
                return wait_status(c, w);
            continue;
        }
        c->io_status = ONSHI_E_CONNECTION_CLOSED;
        c->io_errno = errno;
        return -1;
    }
}

int onshi__bio_send(void *ctxp, const unsigned char *buf, size_t len)
{
    onshi__conn *c = ctxp;
    for (;;) {
        ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0)
            return (int)w;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            int r = wait_fd(c, c->fd, POLLOUT, c->io_timeout_ms);
            if (r != 1) {
                wait_status(c, r);
                return MBEDTLS_ERR_SSL_TIMEOUT;
            }
            continue;
        }
        c->io_status = ONSHI_E_CONNECTION_CLOSED;
        c->io_errno = errno;
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

int onshi__bio_recv(void *ctxp, unsigned char *buf, size_t len)
{
    onshi__conn *c = ctxp;
    int r = onshi__sock_read_some(c, buf, len);
    if (r >= 0)
        return r;
    return c->io_status == ONSHI_E_CONNECTION_CLOSED ? MBEDTLS_ERR_NET_RECV_FAILED
                                                     : MBEDTLS_ERR_SSL_TIMEOUT;
}

static int connect_one(onshi__conn *c, const struct addrinfo *ai, int64_t timeout_ms, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            *err = errno;
            close(fd);
            return -1;
        }
        int w = wait_fd(c, fd, POLLOUT, timeout_ms);
        if (w != 1) {
            *err = w == 0 ? ETIMEDOUT : (w == -1 ? ECANCELED : errno);
            close(fd);
            return -1;
        }
        int so = 0;
        socklen_t sl = sizeof so;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so != 0) {
            *err = so ? so : errno;
            close(fd);
            return -1;
        }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ---- name resolution within the deadline ----------------------------------------------
 * getaddrinfo(3) cannot be interrupted and a resolver that never answers holds it for as long
 * as resolv.conf's timeouts and attempts allow (and longer with a stuck NSS module). It runs
 * in a detached worker thread; the caller waits for the worker's pipe like for any socket
 * (wait_fd: the timeout, the call's http_deadline_ms, onshi_ctx_cancel's wake pipe). A caller
 * that gives up leaves the job to the worker, which frees it when getaddrinfo returns. */
typedef struct resolve_job {
    pthread_mutex_t mu;
    int refs;             /* caller and worker */
    int pipe[2];          /* the worker writes one byte when done */
    char *host, *port;
    struct addrinfo hints;
    int g;                /* getaddrinfo's answer */
    struct addrinfo *res; /* owned by the job until the caller takes it */
} resolve_job;

static void job_release(resolve_job *j)
{
    pthread_mutex_lock(&j->mu);
    int left = --j->refs;
    pthread_mutex_unlock(&j->mu);
    if (left > 0)
        return;
    if (j->res != NULL)
        freeaddrinfo(j->res);
    close(j->pipe[0]);
    close(j->pipe[1]);
    free(j->host);
    free(j->port);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *resolve_main(void *arg)
{
    resolve_job *j = arg;
    struct addrinfo *res = NULL;
    int g = getaddrinfo(j->host, j->port, &j->hints, &res);
    if (g != 0 && g != EAI_AGAIN && g != EAI_MEMORY && (j->hints.ai_flags & AI_ADDRCONFIG)) {
        /* AI_ADDRCONFIG hides every address on a host with loopback only (a closed-network
         * PC before its IPv6 link is up, a test namespace): ask again without it. */
        j->hints.ai_flags &= ~AI_ADDRCONFIG;
        g = getaddrinfo(j->host, j->port, &j->hints, &res);
    }
    pthread_mutex_lock(&j->mu);
    j->g = g;
    j->res = g == 0 ? res : NULL;
    pthread_mutex_unlock(&j->mu);
    char b = 1;
    ssize_t w = write(j->pipe[1], &b, 1);
    (void)w;
    job_release(j);
    return NULL;
}

int onshi__resolve(onshi__conn *c, const char *host, const char *port,
                   const struct addrinfo *hints, int64_t timeout_ms, struct addrinfo **res)
{
    *res = NULL;
    resolve_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return EAI_MEMORY;
    j->pipe[0] = j->pipe[1] = -1;
    if (pipe(j->pipe) != 0 || (j->host = strdup(host)) == NULL ||
        (j->port = strdup(port)) == NULL) {
        if (j->pipe[0] >= 0) {
            close(j->pipe[0]);
            close(j->pipe[1]);
        }
        free(j->host);
        free(j);
        return EAI_MEMORY;
    }
    for (int i = 0; i < 2; i++)
        fcntl(j->pipe[i], F_SETFD, FD_CLOEXEC);
    j->hints = *hints;
    j->refs = 2;
    pthread_mutex_init(&j->mu, NULL);
    pthread_attr_t at;
    pthread_t th;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&th, &at, resolve_main, j);
    pthread_attr_destroy(&at);
    if (e != 0) {
        j->refs = 1;
        job_release(j);
        return EAI_SYSTEM;
    }
    int w = wait_fd(c, j->pipe[0], POLLIN, timeout_ms);
    int g;
    if (w == 1) {
        pthread_mutex_lock(&j->mu);
        g = j->g;
        *res = j->res;
        j->res = NULL;
        pthread_mutex_unlock(&j->mu);
    } else {
        g = w == -1 ? ONSHI__RESOLVE_CANCELLED : ONSHI__RESOLVE_TIMEOUT;
    }
    job_release(j);
    return g;
}

int onshi__tcp_connect(onshi_ctx *ctx, onshi__conn *c, const char *host, const char *port,
                       int64_t timeout_ms, int dns_status)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    /* Resolving and connecting share the connect timeout (and the call's deadline). */
    int64_t deadline = onshi__now_ms() + timeout_ms;
    c->deadline_hit = false;
    int g = onshi__resolve(c, host, port, &hints, timeout_ms, &res);
    if (g == ONSHI__RESOLVE_CANCELLED) {
        c->io_status = ONSHI_E_CANCELLED;
        return onshi__conn_io_error(ctx, c, "name resolution");
    }
    if (g == ONSHI__RESOLVE_TIMEOUT) {
        char en[400];
        snprintf(en, sizeof en, "cannot resolve %s: no answer from the name resolver within %s",
                 host, c->deadline_hit ? "http_deadline_ms" : "connect_timeout_ms");
        return onshi__err_ja(ctx, c->deadline_hit ? ONSHI_E_TIMEOUT : dns_status,
                             ONSHI_FOREIGN_NONE, 0, en,
                             "名前解決が時間内に終わりませんでした（DNS・ネットワーク設定を確認してください）");
    }
    if (g != 0) {
        char en[400];
        snprintf(en, sizeof en, "cannot resolve %s: %s", host, gai_strerror(g));
        return onshi__err_ja(ctx, dns_status, ONSHI_FOREIGN_NONE, g, en,
                             dns_status == ONSHI_E_PROXY
                                 ? "プロキシのホスト名を解決できません（DNS設定を確認してください）"
                                 : "サーバーのホスト名を解決できません（DNS・ネットワーク設定を確認してください）");
    }
    int err = 0, fd = -1;
    char tried[300] = "";
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int64_t left = deadline - onshi__now_ms();
        if (left <= 0) {
            err = ETIMEDOUT;
            break;
        }
        fd = connect_one(c, ai, left, &err);
        if (fd >= 0)
            break;
        if (err == ECANCELED)
            break;
        size_t tl = strlen(tried);
        snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? "," : "",
                 ai->ai_family == AF_INET6 ? "IPv6" : "IPv4");
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (err == ECANCELED) {
            c->io_status = ONSHI_E_CANCELLED;
            return onshi__conn_io_error(ctx, c, "connect");
        }
        char en[600];
        snprintf(en, sizeof en, "cannot connect to %s port %s (%s): %s", host, port, tried,
                 strerror(err));
        return onshi__err_ja(ctx, dns_status == ONSHI_E_PROXY ? ONSHI_E_PROXY : ONSHI_E_CONNECT,
                             ONSHI_FOREIGN_ERRNO, err, en,
                             dns_status == ONSHI_E_PROXY
                                 ? "プロキシに接続できません"
                                 : "サーバーに接続できません（回線・ファイアウォールを確認してください）");
    }
    c->fd = fd;
    return ONSHI_OK;
}

/* ---- HTTP CONNECT ---- */

static int proxy_read(onshi_ctx *ctx, onshi__conn *c, onshi__http *p, bool *done);

static int proxy_on_headers(void *ud, const onshi__http_head *h)
{
    (void)h;
    *(bool *)ud = true;
    return 1; /* a CONNECT answer has no body: stop here */
}

int onshi__proxy_connect(onshi_ctx *ctx, onshi__conn *c, const char *host, const char *port,
                         int64_t timeout_ms)
{
    char req[700];
    int n = snprintf(req, sizeof req,
                     "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: libonshi/%s\r\n\r\n",
                     host, port, host, port, onshi_version(NULL, NULL, NULL));
    c->io_timeout_ms = timeout_ms;
    if (n < 0 || (size_t)n >= sizeof req)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "host name too long for CONNECT");
    if (onshi__sock_write_all(c, req, (size_t)n) != 0) {
        if (c->io_status != ONSHI_E_CONNECTION_CLOSED)
            return onshi__conn_io_error(ctx, c, "proxy CONNECT");
        return onshi__err_foreign(ctx, ONSHI_E_PROXY, ONSHI_FOREIGN_ERRNO, c->io_errno,
                                  "proxy closed the connection before CONNECT");
    }
    bool done = false;
    onshi__http_cbs cbs = {&done, NULL, NULL, proxy_on_headers, NULL, NULL, NULL};
    onshi__http *p = onshi__http_new(false, &cbs);
    if (p == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    int rc = proxy_read(ctx, c, p, &done);
    int status = onshi__http_status(p);
    onshi__http_free(p);
    if (rc != ONSHI_OK)
        return rc;
    if (status / 100 != 2) {
        char en[200];
        snprintf(en, sizeof en, "proxy refused CONNECT to %s:%s with HTTP %d", host, port,
                 status);
        return onshi__err_ja(ctx, ONSHI_E_PROXY, ONSHI_FOREIGN_HTTP, status, en,
                             "プロキシがサーバーへの接続を拒否しました（プロキシ設定・認証を確認してください）");
    }
    return ONSHI_OK;
}

static int proxy_read(onshi_ctx *ctx, onshi__conn *c, onshi__http *p, bool *done)
{
    char buf[1024];
    size_t total = 0;
    while (!*done) {
        /* The tunnelled server speaks only after our ClientHello, so everything read here
         * belongs to the proxy's answer. */
        int r = onshi__sock_read_some(c, buf, sizeof buf);
        if (r < 0)
            return c->io_status == ONSHI_E_CONNECTION_CLOSED
                       ? onshi__err_foreign(ctx, ONSHI_E_PROXY, ONSHI_FOREIGN_ERRNO, c->io_errno,
                                            "proxy connection failed")
                       : onshi__conn_io_error(ctx, c, "waiting for the proxy's CONNECT answer");
        if (r == 0)
            return onshi__err_ja(ctx, ONSHI_E_PROXY, ONSHI_FOREIGN_NONE, 0,
                                 "proxy closed the connection without answering CONNECT",
                                 "プロキシが接続を拒否しました");
        total += (size_t)r;
        size_t used = onshi__http_feed(p, buf, (size_t)r);
        const char *why = "";
        int state = onshi__http_state(p, &why);
        if (!*done && (used != (size_t)r || state == ONSHI__HTTP_ERROR || total > 16384))
            return onshi__err(ctx, ONSHI_E_PROXY, "malformed answer from the proxy (%s)",
                              state == ONSHI__HTTP_ERROR ? why : "too long");
    }
    return ONSHI_OK;
}
