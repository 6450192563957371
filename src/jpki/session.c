/*
 * The card session: open (detect the JPKI profile by SELECT, never by ATR), close, and the
 * certificate reads. Each public call is one command sequence; the card transaction is held
 * across sequences until the PIN was used (then the card is reset) or an error, so the AP
 * is selected once per session (docs/card.md "Fewest APDUs").
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <stdlib.h>
#include <string.h>

/* Forget everything that holds only while the transaction is held. */
static void forget_held(onshi_card *card)
{
    onshi__jpki_chan_reset(&card->ch);
    card->tries = ONSHI__TRIES_UNKNOWN;
    card->verified = false;
}

int onshi__jpki_seq_begin(onshi_card *card)
{
    int rc = onshi__cancel_check(card->ctx);
    if (rc != ONSHI_OK)
        return rc;
    if (card->reader->in_tx && card->ch.ap_selected) {
        rc = onshi__reader_check(card->reader);
        if (rc == ONSHI_OK)
            return ONSHI_OK; /* still ours: the AP and the current EF are as we left them */
        bool was_verified = card->verified;
        forget_held(card);
        onshi__reader_end(card->reader, was_verified); /* the card is reset or gone */
        if (rc != ONSHI_E_CARD_RESET)
            return rc;
        onshi__log(card->ctx, ONSHI_LOG_INFO, "jpki",
                   "the card was reset while this session held it: selecting the JPKI AP "
                   "again");
    }
    forget_held(card);
    rc = onshi__reader_begin(card->reader);
    if (rc != ONSHI_OK)
        return rc;
    rc = onshi__jpki_select_ap(&card->ch);
    if (rc != ONSHI_OK) {
        forget_held(card);
        onshi__reader_end(card->reader, false);
    }
    return rc;
}

int onshi__jpki_seq_end(onshi_card *card, int rc, bool reset)
{
    /* Kept after success, also when a VERIFY was sent (a phone's certificate read): the
     * verified state then lives only inside our transaction, for the signature that follows,
     * and ends with a reset at the signature, at any error or at onshi_card_free. */
    if (rc == ONSHI_OK && !reset)
        return ONSHI_OK;
    reset = reset || card->verified;
    forget_held(card);
    int erc = onshi__reader_end(card->reader, reset);
    return rc != ONSHI_OK ? rc : erc;
}

