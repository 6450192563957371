/*
 * Vendor transmit-callback driver: readers that expose only their own API (face-recognition
 * readers) hand the SDK a function that sends one APDU. The vendor's reader serialises
 * access itself, so begin is a no-op; end with reset calls the vendor's reset callback.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "card/card.h"

#include <stdlib.h>
#include <string.h>

#define CB_READER_NAME "callback"

static int cb_status(onshi_ctx *ctx, int cbrc, const char *what)
{
    if (cbrc <= -100 && cbrc >= -199) /* the vendor reported a card-band status itself */
        return onshi__err(ctx, cbrc, "vendor %s callback reported %s", what,
                          onshi_status_name(cbrc) ? onshi_status_name(cbrc) : "an error");
    return onshi__err_foreign(ctx, ONSHI_E_CARD_DRIVER, ONSHI_FOREIGN_NONE, cbrc,
                              "vendor %s callback returned %d", what, cbrc);
}

static const onshi_callbacks *need_cb(onshi_ctx *ctx)
{
    const onshi_callbacks *st = onshi__callbacks(ctx);
    if (st->card_transmit == NULL) {
        onshi__err(ctx, ONSHI_E_NO_CALLBACK,
                   "ONSHI_OPT_CARD_DRIVER is CALLBACK but no transmit callback is set "
                   "(onshi_callbacks.card_transmit)");
        return NULL;
    }
    return st;
}

static int cb_list(onshi_ctx *ctx, onshi_buf *names, size_t *count)
{
    if (need_cb(ctx) == NULL)
        return ONSHI_E_NO_CALLBACK;
    *count = 1;
    return onshi__buf_append(names, CB_READER_NAME "\0", sizeof CB_READER_NAME + 1);
}

static int cb_wait(onshi_ctx *ctx, const char *pattern, int want, int timeout_ms, int *event,
                   char **reader_out)
{
    (void)pattern;
    (void)timeout_ms;
    if (need_cb(ctx) == NULL)
        return ONSHI_E_NO_CALLBACK;
    if (want == ONSHI_CARD_EVENT_REMOVED || want == ONSHI_CARD_EVENT_ANY)
        return onshi__err(ctx, ONSHI_E_UNSUPPORTED,
                          "the transmit-callback driver cannot watch card removal");
    /* The vendor's reader owns presence: a missing card shows up as the callback's error. */
    *event = ONSHI_CARD_EVENT_INSERTED;
    *reader_out = onshi__strdup(CB_READER_NAME);
    return *reader_out ? ONSHI_OK : onshi__err(ctx, ONSHI_E_NOMEM, "reader name");
}

static int cb_connect(onshi__reader *r, const char *name)
{
    (void)name;
    const onshi_callbacks *st = need_cb(r->ctx);
    if (st == NULL)
        return ONSHI_E_NO_CALLBACK;
    r->drv = (void *)st;
    return ONSHI_OK;
}

static int cb_begin(onshi__reader *r)
{
    (void)r;
    return ONSHI_OK;
}

static int cb_reset(onshi__reader *r)
{
    const onshi_callbacks *st = r->drv;
    if (st->card_reset == NULL) {
        onshi__log(r->ctx, ONSHI_LOG_WARN, "card",
                   "no reset callback: the card cannot be reset after signing");
        return ONSHI_OK;
    }
    int cbrc = st->card_reset(st->card_reset_userdata);
    return cbrc == 0 ? ONSHI_OK : cb_status(r->ctx, cbrc, "reset");
}

static int cb_end(onshi__reader *r, int reset)
{
    return reset ? cb_reset(r) : ONSHI_OK;
}

static int cb_transmit(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                       unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    const onshi_callbacks *st = r->drv;
    size_t n = 0;
    int cbrc = st->card_transmit(st->card_transmit_userdata, cmd, cmd_len, resp, resp_cap, &n);
    if (cbrc != 0)
        return cb_status(r->ctx, cbrc, "transmit");
    *resp_len = n;
    return ONSHI_OK;
}

static void cb_disconnect(onshi__reader *r, int reset)
{
    (void)r;
    (void)reset; /* the reset, if any, happened at the end of the transaction */
}

/* The vendor's reader serialises access itself and no other program talks to the card
 * between our commands (docs/card.md): nothing to check without an APDU. */
static int cb_check(onshi__reader *r)
{
    (void)r;
    return ONSHI_OK;
}

const onshi__reader_ops onshi__drv_callback = {
    "callback", cb_list,       cb_wait,      cb_connect, cb_begin, cb_end,
    cb_transmit, cb_disconnect, cb_check,
};
