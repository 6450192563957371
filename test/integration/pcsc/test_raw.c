/*
 * Integration: the virtual card through the REAL pcscd + vpcd with raw PC/SC calls
 * (SCardConnect/SCardTransmit). Run by harness.sh (private pcscd, namespaces). These tests
 * validate onshi-vcard itself as a card: certificate, PIN counter and lock, signing,
 * removal, interleaving clients with and without transactions, and the APDU log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pcsc_util.h"

#include "../../../tools/onshi-vcard/vcard.h"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEL_JPKI "00A4040C0AD392F000260100000001"
#define SEL_KENHOJO "00A4040C0AD3921000310001010408"

static vc_pki pki;
static SCARDCONTEXT ctx;
/* Cards of the running test; the teardown stops whatever a failed test left running. */
static vc_proc card, c0, c1;

static int stop_cards(void **state)
{
    (void)state;
    vc_stop(&card, ctx);
    vc_stop(&c0, ctx);
    vc_stop(&c1, ctx);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
        return -1;
    return pt_pki_make(&pki);
}

static int group_teardown(void **state)
{
    (void)state;
    SCardReleaseContext(ctx);
    pt_pki_free(&pki);
    return 0;
}

/* Every test that is a well-behaved client ends by proving from the APDU log that nothing
 * outside the JPKI allowlist was selected and no PIN reached the log. */
static void assert_clean_log(const vc_proc *p, unsigned long min_apdus)
{
    pt_logscan s;
    assert_int_equal(pt_log_scan(p->log, &s), 0);
    assert_true(s.apdus >= min_apdus);
    assert_int_equal(s.outside, 0);
    assert_int_equal(s.flagged, 0);
    assert_int_equal(s.mynumber, 0);
    assert_int_equal(s.unmasked_verify, 0);
}

static int sha256_digestinfo(const char *msg, unsigned char di[51])
{
    static const unsigned char prefix[19] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                             0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                             0x01, 0x05, 0x00, 0x04, 0x20};
    memcpy(di, prefix, sizeof prefix);
    return mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)msg,
                      strlen(msg), di + 19);
}

/* JPKI certificates mark certificatePolicies critical with a policy mbedTLS does not know. */
static int accept_ext(void *p_ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                      int critical, const unsigned char *p, const unsigned char *end)
{
    (void)p_ctx, (void)crt, (void)oid, (void)critical, (void)p, (void)end;
    return 0;
}

static int verify_sig(const unsigned char *cert, size_t cert_len, const char *msg,
                      const unsigned char *sig, size_t sig_len)
{
    mbedtls_x509_crt crt;
    unsigned char di[51];
    int rc;
    mbedtls_x509_crt_init(&crt);
    rc = mbedtls_x509_crt_parse_der_with_ext_cb(&crt, cert, cert_len, 1, accept_ext, NULL);
    if (rc == 0)
        rc = sha256_digestinfo(msg, di);
    if (rc == 0)
        rc = mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, di + 19, 32, sig, sig_len);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* SELECT AP, VERIFY, SELECT key, SIGN. Returns the SW of the SIGN (or the first failure). */
