/*
 * onshi-test-tls-server — a small HTTPS/1.1 server (mbedTLS) with fault injection for the
 * HTTPS transport's integration tests and benchmark, plus an optional HTTP CONNECT proxy.
 * Listens on 127.0.0.1 port 0 and prints "PORT <n>" (and "PROXY <n>") on stdout.
 *
 *   --cert F --key F      server certificate (chain) and key (required)
 *   --ca F                CA for client certificates; a client certificate is then REQUIRED
 *   --tls-max 1.1         offer nothing newer than TLS 1.1 (the client must refuse)
 *   --tls-max 1.2         offer nothing newer than TLS 1.2 (by default the highest version
 *                         the mbedTLS build has: TLS 1.3 with 3.6)
 *   --mode M              ok | chunked | eof | close-mid | close-after | truncated | slow |
 *                         oversize (chunked) | oversize-cl (Content-Length) | garbage |
 *                         status:NNN   (default ok)
 *   --fail N              apply a status:NNN mode only to the first N requests, then ok
 *   --slow-ms N           delay of --mode slow (default 3000); per byte in --mode drip
 *   --proxy               also run a CONNECT proxy (to 127.0.0.1 only)
 *   --proxy-deny          the proxy answers 403 to every CONNECT
 *   --log F               append one line per request / handshake / tunnel
 *   --ipv6                listen on ::1 instead of 127.0.0.1
 *   --mode bulk           the two-phase bulk protocol (OQSmu*01req → reception number,
 *                         OQSmu*02req → SegmentOfResult 2 `--fail N` times, then one
 *                         BulkConfirmUnit per uploaded QualificationConfirmSearchInfo, valid),
 *                         remembering answers by Idempotency-Key (docs/protocol.md §5);
 *   --mode bulk-drop      the same, but the first upload is processed and its connection
 *                         closed without an answer (the client must retry with the same key)
 * A 200 answer echoes the request body (for the benchmark's payload symmetry) inside
 * <Echo path=".." key=".." n=".."/>...</Echo>.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <http_parser.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static mbedtls_ssl_config conf;
static mbedtls_x509_crt srvcert, cacert;
static mbedtls_pk_context pkey;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_ssl_cache_context cache;
#if defined(MBEDTLS_SSL_TICKET_C)
static mbedtls_ssl_ticket_context tickets; /* TLS 1.3 resumes by ticket only */
#endif
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *logf_;
static const char *mode = "ok";
static int fail_n = -1, slow_ms = 3000, proxy_deny;
static int req_count, conn_count;

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
    if (logf_ == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&lock);
    vfprintf(logf_, fmt, ap);
    fputc('\n', logf_);
    fflush(logf_);
    pthread_mutex_unlock(&lock);
    va_end(ap);
}

static int bio_send(void *c, const unsigned char *b, size_t n)
{
    ssize_t w = send(*(int *)c, b, n, MSG_NOSIGNAL);
    return w < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)w;
}

static int bio_recv(void *c, unsigned char *b, size_t n)
{
    ssize_t r = recv(*(int *)c, b, n, 0);
    return r < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)r;
}

typedef struct req {
    char url[512];
    char key[160];
    char field[64];
    int which;
    char *body;
    size_t len, cap;
    int done;
} req;

static int on_url(http_parser *p, const char *at, size_t n)
{
    req *r = p->data;
    size_t l = strlen(r->url);
    if (l + n < sizeof r->url) {
        memcpy(r->url + l, at, n);
        r->url[l + n] = '\0';
    }
    return 0;
}
static int on_field(http_parser *p, const char *at, size_t n)
{
    req *r = p->data;
    size_t k = n < sizeof r->field - 1 ? n : sizeof r->field - 1;
    memcpy(r->field, at, k);
    r->field[k] = '\0';
    r->which = strcasecmp(r->field, "Idempotency-Key") == 0;
    return 0;
}
static int on_value(http_parser *p, const char *at, size_t n)
{
    req *r = p->data;
    if (r->which) {
        size_t k = n < sizeof r->key - 1 ? n : sizeof r->key - 1;
        memcpy(r->key, at, k);
        r->key[k] = '\0';
    }
    return 0;
}
static int on_body(http_parser *p, const char *at, size_t n)
{
    req *r = p->data;
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->body = realloc(r->body, r->cap);
        if (r->body == NULL)
            return -1;
    }
    memcpy(r->body + r->len, at, n);
    r->len += n;
    return 0;
}
static int on_complete(http_parser *p)
{
    ((req *)p->data)->done = 1;
    http_parser_pause(p, 1);
    return 0;
}

