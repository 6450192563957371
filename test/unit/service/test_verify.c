/* service: verify by insurance card, 照会番号, drug/checkup under consent, result helpers,
 * face results and onshi.conf — against a fake linkage app answering with golden files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "onshi.h"
#include "../transport/fake_linkage.h"
#include "../../support/fixed_clock.h"

#include <stdint.h>
#include <sys/stat.h>

#define GOLDEN "test/data/codec/"
#define INST "1311234569"

typedef struct env {
    char base[256], req[300], res[300], face[300], db[300];
    onshi_ctx *ctx;
} env;

/* ---- helpers ------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n)
        fail_msg("short read %s", path);
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

/* Replace every occurrence of a by b (same length or not) in a heap string. */
static char *replace(char *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = 0;
    for (char *p = strstr(s, a); p; p = strstr(p + la, a))
        n++;
    char *out = malloc(strlen(s) + n * (lb > la ? lb - la : 0) + 1), *o = out;
    const char *p = s;
    for (const char *q = strstr(p, a); q; q = strstr(p, a)) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, b, lb);
        o += lb;
        p = q + la;
    }
    strcpy(o, p);
    free(s);
    return out;
}

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    int rc = system(cmd);
    (void)rc;
}

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    snprintf(e->base, sizeof e->base, "/tmp/onshi-sv-XXXXXX");
    if (mkdtemp(e->base) == NULL)
        return -1;
    snprintf(e->req, sizeof e->req, "%s/req", e->base);
    snprintf(e->res, sizeof e->res, "%s/res", e->base);
    snprintf(e->face, sizeof e->face, "%s/face", e->base);
    snprintf(e->db, sizeof e->db, "%s/state.db", e->base);
    mkdir(e->req, 0755);
    mkdir(e->res, 0755);
    mkdir(e->face, 0755);
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return -1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, e->req);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, e->res);
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, e->face);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, e->db);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, INST);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 20);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 20000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 20000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, ONSHI_ENC_UTF8);
    e->ctx = ctx;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    onshi_ctx_free(e->ctx);
    rm_rf(e->base);
    free(e);
    return 0;
}

/* Audit and progress recorders. */
typedef struct rec {
    int n;
    int action[8], phase[8], outcome[8];
    char patient[8][120];
    int refuse;
    int stages[16], nstages;
} rec;

static int ONSHI_CALL audit_cb(void *ud, int action, int phase, int outcome,
                               const char *operator_id, const char *patient, const char *detail,
                               const char *timestamp)
{
    rec *r = ud;
    (void)operator_id;
    (void)detail;
    assert_int_equal(strlen(timestamp), 14);
    if (r->n < 8) {
        r->action[r->n] = action;
        r->phase[r->n] = phase;
        r->outcome[r->n] = outcome;
        snprintf(r->patient[r->n], sizeof r->patient[0], "%s", patient);
        r->n++;
    }
    return phase == ONSHI_AUDIT_BEFORE ? r->refuse : 0;
}

static int ONSHI_CALL progress_cb(void *ud, int stage, int64_t done, int64_t total)
{
    rec *r = ud;
    (void)done;
    (void)total;
    if (r->nstages < 16)
        r->stages[r->nstages++] = stage;
    return 0;
}

static int ONSHI_CALL cancel_cb(void *ud, int stage, int64_t done, int64_t total)
{
    (void)ud;
    (void)done;
    (void)total;
    return stage == ONSHI_STAGE_SEND;
}

/* A golden qualification result whose drug/checkup consents run until 2999. */
static onshi_msg *person_msg(env *e, const char *file, int future)
{
    size_t n;
    char *x = slurp(file, &n);
    if (future)
        x = replace(x, "20250215093004", "29990215093004");
    onshi_msg *m = NULL;
    assert_int_equal(onshi_msg_decode(&m, e->ctx, 0, x, strlen(x)), ONSHI_OK);
    free(x);
    return m;
}

static onshi_group *person_at(onshi_msg *m, size_t i)
{
    onshi_group *p = NULL;
    assert_int_equal(onshi_group_at(&p, onshi_msg_body(m), ONSHI_G_RESULT, i), ONSHI_OK);
    return p;
}

/* Start a fake answering every request with `answer` (ext: ".xml", ".pdf"). */
static void fake_bytes(fake_linkage *fl, env *e, const char *answer, size_t len, const char *ext)
{
    fl_start(fl, e->req, e->res, FL_BYTES);
    fl->answer = answer;
    fl->answer_len = len;
    fl->ext = ext;
    fl_run(fl);
}

