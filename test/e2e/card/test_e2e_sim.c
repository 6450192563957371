/*
 * End to end, the whole chain: the real pcscd + vpcd + onshi-vcard (PC/SC driver, harness.sh
 * of test/integration/pcsc) holding a registry person's card, and onshi-sim over HTTPS
 * (docs/protocol.md §7-§8), started here on 127.0.0.1 (kernel-chosen port) and stopped by PID.
 * Card verification with PIN and consent, drug information under that consent, a revoked
 * card (CA007), face and visual verification (no PIN, no signature), a method the server
 * refuses (CA009), disaster search open / closed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "onshi.h"
#include "../../integration/pcsc/pcsc_util.h"
#include "../../support/fixed_clock.h"
#include "core/core.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static SCARDCONTEXT pctx;
static vc_proc card;
static char dir[256], url[128];
static pid_t sim_pid = -1, sim_pid2 = -1;
static int port_closed;
/* The open server and the contexts that talk to it stand at the next 23:30 UTC (08:30 JST of
 * the day after): a date taken in UTC instead of Japan time would miss the open day. */
static int64_t open_at, open_offset;
static char open_now[15], open_days[32];

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Start `onshi-sim serve` (extra arguments: up to four, the list ending at the first NULL);
 * returns its port (0 on failure). */
static int start_sim(pid_t *pid, const char *tag, const char *extra1, const char *extra2,
                     const char *extra3, const char *extra4)
{
    const char *sim = getenv("ONSHI_SIM");
    char out[700], err[700], pki[700], db[700];
    snprintf(out, sizeof out, "%s/sim-%s.out", dir, tag);
    snprintf(err, sizeof err, "%s/sim-%s.log", dir, tag);
    snprintf(pki, sizeof pki, "%s/pki", dir);
    snprintf(db, sizeof db, "%s/reg.db", dir);
    *pid = fork();
    if (*pid == 0) {
        char crt[800], key[800], ca[800], jca[800], rev[800];
        snprintf(crt, sizeof crt, "%s/server.crt", pki);
        snprintf(key, sizeof key, "%s/server.key", pki);
        snprintf(ca, sizeof ca, "%s/tls-ca.crt", pki);
        snprintf(jca, sizeof jca, "%s/jpki-ca.crt", pki);
        snprintf(rev, sizeof rev, "%s/revoked-serials.txt", pki);
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
            _exit(127);
        /* the simulator's dates are Japan time whatever its zone: run it in UTC */
        setenv("TZ", "UTC", 1);
        execl(sim, sim, "serve", "--db", db, "--listen", "127.0.0.1:0", "--cert", crt, "--key",
              key, "--client-ca", ca, "--jpki-ca", jca, "--revoked", rev, extra1, extra2,
              extra3, extra4, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(out, "r");
        int port = 0;
        char text[512] = "";
        if (f) {
            size_t n = fread(text, 1, sizeof text - 1, f);
            text[n] = '\0';
            fclose(f);
        }
        const char *p = strstr(text, "PORT=");
        if (p)
            port = atoi(p + 5);
        if (port > 0)
            return port;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void stop_sim(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
        *pid = -1;
    }
}

static int group_setup(void **state)
{
    (void)state;
    const char *sim = getenv("ONSHI_SIM");
    if (sim == NULL || SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pctx) !=
                           SCARD_S_SUCCESS)
        return -1;
    snprintf(dir, sizeof dir, "%s/sim", pt_rundir());
    char cmd[4000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && '%s' init-db '%s/reg.db' >/dev/null 2>&1 && "
                              "'%s' pki '%s/pki' --db '%s/reg.db' >/dev/null 2>&1",
             dir, sim, dir, sim, dir, dir);
    if (run(cmd) != 0)
        return -1;
    /* disaster mode open for Tokyo (13) on the Japan date of the next 23:30 UTC; the
     * simulator (in TZ=UTC) stands at that instant; the second server has it closed */
    int64_t now = onshi__wall_ms() / 1000;
    open_at = now - now % 86400 + 23 * 3600 + 1800;
    if (open_at < now)
        open_at += 86400;
    open_offset = open_at - now;
    onshi__jst_format14(open_now, open_at);
    snprintf(open_days, sizeof open_days, "13:%.8s-%.8s", open_now, open_now);
    int port = start_sim(&sim_pid, "open", "--now", open_now, "--disaster", open_days);
    port_closed = start_sim(&sim_pid2, "closed", "--methods", "1", NULL, NULL);
    if (port == 0 || port_closed == 0) {
        snprintf(cmd, sizeof cmd, "cat '%s'/sim-*.log '%s'/sim-*.out >&2", dir, dir);
        run(cmd);
        return -1;
    }
    snprintf(url, sizeof url, "https://localhost:%d", port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    stop_sim(&sim_pid);
    stop_sim(&sim_pid2);
    SCardReleaseContext(pctx);
    return 0;
}

static int stop_card(void **state)
{
    (void)state;
    vc_stop(&card, pctx);
    return 0;
}

static int ONSHI_CALL pin_cb(void *ud, int tries, int last, char *buf, size_t cap, int *confirm)
{
    (void)ud, (void)tries, (void)last, (void)confirm;
    snprintf(buf, cap, "1234");
    return 0;
}

static int ONSHI_CALL consent_cb(void *ud, int offered, int *granted)
{
    *granted = offered & *(int *)ud;
    return 0;
}

static int ONSHI_CALL identity_cb(void *ud, int method, const onshi_cert *cert, int *verified)
{
    (void)ud, (void)method, (void)cert;
    *verified = 1;
    return 0;
}

static onshi_ctx *new_ctx(const char *server, int *grant)
{
    onshi_ctx *ctx = NULL;
    char p[800];
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, READER0);
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 15000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, server);
    snprintf(p, sizeof p, "%s/pki/tls-ca.crt", dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, p);
    snprintf(p, sizeof p, "%s/pki/client-1311234569.crt", dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, p);
    snprintf(p, sizeof p, "%s/pki/client-1311234569.key", dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, p);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_ctx_set_str(ctx, ONSHI_OPT_OPERATOR_ID, "e2e-staff");
    snprintf(p, sizeof p, "%s/state-%d.db", dir, (int)getpid());
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, p);
    tcb_set_pin(ctx, pin_cb, NULL);
    tcb_set_consent(ctx, consent_cb, grant);
    if (strcmp(server, url) == 0)
        fixed_clock_offset_set(ctx, &open_offset);
    return ctx;
}

