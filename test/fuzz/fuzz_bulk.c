/* Fuzz target: the streaming bulk reader, unit by unit. */
#include "onshi.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    onshi_bulk_reader *br = NULL;
    if (onshi_bulk_reader_open_mem(ctx, &br, data, size, ONSHI_MSG_BULK_QUAL_DOWN_RES) == ONSHI_OK) {
        onshi_group *u;
        const char *s;
        onshi_group_get_str(onshi_bulk_reader_header(br), ONSHI_F_SEGMENT_OF_RESULT, &s);
        while (onshi_bulk_reader_next(br, &u) == ONSHI_OK && u != NULL) {
            onshi_group_get_str(u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS, &s);
            for (size_t i = 0; i < onshi_bulk_reader_warning_count(br); i++)
                onshi_bulk_reader_warning_at(br, i, NULL, &s, NULL);
        }
    }
    onshi_bulk_reader_free(br);
    onshi_ctx_free(ctx);
    return 0;
}
