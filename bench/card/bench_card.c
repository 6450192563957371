/*
 * Benchmark (not a test): the same virtual card (onshi-vcard), the same private pcscd, the
 * same run. Run by `make bench` through test/integration/pcsc/harness.sh.
 *   1. "read the auth certificate": APDU count (from the card's APDU log) and wall time,
 *      libonshi vs OpenSC (pkcs15-tool --read-certificate, its JPKI driver) vs the raw PC/SC
 *      floor; per process (both start, connect, read, exit) and libonshi in-process.
 *   2. With --latency-ms 20 --sign-ms 300: libonshi's read + PIN + sign against a raw PC/SC
 *      replay of exactly the APDUs the library sent; the difference is the SDK's own
 *      overhead beyond the card's modelled time.
 *   3. What pcscd costs: the whole verification as a process through pcscd + vpcd + the card
 *      daemon against a process with the same card core in-process (callback driver), in
 *      alternating pairs, for a physical card and an Android smartphone; per APDU.
 * Like with like: a process against a process (pkcs15-tool vs `bench_card once`), in-process
 * against the raw PC/SC floor in-process; the certificate is the size of a real one (~1.3 kB:
 * six READ BINARY of 256 bytes, where the old 995-byte test certificate needed four).
 *   4. APDUs of one whole verification (open, certificate, signature) per holder, counted from
 *      the card's log, beside the minimum; `bench_card apdus` runs this part alone (no timing).
 * Prints medians and ratios, the APDU counts beside OpenSC's and the minimum; asserts nothing.
 * With BENCH_RAW=FILE, appends raw lines for bench/report.py.
 */
#include "onshi.h"

#include "../../test/integration/pcsc/pcsc_util.h"
#include "../../tools/onshi-vcard/vcard.h"
#include "../../tools/onshi-vcard/vcard_pki.h"
#include "../../tools/onshi-pki/pki.h"

#include <mbedtls/md.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 9

static vc_pki pki;
static FILE *raw;

/* The fewest APDUs a whole verification (read the auth certificate, PIN status, VERIFY, sign)
 * can take on a physical card, for a 1.3 kB certificate: SELECT AP, SELECT EF, 6 READ BINARY,
 * SELECT PIN EF, status, VERIFY, SELECT key, SIGN (issue 17); one READ BINARY more per
 * further 256 bytes of certificate. */
#define MIN_APDUS_VERIFY 13

/* A test PKI whose auth certificate has the size of a real one. The JPKI test profile of
 * tools/onshi-pki is 995 bytes; a real 利用者証明用電子証明書 is about 1.3 kB (a longer
 * issuer, directoryName CRL distribution points, CPS URI). The issuer here takes the real
 * CA's naming shape and the subject carries the difference, so the card stores and the SDK
 * reads as many bytes as on a real card. */
