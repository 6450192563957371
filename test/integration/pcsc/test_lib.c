/*
 * Integration: libonshi's public card API through the REAL pcscd + vpcd + onshi-vcard (PC/SC
 * driver). Run by harness.sh. Read certificate, PIN tries / lock / last-try refusal, sign and
 * verify, card removed mid-read, two libonshi clients interleaving, and every APDU log
 * checked against the JPKI allowlist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "onshi.h"
#include "pcsc_util.h"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static vc_pki pki;
static SCARDCONTEXT pctx; /* raw PC/SC context, only to watch the reader */
static vc_proc card;

typedef struct pin_script {
    const char *pin;
    int confirm_last;
    int calls;
    int last_tries, last_is_last;
} pin_script;

static int ONSHI_CALL pin_cb(void *ud, int tries_left, int is_last_try, char *buf, size_t cap,
                             int *confirm_last)
{
    pin_script *ps = ud;
    ps->calls++;
    ps->last_tries = tries_left;
    ps->last_is_last = is_last_try;
    snprintf(buf, cap, "%s", ps->pin);
    if (is_last_try)
        *confirm_last = ps->confirm_last;
    return 0;
}

static onshi_ctx *new_ctx(pin_script *ps)
{
    onshi_ctx *ctx = NULL;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return NULL;
    if (onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, READER0) != ONSHI_OK ||
        onshi_ctx_set_str(ctx, ONSHI_OPT_JPKI_CA_FILES, pki.ca) != ONSHI_OK ||
        onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 15000) != ONSHI_OK ||
        (ps != NULL && tcb_set_pin(ctx, pin_cb, ps) != ONSHI_OK)) {
        onshi_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static int group_setup(void **state)
{
    (void)state;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pctx) != SCARD_S_SUCCESS)
        return -1;
    return pt_pki_make(&pki);
}

static int group_teardown(void **state)
{
    (void)state;
    SCardReleaseContext(pctx);
    pt_pki_free(&pki);
    return 0;
}

static int stop_card(void **state)
{
    (void)state;
    vc_stop(&card, pctx);
    return 0;
}

/* The allowlist verdict of pcsc_util (one rule for every card test). */
static void assert_clean_log(const vc_proc *p)
{
    if (p != NULL)
        assert_true(pt_log_clean(p->log, 1));
}

/* Lines of an APDU log that match a command prefix (hex, upper case). */
static int count_cmd(const char *path, const char *prefix)
{
    char line[70000];
    int n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            n++;
    fclose(f);
    return n;
}

static void sha256(const char *msg, unsigned char out[32])
{
    assert_int_equal(mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                                (const unsigned char *)msg, strlen(msg), out),
                     0);
}

static int accept_ext(void *p_ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                      int critical, const unsigned char *p, const unsigned char *end)
{
    (void)p_ctx, (void)crt, (void)oid, (void)critical, (void)p, (void)end;
    return 0;
}

/* Verified independently of the library, with the certificate the card was given. */
static int verify_independently(const unsigned char hash[32], const unsigned char *sig,
                                size_t len)
{
    mbedtls_x509_crt crt;
    int rc;
    mbedtls_x509_crt_init(&crt);
    rc = mbedtls_x509_crt_parse_der_with_ext_cb(&crt, pki.cert_der, pki.cert_len, 1, accept_ext,
                                                NULL);
    if (rc == 0)
        rc = mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, 32, sig, len);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void t_lib_read_cert(void **state)
{
    onshi_ctx *ctx;
    onshi_card *c = NULL;
    onshi_cert *cert = NULL, *ca = NULL;
    onshi_buf *der = NULL;
    (void)state;
    assert_int_equal(vc_start(&card, pctx, READER0, "lib-read", &pki, NULL), 0);
    ctx = new_ctx(NULL);
    assert_non_null(ctx);
    assert_int_equal(onshi_card_open(&c, ctx), ONSHI_OK);
    assert_string_equal(onshi_card_token_label(c), ""); /* a card: the label is not read */
    assert_int_equal(onshi_card_read_auth_cert(&cert, c), ONSHI_OK);
    assert_int_equal(onshi_cert_der(&der, cert), ONSHI_OK);
    assert_int_equal(onshi_buf_len(der), pki.cert_len);
    assert_memory_equal(onshi_buf_data(der), pki.cert_der, pki.cert_len);
    assert_int_equal(onshi_cert_key_type(cert), ONSHI_KEY_RSA);
    assert_int_equal(onshi_cert_key_bits(cert), 2048);
    assert_true(onshi_cert_key_usage(cert) & ONSHI_KU_DIGITAL_SIGNATURE);
    assert_int_equal(onshi_cert_verify(ctx, cert), ONSHI_OK);
    assert_int_equal(onshi_card_read_ca_cert(&ca, c), ONSHI_OK);
    assert_int_equal(onshi_cert_verify(ctx, ca), ONSHI_OK);
    onshi_buf_free(der);
    onshi_cert_free(cert);
    onshi_cert_free(ca);
    onshi_card_free(c);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    assert_clean_log(&card);
    /* Fewest APDUs: the certificate in ceil(size/256) READ BINARYs. */
    {
        int reads = count_cmd(card.log, "00B0");
        int expect_cert = (int)((pki.cert_len + 255) / 256), expect_ca = (int)((pki.ca_len + 255) / 256);
        assert_true(reads <= 1 + expect_cert + expect_ca); /* + the token label */
    }
}

