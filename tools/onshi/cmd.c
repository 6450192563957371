/*
 * onshi CLI: the one reader of a typed line, for the PIN, the last-try question, the consent
 * questions and the staff's photo check. The terminal is /dev/tty, not stdin (which may be a
 * pipe of data); a PIN may also come from an inherited descriptor (--pin-fd N).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int cli_read_line(int fd, char *buf, size_t cap, int timeout_s)
{
    size_t n = 0;
    if (cap == 0)
        return CLI_LINE_LONG;
    for (;;) {
        if (timeout_s > 0) {
            struct pollfd p = {fd, POLLIN, 0};
            int r = poll(&p, 1, timeout_s * 1000);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                buf[0] = '\0';
                return CLI_LINE_NONE;
            }
        }
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            buf[0] = '\0';
            return CLI_LINE_NONE;
        }
        if (k == 0) { /* end of input: a last line without newline still counts */
            buf[n] = '\0';
            return n > 0 ? CLI_LINE_OK : CLI_LINE_EOF;
        }
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap) { /* too long: not an answer; consume nothing more here */
            buf[0] = '\0';
            return CLI_LINE_LONG;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    return CLI_LINE_OK;
}

int cli_tty_line(const char *prompt, char *buf, size_t cap, int secret, int timeout_s)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) {
        if (cap > 0)
            buf[0] = '\0';
        return CLI_LINE_NONE;
    }
    struct termios old, raw;
    int restore = 0;
    if (secret && tcgetattr(fd, &old) == 0) {
        raw = old;
        raw.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        raw.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &raw) == 0;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy: go on reading */
    }
    int rc = cli_read_line(fd, buf, cap, timeout_s);
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
            /* nothing to do */
        }
    }
    close(fd);
    return rc;
}

int cli_ask_yes_fd(int fd, int timeout_s)
{
    char ans[16];
    int rc = cli_read_line(fd, ans, sizeof ans, timeout_s);
    if (rc == CLI_LINE_NONE)
        return -1;
    if (rc == CLI_LINE_LONG) {
        /* The rest of an over-long line is read away (it has arrived with its newline), so
         * that it cannot answer the next question: a held-down key is not "yes" to all. */
        char c;
        ssize_t k;
        while ((k = read(fd, &c, 1)) == 1 || (k < 0 && errno == EINTR))
            if (k == 1 && c == '\n')
                break;
        return 0;
    }
    /* end of input (Ctrl-D) and anything but y / Y: no */
    return rc == CLI_LINE_OK && (ans[0] == 'y' || ans[0] == 'Y') ? 1 : 0;
}

int cli_ask_yes(const char *prompt, int timeout_s)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy: go on reading */
    }
    int yes = cli_ask_yes_fd(fd, timeout_s);
    close(fd);
    return yes;
}
