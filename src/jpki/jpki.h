/*
 * jpki/ — ISO 7816-4 APDUs, the JPKI card profile, the allowlisted command channel, PIN,
 * signature and X.509 certificates. Facts: docs/card.md and the profile table (profile.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_JPKI_H
#define ONSHI_JPKI_H

#include "card/card.h"
#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- APDU codec (apdu.c) -------------------------------------------------------------- */

/* A command APDU. le: 0 = no Le field; 1..65536 = bytes expected (256 is short "00",
 * 65536 is extended "00 00"). Lc > 255, Le > 256 or `extended` give the extended form. */
typedef struct onshi__apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    size_t le;
    bool extended;
} onshi__apdu;

/* ISO 7816-3 case 1..4 of a command (by the presence of Lc and Le). */
int onshi__apdu_case(const onshi__apdu *a);
/* Encode into out; ONSHI_E_JPKI_APDU_ENCODE when it cannot be encoded or does not fit. */
int onshi__apdu_encode(const onshi__apdu *a, uint8_t *out, size_t cap, size_t *len);
/* Parse a command APDU (a->data points into buf); ONSHI_E_JPKI_BAD_RESPONSE if malformed. */
int onshi__apdu_parse(onshi__apdu *a, const uint8_t *buf, size_t len);

/* A response APDU: data then SW1 SW2. */
typedef struct onshi__rapdu {
    const uint8_t *data;
    size_t len;
    uint16_t sw;
} onshi__rapdu;
int onshi__rapdu_parse(onshi__rapdu *r, const uint8_t *buf, size_t len);

/* ---- card profile (profile.c) --------------------------------------------------------- */

/* The files a profile names. The only files the channel may ever select. */
enum onshi__jpki_ef {
    ONSHI__EF_TOKEN,     /* token info; label in the first bytes */
    ONSHI__EF_AUTH_CERT, /* user-authentication certificate */
    ONSHI__EF_AUTH_CA,   /* its CA certificate */
    ONSHI__EF_AUTH_KEY,  /* user-authentication private key */
    ONSHI__EF_AUTH_PIN,  /* user-authentication PIN */
    ONSHI__EF_COUNT
};

/* How the card signs. */
enum onshi__jpki_mech {
    ONSHI__MECH_RSA_PKCS1_DIGESTINFO = 1 /* data = DER DigestInfo, card pads PKCS#1 v1.5 */
};

typedef struct onshi__jpki_profile {
    const char *name;
    uint8_t aid[16];
    size_t aid_len;
    uint16_t ef[ONSHI__EF_COUNT];
    size_t label_len;             /* bytes of the token file holding the label */
    const char *labels[6];        /* token labels this profile accepts (NULL-terminated) */
    int label_kinds[6];           /* ONSHI__KIND_* of each label */
    int pin_max_tries;
    size_t pin_min_len, pin_max_len;
    bool pin_digits_only;
    uint8_t verify_p2;            /* VERIFY P2: key of the current EF */
    uint8_t sign_cla, sign_ins, sign_p1, sign_p2;
    int sign_mech;                /* ONSHI__MECH_* */
    int sign_hash;                /* ONSHI_HASH_* the card accepts */
    const char *policy_arc;       /* certificatePolicies OIDs accepted under this arc */
} onshi__jpki_profile;

size_t onshi__jpki_profile_count(void);
const onshi__jpki_profile *onshi__jpki_profile_at(size_t i);

/* ---- allowlisted channel (channel.c) ------------------------------------------------- */

typedef struct onshi__jpki_chan {
    onshi_ctx *ctx;
    onshi__reader *reader;
    const onshi__jpki_profile *prof;
    unsigned long apdus; /* commands sent (statistics, tests) */
    bool ap_selected;    /* the profile's AP was selected in this transaction */
    int cur_ef;          /* ONSHI__EF_* the channel selected last, -1 none */
} onshi__jpki_chan;

/* Forget what is selected: call at the start of every transaction. */
void onshi__jpki_chan_reset(onshi__jpki_chan *ch);

/* Is this encoded command allowed by the profile? Every command goes through this check
 * right before it is transmitted; why (static) names the reason of a refusal. */
bool onshi__jpki_allowed(const onshi__jpki_profile *prof, const uint8_t *cmd, size_t len,
                         const char **why);

/* The only ways to SELECT: the profile's AP, or one of the profile's EFs by role. */
int onshi__jpki_select_ap(onshi__jpki_chan *ch);
int onshi__jpki_select_ef(onshi__jpki_chan *ch, int ef);
/* Send any other command (READ BINARY, VERIFY, SIGN). SELECT is refused here. resp must
 * hold ONSHI__RESP_MAX bytes; r points into it. */
int onshi__jpki_send(onshi__jpki_chan *ch, const onshi__apdu *a, uint8_t *resp,
                     onshi__rapdu *r);
/* Error for an unexpected status word (6A82 → FILE_NOT_FOUND, ...), SW as foreign detail. */
int onshi__jpki_sw_err(onshi_ctx *ctx, uint16_t sw, const char *what);
/* Trace line of a command with VERIFY data masked, into out (size >= 64). */
void onshi__jpki_trace_fmt(char *out, size_t cap, const uint8_t *cmd, size_t len);

/* Read a whole transparent EF holding one DER object (certificate) of the current EF. */
int onshi__jpki_read_der(onshi__jpki_chan *ch, onshi_buf *out);