static void t_lib_pin_tries_lock(void **state)
{
    pin_script ps = {"1111", 0, 0, 0, 0};
    onshi_ctx *ctx;
    onshi_card *c = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32];
    int tries = -5, kind = 0;
    int64_t value = 0;
    (void)state;
    sha256("pin test", hash);
    assert_int_equal(vc_start(&card, pctx, READER0, "lib-pin", &pki, NULL), 0);
    ctx = new_ctx(&ps);
    assert_non_null(ctx);
    assert_int_equal(onshi_card_open(&c, ctx), ONSHI_OK);
    assert_int_equal(onshi_card_pin_tries_left(&tries, c), ONSHI_OK);
    assert_int_equal(tries, 3);
    /* Wrong PIN: one VERIFY, no retry, tries left as detail. */
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(ps.calls, 1);
    assert_int_equal(ps.last_tries, 3);
    assert_int_equal(onshi_ctx_last_error_foreign(&kind, &value, ctx), ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(kind, ONSHI_FOREIGN_TRIES);
    assert_int_equal(value, 2);
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_PIN_WRONG);
    assert_int_equal(ps.calls, 2);
    /* Last try: refused unless the UI confirms; nothing reaches the card. */
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_PIN_LAST_TRY);
    assert_int_equal(ps.calls, 3);
    assert_int_equal(ps.last_is_last, 1);
    assert_int_equal(onshi_card_pin_tries_left(&tries, c), ONSHI_OK);
    assert_int_equal(tries, 1);
    assert_int_equal(count_cmd(card.log, "0020008004"), 2);
    /* Confirmed wrong last try locks the PIN; then the callback is not even asked. */
    ps.confirm_last = 1;
    {
        int rc = onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32);
        assert_true(rc == ONSHI_E_JPKI_PIN_WRONG || rc == ONSHI_E_JPKI_PIN_LOCKED);
    }
    assert_int_equal(ps.calls, 4);
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    assert_int_equal(ps.calls, 4);
    assert_int_equal(onshi_card_pin_tries_left(&tries, c), ONSHI_E_JPKI_PIN_LOCKED);
    assert_int_equal(tries, 0);
    /* The correct PIN cannot help any more. */
    ps.pin = "1234";
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32),
                     ONSHI_E_JPKI_PIN_LOCKED);
    assert_null(sig);
    assert_int_equal(count_cmd(card.log, "0020008004"), 3);
    onshi_card_free(c);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    assert_clean_log(&card);
}

