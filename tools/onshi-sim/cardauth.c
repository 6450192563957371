/*
 * Card authentication of the HTTPS binding (docs/protocol.md §7): a single-use challenge
 * bound to the client certificate, then the card's JPKI authentication certificate and its
 * signature over the to-be-signed lines; checks CA001–CA009 in the documented order.
 * Disaster-mode search (§8) is in disaster.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NONCE_LEN 32
#define CHALLENGE_TTL_MS (5 * 60 * 1000)
#define SIGNING_SKEW_S 300

static const char *inst_of(sim_req *r, char *inst, size_t n)
{
    if (!sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, n))
        sim_x(r->root, "MedicalInstitutionCode", inst, n);
    return inst;
}

int sim_card_challenge(sim_env *env, sim_req *r, sim_out *out)
{
    unsigned char nonce[NONCE_LEN], rid[8];
    char id[24], b64[64], inst[32], issued[15], until[15];
    size_t bl = 0;
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce ||
        getrandom(rid, sizeof rid, 0) != (ssize_t)sizeof rid)
        return -1;
    snprintf(id, sizeof id, "c-");
    for (int i = 0; i < 8; i++)
        sprintf(id + 2 + 2 * i, "%02x", rid[i]);
    mbedtls_base64_encode((unsigned char *)b64, sizeof b64, &bl, nonce, sizeof nonce);
    b64[bl] = '\0';
    inst_of(r, inst, sizeof inst);
    int64_t now = sim_now_ms(), exp = now + CHALLENGE_TTL_MS;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "INSERT INTO challenges VALUES(?1,?2,?3,?4,?5,?6,0)", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, b64, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, r->client, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, inst, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_int64(st, 6, exp);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    if (rc != 0)
        return -1;
    sim_stamp(issued, now);
    sim_stamp(until, exp);
    /* The challenge is not an XmlMsg (protocol.md §7.1), so the codec has no type for it;
     * libxml2's writer builds this one small UTF-8 document. */
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr xw = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!xw) {
        xmlBufferFree(buf);
        return -1;
    }
    xmlTextWriterStartDocument(xw, "1.0", "UTF-8", NULL);
    xmlTextWriterStartElement(xw, BAD_CAST "OnshiCardAuthChallenge");
    xmlTextWriterWriteAttribute(xw, BAD_CAST "version", BAD_CAST "1");
    xmlTextWriterWriteElement(xw, BAD_CAST "ChallengeId", BAD_CAST id);
    xmlTextWriterWriteElement(xw, BAD_CAST "Nonce", BAD_CAST b64);
    xmlTextWriterWriteElement(xw, BAD_CAST "IssuedAt", BAD_CAST issued);
    xmlTextWriterWriteElement(xw, BAD_CAST "ExpiresAt", BAD_CAST until);
    xmlTextWriterEndDocument(xw);
    xmlFreeTextWriter(xw);
    out->len = (size_t)xmlBufferLength(buf);
    out->data = malloc(out->len + 1);
    if (out->data)
        memcpy(out->data, xmlBufferContent(buf), out->len + 1);
    xmlBufferFree(buf);
    out->ext = "xml";
    out->ctype = "application/xml; charset=UTF-8";
    out->status = 200;
    return out->data ? 0 : -1;
}

/* JPKI auth certificates carry a critical certificatePolicies that plain mbedTLS refuses. */
static int policy_cb(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
                     int critical, const unsigned char *p, const unsigned char *end)
{
    static const unsigned char policies[] = {0x55, 0x1D, 0x20}; /* 2.5.29.32 */
    (void)ctx;
    (void)crt;
    (void)p;
    (void)end;
    (void)critical;
    return oid->len == sizeof policies && memcmp(oid->p, policies, oid->len) == 0 ? 0 : -1;
}

static unsigned char *b64dec(const char *s, size_t *n)
{
    size_t need = 0, l = strlen(s);
    *n = 0;
    mbedtls_base64_decode(NULL, 0, &need, (const unsigned char *)s, l);
    unsigned char *d = malloc(need ? need : 1);
    if (d && mbedtls_base64_decode(d, need, n, (const unsigned char *)s, l) != 0) {
        free(d);
        d = NULL;
    }
    return d;
}