static void insert(const char *person)
{
    vc_pki pki;
    memset(&pki, 0, sizeof pki);
    snprintf(pki.cert, sizeof pki.cert, "%s/pki/card-%s.der", dir, person);
    snprintf(pki.key, sizeof pki.key, "%s/pki/card-persons.key", dir);
    snprintf(pki.ca, sizeof pki.ca, "%s/pki/jpki-ca.crt", dir);
    assert_int_equal(vc_start(&card, pctx, READER0, person, &pki, NULL), 0);
}

/* The card of a person under its own APDU log name; kind: NULL (a card) or the
 * onshi-vcard --smartphone kind. */
static void insert_as(const char *person, const char *name, const char *kind)
{
    static const char *extra[3] = {"--smartphone", NULL, NULL};
    vc_pki pki;
    extra[1] = kind;
    memset(&pki, 0, sizeof pki);
    snprintf(pki.cert, sizeof pki.cert, "%s/pki/card-%s.der", dir, person);
    snprintf(pki.key, sizeof pki.key, "%s/pki/card-persons.key", dir);
    snprintf(pki.ca, sizeof pki.ca, "%s/pki/jpki-ca.crt", dir);
    assert_int_equal(vc_start(&card, pctx, READER0, name, &pki, kind ? extra : NULL), 0);
}

/* The allowlist verdict of pcsc_util (one rule for every card test). */
static void assert_clean_log(const vc_proc *p)
{
    if (p != NULL)
        assert_true(pt_log_clean(p->log, 0));
}

