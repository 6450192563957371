/*
 * service/batch: the two-phase bulk engine over the file transport against a fake linkage
 * app (fake_bulk.h): validation, results matched back to the vendor's patient ids, the poll
 * limit, a refused upload, 照会番号 registration, and crash-and-resume with SIGKILL at seeded
 * points (every patient answered exactly once, no request file written twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "service/service.h"
#include "transport/file.h"
#include "fake_bulk.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define INST "1311234569"

typedef struct env {
    char dir[256], req[300], res[300], db[300];
} env;

/* argv[0], for re-executing this program as the crashing child. */
static const char *self_path;

static void env_make(env *e)
{
    snprintf(e->dir, sizeof e->dir, "/tmp/onshi-batch-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->req, sizeof e->req, "%s/req", e->dir);
    snprintf(e->res, sizeof e->res, "%s/res", e->dir);
    snprintf(e->db, sizeof e->db, "%s/state.db", e->dir);
    assert_int_equal(mkdir(e->req, 0700), 0);
    assert_int_equal(mkdir(e->res, 0700), 0);
}

static void env_from(env *e, const char *dir)
{
    snprintf(e->dir, sizeof e->dir, "%s", dir);
    snprintf(e->req, sizeof e->req, "%s/req", e->dir);
    snprintf(e->res, sizeof e->res, "%s/res", e->dir);
    snprintf(e->db, sizeof e->db, "%s/state.db", e->dir);
}

static void env_remove(env *e)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
}

static int ctx_setup(onshi_ctx **out, const env *e)
{
    onshi_ctx *ctx = NULL;
    int r = onshi_ctx_new(&ctx);
    if (r != ONSHI_OK)
        return r;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, e->db);
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_FILE);
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, e->req);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, e->res);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, INST);
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_BASE_MS, 1);
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_MAX_MS, 4);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 30000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 30000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 10);
    *out = ctx;
    return ONSHI_OK;
}

/* Visible (non-hidden) files in a folder. */
static int visible_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *x;
    while (d && (x = readdir(d)) != NULL)
        if (x->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* The numbers of the reserved patients; the fake answers by their last digit. */
static const char *const numbers[] = {"1001", "1002", "1004", "1005", "1009", "1011", "1021", "1012"};
#define NPAT (sizeof numbers / sizeof numbers[0])

static int expected(const char *number)
{
    switch (number[strlen(number) - 1]) {
    case '2':
        return ONSHI_BATCH_INVALID;
    case '4':
        return ONSHI_BATCH_NOT_FOUND;
    case '5':
        return ONSHI_BATCH_SEVERAL;
    case '9':
        return ONSHI_BATCH_ERROR;
    default:
        return ONSHI_BATCH_VALID;
    }
}

static onshi_batch *make_batch(onshi_ctx *ctx)
{
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    for (size_t i = 0; i < NPAT; i++) {
        char pid[32];
        snprintf(pid, sizeof pid, "P%03zu", i);
        assert_int_equal(t_batch_add(b, pid, i % 2 ? "01130012" : "138016", i % 3 ? "" : "記号１",
                                         numbers[i], i % 2 ? "01" : "", "19800401", (int)(i % 2)),
                         ONSHI_OK);
    }
    return b;
}

/* Every entry answered once, with the outcome its number asks for, in the order added. */
static void check_results(onshi_batch *b)
{
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_DONE);
    assert_int_equal(onshi_batch_count(b), NPAT);
    int seen_unit[NPAT];
    memset(seen_unit, 0, sizeof seen_unit);
    for (size_t i = 0; i < NPAT; i++) {
        char pid[32];
        snprintf(pid, sizeof pid, "P%03zu", i);
        assert_string_equal(onshi_batch_patient_id(b, i), pid);
        assert_int_equal(onshi_batch_outcome(b, i), expected(numbers[i]));
        onshi_group *u = NULL;
        assert_int_equal(onshi_batch_unit(&u, b, i), ONSHI_OK);
        assert_non_null(u);
        /* the unit's echo is this entry's */
        onshi_group *s = NULL;
        const char *num = NULL;
        assert_int_equal(onshi_group_at(&s, u, ONSHI_G_SEARCH, 0), ONSHI_OK);
        assert_int_equal(onshi_group_get_str(&num, s, ONSHI_F_SEARCH_INSURED_ID_NUMBER), ONSHI_OK);
        assert_string_equal(num, numbers[i]);
        size_t persons = onshi_batch_person_count(b, i);
        int ex = expected(numbers[i]);
        assert_int_equal(persons, ex == ONSHI_BATCH_SEVERAL ? 2 : ex == ONSHI_BATCH_VALID ? 1 : 0);
        if (persons) {
            onshi_group *p = NULL;
            const char *name = NULL;
            assert_int_equal(onshi_batch_person(&p, b, i, 0), ONSHI_OK);
            assert_int_equal(onshi_group_get_str(&name, p, ONSHI_F_NAME), ONSHI_OK);
            assert_string_equal(name, "見本　一郎");
        }
        if (ex == ONSHI_BATCH_ERROR) {
            assert_string_equal(onshi_batch_result_code(b, i), "EBULK009");
            assert_string_equal(onshi_batch_result_message(b, i), "照会できませんでした");
        }
    }
}

