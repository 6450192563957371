/*
 * TLS configuration of the HTTPS transport (mbedTLS 2.28 and 3.6): TLS 1.2 minimum, the
 * server certificate and host name always verified against the configured CA files (there
 * is deliberately no switch to turn this off), optional pinning of the server key, client
 * certificate from PEM/DER or PKCS#12, and a precise translation of handshake failures.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include "crypto/crypto.h"

#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- URL ---- */

static int split_hostport(onshi_ctx *ctx, const char *s, size_t n, onshi__url *out,
                          const char *defport)
{
    const char *colon = NULL;
    if (n > 0 && s[0] == '[') { /* [IPv6]:port */
        const char *rb = memchr(s, ']', n);
        if (rb == NULL)
            return onshi__err(ctx, ONSHI_E_CONFIG, "unterminated '[' in host");
        size_t hl = (size_t)(rb - s - 1);
        if (hl == 0 || hl >= sizeof out->host)
            return onshi__err(ctx, ONSHI_E_CONFIG, "bad IPv6 host");
        memcpy(out->host, s + 1, hl);
        out->host[hl] = '\0';
        if ((size_t)(rb + 1 - s) < n && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(s, ':', n);
        size_t hl = colon ? (size_t)(colon - s) : n;
        if (hl == 0 || hl >= sizeof out->host)
            return onshi__err(ctx, ONSHI_E_CONFIG, "missing or too long host name");
        memcpy(out->host, s, hl);
        out->host[hl] = '\0';
    }
    if (colon != NULL) {
        size_t pl = n - (size_t)(colon + 1 - s);
        if (pl == 0 || pl >= sizeof out->port || strspn(colon + 1, "0123456789") < pl)
            return onshi__err(ctx, ONSHI_E_CONFIG, "bad port in \"%.*s\"", (int)n, s);
        memcpy(out->port, colon + 1, pl);
        out->port[pl] = '\0';
    } else {
        snprintf(out->port, sizeof out->port, "%s", defport);
    }
    return ONSHI_OK;
}

int onshi__url_parse(onshi_ctx *ctx, const char *url, onshi__url *out)
{
    memset(out, 0, sizeof *out);
    if (url == NULL || url[0] == '\0')
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "server_url is not set", "接続先URL（server_url）が設定されていません");
    if (strncmp(url, "https://", 8) != 0)
        return onshi__err(ctx, ONSHI_E_CONFIG,
                          "server_url must start with https:// (plain HTTP is not offered)");
    const char *h = url + 8;
    size_t hl = strcspn(h, "/?#");
    int rc = split_hostport(ctx, h, hl, out, "443");
    if (rc != ONSHI_OK)
        return rc;
    const char *path = h + hl;
    size_t pl = strcspn(path, "?#");
    while (pl > 0 && path[pl - 1] == '/')
        pl--;
    if (pl >= sizeof out->base)
        return onshi__err(ctx, ONSHI_E_CONFIG, "server_url path too long");
    memcpy(out->base, path, pl);
    out->base[pl] = '\0';
    return ONSHI_OK;
}

int onshi__hostport_parse(onshi_ctx *ctx, const char *s, onshi__url *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(s, "http://", 7) == 0)
        s += 7;
    size_t n = strcspn(s, "/");
    return split_hostport(ctx, s, n, out, "8080");
}

/* ---- configuration ---- */

void onshi__tls_conf_init(onshi__tls_conf *t)
{
    memset(t, 0, sizeof *t);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_x509_crt_init(&t->own);
    mbedtls_pk_init(&t->key);
}

void onshi__tls_conf_free(onshi__tls_conf *t)
{
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_x509_crt_free(&t->own);
    mbedtls_pk_free(&t->key);
    mbedtls_platform_zeroize(t, sizeof *t);
}

static void sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_sha256(p, n, out, 0);
#else
    mbedtls_sha256_ret(p, n, out, 0);
#endif
}

/* Hash every option the TLS material depends on, secrets included, so a change of any of
 * them rebuilds the configuration without keeping a password in clear outside the options. */
