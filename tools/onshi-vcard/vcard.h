/*
 * onshi-vcard core: a virtual My Number Card (JPKI AP + a decoy 券面事項入力補助AP).
 * Test tooling, not part of libonshi's ABI. One card core used two ways:
 *   - by the onshi-vcard process (main.c), which plugs it into pcscd through vpcd;
 *   - in-process through vcard_transmit_cb, the shape of the library's vendor
 *     transmit callback, for fast tests and the demo.
 * Behaviour follows the JPKI card facts in docs/card.md; docs/virtual-card.md lists what is
 * and is not emulated.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_VCARD_H
#define ONSHI_VCARD_H

#include "onshi.h" /* ONSHI_CALL: the callbacks below match onshi_card_transmit_cb/_reset_cb */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vcard vcard;

/* The ATR the card answers with (OpenSC card-jpki.c's only entry; the SDK never relies on it). */
extern const unsigned char vcard_atr[];
extern const size_t vcard_atr_len;

/* AIDs (DF names) the card holds. */
extern const unsigned char vcard_aid_jpki[10];
extern const unsigned char vcard_aid_kenhojo[10];

/* The fake My Number in 券面事項入力補助AP EF 0001 (never a real one). */
#define VCARD_FAKE_MYNUMBER "999900000001"
/* The sign password (EF 001B, 5 tries) of the signature side, which is emulated only so that
 * clients that insist on it (OpenSC) accept the card. */
#define VCARD_SIGN_PASSWORD "TESTSIGN1"

typedef struct vcard_config {
    const unsigned char *cert_der; /* auth certificate (EF 000A), DER; copied */
    size_t cert_len;
    const unsigned char *ca_der;   /* auth CA certificate (EF 000B), DER; copied */
    size_t ca_len;
    const unsigned char *key;      /* auth private key (EF 0017), PEM (NUL included) or DER */
    size_t key_len;
    const char *pin;               /* auth PIN (EF 0018) and 券面事項入力補助 PIN; NULL: "1234" */
    int tries;                     /* PIN retry counter maximum; 0: 3 */
    unsigned latency_ms;           /* timing model: added to every APDU */
    unsigned sign_ms;              /* timing model: a SIGN takes at least this long */
    int smartphone;                /* VCARD_PHONE_*: a phone held over the reader */
    unsigned long remove_after;    /* in-process: after this many APDUs the card is "removed"
                                      (vcard_transmit_cb answers ONSHI_E_CARD_REMOVED); 0 never */
} vcard_config;

/* Smartphone modes (vcard_config.smartphone). Android [jpki/myna src/jpki.rs
 * setup_gpse_reader, src/cli.rs]: token JPKIAPGPSETOKEN, auth certificate readable only after
 * the auth PIN (modelled answer without it: 6982, the JICSAP "security status not
 * satisfied"). iPhone: token JPKIAPIOSTOKEN; behaviour unsourced, modelled like Android so
 * that a client must recognise it by its label. Neither holds the 券面事項入力補助AP. */
#define VCARD_PHONE_NONE 0
#define VCARD_PHONE_ANDROID 1
#define VCARD_PHONE_IPHONE 2

/* Create a card. Returns 0 or a negative mbedTLS / -1 error (message in errbuf if given). */
int vcard_new(vcard **out, const vcard_config *cfg, char *errbuf, size_t errlen);
void vcard_free(vcard *card);

/* One command APDU → one response APDU (data + SW1 SW2). Returns 0 (a malformed command is
 * answered 6700, as a card would), or -1 only when resp_cap is too small for the answer (then
 * *resp_len is the size that was needed). Sleeps per the timing model. */
int vcard_transmit(vcard *card, const unsigned char *cmd, size_t cmd_len, unsigned char *resp,
                   size_t resp_cap, size_t *resp_len);

/* The library's vendor transmit callback (onshi_card_transmit_cb); userdata is the vcard:
 *   onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
 *   onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
 *   cbs.card_transmit = vcard_transmit_cb; cbs.card_transmit_userdata = card;
 *   cbs.card_reset = vcard_reset_cb; cbs.card_reset_userdata = card;
 *   onshi_ctx_set_callbacks(ctx, &cbs); */
int ONSHI_CALL vcard_transmit_cb(void *userdata, const unsigned char *cmd, size_t cmd_len,
                                 unsigned char *resp, size_t resp_cap, size_t *resp_len);
/* The library's card reset callback (onshi_card_reset_cb): a warm reset of the card. */
int ONSHI_CALL vcard_reset_cb(void *userdata);

/* Power events, as vpcd's control bytes. All three clear the security state and the
 * current DF/EF (the PIN counter lives on). */
#define VCARD_POWER_OFF   0
#define VCARD_POWER_ON    1
#define VCARD_POWER_RESET 2
void vcard_power(vcard *card, int event);

/* APDU log hook: one call per APDU with a line "CMDHEX RESPHEX[ FLAG...]" (VERIFY data shown
 * as '*'), and one call per power event with a line starting '#'. No newline at the end.
 * Flags: FORBIDDEN (a SELECT or read outside the JPKI allowlist), MYNUMBER-READ. */
typedef void (*vcard_log_fn)(void *userdata, const char *line);
void vcard_set_log(vcard *card, vcard_log_fn fn, void *userdata);

/* Counters for tests. */
typedef struct vcard_stats {
    unsigned long apdus;          /* command APDUs answered */
    unsigned long forbidden;      /* SELECTs / reads outside the JPKI allowlist */
    unsigned long mynumber_reads; /* times the fake My Number left the card */
    unsigned long signs;          /* successful signatures */
    int tries_left;               /* auth PIN */
} vcard_stats;
void vcard_get_stats(const vcard *card, vcard_stats *out);

/* Is this SELECT / READ BINARY command outside the JPKI allowlist (JPKI AP by full AID,
 * EFs 0006 000A 000B 0017 0018)? `jpki_current` says whether the JPKI AP is the current DF.
 * Used by the card and by tests that scan an APDU log. */
int vcard_apdu_forbidden(const unsigned char *cmd, size_t cmd_len, int jpki_current);

#ifdef __cplusplus
}
#endif
#endif
