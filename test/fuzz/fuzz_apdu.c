/* Fuzz target: APDU and status-word handling through a fuzz card. The transmit callback
 * answers each command with the next record of the input (1 length byte, then that many
 * bytes, data then SW1 SW2); the SDK opens the card, reads the auth and CA certificates and
 * the PIN tries left. The PIN is never verified (no PIN is ever sent by this target). */
#include "onshi.h"
#include "../support/api.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct feed {
    const uint8_t *p;
    size_t n, off;
    unsigned calls;
} feed;

static int ONSHI_CALL transmit(void *ud, const unsigned char *cmd, size_t cmd_len,
                               unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    feed *f = ud;
    (void)cmd;
    (void)cmd_len;
    if (++f->calls > 4096 || f->off >= f->n)
        return ONSHI_E_CARD_REMOVED; /* the card is gone when the input ends */
    size_t len = f->p[f->off++];
    if (len > f->n - f->off)
        len = f->n - f->off;
    if (len > resp_cap)
        len = resp_cap;
    memcpy(resp, f->p + f->off, len);
    f->off += len;
    *resp_len = len; /* may be < 2: the SDK must refuse it */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    feed f = {data, size, 0, 0};
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 0);
    tcb_set_card_transmit(ctx, transmit, &f);
    onshi_card *card = NULL;
    if (onshi_card_open(&card, ctx) == ONSHI_OK) {
        onshi_cert *c = NULL;
        if (onshi_card_read_auth_cert(&c, card) == ONSHI_OK) {
            (void)onshi_cert_subject(c);
            onshi_cert_free(c);
        }
        int tries = 0;
        onshi_card_pin_tries_left(&tries, card);
        if (onshi_card_read_ca_cert(&c, card) == ONSHI_OK)
            onshi_cert_free(c);
        (void)onshi_card_token_label(card);
        onshi_card_free(card);
    }
    onshi_ctx_free(ctx);
    return 0;
}