static int bench_pki(vc_pki *p)
{
    pki_key *ca_key = NULL, *card_key = NULL;
    pki_cert_spec ca_spec, card_spec;
    unsigned char *ca = NULL, *cert = NULL;
    size_t ca_len = 0, cert_len = 0;
    int rc;
    memset(&ca_spec, 0, sizeof ca_spec);
    memset(&card_spec, 0, sizeof card_spec);
    ca_spec.profile = PKI_PROFILE_CA;
    ca_spec.subject = "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,"
                      "L=Japan Agency for Local Authority Information Systems (test)";
    card_spec.profile = PKI_PROFILE_JPKI_AUTH;
    /* mbedTLS keeps one value per attribute type (a second OU replaces the first): the size
     * comes from distinct types */
    card_spec.subject = "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,"
                        "ST=size of a real directoryName CRL distribution point 0123456789,"
                        "L=Japan Agency for Local Authority Information Systems (test),"
                        "title=padding to the size of a real one,"
                        "serialNumber=20250115000000000000000000000001,"
                        "CN=20250115000000000000000000000001";
    memset(p, 0, sizeof *p);
    if ((rc = pki_key_gen(&ca_key, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_key_gen(&card_key, PKI_KEY_RSA2048)) != 0 ||
        (rc = pki_cert_issue(&ca_spec, ca_key, ca_key, NULL, 0, &ca, &ca_len)) != 0 ||
        (rc = pki_cert_issue(&card_spec, card_key, ca_key, ca, ca_len, &cert, &cert_len)) != 0)
        goto out;
    snprintf(p->cert, sizeof p->cert, "%s/bench-auth.der", pt_rundir());
    snprintf(p->ca, sizeof p->ca, "%s/bench-ca.der", pt_rundir());
    snprintf(p->key, sizeof p->key, "%s/bench-auth.key", pt_rundir());
    if ((rc = pki_cert_write(p->cert, cert, cert_len, 0)) != 0 ||
        (rc = pki_cert_write(p->ca, ca, ca_len, 0)) != 0 ||
        (rc = pki_key_write(card_key, p->key)) != 0)
        goto out;
    p->cert_der = cert;
    p->cert_len = cert_len;
    p->ca_der = ca;
    p->ca_len = ca_len;
    cert = ca = NULL;
out:
    free(cert);
    free(ca);
    pki_key_free(ca_key);
    pki_key_free(card_key);
    return rc;
}
static SCARDCONTEXT pctx;
static const char *self;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long log_apdus(const char *path)
{
    pt_logscan s;
    return pt_log_scan(path, &s) == 0 ? (long)s.apdus : -1;
}

static int log_outside(const char *path)
{
    pt_logscan s;
    return pt_log_scan(path, &s) == 0 ? (int)s.outside : -1;
}

static int run_cmd(char *const argv[], char *const envp_extra[])
{
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        int i;
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        for (i = 0; envp_extra != NULL && envp_extra[i] != NULL; i++)
            putenv(envp_extra[i]);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- libonshi ---------------------------------------------------------------------------- */

static int ONSHI_CALL pin_cb(void *ud, int tries, int last, char *buf, size_t cap, int *confirm)
{
    (void)ud, (void)tries, (void)last, (void)confirm;
    snprintf(buf, cap, "1234");
    return 0;
}

static onshi_ctx *lib_ctx(void)
{
    onshi_ctx *ctx = NULL;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return NULL;
    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, READER0);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 5000);
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.pin = pin_cb;
    cbs.pin_userdata = NULL;
    onshi_ctx_set_callbacks(ctx, &cbs);
    return ctx;
}

static int lib_read(onshi_ctx *ctx)
{
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    int rc = onshi_card_open(&card, ctx);
    if (rc == ONSHI_OK)
        rc = onshi_card_read_auth_cert(&cert, card);
    onshi_cert_free(cert);
    onshi_card_free(card);
    return rc;
}

static int lib_read_sign(onshi_ctx *ctx)
{
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32];
    int rc;
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)"bench", 5,
               hash);
    rc = onshi_card_open(&card, ctx);
    if (rc == ONSHI_OK)
        rc = onshi_card_read_auth_cert(&cert, card);
    if (rc == ONSHI_OK)
        rc = onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32);
    onshi_buf_free(sig);
    onshi_cert_free(cert);
    onshi_card_free(card);
    return rc;
}

typedef struct timed_card timed_card;
static int ONSHI_CALL timed_transmit(void *ud, const unsigned char *cmd, size_t len,
                                     unsigned char *resp, size_t cap, size_t *rlen);
static int ONSHI_CALL timed_reset(void *ud);
struct timed_card {
    vcard *card;
    double inside_ms;
};

/* `bench_card sign-pcsc`: one whole verification (open, read the auth certificate, PIN,
 * sign) as a process, through pcscd and vpcd to the onshi-vcard daemon. */
static int sign_pcsc(void)
{
    onshi_ctx *ctx = lib_ctx();
    int rc = ctx != NULL ? lib_read_sign(ctx) : -1;
    onshi_ctx_free(ctx);
    return rc == ONSHI_OK ? 0 : 1;
}

/* `bench_card sign-inproc CERT KEY CA [android]`: the same as a process, with the same card
 * core in the process behind the callback driver (no pcscd, no vpcd, no socket). */
