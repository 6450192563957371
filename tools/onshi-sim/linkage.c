/*
 * Linkage-app mode: a stand-in for the terminal's 連携アプリ (OQSComApp). Watches DIR/req,
 * takes each request file once it is stable, answers in DIR/res with the real names (req →
 * res), writes the request back with a .err file on file-level errors, and purges results
 * after the stay time (ResponseFileStayTime). Also writes face-reader results into DIR/face.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Files seen in req: size at the last scan (stable-read rule) or left untaken on purpose. */
typedef struct seen {
    char name[256];
    off_t size;
    bool ignored;
    bool live;
} seen;

/* Writes scheduled for later: the second half of a half-written file, a duplicate. */
typedef struct pending {
    char name[256];
    unsigned char *data;
    size_t len, from;
    int64_t due;
    bool append;
} pending;

#define MAX_SEEN 512
#define MAX_PENDING 64

typedef struct linkage {
    sim_env *env;
    char req[1024], res[1024];
    /* The previous result of each request kind (OQSsiquc01, OQSmuquc01, OQSmuquc02, ...): the
     * fault wrongpatient answers with it, so a batch's upload gets another batch's upload
     * result and its download another batch's final result. */
    struct {
        char kind[16];
        unsigned char *data;
        size_t len;
    } last[16];
    seen seen[MAX_SEEN];
    pending pend[MAX_PENDING];
} linkage;

static void schedule(linkage *lk, const char *name, const unsigned char *d, size_t len,
                     size_t from, long after_ms, bool append)
{
    for (int i = 0; i < MAX_PENDING; i++) {
        pending *p = &lk->pend[i];
        if (p->data)
            continue;
        p->data = malloc(len ? len : 1);
        if (!p->data)
            return;
        memcpy(p->data, d, len);
        p->len = len;
        p->from = from;
        p->append = append;
        p->due = sim_now_ms() + after_ms;
        snprintf(p->name, sizeof p->name, "%s", name);
        return;
    }
}

static void run_pending(linkage *lk)
{
    int64_t now = sim_now_ms();
    for (int i = 0; i < MAX_PENDING; i++) {
        pending *p = &lk->pend[i];
        if (!p->data || p->due > now)
            continue;
        if (p->append) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", lk->res, p->name);
            int fd = open(path, O_WRONLY | O_APPEND);
            if (fd >= 0) {
                ssize_t w = write(fd, p->data + p->from, p->len - p->from);
                (void)w;
                close(fd);
            }
        } else {
            sim_write_atomic(lk->res, p->name, p->data, p->len);
            sim_log("linkage: duplicate result %s written again", p->name);
        }
        free(p->data);
        p->data = NULL;
    }
}

static void write_result(linkage *lk, const char *name, const sim_out *o, const sim_fault *f)
{
    if (f->kind == SIM_FAULT_HALF) {
        /* Not atomic on purpose: a reader polling res sees the first half for arg ms. */
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", lk->res, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, o->data, o->len / 2);
            (void)w;
            close(fd);
        }
        schedule(lk, name, o->data, o->len, o->len / 2, f->arg, true);
        return;
    }
    if (sim_write_atomic(lk->res, name, o->data, o->len) != 0)
        sim_log("linkage: cannot write %s/%s: %s", lk->res, name, strerror(errno));
    if (f->kind == SIM_FAULT_DUPLICATE)
        schedule(lk, name, o->data, o->len, 0, f->arg, false);
}

/* Request back into res plus <base>.err (EMR waits for exactly this pair). */
static void write_err(linkage *lk, const char *name, const unsigned char *req, size_t len,
                      const char *msg)
{
    char errname[300], text[1200];
    size_t bl = strlen(name);
    if (bl > 4 && strcmp(name + bl - 4, ".xml") == 0)
        bl -= 4;
    snprintf(errname, sizeof errname, "%.*s.err", (int)bl, name);
    int n = snprintf(text, sizeof text, "%s\r\n", msg);
    sim_write_atomic(lk->res, name, req, len);
    sim_write_atomic(lk->res, errname, (const unsigned char *)text, (size_t)n);
}