/* The one request file left in req/ (the linkage app "not running"), decoded. */
static onshi_msg *left_request(env *e)
{
    DIR *d = opendir(e->req);
    struct dirent *de;
    char path[700] = "";
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, "req_") != NULL && de->d_name[0] != '.' && de->d_name[0] != '~')
            snprintf(path, sizeof path, "%s/%s", e->req, de->d_name);
    closedir(d);
    assert_true(path[0] != '\0');
    onshi_msg *m = NULL;
    assert_int_equal(onshi_msg_decode_file(&m, e->ctx, path), ONSHI_OK);
    return m;
}

static const char *gs(onshi_group *g, int field)
{
    const char *v = NULL;
    onshi_group_get_str(&v, g, field);
    return v ? v : "";
}

/* ---- verify by insurance card -------------------------------------------------------- */

static void test_local_refusals(void **state)
{
    env *e = *state;
    onshi_msg *m = (onshi_msg *)1;
    char id[ONSHI_FILE_ID_SIZE];
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    /* 06130017 is valid; the last digit changed breaks the check digit */
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130018", NULL,
                                                 "561", "01", "19800401", 1, NULL),
                     ONSHI_E_CHECK_DIGIT);
    assert_null(m);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "insurer number"));
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "0613001", NULL,
                                                 "561", "01", "19800401", 1, NULL),
                     ONSHI_E_FIELD_FORMAT);
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "561", "1", "19800401", 1, NULL),
                     ONSHI_E_FIELD_FORMAT);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "branch"));
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "", "01", "19800401", 1, NULL),
                     ONSHI_E_FIELD_MISSING);
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017",
                                                 "１２３４５６７８９０１２３４５６７８９０１",
                                                 "561", "01", "19800401", 1, NULL),
                     ONSHI_E_FIELD_LENGTH);
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "561", "01", "19810229", 1, NULL),
                     ONSHI_E_FIELD_FORMAT);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "birth date"));
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "561", "01", "29991231", 1, NULL),
                     ONSHI_E_FIELD_FORMAT);
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "561", "01", "19800401", 2, NULL),
                     ONSHI_E_INVALID_ARG);
    /* Japanese message names the field in Japanese */
    onshi_ctx_set_str(e->ctx, ONSHI_OPT_LANG, "ja");
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130018", NULL,
                                                 "561", "01", "19800401", 1, NULL),
                     ONSHI_E_CHECK_DIGIT);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "保険者番号"));
    onshi_ctx_set_str(e->ctx, ONSHI_OPT_LANG, "en");
    /* no institution code configured */
    onshi_ctx_set_str(e->ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, NULL);
    assert_int_equal(t_verify_insurance_card(&m, id, sizeof id, e->ctx, "06130017", NULL,
                                                 "561", "01", "19800401", 1, NULL),
                     ONSHI_E_CONFIG);
    fl_sleep_ms(100);
    fl_stop(&fl);
    /* nothing ever reached the linkage app */
    assert_int_equal(atomic_load(&fl.taken), 0);
    assert_int_equal(fl_count_files(e->req), 0);
}

static void test_request_content(void **state)
{
    env *e = *state;
    /* the linkage app does not take it: the request stays in req/ for inspection */
    onshi_ctx_set_int(e->ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 100);
    onshi_ctx_set_int(e->ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 200);
    /* 23:30 UTC on New Year's Eve: in Japan it is already 08:30 on 1 January, and that is
     * the date of the request whatever TZ this machine has */
    static const int64_t when = FIXED_CLOCK_NEW_YEAR;
    fixed_clock_set(e->ctx, &when);
    onshi_msg *m = NULL;
    char id[ONSHI_FILE_ID_SIZE];
    int rc = t_verify_insurance_card(&m, id, sizeof id, e->ctx, "138016", "１２－３４", "561",
                                         "01", "19800401", 1, "PAT-0001");
    assert_int_equal(rc, ONSHI_E_LINKAGE_NOT_RUNNING);
    assert_null(m);
    assert_int_equal(strlen(id), 16);
    assert_memory_equal(id, "20270101", 8); /* the file name's date too */
    onshi_msg *req = left_request(e);
    assert_int_equal(onshi_msg_type(req), ONSHI_MSG_QUAL_REQ);
    onshi_group *h = onshi_msg_header(req), *s = NULL;
    assert_string_equal(gs(h, ONSHI_F_MEDICAL_INSTITUTION_CODE), INST);
    assert_string_equal(gs(h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE), "20270101");
    assert_int_equal(onshi_group_at(&s, onshi_msg_body(req), ONSHI_G_SEARCH, 0), ONSHI_OK);
    assert_string_equal(gs(s, ONSHI_F_SEARCH_INSURER_NUMBER), "138016");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL), "１２－３４");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER), "561");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER), "01");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_BIRTHDATE), "19800401");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_LIMIT_CONS_FLG), "1");
    assert_string_equal(gs(s, ONSHI_F_SEARCH_ARBITRARY_IDENTIFIER), "PAT-0001");
    onshi_msg_free(req);
}

