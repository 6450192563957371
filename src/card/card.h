/*
 * card/ — reader drivers (PC/SC, vendor transmit callback) behind one ops table, as OpenSC's
 * reader drivers. The jpki/ layer above talks to a card only through onshi__reader.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CARD_H
#define ONSHI_CARD_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Answer buffer of the JPKI channel: every JPKI answer is a short APDU (<= 256 data bytes +
 * SW1 SW2); the headroom lets a T=0 GET RESPONSE chain land. Small enough for the stack of
 * a binding's worker thread. */
#define ONSHI__RESP_MAX 1026

typedef struct onshi__reader onshi__reader;

/* One reader driver. Every function records its error on ctx (foreign code kept) and returns
 * a status. Drivers do not know about JPKI. */
typedef struct onshi__reader_ops {
    const char *name;
    /* Reader names as a multi-string (each NUL-terminated, then one more NUL). */
    int (*list)(onshi_ctx *ctx, onshi_buf *names, size_t *count);
    /* Block until `want` (ONSHI_CARD_EVENT_*) holds for a reader matching `pattern` (NULL or
     * "": any), at most timeout_ms. *reader_out (malloc'ed, may be NULL) names the reader
     * that ended the wait. */
    int (*wait)(onshi_ctx *ctx, const char *pattern, int want, int timeout_ms, int *event,
                char **reader_out);
    int (*connect)(onshi__reader *r, const char *reader_name);
    /* Exclusive access for one command sequence (SCardBeginTransaction). */
    int (*begin)(onshi__reader *r);
    /* End the sequence; reset != 0 resets the card (no verified state lingers). */
    int (*end)(onshi__reader *r, int reset);
    int (*transmit)(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                    unsigned char *resp, size_t resp_cap, size_t *resp_len);
    void (*disconnect)(onshi__reader *r, int reset);
    /* Without any APDU: is the card still the one we hold, untouched? ONSHI_OK, or
     * ONSHI_E_CARD_RESET (reset since our last command: selections and PIN state are gone),
     * ONSHI_E_CARD_REMOVED. */
    int (*check)(onshi__reader *r);
} onshi__reader_ops;

struct onshi__reader {
    const onshi__reader_ops *ops;
    onshi_ctx *ctx;
    void *drv;    /* driver state */
    char *name;   /* reader name (owned) */
    bool in_tx;
    int64_t last_ms; /* monotonic time of the last command (onshi__reader_check) */
};

extern const onshi__reader_ops onshi__drv_pcsc;
extern const onshi__reader_ops onshi__drv_callback;

/* The driver chosen by ONSHI_OPT_CARD_DRIVER. */
const onshi__reader_ops *onshi__reader_driver(const onshi_ctx *ctx);

/* Wait for a card (ONSHI_OPT_CARD_WAIT_TIMEOUT_MS) in the reader of ONSHI_OPT_CARD_READER
 * (or the first with a card) and connect to it. */
int onshi__reader_open(onshi__reader **out, onshi_ctx *ctx);
void onshi__reader_close(onshi__reader *r, bool reset);
int onshi__reader_begin(onshi__reader *r);
int onshi__reader_end(onshi__reader *r, bool reset);
/* See onshi__reader_ops.check. */
int onshi__reader_check(onshi__reader *r);
int onshi__reader_transmit(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                           unsigned char *resp, size_t resp_cap, size_t *resp_len);


/* Report an event to the vendor's event callback: ONSHI_OK or ONSHI_E_CANCELLED. */
int onshi__card_event(onshi_ctx *ctx, int event, const char *reader);

/* Does `name` match the configured reader pattern? Exact name, else prefix ("Virtual PCD"
 * matches "Virtual PCD 00 00"). An empty or NULL pattern matches every reader. */
bool onshi__reader_name_matches(const char *pattern, const char *name);

/* ---- PC/SC error translation (pcsc_errors.c) ------------------------------------------ */
typedef struct onshi__pcsc_errdef {
    uint32_t code;      /* SCARD_E_* / SCARD_W_* / SCARD_F_* as unsigned 32-bit */
    const char *name;   /* "SCARD_E_NO_SERVICE" */
    int status;         /* ONSHI_E_* */
    const char *ja;     /* what to do, for staff */
} onshi__pcsc_errdef;
const onshi__pcsc_errdef *onshi__pcsc_errdef_find(uint32_t code);
size_t onshi__pcsc_errdef_count(void);
const onshi__pcsc_errdef *onshi__pcsc_errdef_at(size_t i);
/* The status for a PC/SC return code (ONSHI_E_CARD_PCSC when not in the table). */
int onshi__pcsc_status(uint32_t code);
/* Record the translated error on ctx with the code as ONSHI_FOREIGN_PCSC detail. */
int onshi__pcsc_err(onshi_ctx *ctx, uint32_t code, const char *call);

#endif
