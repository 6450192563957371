/*
 * One request in, one result out: the message dispatch shared by the HTTPS server and the
 * linkage-app mode, plus the single inquiry (OQSsiquc01), 照会番号 registration (OQSsiimm01)
 * and the face-reader result.
 * Error codes: the real 別紙6-1 list is not public, so the simulator uses its own codes
 * (docs/simulator.md lists them).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MATCH 8

/* A result with SegmentOfResult 9 and no body (file-level failure at the centre). */
int sim_seg9(sim_env *env, sim_req *r, const char *code, const char *msg, sim_out *out)
{
    char inst[32], afi[64];
    sim_w w;
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    if (sim_w_begin(&w, r->restype) != 0)
        return -1;
    sim_w_header(&w, env, NULL, inst, afi, NULL, "9", code, msg);
    sim_w_start(&w, "MessageBody");
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

static void echo_node(sim_w *w, xmlNode *n)
{
    if (!n)
        return;
    sim_w_start(w, (const char *)n->name);
    for (xmlNode *c = n->children; c; c = c->next) {
        char v[256];
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        /* The codec pads insurer numbers itself: give it the bare value. */
        const char *p = t ? (const char *)t : "";
        while (*p == ' ')
            p++;
        snprintf(v, sizeof v, "%s", p);
        sim_w_el(w, (const char *)c->name, v);
        xmlFree(t);
    }
    sim_w_end(w);
}

/* The body of a qualification result: echo, status, validity, ResultList. */
static void qual_body(sim_w *w, sim_env *env, xmlNode *echo, char ids[][16], int n, int validity,
                      bool limit, bool disease, const char *inst)
{
    echo_node(w, echo);
    if (validity == 4) {
        sim_w_el(w, "ProcessingResultStatus", "2");
        sim_w_el(w, "ProcessingResultCode", "SIM0004");
        sim_w_el(w, "ProcessingResultMessage", "該当資格なし / no matching qualification");
    } else {
        sim_w_el(w, "ProcessingResultStatus", "1");
    }
    sim_w_elf(w, "QualificationValidity", "%d", validity);
    if (n > 0) {
        sim_w_start(w, "ResultList");
        for (int i = 0; i < n; i++)
            sim_w_person(w, env, ids[i], limit, disease, inst);
        sim_w_end(w);
    }
}

/* The search key of a QualificationConfirmSearchInfo (single inquiry and bulk unit). */
typedef struct search_key {
    char ins[32], sym[64], num[64], br[8], birth[16], lim[4];
    bool valid; /* insurer number with a right check digit, and a birth date */
} search_key;

static void read_key(xmlNode *q, search_key *k)
{
    char norm[16];
    sim_x(q, "InsurerNumber", k->ins, sizeof k->ins);
    sim_x(q, "InsuredCardSymbol", k->sym, sizeof k->sym);
    sim_x(q, "InsuredIdentificationNumber", k->num, sizeof k->num);
    sim_x(q, "InsuredBranchNumber", k->br, sizeof k->br);
    sim_x(q, "Birthdate", k->birth, sizeof k->birth);
    sim_x(q, "LimitApplicationCertificateRelatedConsFlg", k->lim, sizeof k->lim);
    sim_insurer_norm(k->ins, norm, sizeof norm);
    k->valid = norm[0] && sim_checkdigit_ok(norm) && k->birth[0];
}

int sim_w_qual_unit(sim_w *w, sim_env *env, xmlNode *q, const char *qdate, const char *inst)
{
    search_key k;
    char ids[MAX_MATCH][16];
    read_key(q, &k);
    sim_w_start(w, "BulkConfirmUnit");
    echo_node(w, q);
    if (!k.valid) {
        sim_w_el(w, "ProcessingResultStatus", "2");
        sim_w_el(w, "ProcessingResultCode", "SIM0003");
        sim_w_el(w, "ProcessingResultMessage",
                 "保険者番号又は生年月日の誤り / invalid InsurerNumber or Birthdate");
        sim_w_end(w);
        return 0;
    }
    int n = sim_find(env, k.ins, k.sym, k.num, k.br, k.birth, ids, MAX_MATCH);
    int v = sim_validity(env, ids, n, qdate);
    sim_w_el(w, "ProcessingResultStatus", v == 4 ? "2" : "1");
    if (v == 4) {
        sim_w_el(w, "ProcessingResultCode", "SIM0004");
        sim_w_el(w, "ProcessingResultMessage", "該当資格なし / no matching qualification");
    }
    sim_w_elf(w, "QualificationValidity", "%d", v);
    for (int i = 0; i < n; i++)
        sim_w_person(w, env, ids[i], strcmp(k.lim, "1") == 0, false, inst);
    sim_w_end(w);
    return v == 4 ? 0 : 1;
}

static int single_inquiry(sim_env *env, sim_req *r, sim_out *out)
{
    char qdate[16], inst[32], afi[64];
    char ids[MAX_MATCH][16];
    search_key k;
    xmlNode *q = sim_x_node(r->root, "MessageBody/QualificationConfirmSearchInfo");
    sim_x(r->root, "MessageHeader/QualificationConfirmationDate", qdate, sizeof qdate);
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    if (!q || !inst[0])
        return sim_seg9(env, r, "SIM9002", "必須項目不足 / missing QualificationConfirmSearchInfo or "
                                       "MedicalInstitutionCode", out);
    read_key(q, &k);
    if (!k.valid)
        return sim_seg9(env, r, "SIM9003",
                    "保険者番号又は生年月日の誤り / invalid InsurerNumber or Birthdate", out);
    if (!qdate[0])
        sim_stamp(qdate, sim_now_ms()), qdate[8] = '\0';
    int n = sim_find(env, k.ins, k.sym, k.num, k.br, k.birth, ids, MAX_MATCH);
    int v = sim_validity(env, ids, n, qdate);
    sim_w w;
    if (sim_w_begin(&w, ONSHI_MSG_QUAL_RES) != 0)
        return -1;
    sim_w_header(&w, env, qdate, inst, afi, "2", "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    qual_body(&w, env, q, ids, n, v, strcmp(k.lim, "1") == 0, false, inst);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

/* Registers (person, institution) → ReferenceNumber. Returns 1 registered, 0 no person. */
static int refnum_register(sim_env *env, const char *inst, xmlNode *info, char *refnum,
                           size_t rn)
{
    char ins[32], sym[64], num[64], br[8], ids[2][16];
    sim_x(info, "ReferenceNumber", refnum, rn);
    sim_x(info, "InsurerNumber", ins, sizeof ins);
    sim_x(info, "InsuredCardSymbol", sym, sizeof sym);
    sim_x(info, "InsuredIdentificationNumber", num, sizeof num);
    sim_x(info, "InsuredBranchNumber", br, sizeof br);
    if (!refnum[0] || strlen(refnum) > 50)
        return -1;
    if (sim_find(env, ins, sym, num, br, NULL, ids, 2) != 1)
        return 0;
    sqlite3_stmt *st = NULL;
    int ok = 0;
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "INSERT OR REPLACE INTO refnums VALUES(?1, ?2, ?3)", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ids[0], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, inst, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, refnum, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    return ok ? 1 : -1;
}

/* Body of one registration outcome (single result and bulk units share it). */
int sim_w_refnum_outcome(sim_w *w, sim_env *env, const char *inst, xmlNode *info)
{
    char refnum[64];
    int rc = refnum_register(env, inst, info, refnum, sizeof refnum);
    echo_node(w, info);
    sim_w_el(w, "ProcessingResultStatus", rc == 1 ? "1" : "2");
    if (rc != 1) {
        sim_w_el(w, "ProcessingResultCode", rc == 0 ? "SIM0004" : "SIM0005");
        sim_w_el(w, "ProcessingResultMessage",
                 rc == 0 ? "該当資格なし / no matching qualification"
                         : "照会番号の誤り / invalid ReferenceNumber");
    }
    sim_w_el(w, "ReferenceNumber", refnum);
    return rc == 1 ? 1 : 0;
}

static int single_refnum(sim_env *env, sim_req *r, sim_out *out)
{
    char inst[32], afi[64];
    xmlNode *info = sim_x_node(r->root, "MessageBody/ReferenceNumberRegistrationInfo");
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    if (!info || !inst[0])
        return sim_seg9(env, r, "SIM9002", "必須項目不足 / missing ReferenceNumberRegistrationInfo",
                    out);
    sim_w w;
    if (sim_w_begin(&w, ONSHI_MSG_REFNUM_RES) != 0)
        return -1;
    sim_w_header(&w, env, NULL, inst, afi, NULL, "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    sim_w_refnum_outcome(&w, env, inst, info);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

/* Qualification result of a card-identified person (face reader, card authentication). */
int sim_card_result(sim_env *env, int type, const char *id, const char *inst, const char *afi,
                    bool limit, bool disease, const sim_fault *fault, sim_out *out)
{
    char qdate[16], ids[1][16];
    sim_stamp(qdate, sim_now_ms());
    qdate[8] = '\0';
    snprintf(ids[0], sizeof ids[0], "%s", id);
    int v = sim_validity(env, ids, 1, qdate);
    sim_w w;
    if (sim_w_begin(&w, type) != 0)
        return -1;
    sim_w_header(&w, env, qdate, inst, afi, "1", "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    qual_body(&w, env, NULL, ids, 1, v, limit, disease, inst);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, fault, out);
}

/* Records consents given at the reader: kinds drug, checkup, diagnosis, operation. */
int sim_consent_give(sim_env *env, const char *id, const char *kind)
{
    char now[15], until[15];
    int64_t t = sim_now_ms();
    sim_stamp(now, t);
    sim_stamp(until, t + env->consent_hours * 3600 * 1000);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&env->lock);
    if (sqlite3_prepare_v2(env->db, "INSERT OR REPLACE INTO consents VALUES(?1,?2,'1',?3,?4)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, until, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    return rc;
}

int sim_face_result(sim_env *env, const char *id, const char *inst, const char *consents,
                    sim_out *out, char *err, size_t errn)
{
    char afi[24], list[256];
    bool limit = false, disease = false;
    sqlite3_stmt *st = NULL;
    bool exists = false;
    if (sqlite3_prepare_v2(env->db, "SELECT 1 FROM persons WHERE id=?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        exists = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    if (!exists) {
        snprintf(err, errn, "no person %s in the registry", id);
        return -1;
    }
    snprintf(list, sizeof list, "%s", consents ? consents : "");
    for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (strcmp(k, "limit") == 0) {
            limit = true;
        } else if (strcmp(k, "disease") == 0) {
            disease = true;
        } else if (strcmp(k, "drug") == 0 || strcmp(k, "checkup") == 0 ||
                   strcmp(k, "diagnosis") == 0 || strcmp(k, "operation") == 0) {
            if (sim_consent_give(env, id, k) != 0) {
                snprintf(err, errn, "cannot record consent %s", k);
                return -1;
            }
        } else {
            snprintf(err, errn, "unknown consent '%s' (limit, disease, drug, checkup, diagnosis, "
                                "operation)", k);
            return -1;
        }
    }
    /* Face results carry a system-generated 16-character identifier. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint64_t x = (uint64_t)sim_now_ms() * 6364136223846793005ULL + (uintptr_t)id;
    for (int i = 0; i < 14; i++) {
        afi[i] = b64[x % 64];
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    afi[14] = '=';
    afi[15] = '\0';
    return sim_card_result(env, ONSHI_MSG_FACE_RES, id, inst, afi, limit, disease, NULL, out);
}

static int take_fault(sim_req *r, const sim_fault *given)
{
    char afi[64];
    if (given && given->kind)
        r->fault = *given;
    /* Per-request fault for clients that can only shape the request:
     * ArbitraryFileIdentifier "SIMFAULT:name[=arg]". */
    if (sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi) &&
        strncmp(afi, "SIMFAULT:", 9) == 0)
        return sim_fault_parse(&r->fault, afi + 9);
    return 0;
}

int sim_process(sim_env *env, const char *prefix, const unsigned char *data, size_t len,
                sim_fault *fault, const char *client, sim_out *out, char *err, size_t errn)
{
    sim_req r;
    static const char empty[] = "<XmlMsg/>";
    memset(out, 0, sizeof *out);
    if (len == 0 && strcmp(prefix, "cardauth-challenge") == 0) {
        /* A challenge needs no request body. */
        data = (const unsigned char *)empty;
        len = sizeof empty - 1;
    }
    if (sim_req_parse(&r, data, len, err, errn) != 0)
        return -1;
    take_fault(&r, fault);
    if (fault)
        *fault = r.fault;
    r.client = client ? client : "";
    r.restype = sim_restype(prefix);
    /* The binding asks servers to tie 医療機関コード to the client certificate: a CN that
     * starts with a valid 10-digit institution code must match the request's. */
    char inst[32] = "";
    sim_x(r.root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    if (!inst[0])
        sim_x(r.root, "MedicalInstitutionCode", inst, sizeof inst);
    char cn_code[11] = "";
    if (strlen(r.client) >= 10 && strspn(r.client, "0123456789") >= 10)
        snprintf(cn_code, sizeof cn_code, "%.10s", r.client);
    if (inst[0] && cn_code[0] && onshi_institution_code_check(cn_code) == ONSHI_OK &&
        strncmp(cn_code, inst, 10) != 0) {
        snprintf(err, errn, "MedicalInstitutionCode %s does not match the client certificate",
                 inst);
        sim_req_free(&r);
        return SIM_E_FORBIDDEN;
    }
    int rc;
    if (r.fault.kind == SIM_FAULT_SEG9) {
        rc = sim_seg9(env, &r, r.fault.code, "障害試験 / injected failure", out);
    } else if (strcmp(prefix, "OQSsiquc01req") == 0) {
        rc = single_inquiry(env, &r, out);
    } else if (strcmp(prefix, "OQSsiimm01req") == 0) {
        rc = single_refnum(env, &r, out);
    } else if (strlen(prefix) == 13 && strncmp(prefix, "OQSmu", 5) == 0 &&
               strcmp(prefix + 8, "01req") == 0) {
        rc = sim_bulk_upload(env, prefix, &r, out);
    } else if (strlen(prefix) == 13 && strncmp(prefix, "OQSmu", 5) == 0 &&
               strcmp(prefix + 8, "02req") == 0) {
        rc = sim_bulk_download(env, prefix, &r, out);
    } else if (strcmp(prefix, "YZKsiquc01req") == 0 || strcmp(prefix, "TKKsiquc01req") == 0) {
        rc = sim_info(env, prefix[0] == 'Y', &r, out);
    } else if (strcmp(prefix, "cardauth-challenge") == 0) {
        rc = sim_card_challenge(env, &r, out);
    } else if (strcmp(prefix, "cardauth") == 0) {
        rc = sim_card_auth(env, &r, out);
    } else if (strcmp(prefix, "disaster") == 0) {
        rc = sim_disaster_search(env, &r, out);
    } else {
        snprintf(err, errn, "unknown message type '%s'", prefix);
        sim_req_free(&r);
        return -1;
    }
    if (rc == 1)
        snprintf(err, errn, "request refused: an element not allowed in %s", prefix);
    else if (rc != 0)
        snprintf(err, errn, "internal error while answering %s", prefix);
    rc = rc ? -1 : 0;
    sim_req_free(&r);
    return rc;
}
