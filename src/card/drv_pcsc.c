/*
 * PC/SC driver (PCSC-Lite on Linux/macOS, WinSCard on Windows). It uses only calls both
 * implement; the calls that carry reader names go through pcsc_sys.c (UTF-8 names on both;
 * WinSCard's wide functions on Windows), so this file has no platform switch. Errors are
 * translated here, at the edge (pcsc_errors.c), with the SCARD code kept as foreign detail.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "card/card.h"
#include "card/pcsc_sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

typedef onshi__scard_state ONSHI_READERSTATE;

#define OK(rv) ((rv) == SCARD_S_SUCCESS)

/* JPKI answers are at most a few 256-byte chunks; far more rounds mean a broken card. */
#define ONSHI__GET_RESPONSE_MAX 16

typedef struct pcsc_drv {
    SCARDCONTEXT hctx;
    SCARDHANDLE h;
    DWORD proto;
    DWORD share;
} pcsc_drv;

static int establish(onshi_ctx *ctx, SCARDCONTEXT *hctx)
{
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, hctx);
    return OK(rv) ? ONSHI_OK : onshi__pcsc_err(ctx, (uint32_t)rv, "SCardEstablishContext");
}

/* A failed call that carries reader names: a name that does not convert between the
 * system's form and UTF-8 is said so, anything else is the translated PC/SC code. */
