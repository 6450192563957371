/*
 * Card authentication of the HTTPS binding: a single-use challenge, then the card's
 * authentication certificate and its PKCS#1 v1.5 SHA-256 signature over the challenge bytes.
 * The chain is verified against the test JPKI CA, the serial checked against the revocation
 * list, and the serial mapped to a registry person. Also disaster-mode search.
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

#define CHALLENGE_LEN 32
#define CHALLENGE_TTL_MS (5 * 60 * 1000)

int sim_card_challenge(sim_env *env, sim_req *r, sim_out *out)
{
    unsigned char nonce[CHALLENGE_LEN];
    char hex[2 * CHALLENGE_LEN + 1], b64[64], inst[32], until[15];
    size_t bl = 0;
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        return -1;
    for (int i = 0; i < CHALLENGE_LEN; i++)
        sprintf(hex + 2 * i, "%02X", nonce[i]);
    mbedtls_base64_encode((unsigned char *)b64, sizeof b64, &bl, nonce, sizeof nonce);
    b64[bl] = '\0';
    int64_t exp = sim_now_ms() + CHALLENGE_TTL_MS;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "INSERT INTO challenges VALUES(?1, ?2)", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, exp);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    if (rc != 0)
        return -1;
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_stamp(until, exp);
    sim_w w;
    if (sim_w_begin(&w) != 0)
        return -1;
    sim_w_header(&w, env, NULL, inst, NULL, NULL, "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    sim_w_el(&w, "Challenge", b64);
    sim_w_el(&w, "ChallengeExpiryTime", until);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

/* Takes (deletes) a challenge; true when it existed and had not expired. */
static bool challenge_take(sim_env *env, const unsigned char *nonce, size_t n)
{
    char hex[2 * CHALLENGE_LEN + 1];
    if (n != CHALLENGE_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        sprintf(hex + 2 * i, "%02X", nonce[i]);
    sqlite3_stmt *st = NULL;
    bool ok = false;
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "DELETE FROM challenges WHERE nonce=?1 AND expires_ms>=?2",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, sim_now_ms());
        ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(env->db) == 1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    return ok;
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

/* Verifies the card; on success id gets the person. Returns an error code or NULL. */
static const char *verify_card(sim_env *env, xmlNode *info, char *id, size_t idn,
                               const char **msg)
{
    char chal_b64[128], sig_b64[1024];
    char *cert_b64 = malloc(16384);
    const char *code = NULL;
    unsigned char *chal = NULL, *sig = NULL, *der = NULL;
    size_t cl = 0, sl = 0, dl = 0;
    mbedtls_x509_crt card, ca;
    mbedtls_x509_crt_init(&card);
    mbedtls_x509_crt_init(&ca);
    if (!cert_b64)
        return "SIM9002";
    sim_x(info, "Challenge", chal_b64, sizeof chal_b64);
    sim_x(info, "Certificate", cert_b64, 16384);
    sim_x(info, "Signature", sig_b64, sizeof sig_b64);
    chal = b64dec(chal_b64, &cl);
    der = b64dec(cert_b64, &dl);
    free(cert_b64);
    sig = b64dec(sig_b64, &sl);
    *msg = NULL;
    if (!chal || !der || !sig || !cl || !dl || !sl) {
        code = "SIM9002";
        *msg = "カード認証情報不足 / Challenge, Certificate or Signature missing or not base64";
    } else if (!challenge_take(env, chal, cl)) {
        code = "SIM9021";
        *msg = "チャレンジ不正又は期限切れ / unknown, used or expired challenge";
    } else if (mbedtls_x509_crt_parse_der_with_ext_cb(&card, der, dl, 1, policy_cb, NULL) != 0) {
        code = "SIM9022";
        *msg = "証明書を解析できない / card certificate cannot be parsed";
    } else if (mbedtls_x509_crt_parse_file(&ca, env->jpki_ca) != 0) {
        code = "SIM9029";
        *msg = "JPKI CA が設定されていない / simulator has no JPKI CA (--jpki-ca)";
    } else {
        uint32_t flags = 0;
        unsigned char hash[32];
        char serial[80] = "";
        for (size_t i = 0; i < card.serial.len && 2 * i + 2 < sizeof serial; i++)
            sprintf(serial + 2 * i, "%02X", card.serial.p[i]);
        if (mbedtls_x509_crt_verify(&card, &ca, NULL, NULL, &flags, NULL, NULL) != 0) {
            code = flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)
                       ? "SIM9024" : "SIM9023";
            *msg = code[6] == '4' ? "証明書の有効期間外 / card certificate expired or not yet valid"
                                  : "証明書の検証失敗 / card certificate not issued by the JPKI CA";
        } else if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), chal, cl, hash) != 0 ||
                   mbedtls_pk_verify(&card.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sl) !=
                       0) {
            code = "SIM9025";
            *msg = "署名検証失敗 / signature does not verify with the card certificate";
        } else {
            sqlite3_stmt *st = NULL;
            int revoked = 0;
            id[0] = '\0';
            if (sqlite3_prepare_v2(env->db, "SELECT id, card_revoked FROM persons WHERE "
                                            "card_serial=?1", -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, serial, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(st) == SQLITE_ROW) {
                    snprintf(id, idn, "%s", (const char *)sqlite3_column_text(st, 0));
                    revoked = sqlite3_column_int(st, 1);
                }
                sqlite3_finalize(st);
            }
            if (revoked || serial_revoked(env, serial)) {
                code = "SIM9026";
                *msg = "証明書失効 / card certificate revoked";
            } else if (!id[0]) {
                code = "SIM9027";
                *msg = "該当者なし / no insured person for this card";
            }
        }
    }
    mbedtls_x509_crt_free(&card);
    mbedtls_x509_crt_free(&ca);
    free(chal);
    free(sig);
    free(der);
    return code;
}

