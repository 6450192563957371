/*
 * The one safe way to open a file the SDK reads from a folder other programs write to (res/,
 * face/, a path a caller hands to the codec): a symbolic link is not followed, a FIFO or a
 * device never blocks the open, and only a regular file is read. Shared by the codec and the
 * transport.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"
#include "core/os.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int onshi__open_regular(onshi_ctx *ctx, const char *path, int *fd_out, onshi__os_st *sb_out)
{
    *fd_out = -1;
    int fd = onshi__os_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return ONSHI_E_NOT_FOUND; /* not recorded: "not there (yet)" is often normal */
        if (e != ELOOP)
            return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, e,
                                      "cannot open %s: %s", path, strerror(e));
    } else {
        onshi__os_st sb;
        if (onshi__os_fstat(fd, &sb) != 0) {
            int e = errno;
            close(fd);
            return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, e, "cannot read %s",
                                      path);
        }
        if (sb.type == ONSHI__OS_REG) {
            /* Reads block normally again (O_NONBLOCK only kept open() from hanging). */
            onshi__os_blocking(fd);
            if (sb_out != NULL)
                *sb_out = sb;
            *fd_out = fd;
            return ONSHI_OK;
        }
        close(fd);
    }
    char en[1200], ja[1200];
    snprintf(en, sizeof en, "%s is a symbolic link or not a regular file (FIFO, device, folder): "
             "not read", path);
    snprintf(ja, sizeof ja, "%s はシンボリックリンクまたは通常のファイルではない（FIFO、デバイス、"
             "フォルダ）ため読みません", path);
    return onshi__err_ja(ctx, ONSHI_E_IO, ONSHI_FOREIGN_NONE, 0, en, ja);
}
