/* transport: the file transport's tables in the state store (sequence, pending, face cursor). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "transport/file.h"
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

/* The store with the transport's tables, as every exchange opens it. */
static int open_st(onshi__store **st)
{
    int r = onshi__store_open(NULL, db, st);
    if (r == ONSHI_OK && (r = onshi__file_store_migrate(NULL, *st)) != ONSHI_OK)
        onshi__store_close(*st);
    return r;
}

static int skip_odd(void *arg, const char *id)
{
    (void)arg;
    return (id[15] - '0') % 2 == 1;
}

static void test_sequence(void **state)
{
    (void)state;
    onshi__store *st;
    char id[17];
    assert_int_equal(open_st(&st), ONSHI_OK);
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250115", "0042", NULL, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011500420001");
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250115", "0042", skip_odd, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011500420002");
    onshi__store_close(st);
    assert_int_equal(open_st(&st), ONSHI_OK);
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250115", "0042", NULL, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011500420003"); /* survives a reopen */
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250116", "0042", NULL, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011600420001"); /* a new day starts again */
    /* an id already recorded as pending is skipped even if the counter were reset */
    onshi__pending p;
    memset(&p, 0, sizeof p);
    strcpy(p.id, "2025011700420001");
    p.type = ONSHI_MSG_QUAL_REQ;
    p.state = ONSHI__P_PUBLISHED;
    p.req_name = "OQSsiquc01req_2025011700420001.xml";
    p.req_dir = "/r";
    p.res_dir = "/s";
    p.created_ms = 1;
    p.owner_host = "h";
    assert_int_equal(onshi__pending_insert(NULL, st, &p), ONSHI_OK);
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250117", "0042", NULL, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011700420002");
    /* the day's numbers run out */
    assert_int_equal(onshi__store_exec(NULL, st, "UPDATE seq_day SET last=9999"), ONSHI_OK);
    assert_int_equal(onshi__store_seq_next(NULL, st, "20250117", "0042", NULL, NULL, id), ONSHI_E_LIMIT);
    onshi__store_close(st);
}

static void test_pending_rows(void **state)
{
    (void)state;
    onshi__store *st;
    assert_int_equal(open_st(&st), ONSHI_OK);
    const char *ids[] = {"2025011500420003", "2025011500420001", "2025011500420002"};
    for (int i = 0; i < 3; i++) {
        onshi__pending p;
        memset(&p, 0, sizeof p);
        strcpy(p.id, ids[i]);
        p.type = ONSHI_MSG_QUAL_REQ;
        p.state = ONSHI__P_RECORDED;
        p.req_name = "n";
        p.req_dir = "/r";
        p.res_dir = "/s";
        p.created_ms = 5;
        p.owner_host = "h";
        p.owner_pid = 42;
        assert_int_equal(onshi__pending_insert(NULL, st, &p), ONSHI_OK);
    }
    onshi__pending p;
    assert_int_equal(onshi__pending_insert(NULL, st, &(onshi__pending){.id = "2025011500420001",
                                                                         .req_name = "n",
                                                                         .req_dir = "r",
                                                                         .res_dir = "s"}),
                     ONSHI_E_STORE); /* the id is the key */
    assert_int_equal(onshi__pending_set_state(NULL, st, "2025011500420001", ONSHI__P_ANSWERED,
                                              "OQSsiquc01res_2025011500420001.xml", 0),
                     ONSHI_OK);
    assert_int_equal(onshi__pending_set_state(NULL, st, "2025011500420002", ONSHI__P_CONSUMED,
                                              NULL, 0),
                     ONSHI_OK);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420001", &p), ONSHI_OK);
    assert_int_equal(p.state, ONSHI__P_ANSWERED);
    assert_string_equal(p.res_name, "OQSsiquc01res_2025011500420001.xml");
    assert_true(p.answered_ms > 0 && p.taken_ms == p.answered_ms);
    assert_int_equal(p.owner_pid, 42);
    onshi__pending_clear(&p);
    /* states only move forward: a consumed request is never "taken" again (another process
     * waiting for the same request must not reopen it) */
    assert_int_equal(onshi__pending_set_state(NULL, st, "2025011500420002", ONSHI__P_TAKEN,
                                              NULL, 0),
                     ONSHI_OK);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420002", &p), ONSHI_OK);
    assert_int_equal(p.state, ONSHI__P_CONSUMED);
    onshi__pending_clear(&p);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500429999", &p), ONSHI_E_NOT_FOUND);
    char id[17] = "";
    assert_int_equal(onshi__pending_next(NULL, st, NULL, id), ONSHI_OK);
    assert_string_equal(id, "2025011500420001");
    assert_int_equal(onshi__pending_next(NULL, st, id, id), ONSHI_OK);
    assert_string_equal(id, "2025011500420003"); /* 0002 is consumed */
    assert_int_equal(onshi__pending_next(NULL, st, id, id), ONSHI_E_NOT_FOUND);
    /* pruning drops only finished rows older than the limit */
    assert_int_equal(onshi__pending_prune(NULL, st, onshi__wall_ms() - 60000), ONSHI_OK);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420002", &p), ONSHI_OK);
    onshi__pending_clear(&p);
    assert_int_equal(onshi__pending_prune(NULL, st, onshi__wall_ms() + 60000), ONSHI_OK);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420002", &p), ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420001", &p), ONSHI_OK);
    onshi__pending_clear(&p);
    assert_int_equal(onshi__pending_get(NULL, st, "2025011500420003", &p), ONSHI_OK);
    onshi__pending_clear(&p);
    onshi__store_close(st);
}