static void test_verify_ok(void **state)
{
    env *e = *state;
    rec r;
    memset(&r, 0, sizeof r);
    tcb_set_audit(e->ctx, audit_cb, &r);
    tcb_set_progress(e->ctx, progress_cb, &r);
    size_t n;
    char *ans = slurp(GOLDEN "OQSsiquc01res_202501150001.xml", &n);
    fake_linkage fl;
    fake_bytes(&fl, e, ans, n, ".xml");
    onshi_msg *m = NULL;
    char id[ONSHI_FILE_ID_SIZE];
    int rc = t_verify_insurance_card(&m, id, sizeof id, e->ctx, "138016", "１２－３４", "561",
                                         "01", "19800401", 1, NULL);
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_QUAL_RES);
    int v;
    const char *label;
    assert_int_equal(onshi_result_validity(&v, &label, lang_ctx(1), m), ONSHI_OK);
    assert_int_equal(v, 5);
    assert_string_equal(label, "複数該当");
    assert_int_equal(onshi_group_count(onshi_msg_body(m), ONSHI_G_RESULT), 3);
    onshi_msg_free(m);
    assert_int_equal(atomic_load(&fl.taken), 1);
    /* consumed: nothing left in res/ */
    assert_int_equal(fl_count_files(e->res), 0);
    /* audit before/after with the patient reference; progress SEND then DONE */
    assert_int_equal(r.n, 2);
    assert_int_equal(r.action[0], ONSHI_AUDIT_QUALIFICATION);
    assert_int_equal(r.phase[0], ONSHI_AUDIT_BEFORE);
    assert_int_equal(r.phase[1], ONSHI_AUDIT_AFTER);
    assert_int_equal(r.outcome[1], ONSHI_OK);
    assert_string_equal(r.patient[0], "138016/１２－３４/561/01");
    assert_int_equal(r.nstages, 2);
    assert_int_equal(r.stages[0], ONSHI_STAGE_SEND);
    assert_int_equal(r.stages[1], ONSHI_STAGE_DONE);
    tcb_set_audit(e->ctx, NULL, NULL);
    tcb_set_progress(e->ctx, NULL, NULL);
}

static void test_system_error(void **state)
{
    env *e = *state;
    rec r;
    memset(&r, 0, sizeof r);
    tcb_set_audit(e->ctx, audit_cb, &r);
    size_t n;
    char *ans = slurp(GOLDEN "OQSsiquc01res_202501150009.xml", &n);
    fake_linkage fl;
    fake_bytes(&fl, e, ans, n, ".xml");
    onshi_msg *m = NULL;
    int rc = t_verify_insurance_card(&m, NULL, 0, e->ctx, "138016", NULL, "561", "01",
                                         "19800401", 0, NULL);
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_E_SYSTEM_ERROR);
    assert_null(m);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "EQS0001"));
    assert_int_equal(r.n, 2);
    assert_int_equal(r.outcome[1], ONSHI_E_SYSTEM_ERROR);
    /* the audit callback refusing the access: nothing is sent */
    memset(&r, 0, sizeof r);
    r.refuse = 1;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    rc = t_verify_insurance_card(&m, NULL, 0, e->ctx, "138016", NULL, "561", "01",
                                     "19800401", 0, NULL);
    fl_sleep_ms(50);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_E_CANCELLED);
    assert_int_equal(atomic_load(&fl.taken), 0);
    tcb_set_audit(e->ctx, NULL, NULL);

    /* "No such qualification" is an outcome, not an error, even when the system says so
     * with ProcessingResultStatus 2 (as batch units are read): ONSHI_OK, validity 4 */
    ans = slurp(GOLDEN "OQSsiquc01res_202501150010.xml", &n);
    fake_bytes(&fl, e, ans, n, ".xml");
    rc = t_verify_insurance_card(&m, NULL, 0, e->ctx, "138016", NULL, "561", "01",
                                     "19800401", 0, NULL);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_OK);
    assert_non_null(m);
    {
        int v = 0;
        const char *vl = NULL;
        assert_int_equal(onshi_result_validity(&v, &vl, lang_ctx(1), m), ONSHI_OK);
        assert_int_equal(v, 4);
        assert_string_equal(vl, "該当資格なし");
    }
    onshi_msg_free(m);
    m = NULL;
    /* ProcessingResultStatus 2 without a validity: the system's processing code reaches staff */
    {
        char *cut = strstr(ans, "    <QualificationValidity>4</QualificationValidity>\n");
        assert_non_null(cut);
        size_t tail = strlen(cut + 53);
        memmove(cut, cut + 53, tail + 1);
        n = strlen(ans);
    }
    fake_bytes(&fl, e, ans, n, ".xml");
    rc = t_verify_insurance_card(&m, NULL, 0, e->ctx, "138016", NULL, "561", "01", "19800401", 0, NULL);
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_E_PROCESSING_ERROR);
    assert_null(m);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "EQS1234"));

    /* the progress callback cancelling at SEND: nothing is sent */
    tcb_set_progress(e->ctx, cancel_cb, NULL);
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    rc = t_verify_insurance_card(&m, NULL, 0, e->ctx, "138016", NULL, "561", "01",
                                     "19800401", 0, NULL);
    fl_sleep_ms(50);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_E_CANCELLED);
    assert_int_equal(atomic_load(&fl.taken), 0);
    tcb_set_progress(e->ctx, NULL, NULL);
}

