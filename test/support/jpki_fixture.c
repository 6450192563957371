/* Test certificates for card tests; see jpki_fixture.h. */
#include "jpki_fixture.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static jpki_fixture fx;
static int ready;

static void die(const char *what, int rc)
{
    fprintf(stderr, "jpki fixture: %s failed (%d)\n", what, rc);
    exit(99);
}

static void cleanup(void)
{
    unlink(fx.ca_file);
    unlink(fx.ca_der_file);
    unlink(fx.other_ca_file);
    rmdir(fx.dir);
}

static void issue(jf_der *out, int profile, const char *subject, time_t nb, time_t na,
                  pki_key *subj, pki_key *issuer, const jf_der *issuer_der)
{
    pki_cert_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.profile = profile;
    spec.subject = subject;
    spec.not_before = nb;
    spec.not_after = na;
    int rc = pki_cert_issue(&spec, subj, issuer, issuer_der ? issuer_der->p : NULL,
                            issuer_der ? issuer_der->n : 0, &out->p, &out->n);
    if (rc != 0)
        die(subject, rc);
}

const jpki_fixture *jf_get(void)
{
    if (ready)
        return &fx;
    int rc;
    if ((rc = pki_key_gen(&fx.ca_key, PKI_KEY_RSA2048)) != 0)
        die("CA key", rc);
    if ((rc = pki_key_gen(&fx.card_key, PKI_KEY_RSA2048)) != 0)
        die("card key", rc);
    if ((rc = pki_key_gen(&fx.other_key, PKI_KEY_EC_P256)) != 0)
        die("other key", rc);
    time_t now = time(NULL);
    issue(&fx.ca, PKI_PROFILE_CA, "C=JP,O=JPKI-TEST,OU=JPKI for user authentication,CN=Test CA",
          0, 0, fx.ca_key, fx.ca_key, NULL);
    issue(&fx.card, PKI_PROFILE_JPKI_AUTH, "C=JP,CN=Test Card 0001", 0, 0, fx.card_key,
          fx.ca_key, &fx.ca);
    issue(&fx.expired, PKI_PROFILE_JPKI_AUTH, "C=JP,CN=Test Card 0002", now - 400 * 86400,
          now - 35 * 86400, fx.card_key, fx.ca_key, &fx.ca);
    issue(&fx.notyet, PKI_PROFILE_JPKI_AUTH, "C=JP,CN=Test Card 0003", now + 30 * 86400,
          now + 400 * 86400, fx.card_key, fx.ca_key, &fx.ca);
    issue(&fx.other_ca, PKI_PROFILE_CA, "C=JP,O=Nobody,CN=Untrusted CA", 0, 0, fx.other_key,
          fx.other_key, NULL);
    issue(&fx.unknown, PKI_PROFILE_JPKI_AUTH, "C=JP,CN=Test Card 0004", 0, 0, fx.card_key,
          fx.other_key, &fx.other_ca);
    snprintf(fx.dir, sizeof fx.dir, "/tmp/onshi-jpki-test-XXXXXX");
    if (mkdtemp(fx.dir) == NULL)
        die("mkdtemp", -1);
    snprintf(fx.ca_file, sizeof fx.ca_file, "%s/jpki-ca.crt", fx.dir);
    snprintf(fx.ca_der_file, sizeof fx.ca_der_file, "%s/jpki-ca.der", fx.dir);
    snprintf(fx.other_ca_file, sizeof fx.other_ca_file, "%s/other-ca.pem", fx.dir);
    if (pki_cert_write(fx.ca_file, fx.ca.p, fx.ca.n, 1) != 0 ||
        pki_cert_write(fx.ca_der_file, fx.ca.p, fx.ca.n, 0) != 0 ||
        pki_cert_write(fx.other_ca_file, fx.other_ca.p, fx.other_ca.n, 1) != 0)
        die("write CA", -1);
    atexit(cleanup);
    ready = 1;
    return &fx;
}

static int rng(void *p, unsigned char *out, size_t n)
{
    (void)p;
    static mbedtls_ctr_drbg_context drbg;
    static mbedtls_entropy_context ent;
    static int init;
    if (!init) {
        mbedtls_entropy_init(&ent);
        mbedtls_ctr_drbg_init(&drbg);
        if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) != 0)
            return -1;
        init = 1;
    }
    return mbedtls_ctr_drbg_random(&drbg, out, n);
}

int jf_card_sign(const uint8_t *di, size_t di_len, uint8_t *sig, size_t *sig_len)
{
    mbedtls_pk_context *pk = pki_key_pk(jf_get()->card_key);
    /* MD_NONE: the input is already a DigestInfo; the key pads it (PKCS#1 v1.5 type 1). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_sign(pk, MBEDTLS_MD_NONE, di, di_len, sig, 512, sig_len, rng, NULL);
#else
    return mbedtls_pk_sign(pk, MBEDTLS_MD_NONE, di, di_len, sig, sig_len, rng, NULL);
#endif
}