/* ---- validation ------------------------------------------------------------------------- */

static void test_validate(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    onshi_batch *b = NULL;
    size_t bad = 99;

    assert_int_equal(onshi_batch_new(&b, ctx, 7), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_E_INVALID_ARG); /* empty */
    assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "B", "138016", "x", "2", "01", "20000229", 1), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "C", "06130012", "", "3", "", "19800401", 0), ONSHI_OK);
    assert_int_equal(t_batch_add_refnum(b, "D", "1", "01130012", "", "1", ""),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "entry 2"));
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "insurer_number"));
    /* saving refuses the same list, nothing is persisted */
    assert_int_equal(onshi_batch_save(b), ONSHI_E_CHECK_DIGIT);
    assert_string_equal(onshi_batch_id(b), "");
    onshi_batch_free(b);

    struct {
        const char *pid, *ins, *num, *br, *birth;
        int limit;
        const char *field;
    } cases[] = {
        {"X", "01130012", "1", "1", "19800401", 0, "branch"},
        {"X", "01130012", "1", "", "19800230", 0, "birthdate"},
        {"X", "01130012", "1", "", "19000229", 0, "birthdate"},
        {"X", "01130012", "", "", "19800401", 0, "number"},
        {"X", "0113001", "1", "", "19800401", 0, "insurer_number"},
        {"X", "01130012", "1", "", "19800401", 2, "limit_consent"},
        {"", "01130012", "1", "", "19800401", 0, "patient_id"},
        {"A", "01130012", "1", "", "19800401", 0, "patient_id"}, /* duplicate of entry 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
        assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0), ONSHI_OK);
        assert_int_equal(t_batch_add(b, cases[i].pid, cases[i].ins, "", cases[i].num,
                                         cases[i].br, cases[i].birth, cases[i].limit),
                         ONSHI_OK);
        int r = onshi_batch_validate(&bad, b);
        assert_int_not_equal(r, ONSHI_OK);
        assert_int_equal(bad, 1);
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), cases[i].field));
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "entry 1"));
        onshi_batch_free(b);
    }

    /* the institution code is checked too: one that cannot be written (not 10 digits) stops
     * the batch; one that only fails the local check-digit rule is sent (a warning): the
     * central system is the authority on it */
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "131123456");
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0), ONSHI_OK);
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_E_CONFIG);
    onshi_batch_free(b);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234560");
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0), ONSHI_OK);
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_OK);
    onshi_batch_free(b);

    /* Japanese message names the entry the way staff count (1-based) */
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, INST);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "ja");
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "A", "06130012", "", "1", "", "19800401", 0), ONSHI_OK);
    assert_int_equal(onshi_batch_validate(&bad, b), ONSHI_E_CHECK_DIGIT);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "1件目"));
    onshi_batch_free(b);

    assert_int_equal(onshi_batch_open(&b, ctx, "Bnope"), ONSHI_E_NOT_FOUND);
    onshi_ctx_free(ctx);
    env_remove(&e);
}

