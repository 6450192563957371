/* transport: the TLS client configuration and error mapping against an in-memory mbedTLS
 * server (mbedtls_ssl_set_bio on two memory pipes, both peers in this process). The
 * certificates are made here with mbedtls x509write (EC P-256), nothing from disk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "transport/https.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mbedtls_entropy_context ent;
static mbedtls_ctr_drbg_context rng;
static char tmpdir[64];

typedef struct keycert {
    mbedtls_pk_context key;
    unsigned char pem[4096];
} keycert;

static keycert ca, other_ca, srv_ok, srv_expired, srv_wronghost, srv_other, client, client_other,
    srv_ip4, srv_ip6, srv_ip_other, srv_cn_ip;

/* subjectAltName values (DER GeneralNames): iPAddress [7] 127.0.0.1, ::1, 127.0.0.2. */
static const unsigned char SAN_IP4[] = {0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1};
static const unsigned char SAN_IP6[] = {0x30, 0x12, 0x87, 0x10, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0, 0, 0, 1};
static const unsigned char SAN_IP_OTHER[] = {0x30, 0x06, 0x87, 0x04, 127, 0, 0, 2};

#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_TICKET_C)
static mbedtls_ssl_ticket_context tickets; /* the server's ticket keys, across runs */
#define HAVE_TICKETS 1
#endif


static void genkey(mbedtls_pk_context *pk)
{
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
                                         mbedtls_ctr_drbg_random, &rng), 0);
}

static void mkcert_san(keycert *kc, const char *subject, const keycert *issuer, const char *iname,
                       const char *from, const char *to, int is_ca, const unsigned char *san,
                       size_t san_len)
{
    static int serialno = 1;
    genkey(&kc->key);
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &kc->key);
    mbedtls_x509write_crt_set_issuer_key(&w, issuer ? (mbedtls_pk_context *)&issuer->key : &kc->key);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, subject), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, issuer ? iname : subject), 0);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    unsigned char sn = (unsigned char)serialno++;
    assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, &sn, 1), 0);
#else
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    mbedtls_mpi_lset(&serial, serialno++);
    assert_int_equal(mbedtls_x509write_crt_set_serial(&w, &serial), 0);
    mbedtls_mpi_free(&serial);
#endif
    assert_int_equal(mbedtls_x509write_crt_set_validity(&w, from, to), 0);
    assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, is_ca, -1), 0);
    if (san != NULL)
        assert_int_equal(mbedtls_x509write_crt_set_extension(
                             &w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, san_len),
                         0);
    assert_int_equal(mbedtls_x509write_crt_pem(&w, kc->pem, sizeof kc->pem,
                                               mbedtls_ctr_drbg_random, &rng), 0);
    mbedtls_x509write_crt_free(&w);
}

static void mkcert(keycert *kc, const char *subject, const keycert *issuer, const char *iname,
                   const char *from, const char *to, int is_ca)
{
    mkcert_san(kc, subject, issuer, iname, from, to, is_ca, NULL, 0);
}

static const char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[8][128];
    static int i;
    i = (i + 1) % 8;
    snprintf(path[i], sizeof path[i], "%s/%s", tmpdir, name);
    FILE *f = fopen(path[i], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path[i];
}

static int group_setup(void **state)
{
    (void)state;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&rng);
    if (mbedtls_ctr_drbg_seed(&rng, mbedtls_entropy_func, &ent, NULL, 0) != 0)
        return -1;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (psa_crypto_init() != PSA_SUCCESS) /* the memory server's TLS 1.3 needs PSA */
        return -1;
#endif
#ifdef HAVE_TICKETS
    mbedtls_ssl_ticket_init(&tickets);
    if (mbedtls_ssl_ticket_setup(&tickets, mbedtls_ctr_drbg_random, &rng, MBEDTLS_CIPHER_AES_256_GCM,
                                 86400) != 0)
        return -1;