static int name_call_err(onshi_ctx *ctx, LONG rv, const char *call)
{
    if (rv == ONSHI__SCARD_BAD_NAME) {
        char en[160], ja[240];
        snprintf(en, sizeof en, "%s: a reader name is not valid Unicode (UTF-16/UTF-8)", call);
        snprintf(ja, sizeof ja, "%s: カードリーダー名が正しい Unicode（UTF-16/UTF-8）ではありません",
                 call);
        return onshi__err_ja(ctx, ONSHI_E_CARD_PCSC, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    return onshi__pcsc_err(ctx, (uint32_t)rv, call);
}

/* Reader names as a UTF-8 multi-string, malloc'ed into *names. */
static int list_raw(onshi_ctx *ctx, SCARDCONTEXT hctx, char **names)
{
    LONG rv = onshi__scard_list(hctx, names);
    return OK(rv) ? ONSHI_OK : name_call_err(ctx, rv, "SCardListReaders");
}

static int pcsc_list(onshi_ctx *ctx, onshi_buf *out, size_t *count)
{
    SCARDCONTEXT hctx;
    int rc = establish(ctx, &hctx);
    if (rc != ONSHI_OK)
        return rc;
    char *names = NULL;
    rc = list_raw(ctx, hctx, &names);
    *count = 0;
    for (const char *p = names; rc == ONSHI_OK && p && *p; p += strlen(p) + 1) {
        rc = onshi__buf_append(out, p, strlen(p) + 1);
        (*count)++;
    }
    if (rc == ONSHI_OK)
        rc = onshi__buf_append(out, "", 1);
    free(names);
    SCardReleaseContext(hctx);
    return rc;
}

/* ---- waiting for a card ------------------------------------------------------------- */

static void wake_cancel(void *arg)
{
    SCardCancel(*(SCARDCONTEXT *)arg); /* thread-safe by the PC/SC contract */
}

static int state_event(DWORD st)
{
    if (st & SCARD_STATE_PRESENT)
        return ONSHI_CARD_EVENT_INSERTED;
    return ONSHI_CARD_EVENT_REMOVED;
}

/* Is `want` met by the current states? Sets *idx to the reader that meets it. */
static bool want_met(int want, const ONSHI_READERSTATE *rs, size_t n, size_t *idx)
{
    if (want == ONSHI_CARD_EVENT_INSERTED) {
        for (size_t i = 0; i < n; i++)
            if ((rs[i].event & SCARD_STATE_PRESENT) &&
                !(rs[i].event & SCARD_STATE_MUTE)) {
                *idx = i;
                return true;
            }
        return false;
    }
    if (want == ONSHI_CARD_EVENT_REMOVED) {
        for (size_t i = 0; i < n; i++)
            if (rs[i].event & SCARD_STATE_PRESENT)
                return false;
        *idx = 0;
        return true;
    }
    return false;
}

static int wait_loop(onshi_ctx *ctx, SCARDCONTEXT *hctx, ONSHI_READERSTATE *rs, size_t n,
                     int want, int timeout_ms, int *event, size_t *idx)
{
    /* The current state first (timeout 0), then block until a change or the deadline. */
    LONG rv = onshi__scard_status_change(*hctx, 0, rs, n);
    if (!OK(rv) && rv != (LONG)SCARD_E_TIMEOUT)
        return name_call_err(ctx, rv, "SCardGetStatusChange");
    if (want_met(want, rs, n, idx)) {
        *event = want;
        return ONSHI_OK;
    }
    if (timeout_ms == 0 && want == ONSHI_CARD_EVENT_INSERTED)
        return onshi__err(ctx, ONSHI_E_CARD_NO_CARD, "no card in %s%s", rs[0].reader,
                          n > 1 ? " or the other readers" : "");
    int64_t deadline = onshi__now_ms() + timeout_ms;
    for (;;) {
        for (size_t i = 0; i < n; i++)
            rs[i].current = rs[i].event & ~SCARD_STATE_CHANGED;
        int64_t left = deadline - onshi__now_ms();
        if (left <= 0)
            return onshi__err(ctx, ONSHI_E_CARD_TIMEOUT, "no card within %d ms", timeout_ms);
        onshi__cancel_set_wake(ctx, wake_cancel, hctx);
        int rc = onshi__cancel_check(ctx); /* a cancel that came before the hook was set */
        if (rc == ONSHI_OK)
            rv = onshi__scard_status_change(*hctx, (DWORD)left, rs, n);
        onshi__cancel_set_wake(ctx, NULL, NULL);
        if (rc != ONSHI_OK)
            return rc;
        if (rv == (LONG)SCARD_E_CANCELLED) {
            rc = onshi__cancel_check(ctx);
            return rc != ONSHI_OK ? rc : onshi__pcsc_err(ctx, (uint32_t)rv, "SCardGetStatusChange");
        }
        if (rv == (LONG)SCARD_E_TIMEOUT)
            return onshi__err(ctx, ONSHI_E_CARD_TIMEOUT, "no card event within %d ms",
                              timeout_ms);
        if (!OK(rv))
            return name_call_err(ctx, rv, "SCardGetStatusChange");
        for (size_t i = 0; i < n; i++) {
            if (!(rs[i].event & SCARD_STATE_CHANGED))
                continue;
            int before = state_event(rs[i].current);
            int now = state_event(rs[i].event);
            if (before == now)
                continue;
            rc = onshi__card_event(ctx, now, rs[i].reader);
            if (rc != ONSHI_OK)
                return rc;
            if (want == ONSHI_CARD_EVENT_ANY) {
                *event = now;
                *idx = i;
                return ONSHI_OK;
            }
        }
        if (want_met(want, rs, n, idx)) {
            *event = want;
            return ONSHI_OK;
        }
    }
}

static int pcsc_wait(onshi_ctx *ctx, const char *pattern, int want, int timeout_ms,
                     int *event, char **reader_out)
{
    *reader_out = NULL;
    /* Heap storage: the cancel hook reads it from another thread while we block. */
    SCARDCONTEXT *hctx = onshi__calloc(1, sizeof *hctx);
    if (hctx == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "PC/SC context");
    int rc = establish(ctx, hctx);
    if (rc != ONSHI_OK) {
        free(hctx);
        return rc;
    }
    char *names = NULL;
    ONSHI_READERSTATE *rs = NULL;
    size_t n = 0, idx = 0;
    rc = list_raw(ctx, *hctx, &names);
    if (rc == ONSHI_OK) {
        size_t total = 0;
        for (const char *p = names; *p; p += strlen(p) + 1)
            total++;
        rs = onshi__calloc(total ? total : 1, sizeof *rs);
        if (rs == NULL)
            rc = onshi__err(ctx, ONSHI_E_NOMEM, "reader states");
        for (const char *p = names; rc == ONSHI_OK && *p; p += strlen(p) + 1) {
            if (!onshi__reader_name_matches(pattern, p))
                continue;
            rs[n].reader = p;
            rs[n].current = SCARD_STATE_UNAWARE;
            n++;
        }
        if (rc == ONSHI_OK && n == 0)
            rc = onshi__err(ctx, ONSHI_E_CARD_READER_NOT_FOUND,
                            "no reader named \"%s\" (see onshi_card_readers)",
                            pattern ? pattern : "");
    }
    if (rc == ONSHI_OK)
        rc = wait_loop(ctx, hctx, rs, n, want, timeout_ms, event, &idx);
    if (rc == ONSHI_OK) {
        *reader_out = onshi__strdup(rs[idx].reader);
        if (*reader_out == NULL)
            rc = onshi__err(ctx, ONSHI_E_NOMEM, "reader name");
    }
    free(rs);
    free(names);
    SCardReleaseContext(*hctx);
    free(hctx);
    return rc;
}

/* ---- a connected card --------------------------------------------------------------- */

static int pcsc_connect(onshi__reader *r, const char *name)
{
    pcsc_drv *d = onshi__calloc(1, sizeof *d);
    if (d == NULL)
        return onshi__err(r->ctx, ONSHI_E_NOMEM, "PC/SC state");
    int rc = establish(r->ctx, &d->hctx);
    if (rc != ONSHI_OK) {
        free(d);
        return rc;
    }
    d->share = onshi__opt_int(r->ctx, ONSHI_OPT_CARD_SHARE_MODE) == ONSHI_CARD_SHARE_EXCLUSIVE
                   ? SCARD_SHARE_EXCLUSIVE
                   : SCARD_SHARE_SHARED;
    LONG rv = onshi__scard_connect(d->hctx, name, d->share,
                                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &d->h, &d->proto);
    if (!OK(rv)) {
        SCardReleaseContext(d->hctx);
        free(d);
        return name_call_err(r->ctx, rv, "SCardConnect");
    }
    r->drv = d;
    return ONSHI_OK;
}

/* ---- removal: one status whatever the moment ------------------------------------------
 * A card pulled out mid-command surfaces as SCARD_W_REMOVED_CARD, SCARD_E_NOT_TRANSACTED,
 * SCARD_F_COMM_ERROR, an answer without status word (Debian's vpcd 3.3), ... depending on
 * the moment and on whether the resource manager has polled the reader yet (pcscd: every
 * 400 ms). On any such failure the reader is asked, and waited for up to
 * ONSHI__REMOVAL_SETTLE_MS, so that a removal always reads ONSHI_E_CARD_REMOVED. */
#define ONSHI__REMOVAL_SETTLE_MS 1500

/* Is the card gone (absent, or removed and put back: the event counter moved)? */
static bool card_gone(onshi__reader *r, int settle_ms)
{
    pcsc_drv *d = r->drv;
    ONSHI_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.reader = r->name;
    rs.current = SCARD_STATE_UNAWARE;
    LONG rv = onshi__scard_status_change(d->hctx, 0, &rs, 1);
    if (rv == (LONG)SCARD_E_UNKNOWN_READER || rv == (LONG)SCARD_E_READER_UNAVAILABLE)
        return true; /* the reader went away with the card */
    if (!OK(rv) && rv != (LONG)SCARD_E_TIMEOUT)
        return false;
    if (!(rs.event & SCARD_STATE_PRESENT))
        return true;
    int64_t deadline = onshi__now_ms() + settle_ms;
    DWORD first = rs.event & ~(DWORD)SCARD_STATE_CHANGED;
    for (;;) {
        int64_t left = deadline - onshi__now_ms();
        if (left <= 0)
            return false;
        rs.current = rs.event & ~(DWORD)SCARD_STATE_CHANGED;
        rv = onshi__scard_status_change(d->hctx, (DWORD)left, &rs, 1);
        if (!OK(rv))
            return rv == (LONG)SCARD_E_UNKNOWN_READER ||
                   rv == (LONG)SCARD_E_READER_UNAVAILABLE;
        if (!(rs.event & SCARD_STATE_PRESENT) ||
            (rs.event >> 16) != (first >> 16)) /* pcsc-lite and WinSCard count events */
            return true;
    }
}

/* A failed call on a connected card: ONSHI_E_CARD_REMOVED when the card is gone, else the
 * translated PC/SC error. */
static int card_fail(onshi__reader *r, LONG rv, const char *call)
{
    switch (rv) {
    case (LONG)SCARD_W_REMOVED_CARD:
        return onshi__pcsc_err(r->ctx, (uint32_t)rv, call);
    case (LONG)SCARD_E_CANCELLED:
    case (LONG)SCARD_E_NO_MEMORY:
    case (LONG)SCARD_E_SHARING_VIOLATION:
    case (LONG)SCARD_E_TIMEOUT:
    case (LONG)SCARD_E_NO_SERVICE:
    case (LONG)SCARD_E_SERVICE_STOPPED:
        break;
    default:
        if (card_gone(r, ONSHI__REMOVAL_SETTLE_MS)) {
            char en[120];
            snprintf(en, sizeof en, "%s (then the reader reported no card)", call);
            return onshi__pcsc_err(r->ctx, (uint32_t)SCARD_W_REMOVED_CARD, en);
        }
        break;
    }
    return onshi__pcsc_err(r->ctx, (uint32_t)rv, call);
}

static int pcsc_begin(onshi__reader *r)
{
    pcsc_drv *d = r->drv;
    LONG rv = SCardBeginTransaction(d->h);
    if (rv == (LONG)SCARD_W_RESET_CARD) {
        /* Another program (or the system) reset the card since our last sequence. Every
         * sequence that starts a transaction selects the JPKI AP again, so reconnecting is
         * enough. */
        rv = SCardReconnect(d->h, d->share, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_LEAVE_CARD, &d->proto);
        if (OK(rv))
            rv = SCardBeginTransaction(d->h);
    }
    return OK(rv) ? ONSHI_OK : card_fail(r, rv, "SCardBeginTransaction");
}

static int pcsc_end(onshi__reader *r, int reset)
{
    pcsc_drv *d = r->drv;
    LONG rv = SCardEndTransaction(d->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    return OK(rv) ? ONSHI_OK : card_fail(r, rv, "SCardEndTransaction");
}

/* SCardStatus on our handle reports a reset or a removal since our last call, without
 * touching the card (WinSCard: "call SCardStatus ... to determine whether the card has been
 * reset"; pcsc-lite answers the same codes). */
static int pcsc_check(onshi__reader *r)
{
    pcsc_drv *d = r->drv;
    DWORD state = 0, proto = 0;
    LONG rv = onshi__scard_status(d->h, &state, &proto);
    if (rv == (LONG)SCARD_W_RESET_CARD)
        return onshi__pcsc_err(r->ctx, (uint32_t)rv, "SCardStatus");
    if (OK(rv) && !(state & SCARD_ABSENT))
        return ONSHI_OK;
    return card_fail(r, OK(rv) ? (LONG)SCARD_W_REMOVED_CARD : rv, "SCardStatus");
}

static int transmit_once(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                         unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    pcsc_drv *d = r->drv;
    DWORD rlen = (DWORD)resp_cap;
    const SCARD_IO_REQUEST *pci = d->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit(d->h, pci, cmd, (DWORD)cmd_len, NULL, resp, &rlen);
    if (!OK(rv))
        return card_fail(r, rv, "SCardTransmit");
    if (rlen < 2) {
        /* No status word at all: some readers (Debian's vpcd 3.3) report a card pulled out
         * mid-command this way before the resource manager has noticed. */
        if (card_gone(r, ONSHI__REMOVAL_SETTLE_MS))
            return onshi__pcsc_err(r->ctx, (uint32_t)SCARD_W_REMOVED_CARD,
                                   "SCardTransmit (an answer without status word, then the "
                                   "reader reported no card)");
        return onshi__err_ja(r->ctx, ONSHI_E_CARD_COMM, ONSHI_FOREIGN_NONE, 0,
                             "the reader returned an answer without status word",
                             "カードの応答にステータスワードがありません");
    }
    *resp_len = rlen;
    return ONSHI_OK;
}

static int pcsc_transmit(onshi__reader *r, const unsigned char *cmd, size_t cmd_len,
                         unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    int rc = transmit_once(r, cmd, cmd_len, resp, resp_cap, resp_len);
    /* T=0 transport: 61xx means "xx bytes waiting": fetch them with GET RESPONSE. This is
     * below the APDU allowlist and cannot select or read any file. */
    size_t got = 0;
    int rounds = 0;
    while (rc == ONSHI_OK && *resp_len >= 2 && resp[*resp_len - 2] == 0x61) {
        unsigned char gr[5] = {0x00, 0xC0, 0x00, 0x00, resp[*resp_len - 1]};
        got += *resp_len - 2;
        /* A card answering 61xx without data would otherwise keep us here for ever: no
         * timeout or cancellation applies inside SCardTransmit's loop. */
        if (resp_cap - got < 258 || ++rounds > ONSHI__GET_RESPONSE_MAX)
            return onshi__err(r->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                              "answer too long (%d GET RESPONSE rounds, %zu bytes)", rounds, got);
        rc = transmit_once(r, gr, sizeof gr, resp + got, resp_cap - got, resp_len);
    }
    if (rc == ONSHI_OK)
        *resp_len += got;
    return rc;
}

static void pcsc_disconnect(onshi__reader *r, int reset)
{
    pcsc_drv *d = r->drv;
    if (d == NULL)
        return;
    SCardDisconnect(d->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    SCardReleaseContext(d->hctx);
    free(d);
    r->drv = NULL;
}

const onshi__reader_ops onshi__drv_pcsc = {
    "pcsc", pcsc_list, pcsc_wait, pcsc_connect, pcsc_begin, pcsc_end, pcsc_transmit,
    pcsc_disconnect, pcsc_check,
};
