/* transport: file exchange with the linkage app (req/ res/), against a fake linkage app. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "transport/file.h"
#include "fake_linkage.h"
#include "../../support/fixed_clock.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <iconv.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <zip.h>

/* Every iconv_open of the process, counted (this definition interposes libc's; the library
 * is linked statically into this program). */
static atomic_int iconv_opens;
iconv_t iconv_open(const char *to, const char *from)
{
    static iconv_t (*real)(const char *, const char *);
    if (real == NULL)
        real = (iconv_t(*)(const char *, const char *))dlsym(RTLD_NEXT, "iconv_open");
    atomic_fetch_add(&iconv_opens, 1);
    return real(to, from);
}

typedef struct env {
    char base[256], req[300], res[300], archive[300], db[300];
    onshi_ctx *ctx;
} env;

static const char REQ_BODY[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg>"
                               "<MessageHeader/></XmlMsg>\n";

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
    int rc = system(cmd);
    (void)rc;
}

/* The test's transport hooks, installed on every context new_ctx makes (apply() for one
 * that exists already). */
static onshi__file_hooks hk;
static void apply(onshi_ctx *ctx)
{
    assert_int_equal(onshi__file_hooks_set(ctx, &hk), ONSHI_OK);
}

static onshi_ctx *new_ctx(env *e)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, e->req), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, e->res), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, e->db), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 50), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 20000), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 20000), ONSHI_OK);
    apply(ctx);
    return ctx;
}

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    snprintf(e->base, sizeof e->base, "/tmp/onshi-ft-XXXXXX");
    if (mkdtemp(e->base) == NULL)
        return -1;
    chmod(e->base, 0755);
    snprintf(e->req, sizeof e->req, "%s/req", e->base);
    snprintf(e->res, sizeof e->res, "%s/res", e->base);
    snprintf(e->archive, sizeof e->archive, "%s/archive", e->base);
    snprintf(e->db, sizeof e->db, "%s/state.db", e->base);
    mkdir(e->req, 0755);
    mkdir(e->res, 0755);
    mkdir(e->archive, 0755);
    memset(&hk, 0, sizeof hk);
    e->ctx = new_ctx(e);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    onshi_ctx_free(e->ctx);
    rm_rf(e->base);
    memset(&hk, 0, sizeof hk);
    free(e);
    return 0;
}

static void send_req(env *e, char id[ONSHI_FILE_ID_SIZE])
{
    int rc = onshi_file_send(id, ONSHI_FILE_ID_SIZE, e->ctx, ONSHI_MSG_QUAL_REQ, REQ_BODY,
                             sizeof REQ_BODY - 1);
    if (rc != ONSHI_OK)
        fail_msg("send: %d %s", rc, onshi_ctx_last_error_message(e->ctx));
}

/* Run a configured fake, send one request, wait for its answer, stop the fake. */
static int exchange(env *e, fake_linkage *fl, char id[ONSHI_FILE_ID_SIZE],
                    onshi_file_result **r)
{
    fl_run(fl);
    send_req(e, id);
    *r = NULL;
    int rc = onshi_file_wait(r, e->ctx, id, -1);
    fl_stop(fl);
    return rc;
}

static void expect_answer(const onshi_file_result *r, const char *id)
{
    char want[64];
    snprintf(want, sizeof want, "OQSsiquc01res_%s.xml", id);
    assert_string_equal(onshi_file_result_name(r), want);
    assert_string_equal(onshi_file_result_id(r), id);
    assert_int_equal(onshi_file_result_type(r), ONSHI_MSG_QUAL_RES);
    /* the whole document: the fake writes the request's base name inside */
    char inside[64];
    snprintf(inside, sizeof inside, "<Answer>OQSsiquc01req_%s</Answer>", id);
    const char *d = (const char *)onshi_file_result_data(r);
    assert_non_null(d);
    assert_non_null(memmem(d, onshi_file_result_len(r), inside, strlen(inside)));
    assert_non_null(memmem(d, onshi_file_result_len(r), "</XmlMsg>", 9));
}

static void roundtrip(env *e, int mode)
{
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, mode);
    /* The in-place writer must start while we watch, or inotify cannot see its open. */
    fl.gated = 1;
    hk.watching = fl_gate_open;
    apply(e->ctx);
    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r;
    int rc = exchange(e, &fl, id, &r);
    if (rc != ONSHI_OK)
        fail_msg("wait: %d %s", rc, onshi_ctx_last_error_message(e->ctx));
    expect_answer(r, id);
    onshi_file_result_free(r);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_ANSWERED);
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_CONSUMED);
    assert_int_equal(atomic_load(&fl.taken), 1);
    assert_int_equal(fl_count_files(e->req), 0);
    assert_int_equal(fl_count_files(e->res), 0);
    assert_int_equal(onshi_file_wait(&r, e->ctx, id, 0), ONSHI_E_STATE);
}

static void test_roundtrip_inotify(void **state)
{
    roundtrip(*state, FL_ANSWER);
}

static void test_roundtrip_polling(void **state)
{
    hk.force_poll = 1;
    roundtrip(*state, FL_ANSWER);
}

static void test_half_written_inotify(void **state)
{
    /* the first half ends with '>' and the writer keeps the file open: only the close tells */
    roundtrip(*state, FL_HALF_GT);
}

static void test_half_written_polling(void **state)
{
    hk.force_poll = 1;
    roundtrip(*state, FL_HALF_CUT);
}

/* A result held open half-written (cut inside a tag) longer than any stability gap: never
 * handed on as complete; at the deadline ONSHI_E_RESULT_UNSTABLE and the request is not
 * answered. Once the writer finishes, the whole result is picked up. (Before issue 12 the
 * cut file was returned after 3 s of stability and failed later as an encoding error.) */
