/*
 * Signature with the user-authentication key: one transaction SELECT AP, read the auth
 * certificate if not yet known, PIN status, PIN, SELECT key, SIGN; then the card is reset so
 * no verified state lingers for another program. The signature is checked with the
 * certificate's public key before the caller sees it.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <string.h>

/* DER DigestInfo prefixes (RFC 8017 section 9.2 note 1). */
static const struct {
    int alg;
    size_t hash_len;
    uint8_t prefix[19];
} digest_infos[] = {
    {ONSHI_HASH_SHA256, 32, {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                             0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}},
    {ONSHI_HASH_SHA384, 48, {0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                             0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}},
};

static int sign_in_seq(onshi_card *card, const uint8_t *di, size_t di_len, onshi_buf *sig)
{
    const onshi__jpki_profile *prof = card->ch.prof;
    int rc = onshi__jpki_select_ef(&card->ch, ONSHI__EF_AUTH_KEY);
    if (rc != ONSHI_OK)
        return rc;
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    onshi__apdu a = {prof->sign_cla, prof->sign_ins, prof->sign_p1, prof->sign_p2, di, di_len,
                     256, false};
    rc = onshi__jpki_send(&card->ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (r.sw != 0x9000)
        return onshi__jpki_sw_err(card->ctx, r.sw, "COMPUTE DIGITAL SIGNATURE");
    if (r.len == 0)
        return onshi__err(card->ctx, ONSHI_E_JPKI_BAD_RESPONSE, "empty signature");
    return onshi__buf_append(sig, r.data, r.len);
}

ONSHI_API int ONSHI_CALL onshi_card_sign(onshi_buf **out, onshi_card *card, int hash_alg,
                                         const unsigned char *hash, size_t hash_len)
{
    if (out == NULL || card == NULL || hash == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    const onshi__jpki_profile *prof = card->ch.prof;
    size_t k = 0;
    while (k < sizeof digest_infos / sizeof digest_infos[0] && digest_infos[k].alg != hash_alg)
        k++;
    if (k == sizeof digest_infos / sizeof digest_infos[0] || hash_alg != prof->sign_hash ||
        hash_len != digest_infos[k].hash_len)
        return onshi__err(card->ctx, ONSHI_E_INVALID_ARG,
                          "this card signs ONSHI_HASH_%s hashes only (got alg %d, %zu bytes)",
                          prof->sign_hash == ONSHI_HASH_SHA256 ? "SHA256" : "SHA384", hash_alg,
                          hash_len);
    if (onshi__callbacks(card->ctx)->pin == NULL)
        return onshi__err(card->ctx, ONSHI_E_NO_CALLBACK,
                          "no PIN callback (onshi_callbacks.pin)");
    uint8_t di[19 + 64];
    memcpy(di, digest_infos[k].prefix, 19);
    memcpy(di + 19, hash, hash_len);

    onshi_buf sig;
    onshi__buf_init(&sig, false);
    bool reset = false;
    int tries = -1;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK)
        return rc;
    rc = onshi__jpki_auth_cert_in_seq(card);
    if (rc == ONSHI_OK)
        rc = onshi__jpki_pin_tries(card, &tries);
    if (rc == ONSHI_OK) {
        reset = true; /* from here on the card may hold a verified state */
        rc = onshi__jpki_pin_verify(card, tries);
    }
    if (rc == ONSHI_OK)
        rc = sign_in_seq(card, di, 19 + hash_len, &sig);
    rc = onshi__jpki_seq_end(card, rc, reset);
    if (rc == ONSHI_OK)
        rc = onshi__cert_verify_sig(card->ctx, card->auth, hash_alg, hash, hash_len, sig.data,
                                    sig.len);
    if (rc == ONSHI_OK)
        rc = onshi__buf_detach(&sig, out);
    onshi__buf_clear(&sig);
    return rc;
}