static int sign_inproc(int argc, char **argv)
{
    vcard_material m;
    vcard_config cfg;
    vcard *card = NULL;
    timed_card t;
    const char *failed;
    char err[128];
    onshi_ctx *ctx = NULL;
    int rc = 1;
    if (argc < 5 || vcard_material_load(&m, argv[2], argv[3], argv[4], &failed) != 0)
        return 2;
    vcard_material_config(&cfg, &m);
    if (argc > 5 && strcmp(argv[5], "android") == 0)
        cfg.smartphone = VCARD_PHONE_ANDROID;
    if (vcard_new(&card, &cfg, err, sizeof err) == 0 && onshi_ctx_new(&ctx) == ONSHI_OK) {
        memset(&t, 0, sizeof t);
        t.card = card;
        onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
        onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
        cbs.card_transmit = timed_transmit;
        cbs.card_transmit_userdata = &t;
        cbs.card_reset = timed_reset;
        cbs.card_reset_userdata = &t;
        cbs.pin = pin_cb;
        cbs.pin_userdata = NULL;
        onshi_ctx_set_callbacks(ctx, &cbs);
        rc = lib_read_sign(ctx) == ONSHI_OK ? 0 : 1;
    }
    onshi_ctx_free(ctx);
    vcard_free(card);
    vcard_material_free(&m);
    return rc;
}

/* `bench_card once`: one libonshi certificate read as a whole process, like pkcs15-tool. */
static int once(void)
{
    onshi_ctx *ctx = lib_ctx();
    int rc = ctx != NULL ? lib_read(ctx) : -1;
    onshi_ctx_free(ctx);
    return rc == ONSHI_OK ? 0 : 1;
}

/* ---- raw PC/SC ----------------------------------------------------------------------------- */

/* Begin a transaction; after another handle reset the card, reconnect first. */
static int begin(SCARDHANDLE h)
{
    DWORD proto;
    LONG rv = SCardBeginTransaction(h);
    if (rv == SCARD_W_RESET_CARD &&
        SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD, &proto) ==
            SCARD_S_SUCCESS)
        rv = SCardBeginTransaction(h);
    return rv == SCARD_S_SUCCESS ? 0 : -1;
}

/* The minimal sequence: SELECT AP, SELECT 000A, READ BINARY 256-byte chunks sized from the
 * DER header carried by the first one. */
static int raw_read(SCARDHANDLE h)
{
    unsigned char buf[8192], rb[5] = {0x00, 0xB0, 0, 0, 0};
    size_t off = 0, total = 0, got;
    if (begin(h) != 0)
        return -1;
    if (pt_xfer(h, "00A4040C0AD392F000260100000001", NULL, NULL, NULL) != 0x9000 ||
        pt_xfer(h, "00A4020C02000A", NULL, NULL, NULL) != 0x9000)
        goto fail;
    do {
        rb[2] = (unsigned char)(off >> 8);
        rb[3] = (unsigned char)off;
        rb[4] = total && total - off < 256 ? (unsigned char)(total - off) : 0;
        if (pt_xfer_bin(h, rb, 5, buf + off, &got, NULL) != 0x9000 || got == 0)
            goto fail;
        if (off == 0)
            total = ((size_t)buf[2] << 8 | buf[3]) + 4;
        off += got;
    } while (off < total);
    SCardEndTransaction(h, SCARD_LEAVE_CARD);
    return 0;
fail:
    SCardEndTransaction(h, SCARD_LEAVE_CARD);
    return -1;
}

/* Replay the command lines of an APDU log (VERIFY data → the test PIN) in one transaction,
 * reset at the end as the library does. */
typedef struct replay {
    unsigned char cmd[64][300];
    size_t len[64];
    int n;
} replay;

static int load_replay(const char *path, long skip, replay *r)
{
    char line[70000];
    long i = 0;
    FILE *f = fopen(path, "r");
    r->n = 0;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL && r->n < 64) {
        char *p;
        size_t n = 0, k;
        if (line[0] == '#')
            continue;
        if (i++ < skip)
            continue;
        p = strchr(line, ' ');
        if (p != NULL)
            *p = '\0';
        for (k = 0; line[k] && line[k + 1] && n < 300; k += 2) {
            unsigned v;
            if (line[k] == '*') {
                v = (unsigned char)"1234"[(n - 5) % 4];
            } else if (sscanf(line + k, "%2x", &v) != 1) {
                break;
            }
            r->cmd[r->n][n++] = (unsigned char)v;
        }
        r->len[r->n++] = n;
    }
    fclose(f);
    return 0;
}

