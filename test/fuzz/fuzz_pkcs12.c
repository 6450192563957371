/* Fuzz target: PKCS#12 (PFX) loading — MAC, bags, PBES2/PBE decryption, key/cert match.
 * The password is fixed ("fuzz"); wrong-password and malformed paths are both exercised.
 * Random bytes, where key parsing needs them, come from core's source (core/random.c). */
#include "transport/https.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 0;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    onshi__pkcs12_parse(ctx, data, size, "fuzz", &crt, &key);
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&key);
    onshi_ctx_free(ctx);
    return 0;
}
