/*
 * The HTTPS side: mbedTLS server with a REQUIRED client certificate, session resumption
 * (cache and tickets), keep-alive, a thread per connection with deadlines and a budget,
 * requests parsed through transport/httpwire.h. The
 * binding (paths, headers, status codes) is described in docs/simulator.md.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include "transport/httpwire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY SIM_MAX_REQUEST
#define IDLE_TIMEOUT_MS 65000 /* protocol.md: keep idle connections at least 60 s */
#define READ_SLICE_MS 500
#define IDEM_SLOTS 64
/* Hostile clients (docs/reliability.md): each connection has its own thread, so an idle or
 * slow one never blocks another; and deadlines and a budget so none is held for ever. */
#define MAX_CONNS 256                 /* connections served at once; more are refused */
#define HANDSHAKE_MS 10000            /* TLS handshake, from accept */
#define HEADER_MS 10000               /* a request's header block, from its first byte */
#define REQUEST_MS 60000              /* a whole request, from its first byte */
#define CONN_BYTES (256u * 1024 * 1024) /* bytes read on one connection */
#define CONN_REQUESTS 100000          /* requests on one connection */

typedef struct server {
    sim_env *env;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    pthread_mutex_t rng_lock;
    mbedtls_x509_crt cert, client_ca;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
    mbedtls_ssl_cache_context cache;
    mbedtls_ssl_ticket_context ticket;
    int lfd;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    int active; /* connection threads running */
    /* Idempotency-Key → stored response, so a retried POST gets the same answer. */
    pthread_mutex_t ilock;
    struct {
        char key[600];          /* client CN + path + Idempotency-Key */
        unsigned char hash[32]; /* SHA-256 of the request body */
        bool running;
        sim_out out;
    } idem[IDEM_SLOTS];
    int inext;
} server;

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int locked_rng(void *ctx, unsigned char *out, size_t len)
{
    server *s = ctx;
    pthread_mutex_lock(&s->rng_lock);
    int rc = mbedtls_ctr_drbg_random(&s->drbg, out, len);
    pthread_mutex_unlock(&s->rng_lock);
    return rc;
}

/* ---- one HTTP request ----------------------------------------------------------------- */
typedef struct hreq {
    char url[256];
    char fault[64];
    char idem[80];
    unsigned char *body;
    size_t blen;
    bool done, too_big, headers_done, keep;
    char method[16];
} hreq;

static int on_url(void *ud, const char *at, size_t n)
{
    hreq *r = ud;
    size_t l = strlen(r->url);
    if (l + n >= sizeof r->url)
        n = sizeof r->url - 1 - l;
    memcpy(r->url + l, at, n);
    r->url[l + n] = '\0';
    return 0;
}

static int on_header(void *ud, const char *name, const char *value)
{
    hreq *r = ud;
    if (strcasecmp(name, "X-Onshi-Sim-Fault") == 0)
        snprintf(r->fault, sizeof r->fault, "%s", value);
    else if (strcasecmp(name, "Idempotency-Key") == 0)
        snprintf(r->idem, sizeof r->idem, "%s", value);
    return 0;
}

static int on_headers_done(void *ud, const onshi__http_head *h)
{
    hreq *r = ud;
    r->headers_done = true;
    r->keep = h->keep_alive;
    snprintf(r->method, sizeof r->method, "%s", h->method ? h->method : "?");
    if (h->content_length > (int64_t)MAX_BODY) {
        r->too_big = true; /* answered 413 at once, without reading the body */
        return -1;
    }
    return 0;
}

static int on_chunk(void *ud, uint64_t size)
{
    hreq *r = ud;
    if (size > MAX_BODY - r->blen) {
        r->too_big = true;
        return -1;
    }
    return 0;
}

static int on_body(void *ud, const char *at, size_t n)
{
    hreq *r = ud;
    if (r->blen + n > MAX_BODY) {
        r->too_big = true;
        return 1;
    }
    unsigned char *nb = realloc(r->body, r->blen + n + 1);
    if (!nb)
        return 1;
    r->body = nb;
    memcpy(r->body + r->blen, at, n);
    r->blen += n;
    r->body[r->blen] = '\0';
    return 0;
}