static int ssl_write_all(mbedtls_ssl_context *ssl, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        int w = mbedtls_ssl_write(ssl, b, n);
        if (w == MBEDTLS_ERR_SSL_WANT_WRITE || w == MBEDTLS_ERR_SSL_WANT_READ)
            continue;
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}


/* ---- bulk mode: a minimal two-phase server with idempotency keys ------------------------ */
#define BULK_MAX 64
static struct {
    char key[160];
    char *body; /* stored answer */
} bulk_keys[4 * BULK_MAX];
static int bulk_nkeys;
static struct {
    char *upload; /* the upload document */
    int polls;
} bulk_rec[BULK_MAX];
static int bulk_nrec, bulk_dropped;
static pthread_mutex_t bulk_lock = PTHREAD_MUTEX_INITIALIZER;

static char *bulk_doc(const char *seg, const char *body)
{
    const char *h = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
                    "<ProcessExecutionTime>20251125093000</ProcessExecutionTime>"
                    "<MedicalInstitutionCode>1311234569</MedicalInstitutionCode>"
                    "<SegmentOfResult>";
    const char *m = "</SegmentOfResult><CharacterCodeIdentifier>0</CharacterCodeIdentifier>"
                    "</MessageHeader><MessageBody>";
    const char *t = "</MessageBody></XmlMsg>\n";
    size_t n = strlen(h) + strlen(seg) + strlen(m) + strlen(body) + strlen(t) + 1;
    char *d = malloc(n);
    if (d)
        snprintf(d, n, "%s%s%s%s%s", h, seg, m, body, t);
    return d;
}

/* The answer to a bulk request (malloc'd), computed once per Idempotency-Key. */
static char *bulk_answer(req *r, int *drop)
{
    *drop = 0;
    for (int i = 0; r->key[0] && i < bulk_nkeys; i++)
        if (strcmp(bulk_keys[i].key, r->key) == 0) {
            logline("bulk replay key=%s", r->key);
            return strdup(bulk_keys[i].body);
        }
    char *body = NULL, *doc = malloc(r->len + 1);
    if (doc == NULL)
        return NULL;
    memcpy(doc, r->body, r->len);
    doc[r->len] = '\0';
    if (strstr(r->url, "01req") && bulk_nrec < BULK_MAX) {
        int k = bulk_nrec++;
        bulk_rec[k].upload = doc;
        doc = NULL;
        char b[200];
        snprintf(b, sizeof b, "<ReceptionNumber>R%06d</ReceptionNumber>"
                 "<ReceptionDateTime>20251125093000</ReceptionDateTime>", k + 1);
        body = bulk_doc("1", b);
        logline("bulk upload reception=R%06d key=%s", k + 1, r->key[0] ? r->key : "-");
        if (strcmp(mode, "bulk-drop") == 0 && !bulk_dropped) {
            bulk_dropped = 1;
            *drop = 1;
        }
    } else if (strstr(r->url, "02req")) {
        const char *p = strstr(doc, "<ReceptionNumber>R");
        int k = p ? atoi(p + 18) - 1 : -1;
        if (k < 0 || k >= bulk_nrec) {
            body = bulk_doc("9", "");
        } else if (bulk_rec[k].polls++ < (fail_n < 0 ? 0 : fail_n)) {
            body = bulk_doc("2", "");
            logline("bulk still reception=R%06d key=%s", k + 1, r->key[0] ? r->key : "-");
        } else {
            size_t cap = strlen(bulk_rec[k].upload) * 2 + 256, len = 0;
            char *units = malloc(cap);
            const char *open = "<QualificationConfirmSearchInfo>";
            const char *close = "</QualificationConfirmSearchInfo>";
            units[0] = '\0';
            for (const char *q = strstr(bulk_rec[k].upload, open); q; q = strstr(q, open)) {
                const char *e = strstr(q, close);
                if (e == NULL)
                    break;
                e += strlen(close);
                len += (size_t)snprintf(units + len, cap - len,
                                        "<BulkConfirmUnit>%.*s<ProcessingResultStatus>1"
                                        "</ProcessingResultStatus><QualificationValidity>1"
                                        "</QualificationValidity></BulkConfirmUnit>",
                                        (int)(e - q), q);
                q = e;
            }
            body = bulk_doc("1", units);
            free(units);
            logline("bulk final reception=R%06d key=%s", k + 1, r->key[0] ? r->key : "-");
        }
    }
    free(doc);
    if (body && r->key[0] && bulk_nkeys < 4 * BULK_MAX) {
        snprintf(bulk_keys[bulk_nkeys].key, sizeof bulk_keys[0].key, "%s", r->key);
        bulk_keys[bulk_nkeys++].body = strdup(body);
    }
    return body;
}