static int raw_replay(SCARDHANDLE h, const replay *r)
{
    int i, bad = 0;
    if (begin(h) != 0)
        return -1;
    for (i = 0; i < r->n; i++) {
        int sw = pt_xfer_bin(h, r->cmd[i], r->len[i], NULL, NULL, NULL);
        /* Same answers as the library got: 9000, or 63Cx for the empty VERIFY. */
        if (sw != 0x9000 && (sw & 0xFFF0) != 0x63C0)
            bad++;
    }
    SCardEndTransaction(h, SCARD_RESET_CARD);
    return bad ? -1 : 0;
}

/* ---- the runs ------------------------------------------------------------------------------ */

static void bench_read(void)
{
    static const char *const none[] = {NULL};
    double t_lib[ROUNDS], t_raw[ROUNDS], p_lib[ROUNDS], p_osc[ROUNDS], p_osc_all[ROUNDS];
    long a_lib = 0, a_raw = 0, a_osc = 0, a_osc_all = 0, before;
    int out_lib = 0, out_osc = 0, out_osc_all = 0, i, fails = 0;
    char osc_out[600], home[600], env_home[700], env_cache[700];
    char *osc_argv[] = {"pkcs15-tool", "--read-certificate", "01", "-o", osc_out, NULL};
    char *env_jpki[] = {"OPENSC_DRIVER=jpki", env_home, env_cache, NULL};
    char *env_auto[] = {env_home, env_cache, NULL};
    char *once_argv[] = {(char *)self, "once", NULL};
    onshi_ctx *ctx = lib_ctx();
    vc_proc card;
    SCARDHANDLE h;

    snprintf(osc_out, sizeof osc_out, "%s/opensc-cert.pem", pt_rundir());
    /* A fresh HOME: no OpenSC file cache can answer instead of the card. */
    snprintf(home, sizeof home, "%s/opensc-home", pt_rundir());
    mkdir(home, 0700);
    snprintf(env_home, sizeof env_home, "HOME=%s", home);
    snprintf(env_cache, sizeof env_cache, "XDG_CACHE_HOME=%s/cache", home);
    if (vc_start(&card, pctx, READER0, "bench-read", &pki, none) != 0 || ctx == NULL) {
        fprintf(stderr, "bench: the virtual card did not start\n");
        exit(1);
    }
    h = pt_connect(pctx, READER0);
    /* Warm-up: one of each. */
    fails += lib_read(ctx) != ONSHI_OK;
    fails += raw_read(h) != 0;
    fails += run_cmd(osc_argv, env_jpki) != 0;
    for (i = 0; i < ROUNDS; i++) {
        double t0;
        before = log_apdus(card.log);
        t0 = now_ms();
        fails += lib_read(ctx) != ONSHI_OK;
        t_lib[i] = now_ms() - t0;
        a_lib = log_apdus(card.log) - before;

        before = log_apdus(card.log);
        t0 = now_ms();
        fails += raw_read(h) != 0;
        t_raw[i] = now_ms() - t0;
        a_raw = log_apdus(card.log) - before;

        before = log_apdus(card.log);
        t0 = now_ms();
        fails += run_cmd(once_argv, NULL) != 0;
        p_lib[i] = now_ms() - t0;
        if (log_apdus(card.log) - before != a_lib)
            fails++;

        before = log_apdus(card.log);
        t0 = now_ms();
        fails += run_cmd(osc_argv, env_jpki) != 0;
        p_osc[i] = now_ms() - t0;
        a_osc = log_apdus(card.log) - before;

        before = log_apdus(card.log);
        t0 = now_ms();
        fails += run_cmd(osc_argv, env_auto) != 0;
        p_osc_all[i] = now_ms() - t0;
        a_osc_all = log_apdus(card.log) - before;
    }
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    vc_stop(&card, pctx);
    onshi_ctx_free(ctx);
    {
        /* Which of them selected anything outside the JPKI allowlist: per-tool logs. */
        vc_proc c2;
        if (vc_start(&c2, pctx, READER0, "bench-allow-lib", &pki, none) == 0) {
            run_cmd(once_argv, NULL);
            vc_stop(&c2, pctx);
            out_lib = log_outside(c2.log);
        }
        if (vc_start(&c2, pctx, READER0, "bench-allow-osc", &pki, none) == 0) {
            run_cmd(osc_argv, env_jpki);
            vc_stop(&c2, pctx);
            out_osc = log_outside(c2.log);
        }
        if (vc_start(&c2, pctx, READER0, "bench-allow-osc-auto", &pki, none) == 0) {
            run_cmd(osc_argv, env_auto);
            vc_stop(&c2, pctx);
            out_osc_all = log_outside(c2.log);
        }
    }

    printf("== read the auth certificate (%zu bytes), %d rounds, medians ==\n", pki.cert_len,
           ROUNDS);
    printf("%-44s %6s %10s %14s\n", "", "APDUs", "time ms", "SELECTs outside");
    printf("%-44s %6ld %10.3f %14d\n", "raw PC/SC minimal (floor, in-process)", a_raw,
           median(t_raw, ROUNDS), 0);
    printf("%-44s %6ld %10.3f %14d\n", "libonshi in-process (open + read)", a_lib,
           median(t_lib, ROUNDS), out_lib);
    printf("%-44s %6ld %10.3f %14d\n", "libonshi as a process (start..exit)", a_lib,
           median(p_lib, ROUNDS), out_lib);
    printf("%-44s %6ld %10.3f %14d\n", "OpenSC pkcs15-tool, OPENSC_DRIVER=jpki", a_osc,
           median(p_osc, ROUNDS), out_osc);
    printf("%-44s %6ld %10.3f %14d\n", "OpenSC pkcs15-tool, driver auto-detected", a_osc_all,
           median(p_osc_all, ROUNDS), out_osc_all);
    printf("ratio libonshi/OpenSC(jpki):  APDUs %.2f  time (process) %.2f\n",
           (double)a_lib / (double)a_osc, median(p_lib, ROUNDS) / median(p_osc, ROUNDS));
    printf("ratio libonshi/OpenSC(auto):  APDUs %.2f  time (process) %.2f\n",
           (double)a_lib / (double)a_osc_all, median(p_lib, ROUNDS) / median(p_osc_all, ROUNDS));
    printf("ratio libonshi/raw floor:     APDUs %.2f  time (in-process) %.2f\n",
           (double)a_lib / (double)a_raw, median(t_lib, ROUNDS) / median(t_raw, ROUNDS));
    if (fails)
        printf("WARNING: %d runs failed; numbers are not comparable\n", fails);
    if (raw) {
        fprintf(raw, "card-read\tcert_bytes\t%zu\n", pki.cert_len);
        fprintf(raw, "card-read\tapdus\t%ld\t%ld\t%ld\t%ld\n", a_raw, a_lib, a_osc, a_osc_all);
        fprintf(raw, "card-read\tinproc-raw");
        for (i = 0; i < ROUNDS; i++)
            fprintf(raw, "\t%.4f", t_raw[i]);
        fprintf(raw, "\ncard-read\tinproc-libonshi");
        for (i = 0; i < ROUNDS; i++)
            fprintf(raw, "\t%.4f", t_lib[i]);
        fprintf(raw, "\ncard-read\tprocess-libonshi");
        for (i = 0; i < ROUNDS; i++)
            fprintf(raw, "\t%.4f", p_lib[i]);
        fprintf(raw, "\ncard-read\tprocess-opensc-jpki");
        for (i = 0; i < ROUNDS; i++)
            fprintf(raw, "\t%.4f", p_osc[i]);
        fprintf(raw, "\n");
        fprintf(raw, "card-read\tfails\t%d\n", fails);
    }
}

