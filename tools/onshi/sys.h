/*
 * onshi CLI — the few operating-system calls of the command-line tool (the library has its
 * own layer in src/core/os.h; the CLI uses the public API only): sys_posix.c, sys_win32.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CLI_SYS_H
#define ONSHI_CLI_SYS_H

#include <stddef.h>
#include <stdio.h>

/* A new file for personal data: 0600 whatever the umask, never through a symbolic link
 * (Windows: a new file inherits the folder's ACL; UTF-8 path). NULL with errno. */
FILE *cli_sys_create_private(const char *path);

/* The terminal (not stdin, which may be a pipe): open it, echo off when secret. */
typedef struct cli_tty cli_tty;
cli_tty *cli_sys_tty_open(int secret);
void cli_sys_tty_write(cli_tty *t, const char *s);
/* One byte from the terminal within timeout_s seconds (0: no limit): the byte, -2 on a
 * timeout, -1 at the end or on an error. */
int cli_sys_tty_getc(cli_tty *t, int timeout_s);
/* Restore the echo (a newline then, as the typed one was not shown) and close. */
void cli_sys_tty_close(cli_tty *t);

/* One byte from an inherited descriptor (--pin-fd) within timeout_s seconds (0: no limit;
 * Windows: no limit for a pipe or file): as cli_sys_tty_getc. */
int cli_sys_fd_getc(int fd, int timeout_s);

/* Is fd an open descriptor? */
int cli_sys_fd_open(int fd);

/* n random bytes from the system; 0 or -1. */
int cli_sys_random(void *buf, size_t n);

/* Is the descriptor a terminal? */
int cli_sys_isatty(int fd);

/* CP932 → UTF-8 of n bytes: malloc'd, NUL-terminated; NULL with *bad = offset of the first
 * byte that is not CP932 (or (size_t)-1 when no converter is available). */
char *cli_sys_cp932_to_utf8(const char *in, size_t n, size_t *bad);

/* Ctrl-C calls fn(arg) (from a thread where onshi_ctx_cancel may be called) until
 * cli_sys_interrupt_off. 0, or -1 when it cannot be watched. */
int cli_sys_interrupt_on(void (*fn)(void *), void *arg);
void cli_sys_interrupt_off(void);

#endif
