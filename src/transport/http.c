/*
 * HTTP/1.1 over TLS for the HTTPS binding (docs/protocol.md): one keep-alive connection per
 * context with TLS session resumption, responses parsed by http-parser (Content-Length and
 * chunked), a size cap, and retries with exponential back-off only for requests carrying an
 * idempotency key — a request without one is written to the wire at most once.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include "transport/httpwire.h"
#include <mbedtls/platform_util.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- per-context state ---- */

static void https_free(void *p)
{
    onshi__https *hs = p;
    if (hs == NULL)
        return;
    onshi__conn_free(&hs->conn);
    onshi__tls_conf_free(&hs->tls);
    for (size_t i = 0; i < sizeof hs->paths / sizeof hs->paths[0]; i++)
        free(hs->paths[i]);
    free(hs);
}

onshi__https *onshi__https_state(onshi_ctx *ctx)
{
    onshi__https *hs = onshi__slot_get(ctx, ONSHI__SLOT_HTTPS);
    if (hs != NULL)
        return hs;
    hs = onshi__calloc(1, sizeof *hs);
    if (hs == NULL)
        return NULL;
    onshi__tls_conf_init(&hs->tls);
    onshi__conn_init(&hs->conn);
    onshi__slot_set(ctx, ONSHI__SLOT_HTTPS, hs, https_free);
    return hs;
}

/* ---- paths ---- */

/* Names of the HTTPS-only extension messages (no file-name prefix exists for them). */
static const char *ext_name(int msgtype)
{
    switch (msgtype) {
    case ONSHI_MSG_CARDAUTH_REQ:
        return "cardauth";
    case ONSHI_MSG_DISASTER_REQ:
        return "disaster";
    default:
        return NULL;
    }
}

int onshi__https_path(onshi_ctx *ctx, onshi__https *hs, int msgtype, const char *base, char *out,
                      size_t outsz)
{
    const onshi__msgtype *mt = onshi__msgtype_find(msgtype);
    if (mt == NULL || !mt->is_request)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "message type %d is not a request type",
                          msgtype);
    if (msgtype >= 0 && (size_t)msgtype < sizeof hs->paths / sizeof hs->paths[0] &&
        hs->paths[msgtype] != NULL) {
        snprintf(out, outsz, "%s", hs->paths[msgtype]);
        return ONSHI_OK;
    }
    const char *name = mt->prefix != NULL ? mt->prefix : ext_name(msgtype);
    if (name == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "message type %d has no HTTP path", msgtype);
    int n = snprintf(out, outsz, "%s/oqs/v1/%s", base, name);
    if (n < 0 || (size_t)n >= outsz)
        return onshi__err(ctx, ONSHI_E_CONFIG, "HTTP path too long");
    return ONSHI_OK;
}

/* ---- connection ---- */

/* A kept-alive connection the server has closed (or written to unasked) is readable while
 * idle; detect that before writing so a request is never sent into a dying connection. */
static bool conn_stale(onshi__conn *c)
{
    if (c->fd < 0 || !c->established)
        return true;
    struct pollfd p = {c->fd, POLLIN, 0};
    return poll(&p, 1, 0) != 0;
}

int onshi__https_open(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, const onshi__url *u,
                      const onshi__url *pu, int *stage)
{
    int st = 1;
    c->io_status = ONSHI_OK;
    c->io_errno = 0;
    int64_t timeout = onshi__opt_int(ctx, ONSHI_OPT_CONNECT_TIMEOUT_MS);
    int64_t deadline = onshi__now_ms() + timeout;
    if (c->deadline_ms > 0 && c->deadline_ms < deadline) {
        deadline = c->deadline_ms; /* the call's overall deadline comes first */
        timeout = deadline - onshi__now_ms();
        if (timeout < 0)
            timeout = 0;
    }
    int rc;
    if (pu != NULL)
        rc = onshi__tcp_connect(ctx, c, pu->host, pu->port, timeout, ONSHI_E_PROXY);
    else
        rc = onshi__tcp_connect(ctx, c, u->host, u->port, timeout, ONSHI_E_DNS);
    if (rc == ONSHI_OK && pu != NULL) {
        st = 2;
        rc = onshi__proxy_connect(ctx, c, u->host, u->port, deadline - onshi__now_ms());
    }
    if (rc == ONSHI_OK) {
        st = 3;
        rc = onshi__tls_ssl_setup(ctx, t, c, u->host);
    }
    if (rc == ONSHI_OK) {
        mbedtls_ssl_set_bio(&c->ssl, c, onshi__bio_send, onshi__bio_recv, NULL);
        for (;;) {
            int64_t left = deadline - onshi__now_ms();
            c->io_timeout_ms = left > 0 ? left : 0;
            int r = onshi__tls_handshake(c);
            if (r == 0)
                break;
            if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
                continue;
            if (c->deadline_hit) {
                rc = onshi__err_ja(ctx, ONSHI_E_TIMEOUT, ONSHI_FOREIGN_MBEDTLS, r,
                                   "TLS handshake not finished within http_deadline_ms",
                                   "TLSハンドシェイクが時間内に終わりませんでした");
                break;
            }
            rc = onshi__tls_map_error(ctx, t, c, r, u->host);
            break;
        }
    }
    if (stage != NULL)
        *stage = st;
    if (rc != ONSHI_OK)
        onshi__conn_close(c);
    return rc;
}

