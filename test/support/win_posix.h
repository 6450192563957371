/*
 * The few POSIX calls the portable unit tests use, for their Windows build (mk/windows.mk
 * force-includes this header into test programs only; the library never sees it). Paths go
 * through the library's OS layer, so they are UTF-8 there as well.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_WIN_POSIX_H
#define ONSHI_TEST_WIN_POSIX_H
#ifdef _WIN32
#include <direct.h>
#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <winsock2.h> /* before windows.h (a test may include Winsock headers) */
#include <windows.h>

#include "core/os.h"

#include <fcntl.h>
#include <stdarg.h>

/* open(2): binary, UTF-8 path (the C runtime's open would translate line ends). */
static inline int onshi_test_open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return onshi__os_open(path, flags, mode);
}
#define open onshi_test_open
#define mkdir(path, mode) onshi__os_mkdir((path), (mode))
#define unlink(path) onshi__os_unlink(path)
#define rmdir(path) _rmdir(path)
#define fsync(fd) onshi__os_fsync(fd)
/* Mode bits restrict nobody on Windows (ACLs do): tests that rely on them skip as for root. */
#define geteuid() 0

/* gmtime_r: the Windows C runtime refuses times before 1970; the proleptic Gregorian
 * calendar of POSIX (days-to-civil after H. Hinnant, public domain) for any time. */
static inline struct tm *onshi_test_gmtime_r(const time_t *tp, struct tm *out)
{
    int64_t t = (int64_t)*tp;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    memset(out, 0, sizeof *out);
    out->tm_hour = (int)(sec / 3600);
    out->tm_min = (int)(sec / 60 % 60);
    out->tm_sec = (int)(sec % 60);
    out->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    out->tm_year = (int)(y + (m <= 2) - 1900);
    out->tm_mon = (int)(m - 1);
    out->tm_mday = (int)d;
    return out;
}
#define gmtime_r(t, out) onshi_test_gmtime_r((t), (out))
static inline struct tm *onshi_test_localtime_r(const time_t *t, struct tm *out)
{
    return localtime_s(out, t) == 0 ? out : NULL;
}
#define localtime_r(t, out) onshi_test_localtime_r((t), (out))

static inline void *onshi_test_memmem(const void *h, size_t hl, const void *n, size_t nl)
{
    const char *p = h;
    if (nl == 0)
        return (void *)p;
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(p + i, n, nl) == 0)
            return (void *)(p + i);
    return NULL;
}
#define memmem(h, hl, n, nl) onshi_test_memmem((h), (hl), (n), (nl))

static inline wchar_t *onshi_test_wide(const char *s)
{
    static wchar_t w[2][1024];
    static int k;
    k ^= 1;
    MultiByteToWideChar(CP_UTF8, 0, s, -1, w[k], 1024);
    return w[k];
}

/* symlink(2): a symbolic link (Wine makes a Unix one; Windows needs the privilege or
 * developer mode). */
static inline int onshi_test_symlink(const char *target, const char *link)
{
    wchar_t *t = onshi_test_wide(target), *l = onshi_test_wide(link);
    if (CreateSymbolicLinkW(l, t, 0x2 /* ALLOW_UNPRIVILEGED_CREATE */))
        return 0;
    errno = EPERM;
    return -1;
}
#define symlink(t, l) onshi_test_symlink((t), (l))

/* utimes(2): access and modification times of a file. */
static inline int onshi_test_utimes(const char *path, const struct timeval tv[2])
{
    HANDLE h = CreateFileW(onshi_test_wide(path), FILE_WRITE_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        errno = ENOENT;
        return -1;
    }
    FILETIME ft[2];
    for (int i = 0; i < 2; i++) {
        ULARGE_INTEGER u;
        u.QuadPart = (ULONGLONG)((int64_t)tv[i].tv_sec * 10000000 + tv[i].tv_usec * 10 +
                                 INT64_C(116444736000000000));
        ft[i].dwLowDateTime = u.LowPart;
        ft[i].dwHighDateTime = u.HighPart;
    }
    BOOL ok = SetFileTime(h, NULL, &ft[0], &ft[1]);
    CloseHandle(h);
    return ok ? 0 : -1;
}
#define utimes(p, tv) onshi_test_utimes((p), (tv))

/* system("rm -rf DIR") of the tests' teardowns, done here (there is no shell). */
static inline int onshi_test_rm_tree(const char *dir)
{
    onshi__os_dir *d = onshi__os_opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    const char *n;
    int rc = 0;
    while ((n = onshi__os_readdir(d)) != NULL) {
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        size_t l = strlen(dir) + strlen(n) + 2;
        char *p = malloc(l);
        if (p == NULL) {
            rc = -1;
            break;
        }
        snprintf(p, l, "%s/%s", dir, n);
        onshi__os_st st;
        if (onshi__os_lstat(p, &st) == 0 && st.type == ONSHI__OS_DIR)
            rc |= onshi_test_rm_tree(p);
        else if (onshi__os_unlink(p) != 0)
            rc = -1;
        free(p);
    }
    onshi__os_closedir(d);
    return RemoveDirectoryW(onshi_test_wide(dir)) ? rc : -1;
}
static inline int onshi_test_system(const char *cmd)
{
    if (strncmp(cmd, "rm -rf ", 7) == 0) {
        char path[1024];
        snprintf(path, sizeof path, "%s", cmd + 7);
        size_t n = strlen(path);
        if (n > 1 && (path[0] == '\'' || path[0] == '"') && path[n - 1] == path[0]) {
            memmove(path, path + 1, n - 2);
            path[n - 2] = '\0';
        }
        return onshi_test_rm_tree(path);
    }
    return system(cmd);
}
#define system(cmd) onshi_test_system(cmd)

/* Wine presents a Unix symbolic link as an ordinary file (no reparse point): a test of the
 * reparse-point refusal skips itself there (docs/windows.md). */
static inline int onshi_test_under_wine(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

/* mkdtemp(3): the trailing XXXXXX replaced by random letters until a new folder is made. */
static inline char *onshi_test_mkdtemp(char *tmpl)
{
    size_t n = strlen(tmpl);
    if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return NULL;
    }
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (onshi__os_random(r, sizeof r) != 0)
            return NULL;
        for (int i = 0; i < 6; i++)
            tmpl[n - 6 + i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r[i] % 36];
        if (onshi__os_mkdir(tmpl, 0700) == 0)
            return tmpl;
        if (errno != EEXIST)
            return NULL;
    }
    return NULL;
}
#define mkdtemp(t) onshi_test_mkdtemp(t)

static inline int onshi_test_setenv(const char *k, const char *v, int overwrite)
{
    if (!overwrite && getenv(k) != NULL)
        return 0;
    return _putenv_s(k, v) == 0 ? 0 : -1;
}
#define setenv(k, v, o) onshi_test_setenv((k), (v), (o))
#define unsetenv(k) _putenv_s((k), "")
#endif
#endif