static void test_pending_then_pickup(void **state)
{
    env *e = *state;
    onshi_ctx_set_int(e->ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 300);
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_TAKE_ONLY);
    fl_run(&fl);
    onshi_msg *m = NULL;
    char id[ONSHI_FILE_ID_SIZE];
    int rc = t_verify_insurance_card(&m, id, sizeof id, e->ctx, "138016", NULL, "561", "01",
                                         "19800401", 1, NULL);
    assert_int_equal(rc, ONSHI_E_PENDING);
    assert_null(m);
    assert_int_equal(strlen(id), 16);
    /* nothing yet: looking again does not resend */
    assert_int_equal(onshi_result_pickup(&m, e->ctx, id, ONSHI_MSG_QUAL_REQ, 0), ONSHI_E_PENDING);
    /* the late result arrives */
    size_t n;
    char *ans = slurp(GOLDEN "OQSsiquc01res_202501150001.xml", &n);
    char path[700];
    snprintf(path, sizeof path, "%s/OQSsiquc01res_%s.xml", e->res, id);
    fl_write_file(path, ans, n);
    free(ans);
    assert_int_equal(onshi_result_pickup(&m, e->ctx, id, ONSHI_MSG_QUAL_REQ, 5000), ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_QUAL_RES);
    onshi_msg_free(m);
    fl_stop(&fl);
    assert_int_equal(atomic_load(&fl.taken), 1); /* sent exactly once */
    assert_int_equal(onshi_result_pickup(&m, e->ctx, id, ONSHI_MSG_QUAL_REQ, 0), ONSHI_E_STATE);
    assert_int_equal(onshi_result_pickup(&m, e->ctx, id, ONSHI_MSG_QUAL_RES, 0),
                     ONSHI_E_INVALID_ARG);
}

/* ---- result helpers ------------------------------------------------------------------ */

static void test_consent(void **state)
{
    env *e = *state;
    onshi_msg *m = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 0);
    onshi_group *p = person_at(m, 0);
    const char *before = "20250120000000", *after = "20250301000000";
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_DRUG, before), ONSHI_OK);
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_CHECKUP, before), ONSHI_OK);
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_DRUG, after),
                     ONSHI_E_CONSENT_EXPIRED);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "drug information"));
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_DIAGNOSIS, before),
                     ONSHI_E_NO_CONSENT);
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_SURGERY, before),
                     ONSHI_E_CONSENT_EXPIRED);
    assert_int_equal(onshi_person_consent(e->ctx, p, ONSHI_CONSENT_LIMIT, after), ONSHI_OK);
    assert_int_equal(onshi_person_consent(NULL, p, ONSHI_CONSENT_DRUG | ONSHI_CONSENT_CHECKUP,
                                          before),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_person_consent(NULL, p, ONSHI_CONSENT_DRUG, "2025"),
                     ONSHI_E_INVALID_ARG);
    /* now = the current time: the golden consent of 2025 has expired */
    assert_int_equal(onshi_person_consent(NULL, p, ONSHI_CONSENT_DRUG, NULL),
                     ONSHI_E_CONSENT_EXPIRED);
    const char *code, *label;
    assert_int_equal(onshi_person_sex(&code, &label, lang_ctx(1), p), ONSHI_OK);
    assert_string_equal(code, "2");
    assert_string_equal(label, "女");
    onshi_msg_free(m);

    /* Sex2 absent: Sex1; Sex2 present and different: Sex2 wins */
    size_t n;
    char *x = slurp(GOLDEN "OQSsiquc01res_202501150001.xml", &n);
    x = replace(x, "<Sex2>2</Sex2>", "<Sex2>1</Sex2>");
    assert_int_equal(onshi_msg_decode(&m, e->ctx, 0, x, strlen(x)), ONSHI_OK);
    free(x);
    assert_int_equal(onshi_person_sex(&code, &label, lang_ctx(0), person_at(m, 0)), ONSHI_OK);
    assert_string_equal(code, "1");
    onshi_msg_free(m);
    x = slurp(GOLDEN "OQSsiquc01res_202501150001.xml", &n);
    x = replace(x, "<Sex2>2</Sex2>", "");
    x = replace(x, "<Sex1>2</Sex1>", "<Sex1>1</Sex1>");
    assert_int_equal(onshi_msg_decode(&m, e->ctx, 0, x, strlen(x)), ONSHI_OK);
    free(x);
    assert_int_equal(onshi_person_sex(&code, NULL, lang_ctx(0), person_at(m, 0)), ONSHI_OK);
    assert_string_equal(code, "1");
    onshi_msg_free(m);
}

