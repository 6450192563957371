/* Fuzz target: X.509 certificate parsing (JPKI auth/CA certificates) and every accessor. */
#include "onshi.h"
#include "../support/api.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    onshi_cert *c = NULL;
    if (onshi_cert_from_der(&c, ctx, data, size) == ONSHI_OK) {
        (void)onshi_cert_serial_hex(c);
        (void)onshi_cert_issuer(c);
        (void)onshi_cert_subject(c);
        (void)onshi_cert_not_before(c);
        (void)onshi_cert_not_after(c);
        (void)onshi_cert_not_after_epoch(c);
        (void)t_cert_days_left(c);
        (void)onshi_cert_key_type(c);
        (void)onshi_cert_key_bits(c);
        (void)onshi_cert_key_usage(c);
        onshi_buf *der = NULL;
        onshi_cert_der(&der, c);
        onshi_buf_free(der);
        onshi_cert_verify(ctx, c); /* no CA configured: a clear refusal, never a crash */
        onshi_cert_free(c);
    }
    onshi_ctx_free(ctx);
    return 0;
}
