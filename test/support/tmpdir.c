/* Test support: a private scratch folder per test, removed without a shell (no system()). */
#define _XOPEN_SOURCE 700
#include "tmpdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int tmpdir_make(char *dir, size_t size, const char *tag)
{
    int n = snprintf(dir, size, "/tmp/onshi-%s-XXXXXX", tag);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

int tmpdir_remove(const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return -1;
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