static void test_compare(void **state)
{
    env *e = *state;
    onshi_msg *a = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 0);
    size_t n;
    char *x = slurp(GOLDEN "OQSsiquc01res_202501150001.xml", &n);
    x = replace(x, "<InsuredPartialContributionRatio>030", "<InsuredPartialContributionRatio>020");
    x = replace(x, "ClassificationFlag>A03<", "ClassificationFlag>A04<");
    onshi_msg *b = NULL;
    assert_int_equal(onshi_msg_decode(&b, e->ctx, 0, x, strlen(x)), ONSHI_OK);
    free(x);

    onshi_changes *ch = NULL;
    /* the same person: nothing changed */
    assert_int_equal(onshi_person_compare(&ch, e->ctx, person_at(a, 0), person_at(a, 0)),
                     ONSHI_OK);
    assert_int_equal(onshi_changes_count(ch), 0);
    onshi_changes_free(ch);

    assert_int_equal(onshi_person_compare(&ch, lang_ctx(1), person_at(a, 0), person_at(b, 0)),
                     ONSHI_OK);
    assert_int_equal(onshi_changes_count(ch), 2);
    int field;
    const char *o, *nw, *fl, *ol, *nl;
    assert_int_equal(onshi_changes_at(&field, &o, &nw, ch, 0), ONSHI_OK);
    assert_int_equal(field, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO);
    assert_string_equal(o, "030");
    assert_string_equal(nw, "020");
    assert_int_equal(onshi_changes_labels(&fl, &ol, &nl, ch, 0), ONSHI_OK);
    assert_string_equal(fl, "一部負担金割合");
    assert_string_equal(ol, "3割");
    assert_string_equal(nl, "2割");
    assert_int_equal(onshi_changes_at(&field, &o, &nw, ch, 1), ONSHI_OK);
    assert_int_equal(field, ONSHI_F_LIMIT_CLASSIFICATION_FLAG);
    assert_int_equal(onshi_changes_labels(&fl, &ol, &nl, ch, 1), ONSHI_OK);
    assert_string_equal(ol, "ウ");
    assert_string_equal(nl, "エ");
    /* the labels come in the language of the context the list was made with */
    onshi_changes *en = NULL;
    assert_int_equal(onshi_person_compare(&en, lang_ctx(0), person_at(a, 0), person_at(b, 0)),
                     ONSHI_OK);
    assert_int_equal(onshi_changes_labels(&fl, NULL, NULL, en, 1), ONSHI_OK);
    assert_string_equal(fl, "limit-amount class");
    onshi_changes_free(en);
    assert_int_equal(onshi_changes_at(&field, NULL, NULL, ch, 2), ONSHI_E_NOT_FOUND);
    onshi_buf *json = NULL;
    assert_int_equal(onshi_changes_to_json(&json, e->ctx, ch), ONSHI_OK);
    const char *j = (const char *)onshi_buf_data(json);
    assert_non_null(strstr(j, "\"field\":423"));
    assert_non_null(strstr(j, "\"name\":\"InsuredPartialContributionRatio\""));
    assert_non_null(strstr(j, "\"old\":\"A03\",\"new\":\"A04\""));
    assert_int_equal(j[onshi_buf_len(json)], '\0');
    onshi_buf_free(json);
    onshi_changes_free(ch);

    /* another family member: number, branch, name and kana differ */
    assert_int_equal(onshi_person_compare(&ch, e->ctx, person_at(a, 0), person_at(a, 1)),
                     ONSHI_OK);
    assert_int_equal(onshi_changes_count(ch), 4);
    assert_int_equal(onshi_changes_at(&field, &o, &nw, ch, 0), ONSHI_OK);
    assert_int_equal(field, ONSHI_F_INSURED_ID_NUMBER);
    assert_string_equal(nw, "562");
    onshi_changes_free(ch);
    /* not persons */
    assert_int_equal(onshi_person_compare(&ch, e->ctx, onshi_msg_body(a), person_at(a, 0)),
                     ONSHI_E_INVALID_ARG);
    assert_null(ch);
    onshi_msg_free(a);
    onshi_msg_free(b);
}