static void test_half_written_held_open(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_HALF_CUT);
    fl.half_pause_ms = 9000;
    fl_run(&fl);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    onshi_file_result *r = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/OQSsiquc01res_%s.xml", e->res, id);
    struct stat sb;
    while (stat(path, &sb) != 0) /* the first half is there */
        fl_sleep_ms(10);
    int rc = onshi_file_wait(&r, e->ctx, id, 5000);
    if (rc == ONSHI_OK)
        fail_msg("a half-written result was returned (%zu bytes)", onshi_file_result_len(r));
    assert_int_equal(rc, ONSHI_E_RESULT_UNSTABLE);
    assert_null(r);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_true(st < ONSHI_FILE_STATE_ANSWERED); /* not answered */
    rc = onshi_file_wait(&r, e->ctx, id, -1);
    fl_stop(&fl);
    if (rc != ONSHI_OK)
        fail_msg("complete result: %d %s", rc, onshi_ctx_last_error_message(e->ctx));
    expect_answer(r, id);
    onshi_file_result_free(r);
}

static void test_archive(void **state)
{
    env *e = *state;
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_ARCHIVE_DIR, e->archive), ONSHI_OK);
    roundtrip(e, FL_ANSWER);
    assert_int_equal(fl_count_files(e->archive), 1);
}

/* Requests are written 0600 whatever the umask; consumed requests and archived results are
 * dropped after consumed_keep_hours. */
static void test_private_and_purge(void **state)
{
    env *e = *state;
    mode_t old = umask(000);
    char id[ONSHI_FILE_ID_SIZE], path[600];
    send_req(e, id);
    umask(old);
    struct stat sb;
    snprintf(path, sizeof path, "%s/OQSsiquc01req_%s.xml", e->req, id);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    unlink(path);
    /* a consumed result in archive_dir, two days old */
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_ARCHIVE_DIR, e->archive), ONSHI_OK);
    roundtrip(e, FL_ANSWER);
    assert_int_equal(fl_count_files(e->archive), 1);
    DIR *d = opendir(e->archive);
    struct dirent *de;
    char archived[600] = "";
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            snprintf(archived, sizeof archived, "%s/%s", e->archive, de->d_name);
    closedir(d);
    assert_int_equal(stat(archived, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* the linkage app's 0644 copy made private */
    struct timeval tv[2] = {{time(NULL) - 48 * 3600, 0}, {time(NULL) - 48 * 3600, 0}};
    assert_int_equal(utimes(archived, tv), 0);
    /* keep 72 h: the next request leaves it; keep 24 h: it goes */
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS, 72), ONSHI_OK);
    send_req(e, id);
    assert_int_equal(fl_count_files(e->archive), 1);
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS, 24), ONSHI_OK);
    send_req(e, id);
    assert_int_equal(fl_count_files(e->archive), 0);
    /* keep 0: a consumed request is forgotten at the next request; open ones never */
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    char done[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r = NULL;
    assert_int_equal(exchange(e, &fl, done, &r), ONSHI_OK);
    onshi_file_result_free(r);
    assert_int_equal(onshi_file_consume(e->ctx, done), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS, 0), ONSHI_OK);
    char open_id[ONSHI_FILE_ID_SIZE];
    snprintf(open_id, sizeof open_id, "%s", id); /* published above, never answered */
    send_req(e, id);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, done), ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi_file_state(&st, e->ctx, open_id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_PUBLISHED);
}

/* Another machine publishes the same id between our record and our publish: our request
 * must not replace its file; we take a new id. Both publishing paths (renameat2 with
 * RENAME_NOREPLACE, and link + unlink). */
static env *clash_env;
static int clash_done;
static void plant_same_name(const char *id)
{
    if (clash_done++)
        return;
    char path[600];
    snprintf(path, sizeof path, "%s/OQSsiquc01req_%s.xml", clash_env->req, id);
    fl_write_file(path, "<other machine/>", 16);
}

static void test_publish_never_replaces(void **state)
{
    env *e = *state;
    for (int force_link = 0; force_link < 2; force_link++) {
        clash_env = e;
        clash_done = 0;
        hk.after_record = plant_same_name;
        hk.force_link = force_link;
        apply(e->ctx);
        char id[ONSHI_FILE_ID_SIZE];
        send_req(e, id);
        hk.after_record = NULL;
        apply(e->ctx);
        assert_int_equal(clash_done, 2); /* the hook ran for the first and the second id */
        /* the planted file is intact, ours is under another id */
        DIR *d = opendir(e->req);
        struct dirent *de;
        int planted = 0, ours = 0, others = 0;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", e->req, de->d_name);
            onshi_buf b;
            assert_int_equal(onshi__file_read_all(NULL, path, 1 << 20, &b), ONSHI_OK);
            if (b.len == 16 && memcmp(b.data, "<other machine/>", 16) == 0)
                planted++;
            else if (strstr(de->d_name, id) != NULL && b.len == sizeof REQ_BODY - 1)
                ours++;
            else
                others++;
            onshi__buf_clear(&b);
            unlink(path);
        }
        closedir(d);
        assert_int_equal(planted, 1);
        assert_int_equal(ours, 1);
        assert_int_equal(others, 0);
        assert_int_equal(fl_count_files(e->req), 0); /* no temporary file left either */
    }
}

/* A copied (or otherwise identical) state store derives the same workstation component: the
 * second store notices requests of its component it never sent and draws a new one. */