static void conf_signature(const onshi_ctx *ctx, unsigned char out[32])
{
    static const int ids[] = {ONSHI_OPT_TLS_CA_FILE,          ONSHI_OPT_TLS_CLIENT_CERT,
                              ONSHI_OPT_TLS_CLIENT_KEY,       ONSHI_OPT_TLS_CLIENT_KEY_PASSWORD,
                              ONSHI_OPT_TLS_PKCS12_FILE,      ONSHI_OPT_TLS_PKCS12_PASSWORD};
    mbedtls_sha256_context h;
    mbedtls_sha256_init(&h);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_sha256_starts(&h, 0);
#define SHA_UPDATE mbedtls_sha256_update
#define SHA_FINISH mbedtls_sha256_finish
#else
    mbedtls_sha256_starts_ret(&h, 0);
#define SHA_UPDATE mbedtls_sha256_update_ret
#define SHA_FINISH mbedtls_sha256_finish_ret
#endif
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *s = onshi__opt_str(ctx, ids[i]);
        unsigned char sep = (unsigned char)(0x80 + i);
        if (s != NULL)
            SHA_UPDATE(&h, (const unsigned char *)s, strlen(s) + 1);
        SHA_UPDATE(&h, &sep, 1);
    }
    size_t pl = 0;
    const unsigned char *pin = onshi__opt_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, &pl);
    if (pin != NULL)
        SHA_UPDATE(&h, pin, pl);
    SHA_FINISH(&h, out);
#undef SHA_UPDATE
#undef SHA_FINISH
    mbedtls_sha256_free(&h);
}

int onshi__crt_days_left(const mbedtls_x509_crt *crt)
{
    int64_t d = onshi__days_left(onshi__x509_epoch(&crt->valid_to), onshi__clock_s(NULL));
    return d < INT32_MIN ? INT32_MIN : d > INT32_MAX ? INT32_MAX : (int)d;
}

static int load_ca(onshi_ctx *ctx, onshi__tls_conf *t)
{
    const char *list = onshi__opt_str(ctx, ONSHI_OPT_TLS_CA_FILE);
    if (list == NULL || list[0] == '\0')
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "tls_ca_file is not set: the server certificate cannot be verified "
                             "(verification cannot be turned off)",
                             "サーバー証明書を検証するCA証明書（tls_ca_file）が設定されていません");
    return onshi__x509_load_cas(ctx, &t->ca, list, "tls_ca_file", NULL, NULL);
}

static int pk_parse_keyfile(mbedtls_pk_context *key, const char *path, const char *pw)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_keyfile(key, path, pw, onshi__random_cb, NULL);
#else
    return mbedtls_pk_parse_keyfile(key, path, pw);
#endif
}

int onshi__tls_load_client(onshi_ctx *ctx, mbedtls_x509_crt *own, mbedtls_pk_context *key,
                           bool *have_own)
{
    const char *p12 = onshi__opt_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE);
    const char *cert = onshi__opt_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT);
    const char *keyf = onshi__opt_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY);
    *have_own = false;
    if (p12 != NULL && p12[0] != '\0') {
        int rc = onshi__pkcs12_parse_file(ctx, p12,
                                          onshi__opt_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD),
                                          own, key);
        if (rc != ONSHI_OK)
            return rc;
        *have_own = true;
        return ONSHI_OK;
    }
    if (cert == NULL || cert[0] == '\0')
        return ONSHI_OK; /* none configured: the handshake will tell whether one is needed */
    int r = mbedtls_x509_crt_parse_file(own, cert);
    if (r != 0) {
        char en[1200];
        snprintf(en, sizeof en, "cannot read client certificate %s", cert);
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, r, en,
                             "クライアント証明書ファイルを読めません");
    }
    const char *kf = (keyf != NULL && keyf[0] != '\0') ? keyf : cert;
    const char *pw = onshi__opt_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY_PASSWORD);
    r = pk_parse_keyfile(key, kf, (pw != NULL && pw[0] != '\0') ? pw : NULL);
    if (r == MBEDTLS_ERR_PK_PASSWORD_MISMATCH || r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT_PASSWORD, ONSHI_FOREIGN_MBEDTLS, r,
                             r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED
                                 ? "the client key is encrypted and no password is set"
                                 : "wrong password for the client key",
                             "クライアント証明書のパスワードが違います");
    if (r != 0) {
        char en[1200];
        snprintf(en, sizeof en, "cannot read client key %s", kf);
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, r, en,
                             "クライアント証明書の秘密鍵を読めません");
    }
    r = onshi__pk_matches_crt(own, key) ? 0 : -1;
    if (r != 0)
        return onshi__err_foreign(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, r,
                                  "client key %s does not belong to certificate %s", kf, cert);
    *have_own = true;
    return ONSHI_OK;
}

