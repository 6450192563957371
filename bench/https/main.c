/*
 * bench-https SIM_PKI PORT ONSHI_CLI [RAW_OUT] — libonshi's HTTPS transport against curl, both
 * talking to the same onshi-sim (`serve`, client certificate required) with the same client
 * certificate (PEM) and the same 資格確認 request, both sides measured in the same run:
 *
 *  1. keep-alive: the time of each request on an open connection. libonshi: one context, N
 *     exchanges in this process. curl: one curl process given N URLs (it keeps the
 *     connection; its own `time_total` of every transfer is read back, and `num_connects`
 *     proves that only the first one connected).
 *  2. cold request, process against process: the `onshi verify` command (a new process that
 *     reads its configuration, builds and validates the request, connects, does the TLS
 *     handshake, sends, decodes and prints the result) against a `curl` process posting the
 *     same bytes (connect, handshake, send, write the answer). The two alternate; each pair
 *     gives a ratio.
 *
 * Prints medians, min / median / max of the per-pair ratios; appends raw samples to RAW_OUT
 * for bench/report.py. Never asserts a time.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "onshi.h"
#include "onshi_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *pki;
static int port;
static char payload[1200], payload_path[700], conf_path[700];

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

static onshi_ctx *mkctx(void)
{
    onshi_ctx *ctx = NULL;
    if (onshi_ctx_new(&ctx) != ONSHI_OK || onshi_ctx_load_config(ctx, conf_path) != ONSHI_OK) {
        fprintf(stderr, "bench-https: context: %s\n", ctx ? onshi_ctx_last_error_message(ctx) : "");
        exit(1);
    }
    return ctx;
}

static int one(onshi_ctx *ctx)
{
    onshi_buf *b = NULL;
    int rc = onshi_https_exchange(&b, ctx, ONSHI_MSG_QUAL_REQ, payload, strlen(payload), NULL);
    if (rc == ONSHI_OK && strstr((const char *)onshi_buf_data(b), "<QualificationValidity>") == NULL)
        rc = ONSHI_E_HTTP_PROTOCOL;
    onshi_buf_free(b);
    if (rc != ONSHI_OK)
        fprintf(stderr, "exchange failed: %s\n", onshi_ctx_last_error_message(ctx));
    return rc;
}

/* Run argv as a child process (stdout to /dev/null or to `out`); its wall time. */
static double run(char *const argv[], const char *out)
{
    fflush(stdout); /* nothing buffered may be written twice by the child */
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(out ? out : "/dev/null", "w", stdout);
        (void)f;
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now() - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double *c = malloc((size_t)n * sizeof *c);
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

static void raw_line(FILE *f, const char *name, const double *v, int n)
{
    if (f == NULL)
        return;
    fprintf(f, "https\t%s", name);
    for (int i = 0; i < n; i++)
        fprintf(f, "\t%.6f", v[i]);
    fputc('\n', f);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench-https SIM_PKI PORT ONSHI_CLI [RAW_OUT]\n");
        return 2;
    }
    pki = argv[1];
    port = atoi(argv[2]);
    const char *cli = argv[3];
    FILE *raw = argc > 4 ? fopen(argv[4], "a") : NULL;
    const char *e;
    int rate_n = (e = getenv("BENCH_HTTPS_N")) ? atoi(e) : 1000;
    int cold_n = (e = getenv("BENCH_HTTPS_COLD")) ? atoi(e) : 30;
    if (rate_n < 10)
        rate_n = 10;
    if (cold_n < 3)
        cold_n = 3;

    /* a seed person of the simulator's registry, asked by the institution of the certificate */
    snprintf(payload, sizeof payload,
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><XmlMsg><MessageHeader>"
             "<QualificationConfirmationDate>20250115</QualificationConfirmationDate>"
             "<MedicalInstitutionCode>1311234569</MedicalInstitutionCode>"
             "<ArbitraryFileIdentifier>BENCH-0001</ArbitraryFileIdentifier></MessageHeader>"
             "<MessageBody><QualificationConfirmSearchInfo><InsurerNumber>01130111</InsurerNumber>"
             "<InsuredCardSymbol>101-01</InsuredCardSymbol><InsuredIdentificationNumber>0001037"
             "</InsuredIdentificationNumber><InsuredBranchNumber>01</InsuredBranchNumber>"
             "<Birthdate>19800401</Birthdate><LimitApplicationCertificateRelatedConsFlg>0"
             "</LimitApplicationCertificateRelatedConsFlg></QualificationConfirmSearchInfo>"
             "</MessageBody></XmlMsg>");
    snprintf(payload_path, sizeof payload_path, "%s", P("bench-payload.xml"));
    snprintf(conf_path, sizeof conf_path, "%s", P("bench-onshi.conf"));
    FILE *f = fopen(payload_path, "w");
    fputs(payload, f);
    fclose(f);
    f = fopen(conf_path, "w");
    fprintf(f, "transport = https\nserver_url = https://localhost:%d\ntls_ca_file = %s\n"
               "tls_client_cert = %s\ntls_client_key = %s\nmedical_institution_code = 1311234569\n"
               "state_db = %s\n",
            port, P("tls-ca.crt"), P("client-1311234569.crt"), P("client-1311234569.key"),
            P("bench-state.db"));
    fclose(f);

    /* 1. keep-alive, libonshi: per-request times on one context */
    double *lib = malloc((size_t)rate_n * sizeof *lib), *cu = malloc((size_t)rate_n * sizeof *cu);
    onshi_ctx *ctx = mkctx();
    for (int i = 0; i < 20; i++) /* warm-up: handshake, caches */
        if (one(ctx) != ONSHI_OK)
            return 1;
    for (int i = 0; i < rate_n; i++) {
        double t0 = now();
        if (one(ctx) != ONSHI_OK)
            return 1;
        lib[i] = now() - t0;
    }
    onshi_ctx_free(ctx);

    /* 1. keep-alive, curl: one process, rate_n + 1 URLs; its own timing per transfer */
    char cfg[700], wout[700];
    snprintf(cfg, sizeof cfg, "%s", P("bench-curl.cfg"));
    snprintf(wout, sizeof wout, "%s", P("bench-curl.out"));
    f = fopen(cfg, "w");
    fprintf(f, "silent\nshow-error\ncacert = \"%s\"\ncert = \"%s\"\nkey = \"%s\"\n"
               "header = \"Content-Type: application/xml; charset=UTF-8\"\n"
               "data-binary = \"@%s\"\nwrite-out = \"%%{time_total} %%{num_connects} %%{http_code}\\n\"\n",
            P("tls-ca.crt"), P("client-1311234569.crt"), P("client-1311234569.key"), payload_path);
    for (int i = 0; i <= rate_n; i++)
        fprintf(f, "url = \"https://localhost:%d/oqs/v1/OQSsiquc01req\"\noutput = \"/dev/null\"\n",
                port);
    fclose(f);
    char *curl_rate[] = {"curl", "--config", cfg, NULL};
    if (run(curl_rate, wout) < 0) {
        fprintf(stderr, "bench-https: curl failed\n");
        return 1;
    }
    f = fopen(wout, "r");
    int k = 0, reconnects = 0;
    double t;
    int conns, code;
    for (int i = 0; f && fscanf(f, "%lf %d %d", &t, &conns, &code) == 3; i++) {
        if (code != 200) {
            fprintf(stderr, "bench-https: curl got HTTP %d\n", code);
            return 1;
        }
        if (i == 0)
            continue; /* the one that connected */
        reconnects += conns;
        if (k < rate_n)
            cu[k++] = t;
    }
    if (f)
        fclose(f);
    if (k < rate_n) {
        fprintf(stderr, "bench-https: curl reported %d transfers\n", k);
        return 1;
    }
    raw_line(raw, "keepalive-libonshi", lib, rate_n);
    raw_line(raw, "keepalive-curl", cu, rate_n);
    double ml = median(lib, rate_n), mc = median(cu, rate_n);
    printf("HTTPS against onshi-sim (loopback, TLS 1.2, client certificate RSA-2048, %zu-byte request)\n",
           strlen(payload));
    printf("  keep-alive, per request (median of %d): libonshi %.3f ms (%.0f/s), curl %.3f ms (%.0f/s),"
           " ratio libonshi/curl %.2f; curl reconnected %d times\n",
           rate_n, ml * 1e3, 1 / ml, mc * 1e3, 1 / mc, ml / mc, reconnects);

    /* 2. cold, process against process, alternating */
    double *po = malloc((size_t)cold_n * sizeof *po), *pc = malloc((size_t)cold_n * sizeof *pc),
           *ra = malloc((size_t)cold_n * sizeof *ra);
    char url[200];
    snprintf(url, sizeof url, "https://localhost:%d/oqs/v1/OQSsiquc01req", port);
    char *onshi_argv[] = {(char *)cli, "verify", "--config", conf_path, "--insurer", "01130111",
                          "--symbol", "101-01", "--number", "0001037", "--branch", "01",
                          "--birth", "19800401", "--json", NULL};
    char data_arg[720];
    snprintf(data_arg, sizeof data_arg, "@%s", payload_path);
    char *curl_argv[] = {"curl", "-s", "-S", "--cacert", (char *)P("tls-ca.crt"), "--cert",
                         (char *)P("client-1311234569.crt"), "--key",
                         (char *)P("client-1311234569.key"), "-H",
                         "Content-Type: application/xml; charset=UTF-8", "--data-binary", data_arg,
                         url, NULL};
    for (int i = 0; i < cold_n; i++) {
        if (i % 2) {
            pc[i] = run(curl_argv, NULL);
            po[i] = run(onshi_argv, NULL);
        } else {
            po[i] = run(onshi_argv, NULL);
            pc[i] = run(curl_argv, NULL);
        }
        if (po[i] < 0 || pc[i] < 0) {
            fprintf(stderr, "bench-https: a cold run failed (%s)\n", po[i] < 0 ? "onshi" : "curl");
            return 1;
        }
        ra[i] = po[i] / pc[i];
    }
    raw_line(raw, "cold-onshi-process", po, cold_n);
    raw_line(raw, "cold-curl-process", pc, cold_n);
    qsort(ra, (size_t)cold_n, sizeof *ra, cmp);
    printf("  cold request, process vs process (%d pairs): onshi verify %.1f ms, curl %.1f ms (medians);"
           " ratio onshi/curl min %.2f median %.2f max %.2f\n",
           cold_n, median(po, cold_n) * 1e3, median(pc, cold_n) * 1e3, ra[0], ra[cold_n / 2],
           ra[cold_n - 1]);
    if (raw)
        fclose(raw);
    free(lib);
    free(cu);
    free(po);
    free(pc);
    free(ra);
    return 0;
}
