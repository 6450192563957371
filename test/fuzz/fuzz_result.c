/* Fuzz target: the result helpers a receipt system calls on a decoded result (outcome
 * check, validity label) and the JSON export of every group kind reachable from the body,
 * on whatever the decoder accepts. */
#include "onshi.h"
#include "../support/api.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void export_all(onshi_ctx *ctx, onshi_group *g, int depth)
{
    if (g == NULL || depth > 4)
        return;
    onshi_buf *j = NULL;
    onshi_group_to_json(&j, ctx, g);
    onshi_buf_free(j);
    for (int kind = 1; kind < 40; kind++) {
        size_t n = onshi_group_count(g, kind);
        for (size_t i = 0; i < n && i < 8; i++) {
            onshi_group *c = NULL;
            if (onshi_group_at(&c, g, kind, i) == ONSHI_OK)
                export_all(ctx, c, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 1 << 20);
    onshi_msg *m = NULL;
    if (onshi_msg_decode(&m, ctx, 0, data, size) == ONSHI_OK) {
        onshi_result_check(ctx, m);
        int v;
        const char *label;
        onshi_result_validity(&v, &label, lang_ctx(1), m);
        onshi_result_validity(&v, &label, lang_ctx(0), m);
        export_all(ctx, onshi_msg_header(m), 0);
        export_all(ctx, onshi_msg_body(m), 0);
        onshi_msg_free(m);
    }
    onshi_ctx_free(ctx);
    return 0;
}
