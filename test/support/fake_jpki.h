/*
 * Test doubles for the card-verification workflow (until onshi-sim is on main): the virtual card core (tools/onshi-vcard) behind the vendor transmit callback with
 * a removal at a chosen APDU, and an in-process HTTPS server (mbedTLS, client certificate required) that speaks
 * the card-authentication and disaster-search extensions of docs/protocol.md §7-§8 with
 * independent checks (its own to-be-signed bytes, real signature verification).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_FAKE_JPKI_H
#define ONSHI_TEST_FAKE_JPKI_H

#include "onshi.h"
#include "../../tools/onshi-vcard/vcard_pki.h"

#include <stdbool.h>
#include <stddef.h>

/* The virtual card of tools/onshi-vcard, plugged in through the vendor transmit callback,
 * with a removal injected at a chosen APDU and a count of PIN verifications. */
typedef struct fake_card {
    vcard *card;
    int remove_at;          /* answer ONSHI_E_CARD_REMOVED from this APDU number on (0: never) */
    int remove_on_sign;     /* pulled out when the signature command arrives */
    unsigned long apdus, verifies, resets;
    /* Every command in order, by INS ("A4 B0 20 2A ..."), a SELECT with its target
     * ("A4:AP", "A4:000A"): the sequence the tests assert. */
    char trace[1024];
} fake_card;

/* A fresh card (PIN "1234", 3 tries) holding the certificates and key of m (borrowed;
 * vcard_material_generate makes one). */
void fake_card_init(fake_card *c, const vcard_material *m);
/* The same as a smartphone (VCARD_PHONE_ANDROID / _IPHONE). */
void fake_card_init_phone(fake_card *c, const vcard_material *m, int smartphone);
void fake_card_free(fake_card *c);
/* Spend n tries with a wrong PIN (0 left = locked). */
void fake_card_spend_tries(fake_card *c, int n);
/* Driver CALLBACK, transmit and reset callbacks on ctx. */
void fake_card_attach(onshi_ctx *ctx, fake_card *c);

typedef struct fake_server fake_server;
typedef struct fake_server_cfg {
    const char *methods;    /* IdentityVerificationMethod values allowed, default "123" */
    int disaster_open;      /* 1: open, 0: closed (DS001) */
    int disaster_matches;   /* persons the search finds: 0 DS003, 1 result, >1 DS002 */
    int clock_skew_s;       /* the server's clock runs ahead by this much (CA002 when large) */
    int tbs_version;        /* the to-be-signed header the server expects (1; 2 → CA008) */
} fake_server_cfg;

/* Start on 127.0.0.1, kernel-chosen port; writes a TLS test PKI into a temporary folder.
 * The server accepts the card certificate of `card` and verifies with its key. */
fake_server *fake_server_start(const fake_server_cfg *cfg, const vcard_material *card);
void fake_server_stop(fake_server *s);
/* Configure ctx for the server: HTTPS transport, URL, CA, client certificate, institution. */
void fake_server_setup_ctx(fake_server *s, onshi_ctx *ctx);
void fake_server_set_cfg(fake_server *s, const fake_server_cfg *cfg);

typedef struct fake_server_stats {
    int challenges, cardauths, disasters;
    char last_body[16384];  /* last POST body to cardauth or disaster */
    char last_key[160];     /* its Idempotency-Key */
    char last_code[8];      /* last ErrorCode answered ("" for success) */
} fake_server_stats;
void fake_server_stats_get(fake_server *s, fake_server_stats *out);

/* The text of element `name` in the last POST body ("" when absent; 0 when absent). */
int fake_server_last_el(fake_server *s, const char *name, char *out, size_t cap);

#endif
