/* card: the PC/SC driver's logic against a fake WinSCard defined in this program (the
 * static link resolves the SCard* calls of libonshi.a to these before libpcsclite): reader
 * choice, waiting without polling, events, cancel through SCardCancel, timeouts, sharing
 * violation, transactions around every sequence with a reset after the PIN, reconnect after
 * another program's reset, T=0 GET RESPONSE, removal in the middle of a command.
 * Real pcscd + vpcd runs are the integration tests of tools/onshi-vcard. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "card/card.h"
#include "jpki/jpki.h" /* white box: the reader of a session (idle time) */
#include "../../support/jpki_fixture.h"
#include "../../support/scripted_card.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <winscard.h>

/* ---- the fake WinSCard ---------------------------------------------------------------- */

static struct {
    int nreaders;
    const char *names[3];
    DWORD present[3];
    LONG connect_rv;
    LONG begin_rv[4]; /* returned by successive SCardBeginTransaction calls, then 0 */
    int nbegin;
    int reconnects;
    DWORD share;
    DWORD end_disp[64];
    int nend;
    DWORD disc_disp;
    int ndisc;
    int insert_on_wait, remove_on_wait; /* reader index changed at the next blocking wait */
    int block;                          /* a blocking wait sleeps until SCardCancel */
    int blocked;                        /* set while blocked (the test's cancel thread waits) */
    pthread_mutex_t m;
    pthread_cond_t c;
    int cancelled;
    scripted_card *sc;
    int t0;
    uint8_t pending[600];
    size_t npending;
    LONG transmit_rv;
    int gsc_calls;
    int contexts; /* established minus released */
    LONG status_rv;      /* SCardStatus answer */
    int empty_answer;    /* SCardTransmit succeeds with 0 bytes */
    int endless_61;      /* every answer is 61 00 ("more bytes"), without data */
    int nget;            /* GET RESPONSE commands seen in endless_61 mode */
} F;

LONG SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT h)
{
    (void)scope;
    (void)r1;
    (void)r2;
    *h = 0x1234;
    F.contexts++;
    return SCARD_S_SUCCESS;
}

LONG SCardReleaseContext(SCARDCONTEXT h)
{
    (void)h;
    F.contexts--;
    return SCARD_S_SUCCESS;
}

LONG SCardListReaders(SCARDCONTEXT h, LPCSTR groups, LPSTR buf, LPDWORD len)
{
    (void)h;
    (void)groups;
    if (F.nreaders == 0)
        return SCARD_E_NO_READERS_AVAILABLE;
    DWORD need = 1;
    for (int i = 0; i < F.nreaders; i++)
        need += (DWORD)strlen(F.names[i]) + 1;
    if (buf == NULL) {
        *len = need;
        return SCARD_S_SUCCESS;
    }
    if (*len < need)
        return SCARD_E_INSUFFICIENT_BUFFER;
    char *p = buf;
    for (int i = 0; i < F.nreaders; i++) {
        strcpy(p, F.names[i]);
        p += strlen(p) + 1;
    }
    *p = '\0';
    *len = need;
    return SCARD_S_SUCCESS;
}

static DWORD state_of(const char *name)
{
    for (int i = 0; i < F.nreaders; i++)
        if (strcmp(name, F.names[i]) == 0)
            return F.present[i] ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
    return SCARD_STATE_UNKNOWN;
}

static int report(SCARD_READERSTATE *rs, DWORD n)
{
    int changed = 0;
    for (DWORD i = 0; i < n; i++) {
        DWORD now = state_of(rs[i].szReader);
        if ((rs[i].dwCurrentState & ~SCARD_STATE_CHANGED) != now) {
            rs[i].dwEventState = now | SCARD_STATE_CHANGED;
            changed = 1;
        } else {
            rs[i].dwEventState = now;
        }
    }
    return changed;
}