int onshi__https_connect(onshi_ctx *ctx, onshi__https *hs)
{
    onshi__url u, pu;
    int rc = onshi__url_parse(ctx, onshi__opt_str(ctx, ONSHI_OPT_SERVER_URL), &u);
    if (rc != ONSHI_OK)
        return rc;
    const char *proxy = onshi__opt_str(ctx, ONSHI_OPT_PROXY);
    bool use_proxy = proxy != NULL && proxy[0] != '\0';
    if (use_proxy && (rc = onshi__hostport_parse(ctx, proxy, &pu)) != ONSHI_OK)
        return onshi__err(ctx, ONSHI_E_CONFIG, "proxy must be host:port");

    char key[sizeof hs->conn_key];
    snprintf(key, sizeof key, "%s|%s|%s|%s", u.host, u.port, use_proxy ? pu.host : "",
             use_proxy ? pu.port : "");
    rc = onshi__tls_conf_load(ctx, &hs->tls, hs);
    if (rc != ONSHI_OK) {
        onshi__conn_close(&hs->conn);
        return rc;
    }
    onshi__conn *c = &hs->conn;
    if (c->established && strcmp(key, hs->conn_key) == 0 && !conn_stale(c))
        return ONSHI_OK;
    onshi__conn_close(c);
    if (strcmp(key, hs->conn_key) != 0) { /* another server: its session is no use */
        mbedtls_ssl_session_free(&c->session);
        mbedtls_ssl_session_init(&c->session);
        c->have_session = false;
    }
    snprintf(hs->conn_key, sizeof hs->conn_key, "%s", key);

    rc = onshi__https_open(ctx, &hs->tls, c, &u, use_proxy ? &pu : NULL, NULL);
    if (rc != ONSHI_OK)
        return rc;
    c->handshakes++;
    c->established = true;
    onshi__tls_save_session(c, true);
    onshi__log(ctx, ONSHI_LOG_DEBUG, "https", "connected to %s:%s (%s, %s%s)", u.host, u.port,
               mbedtls_ssl_get_version(&c->ssl), mbedtls_ssl_get_ciphersuite(&c->ssl),
               use_proxy ? ", via proxy" : "");
    return ONSHI_OK;
}

/* ---- one request/response ---- */

typedef struct resp {
    onshi_buf *body;
    size_t cap;
    bool too_large;
    bool complete;
    bool nomem;
    int64_t retry_after_s;
    char ctype[96];
} resp;

static int on_header(void *ud, const char *name, const char *value)
{
    resp *r = ud;
    if (strcasecmp(name, "Retry-After") == 0) {
        r->retry_after_s = 0;
        for (const char *v = value; *v; v++)
            if (*v >= '0' && *v <= '9' && r->retry_after_s < 86400)
                r->retry_after_s = r->retry_after_s * 10 + (*v - '0');
    } else if (strcasecmp(name, "Content-Type") == 0) {
        snprintf(r->ctype, sizeof r->ctype, "%s", value);
    }
    return 0;
}

static int on_headers_done(void *ud, const onshi__http_head *h)
{
    resp *r = ud;
    if (h->content_length >= 0 && (uint64_t)h->content_length > r->cap) {
        r->too_large = true;
        return -1;
    }
    return 0;
}