static int said(onshi_ctx *ctx, int rc)
{
    if (rc != ONSHI_OK)
        fprintf(stderr, "    %s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
    return rc;
}

static void test_card_then_drug_info(void **state)
{
    (void)state;
    int grant = ONSHI_CONSENT_DRUG | ONSHI_CONSENT_LIMIT;
    insert("P001");
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(said(ctx, t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_DRUG | ONSHI_CONSENT_LIMIT |
                                                        ONSHI_CONSENT_CHECKUP)),
                     ONSHI_OK);
    onshi_group *p = NULL;
    const char *name = NULL, *v = NULL;
    assert_int_equal(onshi_group_at(&p, onshi_msg_body(m), ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&name, p, ONSHI_F_NAME), ONSHI_OK);
    assert_string_equal(name, "見本　太郎"); /* the registry person of card P001 */
    assert_int_equal(onshi_group_get_str(&v, onshi_msg_body(m), ONSHI_F_IDENTITY_VERIFICATION_METHOD),
                     ONSHI_OK);
    assert_string_equal(v, "1");
    /* the drug consent just given is valid now: drug information is served */
    onshi_msg *drug = NULL;
    char pending[64];
    assert_int_equal(said(ctx, t_info_request(&drug, pending, sizeof pending, ctx, p,
                                                  ONSHI_INFO_DRUG, ONSHI_INFO_XML, "202501",
                                                  NULL)),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(drug), ONSHI_MSG_DRUG_RES);
    onshi_msg_free(drug);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_revoked_card(void **state)
{
    (void)state;
    int grant = 0;
    /* P060 of the seed registry: "カード失効" (card_revoked, and in revoked-serials.txt) */
    insert("P060");
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_AUTH_FAILED);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "CA007"));
    assert_null(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_method_refused(void **state)
{
    (void)state;
    int grant = 0;
    char other[128];
    snprintf(other, sizeof other, "https://localhost:%d", port_closed);
    insert("P002");
    onshi_ctx *ctx = new_ctx(other, &grant); /* this server allows only the PIN method */
    tcb_set_identity(ctx, identity_cb, NULL);
    onshi_msg *m = NULL;
    int rc = t_verify_by_card(&m, ctx, ONSHI_IDV_VISUAL, 0);
    if (rc != ONSHI_E_VERIFICATION_METHOD)
        fprintf(stderr, "method refused: %s\n", onshi_ctx_last_error_message(ctx));
    assert_int_equal(rc, ONSHI_E_VERIFICATION_METHOD);
    assert_null(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_face_and_visual(void **state)
{
    (void)state;
    int grant = ONSHI_CONSENT_LIMIT;
    insert("P002");
    onshi_ctx *ctx = new_ctx(url, &grant);
    tcb_set_identity(ctx, identity_cb, NULL);
    static const int methods[] = {ONSHI_IDV_FACE, ONSHI_IDV_VISUAL};
    for (int i = 0; i < 2; i++) {
        onshi_msg *m = NULL;
        const char *v = NULL;
        assert_int_equal(said(ctx, t_verify_by_card(&m, ctx, methods[i], ONSHI_CONSENT_LIMIT)),
                         ONSHI_OK);
        assert_int_equal(onshi_group_get_str(&v, onshi_msg_body(m),
                                             ONSHI_F_IDENTITY_VERIFICATION_METHOD),
                         ONSHI_OK);
        assert_int_equal(v[0], '0' + methods[i]);
        onshi_msg_free(m);
    }
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

static void test_disaster(void **state)
{
    (void)state;
    int grant = 0;
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(said(ctx, t_disaster_search(&m, ctx, "見本　太郎", NULL, "19800401", 1,
                                                     NULL, ONSHI_DISASTER_DRUG, 2)),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_DRUG_RES);
    onshi_msg_free(m);
    assert_int_equal(t_disaster_search(&m, ctx, "誰も　いない", NULL, "19800401", 1, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_INFO_NOT_AVAILABLE);
    onshi_ctx_free(ctx);
    char other[128];
    snprintf(other, sizeof other, "https://localhost:%d", port_closed);
    ctx = new_ctx(other, &grant);
    assert_int_equal(t_disaster_search(&m, ctx, "見本　太郎", NULL, "19800401", 1, NULL,
                                           ONSHI_DISASTER_DRUG, 2),
                     ONSHI_E_DISASTER_CLOSED);
    onshi_ctx_free(ctx);
}

/* Issue 11: a certificate expired 20 days ago is within the three-month grace of the
 * system (onshi-sim models it): the SDK sends it and the qualification comes back; 200 days
 * ago it is past the grace and the system's refusal (CA006, modelled) is reported. The SDK
 * itself refuses neither. */
static void test_expired_card_grace(void **state)
{
    (void)state;
    int grant = 0;
    insert("P001-expired-20d");
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(said(ctx, t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0)),
                     ONSHI_OK);
    onshi_group *p = NULL;
    const char *name = NULL;
    assert_int_equal(onshi_group_at(&p, onshi_msg_body(m), ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&name, p, ONSHI_F_NAME), ONSHI_OK);
    assert_string_equal(name, "見本　太郎");
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
    assert_int_equal(vc_stop(&card, pctx), 0);
    insert("P001-expired-200d");
    ctx = new_ctx(url, &grant);
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_AUTH_FAILED);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "CA006"));
    assert_null(m);
    onshi_ctx_free(ctx);
    assert_clean_log(&card);
}

/* Issue 11: the Android smartphone against onshi-sim through pcscd: PIN, certificate after
 * it, signature, qualification; 17 APDUs. An iPhone is refused before anything is sent. */
static void test_smartphone(void **state)
{
    (void)state;
    int grant = ONSHI_CONSENT_LIMIT;
    insert_as("P001", "P001-android", "android");
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(said(ctx, t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT)),
                     ONSHI_OK);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    pt_logscan s;
    assert_int_equal(pt_log_scan(card.log, &s), 0);
    assert_int_equal(s.apdus, 17);
    assert_string_equal(s.trace, "A4:AP A4:000A B0 A4:0006 B0 A4:0018 20 20 A4:000A "
                                 "B0 B0 B0 B0 B0 B0 A4:0017 2A");
    assert_clean_log(&card);
    insert_as("P001", "P001-iphone", "iphone");
    ctx = new_ctx(url, &grant);
    assert_int_equal(t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, 0),
                     ONSHI_E_JPKI_UNSUPPORTED_TOKEN);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    assert_int_equal(pt_log_scan(card.log, &s), 0);
    assert_int_equal(s.apdus, 5); /* SELECT AP, SELECT 000A, READ (6982), label */
    assert_string_equal(s.trace, "A4:AP A4:000A B0 A4:0006 B0"); /* no VERIFY */
}

