/*
 * onshi CLI: the subcommand table. Each group of subcommands lives in its own cmd_*.c and
 * adds rows to the table in main.c; later workflows (verify, batch, ...) add files and rows.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CLI_CMD_H
#define ONSHI_CLI_CMD_H

#include "onshi.h"

#include <stdio.h>

#ifdef __MINGW_PRINTF_FORMAT
#define CLI_PRINTF_FORMAT __MINGW_PRINTF_FORMAT
#else
#define CLI_PRINTF_FORMAT printf
#endif

typedef struct onshi_cli_cmd {
    const char *name;
    int (*run)(onshi_ctx *ctx, int argc, char **argv); /* argv[0] is the subcommand */
    const char *usage;
    const char *help;
    const char *help_ja;
} onshi_cli_cmd;

/* Exit status of every command (listed by `onshi --help` and in onshi.1). */
#define CLI_EXIT_OK 0      /* done */
#define CLI_EXIT_FAIL 1    /* the input or the operation failed (one error line on stderr) */
#define CLI_EXIT_USAGE 2   /* usage error */
#define CLI_EXIT_PENDING 3 /* sent, the result is not there yet: pick it up later */
#define CLI_EXIT_TIMEOUT 4 /* waited the time given and nothing was delivered */

/* "en" or "ja" by the environment: ONSHI_LANG (ja|en) first, else LC_ALL, LC_MESSAGES,
 * LANG starting with "ja". */
#define CLI_T(en, ja) (cli_lang_ja() ? (ja) : (en))

/* Print one error line "onshi <cmd>: <what>" on stderr; returns the exit status 1. */
int cli_fail(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(CLI_PRINTF_FORMAT, 2, 3)))
#endif
    ;
/* The same for a library failure: the context's last error message. */
int cli_fail_ctx(const char *cmd, onshi_ctx *ctx, int status, const char *what);

/* cmd_codec.c */
int cmd_decode(onshi_ctx *ctx, int argc, char **argv);
int cmd_encode(onshi_ctx *ctx, int argc, char **argv);
int cmd_check(onshi_ctx *ctx, int argc, char **argv);

/* cmd_verify.c: verify (insurer/symbol/number), refnum, face-watch, info drug|checkup */
int cmd_verify(onshi_ctx *ctx, int argc, char **argv);
int cmd_refnum(onshi_ctx *ctx, int argc, char **argv);
int cmd_face_watch(onshi_ctx *ctx, int argc, char **argv);
int cmd_info(onshi_ctx *ctx, int argc, char **argv);
/* Japanese output when LC_ALL / LC_MESSAGES / LANG starts with "ja". */
int cli_lang_ja(void);
/* A context whose language is Japanese (ja non-zero) or English, for labels; freed at exit. */
onshi_ctx *cli_labels(int ja);
/* A new request of `kind` (NULL without memory) and a setter that leaves NULL values unset. */
onshi_request *cli_request(int kind);
void cli_request_str(onshi_request *r, int param, const char *value);
/* onshi_ctx_load_config with path, else $ONSHI_CONF, else ./onshi.conf if present (then the
 * ONSHI_* variables); prints the error and returns 1 on failure, 0 on success. */
int cli_load_config(onshi_ctx *ctx, const char *cmd, const char *path);
/* cmd_card.c: verify-card, disaster-search, limit, diagnose, cert-info */
int cmd_verify_card(onshi_ctx *ctx, int argc, char **argv);
int cmd_disaster_search(onshi_ctx *ctx, int argc, char **argv);
int cmd_limit(onshi_ctx *ctx, int argc, char **argv);
int cmd_diagnose(onshi_ctx *ctx, int argc, char **argv);
int cmd_cert_info(onshi_ctx *ctx, int argc, char **argv);
/* Terminal columns of a UTF-8 string (wide CJK characters count two). */
int cli_display_width(const char *s);
/* Create (truncate) an output file for personal data: mode 0600 whatever the umask, no
 * symbolic link followed. NULL with errno on failure. */
FILE *cli_create_private(const char *path);
/* Refuse a secret option given on the command line (ja/en message). Returns the exit status. */
int cli_refuse_secret(const char *cmd, const char *name);
/* Apply one "name=value" library option (--set); secret options are refused. Returns 0 or
 * the exit status. */