static void test_workstation_clash_redrawn(void **state)
{
    env *e = *state;
    char a[ONSHI_FILE_ID_SIZE], b[ONSHI_FILE_ID_SIZE], c[ONSHI_FILE_ID_SIZE], db2[600];
    send_req(e, a);
    snprintf(db2, sizeof db2, "%s/state2.db", e->base);
    onshi_ctx *c2 = new_ctx(e);
    assert_int_equal(onshi_ctx_set_str(c2, ONSHI_OPT_STATE_DB, db2), ONSHI_OK);
    onshi__store *s1, *s2;
    assert_int_equal(onshi__file_store(e->ctx, &s1), ONSHI_OK);
    assert_int_equal(onshi__file_store(c2, &s2), ONSHI_OK);
    char inst[33], sql[200];
    assert_int_equal(onshi__store_install_id(NULL, s1, inst), ONSHI_OK);
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO store_info VALUES('install_id', '%s')",
             inst);
    assert_int_equal(onshi__store_exec(NULL, s2, sql), ONSHI_OK);
    assert_int_equal(onshi_file_send(b, sizeof b, c2, ONSHI_MSG_QUAL_REQ, REQ_BODY,
                                     sizeof REQ_BODY - 1),
                     ONSHI_OK);
    assert_memory_not_equal(a + 8, b + 8, 4); /* another workstation component */
    assert_int_equal(onshi_file_send(c, sizeof c, c2, ONSHI_MSG_QUAL_REQ, REQ_BODY,
                                     sizeof REQ_BODY - 1),
                     ONSHI_OK);
    assert_memory_equal(b + 8, c + 8, 4); /* and it keeps it */
    assert_string_not_equal(b, c);
    onshi_ctx_free(c2);
}

static void test_ids(void **state)
{
    env *e = *state;
    /* the identifier's date is Japan's: 23:30 UTC on 31 December is 1 January there */
    static const int64_t when = FIXED_CLOCK_NEW_YEAR;
    fixed_clock_set(e->ctx, &when);
    const char *day = "20270101";
    /* A result named like the next number is still in res/ (a store that was reset): that
     * number is skipped. */
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_WORKSTATION_ID, "7"), ONSHI_OK);
    char planted[400];
    snprintf(planted, sizeof planted, "%s/OQSsiquc01res_%s00070001.xml", e->res, day);
    fl_write_file(planted, "<x/>", 4);
    char a[ONSHI_FILE_ID_SIZE], b[ONSHI_FILE_ID_SIZE], c[ONSHI_FILE_ID_SIZE];
    send_req(e, a);
    send_req(e, b);
    assert_int_equal(strlen(a), 16);
    assert_memory_equal(a, day, 8);
    assert_string_equal(a + 8, "00070002"); /* workstation 0007, number 0002 */
    assert_string_equal(b + 8, "00070003");
    char path[400];
    snprintf(path, sizeof path, "%s/OQSsiquc01req_%s.xml", e->req, a);
    onshi_buf got;
    assert_int_equal(onshi__file_read_all(NULL, path, 1 << 20, &got), ONSHI_OK);
    assert_int_equal(got.len, sizeof REQ_BODY - 1);
    assert_memory_equal(got.data, REQ_BODY, got.len);
    onshi__buf_clear(&got);
    /* a restart continues the day's sequence */
    onshi_ctx_free(e->ctx);
    e->ctx = new_ctx(e);
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_WORKSTATION_ID, "7"), ONSHI_OK);
    fixed_clock_set(e->ctx, &when);
    send_req(e, c);
    assert_memory_equal(c, day, 8);
    assert_string_equal(c + 8, "00070004");
    /* the pending list has all three, in order */
    char it[ONSHI_FILE_ID_SIZE] = "";
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, NULL), ONSHI_OK);
    assert_string_equal(it, a);
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, it), ONSHI_OK);
    assert_string_equal(it, b);
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, it), ONSHI_OK);
    assert_string_equal(it, c);
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, it), ONSHI_E_NOT_FOUND);
    /* no temp file left behind */
    assert_int_equal(fl_count_files(e->req), 3);
    /* argument checks */
    assert_int_equal(onshi_file_send(it, 5, e->ctx, ONSHI_MSG_QUAL_REQ, "x", 1),
                     ONSHI_E_BUFFER_TOO_SMALL);
    assert_int_equal(onshi_file_send(it, sizeof it, e->ctx, ONSHI_MSG_QUAL_RES, "x", 1),
                     ONSHI_E_UNKNOWN_MESSAGE);
    assert_int_equal(onshi_file_send(it, sizeof it, e->ctx, ONSHI_MSG_CARDAUTH_REQ, "x", 1),
                     ONSHI_E_UNKNOWN_MESSAGE);
    onshi_file_result *r;
    assert_int_equal(onshi_file_wait(&r, e->ctx, "2025", 0), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_file_wait(&r, e->ctx, "2099010100070001", 0), ONSHI_E_NOT_FOUND);
    /* a 12-digit id of libonshi 0.1 is still a valid id to pick up */
    assert_int_equal(onshi_file_wait(&r, e->ctx, "209901010001", 0), ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi_file_wait(&r, e->ctx, "20990101000700012", 0), ONSHI_E_INVALID_ARG);
    /* a workstation id that is not 1-4 digits is refused with its name */
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_WORKSTATION_ID, "ab"), ONSHI_OK);
    assert_int_equal(onshi_file_send(it, sizeof it, e->ctx, ONSHI_MSG_QUAL_REQ, "x", 1),
                     ONSHI_E_CONFIG);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "workstation_id"));
}

