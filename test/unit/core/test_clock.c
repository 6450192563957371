/* core: the one clock — Japan time for every protocol date whatever TZ is set, exact calendar
 * arithmetic, and a clock that a test replaces per context. The program runs under the TZ of
 * the caller; `make check` runs it again under TZ=UTC and TZ=Asia/Tokyo (test/unit/core/
 * module.mk), and the test below sets hostile zones itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2026-12-31 23:30:00 UTC = 2027-01-01 08:30:00 JST. */
#define NEW_YEAR_EVE_UTC INT64_C(1798759800)

static int64_t fixed_clock(void *ud)
{
    return *(const int64_t *)ud;
}

static void test_epoch_is_nine_in_the_morning(void **state)
{
    (void)state;
    char s[15];
    onshi__jst_format14(s, 0);
    assert_string_equal(s, "19700101090000");
    onshi__jst_format14(s, -1); /* 1970-01-01 08:59:59 JST: floor, not truncation */
    assert_string_equal(s, "19700101085959");
    onshi__jst_format14(s, -9 * 3600 - 1);
    assert_string_equal(s, "19691231235959");
}

static void test_late_utc_evening_is_next_day_in_japan(void **state)
{
    (void)state;
    char s[15];
    onshi__jst_format14(s, NEW_YEAR_EVE_UTC);
    assert_string_equal(s, "20270101083000");
    /* 15:00 UTC is the date line of Japan: 14:59:59 UTC is still the same day there */
    onshi__jst_format14(s, INT64_C(1798729199)); /* 2026-12-31 14:59:59 UTC */
    assert_string_equal(s, "20261231235959");
    onshi__jst_format14(s, INT64_C(1798729200)); /* 2026-12-31 15:00:00 UTC */
    assert_string_equal(s, "20270101000000");
}

/* Leap days, century rules, month ends: against known instants (date -u -d ... +%s). */
static void test_calendar(void **state)
{
    (void)state;
    static const struct {
        int y, mo, d, h, mi, s;
        int64_t epoch; /* of that wall time in JST */
    } known[] = {
        {2000, 2, 29, 12, 0, 0, INT64_C(951793200)},   /* 2000-02-29T03:00Z */
        {2024, 2, 29, 0, 0, 0, INT64_C(1709132400)},   /* 2024-02-28T15:00Z */
        {2100, 3, 1, 9, 0, 0, INT64_C(4107542400)},    /* 2100-03-01T00:00Z (2100 not leap) */
        {1989, 1, 8, 0, 0, 0, INT64_C(600188400)},     /* 平成 1989-01-07T15:00Z */
        {2019, 5, 1, 0, 0, 0, INT64_C(1556636400)},    /* 令和 2019-04-30T15:00Z */
        {1900, 1, 1, 9, 0, 0, INT64_C(-2208988800)},   /* 1900-01-01T00:00Z */
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        assert_int_equal(onshi__jst_to_epoch(known[i].y, known[i].mo, known[i].d, known[i].h,
                                             known[i].mi, known[i].s),
                         known[i].epoch);
        onshi__jst j;
        onshi__jst_from_epoch(&j, known[i].epoch);
        assert_int_equal(j.year, known[i].y);
        assert_int_equal(j.mon, known[i].mo);
        assert_int_equal(j.day, known[i].d);
        assert_int_equal(j.hour, known[i].h);
    }
}

/* Every hour of 1868..2200 agrees with the C library's UTC calendar shifted by nine hours, and
 * round-trips. */