#endif
    snprintf(tmpdir, sizeof tmpdir, "/tmp/onshi-tlsmem-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    const char *from = "20240101000000", *to = "20991231235959";
    mkcert(&ca, "CN=mem CA", NULL, NULL, from, to, 1);
    mkcert(&other_ca, "CN=other CA", NULL, NULL, from, to, 1);
    mkcert(&srv_ok, "CN=localhost", &ca, "CN=mem CA", from, to, 0);
    mkcert(&srv_expired, "CN=localhost", &ca, "CN=mem CA", "20200101000000", "20210101000000", 0);
    mkcert(&srv_wronghost, "CN=wrong.example", &ca, "CN=mem CA", from, to, 0);
    mkcert(&srv_other, "CN=localhost", &other_ca, "CN=other CA", from, to, 0);
    mkcert(&client, "CN=mem client", &ca, "CN=mem CA", from, to, 0);
    mkcert(&client_other, "CN=stranger", &other_ca, "CN=other CA", from, to, 0);
    mkcert_san(&srv_ip4, "CN=ip server", &ca, "CN=mem CA", from, to, 0, SAN_IP4, sizeof SAN_IP4);
    mkcert_san(&srv_ip6, "CN=ip server", &ca, "CN=mem CA", from, to, 0, SAN_IP6, sizeof SAN_IP6);
    mkcert_san(&srv_ip_other, "CN=ip server", &ca, "CN=mem CA", from, to, 0, SAN_IP_OTHER,
               sizeof SAN_IP_OTHER);
    /* the address as the common name but no iPAddress SAN: not a match (RFC 6125 6.2.1) */
    mkcert(&srv_cn_ip, "CN=127.0.0.1", &ca, "CN=mem CA", from, to, 0);
    write_tmp("client-other.pem", client_other.pem, strlen((char *)client_other.pem));
    unsigned char kpo[2048];
    assert_int_equal(mbedtls_pk_write_key_pem(&client_other.key, kpo, sizeof kpo), 0);
    write_tmp("client-other.key", kpo, strlen((char *)kpo));
    write_tmp("ca.pem", ca.pem, strlen((char *)ca.pem));
    write_tmp("client.pem", client.pem, strlen((char *)client.pem));
    unsigned char kp[2048];
    assert_int_equal(mbedtls_pk_write_key_pem(&client.key, kp, sizeof kp), 0);
    write_tmp("client.key", kp, strlen((char *)kp));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    keycert *all[] = {&ca,     &other_ca, &srv_ok,  &srv_expired,  &srv_wronghost, &srv_other,
                      &client, &client_other, &srv_ip4, &srv_ip6, &srv_ip_other, &srv_cn_ip};
#ifdef HAVE_TICKETS
    mbedtls_ssl_ticket_free(&tickets);
#endif
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        mbedtls_pk_free(&all[i]->key);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return -1;
    mbedtls_ctr_drbg_free(&rng);
    mbedtls_entropy_free(&ent);
    return 0;
}

/* ---- memory pipes ---- */

typedef struct pipe_ {
    unsigned char buf[65536];
    size_t len;
} pipe_;

typedef struct end {
    pipe_ *in, *out;
} end;

static int mem_send(void *p, const unsigned char *b, size_t n)
{
    end *e = p;
    size_t room = sizeof e->out->buf - e->out->len;
    if (room == 0)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (n > room)
        n = room;
    memcpy(e->out->buf + e->out->len, b, n);
    e->out->len += n;
    return (int)n;
}

static int mem_recv(void *p, unsigned char *b, size_t n)
{
    end *e = p;
    if (e->in->len == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > e->in->len)
        n = e->in->len;
    memcpy(b, e->in->buf, n);
    memmove(e->in->buf, e->in->buf + n, e->in->len - n);
    e->in->len -= n;
    return (int)n;
}

typedef struct server_opts {
    keycert *cert;
    bool require_client;
    bool tls11_only;
    const char *host; /* the name the client connects to (NULL: localhost) */
    bool tls12_max;   /* the server offers nothing newer than TLS 1.2 */
} server_opts;

static char last_version[32]; /* version the last successful run negotiated */