/* Does the certificate name this IP address (4 or 16 bytes) in an iPAddress SAN ([7],
 * RFC 5280 4.2.1.6)? Both mbedTLS 2.28 and 3.x keep every SAN entry with its raw tag. */
static bool san_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t len)
{
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL; s = s->next)
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && s->buf.len == len &&
            memcmp(s->buf.p, ip, len) == 0)
            return true;
    return false;
}

/* Pinning: compare SHA-256(SubjectPublicKeyInfo) of the server's own certificate. A server
 * given as an IP address must be named by an iPAddress SAN (mbedTLS 2.28 only compares DNS
 * names, so this check is ours; 3.5+ also makes it). */
static int verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    onshi__tls_conf *t = arg;
    t->verify_calls++;
    if (depth == 0 && t->want_ip_len > 0 && !san_has_ip(crt, t->want_ip, t->want_ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    if (depth == 0 && t->have_pin) {
        unsigned char h[32];
        sha256(crt->pk_raw.p, crt->pk_raw.len, h);
        if (memcmp(h, t->pin, 32) != 0) {
            t->pin_failed = true;
            *flags |= MBEDTLS_X509_BADCERT_OTHER;
        }
    }
    return 0;
}

static void report_expiry(onshi_ctx *ctx, onshi__tls_conf *t)
{
    int days = onshi__crt_days_left(&t->own);
    int64_t warn = onshi__opt_int(ctx, ONSHI_OPT_CERT_EXPIRY_WARN_DAYS);
    if (days >= 0 && days < warn) {
        char subj[512] = "";
        mbedtls_x509_dn_gets(subj, sizeof subj, &t->own.subject);
        onshi__log(ctx, ONSHI_LOG_WARN, "https", "client certificate expires in %d day(s)", days);
        const onshi_callbacks *cbs = onshi__callbacks(ctx);
        if (cbs->cert_expiry != NULL)
            (void)cbs->cert_expiry(cbs->cert_expiry_userdata, days, subj);
    }
}

static int conf_build(onshi_ctx *ctx, onshi__tls_conf *t, onshi__https *hs, bool with_client,
                      bool cached)
{
    unsigned char sig[32];
    conf_signature(ctx, sig);
    if (cached && t->ready && memcmp(sig, t->sig, 32) == 0) {
        if (t->have_own && onshi__crt_days_left(&t->own) < 0)
            goto expired;
        return ONSHI_OK;
    }
    /* The open connection's TLS context points into t: drop it before rebuilding. */
    if (hs != NULL) {
        onshi__conn_close(&hs->conn);
        /* A resumed session skips certificate checks: never carry one across a change of
         * CA, pin or client certificate. */
        mbedtls_ssl_session_free(&hs->conn.session);
        mbedtls_ssl_session_init(&hs->conn.session);
        hs->conn.have_session = false;
    }
    onshi__tls_conf_free(t);
    onshi__tls_conf_init(t);

#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* TLS 1.3 (and PSA-backed crypto) in mbedTLS 3 needs PSA initialised; idempotent. */
    if (psa_crypto_init() != PSA_SUCCESS)
        return onshi__err(ctx, ONSHI_E_RANDOM, "psa_crypto_init failed");
#endif
    /* Random bytes for TLS come from core's one source (the kernel CSPRNG), checked once
     * here so that a machine without one fails at configuration, loudly. */
    unsigned char probe[16];
    int r = onshi__random(ctx, probe, sizeof probe);
    onshi_mem_wipe(probe, sizeof probe);
    if (r != ONSHI_OK)
        return r;
    int rc = load_ca(ctx, t);
    if (rc != ONSHI_OK)
        return rc;
    if (with_client) {
        rc = onshi__tls_load_client(ctx, &t->own, &t->key, &t->have_own);
        if (rc != ONSHI_OK)
            return rc;
    }
    size_t pl = 0;
    const unsigned char *pin = onshi__opt_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, &pl);
    if (pin != NULL && pl > 0) {
        if (pl != 32)
            return onshi__err(ctx, ONSHI_E_CONFIG,
                              "tls_pinned_key must be the 32-byte SHA-256 of the server's "
                              "SubjectPublicKeyInfo (got %zu bytes)", pl);
        memcpy(t->pin, pin, 32);
        t->have_pin = true;
    }

    r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0)
        return onshi__err_foreign(ctx, ONSHI_E_TLS, ONSHI_FOREIGN_MBEDTLS, r,
                                  "mbedtls_ssl_config_defaults failed");
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
    /* Always REQUIRED: the one public client of the HTTPS side once turned this off. */
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_rng(&t->conf, onshi__random_cb, NULL);
    mbedtls_ssl_conf_verify(&t->conf, verify_cb, t);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    mbedtls_ssl_conf_session_tickets(&t->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && MBEDTLS_VERSION_NUMBER >= 0x03060100
    /* TLS 1.3 tickets arrive after the handshake; 3.6.1+ drops them unless asked to hand
     * them over (mbedtls_ssl_read then returns MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET). */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
#endif
    /* The highest version both sides offer is negotiated: TLS 1.3 when mbedTLS is built with
     * it (3.6 is by default) and the server offers it, else TLS 1.2. */
    if (t->have_own) {
        r = mbedtls_ssl_conf_own_cert(&t->conf, &t->own, &t->key);
        if (r != 0)
            return onshi__err_foreign(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, r,
                                      "client certificate not usable for TLS");
    }
    memcpy(t->sig, sig, 32);
    t->ready = true;
    if (t->have_own) {
        if (onshi__crt_days_left(&t->own) < 0)
            goto expired;
        report_expiry(ctx, t);
    }
    return ONSHI_OK;

expired:
    {
        char en[200];
        snprintf(en, sizeof en, "client certificate expired on %04d-%02d-%02d",
                 t->own.valid_to.year, t->own.valid_to.mon, t->own.valid_to.day);
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT_EXPIRED, ONSHI_FOREIGN_NONE, 0, en,
                             "クライアント証明書の有効期限が切れています（証明書を更新してください）");
    }
}

