/*
 * Signature with the user-authentication key, in the session's held transaction: read the
 * auth certificate if not yet known, PIN status (unless already read), PIN, SELECT key,
 * SIGN; then the card is reset so no verified state lingers for another program. On an
 * Android phone the certificate comes after the PIN; when onshi_card_read_auth_cert already
 * sent the VERIFY in this held transaction, the signature follows without a second one. The
 * signature is checked with the certificate's public key before the caller sees it.
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

static int digest_info(const onshi__jpki_profile *prof, onshi_ctx *ctx, int hash_alg,
                       const unsigned char *hash, size_t hash_len, uint8_t *di, size_t *di_len)
{
    size_t k = 0;
    while (k < sizeof digest_infos / sizeof digest_infos[0] && digest_infos[k].alg != hash_alg)
        k++;
    if (k == sizeof digest_infos / sizeof digest_infos[0] || hash_alg != prof->sign_hash ||
        hash_len != digest_infos[k].hash_len)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                          "this card signs ONSHI_HASH_%s hashes only (got alg %d, %zu bytes)",
                          prof->sign_hash == ONSHI_HASH_SHA256 ? "SHA256" : "SHA384", hash_alg,
                          hash_len);
    memcpy(di, digest_infos[k].prefix, 19);
    memcpy(di + 19, hash, hash_len);
    *di_len = 19 + hash_len;
    return ONSHI_OK;
}

int onshi__jpki_prepare(onshi_card *card, onshi_cert **cert, int *tries)
{
    *cert = NULL;
    *tries = -1;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK)
        return rc;
    /* A card lets its certificate be read; a smartphone refuses (6982) and names itself in
     * its token label; the PIN is not asked here. */
    rc = onshi__jpki_cert_probe(card);
    if (rc == ONSHI_OK)
        rc = onshi__jpki_pin_tries(card, tries);
    rc = onshi__jpki_seq_end(card, rc, false);
    if (rc == ONSHI_OK && card->auth != NULL &&
        (rc = onshi__jpki_copy_cert(cert, card->auth)) != ONSHI_OK)
        onshi__err(card->ctx, rc, "certificate copy");
    return rc;
}

int onshi__jpki_sign_with(onshi_card *card, int hash_alg, onshi__jpki_hash_fn fn, void *ud,
                          onshi_buf **out, onshi_cert **cert)
{
    *out = NULL;
    if (cert != NULL)
        *cert = NULL;
    if (onshi__callbacks(card->ctx)->pin == NULL)
        return onshi__err(card->ctx, ONSHI_E_NO_CALLBACK,
                          "no PIN callback (onshi_callbacks.pin)");
    onshi_buf sig;
    onshi__buf_init(&sig, false);
    int tries = -1;
    unsigned char hash[64];
    size_t hash_len = sizeof hash;
    uint8_t di[19 + 64];
    size_t di_len = 0;
    int rc = onshi__jpki_seq_begin(card);
    if (rc != ONSHI_OK) {
        onshi__jpki_pin_forget(card);
        return rc;
    }
    /* A card: certificate (if not yet read), PIN status, VERIFY, SELECT key, SIGN. An
     * Android phone: PIN status, VERIFY, certificate, SELECT key, SIGN. */
    rc = onshi__jpki_cert_probe(card);
    if (rc == ONSHI_OK && !card->verified &&
        (rc = onshi__jpki_pin_tries(card, &tries)) == ONSHI_OK)
        rc = onshi__jpki_pin_verify(card, tries);
    if (rc == ONSHI_OK)
        rc = onshi__jpki_auth_cert_in_seq(card); /* after the PIN on Android; cached otherwise */
    if (rc == ONSHI_OK)
        rc = fn(ud, card->auth, hash, &hash_len);
    if (rc == ONSHI_OK)
        rc = digest_info(card->ch.prof, card->ctx, hash_alg, hash, hash_len, di, &di_len);
    if (rc == ONSHI_OK)
        rc = sign_in_seq(card, di, di_len, &sig);
    onshi__jpki_pin_forget(card);
    rc = onshi__jpki_seq_end(card, rc, card->verified);
    if (rc == ONSHI_OK)
        rc = onshi__cert_verify_sig(card->ctx, card->auth, hash_alg, hash, hash_len, sig.data,
                                    sig.len);
    if (rc == ONSHI_OK && cert != NULL &&
        (rc = onshi__jpki_copy_cert(cert, card->auth)) != ONSHI_OK)
        onshi__err(card->ctx, rc, "certificate copy");
    if (rc == ONSHI_OK)
        rc = onshi__buf_detach(&sig, out);
    onshi__buf_clear(&sig);
    return rc;
}

typedef struct given_hash {
    const unsigned char *hash;
    size_t len;
} given_hash;

static int use_given(void *ud, const onshi_cert *cert, unsigned char *hash, size_t *hash_len)
{
    (void)cert;
    const given_hash *g = ud;
    if (g->len > *hash_len)
        return ONSHI_E_INVALID_ARG;
    memcpy(hash, g->hash, g->len);
    *hash_len = g->len;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_card_sign(onshi_buf **out, onshi_card *card, int hash_alg,
                                         const unsigned char *hash, size_t hash_len)
{
    if (out == NULL || card == NULL || hash == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    uint8_t di[19 + 64];
    size_t di_len = 0;
    /* Checked before any APDU. */
    int rc = digest_info(card->ch.prof, card->ctx, hash_alg, hash, hash_len, di, &di_len);
    if (rc != ONSHI_OK)
        return rc;
    given_hash g = {hash, hash_len};
    return onshi__jpki_sign_with(card, hash_alg, use_given, &g, out, NULL);
}
