/* Fuzz target: the CLI's CSV input of `onshi batch` (RFC 4180 quoting, CP932 or UTF-8,
 * header row, per-row checks) — the static parser of tools/onshi/cmd_batch.c, included. */
#define _GNU_SOURCE
#include "../../tools/onshi/cmd_batch.c"

#include "memfile.h"

/* main.c's command-line --set pairs: the fuzzer has none */
int cli_apply_sets(onshi_ctx *ctx, const char *cmd)
{
    (void)ctx;
    (void)cmd;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* main.c's error printers, silenced */
int cli_fail(const char *cmd, const char *fmt, ...)
{
    (void)cmd;
    (void)fmt;
    return 1;
}

int cli_fail_ctx(const char *cmd, onshi_ctx *ctx, int status, const char *what)
{
    (void)cmd;
    (void)ctx;
    (void)status;
    (void)what;
    return 1;
}

/* main.c's private-file opener: the fuzzer writes no output file, so it refuses (NULL, as
 * for a failed open) instead of creating one */
FILE *cli_create_private(const char *path)
{
    (void)path;
    errno = EPERM;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) == ONSHI_OK) {
        onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234569");
        onshi_batch *b = NULL;
        if (onshi_batch_new(&b, ctx, ONSHI_BATCH_QUALIFICATION) == ONSHI_OK) {
            load_csv("batch", ctx, b, path, ONSHI_BATCH_QUALIFICATION);
            onshi_batch_free(b);
        }
        onshi_ctx_free(ctx);
    }
    close(fd);
    return 0;
}