/* Read the label of the token file (only when the card does not behave as a card). */
static int read_label(onshi_card *card)
{
    const onshi__jpki_profile *prof = card->ch.prof;
    int rc = onshi__jpki_select_ef(&card->ch, ONSHI__EF_TOKEN);
    if (rc == ONSHI_E_JPKI_FILE_NOT_FOUND)
        return onshi__err(card->ctx, ONSHI_E_JPKI_NOT_JPKI, "the JPKI AP has no token file");
    if (rc != ONSHI_OK)
        return rc;
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    onshi__apdu a = {0x00, 0xB0, 0x00, 0x00, NULL, 0, prof->label_len, false};
    rc = onshi__jpki_send(&card->ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (r.sw != 0x9000)
        return onshi__jpki_sw_err(card->ctx, r.sw, "READ BINARY of the token label");
    if (r.len != prof->label_len)
        return onshi__err(card->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                          "token label is %zu bytes, expected %zu", r.len, prof->label_len);
    size_t n = r.len < sizeof card->label - 1 ? r.len : sizeof card->label - 1;
    while (n > 0 && (r.data[n - 1] == ' ' || r.data[n - 1] == '\0'))
        n--;
    for (size_t i = 0; i < n; i++)
        card->label[i] = (r.data[i] >= 0x20 && r.data[i] < 0x7F) ? (char)r.data[i] : '?';
    card->label[n] = '\0';
    return ONSHI_OK;
}

/* The certificate file refused to be read without the PIN (or is missing): only the token
 * label can say what this is [jpki/myna src/cli.rs run_jpki_cert: the auth PIN first on
 * JPKIAPGPSETOKEN]. `first` is the error of the certificate read, returned for a card. */
static int classify_token(onshi_card *card, int first)
{
    int rc = read_label(card);
    if (rc != ONSHI_OK)
        return rc;
    const onshi__jpki_profile *prof = card->ch.prof;
    for (size_t i = 0; prof->labels[i] != NULL; i++) {
        if (strcmp(card->label, prof->labels[i]) != 0)
            continue;
        if (prof->label_kinds[i] == ONSHI__KIND_ANDROID) {
            card->kind = ONSHI__KIND_ANDROID;
            onshi__log(card->ctx, ONSHI_LOG_INFO, "jpki",
                       "smartphone (%s): the certificate is read after the PIN", card->label);
            return ONSHI_OK;
        }
        return first; /* a card that refused its certificate: what it said stands */
    }
    if (strcmp(card->label, "JPKIAPIOSTOKEN") == 0)
        return onshi__err_ja(card->ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN, ONSHI_FOREIGN_NONE, 0,
                             "iPhone (token JPKIAPIOSTOKEN): its behaviour over a reader is not "
                             "documented in any public source yet, so libonshi does not use it; "
                             "use the card or the face-recognition reader",
                             "iPhone のマイナ保険証（JPKIAPIOSTOKEN）は汎用リーダーでの動作が"
                             "公開資料で確認できないため未対応です。カードまたは顔認証付き"
                             "カードリーダーをご利用ください");
    return onshi__err(card->ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN, "token label \"%s\"",
                      card->label);
}

/* Try each profile in turn: the first whose AP answers. The token label is not read here:
 * a card shows what it is by letting its certificate be read (docs/card.md "Fewest APDUs"). */
static int detect(onshi_card *card)
{
    int rc = ONSHI_E_JPKI_NOT_JPKI;
    for (size_t i = 0; i < onshi__jpki_profile_count(); i++) {
        card->ch.prof = onshi__jpki_profile_at(i);
        rc = onshi__jpki_seq_begin(card);
        if (rc != ONSHI_E_JPKI_NOT_JPKI)
            return onshi__jpki_seq_end(card, rc, false);
    }
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_card_open(onshi_card **out, onshi_ctx *ctx)
{
    if (out == NULL || ctx == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and ctx are required");
    *out = NULL;
    onshi_card *card = onshi__calloc(1, sizeof *card);
    if (card == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "card session");
    card->ctx = ctx;
    int rc = onshi__reader_open(&card->reader, ctx);
    if (rc == ONSHI_OK) {
        card->ch.ctx = ctx;
        card->ch.reader = card->reader;
        card->tries = ONSHI__TRIES_UNKNOWN;
        onshi__jpki_chan_reset(&card->ch);
        rc = detect(card);
    }
    if (rc != ONSHI_OK) {
        onshi_card_free(card);
        return rc;
    }
    onshi__log(ctx, ONSHI_LOG_INFO, "jpki", "%s: JPKI AP (%s)", card->reader->name,
               card->ch.prof->name);
    *out = card;
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_card_free(onshi_card *card)
{
    if (card == NULL)
        return;
    onshi__jpki_pin_forget(card);
    onshi__reader_close(card->reader, card->verified);
    onshi_cert_free(card->auth);
    free(card);
}

ONSHI_API const char *ONSHI_CALL onshi_card_reader_name(const onshi_card *card)
{
    return card && card->reader ? card->reader->name : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_card_token_label(const onshi_card *card)
{
    return card ? card->label : NULL;
}

static int read_cert_file(onshi_card *card, int ef, onshi_cert **out)
{
    onshi_buf der;
    onshi__buf_init(&der, false);
    int rc = ONSHI_OK;
    if (card->ch.cur_ef != ef)
        rc = onshi__jpki_select_ef(&card->ch, ef);
    if (rc == ONSHI_OK)
        rc = onshi__jpki_read_der(&card->ch, &der);
    if (rc == ONSHI_OK)
        rc = onshi__cert_parse(out, card->ctx, der.data, der.len);
    onshi__buf_clear(&der);
    return rc;
}

/* Did the certificate read fail with an answer a token that wants the PIN first may give? */
static bool maybe_needs_pin(int rc, onshi_ctx *ctx)
{
    if (rc != ONSHI_E_JPKI_PIN_REQUIRED && rc != ONSHI_E_JPKI_FILE_NOT_FOUND &&
        rc != ONSHI_E_JPKI_SW)
        return false;
    int kind = 0;
    int64_t v = 0;
    onshi_ctx_last_error_foreign(&kind, &v, ctx);
    return kind == ONSHI_FOREIGN_SW && (v == 0x6982 || v == 0x6A82 || v == 0x6986);
}

int onshi__jpki_cert_probe(onshi_card *card)
{
    if (card->auth != NULL || card->kind == ONSHI__KIND_ANDROID)
        return ONSHI_OK;
    int rc = read_cert_file(card, ONSHI__EF_AUTH_CERT, &card->auth);
    if (rc == ONSHI_OK) {
        card->kind = ONSHI__KIND_CARD;
        return ONSHI_OK;
    }
    if (card->kind == ONSHI__KIND_CARD || !maybe_needs_pin(rc, card->ctx))
        return rc;
    return classify_token(card, rc);
}

int onshi__jpki_auth_cert_in_seq(onshi_card *card)
{
    int rc = onshi__jpki_cert_probe(card);
    if (rc != ONSHI_OK || card->auth != NULL)
        return rc;
    /* Android: the certificate only after the PIN [jpki/myna src/cli.rs, src/jpki.rs
     * test_read_auth_cert_gpse_token]. */
    if (!card->verified) {
        int tries = -1;
        rc = onshi__jpki_pin_tries(card, &tries);
        if (rc == ONSHI_OK)
            rc = onshi__jpki_pin_verify(card, tries);
        if (rc != ONSHI_OK)
            return rc;
    }
    return read_cert_file(card, ONSHI__EF_AUTH_CERT, &card->auth);
}

static int copy_cert(onshi_cert **out, const onshi_cert *c)
{
    onshi_buf *der = NULL;
    int rc = onshi_cert_der(&der, c);
    if (rc == ONSHI_OK)
        rc = onshi__cert_parse(out, NULL, onshi_buf_data(der), onshi_buf_len(der));
    onshi_buf_free(der);
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_card_read_auth_cert(onshi_cert **out, onshi_card *card)
{
    if (out == NULL || card == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    int rc;
    if (card->auth != NULL) {
        /* Read already in this session (a phone's comes with its signature): no APDU, but
         * still the same card in the reader. */
        rc = onshi__reader_check(card->reader);
        if (rc == ONSHI_E_CARD_RESET)
            rc = ONSHI_OK; /* a reset keeps the card, and its certificate */
    } else if ((rc = onshi__jpki_seq_begin(card)) == ONSHI_OK) {
        rc = onshi__jpki_seq_end(card, onshi__jpki_auth_cert_in_seq(card), false);
    }
    if (rc == ONSHI_OK && (rc = copy_cert(out, card->auth)) != ONSHI_OK)
        onshi__err(card->ctx, rc, "certificate copy");
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_card_read_ca_cert(onshi_cert **out, onshi_card *card)
{
    if (out == NULL || card == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK)
        return rc;
    onshi_cert *c = NULL;
    rc = onshi__jpki_seq_end(card, read_cert_file(card, ONSHI__EF_AUTH_CA, &c), false);
    if (rc != ONSHI_OK) {
        onshi_cert_free(c);
        return rc;
    }
    *out = c;
    return ONSHI_OK;
}

int onshi__jpki_copy_cert(onshi_cert **out, const onshi_cert *c)
{
    return copy_cert(out, c);
}
