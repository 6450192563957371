/*
 * Test double of the terminal's linkage app (OQSComApp): a thread that watches req/, takes
 * each request file (deletes it, counting), and answers in res/ the way the mode says.
 * Header-only (static functions) so each test program carries its own copy.
 */
#ifndef FAKE_LINKAGE_H
#define FAKE_LINKAGE_H

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Opened by the SDK's "watching" hook: see fake_linkage.gated. */
static atomic_int fl_gate;
static inline void fl_gate_open(void)
{
    atomic_store(&fl_gate, 1);
}

enum fl_mode {
    FL_ANSWER,       /* result written to a temp name and renamed */
    FL_HALF_GT,      /* result written in place in two steps, first part ends with '>' */
    FL_HALF_CUT,     /* two steps, cut inside a tag */
    FL_ERR,          /* request-named file, then <request base>.err (CP932 text) */
    FL_ERR_REQNAME,  /* only the request-named file comes back */
    FL_BYTES,        /* `answer` bytes as <result base><ext> (ZIP, oversize...) */
    FL_NO_TAKE,      /* not running: nothing is taken */
    FL_TAKE_ONLY     /* takes, never answers */
};

typedef struct fake_linkage {
    char req[512], res[512];
    int mode;
    int delay_ms;        /* between taking and answering */
    int half_pause_ms;   /* between the two halves */
    const void *answer;  /* FL_BYTES */
    size_t answer_len;
    const char *ext;     /* FL_BYTES extension, e.g. ".zip" */
    atomic_int stop;
    atomic_int taken;    /* request files taken */
    atomic_int answered;
    int gated;           /* answer only after fl_gate_open (the SDK is watching) */
    char last_req[128];
    pthread_t th;
} fake_linkage;

static inline void fl_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void fl_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

static inline void fl_write_renamed(const char *dir, const char *name, const void *p, size_t n)
{
    char tmp[1024], dst[1024];
    snprintf(tmp, sizeof tmp, "%s/~%s.part", dir, name);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    fl_write_file(tmp, p, n);
    rename(tmp, dst);
}

static inline void fl_answer(fake_linkage *fl, const char *req_name)
{
    char base[128], resbase[128], body[512], path[1024];
    snprintf(base, sizeof base, "%s", req_name);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = '\0';
    snprintf(resbase, sizeof resbase, "%s", base);
    char *p = strstr(resbase, "req_");
    if (p)
        memcpy(p, "res", 3);
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
                     "<Answer>%s</Answer></MessageHeader><MessageBody><Pad>"
                     "0123456789012345678901234567890123456789</Pad></MessageBody></XmlMsg>\n",
                     base);
    switch (fl->mode) {
    case FL_ANSWER: {
        char name[160];
        snprintf(name, sizeof name, "%s.xml", resbase);
        fl_write_renamed(fl->res, name, body, (size_t)n);
        break;
    }
    case FL_HALF_GT:
    case FL_HALF_CUT: {
        snprintf(path, sizeof path, "%s/%s.xml", fl->res, resbase);
        const char *cut = fl->mode == FL_HALF_GT ? strstr(body, "<MessageBody>")
                                                 : strstr(body, "<Pad>") + 3;
        size_t first = (size_t)(cut - body);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            break;
        ssize_t w = write(fd, body, first);
        fsync(fd);
        fl_sleep_ms(fl->half_pause_ms);
        w = write(fd, body + first, (size_t)n - first);
        (void)w;
        close(fd);
        break;
    }
    case FL_ERR: {
        snprintf(path, sizeof path, "%s/%s", fl->res, req_name);
        fl_write_file(path, "<XmlMsg/>", 9);
        fl_sleep_ms(100);
        /* CP932: "エラー E001" */
        static const unsigned char err[] = {0x83, 0x47, 0x83, 0x89, 0x81, 0x5b, ' ',
                                            'E',  '0',  '0',  '1'};
        char name[160];
        snprintf(name, sizeof name, "%s.err", base);
        fl_write_renamed(fl->res, name, err, sizeof err);
        break;
    }
    case FL_ERR_REQNAME:
        snprintf(path, sizeof path, "%s/%s", fl->res, req_name);
        fl_write_file(path, "<XmlMsg/>", 9);
        break;
    case FL_BYTES: {
        char name[160];
        snprintf(name, sizeof name, "%s%s", resbase, fl->ext ? fl->ext : ".xml");
        fl_write_renamed(fl->res, name, fl->answer, fl->answer_len);
        break;
    }
    default:
        return;
    }
    atomic_fetch_add(&fl->answered, 1);
}

static inline void *fl_main(void *arg)
{
    fake_linkage *fl = arg;
    while (!atomic_load(&fl->stop)) {
        if (fl->mode != FL_NO_TAKE) {
            DIR *d = opendir(fl->req);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                size_t l = strlen(e->d_name);
                if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".xml") != 0 ||
                    strstr(e->d_name, "req_") == NULL)
                    continue;
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", fl->req, e->d_name);
                if (unlink(path) != 0)
                    continue;
                atomic_fetch_add(&fl->taken, 1);
                snprintf(fl->last_req, sizeof fl->last_req, "%s", e->d_name);
                while (fl->gated && !atomic_load(&fl_gate) && !atomic_load(&fl->stop))
                    fl_sleep_ms(1);
                fl_sleep_ms(fl->delay_ms);
                if (fl->mode != FL_TAKE_ONLY)
                    fl_answer(fl, e->d_name);
            }
            if (d)
                closedir(d);
        }
        fl_sleep_ms(2);
    }
    return NULL;
}

static inline void fl_start(fake_linkage *fl, const char *req, const char *res, int mode)
{
    memset(fl, 0, sizeof *fl);
    snprintf(fl->req, sizeof fl->req, "%s", req);
    snprintf(fl->res, sizeof fl->res, "%s", res);
    fl->mode = mode;
    fl->half_pause_ms = 300;
    atomic_store(&fl_gate, 0);
    atomic_init(&fl->stop, 0);
    atomic_init(&fl->taken, 0);
    atomic_init(&fl->answered, 0);
}

static inline void fl_run(fake_linkage *fl)
{
    pthread_create(&fl->th, NULL, fl_main, fl);
}

static inline void fl_stop(fake_linkage *fl)
{
    atomic_store(&fl->stop, 1);
    pthread_join(fl->th, NULL);
}

/* Number of regular files in a folder (hidden ones included). */
static inline int fl_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

#endif