static int on_complete(void *ud)
{
    ((hreq *)ud)->done = true;
    return 0;
}

static int ssl_write_all(mbedtls_ssl_context *ssl, const unsigned char *d, size_t n)
{
    while (n > 0) {
        int w = mbedtls_ssl_write(ssl, d, n);
        if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (w <= 0)
            return -1;
        d += w;
        n -= (size_t)w;
    }
    return 0;
}

static const char *reason(int st)
{
    switch (st) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static int send_response(mbedtls_ssl_context *ssl, int status, const char *ctype,
                         const unsigned char *body, size_t len, size_t send_len, bool keep)
{
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nServer: onshi-sim\r\nContent-Type: %s\r\n"
                      "Content-Length: %zu\r\n%sConnection: %s\r\n\r\n",
                      status, reason(status), ctype, len,
                      status == 503 ? "Retry-After: 1\r\n" : "", keep ? "keep-alive" : "close");
    if (ssl_write_all(ssl, (const unsigned char *)head, (size_t)hl) != 0)
        return -1;
    return send_len ? ssl_write_all(ssl, body, send_len) : 0;
}

/* Idempotency (protocol.md §5): (client, key) → (body hash, response). Returns 0 new (slot
 * reserved as running), 1 stored answer copied to *copy, 409 conflict. */
static int idem_begin(server *s, const char *key, const unsigned char hash[32], sim_out *copy)
{
    int rc = 0;
    pthread_mutex_lock(&s->ilock);
    for (int i = 0; i < IDEM_SLOTS; i++) {
        if (!s->idem[i].key[0] || strcmp(s->idem[i].key, key) != 0)
            continue;
        if (memcmp(s->idem[i].hash, hash, 32) != 0 || s->idem[i].running) {
            rc = 409;
        } else {
            *copy = s->idem[i].out;
            copy->data = malloc(copy->len ? copy->len : 1);
            rc = copy->data ? 1 : 409;
            if (copy->data)
                memcpy(copy->data, s->idem[i].out.data, copy->len);
        }
        pthread_mutex_unlock(&s->ilock);
        return rc;
    }
    int i = s->inext;
    s->inext = (s->inext + 1) % IDEM_SLOTS;
    sim_out_free(&s->idem[i].out);
    snprintf(s->idem[i].key, sizeof s->idem[i].key, "%s", key);
    memcpy(s->idem[i].hash, hash, 32);
    s->idem[i].running = true;
    pthread_mutex_unlock(&s->ilock);
    return 0;
}

/* Stores the answer (o == NULL: forget the key, e.g. after an injected fault). */
static void idem_end(server *s, const char *key, const sim_out *o)
{
    pthread_mutex_lock(&s->ilock);
    for (int i = 0; i < IDEM_SLOTS; i++) {
        if (!s->idem[i].key[0] || strcmp(s->idem[i].key, key) != 0 || !s->idem[i].running)
            continue;
        s->idem[i].running = false;
        s->idem[i].out = o ? *o : (sim_out){0};
        s->idem[i].out.data = o ? malloc(o->len ? o->len : 1) : NULL;
        if (s->idem[i].out.data)
            memcpy(s->idem[i].out.data, o->data, o->len);
        else
            s->idem[i].key[0] = '\0';
        break;
    }
    pthread_mutex_unlock(&s->ilock);
}

/* Non-2xx answers carry <Error><Code/><Message/></Error> (protocol.md §4). */
static void error_body(sim_out *o, int status, const char *code, const char *msg)
{
    char buf[1024];
    size_t ml = strcspn(msg, "\n");
    int n = snprintf(buf, sizeof buf,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
                     "<Message>%.*s</Message></Error>\n", code, (int)(ml > 800 ? 800 : ml), msg);
    sim_out_free(o);
    o->data = malloc((size_t)n + 1);
    if (o->data) {
        memcpy(o->data, buf, (size_t)n + 1);
        o->len = (size_t)n;
    }
    o->status = status;
    o->ctype = "application/xml; charset=UTF-8";
    o->ext = "xml";
}