LONG SCardGetStatusChange(SCARDCONTEXT h, DWORD timeout, SCARD_READERSTATE *rs, DWORD n)
{
    (void)h;
    F.gsc_calls++;
    if (report(rs, n))
        return SCARD_S_SUCCESS;
    if (timeout == 0)
        return SCARD_E_TIMEOUT;
    if (F.insert_on_wait >= 0 || F.remove_on_wait >= 0) {
        if (F.insert_on_wait >= 0)
            F.present[F.insert_on_wait] = 1;
        if (F.remove_on_wait >= 0)
            F.present[F.remove_on_wait] = 0;
        F.insert_on_wait = F.remove_on_wait = -1;
        report(rs, n);
        return SCARD_S_SUCCESS;
    }
    if (!F.block)
        return SCARD_E_TIMEOUT;
    pthread_mutex_lock(&F.m);
    F.blocked = 1;
    pthread_cond_broadcast(&F.c);
    while (!F.cancelled)
        pthread_cond_wait(&F.c, &F.m);
    F.cancelled = 0;
    F.blocked = 0;
    pthread_mutex_unlock(&F.m);
    return SCARD_E_CANCELLED;
}

LONG SCardCancel(SCARDCONTEXT h)
{
    (void)h;
    pthread_mutex_lock(&F.m);
    F.cancelled = 1;
    pthread_cond_broadcast(&F.c);
    pthread_mutex_unlock(&F.m);
    return SCARD_S_SUCCESS;
}

