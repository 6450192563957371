/*
 * The in-process virtual My Number Card (tools/onshi-vcard) as a small shared library, for the
 * tests of the language bindings: a test creates a card from the simulator's test PKI files and
 * forwards the library's vendor transmit / reset callbacks to it, so the binding's own callback
 * marshalling is what is tested. Test tooling only: never installed, not part of the ABI.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../tools/onshi-vcard/vcard.h"
#include "../../tools/onshi-vcard/vcard_pki.h"

#include <stdlib.h>

#define TC_API __attribute__((visibility("default")))

typedef struct testcard {
    vcard *card;
    vcard_material mat;
} testcard;

/* A card holding the auth certificate `cert` (DER or PEM), its key `key`, the CA `ca`; PIN
 * `pin` (NULL: "1234") with `tries` tries (0: 3). Returns 0, or -1 (unreadable file or card
 * error). */
TC_API int testcard_new(testcard **out, const char *cert, const char *key, const char *ca,
                        const char *pin, int tries)
{
    const char *failed = NULL;
    vcard_config cfg;
    testcard *t;
    if (!out)
        return -1;
    *out = NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    if (vcard_material_load(&t->mat, cert, key, ca, &failed) != 0) {
        free(t);
        return -1;
    }
    vcard_material_config(&cfg, &t->mat);
    cfg.pin = pin;
    cfg.tries = tries;
    if (vcard_new(&t->card, &cfg, NULL, 0) != 0) {
        vcard_material_free(&t->mat);
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

TC_API void testcard_free(testcard *t)
{
    if (!t)
        return;
    vcard_free(t->card);
    vcard_material_free(&t->mat);
    free(t);
}

/* onshi_card_transmit_cb / onshi_card_reset_cb of the card (what the binding's callback
 * forwards to). */
TC_API int testcard_transmit(testcard *t, const unsigned char *cmd, size_t cmd_len,
                             unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    return vcard_transmit_cb(t->card, cmd, cmd_len, resp, resp_cap, resp_len);
}

TC_API int testcard_reset(testcard *t)
{
    return vcard_reset_cb(t->card);
}

/* Counters: successful signatures, My Number reads (always 0 through libonshi), PIN tries
 * left. */
TC_API long testcard_signs(const testcard *t)
{
    vcard_stats s;
    vcard_get_stats(t->card, &s);
    return (long)s.signs;
}

TC_API long testcard_mynumber_reads(const testcard *t)
{
    vcard_stats s;
    vcard_get_stats(t->card, &s);
    return (long)(s.mynumber_reads + s.forbidden);
}

TC_API int testcard_tries_left(const testcard *t)
{
    vcard_stats s;
    vcard_get_stats(t->card, &s);
    return s.tries_left;
}