/* ---- the whole job ---------------------------------------------------------------------- */

typedef struct progress_log {
    int upload, poll, results, done;
    int64_t last_done, last_total;
} progress_log;

static int ONSHI_CALL on_progress(void *ud, int stage, int64_t done, int64_t total)
{
    progress_log *p = ud;
    if (stage == ONSHI_STAGE_BATCH_UPLOAD)
        p->upload++;
    else if (stage == ONSHI_STAGE_BATCH_POLL)
        p->poll++;
    else if (stage == ONSHI_STAGE_BATCH_RESULTS) {
        p->results++;
        assert_true(done > p->last_done);
        p->last_done = done;
        p->last_total = total;
    } else if (stage == ONSHI_STAGE_DONE)
        p->done++;
    return 0;
}

static void test_run_file(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 3);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    progress_log pl;
    memset(&pl, 0, sizeof pl);
    tcb_set_progress(ctx, on_progress, &pl);

    onshi_batch *b = make_batch(ctx);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_NEW);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    check_results(b);
    assert_string_equal(onshi_batch_reception_number(b), "R000001");
    assert_int_equal(onshi_batch_download_count(b), 4);
    assert_int_equal(pl.upload, 1);
    assert_int_equal(pl.poll, 3);
    assert_int_equal(pl.results, NPAT);
    assert_int_equal(pl.last_total, NPAT);
    assert_int_equal(pl.done, 1);
    assert_int_equal(atomic_load(&fb->uploads), 1);
    assert_int_equal(atomic_load(&fb->downloads), 4);
    assert_int_equal(atomic_load(&fb->dup_names), 0);
    /* every result consumed, nothing left open */
    assert_int_equal(visible_files(e.res), 0);
    char next[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_pending_next(next, sizeof next, ctx, NULL), ONSHI_E_NOT_FOUND);

    /* reopened by id: the same answers from the store; running it again sends nothing */
    char id[64];
    snprintf(id, sizeof id, "%s", onshi_batch_id(b));
    onshi_batch_free(b);
    assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
    check_results(b);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    check_results(b);
    assert_int_equal(atomic_load(&fb->uploads), 1);
    assert_int_equal(atomic_load(&fb->downloads), 4);
    assert_int_equal(t_batch_add(b, "Z", "01130012", "", "1", "", "19800401", 0),
                     ONSHI_E_BATCH_STATE);
    onshi_batch_free(b);

    /* a batch started over files is not resumed over HTTPS */
    b = make_batch(ctx);
    assert_int_equal(onshi_batch_save(b), ONSHI_OK);
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    assert_int_equal(onshi_batch_run(b), ONSHI_E_BATCH_STATE);
    onshi_batch_free(b);

    /* finished batches (their patients' keys and results) are purged after
     * consumed_keep_hours, when a new batch is saved; unfinished ones stay */
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_FILE);
    b = make_batch(ctx);
    assert_int_equal(onshi_batch_save(b), ONSHI_OK); /* keep 720 h: the DONE one stays */
    onshi_batch_free(b);
    assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
    onshi_batch_free(b);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS, 0);
    b = make_batch(ctx);
    assert_int_equal(onshi_batch_save(b), ONSHI_OK);
    onshi_batch_free(b);
    b = NULL;
    assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_E_NOT_FOUND);
    assert_null(b);

    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
}

