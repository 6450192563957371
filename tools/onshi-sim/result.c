/*
 * ResultOfQualificationConfirmation for one registry person (oqs-interface.md §5.3), in the
 * element order of the implementers' lists. 医療扶助 persons carry the public-expense
 * elements and their 医療券 instead of the insurer's.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdio.h>
#include <string.h>

static const char *col(sqlite3_stmt *st, const char *name)
{
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++)
        if (strcmp(sqlite3_column_name(st, i), name) == 0) {
            const unsigned char *t = sqlite3_column_text(st, i);
            return t ? (const char *)t : "";
        }
    return "";
}

/* column → element, in result order; NULL column = a group written by code. */
static const struct {
    const char *col, *el;
} k_head[] = {
    {"card_class", "InsuredCardClassification"},
    {"insurer", "InsurerNumber"},
    {"symbol", "InsuredCardSymbol"},
    {"number", "InsuredIdentificationNumber"},
    {"branch", "InsuredBranchNumber"},
    {"family", "PersonalFamilyClassification"},
    {"insured_name", "InsuredName"},
    {"name", "Name"},
    {"name_other", "NameOfOther"},
    {"name_kana", "NameKana"},
    {"sex", "Sex1"},
    {"birth", "Birthdate"},
    {"address", "Address"},
    {"post", "PostNumber"},
    {"qual_date", "QualificationDate"},
    {"disqual_date", "DisqualificationDate"},
    {"issue_date", "InsuredCertificateIssuanceDate"},
    {"card_valid", "InsuredCardValidDate"},
    {"card_exp", "InsuredCardExpirationDate"},
    {"ratio", "InsuredPartialContributionRatio"},
    {"preschool", "PreschoolClassification"},
    {"reason_loss", "ReasonOfLoss"},
    {"insurer_name", "InsurerName"},
};