static void test_err_file(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ERR);
    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r;
    int rc = exchange(e, &fl, id, &r);
    assert_int_equal(rc, ONSHI_E_ERR_FILE);
    assert_null(r);
    const char *msg = onshi_ctx_last_error_message(e->ctx);
    /* the .err text, decoded from CP932 */
    assert_non_null(strstr(msg, "エラー E001"));
    assert_non_null(strstr(msg, id));
    /* the same answer again until consumed, then both files are gone; the .err text is
     * converted with the context's converters, opened once (issue 12: not once per call) */
    int opens = atomic_load(&iconv_opens);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(onshi_file_wait(&r, e->ctx, id, 0), ONSHI_E_ERR_FILE);
        assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "エラー E001"));
    }
    assert_int_equal(atomic_load(&iconv_opens), opens);
    assert_int_equal(fl_count_files(e->res), 2);
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(fl_count_files(e->res), 0);
}

static void test_err_request_named(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ERR_REQNAME);
    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r;
    int rc = exchange(e, &fl, id, &r);
    assert_int_equal(rc, ONSHI_E_ERR_FILE);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "no .err text"));
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(fl_count_files(e->res), 0);
}

static void test_err_empty_result_named(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_BYTES);
    fl.answer = "";
    fl.answer_len = 0;
    fl.ext = ".err"; /* OQSsiquc01res_<id>.err, empty */
    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r;
    int rc = exchange(e, &fl, id, &r);
    assert_int_equal(rc, ONSHI_E_ERR_FILE);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "empty .err"));
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(fl_count_files(e->res), 0);
}

/* While a request is between record and rename in a live process, another context must not
 * touch it: the pickup says pending and the temp file stays. */
static env *live_env;
static int live_rc = 1, live_state, live_files;
static void check_from_other_ctx(const char *id)
{
    onshi_ctx *other = new_ctx(live_env);
    onshi_file_result *r = NULL;
    live_rc = onshi_file_wait(&r, other, id, 0);
    onshi_file_state(&live_state, other, id);
    live_files = fl_count_files(live_env->req);
    onshi_ctx_free(other);
}

static void test_live_publisher_untouched(void **state)
{
    env *e = *state;
    live_env = e;
    hk.after_record = check_from_other_ctx;
    apply(e->ctx);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    hk.after_record = NULL;
    apply(e->ctx);
    assert_int_equal(live_rc, ONSHI_E_PENDING);
    assert_int_equal(live_state, ONSHI_FILE_STATE_RECORDED);
    assert_int_equal(live_files, 1); /* the temp file, untouched */
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_PUBLISHED);
    assert_int_equal(fl_count_files(e->req), 1); /* the request itself */
}

/* Timeout, then the late result is picked up by a later call (after a restart) and the
 * request was written exactly once. */
static void test_timeout_then_late_result(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl.delay_ms = 1500;
    fl_run(&fl);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    onshi_file_result *r = NULL;
    assert_int_equal(onshi_file_wait(&r, e->ctx, id, 100), ONSHI_E_PENDING);
    assert_null(r);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), id));
    /* restart: a new context finds the request in the store */
    onshi_ctx_free(e->ctx);
    e->ctx = new_ctx(e);
    char it[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, ""), ONSHI_OK);
    assert_string_equal(it, id);
    int rc = onshi_file_wait(&r, e->ctx, it, -1);
    fl_stop(&fl);
    if (rc != ONSHI_OK)
        fail_msg("late pickup: %d %s", rc, onshi_ctx_last_error_message(e->ctx));
    expect_answer(r, id);
    onshi_file_result_free(r);
    assert_int_equal(atomic_load(&fl.taken), 1); /* never resent */
    assert_int_equal(fl_count_files(e->req), 0);
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, ""), ONSHI_E_NOT_FOUND);
}

static void test_linkage_not_running(void **state)
{
    env *e = *state;
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 200), ONSHI_OK);
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_NO_TAKE);
    fl_run(&fl);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    onshi_file_result *r = NULL;
    assert_int_equal(onshi_file_wait(&r, e->ctx, id, -1), ONSHI_E_LINKAGE_NOT_RUNNING);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "OQSComApp"));
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_PUBLISHED);
    assert_int_equal(fl_count_files(e->req), 1);
    fl_stop(&fl);
    /* the linkage app comes back: the same file is taken and answered */
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    int rc;
    for (;;) { /* the caller's retry loop: pick up, never send */
        rc = onshi_file_wait(&r, e->ctx, id, 5000);
        if (rc != ONSHI_E_LINKAGE_NOT_RUNNING)
            break;
        fl_sleep_ms(20);
    }
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_OK);
    expect_answer(r, id);
    onshi_file_result_free(r);
    assert_int_equal(atomic_load(&fl.taken), 1);
}

static void test_taken_state(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_TAKE_ONLY);
    fl_run(&fl);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    while (atomic_load(&fl.taken) == 0)
        fl_sleep_ms(5);
    onshi_file_result *r = NULL;
    assert_int_equal(onshi_file_wait(&r, e->ctx, id, 0), ONSHI_E_PENDING);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_TAKEN);
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_E_STATE);
    fl_stop(&fl);
}

/* Two contexts on two threads (as two processes would) send at the same time: every request
 * gets its own number and its own file. */
typedef struct sender {
    env *e;
    char ids[20][ONSHI_FILE_ID_SIZE];
    int failures;
} sender;

static void *send_many(void *arg)
{
    sender *sd = arg;
    onshi_ctx *ctx = new_ctx(sd->e);
    for (int i = 0; i < 20; i++)
        if (onshi_file_send(sd->ids[i], ONSHI_FILE_ID_SIZE, ctx, ONSHI_MSG_QUAL_REQ, REQ_BODY,
            sizeof REQ_BODY - 1) != ONSHI_OK) {
            fprintf(stderr, "send failed: %s\n", onshi_ctx_last_error_message(ctx));
            sd->failures++;
        }
    onshi_ctx_free(ctx);
    return NULL;
}

