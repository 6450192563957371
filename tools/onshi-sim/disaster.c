/*
 * Disaster-mode search (docs/protocol.md §8): open per prefecture and period by
 * configuration (--disaster PREF:FROM-TO); the institution's prefecture (first two digits of
 * its 医療機関コード) decides. One match → the drug or checkup document (or PDF) without a
 * consent; several → DS002; none → DS003; closed → DS001. Every search is logged for audit.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdio.h>
#include <string.h>

bool sim_disaster_open(sim_env *env, const char *pref, const char *date)
{
    for (int i = 0; i < env->n_disaster; i++) {
        const sim_disaster *d = &env->disaster[i];
        if ((strcmp(d->pref, "00") == 0 || strncmp(d->pref, pref, 2) == 0) &&
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
    char kind[4], cat[4], staff[64], sname[128], skana[128], ids[3][16];
    int n = 0;
    xmlNode *q = sim_x_node(r->root, "MessageBody/OnshiDisasterSearch");
    sim_x(r->root, "MessageHeader/MedicalInstitutionCode", inst, sizeof inst);
    sim_x(r->root, "MessageHeader/ArbitraryFileIdentifier", afi, sizeof afi);
    sim_stamp(today, sim_now_ms());
    today[8] = '\0';
    if (!q)
        return sim_seg9(env, r, "DS003", "検索条件なし / no OnshiDisasterSearch", out);
    sim_x(q, "Name", name, sizeof name);
    sim_x(q, "NameKana", kana, sizeof kana);
    sim_x(q, "Birthdate", birth, sizeof birth);
    sim_x(q, "Sex1", sex, sizeof sex);
    sim_x(q, "Address", addr, sizeof addr);
    if (!sim_x(q, "InformationKind", kind, sizeof kind) || !kind[0])
        snprintf(kind, sizeof kind, "1");
    if (!sim_x(q, "FileCategory", cat, sizeof cat) || !cat[0])
        snprintf(cat, sizeof cat, "2");
    sim_x(q, "StaffId", staff, sizeof staff);
    if (!sim_disaster_open(env, inst, today)) {
        sim_log("audit: disaster search by %s (staff %s) refused: closed", inst, staff);
        return sim_seg9(env, r, "DS001", "災害時モードは開放されていない / disaster mode is not "
                                         "open for this institution's region today", out);
    }
    strip_spaces(name, sname, sizeof sname);
    strip_spaces(kana, skana, sizeof skana);
    sqlite3_stmt *st = NULL;
    if ((sname[0] || skana[0]) && birth[0] &&
        sqlite3_prepare_v2(env->db,
            "SELECT id FROM persons WHERE birth=?1 AND (?2='' OR sex=CAST(?2 AS INT)) AND"
            " (?3='' OR replace(replace(name,'　',''),' ','')=?3 OR"
            "  replace(replace(name_other,'　',''),' ','')=?3) AND"
            " (?4='' OR replace(name_kana,' ','')=?4) AND (?5='' OR address LIKE ?5 || '%')"
            " ORDER BY id LIMIT 3", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, birth, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, sex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, sname, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, skana, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, addr, -1, SQLITE_TRANSIENT);
        while (n < 3 && sqlite3_step(st) == SQLITE_ROW)
            snprintf(ids[n++], 16, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sim_log("audit: disaster search by %s (staff %s): %d candidate(s)%s%s", inst, staff, n,
            n == 1 ? ", served person " : "", n == 1 ? ids[0] : "");
    if (n == 0)
        return sim_seg9(env, r, "DS003", "該当者なし / nobody found", out);
    if (n > 1)
        return sim_seg9(env, r, "DS002", "複数該当、条件を追加 / several candidates: narrow the "
                                         "search", out);
    /* InformationKind 3 (both) answers the drug document; ask 2 for the checkups. */
    return sim_info_person(env, strcmp(kind, "2") != 0, ids[0], inst, afi, "", "", cat,
                           &r->fault, out);
}