int onshi__tls_ssl_setup(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, const char *host)
{
    mbedtls_ssl_init(&c->ssl);
    c->ssl_ready = true;
    c->tls = t;
    snprintf(c->peer, sizeof c->peer, "%s", host);
    /* An IP literal is checked against iPAddress SANs by verify_cb, never skipped. */
    struct in6_addr a6;
    struct in_addr a4;
    t->want_ip_len = 0;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        memcpy(t->want_ip, &a4, 4);
        t->want_ip_len = 4;
    } else if (inet_pton(AF_INET6, host, &a6) == 1) {
        memcpy(t->want_ip, &a6, 16);
        t->want_ip_len = 16;
    }
    int r = mbedtls_ssl_setup(&c->ssl, &t->conf);
#if MBEDTLS_VERSION_NUMBER >= 0x03050000
    /* 3.5+ matches an IP hostname against iPAddress SANs itself (and 3.6.3+ refuses to verify
     * without a hostname); verify_cb checks it as well. */
    if (r == 0)
        r = mbedtls_ssl_set_hostname(&c->ssl, host);
#else
    /* Older versions compare the hostname with DNS names only, so an IP literal would never
     * match: no hostname (and so no SNI, which must not carry an address, RFC 6066 3) and
     * verify_cb's iPAddress check is the host check. */
    if (r == 0)
        r = mbedtls_ssl_set_hostname(&c->ssl, t->want_ip_len > 0 ? NULL : host);