static void t_lib_sign_verify(void **state)
{
    pin_script ps = {"1234", 0, 0, 0, 0};
    onshi_ctx *ctx;
    onshi_card *c = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32];
    (void)state;
    sha256("server challenge 0001", hash);
    assert_int_equal(vc_start(&card, pctx, READER0, "lib-sign", &pki, NULL), 0);
    ctx = new_ctx(&ps);
    assert_non_null(ctx);
    assert_int_equal(onshi_card_open(&c, ctx), ONSHI_OK);
    assert_int_equal(onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32), ONSHI_OK);
    assert_int_equal(ps.calls, 1);
    assert_int_equal(ps.last_tries, 3);
    assert_int_equal(onshi_buf_len(sig), 256);
    assert_int_equal(verify_independently(hash, onshi_buf_data(sig), onshi_buf_len(sig)), 0);
    hash[0] ^= 1;
    assert_true(verify_independently(hash, onshi_buf_data(sig), onshi_buf_len(sig)) != 0);
    onshi_buf_free(sig);
    onshi_card_free(c);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    assert_clean_log(&card);
    /* The card was reset after the key was used: no verified state lingers. */
    {
        char line[70000];
        int after_sign = 0, reset_after = 0;
        FILE *f = fopen(card.log, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "802A", 4) == 0)
                after_sign = 1;
            else if (after_sign && strncmp(line, "# reset", 7) == 0)
                reset_after = 1;
            else if (after_sign && !reset_after && line[0] != '#')
                fail_msg("APDU after SIGN before the reset: %s", line);
        }
        fclose(f);
        assert_true(reset_after);
    }
}

/* The whole public sequence of a verification (open, certificate, tries, signature; on a
 * phone open, certificate, signature: the VERIFY of its certificate read serves the
 * signature); the status of the first call that fails. */
static int run_sequence(onshi_ctx *ctx, int phone, int *failed_at)
{
    onshi_card *c = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;
    unsigned char hash[32];
    int tries = 0, rc;
    sha256("sequence", hash);
    *failed_at = 0;
    rc = onshi_card_open(&c, ctx);
    if (rc == ONSHI_OK && ++*failed_at &&
        (rc = onshi_card_read_auth_cert(&cert, c)) == ONSHI_OK && ++*failed_at &&
        (phone || (rc = onshi_card_pin_tries_left(&tries, c)) == ONSHI_OK) && ++*failed_at) {
        rc = onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32);
    }
    onshi_buf_free(sig);
    onshi_cert_free(cert);
    onshi_card_free(c);
    return rc;
}

/* Issue 17: APDUs per operation through pcscd, as the card logged them. A card with a ~1.3 KB
 * certificate: 13 for open + certificate + tries + signature (the minimum); an Android phone,
 * open + certificate + signature: 17 (the refused read, the label, the second SELECT 000A),
 * one VERIFY. (Before: 21, the PIN sent twice.) */
static void t_lib_apdu_counts(void **state)
{
    static const char *const android[] = {"--smartphone", "android", NULL};
    pin_script ps = {"1234", 0, 0, 0, 0};
    int failed_at;
    pt_logscan s;
    (void)state;
    size_t reads = (pki.cert_len + 255) / 256;
    assert_int_equal(reads, 6); /* the test certificate has the real size */
    for (int phone = 0; phone < 2; phone++) {
        onshi_ctx *ctx;
        assert_int_equal(vc_start(&card, pctx, READER0, phone ? "lib-count-phone" : "lib-count",
                                  &pki, phone ? android : NULL),
                         0);
        ctx = new_ctx(&ps);
        assert_non_null(ctx);
        assert_int_equal(run_sequence(ctx, phone, &failed_at), ONSHI_OK);
        onshi_ctx_free(ctx);
        assert_int_equal(vc_stop(&card, pctx), 0);
        assert_int_equal(pt_log_scan(card.log, &s), 0);
        assert_int_equal(s.apdus, phone ? 11 + reads : 7 + reads);
        assert_string_equal(s.trace,
                            phone ? "A4:AP A4:000A B0 A4:0006 B0 A4:0018 20 20 A4:000A "
                                    "B0 B0 B0 B0 B0 B0 A4:0017 2A"
                                  : "A4:AP A4:000A B0 B0 B0 B0 B0 B0 A4:0018 20 20 A4:0017 2A");
        assert_int_equal(ps.calls, phone + 1); /* the PIN asked once per verification */
        assert_clean_log(&card);
    }
}

/* Issue 16: the card leaves the reader at every APDU of the sequence in turn; the call that
 * meets it returns ONSHI_E_CARD_REMOVED, whatever the moment (SCardTransmit error, empty
 * vpcd answer, transaction lost). */
