/*
 * The user-authentication PIN. Rules (domain-rules.md): ask the card how many tries are left
 * (empty VERIFY) before every VERIFY and tell the UI; never retry on our own; with one try
 * left, refuse unless the UI confirms; a locked PIN can only be reset at the municipal office.
 * The PIN lives only in the context's JPKI state buffer, which is wiped on every path.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INS_VERIFY 0x20

static void jpki_state_free(void *p)
{
    onshi__jpki_state *st = p;
    onshi_mem_wipe(st->pin, sizeof st->pin);
    free(st);
}

onshi__jpki_state *onshi__jpki_state_get(onshi_ctx *ctx, bool create)
{
    onshi__jpki_state *st = onshi__slot_get(ctx, ONSHI__SLOT_JPKI);
    if (st == NULL && create) {
        st = onshi__calloc(1, sizeof *st);
        if (st != NULL)
            onshi__slot_set(ctx, ONSHI__SLOT_JPKI, st, jpki_state_free);
    }
    return st;
}

static int locked(onshi_ctx *ctx, uint16_t sw)
{
    char en[200];
    char ja[300];
    snprintf(en, sizeof en,
             "card answered %04X. The patient must take the card to the municipal office "
             "(city/ward office) to have the user-authentication PIN reset",
             sw);
    snprintf(ja, sizeof ja,
             "カードの応答 %04X。利用者証明用電子証明書の暗証番号の初期化は、ご本人がカードを"
             "お持ちのうえ、お住まいの市区町村の窓口で行ってください",
             sw);
    return onshi__err_ja(ctx, ONSHI_E_JPKI_PIN_LOCKED, ONSHI_FOREIGN_SW, sw, en, ja);
}

static bool is_locked_sw(uint16_t sw)
{
    return sw == 0x63C0 || sw == 0x6983 || sw == 0x6984;
}

int onshi__jpki_pin_tries(onshi_card *card, int *tries)
{
    *tries = -1;
    /* Asked already in this held transaction and no VERIFY since: nobody else can have
     * spent a try, so the answer stands (exact, and one APDU less). */
    if (card->tries != ONSHI__TRIES_UNKNOWN && card->ch.cur_ef == ONSHI__EF_AUTH_PIN) {
        *tries = card->tries;
        return ONSHI_OK;
    }
    int rc = ONSHI_OK;
    if (card->ch.cur_ef != ONSHI__EF_AUTH_PIN)
        rc = onshi__jpki_select_ef(&card->ch, ONSHI__EF_AUTH_PIN);
    if (rc != ONSHI_OK)
        return rc;
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    onshi__apdu a = {0x00, INS_VERIFY, 0x00, card->ch.prof->verify_p2, NULL, 0, 0, false};
    rc = onshi__jpki_send(&card->ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (is_locked_sw(r.sw)) {
        *tries = 0;
        return locked(card->ctx, r.sw);
    }
    if ((r.sw & 0xFFF0) == 0x63C0)
        *tries = r.sw & 0x0F;
    else if (r.sw != 0x9000 && r.sw != 0x6300) /* already verified / no retry limit */
        return onshi__jpki_sw_err(card->ctx, r.sw, "PIN status (empty VERIFY)");
    card->tries = *tries;
    return ONSHI_OK;
}

