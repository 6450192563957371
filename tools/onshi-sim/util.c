/*
 * Small helpers of the simulator: clock, atomic files, the request log, faults.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The simulator keeps its own Japan-time arithmetic (not the SDK's): it is the other side
 * of the protocol and must be able to catch a date mistake of the SDK, not repeat it. */
#define SIM_JST_OFFSET_S (9 * 3600)

static int64_t g_clock_offset_ms; /* set once by --now before any thread starts */

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_now_ms(void)
{
    return real_ms() + g_clock_offset_ms;
}

int sim_clock_start_at(const char *jst14)
{
    int64_t at = sim_stamp_parse(jst14);
    if (at < 0)
        return -1;
    g_clock_offset_ms = at - real_ms();
    return 0;
}

void sim_stamp(char out[15], int64_t ms)
{
    /* gmtime of the instant moved by nine hours: no time zone is consulted */
    time_t t = (time_t)(ms / 1000 + SIM_JST_OFFSET_S);
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d%02d%02d%02d", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 14);
    out[14] = '\0';
}

int64_t sim_stamp_parse(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (s == NULL || strlen(s) != 14 || strspn(s, "0123456789") != 14 ||
        sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return ((int64_t)timegm(&tm) - SIM_JST_OFFSET_S) * 1000;
}

void sim_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void sim_env_init(sim_env *env)
{
    memset(env, 0, sizeof *env);
    pthread_mutex_init(&env->lock, NULL);
    env->bulk_delay_ms = 2000;
    env->consent_hours = 24;
    snprintf(env->methods, sizeof env->methods, "123");
    env->stay_seconds = 1440L * 60;
}

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

void sim_log(const char *fmt, ...)
{
    char now[15];
    va_list ap;
    sim_stamp(now, sim_now_ms());
    pthread_mutex_lock(&g_log_lock);
    fprintf(stderr, "%s ", now);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&g_log_lock);
}

/* Write to a dot-name in the same folder, fsync, rename: readers never see a partial file. */
int sim_write_atomic(const char *dir, const char *name, const unsigned char *d, size_t n)
{
    char tmp[1024], dst[1024];
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, d + off, n - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    fsync(fd);
    close(fd);
    if (rename(tmp, dst) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int sim_read_file(const char *path, unsigned char **data, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            if (cap >= max) {
                free(b);
                b = NULL;
                break;
            }
            unsigned char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    if (!b)
        return -1;
    b[n] = '\0';
    *data = b;
    *len = n;
    return 0;
}

/* ---- faults ------------------------------------------------------------------------------- */
static const struct {
    int kind;
    const char *name;
} k_faults[] = {
    {SIM_FAULT_LATENCY, "latency"},     {SIM_FAULT_RESET, "reset"},
    {SIM_FAULT_TRUNCATE, "truncate"},   {SIM_FAULT_HTTP500, "http500"},
    {SIM_FAULT_HTTP503, "http503"},     {SIM_FAULT_MALFORMED, "malformed"},
    {SIM_FAULT_WRONGENC, "wrongenc"},   {SIM_FAULT_SEG9, "seg9"},
    {SIM_FAULT_PROCESSING, "processing"}, {SIM_FAULT_HALF, "half"},
    {SIM_FAULT_DUPLICATE, "duplicate"}, {SIM_FAULT_ERR, "err"},
    {SIM_FAULT_UNTAKEN, "untaken"},     {SIM_FAULT_WRONGPATIENT, "wrongpatient"},
};

const char *sim_fault_name(int kind)
{
    for (size_t i = 0; i < sizeof k_faults / sizeof k_faults[0]; i++)
        if (k_faults[i].kind == kind)
            return k_faults[i].name;
    return "none";
}

int sim_fault_parse(sim_fault *f, const char *spec)
{
    memset(f, 0, sizeof *f);
    size_t l = strcspn(spec, "=");
    for (size_t i = 0; i < sizeof k_faults / sizeof k_faults[0]; i++) {
        if (strlen(k_faults[i].name) != l || strncmp(spec, k_faults[i].name, l) != 0)
            continue;
        f->kind = k_faults[i].kind;
        const char *arg = spec[l] == '=' ? spec + l + 1 : "";
        if (f->kind == SIM_FAULT_SEG9) {
            snprintf(f->code, sizeof f->code, "%s", arg[0] ? arg : "EOQS9001");
        } else {
            f->arg = arg[0] ? strtol(arg, NULL, 10) : 0;
            if (f->kind == SIM_FAULT_LATENCY && f->arg <= 0)
                f->arg = 1000;
            if ((f->kind == SIM_FAULT_HALF || f->kind == SIM_FAULT_DUPLICATE) && f->arg <= 0)
                f->arg = 1000;
        }
        return 0;
    }
    return -1;
}

static pthread_mutex_t g_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static sim_fault g_armed;
static int g_armed_count;

void sim_fault_arm(const sim_fault *f, int count)
{
    pthread_mutex_lock(&g_fault_lock);
    g_armed = *f;
    g_armed_count = count;
    pthread_mutex_unlock(&g_fault_lock);
}

bool sim_fault_take_armed(sim_fault *out)
{
    bool got = false;
    pthread_mutex_lock(&g_fault_lock);
    if (g_armed_count > 0) {
        *out = g_armed;
        g_armed_count--;
        got = true;
    }
    pthread_mutex_unlock(&g_fault_lock);
    return got;
}
