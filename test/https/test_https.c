#define _GNU_SOURCE /* memmem */
/* transport (HTTPS): integration tests against test/tls-server on 127.0.0.1.
 * Environment: ONSHI_TEST_PKI (made by make-pki.sh), ONSHI_TEST_TLS_SERVER (the server). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../support/api.h"
#include "transport/https.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *pki, *server_bin;
static char logpath[512];

typedef struct srv {
    pid_t pid;
    int port, proxy;
} srv;

static const char *P(const char *name)
{
    static char buf[8][600];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", pki, name);
    return buf[i];
}

/* Start the server with cert `cert` (key server.key unless given) and extra args. */
static srv start(const char *cert, const char *key, const char *const *extra)
{
    srv s = {0, 0, 0};
    const char *argv[32];
    int n = 0;
    argv[n++] = server_bin;
    argv[n++] = "--cert";
    argv[n++] = P(cert);
    argv[n++] = "--key";
    argv[n++] = P(key != NULL ? key : "server.key");
    argv[n++] = "--log";
    argv[n++] = logpath;
    for (; extra != NULL && *extra != NULL && n < 30; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    unlink(logpath);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        execv(server_bin, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[64];
    while (s.port == 0 && fgets(line, sizeof line, f) != NULL) {
        sscanf(line, "PROXY %d", &s.proxy);
        sscanf(line, "PORT %d", &s.port);
    }
    fclose(f);
    assert_true(s.port > 0);
    return s;
}

static void stop(srv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* Lines of the server log containing `what`. */
static int log_count(const char *what)
{
    FILE *f = fopen(logpath, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, what) != NULL)
            n++;
    fclose(f);
    return n;
}

static onshi_ctx *mkctx(const srv *s)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    char url[128];
    snprintf(url, sizeof url, "https://localhost:%d/base", s->port);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, P("ca.pem")), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, P("client.p12")), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, "test-pass"), ONSHI_OK);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_BASE_MS, 5);
    return ctx;
}

static const char BODY[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><XmlMsg><MessageHeader>"
    "<MedicalInstitutionCode>1311234567</MedicalInstitutionCode></MessageHeader>"
    "<MessageBody/></XmlMsg>";

static int xchg(onshi_ctx *ctx, const char *key, onshi_buf **out, int *status)
{
    return onshi__https_exchange(out, status, ctx, ONSHI_MSG_QUAL_REQ, BODY, sizeof BODY - 1, key);
}

static void expect_fail(onshi_ctx *ctx, const char *key, int want)
{
    onshi_buf *b = NULL;
    int st = -1;
    int rc = xchg(ctx, key, &b, &st);
    if (rc != want)
        fprintf(stderr, "got %s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
    assert_int_equal(rc, want);
    assert_null(b);
}

/* The version the client and test server negotiate when both offer all they have. */
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define TOP_VERSION "TLSv1.3"
#else
#define TOP_VERSION "TLSv1.2"
#endif

static const char *const NONE[] = {NULL};
static const char *const REQ_CLIENT[] = {"--ca", NULL, NULL};

static const char *const *with_ca(void)
{
    static const char *a[3];
    a[0] = "--ca";
    a[1] = P("ca.pem");
    a[2] = NULL;
    return a;
}

/* ---- happy paths, keep-alive, resumption ---- */

static void test_pkcs12_keepalive_resumption(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    for (int i = 0; i < 3; i++) {
        onshi_buf *b = NULL;
        int st = 0;
        assert_int_equal(xchg(ctx, NULL, &b, &st), ONSHI_OK);
        assert_int_equal(st, 200);
        const char *d = (const char *)onshi_buf_data(b);
        assert_non_null(memmem(d, onshi_buf_len(b), "path=\"/base/oqs/v1/OQSsiquc01req\"", 33));
        assert_non_null(memmem(d, onshi_buf_len(b), BODY, sizeof BODY - 1));
        onshi_buf_free(b);
    }
    /* one TLS handshake for three requests: the connection was kept alive */
    assert_int_equal(log_count("handshake " TOP_VERSION), 1);
    assert_int_equal(log_count(" req="), 3);
    onshi__https *hs = onshi__https_state(ctx);
    assert_int_equal(hs->conn.handshakes, 1);
    onshi_https_close(ctx);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(hs->conn.handshakes, 2);
    assert_int_equal(hs->conn.resumed, 1); /* the second handshake resumed the session */
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_pem_client_and_chunked(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "chunked", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, "");
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, P("client.pem"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, P("client.key"));
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, "k-chunked", &b, NULL), ONSHI_OK);
    assert_non_null(memmem(onshi_buf_data(b), onshi_buf_len(b), BODY, sizeof BODY - 1));
    assert_non_null(memmem(onshi_buf_data(b), onshi_buf_len(b), "key=\"k-chunked\"", 15));
    onshi_buf_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_body_until_eof(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "eof", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    assert_non_null(memmem(onshi_buf_data(b), onshi_buf_len(b), "</Echo>", 7));
    onshi_buf_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_idle_close_reconnects_before_sending(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "close-after", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    for (int i = 0; i < 3; i++) {
        onshi_buf *b = NULL;
        /* no key: this only works because the dead connection is noticed before sending */
        assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
        onshi_buf_free(b);
        usleep(100 * 1000); /* let the server's close arrive; nothing is timed */
    }
    assert_int_equal(log_count(" req="), 3);
    assert_int_equal(log_count("handshake " TOP_VERSION), 3);
    assert_true(onshi__https_state(ctx)->conn.resumed >= 2);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_legacy_pkcs12(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, P("client-legacy.p12"));
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* ---- client certificate ---- */

static void test_pkcs12_wrong_password(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, "wrong");
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT_PASSWORD);
    int days = 0;
    assert_int_equal(onshi_client_cert_days_left(&days, ctx), ONSHI_E_CLIENT_CERT_PASSWORD);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, P("client-legacy.p12"));
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT_PASSWORD);
    assert_int_equal(log_count(" req="), 0);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_client_cert_missing(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, "");
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT);
    int days = 0;
    assert_int_equal(onshi_client_cert_days_left(&days, ctx), ONSHI_E_CLIENT_CERT);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_client_cert_expired(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, P("client-expired.p12"));
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT_EXPIRED);
    int days = 0;
    assert_int_equal(onshi_client_cert_days_left(&days, ctx), ONSHI_OK);
    assert_true(days < -365);
    onshi_ctx_free(ctx);
    stop(&s);
}

