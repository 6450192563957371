/* jpki: the privacy allowlist. Only the JPKI AP and its EFs 0006 000A 000B 0017 0018 can be
 * selected; every other SELECT, short-EF-id read and foreign command is refused before it
 * is sent, and the scripted card proves nothing else reached it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jpki/jpki.h"
#include "../../support/scripted_card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const onshi__jpki_profile *prof(void)
{
    return onshi__jpki_profile_at(0);
}

static bool allowed_hex(const char *hex)
{
    uint8_t b[300];
    size_t n = sc_hex(b, sizeof b, hex);
    const char *why;
    bool ok = onshi__jpki_allowed(prof(), b, n, &why);
    if (!ok)
        assert_non_null(why);
    return ok;
}

static void test_allowed_commands(void **state)
{
    (void)state;
    assert_true(allowed_hex(SC_SELECT_AP));
    assert_true(allowed_hex(SC_SELECT_TOKEN));
    assert_true(allowed_hex(SC_SELECT_AUTH_CERT));
    assert_true(allowed_hex(SC_SELECT_AUTH_CA));
    assert_true(allowed_hex(SC_SELECT_AUTH_KEY));
    assert_true(allowed_hex(SC_SELECT_AUTH_PIN));
    assert_true(allowed_hex("00B0000000"));
    assert_true(allowed_hex("00B0030020"));
    assert_true(allowed_hex("00200080"));
    assert_true(allowed_hex("002000800431323334"));
    assert_true(allowed_hex("802A008013303130 0D06096086480165 030402010500 0420 00"));
}

static void test_other_aps_refused(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "00A4040C0AD3921000310001010408", /* 券面事項入力補助AP: holds the My Number */
        "00A4040C0AD3921000310001010402", /* 券面事項確認AP */
        "00A4040C0AD3921000310001010401", /* 住基AP */
        "00A4040C0AD3921000310001010100", /* 共通カードAP */
        "00A4040C07A0000001510000",       /* GP ISD */
        "00A40000",                       /* select MF */
        "00A4000C023F00",                 /* MF by FID */
        "00A4040C09D392F0002601000000",   /* prefix of the JPKI AID (partial DF name) */
        "00A4040C0BD392F00026010000000100", /* AID + extra byte */
        "00A40400 0AD392F000260100000001",  /* JPKI AID but asks for FCI (P2 00) */
        "00A4040C0AD392F000260100000001 00", /* case 4 form */
        "0CA4040C0AD392F000260100000001",   /* secure-messaging CLA */
        "00A4080C04D392F000",             /* select by path */
        "00A4090C020001",                 /* path from current DF */
        "00A4010C020001",                 /* child DF */
        "00A4030C",                       /* parent DF */
        "00A4020C0200",                   /* truncated FID */
        "00A4020C03000A00",               /* 3-byte FID */
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (allowed_hex(refused[i]))
            fail_msg("allowed: %s", refused[i]);
}

static void test_every_other_ef_refused(void **state)
{
    (void)state;
    int allowed = 0;
    for (unsigned fid = 0; fid <= 0xFFFF; fid++) {
        char hex[32];
        snprintf(hex, sizeof hex, "00A4020C02%04X", fid);
        bool ok = allowed_hex(hex);
        bool want = fid == 0x0006 || fid == 0x000A || fid == 0x000B || fid == 0x0017 ||
                    fid == 0x0018;
        if (ok != want)
            fail_msg("EF %04X: allowed %d", fid, ok);
        allowed += ok;
        /* every P1/P2 variant of the same FID other than 02 0C is refused */
        if (want)
            for (unsigned p = 0; p < 256; p++) {
                snprintf(hex, sizeof hex, "00A4%02X0C02%04X", p, fid);
                if (p != 2 && allowed_hex(hex))
                    fail_msg("P1 %02X allowed", p);
                snprintf(hex, sizeof hex, "00A402%02X02%04X", p, fid);
                if (p != 0x0C && allowed_hex(hex))
                    fail_msg("P2 %02X allowed", p);
            }
    }
    assert_int_equal(allowed, 5);
}

