/*
 * bench-https PKI_DIR TLS_SERVER — libonshi's HTTPS transport vs curl on loopback, same
 * server (test/tls-server, client certificate required), same client certificate, same
 * payload, measured in the same run:
 *   1. requests per second over one keep-alive TLS connection;
 *   2. cold-request latency: a new client (libonshi: new context incl. PKCS#12 load; curl: a
 *      new process) doing one full TLS handshake and one request.
 * Prints numbers and ratios. Goals: rate >= curl's, cold latency <= curl's. Never asserts.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "onshi.h"
#include "onshi_transport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RATE_N 2000
#define COLD_N 30

static const char *pki;
static int port;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *P(const char *n)
{
    static char b[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(b[i], sizeof b[i], "%s/%s", pki, n);
    return b[i];
}

static char payload[700];

static int use_pem;

static onshi_ctx *mkctx(void)
{
    onshi_ctx *ctx = NULL;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        exit(1);
    char url[100];
    snprintf(url, sizeof url, "https://localhost:%d", port);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, P("ca.pem"));
    if (use_pem) { /* the very files curl is given */
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, P("client.pem"));
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, P("client.key"));
    } else {
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, P("client.p12"));
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, "test-pass");
    }
    return ctx;
}

static int one(onshi_ctx *ctx)
{
    onshi_buf *b = NULL;
    int rc = onshi_https_exchange(&b, ctx, ONSHI_MSG_QUAL_REQ, payload, strlen(payload), NULL);
    onshi_buf_free(b);
    if (rc != ONSHI_OK)
        fprintf(stderr, "exchange failed: %s\n", onshi_ctx_last_error_message(ctx));
    return rc;
}

