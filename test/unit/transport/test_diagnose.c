/* transport: onshi_transport_diagnose checks of the file exchange (folders, linkage app) and the
 * report accessors. The HTTPS checks run in test/https against a real TLS server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/onshi-diag-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *sub(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static onshi_ctx *mkctx(void)
{
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    mkdir(sub("req"), 0755);
    mkdir(sub("res"), 0755);
    mkdir(sub("face"), 0755);
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, sub("req"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, sub("res"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, sub("face"));
    return ctx;
}

static int find(const onshi_diag_report *r, int check, int outcome)
{
    for (size_t i = 0; i < onshi_diag_report_count(r); i++)
        if (onshi_diag_report_check(r, i) == check && onshi_diag_report_outcome(r, i) == outcome)
            return (int)i;
    return -1;
}

static void test_folders_ok(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_int_equal(onshi_diag_report_count(r), 5); /* req, res, face, linkage, institution */
    assert_int_equal(onshi_diag_report_first_failure(r), ONSHI_E_NOT_FOUND);
    assert_true(find(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_OK) >= 0);
    /* nothing was written into req/ by the check */
    assert_int_equal(rmdir(sub("req")), 0);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
}

static void test_folder_missing(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, sub("no-such-res"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, sub("a-file"));
    FILE *f = fopen(sub("a-file"), "w");
    fclose(f);
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    int i = onshi_diag_report_first_failure(r);
    assert_int_equal(i, 0);
    assert_int_equal(onshi_diag_report_status(r, 0), ONSHI_E_FOLDER);
    assert_non_null(strstr(onshi_diag_report_message(r, 0), "フォルダ"));
    assert_non_null(strstr(onshi_diag_report_message(r, 1), "no-such-res"));
    assert_int_equal(onshi_diag_report_status(r, 1), ONSHI_E_FOLDER);
    assert_true(find(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_SKIPPED) >= 0);
    assert_null(onshi_diag_report_message(r, 99));
    assert_int_equal(onshi_diag_report_check(r, 99), ONSHI_E_INVALID_ARG);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
}

static void test_folder_not_writable(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        skip(); /* root may write anywhere: access(W_OK) cannot fail */
        return;
    }
    onshi_ctx *ctx = mkctx();
    chmod(sub("res"), 0555);
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_int_equal(onshi_diag_report_status(r, (size_t)onshi_diag_report_first_failure(r)),
                     ONSHI_E_FOLDER_NOT_WRITABLE);
    chmod(sub("res"), 0755);
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
}

static void test_linkage_not_consuming(void **state)
{
    (void)state;
    onshi_ctx *ctx = mkctx();
    onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 1000);
    /* a fresh request (just published) is fine; one 10 minutes old is not */
    const char *fresh = sub("req/OQSsiquc01req_202501150002.xml");
    const char *old = sub("req/OQSsiquc01req_202501150001.xml");
    FILE *f = fopen(fresh, "w");
    fclose(f);
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_true(find(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_OK) >= 0);
    onshi_diag_report_free(r);

    f = fopen(old, "w");
    fclose(f);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 600;
    tv[1] = tv[0];
    assert_int_equal(utimes(old, tv), 0);
    /* files that are not requests (a result, our temp name) are ignored */
    f = fopen(sub("req/.tmp-OQSsiquc01req_x"), "w");
    fclose(f);
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    int i = find(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_FAIL);
    assert_true(i >= 0);
    assert_int_equal(onshi_diag_report_status(r, (size_t)i), ONSHI_E_LINKAGE_NOT_RUNNING);
    assert_non_null(strstr(onshi_diag_report_message(r, (size_t)i), "202501150001"));
    assert_non_null(strstr(onshi_diag_report_message(r, (size_t)i), "連携アプリ"));
    onshi_diag_report_free(r);
    onshi_ctx_free(ctx);
}

static void test_nothing_configured(void **state)
{
    (void)state;
    onshi_ctx *ctx = NULL;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_diag_report *r = NULL;
    assert_int_equal(onshi_transport_diagnose(&r, ctx), ONSHI_OK);
    assert_int_equal(onshi_diag_report_first_failure(r), 0);
    assert_int_equal(onshi_diag_report_status(r, 0), ONSHI_E_CONFIG);
    onshi_diag_report_free(r);
    assert_int_equal(onshi_transport_diagnose(NULL, ctx), ONSHI_E_INVALID_ARG);
    onshi_diag_report_free(NULL);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_folders_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_not_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linkage_not_consuming, setup, teardown),
        cmocka_unit_test(test_nothing_configured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