static bool waiting(int r)
{
    return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* Run a handshake between the library's client (configured from ctx) and a memory server,
 * then one request and answer the way the transport does (its TLS error mapping, its
 * session saving). Returns the ONSHI status the library maps the client's result to. */
static int run(onshi_ctx *ctx, const server_opts *so, bool with_client, unsigned *resumed)
{
    static pipe_ c2s, s2c;
    c2s.len = s2c.len = 0;
    end ce = {&s2c, &c2s}, se = {&c2s, &s2c};
    const char *host = so->host != NULL ? so->host : "localhost";
    last_version[0] = '\0';

    mbedtls_ssl_config sconf;
    mbedtls_x509_crt scrt, sca;
    mbedtls_ssl_config_init(&sconf);
    mbedtls_x509_crt_init(&scrt);
    mbedtls_x509_crt_init(&sca);
    assert_int_equal(mbedtls_x509_crt_parse(&scrt, so->cert->pem, strlen((char *)so->cert->pem) + 1), 0);
    assert_int_equal(mbedtls_x509_crt_parse(&sca, ca.pem, strlen((char *)ca.pem) + 1), 0);
    assert_int_equal(mbedtls_ssl_config_defaults(&sconf, MBEDTLS_SSL_IS_SERVER,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT), 0);
    mbedtls_ssl_conf_rng(&sconf, mbedtls_ctr_drbg_random, &rng);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&sconf, &scrt, &so->cert->key), 0);
    mbedtls_ssl_conf_ca_chain(&sconf, &sca, NULL);
    mbedtls_ssl_conf_authmode(&sconf, so->require_client ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                         : MBEDTLS_SSL_VERIFY_NONE);
#ifdef HAVE_TICKETS
    mbedtls_ssl_conf_session_tickets_cb(&sconf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                        &tickets);
#endif
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    if (so->tls11_only) {
        mbedtls_ssl_conf_min_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_2);
        mbedtls_ssl_conf_max_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_2);
    }
    if (so->tls12_max)
        mbedtls_ssl_conf_max_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#else
    if (so->tls12_max)
        mbedtls_ssl_conf_max_tls_version(&sconf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
    mbedtls_ssl_context sssl;
    mbedtls_ssl_init(&sssl);
    assert_int_equal(mbedtls_ssl_setup(&sssl, &sconf), 0);
    mbedtls_ssl_set_bio(&sssl, &se, mem_send, mem_recv, NULL);

    onshi__https *hs = onshi__https_state(ctx);
    assert_non_null(hs);
    onshi__tls_conf *t = &hs->tls;
    int rc = with_client ? onshi__tls_conf_load(ctx, t, hs) : onshi__tls_conf_server_only(ctx, t);
    assert_int_equal(rc, ONSHI_OK);
    onshi__conn *c = &hs->conn;
    if (!with_client) { /* a fresh configuration: no session of another one (as diagnose) */
        mbedtls_ssl_session_free(&c->session);
        mbedtls_ssl_session_init(&c->session);
        c->have_session = false;
    }
    onshi__conn_close(c);
    assert_int_equal(onshi__tls_ssl_setup(ctx, t, c, host), ONSHI_OK);
    mbedtls_ssl_set_bio(&c->ssl, &ce, mem_send, mem_recv, NULL);

    int cr = MBEDTLS_ERR_SSL_WANT_READ, sr = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < 200 && (cr != 0 || sr != 0); i++) {
        if (waiting(cr))
            cr = onshi__tls_handshake(c);
        if (waiting(sr))
            sr = mbedtls_ssl_handshake(&sssl);
        if (!waiting(cr) && (sr == 0 || !waiting(sr)))
            break; /* client finished or failed, server done or failed */
        if (cr == 0 && !waiting(sr))
            break;
    }
    if (cr == MBEDTLS_ERR_SSL_WANT_READ) /* the server gave up without an alert */
        cr = MBEDTLS_ERR_SSL_CONN_EOF;
    c->io_status = ONSHI_E_CONNECTION_CLOSED;
    rc = cr == 0 ? ONSHI_OK : onshi__tls_map_error(ctx, t, c, cr, host);
    if (rc != ONSHI_OK && getenv("ONSHI_TEST_VERBOSE") != NULL)
        fprintf(stderr, "handshake: %s\n", onshi_ctx_last_error_message(ctx));
    if (cr == 0) {
        unsigned before = c->resumed;
        c->established = true;
        onshi__tls_save_session(c, true);
        if (resumed != NULL)
            *resumed = c->resumed - before;
        snprintf(last_version, sizeof last_version, "%s", mbedtls_ssl_get_version(&c->ssl));
        /* One request and answer. Under TLS 1.3 the server judges the client's certificate
         * only now (after the client's handshake ended): a refusal arrives on this read. */
        static const unsigned char ping[] = "GET / HTTP/1.1\r\n\r\n";
        assert_int_equal(mbedtls_ssl_write(&c->ssl, ping, sizeof ping - 1), (int)sizeof ping - 1);
        unsigned char buf[256];
        int got = MBEDTLS_ERR_SSL_WANT_READ;
        for (int i = 0; i < 200 && waiting(got); i++) {
            if (waiting(sr))
                sr = mbedtls_ssl_handshake(&sssl);
            if (sr == 0) {
                int n = mbedtls_ssl_read(&sssl, buf, sizeof buf);
                if (n == (int)sizeof ping - 1)
                    assert_int_equal(mbedtls_ssl_write(&sssl, (const unsigned char *)"pong", 4), 4);
            }
            got = mbedtls_ssl_read(&c->ssl, buf, sizeof buf);
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            if (got == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
                onshi__tls_save_session(c, false);
                got = MBEDTLS_ERR_SSL_WANT_READ;
            }
#endif
        }
        if (got == 4)
            assert_memory_equal(buf, "pong", 4);
        else if (got < 0 && !waiting(got))
            rc = onshi__tls_io_error(ctx, c, got, false);
        if (rc == ONSHI_OK && got != 4) {
            fprintf(stderr, "no answer: client read %d, server %d\n", got, sr);
            rc = ONSHI_E_CONNECTION_CLOSED;
        }
    }
    onshi__conn_close(c);
    mbedtls_ssl_free(&sssl);
    mbedtls_ssl_config_free(&sconf);
    mbedtls_x509_crt_free(&scrt);
    mbedtls_x509_crt_free(&sca);
    return rc;
}

