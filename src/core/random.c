/*
 * core/ — the one source of random bytes of the library: the kernel's CSPRNG (getrandom(2)),
 * failing loudly (ONSHI_E_RANDOM, never zeros or a guess). Request identifiers, batch ids,
 * idempotency keys and mbedTLS's needs (TLS, key parsing: transport hands this function to
 * mbedTLS as its f_rng) all come from here.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include <errno.h>
#include <sys/random.h>

int onshi__random(onshi_ctx *ctx, void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > 256 ? 256 : n - got; /* getrandom's atomic size */
        ssize_t k = getrandom(p + got, want, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            onshi_mem_wipe(buf, n);
            return onshi__err_foreign(ctx, ONSHI_E_RANDOM, ONSHI_FOREIGN_ERRNO, e,
                                      "no random bytes from the system (getrandom)");
        }
        got += (size_t)k;
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