static bool serial_revoked(sim_env *env, const char *serial)
{
    if (!env->revoked[0])
        return false;
    FILE *f = fopen(env->revoked, "r");
    char line[128];
    bool hit = false;
    if (!f)
        return true; /* a configured list that cannot be read must not pass cards */
    while (!hit && fgets(line, sizeof line, f)) {
        line[strcspn(line, " \r\n#")] = '\0';
        hit = strcasecmp(line, serial) == 0;
    }
    fclose(f);
    return hit;
}

/* The elements of OnshiCardAuthentication version 1, in order; others are refused. */
static const char *const k_auth_els[] = {
    "ChallengeId", "Nonce", "SigningTime", "IdentityVerificationMethod", "AuthCertificate",
    "SignatureAlgorithm", "Signature", "LimitApplicationCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsFlg", "PharmacistsInfoConsFlg",
    "SpecificHealthCheckupsInfoConsFlg", "DiagnosisInfoConsFlg", "OperationInfoConsFlg"};

typedef struct auth_in {
    char id[80], nonce[80], time[16], method[4], alg[40], inst[32];
    char *cert_b64, *sig_b64;
} auth_in;

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t x509_ms(const mbedtls_x509_time *t)
{
    return ((days_from_civil(t->year, t->mon, t->day) * 24 + t->hour) * 60 + t->min) * 60000 +
           (int64_t)t->sec * 1000;
}

#define JST_MS (9 * 3600 * 1000LL)

/* The end of the grace of an expired certificate: "有効期限満了日が属する月の末日から3か月間"
 * a My Number Card stays usable as 保険証 for qualification (not for drug / medical
 * information) [MHLW leaflet https://www.mhlw.go.jp/content/12400000/001505568.pdf, as quoted
 * by 協会けんぽ https://www.kyoukaikenpo.or.jp/g1/r7-7/7071601/ and the health insurance
 * societies' notices]: the first instant (Japan time) of the fourth month after the month of
 * notAfter. */
static int64_t grace_end_ms(int64_t not_after_ms)
{
    int64_t jst_days = (not_after_ms + JST_MS) / 86400000;
    /* civil_from_days, month only */
    int64_t z = jst_days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    int em = m + 4; /* the month after the third month after m */
    int64_t ey = y + (em - 1) / 12;
    em = (em - 1) % 12 + 1;
    return days_from_civil(ey, em, 1) * 86400000 - JST_MS;
}

/* Runs the checks; returns the failing CA00x code or NULL, and the person (may be "").
 * *grace: the certificate has expired but is within the grace above (qualification only). */