static void test_poll_limit_and_resume(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 5);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_LIMIT, 2);
    onshi_batch *b = make_batch(ctx);
    assert_int_equal(onshi_batch_run(b), ONSHI_E_STILL_PROCESSING);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_POLL);
    assert_int_equal(atomic_load(&fb->downloads), 3);
    char id[64];
    snprintf(id, sizeof id, "%s", onshi_batch_id(b));
    onshi_batch_free(b);

    /* later, in a new context: the reception number is reused, the list is not re-sent */
    onshi_ctx_free(ctx);
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    /* found again without knowing its id */
    char found[ONSHI_BATCH_ID_SIZE], small[8];
    assert_int_equal(onshi_batch_next_unfinished(small, sizeof small, ctx, NULL),
                     ONSHI_E_BUFFER_TOO_SMALL);
    assert_int_equal(onshi_batch_next_unfinished(found, sizeof found, ctx, NULL), ONSHI_OK);
    assert_string_equal(found, id);
    assert_int_equal(onshi_batch_next_unfinished(found, sizeof found, ctx, id), ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_POLL);
    assert_string_equal(onshi_batch_reception_number(b), "R000001");
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    check_results(b);
    assert_int_equal(atomic_load(&fb->uploads), 1);
    assert_int_equal(atomic_load(&fb->downloads), 6);
    assert_int_equal(atomic_load(&fb->dup_names), 0);
    onshi_batch_free(b);
    /* nothing unfinished any more */
    char next[ONSHI_BATCH_ID_SIZE];
    assert_int_equal(onshi_batch_next_unfinished(next, sizeof next, ctx, NULL), ONSHI_E_NOT_FOUND);
    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
}

static int ONSHI_CALL cancel_on_poll(void *ud, int stage, int64_t done, int64_t total)
{
    (void)ud;
    (void)done;
    (void)total;
    return stage == ONSHI_STAGE_BATCH_POLL;
}

static void test_cancel_and_upload_refused(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 2);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);

    /* cancelled while polling: resumable */
    tcb_set_progress(ctx, cancel_on_poll, NULL);
    onshi_batch *b = make_batch(ctx);
    assert_int_equal(onshi_batch_run(b), ONSHI_E_CANCELLED);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_POLL);
    tcb_set_progress(ctx, NULL, NULL);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    check_results(b);
    onshi_batch_free(b);

    /* the system refuses the upload: FAILED with its message, never re-sent */
    fb->upload_error = 1;
    b = make_batch(ctx);
    assert_int_equal(onshi_batch_run(b), ONSHI_E_SYSTEM_ERROR);
    assert_int_equal(onshi_batch_phase(b), ONSHI_BATCH_PHASE_FAILED);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "EQS0099"));
    assert_non_null(strstr(onshi_batch_fail_message(b), "EQS0099"));
    int ups = atomic_load(&fb->uploads);
    assert_int_equal(onshi_batch_run(b), ONSHI_E_SYSTEM_ERROR);
    assert_int_equal(atomic_load(&fb->uploads), ups);
    onshi_batch_free(b);
    assert_int_equal(visible_files(e.res), 0);

    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
}

static void test_refnum(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 1);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_REFNUM), ONSHI_OK);
    assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(t_batch_add_refnum(b, "K1", "24434", "01130012", "記号１", "7001", "00"),
                     ONSHI_OK);
    assert_int_equal(t_batch_add_refnum(b, "K2", "24435", "138016", "", "7009", ""), ONSHI_OK);
    assert_int_equal(t_batch_add_refnum(b, "K3", "24436", "39131016", "", "7011", ""), ONSHI_OK);
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    assert_int_equal(onshi_batch_outcome(b, 0), ONSHI_BATCH_VALID);
    assert_int_equal(onshi_batch_outcome(b, 1), ONSHI_BATCH_ERROR);
    assert_string_equal(onshi_batch_result_code(b, 1), "EBULK009");
    assert_int_equal(onshi_batch_outcome(b, 2), ONSHI_BATCH_VALID);
    assert_string_equal(onshi_batch_outcome_label(lang_ctx(1), ONSHI_BATCH_VALID, ONSHI_BATCH_REFNUM), "登録済");
    assert_string_equal(onshi_batch_outcome_label(lang_ctx(0), ONSHI_BATCH_SEVERAL, ONSHI_BATCH_QUALIFICATION),
                        "several matches");
    assert_null(onshi_batch_outcome_label(lang_ctx(0), 99, ONSHI_BATCH_QUALIFICATION));
    onshi_group *u = NULL, *g = NULL;
    const char *rn = NULL;
    assert_int_equal(onshi_batch_unit(&u, b, 2), ONSHI_OK);
    assert_int_equal(onshi_group_at(&g, u, ONSHI_G_REFNUM, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&rn, g, ONSHI_F_REG_REFERENCE_NUMBER), ONSHI_OK);
    assert_string_equal(rn, "24436");
    assert_int_equal(atomic_load(&fb->uploads), 1);
    assert_int_equal(atomic_load(&fb->downloads), 2);
    onshi_batch_free(b);
    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
}

