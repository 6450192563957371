/*
 * bench/filexfer — time from a result file's rename into the folder to its delivery.
 *
 *   libonshi, inotify          face watcher callback (onshi_face_watch_run)
 *   peer, polling 300 ms       what clinic tools do today: look every 300 ms, then read
 *                              again 300 ms later and accept when both reads agree
 *
 * A writer thread renames complete file number k into a fresh face/ folder at a random moment
 * and notes the time just before rename(2) under k; the consumer takes k from the name of the
 * file it got and notes the time when it has the bytes, so each sample is its own file's
 * (a delivery of any other file aborts the run). The next file comes only after delivery.
 * Not a test: nothing here asserts a time. Prints median/min/max per method and the ratios;
 * with a file argument, appends the samples to it for bench/report.py.
 * Built like a vendor's program, against onshi.h only: the polling fallback (inotify off) is
 * reachable only through a test hook of the library, so the unit tests measure it, not here.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "onshi.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PEER_POLL_MS 300
#define MAXN 64

/* Each file carries its own number; its rename time is kept under that number, and a
 * delivery is timed against the rename of the file delivered, never against another one. */
static char face[512];
static long long t_renamed[MAXN + 1]; /* ns, monotonic; written before `published` moves */
static atomic_int published;          /* number of the last file renamed in */
static atomic_int delivered;          /* number of the last file the consumer had */
static atomic_int stop_writer;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void file_name(char *out, size_t n, int seq)
{
    snprintf(out, n, "OQSsiquc01res_face_1311234567%020d_20260929%06d.xml", seq, seq);
}

/* The number of a delivered file, from its name; -1 when it is not one of ours. */
static int seq_of(const char *name)
{
    const char *p = name ? strstr(name, "_1311234567") : NULL;
    return p ? atoi(p + 11) : -1;
}

/* Write face result number seq to a temp name, rename it in, note the time. */
static void drop_file(int seq)
{
    char name[160], tmp[700], dst[700], body[300];
    file_name(name, sizeof name, seq);
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
                     "<Seq>%d</Seq></MessageHeader><MessageBody/></XmlMsg>\n",
                     seq);
    snprintf(tmp, sizeof tmp, "%s/.%s.part", face, name);
    snprintf(dst, sizeof dst, "%s/%s", face, name);
    FILE *f = fopen(tmp, "wb");
    fwrite(body, 1, (size_t)n, f);
    fclose(f);
    /* noted before rename(2): the file may be delivered before rename returns */
    t_renamed[seq] = now_ns();
    atomic_store(&published, seq);
    rename(tmp, dst);
}

/* A fresh face folder per measurement: no file of an earlier one is left to be found. */
static void fresh_face(const char *base, const char *name)
{
    snprintf(face, sizeof face, "%s/%s", base, name);
    mkdir(face, 0700);
    atomic_store(&published, 0);
    atomic_store(&delivered, 0);
    atomic_store(&stop_writer, 0);
}

typedef struct run {
    double *ms;
    int n, want, wrong;
} run;

/* Record the delivery of file seq (ignores a file delivered twice or not ours). */
static int record(run *ru, int seq)
{
    long long t = now_ns();
    if (seq < 1 || seq > MAXN || seq != atomic_load(&published) || seq <= atomic_load(&delivered)) {
        ru->wrong++;
        return 0;
    }
    ru->ms[ru->n++] = (double)(t - t_renamed[seq]) / 1e6;
    atomic_store(&delivered, seq);
    return 1;
}

static void *writer(void *arg)
{
    int count = *(int *)arg;
    for (int i = 1; i <= count && !atomic_load(&stop_writer); i++) {
        /* a random moment, so polling phases are not aligned with the writer */
        sleep_ms(150 + rand() % 400);
        drop_file(i);
        /* the next file only after this one was delivered */
        while (atomic_load(&delivered) < i && !atomic_load(&stop_writer))
            sleep_ms(1);
    }
    return NULL;
}

/* ---- libonshi --------------------------------------------------------------------------- */

static int ONSHI_CALL on_face(void *userdata, int status, const onshi_msg *msg,
                              const char *filename)
{
    run *ru = userdata;
    (void)status; /* the bench's files are not real face results: timed, not decoded */
    (void)msg;
    record(ru, seq_of(filename));
    return ru->n >= ru->want; /* stop when enough */
}

