/*
 * core/ — the one source of random bytes of the library: the system's CSPRNG (getrandom(2);
 * BCryptGenRandom on Windows: core/os.h),
 * failing loudly (ONSHI_E_RANDOM, never zeros or a guess). Request identifiers, batch ids,
 * idempotency keys and mbedTLS's needs (TLS, key parsing: transport hands this function to
 * mbedTLS as its f_rng) all come from here.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include "core/os.h"

#include <errno.h>

int onshi__random(onshi_ctx *ctx, void *buf, size_t n)
{
    if (onshi__os_random(buf, n) != 0) {
        int e = errno;
        onshi_mem_wipe(buf, n);
        return onshi__err_foreign(ctx, ONSHI_E_RANDOM, ONSHI_FOREIGN_ERRNO, e,
                                  "no random bytes from the system (getrandom)");
    }
    return ONSHI_OK;
}

int onshi__random_hex(onshi_ctx *ctx, char *out, size_t nbytes)
{
    unsigned char r[64];
    if (nbytes > sizeof r)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "at most %zu random bytes", sizeof r);
    int rc = onshi__random(ctx, r, nbytes);
    if (rc != ONSHI_OK)
        return rc;
    onshi__hex(out, r, nbytes);
    onshi_mem_wipe(r, sizeof r);
    return ONSHI_OK;
}

int onshi__random_cb(void *unused, unsigned char *out, size_t n)
{
    (void)unused;
    return onshi__random(NULL, out, n) == ONSHI_OK ? 0 : -1;
}