/* Answer one request; returns 0 to keep the connection, -1 to close it. */
static int answer(mbedtls_ssl_context *ssl, req *r, int n)
{
    char head[512];
    int status = 200;
    if (strncmp(mode, "bulk", 4) == 0) {
        int drop;
        pthread_mutex_lock(&bulk_lock);
        char *b = bulk_answer(r, &drop);
        pthread_mutex_unlock(&bulk_lock);
        if (b == NULL || drop) {
            free(b);
            return -1;
        }
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/xml; "
                 "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n", strlen(b));
        int rc = ssl_write_all(ssl, head, strlen(head)) || ssl_write_all(ssl, b, strlen(b));
        free(b);
        return rc ? -1 : 0;
    }
    if (strncmp(mode, "status:", 7) == 0 && (fail_n < 0 || n <= fail_n))
        status = atoi(mode + 7);
    if (status == 200 && strstr(r->url, "/oqs/v1/health") != NULL) {
        const char *b = "ok";
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                 "Content-Length: %zu\r\n\r\n", strlen(b));
        return (ssl_write_all(ssl, head, strlen(head)) || ssl_write_all(ssl, b, strlen(b))) ? -1 : 0;
    }
    if (status != 200) {
        const char *b = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>E503</Code>"
                        "<Message>fault injected</Message></Error>";
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d Fault\r\nContent-Type: application/xml; charset=UTF-8\r\n"
                 "Retry-After: 0\r\nContent-Length: %zu\r\n\r\n", status, strlen(b));
        return (ssl_write_all(ssl, head, strlen(head)) || ssl_write_all(ssl, b, strlen(b))) ? -1 : 0;
    }
    char pre[400];
    int pl = snprintf(pre, sizeof pre, "<Echo path=\"%s\" key=\"%s\" n=\"%d\">", r->url,
                      r->key[0] ? r->key : "-", n);
    const char *post = "</Echo>";
    size_t total = (size_t)pl + r->len + strlen(post);
    if (strcmp(mode, "slow") == 0)
        usleep((useconds_t)slow_ms * 1000);
    if (strcmp(mode, "close-mid") == 0) {
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", total + 1000);
        ssl_write_all(ssl, head, strlen(head));
        ssl_write_all(ssl, pre, (size_t)pl);
        return -1;
    }
    if (strcmp(mode, "oversize-cl") == 0 || strcmp(mode, "garbage") == 0) {
        const char *h = strcmp(mode, "garbage") == 0
                            ? "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n<XmlMsg>";
        ssl_write_all(ssl, h, strlen(h));
        return 0;
    }
    if (strcmp(mode, "oversize") == 0) {
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        ssl_write_all(ssl, head, strlen(head));
        static char chunk[4096 + 16];
        memset(chunk, 'x', sizeof chunk);
        for (int i = 0; i < 64; i++) {
            char h[16];
            snprintf(h, sizeof h, "1000\r\n");
            if (ssl_write_all(ssl, h, strlen(h)) || ssl_write_all(ssl, chunk, 4096) ||
                ssl_write_all(ssl, "\r\n", 2))
                return -1;
        }
        ssl_write_all(ssl, "0\r\n\r\n", 5);
        return 0;
    }
    if (strcmp(mode, "chunked") == 0 || strcmp(mode, "truncated") == 0) {
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/xml; "
                 "charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", pl);
        ssl_write_all(ssl, head, strlen(head));
        ssl_write_all(ssl, pre, (size_t)pl);
        if (strcmp(mode, "truncated") == 0) {
            ssl_write_all(ssl, "\r\n40\r\nonly-a-part", 17);
            return -1;
        }
        char h[32];
        snprintf(h, sizeof h, "\r\n%zx\r\n", r->len);
        ssl_write_all(ssl, h, strlen(h));
        if (r->len)
            ssl_write_all(ssl, r->body, r->len);
        snprintf(h, sizeof h, "\r\n%zx\r\n", strlen(post));
        ssl_write_all(ssl, h, strlen(h));
        ssl_write_all(ssl, post, strlen(post));
        return ssl_write_all(ssl, "\r\n0\r\n\r\n", 7) ? -1 : 0;
    }
    int eof = strcmp(mode, "eof") == 0;
    if (eof)
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/xml; "
                 "charset=UTF-8\r\nConnection: close\r\n\r\n");
    else
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/xml; "
                 "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n", total);
    /* One buffer so a keep-alive answer goes out in as few records as the request came. */
    size_t hl = strlen(head);
    char *all = malloc(hl + total);
    if (all == NULL)
        return -1;
    memcpy(all, head, hl);
    memcpy(all + hl, pre, (size_t)pl);
    if (r->len)
        memcpy(all + hl + pl, r->body, r->len);
    memcpy(all + hl + pl + r->len, post, strlen(post));
    int rc = 0;
    if (strcmp(mode, "drip") == 0) {
        /* one byte every --slow-ms: each read gets something, only a deadline ends it */
        for (size_t i = 0; i < hl + total && rc == 0; i++) {
            rc = ssl_write_all(ssl, all + i, 1);
            usleep((useconds_t)slow_ms * 1000);
        }
    } else {
        rc = ssl_write_all(ssl, all, hl + total);
    }
    free(all);
    /* close-after: a keep-alive answer, then the server drops the idle connection */
    return (rc || eof || strcmp(mode, "close-after") == 0) ? -1 : 0;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int one = 1;
    /* mbedTLS writes each handshake message with its own send(): without NODELAY, Nagle and
     * the peer's delayed ACK add ~40 ms to every handshake and would hide the client's cost. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_mutex_lock(&lock);
    int cid = ++conn_count;
    pthread_mutex_unlock(&lock);
    mbedtls_ssl_context ssl;
    mbedtls_ssl_init(&ssl);
    if (mbedtls_ssl_setup(&ssl, &conf) != 0)
        goto done;
    mbedtls_ssl_set_bio(&ssl, &fd, bio_send, bio_recv, NULL);
    int r;
    while ((r = mbedtls_ssl_handshake(&ssl)) != 0) {
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
            char e[120];
            mbedtls_strerror(r, e, sizeof e);
            logline("conn=%d handshake-failed %d %s", cid, r, e);
            goto done;
        }
    }
    logline("conn=%d handshake %s", cid, mbedtls_ssl_get_version(&ssl));
    http_parser_settings st;
    http_parser_settings_init(&st);
    st.on_url = on_url;
    st.on_header_field = on_field;
    st.on_header_value = on_value;
    st.on_body = on_body;
    st.on_message_complete = on_complete;
    for (;;) {
        req rq;
        memset(&rq, 0, sizeof rq);
        http_parser p;
        http_parser_init(&p, HTTP_REQUEST);
        p.data = &rq;
        unsigned char buf[16384];
        while (!rq.done) {
            int n = mbedtls_ssl_read(&ssl, buf, sizeof buf);
            if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
                continue;
            if (n <= 0) {
                free(rq.body);
                goto done;
            }
            http_parser_execute(&p, &st, (const char *)buf, (size_t)n);
            if (HTTP_PARSER_ERRNO(&p) != HPE_OK && HTTP_PARSER_ERRNO(&p) != HPE_PAUSED) {
                free(rq.body);
                goto done;
            }
        }
        pthread_mutex_lock(&lock);
        int n = ++req_count;
        pthread_mutex_unlock(&lock);
        logline("conn=%d req=%d %s %s key=%s len=%zu", cid, n, http_method_str(p.method),
                rq.url, rq.key[0] ? rq.key : "-", rq.len);
        int keep = answer(&ssl, &rq, n);
        free(rq.body);
        if (keep != 0 || !http_should_keep_alive(&p))
            break;
    }
    mbedtls_ssl_close_notify(&ssl);
done:
    mbedtls_ssl_free(&ssl);
    close(fd);
    return NULL;
}

static int ipv6_only;

static int listen_any(int *port)
{
    int one = 1;
    if (ipv6_only) { /* ::1 only: a client must reach it over IPv6 */
        int fd = socket(AF_INET6, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in6 a6;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_loopback;
        if (bind(fd, (struct sockaddr *)&a6, sizeof a6) != 0 || listen(fd, 64) != 0)
            return -1;
        socklen_t l6 = sizeof a6;
        getsockname(fd, (struct sockaddr *)&a6, &l6);
        *port = ntohs(a6.sin6_port);
        return fd;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0)
        return -1;
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- CONNECT proxy ---- */

