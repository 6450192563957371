/*
 * Sockets for the HTTPS transport: resolve and connect (IPv6 and IPv4, each address in
 * turn), HTTP CONNECT tunnel through a proxy, non-blocking I/O with timeouts that a
 * cancellation from another thread wakes (the OS layer's sockets and wake objects).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include "transport/httpwire.h"

#include "core/os_net.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void onshi__conn_init(onshi__conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = ONSHI__OS_NOSOCK;
    c->wake = NULL;
    mbedtls_ssl_session_init(&c->session);
}

void onshi__conn_close(onshi__conn *c)
{
    if (c->ssl_ready) {
        mbedtls_ssl_free(&c->ssl);
        c->ssl_ready = false;
    }
    if (c->fd != ONSHI__OS_NOSOCK) {
        onshi__os_sock_close(c->fd);
        c->fd = ONSHI__OS_NOSOCK;
    }
    c->established = false;
}

void onshi__conn_free(onshi__conn *c)
{
    onshi__conn_close(c);
    mbedtls_ssl_session_free(&c->session);
    c->have_session = false;
    onshi__os_wake_close(c->wake);
    c->wake = NULL;
}

static void wake_fn(void *arg)
{
    onshi__conn *c = arg;
    onshi__os_wake_signal(c->wake);
}

static int ensure_pipe(onshi__conn *c)
{
    if (c->wake != NULL)
        return 0;
    return onshi__os_wake_open(&c->wake);
}

static void drain_pipe(onshi__conn *c)
{
    onshi__os_wake_drain(c->wake);
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

/* Wait for `events` (ONSHI__OS_IN/OUT) on fd or for the wake object. Returns 1 ready,
 * 0 timeout, -1 cancelled, -2 wait error (errno). */
static int wait_fd(onshi__conn *c, onshi__os_sock fd, int events, int64_t timeout_ms)
{
    int64_t deadline = onshi__now_ms() + timeout_ms;
    if (c->deadline_ms > 0 && c->deadline_ms < deadline)
        deadline = c->deadline_ms; /* the call's overall deadline (http_deadline_ms) */
    for (;;) {
        if (c->ctx != NULL && onshi__cancel_requested(c->ctx))
            return -1;
        int64_t left = deadline - onshi__now_ms();
        if (left < 0)
            left = 0;
        int r = onshi__os_sock_wait(fd, events, c->wake, left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -2;
        }
        if (r & 2) {
            drain_pipe(c);
            if (c->ctx != NULL && onshi__cancel_requested(c->ctx))
                return -1;
        }
        if (r & 1)
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
        onshi__os_sleep_ms(ms);
        return onshi__cancel_check(ctx);
    }
    int64_t deadline = onshi__now_ms() + ms;
    for (;;) {
        int64_t left = deadline - onshi__now_ms();
        if (onshi__cancel_requested(ctx))
            return onshi__cancel_check(ctx);
        if (left <= 0)
            return ONSHI_OK;
        onshi__os_wake_wait(c->wake, left);
    }
}

int onshi__conn_io_error(onshi_ctx *ctx, onshi__conn *c, const char *what)
{
    char eb[128];
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
                                  c->io_errno ? onshi__os_strerror(c->io_errno, eb, sizeof eb)
                                              : "closed by the peer");
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
        ssize_t w = onshi__os_send(c->fd, b, n);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            int r = wait_fd(c, c->fd, ONSHI__OS_OUT, c->io_timeout_ms);
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
        ssize_t r = onshi__os_recv(c->fd, p, n);
        if (r >= 0)
            return (int)r;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            int w = wait_fd(c, c->fd, ONSHI__OS_IN, c->io_timeout_ms);
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
        ssize_t w = onshi__os_send(c->fd, buf, len);
        if (w >= 0)
            return (int)w;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            int r = wait_fd(c, c->fd, ONSHI__OS_OUT, c->io_timeout_ms);
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

static onshi__os_sock connect_one(onshi__conn *c, const struct addrinfo *ai,
                                  int64_t timeout_ms, int *err)
{
    onshi__os_sock fd;
    int k = onshi__os_sock_connect(ai, &fd);
    if (k < 0) {
        *err = errno;
        onshi__os_sock_close(fd);
        return ONSHI__OS_NOSOCK;
    }
    if (k == 1) {
        int w = wait_fd(c, fd, ONSHI__OS_OUT, timeout_ms);
        if (w != 1) {
            *err = w == 0 ? ETIMEDOUT : (w == -1 ? ECANCELED : errno);
            onshi__os_sock_close(fd);
            return ONSHI__OS_NOSOCK;
        }
        int so = onshi__os_sock_error(fd);
        if (so != 0) {
            *err = so;
            onshi__os_sock_close(fd);
            return ONSHI__OS_NOSOCK;
        }
    }
    onshi__os_sock_nodelay(fd);
    return fd;
}

/* ---- name resolution within the deadline ----------------------------------------------
 * getaddrinfo(3) cannot be interrupted and a resolver that never answers holds it for as long
 * as resolv.conf's timeouts and attempts allow (and longer with a stuck NSS module). It runs
 * in a detached worker thread; the caller sleeps on its connection's wake object, which the
 * worker signals when done and onshi_ctx_cancel signals on a cancel, until the timeout or the
 * call's http_deadline_ms. A caller that gives up detaches itself from the job (the worker
 * then signals nobody) and leaves it to the worker, which frees it when getaddrinfo returns. */