typedef struct warn_seen {
    int calls, days;
    char subject[256];
} warn_seen;

static int ONSHI_CALL on_expiry(void *ud, int days, const char *subject)
{
    warn_seen *w = ud;
    w->calls++;
    w->days = days;
    snprintf(w->subject, sizeof w->subject, "%s", subject);
    return 0;
}

static void test_expiry_warning(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    warn_seen w = {0, 0, ""};
    assert_int_equal(tcb_set_cert_expiry(ctx, on_expiry, &w), ONSHI_OK);
    int days = 0;
    assert_int_equal(onshi_client_cert_days_left(&days, ctx), ONSHI_OK);
    assert_true(days > 1000);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(w.calls, 0); /* five years left: no warning */

    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, "");
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, P("client-soon.pem"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, P("client.key"));
    assert_int_equal(onshi_client_cert_days_left(&days, ctx), ONSHI_OK);
    assert_true(days >= 9 && days <= 10);
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.days, days);
    assert_non_null(strstr(w.subject, "test clinic"));
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK); /* no repeat per exchange */
    onshi_buf_free(b);
    assert_int_equal(w.calls, 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* ---- server certificate ---- */

static void server_cert_case(const char *cert, const char *key, int want)
{
    srv s = start(cert, key, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    expect_fail(ctx, "retry-would-not-help", want);
    int kind = 0;
    int64_t v = 0;
    assert_int_equal(onshi_ctx_last_error_foreign(&kind, &v, ctx), want);
    assert_int_equal(kind, ONSHI_FOREIGN_MBEDTLS);
    assert_int_equal(v, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    assert_int_equal(log_count(" req="), 0); /* nothing was sent to an unverified server */
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_unknown_ca(void **state)
{
    (void)state;
    server_cert_case("server-otherca.pem", "server-otherca.key", ONSHI_E_TLS_SERVER_CERT);
}

static void test_expired_server_cert(void **state)
{
    (void)state;
    server_cert_case("server-expired.pem", NULL, ONSHI_E_TLS_SERVER_CERT_EXPIRED);
}

static void test_wrong_host(void **state)
{
    (void)state;
    server_cert_case("server-wronghost.pem", NULL, ONSHI_E_TLS_HOSTNAME);
}

static void test_pinning(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    unsigned char pin[32];
    FILE *f = fopen(P("server.pin"), "r");
    assert_non_null(f);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(fscanf(f, "%2x", &v), 1);
        pin[i] = (unsigned char)v;
    }
    fclose(f);
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, pin, 32), ONSHI_OK);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    pin[5] ^= 1;
    assert_int_equal(onshi_ctx_set_bytes(ctx, ONSHI_OPT_TLS_PINNED_KEY, pin, 32), ONSHI_OK);
    expect_fail(ctx, NULL, ONSHI_E_TLS_PIN_MISMATCH);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_tls11_refused(void **state)
{
    (void)state;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    /* mbedTLS 3 has no TLS 1.1 to serve; test_tls_mem's test_tls11_server answers the
     * ClientHello with a hand-written TLS 1.1 ServerHello there instead. */
    skip();
#endif
    const char *a[] = {"--ca", P("ca.pem"), "--tls-max", "1.1", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    expect_fail(ctx, NULL, ONSHI_E_TLS_VERSION);
    assert_int_equal(log_count(" req="), 0);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* Mutual authentication at the highest version both sides offer (TLS 1.3 with mbedTLS 3.6):
 * the server's refusal of a missing or untrusted client certificate arrives after the
 * client's handshake and must still be ONSHI_E_CLIENT_CERT (never retried, never OK). */
static void test_tls13_mutual_auth(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    for (int i = 0; i < 2; i++) {
        onshi_buf *b = NULL;
        assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
        onshi_buf_free(b);
        onshi_https_close(ctx); /* the second handshake resumes (a ticket under 1.3) */
    }
    assert_int_equal(log_count("handshake " TOP_VERSION), 2);
    assert_int_equal(onshi__https_state(ctx)->conn.resumed, 1);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, "");
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "client certificate"));
    onshi_ctx_free(ctx);
    stop(&s);
    int n_ok = log_count(" req=");
    assert_int_equal(n_ok, 2); /* the refused connection's request was never processed */
}

/* A server that offers at most TLS 1.2 is accepted, with the same client-certificate rule. */
static void test_tls12_server(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--tls-max", "1.2", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(log_count("handshake TLSv1.2"), 1);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, "");
    expect_fail(ctx, NULL, ONSHI_E_CLIENT_CERT);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* https://ADDRESS:PORT: the certificate must name the address in an iPAddress SAN. */
static void ip_literal_case(const char *cert, const char *urlhost, const char *const *extra,
                            int want)
{
    srv s = start(cert, NULL, extra);
    onshi_ctx *ctx = mkctx(&s);
    char url[128];
    snprintf(url, sizeof url, "https://%s:%d/base", urlhost, s.port);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url), ONSHI_OK);
    if (want == ONSHI_OK) {
        onshi_buf *b = NULL;
        assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
        onshi_buf_free(b);
        assert_int_equal(log_count(" req="), 1);
    } else {
        expect_fail(ctx, NULL, want);
        assert_int_equal(log_count(" req="), 0);
    }
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_ip_literal_v4(void **state)
{
    (void)state;
    ip_literal_case("server.pem", "127.0.0.1", with_ca(), ONSHI_OK);
    ip_literal_case("server-ipother.pem", "127.0.0.1", with_ca(), ONSHI_E_TLS_HOSTNAME);
    ip_literal_case("server-wronghost.pem", "127.0.0.1", with_ca(), ONSHI_E_TLS_HOSTNAME);
}

/* In ipv6.sh's namespace (the server on ::1 only). */
static void test_ip_literal_v6(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--ipv6", NULL};
    ip_literal_case("server.pem", "[::1]", a, ONSHI_OK);
    ip_literal_case("server-ipother.pem", "[::1]", a, ONSHI_E_TLS_HOSTNAME);
}

/* ---- faults of the HTTP exchange ---- */

static void fault_case(const char *mode, int want, int64_t read_timeout, int64_t max_size)
{
    const char *a[] = {"--ca", P("ca.pem"), "--mode", mode, NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    if (read_timeout > 0)
        onshi_ctx_set_int(ctx, ONSHI_OPT_READ_TIMEOUT_MS, read_timeout);
    if (max_size > 0)
        onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_MAX_SIZE, max_size);
    expect_fail(ctx, NULL, want);
    assert_int_equal(log_count(" req="), 1); /* no key: sent exactly once */
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_close_mid_response(void **state)
{
    (void)state;
    fault_case("close-mid", ONSHI_E_CONNECTION_CLOSED, 0, 0);
}

static void test_truncated_chunked(void **state)
{
    (void)state;
    fault_case("truncated", ONSHI_E_CONNECTION_CLOSED, 0, 0);
}

static void test_slow_server_timeout(void **state)
{
    (void)state;
    fault_case("slow", ONSHI_E_TIMEOUT, 300, 0);
}

/* A server dripping one byte at a time (faster than read_timeout_ms) is ended by the
 * call's overall deadline, http_deadline_ms (issue 12). */
static void test_drip_deadline(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "drip", "--slow-ms", "40", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_READ_TIMEOUT_MS, 5000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_HTTP_DEADLINE_MS, 1000);
    expect_fail(ctx, "drip-key-1", ONSHI_E_TIMEOUT);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "http_deadline_ms"));
    /* the deadline also stops retries of a request with an idempotency key */
    assert_int_equal(log_count(" req="), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_oversize(void **state)
{
    (void)state;
    fault_case("oversize", ONSHI_E_RESULT_TOO_LARGE, 0, 65536);
}

static void test_oversize_content_length(void **state)
{
    (void)state;
    fault_case("oversize-cl", ONSHI_E_RESULT_TOO_LARGE, 0, 65536);
}

static void test_malformed_http(void **state)
{
    (void)state;
    fault_case("garbage", ONSHI_E_HTTP_PROTOCOL, 0, 0);
}

static void test_close_mid_retried_with_key(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "close-mid", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, 2);
    expect_fail(ctx, "key-close", ONSHI_E_CONNECTION_CLOSED);
    assert_int_equal(log_count("key=key-close"), 3);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_503_backoff_with_key(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "status:503", "--fail", "2", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, 3);
    onshi_buf *b = NULL;
    int st = 0;
    assert_int_equal(xchg(ctx, "key-503", &b, &st), ONSHI_OK);
    assert_int_equal(st, 200);
    onshi_buf_free(b);
    assert_int_equal(log_count("key=key-503"), 3);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_503_no_key_sent_once(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "status:503", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, 3);
    onshi_buf *b = NULL;
    int st = 0;
    assert_int_equal(xchg(ctx, NULL, &b, &st), ONSHI_E_SERVER_BUSY);
    assert_int_equal(st, 503);
    assert_int_equal(log_count(" req="), 1);
    assert_int_equal(onshi__https_state(ctx)->requests_sent, 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_500_retries_exhausted(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "status:500", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, 2);
    expect_fail(ctx, "key-500", ONSHI_E_HTTP_STATUS);
    int kind = 0;
    int64_t v = 0;
    onshi_ctx_last_error_foreign(&kind, &v, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_HTTP);
    assert_int_equal(v, 500);
    assert_int_equal(log_count("key=key-500"), 3);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_4xx_not_retried(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "status:409", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    expect_fail(ctx, "key-409", ONSHI_E_HTTP_STATUS);
    assert_int_equal(log_count("key=key-409"), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* ---- proxy, connect ---- */

static void test_proxy(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--proxy", NULL};
    srv s = start("server.pem", NULL, a);
    assert_true(s.proxy > 0);
    onshi_ctx *ctx = mkctx(&s);
    char px[64];
    snprintf(px, sizeof px, "127.0.0.1:%d", s.proxy);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_PROXY, px), ONSHI_OK);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(log_count("proxy CONNECT localhost:"), 1);
    assert_int_equal(log_count(" req="), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_proxy_denied(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--proxy-deny", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    char px[64];
    snprintf(px, sizeof px, "127.0.0.1:%d", s.proxy);
    onshi_ctx_set_str(ctx, ONSHI_OPT_PROXY, px);
    expect_fail(ctx, NULL, ONSHI_E_PROXY);
    int kind = 0;
    int64_t v = 0;
    onshi_ctx_last_error_foreign(&kind, &v, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_HTTP);
    assert_int_equal(v, 403);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_connect_refused(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    stop(&s); /* the port is now closed */
    onshi_ctx *ctx = mkctx(&s);
    expect_fail(ctx, NULL, ONSHI_E_CONNECT);
    onshi_ctx_free(ctx);
}

/* Cancel once the server has logged the request `key` (then a little later, so the client
 * is inside the read or the back-off): no guess of how long TLS takes on a loaded machine. */
typedef struct cancel_arg {
    onshi_ctx *ctx;
    const char *key;
} cancel_arg;

static void *cancel_later(void *arg)
{
    const cancel_arg *c = arg;
    for (int i = 0; i < 3000 && log_count(c->key) < 1; i++) /* at most a minute */
        usleep(20 * 1000);
    usleep(200 * 1000);
    onshi_ctx_cancel(c->ctx);
    return NULL;
}

static void test_cancel_wakes_read(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "slow", "--slow-ms", "5000", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_READ_TIMEOUT_MS, 600000);
    pthread_t t;
    cancel_arg c = {ctx, "key=key-cancel"};
    pthread_create(&t, NULL, cancel_later, &c);
    expect_fail(ctx, "key-cancel", ONSHI_E_CANCELLED);
    pthread_join(t, NULL);
    assert_int_equal(log_count("key=key-cancel"), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_cancel_wakes_backoff(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--mode", "status:503", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, 5);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_BASE_MS, 600000); /* a 10-minute back-off... */
    onshi_ctx_set_int(ctx, ONSHI_OPT_HTTP_DEADLINE_MS, 3600000); /* (within the deadline) */
    pthread_t t;
    cancel_arg c = {ctx, "key=key-backoff"};
    pthread_create(&t, NULL, cancel_later, &c);
    expect_fail(ctx, "key-backoff", ONSHI_E_CANCELLED); /* ...that the cancel cuts short */
    pthread_join(t, NULL);
    assert_int_equal(log_count("key=key-backoff"), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    srv s = {0, 1, 0};
    onshi_ctx *ctx = mkctx(&s);
    onshi_buf *b = NULL;
    assert_int_equal(onshi_https_exchange(&b, ctx, ONSHI_MSG_QUAL_RES, BODY, 3, NULL),
                     ONSHI_E_INVALID_ARG); /* a result type is not sent */
    assert_int_equal(onshi_https_exchange(&b, ctx, ONSHI_MSG_QUAL_REQ, BODY, 3, "a b"),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_https_set_path(ctx, ONSHI_MSG_QUAL_REQ, "no-slash"),
                     ONSHI_E_INVALID_ARG);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, "http://localhost/");
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_E_CONFIG);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, "https://localhost:1/");
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, "");
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_E_CONFIG); /* no CA: never unverified */
    onshi_ctx_free(ctx);
}

static void test_path_override(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    assert_int_equal(onshi_https_set_path(ctx, ONSHI_MSG_QUAL_REQ, "/official/qualification"),
                     ONSHI_OK);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    assert_non_null(memmem(onshi_buf_data(b), onshi_buf_len(b),
                           "path=\"/official/qualification\"", 30));
    onshi_buf_free(b);
    assert_int_equal(onshi_https_exchange(&b, ctx, ONSHI_MSG_CARDAUTH_REQ, BODY, sizeof BODY - 1, NULL), ONSHI_OK);
    assert_non_null(memmem(onshi_buf_data(b), onshi_buf_len(b), "/base/oqs/v1/cardauth\"", 22));
    onshi_buf_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}


/* ---- IPv6 (run by ipv6.sh in a private network+mount namespace whose /etc/hosts maps the
 * name to 127.0.0.1 and ::1 while the server listens on ::1 only) ---- */

static void test_ipv6(void **state)
{
    (void)state;
    const char *host = getenv("ONSHI_TEST_V6_HOST");
    if (host == NULL) {
        skip();
        return;
    }
    const char *a[] = {"--ca", P("ca.pem"), "--ipv6", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    char url[128];
    snprintf(url, sizeof url, "https://%s:%d", host, s.port);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    onshi_buf *b = NULL;
    assert_int_equal(xchg(ctx, NULL, &b, NULL), ONSHI_OK);
    onshi_buf_free(b);
    assert_int_equal(log_count(" req="), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* In the same isolated namespace: a name that does not resolve (no DNS server is reachable
 * there, so nothing outside is contacted). */
static void test_dns_failure(void **state)
{
    (void)state;
    if (getenv("ONSHI_TEST_V6_HOST") == NULL) {
        skip();
        return;
    }
    srv s = {0, 443, 0};
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, "https://no-such-host.invalid/");
    expect_fail(ctx, "key-dns", ONSHI_E_DNS);
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_int_equal(onshi_diag_report_check(r, 0), ONSHI_DIAG_DNS);
    assert_int_equal(onshi_diag_report_status(r, 0), ONSHI_E_DNS);
    assert_int_equal(onshi_diag_report_outcome(r, 1), ONSHI_DIAG_SKIPPED);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
}

/* ---- diagnose ---- */

static int item_of(const onshi_diag_report *r, int check)
{
    for (size_t i = 0; i < onshi_diag_report_count(r); i++)
        if (onshi_diag_report_check(r, i) == check)
            return (int)i;
    return -1;
}

static void expect_item(const onshi_diag_report *r, int check, int outcome, int status)
{
    int i = item_of(r, check);
    assert_true(i >= 0);
    if (onshi_diag_report_outcome(r, (size_t)i) != outcome ||
        onshi_diag_report_status(r, (size_t)i) != status)
        fprintf(stderr, "check %d: outcome %d status %s: %s\n", check,
                onshi_diag_report_outcome(r, (size_t)i),
                onshi_status_name(onshi_diag_report_status(r, (size_t)i)),
                onshi_diag_report_message(r, (size_t)i));
    assert_int_equal(onshi_diag_report_outcome(r, (size_t)i), outcome);
    assert_int_equal(onshi_diag_report_status(r, (size_t)i), status);
    assert_true(strlen(onshi_diag_report_message(r, (size_t)i)) > 0);
    assert_true(strlen(onshi_diag_report_message(r, (size_t)i)) > 0);
}

static onshi_diag_report *diag(onshi_ctx *ctx)
{
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_non_null(r);
    return r;
}

static void test_diag_all_ok(void **state)
{
    (void)state;
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_diag_report *r = diag(ctx);
    assert_int_equal(onshi_diag_report_first_failure(r), ONSHI_E_NOT_FOUND);
    expect_item(r, ONSHI_DIAG_DNS, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_TCP, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_PROXY, ONSHI_DIAG_SKIPPED, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_SERVER_CERT, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_SERVER, ONSHI_DIAG_OK, ONSHI_OK);
    onshi_diag_report_free(r);
    /* never an XmlMsg request: only the GET of the health path reached the server */
    assert_int_equal(log_count(" POST "), 0);
    assert_int_equal(log_count(" GET /base/oqs/v1/health"), 1);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void diag_server_cert_case(const char *cert, const char *key, int want)
{
    srv s = start(cert, key, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_diag_report *r = diag(ctx);
    expect_item(r, ONSHI_DIAG_SERVER_CERT, ONSHI_DIAG_FAIL, want);
    assert_int_equal(onshi_diag_report_first_failure(r), item_of(r, ONSHI_DIAG_SERVER_CERT));
    expect_item(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_SKIPPED, ONSHI_OK);
    onshi_diag_report_free(r);
    assert_int_equal(log_count(" req="), 0);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_diag_server_certs(void **state)
{
    (void)state;
    diag_server_cert_case("server-otherca.pem", "server-otherca.key", ONSHI_E_TLS_SERVER_CERT);
    diag_server_cert_case("server-expired.pem", NULL, ONSHI_E_TLS_SERVER_CERT_EXPIRED);
    diag_server_cert_case("server-wronghost.pem", NULL, ONSHI_E_TLS_HOSTNAME);
}

static void diag_client_case(const char *p12, const char *pw, int want)
{
    srv s = start("server.pem", NULL, with_ca());
    onshi_ctx *ctx = mkctx(&s);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, p12 != NULL ? P(p12) : "");
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, pw);
    onshi_diag_report *r = diag(ctx);
    expect_item(r, ONSHI_DIAG_SERVER_CERT, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_FAIL, want);
    expect_item(r, ONSHI_DIAG_SERVER, ONSHI_DIAG_SKIPPED, ONSHI_OK);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
    stop(&s);
}

static void test_diag_client_certs(void **state)
{
    (void)state;
    diag_client_case(NULL, "", ONSHI_E_CLIENT_CERT);
    diag_client_case("client.p12", "wrong", ONSHI_E_CLIENT_CERT_PASSWORD);
    diag_client_case("client-expired.p12", "test-pass", ONSHI_E_CLIENT_CERT_EXPIRED);
    /* valid, but issued by a CA the server does not trust: under TLS 1.3 the refusal comes
     * after the handshake, and diagnose must still name the client certificate */
    diag_client_case("client-otherca.p12", "test-pass", ONSHI_E_CLIENT_CERT);
}

static void test_diag_proxy_tcp_server(void **state)
{
    (void)state;
    const char *a[] = {"--ca", P("ca.pem"), "--proxy-deny", NULL};
    srv s = start("server.pem", NULL, a);
    onshi_ctx *ctx = mkctx(&s);
    char px[64];
    snprintf(px, sizeof px, "127.0.0.1:%d", s.proxy);
    onshi_ctx_set_str(ctx, ONSHI_OPT_PROXY, px);
    onshi_diag_report *r = diag(ctx);
    expect_item(r, ONSHI_DIAG_TCP, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_PROXY, ONSHI_DIAG_FAIL, ONSHI_E_PROXY);
    onshi_diag_report_free(r);
    stop(&s);

    r = diag(ctx); /* the proxy is gone: TCP to it fails */
    expect_item(r, ONSHI_DIAG_TCP, ONSHI_DIAG_FAIL, ONSHI_E_PROXY);
    onshi_diag_report_free(r);
    onshi_ctx_set_str(ctx, ONSHI_OPT_PROXY, "");
    r = diag(ctx);
    expect_item(r, ONSHI_DIAG_TCP, ONSHI_DIAG_FAIL, ONSHI_E_CONNECT);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);

    const char *b[] = {"--ca", P("ca.pem"), "--mode", "status:503", NULL};
    s = start("server.pem", NULL, b);
    ctx = mkctx(&s);
    r = diag(ctx);
    expect_item(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_OK, ONSHI_OK);
    expect_item(r, ONSHI_DIAG_SERVER, ONSHI_DIAG_FAIL, ONSHI_E_SERVER_BUSY);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
    stop(&s);
}

int main(void)
{
    pki = getenv("ONSHI_TEST_PKI");
    server_bin = getenv("ONSHI_TEST_TLS_SERVER");
    if (pki == NULL || server_bin == NULL) {
        fprintf(stderr, "set ONSHI_TEST_PKI and ONSHI_TEST_TLS_SERVER (make https-integration)\n");
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/server.log", pki);
    (void)REQ_CLIENT;
    (void)NONE;
    if (getenv("ONSHI_TEST_V6_HOST") != NULL) {
        const struct CMUnitTest v6[] = {cmocka_unit_test(test_ipv6),
                                        cmocka_unit_test(test_dns_failure),
                                        cmocka_unit_test(test_ip_literal_v6)};
        return cmocka_run_group_tests(v6, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkcs12_keepalive_resumption),
        cmocka_unit_test(test_pem_client_and_chunked),
        cmocka_unit_test(test_body_until_eof),
        cmocka_unit_test(test_idle_close_reconnects_before_sending),
        cmocka_unit_test(test_legacy_pkcs12),
        cmocka_unit_test(test_pkcs12_wrong_password),
        cmocka_unit_test(test_client_cert_missing),
        cmocka_unit_test(test_client_cert_expired),
        cmocka_unit_test(test_expiry_warning),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_expired_server_cert),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_pinning),
        cmocka_unit_test(test_tls11_refused),
        cmocka_unit_test(test_tls13_mutual_auth),
        cmocka_unit_test(test_tls12_server),
        cmocka_unit_test(test_ip_literal_v4),
        cmocka_unit_test(test_close_mid_response),
        cmocka_unit_test(test_truncated_chunked),
        cmocka_unit_test(test_slow_server_timeout), cmocka_unit_test(test_drip_deadline),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_oversize_content_length),
        cmocka_unit_test(test_malformed_http),
        cmocka_unit_test(test_close_mid_retried_with_key),
        cmocka_unit_test(test_503_backoff_with_key),
        cmocka_unit_test(test_503_no_key_sent_once),
        cmocka_unit_test(test_500_retries_exhausted),
        cmocka_unit_test(test_4xx_not_retried),
        cmocka_unit_test(test_proxy),
        cmocka_unit_test(test_proxy_denied),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_cancel_wakes_read),
        cmocka_unit_test(test_cancel_wakes_backoff),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_path_override),
        cmocka_unit_test(test_diag_all_ok),
        cmocka_unit_test(test_diag_server_certs),
        cmocka_unit_test(test_diag_client_certs),
        cmocka_unit_test(test_diag_proxy_tcp_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
