/*
 * 8 threads, 8 contexts, at once: decode (UTF-8 and CP932), encode (CP932), a file exchange
 * with a fake linkage app, and an HTTPS exchange with the test TLS server. Built with
 * -fsanitize=thread by test/threads/module.mk: ThreadSanitizer must report nothing (it makes
 * the process exit non-zero when it does). Also proves the converters are opened once per
 * context (codec slot), not once per decode.
 * usage: test_threads PKI_DIR TLS_SERVER DATA_DIR
 */
#include "codec/codec.h"
#include "../support/api.h"
#include "transport/file.h"

#include "../unit/transport/fake_linkage.h"

#include <signal.h>
#include <sys/wait.h>

#define THREADS 8
#define ROUNDS 3

static const char *pki, *data_dir;
static int port;

typedef struct job {
    int n;
    int failures;
    char why[700];
} job;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            j->failures++;                                                                      \
            snprintf(j->why, sizeof j->why, __VA_ARGS__);                                       \
            goto out;                                                                           \
        }                                                                                       \
    } while (0)

static void *run(void *arg)
{
    job *j = arg;
    char base[64], req[96], res[96], db[96], path[600];
    snprintf(base, sizeof base, "/tmp/onshi-threads-%d-%d", (int)getpid(), j->n);
    snprintf(req, sizeof req, "%s/req", base);
    snprintf(res, sizeof res, "%s/res", base);
    snprintf(db, sizeof db, "%s/state.db", base);
    mkdir(base, 0700);
    mkdir(req, 0700);
    mkdir(res, 0700);
    onshi_ctx *ctx = NULL;
    fake_linkage fl;
    bool fl_on = false;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/OQSsiquc01res_202501150001.xml", data_dir);
    unsigned char *xml = slurp(path, &len);
    CHECK(xml != NULL, "cannot read %s", path);
    CHECK(onshi_ctx_new(&ctx) == ONSHI_OK, "ctx");
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, req);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, res);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, db);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 50);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 60000);
    char url[128];
    snprintf(url, sizeof url, "https://localhost:%d/base", port);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    snprintf(path, sizeof path, "%s/ca.pem", pki);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, path);
    snprintf(path, sizeof path, "%s/client.p12", pki);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_FILE, path);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_PKCS12_PASSWORD, "test-pass");
    fl_start(&fl, req, res, FL_ANSWER);
    fl_run(&fl);
    fl_on = true;
    for (int round = 0; round < ROUNDS; round++) {
        /* decode UTF-8, encode CP932, decode that again */
        onshi_msg *m = NULL, *back = NULL;
        int rc = onshi_msg_decode(&m, ctx, 0, xml, len);
        CHECK(rc == ONSHI_OK, "decode: %s", onshi_ctx_last_error_message(ctx));
        onshi_msg *q = NULL;
        CHECK(onshi_msg_new(&q, ONSHI_MSG_QUAL_REQ) == ONSHI_OK, "msg_new");
        onshi_group *s = NULL;
        onshi_group_set_str(onshi_msg_header(q), ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234569");
        onshi_group_set_str(onshi_msg_header(q), ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, "20250115");
        onshi_group_add(&s, onshi_msg_body(q), ONSHI_G_SEARCH);
        onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "138016");
        onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "見本");
        onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "567");
        onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800401");
        onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, ONSHI_ENC_CP932);
        onshi_buf *x = NULL;
        rc = onshi_msg_encode(&x, ctx, q);
        CHECK(rc == ONSHI_OK, "encode: %s", onshi_ctx_last_error_message(ctx));
        rc = onshi_msg_decode(&back, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(x), onshi_buf_len(x));
        CHECK(rc == ONSHI_OK, "decode CP932: %s", onshi_ctx_last_error_message(ctx));
        /* file exchange */
        char id[ONSHI_FILE_ID_SIZE];
        onshi_file_result *r = NULL;
        rc = onshi__file_exchange(&r, id, sizeof id, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(x),
                                 onshi_buf_len(x));
        CHECK(rc == ONSHI_OK, "file exchange: %s", onshi_ctx_last_error_message(ctx));
        onshi_file_consume(ctx, id);
        onshi_file_result_free(r);
        /* HTTPS */
        onshi_buf *body = NULL;
        rc = onshi_https_exchange(&body, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(x), onshi_buf_len(x), NULL);
        CHECK(rc == ONSHI_OK, "https: %s", onshi_ctx_last_error_message(ctx));
        onshi_buf_free(body);
        onshi_buf_free(x);
        onshi_msg_free(q);
        onshi_msg_free(back);
        onshi_msg_free(m);
    }
out:
    if (fl_on)
        fl_stop(&fl);
    onshi_ctx_free(ctx);
    free(xml);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0) {
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_threads PKI_DIR TLS_SERVER DATA_DIR\n");
        return 2;
    }
    pki = argv[1];
    data_dir = argv[3];
    char cert[600], key[600];
    snprintf(cert, sizeof cert, "%s/server.pem", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    int pfd[2];
    if (pipe(pfd) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        execl(argv[2], argv[2], "--cert", cert, "--key", key, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[64];
    while (port == 0 && fgets(line, sizeof line, f) != NULL)
        sscanf(line, "PORT %d", &port);
    fclose(f);
    if (port == 0) {
        fprintf(stderr, "test server did not start\n");
        return 1;
    }
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].n = i;
        pthread_create(&th[i], NULL, run, &jobs[i]);
    }
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].failures) {
            fprintf(stderr, "thread %d: %s\n", i, jobs[i].why);
            bad = 1;
        }
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    /* three converters at most per context (CP932→UTF-8, UTF-8→EUC-JP, UTF-8→CP932), opened
     * once: per decode it was 2-3 per round and thread */
    size_t opened = onshi__iconv_opened();
    if (opened > THREADS * 3) {
        fprintf(stderr, "%zu converters opened for %d contexts (one per context each)\n", opened,
                THREADS);
        bad = 1;
    }
    printf("%d threads x %d rounds: %s (%zu converters opened)\n", THREADS, ROUNDS,
           bad ? "FAILED" : "ok", opened);
    return bad;
}