static void handle(linkage *lk, seen *s)
{
    char path[1400], prefix[64], resname[300], err[512];
    const char *name = s->name;
    snprintf(path, sizeof path, "%s/%s", lk->req, name);
    size_t pl = strcspn(name, "_");
    unsigned char *data = NULL;
    size_t len = 0;
    if (sim_read_file(path, &data, &len, 64u * 1024 * 1024) != 0)
        return;
    snprintf(prefix, sizeof prefix, "%.*s", (int)(pl < sizeof prefix ? pl : sizeof prefix - 1),
             name);
    sim_fault f = lk->env->fault;
    sim_out o;
    int64_t t0 = sim_now_ms();
    int rc = sim_process(lk->env, prefix, data, len, &f, "", &o, err, sizeof err);
    if (f.kind == SIM_FAULT_UNTAKEN) {
        s->ignored = true;
        sim_log("linkage: %s left untaken (fault)", name);
        if (rc == 0)
            sim_out_free(&o);
        free(data);
        return;
    }
    unlink(path); /* taken */
    if (f.kind == SIM_FAULT_LATENCY)
        sim_sleep_ms(f.arg);
    if (rc != 0 || f.kind == SIM_FAULT_ERR) {
        write_err(lk, name, data, len, rc != 0 ? err : "E9999 障害試験 / injected .err");
        sim_log("linkage: %s -> .err (%s)", name, rc != 0 ? err : "fault");
        if (rc == 0)
            sim_out_free(&o);
    } else {
        /* OQSsiquc01req_ID.xml → OQSsiquc01res_ID.<ext> */
        const char *id = name + pl;
        const char *dot = strrchr(id, '.');
        size_t idl = dot ? (size_t)(dot - id) : strlen(id);
        snprintf(resname, sizeof resname, "%.*sres%.*s.%s", (int)(pl - 3), name, (int)idl, id,
                 o.ext);
        /* the kind: the prefix and the 01/02 of the name (OQSmuquc02req_… → OQSmuquc02) */
        int k = 0;
        while (k < 16 && lk->last[k].kind[0] && strncmp(lk->last[k].kind, name, pl - 3) != 0)
            k++;
        if (k == 16)
            k = 15;
        if (f.kind == SIM_FAULT_WRONGPATIENT && lk->last[k].data != NULL &&
            strncmp(lk->last[k].kind, name, pl - 3) == 0) {
            /* Another patient's (another batch's) answer under this request's name. */
            sim_out wrong = o;
            wrong.data = lk->last[k].data;
            wrong.len = lk->last[k].len;
            write_result(lk, resname, &wrong, &f);
        } else {
            write_result(lk, resname, &o, &f);
        }
        unsigned char *copy = malloc(o.len ? o.len : 1);
        if (copy != NULL) {
            memcpy(copy, o.data, o.len);
            free(lk->last[k].data);
            snprintf(lk->last[k].kind, sizeof lk->last[k].kind, "%.*s", (int)(pl - 3), name);
            lk->last[k].data = copy;
            lk->last[k].len = o.len;
        }
        sim_log("linkage: %s -> %s (%zu bytes, %lld ms%s%s)", name, resname, o.len,
                (long long)(sim_now_ms() - t0), f.kind ? ", fault " : "",
                f.kind ? sim_fault_name(f.kind) : "");
        sim_out_free(&o);
    }
    free(data);
    s->live = false;
}

static void purge(linkage *lk)
{
    DIR *d = opendir(lk->res);
    struct dirent *e;
    time_t now = time(NULL);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[1400];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", lk->res, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= lk->env->stay_seconds) {
            unlink(path);
            sim_log("linkage: purged %s after the stay time", e->d_name);
        }
    }
    closedir(d);
}

static bool is_request_name(const char *n)
{
    size_t l = strlen(n);
    const char *u = strchr(n, '_');
    return n[0] != '.' && l > 4 && strcmp(n + l - 4, ".xml") == 0 && u && u - n >= 5 &&
           strncmp(u - 3, "req", 3) == 0;
}

