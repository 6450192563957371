/*
 * tools/onshi batch / refnum --bulk: the CLI against the fake linkage app — CSV in UTF-8 and
 * CP932, the summary table in English and Japanese, --out CSV, --json, --resume, and a local
 * validation error naming the line's entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_bulk.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char cli[1200], example[1200];
static char dir[256], req[300], res[300], db[300];

/* The onshi tool of this build variant, else the default build's. */
static void find_cli(void)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    char *p = strstr(self, "/test/unit/");
    if (p) {
        *p = '\0';
        snprintf(cli, sizeof cli, "%s/bin/onshi", self);
        if (access(cli, X_OK) == 0)
            return;
    }
    snprintf(cli, sizeof cli, "build/default/bin/onshi");
    assert_int_equal(access(cli, X_OK), 0);
}

/* The example program of this build variant, else the default build's. */
static void find_example(void)
{
    snprintf(example, sizeof example, "%s", cli);
    char *p = strstr(example, "/bin/onshi");
    assert_non_null(p);
    snprintf(p, sizeof example - (size_t)(p - example), "/examples/batch_reservations");
    if (access(example, X_OK) != 0)
        snprintf(example, sizeof example, "build/default/examples/batch_reservations");
    assert_int_equal(access(example, X_OK), 0);
}

