/*
 * The registry: an SQLite database of fictional insured persons (schema, seed, generator,
 * look-ups). The seed is test/data/registry.sql (made by seed/make-seed.py).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char k_schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS persons(id TEXT PRIMARY KEY, scenario TEXT, card_class TEXT,"
    " insurer TEXT, symbol TEXT, number TEXT, branch TEXT, family INT, insured_name TEXT,"
    " name TEXT, name_other TEXT, name_kana TEXT, sex INT, birth TEXT, address TEXT, post TEXT,"
    " pref TEXT, qual_date TEXT, disqual_date TEXT, reason_loss TEXT, issue_date TEXT,"
    " card_valid TEXT, card_exp TEXT, ratio TEXT, preschool TEXT, insurer_name TEXT,"
    " successor TEXT, eld_date TEXT, eld_start TEXT, eld_end TEXT, eld_ratio TEXT,"
    " lim_class TEXT, lim_flag TEXT, lim_date TEXT, lim_start TEXT, lim_end TEXT,"
    " lim_long TEXT, pub_number TEXT, beneficiary TEXT, welfare_office TEXT,"
    " card_serial TEXT, card_revoked INT DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS persons_card ON persons(insurer, number);"
    "CREATE INDEX IF NOT EXISTS persons_pub ON persons(pub_number, beneficiary);"
    "CREATE INDEX IF NOT EXISTS persons_serial ON persons(card_serial);"
    "CREATE TABLE IF NOT EXISTS diseases(person_id TEXT, category TEXT, cert_date TEXT,"
    " start_date TEXT, end_date TEXT, selfpay TEXT);"
    "CREATE TABLE IF NOT EXISTS tickets(person_id TEXT, ticket_type TEXT, valid_date TEXT,"
    " expiry_date TEXT, issue_number TEXT, month TEXT, inst_code TEXT, inst_flag TEXT,"
    " inst_name TEXT, injury1 TEXT, treatment_type TEXT, selfpay TEXT, single_combined TEXT,"
    " social_ins TEXT);"
    "CREATE TABLE IF NOT EXISTS consents(person_id TEXT, kind TEXT, flag TEXT, cons_time TEXT,"
    " available_time TEXT, PRIMARY KEY(person_id, kind));"
    "CREATE TABLE IF NOT EXISTS refnums(person_id TEXT, institution TEXT, refnum TEXT,"
    " PRIMARY KEY(person_id, institution));"
    "CREATE TABLE IF NOT EXISTS drugs(person_id TEXT, month TEXT, di_date TEXT, source TEXT,"
    " drug_code TEXT, drug_name TEXT, qty TEXT, unit TEXT, usage TEXT, times TEXT,"
    " pharmacy TEXT);"
    "CREATE INDEX IF NOT EXISTS drugs_person ON drugs(person_id);"
    "CREATE TABLE IF NOT EXISTS checkups(person_id TEXT, eff_date TEXT, item_code TEXT,"
    " item_name TEXT, data_type TEXT, value TEXT, unit TEXT);"
    "CREATE INDEX IF NOT EXISTS checkups_person ON checkups(person_id);"
    "CREATE TABLE IF NOT EXISTS bulk(reception TEXT PRIMARY KEY, prefix TEXT,"
    " institution TEXT, created_ms INT, ready_ms INT, request BLOB);"
    "CREATE TABLE IF NOT EXISTS challenges(id TEXT PRIMARY KEY, nonce TEXT, client TEXT,"
    " institution TEXT, issued_ms INT, expires_ms INT, used INT DEFAULT 0);";

int sim_db_open(sqlite3 **db, const char *path, bool create)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "onshi-sim: cannot open %s: %s\n", path, sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(*db, k_schema, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "onshi-sim: schema of %s: %s\n", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* The newest month of the seed's drug histories (tools/onshi-sim/seed/make-seed.py). */
#define SEED_LAST_DRUG_MONTH (2026 * 12 + 1 - 1)

