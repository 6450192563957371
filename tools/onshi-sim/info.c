/*
 * 薬剤情報 (YZKsiquc01) and 特定健診情報 (TKKsiquc01), consent-gated (oqs-interface.md §5.7):
 * served only while the person's matching consent is 1 and unexpired (disaster mode has its
 * own endpoint, disaster.c). FileCategory 1/3 → PDF, 2/4 → XML.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool consent_valid(sim_env *env, const char *id, const char *kind)
{
    char now[15];
    sqlite3_stmt *st = NULL;
    bool ok = false;
    sim_stamp(now, sim_now_ms());
    if (sqlite3_prepare_v2(env->db, "SELECT 1 FROM consents WHERE person_id=?1 AND kind=?2 AND "
                                    "flag='1' AND available_time>=?3", -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

static int info_error(sim_env *env, sim_req *r, const char *inst, const char *afi,
                      const char *code, const char *msg, sim_out *out)
{
    char now[15];
    sim_w w;
    sim_stamp(now, sim_now_ms());
    if (sim_w_begin(&w, r->restype) != 0)
        return -1;
    sim_w_start(&w, "MessageHeader");
    sim_w_el(&w, "ProcessExecutionTime", now);
    sim_w_el(&w, "MedicalInstitutionCode", inst);
    sim_w_el(&w, "ArbitraryFileIdentifier", afi);
    sim_w_el(&w, "ResultCode", "2");
    sim_w_el(&w, "ErrorCode", code);
    sim_w_el(&w, "MessageContents", msg);
    sim_w_el(&w, "CharacterCodeIdentifier", env->cp932 ? "1" : "0");
    sim_w_end(&w);
    sim_w_start(&w, "MessageBody");
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, &r->fault, out);
}

static void qua_inf(sim_w *w, sim_env *env, const char *id, bool drug)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(env->db, "SELECT name, name_kana, birth, sex FROM persons WHERE id=?1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sim_w_start(w, drug ? "QuaInf" : "QualificationsInfo");
        sim_w_el(w, "Name", (const char *)sqlite3_column_text(st, 0));
        sim_w_el(w, drug ? "KanaName" : "KanasName", (const char *)sqlite3_column_text(st, 1));
        sim_w_el(w, drug ? "Birth" : "Birthday", (const char *)sqlite3_column_text(st, 2));
        sim_w_el(w, drug ? "AdmGendCode" : "AdministrativeGenderCode",
                 (const char *)sqlite3_column_text(st, 3));
        sim_w_end(w);
    }
    sqlite3_finalize(st);
}

/* Drug months → CzDiInf/CzDiMonthInf/…; lines for the PDF when lines != NULL. */
static int drug_body(sim_w *w, sim_env *env, const char *id, const char *from, const char *to,
                     char lines[][128], int maxl)
{
    sqlite3_stmt *st = NULL;
    int nl = 0;
    char month[8] = "";
    if (sqlite3_prepare_v2(env->db,
            "SELECT month, di_date, drug_code, drug_name, qty, unit, usage, times, pharmacy FROM "
            "drugs WHERE person_id=?1 AND (?2='' OR month>=?2) AND (?3='' OR month<=?3) "
            "ORDER BY month, di_date", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        if (lines) {
            if (nl < maxl)
                snprintf(lines[nl++], 128, "%s  %s  code %s  qty %s x %s days",
                         m, (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 2),
                         (const char *)sqlite3_column_text(st, 4),
                         (const char *)sqlite3_column_text(st, 7));
            continue;
        }
        if (strcmp(m, month) != 0) {
            if (month[0])
                sim_w_end(w);
            snprintf(month, sizeof month, "%s", m);
            /* 調剤 (dispensing) source: the Cz… element family. */
            sim_w_start(w, "CzDiMonthInf");
            sim_w_el(w, "CzDiMonth", m);
            sim_w_el(w, "CzPrlsHNm", (const char *)sqlite3_column_text(st, 8));
        }
        sim_w_start(w, "CzDiDateInf");
        sim_w_el(w, "CzDiDate", (const char *)sqlite3_column_text(st, 1));
        sim_w_start(w, "CzDrugInf");
        sim_w_el(w, "CzDrugC", (const char *)sqlite3_column_text(st, 2));
        sim_w_el(w, "CzDrugN", (const char *)sqlite3_column_text(st, 3));
        sim_w_el(w, "CzQua1", (const char *)sqlite3_column_text(st, 4));
        sim_w_el(w, "CzUnit", (const char *)sqlite3_column_text(st, 5));
        sim_w_el(w, "CzUsageN", (const char *)sqlite3_column_text(st, 6));
        sim_w_el(w, "CzTimes", (const char *)sqlite3_column_text(st, 7));
        sim_w_end(w);
        sim_w_end(w);
        nl++;
    }
    if (w && month[0])
        sim_w_end(w);
    sqlite3_finalize(st);
    return nl;
}

static int checkup_body(sim_w *w, sim_env *env, const char *id, char lines[][128], int maxl)
{
    sqlite3_stmt *st = NULL;
    int nl = 0;
    char date[16] = "";
    if (sqlite3_prepare_v2(env->db, "SELECT eff_date, item_code, item_name, data_type, value, unit"
                                    " FROM checkups WHERE person_id=?1 ORDER BY eff_date, rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 0);
        if (lines) {
            if (nl < maxl)
                snprintf(lines[nl++], 128, "%s  %s  %s %s", d,
                         (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 4),
                         (const char *)sqlite3_column_text(st, 5));
            continue;
        }
        if (strcmp(d, date) != 0) {
            if (date[0])
                sim_w_end(w);
            snprintf(date, sizeof date, "%s", d);
            sim_w_start(w, "SpecificHealthCheckupInfo");
            sim_w_el(w, "EffectiveTime", d);
        }
        sim_w_start(w, "HealthCheckupResultAndQuestionInfo");
        sim_w_el(w, "ItemCode", (const char *)sqlite3_column_text(st, 1));
        sim_w_el(w, "ItemName", (const char *)sqlite3_column_text(st, 2));
        sim_w_el(w, "DataType", (const char *)sqlite3_column_text(st, 3));
        sim_w_el(w, "DataValue", (const char *)sqlite3_column_text(st, 4));
        sim_w_el(w, "Unit", (const char *)sqlite3_column_text(st, 5));
        sim_w_end(w);
        nl++;
    }
    if (!lines && date[0])
        sim_w_end(w);
    sqlite3_finalize(st);
    return nl;
}

int sim_info_person(sim_env *env, bool drug, const char *id, const char *inst, const char *afi,
                    const char *from, const char *to, const char *cat, const sim_fault *fault,
                    sim_out *out)
{
    if (strcmp(cat, "1") == 0 || strcmp(cat, "3") == 0) {
        char lines[40][128];
        const char *lp[40];
        int n = drug ? drug_body(NULL, env, id, from, to, lines, 40)
                     : checkup_body(NULL, env, id, lines, 40);
        for (int i = 0; i < n; i++)
            lp[i] = lines[i];
        return sim_pdf(drug ? "Drug information (onshi-sim)" : "Health checkup (onshi-sim)", lp,
                       n, out);
    }
    char now[15];
    sim_stamp(now, sim_now_ms());
    sim_w w;
    if (sim_w_begin(&w, drug ? ONSHI_MSG_DRUG_RES : ONSHI_MSG_CHECKUP_RES) != 0)
        return -1;
    sim_w_start(&w, "MessageHeader");
    sim_w_el(&w, "ProcessExecutionTime", now);
    sim_w_el(&w, "MedicalInstitutionCode", inst);
    sim_w_el(&w, "ArbitraryFileIdentifier", afi);
    sim_w_el(&w, "ResultCode", "1");
    sim_w_el(&w, "CharacterCodeIdentifier", env->cp932 ? "1" : "0");
    qua_inf(&w, env, id, drug);
    sim_w_end(&w);
    sim_w_start(&w, "MessageBody");
    if (drug)
        drug_body(&w, env, id, from, to, NULL, 0);
    else
        checkup_body(&w, env, id, NULL, 0);
    sim_w_end(&w);
    return sim_w_finish(&w, env->cp932, fault, out);
}

int sim_info(sim_env *env, bool drug, sim_req *r, sim_out *out)
{
    char inst[32], afi[64], ins[32], sym[64], num[64], br[8], from[8], to[8], cat[4];
    char ids[2][16];
    xmlNode *h = sim_x_node(r->root, "MessageHeader");
    sim_x(h, "MedicalInstitutionCode", inst, sizeof inst);
    sim_x(h, "ArbitraryFileIdentifier", afi, sizeof afi);
    sim_x(h, "InsurerNumber", ins, sizeof ins);
    sim_x(h, "InsuranceCardSymbol", sym, sizeof sym);
    sim_x(h, "InsuredPersonIdentificationNumber", num, sizeof num);
    sim_x(h, "BranchNumber", br, sizeof br);
    sim_x(r->root, "MessageBody/StartDate", from, sizeof from);
    sim_x(r->root, "MessageBody/EndDate", to, sizeof to);
    sim_x(r->root, "MessageBody/FileCategory", cat, sizeof cat);
    if (sim_find(env, ins, sym, num, br, NULL, ids, 2) != 1)
        return info_error(env, r, inst, afi, "SIM0004", "該当者なし / no such insured person",
                          out);
    /* Disaster mode does not lift the consent here: it has its own endpoint (disaster.c). */
    if (!consent_valid(env, ids[0], drug ? "drug" : "checkup"))
        return info_error(env, r, inst, afi, "SIM0020",
                          "閲覧同意なし又は期限切れ / no valid consent for this information", out);
    sim_log("audit: %s information of person %s served to %s", drug ? "drug" : "checkup", ids[0],
            inst);
    return sim_info_person(env, drug, ids[0], inst, afi, from, to, cat, &r->fault, out);
}

/* A one-page PDF 1.4 with Helvetica text lines (ASCII): enough for a viewer and for a
 * client that checks "%PDF-" and stores the file. */
int sim_pdf(const char *title, const char *const *lines, int n, sim_out *out)
{
    char content[8192];
    size_t cl = 0;
    cl += (size_t)snprintf(content + cl, sizeof content - cl,
                           "BT /F1 14 Tf 50 800 Td (%s) Tj /F1 10 Tf", title);
    for (int i = 0; i < n && cl < sizeof content - 200; i++)
        cl += (size_t)snprintf(content + cl, sizeof content - cl, " 0 -16 Td (%s) Tj", lines[i]);
    cl += (size_t)snprintf(content + cl, sizeof content - cl, " ET");
    size_t cap = cl + 1024;
    char *pdf = malloc(cap);
    if (!pdf)
        return -1;
    long off[6];
    size_t len = 0;
    len += (size_t)snprintf(pdf + len, cap - len, "%%PDF-1.4\n");
    off[1] = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    off[2] = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    off[3] = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len,
                            "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >> endobj\n");
    off[4] = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len, "4 0 obj << /Length %zu >> stream\n%s\nendstream endobj\n",
                            cl, content);
    off[5] = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len,
                            "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
    long xref = (long)len;
    len += (size_t)snprintf(pdf + len, cap - len, "xref\n0 6\n0000000000 65535 f \n");
    for (int i = 1; i <= 5; i++)
        len += (size_t)snprintf(pdf + len, cap - len, "%010ld 00000 n \n", off[i]);
    len += (size_t)snprintf(pdf + len, cap - len,
                            "trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", xref);
    out->data = (unsigned char *)pdf;
    out->len = len;
    out->ext = "pdf";
    out->ctype = "application/pdf";
    out->status = 200;
    return 0;
}