static void bench_overhead(void)
{
    static const char *const model[] = {"--latency-ms", "20", "--sign-ms", "300", NULL};
    enum { N = 9 };
    double t_lib[N], t_raw[N], d[N];
    long a_lib = 0, before;
    int i, fails = 0;
    onshi_ctx *ctx = lib_ctx();
    replay *r = calloc(1, sizeof *r);
    vc_proc card;
    SCARDHANDLE h;

    if (r == NULL || ctx == NULL ||
        vc_start(&card, pctx, READER0, "bench-model", &pki, model) != 0) {
        fprintf(stderr, "bench: the virtual card did not start\n");
        exit(1);
    }
    h = pt_connect(pctx, READER0);
    before = log_apdus(card.log);
    fails += lib_read_sign(ctx) != ONSHI_OK; /* warm-up, and the sequence to replay */
    a_lib = log_apdus(card.log) - before;
    load_replay(card.log, before, r);
    for (i = 0; i < N; i++) {
        double t0 = now_ms();
        fails += lib_read_sign(ctx) != ONSHI_OK;
        t_lib[i] = now_ms() - t0;
        t0 = now_ms();
        fails += raw_replay(h, r) != 0;
        t_raw[i] = now_ms() - t0;
        d[i] = t_lib[i] - t_raw[i];
    }
    SCardDisconnect(h, SCARD_RESET_CARD);
    vc_stop(&card, pctx);
    onshi_ctx_free(ctx);
    free(r);
    {
        double ml = median(t_lib, N), mr = median(t_raw, N), md = median(d, N);
        double modelled = a_lib * 20.0 + 300.0;
        printf("\n== read + PIN + sign, card model --latency-ms 20 --sign-ms 300, %d rounds ==\n",
               N);
        printf("APDUs per run (libonshi): %ld; card's modelled time %.0f ms\n", a_lib, modelled);
        printf("libonshi (open, read cert, tries, VERIFY, SIGN, verify sig, reset): %.3f ms\n",
               ml);
        printf("raw PC/SC replay of the same APDUs (one transaction + reset):      %.3f ms\n",
               mr);
        printf("SDK overhead = libonshi - replay (median of pairs): %.3f ms  (goal < 1 ms)\n",
               md);
        printf("APDUs of read + PIN + sign: libonshi %ld, minimum for a physical card %d\n",
               a_lib, MIN_APDUS_VERIFY - 6 + (int)((pki.cert_len + 255) / 256));
        if (raw) {
            fprintf(raw, "card-sign\tapdus\t%ld\t%d\n", a_lib,
                    MIN_APDUS_VERIFY - 6 + (int)((pki.cert_len + 255) / 256));
            fprintf(raw, "card-sign\toverhead");
            for (i = 0; i < N; i++)
                fprintf(raw, "\t%.4f", d[i]);
            fprintf(raw, "\n");
        }
        printf("libonshi - modelled card time (includes pcscd + vpcd transport): %.3f ms\n",
               ml - modelled);
        if (fails)
            printf("WARNING: %d runs failed; numbers are not comparable\n", fails);
    }
}