LONG SCardConnect(SCARDCONTEXT h, LPCSTR reader, DWORD share, DWORD protos, LPSCARDHANDLE card,
                  LPDWORD proto)
{
    (void)h;
    (void)reader;
    assert_int_equal(protos, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
    F.share = share;
    if (F.connect_rv)
        return F.connect_rv;
    *card = 0x5678;
    *proto = F.t0 ? SCARD_PROTOCOL_T0 : SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

LONG SCardReconnect(SCARDHANDLE card, DWORD share, DWORD protos, DWORD init, LPDWORD proto)
{
    (void)card;
    (void)share;
    (void)protos;
    assert_int_equal(init, SCARD_LEAVE_CARD);
    F.reconnects++;
    *proto = F.t0 ? SCARD_PROTOCOL_T0 : SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

LONG SCardDisconnect(SCARDHANDLE card, DWORD disp)
{
    (void)card;
    F.disc_disp = disp;
    F.ndisc++;
    return SCARD_S_SUCCESS;
}

LONG SCardBeginTransaction(SCARDHANDLE card)
{
    (void)card;
    int i = F.nbegin++;
    return i < 4 ? F.begin_rv[i] : SCARD_S_SUCCESS;
}

LONG SCardEndTransaction(SCARDHANDLE card, DWORD disp)
{
    (void)card;
    if (F.nend < 64)
        F.end_disp[F.nend] = disp;
    F.nend++;
    return SCARD_S_SUCCESS;
}

LONG SCardStatus(SCARDHANDLE card, LPSTR name, LPDWORD namelen, LPDWORD state, LPDWORD proto,
                 LPBYTE atr, LPDWORD atrlen)
{
    (void)card;
    (void)name;
    (void)atr;
    if (namelen)
        *namelen = 0;
    if (atrlen)
        *atrlen = 0;
    if (proto)
        *proto = F.t0 ? SCARD_PROTOCOL_T0 : SCARD_PROTOCOL_T1;
    if (state)
        *state = SCARD_SPECIFIC;
    return F.status_rv;
}

LONG SCardTransmit(SCARDHANDLE card, const SCARD_IO_REQUEST *spci, LPCBYTE cmd, DWORD len,
                   SCARD_IO_REQUEST *rpci, LPBYTE resp, LPDWORD rlen)
{
    (void)card;
    (void)rpci;
    assert_ptr_equal(spci, F.t0 ? SCARD_PCI_T0 : SCARD_PCI_T1);
    if (F.transmit_rv)
        return F.transmit_rv;
    if (F.empty_answer) {
        *rlen = 0;
        return SCARD_S_SUCCESS;
    }
    if (F.endless_61) { /* a broken or hostile card; gives up by itself only very late */
        if (len == 5 && cmd[1] == 0xC0)
            F.nget++;
        resp[0] = F.nget > 100000 ? 0x90 : 0x61;
        resp[1] = 0x00;
        *rlen = 2;
        return SCARD_S_SUCCESS;
    }
    size_t n = 0;
    if (F.t0 && len == 5 && cmd[0] == 0x00 && cmd[1] == 0xC0) { /* GET RESPONSE */
        assert_int_equal(cmd[4], (F.npending - 2) & 0xFF); /* 00 = 256 */
        memcpy(resp, F.pending, F.npending);
        *rlen = (DWORD)F.npending;
        return SCARD_S_SUCCESS;
    }
    int rc = sc_transmit(F.sc, cmd, len, resp, *rlen, &n);
    assert_int_equal(rc, 0);
    if (F.t0 && n > 2) { /* T=0: data comes only through GET RESPONSE */
        memcpy(F.pending, resp, n);
        F.npending = n;
        resp[0] = 0x61;
        resp[1] = (uint8_t)(n - 2);
        n = 2;
    }
    *rlen = (DWORD)n;
    return SCARD_S_SUCCESS;
}

/* ---- tests -------------------------------------------------------------------------- */

typedef struct T {
    scripted_card sc;
    onshi_ctx *ctx;
    int events[8];
    int nevents;
    int stop_on_event;
    int pin_calls;
} T;

static int ONSHI_CALL on_event(void *ud, int event, const char *reader)
{
    T *t = ud;
    assert_non_null(reader);
    if (t->nevents < 8)
        t->events[t->nevents++] = event;
    return t->stop_on_event;
}

static int ONSHI_CALL pin_cb(void *ud, int tries, int last, char *buf, size_t size, int *confirm)
{
    ((T *)ud)->pin_calls++;
    (void)tries;
    (void)last;
    (void)size;
    (void)confirm;
    memcpy(buf, "1234", 4);
    return 0;
}

static int setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    pthread_mutex_t m = F.m;
    pthread_cond_t c = F.c;
    memset(&F, 0, sizeof F);
    F.m = m;
    F.c = c;
    F.nreaders = 2;
    F.names[0] = "Reader A 00 00";
    F.names[1] = "Reader B 00 00";
    F.insert_on_wait = F.remove_on_wait = -1;
    F.sc = &t->sc;
    sc_init(&t->sc);
    assert_int_equal(onshi_ctx_new(&t->ctx), ONSHI_OK);
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_LANG, "en");
    tcb_set_card_event(t->ctx, on_event, t);
    tcb_set_pin(t->ctx, pin_cb, t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    T *t = *state;
    onshi_ctx_free(t->ctx);
    assert_int_equal(F.contexts, 0); /* every PC/SC context released */
    assert_true(sc_only_allowed_selects(&t->sc));
    free(t);
    return 0;
}

static void test_list_and_choose(void **state)
{
    T *t = *state;
    onshi_buf *names;
    size_t n;
    assert_int_equal(onshi_card_readers(&names, &n, t->ctx), ONSHI_OK);
    assert_int_equal(n, 2);
    const char *p = (const char *)onshi_buf_data(names);
    assert_string_equal(p, "Reader A 00 00");
    assert_string_equal(p + strlen(p) + 1, "Reader B 00 00");
    assert_int_equal(onshi_buf_len(names), strlen(F.names[0]) + strlen(F.names[1]) + 3);
    onshi_buf_free(names);
    /* the first reader holding a card is chosen */
    F.present[1] = 1;
    int ev = 0;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 0), ONSHI_OK);
    assert_int_equal(ev, ONSHI_CARD_EVENT_INSERTED);
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    assert_string_equal(onshi_card_reader_name(card), "Reader B 00 00");
    assert_int_equal(F.share, SCARD_SHARE_SHARED);
    onshi_card_free(card);
    assert_int_equal(F.disc_disp, SCARD_LEAVE_CARD);
    /* by name: reader A is empty, so no card without waiting */
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_CARD_READER, "Reader A");
    onshi_ctx_set_int(t->ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 0);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_E_CARD_NO_CARD);
    onshi_ctx_set_str(t->ctx, ONSHI_OPT_CARD_READER, "Reader C");
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_E_CARD_READER_NOT_FOUND);
    F.nreaders = 0;
    assert_int_equal(onshi_card_readers(&names, &n, t->ctx), ONSHI_E_CARD_NO_READER);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_E_CARD_NO_READER);
    sc_assert_done(&t->sc);
}

