/*
 * service/batch over HTTPS against test/tls-server --mode bulk: uploads and downloads carry
 * Idempotency-Keys derived from the batch id and phase, so a retry — within one run or after a
 * restart — gets the stored answer and the list is registered exactly once.
 * Environment: ONSHI_TEST_PKI (made by make-pki.sh), ONSHI_TEST_TLS_SERVER (the server).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../support/api.h"
#include "onshi.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *pki, *server_bin;
static char dir[256], logpath[400], db[400];

typedef struct srv {
    pid_t pid;
    int port;
} srv;

static const char *P(const char *name)
{
    static char buf[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", pki, name);
    return buf[i];
}

static srv start(const char *mode, const char *still)
{
    srv s = {0, 0};
    const char *argv[] = {server_bin, "--cert", P("server.pem"), "--key", P("server.key"),
                          "--ca", P("ca.pem"), "--log", logpath, "--mode", mode, "--fail",
                          still, NULL};
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
    while (s.port == 0 && fgets(line, sizeof line, f) != NULL)
        sscanf(line, "PORT %d", &s.port);
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

static onshi_ctx *mkctx(const srv *s, int retries)
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
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_BASE_MS, 5);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_MAX, retries);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, db);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_BASE_MS, 1);
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_MAX_MS, 4);
    return ctx;
}

static onshi_batch *make_batch(onshi_ctx *ctx)
{
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "A", "01130012", "", "1001", "01", "19800401", 1), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "B", "138016", "", "1002", "", "19700101", 0), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "C", "39131016", "", "1003", "", "19600101", 0), ONSHI_OK);
    return b;
}

static void all_valid(onshi_batch *b)
{
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_DONE);
    for (size_t i = 0; i < onshi_batch_count(b); i++)
        assert_int_equal(onshi_batch_outcome(b, i), ONSHI_BATCH_VALID);
}

static void test_keys_per_phase(void **state)
{
    (void)state;
    srv s = start("bulk", "2");
    onshi_ctx *ctx = mkctx(&s, 2);
    onshi_batch *b = make_batch(ctx);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    all_valid(b);
    char key[200];
    /* one request line per key: each sent once (no retry was needed) */
    snprintf(key, sizeof key, "key=1311234569-%s-up len", onshi_batch_id(b));
    assert_int_equal(log_count("bulk upload"), 1);
    assert_int_equal(log_count(key), 1);
    assert_int_equal(log_count("bulk still"), 2);
    assert_int_equal(log_count("bulk final"), 1);
    for (int k = 1; k <= 3; k++) {
        snprintf(key, sizeof key, "key=1311234569-%s-down-%d len", onshi_batch_id(b), k);
        assert_int_equal(log_count(key), 1);
    }
    assert_int_equal(log_count("bulk replay"), 0);
    assert_int_equal(onshi_batch_download_count(b), 3);
    onshi_batch_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* The server processed the upload but the answer was lost: the retry with the same key gets
 * the stored reception number. */
static void test_lost_answer_retried(void **state)
{
    (void)state;
    srv s = start("bulk-drop", "0");
    onshi_ctx *ctx = mkctx(&s, 2);
    onshi_batch *b = make_batch(ctx);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    all_valid(b);
    assert_int_equal(log_count("bulk upload"), 1);
    assert_int_equal(log_count("bulk replay"), 1);
    char key[200];
    snprintf(key, sizeof key, "key=1311234569-%s-up len", onshi_batch_id(b));
    assert_int_equal(log_count(key), 2); /* sent, answer lost, retried with the same key */
    assert_string_equal(onshi_batch_reception_number(b), "R000001");
    onshi_batch_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

/* The same after a restart: the first process gave up (no retries) with its upload processed
 * by the server; the resumed batch sends the same key and is registered once. */
static void test_lost_answer_resumed(void **state)
{
    (void)state;
    srv s = start("bulk-drop", "1");
    onshi_ctx *ctx = mkctx(&s, 0);
    onshi_batch *b = make_batch(ctx);
    assert_int_not_equal(onshi_batch_run(b), ONSHI_OK);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_UPLOAD);
    char id[64];
    snprintf(id, sizeof id, "%s", onshi_batch_id(b));
    onshi_batch_free(b);
    onshi_ctx_free(ctx);

    ctx = mkctx(&s, 2);
    assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    all_valid(b);
    assert_int_equal(log_count("bulk upload"), 1);
    assert_int_equal(log_count("bulk replay"), 1);
    assert_int_equal(log_count("bulk still"), 1);
    onshi_batch_free(b);
    onshi_ctx_free(ctx);
    stop(&s);
}

static int setup(void **state)
{
    (void)state;
    pki = getenv("ONSHI_TEST_PKI");
    server_bin = getenv("ONSHI_TEST_TLS_SERVER");
    if (pki == NULL || server_bin == NULL)
        return -1;
    snprintf(dir, sizeof dir, "/tmp/onshi-httpsbatch-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(logpath, sizeof logpath, "%s/server.log", dir);
    snprintf(db, sizeof db, "%s/state.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_per_phase),
        cmocka_unit_test(test_lost_answer_retried),
        cmocka_unit_test(test_lost_answer_resumed),
    };
    return cmocka_run_group_tests_name("service/batch-https", tests, setup, teardown);
}
