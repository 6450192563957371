/* jpki: ISO 7816-4 APDU codec (cases 1-4, short and extended) and response parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jpki/jpki.h"
#include "../../support/scripted_card.h"

#include <string.h>

static void roundtrip(const onshi__apdu *a, const char *hex)
{
    uint8_t want[70000], got[70000];
    size_t wn = sc_hex(want, sizeof want, hex), gn = 0;
    assert_int_equal(onshi__apdu_encode(a, got, sizeof got, &gn), ONSHI_OK);
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, wn);
    onshi__apdu p;
    assert_int_equal(onshi__apdu_parse(&p, got, gn), ONSHI_OK);
    assert_int_equal(p.cla, a->cla);
    assert_int_equal(p.ins, a->ins);
    assert_int_equal(p.p1, a->p1);
    assert_int_equal(p.p2, a->p2);
    assert_int_equal(p.lc, a->lc);
    assert_int_equal(p.le, a->le);
    assert_int_equal(onshi__apdu_case(&p), onshi__apdu_case(a));
    if (a->lc)
        assert_memory_equal(p.data, a->data, a->lc);
}

static void test_short_cases(void **state)
{
    (void)state;
    static const uint8_t aid[10] = {0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
    static const uint8_t di[3] = {1, 2, 3};
    onshi__apdu c1 = {0x00, 0x20, 0x00, 0x80, NULL, 0, 0, false};
    roundtrip(&c1, "00200080");
    assert_int_equal(onshi__apdu_case(&c1), 1);
    onshi__apdu c2 = {0x00, 0xB0, 0x01, 0x00, NULL, 0, 256, false};
    roundtrip(&c2, "00B0010000");
    assert_int_equal(onshi__apdu_case(&c2), 2);
    onshi__apdu c2b = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 32, false};
    roundtrip(&c2b, "00B0000020");
    onshi__apdu c3 = {0x00, 0xA4, 0x04, 0x0C, aid, 10, 0, false};
    roundtrip(&c3, "00A4040C0AD392F000260100000001");
    assert_int_equal(onshi__apdu_case(&c3), 3);
    onshi__apdu c4 = {0x80, 0x2A, 0x00, 0x80, di, 3, 256, false};
    roundtrip(&c4, "802A008003010203 00");
    assert_int_equal(onshi__apdu_case(&c4), 4);
    onshi__apdu c4b = {0x00, 0x88, 0x00, 0x00, di, 3, 16, false};
    roundtrip(&c4b, "008800000301020310");
}

static void test_extended_cases(void **state)
{
    (void)state;
    static uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    onshi__apdu e2 = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 65536, false};
    roundtrip(&e2, "00B00000 000000");
    onshi__apdu e2b = {0x00, 0xB0, 0x00, 0x00, NULL, 0, 1000, false};
    roundtrip(&e2b, "00B00000 0003E8");
    uint8_t enc[400];
    size_t n;
    onshi__apdu e3 = {0x00, 0xDA, 0x01, 0x02, big, 300, 0, false};
    assert_int_equal(onshi__apdu_encode(&e3, enc, sizeof enc, &n), ONSHI_OK);
    assert_int_equal(n, 4 + 3 + 300);
    assert_int_equal(enc[4], 0x00);
    assert_int_equal(enc[5], 0x01);
    assert_int_equal(enc[6], 0x2C);
    onshi__apdu p;
    assert_int_equal(onshi__apdu_parse(&p, enc, n), ONSHI_OK);
    assert_int_equal(p.lc, 300);
    assert_int_equal(onshi__apdu_case(&p), 3);
    onshi__apdu e4 = {0x00, 0xDA, 0x01, 0x02, big, 300, 65536, false};
    assert_int_equal(onshi__apdu_encode(&e4, enc, sizeof enc, &n), ONSHI_OK);
    assert_int_equal(n, 4 + 3 + 300 + 2);
    assert_int_equal(enc[n - 2], 0x00);
    assert_int_equal(enc[n - 1], 0x00);
    assert_int_equal(onshi__apdu_parse(&p, enc, n), ONSHI_OK);
    assert_int_equal(p.le, 65536);
    assert_int_equal(onshi__apdu_case(&p), 4);
    /* forced extended form of a small case 4 */
    onshi__apdu e4s = {0x00, 0x2A, 0x00, 0x80, big, 2, 256, true};
    roundtrip(&e4s, "002A0080 000002 0001 0100");
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 99;
    onshi__apdu too_long_le = {0x00, 0xB0, 0, 0, NULL, 0, 65537, false};
    assert_int_equal(onshi__apdu_encode(&too_long_le, out, sizeof out, &n),
                     ONSHI_E_JPKI_APDU_ENCODE);
    assert_int_equal(n, 0);
    onshi__apdu no_data = {0x00, 0xA4, 0, 0, NULL, 2, 0, false};
    assert_int_equal(onshi__apdu_encode(&no_data, out, sizeof out, &n), ONSHI_E_JPKI_APDU_ENCODE);
    static const uint8_t d[8] = {0};
    onshi__apdu no_room = {0x00, 0xA4, 0, 0, d, 8, 0, false};
    assert_int_equal(onshi__apdu_encode(&no_room, out, sizeof out, &n), ONSHI_E_JPKI_APDU_ENCODE);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",               /* empty */
        "00A404",         /* 3 bytes */
        "00A4040C0AD392", /* Lc 10 but 2 data bytes */
        "00A4040C02000A0000", /* one byte too many for case 4 short */
        "00A4040C0000",   /* 6 bytes starting with extended marker */
        "00A4040C000002AA", /* extended Lc 2, 1 data byte */
        "00A4040C000000AABB", /* extended Lc 0 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t b[32];
        size_t n = sc_hex(b, sizeof b, bad[i]);
        onshi__apdu a;
        assert_int_equal(onshi__apdu_parse(&a, b, n), ONSHI_E_JPKI_BAD_RESPONSE);
    }
}

static void test_response(void **state)
{
    (void)state;
    uint8_t r[4] = {0xAA, 0xBB, 0x90, 0x00};
    onshi__rapdu rr;
    assert_int_equal(onshi__rapdu_parse(&rr, r, 4), ONSHI_OK);
    assert_int_equal(rr.len, 2);
    assert_int_equal(rr.sw, 0x9000);
    assert_int_equal(rr.data[1], 0xBB);
    assert_int_equal(onshi__rapdu_parse(&rr, r + 2, 2), ONSHI_OK);
    assert_int_equal(rr.len, 0);
    assert_int_equal(onshi__rapdu_parse(&rr, r, 1), ONSHI_E_JPKI_BAD_RESPONSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_cases),
        cmocka_unit_test(test_extended_cases),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