/* In-process: the library's callback driver on the card core with the same timing model;
 * the time spent inside the card (its model included) is measured around every APDU, so
 * wall - card = the SDK's own time, with no daemon or socket in between. */
static int ONSHI_CALL timed_transmit(void *ud, const unsigned char *cmd, size_t len,
                                     unsigned char *resp, size_t cap, size_t *rlen)
{
    timed_card *t = ud;
    double t0 = now_ms();
    int rc = vcard_transmit(t->card, cmd, len, resp, cap, rlen);
    t->inside_ms += now_ms() - t0;
    return rc;
}

static int ONSHI_CALL timed_reset(void *ud)
{
    timed_card *t = ud;
    vcard_power(t->card, VCARD_POWER_RESET);
    return 0;
}

static void bench_overhead_inprocess(void)
{
    enum { N = 9 };
    double over[N], wall[N];
    vcard_material m;
    vcard_config cfg;
    timed_card t;
    vcard_stats st;
    const char *failed;
    onshi_ctx *ctx = NULL;
    int i, fails = 0;
    char err[128];

    if (vcard_material_load(&m, pki.cert, pki.key, pki.ca, &failed) != 0)
        return;
    vcard_material_config(&cfg, &m);
    cfg.latency_ms = 20;
    cfg.sign_ms = 300;
    memset(&t, 0, sizeof t);
    if (vcard_new(&t.card, &cfg, err, sizeof err) != 0 || onshi_ctx_new(&ctx) != ONSHI_OK) {
        vcard_material_free(&m);
        return;
    }
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.card_transmit = timed_transmit;
    cbs.card_transmit_userdata = &t;
    cbs.card_reset = timed_reset;
    cbs.card_reset_userdata = &t;
    cbs.pin = pin_cb;
    cbs.pin_userdata = NULL;
    onshi_ctx_set_callbacks(ctx, &cbs);
    fails += lib_read_sign(ctx) != ONSHI_OK; /* warm-up */
    for (i = 0; i < N; i++) {
        double t0 = now_ms();
        t.inside_ms = 0;
        fails += lib_read_sign(ctx) != ONSHI_OK;
        wall[i] = now_ms() - t0;
        over[i] = wall[i] - t.inside_ms;
    }
    vcard_get_stats(t.card, &st);
    printf("\n== same, in-process (callback driver on the card core), %d rounds ==\n", N);
    if (raw) {
        fprintf(raw, "card-sign\tinproc-own");
        for (i = 0; i < N; i++)
            fprintf(raw, "\t%.4f", over[i]);
        fprintf(raw, "\n");
    }
    printf("libonshi read + PIN + sign: %.3f ms wall; SDK's own time (wall - inside the card): "
           "%.3f ms  (goal < 1 ms)\n",
           median(wall, N), median(over, N));
    if (fails)
        printf("WARNING: %d runs failed; numbers are not comparable\n", fails);
    onshi_ctx_free(ctx);
    vcard_free(t.card);
    vcard_material_free(&m);
}