static void test_wait_events_and_timeout(void **state)
{
    T *t = *state;
    int ev = 0;
    F.insert_on_wait = 0;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 5000), ONSHI_OK);
    assert_int_equal(ev, ONSHI_CARD_EVENT_INSERTED);
    assert_int_equal(t->nevents, 1);
    assert_int_equal(t->events[0], ONSHI_CARD_EVENT_INSERTED);
    /* already inserted: returns at once, no event */
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 5000), ONSHI_OK);
    assert_int_equal(t->nevents, 1);
    F.remove_on_wait = 0;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_REMOVED, 5000), ONSHI_OK);
    assert_int_equal(ev, ONSHI_CARD_EVENT_REMOVED);
    assert_int_equal(t->events[1], ONSHI_CARD_EVENT_REMOVED);
    F.insert_on_wait = 1;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_ANY, 5000), ONSHI_OK);
    assert_int_equal(ev, ONSHI_CARD_EVENT_INSERTED);
    /* nothing happens: the driver's timeout (the fake answers SCARD_E_TIMEOUT at once) */
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_REMOVED, 5000),
                     ONSHI_E_CARD_TIMEOUT);
    assert_int_equal(ev, 0);
    /* the event callback can stop the wait */
    t->stop_on_event = 1;
    F.remove_on_wait = 1;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_ANY, 5000), ONSHI_E_CANCELLED);
}

static void *cancel_thread(void *p)
{
    pthread_mutex_lock(&F.m);
    while (!F.blocked)
        pthread_cond_wait(&F.c, &F.m);
    pthread_mutex_unlock(&F.m);
    onshi_ctx_cancel(p);
    return NULL;
}

static void test_cancel_wakes_wait(void **state)
{
    T *t = *state;
    F.block = 1;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, t->ctx), 0);
    int ev = 0;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 600000),
                     ONSHI_E_CANCELLED);
    pthread_join(th, NULL);
    /* the cancel was consumed: the next call is not cancelled */
    F.block = 0;
    F.present[0] = 1;
    assert_int_equal(onshi_card_wait(&ev, t->ctx, ONSHI_CARD_EVENT_INSERTED, 10), ONSHI_OK);
}

static void test_connect_errors(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    F.connect_rv = SCARD_E_SHARING_VIOLATION;
    onshi_ctx_set_int(t->ctx, ONSHI_OPT_CARD_SHARE_MODE, ONSHI_CARD_SHARE_EXCLUSIVE);
    onshi_card *card = NULL;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_E_CARD_READER_BUSY);
    assert_int_equal(F.share, SCARD_SHARE_EXCLUSIVE);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_PCSC);
    assert_int_equal(v, (int64_t)(uint32_t)SCARD_E_SHARING_VIOLATION);
    F.connect_rv = SCARD_W_UNRESPONSIVE_CARD;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_E_CARD_UNRESPONSIVE);
    assert_null(card);
}

static void test_transactions_and_reset(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    /* the transaction is held after open: no other program can change the card */
    assert_int_equal(F.nbegin, 1);
    assert_int_equal(F.nend, 0);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    int tries;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_OK);
    assert_int_equal(tries, 3);
    assert_int_equal(F.nbegin, 1);
    /* within a second of our last command the system cannot have reset the card: SCardStatus
     * is not even asked (the cached tries answer, no APDU) */
    F.status_rv = SCARD_W_RESET_CARD;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_OK);
    assert_int_equal(tries, 3);
    /* idle longer (as if): the card was reset meanwhile (SCardStatus says so, no APDU): the
     * transaction is taken again (reconnect), the AP selected again, the tries asked again */
    card->reader->last_ms = 0;
    F.begin_rv[1] = SCARD_W_RESET_CARD;
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C2");
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_OK);
    F.status_rv = SCARD_S_SUCCESS;
    assert_int_equal(tries, 2);
    assert_int_equal(F.reconnects, 1);
    assert_int_equal(F.nend, 1);
    /* an error ends the held transaction without a reset when the PIN was not reached */
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "6A88");
    uint8_t h[32] = {0};
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_E_JPKI_SW);
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_LEAVE_CARD);
    sc_assert_done(&t->sc);
    onshi_card_free(card);
    assert_int_equal(F.nend, F.nbegin - 1); /* every successful begin has its end */
}

static int sign_handler(void *arg, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *rlen)
{
    (void)arg;
    (void)cap;
    assert_true(len == 5 + 51 + 1);
    size_t n = 0;
    assert_int_equal(jf_card_sign(cmd + 5, 51, resp, &n), 0);
    resp[n] = 0x90;
    resp[n + 1] = 0x00;
    *rlen = n + 2;
    return 0;
}