static void *tunnel(void *arg)
{
    int cfd = (int)(intptr_t)arg, sfd = -1;
    char buf[16384];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t r = recv(cfd, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            goto out;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    char host[256];
    int port = 0;
    if (sscanf(buf, "CONNECT %255[^:]:%d HTTP/1.1", host, &port) != 2) {
        const char *e = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        send(cfd, e, strlen(e), MSG_NOSIGNAL);
        goto out;
    }
    logline("proxy CONNECT %s:%d", host, port);
    if (proxy_deny || (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0)) {
        const char *e = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        send(cfd, e, strlen(e), MSG_NOSIGNAL);
        goto out;
    }
    sfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(sfd, (struct sockaddr *)&a, sizeof a) != 0) {
        const char *e = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
        send(cfd, e, strlen(e), MSG_NOSIGNAL);
        goto out;
    }
    const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    send(cfd, ok, strlen(ok), MSG_NOSIGNAL);
    for (;;) {
        struct pollfd p[2] = {{cfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(p, 2, -1) <= 0)
            break;
        int from = (p[0].revents ? cfd : sfd), to = from == cfd ? sfd : cfd;
        ssize_t r = recv(from, buf, sizeof buf, 0);
        if (r <= 0 || send(to, buf, (size_t)r, MSG_NOSIGNAL) != r)
            break;
    }
out:
    if (sfd >= 0)
        close(sfd);
    close(cfd);
    return NULL;
}

static void *proxy_loop(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t t;
        pthread_create(&t, NULL, tunnel, (void *)(intptr_t)c);
        pthread_detach(t);
    }
    return NULL;
}