/* ---- drug / checkup ------------------------------------------------------------------ */

static void test_info_refused_without_consent(void **state)
{
    env *e = *state;
    rec r;
    memset(&r, 0, sizeof r);
    tcb_set_audit(e->ctx, audit_cb, &r);
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    onshi_msg *m = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 0), *res = NULL;
    /* 2025 consents have expired by now */
    assert_int_equal(t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                                        ONSHI_INFO_XML, NULL, NULL),
                     ONSHI_E_CONSENT_EXPIRED);
    assert_int_equal(t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0),
                                        ONSHI_INFO_CHECKUP, ONSHI_INFO_PDF, NULL, NULL),
                     ONSHI_E_CONSENT_EXPIRED);
    onshi_msg_free(m);
    /* valid drug consent but no 診療 consent for the drug+diagnosis categories */
    m = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 1);
    assert_int_equal(t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                                        ONSHI_INFO_DRUG_DIAGNOSIS_XML, NULL, NULL),
                     ONSHI_E_NO_CONSENT);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "diagnosis"));
    assert_int_equal(t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0),
                                        ONSHI_INFO_CHECKUP, ONSHI_INFO_DRUG_DIAGNOSIS_XML, NULL,
                                        NULL),
                     ONSHI_E_INVALID_ARG);
    assert_int_equal(t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                                        ONSHI_INFO_XML, "202513", NULL),
                     ONSHI_E_FIELD_FORMAT);
    onshi_msg_free(m);
    fl_sleep_ms(50);
    fl_stop(&fl);
    assert_null(res);
    assert_int_equal(atomic_load(&fl.taken), 0);
    assert_int_equal(r.n, 0); /* refused before any access: nothing to audit */
    tcb_set_audit(e->ctx, NULL, NULL);
}

static void test_drug_xml(void **state)
{
    env *e = *state;
    rec r;
    memset(&r, 0, sizeof r);
    tcb_set_audit(e->ctx, audit_cb, &r);
    size_t n;
    char *ans = slurp(GOLDEN "YZKsiquc01res_202501150005.xml", &n);
    fake_linkage fl;
    fake_bytes(&fl, e, ans, n, ".xml");
    onshi_msg *m = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 1), *res = NULL;
    int rc = t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                                ONSHI_INFO_XML, "202410", "202501");
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_OK);
    assert_int_equal(onshi_msg_type(res), ONSHI_MSG_DRUG_RES);
    onshi_group *b = onshi_msg_body(res), *month = NULL, *date = NULL;
    assert_true(onshi_group_count(b, ONSHI_G_DRUG_MONTH) >= 1);
    assert_int_equal(onshi_group_at(&month, b, ONSHI_G_DRUG_MONTH, 0), ONSHI_OK);
    assert_true(onshi_group_count(month, ONSHI_G_DRUG_DATE) >= 1);
    assert_int_equal(onshi_group_at(&date, month, ONSHI_G_DRUG_DATE, 0), ONSHI_OK);
    assert_true(onshi_group_count(date, ONSHI_G_DRUG) >= 1);
    onshi_msg_free(res);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.action[0], ONSHI_AUDIT_DRUG_INFO);
    assert_int_equal(r.phase[0], ONSHI_AUDIT_BEFORE);
    assert_int_equal(r.outcome[1], ONSHI_OK);
    assert_string_equal(r.patient[0], "138016/１２－３４/561/01");

    /* PDF */
    ans = slurp(GOLDEN "YZKsiquc01res_202501150007.pdf", &n);
    fake_bytes(&fl, e, ans, n, ".pdf");
    rc = t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                            ONSHI_INFO_PDF, NULL, NULL);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_OK);
    const unsigned char *pdf = NULL;
    size_t plen = 0;
    assert_int_equal(onshi_msg_attachment(&pdf, &plen, NULL, res), ONSHI_OK);
    assert_int_equal(plen, n);
    assert_memory_equal(pdf, ans, n);
    free(ans);
    onshi_msg_free(res);

    /* checkup XML */
    ans = slurp(GOLDEN "TKKsiquc01res_202501150006.xml", &n);
    fake_bytes(&fl, e, ans, n, ".xml");
    rc = t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_CHECKUP,
                            ONSHI_INFO_XML, NULL, NULL);
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_OK);
    onshi_group *ck = NULL;
    assert_int_equal(onshi_group_at(&ck, onshi_msg_body(res), ONSHI_G_CHECKUP, 0), ONSHI_OK);
    assert_true(onshi_group_count(ck, ONSHI_G_CHECKUP_ITEM) >= 1);
    onshi_msg_free(res);

    /* ResultCode not 1: the system's message reaches staff */
    ans = slurp(GOLDEN "YZKsiquc01res_202501150005.xml", &n);
    ans = replace(ans, "<ResultCode>1</ResultCode>", "<ResultCode>2</ResultCode>");
    fake_bytes(&fl, e, ans, strlen(ans), ".xml");
    rc = t_info_request(&res, NULL, 0, e->ctx, person_at(m, 0), ONSHI_INFO_DRUG,
                            ONSHI_INFO_XML, NULL, NULL);
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_E_INFO_NOT_AVAILABLE);
    assert_null(res);
    onshi_msg_free(m);
    tcb_set_audit(e->ctx, NULL, NULL);
}