/* Serves one parsed request. Returns false when the connection must be dropped. */
static bool serve_one(server *s, mbedtls_ssl_context *ssl, int fd, hreq *r, const char *peer)
{
    int64_t t0 = sim_now_ms();
    sim_fault f = s->env->fault;
    sim_out o = {0};
    char err[512] = "", ikey[600] = "";
    const char *path = r->url;
    bool keep = r->keep && !r->too_big; /* an unread body: the connection cannot go on */
    sim_fault armed;
    /* Armed faults are for message requests, not for health checks or the control itself. */
    if (strncmp(path, "/oqs/v1/", 8) == 0 && strcmp(path, "/oqs/v1/health") != 0 &&
        sim_fault_take_armed(&armed))
        f = armed;
    if (r->fault[0] && sim_fault_parse(&f, r->fault) != 0) {
        snprintf(err, sizeof err, "unknown fault '%s'", r->fault);
        error_body(&o, 400, "SIM-FAULT", err);
    } else if (r->too_big) {
        error_body(&o, 413, "HTTP413", "request body too large");
    } else if (strcmp(r->method, "GET") == 0 &&
               (strcmp(path, "/oqs/v1/health") == 0 || strcmp(path, "/sim/health") == 0)) {
        o.data = malloc(3);
        if (o.data)
            memcpy(o.data, "ok\n", 3);
        o.len = o.data ? 3 : 0;
        o.status = 200;
        o.ctype = "text/plain; charset=UTF-8";
    } else if (strcmp(r->method, "POST") != 0) {
        error_body(&o, 405, "HTTP405", "only POST is served (GET for health)");
    } else if (strcmp(path, "/sim/fault") == 0) {
        /* Control endpoint: "name[=arg] [count]" arms a fault for the next requests. */
        char spec[64] = "";
        int count = 1;
        sim_fault nf;
        if (r->body && sscanf((const char *)r->body, "%63s %d", spec, &count) >= 1 &&
            sim_fault_parse(&nf, spec) == 0) {
            sim_fault_arm(&nf, count);
            snprintf(err, sizeof err, "armed %s for %d request(s)\n", spec, count);
            o.data = (unsigned char *)strdup(err);
            o.len = o.data ? strlen(err) : 0;
            o.status = 200;
            o.ctype = "text/plain; charset=UTF-8";
        } else {
            error_body(&o, 400, "SIM-FAULT", "usage: POST /sim/fault, body 'name[=arg] [count]'");
        }
    } else if (strncmp(path, "/oqs/v1/", 8) == 0 && path[8]) {
        const char *prefix = strcmp(path + 8, "cardauth/challenge") == 0 ? "cardauth-challenge"
                                                                           : path + 8;
        int idem = 0;
        if (r->idem[0]) {
            unsigned char hash[32];
            mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                       r->body ? r->body : (const unsigned char *)"", r->blen, hash);
            snprintf(ikey, sizeof ikey, "%s|%s|%s", peer, path, r->idem);
            idem = idem_begin(s, ikey, hash, &o);
            if (idem == 409)
                error_body(&o, 409, "HTTP409", "Idempotency-Key reused with another body, or "
                                               "its first request is still running");
        }
        if (idem == 0) {
            int rc = sim_process(s->env, prefix, r->body ? r->body : (const unsigned char *)"",
                                 r->blen, &f, peer, &o, err, sizeof err);
            if (rc == SIM_E_FORBIDDEN)
                error_body(&o, 403, "HTTP403", err);
            else if (rc != 0)
                error_body(&o, strstr(err, "unknown message type") ? 404
                               : strncmp(err, "internal", 8) == 0 ? 500 : 400,
                           strstr(err, "unknown message type") ? "HTTP404" : "HTTP400", err);
            if (ikey[0])
                idem_end(s, ikey, rc == 0 && f.kind == SIM_FAULT_NONE ? &o : NULL);
        }
    } else {
        error_body(&o, 404, "HTTP404", "no such path");
    }
    if (f.kind == SIM_FAULT_LATENCY)
        sim_sleep_ms(f.arg);
    bool ok = true;
    int status = o.status ? o.status : 200;
    if (f.kind == SIM_FAULT_RESET) {
        /* RST instead of an answer: linger 0, no close_notify. */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ok = false;
        status = 0;
    } else if (f.kind == SIM_FAULT_HTTP500 || f.kind == SIM_FAULT_HTTP503) {
        status = f.kind == SIM_FAULT_HTTP500 ? 500 : 503;
        error_body(&o, status, status == 500 ? "HTTP500" : "HTTP503",
                   status == 500 ? "simulated internal error" : "simulated overload");
        ok = send_response(ssl, status, o.ctype, o.data, o.len, o.len, keep) == 0 && keep;
    } else if (f.kind == SIM_FAULT_TRUNCATE) {
        send_response(ssl, status, o.ctype, o.data, o.len, o.len / 2, true);
        ok = false;
    } else {
        ok = send_response(ssl, status, o.ctype ? o.ctype : "text/plain", o.data, o.len, o.len,
                           keep) == 0 && keep;
    }
    /* One line per request; no personal data (bodies are never logged). */
    sim_log("https: %s %s %s -> %d %zu bytes %lld ms%s%s", peer, r->method,
            path, status, o.len, (long long)(sim_now_ms() - t0), f.kind ? " fault " : "",
            f.kind ? sim_fault_name(f.kind) : "");
    sim_out_free(&o);
    return ok;
}