static onshi_ctx *mkctx(void)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    char p[128];
    snprintf(p, sizeof p, "%s/ca.pem", tmpdir);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, p), ONSHI_OK);
    return ctx;
}

static void test_ok_and_pin(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    server_opts so = {&srv_ok, false, false, NULL, false};
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_OK);

    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, srv_ok.pem, strlen((char *)srv_ok.pem) + 1), 0);
    unsigned char pin[32];
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_sha256(crt.pk_raw.p, crt.pk_raw.len, pin, 0);
#else
    mbedtls_sha256_ret(crt.pk_raw.p, crt.pk_raw.len, pin, 0);
#endif
    mbedtls_x509_crt_free(&crt);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, pin, 32), ONSHI_OK);
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_OK);
    pin[0] ^= 0x80;
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, pin, 32), ONSHI_OK);
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_TLS_PIN_MISMATCH);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, pin, 31),
                     ONSHI_E_OPTION_RANGE);
    onshi_ctx_free(ctx);
}

static void expect_server(keycert *kc, int want)
{
    onshi_ctx *ctx = mkctx();
    server_opts so = {kc, false, false, NULL, false};
    assert_int_equal(run(ctx, &so, false, NULL), want);
    int kind = 0;
    int64_t v = 0;
    assert_int_equal(onshi_ctx_last_error_foreign(&kind, &v, ctx), want);
    assert_int_equal(kind, ONSHI_FOREIGN_MBEDTLS);
    assert_true(v < 0);
    onshi_ctx_free(ctx);
}

static void test_unknown_ca(void **state)
{
    (void)state;
    expect_server(&srv_other, ONSHI_E_TLS_SERVER_CERT);
}

static void test_expired(void **state)
{
    (void)state;
    expect_server(&srv_expired, ONSHI_E_TLS_SERVER_CERT_EXPIRED);
}

static void test_wrong_host(void **state)
{
    (void)state;
    expect_server(&srv_wronghost, ONSHI_E_TLS_HOSTNAME);
}

/* A server that answers the ClientHello with a TLS 1.1 ServerHello is refused with
 * ONSHI_E_TLS_VERSION. mbedTLS 3 cannot act as such a server, so the ServerHello is written
 * by hand here (RFC 4346 7.4.1.3: version 3.2, random, empty session id,
 * TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, no compression); with 2.28 a real TLS 1.1 server
 * is tried as well. */