int sim_db_seed(sqlite3 *db)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sim_seed_sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "onshi-sim: seed: %s\n", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    /* Drug histories end in the month before the simulator's current month (Japan time), so
     * a request with the usual window (the last six months up to now) finds them whenever
     * the registry is made; the months keep their spacing. */
    char now[15];
    sim_stamp(now, sim_now_ms());
    int y = (now[0] - '0') * 1000 + (now[1] - '0') * 100 + (now[2] - '0') * 10 + (now[3] - '0');
    int m = (now[4] - '0') * 10 + (now[5] - '0');
    int off = y * 12 + m - 1 - 1 - SEED_LAST_DRUG_MONTH;
    char sql[600];
    snprintf(sql, sizeof sql,
             "UPDATE drugs SET month=printf('%%04d%%02d', (k + %d) / 12, (k + %d) %% 12 + 1),"
             " di_date=printf('%%04d%%02d', (k + %d) / 12, (k + %d) %% 12 + 1) || substr(di_date, 7)"
             " FROM (SELECT rowid AS r, CAST(substr(month, 1, 4) AS INT) * 12 +"
             " CAST(substr(month, 5, 2) AS INT) - 1 AS k FROM drugs) AS d WHERE drugs.rowid = d.r",
             off, off, off, off);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "onshi-sim: seed: drug months: %s\n", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Check digit of insurer and public-expense numbers (domain-rules.md): weights 2,1,2,1… from
 * the last body digit backwards, two-digit products add their digits. */
char sim_checkdigit(const char *body)
{
    size_t n = strlen(body);
    int sum = 0, w = 2;
    for (size_t i = n; i-- > 0;) {
        int p = (body[i] - '0') * w;
        sum += p / 10 + p % 10;
        w = 3 - w;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

bool sim_checkdigit_ok(const char *d)
{
    size_t n = strlen(d);
    char body[16];
    if ((n != 6 && n != 8) || n >= sizeof body)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)d[i]))
            return false;
    memcpy(body, d, n - 1);
    body[n - 1] = '\0';
    return sim_checkdigit(body) == d[n - 1];
}

void sim_insurer_norm(const char *in, char *out, size_t n)
{
    while (*in == ' ')
        in++;
    size_t len = strlen(in);
    while (len > 0 && in[len - 1] == ' ')
        len--;
    /* 8-digit numbers never start with 法別 00, so "00" + 6 digits is a zero-padded 国保. */
    if (len == 8 && in[0] == '0' && in[1] == '0') {
        in += 2;
        len = 6;
    }
    out[0] = '\0';
    if ((len != 6 && len != 8) || len >= n)
        return;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)in[i]))
            return;
    memcpy(out, in, len);
    out[len] = '\0';
}

