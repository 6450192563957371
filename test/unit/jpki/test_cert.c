/* jpki: X.509 through mbedTLS: getters, JPKI critical certificatePolicies, chain
 * verification against ONSHI_OPT_JPKI_CA_FILES (good, expired, not yet valid, unknown
 * issuer), CA files as PEM, DER, folders and lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jpki/jpki.h"
#include "../../support/jpki_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static onshi_ctx *new_ctx(const char *cas)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    if (cas)
        assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_JPKI_CA_FILES, cas), ONSHI_OK);
    return ctx;
}

static int verify_der(onshi_ctx *ctx, const jf_der *d)
{
    onshi_cert *c;
    assert_int_equal(onshi_cert_from_der(&c, ctx, d->p, d->n), ONSHI_OK);
    int rc = onshi_cert_verify(ctx, c);
    onshi_cert_free(c);
    return rc;
}

static void test_getters(void **state)
{
    (void)state;
    const jpki_fixture *fx = jf_get();
    onshi_cert *c;
    assert_int_equal(onshi_cert_from_der(&c, NULL, fx->card.p, fx->card.n), ONSHI_OK);
    assert_string_equal(onshi_cert_subject(c), "C=JP, CN=Test Card 0001");
    assert_string_equal(onshi_cert_issuer(c),
                        "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, CN=Test CA");
    const char *sn = onshi_cert_serial_hex(c);
    assert_true(strlen(sn) >= 2 && strlen(sn) % 2 == 0);
    assert_int_equal(strspn(sn, "0123456789abcdef"), strlen(sn));
    assert_int_equal(onshi_cert_key_type(c), ONSHI_KEY_RSA);
    assert_int_equal(onshi_cert_key_bits(c), 2048);
    assert_int_equal(onshi_cert_key_usage(c), ONSHI_KU_DIGITAL_SIGNATURE);
    /* default validity: from now - 1 day, 5 years */
    assert_int_equal(strlen(onshi_cert_not_before(c)), 14);
    assert_int_equal(strlen(onshi_cert_not_after(c)), 14);
    assert_true(strcmp(onshi_cert_not_before(c), onshi_cert_not_after(c)) < 0);
    time_t now = time(NULL);
    int64_t na = onshi_cert_not_after_epoch(c);
    assert_true(na > now + 4 * 365 * 86400LL && na < now + 6 * 366 * 86400LL);
    int64_t days = -1;
    assert_int_equal(onshi_cert_days_left(&days, c), ONSHI_OK);
    assert_true(days >= 4 * 365 && days <= 5 * 366);
    /* not_after string and epoch agree */
    struct tm tm;
    time_t t = (time_t)na;
    gmtime_r(&t, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y%m%d%H%M%S", &tm);
    assert_string_equal(s, onshi_cert_not_after(c));
    onshi_cert_free(c);

    assert_int_equal(onshi_cert_from_der(&c, NULL, fx->ca.p, fx->ca.n), ONSHI_OK);
    assert_int_equal(onshi_cert_key_usage(c), ONSHI_KU_KEY_CERT_SIGN | ONSHI_KU_CRL_SIGN);
    onshi_cert_free(c);
    assert_int_equal(onshi_cert_from_der(&c, NULL, fx->other_ca.p, fx->other_ca.n), ONSHI_OK);
    assert_int_equal(onshi_cert_key_type(c), ONSHI_KEY_EC);
    assert_int_equal(onshi_cert_key_bits(c), 256);
    onshi_cert_free(c);

    assert_int_equal(onshi_cert_from_der(&c, NULL, fx->expired.p, fx->expired.n), ONSHI_OK);
    assert_int_equal(onshi_cert_days_left(&days, c), ONSHI_OK);
    assert_true(days < -30);
    /* an error is not a number of days: "today" (0) and "error" cannot be confused */
    days = 7;
    assert_int_equal(onshi_cert_days_left(&days, NULL), ONSHI_E_INVALID_ARG);
    assert_int_equal(days, 0);
    assert_int_equal(onshi_cert_days_left(NULL, c), ONSHI_E_INVALID_ARG);
    onshi_cert_free(c);
    /* NULL-safe getters */
    assert_null(onshi_cert_subject(NULL));
    assert_int_equal(onshi_cert_key_usage(NULL), ONSHI_E_INVALID_ARG);
    onshi_cert_free(NULL);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const jpki_fixture *fx = jf_get();
    onshi_ctx *ctx = new_ctx(NULL);
    onshi_cert *c = (onshi_cert *)&c;
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(onshi_cert_from_der(&c, ctx, junk, sizeof junk), ONSHI_E_JPKI_CERT_PARSE);
    assert_null(c);
    int kind;
    int64_t v;
    onshi_ctx_last_error_foreign(&kind, &v, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_MBEDTLS);
    assert_true(v < 0);
    /* one byte short */
    assert_int_equal(onshi_cert_from_der(&c, ctx, fx->card.p, fx->card.n - 1),
                     ONSHI_E_JPKI_CERT_PARSE);
    /* a flipped byte in the policy OID makes the critical extension unknown: refused */
    unsigned char *m = malloc(fx->card.n);
    memcpy(m, fx->card.p, fx->card.n);
    static const unsigned char arc[] = {0x06, 0x0D, 0x2A, 0x83, 0x08, 0x8C, 0x9B, 0x55};
    unsigned char *hit = NULL;
    for (size_t i = 0; i + sizeof arc <= fx->card.n; i++)
        if (memcmp(m + i, arc, sizeof arc) == 0)
            hit = m + i;
    assert_non_null(hit); /* 1.2.392.200149... is in the certificate */
    hit[4] ^= 0x01;       /* 1.2.393.200149... : not a JPKI policy */
    assert_int_equal(onshi_cert_from_der(&c, ctx, m, fx->card.n), ONSHI_E_JPKI_CERT_PARSE);
    free(m);
    assert_int_equal(onshi_cert_from_der(NULL, ctx, junk, sizeof junk), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_cert_from_der(&c, ctx, NULL, 0), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

static void test_verify_outcomes(void **state)
{
    (void)state;
    const jpki_fixture *fx = jf_get();
    onshi_ctx *ctx = new_ctx(fx->ca_file);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_OK);
    assert_int_equal(verify_der(ctx, &fx->expired), ONSHI_E_JPKI_CERT_EXPIRED);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "expired"));
    assert_int_equal(verify_der(ctx, &fx->notyet), ONSHI_E_JPKI_CERT_NOT_YET_VALID);
    assert_int_equal(verify_der(ctx, &fx->unknown), ONSHI_E_JPKI_CERT_UNKNOWN_ISSUER);
    /* the CA itself verifies (self-signed, in the set) */
    assert_int_equal(verify_der(ctx, &fx->ca), ONSHI_OK);
    onshi_ctx_free(ctx);

    /* trusting only the other CA: our card is unknown, the other card verifies */
    ctx = new_ctx(fx->other_ca_file);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_E_JPKI_CERT_UNKNOWN_ISSUER);
    assert_int_equal(verify_der(ctx, &fx->unknown), ONSHI_OK);
    onshi_ctx_free(ctx);
}