static void test_tls11_server(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    server_opts so = {&srv_ok, false, true, NULL, false};
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_TLS_VERSION);
#endif
    static pipe_ c2s, s2c;
    c2s.len = s2c.len = 0;
    end ce = {&s2c, &c2s};
    onshi__https *hs = onshi__https_state(ctx);
    onshi__tls_conf *t = &hs->tls;
    assert_int_equal(onshi__tls_conf_server_only(ctx, t), ONSHI_OK);
    onshi__conn *c = &hs->conn;
    onshi__conn_close(c);
    assert_int_equal(onshi__tls_ssl_setup(ctx, t, c, "localhost"), ONSHI_OK);
    mbedtls_ssl_set_bio(&c->ssl, &ce, mem_send, mem_recv, NULL);
    int r = mbedtls_ssl_handshake(&c->ssl);
    assert_true(waiting(r));
    assert_true(c2s.len > 0 && c2s.buf[0] == 22); /* the ClientHello went out */
    unsigned char sh[47] = {22, 3, 2, 0, 42, 2, 0, 0, 38, 3, 2};
    for (int i = 0; i < 32; i++)
        sh[11 + i] = (unsigned char)(i * 7 + 1);
    sh[43] = 0;    /* session id length */
    sh[44] = 0xC0; /* cipher suite C0 2B */
    sh[45] = 0x2B;
    sh[46] = 0;    /* compression: null */
    memcpy(s2c.buf, sh, sizeof sh);
    s2c.len = sizeof sh;
    for (int i = 0; i < 10 && waiting(r); i++)
        r = mbedtls_ssl_handshake(&c->ssl);
    assert_true(r < 0 && !waiting(r));
    c->io_status = ONSHI_E_CONNECTION_CLOSED;
    int rc = onshi__tls_map_error(ctx, t, c, r, "localhost");
    if (rc != ONSHI_E_TLS_VERSION)
        fprintf(stderr, "got %s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
    assert_int_equal(rc, ONSHI_E_TLS_VERSION);
    onshi__conn_close(c);
    onshi_ctx_free(ctx);
}

static void set_client(onshi_ctx *ctx, const char *name)
{
    char p[128], k[128];
    snprintf(p, sizeof p, "%s/%s.pem", tmpdir, name);
    snprintf(k, sizeof k, "%s/%s.key", tmpdir, name);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, p), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, k), ONSHI_OK);
}

/* Mutual authentication at the highest version both offer: TLS 1.3 with mbedTLS 3.6 (where
 * the server's verdict on the client certificate arrives after the client's handshake), TLS
 * 1.2 with 2.28. Refusals map to the same statuses as under 1.2; tickets resume; a TLS 1.2
 * server is still accepted. */
static void test_tls13_mutual_auth(void **state)
{
    (void)state;
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    const char *top = "TLSv1.3";
#else
    const char *top = "TLSv1.2";
#endif
    onshi_ctx *ctx = mkctx();
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    server_opts so = {&srv_ok, true, false, NULL, false};
    /* no client certificate: the server's refusal (alert 116 under 1.3) */
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_CLIENT_CERT);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "client certificate"));
    set_client(ctx, "client");
    unsigned resumed = 99;
    assert_int_equal(run(ctx, &so, true, &resumed), ONSHI_OK);
    assert_string_equal(last_version, top);
    assert_int_equal(resumed, 0);
#ifdef HAVE_TICKETS
    /* the next handshake resumes from the saved session (the ticket, under 1.3) */
    assert_int_equal(run(ctx, &so, true, &resumed), ONSHI_OK);
    assert_string_equal(last_version, top);
    assert_int_equal(resumed, 1);
#endif
    /* a certificate the server does not trust: its alert maps to ONSHI_E_CLIENT_CERT */
    set_client(ctx, "client-other");
    assert_int_equal(run(ctx, &so, true, NULL), ONSHI_E_CLIENT_CERT);
    /* a server offering at most TLS 1.2 is still accepted, with the same refusals */
    so.tls12_max = true;
    assert_int_equal(run(ctx, &so, true, NULL), ONSHI_E_CLIENT_CERT);
    set_client(ctx, "client");
    assert_int_equal(run(ctx, &so, true, NULL), ONSHI_OK);
    assert_string_equal(last_version, "TLSv1.2");
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_CLIENT_CERT);
    onshi_ctx_free(ctx);
}

static int ip_case(keycert *kc, const char *host)
{
    onshi_ctx *ctx = mkctx();
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    server_opts so = {kc, false, false, host, false};
    int rc = run(ctx, &so, false, NULL);
    if (rc == ONSHI_E_TLS_HOSTNAME)
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), host));
    onshi_ctx_free(ctx);
    return rc;
}