/* ---- certificates (cert.c) ------------------------------------------------------------ */
int onshi__cert_parse(onshi_cert **out, onshi_ctx *ctx, const unsigned char *der, size_t len);
/* Verify sig over hash with the certificate's key: ONSHI_OK or ONSHI_E_JPKI_SIGNATURE. */
int onshi__cert_verify_sig(onshi_ctx *ctx, const onshi_cert *cert, int hash_alg,
                           const unsigned char *hash, size_t hash_len, const unsigned char *sig,
                           size_t sig_len);

/* ---- per-context JPKI state (ONSHI__SLOT_JPKI) ---------------------------------------- */
typedef struct onshi__jpki_state {
    /* The only place a PIN is ever written: library-owned, wiped right after each VERIFY
     * (and at onshi_ctx_free). Kept off the stack so no copy lingers in a dead frame. */
    char pin[ONSHI_PIN_BUF_SIZE];
} onshi__jpki_state;
onshi__jpki_state *onshi__jpki_state_get(onshi_ctx *ctx, bool create);

/* ---- the card session (session.c, pin.c, sign.c) -------------------------------------- */

/* What the session learned about the token. */
enum onshi__jpki_kind {
    ONSHI__KIND_UNKNOWN = 0, /* nothing read yet */
    ONSHI__KIND_CARD,        /* the certificate is readable without the PIN (a card) */
    ONSHI__KIND_ANDROID      /* JPKIAPGPSETOKEN: the certificate only after the PIN */
};

#define ONSHI__TRIES_UNKNOWN (-2)

struct onshi_card {
    onshi_ctx *ctx;
    onshi__reader *reader;
    onshi__jpki_chan ch;
    char label[40];   /* token label, when it had to be read ("" otherwise) */
    onshi_cert *auth; /* the auth certificate once read: verifies signatures */
    int kind;         /* ONSHI__KIND_* */
    /* Valid only while the card transaction is held (ch.ap_selected): */
    int tries;        /* PIN status last read, ONSHI__TRIES_UNKNOWN when not read */
    bool verified;    /* a VERIFY was sent in this transaction: it ends with a reset */
    /* A PIN asked ahead (onshi__jpki_pin_ask) waiting in the JPKI state for the VERIFY: */
    bool pin_held;
    int pin_held_tries; /* the tries the callback was told */
};

/* Start a command sequence. The card transaction is held from the first sequence of the
 * session to the first one that ends with a reset or an error (or to onshi_card_free): no
 * other program can send a command in between, so the JPKI AP and the current EF stay as
 * we left them and are not selected again. The driver is asked, without any APDU, whether
 * the card was reset or removed meanwhile (SCardStatus); after a reset the transaction is
 * taken again and the AP selected. */
int onshi__jpki_seq_begin(onshi_card *card);
/* End a sequence: on success (no reset asked) the transaction stays held, also after a
 * VERIFY (a phone's certificate read: the signature that follows needs no second VERIFY);
 * on an error it ends, with a reset when a VERIFY was sent. Keeps the first error. */
int onshi__jpki_seq_end(onshi_card *card, int rc, bool reset);
/* The auth certificate inside a running sequence (cached on the session). On a token whose
 * certificate needs the PIN (Android) this asks the PIN (or uses the one asked ahead) and
 * sets card->verified. */
int onshi__jpki_auth_cert_in_seq(onshi_card *card);
/* The same without ever asking the PIN: reads the certificate of a card, or learns that the
 * token wants the PIN first (card->kind ANDROID, card->auth stays NULL). */
int onshi__jpki_cert_probe(onshi_card *card);
/* PIN: tries left (empty VERIFY on the PIN EF; no APDU when already read in this
 * transaction); -1 when the card does not say. */
int onshi__jpki_pin_tries(onshi_card *card, int *tries);
/* PIN: ask the callback (the last-try rule applies here) and keep the PIN for the next
 * VERIFY of this session. */
int onshi__jpki_pin_ask(onshi_card *card, int tries);
/* PIN: VERIFY once with the PIN asked ahead, or ask now (after onshi__jpki_pin_tries). */
int onshi__jpki_pin_verify(onshi_card *card, int tries);
/* Wipe a PIN asked ahead and not used. */
void onshi__jpki_pin_forget(onshi_card *card);
/* A parsed copy of a certificate. */
int onshi__jpki_copy_cert(onshi_cert **out, const onshi_cert *c);

/* ---- service-facing steps of a verification (sign.c) ---------------------------------- */

/* Read what can be read before the PIN: the certificate (*cert: a copy, NULL on a token
 * that needs the PIN first) and the PIN tries (*tries). One held transaction. */
int onshi__jpki_prepare(onshi_card *card, onshi_cert **cert, int *tries);
/* Computes the hash to sign once the certificate is known. */
typedef int (*onshi__jpki_hash_fn)(void *ud, const onshi_cert *cert, unsigned char *hash,
                                   size_t *hash_len);
/* VERIFY (with the PIN asked ahead, or the callback now), read the certificate if not yet
 * known, hash, sign, reset. *sig and, if cert is not NULL, a copy of the certificate. */
int onshi__jpki_sign_with(onshi_card *card, int hash_alg, onshi__jpki_hash_fn fn, void *ud,
                          onshi_buf **sig, onshi_cert **cert);

#endif