static int measure_onshi(const char *base, const char *label, int64_t poll_ms, double *ms, int n)
{
    onshi_ctx *ctx;
    onshi_face_watch *w;
    char db[600];
    fresh_face(base, label);
    snprintf(db, sizeof db, "%s/%s.db", base, label);
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return -1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, face);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, db);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, poll_ms);
    if (onshi_face_watch_new(&w, ctx, 0) != ONSHI_OK) {
        fprintf(stderr, "watch: %s\n", onshi_ctx_last_error_message(ctx));
        onshi_ctx_free(ctx);
        return -1;
    }
    run ru = {ms, 0, n, 0};
    pthread_t th;
    pthread_create(&th, NULL, writer, &n);
    int rc = onshi_face_watch_run(w, on_face, &ru, 120000);
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    onshi_face_watch_free(w);
    onshi_ctx_free(ctx);
    if (ru.wrong)
        fprintf(stderr, "bench/filexfer: %s: %d deliveries of another file\n", label, ru.wrong);
    return rc == ONSHI_E_CANCELLED && ru.n == n && ru.wrong == 0 ? 0 : -1;
}

/* ---- the peer: poll every 300 ms, accept after two equal reads 300 ms apart --------------- */

static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return 0;
}

static int measure_peer(const char *base, double *ms, int n)
{
    fresh_face(base, "peer");
    pthread_t th;
    pthread_create(&th, NULL, writer, &n);
    run ru = {ms, 0, n, 0};
    /* the peer looks for the files it has not taken yet, in order */
    for (int next = 1; ru.n < n;) {
        sleep_ms(PEER_POLL_MS);
        char name[160], path[700], a[1024], b[1024];
        size_t la, lb;
        file_name(name, sizeof name, next);
        snprintf(path, sizeof path, "%s/%s", face, name);
        if (read_file(path, a, sizeof a, &la) != 0)
            continue;
        sleep_ms(PEER_POLL_MS);
        if (read_file(path, b, sizeof b, &lb) != 0 || la != lb || memcmp(a, b, la) != 0)
            continue;
        if (record(&ru, next))
            next++;
    }
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    return ru.wrong == 0 ? 0 : -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *label, double *v, int n, double *median)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("  %-34s n=%-3d median %8.1f ms  mean %8.1f ms  min %7.1f  max %7.1f\n", label, n,
           *median, sum / n, v[0], v[n - 1]);
}

/* Machine-readable lines for bench/report.py: "filexfer METHOD ms..." */
static void raw(FILE *f, const char *method, const double *v, int n)
{
    if (f == NULL)
        return;
    fprintf(f, "filexfer\t%s", method);
    for (int i = 0; i < n; i++)
        fprintf(f, "\t%.3f", v[i]);
    fputc('\n', f);
}

int main(int argc, char **argv)
{
    char base[] = "/tmp/onshi-bench-XXXXXX";
    if (mkdtemp(base) == NULL)
        return 1;
    srand((unsigned)time(NULL));
    /* BENCH_FILEXFER_N scales the run (samples with inotify; 2/5 of them for the peer) */
    const char *e = getenv("BENCH_FILEXFER_N");
    int n_fast = e ? atoi(e) : 30, n_slow = n_fast * 2 / 5;
    if (n_fast < 3 || n_fast > MAXN)
        n_fast = 30, n_slow = 12;
    if (n_slow < 3)
        n_slow = 3;
    double ino[MAXN], peer[MAXN];
    double m_ino, m_peer;
    printf("bench/filexfer: rename of a result file into face/ -> delivery to the caller\n");
    if (measure_onshi(base, "inotify", 300, ino, n_fast) != 0 ||
        measure_peer(base, peer, n_slow) != 0) {
        fprintf(stderr, "bench/filexfer: a measurement failed\n");
        return 1;
    }
    FILE *out = argc > 1 ? fopen(argv[1], "a") : NULL;
    raw(out, "libonshi-inotify", ino, n_fast);
    raw(out, "peer-poll300", peer, n_slow);
    if (out)
        fclose(out);
    stats("libonshi, inotify", ino, n_fast, &m_ino);
    stats("peer, polling 300 ms + 2nd read", peer, n_slow, &m_peer);
    printf("  ratio (peer median / libonshi median): inotify %.1fx faster\n", m_peer / m_ino);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : 1;
}