static int sign_once(SCARDHANDLE h, const char *pin_apdu, const char *msg, unsigned char *sig,
                     size_t *sig_len)
{
    unsigned char cmd[64] = {0x80, 0x2A, 0x00, 0x80, 51};
    int sw;
    if ((sw = pt_xfer(h, SEL_JPKI, NULL, NULL, NULL)) != 0x9000 ||
        (sw = pt_xfer(h, "00A4020C020018", NULL, NULL, NULL)) != 0x9000 ||
        (pin_apdu != NULL && (sw = pt_xfer(h, pin_apdu, NULL, NULL, NULL)) != 0x9000) ||
        (sw = pt_xfer(h, "00A4020C020017", NULL, NULL, NULL)) != 0x9000)
        return sw;
    sha256_digestinfo(msg, cmd + 5);
    cmd[5 + 51] = 0x00;
    return pt_xfer_bin(h, cmd, 57, sig, sig_len, NULL);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void t_read_cert(void **state)
{
    unsigned char buf[8192];
    size_t len;
    SCARDHANDLE h;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "read", &pki, NULL), 0);
    h = pt_connect(ctx, READER0);
    assert_true(h != 0);
    assert_int_equal(pt_xfer(h, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    /* Token label in EF 0006: how a client recognises the card (never by ATR). */
    assert_int_equal(pt_xfer(h, "00A4020C020006", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000020", buf, &len, NULL), 0x9000);
    assert_int_equal(len, 32);
    assert_memory_equal(buf, "JPKIAPICCTOKEN2                 ", 32);
    /* Auth certificate and CA, byte for byte. */
    assert_int_equal(pt_read_ef(h, 0x000A, buf, sizeof buf, &len), 0x9000);
    assert_int_equal(len, pki.cert_len);
    assert_memory_equal(buf, pki.cert_der, len);
    assert_int_equal(pt_read_ef(h, 0x000B, buf, sizeof buf, &len), 0x9000);
    assert_int_equal(len, pki.ca_len);
    assert_memory_equal(buf, pki.ca_der, len);
    /* Le=00 means 256 bytes. */
    assert_int_equal(pt_xfer(h, "00A4020C02000A", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000000", buf, &len, NULL), 0x9000);
    assert_int_equal(len, 256);
    assert_memory_equal(buf, pki.cert_der, 256);
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 10);
}

/* Status words of a real card for what a client must never do (and the card's own flags). */
static void t_card_errors(void **state)
{
    unsigned char buf[512];
    char cmd[64];
    size_t len;
    pt_logscan s;
    SCARDHANDLE h;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "errors", &pki, NULL), 0);
    h = pt_connect(ctx, READER0);
    assert_true(h != 0);
    assert_int_equal(pt_xfer(h, "00B0000004", NULL, NULL, NULL), 0x6986);  /* no EF yet */
    assert_int_equal(pt_xfer(h, "00A40000023F00", NULL, NULL, NULL), 0x6A86); /* MF after reset */
    assert_int_equal(pt_xfer(h, "00A4040C08D392F00026010000", NULL, NULL, NULL), 0x6A82); /* prefix */
    assert_int_equal(pt_xfer(h, "00A4040C0AD39210003100010104FF", NULL, NULL, NULL), 0x6A82);
    assert_int_equal(pt_xfer(h, "00A404000AD392F000260100000001", NULL, NULL, NULL), 0x6A86); /* P2 */
    assert_int_equal(pt_xfer(h, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00A4020C020005", NULL, NULL, NULL), 0x6A82); /* missing EF */
    assert_int_equal(pt_xfer(h, "00CA000000", NULL, NULL, NULL), 0x6D00);      /* wrong INS */
    assert_int_equal(pt_xfer(h, "00A4080C020005", NULL, NULL, NULL), 0x6A86); /* bad P1 */
    assert_int_equal(pt_xfer(h, "00A4020C02000A", NULL, NULL, NULL), 0x9000);
    snprintf(cmd, sizeof cmd, "00B0%04X10", (unsigned)pki.cert_len);
    assert_int_equal(pt_xfer(h, cmd, NULL, NULL, NULL), 0x6B00); /* past the end */
    snprintf(cmd, sizeof cmd, "00B0%04X10", (unsigned)pki.cert_len - 8);
    assert_int_equal(pt_xfer(h, cmd, buf, &len, NULL), 0x6282); /* short of Le: EOF */
    assert_int_equal(len, 8);
    assert_int_equal(pt_xfer(h, "00B00000000004", NULL, NULL, NULL), 0x6700); /* extended */
    assert_int_equal(pt_xfer(h, "00A4020C020017", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000004", NULL, NULL, NULL), 0x6981); /* key not readable */
    assert_int_equal(pt_xfer(h, "802A008003010203", NULL, NULL, NULL), 0x6982); /* no PIN */
    /* The decoy AP: selecting it is flagged, and so is reading the fake My Number, which is
     * how the allowlist tests know their detector works. */
    assert_int_equal(pt_xfer(h, SEL_KENHOJO, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00A4020C020001", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000000", NULL, NULL, NULL), 0x6982);
    assert_int_equal(pt_xfer(h, "00A4020C020011", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "002000800431323334", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00A4020C020001", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000000", buf, &len, NULL), 0x6282);
    assert_int_equal(len, 3 + strlen(VCARD_FAKE_MYNUMBER));
    assert_memory_equal(buf + 3, VCARD_FAKE_MYNUMBER, strlen(VCARD_FAKE_MYNUMBER));
    SCardDisconnect(h, SCARD_RESET_CARD);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_int_equal(pt_log_scan(card.log, &s), 0);
    /* MF, prefix, unknown AID, EF 0005, P1=08, kenhojo, its 0001, 0011, 0001 again */
    assert_int_equal(s.outside, 9);
    assert_int_equal(s.flagged, 9); /* the card's own flags agree */
    assert_int_equal(s.mynumber, 1);
    assert_int_equal(s.unmasked_verify, 0);
}

static void t_pin_tries_lock(void **state)
{
    static const char *const extra[] = {"--pin", "4321", NULL};
    SCARDHANDLE h;
    unsigned char sig[512];
    size_t sig_len;
    DWORD proto;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "pin", &pki, extra), 0);
    h = pt_connect(ctx, READER0);
    assert_true(h != 0);
    assert_int_equal(pt_xfer(h, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00A4020C020018", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00200080", NULL, NULL, NULL), 0x63C3); /* query, free */
    assert_int_equal(pt_xfer(h, "00200080", NULL, NULL, NULL), 0x63C3);
    assert_int_equal(pt_xfer(h, "002000800431313131", NULL, NULL, NULL), 0x63C2);
    assert_int_equal(pt_xfer(h, "00200080", NULL, NULL, NULL), 0x63C2);
    assert_int_equal(pt_xfer(h, "002000800434333231", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00200080", NULL, NULL, NULL), 0x63C3); /* reset on success */
    /* Short EF id form (P2 = 80|18) reaches the same counter. */
    assert_int_equal(pt_xfer(h, "002000980431313131", NULL, NULL, NULL), 0x63C2);
    assert_int_equal(pt_xfer(h, "002000800431313131", NULL, NULL, NULL), 0x63C1);
    assert_int_equal(pt_xfer(h, "002000800431313131", NULL, NULL, NULL), 0x63C0); /* locks */
    assert_int_equal(pt_xfer(h, "002000800434333231", NULL, NULL, NULL), 0x6984); /* forever */
    assert_int_equal(pt_xfer(h, "002000800431313131", NULL, NULL, NULL), 0x6984);
    assert_int_equal(pt_xfer(h, "00200080", NULL, NULL, NULL), 0x63C0);
    /* Power does not unlock it. */
    assert_int_equal(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_UNPOWER_CARD,
                                    &proto),
                     SCARD_S_SUCCESS);
    assert_int_equal(sign_once(h, "002000800434333231", "x", sig, &sig_len), 0x6984);
    SCardDisconnect(h, SCARD_RESET_CARD);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 15);
}

static void t_sign_verify(void **state)
{
    static const char *msg = "challenge from the server";
    SCARDHANDLE h;
    unsigned char sig[512];
    size_t sig_len = 0;
    DWORD proto;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "sign", &pki, NULL), 0);
    h = pt_connect(ctx, READER0);
    assert_true(h != 0);
    assert_int_equal(sign_once(h, NULL, msg, sig, &sig_len), 0x6982); /* no PIN yet */
    assert_int_equal(sign_once(h, "002000800431323334", msg, sig, &sig_len), 0x9000);
    assert_int_equal(sig_len, 256);
    assert_int_equal(verify_sig(pki.cert_der, pki.cert_len, msg, sig, sig_len), 0);
    assert_true(verify_sig(pki.cert_der, pki.cert_len, "another message", sig, sig_len) != 0);
    /* The security state is lost on reset... */
    assert_int_equal(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_RESET_CARD,
                                    &proto),
                     SCARD_S_SUCCESS);
    assert_int_equal(sign_once(h, NULL, msg, sig, &sig_len), 0x6982);
    /* ...and kept while the AP stays selected (short EF id 97 = key 0017 saves a SELECT). */
    assert_int_equal(sign_once(h, "002000800431323334", msg, sig, &sig_len), 0x9000);
    {
        unsigned char cmd[64] = {0x80, 0x2A, 0x00, 0x97, 51};
        sha256_digestinfo(msg, cmd + 5);
        cmd[56] = 0;
        assert_int_equal(pt_xfer_bin(h, cmd, 57, sig, &sig_len, NULL), 0x9000);
        assert_int_equal(verify_sig(pki.cert_der, pki.cert_len, msg, sig, sig_len), 0);
    }
    SCardDisconnect(h, SCARD_RESET_CARD);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 10);
}