int cli_set_option(onshi_ctx *ctx, const char *cmd, const char *kv);
/* Print a drug or checkup result: format 0 table (ja/en; an empty one says so, with the
 * months asked for: from/to, NULL for the default window), 1 JSON, 2 CSV. ONSHI status. */
int cli_print_info(onshi_ctx *ctx, onshi_msg *m, int format, const char *from, const char *to);
/* Print a qualification result as a table (ja/en) or JSON; returns an ONSHI status. */
int cli_print_qualification(onshi_ctx *ctx, onshi_msg *m, int json);
/* cmd_card_tools.c: `onshi card status|cert|sign-test`, and the PIN source of every card
 * command: the terminal (echo off, timeout) or --pin-fd N; never argv or the environment. */
int cmd_card(onshi_ctx *ctx, int argc, char **argv);
typedef struct cli_pin {
    int fd;           /* --pin-fd N, -1: the terminal */
    int timeout_s;    /* --pin-timeout S (default 60; 0: no limit) */
    int confirm_last; /* --confirm-last-try (only with --pin-fd: no one to ask) */
    int asked;        /* times the PIN was asked */
} cli_pin;
void cli_pin_init(cli_pin *p);
/* Handles --pin (refused), --pin-fd N, --pin-timeout S, --confirm-last-try at argv[*i]:
 * returns -1 consumed, 0 not a PIN option, >0 the exit status of a refusal. */
int cli_pin_option(cli_pin *p, const char *cmd, int argc, char **argv, int *i);
/* The onshi_pin_cb reading from p. */
int ONSHI_CALL cli_pin_cb(void *ud, int tries, int last, char *buf, size_t size, int *confirm);
/* cmd.c: the one reader of a typed line. cli_read_line reads one line from fd into buf
 * (NUL-terminated, newline dropped), waiting at most timeout_s seconds for each byte (0: no
 * limit): CLI_LINE_OK; CLI_LINE_EOF at end of input with nothing typed; CLI_LINE_LONG when
 * the line does not fit (buf empty, nothing more read); CLI_LINE_NONE on timeout or error. */
enum { CLI_LINE_OK = 0, CLI_LINE_NONE = -1, CLI_LINE_EOF = -2, CLI_LINE_LONG = -3 };
int cli_read_line(int fd, char *buf, size_t cap, int timeout_s);
/* The same from the terminal (/dev/tty, not stdin), prompt first, echo off when secret;
 * CLI_LINE_NONE without a terminal. */
int cli_tty_line(const char *prompt, char *buf, size_t cap, int secret, int timeout_s);
/* A [y/N] question: 1 for an answer starting with y or Y; 0 for anything else, end of input
 * or an over-long line (read to its end, so it cannot answer the next question); -1 without
 * a terminal or on timeout. cli_ask_yes_fd reads the answer from fd (no prompt). */
int cli_ask_yes(const char *prompt, int timeout_s);
int cli_ask_yes_fd(int fd, int timeout_s);
/* The whole of a file ("-": standard input), with a NUL after its *len bytes; NULL with
 * errno on failure (a read error or a folder is a failure, not an empty file). */
char *cli_read_file(const char *path, size_t *len);
/* CSV (RFC 4180): one field, quoted when it holds a comma, quote or line break (NULL: empty);
 * one row of n fields and its newline. */
void cli_csv_field(FILE *f, const char *s);
void cli_csv_row(FILE *f, const char *const *cols, size_t n);
/* A JSON string literal of UTF-8 text (NULL: ""): quote, backslash and control bytes escaped. */
void cli_json_str(FILE *f, const char *s);
/* main.c: the --set NAME=VALUE pairs of the command line, applied again (after a command
 * loaded its configuration, so they win). 0 or the exit status. */
int cli_apply_sets(onshi_ctx *ctx, const char *cmd);
/* cmd_pending.c: `onshi pending` (list, --resume) */
int cmd_pending(onshi_ctx *ctx, int argc, char **argv);
/* cmd_batch.c */
int cmd_batch(onshi_ctx *ctx, int argc, char **argv);
/* `onshi refnum --bulk FILE.csv`; cmd_refnum_any dispatches between it and cmd_refnum. */
int cmd_refnum_bulk(onshi_ctx *ctx, int argc, char **argv);
int cmd_refnum_any(onshi_ctx *ctx, int argc, char **argv);

#endif