#endif
    if (r == 0 && c->have_session)
        r = mbedtls_ssl_set_session(&c->ssl, &c->session);
    if (r != 0)
        return onshi__err_foreign(ctx, ONSHI_E_TLS, ONSHI_FOREIGN_MBEDTLS, r,
                                  "cannot set up the TLS session");
    t->pin_failed = false;
    t->verify_calls = 0;
    return ONSHI_OK;
}

bool onshi__tls13(const onshi__conn *c)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    return mbedtls_ssl_get_version_number(&c->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
#else
    (void)c;
    return false;
#endif
}

void onshi__tls_save_session(onshi__conn *c, bool handshake)
{
    /* A resumed handshake (session ID or ticket, TLS 1.2 or 1.3) checks no certificate. */
    if (handshake && c->have_session && c->tls != NULL && c->tls->verify_calls == 0)
        c->resumed++;
    if (handshake && onshi__tls13(c))
        return; /* the session to resume from is the ticket that follows; keep the last one */
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    if (mbedtls_ssl_get_session(&c->ssl, &s) != 0) {
        mbedtls_ssl_session_free(&s);
        return;
    }
    mbedtls_ssl_session_free(&c->session);
    c->session = s; /* ownership of what s points to moves to c->session */
    c->have_session = true;
}

int onshi__tls_handshake(onshi__conn *c)
{
    mbedtls_ssl_context *s = &c->ssl;
    if (s->ONSHI__MBP(state) == MBEDTLS_SSL_HELLO_REQUEST ||
        s->ONSHI__MBP(state) == MBEDTLS_SSL_CLIENT_HELLO) {
        c->cert_requested = false;
        c->verdict_pending = false;
    }
    int r = 0;
    while (s->ONSHI__MBP(state) != MBEDTLS_SSL_HANDSHAKE_OVER) {
        r = mbedtls_ssl_handshake_step(s);
        /* After the step that parsed it, the current handshake message is the
         * CertificateRequest (type 13, RFC 8446 4.3.2 / RFC 5246 7.4.4). */
        const unsigned char *m = s->ONSHI__MBP(in_msg);
        if (m != NULL && s->ONSHI__MBP(in_msgtype) == MBEDTLS_SSL_MSG_HANDSHAKE &&
            s->ONSHI__MBP(in_hslen) > 0 && m[0] == MBEDTLS_SSL_HS_CERTIFICATE_REQUEST)
            c->cert_requested = true;
        if (r != 0)
            return r;
    }
    c->verdict_pending = c->cert_requested && onshi__tls13(c);
    return 0;
}

/* The server's verdict on the client certificate, under TLS 1.3, when no alert could be read:
 * it asked for a certificate, and before it answered anything it closed the connection, or
 * sent a record the client cannot decrypt (an alert still under the handshake keys, as
 * mbedTLS servers send it). */
static int late_refusal(onshi_ctx *ctx, onshi__conn *c, int ret)
{
    onshi__tls_conf *t = c->tls;
    char en[600];
    if (!t->have_own) {
        snprintf(en, sizeof en, "%s requires a client certificate and none is configured "
                 "(it closed the TLS 1.3 connection after the handshake)", c->peer);
        return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                             "クライアント証明書が設定されていません（tls_pkcs12_file を設定してください）");
    }
    snprintf(en, sizeof en, "%s rejected the client certificate (TLS 1.3 alert after the "
             "handshake)", c->peer);
    return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                         "サーバーがクライアント証明書を受け付けませんでした");
}

static bool closed(int ret)
{
    return ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == MBEDTLS_ERR_NET_CONN_RESET ||
           ret == MBEDTLS_ERR_NET_RECV_FAILED || ret == MBEDTLS_ERR_NET_SEND_FAILED ||
           ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0;
}