static const char *check(sim_env *env, sim_req *r, const auth_in *a, char *person, size_t pn,
                         const char **msg, bool *grace)
{
    sqlite3_stmt *st = NULL;
    char nonce[80] = "", client[160] = "", cinst[32] = "";
    int64_t issued = 0, expires = 0;
    int used = 1;
    bool known = false;
    person[0] = '\0';
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "SELECT nonce, client, institution, issued_ms, expires_ms,"
                                    " used FROM challenges WHERE id=?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            known = true;
            snprintf(nonce, sizeof nonce, "%s", (const char *)sqlite3_column_text(st, 0));
            snprintf(client, sizeof client, "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(cinst, sizeof cinst, "%s", (const char *)sqlite3_column_text(st, 2));
            issued = sqlite3_column_int64(st, 3);
            expires = sqlite3_column_int64(st, 4);
            used = sqlite3_column_int(st, 5);
        }
        sqlite3_finalize(st);
    }
    /* The challenge is consumed whatever the outcome. */
    if (known && !used &&
        sqlite3_prepare_v2(env->db, "UPDATE challenges SET used=1 WHERE id=?1", -1, &st, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    if (!known || used || strcmp(client, r->client) != 0) {
        *msg = "チャレンジが不明・使用済み又は別の端末向け / unknown, used or foreign challenge";
        return "CA001";
    }
    int64_t now = sim_now_ms(), signing = sim_stamp_parse(a->time);
    if (now > expires || signing < 0 || signing < now - SIGNING_SKEW_S * 1000 ||
        signing > now + SIGNING_SKEW_S * 1000 || signing < issued / 1000 * 1000 ||
        signing > expires) {
        *msg = "チャレンジ期限切れ又は署名時刻不正 / challenge expired or SigningTime out of range";
        return "CA002";
    }
    if (strcmp(nonce, a->nonce) != 0) {
        *msg = "Nonce 不一致 / Nonce differs from the challenge";
        return "CA003";
    }
    if (strcmp(cinst, a->inst) != 0 || strlen(a->inst) != 10) {
        *msg = "医療機関コード不一致 / MedicalInstitutionCode differs from the challenge";
        return "CA004";
    }
    size_t dl = 0, sl = 0;
    unsigned char *der = b64dec(a->cert_b64, &dl), *sig = b64dec(a->sig_b64, &sl);
    const char *code = NULL;
    mbedtls_x509_crt card, ca;
    mbedtls_x509_crt_init(&card);
    mbedtls_x509_crt_init(&ca);
    uint32_t flags = 0;
    char serial[80] = "";
    if (!der || !dl || mbedtls_x509_crt_parse_der_with_ext_cb(&card, der, dl, 1, policy_cb, NULL) ||
        !env->jpki_ca[0] || mbedtls_x509_crt_parse_file(&ca, env->jpki_ca) != 0 ||
        (mbedtls_x509_crt_verify(&card, &ca, NULL, NULL, &flags, NULL, NULL) != 0 &&
         (flags & ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)))) {
        code = "CA005";
        *msg = "JPKI 利用者証明用 CA に連鎖しない / AuthCertificate does not chain to the JPKI CA";
    } else if (now < x509_ms(&card.valid_from)) {
        code = "CA006";
        *msg = "証明書の有効期間前 / AuthCertificate not yet valid";
    } else if (now > x509_ms(&card.valid_to) && now >= grace_end_ms(x509_ms(&card.valid_to))) {
        /* The code of the real system for this case is not public: CA006 is this binding's
         * own (modelled). */
        code = "CA006";
        *msg = "証明書の有効期限切れ（満了月の末日から3か月経過） / AuthCertificate expired "
               "more than three months after the end of its month";
    } else {
        *grace = now > x509_ms(&card.valid_to);
        for (size_t i = 0; i < card.serial.len && 2 * i + 2 < sizeof serial; i++)
            sprintf(serial + 2 * i, "%02X", card.serial.p[i]);
        int revoked = 0;
        if (sqlite3_prepare_v2(env->db, "SELECT id, card_revoked FROM persons WHERE "
                                        "card_serial=?1", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                snprintf(person, pn, "%s", (const char *)sqlite3_column_text(st, 0));
                revoked = sqlite3_column_int(st, 1);
            }
            sqlite3_finalize(st);
        }
        if (revoked || serial_revoked(env, serial)) {
            code = "CA007";
            *msg = "証明書失効 / AuthCertificate revoked";
        }
    }
    if (!code) {
        /* To-be-signed bytes: seven LF-separated lines, no trailing LF (§7.2). */
        unsigned char chash[32], hash[32];
        char tbs[512], chex[65];
        mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), der, dl, chash);
        for (int i = 0; i < 32; i++)
            sprintf(chex + 2 * i, "%02x", chash[i]);
        int tl = snprintf(tbs, sizeof tbs, "libonshi-cardauth-v1\n%s\n%s\n%s\n%s\n%s\n%s", a->id,
                          a->nonce, a->inst, a->time, a->method, chex);
        bool alg_ok = (strcmp(a->alg, "RSA-PKCS1-v1_5-SHA256") == 0 &&
                       mbedtls_pk_can_do(&card.pk, MBEDTLS_PK_RSA)) ||
                      (strcmp(a->alg, "ECDSA-SHA256") == 0 &&
                       mbedtls_pk_can_do(&card.pk, MBEDTLS_PK_ECDSA));
        /* Face (2) and visual (3) verification enter no PIN, so the card cannot sign: such a
         * request carries no signature and is a certificate-only authentication
         * (protocol.md 7.3 amendment). A PIN request must be signed. */
        bool unsigned_ok = !a->sig_b64[0] && !a->alg[0] &&
                           (strcmp(a->method, "2") == 0 || strcmp(a->method, "3") == 0);
        if (unsigned_ok) {
            /* nothing to verify: go on to CA009 */
        } else if (!alg_ok || !sig || !sl ||
            mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (unsigned char *)tbs,
                       (size_t)tl, hash) != 0 ||
            mbedtls_pk_verify(&card.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sl) != 0) {
            code = "CA008";
            *msg = "署名検証失敗 / Signature does not verify over the to-be-signed bytes";
        }
        if (!code && (strlen(a->method) != 1 || !strchr(env->methods, a->method[0]))) {
            code = "CA009";
            *msg = "本人確認方法が許可されていない / IdentityVerificationMethod not allowed";
        }
    }
    mbedtls_x509_crt_free(&card);
    mbedtls_x509_crt_free(&ca);
    free(der);
    free(sig);
    return code;
}