/* Synthetic persons for benchmarks: a mix of 社保, 国保 and 後期高齢者, ids S0000001…. */
int sim_db_generate(sqlite3 *db, long n)
{
    static const char *const fam[] = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村"};
    static const char *const famk[] = {"ｻﾄｳ", "ｽｽﾞｷ", "ﾀｶﾊｼ", "ﾀﾅｶ", "ｲﾄｳ", "ﾜﾀﾅﾍﾞ", "ﾔﾏﾓﾄ", "ﾅｶﾑﾗ"};
    static const char *const giv[] = {"一郎", "花子", "健", "美咲", "大輔", "陽菜"};
    static const char *const givk[] = {"ｲﾁﾛｳ", "ﾊﾅｺ", "ｹﾝ", "ﾐｻｷ", "ﾀﾞｲｽｹ", "ﾋﾅ"};
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO persons(id,scenario,card_class,insurer,symbol,number,branch,family,"
            "insured_name,name,name_other,name_kana,sex,birth,address,post,pref,qual_date,"
            "disqual_date,reason_loss,issue_date,card_valid,card_exp,ratio,preschool,"
            "insurer_name,successor,card_serial) VALUES(?1,'synthetic','01',?2,?3,?4,?5,?6,'',"
            "?7,'',?8,?9,?10,?11,?12,?13,'20200401','','','20200401','20200401','',?14,'',"
            "?15,'',?16)", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    int rc = 0;
    if (n > 9999999)
        n = 9999999;
    for (long i = 1; i <= n && rc == 0; i++) {
        char id[32], ins[40], body[32], sym[16], num[32], br[4], name[64], kana[64], birth[24],
            addr[96], post[40], pref[3], serial[32];
        long kind = i % 3;
        pref[0] = (char)('0' + (1 + i % 47) / 10);
        pref[1] = (char)('0' + (1 + i % 47) % 10);
        pref[2] = '\0';
        if (kind == 0)
            snprintf(body, sizeof body, "01%s%03ld", pref, i % 1000);
        else if (kind == 1)
            snprintf(body, sizeof body, "%s%03ld", pref, i % 1000);
        else
            snprintf(body, sizeof body, "39%s%03ld", pref, i % 1000);
        snprintf(ins, sizeof ins, "%s%c", body, sim_checkdigit(body));
        snprintf(id, sizeof id, "S%07ld", i);
        snprintf(sym, sizeof sym, "%s", kind == 2 ? "" : "S");
        snprintf(num, sizeof num, "%08ld", i);
        snprintf(br, sizeof br, "%s", kind == 2 ? "" : (i % 4 ? "01" : "02"));
        snprintf(name, sizeof name, "%s　%s", fam[i % 8], giv[i % 6]);
        snprintf(kana, sizeof kana, "%s %s", famk[i % 8], givk[i % 6]);
        snprintf(birth, sizeof birth, "%04ld%02ld%02ld",
                 kind == 2 ? 1930 + i % 20 : 1950 + i % 60, 1 + i % 12, 1 + i % 28);
        snprintf(addr, sizeof addr, "合成県見本市%ld番地", i % 5000);
        snprintf(post, sizeof post, "%03ld-%04ld", 100 + i % 900, i % 10000);
        snprintf(serial, sizeof serial, "5F%06lX", i & 0xFFFFFF);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, ins, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, sym, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, num, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, br, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 6, i % 4 ? 1 : 2);
        sqlite3_bind_text(st, 7, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, kana, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 9, 1 + (int)(i % 2));
        sqlite3_bind_text(st, 10, birth, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 11, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 12, post, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 13, pref, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 14, kind == 2 ? "010" : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 15, kind == 2 ? "合成後期高齢者医療広域連合" :
                                  kind == 1 ? "合成市国民健康保険" : "全国健康保険協会合成支部",
                          -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 16, serial, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "onshi-sim: generate: %s\n", sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    return rc;
}

int sim_find(sim_env *env, const char *insurer, const char *symbol, const char *number,
             const char *branch, const char *birth, char ids[][16], int max)
{
    char ins[16];
    sim_insurer_norm(insurer, ins, sizeof ins);
    sqlite3_stmt *st = NULL;
    int n = 0;
    /* 医療扶助: the public-expense number and 受給者番号 take the insurer/number places. */
    if (sqlite3_prepare_v2(env->db,
            "SELECT id FROM persons WHERE ((insurer=?1 AND number=?3 AND (?2='' OR symbol=?2)"
            " AND (?4='' OR branch=?4)) OR (pub_number=?1 AND beneficiary=?3))"
            " AND (?5='' OR birth=?5) ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, ins, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, symbol ? symbol : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, number ? number : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, branch ? branch : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, birth ? birth : "", -1, SQLITE_TRANSIENT);
    while (ins[0] && n < max && sqlite3_step(st) == SQLITE_ROW)
        snprintf(ids[n++], 16, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return n;
}

int sim_validity(sim_env *env, char ids[][16], int n, const char *qdate)
{
    if (n == 0)
        return 4;
    if (n > 1)
        return 5;
    sqlite3_stmt *st = NULL;
    int v = 1;
    if (sqlite3_prepare_v2(env->db, "SELECT disqual_date, successor FROM persons WHERE id=?1",
                           -1, &st, NULL) != SQLITE_OK)
        return 1;
    sqlite3_bind_text(st, 1, ids[0], -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *dq = (const char *)sqlite3_column_text(st, 0);
        const char *succ = (const char *)sqlite3_column_text(st, 1);
        if (dq && dq[0] && strcmp(dq, qdate) <= 0)
            v = succ && succ[0] ? 3 : 2;
    }
    sqlite3_finalize(st);
    return v;
}
