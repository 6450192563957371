/*
 * onshi-vcard core, in-process (no pcscd): command parsing and status words, log masking,
 * security-state resets, and libonshi's vendor-transmit-callback driver on the virtual card.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "../../../tools/onshi-vcard/vcard.h"
#include "../../../tools/onshi-vcard/vcard_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static vcard_material mat;

typedef struct logbuf {
    char lines[64][700];
    int n;
} logbuf;

static void log_hook(void *ud, const char *line)
{
    logbuf *lb = ud;
    if (lb->n < 64)
        snprintf(lb->lines[lb->n++], sizeof lb->lines[0], "%s", line);
}

static int group_setup(void **state)
{
    (void)state;
    return vcard_material_generate(&mat, "0A0B0C0D");
}

static int group_teardown(void **state)
{
    (void)state;
    vcard_material_free(&mat);
    return 0;
}

static vcard *new_card(const char *pin, int tries)
{
    vcard_config cfg;
    vcard *c = NULL;
    char err[128];
    vcard_material_config(&cfg, &mat);
    cfg.pin = pin;
    cfg.tries = tries;
    assert_int_equal(vcard_new(&c, &cfg, err, sizeof err), 0);
    return c;
}

static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = 0;
    unsigned v;
    while (*hex && sscanf(hex, "%2x", &v) == 1) {
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}

/* Send hex, return SW; data (if any) into resp. */
static int tx(vcard *c, const char *hex, unsigned char *resp, size_t *len)
{
    unsigned char cmd[600], buf[1024];
    size_t n = unhex(hex, cmd), rl = 0;
    assert_int_equal(vcard_transmit(c, cmd, n, buf, sizeof buf, &rl), 0);
    assert_true(rl >= 2);
    if (resp != NULL)
        memcpy(resp, buf, rl - 2);
    if (len != NULL)
        *len = rl - 2;
    return buf[rl - 2] << 8 | buf[rl - 1];
}

#define SEL_JPKI "00A4040C0AD392F000260100000001"

static void t_status_words(void **state)
{
    unsigned char cmd[8] = {0x00, 0xA4, 0x04}, small[4];
    size_t rl;
    vcard *c = new_card(NULL, 0);
    (void)state;
    assert_int_equal(vcard_transmit(c, cmd, 3, small, sizeof small, &rl), 0); /* too short */
    assert_int_equal(small[0] << 8 | small[1], 0x6700);
    assert_int_equal(tx(c, "00A4040C0BD392F000260100000001", NULL, NULL), 0x6700); /* Lc */
    assert_int_equal(tx(c, "90A4040C0AD392F000260100000001", NULL, NULL), 0x6E00); /* CLA */
    assert_int_equal(tx(c, "0084000008", NULL, NULL), 0x6D00);                     /* INS */
    assert_int_equal(tx(c, "802A008003010203", NULL, NULL), 0x6986);  /* no current EF */
    assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
    assert_int_equal(tx(c, SEL_JPKI "00", NULL, NULL), 0x6700); /* SELECT with Le */
    assert_int_equal(tx(c, "00A4020C02000A", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "00B0000000", NULL, &rl), 0x9000);
    assert_int_equal(rl, 256);
    assert_int_equal(tx(c, "00B08000", NULL, NULL), 0x6700); /* no Le */
    assert_int_equal(tx(c, "00B0000004", NULL, &rl), 0x9000);
    assert_int_equal(rl, 4);
    /* Answer does not fit: -1 and the size that was needed. */
    {
        unsigned char rb[5] = {0x00, 0xB0, 0x00, 0x00, 0x00};
        assert_int_equal(vcard_transmit(c, rb, 5, small, sizeof small, &rl), -1);
        assert_int_equal(rl, 258);
    }
    assert_int_equal(tx(c, "002A9E9A03010203", NULL, NULL), 0x6E00); /* SIGN needs CLA 80 */
    assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "802A018003010203", NULL, NULL), 0x6A86); /* P1 01 not emulated */
    vcard_free(c);
}

