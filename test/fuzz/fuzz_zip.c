/* Fuzz target: ZIP results of bulk downloads (one XML entry, size and ratio limits). */
#include "transport/file.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    onshi_buf b;
    onshi__buf_init(&b, false);
    if (onshi__buf_append(&b, data, size) == ONSHI_OK) {
        char *entry = NULL;
        onshi__zip_extract(ctx, "fuzz.zip", &b, 1 << 20, &entry);
        free(entry);
    }
    onshi__buf_clear(&b);
    onshi_ctx_free(ctx);
    return 0;
}