static void t_card_removed(void **state)
{
    static const char *const extra[] = {"--remove-after", "3", NULL};
    unsigned char buf[300];
    size_t len;
    SCARDHANDLE h;
    LONG rv = 0;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "removed", &pki, extra), 0);
    h = pt_connect(ctx, READER0);
    assert_true(h != 0);
    assert_int_equal(pt_xfer(h, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00A4020C02000A", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h, "00B0000000", buf, &len, NULL), 0x9000);
    /* The 4th APDU finds no card: the read is cut in the middle. */
    /* vpcd 3.3 answers this one with SCARD_S_SUCCESS and 0 bytes (vicc_transmit sees the
     * closed socket); a real reader says SCARD_W_REMOVED_CARD. A client must treat both as
     * "card gone". */
    len = 99;
    assert_int_equal(pt_xfer(h, "00B0010000", buf, &len, &rv), -1);
    assert_true(rv != SCARD_S_SUCCESS || len == 99);
    assert_int_equal(pt_wait_card(ctx, READER0, 0, 15000), 0);
    /* Once pcscd has seen the empty reader, every call says so. */
    assert_int_equal(pt_xfer(h, "00B0010000", buf, &len, &rv), -1);
    assert_true(rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD);
    SCardDisconnect(h, SCARD_LEAVE_CARD);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 3);
}