/* After the PIN the transaction ends with SCARD_RESET_CARD; before it, it does not. */
static void test_reset_after_pin(void **state)
{
    T *t = *state;
    const jpki_fixture *fx = jf_get();
    F.present[0] = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    /* a certificate that does not parse ends the sign before the PIN: no reset */
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "3003020101 9000");
    uint8_t h[32] = {1};
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_CERT_PARSE);
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_LEAVE_CARD);
    /* a full signature: one transaction, reset at its end */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, NULL);
    int before = F.nend, begins = F.nbegin;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_OK);
    assert_int_equal(onshi_buf_len(sig), 256);
    onshi_buf_free(sig);
    assert_int_equal(F.nbegin, begins + 1);
    assert_int_equal(F.nend, before + 1); /* one transaction for the whole sequence */
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_RESET_CARD);
    /* a wrong PIN also resets */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "63C2");
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_RESET_CARD);
    sc_assert_done(&t->sc);
    onshi_card_free(card);
    assert_int_equal(F.disc_disp, SCARD_LEAVE_CARD);
}

/* Issue 17, "keep the last-try rule exact": the PIN was asked with 3 tries left, then the card
 * was reset while held (Windows' idle timer) and now says 2: the PIN is not sent. With the
 * same tries it is. */
static void test_reset_after_pin_asked(void **state)
{
    T *t = *state;
    const jpki_fixture *fx = jf_get();
    F.present[0] = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    onshi_cert *cert = NULL;
    int tries = 0;
    assert_int_equal(onshi__jpki_prepare(card, &cert, &tries), ONSHI_OK);
    onshi_cert_free(cert);
    assert_int_equal(tries, 3);
    assert_int_equal(onshi__jpki_pin_ask(card, tries), ONSHI_OK);
    F.status_rv = SCARD_W_RESET_CARD;
    assert_true(F.nbegin < 4);
    F.begin_rv[F.nbegin] = SCARD_W_RESET_CARD;
    card->reader->last_ms = 0;
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C2");
    uint8_t h[32] = {7};
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_E_CARD_RESET);
    F.status_rv = SCARD_S_SUCCESS;
    sc_assert_done(&t->sc); /* no VERIFY */
    /* asked again with 3, reset again, still 3: sent */
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    assert_int_equal(onshi__jpki_prepare(card, &cert, &tries), ONSHI_OK);
    onshi_cert_free(cert);
    assert_int_equal(onshi__jpki_pin_ask(card, tries), ONSHI_OK);
    F.status_rv = SCARD_W_RESET_CARD;
    card->reader->last_ms = 0;
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, NULL);
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_OK);
    F.status_rv = SCARD_S_SUCCESS;
    onshi_buf_free(sig);
    sc_assert_done(&t->sc);
    onshi_card_free(card);
}

/* An Android phone's certificate read and the signature after it (issue 17): the exact
 * commands, in one transaction; the VERIFY of the certificate read serves the signature (the
 * PIN asked once); the reset comes once, at the end of the signature. */
static void script_phone_cert(T *t)
{
    const jpki_fixture *fx = jf_get();
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_expect_hex(&t->sc, "00B0000000", "6982");
    sc_script_label(&t->sc, "JPKIAPGPSETOKEN");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n);
}

static void test_phone_one_transaction(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    script_phone_cert(t);
    onshi_cert *cert = NULL;
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    assert_int_equal(F.nbegin, 1);
    assert_int_equal(F.nend, 0); /* held, verified, for the signature */
    /* the signature: no SELECT AP, no PIN status, no second VERIFY */
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, NULL);
    uint8_t h[32] = {0x17};
    onshi_buf *sig = NULL;
    card->reader->last_ms = 0; /* as if idle: SCardStatus is asked, the card is untouched */
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_OK);
    assert_int_equal(onshi_buf_len(sig), 256);
    onshi_buf_free(sig);
    sc_assert_done(&t->sc);
    assert_int_equal(t->pin_calls, 1);
    assert_int_equal(F.nbegin, 1);
    assert_int_equal(F.nend, 1);
    assert_int_equal(F.end_disp[0], SCARD_RESET_CARD);
    onshi_card_free(card);
    assert_int_equal(F.disc_disp, SCARD_LEAVE_CARD);

    /* the phone swapped for another holder between the two calls: SCardStatus says our
     * card is gone; the signature returns ONSHI_E_CARD_REMOVED without sending anything, and
     * the transaction ends with a reset */
    sc_script_open(&t->sc);
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    script_phone_cert(t);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    sc_assert_done(&t->sc);
    int ends = F.nend;
    F.status_rv = SCARD_W_REMOVED_CARD;
    card->reader->last_ms = 0;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_E_CARD_REMOVED);
    assert_null(sig);
    sc_assert_done(&t->sc); /* nothing was sent */
    assert_int_equal(F.nend, ends + 1);
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_RESET_CARD);
    assert_int_equal(t->pin_calls, 2);
    F.status_rv = SCARD_S_SUCCESS;
    onshi_card_free(card);
}

