/*
 * libonshi's file transport and codec against onshi-sim's linkage mode: a codec-built request
 * published in req/, the result read from res/ (also when the simulator writes it in two
 * steps), an .err answer, a request the linkage app leaves untaken, a face-reader result.
 * Usage: lib_files DIR SIM DB (the linkage mode runs on DIR with the registry DB).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <onshi.h>
#include <onshi_transport.h>

#include "check.h"
#include "transport/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "130559"); /* 国保, P045 山﨑 */
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "145-03");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "0002665");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, "01");
    onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19780808");
    int rc = onshi_msg_encode(&out, ctx, m);
    CHECK(rc == ONSHI_OK, "encode: %s", onshi_ctx_last_error_message(ctx));
    onshi_msg_free(m);
    return out;
}

/* Sends an inquiry with afi, returns the transport status; checks the name on success. */
static int ask(onshi_ctx *ctx, const char *afi, char *id, size_t idn)
{
    onshi_buf *req = inquiry(ctx, afi);
    onshi_file_result *res = NULL;
    if (!req)
        return -1;
    int rc = onshi__file_exchange(&res, id, idn, ctx, ONSHI_MSG_QUAL_REQ, onshi_buf_data(req), onshi_buf_len(req));
    onshi_buf_free(req);
    if (rc == ONSHI_OK) {
        onshi_msg *m = NULL;
        onshi_group *r = NULL;
        const char *v = NULL;
        int d = onshi_msg_decode(&m, ctx, onshi_file_result_type(res), onshi_file_result_data(res),
                                 onshi_file_result_len(res));
        CHECK(d == ONSHI_OK, "decode %s: %s", afi, onshi_ctx_last_error_message(ctx));
        CHECK(d == ONSHI_OK && onshi_group_at(&r, onshi_msg_body(m), ONSHI_G_RESULT, 0) == 0 &&
                  onshi_group_get_str(&v, r, ONSHI_F_NAME) == ONSHI_OK &&
                  strcmp(v, "山﨑　花") == 0, "%s: Name", afi);
        onshi_msg_free(m);
        CHECK(onshi_file_consume(ctx, id) == ONSHI_OK, "consume %s", afi);
    }
    onshi_file_result_free(res);
    return rc;
}

int main(int argc, char **argv)
{
    char path[600], id[ONSHI_FILE_ID_SIZE];
    onshi_ctx *ctx = NULL;
    if (argc != 4) {
        fprintf(stderr, "usage: lib_files DIR SIM DB\n");
        return 2;
    }
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    snprintf(path, sizeof path, "%s/req", argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_REQ_DIR, path);
    snprintf(path, sizeof path, "%s/res", argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_RES_DIR, path);
    snprintf(path, sizeof path, "%s/face", argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_FACE_DIR, path);
    snprintf(path, sizeof path, "%s/state.db", argv[1]);
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, path);
    onshi_ctx_set_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS, 30000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS, 3000);
    onshi_ctx_set_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS, 50);

    /* 1. CP932 request (the default request encoding) → CP932 result with 﨑 */
    int rc = ask(ctx, "LIB-F1", id, sizeof id);
    CHECK(rc == ONSHI_OK, "exchange: %d %s", rc, onshi_ctx_last_error_message(ctx));
    /* 2. a result written in two steps is read only once complete */
    rc = ask(ctx, "SIMFAULT:half=700", id, sizeof id);
    CHECK(rc == ONSHI_OK, "half-written: %d %s", rc, onshi_ctx_last_error_message(ctx));
    /* 3. an .err answer */
    rc = ask(ctx, "SIMFAULT:err", id, sizeof id);
    CHECK(rc == ONSHI_E_ERR_FILE, ".err: %d %s", rc, onshi_ctx_last_error_message(ctx));
    /* 4. a request left in req/ */
    rc = ask(ctx, "SIMFAULT:untaken", id, sizeof id);
    CHECK(rc == ONSHI_E_LINKAGE_NOT_RUNNING, "untaken: %d %s", rc,
          onshi_ctx_last_error_message(ctx));

    /* 5. a face-reader result written by `onshi-sim face` reaches the face watcher */
    onshi_face_watch *fw = NULL;
    onshi_file_result *res = NULL;
    rc = onshi_face_watch_new(&fw, ctx, 0);
    CHECK(rc == ONSHI_OK, "face watch: %s", onshi_ctx_last_error_message(ctx));
    snprintf(path, sizeof path, "%s face --db %s --dir %s --person P001 --consent drug >/dev/null",
             argv[2], argv[3], argv[1]);
    CHECK(system(path) == 0, "onshi-sim face");
    rc = fw ? onshi__face_watch_next_file(&res, fw, 20000) : -1;
    CHECK(rc == ONSHI_OK && onshi_file_result_type(res) == ONSHI_MSG_FACE_RES, "face: %d", rc);
    if (rc == ONSHI_OK) {
        onshi_msg *m = NULL;
        const char *v = NULL;
        rc = onshi_msg_decode(&m, ctx, ONSHI_MSG_FACE_RES, onshi_file_result_data(res),
                              onshi_file_result_len(res));
        CHECK(rc == ONSHI_OK && onshi_group_get_str(&v, onshi_msg_header(m),
              ONSHI_F_REFERENCE_CLASSIFICATION) == 0 &&
                  strcmp(v, "1") == 0, "face decode");
        onshi_msg_free(m);
    }
    onshi_file_result_free(res);
    onshi_face_watch_free(fw);
    onshi_ctx_free(ctx);
    if (failures == 0)
        printf("lib_files ok\n");
    return failures ? 1 : 0;
}
