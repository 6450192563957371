/* transport: watcher of the face folder (shared with other products, never modified). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "transport/file.h"
#include "fake_linkage.h"

typedef struct env {
    char base[256], face[300], db[300];
    onshi_ctx *ctx;
} env;

static onshi_ctx *new_ctx(env *e)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, e->face), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, e->db), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 50), ONSHI_OK);
    return ctx;
}

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    snprintf(e->base, sizeof e->base, "/tmp/onshi-face-XXXXXX");
    if (mkdtemp(e->base) == NULL)
        return -1;
    snprintf(e->face, sizeof e->face, "%s/face", e->base);
    snprintf(e->db, sizeof e->db, "%s/state.db", e->base);
    mkdir(e->face, 0755);
    e->ctx = new_ctx(e);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    onshi_ctx_free(e->ctx);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->base);
    int rc = system(cmd);
    (void)rc;
    free(e);
    return 0;
}

/* A face result as the face application writes it (name: code + id + time stamp). */
static void face_name(char *out, size_t n, int seq)
{
    snprintf(out, n, "OQSsiquc01res_face_1311234567%020d_2026092916%04d.xml", seq, seq);
}

static void face_body(char *out, size_t n, int seq)
{
    snprintf(out, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
             "<Seq>%d</Seq></MessageHeader><MessageBody/></XmlMsg>\n",
             seq);
}

static void put_face(env *e, int seq)
{
    char name[128], body[256];
    face_name(name, sizeof name, seq);
    face_body(body, sizeof body, seq);
    fl_write_renamed(e->face, name, body, strlen(body));
}

static int seq_of(const onshi_file_result *r)
{
    const char *d = (const char *)onshi_file_result_data(r);
    const char *p = memmem(d, onshi_file_result_len(r), "<Seq>", 5);
    assert_non_null(p);
    assert_non_null(memmem(d, onshi_file_result_len(r), "</XmlMsg>", 9));
    return atoi(p + 5);
}

static int next_seq(onshi_face_watch *w, int64_t timeout)
{
    onshi_file_result *r = NULL;
    int rc = onshi__face_watch_next_file(&r, w, timeout);
    if (rc != ONSHI_OK)
        return rc;
    assert_int_equal(onshi_file_result_type(r), ONSHI_MSG_FACE_RES);
    assert_string_equal(onshi_file_result_id(r), "");
    int s = seq_of(r);
    char name[128];
    face_name(name, sizeof name, s);
    assert_string_equal(onshi_file_result_name(r), name);
    onshi_file_result_free(r);
    return s;
}

static void test_existing_skipped_new_delivered(void **state)
{
    env *e = *state;
    put_face(e, 1); /* yesterday's file, present at the first start */
    char other[400];
    snprintf(other, sizeof other, "%s/OQSsiquc01res_202501150001.xml", e->face);
    fl_write_file(other, "<x/>", 4); /* not a face file: ignored */
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    assert_int_equal(next_seq(w, 0), ONSHI_E_TIMEOUT);
    put_face(e, 3);
    put_face(e, 2);
    /* oldest first (by the time stamp in the name) */
    assert_int_equal(next_seq(w, 10000), 2);
    assert_int_equal(next_seq(w, 10000), 3);
    assert_int_equal(next_seq(w, 100), ONSHI_E_TIMEOUT);
    onshi_face_watch_free(w);
    /* we never touched anything */
    assert_int_equal(fl_count_files(e->face), 4);
}

static void test_deliver_existing_flag(void **state)
{
    env *e = *state;
    put_face(e, 1);
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, ONSHI_FACE_WATCH_DELIVER_EXISTING),
                     ONSHI_OK);
    assert_int_equal(next_seq(w, 1000), 1);
    onshi_face_watch_free(w);
}

/* A restart neither replays nor misses: files that arrived while down are delivered once. */
static void test_restart(void **state)
{
    env *e = *state;
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    put_face(e, 1);
    put_face(e, 2);
    assert_int_equal(next_seq(w, 10000), 1);
    assert_int_equal(next_seq(w, 10000), 2);
    onshi_face_watch_free(w);
    onshi_ctx_free(e->ctx);
    put_face(e, 3); /* arrive while the program is down */
    put_face(e, 4);
    e->ctx = new_ctx(e);
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    assert_int_equal(next_seq(w, 10000), 3);
    assert_int_equal(next_seq(w, 10000), 4);
    assert_int_equal(next_seq(w, 100), ONSHI_E_TIMEOUT);
    onshi_face_watch_free(w);
}

/* Another consumer of the same folder reads every file and deletes some (as EMRs moving files
 * to their trash do); a writer writes in two steps. We deliver every file that stays, whole,
 * once, never fail, and never delete anything. */
typedef struct other {
    env *e;
    atomic_int stop;
    atomic_int deleted;
} other;

static void *other_consumer(void *arg)
{
    other *o = arg;
    while (!atomic_load(&o->stop)) {
        DIR *d = opendir(o->e->face);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", o->e->face, de->d_name);
            FILE *f = fopen(path, "rb");
            if (f) {
                char buf[512];
                while (fread(buf, 1, sizeof buf, f) > 0) {
                }
                fclose(f);
            }
            /* Its own patients: the ones with an odd number above 100. */
            int seq = atoi(strrchr(de->d_name, '_') + 11);
            if (seq > 100 && seq % 2 == 1 && unlink(path) == 0)
                atomic_fetch_add(&o->deleted, 1);
        }
        if (d)
            closedir(d);
        fl_sleep_ms(1);
    }
    return NULL;
}