static void test_ca_sources(void **state)
{
    (void)state;
    const jpki_fixture *fx = jf_get();
    char list[1024];
    /* DER file */
    onshi_ctx *ctx = new_ctx(fx->ca_der_file);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_OK);
    onshi_ctx_free(ctx);
    /* folder (holds both CAs) */
    ctx = new_ctx(fx->dir);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_OK);
    assert_int_equal(verify_der(ctx, &fx->unknown), ONSHI_OK);
    onshi_ctx_free(ctx);
    /* ';'-separated list, with an empty item */
    snprintf(list, sizeof list, "%s;;%s", fx->other_ca_file, fx->ca_file);
    ctx = new_ctx(list);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_OK);
    onshi_ctx_free(ctx);
    /* nothing configured, missing file, file without a certificate */
    ctx = new_ctx(NULL);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_E_CONFIG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "jpki") ||
                    strstr(onshi_ctx_last_error_message(ctx), "JPKI"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_JPKI_CA_FILES, "/nonexistent/ca.pem");
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_E_CONFIG);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "/nonexistent/ca.pem"));
    char junk[300];
    snprintf(junk, sizeof junk, "%s/junk.txt", fx->dir);
    FILE *f = fopen(junk, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    onshi_ctx_set_str(ctx, ONSHI_OPT_JPKI_CA_FILES, junk);
    assert_int_equal(verify_der(ctx, &fx->card), ONSHI_E_CONFIG);
    remove(junk);
    assert_int_equal(onshi_cert_verify(ctx, NULL), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

int main(void)
{
    jf_get();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_verify_outcomes),
        cmocka_unit_test(test_ca_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
