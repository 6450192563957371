/*
 * onshi CLI: the one reader of a typed line, for the PIN, the last-try question, the consent
 * questions and the staff's photo check. The terminal (sys.h: /dev/tty, CONIN$ on Windows), not
 * stdin (which may be a pipe of data); a PIN may also come from an inherited descriptor
 * (--pin-fd N).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line from the terminal t, else from the descriptor fd (cli_read_line's contract). */
static int read_line(cli_tty *t, int fd, char *buf, size_t cap, int timeout_s)
{
    size_t n = 0;
    if (cap == 0)
        return CLI_LINE_LONG;
    for (;;) {
        int c = t ? cli_sys_tty_getc(t, timeout_s) : cli_sys_fd_getc(fd, timeout_s);
        if (c == -2) { /* the time is up */
            buf[0] = '\0';
            return CLI_LINE_NONE;
        }
        if (c < 0) { /* end of input: a last line without newline still counts */
            buf[n] = '\0';
            return n > 0 ? CLI_LINE_OK : CLI_LINE_EOF;
        }
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap) { /* too long: not an answer; consume nothing more here */
            buf[0] = '\0';
            return CLI_LINE_LONG;
        }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return CLI_LINE_OK;
}

int cli_read_line(int fd, char *buf, size_t cap, int timeout_s)
{
    return read_line(NULL, fd, buf, cap, timeout_s);
}

int cli_tty_line(const char *prompt, char *buf, size_t cap, int secret, int timeout_s)
{
    cli_tty *t = cli_sys_tty_open(secret);
    if (t == NULL) {
        if (cap > 0)
            buf[0] = '\0';
        return CLI_LINE_NONE;
    }
    cli_sys_tty_write(t, prompt);
    int rc = read_line(t, -1, buf, cap, timeout_s);
    cli_sys_tty_close(t); /* restores the echo */
    return rc;
}

static int ask_yes(cli_tty *t, int fd, int timeout_s)
{
    char ans[16];
    int rc = read_line(t, fd, ans, sizeof ans, timeout_s);
    if (rc == CLI_LINE_NONE)
        return -1;
    if (rc == CLI_LINE_LONG) {
        /* The rest of an over-long line is read away (it has arrived with its newline), so
         * that it cannot answer the next question: a held-down key is not "yes" to all. */
        int c;
        while ((c = t ? cli_sys_tty_getc(t, 0) : cli_sys_fd_getc(fd, 0)) >= 0 && c != '\n') {
        }
        return 0;
    }
    /* end of input (Ctrl-D) and anything but y / Y: no */
    return rc == CLI_LINE_OK && (ans[0] == 'y' || ans[0] == 'Y') ? 1 : 0;
}

int cli_ask_yes_fd(int fd, int timeout_s)
{
    return ask_yes(NULL, fd, timeout_s);
}

int cli_ask_yes(const char *prompt, int timeout_s)
{
    cli_tty *t = cli_sys_tty_open(0);
    if (t == NULL)
        return -1;
    cli_sys_tty_write(t, prompt);
    int yes = ask_yes(t, -1, timeout_s);
    cli_sys_tty_close(t);
    return yes;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
        if (n == cap) {
            char *nb = cap <= ((size_t)-1 - 1) / 2 ? realloc(buf, cap * 2 + 1) : NULL;
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int failed = buf != NULL && ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed) { /* a folder, a read error: not an empty file */
        free(buf);
        errno = EIO;
        return NULL;
    }
    if (buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

void cli_csv_field(FILE *f, const char *s)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void cli_csv_row(FILE *f, const char *const *cols, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        if (c)
            fputc(',', f);
        cli_csv_field(f, cols[c]);
    }
    fputc('\n', f);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}
