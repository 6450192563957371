/*
 * transport/ — HTTPS client (mbedTLS + http-parser). Internal; never installed.
 * The wire format is docs/protocol.md. This layer moves bytes: it does not interpret XmlMsg.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TRANSPORT_HTTPS_H
#define ONSHI_TRANSPORT_HTTPS_H

#include "core/core.h"

#include <mbedtls/net_sockets.h> /* MBEDTLS_ERR_NET_* only */
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

/* mbedTLS 3 hides struct members behind MBEDTLS_PRIVATE(); 2.28 has no such macro. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define ONSHI__MBP(x) MBEDTLS_PRIVATE(x)
#else
#define ONSHI__MBP(x) x
#endif

/* Parsed ONSHI_OPT_SERVER_URL / ONSHI_OPT_PROXY. */
typedef struct onshi__url {
    char host[256];
    char port[8];
    char base[512]; /* path prefix without trailing '/', may be "" */
} onshi__url;
int onshi__url_parse(onshi_ctx *ctx, const char *url, onshi__url *out);
int onshi__hostport_parse(onshi_ctx *ctx, const char *s, onshi__url *out);

/* TLS material built from the options; rebuilt when a relevant option changes. */
typedef struct onshi__tls_conf {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own;   /* client certificate chain (may be empty) */
    mbedtls_pk_context key;
    bool have_own;
    bool ready;
    unsigned char pin[32];
    bool have_pin;
    bool pin_failed;        /* set by the verify callback of the last handshake */
    unsigned char want_ip[16]; /* server given as an IP literal: its 4 or 16 bytes... */
    size_t want_ip_len;     /* ...checked against the certificate's iPAddress SANs (0: a name) */
    unsigned verify_calls;  /* certificate checks in the last handshake (0: resumed) */
    unsigned char sig[32];  /* SHA-256 over the options this was built from */
} onshi__tls_conf;

/* One connection (TCP, optional proxy tunnel, TLS) kept alive between exchanges. */
typedef struct onshi__conn {
    int fd;
    int wake[2];            /* self-pipe: onshi_ctx_cancel writes here to wake poll() */
    onshi_ctx *ctx;
    int64_t io_timeout_ms;  /* current per-read/write timeout */
    int64_t deadline_ms;    /* monotonic end of the whole call (http_deadline_ms); 0: none */
    bool deadline_hit;      /* the last timeout was the overall deadline */
    int io_status;          /* ONSHI_E_* of the last failed I/O (timeout, cancel, errno) */
    int io_errno;
    mbedtls_ssl_context ssl;
    bool ssl_ready;
    bool established;       /* handshake done, usable for keep-alive */
    mbedtls_ssl_session session;
    bool have_session;
    unsigned handshakes, resumed; /* counters for tests and benchmarks */
    struct onshi__tls_conf *tls; /* set by onshi__tls_ssl_setup: the conf ssl runs on... */
    char peer[256];         /* ...and the host name it was checked against */
    bool cert_requested;    /* the server sent a CertificateRequest in the last handshake */
    bool verdict_pending;   /* TLS 1.3 with a CertificateRequest and nothing read yet: the
                             * server's verdict on the client certificate may still come */
} onshi__conn;

/* The per-context HTTPS state (slot ONSHI__SLOT_HTTPS). */
typedef struct onshi__https {
    onshi__tls_conf tls;
    onshi__conn conn;
    char conn_key[600];     /* host:port(+proxy) the open connection goes to */
    char *paths[64];        /* per message type path overrides (index = ONSHI_MSG_*) */
    unsigned requests_sent; /* requests written to the wire, retries included */
} onshi__https;

/* Get (creating it on first use) the HTTPS state of ctx. NULL only on out of memory. */
onshi__https *onshi__https_state(onshi_ctx *ctx);

/* ---- tls.c ---- */
void onshi__tls_conf_init(onshi__tls_conf *t);
void onshi__tls_conf_free(onshi__tls_conf *t);
/* (Re)build t from the options of ctx if they changed. Loads CA, client cert/key or
 * PKCS#12, pin. Reports the client certificate's expiry through the callback of hs (may be
 * NULL). Returns ONSHI_OK or an ONSHI_E_* recorded on ctx. */
int onshi__tls_conf_load(onshi_ctx *ctx, onshi__tls_conf *t, onshi__https *hs);
/* Build t fresh with the CA and pin only, no client certificate (diagnose checks the
 * server's certificate independently of the client's). */
int onshi__tls_conf_server_only(onshi_ctx *ctx, onshi__tls_conf *t);
/* Prepare conn->ssl for a handshake with `host` (SNI and name check) on t. */
int onshi__tls_ssl_setup(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, const char *host);
/* Translate the failed handshake result `ret` into an ONSHI_E_* recorded on ctx, keeping
 * the MBEDTLS_ERR_* as foreign detail and the verify flags in the English text. */
int onshi__tls_map_error(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, int ret,
                         const char *host);
/* Run the handshake of c (like mbedtls_ssl_handshake, step by step so that a server's
 * CertificateRequest is noticed). Returns 0 or an MBEDTLS_ERR_* (WANT_READ/WRITE included). */
int onshi__tls_handshake(onshi__conn *c);
/* A read or write on an established connection failed with `ret`. Under TLS 1.3 the server
 * judges the client certificate after the client's side of the handshake has ended, so its
 * refusal (an alert) arrives on the first read, or sits unread when a write fails on the
 * reset that follows it. When ret (or the alert waiting on c) is such a TLS verdict, record
 * the same ONSHI_E_* as the handshake under TLS 1.2 would and return it; otherwise return
 * ONSHI_OK and leave c's I/O status as it was (the caller reports its own error). */