static void test_agrees_with_gmtime(void **state)
{
    (void)state;
    for (int64_t t = INT64_C(-3218000000); t < INT64_C(7258118400); t += 3600 * 7 + 13) {
        time_t shifted = (time_t)(t + 9 * 3600);
        struct tm tm;
        assert_non_null(gmtime_r(&shifted, &tm));
        onshi__jst j;
        onshi__jst_from_epoch(&j, t);
        if (j.year != tm.tm_year + 1900 || j.mon != tm.tm_mon + 1 || j.day != tm.tm_mday ||
            j.hour != tm.tm_hour || j.min != tm.tm_min || j.sec != tm.tm_sec)
            fail_msg("instant %lld: %d-%d-%d %d:%d:%d", (long long)t, j.year, j.mon, j.day,
                     j.hour, j.min, j.sec);
        assert_int_equal(onshi__jst_to_epoch(j.year, j.mon, j.day, j.hour, j.min, j.sec), t);
    }
}

/* The machine's zone changes nothing (the library never reads TZ for a protocol date). */
static void test_tz_does_not_matter(void **state)
{
    (void)state;
    static const char *zones[] = {"UTC0", "Asia/Tokyo", "America/Los_Angeles",
                                  "Pacific/Kiritimati", "EST5EDT,M3.2.0,M11.1.0"};
    const char *saved = getenv("TZ");
    char *keep = saved ? strdup(saved) : NULL;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    int64_t when = NEW_YEAR_EVE_UTC;
    onshi__clock_set(ctx, fixed_clock, &when);
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        setenv("TZ", zones[i], 1);
        tzset();
        char s[15], d[9];
        onshi__jst_now14(s, ctx);
        onshi__jst_today(d, ctx);
        assert_string_equal(s, "20270101083000");
        assert_string_equal(d, "20270101");
        assert_int_equal(onshi__jst_month(ctx), 202701);
    }
    if (keep) {
        setenv("TZ", keep, 1);
        free(keep);
    } else {
        unsetenv("TZ");
    }
    tzset();
    onshi_ctx_free(ctx);
}

/* The clock is per context: replacing one leaves another on the real clock, and NULL brings
 * the real clock back. */
static void test_clock_per_context(void **state)
{
    (void)state;
    onshi_ctx *a, *b;
    assert_int_equal(onshi_ctx_new(&a), ONSHI_OK);
    assert_int_equal(onshi_ctx_new(&b), ONSHI_OK);
    int64_t when = NEW_YEAR_EVE_UTC;
    onshi__clock_set(a, fixed_clock, &when);
    assert_int_equal(onshi__clock_s(a), NEW_YEAR_EVE_UTC);
    int64_t real = onshi__wall_ms() / 1000;
    int64_t got = onshi__clock_s(b);
    assert_true(got >= real && got <= real + 1);
    got = onshi__clock_s(NULL);
    assert_true(got >= real && got <= real + 1);
    when += 60; /* the hook is asked each time */
    char s[15];
    onshi__jst_now14(s, a);
    assert_string_equal(s, "20270101083100");
    onshi__clock_set(a, NULL, NULL);
    got = onshi__clock_s(a);
    assert_true(got >= real && got <= real + 1);
    onshi_ctx_free(a);
    onshi_ctx_free(b);
}

/* Days left until an expiry, the one rule of jpki/ and transport/: rounded down. */
static void test_days_left(void **state)
{
    (void)state;
    const int64_t now = NEW_YEAR_EVE_UTC;
    assert_int_equal(onshi__days_left(now + 10 * 3600, now), 0);
    assert_int_equal(onshi__days_left(now + 86400, now), 1);
    assert_int_equal(onshi__days_left(now + 86400 * 30 - 1, now), 29);
    assert_int_equal(onshi__days_left(now, now), 0);
    assert_int_equal(onshi__days_left(now - 1, now), -1);
    assert_int_equal(onshi__days_left(now - 86400, now), -1);
    assert_int_equal(onshi__days_left(now - 86401, now), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_is_nine_in_the_morning),
        cmocka_unit_test(test_late_utc_evening_is_next_day_in_japan),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_agrees_with_gmtime),
        cmocka_unit_test(test_tz_does_not_matter),
        cmocka_unit_test(test_clock_per_context),
        cmocka_unit_test(test_days_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