int sim_card_auth(sim_env *env, sim_req *r, sim_out *out)
{
    char inst[32], afi[64], id[32], flag[4];
    xmlNode *info = sim_x_node(r->root, "MessageBody/CardAuthInfo");
    const char *msg = NULL;
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    const char *code = info ? verify_card(env, info, id, sizeof id, &msg) : "SIM9002";
    if (code)
        return sim_seg9(env, r, code, msg ? msg : "CardAuthInfo がない / no CardAuthInfo", out);
    static const struct {
        const char *el, *kind;
    } k_cons[] = {{"SpecificHealthCheckupsInfoConsFlg", "checkup"},
                  {"PharmacistsInfoConsFlg", "drug"},
                  {"DiagnosisInfoConsFlg", "diagnosis"},
                  {"OperationInfoConsFlg", "operation"}};
    for (size_t i = 0; i < sizeof k_cons / sizeof k_cons[0]; i++)
        if (sim_x(info, k_cons[i].el, flag, sizeof flag) && strcmp(flag, "1") == 0)
            sim_consent_give(env, id, k_cons[i].kind);
    bool limit = sim_x(info, "LimitApplicationCertificateRelatedConsFlg", flag, sizeof flag) &&
                 strcmp(flag, "1") == 0;
    bool disease = sim_x(info, "SpecificDiseasesCertificateRelatedConsFlg", flag, sizeof flag) &&
                   strcmp(flag, "1") == 0;
    return sim_card_result(env, id, inst, afi, limit, disease, &r->fault, out);
}

/* ---- disaster mode ----------------------------------------------------------------------- */

bool sim_disaster_open(sim_env *env, const char *pref, const char *date)
{
    for (int i = 0; i < env->n_disaster; i++) {
        const sim_disaster *d = &env->disaster[i];
        if ((strcmp(d->pref, "00") == 0 || strcmp(d->pref, pref) == 0) &&
            strcmp(date, d->from) >= 0 && strcmp(date, d->to) <= 0)
            return true;
    }
    return false;
}

static void strip_spaces(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (; *in && o + 1 < n; in++) {
        if (*in == ' ')
            continue;
        if ((unsigned char)in[0] == 0xE3 && (unsigned char)in[1] == 0x80 &&
            (unsigned char)in[2] == 0x80) { /* full-width space */
            in += 2;
            continue;
        }
        out[o++] = *in;
    }
    out[o] = '\0';
}

int sim_disaster_search(sim_env *env, sim_req *r, sim_out *out)
{
    char inst[32], afi[64], name[128], kana[128], birth[16], sex[4], addr[256], today[15];
    char ids[32][16];
    int n = 0;
    xmlNode *q = sim_x_node(r->root, "MessageBody/DisasterSearchInfo");
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    sim_stamp(today, sim_now_ms());
    today[8] = '\0';
    if (!q)
        return sim_seg9(env, r, "SIM9002", "検索条件なし / no DisasterSearchInfo", out);
    sim_x(q, "Name", name, sizeof name);
    sim_x(q, "NameKana", kana, sizeof kana);
    sim_x(q, "Birthdate", birth, sizeof birth);
    sim_x(q, "Sex", sex, sizeof sex);
    sim_x(q, "Address", addr, sizeof addr);
    if (!birth[0] || (!name[0] && !kana[0]))
        return sim_seg9(env, r, "SIM9031", "氏名と生年月日が必要 / name and birth date required",
                        out);
    char sname[128], skana[128];
    strip_spaces(name, sname, sizeof sname);
    strip_spaces(kana, skana, sizeof skana);
    bool any_open = false;
    for (int i = 0; i < env->n_disaster; i++)
        any_open |= strcmp(today, env->disaster[i].from) >= 0 &&
                    strcmp(today, env->disaster[i].to) <= 0;
    if (!any_open)
        return sim_seg9(env, r, "SIM9030", "災害時モードは開放されていない / disaster mode is not "
                                           "open", out);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(env->db,
            "SELECT id, pref FROM persons WHERE birth=?1 AND (?2='' OR sex=CAST(?2 AS INT)) AND"
            " (?3='' OR replace(replace(name,'　',''),' ','')=?3 OR name_other=?3) AND"
            " (?4='' OR replace(name_kana,' ','')=?4) AND (?5='' OR address LIKE ?5 || '%')"
            " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, birth, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, sex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, sname, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, skana, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, addr, -1, SQLITE_TRANSIENT);
    while (n < 32 && sqlite3_step(st) == SQLITE_ROW)
        if (sim_disaster_open(env, (const char *)sqlite3_column_text(st, 1), today))
            snprintf(ids[n++], 16, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sim_log("audit: disaster search by %s: %d person(s)", inst, n);
    sim_w w;
    if (sim_w_begin(&w) != 0)
        return -1;
    sim_w_header(&w, env, today, inst, afi, "3", "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    sim_w_el(&w, "ProcessingResultStatus", n ? "1" : "2");
    if (!n)
        sim_w_el(&w, "ProcessingResultCode", "SIM0004");
    sim_w_elf(&w, "QualificationValidity", "%d", n == 0 ? 4 : n > 1 ? 5 : 1);
    if (n) {
        sim_w_start(&w, "ResultList");
        for (int i = 0; i < n; i++)
            sim_w_person(&w, env, ids[i], false, false, inst);
        sim_w_end(&w);
    }
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}