static void answer_plain(mbedtls_ssl_context *ssl, int status, const char *m, const char *peer)
{
    send_response(ssl, status, "text/plain; charset=UTF-8", (const unsigned char *)m, strlen(m),
                  strlen(m), false);
    sim_log("https: %s -> %d %s", peer, status, m);
}

static void serve_conn(server *s, int fd)
{
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    char peer[128] = "?";
    mbedtls_net_init(&net);
    net.fd = fd;
    mbedtls_ssl_init(&ssl);
    onshi__http *p = NULL;
    if (mbedtls_ssl_setup(&ssl, &s->conf) != 0)
        goto out;
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    int rc;
    /* One deadline for the whole handshake: a client trickling bytes (or sending no TLS at
     * all) is dropped after HANDSHAKE_MS, whatever it does. */
    int64_t hs_end = sim_now_ms() + HANDSHAKE_MS;
    while ((rc = mbedtls_ssl_handshake(&ssl)) != 0) {
        if (g_stop || sim_now_ms() >= hs_end) {
            sim_log("https: handshake not finished within %d ms: dropped", HANDSHAKE_MS);
            goto out;
        }
        if (rc == MBEDTLS_ERR_SSL_TIMEOUT || rc == MBEDTLS_ERR_SSL_WANT_READ ||
            rc == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        char msg[128];
        mbedtls_strerror(rc, msg, sizeof msg);
        sim_log("https: handshake refused: %s", msg);
        goto out;
    }
    const mbedtls_x509_crt *pc = mbedtls_ssl_get_peer_cert(&ssl);
    if (pc) {
        char dn[256];
        if (mbedtls_x509_dn_gets(dn, sizeof dn, &pc->subject) > 0) {
            const char *cn = strstr(dn, "CN=");
            snprintf(peer, sizeof peer, "%.100s", cn ? cn + 3 : dn);
        }
    }
    hreq r;
    onshi__http_cbs cbs = {&r, on_url, on_header, on_headers_done, on_body, on_chunk, on_complete};
    p = onshi__http_new(true, &cbs);
    if (p == NULL)
        goto out;
    unsigned char buf[16384];
    size_t have = 0, conn_bytes = 0;
    unsigned requests = 0;
    bool alive = true;
    while (alive && !g_stop) {
        memset(&r, 0, sizeof r);
        onshi__http_reset(p);
        bool bad = false, started = have > 0;
        int64_t idle_end = sim_now_ms() + IDLE_TIMEOUT_MS, t_start = started ? sim_now_ms() : 0;
        while (!r.done && !bad) {
            if (have == 0) {
                int64_t now = sim_now_ms();
                if (started && ((!r.headers_done && now - t_start >= HEADER_MS) ||
                                now - t_start >= REQUEST_MS)) {
                    answer_plain(&ssl, 408, r.headers_done ? "request not received in time\n"
                                                           : "request headers not received in time\n",
                                 peer);
                    bad = true;
                    alive = false;
                    break;
                }
                int n = mbedtls_ssl_read(&ssl, buf, sizeof buf);
                if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
                    continue;
                /* Reads wait in slices so a stopping server does not hang on idle clients. */
                if (n == MBEDTLS_ERR_SSL_TIMEOUT && !g_stop && (started || now < idle_end))
                    continue;
                if (n <= 0) {
                    bad = true;
                    alive = false;
                    break;
                }
                have = (size_t)n;
                conn_bytes += have;
                if (!started) {
                    started = true;
                    t_start = sim_now_ms();
                }
                if (conn_bytes > CONN_BYTES) {
                    answer_plain(&ssl, 413, "connection budget used up\n", peer);
                    bad = true;
                    alive = false;
                    break;
                }
            }
            size_t used = onshi__http_feed(p, (const char *)buf, have);
            const char *why = "";
            if (onshi__http_state(p, &why) == ONSHI__HTTP_ERROR) {
                if (r.too_big) {
                    r.done = true;
                    have = 0;
                    break;
                }
                answer_plain(&ssl, 400, "malformed HTTP request\n", peer);
                bad = true;
                alive = false;
                break;
            }
            memmove(buf, buf + used, have - used);
            have -= used;
        }
        if (bad)
            break;
        alive = serve_one(s, &ssl, fd, &r, peer) && ++requests < CONN_REQUESTS;
        free(r.body);
        r.body = NULL;
    }
    if (alive)
        mbedtls_ssl_close_notify(&ssl);
out:
    onshi__http_free(p);
    mbedtls_ssl_free(&ssl);
    close(fd);
}

typedef struct conn_arg {
    server *s;
    int fd;
} conn_arg;

static void *conn_thread(void *arg)
{
    conn_arg *a = arg;
    server *s = a->s;
    serve_conn(s, a->fd);
    free(a);
    pthread_mutex_lock(&s->qlock);
    s->active--;
    pthread_cond_broadcast(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    return NULL;
}

static int tls_setup(server *s, const sim_serve_opts *o)
{
    char msg[160];
    int rc;
    static const char pers[] = "onshi-sim";
    if ((rc = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
                                    (const unsigned char *)pers, sizeof pers - 1)) != 0 ||
        (rc = mbedtls_x509_crt_parse_file(&s->cert, o->cert)) != 0 ||
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        (rc = mbedtls_pk_parse_keyfile(&s->key, o->key, NULL, locked_rng, s)) != 0 ||
#else
        (rc = mbedtls_pk_parse_keyfile(&s->key, o->key, NULL)) != 0 ||
#endif
        (rc = mbedtls_x509_crt_parse_file(&s->client_ca, o->client_ca)) != 0 ||
        (rc = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                          MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT)) != 0 ||
        (rc = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key)) != 0 ||
        (rc = mbedtls_ssl_ticket_setup(&s->ticket, locked_rng, s, MBEDTLS_CIPHER_AES_256_GCM,
                                       86400)) != 0) {
        mbedtls_strerror(rc, msg, sizeof msg);
        fprintf(stderr, "onshi-sim: TLS setup (cert %s, key %s, client CA %s): %s\n", o->cert,
                o->key, o->client_ca, msg);
        return -1;
    }
    mbedtls_ssl_conf_rng(&s->conf, locked_rng, s);
    mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&s->conf, &s->client_ca, NULL);
    mbedtls_ssl_conf_read_timeout(&s->conf, READ_SLICE_MS);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(&s->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
#endif
    mbedtls_ssl_conf_session_cache(&s->conf, &s->cache, mbedtls_ssl_cache_get,
                                   mbedtls_ssl_cache_set);
    mbedtls_ssl_conf_session_tickets_cb(&s->conf, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &s->ticket);
    return 0;
}