int onshi__tls_io_error(onshi_ctx *ctx, onshi__conn *c, int ret, bool was_write);
/* After a completed handshake (handshake true) or a NewSessionTicket read from c: count a
 * resumption (no certificate was checked) and keep what a later handshake can resume from
 * (TLS 1.3: the ticket, which arrives after the handshake). */
void onshi__tls_save_session(onshi__conn *c, bool handshake);
/* Did c negotiate TLS 1.3? */
bool onshi__tls13(const onshi__conn *c);
/* Days until the certificate expires (negative: expired that many days ago). */
int onshi__crt_days_left(const mbedtls_x509_crt *crt);
/* Load the client certificate only (cert+key or PKCS#12) into own/key. */
int onshi__tls_load_client(onshi_ctx *ctx, mbedtls_x509_crt *own, mbedtls_pk_context *key,
                           bool *have_own);

/* ---- pkcs12.c ---- */
/* Parse a PKCS#12 (PFX) file: verify its MAC with the password, decrypt the bags (PBES2
 * with PBKDF2-HMAC-SHA1/SHA-256 and AES-CBC or 3DES, or the PKCS#12 PBE with 3DES) and
 * return the end-entity certificate (first, then the rest of the chain) and its key.
 * Wrong password → ONSHI_E_CLIENT_CERT_PASSWORD; anything unreadable → ONSHI_E_CLIENT_CERT. */
int onshi__pkcs12_parse(onshi_ctx *ctx, const unsigned char *der, size_t len,
                        const char *password, mbedtls_x509_crt *crt, mbedtls_pk_context *key);
/* Does key's public half equal the certificate's SubjectPublicKeyInfo? */
int onshi__pk_matches_crt(const mbedtls_x509_crt *c, mbedtls_pk_context *key);
int onshi__pkcs12_parse_file(onshi_ctx *ctx, const char *path, const char *password,
                             mbedtls_x509_crt *crt, mbedtls_pk_context *key);

/* ---- net.c ---- */
void onshi__conn_init(onshi__conn *c);
/* Close the socket and TLS state; keeps the saved session for resumption. */
void onshi__conn_close(onshi__conn *c);
void onshi__conn_free(onshi__conn *c);
/* Resolve and connect to host:port within timeout_ms, trying every address (IPv6 and
 * IPv4). dns_status is the code a resolution failure maps to (ONSHI_E_DNS, or ONSHI_E_PROXY
 * for the proxy's name). */
int onshi__tcp_connect(onshi_ctx *ctx, onshi__conn *c, const char *host, const char *port,
                       int64_t timeout_ms, int dns_status);
/* Ask the proxy on c->fd to open a tunnel to host:port (HTTP CONNECT). */
int onshi__proxy_connect(onshi_ctx *ctx, onshi__conn *c, const char *host, const char *port,
                         int64_t timeout_ms);
/* mbedTLS BIO callbacks on c (poll with timeout and the wake pipe). */
int onshi__bio_send(void *c, const unsigned char *buf, size_t len);
int onshi__bio_recv(void *c, unsigned char *buf, size_t len);
/* Raw socket I/O with the same timeout/cancel rules (used before TLS, for the proxy). */
int onshi__sock_write_all(onshi__conn *c, const void *p, size_t n);
int onshi__sock_read_some(onshi__conn *c, void *p, size_t n); /* >0 bytes, 0 EOF, <0 err */
/* Install/remove the cancellation hook writing to c->wake. */
void onshi__conn_arm_cancel(onshi_ctx *ctx, onshi__conn *c);
void onshi__conn_disarm_cancel(onshi_ctx *ctx);
/* Sleep ms, woken early by cancellation (then ONSHI_E_CANCELLED). */
int onshi__conn_sleep(onshi_ctx *ctx, onshi__conn *c, int64_t ms);
/* Record the ONSHI_E_* for a failed I/O in c (timeout, cancel, errno) on ctx. */
int onshi__conn_io_error(onshi_ctx *ctx, onshi__conn *c, const char *what);

/* ---- http.c ---- */
/* Path for a message type: the override, else "<base>/oqs/v1/<name>" (docs/protocol.md). */
int onshi__https_path(onshi_ctx *ctx, onshi__https *hs, int msgtype, const char *base,
                      char *out, size_t outsz);
/* POST body to path and return the 2xx body in resp (initialised by the caller). Retries
 * per the idempotency rule. *http_status gets the last status seen (0 if none). */
int onshi__https_post(onshi_ctx *ctx, const char *path, const char *content_type,
                      const void *body, size_t len, const char *idem_key, int *http_status,
                      onshi_buf *resp);
/* TCP (to the proxy when pu is not NULL), CONNECT tunnel, TLS handshake on c with t.
 * *stage (may be NULL) gets the step that ran last: 1 TCP, 2 proxy, 3 TLS. */
int onshi__https_open(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, const onshi__url *u,
                      const onshi__url *pu, int *stage);
/* Open (or reuse) the connection only: TCP, proxy, TLS handshake (used by diagnose). */
int onshi__https_connect(onshi_ctx *ctx, onshi__https *hs);

/* onshi_https_exchange with the last HTTP status seen (0 if none) in *out_http_status (may be
 * NULL): for the tests of retries and status handling. */
int onshi__https_exchange(onshi_buf **out_body, int *out_http_status, onshi_ctx *ctx,
                          int msgtype, const void *body, size_t len, const char *idempotency_key);

#endif /* ONSHI_TRANSPORT_HTTPS_H */
