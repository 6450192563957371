/*
 * core/ — the one clock of the library.
 *
 * Every protocol date and time (the request date of an inquiry, the date in a file name, the
 * validity and consent comparisons, batch ids, audit stamps, the signing time of a card
 * authentication, the limit calculator's current month) is Japan Standard Time: UTC+9, with
 * no daylight saving time (Japan has had none since 1951; the central system and the
 * terminals work in JST). It is computed here by arithmetic on the Unix time, never through
 * localtime() or the TZ variable, so a machine set to UTC (a cloud host, a container) writes
 * the same dates as one set to Asia/Tokyo.
 *
 * The clock of a context can be replaced (onshi__clock_set) so that tests can stand at any
 * instant — 23:30 UTC is 08:30 JST of the next day — without waiting for it.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/ctx_impl.h"
#include "core/os.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define JST_OFFSET_S (9 * 3600)

int64_t onshi__wall_ms(void)
{
    return onshi__os_real_ns() / 1000000;
}

int64_t onshi__now_ms(void)
{
    return onshi__os_mono_ns() / 1000000;
}

void onshi__clock_set(onshi_ctx *ctx, onshi__clock_fn fn, void *ud)
{
    if (ctx == NULL)
        return;
    ctx->clock_fn = fn;
    ctx->clock_ud = ud;
}

int64_t onshi__clock_s(const onshi_ctx *ctx)
{
    if (ctx != NULL && ctx->clock_fn != NULL)
        return ctx->clock_fn(ctx->clock_ud);
    return onshi__wall_ms() / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms,
 * http://howardhinnant.github.io/date_algorithms.html, public domain): exact for every year
 * the int64 range holds, no table, no time zone. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void onshi__jst_from_epoch(onshi__jst *out, int64_t epoch_s)
{
    int64_t t = epoch_s + JST_OFFSET_S;
    int64_t days = floor_div(t, 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    civil_from_days(days, &y, &out->mon, &out->day);
    out->year = (int)y;
    out->hour = (int)(secs / 3600);
    out->min = (int)(secs / 60 % 60);
    out->sec = (int)(secs % 60);
}

int64_t onshi__days_left(int64_t until, int64_t now)
{
    return floor_div(until - now, 86400);
}

int64_t onshi__jst_to_epoch(int year, int mon, int day, int hour, int min, int sec)
{
    return days_from_civil(year, mon, day) * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 +
           sec - JST_OFFSET_S;
}

void onshi__jst_format14(char out[15], int64_t epoch_s)
{
    onshi__jst j;
    onshi__jst_from_epoch(&j, epoch_s);
    /* years outside 0..9999 cannot be written in 4 digits: clamp (never reached in practice) */
    int y = j.year < 0 ? 0 : j.year > 9999 ? 9999 : j.year;
    snprintf(out, 15, "%04d%02d%02d%02d%02d%02d", y, j.mon, j.day, j.hour, j.min, j.sec);
}

void onshi__jst_now14(char out[15], const onshi_ctx *ctx)
{
    onshi__jst_format14(out, onshi__clock_s(ctx));
}

void onshi__jst_today(char out[9], const onshi_ctx *ctx)
{
    char s[15];
    onshi__jst_now14(s, ctx);
    memcpy(out, s, 8);
    out[8] = '\0';
}

int onshi__jst_month(const onshi_ctx *ctx)
{
    onshi__jst j;
    onshi__jst_from_epoch(&j, onshi__clock_s(ctx));
    return j.year * 100 + j.mon;
}
