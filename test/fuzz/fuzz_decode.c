/* Fuzz target: whole-message decoding (any type, guessed from content) and JSON export. */
#include "onshi.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 1 << 20);
    onshi_msg *m = NULL;
    if (onshi_msg_decode(&m, ctx, 0, data, size) == ONSHI_OK) {
        onshi_buf *j = NULL;
        onshi_msg_to_json(&j, ctx, m);
        onshi_buf_free(j);
        onshi_group *b = onshi_msg_body(m), *r;
        for (size_t i = 0; i < onshi_group_count(b, ONSHI_G_RESULT); i++)
            if (onshi_group_at(&r, b, ONSHI_G_RESULT, i) == ONSHI_OK) {
                const char *s;
                onshi_group_get_str(&s, r, ONSHI_F_NAME);
                onshi_group_get_label(&s, NULL, r, ONSHI_F_SEX1);
            }
        onshi_buf *x = NULL;
        onshi_msg_encode(&x, ctx, m);
        onshi_buf_free(x);
        onshi_msg_free(m);
    }
    onshi_ctx_free(ctx);
    return 0;
}
