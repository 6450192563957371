/*
 * `onshi-sim pki DIR`: the standard test PKI (tools/onshi-pki) plus one JPKI-like card
 * certificate per seed person (serial = persons.card_serial, so the server maps serial →
 * person). All person cards share one RSA-2048 key (card-persons.key): generating a key per
 * person would make the command take minutes, and the tests only need distinct serials.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include "../onshi-pki/pki.h"

#include <time.h>

#include <mbedtls/error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_pki(const char *dir, sim_env *env)
{
    char path[1024], subject[128];
    int rc = pki_make_standard(dir);
    pki_key *ca_key = NULL, *card_key = NULL;
    unsigned char *ca_der = NULL;
    size_t ca_len = 0;
    int count = 0;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/jpki-ca.key", dir);
        rc = pki_key_read(&ca_key, path);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/jpki-ca.crt", dir);
        rc = pki_cert_read_der(path, &ca_der, &ca_len);
    }
    if (rc == 0)
        rc = pki_key_gen(&card_key, PKI_KEY_RSA2048);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/card-persons.key", dir);
        rc = pki_key_write(card_key, path);
    }
    /* A TLS client certificate whose CN starts with a VALID institution code (the standard
     * client.crt's 1311234567 fails the check digit), so the server binds requests to it. */
    pki_key *tls_key = NULL, *cli_key = NULL;
    unsigned char *tls_der = NULL, *cli_der = NULL;
    size_t tls_len = 0, cli_len = 0;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/tls-ca.key", dir);
        rc = pki_key_read(&tls_key, path);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/tls-ca.crt", dir);
        rc = pki_cert_read_der(path, &tls_der, &tls_len);
    }
    if (rc == 0)
        rc = pki_key_gen(&cli_key, PKI_KEY_EC_P256);
    if (rc == 0) {
        pki_cert_spec cs = {PKI_PROFILE_TLS_CLIENT, "C=JP,O=ONSHI-TEST,CN=1311234569 Sim Clinic",
                            NULL, 0, 0, NULL};
        rc = pki_cert_issue(&cs, cli_key, tls_key, tls_der, tls_len, &cli_der, &cli_len);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/client-1311234569.crt", dir);
        rc = pki_cert_write(path, cli_der, cli_len, 1);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/client-1311234569.key", dir);
        rc = pki_key_write(cli_key, path);
    }
    pki_key_free(tls_key);
    pki_key_free(cli_key);
    free(tls_der);
    free(cli_der);
    sqlite3_stmt *st = NULL;
    FILE *rev = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/revoked-serials.txt", dir);
        rev = fopen(path, "w");
        if (!rev ||
            sqlite3_prepare_v2(env->db, "SELECT id, card_serial, card_revoked FROM persons WHERE "
                                        "scenario<>'synthetic' AND card_serial<>'' ORDER BY id",
                               -1, &st, NULL) != SQLITE_OK)
            rc = -1;
    }
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *serial = (const char *)sqlite3_column_text(st, 1);
        unsigned char *der = NULL;
        size_t len = 0;
        snprintf(subject, sizeof subject, "C=JP,O=JPKI-TEST,CN=Test Card %s", serial);
        pki_cert_spec spec = {PKI_PROFILE_JPKI_AUTH, subject, serial, 0, 0, NULL};
        rc = pki_cert_issue(&spec, card_key, ca_key, ca_der, ca_len, &der, &len);
        if (rc == 0) {
            snprintf(path, sizeof path, "%s/card-%s.der", dir, id);
            rc = pki_cert_write(path, der, len, 0);
        }
        free(der);
        if (rc == 0 && sqlite3_column_int(st, 2))
            fprintf(rev, "%s\n", serial);
        /* P001 also with an expired certificate: 20 days ago (within the three-month grace
         * of cardauth.c) and 200 days ago (past it), for the grace tests. */
        static const struct {
            const char *tag;
            int days;
        } k_expired[] = {{"expired-20d", 20}, {"expired-200d", 200}};
        for (size_t k = 0; rc == 0 && strcmp(id, "P001") == 0 && k < 2; k++) {
            time_t now = (time_t)(sim_now_ms() / 1000);
            pki_cert_spec old = {PKI_PROFILE_JPKI_AUTH, subject, serial,
                                 now - (time_t)(5 * 365 + k_expired[k].days) * 86400,
                                 now - (time_t)k_expired[k].days * 86400, NULL};
            rc = pki_cert_issue(&old, card_key, ca_key, ca_der, ca_len, &der, &len);
            if (rc == 0) {
                snprintf(path, sizeof path, "%s/card-%s-%s.der", dir, id, k_expired[k].tag);
                rc = pki_cert_write(path, der, len, 0);
            }
            free(der);
            der = NULL;
        }
        count++;
    }
    sqlite3_finalize(st);
    if (rev)
        fclose(rev);
    pki_key_free(ca_key);
    pki_key_free(card_key);
    free(ca_der);
    if (rc != 0) {
        char msg[128];
        mbedtls_strerror(rc, msg, sizeof msg);
        fprintf(stderr, "onshi-sim: pki %s: %s (%d)\n", dir, msg, rc);
        return -1;
    }
    printf("onshi-sim: test PKI and %d card certificates written to %s\n", count, dir);
    return 0;
}