static void test_concurrent_senders(void **state)
{
    env *e = *state;
    sender a = {e, {{0}}, 0}, b = {e, {{0}}, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, send_many, &a);
    pthread_create(&tb, NULL, send_many, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.failures + b.failures, 0);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++)
            assert_string_not_equal(a.ids[i], b.ids[j]);
    assert_int_equal(fl_count_files(e->req), 40);
}

/* ---- crash tests: a child process is killed with SIGKILL at a crash point ---------------- */

static int crash_pipe = -1;

static void hang_here(const char *id)
{
    ssize_t n = write(crash_pipe, id, strlen(id));
    (void)n;
    for (;;)
        pause();
}

static void crash_child_at(env *e, int after_publish, char id[ONSHI_FILE_ID_SIZE])
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        crash_pipe = p[1];
        onshi_ctx *ctx = new_ctx(e);
        if (after_publish)
            hk.after_publish = hang_here;
        else
            hk.after_record = hang_here;
        apply(ctx);
        char cid[ONSHI_FILE_ID_SIZE];
        onshi_file_send(cid, sizeof cid, ctx, ONSHI_MSG_QUAL_REQ, REQ_BODY, sizeof REQ_BODY - 1);
        _exit(3); /* the hook never returns */
    }
    close(p[1]);
    memset(id, 0, ONSHI_FILE_ID_SIZE);
    ssize_t n = read(p[0], id, ONSHI_FILE_ID_SIZE - 1);
    close(p[0]);
    assert_int_equal(n, 16);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_crash_between_record_and_publish(void **state)
{
    env *e = *state;
    char id[ONSHI_FILE_ID_SIZE];
    crash_child_at(e, 0, id);
    /* on disk: the temp file only; in the store: RECORDED */
    assert_int_equal(fl_count_files(e->req), 1);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_RECORDED);
    char it[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, NULL), ONSHI_OK);
    assert_string_equal(it, id);
    /* restart: the pickup sees the request never became visible */
    onshi_file_result *r = NULL;
    assert_int_equal(onshi_file_wait(&r, e->ctx, id, 0), ONSHI_E_STATE);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "never published"));
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_ABANDONED);
    assert_int_equal(fl_count_files(e->req), 0);
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, NULL), ONSHI_E_NOT_FOUND);
    /* the next request gets a new number and goes through exactly once */
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    char id2[ONSHI_FILE_ID_SIZE];
    send_req(e, id2);
    assert_string_not_equal(id2, id);
    assert_int_equal(onshi_file_wait(&r, e->ctx, id2, -1), ONSHI_OK);
    fl_stop(&fl);
    onshi_file_result_free(r);
    assert_int_equal(atomic_load(&fl.taken), 1);
}

static void test_crash_after_publish(void **state)
{
    env *e = *state;
    char id[ONSHI_FILE_ID_SIZE];
    crash_child_at(e, 1, id);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_RECORDED);
    assert_int_equal(fl_count_files(e->req), 1); /* the real request file */
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    onshi_file_result *r = NULL;
    int rc = onshi_file_wait(&r, e->ctx, id, -1);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_OK);
    expect_answer(r, id);
    onshi_file_result_free(r);
    assert_int_equal(atomic_load(&fl.taken), 1);
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
}

/* ---- recovery at start: stale temporaries, listing, identical queries -------------------- */

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

static void host_fp(char out[9])
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)host; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    snprintf(out, 9, "%08x", (unsigned)(h & 0xffffffffu));
}

static void touch_in(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "<x/>", 4), 4);
    close(fd);
}

static int present(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_stale_temps_only_ours(void **state)
{
    env *e = *state;
    char fp[9], mine_dead[160], mine_live[160], other_host[160];
    host_fp(fp);
    long dead = (long)dead_pid();
    /* a process of this machine that died between writing and recording: ours, stale */
    snprintf(mine_dead, sizeof mine_dead, ".~onshi-2026010100010001-%s-%ld-1.tmp", fp, dead);
    /* a live process (this one) between writing and recording: left alone */
    snprintf(mine_live, sizeof mine_live, ".~onshi-2026010100010002-%s-%ld-1.tmp", fp,
             (long)getpid());
    /* another machine sharing req/: its own libonshi cleans it, never us */
    snprintf(other_host, sizeof other_host, ".~onshi-2026010100010003-%s-%ld-1.tmp",
             strcmp(fp, "00000000") ? "00000000" : "11111111", dead);
    const char *foreign[] = {".~onshi-notanid.tmp", ".OQSsiquc01req_1.xml.tmp", "~$list.tmp",
                             ".~onshi-2026010100010004-zz-1-1.tmp", "OQSsiquc01req_x.xml.tmp"};
    touch_in(e->req, mine_dead);
    touch_in(e->req, mine_live);
    touch_in(e->req, other_host);
    for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++)
        touch_in(e->req, foreign[i]);
    /* a crashed sender's request between recording and publishing, never waited for */
    char id[ONSHI_FILE_ID_SIZE];
    crash_child_at(e, 0, id);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_RECORDED);
    /* listing at start recovers: no wait on the id needed */
    onshi_pending *p = NULL;
    assert_int_equal(onshi_pending_next(&p, e->ctx, NULL, 0), ONSHI_E_NOT_FOUND);
    assert_null(p);
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_int_equal(st, ONSHI_FILE_STATE_ABANDONED);
    assert_false(present(e->req, mine_dead));
    assert_true(present(e->req, mine_live));
    assert_true(present(e->req, other_host));
    for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++)
        assert_true(present(e->req, foreign[i]));
    /* the crashed sender's temporary is gone too: only the files above are left */
    assert_int_equal(fl_count_files(e->req), 2 + (int)(sizeof foreign / sizeof *foreign));
    /* with ONSHI_PENDING_ALL the abandoned request is listed, with its state */
    assert_int_equal(onshi_pending_next(&p, e->ctx, NULL, ONSHI_PENDING_ALL), ONSHI_OK);
    assert_string_equal(onshi_pending_id(p), id);
    assert_int_equal(onshi_pending_state(p), ONSHI_FILE_STATE_ABANDONED);
    assert_int_equal(onshi_pending_type(p), ONSHI_MSG_QUAL_REQ);
    assert_true(onshi_pending_created(p) > 0);
    onshi_pending_free(p);
    assert_int_equal(onshi_pending_next(&p, e->ctx, NULL, 3), ONSHI_E_INVALID_ARG);
}

