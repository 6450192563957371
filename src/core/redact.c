/*
 * Redaction of personal data and secrets in log lines. Every layer logs personal values only
 * through onshi__redact, so ONSHI_OPT_LOG_REDACT is the one switch, and secrets can never be
 * switched on.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include <string.h>

/* Append s to rb at *pos, keeping room for the NUL; mark a cut with "~". */
static void put(onshi__redact_buf *rb, size_t *pos, const char *s, size_t n)
{
    size_t room = sizeof rb->s - 1 - *pos;
    if (n > room) {
        n = room > 0 ? room - 1 : 0;
        memcpy(rb->s + *pos, s, n);
        *pos += n;
        if (*pos < sizeof rb->s - 1)
            rb->s[(*pos)++] = '~';
        return;
    }
    memcpy(rb->s + *pos, s, n);
    *pos += n;
}

/* Length in bytes of a digit at p (ASCII 0-9 or full-width ０-９ in UTF-8), else 0. */
static size_t digit_len(const unsigned char *p, const unsigned char *end)
{
    if (p < end && *p >= '0' && *p <= '9')
        return 1;
    if (end - p >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99)
        return 3;
    return 0;
}

/* Free text: runs of four or more digits (numbers, dates, PINs) become '*' per digit. */
static const char *redact_text(onshi__redact_buf *rb, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    const unsigned char *end = p + strlen(value);
    size_t pos = 0;
    while (p < end) {
        const unsigned char *q = p;
        size_t digits = 0, dl;
        while ((dl = digit_len(q, end)) != 0) {
            q += dl;
            digits++;
        }
        if (digits >= 4) {
            for (size_t i = 0; i < digits; i++)
                put(rb, &pos, "*", 1);
            p = q;
        } else if (digits > 0) {
            put(rb, &pos, (const char *)p, (size_t)(q - p));
            p = q;
        } else {
            put(rb, &pos, (const char *)p, 1);
            p++;
        }
    }
    rb->s[pos] = '\0';
    return rb->s;
}

/* Numbers: keep the last two characters so staff can tell records apart in a log. */
static const char *redact_number(onshi__redact_buf *rb, const char *value)
{
    size_t pos = 0;
    while (*value == ' ') /* insurer numbers are space-padded to 8 */
        value++;
    size_t n = strlen(value);
    while (n > 0 && value[n - 1] == ' ')
        n--;
    for (size_t i = 0; i + 2 < n && pos < 32; i++)
        put(rb, &pos, "*", 1);
    if (n <= 2)
        put(rb, &pos, "**", 2);
    else
        put(rb, &pos, value + n - 2, 2);
    rb->s[pos] = '\0';
    return rb->s;
}

const char *onshi__redact_always(onshi__redact_buf *rb, int kind, const char *value)
{
    if (value == NULL)
        return "(null)";
    switch (kind) {
    case ONSHI__PII_NAME:
        return "[name]";
    case ONSHI__PII_DATE:
        return "[date]";
    case ONSHI__PII_ADDRESS:
        return "[address]";
    case ONSHI__PII_NUMBER:
        return redact_number(rb, value);
    case ONSHI__PII_TEXT:
        return redact_text(rb, value);
    case ONSHI__PII_SECRET:
    default:
        return "[secret]";
    }
}

const char *onshi__redact(const onshi_ctx *ctx, onshi__redact_buf *rb, int kind,
                          const char *value)
{
    if (kind != ONSHI__PII_SECRET && ctx != NULL && onshi__opt_int(ctx, ONSHI_OPT_LOG_REDACT) == 0)
        return value ? value : "(null)";
    return onshi__redact_always(rb, kind, value);
}
