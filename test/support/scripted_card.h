/*
 * A scripted-APDU reader for unit tests (as OpenSC's replay reader and myna-card's
 * MockTransport): expected command → answer pairs, every command recorded. It plugs into
 * libonshi through the public vendor transmit callback, so tests drive the real code path.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_SCRIPTED_CARD_H
#define ONSHI_TEST_SCRIPTED_CARD_H

#include "onshi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds a dynamic answer; returns 0 or a transmit-callback error. */
typedef int (*sc_handler)(void *arg, const uint8_t *cmd, size_t len, uint8_t *resp,
                          size_t cap, size_t *rlen);

#define SC_MAX_STEPS 256
#define SC_MAX_CMD 300

typedef struct sc_step {
    uint8_t cmd[SC_MAX_CMD];
    size_t cmd_len;
    bool prefix;        /* cmd is only a prefix of the expected command */
    uint8_t resp[600];
    size_t resp_len;
    int fail;           /* non-zero: the callback returns this (driver error) */
    sc_handler fn;
    void *arg;
} sc_step;

typedef struct scripted_card {
    sc_step steps[SC_MAX_STEPS];
    size_t nsteps, pos;
    uint8_t log[SC_MAX_STEPS][SC_MAX_CMD]; /* every command received, in order */
    size_t log_len[SC_MAX_STEPS];
    size_t nlog;
    bool mismatch;                         /* a command differed from the script */
    char mismatch_msg[800];
    int resets;                            /* calls of the reset callback */
} scripted_card;

void sc_init(scripted_card *sc);
/* The transmit callback itself (ud = the scripted_card), for fakes of other drivers. */
int ONSHI_CALL sc_transmit(void *ud, const unsigned char *cmd, size_t len, unsigned char *resp,
                           size_t cap, size_t *rlen);
/* Use sc as the card of ctx (driver CALLBACK, transmit and reset callbacks). */
void sc_attach(onshi_ctx *ctx, scripted_card *sc);
/* Expect cmd_hex (spaces ignored), answer resp_hex (data + SW). */
void sc_expect_hex(scripted_card *sc, const char *cmd_hex, const char *resp_hex);
/* Expect cmd_hex, answer data (n bytes) + sw. */
void sc_expect(scripted_card *sc, const char *cmd_hex, const uint8_t *data, size_t n,
               uint16_t sw);
/* Expect cmd_hex; the transmit callback fails with rc. */
void sc_expect_fail(scripted_card *sc, const char *cmd_hex, int rc);
/* Expect a command starting with prefix_hex; fn builds the answer. */
void sc_expect_fn(scripted_card *sc, const char *prefix_hex, sc_handler fn, void *arg);
/* All steps used and no mismatch (asserts with cmocka). */
void sc_assert_done(const scripted_card *sc);
/* Was every recorded SELECT one of the JPKI allowlist's (checked independently of the
 * library's own table)? */
bool sc_only_allowed_selects(const scripted_card *sc);
size_t sc_hex(uint8_t *out, size_t cap, const char *hex);

/* ---- JPKI scripts -------------------------------------------------------------------- */
#define SC_SELECT_AP "00A4040C0AD392F000260100000001"
#define SC_SELECT_TOKEN "00A4020C020006"
#define SC_SELECT_AUTH_CERT "00A4020C02000A"
#define SC_SELECT_AUTH_CA "00A4020C02000B"
#define SC_SELECT_AUTH_KEY "00A4020C020017"
#define SC_SELECT_AUTH_PIN "00A4020C020018"
#define SC_PIN_STATUS "00200080"

/* onshi_card_open: the JPKI AP is selected, nothing else (the label is not read). */
void sc_script_open(scripted_card *sc);
/* The token label read (SELECT 0006 + READ BINARY of 32 bytes answering label): what the SDK
 * does only when the certificate cannot be read without the PIN. */
void sc_script_label(scripted_card *sc, const char *label);
/* Reads of a whole file in 256-byte chunks (file content = data, n bytes), as the library
 * is expected to issue them after SELECT of the EF. */
void sc_script_read(scripted_card *sc, const uint8_t *data, size_t n);

#endif