static int on_body(void *ud, const char *at, size_t n)
{
    resp *r = ud;
    if (r->body->len + n > r->cap) {
        r->too_large = true;
        return -1;
    }
    if (onshi__buf_append(r->body, at, n) != ONSHI_OK) {
        r->nomem = true;
        return -1;
    }
    return 0;
}

static int on_complete(void *ud)
{
    ((resp *)ud)->complete = true;
    return 0;
}

static const char *charset_of(const void *body, size_t len)
{
    /* Only to label the body: the declaration decides (docs/protocol.md). */
    size_t n = len < 200 ? len : 200;
    char head[201];
    memcpy(head, body, n);
    head[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (head[i] == '\0')
            head[i] = ' ';
    const char *e = strstr(head, "encoding=");
    if (e != NULL) {
        e += 9;
        if (*e == '"' || *e == '\'')
            e++;
        if (strncasecmp(e, "shift_jis", 9) == 0 || strncasecmp(e, "windows-31j", 11) == 0 ||
            strncasecmp(e, "cp932", 5) == 0 || strncasecmp(e, "sjis", 4) == 0)
            return "Shift_JIS";
    }
    return "UTF-8";
}

static int ssl_write_all(onshi_ctx *ctx, onshi__conn *c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        int w = mbedtls_ssl_write(&c->ssl, p, n);
        if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (w < 0) {
            int v = onshi__tls_io_error(ctx, c, w, true); /* a TLS 1.3 refusal, read late */
            if (v != ONSHI_OK)
                return v;
            if (c->io_status == ONSHI_E_TIMEOUT || c->io_status == ONSHI_E_CANCELLED)
                return onshi__conn_io_error(ctx, c, c->deadline_hit
                                                        ? "request not sent within http_deadline_ms"
                                                        : "sending the request timed out");
            return onshi__err_foreign(ctx, ONSHI_E_CONNECTION_CLOSED, ONSHI_FOREIGN_MBEDTLS, w,
                                      "connection lost while sending the request");
        }
        p += w;
        n -= (size_t)w;
    }
    return ONSHI_OK;
}

/* Read one response into rs through the parser p. */
static int read_response(onshi_ctx *ctx, onshi__conn *c, onshi__http *p, resp *rs)
{
    unsigned char buf[16384];
    size_t got = 0;
    while (!rs->complete) {
        int n = mbedtls_ssl_read(&c->ssl, buf, sizeof buf);
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
        if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            onshi__tls_save_session(c, false); /* TLS 1.3: resume from it next time */
            continue;
        }
#endif
        if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) {
            onshi__http_feed(p, NULL, 0); /* EOF ends a body without length */
            if (rs->complete)
                break;
            int v = onshi__tls_io_error(ctx, c, n, false); /* a TLS 1.3 refusal, read late */
            onshi__conn_close(c);
            if (v != ONSHI_OK)
                return v;
            char en[200];
            snprintf(en, sizeof en, "server closed the connection %s (%zu bytes received)",
                     got == 0 ? "before answering" : "in the middle of the response", got);
            return onshi__err_ja(ctx, ONSHI_E_CONNECTION_CLOSED, ONSHI_FOREIGN_MBEDTLS, n, en,
                                 "応答の途中でサーバーとの接続が切れました");
        }
        if (n < 0) {
            int v = onshi__tls_io_error(ctx, c, n, false); /* a TLS 1.3 refusal, read late */
            onshi__conn_close(c);
            if (v != ONSHI_OK)
                return v;
            if (c->io_status == ONSHI_E_TIMEOUT || c->io_status == ONSHI_E_CANCELLED)
                return onshi__conn_io_error(ctx, c, c->deadline_hit
                                                        ? "no complete answer within http_deadline_ms"
                                                        : "no answer from the server within read_timeout_ms");
            return onshi__err_foreign(ctx, ONSHI_E_CONNECTION_CLOSED, ONSHI_FOREIGN_MBEDTLS, n,
                                      "connection lost while reading the response");
        }
        got += (size_t)n;
        c->verdict_pending = false; /* the server answered: it accepted the certificate */
        size_t used = onshi__http_feed(p, (const char *)buf, (size_t)n);
        const char *why = "";
        int state = onshi__http_state(p, &why);
        if (rs->too_large) {
            onshi__conn_close(c);
            char en[200];
            snprintf(en, sizeof en, "response body larger than result_max_size (%zu bytes)",
                     rs->cap);
            return onshi__err_ja(ctx, ONSHI_E_RESULT_TOO_LARGE, ONSHI_FOREIGN_NONE, 0, en,
                                 "応答が上限サイズを超えました");
        }
        if (rs->nomem) {
            onshi__conn_close(c);
            return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
        }
        if (state == ONSHI__HTTP_ERROR) {
            onshi__conn_close(c);
            return onshi__err(ctx, ONSHI_E_HTTP_PROTOCOL, "malformed HTTP response at byte %zu: %s",
                              got - (size_t)n + used, why);
        }
    }
    return ONSHI_OK;
}