static void t_log_masks_pin_and_flags(void **state)
{
    logbuf lb;
    vcard_stats st;
    vcard *c = new_card("5678", 3);
    int i;
    (void)state;
    memset(&lb, 0, sizeof lb);
    vcard_set_log(c, log_hook, &lb);
    assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "00A4020C020018", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "002000800435363738", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "00A4040C0AD3921000310001010408", NULL, NULL), 0x9000);
    vcard_power(c, VCARD_POWER_RESET);
    assert_int_equal(lb.n, 5);
    assert_string_equal(lb.lines[2], "0020008004******** 9000");
    for (i = 0; i < lb.n; i++)
        assert_null(strstr(lb.lines[i], "35363738"));
    assert_string_equal(lb.lines[3], "00A4040C0AD3921000310001010408 9000 FORBIDDEN");
    assert_string_equal(lb.lines[4], "# reset");
    vcard_get_stats(c, &st);
    assert_int_equal(st.apdus, 4);
    assert_int_equal(st.forbidden, 1);
    assert_int_equal(st.mynumber_reads, 0);
    assert_int_equal(st.tries_left, 3);
    vcard_free(c);
}

static void t_security_state(void **state)
{
    unsigned char sig[300];
    size_t rl;
    const char *sign = "802A0080"
                       "33"
                       "3031300D060960864801650304020105000420"
                       "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
                       "00";
    vcard *c = new_card(NULL, 0);
    int ev;
    (void)state;
    for (ev = 0; ev < 3; ev++) {
        assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
        assert_int_equal(tx(c, "00A4020C020018", NULL, NULL), 0x9000);
        assert_int_equal(tx(c, "002000800431323334", NULL, NULL), 0x9000);
        assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x9000);
        assert_int_equal(tx(c, sign, sig, &rl), 0x9000);
        assert_int_equal(rl, 256);
        /* Re-selecting the same AP keeps the state (OpenSC does that between commands)... */
        assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
        assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x9000);
        assert_int_equal(tx(c, sign, NULL, NULL), 0x9000);
        /* ...power off, power on and reset clear it. */
        vcard_power(c, ev);
        assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x6A82); /* no DF any more */
        assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
        assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x9000);
        assert_int_equal(tx(c, sign, NULL, NULL), 0x6982);
    }
    /* Selecting another AP clears it too. */
    assert_int_equal(tx(c, "00A4020C020018", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "002000800431323334", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "00A4040C0AD3921000310001010408", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, SEL_JPKI, NULL, NULL), 0x9000);
    assert_int_equal(tx(c, "00A4020C020017", NULL, NULL), 0x9000);
    assert_int_equal(tx(c, sign, NULL, NULL), 0x6982);
    vcard_free(c);
}

static void t_allowlist_classifier(void **state)
{
    unsigned char cmd[32];
    size_t n;
    (void)state;
    n = unhex(SEL_JPKI, cmd);
    assert_false(vcard_apdu_forbidden(cmd, n, 0));
    n = unhex("00A4040C09D392F0002601000000", cmd); /* prefix */
    assert_true(vcard_apdu_forbidden(cmd, n, 0));
    n = unhex("00A4020C02000A", cmd);
    assert_false(vcard_apdu_forbidden(cmd, n, 1));
    assert_true(vcard_apdu_forbidden(cmd, n, 0)); /* 000A of another AP */
    n = unhex("00A4020C020001", cmd);
    assert_true(vcard_apdu_forbidden(cmd, n, 1)); /* sign certificate (name, address) */
    n = unhex("00B0810000", cmd);                 /* READ BINARY by short EF id 01 */
    assert_true(vcard_apdu_forbidden(cmd, n, 1));
    n = unhex("00B08A0000", cmd);                 /* ... 0A is fine */
    assert_false(vcard_apdu_forbidden(cmd, n, 1));
    n = unhex("0020009B", cmd);                   /* VERIFY of the sign PIN 1B */
    assert_true(vcard_apdu_forbidden(cmd, n, 1));
    n = unhex("00A40000023F00", cmd);             /* MF */
    assert_true(vcard_apdu_forbidden(cmd, n, 1));
}

/* ---- the library's vendor transmit callback driver on the in-process card -------------- */

static int ONSHI_CALL pin_1234(void *ud, int tries_left, int is_last_try, char *buf, size_t cap,
                               int *confirm_last)
{
    (void)ud, (void)tries_left, (void)is_last_try, (void)confirm_last;
    snprintf(buf, cap, "1234");
    return 0;
}