/* 同意済資格情報 and 医療扶助: the system's list becomes the entries */
static void test_query_batches(void **state)
{
    (void)state;
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 1);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    static const struct {
        int kind, exam;
        const char *from, *to, *asked;
    } q[] = {
        {ONSHI_BATCH_HOMECARE, 0, "20251101", "20251130", "20251101-20251130-2-"},
        {ONSHI_BATCH_ONLINE, 1, "20251001", "20251031", "20251001-20251031-3-"},
        {ONSHI_BATCH_WELFARE, 0, "202511", NULL, "---202511"},
    };
    for (int k = 0; k < 3; k++) {
        onshi_batch *b = NULL;
        assert_int_equal(onshi_batch_new(&b, ctx, q[k].kind), ONSHI_OK);
        assert_int_equal(t_batch_add(b, "A", "01130012", "", "1", "", "19800401", 0),
                         ONSHI_E_INVALID_ARG);
        if (q[k].kind == ONSHI_BATCH_WELFARE) {
            assert_int_equal(onshi_batch_set_period(b, 0, "20251101", "20251130"),
                             ONSHI_E_INVALID_ARG);
            assert_int_equal(onshi_batch_set_month(b, "202513"), ONSHI_OK);
            assert_int_equal(onshi_batch_validate(NULL, b), ONSHI_E_FIELD_FORMAT);
            assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "month"));
            assert_int_equal(onshi_batch_set_month(b, q[k].from), ONSHI_OK);
        } else {
            assert_int_equal(onshi_batch_set_month(b, "202511"), ONSHI_E_INVALID_ARG);
            assert_int_equal(onshi_batch_set_period(b, q[k].exam, q[k].to, q[k].from), ONSHI_OK);
            assert_int_equal(onshi_batch_validate(NULL, b), ONSHI_E_FIELD_FORMAT); /* reversed */
            assert_int_equal(onshi_batch_set_period(b, q[k].exam, q[k].from, q[k].to), ONSHI_OK);
        }
        assert_int_equal(onshi_batch_run(b), ONSHI_OK);
        assert_int_equal(onshi_batch_count(b), 3);
        assert_int_equal(onshi_batch_outcome(b, 0), ONSHI_BATCH_VALID);
        assert_int_equal(onshi_batch_outcome(b, 2), ONSHI_BATCH_INVALID);
        assert_int_equal(onshi_batch_person_count(b, 0), 1);
        assert_string_equal(onshi_batch_patient_id(b, 0), "");
        assert_string_equal(fb->rec[fb->nrec - 1].query, q[k].asked);
        /* reopened: the list is in the store */
        char id[64];
        snprintf(id, sizeof id, "%s", onshi_batch_id(b));
        onshi_batch_free(b);
        assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
        assert_int_equal(onshi_batch_count(b), 3);
        assert_int_equal(onshi_batch_outcome(b, 2), ONSHI_BATCH_INVALID);
        onshi_group *p = NULL;
        assert_int_equal(onshi_batch_person(&p, b, 1, 0), ONSHI_OK);
        assert_int_equal(onshi_batch_run(b), ONSHI_OK);
        assert_int_equal(onshi_batch_count(b), 3);
        onshi_batch_free(b);
    }
    assert_int_equal(atomic_load(&fb->uploads), 3);
    assert_int_equal(atomic_load(&fb->dup_names), 0);
    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
}