static void test_crash_after_publish_listed(void **state)
{
    env *e = *state;
    char id[ONSHI_FILE_ID_SIZE];
    crash_child_at(e, 1, id);
    onshi_pending *p = NULL;
    assert_int_equal(onshi_pending_next(&p, e->ctx, NULL, 0), ONSHI_OK);
    assert_string_equal(onshi_pending_id(p), id);
    /* published before the crash: listed as waiting for the linkage app, never abandoned */
    assert_int_equal(onshi_pending_state(p), ONSHI_FILE_STATE_PUBLISHED);
    assert_null(onshi_pending_patient(p)); /* the raw call records no patient key */
    char after[ONSHI_FILE_ID_SIZE];
    snprintf(after, sizeof after, "%s", onshi_pending_id(p));
    onshi_pending_free(p);
    assert_int_equal(onshi_pending_next(&p, e->ctx, after, 0), ONSHI_E_NOT_FOUND);
    assert_int_equal(fl_count_files(e->req), 1); /* the request itself, untouched */
}

static const char BODY_B[] = "<?xml version=\"1.0\"?><XmlMsg><B/></XmlMsg>";

static void send_q(env *e, onshi_ctx *ctx, const char *body, char id[ONSHI_FILE_ID_SIZE],
                   int *joined)
{
    int rc = onshi__file_send_q(ctx ? ctx : e->ctx, ONSHI_MSG_QUAL_REQ, body, strlen(body), NULL,
                                "01130111 ** ****37 01", joined, id);
    if (rc != ONSHI_OK)
        fail_msg("send_q: %d %s", rc, onshi_ctx_last_error_message(ctx ? ctx : e->ctx));
}

static void test_identical_query_joined(void **state)
{
    env *e = *state;
    char a[ONSHI_FILE_ID_SIZE], b[ONSHI_FILE_ID_SIZE], c[ONSHI_FILE_ID_SIZE];
    int joined = -1;
    send_q(e, NULL, REQ_BODY, a, &joined);
    assert_int_equal(joined, 0);
    /* the same bytes again, from another process after a restart (a new context): joined */
    onshi_ctx *other = new_ctx(e);
    send_q(e, other, REQ_BODY, b, &joined);
    assert_int_equal(joined, 1);
    assert_string_equal(b, a);
    /* other bytes: sent */
    send_q(e, other, BODY_B, c, &joined);
    assert_int_equal(joined, 0);
    assert_string_not_equal(c, a);
    assert_int_equal(fl_count_files(e->req), 2); /* two requests, not three */
    onshi_pending *p = NULL;
    assert_int_equal(onshi_pending_get(&p, other, a), ONSHI_OK);
    assert_string_equal(onshi_pending_patient(p), "01130111 ** ****37 01");
    onshi_pending_free(p);
    /* window 0: always sent */
    assert_int_equal(onshi_ctx_set_int(other, ONSHI_OPT_PENDING_REUSE_SECONDS, 0), ONSHI_OK);
    send_q(e, other, REQ_BODY, b, &joined);
    assert_int_equal(joined, 0);
    assert_string_not_equal(b, a);
    assert_int_equal(onshi_ctx_set_int(other, ONSHI_OPT_PENDING_REUSE_SECONDS, 600), ONSHI_OK);
    /* answered and consumed: a new query of the same bytes is a new request */
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_ANSWER);
    fl_run(&fl);
    onshi_file_result *r = NULL;
    assert_int_equal(onshi_file_wait(&r, e->ctx, a, -1), ONSHI_OK);
    onshi_file_result_free(r);
    assert_int_equal(onshi_file_consume(e->ctx, a), ONSHI_OK);
    assert_int_equal(onshi_file_wait(&r, e->ctx, b, -1), ONSHI_OK);
    onshi_file_result_free(r);
    assert_int_equal(onshi_file_consume(e->ctx, b), ONSHI_OK);
    assert_int_equal(onshi_file_wait(&r, e->ctx, c, -1), ONSHI_OK);
    onshi_file_result_free(r);
    assert_int_equal(onshi_file_consume(e->ctx, c), ONSHI_OK);
    fl_stop(&fl);
    char d[ONSHI_FILE_ID_SIZE];
    send_q(e, other, REQ_BODY, d, &joined);
    assert_int_equal(joined, 0);
    assert_string_not_equal(d, a);
    assert_string_not_equal(d, b);
    onshi_ctx_free(other);
}

/* ---- disk full --------------------------------------------------------------------------- */

static int short_writes;
static ssize_t enospc_write(int fd, const void *p, size_t n)
{
    if (short_writes-- > 0)
        return write(fd, p, n > 7 ? 7 : n); /* some bytes land, then the disk is full */
    errno = ENOSPC;
    return -1;
}

static void test_disk_full_simulated(void **state)
{
    env *e = *state;
    short_writes = 2;
    hk.write = enospc_write;
    apply(e->ctx);
    char id[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_send(id, sizeof id, e->ctx, ONSHI_MSG_QUAL_REQ, REQ_BODY,
                     sizeof REQ_BODY - 1),
                     ONSHI_E_DISK_FULL);
    int kind;
    int64_t val;
    onshi_ctx_last_error_foreign(&kind, &val, e->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_ERRNO);
    assert_int_equal(val, ENOSPC);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), e->req));
    assert_int_equal(fl_count_files(e->req), 0); /* nothing half-published */
    char it[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_pending_next(it, sizeof it, e->ctx, NULL), ONSHI_E_NOT_FOUND);
}