static bool pin_format_ok(const onshi__jpki_profile *prof, const char *pin, size_t len)
{
    if (len < prof->pin_min_len || len > prof->pin_max_len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (prof->pin_digits_only ? (pin[i] < '0' || pin[i] > '9') : (pin[i] < 0x21 || pin[i] > 0x7E))
            return false;
    return true;
}

static int verify_sent(onshi_card *card, const char *pin, size_t len)
{
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    onshi__apdu a = {0x00, INS_VERIFY, 0x00, card->ch.prof->verify_p2, (const uint8_t *)pin, len,
                     0, false};
    int rc = onshi__jpki_send(&card->ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (r.sw == 0x9000)
        return ONSHI_OK;
    if (is_locked_sw(r.sw))
        return locked(card->ctx, r.sw);
    if ((r.sw & 0xFFF0) == 0x63C0) {
        int left = r.sw & 0x0F;
        char en[96], ja[128];
        snprintf(en, sizeof en, "%d %s left before the PIN locks", left,
                 left == 1 ? "try" : "tries");
        snprintf(ja, sizeof ja, "あと%d回間違えるとロックされます", left);
        onshi__log(card->ctx, ONSHI_LOG_INFO, "jpki", "wrong PIN, %d tries left", left);
        return onshi__err_ja(card->ctx, ONSHI_E_JPKI_PIN_WRONG, ONSHI_FOREIGN_TRIES, left, en,
                             ja);
    }
    return onshi__jpki_sw_err(card->ctx, r.sw, "VERIFY");
}

void onshi__jpki_pin_forget(onshi_card *card)
{
    onshi__jpki_state *st = onshi__jpki_state_get(card->ctx, false);
    if (st != NULL)
        onshi_mem_wipe(st->pin, sizeof st->pin);
    card->pin_held = false;
}

int onshi__jpki_pin_ask(onshi_card *card, int tries)
{
    onshi__jpki_pin_forget(card);
    const onshi_callbacks *cbs = onshi__callbacks(card->ctx);
    if (cbs->pin == NULL)
        return onshi__err(card->ctx, ONSHI_E_NO_CALLBACK,
                          "no PIN callback (onshi_callbacks.pin)");
    onshi__jpki_state *st = onshi__jpki_state_get(card->ctx, true);
    if (st == NULL)
        return onshi__err(card->ctx, ONSHI_E_NOMEM, "JPKI state");
    const onshi__jpki_profile *prof = card->ch.prof;
    int is_last = tries == 1;
    int confirm = 0;
    char *pin = st->pin;
    const size_t size = sizeof st->pin;
    int cbrc = cbs->pin(cbs->pin_userdata, tries, is_last, pin, size, &confirm);
    int rc = ONSHI_OK;
    size_t len = strnlen(pin, size);
    if (cbrc != 0)
        rc = onshi__err(card->ctx, ONSHI_E_CANCELLED, "cancelled by the PIN callback");
    else if (is_last && confirm != 1)
        rc = onshi__err_ja(card->ctx, ONSHI_E_JPKI_PIN_LAST_TRY, ONSHI_FOREIGN_TRIES, 1,
                           "a wrong PIN would lock the card; ask the patient, then confirm "
                           "the last try in the PIN callback",
                           "間違えるとロックされます。ご本人に確認のうえ、最後の1回であることを"
                           "承認して再度お試しください");
    else if (len == size || !pin_format_ok(prof, pin, len))
        rc = onshi__err_ja(card->ctx, ONSHI_E_JPKI_PIN_FORMAT, ONSHI_FOREIGN_NONE, 0,
                           "nothing was sent to the card", "カードには送信していません");
    if (rc != ONSHI_OK) {
        onshi_mem_wipe(pin, size);
        return rc;
    }
    card->pin_held = true;
    card->pin_held_tries = tries;
    return ONSHI_OK;
}

int onshi__jpki_pin_verify(onshi_card *card, int tries)
{
    int rc = ONSHI_OK;
    if (!card->pin_held)
        rc = onshi__jpki_pin_ask(card, tries);
    else if (tries != card->pin_held_tries)
        /* The card was reset meanwhile and now says something else than what the person
         * was asked with: the last-try rule would no longer be exact. */
        rc = onshi__err_ja(card->ctx, ONSHI_E_CARD_RESET, ONSHI_FOREIGN_TRIES, tries,
                           "the card's PIN tries changed since the PIN was asked (the card was "
                           "reset by another program); nothing was sent, ask again",
                           "暗証番号の入力後にカードの状態が変わりました（他のアプリによるリセット）。"
                           "カードには送信していません。もう一度お試しください");
    if (rc != ONSHI_OK) {
        onshi__jpki_pin_forget(card);
        return rc;
    }
    onshi__jpki_state *st = onshi__jpki_state_get(card->ctx, false);
    const size_t size = sizeof st->pin;
    card->tries = ONSHI__TRIES_UNKNOWN; /* a VERIFY changes it */
    card->verified = true; /* from here on the transaction ends with a reset, whatever the answer */
    rc = verify_sent(card, st->pin, strnlen(st->pin, size));
    onshi__jpki_pin_forget(card);
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_card_pin_tries_left(int *tries, onshi_card *card)
{
    if (tries == NULL || card == NULL)
        return ONSHI_E_INVALID_ARG;
    *tries = -1;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK)
        return rc;
    return onshi__jpki_seq_end(card, onshi__jpki_pin_tries(card, tries), false);
}