/* ---- crash and resume ------------------------------------------------------------------- */

static int kill_at;
static int hook_calls;

static void kill_point(const char *what)
{
    (void)what;
    if (++hook_calls == kill_at)
        raise(SIGKILL);
}

static void kill_point_id(const char *id)
{
    kill_point(id);
}

static void kill_point_ud(void *ud, const char *what)
{
    (void)ud;
    kill_point(what);
}

/* The child: resume the saved batch, possibly dying at the kill_at-th persisted step. */
static int child_main(const char *dir, const char *id, int seed)
{
    env e;
    env_from(&e, dir);
    onshi_ctx *ctx;
    if (ctx_setup(&ctx, &e) != ONSHI_OK)
        return 3;
    if (seed % 2 == 0) {
        kill_at = 1 + seed / 2;
        if (onshi__batch_set_test_hook(ctx, kill_point_ud, NULL) != ONSHI_OK)
            return 3;
        onshi__file_hooks hk = {.after_record = kill_point_id, .after_publish = kill_point_id};
        if (onshi__file_hooks_set(ctx, &hk) != ONSHI_OK)
            return 3;
    }
    onshi_batch *b = NULL;
    int r = onshi_batch_open(&b, ctx, id);
    if (r == ONSHI_OK)
        r = onshi_batch_run(b);
    onshi_batch_free(b);
    onshi_ctx_free(ctx);
    return r == ONSHI_OK ? 0 : 3;
}

typedef struct recovery_log {
    int adopted, abandoned;
} recovery_log;

static void ONSHI_CALL on_log(void *ud, int level, const char *component, const char *message)
{
    recovery_log *l = ud;
    (void)level;
    (void)component;
    if (strstr(message, "adopted request"))
        l->adopted++;
    if (strstr(message, "never published"))
        l->abandoned++;
}

static void test_crash_resume(void **state)
{
    (void)state;
    const int trials = 20;
    unsigned seed = 20251125u;
    int killed = 0;
    recovery_log rl = {0, 0};
    for (int t = 0; t < trials; t++) {
        env e;
        env_make(&e);
        fake_bulk *fb = calloc(1, sizeof *fb);
        fb_start(fb, e.req, e.res, 2);
        onshi_ctx *ctx;
        assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
        tcb_set_log(ctx, on_log, &rl);
        onshi_batch *b = make_batch(ctx);
        assert_int_equal(onshi_batch_save(b), ONSHI_OK);
        char id[64], seedarg[16];
        snprintf(id, sizeof id, "%s", onshi_batch_id(b));
        onshi_batch_free(b);
        /* Even trials die at the (t/2+1)-th persisted step: every step of the upload and of the
         * first download, each crash window included. Odd trials die at a random moment. */
        int s = t % 2 ? (int)(rand_r(&seed) % 1000) * 2 + 1 : t;
        snprintf(seedarg, sizeof seedarg, "%d", s);
        char *argv[] = {"test_batch", "--child", e.dir, id, seedarg, NULL};
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* our own path, not /proc/self/exe: under valgrind that is valgrind itself */
            execv(self_path, argv);
            _exit(127);
        }
        if (s % 2) {
            /* a random moment of the child's life: from before it opened the store to after
             * it finished */
            struct timespec ts = {0, (long)(rand_r(&seed) % 60) * 1000000L};
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (WIFSIGNALED(st))
            killed++;
        else
            assert_int_equal(WEXITSTATUS(st), 0);

        /* restart: finish the batch here */
        assert_int_equal(onshi_batch_open(&b, ctx, id), ONSHI_OK);
        int r = onshi_batch_run(b);
        if (r != ONSHI_OK)
            fail_msg("trial %d (seed %d): resume failed: %s", t, s,
                     onshi_ctx_last_error_message(ctx));
        check_results(b);
        assert_string_equal(onshi_batch_reception_number(b), "R000001");
        onshi_batch_free(b);
        /* the fake linkage app is stopped first: it unlinks the request it took only after
         * writing the result, so a check made while it still runs can see that file */
        fb_stop(fb);
        /* the list was uploaded exactly once, no request file name was written twice, every
         * result file was consumed and no request is left open */
        assert_int_equal(atomic_load(&fb->uploads), 1);
        assert_int_equal(atomic_load(&fb->dup_names), 0);
        assert_int_equal(visible_files(e.res), 0);
        assert_int_equal(visible_files(e.req), 0);
        char next[ONSHI_FILE_ID_SIZE];
        assert_int_equal(onshi_file_pending_next(next, sizeof next, ctx, NULL), ONSHI_E_NOT_FOUND);
        onshi_ctx_free(ctx);
        free(fb);
        env_remove(&e);
    }
    /* the trials did crash the child (the test proves something) */
    assert_true(killed >= trials / 2);
    /* and the resume paths ran: a published request adopted, an unpublished one abandoned */
    assert_true(rl.adopted >= 1);
    assert_true(rl.abandoned >= 1);
}