static void t_library_callback_driver(void **state)
{
    logbuf lb;
    vcard_stats st;
    onshi_ctx *ctx = NULL;
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *der = NULL, *sig = NULL;
    unsigned char hash[32];
    vcard *c = new_card(NULL, 0);
    int i, sign_line = -1, reset_after = 0;
    (void)state;
    memset(&lb, 0, sizeof lb);
    memset(hash, 0x5A, sizeof hash);
    vcard_set_log(c, log_hook, &lb);
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK),
                     ONSHI_OK);
    assert_int_equal(tcb_set_card_transmit(ctx, vcard_transmit_cb, c), ONSHI_OK);
    assert_int_equal(tcb_set_card_reset(ctx, vcard_reset_cb, c), ONSHI_OK);
    assert_int_equal(tcb_set_pin(ctx, pin_1234, NULL), ONSHI_OK);
    assert_int_equal(onshi_card_open(&card, ctx), ONSHI_OK);
    assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK);
    assert_int_equal(onshi_cert_der(&der, cert), ONSHI_OK);
    assert_int_equal(onshi_buf_len(der), mat.cert_len);
    assert_memory_equal(onshi_buf_data(der), mat.cert, mat.cert_len);
    assert_int_equal(strcasecmp(onshi_cert_serial_hex(cert), "0A0B0C0D"), 0);
    assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32), ONSHI_OK);
    assert_int_equal(onshi_buf_len(sig), 256);
    vcard_get_stats(c, &st);
    assert_int_equal(st.forbidden, 0);
    assert_int_equal(st.mynumber_reads, 0);
    assert_int_equal(st.signs, 1);
    for (i = 0; i < lb.n; i++) {
        if (strncmp(lb.lines[i], "802A", 4) == 0)
            sign_line = i;
        if (sign_line >= 0 && i > sign_line && strcmp(lb.lines[i], "# reset") == 0)
            reset_after = 1;
    }
    assert_true(sign_line >= 0);
    assert_true(reset_after); /* the library reset the card after using the key */
    onshi_buf_free(sig);
    onshi_buf_free(der);
    onshi_cert_free(cert);
    onshi_card_free(card);
    onshi_ctx_free(ctx);
    vcard_free(c);
}