/* A server given as an IP address is checked against the certificate's iPAddress SANs,
 * IPv4 and IPv6, on 2.28 (which matches DNS names only) as on 3.6; never skipped. */
static void test_ip_san(void **state)
{
    (void)state;
    assert_int_equal(ip_case(&srv_ip4, "127.0.0.1"), ONSHI_OK);
    assert_int_equal(ip_case(&srv_ip6, "::1"), ONSHI_OK);
    assert_int_equal(ip_case(&srv_ip_other, "127.0.0.1"), ONSHI_E_TLS_HOSTNAME);
    assert_int_equal(ip_case(&srv_ip4, "::1"), ONSHI_E_TLS_HOSTNAME);
    assert_int_equal(ip_case(&srv_ip6, "127.0.0.1"), ONSHI_E_TLS_HOSTNAME);
    assert_int_equal(ip_case(&srv_ok, "127.0.0.1"), ONSHI_E_TLS_HOSTNAME);    /* DNS name only */
    assert_int_equal(ip_case(&srv_cn_ip, "127.0.0.1"), ONSHI_E_TLS_HOSTNAME); /* CN is no SAN */
    assert_int_equal(ip_case(&srv_ip4, "localhost"), ONSHI_E_TLS_HOSTNAME);   /* name ≠ address */
}

static void test_client_cert_required(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    server_opts so = {&srv_ok, true, false, NULL, false};
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_CLIENT_CERT);
    char p[128], k[128];
    snprintf(p, sizeof p, "%s/client.pem", tmpdir);
    snprintf(k, sizeof k, "%s/client.key", tmpdir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, p);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, k);
    assert_int_equal(run(ctx, &so, true, NULL), ONSHI_OK);
    /* a key that does not belong to the certificate is refused before any handshake */
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, write_tmp("ca-as-client.pem", ca.pem,
                                                                 strlen((char *)ca.pem)));
    onshi__https *hs = onshi__https_state(ctx);
    assert_int_equal(onshi__tls_conf_load(ctx, &hs->tls, hs), ONSHI_E_CLIENT_CERT);
    onshi_ctx_free(ctx);
}

static void test_pkcs12_garbage(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x03};
    static const unsigned char trunc[] = {0x30, 0x82, 0x10, 0x00, 0x02, 0x01, 0x03};
    const unsigned char *inputs[] = {junk, trunc, ca.pem};
    size_t lens[] = {sizeof junk, sizeof trunc, 100};
    for (size_t i = 0; i < 3; i++) {
        mbedtls_x509_crt_init(&crt);
        mbedtls_pk_init(&key);
        assert_int_equal(onshi__pkcs12_parse(ctx, inputs[i], lens[i], "x", &crt, &key),
                         ONSHI_E_CLIENT_CERT);
        mbedtls_x509_crt_free(&crt);
        mbedtls_pk_free(&key);
    }
    onshi_ctx_free(ctx);
}

static void test_url_parse(void **state)
{
    (void)state;
    onshi__url u;
    assert_int_equal(onshi__url_parse(NULL, "https://example.org", &u), ONSHI_OK);
    assert_string_equal(u.host, "example.org");
    assert_string_equal(u.port, "443");
    assert_string_equal(u.base, "");
    assert_int_equal(onshi__url_parse(NULL, "https://[::1]:8443/api/v2/?x", &u), ONSHI_OK);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.port, "8443");
    assert_string_equal(u.base, "/api/v2");
    assert_int_equal(onshi__url_parse(NULL, "http://example.org", &u), ONSHI_E_CONFIG);
    assert_int_equal(onshi__url_parse(NULL, "https://h:80x/", &u), ONSHI_E_CONFIG);
    assert_int_equal(onshi__url_parse(NULL, "https:///path", &u), ONSHI_E_CONFIG);
    assert_int_equal(onshi__hostport_parse(NULL, "http://proxy.base.oqs-pdl.org:8080/", &u),
                     ONSHI_OK);
    assert_string_equal(u.host, "proxy.base.oqs-pdl.org");
    assert_string_equal(u.port, "8080");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_pin),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_tls11_server),
        cmocka_unit_test(test_client_cert_required),
        cmocka_unit_test(test_tls13_mutual_auth),
        cmocka_unit_test(test_ip_san),
        cmocka_unit_test(test_pkcs12_garbage),
        cmocka_unit_test(test_url_parse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
