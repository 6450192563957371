/*
 * onshi CLI: the subcommand table. Each group of subcommands lives in its own cmd_*.c and
 * adds rows to the table in main.c; later workflows (verify, batch, ...) add files and rows.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CLI_CMD_H
#define ONSHI_CLI_CMD_H

#include "onshi.h"

#include <stdio.h>

typedef struct onshi_cli_cmd {
    const char *name;
    int (*run)(onshi_ctx *ctx, int argc, char **argv); /* argv[0] is the subcommand */
    const char *usage;
    const char *help;
} onshi_cli_cmd;

/* Print one error line "onshi <cmd>: <what>" on stderr; returns the exit status 1. */
int cli_fail(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
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
/* cmd_batch.c */
int cmd_batch(onshi_ctx *ctx, int argc, char **argv);
/* `onshi refnum --bulk FILE.csv`; cmd_refnum_any dispatches between it and cmd_refnum. */
int cmd_refnum_bulk(onshi_ctx *ctx, int argc, char **argv);
int cmd_refnum_any(onshi_ctx *ctx, int argc, char **argv);

#endif