/* A real full file system: a 16 KiB tmpfs in a private mount namespace of a child. */
static void test_disk_full_tmpfs(void **state)
{
    env *e = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* "none", not NULL: valgrind checks the strings even where the kernel ignores them */
        if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", e->req, "tmpfs", 0, "size=16k") != 0)
            _exit(77);
        onshi_ctx *ctx = new_ctx(e);
        size_t big = 256 * 1024;
        char *body = malloc(big);
        memset(body, 'x', big);
        char id[ONSHI_FILE_ID_SIZE];
        int rc = onshi_file_send(id, sizeof id, ctx, ONSHI_MSG_QUAL_REQ, body, big);
        int files = fl_count_files(e->req);
        char it[ONSHI_FILE_ID_SIZE];
        int pend = onshi_file_pending_next(it, sizeof it, ctx, NULL);
        free(body);
        onshi_ctx_free(ctx); /* leak-free child: the tests also run under valgrind */
        _exit(rc == ONSHI_E_DISK_FULL && files == 0 && pend == ONSHI_E_NOT_FOUND ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* no permission to mount here; the simulated test covers the logic */
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- folders ----------------------------------------------------------------------------- */

static void test_missing_folder(void **state)
{
    env *e = *state;
    char missing[400];
    snprintf(missing, sizeof missing, "%s/nonexistent", e->base);
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_REQ_DIR, missing), ONSHI_OK);
    char id[ONSHI_FILE_ID_SIZE];
    assert_int_equal(onshi_file_send(id, sizeof id, e->ctx, ONSHI_MSG_QUAL_REQ, "x", 1),
                     ONSHI_E_FOLDER);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), missing));
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_REQ_DIR, NULL), ONSHI_OK);
    assert_int_equal(onshi_file_send(id, sizeof id, e->ctx, ONSHI_MSG_QUAL_REQ, "x", 1),
                     ONSHI_E_FOLDER);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "req_dir"));
}

/* Permissions: root passes every mode check, so the checks run as `nobody` in a child. */
static int as_nobody(env *e, const char *req_mode_dir, int want)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (getuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
                              setuid(65534) != 0))
            _exit(77);
        onshi_ctx *ctx = new_ctx(e);
        char id[ONSHI_FILE_ID_SIZE];
        int rc = onshi_file_send(id, sizeof id, ctx, ONSHI_MSG_QUAL_REQ, "x", 1);
        const char *msg = onshi_ctx_last_error_message(ctx);
        _exit(rc == want && strstr(msg, req_mode_dir) != NULL ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

static void test_unreadable_folder(void **state)
{
    env *e = *state;
    /* nobody needs the store too */
    chmod(e->base, 0777);
    chmod(e->res, 0777);
    chmod(e->req, 0000);
    int rc = as_nobody(e, e->req, ONSHI_E_FOLDER);
    if (rc == 77)
        skip();
    assert_int_equal(rc, 0);
    chmod(e->req, 0555); /* listable, not writable */
    assert_int_equal(as_nobody(e, e->req, ONSHI_E_FOLDER_NOT_WRITABLE), 0);
    chmod(e->req, 0777);
    chmod(e->res, 0000); /* results could never be read */
    assert_int_equal(as_nobody(e, e->res, ONSHI_E_FOLDER), 0);
    chmod(e->res, 0755);
}

/* ---- limits and ZIP ---------------------------------------------------------------------- */

static void *make_zip(size_t *len, int entries, size_t entry_size, int fill_random)
{
    char path[] = "/tmp/onshi-zip-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int err;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    for (int i = 0; i < entries; i++) {
        char *data = malloc(entry_size);
        if (fill_random) {
            const char *head = "<?xml version=\"1.0\"?><XmlMsg>";
            memcpy(data, head, strlen(head));
            for (size_t k = strlen(head); k < entry_size; k++)
                data[k] = (char)('a' + (rand() % 26));
            memcpy(data + entry_size - 9, "</XmlMsg>", 9);
        } else {
            memset(data, ' ', entry_size);
            memcpy(data, "<XmlMsg>", 8);
            memcpy(data + entry_size - 9, "</XmlMsg>", 9);
        }
        zip_source_t *s = zip_source_buffer(z, data, entry_size, 1);
        char name[32];
        snprintf(name, sizeof name, i == 0 ? "result.xml" : "extra%d.txt", i);
        assert_true(zip_file_add(z, name, s, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    onshi_buf b;
    assert_int_equal(onshi__file_read_all(NULL, path, 1 << 30, &b), ONSHI_OK);
    unlink(path);
    *len = b.len;
    return b.data;
}

static int zip_case(env *e, void *zipdata, size_t len, onshi_file_result **r)
{
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_BYTES);
    fl.answer = zipdata;
    fl.answer_len = len;
    fl.ext = ".zip";
    fl_run(&fl);
    char id[ONSHI_FILE_ID_SIZE];
    int rc = onshi_file_send(id, sizeof id, e->ctx, ONSHI_MSG_BULK_QUAL_DOWN_REQ, REQ_BODY,
                             sizeof REQ_BODY - 1);
    assert_int_equal(rc, ONSHI_OK);
    rc = onshi_file_wait(r, e->ctx, id, -1);
    fl_stop(&fl);
    /* even a bad ZIP is the answer: it can be consumed */
    assert_int_equal(onshi_file_consume(e->ctx, id), ONSHI_OK);
    assert_int_equal(fl_count_files(e->res), 0);
    return rc;
}

static void test_zip_result(void **state)
{
    env *e = *state;
    size_t len;
    void *z = make_zip(&len, 1, 20000, 1);
    onshi_file_result *r = NULL;
    int rc = zip_case(e, z, len, &r);
    free(z);
    if (rc != ONSHI_OK)
        fail_msg("zip: %s", onshi_ctx_last_error_message(e->ctx));
    assert_int_equal(onshi_file_result_len(r), 20000);
    assert_memory_equal(onshi_file_result_data(r), "<?xml", 5);
    assert_int_equal(onshi_file_result_type(r), ONSHI_MSG_BULK_QUAL_DOWN_RES);
    assert_non_null(strstr(onshi_file_result_name(r), ".zip"));
    onshi_file_result_free(r);
}

static void test_zip_bomb(void **state)
{
    env *e = *state;
    size_t len;
    /* 16 MiB of spaces deflate about 1000:1 */
    void *z = make_zip(&len, 1, 16u << 20, 0);
    onshi_file_result *r = NULL;
    assert_int_equal(zip_case(e, z, len, &r), ONSHI_E_ZIP);
    free(z);
    assert_null(r);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "zip bomb"));
    /* too many entries */
    z = make_zip(&len, ONSHI__ZIP_MAX_ENTRIES + 1, 100, 1);
    assert_int_equal(zip_case(e, z, len, &r), ONSHI_E_ZIP);
    free(z);
    /* over the size cap at a normal ratio */
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_RESULT_MAX_SIZE, 8192), ONSHI_OK);
    void *big = make_zip(&len, 1, 30000, 1); /* the archive fits, its content does not */
    assert_true(len < 30000);
    int rc = zip_case(e, big, len, &r);
    free(big);
    assert_true(rc == ONSHI_E_ZIP || rc == ONSHI_E_RESULT_TOO_LARGE);
    /* not a ZIP at all */
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_RESULT_MAX_SIZE, 1 << 20), ONSHI_OK);
    assert_int_equal(zip_case(e, "PK\3\4garbage", 11, &r), ONSHI_E_ZIP);
}

