/* Test support: stand a context at a fixed instant (core's replaceable clock). */
#include "fixed_clock.h"

#include "core/core.h"

static int64_t read_fixed(void *ud)
{
    return *(const int64_t *)ud;
}

void fixed_clock_set(onshi_ctx *ctx, const int64_t *epoch_s)
{
    onshi__clock_set(ctx, read_fixed, (void *)epoch_s);
}

static int64_t read_running(void *ud)
{
    return onshi__wall_ms() / 1000 + *(const int64_t *)ud;
}

void fixed_clock_offset_set(onshi_ctx *ctx, const int64_t *offset_s)
{
    onshi__clock_set(ctx, read_running, (void *)offset_s);
}
