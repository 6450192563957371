/*
 * The card session: open (detect the JPKI profile by SELECT and token label, never by ATR),
 * close, and the certificate reads. Each public call is one command sequence inside a card
 * transaction that starts by selecting the JPKI AP.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <stdlib.h>
#include <string.h>

int onshi__jpki_seq_begin(onshi_card *card)
{
    int rc = onshi__cancel_check(card->ctx);
    if (rc != ONSHI_OK)
        return rc;
    rc = onshi__reader_begin(card->reader);
    if (rc != ONSHI_OK)
        return rc;
    onshi__jpki_chan_reset(&card->ch);
    rc = onshi__jpki_select_ap(&card->ch);
    if (rc != ONSHI_OK)
        onshi__reader_end(card->reader, false);
    return rc;
}

int onshi__jpki_seq_end(onshi_card *card, int rc, bool reset)
{
    onshi__jpki_chan_reset(&card->ch);
    int erc = onshi__reader_end(card->reader, reset);
    return rc != ONSHI_OK ? rc : erc;
}

/* Read the label of the token file and check it against the profile. */
static int check_token(onshi_card *card)
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
    for (size_t i = 0; prof->labels[i] != NULL; i++)
        if (strcmp(card->label, prof->labels[i]) == 0)
            return ONSHI_OK;
    return onshi__err(card->ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN, "token label \"%s\"",
                      card->label);
}

/* Try each profile in turn: the first whose AP answers and whose label matches. */
static int detect(onshi_card *card)
{
    int rc = ONSHI_E_JPKI_NOT_JPKI;
    for (size_t i = 0; i < onshi__jpki_profile_count(); i++) {
        card->ch.prof = onshi__jpki_profile_at(i);
        rc = onshi__jpki_seq_begin(card);
        if (rc == ONSHI_E_JPKI_NOT_JPKI)
            continue;
        if (rc != ONSHI_OK)
            return rc;
        rc = onshi__jpki_seq_end(card, check_token(card), false);
        if (rc == ONSHI_OK || rc != ONSHI_E_JPKI_NOT_JPKI)
            return rc;
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
        onshi__jpki_chan_reset(&card->ch);
        rc = detect(card);
    }
    if (rc != ONSHI_OK) {
        onshi_card_free(card);
        return rc;
    }
    onshi__log(ctx, ONSHI_LOG_INFO, "jpki", "%s: %s card (%s)", card->reader->name,
               card->label, card->ch.prof->name);
    *out = card;
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_card_free(onshi_card *card)
{
    if (card == NULL)
        return;
    onshi__reader_close(card->reader, false);
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
    int rc = onshi__jpki_select_ef(&card->ch, ef);
    if (rc == ONSHI_OK)
        rc = onshi__jpki_read_der(&card->ch, &der);
    if (rc == ONSHI_OK)
        rc = onshi__cert_parse(out, card->ctx, der.data, der.len);
    onshi__buf_clear(&der);
    return rc;
}

int onshi__jpki_auth_cert_in_seq(onshi_card *card)
{
    if (card->auth != NULL)
        return ONSHI_OK;
    return read_cert_file(card, ONSHI__EF_AUTH_CERT, &card->auth);
}

static int read_cert(onshi_cert **out, onshi_card *card, int ef)
{
    if (out == NULL || card == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK)
        return rc;
    onshi_cert *c = NULL;
    rc = onshi__jpki_seq_end(card, read_cert_file(card, ef, &c), false);
    if (rc != ONSHI_OK) {
        onshi_cert_free(c);
        return rc;
    }
    *out = c;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_card_read_auth_cert(onshi_cert **out, onshi_card *card)
{
    int rc = read_cert(out, card, ONSHI__EF_AUTH_CERT);
    if (rc != ONSHI_OK)
        return rc;
    /* Keep a copy to verify later signatures without reading the card again. */
    onshi_cert_free(card->auth);
    card->auth = NULL;
    onshi_buf *der = NULL;
    if (onshi_cert_der(&der, *out) == ONSHI_OK)
        onshi__cert_parse(&card->auth, NULL, onshi_buf_data(der), onshi_buf_len(der));
    onshi_buf_free(der);
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_card_read_ca_cert(onshi_cert **out, onshi_card *card)
{
    return read_cert(out, card, ONSHI__EF_AUTH_CA);
}
