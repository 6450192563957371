/*
 * tools/onshi/cmd.c: the one reader of a typed line behind the PIN prompt, the last-try
 * question, the consent questions and the staff's photo check, fed through a pipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../../tools/onshi/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A pipe holding `text`, its writing end closed (end of input after it). */
static int feed(const char *text)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    size_t n = strlen(text);
    assert_int_equal(write(p[1], text, n), (ssize_t)n);
    close(p[1]);
    return p[0];
}

static void test_consent_answers(void **state)
{
    (void)state;
    int fd = feed("y\nN\nyes\n\nn\n");
    assert_int_equal(cli_ask_yes_fd(fd, 0), 1);
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0);
    assert_int_equal(cli_ask_yes_fd(fd, 0), 1);
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0); /* empty line: the default, no */
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0);
    /* end of input (Ctrl-D) is "no", not a cancelled workflow */
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0);
    close(fd);
}

/* An over-long answer is no, and what is left of its line does not answer the next
 * question (a held-down "y" used to grant the following consents too). */
static void test_consent_long_line_answers_one_question(void **state)
{
    (void)state;
    int fd = feed("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\nn\ny\n");
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0);
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0); /* its own line: "n" */
    assert_int_equal(cli_ask_yes_fd(fd, 0), 1);
    assert_int_equal(cli_ask_yes_fd(fd, 0), 0);
    close(fd);
}

/* The PIN: a line, a last line without newline, nothing, too long. */
static void test_pin_line(void **state)
{
    (void)state;
    char buf[8];
    int fd = feed("1234\r\n5678");
    assert_int_equal(cli_read_line(fd, buf, sizeof buf, 0), CLI_LINE_OK);
    assert_string_equal(buf, "1234");
    assert_int_equal(cli_read_line(fd, buf, sizeof buf, 0), CLI_LINE_OK); /* the "\n" after "\r" */
    assert_string_equal(buf, "");
    assert_int_equal(cli_read_line(fd, buf, sizeof buf, 0), CLI_LINE_OK);
    assert_string_equal(buf, "5678");
    assert_int_equal(cli_read_line(fd, buf, sizeof buf, 0), CLI_LINE_EOF);
    close(fd);
    fd = feed("123456789\n");
    assert_int_equal(cli_read_line(fd, buf, sizeof buf, 0), CLI_LINE_LONG);
    assert_string_equal(buf, ""); /* no part of a secret kept */
    close(fd);
}

/* The CLI's one CSV and JSON writers and its one file reader. */
static void test_csv_json_file(void **state)
{
    (void)state;
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    const char *cols[] = {"a", "b,c", "say \"hi\"", NULL, "x\ny"};
    cli_csv_row(f, cols, 5);
    cli_json_str(f, "q\"\\\x01é");
    cli_json_str(f, NULL);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(text, "a,\"b,c\",\"say \"\"hi\"\"\",,\"x\ny\"\n"
                              "\"q\\\"\\\\\\u0001é\"\"\"");
    free(text);

    char path[] = "/tmp/onshi-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char *got = cli_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, 3);
    assert_string_equal(got, "abc"); /* NUL after the bytes */
    free(got);
    unlink(path);
    assert_null(cli_read_file(path, &n));
    assert_null(cli_read_file("/tmp", &n)); /* a folder is not an empty file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consent_answers),
        cmocka_unit_test(test_consent_long_line_answers_one_question),
        cmocka_unit_test(test_pin_line),
        cmocka_unit_test(test_csv_json_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
