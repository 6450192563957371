/*
 * onshi-sim — test environment for libonshi and for vendors: a simulator of the central
 * オンライン資格確認等システム over HTTPS, and of the terminal's linkage app over folders.
 * Commands: init-db, serve, linkage, face, pki, process. See docs/simulator.md.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  onshi-sim init-db FILE [--persons N]\n"
          "  onshi-sim serve --db FILE --listen 127.0.0.1:PORT --cert CRT --key KEY --client-ca CA\n"
          "                  [--jpki-ca CRT] [--revoked FILE] [--methods 123] [--workers N]\n"
          "                  [--pidfile F] [COMMON]\n"
          "  onshi-sim linkage --db FILE --dir D [--poll-ms N] [--stay-minutes M | --stay-seconds S]\n"
          "                  [--pidfile F] [--once] [COMMON]\n"
          "  onshi-sim face --db FILE --dir D --person ID [--institution CODE]\n"
          "                  [--consent limit,disease,drug,checkup,diagnosis,operation] [--encoding E]\n"
          "  onshi-sim pki DIR [--db FILE]\n"
          "  onshi-sim process --db FILE PREFIX REQUEST.xml [COMMON]   (one message, result on stdout)\n"
          "COMMON: --encoding utf-8|cp932  --bulk-delay-ms N  --zip  --fault NAME[=ARG]\n"
          "        --disaster PREF:YYYYMMDD-YYYYMMDD (PREF 2 digits, 00 = all; repeatable)\n"
          "        --consent-hours N  --now YYYYMMDDHHMMSS (Japan time; the clock runs on from it)\n"
          "Faults: latency=MS reset truncate http500 http503 malformed wrongenc seg9=CODE\n"
          "        processing half=MS duplicate=MS err untaken wrongpatient\n",
          f);
}

typedef struct args {
    const char *db, *dir, *person, *institution, *consent, *pidfile;
    long persons, poll_ms;
    bool once;
    sim_serve_opts srv;
} args;

/* Options shared by the commands; returns 1 when argv[*i] was consumed, -1 on error. */
static int common_opt(sim_env *env, args *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
#define TAKE() ((*i)++, v)
    if (strcmp(o, "--zip") == 0) {
        env->zip = true;
        return 1;
    }
    if (strcmp(o, "--once") == 0) {
        a->once = true;
        return 1;
    }
    if (!v)
        return -1;
    if (strcmp(o, "--db") == 0)
        a->db = TAKE();
    else if (strcmp(o, "--dir") == 0)
        a->dir = TAKE();
    else if (strcmp(o, "--person") == 0)
        a->person = TAKE();
    else if (strcmp(o, "--institution") == 0)
        a->institution = TAKE();
    else if (strcmp(o, "--consent") == 0)
        a->consent = TAKE();
    else if (strcmp(o, "--pidfile") == 0)
        a->pidfile = a->srv.pidfile = TAKE();
    else if (strcmp(o, "--persons") == 0)
        a->persons = strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--poll-ms") == 0)
        a->poll_ms = strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--stay-minutes") == 0)
        env->stay_seconds = strtol(TAKE(), NULL, 10) * 60;
    else if (strcmp(o, "--stay-seconds") == 0)
        env->stay_seconds = strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--bulk-delay-ms") == 0)
        env->bulk_delay_ms = strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--consent-hours") == 0)
        env->consent_hours = strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--listen") == 0)
        a->srv.listen = TAKE();
    else if (strcmp(o, "--cert") == 0)
        a->srv.cert = TAKE();
    else if (strcmp(o, "--key") == 0)
        a->srv.key = TAKE();
    else if (strcmp(o, "--client-ca") == 0)
        a->srv.client_ca = TAKE();
    else if (strcmp(o, "--workers") == 0)
        a->srv.workers = (int)strtol(TAKE(), NULL, 10);
    else if (strcmp(o, "--jpki-ca") == 0)
        snprintf(env->jpki_ca, sizeof env->jpki_ca, "%s", TAKE());
    else if (strcmp(o, "--methods") == 0)
        snprintf(env->methods, sizeof env->methods, "%s", TAKE());
    else if (strcmp(o, "--revoked") == 0)
        snprintf(env->revoked, sizeof env->revoked, "%s", TAKE());
    else if (strcmp(o, "--encoding") == 0) {
        const char *e = TAKE();
        if (strcasecmp(e, "utf-8") == 0 || strcasecmp(e, "utf8") == 0)
            env->cp932 = false;
        else if (strcasecmp(e, "cp932") == 0 || strcasecmp(e, "shift_jis") == 0 ||
                 strcasecmp(e, "sjis") == 0)
            env->cp932 = true;
        else
            return -1;
    } else if (strcmp(o, "--fault") == 0) {
        if (sim_fault_parse(&env->fault, TAKE()) != 0)
            return -1;
    } else if (strcmp(o, "--now") == 0) {
        if (sim_clock_start_at(TAKE()) != 0)
            return -1;
    } else if (strcmp(o, "--disaster") == 0) {
        const char *d = TAKE();
        sim_disaster *x = &env->disaster[env->n_disaster];
        if (env->n_disaster >= 16 || strlen(d) != 20 || d[2] != ':' || d[11] != '-')
            return -1;
        memcpy(x->pref, d, 2);
        memcpy(x->from, d + 3, 8);
        memcpy(x->to, d + 12, 8);
        env->n_disaster++;
    } else {
        return -1;
    }
#undef TAKE
    return 1;
}