int sim_card_auth(sim_env *env, sim_req *r, sim_out *out)
{
    char afi[64], flag[4], person[32];
    auth_in a;
    memset(&a, 0, sizeof a);
    xmlNode *info = sim_x_node(r->root, "MessageBody/OnshiCardAuthentication");
    if (!info)
        return sim_seg9(env, r, "CA001", "OnshiCardAuthentication がない / no "
                                         "OnshiCardAuthentication", out);
    for (xmlNode *c = info->children; c; c = c->next) {
        bool ok = c->type != XML_ELEMENT_NODE;
        for (size_t i = 0; !ok && i < sizeof k_auth_els / sizeof k_auth_els[0]; i++)
            ok = strcmp((const char *)c->name, k_auth_els[i]) == 0;
        if (!ok)
            return 1; /* unknown element in version 1: refused as a bad request */
    }
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", a.inst, sizeof a.inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    sim_x(info, "ChallengeId", a.id, sizeof a.id);
    sim_x(info, "Nonce", a.nonce, sizeof a.nonce);
    sim_x(info, "SigningTime", a.time, sizeof a.time);
    sim_x(info, "IdentityVerificationMethod", a.method, sizeof a.method);
    sim_x(info, "SignatureAlgorithm", a.alg, sizeof a.alg);
    a.cert_b64 = malloc(16384);
    a.sig_b64 = malloc(2048);
    if (!a.cert_b64 || !a.sig_b64) {
        free(a.cert_b64);
        free(a.sig_b64);
        return -1;
    }
    sim_x(info, "AuthCertificate", a.cert_b64, 16384);
    sim_x(info, "Signature", a.sig_b64, 2048);
    const char *msg = NULL;
    bool grace = false;
    const char *code = check(env, r, &a, person, sizeof person, &msg, &grace);
    free(a.cert_b64);
    free(a.sig_b64);
    if (code)
        return sim_seg9(env, r, code, msg, out);
    if (!person[0]) {
        /* A valid card of nobody in the registry: a result without qualification. */
        char qdate[15];
        sim_stamp(qdate, sim_now_ms());
        qdate[8] = '\0';
        sim_w w;
        if (sim_w_begin(&w, ONSHI_MSG_CARDAUTH_RES) != 0)
            return -1;
        sim_w_header(&w, env, qdate, a.inst, afi, "1", "1", NULL, NULL);
        sim_w_start(&w, "MessageBody");
        sim_w_el(&w, "ProcessingResultStatus", "1"); /* an outcome, OQSCD006 4 */
        sim_w_el(&w, "QualificationValidity", "4");
        sim_w_end(&w);
        return sim_w_finish(&w, env->cp932, &r->fault, out);
    }
    static const struct {
        const char *el, *kind;
    } k_cons[] = {{"SpecificHealthCheckupsInfoConsFlg", "checkup"},
                  {"PharmacistsInfoConsFlg", "drug"},
                  {"DiagnosisInfoConsFlg", "diagnosis"},
                  {"OperationInfoConsFlg", "operation"}};
    /* Within the grace of an expired certificate the card serves qualification only: no
     * consent to drug / medical information is recorded (MHLW leaflet, see grace_end_ms). */
    for (size_t i = 0; !grace && i < sizeof k_cons / sizeof k_cons[0]; i++)
        if (sim_x(info, k_cons[i].el, flag, sizeof flag) && strcmp(flag, "1") == 0)
            sim_consent_give(env, person, k_cons[i].kind);
    if (grace)
        sim_log("card authentication of person %s with an expired certificate, within the "
                "three-month grace: qualification only",
                person);
    bool limit = sim_x(info, "LimitApplicationCertificateRelatedConsFlg", flag, sizeof flag) &&
                 strcmp(flag, "1") == 0;
    bool disease = sim_x(info, "SpecificDiseasesCertificateRelatedConsFlg", flag, sizeof flag) &&
                   strcmp(flag, "1") == 0;
    sim_log("audit: card authentication (method %s) of person %s at %s", a.method, person,
            a.inst);
    return sim_card_result(env, ONSHI_MSG_CARDAUTH_RES, person, a.inst, afi, limit, disease,
                           &r->fault, out);
}
