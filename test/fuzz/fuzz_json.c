/* Fuzz target: building requests from JSON and writing them (UTF-8 and CP932). The first
 * byte picks the message type. */
#include "onshi.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    int type = 1 + data[0] % 29;
    onshi_msg *m = NULL;
    if (onshi_msg_from_json(ctx, &m, type, (const char *)data + 1, size - 1) == ONSHI_OK) {
        for (int enc = ONSHI_ENC_UTF8; enc <= ONSHI_ENC_CP932; enc++) {
            onshi_buf *x = NULL;
            onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, enc);
            if (onshi_msg_encode(ctx, m, &x) == ONSHI_OK) {
                onshi_msg *back = NULL;
                onshi_msg_decode(ctx, &back, type, onshi_buf_data(x), onshi_buf_len(x));
                onshi_msg_free(back);
            }
            onshi_buf_free(x);
        }
        onshi_msg_free(m);
    }
    onshi_ctx_free(ctx);
    return 0;
}
