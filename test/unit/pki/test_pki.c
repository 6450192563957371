/* The test PKI makes certificates of the shapes the SDK must handle (real JPKI has a
 * critical certificatePolicies that plain mbedTLS parsing refuses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../../tools/onshi-pki/pki.h"
#include "../../support/tmpdir.h"

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    if (tmpdir_make(dir, sizeof dir, "pki-test") != 0)
        return -1;
    return pki_make_standard(dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(dir);
}

/* Accept the JPKI (test) policy in a critical certificatePolicies, as the jpki layer must. */
static int policy_cb(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                     int critical, const unsigned char *p, const unsigned char *end)
{
    (void)ctx;
    (void)crt;
    (void)p;
    (void)end;
    static const unsigned char policies[] = {0x55, 0x1D, 0x20}; /* 2.5.29.32 */
    return oid->len == sizeof policies && memcmp(oid->p, policies, oid->len) == 0 && critical
               ? 0
               : -1;
}

static void load(mbedtls_x509_crt *crt, const char *name, int with_cb)
{
    char path[256];
    unsigned char *der = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(pki_cert_read_der(path, &der, &len), 0);
    mbedtls_x509_crt_init(crt);
    int rc = with_cb ? mbedtls_x509_crt_parse_der_with_ext_cb(crt, der, len, 1, policy_cb, NULL)
                     : mbedtls_x509_crt_parse_der(crt, der, len);
    free(der);
    assert_int_equal(rc, 0);
}

static void test_card_cert_shape(void **state)
{
    (void)state;
    char path[256];
    unsigned char *der = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/card-auth.der", dir);
    assert_int_equal(pki_cert_read_der(path, &der, &len), 0);
    /* A real auth certificate is about 1.1-1.6 KB of DER (jpki-card.md). */
    assert_in_range(len, 900, 1700);
    /* Plain parsing refuses the critical, non-anyPolicy certificatePolicies... */
    mbedtls_x509_crt plain;
    mbedtls_x509_crt_init(&plain);
    assert_int_not_equal(mbedtls_x509_crt_parse_der(&plain, der, len), 0);
    mbedtls_x509_crt_free(&plain);
    free(der);
    /* ...the callback form accepts it. */
    mbedtls_x509_crt card;
    load(&card, "card-auth.der", 1);
    /* Public API on 2.28 and 3.x (the key_usage member is private in mbedTLS 3): the card's
     * key signs, and the extension is present (it refuses certificate signing). */
    assert_int_equal(mbedtls_x509_crt_check_key_usage(&card, MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
    assert_int_not_equal(mbedtls_x509_crt_check_key_usage(&card, MBEDTLS_X509_KU_KEY_CERT_SIGN), 0);
    assert_int_equal(mbedtls_pk_get_type(&card.pk), MBEDTLS_PK_RSA);
    assert_int_equal(mbedtls_pk_get_bitlen(&card.pk), 2048);
    mbedtls_x509_crt_free(&card);
}

static uint32_t verify(const char *leaf, const char *ca, int with_cb)
{
    mbedtls_x509_crt l, c;
    load(&l, leaf, with_cb);
    load(&c, ca, 0);
    uint32_t flags = 0;
    mbedtls_x509_crt_verify(&l, &c, NULL, NULL, &flags, NULL, NULL);
    mbedtls_x509_crt_free(&l);
    mbedtls_x509_crt_free(&c);
    return flags;
}

static void test_chains(void **state)
{
    (void)state;
    assert_int_equal(verify("card-auth.der", "jpki-ca.crt", 1), 0);
    assert_true(verify("card-expired.der", "jpki-ca.crt", 1) & MBEDTLS_X509_BADCERT_EXPIRED);
    assert_true(verify("card-notyet.der", "jpki-ca.crt", 1) & MBEDTLS_X509_BADCERT_FUTURE);
    assert_true(verify("card-unknown-ca.der", "jpki-ca.crt", 1) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    assert_int_equal(verify("server.crt", "tls-ca.crt", 0), 0);
    assert_true(verify("server-expired.crt", "tls-ca.crt", 0) & MBEDTLS_X509_BADCERT_EXPIRED);
    assert_int_equal(verify("client.crt", "tls-ca.crt", 0), 0);
    assert_true(verify("client-expired.crt", "tls-ca.crt", 0) & MBEDTLS_X509_BADCERT_EXPIRED);
    assert_true(verify("server.crt", "jpki-ca.crt", 0) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}

static void test_server_names(void **state)
{
    (void)state;
    mbedtls_x509_crt s, c;
    load(&s, "server.crt", 0);
    load(&c, "tls-ca.crt", 0);
    uint32_t flags = 0;
    assert_int_equal(mbedtls_x509_crt_verify(&s, &c, NULL, "localhost", &flags, NULL, NULL), 0);
    mbedtls_x509_crt_verify(&s, &c, NULL, "other.invalid", &flags, NULL, NULL);
    assert_true(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    mbedtls_x509_crt_free(&s);
    load(&s, "server-wronghost.crt", 0);
    mbedtls_x509_crt_verify(&s, &c, NULL, "localhost", &flags, NULL, NULL);
    assert_true(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    mbedtls_x509_crt_free(&s);
    mbedtls_x509_crt_free(&c);
}

static void test_keys_roundtrip_and_ec(void **state)
{
    (void)state;
    char path[256];
    pki_key *k = NULL, *r = NULL;
    snprintf(path, sizeof path, "%s/card-auth.key", dir);
    assert_int_equal(pki_key_read(&r, path), 0);
    assert_int_equal(mbedtls_pk_get_type(pki_key_pk(r)), MBEDTLS_PK_RSA);
    pki_key_free(r);
    /* the next-generation card uses ECDSA P-384 */
    assert_int_equal(pki_key_gen(&k, PKI_KEY_EC_P384), 0);
    pki_cert_spec spec = {PKI_PROFILE_JPKI_AUTH, "C=JP,O=JPKI-TEST,CN=TESTCARD-EC", "0a1b", 0, 0,
                          NULL};
    unsigned char *der = NULL;
    size_t len = 0;
    assert_int_equal(pki_cert_issue(&spec, k, k, NULL, 0, &der, &len), 0);
    mbedtls_x509_crt c;
    mbedtls_x509_crt_init(&c);
    assert_int_equal(mbedtls_x509_crt_parse_der_with_ext_cb(&c, der, len, 1, policy_cb, NULL), 0);
    assert_int_equal(mbedtls_pk_get_bitlen(&c.pk), 384);
    assert_int_equal(c.serial.len, 2);
    mbedtls_x509_crt_free(&c);
    free(der);
    /* a self-signed request with a foreign issuer key is refused */
    pki_key *other = NULL;
    assert_int_equal(pki_key_gen(&other, PKI_KEY_EC_P256), 0);
    assert_int_not_equal(pki_cert_issue(&spec, k, other, NULL, 0, &der, &len), 0);
    pki_key_free(other);
    pki_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card_cert_shape),
        cmocka_unit_test(test_chains),
        cmocka_unit_test(test_server_names),
        cmocka_unit_test(test_keys_roundtrip_and_ec),
    };
    return cmocka_run_group_tests_name("test PKI", tests, setup, teardown);
}