static void consent_els(sim_w *w, sim_env *env, const char *id, const char *kind,
                        const char *prefix)
{
    sqlite3_stmt *st = NULL;
    char el[96];
    if (sqlite3_prepare_v2(env->db, "SELECT flag, cons_time, available_time FROM consents "
                                    "WHERE person_id=?1 AND kind=?2", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        char now[15];
        const char *flag = (const char *)sqlite3_column_text(st, 0);
        const char *avail = (const char *)sqlite3_column_text(st, 2);
        sim_stamp(now, sim_now_ms());
        /* A consent past its AvailableTime is reported as 2 (同意有効期限切れ). */
        if (flag && strcmp(flag, "1") == 0 && avail && avail[0] && strcmp(avail, now) < 0)
            flag = "2";
        snprintf(el, sizeof el, "%sConsFlg", prefix);
        sim_w_el(w, el, flag);
        snprintf(el, sizeof el, "%sConsTime", prefix);
        sim_w_el(w, el, (const char *)sqlite3_column_text(st, 1));
        snprintf(el, sizeof el, "%sAvailableTime", prefix);
        sim_w_el(w, el, avail);
    } else {
        snprintf(el, sizeof el, "%sConsFlg", prefix);
        sim_w_el(w, el, "0");
    }
    sqlite3_finalize(st);
}

static void diseases(sim_w *w, sim_env *env, const char *id)
{
    sqlite3_stmt *st = NULL;
    bool any = false;
    if (sqlite3_prepare_v2(env->db, "SELECT category, cert_date, start_date, end_date, selfpay "
                                    "FROM diseases WHERE person_id=?1 ORDER BY category",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!any)
            sim_w_start(w, "SpecificDiseasesCertificateList");
        any = true;
        sim_w_start(w, "SpecificDiseasesCertificateInfo");
        sim_w_el(w, "SpecificDiseasesDiseaseCategory", (const char *)sqlite3_column_text(st, 0));
        sim_w_el(w, "SpecificDiseasesCertificateDate", (const char *)sqlite3_column_text(st, 1));
        sim_w_el(w, "SpecificDiseasesValidStartDate", (const char *)sqlite3_column_text(st, 2));
        sim_w_el(w, "SpecificDiseasesValidEndDate", (const char *)sqlite3_column_text(st, 3));
        sim_w_el(w, "SpecificDiseasesSelfPay", (const char *)sqlite3_column_text(st, 4));
        sim_w_end(w);
    }
    if (any)
        sim_w_end(w);
    sqlite3_finalize(st);
}

static void tickets(sim_w *w, sim_env *env, const char *id)
{
    static const char *const els[] = {
        "TicketType", "MedicalTicketValidDate", "MedicalTicketExpirationDate", "IssueNumber",
        "MedicalTreatmentMonth", "DesignatedMedicalInstitutionCode",
        "DesignatedMedicalInstitutionFlag", "DesignatedMedicalInstitutionName", "InjuryName1",
        "MedicalTreatmentType", "SelfPayAmount", "SingleOrCombinedUse", "StatusOfSocialInsurance"};
    sqlite3_stmt *st = NULL;
    bool any = false;
    if (sqlite3_prepare_v2(env->db,
            "SELECT ticket_type, valid_date, expiry_date, issue_number, month, inst_code,"
            " inst_flag, inst_name, injury1, treatment_type, selfpay, single_combined, social_ins"
            " FROM tickets WHERE person_id=?1", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!any)
            sim_w_start(w, "PublicExpenseResultList");
        any = true;
        sim_w_start(w, "MedicalTicketInfo");
        for (int i = 0; i < (int)(sizeof els / sizeof els[0]); i++)
            sim_w_el(w, els[i], (const char *)sqlite3_column_text(st, i));
        sim_w_end(w);
    }
    if (any)
        sim_w_end(w);
    sqlite3_finalize(st);
}

int sim_w_person(sim_w *w, sim_env *env, const char *id, bool limit_cons, bool disease_cons,
                 const char *inst)
{
    sqlite3_stmt *st = NULL;
    char now[15], ins8[16];
    if (sqlite3_prepare_v2(env->db, "SELECT * FROM persons WHERE id=?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return -1;
    }
    sim_stamp(now, sim_now_ms());
    bool welfare = strcmp(col(st, "card_class"), "A1") == 0;
    sim_w_start(w, "ResultOfQualificationConfirmation");
    for (size_t i = 0; i < sizeof k_head / sizeof k_head[0]; i++) {
        const char *v = col(st, k_head[i].col);
        if (strcmp(k_head[i].col, "insurer") == 0) {
            if (welfare) {
                sim_w_el(w, "PublicExpenseNumber", col(st, "pub_number"));
                sim_w_el(w, "BeneficiaryNumber", col(st, "beneficiary"));
                continue;
            }
            /* 6-digit 国保 numbers are right-aligned in 8 characters with spaces. */
            snprintf(ins8, sizeof ins8, "%8s", v);
            v = ins8;
        }
        if (strcmp(k_head[i].col, "insurer_name") == 0 && welfare) {
            sim_w_el(w, "WelfareOfficeName", col(st, "welfare_office"));
            continue;
        }
        sim_w_el(w, k_head[i].el, v);
    }
    if (col(st, "eld_ratio")[0]) {
        sim_w_start(w, "ElderlyRecipientCertificateInfo");
        sim_w_el(w, "ElderlyRecipientCertificateDate", col(st, "eld_date"));
        sim_w_el(w, "ElderlyRecipientValidStartDate", col(st, "eld_start"));
        sim_w_el(w, "ElderlyRecipientValidEndDate", col(st, "eld_end"));
        sim_w_el(w, "ElderlyRecipientContributionRatio", col(st, "eld_ratio"));
        sim_w_end(w);
    }
    sim_w_el(w, "LimitApplicationCertificateRelatedConsFlg", limit_cons ? "1" : "0");
    if (limit_cons) {
        sim_w_el(w, "LimitApplicationCertificateRelatedConsTime", now);
        if (col(st, "lim_flag")[0]) {
            sim_w_start(w, "LimitApplicationCertificateRelatedInfo");
            sim_w_el(w, "LimitApplicationCertificateClassification", col(st, "lim_class"));
            sim_w_el(w, "LimitApplicationCertificateClassificationFlag", col(st, "lim_flag"));
            sim_w_el(w, "LimitApplicationCertificateDate", col(st, "lim_date"));
            sim_w_el(w, "LimitApplicationCertificateValidStartDate", col(st, "lim_start"));
            sim_w_el(w, "LimitApplicationCertificateValidEndDate", col(st, "lim_end"));
            sim_w_el(w, "LimitApplicationCertificateLongTermDate", col(st, "lim_long"));
            sim_w_end(w);
        }
    }
    sim_w_el(w, "SpecificDiseasesCertificateRelatedConsFlg", disease_cons ? "1" : "0");
    if (disease_cons) {
        sim_w_el(w, "SpecificDiseasesCertificateRelatedConsTime", now);
        diseases(w, env, id);
    }
    consent_els(w, env, id, "checkup", "SpecificHealthCheckupsInfo");
    consent_els(w, env, id, "drug", "PharmacistsInfo");
    consent_els(w, env, id, "diagnosis", "DiagnosisInfo");
    consent_els(w, env, id, "operation", "OperationInfo");
    if (inst && inst[0]) {
        sqlite3_stmt *rn = NULL;
        if (sqlite3_prepare_v2(env->db, "SELECT refnum FROM refnums WHERE person_id=?1 AND "
                                        "institution=?2", -1, &rn, NULL) == SQLITE_OK) {
            sqlite3_bind_text(rn, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(rn, 2, inst, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(rn) == SQLITE_ROW)
                sim_w_el(w, "ReferenceNumber", (const char *)sqlite3_column_text(rn, 0));
            sqlite3_finalize(rn);
        }
    }
    if (welfare)
        tickets(w, env, id);
    sim_w_end(w);
    sqlite3_finalize(st);
    return 0;
}