static void die(const char *what, int r)
{
    char e[200] = "";
    if (r)
        mbedtls_strerror(r, e, sizeof e);
    fprintf(stderr, "tls-server: %s %s\n", what, e);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *ca = NULL, *tlsmax = NULL, *logpath = NULL;
    int want_proxy = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--cert") && v) cert = argv[++i];
        else if (!strcmp(a, "--key") && v) key = argv[++i];
        else if (!strcmp(a, "--ca") && v) ca = argv[++i];
        else if (!strcmp(a, "--tls-max") && v) tlsmax = argv[++i];
        else if (!strcmp(a, "--mode") && v) mode = argv[++i];
        else if (!strcmp(a, "--fail") && v) fail_n = atoi(argv[++i]);
        else if (!strcmp(a, "--slow-ms") && v) slow_ms = atoi(argv[++i]);
        else if (!strcmp(a, "--log") && v) logpath = argv[++i];
        else if (!strcmp(a, "--proxy")) want_proxy = 1;
        else if (!strcmp(a, "--ipv6")) ipv6_only = 1;
        else if (!strcmp(a, "--proxy-deny")) want_proxy = proxy_deny = 1;
        else die("usage: --cert F --key F [--ca F] [--tls-max 1.1] [--mode M] [--fail N] "
                 "[--slow-ms N] [--proxy|--proxy-deny] [--log F]", 0);
    }
    if (!cert || !key)
        die("--cert and --key are required", 0);
    signal(SIGPIPE, SIG_IGN);
    if (logpath && !(logf_ = fopen(logpath, "a")))
        die("cannot open log", 0);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&srvcert);
    mbedtls_x509_crt_init(&cacert);
    mbedtls_pk_init(&pkey);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_cache_init(&cache);
    int r;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (psa_crypto_init() != PSA_SUCCESS) /* TLS 1.3 needs PSA */
        die("psa_crypto_init", 0);