static void test_drug_request_content(void **state)
{
    env *e = *state;
    onshi_ctx_set_int(e->ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 100);
    onshi_msg *m = person_msg(e, GOLDEN "OQSsiquc01res_202501150001.xml", 1), *res = NULL;
    char id[ONSHI_FILE_ID_SIZE];
    assert_int_equal(t_info_request(&res, id, sizeof id, e->ctx, person_at(m, 0),
                                        ONSHI_INFO_DRUG, ONSHI_INFO_XML, NULL, "202502"),
                     ONSHI_E_LINKAGE_NOT_RUNNING);
    onshi_msg *req = left_request(e);
    assert_int_equal(onshi_msg_type(req), ONSHI_MSG_DRUG_REQ);
    onshi_group *h = onshi_msg_header(req), *b = onshi_msg_body(req);
    assert_string_equal(gs(h, ONSHI_F_MEDICAL_INSTITUTION_CODE), INST);
    assert_string_equal(gs(h, ONSHI_F_HDR_INSURER_NUMBER), "138016");
    assert_string_equal(gs(h, ONSHI_F_HDR_INSURED_PERSON_ID_NUMBER), "561");
    assert_string_equal(gs(h, ONSHI_F_HDR_BRANCH_NUMBER), "01");
    assert_string_equal(gs(b, ONSHI_F_START_DATE), "202409");
    assert_string_equal(gs(b, ONSHI_F_END_DATE), "202502");
    assert_string_equal(gs(b, ONSHI_F_FILE_CATEGORY), "2");
    onshi_msg_free(req);
    onshi_msg_free(m);
}

/* ---- 照会番号 ------------------------------------------------------------------------- */

static void test_refnum(void **state)
{
    env *e = *state;
    size_t n;
    char *ans = slurp(GOLDEN "OQSsiimm01res_202501150002.xml", &n);
    fake_linkage fl;
    fake_bytes(&fl, e, ans, n, ".xml");
    onshi_msg *m = NULL;
    assert_int_equal(t_refnum_register(&m, NULL, 0, e->ctx, "", "39131156", NULL, "1", "00"),
                     ONSHI_E_FIELD_MISSING);
    assert_int_equal(t_refnum_register(&m, NULL, 0, e->ctx, "24431", "39131157", NULL, "1",
                                           "00"),
                     ONSHI_E_CHECK_DIGIT);
    int rc = t_refnum_register(&m, NULL, 0, e->ctx, "24431", "39131156", "記号１", "12341",
                                   "00");
    fl_stop(&fl);
    free(ans);
    assert_int_equal(rc, ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_REFNUM_RES);
    assert_int_equal(atomic_load(&fl.taken), 1);
    onshi_msg_free(m);
}

/* ---- face results -------------------------------------------------------------------- */

typedef struct face_seen {
    int n, ok;
    char name[200];
} face_seen;

static int ONSHI_CALL face_cb(void *ud, int status, const onshi_msg *msg, const char *filename)
{
    face_seen *s = ud;
    s->n++;
    if (status == ONSHI_OK && msg != NULL && onshi_msg_type(msg) == ONSHI_MSG_FACE_RES)
        s->ok++;
    snprintf(s->name, sizeof s->name, "%s", filename);
    return 1; /* one is enough */
}

