/*
 * Several reception PCs on one terminal: N processes, each asking M qualifications by card
 * number through libonshi's workflow (onshi_insurance_card_verify) on the same req/ and res/
 * folders, answered by onshi-sim's linkage mode. Every answer is checked against the patient
 * asked for (InsuredIdentificationNumber and Birthdate of the person returned).
 *
 *   lib_sharing DIR REGDB N M separate|shared   all rounds must end OK: 0 mix-ups (an OK answer
 *                                               about another patient), 0 duplicates (one id
 *                                               used by two rounds), 0 losses (a round that
 *                                               did not end OK)
 *   lib_sharing DIR REGDB wrong                 the linkage app answers with the previous
 *                                               patient's result (--fault wrongpatient):
 *                                               ONSHI_E_RESULT_MISMATCH, request not answered
 * Each process has its own state store (separate) or all share one (shared). Prints the
 * counts; exit 1 on any mix-up, duplicate or loss.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <onshi.h>
#include <onshi_transport.h>
#include "../support/api.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* (lets the same client run against libonshi 0.1, to show what it gets wrong there) */
#ifndef ONSHI_E_RESULT_MISMATCH
#define ONSHI_E_RESULT_MISMATCH -511
#endif

#define MAX_PERSONS 64

typedef struct person {
    char ins[16], sym[40], num[40], br[8], birth[16];
} person;

static person persons[MAX_PERSONS];
static int npersons;

/* Registry persons whose card-number inquiry answers one valid qualification. */
static int load_persons(const char *regdb)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(regdb, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    const char *sql =
        "SELECT insurer, coalesce(symbol,''), number, coalesce(branch,''), birth FROM persons"
        " WHERE insurer IS NOT NULL AND insurer <> '' AND card_class <> 'A1'"
        " AND (disqual_date IS NULL OR disqual_date = '') AND (successor IS NULL OR successor = '')"
        " AND coalesce(branch,'') <> '' AND scenario NOT LIKE '%失効%' ORDER BY id";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "registry: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    while (npersons < MAX_PERSONS && sqlite3_step(s) == SQLITE_ROW) {
        person *p = &persons[npersons++];
        snprintf(p->ins, sizeof p->ins, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(p->sym, sizeof p->sym, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(p->num, sizeof p->num, "%s", (const char *)sqlite3_column_text(s, 2));
        snprintf(p->br, sizeof p->br, "%s", (const char *)sqlite3_column_text(s, 3));
        snprintf(p->birth, sizeof p->birth, "%s", (const char *)sqlite3_column_text(s, 4));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return npersons > 1 ? 0 : -1;
}

static onshi_ctx *new_ctx(const char *dir, const char *db)
{
    onshi_ctx *ctx = NULL;
    char p[700];
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return NULL;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    snprintf(p, sizeof p, "%s/req", dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, p);
    snprintf(p, sizeof p, "%s/res", dir);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, p);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, db);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 120000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 120000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 50);
    return ctx;
}

/* 1: the result names the person asked for; 0: another one. */
static int same_person(onshi_msg *m, const person *p)
{
    onshi_group *r = NULL;
    const char *num = NULL, *birth = NULL;
    if (onshi_group_at(&r, onshi_msg_body(m), ONSHI_G_RESULT, 0) != ONSHI_OK ||
        onshi_group_get_str(&num, r, ONSHI_F_INSURED_ID_NUMBER) != ONSHI_OK ||
        onshi_group_get_str(&birth, r, ONSHI_F_BIRTHDATE) != ONSHI_OK)
        return 0;
    return strcmp(num, p->num) == 0 && strcmp(birth, p->birth) == 0;
}

/* One process: M rounds, one line per round on `out`: "<round> <status> <id> <same>". */
static int child(const char *dir, const char *db, int k, int m, int go, FILE *out)
{
    char c;
    if (read(go, &c, 1) < 0) /* all start together: the parent closes the pipe */
        return 2;
    onshi_ctx *ctx = new_ctx(dir, db);
    if (ctx == NULL)
        return 2;
    for (int i = 0; i < m; i++) {
        const person *p = &persons[(k * 7 + i * 3) % npersons];
        onshi_msg *res = NULL;
        char id[ONSHI_FILE_ID_SIZE] = "";
        int rc = t_verify_insurance_card(&res, id, sizeof id, ctx, p->ins, p->sym, p->num, p->br, p->birth, 0, NULL);
        int same = rc == ONSHI_OK ? same_person(res, p) : -1;
        if (rc != ONSHI_OK)
            fprintf(stderr, "process %d round %d: %s: %s\n", k, i, onshi_status_name(rc),
                    onshi_ctx_last_error_message(ctx));
        fprintf(out, "%d %d %s %d\n", i, rc, id[0] ? id : "-", same);
        fflush(out);
        onshi_msg_free(res);
    }
    onshi_ctx_free(ctx);
    return 0;
}

