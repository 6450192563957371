/*
 * onshi-pki DIR — write the standard test PKI (JPKI-like CA and card certificates, TLS CA,
 * server and client certificates) into DIR. Test use only; keys are generated fresh.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "pki.h"

#include <mbedtls/error.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: onshi-pki DIR\n"
          "Writes a fresh test PKI into DIR (created if missing):\n"
          "  jpki-ca.crt/.key, card-auth.der/.crt/.key, card-expired.der, card-notyet.der,\n"
          "  other-ca.crt/.key, card-unknown-ca.der, tls-ca.crt/.key, server.crt/.key,\n"
          "  server-expired.crt, server-wronghost.crt, client.crt/.key, client-expired.crt\n"
          "For tests and demos only: these keys must never protect real data.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    int rc = pki_make_standard(argv[1]);
    if (rc != 0) {
        char msg[128];
        mbedtls_strerror(rc, msg, sizeof msg);
        fprintf(stderr, "onshi-pki: cannot write the test PKI into %s: %s (-0x%04x)\n", argv[1],
                msg, (unsigned)-rc);
        return 1;
    }
    printf("onshi-pki: test PKI written to %s\n", argv[1]);
    return 0;
}