/* Without a transaction, another client's SELECT changes the current EF under our feet: the
 * card has one current EF for everybody (jpki-card.md, virtual-pcsc.md gotcha 5). */
typedef struct intruder_arg {
    SCARDHANDLE h;
    int sw;
} intruder_arg;

static void *intrude(void *arg)
{
    intruder_arg *x = arg;
    x->sw = pt_xfer(x->h, "00A4020C02000B", NULL, NULL, NULL);
    return NULL;
}

static void t_interleave_without_txn(void **state)
{
    intruder_arg intruder;
    pthread_t th;
    unsigned char buf[300];
    size_t len;
    SCARDCONTEXT ctx2;
    SCARDHANDLE a, b;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "nontxn", &pki, NULL), 0);
    assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx2),
                     SCARD_S_SUCCESS);
    a = pt_connect(ctx, READER0);
    b = pt_connect(ctx2, READER0);
    assert_true(a != 0 && b != 0);
    assert_int_equal(pt_xfer(a, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(a, "00A4020C02000A", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(b, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(b, "00A4020C02000B", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(a, "00B0000000", buf, &len, NULL), 0x9000);
    /* A asked for its auth certificate and got the CA certificate. */
    assert_memory_equal(buf, pki.ca_der, 64);
    assert_memory_not_equal(buf, pki.cert_der, 64);
    /* While B holds a transaction, A's SELECT waits (pcsc-lite blocks it) until B is done. */
    assert_int_equal(SCardBeginTransaction(b), SCARD_S_SUCCESS);
    assert_int_equal(pt_xfer(b, "00A4020C02000A", NULL, NULL, NULL), 0x9000);
    intruder.h = a;
    assert_int_equal(pthread_create(&th, NULL, intrude, &intruder), 0);
    assert_int_equal(pt_xfer(b, "00B0000000", buf, &len, NULL), 0x9000);
    assert_memory_equal(buf, pki.cert_der, 256);
    assert_int_equal(pt_xfer(b, "00B0010000", buf, &len, NULL), 0x9000);
    assert_memory_equal(buf, pki.cert_der + 256, 256);
    assert_int_equal(SCardEndTransaction(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(intruder.sw, 0x9000);
    SCardDisconnect(a, SCARD_LEAVE_CARD);
    SCardDisconnect(b, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx2);
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 7);
}

/* Two client processes run full JPKI sequences (read cert, VERIFY, SIGN) at the same time,
 * each inside SCardBeginTransaction, and ending with a card reset: every one is correct. */
static int txn_client(int id, int rounds)
{
    SCARDCONTEXT c;
    SCARDHANDLE h;
    unsigned char buf[8192], sig[512];
    size_t len, sig_len;
    char msg[64];
    int i, bad = 0;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c) != SCARD_S_SUCCESS)
        return 10;
    h = pt_connect(c, READER0);
    if (h == 0)
        return 11;
    for (i = 0; i < rounds; i++) {
        DWORD proto;
        LONG rv = SCardBeginTransaction(h);
        /* The other client reset the card after its signature: our handle learns it once
         * and must reconnect (what the library's ONSHI_E_CARD_RESET path does). */
        if (rv == SCARD_W_RESET_CARD) {
            rv = SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
                                &proto);
            if (rv == SCARD_S_SUCCESS)
                rv = SCardBeginTransaction(h);
        }
        if (rv != SCARD_S_SUCCESS) {
            fprintf(stderr, "client %d: SCardBeginTransaction 0x%lx\n", id, (unsigned long)rv);
            bad++;
            continue;
        }
        snprintf(msg, sizeof msg, "client %d round %d", id, i);
        if (pt_xfer(h, SEL_JPKI, NULL, NULL, NULL) != 0x9000 ||
            pt_read_ef(h, id ? 0x000B : 0x000A, buf, sizeof buf, &len) != 0x9000 ||
            len != (id ? pki.ca_len : pki.cert_len) ||
            memcmp(buf, id ? pki.ca_der : pki.cert_der, len) != 0) {
            fprintf(stderr, "client %d round %d: read failed\n", id, i);
            bad++;
        }
        else if (sign_once(h, "002000800431323334", msg, sig, &sig_len) != 0x9000 ||
                 verify_sig(pki.cert_der, pki.cert_len, msg, sig, sig_len) != 0) {
            fprintf(stderr, "client %d round %d: signature failed\n", id, i);
            bad++;
        }
        /* Reset after using the key, so no verified state lingers for the other client. */
        SCardEndTransaction(h, SCARD_RESET_CARD);
    }
    SCardDisconnect(h, SCARD_RESET_CARD);
    SCardReleaseContext(c);
    return bad;
}

static void t_interleave_with_txn(void **state)
{
    pid_t kids[2];
    int i, status;
    (void)state;
    assert_int_equal(vc_start(&card, ctx, READER0, "txn", &pki, NULL), 0);
    for (i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0)
            _exit(txn_client(i, 15));
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(vc_stop(&card, ctx), 0);
    assert_clean_log(&card, 2 * 15 * 9);
}

/* Two cards in two readers at once (slots 35963 and 35964). */
static void t_two_readers(void **state)
{
    static const char *const extra[] = {"--pin", "9999", NULL};
    SCARDHANDLE h0, h1;
    (void)state;
    assert_int_equal(vc_start(&c0, ctx, READER0, "slot0", &pki, NULL), 0);
    assert_int_equal(vc_start(&c1, ctx, READER1, "slot1", &pki, extra), 0);
    h0 = pt_connect(ctx, READER0);
    h1 = pt_connect(ctx, READER1);
    assert_true(h0 != 0 && h1 != 0);
    assert_int_equal(pt_xfer(h0, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h1, SEL_JPKI, NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h0, "00A4020C020018", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h1, "00A4020C020018", NULL, NULL, NULL), 0x9000);
    assert_int_equal(pt_xfer(h0, "002000800439393939", NULL, NULL, NULL), 0x63C2);
    assert_int_equal(pt_xfer(h1, "002000800439393939", NULL, NULL, NULL), 0x9000);
    SCardDisconnect(h0, SCARD_RESET_CARD);
    SCardDisconnect(h1, SCARD_RESET_CARD);
    assert_int_equal(vc_stop(&c0, ctx), 0);
    assert_int_equal(vc_stop(&c1, ctx), 0);
    assert_clean_log(&c0, 3);
    assert_clean_log(&c1, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_read_cert, stop_cards),
        cmocka_unit_test_teardown(t_card_errors, stop_cards),
        cmocka_unit_test_teardown(t_pin_tries_lock, stop_cards),
        cmocka_unit_test_teardown(t_sign_verify, stop_cards),
        cmocka_unit_test_teardown(t_card_removed, stop_cards),
        cmocka_unit_test_teardown(t_interleave_without_txn, stop_cards),
        cmocka_unit_test_teardown(t_interleave_with_txn, stop_cards),
        cmocka_unit_test_teardown(t_two_readers, stop_cards),
    };
    return cmocka_run_group_tests_name("pcsc raw (real pcscd + vpcd + onshi-vcard)", tests,
                                       group_setup, group_teardown);
}