static int setup(void **state)
{
    (void)state;
    find_cli();
    snprintf(dir, sizeof dir, "/tmp/onshi-batchcli-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(req, sizeof req, "%s/req", dir);
    snprintf(res, sizeof res, "%s/res", dir);
    snprintf(db, sizeof db, "%s/state.db", dir);
    mkdir(req, 0700);
    mkdir(res, 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The count of a summary line "  <label>   N". -1 when there is none. */
static int count_of(const char *text, const char *label)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\n  %s ", label);
    const char *p = strstr(text, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return atoi(p);
}

/* Run the CLI with `args` (NULL-terminated after the options), LANG as given; stdout and
 * stderr into files. Returns the exit status. */
static int run_cli(const char *lang, const char *const *args)
{
    char out[400], err[400];
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    char o1[400], o2[400], o3[400], o4[400];
    snprintf(o1, sizeof o1, "state_db=%s", db);
    snprintf(o2, sizeof o2, "req_dir=%s", req);
    snprintf(o3, sizeof o3, "res_dir=%s", res);
    snprintf(o4, sizeof o4, "medical_institution_code=1311234569");
    const char *argv[40];
    int n = 0;
    argv[n++] = cli;
    for (; *args; args++)
        argv[n++] = *args;
    const char *sets[] = {o1, o2, o3, o4, "transport=file", "batch_poll_base_ms=1",
                          "batch_poll_max_ms=2", "poll_interval_ms=10", NULL};
    for (int i = 0; sets[i]; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "wb", stdout) || !freopen(err, "wb", stderr))
            _exit(126);
        setenv("LANG", lang, 1);
        unsetenv("LC_ALL");
        unsetenv("LC_MESSAGES");
        execv(cli, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static const char csv_utf8[] =
    "patient_id,insurer_number,symbol,number,branch,birthdate,limit_consent\r\n"
    "P001,01130012,記号１,1001,01,19800401,1\r\n"
    "# a comment line\r\n"
    "P002,138016,,1002,,19700101,0\r\n"
    "\"P,003\",39131016,\"a\"\"b\",1004,,19600101\r\n"
    "P004,01130012,,1005,,19500101,0\r\n"
    "P005,01130012,,1009,,19400101,0\r\n";

static void test_batch_csv(void **state)
{
    (void)state;
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, req, res, 2);
    char csv[400], outcsv[400];
    snprintf(csv, sizeof csv, "%s/list.csv", dir);
    snprintf(outcsv, sizeof outcsv, "%s/out.csv", dir);
    write_file(csv, csv_utf8, sizeof csv_utf8 - 1);

    /* English table */
    const char *a1[] = {"batch", csv, NULL};
    assert_int_equal(run_cli("C", a1), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/stdout", dir);
    char *o = read_all(path);
    assert_non_null(strstr(o, "P001"));
    assert_non_null(strstr(o, "見本　一郎"));
    assert_non_null(strstr(o, "P,003"));
    assert_non_null(strstr(o, "not found"));
    assert_non_null(strstr(o, "EBULK009"));
    assert_int_equal(count_of(o, "valid"), 1);
    assert_int_equal(count_of(o, "invalid"), 1);
    assert_int_equal(count_of(o, "several matches"), 1);
    assert_int_equal(count_of(o, "error"), 1);
    assert_int_equal(count_of(o, "total"), 5);
    assert_int_equal(atomic_load(&fb->uploads), 1);

    /* CP932 input, Japanese table, results to a CSV file */
    iconv_t cd = iconv_open("CP932", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char sj[2048], *in = (char *)csv_utf8, *op = sj;
    size_t inl = sizeof csv_utf8 - 1, outl = sizeof sj;
    assert_true(iconv(cd, &in, &inl, &op, &outl) != (size_t)-1);
    iconv_close(cd);
    write_file(csv, sj, (size_t)(op - sj));
    const char *a2[] = {"batch", csv, "--out", outcsv, NULL};
    assert_int_equal(run_cli("ja_JP.UTF-8", a2), 0);
    o = read_all(outcsv);
    assert_non_null(strstr(o, "patient_id,outcome,label"));
    assert_non_null(strstr(o, "P001,1,有効,"));
    assert_non_null(strstr(o, "\"P,003\",3,該当資格なし"));
    assert_non_null(strstr(o, "P005,5,エラー,EBULK009,照会できませんでした"));
    snprintf(path, sizeof path, "%s/stderr", dir);
    o = read_all(path);
    assert_int_equal(count_of(o, "該当資格なし"), 1);
    assert_int_equal(count_of(o, "有効"), 1);
    assert_int_equal(count_of(o, "合計"), 5);
    assert_int_equal(atomic_load(&fb->uploads), 2);

    /* the batch id printed on stderr resumes the finished batch: same answers, nothing sent */
    char *id = strstr(o, "--resume ");
    assert_non_null(id);
    char bid[64];
    assert_int_equal(sscanf(id + 9, "%63s", bid), 1);
    int downs = atomic_load(&fb->downloads);
    const char *a3[] = {"batch", "--resume", bid, "--json", NULL};
    assert_int_equal(run_cli("C", a3), 0);
    snprintf(path, sizeof path, "%s/stdout", dir);
    o = read_all(path);
    assert_non_null(strstr(o, "\"batch_id\":\""));
    assert_non_null(strstr(o, "\"reception_number\":\"R000002\""));
    assert_non_null(strstr(o, "\"label_ja\":\"複数該当\""));
    assert_non_null(strstr(o, "\"unit\":{"));
    assert_int_equal(atomic_load(&fb->uploads), 2);
    assert_int_equal(atomic_load(&fb->downloads), downs);

    /* a bad check digit: nothing is sent, the message names the entry and field */
    static const char badcsv[] = "P1,01130012,,1,,19800401\nP2,06130012,,2,,19800401\n";
    write_file(csv, badcsv, sizeof badcsv - 1);
    const char *a4[] = {"batch", csv, NULL};
    assert_int_equal(run_cli("C", a4), 1);
    snprintf(path, sizeof path, "%s/stderr", dir);
    o = read_all(path);
    assert_non_null(strstr(o, "entry 1"));
    assert_non_null(strstr(o, "P2"));
    assert_non_null(strstr(o, "insurer_number"));
    assert_int_equal(atomic_load(&fb->uploads), 2);

    /* usage errors */
    const char *a5[] = {"batch", NULL};
    assert_int_equal(run_cli("C", a5), 2);
    fb_stop(fb);
    free(fb);
}

static void test_refnum_bulk(void **state)
{
    (void)state;
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, req, res, 1);
    char csv[400], path[400];
    snprintf(csv, sizeof csv, "%s/refnum.csv", dir);
    static const char text[] = "patient_id,reference_number,insurer_number,symbol,number,branch\n"
                               "K1,24434,01130012,記号１,7001,00\n"
                               "K2,24435,138016,,7009,\n";
    write_file(csv, text, sizeof text - 1);
    const char *a1[] = {"refnum", "--bulk", csv, "--csv", NULL};
    assert_int_equal(run_cli("C", a1), 0);
    snprintf(path, sizeof path, "%s/stdout", dir);
    char *o = read_all(path);
    assert_non_null(strstr(o, "K1,1,registered,"));
    assert_non_null(strstr(o, "K2,5,error,EBULK009"));
    assert_int_equal(atomic_load(&fb->uploads), 1);

    /* the 同意済 list of a period: the system's persons become the rows */
    const char *a2[] = {"batch", "--online", "20251001", "20251031", "--examination", NULL};
    assert_int_equal(run_cli("C", a2), 0);
    o = read_all(path);
    assert_non_null(strstr(o, "#1 "));
    assert_non_null(strstr(o, "#3 "));
    assert_int_equal(count_of(o, "valid"), 2);
    assert_int_equal(count_of(o, "invalid"), 1);
    assert_string_equal(fb->rec[fb->nrec - 1].query, "20251001-20251031-3-");
    const char *a3[] = {"batch", "--welfare", "2025-11", NULL};
    assert_int_equal(run_cli("C", a3), 1);
    assert_int_equal(atomic_load(&fb->uploads), 2);
    fb_stop(fb);
    free(fb);
}

/* examples/batch_reservations.c does its job against the fake linkage app */
static void test_example(void **state)
{
    (void)state;
    find_example();
    fake_bulk *fb = calloc(1, sizeof *fb);
    fb_start(fb, req, res, 1);
    char o1[400], o2[400], o3[400], out[400], err[400];
    snprintf(o1, sizeof o1, "state_db=%s", db);
    snprintf(o2, sizeof o2, "req_dir=%s", req);
    snprintf(o3, sizeof o3, "res_dir=%s", res);
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    const char *argv[] = {example, o1, o2, o3, "transport=1", "medical_institution_code=1311234569",
                          "batch_poll_base_ms=1", "poll_interval_ms=10", NULL};
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "wb", stdout) || !freopen(err, "wb", stderr))
            _exit(126);
        execv(example, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *o = read_all(out);
    /* the fake answers by the last digit of the number: 7 and 6 valid, 4 not found */
    assert_non_null(strstr(o, "K-0001   valid"));
    assert_non_null(strstr(o, "K-0002   valid"));
    assert_non_null(strstr(o, "K-0003   not found"));
    assert_int_equal(atomic_load(&fb->uploads), 1);
    fb_stop(fb);
    free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_batch_csv),
        cmocka_unit_test(test_refnum_bulk),
    };
    return cmocka_run_group_tests_name("service/batch-cli", tests, setup, teardown);
}
