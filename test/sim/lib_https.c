/*
 * libonshi's own HTTPS transport (onshi_https_exchange) and codec against onshi-sim: a request
 * built and encoded by the codec, sent with the client certificate, the result decoded; the
 * retry of a keyed request across an injected 503; a truncated body; a refused client.
 * Usage: lib_https URL PKI-DIR (the server runs with that PKI).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <onshi.h>
#include <onshi_transport.h>

#include "check.h"
#include "transport/https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static onshi_ctx *context(const char *url, const char *pki, const char *client)
{
    char path[512];
    onshi_ctx *ctx = NULL;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return NULL;
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    snprintf(path, sizeof path, "%s/tls-ca.crt", pki);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, path);
    if (client) {
        snprintf(path, sizeof path, "%s/%s.crt", pki, client);
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, path);
        snprintf(path, sizeof path, "%s/%s.key", pki, client);
        onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, path);
    }
    onshi_ctx_set_int(ctx, ONSHI_OPT_RETRY_BASE_MS, 50);
    return ctx;
}

/* The single inquiry for seed person P001, built by the codec. */
static onshi_buf *inquiry(onshi_ctx *ctx, const char *afi)
{
    onshi_msg *m = NULL;
    onshi_group *s = NULL;
    onshi_buf *out = NULL;
    if (onshi_msg_new(&m, ONSHI_MSG_QUAL_REQ) != ONSHI_OK)
        return NULL;
    onshi_group *h = onshi_msg_header(m);
    onshi_group_set_str(h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, "20260401");
    onshi_group_set_str(h, ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_group_set_str(h, ONSHI_F_ARBITRARY_FILE_IDENTIFIER, afi);
    onshi_group_add(&s, onshi_msg_body(m), ONSHI_G_SEARCH);
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "01130111");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "101-01");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "0001037");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, "01");
    onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800401");
    onshi_group_set_str(s, ONSHI_F_SEARCH_LIMIT_CONS_FLG, "1");
    int rc = onshi_msg_encode(&out, ctx, m);
    CHECK(rc == ONSHI_OK, "encode: %s", onshi_ctx_last_error_message(ctx));
    onshi_msg_free(m);
    return out;
}

static void arm(onshi_ctx *ctx, const char *spec)
{
    onshi_buf *b = NULL;
    /* The control endpoint is not a message type: point QUAL_REQ at it for one call. */
    onshi_https_set_path(ctx, ONSHI_MSG_QUAL_REQ, "/sim/fault");
    int rc = onshi_https_exchange(&b, ctx, ONSHI_MSG_QUAL_REQ, spec, strlen(spec), NULL);
    CHECK(rc == ONSHI_OK, "arm %s: %d %s", spec, rc, onshi_ctx_last_error_message(ctx));
    onshi_buf_free(b);
    onshi_https_set_path(ctx, ONSHI_MSG_QUAL_REQ, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: lib_https URL PKI-DIR\n");
        return 2;
    }
    onshi_ctx *ctx = context(argv[1], argv[2], "client-1311234569");
    CHECK(ctx != NULL, "context");
    if (!ctx)
        return 1;
    onshi_buf *req = inquiry(ctx, "LIB-1");
    onshi_buf *res = NULL;
    int status = 0;

    /* 1. one inquiry: codec → HTTPS → codec */
    int rc = onshi__https_exchange(&res, &status, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req), "lib-1");
    CHECK(rc == ONSHI_OK && status == 200, "exchange: %d (%d) %s", rc, status,
          onshi_ctx_last_error_message(ctx));
    if (rc == ONSHI_OK) {
        onshi_msg *m = NULL;
        onshi_group *r = NULL;
        const char *v = NULL;
        rc = onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, onshi_buf_data(res), onshi_buf_len(res));
        CHECK(rc == ONSHI_OK, "decode: %s", onshi_ctx_last_error_message(ctx));
        if (rc == ONSHI_OK) {
            CHECK(onshi_group_get_str(&v, onshi_msg_header(m), ONSHI_F_SEGMENT_OF_RESULT) ==
                      ONSHI_OK && strcmp(v, "1") == 0, "SegmentOfResult");
            CHECK(onshi_group_at(&r, onshi_msg_body(m), ONSHI_G_RESULT, 0) == ONSHI_OK, "result");
            CHECK(r && onshi_group_get_str(&v, r, ONSHI_F_NAME) == ONSHI_OK &&
                      strcmp(v, "見本　太郎") == 0, "Name");
            CHECK(r && onshi_group_get_str(&v, r, ONSHI_F_REFERENCE_NUMBER) == ONSHI_OK &&
                      strcmp(v, "24434") == 0, "ReferenceNumber");
        }
        onshi_msg_free(m);
    }
    onshi_buf_free(res);
    res = NULL;

    /* 2. a keyed request survives an injected 503 by retrying */
    arm(ctx, "http503 1");
    rc = onshi__https_exchange(&res, &status, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req), "lib-2");
    CHECK(rc == ONSHI_OK && status == 200, "retry after 503: %d (%d)", rc, status);
    onshi_buf_free(res);
    res = NULL;

    /* 3. an unkeyed request is sent once: a 503 is reported, not retried */
    arm(ctx, "http503 1");
    rc = onshi__https_exchange(&res, &status, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req), NULL);
    CHECK(rc != ONSHI_OK && status == 503, "unkeyed 503: %d (%d)", rc, status);
    onshi_buf_free(res);
    res = NULL;

    /* 4. a truncated body is a closed connection, never a result */
    arm(ctx, "truncate 1");
    rc = onshi__https_exchange(&res, &status, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req), NULL);
    CHECK(rc == ONSHI_E_CONNECTION_CLOSED, "truncate: %d %s", rc,
          onshi_ctx_last_error_message(ctx));
    onshi_buf_free(res);
    res = NULL;
    onshi_buf_free(req);
    onshi_ctx_free(ctx);

    /* 5. without a client certificate the server refuses the handshake */
    ctx = context(argv[1], argv[2], NULL);
    req = ctx ? inquiry(ctx, "LIB-5") : NULL;
    rc = ctx && req ? onshi__https_exchange(&res, &status, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req), NULL)
                    : -1;
    CHECK(rc != ONSHI_OK, "served without a client certificate");
    onshi_buf_free(res);
    onshi_buf_free(req);
    onshi_ctx_free(ctx);
    if (failures == 0)
        printf("lib_https ok\n");
    return failures ? 1 : 0;
}