/* What pcscd costs: the same whole verification (read + PIN + sign) as a process through
 * pcscd + vpcd + the onshi-vcard daemon, and as a process with the same card core in-process
 * (callback driver), alternating (which goes first alternates too); no timing model in the
 * card, so the difference per pair is what the daemon, the socket and the reader driver add,
 * and divided by the APDUs of a verification, their cost per APDU. A physical card (the
 * minimum: 7 + one READ BINARY per 256 bytes of certificate) and an Android smartphone
 * (JPKIAPGPSETOKEN: 4 more, see bench_apdus). */
static void bench_pcscd_cost(const char *mode)
{
    enum { N = 21 };
    const char *extra_card[] = {NULL};
    const char *extra_phone[] = {"--smartphone", "android", NULL};
    int phone = strcmp(mode, "android") == 0;
    double p_pcsc[N], p_in[N];
    vc_proc card;
    long before, apdus;
    int i, fails = 0;
    char *pcsc_argv[] = {(char *)self, "sign-pcsc", NULL};
    char *in_argv[] = {(char *)self, "sign-inproc", pki.cert, pki.key, pki.ca,
                       phone ? "android" : "card", NULL};
    onshi_ctx *ctx = lib_ctx();
    if (ctx == NULL ||
        vc_start(&card, pctx, READER0, phone ? "bench-phone" : "bench-plain", &pki,
                 phone ? extra_phone : extra_card) != 0) {
        fprintf(stderr, "bench: the virtual card did not start\n");
        onshi_ctx_free(ctx);
        return;
    }
    before = log_apdus(card.log);
    fails += lib_read_sign(ctx) != ONSHI_OK; /* warm-up; the APDUs of one verification */
    apdus = log_apdus(card.log) - before;
    onshi_ctx_free(ctx);
    for (i = 0; i < N; i++) {
        double t0;
        int k;
        for (k = 0; k < 2; k++) {
            int pcsc_turn = (i % 2 == 0) == (k == 0);
            t0 = now_ms();
            fails += run_cmd(pcsc_turn ? pcsc_argv : in_argv, NULL) != 0;
            (pcsc_turn ? p_pcsc : p_in)[i] = now_ms() - t0;
        }
    }
    vc_stop(&card, pctx);
    {
        double d[N], r[N], md;
        for (i = 0; i < N; i++) {
            d[i] = p_pcsc[i] - p_in[i];
            r[i] = p_pcsc[i] / p_in[i];
        }
        if (raw) {
            fprintf(raw, "card-pcscd\t%s\tapdus\t%ld\n", mode, apdus);
            fprintf(raw, "card-pcscd\t%s\tpcsc", mode);
            for (i = 0; i < N; i++)
                fprintf(raw, "\t%.4f", p_pcsc[i]);
            fprintf(raw, "\ncard-pcscd\t%s\tinproc", mode);
            for (i = 0; i < N; i++)
                fprintf(raw, "\t%.4f", p_in[i]);
            fprintf(raw, "\ncard-pcscd\t%s\tfails\t%d\n", mode, fails);
        }
        md = median(d, N);
        printf("\n== whole verification as a process, %s, %d pairs: pcscd vs in-process ==\n",
               phone ? "Android smartphone" : "physical card", N);
        printf("APDUs %ld; through pcscd %.3f ms, in-process %.3f ms (medians); ratio per pair "
               "median %.2f; pcscd's cost %.3f ms per verification, %.3f ms per APDU\n",
               apdus, median(p_pcsc, N), median(p_in, N), median(r, N), md,
               apdus > 0 ? md / (double)apdus : 0.0);
        if (fails)
            printf("WARNING: %d runs failed; numbers are not comparable\n", fails);
    }
}