static void t_lib_card_removed(void **state)
{
    static const char *const kinds[] = {NULL, "android"};
    pin_script ps = {"1234", 0, 0, 0, 0};
    (void)state;
    for (int phone = 0; phone < 2; phone++) {
        int total = phone ? 17 : 13;
        for (int n = 0; n < total; n++) {
            char num[16], name[32];
            const char *extra[5] = {"--remove-after", num, NULL, NULL, NULL};
            int failed_at, rc;
            onshi_ctx *ctx;
            snprintf(num, sizeof num, "%d", n);
            snprintf(name, sizeof name, "lib-removed-%d-%d", phone, n);
            if (phone) {
                extra[2] = "--smartphone";
                extra[3] = kinds[phone];
            }
            assert_int_equal(vc_start(&card, pctx, READER0, name, &pki, extra), 0);
            ctx = new_ctx(&ps);
            assert_non_null(ctx);
            rc = run_sequence(ctx, phone, &failed_at);
            if (rc != ONSHI_E_CARD_REMOVED)
                fail_msg("phone %d, removed after %d APDUs: call %d returned %s (%s)", phone, n,
                         failed_at, onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
            onshi_ctx_free(ctx);
            assert_int_equal(vc_stop(&card, pctx), 0);
            assert_clean_log(n > 0 ? &card : NULL);
        }
    }
}

/* Two libonshi clients (separate processes, separate contexts) read and sign on the same
 * card at the same time. The library's transactions keep every sequence intact, and its
 * reset after each signature is survived by the other client (reconnect). */
static int lib_client(int id, int rounds)
{
    pin_script ps = {"1234", 0, 0, 0, 0};
    onshi_ctx *ctx = new_ctx(&ps);
    int i, bad = 0;
    if (ctx == NULL)
        return 100;
    for (i = 0; i < rounds; i++) {
        onshi_card *c = NULL;
        onshi_cert *cert = NULL;
        onshi_buf *der = NULL, *sig = NULL;
        unsigned char hash[32];
        char msg[64];
        int rc;
        snprintf(msg, sizeof msg, "client %d round %d", id, i);
        sha256(msg, hash);
        rc = onshi_card_open(&c, ctx);
        if (rc == ONSHI_OK)
            rc = onshi_card_read_auth_cert(&cert, c);
        if (rc == ONSHI_OK)
            rc = onshi_cert_der(&der, cert);
        if (rc == ONSHI_OK && (onshi_buf_len(der) != pki.cert_len ||
                               memcmp(onshi_buf_data(der), pki.cert_der, pki.cert_len) != 0))
            rc = -9999;
        if (rc == ONSHI_OK)
            rc = onshi_card_sign(&sig, c, ONSHI_HASH_SHA256, hash, 32);
        if (rc == ONSHI_OK && verify_independently(hash, onshi_buf_data(sig),
                                                   onshi_buf_len(sig)) != 0)
            rc = -9998;
        if (rc != ONSHI_OK) {
            fprintf(stderr, "client %d round %d: %d %s\n", id, i, rc,
                    onshi_ctx_last_error_message(ctx));
            bad++;
        }
        onshi_buf_free(sig);
        onshi_buf_free(der);
        onshi_cert_free(cert);
        onshi_card_free(c);
    }
    onshi_ctx_free(ctx);
    return bad;
}

static void t_lib_two_clients(void **state)
{
    pid_t kids[2];
    int i, status;
    (void)state;
    assert_int_equal(vc_start(&card, pctx, READER0, "lib-two", &pki, NULL), 0);
    for (i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0)
            _exit(lib_client(i, 10));
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(vc_stop(&card, pctx), 0);
    assert_clean_log(&card);
    assert_int_equal(count_cmd(card.log, "802A"), 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_lib_read_cert, stop_card),
        cmocka_unit_test_teardown(t_lib_pin_tries_lock, stop_card),
        cmocka_unit_test_teardown(t_lib_sign_verify, stop_card),
        cmocka_unit_test_teardown(t_lib_apdu_counts, stop_card),
        cmocka_unit_test_teardown(t_lib_card_removed, stop_card),
        cmocka_unit_test_teardown(t_lib_two_clients, stop_card),
    };
    return cmocka_run_group_tests_name("pcsc libonshi (real pcscd + vpcd + onshi-vcard)", tests,
                                       group_setup, group_teardown);
}