static void test_face(void **state)
{
    env *e = *state;
    const char *name = "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml";
    size_t n;
    char *x = slurp(GOLDEN "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml",
                    &n);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", e->face, name);
    fl_write_file(path, x, n);
    onshi_face_watch *w = NULL;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, ONSHI_FACE_WATCH_DELIVER_EXISTING),
                     ONSHI_OK);
    onshi_msg *m = NULL;
    assert_int_equal(onshi_face_watch_next(&m, w, 5000), ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_FACE_RES);
    assert_int_equal(onshi_result_check(e->ctx, m), ONSHI_OK);
    assert_true(onshi_group_count(onshi_msg_body(m), ONSHI_G_RESULT) >= 1);
    onshi_msg_free(m);
    /* delivered once only */
    assert_int_equal(onshi_face_watch_next(&m, w, 0), ONSHI_E_TIMEOUT);
    /* a second file through the callback form */
    const char *name2 = "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093105.xml";
    char path2[700];
    snprintf(path2, sizeof path2, "%s/%s", e->face, name2);
    fl_write_file(path2, x, n);
    face_seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(onshi_face_watch_run(w, face_cb, &s, 5000), ONSHI_E_CANCELLED);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ok, 1);
    assert_string_equal(s.name, name2);
    onshi_face_watch_free(w);
    /* other readers of face/ still find both files untouched */
    size_t n2;
    char *back = slurp(path, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(back, x, n);
    free(back);
    assert_int_equal(fl_count_files(e->face), 2);
    free(x);
}

/* ---- configuration ------------------------------------------------------------------- */

static void test_config(void **state)
{
    env *e = *state;
    char path[700];
    snprintf(path, sizeof path, "%s/onshi.conf", e->base);
    FILE *f = fopen(path, "w");
    fprintf(f, "# libonshi configuration\n\n"
               "medical_institution_code = 1311234569\n"
               "transport = https   # the server\n"
               "req_dir = \"/tmp/with space # not a comment\"\n"
               "  result_timeout_ms=1500\n"
               "request_encoding = cp932\n"
               "operator_id = 受付 01\n");
    fclose(f);
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    setenv("ONSHI_RESULT_TIMEOUT_MS", "2500", 1);
    setenv("ONSHI_CONF", "ignored: not an option", 1);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_OK);
    const char *s;
    int64_t v;
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE), ONSHI_OK);
    assert_string_equal(s, "1311234569");
    assert_int_equal(onshi_ctx_get_int(&v, ctx, ONSHI_OPT_TRANSPORT), ONSHI_OK);
    assert_int_equal(v, ONSHI_TRANSPORT_HTTPS);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_REQ_DIR), ONSHI_OK);
    assert_string_equal(s, "/tmp/with space # not a comment");
    assert_int_equal(onshi_ctx_get_int(&v, ctx, ONSHI_OPT_RESULT_TIMEOUT_MS), ONSHI_OK);
    assert_int_equal(v, 2500); /* the environment wins */
    assert_int_equal(onshi_ctx_get_int(&v, ctx, ONSHI_OPT_REQUEST_ENCODING), ONSHI_OK);
    assert_int_equal(v, ONSHI_ENC_CP932);
    assert_int_equal(onshi_ctx_get_str(&s, ctx, ONSHI_OPT_OPERATOR_ID), ONSHI_OK);
    assert_string_equal(s, "受付 01");
    unsetenv("ONSHI_RESULT_TIMEOUT_MS");
    unsetenv("ONSHI_CONF");

    /* errors name the file, line and key */
    f = fopen(path, "w");
    fprintf(f, "# ok\nlang = en\nno_such_key = 1\n");
    fclose(f);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_E_CONFIG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "onshi.conf:3"));
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "no_such_key"));
    f = fopen(path, "w");
    fprintf(f, "transport = carrier-pigeon\n");
    fclose(f);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_E_CONFIG);
    f = fopen(path, "w");
    fprintf(f, "xml_max_depth = 100000\n");
    fclose(f);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_E_OPTION_RANGE);
    f = fopen(path, "w");
    fprintf(f, "just words\n");
    fclose(f);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_E_CONFIG);
    f = fopen(path, "w");
    fprintf(f, "tls_pinned_key = 0g\n");
    fclose(f);
    assert_int_equal(onshi_ctx_load_config(ctx, path), ONSHI_E_CONFIG);
    char missing[720];
    snprintf(missing, sizeof missing, "%s/none.conf", e->base);
    assert_int_equal(onshi_ctx_load_config(ctx, missing), ONSHI_E_IO);
    setenv("ONSHI_TRANSPORT", "bogus", 1);
    assert_int_equal(onshi_ctx_load_config(ctx, NULL), ONSHI_E_CONFIG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "ONSHI_TRANSPORT"));
    unsetenv("ONSHI_TRANSPORT");
    assert_int_equal(onshi_ctx_load_config(ctx, NULL), ONSHI_OK);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_then_pickup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_refused_without_consent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drug_xml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drug_request_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refnum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
    };
    return cmocka_run_group_tests_name("service/verify", tests, NULL, NULL);
}