/* Write the request and read one response (body NULL: a GET). */
static int attempt(onshi_ctx *ctx, onshi__https *hs, const onshi__url *u, const char *path,
                   const char *content_type, const void *body, size_t len, const char *idem,
                   int *status, resp *rs)
{
    *status = 0;
    int rc = onshi__https_connect(ctx, hs);
    if (rc != ONSHI_OK)
        return rc;
    onshi__conn *c = &hs->conn;
    c->io_timeout_ms = onshi__opt_int(ctx, ONSHI_OPT_READ_TIMEOUT_MS);
    c->io_status = ONSHI_OK; /* so a failure below is not blamed on an earlier timeout */
    c->io_errno = 0;

    onshi_buf head;
    onshi__buf_init(&head, false);
    char hostport[300];
    if (strcmp(u->port, "443") == 0)
        snprintf(hostport, sizeof hostport, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
    else
        snprintf(hostport, sizeof hostport, strchr(u->host, ':') ? "[%s]:%s" : "%s:%s",
                 u->host, u->port);
    rc = onshi__buf_printf(&head,
                           "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: libonshi/%s\r\n"
                           "Accept: application/xml\r\n",
                           body != NULL ? "POST" : "GET", path, hostport,
                           onshi_version(NULL, NULL, NULL));
    if (rc == ONSHI_OK && body != NULL)
        rc = onshi__buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                               content_type, len);
    if (rc == ONSHI_OK && idem != NULL)
        rc = onshi__buf_printf(&head, "Idempotency-Key: %s\r\n", idem);
    if (rc == ONSHI_OK)
        rc = onshi__buf_append_str(&head, "\r\n");
    if (rc == ONSHI_OK && body != NULL && len > 0 && len <= 16384)
        rc = onshi__buf_append(&head, body, len); /* one TLS record for small requests */
    if (rc != ONSHI_OK) {
        onshi__buf_clear(&head);
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    }
    hs->requests_sent++;
    rc = ssl_write_all(ctx, c, head.data, head.len);
    bool body_sent = len <= 16384;
    onshi__buf_clear(&head);
    if (rc == ONSHI_OK && body != NULL && !body_sent)
        rc = ssl_write_all(ctx, c, body, len);
    if (rc != ONSHI_OK) {
        onshi__conn_close(c);
        return rc;
    }

    onshi__http_cbs cbs = {rs, NULL, on_header, on_headers_done, on_body, NULL, on_complete};
    onshi__http *p = onshi__http_new(false, &cbs);
    if (p == NULL) {
        onshi__conn_close(c);
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    }
    rc = read_response(ctx, c, p, rs);
    if (rc == ONSHI_OK) {
        *status = onshi__http_status(p);
        if (!onshi__http_keep_alive(p))
            onshi__conn_close(c);
    }
    onshi__http_free(p);
    return rc;
}

static bool retryable_status(int s)
{
    return s == 500 || s == 502 || s == 503 || s == 504 || s == 429;
}

static bool retryable_rc(int rc)
{
    return rc == ONSHI_E_CONNECT || rc == ONSHI_E_CONNECTION_CLOSED || rc == ONSHI_E_TIMEOUT ||
           rc == ONSHI_E_DNS;
}