/* APDUs of one whole verification (open, read the auth certificate, sign; the PIN status and
 * VERIFY inside) per holder, from the card's log: the count, the commands by INS, and the
 * minimum for a physical card with this certificate. An Android phone's certificate needs the
 * PIN first (docs/card.md "Fewest APDUs"); an iPhone is refused before the PIN. */
static void bench_apdus(void)
{
    static const struct {
        const char *mode, *label;
        const char *const extra[3];
    } holders[] = {
        {"card", "physical card", {NULL}},
        {"android", "Android smartphone", {"--smartphone", "android", NULL}},
        {"iphone", "iPhone (refused before the PIN)", {"--smartphone", "iphone", NULL}},
    };
    int minimum = MIN_APDUS_VERIFY - 6 + (int)((pki.cert_len + 255) / 256);
    size_t i;
    printf("\n== APDUs of one whole verification (open, certificate, signature), certificate %zu "
           "bytes; minimum for a physical card %d ==\n",
           pki.cert_len, minimum);
    for (i = 0; i < sizeof holders / sizeof holders[0]; i++) {
        vc_proc card;
        pt_logscan s;
        onshi_ctx *ctx = lib_ctx();
        int rc;
        if (ctx == NULL ||
            vc_start(&card, pctx, READER0, holders[i].mode, &pki, holders[i].extra) != 0) {
            fprintf(stderr, "bench: the virtual card did not start\n");
            onshi_ctx_free(ctx);
            return;
        }
        rc = lib_read_sign(ctx);
        onshi_ctx_free(ctx);
        vc_stop(&card, pctx);
        if (pt_log_scan(card.log, &s) != 0)
            continue;
        if (rc == ONSHI_OK)
            printf("%-34s %3lu APDUs (%+ld over the minimum): %s\n", holders[i].label, s.apdus,
                   (long)s.apdus - minimum, s.trace);
        else
            printf("%-34s %3lu APDUs (%s): %s\n", holders[i].label, s.apdus,
                   onshi_status_name(rc), s.trace);
        if (raw)
            fprintf(raw, "card-apdus\t%s\t%lu\t%d\t%s\t%s\n", holders[i].mode, s.apdus, minimum,
                    onshi_status_name(rc), s.trace);
    }
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "once") == 0)
        return once();
    if (argc > 1 && strcmp(argv[1], "sign-inproc") == 0)
        return sign_inproc(argc, argv);
    if (argc > 1 && strcmp(argv[1], "sign-pcsc") == 0)
        return sign_pcsc();
    const char *rawp = getenv("BENCH_RAW");
    raw = rawp && *rawp ? fopen(rawp, "a") : NULL;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pctx) != SCARD_S_SUCCESS ||
        bench_pki(&pki) != 0) {
        fprintf(stderr, "bench: no PC/SC or no test PKI\n");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "apdus") == 0) {
        bench_apdus();
    } else {
        bench_apdus();
        bench_read();
        bench_overhead();
    bench_overhead_inprocess();
        bench_pcscd_cost("card");
        bench_pcscd_cost("android");
    }
    SCardReleaseContext(pctx);
    pt_pki_free(&pki);
    if (raw)
        fclose(raw);
    return 0;
}
