/*
 * The few POSIX calls the portable unit tests use, for their Windows build (mk/windows.mk
 * force-includes this header into test programs only; the library never sees it). Paths go
 * through the library's OS layer, so they are UTF-8 there as well.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_WIN_POSIX_H
#define ONSHI_TEST_WIN_POSIX_H
#ifdef _WIN32
#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

#include "core/os.h"

#define mkdir(path, mode) onshi__os_mkdir((path), (mode))
#define unlink(path) onshi__os_unlink(path)
#define rmdir(path) _rmdir(path)

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
