/* core: the SQLite state store (migrations, connection per context, identity, file modes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/store.h"
#include "../../support/tmpdir.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], db[128];

static int setup(void **state)
{
    (void)state;
    if (tmpdir_make(dir, sizeof dir, "store") != 0)
        return -1;
    snprintf(db, sizeof db, "%s/state.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(dir);
}

static void test_open_migrate(void **state)
{
    (void)state;
    onshi__store *st;
    assert_int_equal(onshi__store_open(NULL, db, &st), ONSHI_OK);
    int v;
    assert_int_equal(onshi__store_version(NULL, st, "core", &v), ONSHI_OK);
    assert_int_equal(v, 2);
    /* a later layer adds its own table through the same mechanism */
    static const onshi__store_step svc[] = {
        {1, "CREATE TABLE batch (id INTEGER PRIMARY KEY, state INTEGER)"},
        {2, "ALTER TABLE batch ADD COLUMN reception TEXT"},
    };
    assert_int_equal(onshi__store_migrate(NULL, st, "service", svc, 1), ONSHI_OK);
    assert_int_equal(onshi__store_version(NULL, st, "service", &v), ONSHI_OK);
    assert_int_equal(v, 1);
    assert_int_equal(onshi__store_migrate(NULL, st, "service", svc, 2), ONSHI_OK);
    assert_int_equal(onshi__store_migrate(NULL, st, "service", svc, 2), ONSHI_OK); /* idempotent */
    assert_int_equal(onshi__store_version(NULL, st, "service", &v), ONSHI_OK);
    assert_int_equal(v, 2);
    assert_int_equal(onshi__store_exec(NULL, st, "INSERT INTO batch VALUES(1, 0, 'R1')"),
                     ONSHI_OK);
    /* a failing step leaves the version where it was */
    static const onshi__store_step bad[] = {{3, "ALTER TABLE nosuch ADD COLUMN x"}};
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi__store_migrate(ctx, st, "service", bad, 1), ONSHI_E_STORE);
    int kind;
    onshi_ctx_last_error_foreign(&kind, NULL, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_SQLITE);
    assert_int_equal(onshi__store_version(NULL, st, "service", &v), ONSHI_OK);
    assert_int_equal(v, 2);
    /* a file from a newer library is refused, not misread */
    assert_int_equal(onshi__store_migrate(ctx, st, "service", svc, 1), ONSHI_E_STORE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "newer"));
    onshi_ctx_free(ctx);
    onshi__store_close(st);
    /* WAL journal is on */
    assert_int_equal(onshi__store_open(NULL, db, &st), ONSHI_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    onshi__store_close(st);
}

static void test_ctx_store_and_default_path(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    char home[128];
    snprintf(home, sizeof home, "%s/home", dir);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    unsetenv("XDG_STATE_HOME");
    unsetenv("ONSHI_STATE_DB");
    onshi__store *st, *again;
    assert_int_equal(onshi__store_get(ctx, &st), ONSHI_OK);
    char want[256];
    snprintf(want, sizeof want, "%s/.local/state/libonshi/state.db", home);
    assert_string_equal(st->path, want);
    assert_int_equal(onshi__store_get(ctx, &again), ONSHI_OK);
    assert_ptr_equal(st, again); /* one connection per context */
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, db), ONSHI_OK);
    assert_int_equal(onshi__store_get(ctx, &st), ONSHI_OK);
    assert_string_equal(st->path, db); /* the option wins and reopens */
    /* an unusable path is reported with the path */
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, "/nonexistent/x/state.db"),
                     ONSHI_OK);
    assert_int_equal(onshi__store_get(ctx, &st), ONSHI_E_STORE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "/nonexistent/x/state.db"));
    onshi_ctx_free(ctx);
}

/* The store and SQLite's companion files are 0600 whatever the umask; a file left 0644 by an
 * older version is tightened when opened. */
static void check_mode(const char *path, int must_exist)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        assert_false(must_exist);
        return;
    }
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_private_modes(void **state)
{
    (void)state;
    const mode_t masks[] = {022, 000};
    for (size_t m = 0; m < 2; m++) {
        mode_t old = umask(masks[m]);
        char p[256], w[300];
        snprintf(p, sizeof p, "%s/mode%zu.db", dir, m);
        onshi__store *st;
        assert_int_equal(onshi__store_open(NULL, p, &st), ONSHI_OK);
        assert_int_equal(onshi__store_exec(NULL, st, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"),
                         ONSHI_OK);
        check_mode(p, 1);
        snprintf(w, sizeof w, "%s-wal", p);
        check_mode(w, 1); /* WAL is on: the companion exists while the store is open */
        snprintf(w, sizeof w, "%s-shm", p);
        check_mode(w, 1);
        onshi__store_close(st);
        umask(old);
    }
    /* an existing 0644 store (libonshi 0.1) */
    char p[256];
    snprintf(p, sizeof p, "%s/old.db", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(p, 0644), 0);
    onshi__store *st;
    assert_int_equal(onshi__store_open(NULL, p, &st), ONSHI_OK);
    check_mode(p, 1);
    onshi__store_close(st);
}

/* The store's random identity is drawn once and then stays. */
static void test_install_id(void **state)
{
    (void)state;
    onshi__store *a, *b;
    char x[33], y[33];
    assert_int_equal(onshi__store_open(NULL, db, &a), ONSHI_OK);
    assert_int_equal(onshi__store_install_id(NULL, a, x), ONSHI_OK);
    assert_int_equal(strlen(x), 32);
    assert_int_equal(onshi__store_open(NULL, db, &b), ONSHI_OK);
    assert_int_equal(onshi__store_install_id(NULL, b, y), ONSHI_OK);
    assert_string_equal(x, y);
    onshi__store_close(a);
    onshi__store_close(b);
    char other[256];
    snprintf(other, sizeof other, "%s/other.db", dir);
    assert_int_equal(onshi__store_open(NULL, other, &a), ONSHI_OK);
    assert_int_equal(onshi__store_install_id(NULL, a, y), ONSHI_OK);
    assert_string_not_equal(x, y); /* another store, another identity */
    onshi__store_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctx_store_and_default_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_id, setup, teardown),
    };
    return cmocka_run_group_tests_name("core/store", tests, NULL, NULL);
}