/* The phone reset by someone else between its certificate and the signature (Windows resets
 * a card whose transaction stays idle over five seconds): the verified state is gone, so the
 * signature starts over as before — AP, PIN status, the person asked again, VERIFY — and
 * the certificate already read is not read again. */
static void test_phone_reset_between(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    script_phone_cert(t);
    onshi_cert *cert = NULL;
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    assert_int_equal(t->pin_calls, 1);
    F.status_rv = SCARD_W_RESET_CARD;
    assert_true(F.nbegin < 4);
    F.begin_rv[F.nbegin] = SCARD_W_RESET_CARD;
    card->reader->last_ms = 0;
    sc_expect_hex(&t->sc, SC_SELECT_AP, "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_PIN, "9000");
    sc_expect_hex(&t->sc, SC_PIN_STATUS, "63C3");
    sc_expect_hex(&t->sc, "002000800431323334", "9000");
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_KEY, "9000");
    sc_expect_fn(&t->sc, "802A0080", sign_handler, NULL);
    uint8_t h[32] = {0x18};
    onshi_buf *sig = NULL;
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, h, 32), ONSHI_OK);
    F.status_rv = SCARD_S_SUCCESS;
    onshi_buf_free(sig);
    sc_assert_done(&t->sc);
    assert_int_equal(t->pin_calls, 2);
    assert_int_equal(F.reconnects, 1);
    assert_int_equal(F.end_disp[F.nend - 1], SCARD_RESET_CARD);
    onshi_card_free(card);
}

static void test_t0_get_response_and_removal(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    F.t0 = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    const jpki_fixture *fx = jf_get();
    sc_expect_hex(&t->sc, SC_SELECT_AUTH_CERT, "9000");
    sc_script_read(&t->sc, fx->card.p, fx->card.n); /* data via 61 xx + C0 */
    onshi_cert *cert = NULL;
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    onshi_cert_free(cert);
    /* an empty answer, then the reader says the card is gone: removed */
    F.empty_answer = 1;
    F.present[0] = 0;
    int tries;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_E_CARD_REMOVED);
    F.empty_answer = 0;
    /* any failure of the transmit while the reader has no card: removed, whatever the code */
    static const LONG codes[] = {SCARD_W_REMOVED_CARD, SCARD_E_NOT_TRANSACTED,
                                 SCARD_F_COMM_ERROR, SCARD_W_UNPOWERED_CARD};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        F.transmit_rv = codes[i];
        assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_E_CARD_REMOVED);
    }
    /* the card is still there: a communication error stays one */
    F.present[0] = 1;
    F.transmit_rv = SCARD_E_NOT_TRANSACTED;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_E_CARD_COMM);
    F.transmit_rv = SCARD_W_REMOVED_CARD;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_E_CARD_REMOVED);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, t->ctx);
    assert_int_equal(v, (int64_t)(uint32_t)SCARD_W_REMOVED_CARD);
    assert_int_equal(F.nend, F.nbegin);
    onshi_card_free(card);
    sc_assert_done(&t->sc);
}

/* A card that answers "61 00" for ever, with no data, must not keep the library in the
 * GET RESPONSE loop (no timeout and no cancellation apply there). */
static void test_endless_get_response(void **state)
{
    T *t = *state;
    F.present[0] = 1;
    F.t0 = 1;
    sc_script_open(&t->sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, t->ctx), ONSHI_OK);
    F.endless_61 = 1;
    int tries;
    assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_E_JPKI_BAD_RESPONSE);
    assert_true(F.nget < 1000);
    F.endless_61 = 0;
    onshi_card_free(card);
}

int main(void)
{
    pthread_mutex_init(&F.m, NULL);
    pthread_cond_init(&F.c, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_and_choose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_events_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_wakes_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_after_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_after_pin_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone_reset_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_t0_get_response_and_removal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_get_response, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