static void scan(linkage *lk)
{
    DIR *d = opendir(lk->req);
    struct dirent *e;
    if (!d)
        return;
    for (int i = 0; i < MAX_SEEN; i++)
        lk->seen[i].live = lk->seen[i].ignored; /* forget files that vanished */
    while ((e = readdir(d)) != NULL && !g_stop) {
        char path[1400];
        struct stat st;
        if (!is_request_name(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", lk->req, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        seen *s = NULL, *free_slot = NULL;
        for (int i = 0; i < MAX_SEEN && !s; i++) {
            if (lk->seen[i].name[0] && strcmp(lk->seen[i].name, e->d_name) == 0)
                s = &lk->seen[i];
            else if (!lk->seen[i].name[0] && !free_slot)
                free_slot = &lk->seen[i];
        }
        if (s && s->ignored) {
            s->live = true;
            continue;
        }
        if (!s) {
            /* First sight: remember the size; answer when it is unchanged at the next scan. */
            if (!free_slot)
                continue;
            memset(free_slot, 0, sizeof *free_slot);
            snprintf(free_slot->name, sizeof free_slot->name, "%s", e->d_name);
            free_slot->size = st.st_size;
            free_slot->live = true;
            continue;
        }
        s->live = true;
        if (s->size != st.st_size) {
            s->size = st.st_size;
            continue;
        }
        handle(lk, s);
        if (!s->ignored)
            memset(s, 0, sizeof *s); /* answered: the slot is free again */
    }
    closedir(d);
    for (int i = 0; i < MAX_SEEN; i++)
        if (!lk->seen[i].live)
            memset(&lk->seen[i], 0, sizeof lk->seen[i]);
}

static int mkdir_p(const char *dir, const char *sub, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, sub);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int sim_linkage(sim_env *env, const char *dir, long poll_ms, bool forever)
{
    linkage *lk = calloc(1, sizeof *lk);
    char face[1024];
    if (!lk)
        return -1;
    lk->env = env;
    if (mkdir_p(dir, "req", lk->req, sizeof lk->req) || mkdir_p(dir, "res", lk->res, sizeof lk->res) ||
        mkdir_p(dir, "face", face, sizeof face)) {
        fprintf(stderr, "onshi-sim: cannot create %s/{req,res,face}: %s\n", dir, strerror(errno));
        free(lk);
        return -1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    sim_log("linkage: watching %s (results %s, stay %lds, fault %s)", lk->req,
            env->cp932 ? "Shift_JIS" : "UTF-8", env->stay_seconds, sim_fault_name(env->fault.kind));
    int64_t last_purge = 0;
    do {
        scan(lk);
        run_pending(lk);
        if (sim_now_ms() - last_purge >= 1000) {
            purge(lk);
            last_purge = sim_now_ms();
        }
        if (!g_stop && forever)
            sim_sleep_ms(poll_ms);
    } while (!g_stop && forever);
    for (int i = 0; i < MAX_PENDING; i++)
        free(lk->pend[i].data);
    for (int i = 0; i < 16; i++)
        free(lk->last[i].data);
    free(lk);
    return 0;
}

int sim_face_write(sim_env *env, const char *dir, const char *person, const char *institution,
                   const char *consents)
{
    char facedir[1024], name[256], err[256], id[21], now[15];
    unsigned char rnd[10];
    sim_out o;
    snprintf(facedir, sizeof facedir, "%s/face", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    if (mkdir(facedir, 0755) != 0 && errno != EEXIST)
        return -1;
    if (sim_face_result(env, person, institution, consents, &o, err, sizeof err) != 0) {
        fprintf(stderr, "onshi-sim: face: %s\n", err);
        return -1;
    }
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        sim_out_free(&o);
        return -1;
    }
    for (int i = 0; i < 10; i++)
        sprintf(id + 2 * i, "%02x", rnd[i]);
    sim_stamp(now, sim_now_ms());
    snprintf(name, sizeof name, "OQSsiquc01res_face_%s%s_%s.xml", institution, id, now);
    int rc = sim_write_atomic(facedir, name, o.data, o.len);
    sim_out_free(&o);
    if (rc == 0)
        printf("%s/%s\n", facedir, name);
    return rc;
}