/* ---- linear cost in the number of entries (work counter, no clock) ------------------------- */

/* A whole batch of n valid entries (validate, save, upload, download, match, persist, every
 * unit and person read back) on this thread; returns the work it took (onshi__work: list
 * elements, comparisons and index steps of the codec and of the matching). */
static unsigned long long batch_work(size_t n)
{
    env e;
    env_make(&e);
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, e.req, e.res, 0);
    onshi_ctx *ctx;
    assert_int_equal(ctx_setup(&ctx, &e), ONSHI_OK);
    unsigned long long w0 = onshi__work;
    onshi_batch *b = NULL;
    assert_int_equal(onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION), ONSHI_OK);
    for (size_t i = 0; i < n; i++) {
        char pid[32], num[32];
        snprintf(pid, sizeof pid, "L%05zu", n - i); /* not in sorted order */
        snprintf(num, sizeof num, "%zu1", i);       /* ends in 1: valid, one person */
        assert_int_equal(t_batch_add(b, pid, "01130012", "", num, "01", "19800401", 0),
                         ONSHI_OK);
    }
    assert_int_equal(onshi_batch_run(b), ONSHI_OK);
    assert_int_equal(onshi_batch_count(b), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(onshi_batch_outcome(b, i), ONSHI_BATCH_VALID);
        onshi_group *u = NULL, *p = NULL;
        assert_int_equal(onshi_batch_unit(&u, b, i), ONSHI_OK);
        assert_int_equal(onshi_batch_person_count(b, i), 1);
        assert_int_equal(onshi_batch_person(&p, b, i, 0), ONSHI_OK);
    }
    onshi_batch_free(b);
    unsigned long long w = onshi__work - w0;
    onshi_ctx_free(ctx);
    fb_stop(fb);
    free(fb);
    env_remove(&e);
    return w;
}

static void test_linear_batch(void **state)
{
    (void)state;
    unsigned long long small = batch_work(50), big = batch_work(500);
    /* 10x the entries: about 10x the work (sorting adds a log factor); a comparison of every
     * entry with every other one, or a walk of the units per unit, is 100x. */
    print_message("work: %llu for 50 entries, %llu for 500 (x%.1f)\n", small, big,
                  (double)big / (double)small);
    assert_true(small > 0);
    assert_true(big < small * 13);
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc == 5 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2], argv[3], atoi(argv[4]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_run_file),
        cmocka_unit_test(test_poll_limit_and_resume),
        cmocka_unit_test(test_cancel_and_upload_refused),
        cmocka_unit_test(test_refnum),
        cmocka_unit_test(test_query_batches),
        cmocka_unit_test(test_crash_resume),
        cmocka_unit_test(test_linear_batch),
    };
    return cmocka_run_group_tests_name("service/batch", tests, NULL, NULL);
}
