/*
 * codec/ — the field validators of the protocol's formats, the one place of each rule:
 * digits, dates (YYYYMMDD), months (YYYYMM), time stamps (YYYYMMDDHHmmss). The codec's own
 * format check (tables.c) and every workflow's local pre-check use these.
 *
 * Dates: a real day of the Gregorian calendar from 1868 on. 1868 is 明治元年, the first era of
 * the Japanese era codes used for dates of birth (JIS X 0301, era code M = 明治); no insured
 * person and no record of the system predates it, so an earlier year can only be a typing
 * mistake. Later bounds are the central system's to judge, never ours.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec/codec.h"

#include <string.h>

#define FIRST_YEAR 1868

bool onshi__digits(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The first 8 characters (digits, checked by the caller) as a real calendar day. */
static bool day_ok(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = num(s, 4), m = num(s + 4, 2), d = num(s + 6, 2);
    if (y < FIRST_YEAR || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

bool onshi__date8_ok(const char *s)
{
    return onshi__digits(s, 8) && day_ok(s);
}

bool onshi__month6_ok(const char *s)
{
    if (!onshi__digits(s, 6))
        return false;
    int y = num(s, 4), m = num(s + 4, 2);
    return y >= FIRST_YEAR && m >= 1 && m <= 12;
}

bool onshi__stamp14_ok(const char *s)
{
    return onshi__digits(s, 14) && day_ok(s) && num(s + 8, 2) < 24 && num(s + 10, 2) < 60 &&
           num(s + 12, 2) < 60;
}