static int run_sh(const char *cmd)
{
    int r = system(cmd);
    return (r == -1 || !WIFEXITED(r)) ? -1 : WEXITSTATUS(r);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench-https PKI_DIR TLS_SERVER\n");
        return 2;
    }
    pki = argv[1];
    snprintf(payload, sizeof payload,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><XmlMsg><MessageHeader>"
             "<QualificationConfirmationDate>20250115</QualificationConfirmationDate>"
             "<MedicalInstitutionCode>1311234567</MedicalInstitutionCode>"
             "<ArbitraryFileIdentifier>BENCH-0001</ArbitraryFileIdentifier></MessageHeader>"
             "<MessageBody><QualificationConfirmSearchInfo><InsurerNumber>  138014</InsurerNumber>"
             "<InsuredCardSymbol>12-34</InsuredCardSymbol><InsuredIdentificationNumber>567"
             "</InsuredIdentificationNumber><InsuredBranchNumber>01</InsuredBranchNumber>"
             "<Birthdate>19800401</Birthdate><LimitApplicationCertificateRelatedConsFlg>1"
             "</LimitApplicationCertificateRelatedConsFlg></QualificationConfirmSearchInfo>"
             "</MessageBody></XmlMsg>");
    FILE *pf = fopen(P("payload.xml"), "w");
    fputs(payload, pf);
    fclose(pf);

    int pfd[2];
    if (pipe(pfd) != 0)
        return 1;
    pid_t srv = fork();
    if (srv == 0) {
        dup2(pfd[1], 1);
        execl(argv[2], argv[2], "--cert", P("server.pem"), "--key", P("server.key"), "--ca",
              P("ca.pem"), (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[64];
    while (port == 0 && fgets(line, sizeof line, f) != NULL)
        sscanf(line, "PORT %d", &port);
    fclose(f);
    if (port == 0) {
        fprintf(stderr, "server did not start\n");
        return 1;
    }

    /* 1. keep-alive rate, libonshi */
    onshi_ctx *ctx = mkctx();
    for (int i = 0; i < 50; i++) /* warm-up: handshake, caches */
        one(ctx);
    double t0 = now();
    for (int i = 0; i < RATE_N; i++)
        if (one(ctx) != ONSHI_OK)
            goto fail;
    double lib_rate = RATE_N / (now() - t0);
    onshi_ctx_free(ctx);

    /* 1. keep-alive rate, curl: one process, RATE_N URLs (curl reuses the connection). The
     * process start and the one handshake are measured separately and subtracted. */
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/curl-rate.cfg", pki);
    FILE *c = fopen(cfg, "w");
    fprintf(c, "silent\nshow-error\ncacert = \"%s\"\ncert = \"%s\"\nkey = \"%s\"\n"
            "header = \"Content-Type: application/xml; charset=UTF-8\"\n"
            "data-binary = \"@%s\"\n", P("ca.pem"), P("client.pem"), P("client.key"),
            P("payload.xml"));
    for (int i = 0; i < RATE_N; i++)
        fprintf(c, "url = \"https://localhost:%d/oqs/v1/OQSsiquc01req\"\noutput = \"/dev/null\"\n",
                port);
    fclose(c);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "curl --config '%s'", cfg);
    t0 = now();
    if (run_sh(cmd) != 0)
        goto curl_fail;
    double curl_total = now() - t0;

    /* 2. cold latency, curl: one process, one request (what a curl user pays) */
    double curl_cold[COLD_N], lib_cold[COLD_N];
    snprintf(cmd, sizeof cmd,
             "curl -s -S --cacert '%s' --cert '%s' --key '%s' -H 'Content-Type: application/xml; "
             "charset=UTF-8' --data-binary @'%s' -o /dev/null https://localhost:%d/oqs/v1/OQSsiquc01req",
             P("ca.pem"), P("client.pem"), P("client.key"), P("payload.xml"), port);
    for (int i = 0; i < COLD_N; i++) {
        t0 = now();
        if (run_sh(cmd) != 0)
            goto curl_fail;
        curl_cold[i] = now() - t0;
    }
    double curl_cold_med = median(curl_cold, COLD_N);
    double curl_rate = (RATE_N - 1) / (curl_total - curl_cold_med > 0.001 ? curl_total - curl_cold_med
                                                                            : curl_total);

    /* 2. cold latency, libonshi: a new context, full handshake, one request — with the
     * PEM files curl uses, and with the PKCS#12 file (adds PBKDF2 + MAC of the container) */
    double lib_pem[COLD_N];
    for (int pass = 0; pass < 2; pass++) {
        use_pem = pass == 0;
        for (int i = 0; i < COLD_N; i++) {
            t0 = now();
            ctx = mkctx();
            if (one(ctx) != ONSHI_OK)
                goto fail;
            onshi_ctx_free(ctx);
            (use_pem ? lib_pem : lib_cold)[i] = now() - t0;
        }
    }
    double lib_cold_med = median(lib_cold, COLD_N), lib_pem_med = median(lib_pem, COLD_N);

    printf("HTTPS benchmark (loopback, TLS 1.2, client certificate RSA-2048, server P-256, "
           "%zu-byte XmlMsg)\n", strlen(payload));
    printf("  keep-alive rate   libonshi %8.0f req/s   curl %8.0f req/s   ratio %.2f (goal >= 1)\n",
           lib_rate, curl_rate, lib_rate / curl_rate);
    printf("  cold request      libonshi %8.2f ms      curl %8.2f ms      ratio %.2f (goal <= 1; PEM, same files as curl)\n",
           lib_pem_med * 1e3, curl_cold_med * 1e3, lib_pem_med / curl_cold_med);
    printf("  cold request      libonshi %8.2f ms (PKCS#12)                    ratio %.2f\n",
           lib_cold_med * 1e3, lib_cold_med / curl_cold_med);
    printf("  (rate: %d requests; cold: median of %d; curl cold includes its process start, "
           "libonshi cold includes context creation and loading the certificate)\n", RATE_N, COLD_N);
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    return 0;
curl_fail:
    fprintf(stderr, "curl failed: %s\n", cmd);
fail:
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    return 1;
}