/* Smartphone mode: Android's token label, and its certificate only after the auth PIN. */
static void t_smartphone_mode(void **state)
{
    unsigned char resp[600];
    size_t n;
    vcard_config cfg;
    vcard *c;
    (void)state;
    vcard_material_config(&cfg, &mat);
    cfg.smartphone = VCARD_PHONE_ANDROID;
    assert_int_equal(vcard_new(&c, &cfg, NULL, 0), 0);
    assert_int_equal(tx(c, "00A4040C0AD392F000260100000001", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00A4020C020006", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00B0000020", resp, &n), 0x9000);
    assert_memory_equal(resp, "JPKIAPGPSETOKEN ", 16);
    assert_int_equal(tx(c, "00A4020C02000A", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00B0000000", resp, &n), 0x6982);
    assert_int_equal(tx(c, "00A4020C020018", resp, &n), 0x9000);
    assert_int_equal(tx(c, "002000800431323334", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00A4020C02000A", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00B0000000", resp, &n), 0x9000);
    assert_int_equal(resp[0], 0x30);
    /* no 券面事項入力補助AP on a phone */
    assert_int_equal(tx(c, "00A4040C0AD39210003100010104" "08", resp, &n), 0x6A82);
    vcard_free(c);
    cfg.smartphone = VCARD_PHONE_IPHONE;
    assert_int_equal(vcard_new(&c, &cfg, NULL, 0), 0);
    assert_int_equal(tx(c, "00A4040C0AD392F000260100000001", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00A4020C020006", resp, &n), 0x9000);
    assert_int_equal(tx(c, "00B0000020", resp, &n), 0x9000);
    assert_memory_equal(resp, "JPKIAPIOSTOKEN ", 15);
    vcard_free(c);
}

/* In-process removal (vcard_config.remove_after): the library sees ONSHI_E_CARD_REMOVED at
 * every APDU of open + certificate + tries + signature (13 APDUs with this certificate). */
static void t_removed_in_process(void **state)
{
    unsigned char hash[32];
    (void)state;
    memset(hash, 0x11, sizeof hash);
    for (unsigned long after = 0; after <= 13; after++) {
        vcard_config cfg;
        vcard *c;
        onshi_ctx *ctx = NULL;
        onshi_card *card = NULL;
        onshi_cert *cert = NULL;
        onshi_buf *sig = NULL;
        int tries = 0, rc;
        vcard_material_config(&cfg, &mat);
        cfg.remove_after = after; /* 0: never */
        assert_int_equal(vcard_new(&c, &cfg, NULL, 0), 0);
        assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
        onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
        tcb_set_card_transmit(ctx, vcard_transmit_cb, c);
        tcb_set_card_reset(ctx, vcard_reset_cb, c);
        tcb_set_pin(ctx, pin_1234, NULL);
        rc = onshi_card_open(&card, ctx);
        if (rc == ONSHI_OK)
            rc = onshi_card_read_auth_cert(&cert, card);
        if (rc == ONSHI_OK)
            rc = onshi_card_pin_tries_left(&tries, card);
        if (rc == ONSHI_OK)
            rc = onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32);
        if (after == 0 || after == 13)
            assert_int_equal(rc, ONSHI_OK); /* 0: never removed; 13: all answered */
        else if (rc != ONSHI_E_CARD_REMOVED)
            fail_msg("removed after %lu APDUs: %s", after, onshi_status_name(rc));
        onshi_buf_free(sig);
        onshi_cert_free(cert);
        onshi_card_free(card);
        onshi_ctx_free(ctx);
        vcard_free(c);
    }
}

/* Issue 17: APDUs per operation of a session (card with the ~1.3 KB certificate): open 1
 * (SELECT AP), certificate 7 (SELECT 000A + 6 READ), tries 2 (SELECT 0018 + status), sign 3
 * (VERIFY, SELECT 0017, SIGN: the tries are not asked again), 13 in all; after the sign the
 * card was reset, so the next call selects the AP again. */
static void t_apdus_per_operation(void **state)
{
    static const unsigned long want[] = {1, 7, 2, 3, 3};
    unsigned long seen[5], before = 0;
    unsigned char hash[32];
    vcard_stats st;
    vcard_config cfg;
    vcard *c;
    onshi_ctx *ctx = NULL;
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;
    int tries = 0, i;
    (void)state;
    memset(hash, 0x22, sizeof hash);
    vcard_material_config(&cfg, &mat);
    assert_int_equal(vcard_new(&c, &cfg, NULL, 0), 0);
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
    tcb_set_card_transmit(ctx, vcard_transmit_cb, c);
    tcb_set_card_reset(ctx, vcard_reset_cb, c);
    tcb_set_pin(ctx, pin_1234, NULL);
    for (i = 0; i < 5; i++) {
        switch (i) {
        case 0: assert_int_equal(onshi_card_open(&card, ctx), ONSHI_OK); break;
        case 1: assert_int_equal(onshi_card_read_auth_cert(&cert, card), ONSHI_OK); break;
        case 2:
        case 4: assert_int_equal(onshi_card_pin_tries_left(&tries, card), ONSHI_OK); break;
        case 3:
            assert_int_equal(onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, 32), ONSHI_OK);
            break;
        }
        vcard_get_stats(c, &st);
        seen[i] = st.apdus - before;
        before = st.apdus;
    }
    for (i = 0; i < 5; i++)
        if (seen[i] != want[i])
            fail_msg("operation %d: %lu APDUs, want %lu", i, seen[i], want[i]);
    assert_int_equal(tries, 3);
    onshi_buf_free(sig);
    onshi_cert_free(cert);
    onshi_card_free(card);
    onshi_ctx_free(ctx);
    vcard_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_status_words),
        cmocka_unit_test(t_log_masks_pin_and_flags),
        cmocka_unit_test(t_security_state),
        cmocka_unit_test(t_allowlist_classifier),
        cmocka_unit_test(t_library_callback_driver),
        cmocka_unit_test(t_smartphone_mode),
        cmocka_unit_test(t_removed_in_process),
        cmocka_unit_test(t_apdus_per_operation),
    };
    return cmocka_run_group_tests_name("onshi-vcard core (in-process)", tests, group_setup,
                                       group_teardown);
}