/* Issue 17: a whole verification of a card through pcscd: 13 APDUs. */
static void test_thirteen_apdus(void **state)
{
    (void)state;
    int grant = ONSHI_CONSENT_LIMIT;
    insert_as("P002", "P002-count", NULL);
    onshi_ctx *ctx = new_ctx(url, &grant);
    onshi_msg *m = NULL;
    assert_int_equal(said(ctx, t_verify_by_card(&m, ctx, ONSHI_IDV_PIN, ONSHI_CONSENT_LIMIT)),
                     ONSHI_OK);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
    assert_int_equal(vc_stop(&card, pctx), 0);
    pt_logscan s;
    assert_int_equal(pt_log_scan(card.log, &s), 0);
    assert_int_equal(s.apdus, 7 + 6); /* its certificate is ~1.3 KB: 6 READ BINARY */
    assert_string_equal(s.trace, "A4:AP A4:000A B0 B0 B0 B0 B0 B0 A4:0018 20 20 A4:0017 2A");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_card_then_drug_info, stop_card),
        cmocka_unit_test_teardown(test_revoked_card, stop_card),
        cmocka_unit_test_teardown(test_method_refused, stop_card),
        cmocka_unit_test_teardown(test_face_and_visual, stop_card),
        cmocka_unit_test(test_disaster),
        cmocka_unit_test_teardown(test_expired_card_grace, stop_card),
        cmocka_unit_test_teardown(test_smartphone, stop_card),
        cmocka_unit_test_teardown(test_thirteen_apdus, stop_card),
    };
    return cmocka_run_group_tests_name("e2e/card (pcscd + vpcd + onshi-vcard + onshi-sim)", tests,
                                       group_setup, group_teardown);
}