static void test_other_commands_refused(void **state)
{
    (void)state;
    /* READ BINARY by short EF id would read 0001 (sign cert: name, address) without SELECT */
    for (unsigned sfi = 0; sfi < 32; sfi++) {
        char hex[16];
        snprintf(hex, sizeof hex, "00B0%02X0000", 0x80 | sfi);
        assert_false(allowed_hex(hex));
    }
    assert_false(allowed_hex("00B1000000"));          /* odd READ BINARY */
    assert_false(allowed_hex("00B000000000FF"));      /* extended READ BINARY */
    assert_false(allowed_hex("00200098"));            /* VERIFY by short EF id */
    assert_false(allowed_hex("0020008106313233343536")); /* other PIN reference */
    assert_false(allowed_hex("002000800331323334"));  /* wrong Lc */
    assert_false(allowed_hex("00200080083132333435363738")); /* 8-byte PIN */
    assert_false(allowed_hex("002401800431323334"));  /* CHANGE REFERENCE DATA */
    assert_false(allowed_hex("802A00970300010200"));  /* sign by short EF id */
    assert_false(allowed_hex("802A009A0300010200"));  /* sign key */
    assert_false(allowed_hex("802A0180030001020000")); /* card-side hashing mode */
    assert_false(allowed_hex("802A0080030001"));      /* no Le */
    assert_false(allowed_hex("00CA0101"));            /* GET DATA */
    assert_false(allowed_hex("0084000008"));          /* GET CHALLENGE */
    assert_false(allowed_hex("00D6000001FF"));        /* UPDATE BINARY */
    assert_false(allowed_hex("00B2010400"));          /* READ RECORD */
    assert_false(allowed_hex("00C0000000"));          /* GET RESPONSE (driver-level only) */
    /* every INS other than A4 B0 20 with CLA 00, and every INS with CLA 80 but 2A */
    for (unsigned ins = 0; ins < 256; ins++) {
        char hex[16];
        snprintf(hex, sizeof hex, "00%02X000000", ins);
        if (ins != 0xB0 && allowed_hex(hex))
            fail_msg("CLA 00 INS %02X allowed", ins);
        snprintf(hex, sizeof hex, "80%02X0080010000", ins);
        if (ins != 0x2A && allowed_hex(hex))
            fail_msg("CLA 80 INS %02X allowed", ins);
    }
}

/* Through the channel: refused commands never reach the card. */
static void test_channel_refuses_before_sending(void **state)
{
    (void)state;
    static scripted_card sc;
    sc_init(&sc);
    sc_script_open(&sc);
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    sc_attach(ctx, &sc);
    onshi_card *card;
    assert_int_equal(onshi_card_open(&card, ctx), ONSHI_OK);
    sc_assert_done(&sc);
    size_t sent = sc.nlog;

    onshi__jpki_chan *ch = &card->ch;
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    static const uint8_t kenhojo[10] = {0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08};
    onshi__apdu sel = {0x00, 0xA4, 0x04, 0x0C, kenhojo, 10, 0, false};
    assert_int_equal(onshi__jpki_send(ch, &sel, resp, &r), ONSHI_E_JPKI_APDU_REFUSED);
    /* nothing selected (as after a transaction ended): a READ BINARY is refused too */
    onshi__jpki_chan_reset(ch);
    onshi__apdu rb = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, false};
    assert_int_equal(onshi__jpki_send(ch, &rb, resp, &r), ONSHI_E_JPKI_APDU_REFUSED);
    onshi__apdu rbsfi = {0x00, 0xB0, 0x81, 0x00, NULL, 0, 256, false};
    ch->ap_selected = true;
    ch->cur_ef = ONSHI__EF_AUTH_CERT;
    assert_int_equal(onshi__jpki_send(ch, &rbsfi, resp, &r), ONSHI_E_JPKI_APDU_REFUSED);
    /* VERIFY while the cert EF is current, SIGN while the PIN EF is current */
    static const uint8_t pin[4] = {'1', '2', '3', '4'};
    onshi__apdu ver = {0x00, 0x20, 0x00, 0x80, pin, 4, 0, false};
    assert_int_equal(onshi__jpki_send(ch, &ver, resp, &r), ONSHI_E_JPKI_APDU_REFUSED);
    ch->cur_ef = ONSHI__EF_AUTH_PIN;
    onshi__apdu sig = {0x80, 0x2A, 0x00, 0x80, pin, 4, 256, false};
    assert_int_equal(onshi__jpki_send(ch, &sig, resp, &r), ONSHI_E_JPKI_APDU_REFUSED);
    assert_int_equal(onshi__jpki_select_ef(ch, ONSHI__EF_COUNT), ONSHI_E_JPKI_APDU_REFUSED);
    assert_int_equal(onshi__jpki_select_ef(ch, -1), ONSHI_E_JPKI_APDU_REFUSED);
    onshi__jpki_chan_reset(ch);
    assert_int_equal(onshi__jpki_select_ef(ch, ONSHI__EF_AUTH_CERT), ONSHI_E_JPKI_APDU_REFUSED);
    assert_int_equal(onshi_ctx_last_error(ctx), ONSHI_E_JPKI_APDU_REFUSED);
    assert_int_equal(sc.nlog, sent); /* not one more command reached the card */
    assert_true(sc_only_allowed_selects(&sc));
    onshi_card_free(card);
    onshi_ctx_free(ctx);
}

static void test_trace_masks_verify(void **state)
{
    (void)state;
    uint8_t cmd[9] = {0x00, 0x20, 0x00, 0x80, 0x04, '9', '8', '7', '6'};
    char out[128];
    onshi__jpki_trace_fmt(out, sizeof out, cmd, sizeof cmd);
    assert_string_equal(out, "0020008004 ********");
    assert_null(strstr(out, "39383736"));
    onshi__jpki_trace_fmt(out, sizeof out, cmd, 4);
    assert_string_equal(out, "00200080");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_commands),
        cmocka_unit_test(test_other_aps_refused),
        cmocka_unit_test(test_every_other_ef_refused),
        cmocka_unit_test(test_other_commands_refused),
        cmocka_unit_test(test_channel_refuses_before_sending),
        cmocka_unit_test(test_trace_masks_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