static int status_error(onshi_ctx *ctx, int status, const resp *rs, int tries)
{
    char snippet[161];
    size_t n = rs->body->len < 160 ? rs->body->len : 160;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = rs->body->data[i];
        snippet[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
    }
    snippet[n] = '\0';
    onshi__redact_buf rb;
    const char *red = onshi__redact(ctx, &rb, ONSHI__PII_TEXT, snippet);
    char en[400];
    if (status == 503 || status == 429) {
        snprintf(en, sizeof en, "server busy: HTTP %d after %d attempt(s) %s", status, tries, red);
        return onshi__err_ja(ctx, ONSHI_E_SERVER_BUSY, ONSHI_FOREIGN_HTTP, status, en,
                             "サーバーが混雑しています。しばらくしてから再度お試しください");
    }
    snprintf(en, sizeof en, "server answered HTTP %d after %d attempt(s) %s", status, tries, red);
    return onshi__err_ja(ctx, ONSHI_E_HTTP_STATUS, ONSHI_FOREIGN_HTTP, status, en,
                         status >= 500 ? "サーバーでエラーが発生しました"
                                       : "サーバーが要求を受け付けませんでした");
}

static int post_loop(onshi_ctx *ctx, onshi__https *hs, const onshi__url *up, const char *path,
                     const char *content_type, const void *body, size_t len,
                     const char *idem_key, int *http_status, onshi_buf *out, int max_retry,
                     int64_t deadline);
/* The context's HTTPS state and the configured server URL. */
static int state_and_url(onshi_ctx *ctx, onshi__https **hs, onshi__url *u)
{
    if ((*hs = onshi__https_state(ctx)) == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    return onshi__url_parse(ctx, onshi__opt_str(ctx, ONSHI_OPT_SERVER_URL), u);
}

int onshi__https_post(onshi_ctx *ctx, const char *path, const char *content_type,
                      const void *body, size_t len, const char *idem_key, int *http_status,
                      onshi_buf *out)
{
    onshi__https *hs;
    onshi__url u;
    int rc = state_and_url(ctx, &hs, &u);
    if (rc != ONSHI_OK)
        return rc;
    int max_retry = idem_key != NULL ? (int)onshi__opt_int(ctx, ONSHI_OPT_RETRY_MAX) : 0;
    int64_t deadline = onshi__now_ms() + onshi__opt_int(ctx, ONSHI_OPT_HTTP_DEADLINE_MS);
    hs->conn.deadline_ms = deadline;
    hs->conn.deadline_hit = false;
    rc = post_loop(ctx, hs, &u, path, content_type, body, len, idem_key, http_status, out,
                   max_retry, deadline);
    hs->conn.deadline_ms = 0;
    return rc;
}

static int post_loop(onshi_ctx *ctx, onshi__https *hs, const onshi__url *up, const char *path,
                     const char *content_type, const void *body, size_t len,
                     const char *idem_key, int *http_status, onshi_buf *out, int max_retry,
                     int64_t deadline)
{
    int rc;
    const onshi__url u = *up;
    int64_t base = onshi__opt_int(ctx, ONSHI_OPT_RETRY_BASE_MS);
    if (http_status != NULL)
        *http_status = 0;
    for (int tryno = 0;; tryno++) {
        if ((rc = onshi__cancel_check(ctx)) != ONSHI_OK)
            return rc;
        resp rs;
        memset(&rs, 0, sizeof rs);
        onshi__buf_clear(out);
        rs.body = out;
        rs.cap = (size_t)onshi__opt_int(ctx, ONSHI_OPT_RESULT_MAX_SIZE);
        rs.retry_after_s = -1;
        int status = 0;
        rc = attempt(ctx, hs, &u, path, content_type, body, len, idem_key, &status, &rs);
        if (http_status != NULL && status != 0)
            *http_status = status;
        if (rc == ONSHI_OK && status >= 200 && status < 300)
            return ONSHI_OK;
        bool again = tryno < max_retry && !hs->conn.deadline_hit &&
                     (rc == ONSHI_OK ? retryable_status(status) : retryable_rc(rc));
        if (!again) {
            if (rc == ONSHI_OK)
                rc = status_error(ctx, status, &rs, tryno + 1);
            onshi__buf_clear(out);
            return rc;
        }
        int64_t delay = base << (tryno < 20 ? tryno : 20);
        if (rs.retry_after_s > 0 && rs.retry_after_s * 1000 > delay)
            delay = rs.retry_after_s * 1000 < 60000 ? rs.retry_after_s * 1000 : 60000;
        onshi__log(ctx, ONSHI_LOG_INFO, "https",
                   "attempt %d failed (%s, HTTP %d); retrying in %lld ms (Idempotency-Key set)",
                   tryno + 1, onshi_status_name(rc), status, (long long)delay);
        onshi__buf_clear(out);
        if (onshi__now_ms() + delay >= deadline) {
            /* no time left for another attempt: the last failure stands */
            if (rc == ONSHI_OK)
                rc = status_error(ctx, status, &rs, tryno + 1);
            return rc;
        }
        if ((rc = onshi__conn_sleep(ctx, &hs->conn, delay)) != ONSHI_OK)
            return rc;
    }
}

/* ---- public API ---- */

static bool idem_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return false;
    return true;
}