int onshi__tls_io_error(onshi_ctx *ctx, onshi__conn *c, int ret, bool was_write)
{
    if (c == NULL || !c->ssl_ready || c->tls == NULL)
        return ONSHI_OK;
    bool pending = c->verdict_pending;
    c->verdict_pending = false;
    if (c->io_status == ONSHI_E_TIMEOUT || c->io_status == ONSHI_E_CANCELLED)
        return ONSHI_OK; /* ours, not the server's */
    if (ret != MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && was_write) {
        /* The write failed on the reset that follows the server's alert: the alert may be
         * waiting unread. Look without waiting; the I/O status of the failure is kept. */
        int st = c->io_status, en = c->io_errno;
        int64_t to = c->io_timeout_ms;
        c->io_timeout_ms = 0;
        unsigned char b[64];
        int r;
        do
            r = mbedtls_ssl_read(&c->ssl, b, sizeof b);
        while (r > 0);
        c->io_timeout_ms = to;
        c->io_status = st;
        c->io_errno = en;
        if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || r == MBEDTLS_ERR_SSL_INVALID_MAC ||
            (pending && !c->tls->have_own && closed(r)))
            ret = r;
        else if (pending && !c->tls->have_own)
            return late_refusal(ctx, c, ret); /* asked for one, got none, dropped us */
    }
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        return onshi__tls_map_error(ctx, c->tls, c, ret, c->peer);
    if (pending && (ret == MBEDTLS_ERR_SSL_INVALID_MAC || (!c->tls->have_own && closed(ret))))
        return late_refusal(ctx, c, ret);
    return ONSHI_OK;
}

static unsigned char last_alert(const onshi__conn *c)
{
    const unsigned char *m = c->ssl.ONSHI__MBP(in_msg);
    return m != NULL ? m[1] : 0;
}

int onshi__tls_map_error(onshi_ctx *ctx, onshi__tls_conf *t, onshi__conn *c, int ret,
                         const char *host)
{
    char mb[200];
    mbedtls_strerror(ret, mb, sizeof mb);
    char en[900];

    if (ret == MBEDTLS_ERR_SSL_TIMEOUT || ret == MBEDTLS_ERR_NET_RECV_FAILED ||
        ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        if (c->io_status == ONSHI_E_TIMEOUT || c->io_status == ONSHI_E_CANCELLED)
            return onshi__conn_io_error(ctx, c, "TLS handshake timed out");
        /* A server that wants a client certificate often just resets the connection after
         * our (empty) Certificate message, before its alert can be read. */
        if (!t->have_own && c->ssl.ONSHI__MBP(state) > MBEDTLS_SSL_SERVER_HELLO_DONE) {
            snprintf(en, sizeof en, "%s closed the TLS handshake after the client's "
                     "certificate step and no client certificate is configured", host);
            return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "クライアント証明書が設定されていません（tls_pkcs12_file を設定してください）");
        }
        /* Likewise a server that asked for the certificate, got it and then dropped the
         * handshake (its alert lost to the reset) did not accept it. */
        if (t->have_own && c->cert_requested &&
            c->ssl.ONSHI__MBP(state) > MBEDTLS_SSL_SERVER_HELLO_DONE) {
            snprintf(en, sizeof en, "%s closed the TLS handshake after receiving the client "
                     "certificate: it does not accept it", host);
            return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "サーバーがクライアント証明書を受け付けませんでした");
        }
        return onshi__err_foreign(ctx, ONSHI_E_CONNECTION_CLOSED, ONSHI_FOREIGN_MBEDTLS, ret,
                                  "connection failed during the TLS handshake with %s", host);
    }
#if defined(MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION)
    if (ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION)
        goto version;
#endif
#if defined(MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION)
    if (ret == MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION)
        goto version;