static void *slow_writer(void *arg)
{
    env *e = arg;
    for (int s = 101; s <= 110; s++) {
        char name[128], body[256], path[600];
        face_name(name, sizeof name, s);
        face_body(body, sizeof body, s);
        snprintf(path, sizeof path, "%s/%s", e->face, name);
        if (s % 2 == 0) { /* written in place in two steps */
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            size_t half = strlen(body) / 2;
            ssize_t w = write(fd, body, half);
            fl_sleep_ms(150);
            w = write(fd, body + half, strlen(body) - half);
            (void)w;
            close(fd);
        } else {
            fl_write_renamed(e->face, name, body, strlen(body));
        }
        fl_sleep_ms(10);
    }
    return NULL;
}

static void test_shared_with_other_consumer(void **state)
{
    env *e = *state;
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    other o = {e, 0, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, other_consumer, &o);
    pthread_create(&t2, NULL, slow_writer, e);
    int got[111] = {0};
    int rc;
    /* until all five files that stay have come */
    int even = 0;
    while (even < 5) {
        rc = next_seq(w, 20000);
        if (rc < 0)
            fail_msg("next: %d %s", rc, onshi_ctx_last_error_message(e->ctx));
        assert_true(rc >= 101 && rc <= 110);
        got[rc]++;
        if (rc % 2 == 0)
            even++;
    }
    pthread_join(t2, NULL);
    fl_sleep_ms(100);
    while ((rc = next_seq(w, 200)) > 0)
        got[rc]++;
    assert_int_equal(rc, ONSHI_E_TIMEOUT);
    atomic_store(&o.stop, 1);
    pthread_join(t1, NULL);
    for (int s = 101; s <= 110; s++) {
        assert_true(got[s] <= 1); /* never twice */
        if (s % 2 == 0)
            assert_int_equal(got[s], 1); /* every file that stayed, once */
    }
    /* the five kept files are still there: we deleted nothing */
    assert_int_equal(fl_count_files(e->face), 5);
    onshi_face_watch_free(w);
}

typedef struct cbstate {
    int n;
    int stop_at;
    int seqs[8];
} cbstate;

static int ONSHI_CALL on_face(void *userdata, const onshi_file_result *r)
{
    cbstate *c = userdata;
    c->seqs[c->n++] = seq_of(r);
    return c->n == c->stop_at;
}

static void test_callback_form(void **state)
{
    env *e = *state;
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    put_face(e, 1);
    put_face(e, 2);
    put_face(e, 3);
    cbstate c = {0, 2, {0}};
    assert_int_equal(onshi__face_watch_run_files(w, on_face, &c, 10000), ONSHI_E_CANCELLED);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seqs[0], 1);
    assert_int_equal(c.seqs[1], 2);
    /* both delivered ones are remembered; the third comes next; then time runs out */
    c.stop_at = 0;
    assert_int_equal(onshi__face_watch_run_files(w, on_face, &c, 300), ONSHI_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.seqs[2], 3);
    onshi_face_watch_free(w);
}

static void *cancel_later(void *arg)
{
    fl_sleep_ms(100);
    onshi_ctx_cancel(arg);
    return NULL;
}

static void test_cancel_and_polling(void **state)
{
    env *e = *state;
    onshi__file_hooks hk = {.force_poll = 1};
    assert_int_equal(onshi__file_hooks_set(e->ctx, &hk), ONSHI_OK);
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    put_face(e, 5);
    assert_int_equal(next_seq(w, 10000), 5); /* found by polling */
    assert_int_equal(onshi_ctx_set_int(e->ctx, ONSHI_OPT_POLL_INTERVAL_MS, 60000), ONSHI_OK);
    onshi_face_watch_free(w);
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, e->ctx);
    assert_int_equal(next_seq(w, -1), ONSHI_E_CANCELLED);
    pthread_join(th, NULL);
    onshi_face_watch_free(w);
}

static void test_missing_face_folder(void **state)
{
    env *e = *state;
    onshi_face_watch *w = (onshi_face_watch *)1;
    assert_int_equal(onshi_ctx_set_str(e->ctx, ONSHI_OPT_FACE_DIR, "/nonexistent/face"),
                     ONSHI_OK);
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_E_FOLDER);
    assert_null(w);
    assert_non_null(strstr(onshi_ctx_last_error_message(e->ctx), "/nonexistent/face"));
    onshi_face_watch_free(NULL);
}

/* A face file that is a symbolic link is never read through, and does not block the files
 * after it: it is skipped for good. */
static void test_symlink_face_file_skipped(void **state)
{
    env *e = *state;
    onshi_face_watch *w;
    assert_int_equal(onshi_face_watch_new(&w, e->ctx, 0), ONSHI_OK);
    char secret[400], link[600], name[128];
    snprintf(secret, sizeof secret, "%s/secret.xml", e->base);
    static const char body[] = "<XmlMsg><MessageHeader><Seq>99</Seq></MessageHeader></XmlMsg>\n";
    fl_write_file(secret, body, sizeof body - 1);
    face_name(name, sizeof name, 1);
    snprintf(link, sizeof link, "%s/%s", e->face, name);
    assert_int_equal(symlink(secret, link), 0);
    put_face(e, 2);
    assert_int_equal(next_seq(w, 10000), 2);
    assert_int_equal(next_seq(w, 300), ONSHI_E_TIMEOUT);
    onshi_face_watch_free(w);
    assert_int_equal(access(secret, F_OK), 0);
    assert_int_equal(fl_count_files(e->face), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_existing_skipped_new_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_existing_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_with_other_consumer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_polling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_face_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_face_file_skipped, setup, teardown),
    };
    return cmocka_run_group_tests_name("transport/face", tests, NULL, NULL);
}
