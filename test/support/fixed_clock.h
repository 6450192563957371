/* Test support: stand a context at a fixed instant (core's replaceable clock). */
#ifndef ONSHI_TEST_FIXED_CLOCK_H
#define ONSHI_TEST_FIXED_CLOCK_H

#include "onshi.h"

#include <stdint.h>

/* 2026-12-31 23:30:00 UTC = 2027-01-01 08:30:00 JST: a UTC date and a Japan date differ. */
#define FIXED_CLOCK_NEW_YEAR INT64_C(1798759800)

/* The context's clock reads *epoch_s (Unix seconds) from now on; the variable must outlive
 * the context's use. */
void fixed_clock_set(onshi_ctx *ctx, const int64_t *epoch_s);

/* The context's clock runs with the real clock moved by *offset_s seconds (for a test that
 * talks to onshi-sim started with --now at real + offset). The variable must outlive the
 * context's use. */
void fixed_clock_offset_set(onshi_ctx *ctx, const int64_t *offset_s);

#endif
