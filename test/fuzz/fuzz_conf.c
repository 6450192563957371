/* Fuzz target: onshi.conf (key = value lines, quoting, hex bytes, secrets refused where they
 * must be) through onshi_ctx_load_config. */
#define _GNU_SOURCE
#include "onshi.h"

#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) == ONSHI_OK) {
        onshi_ctx_load_config(ctx, path);
        (void)onshi_ctx_last_error_message(ctx);
        onshi_ctx_free(ctx);
    }
    close(fd);
    return 0;
}