static int listen_on(const char *spec, int *port_out)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port_out = ntohs(a.sin_port);
    return fd;
}

int sim_serve(sim_env *env, const sim_serve_opts *o)
{
    server *s = calloc(1, sizeof *s);
    int port = 0, rc = -1;
    /* --workers N (kept for compatibility) raises the cap of concurrent connections */
    int max_conns = o->workers > 0 && o->workers * 16 > MAX_CONNS ? o->workers * 16 : MAX_CONNS;
    if (!s)
        return -1;
    s->env = env;
    pthread_mutex_init(&s->rng_lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_mutex_init(&s->ilock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_x509_crt_init(&s->cert);
    mbedtls_x509_crt_init(&s->client_ca);
    mbedtls_pk_init(&s->key);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_cache_init(&s->cache);
    mbedtls_ssl_ticket_init(&s->ticket);
    if (tls_setup(s, o) != 0)
        goto done;
    s->lfd = listen_on(o->listen, &port);
    if (s->lfd < 0) {
        fprintf(stderr, "onshi-sim: cannot listen on %s (use 127.0.0.1:PORT; 0 = any free port)\n",
                o->listen);
        goto done;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (o->pidfile) {
        FILE *pf = fopen(o->pidfile, "w");
        if (pf) {
            fprintf(pf, "%ld\n", (long)getpid());
            fclose(pf);
        }
    }
    printf("onshi-sim: listening on 127.0.0.1:%d\nPORT=%d\n", port, port);
    fflush(stdout);
    while (!g_stop) {
        int cfd = accept(s->lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            sim_sleep_ms(10);
            continue;
        }
        struct timeval tv = {IDLE_TIMEOUT_MS / 1000, 0};
        setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        /* Header and body leave in separate records; without NODELAY, Nagle and delayed ACK
         * add ~40 ms to every keep-alive answer. */
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&s->qlock);
        if (s->active >= max_conns) {
            pthread_mutex_unlock(&s->qlock);
            close(cfd); /* overloaded: refuse rather than hold without bound */
            continue;
        }
        conn_arg *ca = malloc(sizeof *ca);
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 1024 * 1024);
        if (ca != NULL) {
            ca->s = s;
            ca->fd = cfd;
        }
        if (ca == NULL || pthread_create(&th, &at, conn_thread, ca) != 0) {
            pthread_mutex_unlock(&s->qlock);
            pthread_attr_destroy(&at);
            free(ca);
            close(cfd);
            continue;
        }
        s->active++;
        pthread_attr_destroy(&at);
        pthread_mutex_unlock(&s->qlock);
    }
    /* Connection threads finish (idle ones notice g_stop within a read slice). */
    close(s->lfd);
    pthread_mutex_lock(&s->qlock);
    while (s->active > 0)
        pthread_cond_wait(&s->qcond, &s->qlock);
    pthread_mutex_unlock(&s->qlock);
    rc = 0;
done:
    for (int i = 0; i < IDEM_SLOTS; i++)
        sim_out_free(&s->idem[i].out);
    mbedtls_ssl_ticket_free(&s->ticket);
    mbedtls_ssl_cache_free(&s->cache);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_pk_free(&s->key);
    mbedtls_x509_crt_free(&s->client_ca);
    mbedtls_x509_crt_free(&s->cert);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->entropy);
    free(s);
    return rc;
}
