/*
 * bench/filexfer — time from a result file's rename into the folder to its delivery.
 *
 *   libonshi, inotify          face watcher callback (onshi_face_watch_run, decoded message)
 *   peer, polling 300 ms       what clinic tools do today: look every 300 ms, then read
 *                              again 300 ms later and accept when both reads agree
 *
 * A writer thread renames a complete file into face/ at a random moment and notes the time
 * right after rename(2); the consumer notes the time when it has the bytes. Not a test:
 * nothing here asserts a time. Prints median and mean per method and the ratios.
 * Built like a vendor's program, against onshi.h only: the polling fallback (inotify off) is
 * reachable only through a test hook of the library, so it is measured by the unit tests'
 * builds, not here.
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

static char face[256];
static atomic_llong t_renamed; /* ns, monotonic */
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

static atomic_int seq;

/* Write one face result to a temp name, rename it in, note the time. */
static void drop_file(void)
{
    char name[160], tmp[512], dst[512], body[300];
    seq++;
    snprintf(name, sizeof name, "OQSsiquc01res_face_1311234567%020d_20260929%06d.xml", seq,
             seq);
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
                     "<Seq>%d</Seq></MessageHeader><MessageBody/></XmlMsg>\n",
                     seq);
    snprintf(tmp, sizeof tmp, "%s/.%s.part", face, name);
    snprintf(dst, sizeof dst, "%s/%s", face, name);
    FILE *f = fopen(tmp, "wb");
    fwrite(body, 1, (size_t)n, f);
    fclose(f);
    rename(tmp, dst);
    atomic_store(&t_renamed, now_ns());
}

/* ---- libonshi --------------------------------------------------------------------------- */

typedef struct run {
    double *ms;
    int n, want;
} run;

static int ONSHI_CALL on_face(void *userdata, int status, const onshi_msg *msg,
                              const char *filename)
{
    run *ru = userdata;
    long long t = now_ns();
    (void)status;
    (void)msg;
    (void)filename;
    ru->ms[ru->n++] = (double)(t - atomic_load(&t_renamed)) / 1e6;
    return ru->n >= ru->want; /* stop when enough */
}

static void *writer(void *arg)
{
    int count = *(int *)arg;
    for (int i = 0; i < count && !atomic_load(&stop_writer); i++) {
        /* a random moment, so polling phases are not aligned with the writer */
        sleep_ms(150 + rand() % 400);
        drop_file();
        /* the next file only after this one was delivered */
        while (atomic_load(&t_renamed) != 0 && !atomic_load(&stop_writer))
            sleep_ms(1);
    }
    return NULL;
}

static int ONSHI_CALL on_face_ack(void *userdata, int status, const onshi_msg *msg,
                                  const char *filename)
{
    int stop = on_face(userdata, status, msg, filename);
    atomic_store(&t_renamed, 0);
    return stop;
}

static int measure_onshi(const char *db, int64_t poll_ms, double *ms, int n)
{
    onshi_ctx *ctx;
    onshi_face_watch *w;
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
    run ru = {ms, 0, n};
    atomic_store(&t_renamed, 0);
    atomic_store(&stop_writer, 0);
    pthread_t th;
    pthread_create(&th, NULL, writer, &n);
    int rc = onshi_face_watch_run(w, on_face_ack, &ru, 120000);
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    onshi_face_watch_free(w);
    onshi_ctx_free(ctx);
    return rc == ONSHI_E_CANCELLED && ru.n == n ? 0 : -1;
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

static int measure_peer(double *ms, int n)
{
    atomic_store(&t_renamed, 0);
    atomic_store(&stop_writer, 0);
    pthread_t th;
    pthread_create(&th, NULL, writer, &n);
    int got = 0;
    char seen[64][160];
    int nseen = 0;
    while (got < n) {
        sleep_ms(PEER_POLL_MS);
        char name[160];
        snprintf(name, sizeof name, "OQSsiquc01res_face_1311234567%020d_20260929%06d.xml", seq,
                 seq);
        int known = 0;
        for (int i = 0; i < nseen; i++)
            known |= strcmp(seen[i], name) == 0;
        char path[512], a[1024], b[1024];
        size_t la, lb;
        snprintf(path, sizeof path, "%s/%s", face, name);
        if (known || read_file(path, a, sizeof a, &la) != 0)
            continue;
        sleep_ms(PEER_POLL_MS);
        if (read_file(path, b, sizeof b, &lb) != 0 || la != lb || memcmp(a, b, la) != 0)
            continue;
        long long t = now_ns();
        ms[got++] = (double)(t - atomic_load(&t_renamed)) / 1e6;
        snprintf(seen[nseen++ % 64], sizeof seen[0], "%s", name);
        atomic_store(&t_renamed, 0);
    }
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    return 0;
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

int main(void)
{
    char base[] = "/tmp/onshi-bench-XXXXXX";
    if (mkdtemp(base) == NULL)
        return 1;
    char db[300];
    snprintf(face, sizeof face, "%s/face", base);
    snprintf(db, sizeof db, "%s/state.db", base);
    mkdir(face, 0755);
    srand((unsigned)time(NULL));

    enum { N_FAST = 30, N_SLOW = 12 };
    double ino[N_FAST], peer[N_SLOW];
    double m_ino, m_peer;
    printf("bench/filexfer: rename of a result file into face/ -> delivery to the caller\n");
    if (measure_onshi(db, 300, ino, N_FAST) != 0 || measure_peer(peer, N_SLOW) != 0) {
        fprintf(stderr, "bench/filexfer: a measurement failed\n");
        return 1;
    }
    stats("libonshi, inotify", ino, N_FAST, &m_ino);
    stats("peer, polling 300 ms + 2nd read", peer, N_SLOW, &m_peer);
    printf("  ratio (peer median / libonshi median): inotify %.1fx faster\n", m_peer / m_ino);
    printf("  goal < 50 ms with inotify: %s (median %.1f ms)\n", m_ino < 50 ? "met" : "NOT met",
           m_ino);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : 1;
}
