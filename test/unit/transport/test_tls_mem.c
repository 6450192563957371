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
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

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

static keycert ca, other_ca, srv_ok, srv_expired, srv_wronghost, srv_other, client;

static void genkey(mbedtls_pk_context *pk)
{
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
                                         mbedtls_ctr_drbg_random, &rng), 0);
}

static void mkcert(keycert *kc, const char *subject, const keycert *issuer, const char *iname,
                   const char *from, const char *to, int is_ca)
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
    assert_int_equal(mbedtls_x509write_crt_pem(&w, kc->pem, sizeof kc->pem,
                                               mbedtls_ctr_drbg_random, &rng), 0);
    mbedtls_x509write_crt_free(&w);
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
    keycert *all[] = {&ca, &other_ca, &srv_ok, &srv_expired, &srv_wronghost, &srv_other, &client};
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
} server_opts;

/* Run a handshake between the library's client (configured from ctx) and a memory server.
 * Returns the ONSHI status the library maps the client's result to. */
static int run(onshi_ctx *ctx, const server_opts *so, bool with_client, unsigned *resumed)
{
    static pipe_ c2s, s2c;
    c2s.len = s2c.len = 0;
    end ce = {&s2c, &c2s}, se = {&c2s, &s2c};

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
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    if (so->tls11_only) {
        mbedtls_ssl_conf_min_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_2);
        mbedtls_ssl_conf_max_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_2);
    }
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
    onshi__conn_close(c);
    assert_int_equal(onshi__tls_ssl_setup(ctx, t, c, "localhost"), ONSHI_OK);
    mbedtls_ssl_set_bio(&c->ssl, &ce, mem_send, mem_recv, NULL);

    int cr = MBEDTLS_ERR_SSL_WANT_READ, sr = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < 200 && (cr != 0 || sr != 0); i++) {
        if (cr == MBEDTLS_ERR_SSL_WANT_READ || cr == MBEDTLS_ERR_SSL_WANT_WRITE)
            cr = mbedtls_ssl_handshake(&c->ssl);
        if (sr == MBEDTLS_ERR_SSL_WANT_READ || sr == MBEDTLS_ERR_SSL_WANT_WRITE)
            sr = mbedtls_ssl_handshake(&sssl);
        bool cwait = cr == MBEDTLS_ERR_SSL_WANT_READ || cr == MBEDTLS_ERR_SSL_WANT_WRITE;
        bool swait = sr == MBEDTLS_ERR_SSL_WANT_READ || sr == MBEDTLS_ERR_SSL_WANT_WRITE;
        if (!cwait && (sr == 0 || !swait))
            break; /* client finished or failed, server done or failed */
        if (cr == 0 && !swait)
            break;
    }
    if (cr == MBEDTLS_ERR_SSL_WANT_READ) /* the server gave up without an alert */
        cr = MBEDTLS_ERR_SSL_CONN_EOF;
    c->io_status = ONSHI_E_CONNECTION_CLOSED;
    rc = cr == 0 ? ONSHI_OK : onshi__tls_map_error(ctx, t, c, cr, "localhost");
    if (cr == 0) {
        c->established = true;
        unsigned before = c->resumed;
        /* save for resumption as the transport does */
        mbedtls_ssl_session_free(&c->session);
        mbedtls_ssl_session_init(&c->session);
        c->have_session = mbedtls_ssl_get_session(&c->ssl, &c->session) == 0;
        if (resumed != NULL)
            *resumed = c->resumed - before;
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
    server_opts so = {&srv_ok, false, false};
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
    server_opts so = {kc, false, false};
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

static void test_tls11_server(void **state)
{
    (void)state;
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    onshi_ctx *ctx = mkctx();
    server_opts so = {&srv_ok, false, true};
    assert_int_equal(run(ctx, &so, false, NULL), ONSHI_E_TLS_VERSION);
    onshi_ctx_free(ctx);
#endif
}

static void test_client_cert_required(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    server_opts so = {&srv_ok, true, false};
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
        cmocka_unit_test(test_pkcs12_garbage),
        cmocka_unit_test(test_url_parse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