static void test_face_cursor(void **state)
{
    (void)state;
    onshi__store *st, *st2;
    assert_int_equal(open_st(&st), ONSHI_OK);
    assert_int_equal(open_st(&st2), ONSHI_OK);
    int known, seen, claimed;
    assert_int_equal(onshi__face_dir_known(NULL, st, "/f", &known), ONSHI_OK);
    assert_false(known);
    assert_int_equal(onshi__face_dir_add(NULL, st, "/f"), ONSHI_OK);
    assert_int_equal(onshi__face_dir_known(NULL, st2, "/f", &known), ONSHI_OK);
    assert_true(known);
    assert_int_equal(onshi__face_mark(NULL, st, "/f", "a.xml", &claimed), ONSHI_OK);
    assert_true(claimed);
    assert_int_equal(onshi__face_mark(NULL, st2, "/f", "a.xml", &claimed), ONSHI_OK);
    assert_false(claimed); /* the other connection got it first */
    assert_int_equal(onshi__face_mark(NULL, st, "/f", "b.xml", &claimed), ONSHI_OK);
    assert_int_equal(onshi__face_mark(NULL, st, "/g", "a.xml", &claimed), ONSHI_OK);
    assert_true(claimed); /* cursors are per folder */
    char *now[] = {"b.xml"};
    assert_int_equal(onshi__face_prune(NULL, st, "/f", now, 1), ONSHI_OK);
    assert_int_equal(onshi__face_is_seen(NULL, st, "/f", "a.xml", &seen), ONSHI_OK);
    assert_false(seen);
    assert_int_equal(onshi__face_is_seen(NULL, st, "/f", "b.xml", &seen), ONSHI_OK);
    assert_true(seen);
    assert_int_equal(onshi__face_is_seen(NULL, st, "/g", "a.xml", &seen), ONSHI_OK);
    assert_true(seen);
    onshi__store_close(st);
    onshi__store_close(st2);
}

/* Two processes of one clinic draw numbers from one file at the same time: no duplicates. */
#define PER_PROC 150
static void test_two_processes_share(void **state)
{
    (void)state;
    onshi__store *st;
    assert_int_equal(open_st(&st), ONSHI_OK); /* create before forking */
    onshi__store_close(st);
    int fds[2][2];
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pipe(fds[k]), 0);
        pid[k] = fork();
        if (pid[k] == 0) {
            close(fds[k][0]);
            onshi__store *s;
            if (open_st(&s) != ONSHI_OK)
                _exit(2);
            for (int i = 0; i < PER_PROC; i++) {
                char id[17];
                if (onshi__store_seq_next(NULL, s, "20250115", "0042", NULL, NULL, id) != ONSHI_OK)
                    _exit(3);
                if (write(fds[k][1], id + 12, 4) != 4)
                    _exit(4);
            }
            onshi__store_close(s);
            _exit(0);
        }
        close(fds[k][1]);
    }
    char seen[2 * PER_PROC + 1];
    memset(seen, 0, sizeof seen);
    int total = 0;
    for (int k = 0; k < 2; k++) {
        char buf[5] = "";
        while (read(fds[k][0], buf, 4) == 4) {
            int n = atoi(buf);
            assert_true(n >= 1 && n <= 2 * PER_PROC);
            assert_int_equal(seen[n], 0);
            seen[n] = 1;
            total++;
        }
        close(fds[k][0]);
        int status;
        assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(total, 2 * PER_PROC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_face_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes_share, setup, teardown),
    };
    return cmocka_run_group_tests_name("transport/filestore", tests, NULL, NULL);
}