static void test_result_too_large(void **state)
{
    env *e = *state;
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_RESULT_MAX_SIZE, 1024), ONSHI_OK);
    char big[4096];
    memset(big, ' ', sizeof big);
    memcpy(big, "<XmlMsg>", 8);
    memcpy(big + sizeof big - 9, "</XmlMsg>", 9);
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_BYTES);
    fl.answer = big;
    fl.answer_len = sizeof big;
    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *r;
    int rc = exchange(e, &fl, id, &r);
    assert_int_equal(rc, ONSHI_E_RESULT_TOO_LARGE);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "result_max_size"));
}

/* ---- hostile res/ --------------------------------------------------------------------- */

/* A result file that is a symbolic link (here to a secret outside the exchange folders) is
 * neither read nor followed on consume: the target stays, its bytes never reach the caller. */
static void test_symlink_result_refused(void **state)
{
    env *e = *state;
    char secret[400], link[400];
    snprintf(secret, sizeof secret, "%s/secret.xml", e->base);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fputs("<XmlMsg>SECRET-SHADOW</XmlMsg>\n", f);
    fclose(f);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    snprintf(link, sizeof link, "%s/OQSsiquc01res_%s.xml", e->res, id);
    assert_int_equal(symlink(secret, link), 0);
    onshi_file_result *r = NULL;
    int rc = onshi_file_wait(&r, e->ctx, id, 2000);
    if (rc == ONSHI_OK) {
        fail_msg("symlinked result was read: %.*s", (int)onshi_file_result_len(r),
                 (const char *)onshi_file_result_data(r));
    }
    assert_int_equal(rc, ONSHI_E_IO);
    assert_null(r);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "symbolic link"));
    struct stat sb;
    assert_int_equal(stat(secret, &sb), 0);
    /* a FIFO in its place must not block the wait either */
    assert_int_equal(unlink(link), 0);
    assert_int_equal(mkfifo(link, 0644), 0);
    rc = onshi_file_wait(&r, e->ctx, id, 300);
    assert_int_not_equal(rc, ONSHI_OK);
    assert_null(r);
    assert_int_equal(stat(secret, &sb), 0);
}

/* ---- cancellation ------------------------------------------------------------------------ */

static void *cancel_later(void *arg)
{
    fl_sleep_ms(100);
    onshi_ctx_cancel(arg);
    return NULL;
}

static void test_cancel_wakes_wait(void **state)
{
    env *e = *state;
    fake_linkage fl;
    fl_start(&fl, e->req, e->res, FL_TAKE_ONLY);
    fl_run(&fl);
    /* long poll interval: only the wake-up pipe can end the wait early */
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_POLL_INTERVAL_MS, 60000), ONSHI_OK);
    char id[ONSHI_FILE_ID_SIZE];
    send_req(e, id);
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, e->ctx);
    onshi_file_result *r = NULL;
    int rc = onshi_file_wait(&r, e->ctx, id, 3600000);
    pthread_join(th, NULL);
    fl_stop(&fl);
    assert_int_equal(rc, ONSHI_E_CANCELLED);
    int st;
    assert_int_equal(onshi_file_state(&st, e->ctx, id), ONSHI_OK);
    assert_true(st == ONSHI_FILE_STATE_PUBLISHED || st == ONSHI_FILE_STATE_TAKEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_inotify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_polling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written_inotify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written_polling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written_held_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_never_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workstation_clash_redrawn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_senders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_err_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_err_request_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_err_empty_result_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_publisher_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_then_late_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linkage_not_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_taken_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_between_record_and_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temps_only_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_publish_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_query_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_simulated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_tmpfs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_bomb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_wakes_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_result_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("transport/file", tests, NULL, NULL);
}