typedef struct resolve_job {
    pthread_mutex_t mu;
    int refs;              /* caller and worker */
    int done;              /* getaddrinfo returned */
    onshi__os_wake *waker; /* the caller's wake object; NULL once the caller left */
    char *host, *port;
    struct addrinfo hints;
    int g;                 /* getaddrinfo's answer */
    struct addrinfo *res;  /* owned by the job until the caller takes it */
} resolve_job;

static void job_release(resolve_job *j)
{
    pthread_mutex_lock(&j->mu);
    int left = --j->refs;
    pthread_mutex_unlock(&j->mu);
    if (left > 0)
        return;
    if (j->res != NULL)
        onshi__os_freeaddrinfo(j->res);
    free(j->host);
    free(j->port);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *resolve_main(void *arg)
{
    resolve_job *j = arg;
    struct addrinfo *res = NULL;
    int g = onshi__os_getaddrinfo(j->host, j->port, &j->hints, &res);
    if (g != 0 && g != EAI_AGAIN && g != EAI_MEMORY && (j->hints.ai_flags & AI_ADDRCONFIG)) {
        /* AI_ADDRCONFIG hides every address on a host with loopback only (a closed-network
         * PC before its IPv6 link is up, a test namespace): ask again without it. */
        j->hints.ai_flags &= ~AI_ADDRCONFIG;
        g = onshi__os_getaddrinfo(j->host, j->port, &j->hints, &res);
    }
    pthread_mutex_lock(&j->mu);
    j->g = g;
    j->res = g == 0 ? res : NULL;
    j->done = 1;
    if (j->waker != NULL)
        onshi__os_wake_signal(j->waker); /* never blocks */
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    return NULL;
}

int onshi__resolve(onshi__conn *c, const char *host, const char *port,
                   const struct addrinfo *hints, int64_t timeout_ms, struct addrinfo **res)
{
    *res = NULL;
    if (ensure_pipe(c) != 0)
        return EAI_MEMORY;
    resolve_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return EAI_MEMORY;
    if ((j->host = strdup(host)) == NULL || (j->port = strdup(port)) == NULL) {
        free(j->host);
        free(j);
        return EAI_MEMORY;
    }
    j->hints = *hints;
    j->refs = 2;
    j->waker = c->wake;
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
        return EAI_MEMORY;
    }
    int64_t deadline = onshi__now_ms() + timeout_ms;
    if (c->deadline_ms > 0 && c->deadline_ms < deadline)
        deadline = c->deadline_ms; /* the call's overall deadline (http_deadline_ms) */
    int g = ONSHI__RESOLVE_TIMEOUT;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        if (j->done) {
            g = j->g;
            *res = j->res;
            j->res = NULL;
        }
        int done = j->done;
        pthread_mutex_unlock(&j->mu);
        if (done)
            break;
        if (c->ctx != NULL && onshi__cancel_requested(c->ctx)) {
            g = ONSHI__RESOLVE_CANCELLED;
            break;
        }
        int64_t left = deadline - onshi__now_ms();
        if (left <= 0) {
            if (c->deadline_ms > 0 && deadline == c->deadline_ms)
                c->deadline_hit = true;
            break;
        }
        onshi__os_wake_wait(c->wake, left); /* the worker, a cancel, or the time */
    }
    pthread_mutex_lock(&j->mu);
    j->waker = NULL; /* the wake object is ours: the worker must not touch it after this */
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    return g;
}

int onshi__tcp_connect(onshi_ctx *ctx, onshi__conn *c, const char *host, const char *port,
                       int64_t timeout_ms, int dns_status)
{
    struct addrinfo hints, *res = NULL;
    int ie = onshi__os_net_init();
    if (ie != 0)
        return onshi__err_foreign(ctx, ONSHI_E_CONNECT, ONSHI_FOREIGN_ERRNO, ie,
                                  "the system's sockets are not available");
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
        snprintf(en, sizeof en, "cannot resolve %s: %s", host, onshi__os_gai_strerror(g));
        return onshi__err_ja(ctx, dns_status, ONSHI_FOREIGN_NONE, g, en,
                             dns_status == ONSHI_E_PROXY
                                 ? "プロキシのホスト名を解決できません（DNS設定を確認してください）"
                                 : "サーバーのホスト名を解決できません（DNS・ネットワーク設定を確認してください）");
    }
    int err = 0;
    onshi__os_sock fd = ONSHI__OS_NOSOCK;
    char tried[300] = "";
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int64_t left = deadline - onshi__now_ms();
        if (left <= 0) {
            err = ETIMEDOUT;
            break;
        }
        fd = connect_one(c, ai, left, &err);
        if (fd != ONSHI__OS_NOSOCK)
            break;
        if (err == ECANCELED)
            break;
        size_t tl = strlen(tried);
        snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? "," : "",
                 ai->ai_family == AF_INET6 ? "IPv6" : "IPv4");
    }
    onshi__os_freeaddrinfo(res);
    if (fd == ONSHI__OS_NOSOCK) {
        if (err == ECANCELED) {
            c->io_status = ONSHI_E_CANCELLED;
            return onshi__conn_io_error(ctx, c, "connect");
        }
        char en[600], eb[128];
        snprintf(en, sizeof en, "cannot connect to %s port %s (%s): %s", host, port, tried,
                 onshi__os_strerror(err, eb, sizeof eb));
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
