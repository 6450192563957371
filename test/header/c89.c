/* onshi.h must compile as strict C89 (-std=c89 -pedantic -Werror): vendors' old compilers. */
#include "onshi.h"
#include "onshi_transport.h"

int header_c89_probe(void);
int header_c89_probe(void)
{
    onshi_ctx *ctx = 0;
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    onshi_log_cb cb = 0;
    int64_t v = 0;
    (void)cb;
    (void)cbs;
    (void)v;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    onshi_ctx_free(ctx);
    return onshi_status_band(ONSHI_E_CANCELLED) == ONSHI_BAND_CALLBACK ? 0 : 1;
}
