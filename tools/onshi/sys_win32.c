/*
 * onshi CLI — operating-system calls on Windows (sys.h): the console for PIN entry, UTF-8
 * paths through the wide APIs, code page 932, Ctrl-C through a console control handler.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifdef _WIN32
#include "sys.h"

#include <windows.h>
#include <bcrypt.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

static wchar_t *widen(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (w == NULL) {
        errno = n > 0 ? ENOMEM : EILSEQ;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

FILE *cli_sys_create_private(const char *path)
{
    wchar_t *w = widen(path);
    if (w == NULL)
        return NULL;
    /* Never through a symbolic link or junction planted at that name. */
    DWORD a = GetFileAttributesW(w);
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT)) {
        free(w);
        errno = EEXIST;
        return NULL;
    }
    HANDLE h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
        return NULL;
    }
    int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
        return NULL;
    }
    FILE *f = _fdopen(fd, "wb");
    if (f == NULL)
        _close(fd);
    return f;
}

struct cli_tty {
    HANDLE in, out;
    DWORD old;
    int restore;
};

cli_tty *cli_sys_tty_open(int secret)
{
    HANDLE in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (in == INVALID_HANDLE_VALUE)
        return NULL;
    cli_tty *t = calloc(1, sizeof *t);
    if (t == NULL) {
        CloseHandle(in);
        return NULL;
    }
    t->in = in;
    t->out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (secret && GetConsoleMode(in, &t->old))
        t->restore = SetConsoleMode(in, (t->old | ENABLE_LINE_INPUT) & ~ENABLE_ECHO_INPUT) != 0;
    return t;
}

void cli_sys_tty_write(cli_tty *t, const char *s)
{
    DWORD w;
    if (t->out != INVALID_HANDLE_VALUE)
        WriteFile(t->out, s, (DWORD)strlen(s), &w, NULL);
}

static int handle_getc(HANDLE h, int timeout_s, int console)
{
    if (console && timeout_s > 0 &&
        WaitForSingleObject(h, (DWORD)timeout_s * 1000) != WAIT_OBJECT_0)
        return -2;
    unsigned char c;
    DWORD got = 0;
    if (!ReadFile(h, &c, 1, &got, NULL) || got != 1)
        return -1;
    return c;
}

int cli_sys_tty_getc(cli_tty *t, int timeout_s)
{
    for (;;) {
        int c = handle_getc(t->in, timeout_s, 1);
        if (c != '\r') /* a console line ends with CR LF: the LF ends it */
            return c;
    }
}

int cli_sys_fd_getc(int fd, int timeout_s)
{
    (void)timeout_s; /* a pipe or file has no wait here: it ends or answers */
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    return h == INVALID_HANDLE_VALUE ? -1 : handle_getc(h, 0, 0);
}

int cli_sys_fd_open(int fd)
{
    return _get_osfhandle(fd) != -1;
}

void cli_sys_tty_close(cli_tty *t)
{
    if (t == NULL)
        return;
    if (t->restore) {
        SetConsoleMode(t->in, t->old);
        cli_sys_tty_write(t, "\r\n");
    }
    CloseHandle(t->in);
    if (t->out != INVALID_HANDLE_VALUE)
        CloseHandle(t->out);
    free(t);
}

int cli_sys_random(void *buf, size_t n)
{
    return BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0 ? 0 : -1;
}

int cli_sys_isatty(int fd)
{
    return _isatty(fd);
}

char *cli_sys_cp932_to_utf8(const char *buf, size_t n, size_t *bad)
{
    /* Character by character, so a wrong byte is named by its offset. */
    char *out = malloc(n * 3 + 1);
    if (out == NULL) {
        *bad = (size_t)-1;
        return NULL;
    }
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char b = (unsigned char)buf[i];
        int len = (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC) ? 2 : 1;
        wchar_t w[2];
        int k = (size_t)len <= n - i ? MultiByteToWideChar(932, MB_ERR_INVALID_CHARS, buf + i,
                                                           len, w, 2)
                                     : 0;
        int u = k == 1 ? WideCharToMultiByte(CP_UTF8, 0, w, 1, out + o, 4, NULL, NULL) : 0;
        if (u <= 0) {
            *bad = i;
            free(out);
            return NULL;
        }
        o += (size_t)u;
        i += (size_t)len;
    }
    out[o] = '\0';
    return out;
}

static void (*int_fn)(void *);
static void *int_arg;

/* Windows runs a console control handler on a thread of its own: the callback may cancel. */
static BOOL WINAPI on_ctrl(DWORD type)
{
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT)
        return FALSE;
    int_fn(int_arg);
    return TRUE;
}

int cli_sys_interrupt_on(void (*fn)(void *), void *arg)
{
    int_fn = fn;
    int_arg = arg;
    return SetConsoleCtrlHandler(on_ctrl, TRUE) ? 0 : -1;
}

void cli_sys_interrupt_off(void)
{
    SetConsoleCtrlHandler(on_ctrl, FALSE);
}
#endif