static int run_sharing(const char *dir, int n, int m, int shared)
{
    int go[2];
    if (pipe(go) != 0)
        return 2;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    for (int k = 0; k < n; k++) {
        char db[700], outp[700];
        if (shared)
            snprintf(db, sizeof db, "%s/state.db", dir);
        else
            snprintf(db, sizeof db, "%s/state-%d.db", dir, k);
        snprintf(outp, sizeof outp, "%s/rounds-%d.txt", dir, k);
        pids[k] = fork();
        if (pids[k] == 0) {
            close(go[1]);
            FILE *out = fopen(outp, "w");
            int rc = out ? child(dir, db, k, m, go[0], out) : 2;
            if (out)
                fclose(out);
            _exit(rc);
        }
    }
    close(go[0]);
    close(go[1]); /* go */
    int failed = 0;
    for (int k = 0; k < n; k++) {
        int st;
        waitpid(pids[k], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    free(pids);
    /* Count. */
    int rounds = 0, ok = 0, mixups = 0, losses = 0, dups = 0;
    size_t nid = 0;
    char(*ids)[ONSHI_FILE_ID_SIZE] = calloc((size_t)n * (size_t)m, ONSHI_FILE_ID_SIZE);
    for (int k = 0; k < n; k++) {
        char outp[700], line[200];
        snprintf(outp, sizeof outp, "%s/rounds-%d.txt", dir, k);
        FILE *f = fopen(outp, "r");
        while (f && fgets(line, sizeof line, f)) {
            int i, rc, same;
            char id[64];
            if (sscanf(line, "%d %d %63s %d", &i, &rc, id, &same) != 4)
                continue;
            rounds++;
            if (rc == ONSHI_OK && same == 1)
                ok++;
            else if (rc == ONSHI_OK)
                mixups++;
            else
                losses++;
            if (strcmp(id, "-") != 0) {
                for (size_t j = 0; j < nid; j++)
                    if (strcmp(ids[j], id) == 0)
                        dups++;
                if (nid < (size_t)n * (size_t)m)
                    snprintf(ids[nid++], ONSHI_FILE_ID_SIZE, "%.16s", id);
            }
        }
        if (f)
            fclose(f);
    }
    free(ids);
    losses += n * m - rounds; /* rounds a crashed process never reported */
    printf("sharing (%s): %d processes x %d rounds = %d rounds: %d ok, %d mix-ups, "
           "%d duplicate ids, %d losses%s\n",
           shared ? "one shared store" : "separate stores", n, m, n * m, ok, mixups, dups, losses,
           failed ? " (a process failed)" : "");
    return mixups || dups || losses || failed ? 1 : 0;
}

/* The linkage app answers with the previous request's result: the second patient gets the
 * first one's answer. The workflow refuses it and the request is not marked answered. */
static int run_wrong(const char *dir)
{
    char db[700];
    snprintf(db, sizeof db, "%s/state-wrong.db", dir);
    onshi_ctx *ctx = new_ctx(dir, db);
    if (ctx == NULL)
        return 2;
    int bad = 0;
    onshi_msg *res = NULL;
    char id[ONSHI_FILE_ID_SIZE];
    const person *a = &persons[0], *b = &persons[1];
    int rc = t_verify_insurance_card(&res, id, sizeof id, ctx, a->ins, a->sym, a->num, a->br, a->birth, 0, NULL);
    if (rc != ONSHI_OK || !same_person(res, a)) {
        fprintf(stderr, "first patient: %s %s\n", onshi_status_name(rc),
                onshi_ctx_last_error_message(ctx));
        bad++;
    }
    onshi_msg_free(res);
    res = NULL;
    rc = t_verify_insurance_card(&res, id, sizeof id, ctx, b->ins, b->sym, b->num, b->br, b->birth, 0, NULL);
    const char *msg = onshi_ctx_last_error_message(ctx);
    printf("wrong patient's result: %s (%s)\n", onshi_status_name(rc), msg);
    if (rc != ONSHI_E_RESULT_MISMATCH || res != NULL || strstr(msg, id) == NULL) {
        fprintf(stderr, "expected ONSHI_E_RESULT_MISMATCH naming %s\n", id);
        bad++;
    }
    int st = 0;
    if (onshi_file_state(&st, ctx, id) != ONSHI_OK || st == ONSHI_FILE_STATE_ANSWERED ||
        st == ONSHI_FILE_STATE_CONSUMED) {
        fprintf(stderr, "the request was marked answered by a foreign result (state %d)\n", st);
        bad++;
    }
    /* a later pickup refuses it as well (the match is kept with the pending request) */
    rc = onshi_result_pickup(&res, ctx, id, ONSHI_MSG_QUAL_REQ, 0);
    if (rc != ONSHI_E_RESULT_MISMATCH) {
        fprintf(stderr, "pickup: %s\n", onshi_status_name(rc));
        bad++;
    }
    onshi_msg_free(res);
    onshi_ctx_free(ctx);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: lib_sharing DIR REGDB N M separate|shared | DIR REGDB wrong\n");
        return 2;
    }
    if (load_persons(argv[2]) != 0) {
        fprintf(stderr, "no persons in %s\n", argv[2]);
        return 2;
    }
    if (strcmp(argv[3], "wrong") == 0)
        return run_wrong(argv[1]);
    if (argc != 6)
        return 2;
    return run_sharing(argv[1], atoi(argv[3]), atoi(argv[4]), strcmp(argv[5], "shared") == 0);
}