#endif
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
        char info[400] = "";
        mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
        for (char *q = info; *q; q++)
            if (*q == '\n')
                *q = ';';
        if (t->pin_failed && flags == MBEDTLS_X509_BADCERT_OTHER) {
            snprintf(en, sizeof en, "the key of %s does not match tls_pinned_key", host);
            return onshi__err_ja(ctx, ONSHI_E_TLS_PIN_MISMATCH, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "サーバーの公開鍵が固定（ピン留め）された鍵と一致しません");
        }
        if (flags & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING |
                     MBEDTLS_X509_BADCERT_SKIP_VERIFY)) {
            snprintf(en, sizeof en,
                     "server certificate of %s is not issued by a CA in tls_ca_file (flags "
                     "0x%08x:%s)", host, (unsigned)flags, info);
            return onshi__err_ja(ctx, ONSHI_E_TLS_SERVER_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "サーバー証明書が信頼できる認証局のものではありません（CA証明書の設定・接続先を確認してください）");
        }
        if (flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) {
            snprintf(en, sizeof en, "server certificate of %s is %s (flags 0x%08x:%s)", host,
                     (flags & MBEDTLS_X509_BADCERT_EXPIRED) ? "expired" : "not yet valid",
                     (unsigned)flags, info);
            return onshi__err_ja(ctx, ONSHI_E_TLS_SERVER_CERT_EXPIRED, ONSHI_FOREIGN_MBEDTLS, ret,
                                 en, "サーバー証明書の有効期限が切れています（端末の日時も確認してください）");
        }
        if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
            snprintf(en, sizeof en, "server certificate is not valid for host name %s "
                     "(flags 0x%08x)", host, (unsigned)flags);
            return onshi__err_ja(ctx, ONSHI_E_TLS_HOSTNAME, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "サーバー証明書が接続先のホスト名と一致しません（接続先URLを確認してください）");
        }
        snprintf(en, sizeof en, "server certificate of %s rejected (flags 0x%08x:%s)", host,
                 (unsigned)flags, info);
        return onshi__err_ja(ctx, ONSHI_E_TLS_SERVER_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                             "サーバー証明書を検証できません");
    }
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        unsigned char a = last_alert(c);
        if (a == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
            goto version;
        if (a == MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED && t->have_own) {
            snprintf(en, sizeof en, "%s rejected the client certificate as expired (alert %u)",
                     host, a);
            return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT_EXPIRED, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "クライアント証明書の有効期限が切れています");
        }
        if (!t->have_own && (a == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE ||
                             a == MBEDTLS_SSL_ALERT_MSG_BAD_CERT || a == 116 /* cert required */ ||
                             a == 41 /* no_certificate (SSL 3) */)) {
            snprintf(en, sizeof en, "%s requires a client certificate and none is configured "
                     "(alert %u)", host, a);
            return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "クライアント証明書が設定されていません（tls_pkcs12_file を設定してください）");
        }
        if (t->have_own && (a == MBEDTLS_SSL_ALERT_MSG_BAD_CERT ||
                            a == MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA ||
                            a == MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN ||
                            a == MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED ||
                            a == MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT)) {
            snprintf(en, sizeof en, "%s rejected the client certificate (alert %u)", host, a);
            return onshi__err_ja(ctx, ONSHI_E_CLIENT_CERT, ONSHI_FOREIGN_MBEDTLS, ret, en,
                                 "サーバーがクライアント証明書を受け付けませんでした");
        }
        snprintf(en, sizeof en, "%s aborted the TLS handshake (alert %u)", host, a);
        return onshi__err_ja(ctx, ONSHI_E_TLS, ONSHI_FOREIGN_MBEDTLS, ret, en,
                             "TLS接続がサーバーにより中断されました");
    }
    snprintf(en, sizeof en, "TLS handshake with %s failed: %s", host, mb);
    return onshi__err_ja(ctx, ONSHI_E_TLS, ONSHI_FOREIGN_MBEDTLS, ret, en, "TLS接続に失敗しました");

version:
    snprintf(en, sizeof en, "%s offers only TLS older than 1.2 (%s)", host, mb);
    return onshi__err_ja(ctx, ONSHI_E_TLS_VERSION, ONSHI_FOREIGN_MBEDTLS, ret, en,
                         "サーバーが古いTLS（1.2未満）しか使えません");
}

int onshi__tls_conf_load(onshi_ctx *ctx, onshi__tls_conf *t, onshi__https *hs)
{
    return conf_build(ctx, t, hs, true, true);
}

int onshi__tls_conf_server_only(onshi_ctx *ctx, onshi__tls_conf *t)
{
    return conf_build(ctx, t, NULL, false, false);
}