static int parse(sim_env *env, args *a, int argc, char **argv, int first, const char **pos,
                 int npos)
{
    int np = 0;
    for (int i = first; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            if (common_opt(env, a, argc, argv, &i) < 0) {
                fprintf(stderr, "onshi-sim: bad option or value: %s\n", argv[i]);
                return -1;
            }
        } else if (np < npos) {
            pos[np++] = argv[i];
        } else {
            fprintf(stderr, "onshi-sim: unexpected argument %s\n", argv[i]);
            return -1;
        }
    }
    return np;
}

static int open_db(sim_env *env, const args *a)
{
    if (!a->db) {
        fprintf(stderr, "onshi-sim: --db FILE is required (make one with init-db)\n");
        return -1;
    }
    return sim_db_open(&env->db, a->db, false);
}

int main(int argc, char **argv)
{
    sim_env env;
    args a;
    const char *pos[3] = {0};
    int rc = 2;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sim_env_init(&env);
    memset(&a, 0, sizeof a);
    a.institution = "1311234569";
    a.poll_ms = 200;
    const char *cmd = argv[1];
    int np = parse(&env, &a, argc, argv, 2, pos, 3);
    if (np < 0) {
        usage(stderr);
        return 2;
    }
    if (strcmp(cmd, "init-db") == 0 && np == 1) {
        unlink(pos[0]);
        if (sim_db_open(&env.db, pos[0], true) == 0 && sim_db_seed(env.db) == 0 &&
            (a.persons <= 0 || sim_db_generate(env.db, a.persons) == 0)) {
            printf("onshi-sim: registry %s ready (seed%s%ld synthetic persons)\n", pos[0],
                   a.persons > 0 ? " + " : ", ", a.persons > 0 ? a.persons : 0L);
            rc = 0;
        } else {
            rc = 1;
        }
    } else if (strcmp(cmd, "serve") == 0 && np == 0) {
        if (!a.srv.listen || !a.srv.cert || !a.srv.key || !a.srv.client_ca) {
            fprintf(stderr, "onshi-sim: serve needs --listen, --cert, --key and --client-ca\n");
        } else if (open_db(&env, &a) == 0) {
            rc = sim_serve(&env, &a.srv) == 0 ? 0 : 1;
        } else {
            rc = 1;
        }
    } else if (strcmp(cmd, "linkage") == 0 && np == 0 && a.dir) {
        if (open_db(&env, &a) == 0) {
            if (a.pidfile) {
                FILE *pf = fopen(a.pidfile, "w");
                if (pf) {
                    fprintf(pf, "%ld\n", (long)getpid());
                    fclose(pf);
                }
            }
            rc = sim_linkage(&env, a.dir, a.poll_ms, !a.once) == 0 ? 0 : 1;
        } else {
            rc = 1;
        }
    } else if (strcmp(cmd, "face") == 0 && np == 0 && a.dir && a.person) {
        rc = open_db(&env, &a) == 0 &&
                     sim_face_write(&env, a.dir, a.person, a.institution, a.consent) == 0
                 ? 0
                 : 1;
    } else if (strcmp(cmd, "pki") == 0 && np == 1) {
        /* Without --db the seed registry is used (in memory). */
        if (a.db ? open_db(&env, &a) == 0
                 : sim_db_open(&env.db, ":memory:", true) == 0 && sim_db_seed(env.db) == 0)
            rc = sim_pki(pos[0], &env) == 0 ? 0 : 1;
        else
            rc = 1;
    } else if (strcmp(cmd, "process") == 0 && np == 2) {
        unsigned char *data = NULL;
        size_t len = 0;
        char err[512];
        sim_out o;
        sim_fault f = env.fault;
        rc = 1;
        if (open_db(&env, &a) == 0 && sim_read_file(pos[1], &data, &len, 64u << 20) == 0) {
            if (sim_process(&env, pos[0], data, len, &f, "", &o, err, sizeof err) == 0) {
                fwrite(o.data, 1, o.len, stdout);
                sim_out_free(&o);
                rc = 0;
            } else {
                fprintf(stderr, "onshi-sim: %s\n", err);
            }
            free(data);
        }
    } else {
        usage(stderr);
    }
    if (env.db)
        sqlite3_close(env.db);
    pthread_mutex_destroy(&env.lock);
    return rc;
}