ONSHI_API int ONSHI_CALL onshi_https_exchange(onshi_buf **out_body, onshi_ctx *ctx, int msgtype,
                                              const void *body, size_t len,
                                              const char *idempotency_key)
{
    return onshi__https_exchange(out_body, NULL, ctx, msgtype, body, len, idempotency_key);
}

int onshi__https_exchange(onshi_buf **out_body, int *out_http_status, onshi_ctx *ctx,
                          int msgtype, const void *body, size_t len, const char *idempotency_key)
{
    if (out_body != NULL)
        *out_body = NULL;
    if (out_http_status != NULL)
        *out_http_status = 0;
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    if (out_body == NULL || body == NULL || len == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out_body, body and len are required");
    if (idempotency_key != NULL && !idem_ok(idempotency_key))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                          "idempotency_key must be 1-128 printable ASCII characters");
    onshi__https *hs;
    onshi__url u;
    int rc = state_and_url(ctx, &hs, &u);
    if (rc != ONSHI_OK)
        return rc;
    char path[1024];
    if ((rc = onshi__https_path(ctx, hs, msgtype, u.base, path, sizeof path)) != ONSHI_OK)
        return rc;
    char ctype[64];
    snprintf(ctype, sizeof ctype, "application/xml; charset=%s", charset_of(body, len));

    onshi_buf resp;
    onshi__buf_init(&resp, false);
    onshi__conn_arm_cancel(ctx, &hs->conn);
    rc = onshi__https_post(ctx, path, ctype, body, len, idempotency_key, out_http_status, &resp);
    onshi__conn_disarm_cancel(ctx);
    if (rc == ONSHI_OK)
        rc = onshi__buf_detach(&resp, out_body);
    onshi__buf_clear(&resp);
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_https_set_path(onshi_ctx *ctx, int msgtype, const char *path)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    const onshi__msgtype *mt = onshi__msgtype_find(msgtype);
    onshi__https *hs = onshi__https_state(ctx);
    if (hs == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    if (mt == NULL || !mt->is_request || msgtype < 0 ||
        (size_t)msgtype >= sizeof hs->paths / sizeof hs->paths[0])
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "message type %d is not a request type",
                          msgtype);
    if (path != NULL) {
        if (path[0] != '/' || strlen(path) > 900)
            return onshi__err(ctx, ONSHI_E_INVALID_ARG, "path must start with '/'");
        for (const char *q = path; *q; q++)
            if ((unsigned char)*q <= 0x20 || *q == 0x7f)
                return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                                  "path contains a space or control character");
    }
    char *copy = NULL;
    if (path != NULL && (copy = onshi__strdup(path)) == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    free(hs->paths[msgtype]);
    hs->paths[msgtype] = copy;
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_https_close(onshi_ctx *ctx)
{
    onshi__https *hs = onshi__slot_get(ctx, ONSHI__SLOT_HTTPS);
    if (hs != NULL)
        onshi__conn_close(&hs->conn);
}

ONSHI_API int ONSHI_CALL onshi_client_cert_days_left(int *out_days, onshi_ctx *ctx)
{
    if (ctx == NULL || out_days == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "ctx and out_days are required");
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    bool have = false;
    int rc = onshi__tls_load_client(ctx, &crt, &key, &have);
    if (rc == ONSHI_OK && !have)
        rc = onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_NONE, 0,
                           "no client certificate is configured (tls_pkcs12_file or "
                           "tls_client_cert)",
                           "クライアント証明書が設定されていません");
    if (rc == ONSHI_OK)
        *out_days = onshi__crt_days_left(&crt);
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&key);
    return rc;
}