#endif
    if ((r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0)))
        die("seed", r);
    if ((r = mbedtls_x509_crt_parse_file(&srvcert, cert)))
        die("cert", r);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    r = mbedtls_pk_parse_keyfile(&pkey, key, NULL, mbedtls_ctr_drbg_random, &drbg);
#else
    r = mbedtls_pk_parse_keyfile(&pkey, key, NULL);
#endif
    if (r)
        die("key", r);
    if ((r = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)))
        die("config", r);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_session_cache(&conf, &cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
#if defined(MBEDTLS_SSL_TICKET_C)
    mbedtls_ssl_ticket_init(&tickets);
    if ((r = mbedtls_ssl_ticket_setup(&tickets, mbedtls_ctr_drbg_random, &drbg,
                                      MBEDTLS_CIPHER_AES_256_GCM, 86400)))
        die("ticket setup", r);
    mbedtls_ssl_conf_session_tickets_cb(&conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                        &tickets);
#endif
    if ((r = mbedtls_ssl_conf_own_cert(&conf, &srvcert, &pkey)))
        die("own cert", r);
    if (ca) {
        if ((r = mbedtls_x509_crt_parse_file(&cacert, ca)))
            die("ca", r);
        mbedtls_ssl_conf_ca_chain(&conf, &cacert, NULL);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if (tlsmax && !strcmp(tlsmax, "1.2")) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        mbedtls_ssl_conf_max_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
        mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
    } else if (tlsmax && !strcmp(tlsmax, "1.1")) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        die("TLS 1.1 is not built into mbedTLS 3", 0);
#else
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_1);
        mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_2);
#endif
    }
    int port = 0, pport = 0;
    int lfd = listen_any(&port);
    if (lfd < 0)
        die("listen", 0);
    if (want_proxy) {
        int pfd = listen_any(&pport);
        if (pfd < 0)
            die("listen proxy", 0);
        pthread_t t;
        pthread_create(&t, NULL, proxy_loop, (void *)(intptr_t)pfd);
        pthread_detach(t);
        printf("PROXY %d\n", pport);
    }
    printf("PORT %d\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t t;
        pthread_create(&t, NULL, serve, (void *)(intptr_t)c);
        pthread_detach(t);
    }
}
