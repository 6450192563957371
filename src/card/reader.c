/*
 * Reader access common to every driver: choosing the driver, waiting for a card, the
 * transaction bracket, and the public calls of the card layer that need no JPKI.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "card/card.h"

#include <stdlib.h>
#include <string.h>

int onshi__card_event(onshi_ctx *ctx, int event, const char *reader)
{
    onshi__log(ctx, ONSHI_LOG_INFO, "card", "%s: card %s", reader,
               event == ONSHI_CARD_EVENT_INSERTED ? "inserted" : "removed");
    const onshi_callbacks *cbs = onshi__callbacks(ctx);
    if (cbs->card_event == NULL)
        return ONSHI_OK;
    if (cbs->card_event(cbs->card_event_userdata, event, reader) != 0)
        return onshi__err(ctx, ONSHI_E_CANCELLED, "cancelled by the card event callback");
    return ONSHI_OK;
}

bool onshi__reader_name_matches(const char *pattern, const char *name)
{
    if (pattern == NULL || *pattern == '\0')
        return true;
    return strncmp(name, pattern, strlen(pattern)) == 0;
}

const onshi__reader_ops *onshi__reader_driver(const onshi_ctx *ctx)
{
    return onshi__opt_int(ctx, ONSHI_OPT_CARD_DRIVER) == ONSHI_CARD_DRIVER_CALLBACK
               ? &onshi__drv_callback
               : &onshi__drv_pcsc;
}

ONSHI_API int ONSHI_CALL onshi_card_readers(onshi_buf **out, size_t *count, onshi_ctx *ctx)
{
    if (out == NULL || ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (count)
        *count = 0;
    onshi_buf b;
    onshi__buf_init(&b, false);
    size_t n = 0;
    int rc = onshi__reader_driver(ctx)->list(ctx, &b, &n);
    if (rc == ONSHI_OK)
        rc = onshi__buf_detach(&b, out);
    onshi__buf_clear(&b);
    if (rc == ONSHI_OK && count)
        *count = n;
    return rc;
}

static int wait_timeout(const onshi_ctx *ctx, int timeout_ms)
{
    return timeout_ms < 0 ? (int)onshi__opt_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS)
                          : timeout_ms;
}

ONSHI_API int ONSHI_CALL onshi_card_wait(int *event, onshi_ctx *ctx, int want,
                                         int timeout_ms)
{
    if (ctx == NULL || want < ONSHI_CARD_EVENT_ANY || want > ONSHI_CARD_EVENT_REMOVED)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "want must be ONSHI_CARD_EVENT_*");
    int ev = 0;
    char *name = NULL;
    int rc = onshi__cancel_check(ctx);
    if (rc == ONSHI_OK)
        rc = onshi__reader_driver(ctx)->wait(ctx, onshi__opt_str(ctx, ONSHI_OPT_CARD_READER),
                                             want, wait_timeout(ctx, timeout_ms), &ev, &name);
    free(name);
    if (event)
        *event = rc == ONSHI_OK ? ev : 0;
    return rc;
}

int onshi__reader_open(onshi__reader **out, onshi_ctx *ctx)
{
    *out = NULL;
    const onshi__reader_ops *ops = onshi__reader_driver(ctx);
    int rc = onshi__cancel_check(ctx);
    if (rc != ONSHI_OK)
        return rc;
    int ev = 0;
    char *name = NULL;
    rc = ops->wait(ctx, onshi__opt_str(ctx, ONSHI_OPT_CARD_READER), ONSHI_CARD_EVENT_INSERTED,
                   wait_timeout(ctx, -1), &ev, &name);
    if (rc != ONSHI_OK) {
        free(name);
        return rc;
    }
    onshi__reader *r = onshi__calloc(1, sizeof *r);
    if (r == NULL) {
        free(name);
        return onshi__err(ctx, ONSHI_E_NOMEM, "reader");
    }
    r->ops = ops;
    r->ctx = ctx;
    r->name = name;
    rc = ops->connect(r, name);
    if (rc != ONSHI_OK) {
        free(r->name);
        free(r);
        return rc;
    }
    onshi__log(ctx, ONSHI_LOG_DEBUG, "card", "connected to %s (%s driver)", r->name,
               ops->name);
    *out = r;
    return ONSHI_OK;
}

void onshi__reader_close(onshi__reader *r, bool reset)
{
    if (r == NULL)
        return;
    if (r->in_tx)
        r->ops->end(r, reset);
    r->ops->disconnect(r, reset);
    free(r->name);
    free(r);
}

int onshi__reader_begin(onshi__reader *r)
{
    int rc = r->ops->begin(r);
    r->in_tx = rc == ONSHI_OK;
    return rc;
}

int onshi__reader_end(onshi__reader *r, bool reset)
{
    if (!r->in_tx)
        return ONSHI_OK;
    r->in_tx = false;
    return r->ops->end(r, reset);
}

/* While we hold the transaction only the system can reset the card: Windows does so when a
 * transaction stays idle for more than five seconds (Microsoft, SCardBeginTransaction
 * remarks). Within a second of our last command that cannot have happened, and a removal
 * shows at the next transmit anyway, so the driver is not asked then (one IPC round trip
 * less per call of a session, docs/card.md "Transactions"). */
#define ONSHI__HELD_FRESH_MS 1000

int onshi__reader_check(onshi__reader *r)
{
    if (r->in_tx && r->last_ms != 0 && onshi__now_ms() - r->last_ms < ONSHI__HELD_FRESH_MS)
        return ONSHI_OK;
    return r->ops->check(r);
}

int onshi__reader_transmit(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                           unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    *resp_len = 0;
    int rc = r->ops->transmit(r, cmd, cmd_len, resp, resp_cap, resp_len);
    r->last_ms = onshi__now_ms();
    if (rc == ONSHI_OK && (*resp_len < 2 || *resp_len > resp_cap))
        return onshi__err(r->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                          "the reader returned %zu bytes (need SW1 SW2)", *resp_len);
    return rc;
}
