/*
 * Two-phase bulk messages (oqs-interface.md §1.5): 01req is stored under a 受付番号 and
 * answered at once; 02req answers SegmentOfResult 2 until the processing delay has passed,
 * then the units (optionally as a ZIP).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_bulk_upload(sim_env *env, const char *prefix, sim_req *r, sim_out *out)
{
    char inst[32], afi[64], recno[24], now[15];
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    if (!inst[0] || !sim_x_node(r->root, "MessageBody"))
        return sim_seg9(env, r, "SIM9002", "必須項目不足 / missing MedicalInstitutionCode", out);
    xmlChar *doc = NULL;
    int dlen = 0;
    xmlDocDumpMemoryEnc(r->doc, &doc, &dlen, "UTF-8");
    if (!doc)
        return -1;
    int64_t t = sim_now_ms();
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&env->lock);
    sqlite3_int64 seq = 0;
    if (sqlite3_prepare_v2(env->db, "SELECT count(*) FROM bulk", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    /* The real format of 受付番号 is unknown; R + 10 digits, unique per database. */
    snprintf(recno, sizeof recno, "R%010lld", (long long)(seq + 1 + (t % 1000) * 1000000LL));
    if (sqlite3_prepare_v2(env->db, "INSERT INTO bulk VALUES(?1,?2,?3,?4,?5,?6)", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, recno, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, inst, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, t);
        sqlite3_bind_int64(st, 5, t + env->bulk_delay_ms);
        sqlite3_bind_blob(st, 6, doc, dlen, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&env->lock);
    xmlFree(doc);
    if (rc != 0)
        return -1;
    sim_stamp(now, t);
    sim_w w;
    if (sim_w_begin(&w, r->restype) != 0)
        return -1;
    sim_w_header(&w, env, NULL, inst, afi, NULL, "1", NULL, NULL);
    sim_w_start(&w, "MessageBody");
    sim_w_el(&w, "ReceptionNumber", recno);
    sim_w_el(&w, "ReceptionDateTime", now);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

/* Units of a consent-based or 医療扶助 bulk: persons chosen by the registry. */
static int select_units(sim_w *w, sim_env *env, const char *sql, const char *a, const char *b,
                        const char *inst, int *ok)
{
    sqlite3_stmt *st = NULL;
    int n = 0;
    if (sqlite3_prepare_v2(env->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, inst, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        sim_w_start(w, "BulkConfirmUnit");
        sim_w_el(w, "ProcessingResultStatus", "1");
        sim_w_el(w, "QualificationValidity", "1");
        sim_w_person(w, env, (const char *)sqlite3_column_text(st, 0), false, false, inst);
        sim_w_end(w);
        n++;
        (*ok)++;
    }
    sqlite3_finalize(st);
    return n;
}

/* The units of a finished bulk into the open MessageBody; counts them. */
static void bulk_units(sim_w *w, sim_env *env, const char *prefix, xmlNode *root,
                       const char *inst, int *total, int *ok)
{
    char qdate[16], a[16], b[16];
    xmlNode *body = sim_x_node(root, "MessageBody");
    const char *func = prefix + 5; /* quc, imm, tic, hvq, onq */
    if (strncmp(func, "quc", 3) == 0) {
        if (!sim_x(root, "MessageHeader/QualificationConfirmationDate", qdate, sizeof qdate) ||
            !qdate[0]) {
            sim_stamp(qdate, sim_now_ms());
            qdate[8] = '\0';
        }
        for (xmlNode *q = sim_x_next(body ? body->children : NULL,
                                     "QualificationConfirmSearchInfo");
             q; q = sim_x_next(q->next, "QualificationConfirmSearchInfo")) {
            (*total)++;
            *ok += sim_w_qual_unit(w, env, q, qdate, inst);
        }
    } else if (strncmp(func, "imm", 3) == 0) {
        for (xmlNode *q = sim_x_next(body ? body->children : NULL,
                                     "ReferenceNumberRegistrationInfo");
             q; q = sim_x_next(q->next, "ReferenceNumberRegistrationInfo")) {
            (*total)++;
            sim_w_start(w, "BulkConfirmUnit");
            *ok += sim_w_refnum_outcome(w, env, inst, q);
            sim_w_end(w);
        }
    } else if (strncmp(func, "tic", 3) == 0) {
        /* inside QualificationConfirmSearchInfo (as OQSDrug2 writes it) or in the body */
        if (!sim_x(body, "QualificationConfirmSearchInfo/MedicalTreatmentMonth", a, sizeof a))
            sim_x(body, "MedicalTreatmentMonth", a, sizeof a);
        *total += select_units(w, env,
                               "SELECT DISTINCT person_id FROM tickets WHERE month=?1 AND"
                               " ?2=?2 AND inst_code=?3 ORDER BY person_id",
                               a, "", inst, ok);
    } else {
        if (!sim_x(body, "QualificationConfirmSearchInfo/ConsentDateFrom", a, sizeof a))
            sim_x(body, "QualificationConfirmSearchInfo/ExaminationDateFrom", a, sizeof a);
        if (!sim_x(body, "QualificationConfirmSearchInfo/ConsentDateTo", b, sizeof b))
            sim_x(body, "QualificationConfirmSearchInfo/ExaminationDateTo", b, sizeof b);
        *total += select_units(w, env,
                               "SELECT DISTINCT person_id FROM consents WHERE flag='1' AND"
                               " substr(cons_time,1,8) BETWEEN ?1 AND ?2 AND ?3=?3"
                               " ORDER BY person_id", a, b, inst, ok);
    }
}

int sim_bulk_download(sim_env *env, const char *prefix, sim_req *r, sim_out *out)
{
    char inst[32], recno[32], upfx[16];
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageBody/ReceptionNumber", recno, sizeof recno);
    snprintf(upfx, sizeof upfx, "%.8s01req", prefix);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(env->db, "SELECT ready_ms, request, institution FROM bulk WHERE "
                                    "reception=?1 AND prefix=?2", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, recno, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, upfx, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 2), inst)) {
        sqlite3_finalize(st);
        return sim_seg9(env, r, "SIM9010", "受付番号なし / unknown ReceptionNumber", out);
    }
    int64_t ready = sqlite3_column_int64(st, 0);
    xmlDoc *up = xmlReadMemory(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1),
                               "bulk.xml", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR);
    sqlite3_finalize(st);
    if (!up)
        return -1;
    xmlNode *uroot = xmlDocGetRootElement(up);
    char afi[64], now[15];
    sim_x(uroot, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    bool done = sim_now_ms() >= ready && r->fault.kind != SIM_FAULT_PROCESSING;
    int total = 0, ok = 0;
    sim_stamp(now, sim_now_ms());
    sim_w w;
    if (sim_w_begin(&w, r->restype) != 0) {
        xmlFreeDoc(up);
        return -1;
    }
    sim_w_start(&w, "MessageHeader");
    sim_w_el(&w, "ProcessExecutionTime", now);
    sim_w_el(&w, "MedicalInstitutionCode", inst);
    sim_w_el(&w, "ArbitraryFileIdentifier", afi);
    sim_w_el(&w, "ReceptionNumber", recno);
    sim_w_el(&w, "SegmentOfResult", done ? "1" : "2");
    sim_w_el(&w, "CharacterCodeIdentifier", env->cp932 ? "1" : "0");
    sim_w_end(&w);
    sim_w_start(&w, "MessageBody");
    if (done)
        bulk_units(&w, env, prefix, uroot, inst, &total, &ok);
    sim_w_end(&w);
    xmlFreeDoc(up);
    if (done) {
        /* The codec writes header fields in their documented place, counts included. */
        char n[16];
        snprintf(n, sizeof n, "%d", total);
        sim_w_hdr(&w, "NumberOfProcessingResult", n);
        snprintf(n, sizeof n, "%d", ok);
        sim_w_hdr(&w, "NumberOfNormalProcessing", n);
        snprintf(n, sizeof n, "%d", total - ok);
        sim_w_hdr(&w, "NumberOfError", n);
    }
    if (sim_w_finish(&w, env->cp932, &r->fault, out) != 0)
        return -1;
    if (done && env->zip) {
        char name[64];
        sim_out z = {0};
        snprintf(name, sizeof name, "%.8s02res_%s.xml", prefix, recno);
        if (sim_zip_one(name, out->data, out->len, &z) != 0)
            return -1;
        sim_out_free(out);
        *out = z;
    }
    return 0;
}
