// onshi.h must compile as C++ (extern "C", no C-only constructs).
#include "onshi.h"
#include "onshi_transport.h"

int header_cxx_probe();
int header_cxx_probe()
{
    onshi_ctx *ctx = nullptr;
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    if (cbs.version != ONSHI_CALLBACKS_VERSION)
        return 1;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    const char *msg = onshi_ctx_last_error_message(ctx);
    onshi_ctx_free(ctx);
    return msg == nullptr;
}
