/*
 * One XmlMsg exchange over the configured transport (files or HTTPS), and the check of the
 * system's status fields. Every workflow goes through here, so "a result file exists" is
 * never mistaken for success (oqs-interface.md §7.3).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include "codec/codec.h"
#include "transport/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int onshi__service_result_type(int req_type)
{
    const onshi__msgtype *m = onshi__msgtype_find(req_type);
    if (m == NULL || !m->is_request)
        return 0;
    const onshi__msgtype *r = onshi__msgtype_find(req_type + 1);
    return r != NULL && !r->is_request ? r->id : 0;
}

/* Decode result bytes: XML, or a PDF kept as an attachment (drug/checkup FileCategory 1/3). */
static int decode_bytes(onshi_msg **out, onshi_ctx *ctx, int res_type, const unsigned char *data,
                        size_t len, const char *name)
{
    if (len >= 5 && memcmp(data, "%PDF-", 5) == 0)
        return onshi__msg_from_attachment(out, ctx, res_type, data, len, name);
    return onshi_msg_decode(out, ctx, res_type, data, len);
}

static int decode_file_result(onshi_msg **out, onshi_ctx *ctx, int res_type,
                              onshi_file_result *fr)
{
    int type = onshi_file_result_type(fr);
    if (type <= 0)
        type = res_type;
    return decode_bytes(out, ctx, type, onshi_file_result_data(fr), onshi_file_result_len(fr),
                        onshi_file_result_name(fr));
}

int onshi__service_pickup(onshi_msg **out, onshi_ctx *ctx, const char *pending_id, int res_type,
                          int64_t timeout_ms)
{
    *out = NULL;
    onshi_file_result *fr = NULL;
    int rc = onshi_file_wait(&fr, ctx, pending_id, timeout_ms);
    if (rc != ONSHI_OK)
        return rc;
    rc = decode_file_result(out, ctx, res_type, fr);
    onshi_file_result_free(fr);
    /* Consume only what we could decode: a broken result stays in res/ for inspection
     * (and is still answered in the store, so it is never sent again). */
    if (rc == ONSHI_OK) {
        int crc = onshi_file_consume(ctx, pending_id);
        if (crc != ONSHI_OK)
            onshi__log(ctx, ONSHI_LOG_WARN, "service", "result %s decoded but not consumed (%s)",
                       pending_id, onshi_status_name(crc));
    }
    return rc;
}

int onshi__service_exchange(onshi_msg **out, onshi_ctx *ctx, const onshi_msg *req,
                            const char *idempotency_key, char *pending_id, size_t id_size)
{
    if (out == NULL || req == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and req must not be NULL");
    *out = NULL;
    if (pending_id != NULL && id_size > 0)
        pending_id[0] = '\0';
    int req_type = onshi_msg_type(req);
    int res_type = onshi__service_result_type(req_type);
    if (res_type == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "message type %d is not a request", req_type);

    onshi_buf *body = NULL;
    int rc = onshi_msg_encode(&body, ctx, req);
    if (rc != ONSHI_OK)
        return rc;

    if (onshi__opt_int(ctx, ONSHI_OPT_TRANSPORT) == ONSHI_TRANSPORT_HTTPS) {
        onshi_buf *res = NULL;
        rc = onshi_https_exchange(&res, ctx, req_type, onshi_buf_data(body), onshi_buf_len(body), idempotency_key);
        onshi_buf_free(body);
        if (rc != ONSHI_OK)
            return rc;
        rc = decode_bytes(out, ctx, res_type, onshi_buf_data(res), onshi_buf_len(res),
                          onshi_msgtype_prefix(res_type));
        onshi_buf_free(res);
        return rc;
    }

    char id[ONSHI_FILE_ID_SIZE];
    onshi_file_result *fr = NULL;
    rc = onshi__file_exchange(&fr, id, sizeof id, ctx, req_type, onshi_buf_data(body),
                             onshi_buf_len(body));
    onshi_buf_free(body);
    if (pending_id != NULL && id_size > 0 && (rc == ONSHI_E_PENDING ||
                                              rc == ONSHI_E_LINKAGE_NOT_RUNNING || rc == ONSHI_OK))
        snprintf(pending_id, id_size, "%s", id);
    if (rc != ONSHI_OK)
        return rc;
    rc = decode_file_result(out, ctx, res_type, fr);
    onshi_file_result_free(fr);
    if (rc == ONSHI_OK) {
        int crc = onshi_file_consume(ctx, id);
        if (crc != ONSHI_OK)
            onshi__log(ctx, ONSHI_LOG_WARN, "service", "result %s decoded but not consumed (%s)",
                       id, onshi_status_name(crc));
    }
    return rc;
}

/* The system's code as a number for the foreign detail when it is one; 0 otherwise. */
static int64_t code_number(const char *code)
{
    if (code == NULL || *code == '\0')
        return 0;
    char *end;
    long long v = strtoll(code, &end, 10);
    return *end == '\0' ? v : 0;
}

static int system_error(onshi_ctx *ctx, int status, const char *what, const char *code,
                        const char *message)
{
    char en[600], ja[600];
    snprintf(en, sizeof en, "%s %s: %s", what, code ? code : "(no code)",
             message ? message : "(no message)");
    snprintf(ja, sizeof ja, "%s %s：%s", what, code ? code : "（コードなし）",
             message ? message : "（メッセージなし）");
    return onshi__err_ja(ctx, status, code_number(code) ? ONSHI_FOREIGN_SYSTEM : ONSHI_FOREIGN_NONE,
                         code_number(code), en, ja);
}

int onshi__service_check(onshi_ctx *ctx, const onshi_msg *res)
{
    if (res == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "no result");
    const unsigned char *att = NULL;
    size_t att_len = 0;
    const char *att_name = NULL;
    if (onshi_msg_attachment(&att, &att_len, &att_name, res) == ONSHI_OK && att != NULL)
        return ONSHI_OK; /* a PDF: the system answered with the document itself */

    onshi_msg *m = (onshi_msg *)res; /* the group accessors take non-const groups */
    onshi_group *h = onshi_msg_header(m), *b = onshi_msg_body(m);
    const char *seg = NULL, *code = NULL, *msg = NULL;
    onshi_group_get_str(&seg, h, ONSHI_F_SEGMENT_OF_RESULT);
    onshi_group_get_str(&code, h, ONSHI_F_ERROR_CODE);
    onshi_group_get_str(&msg, h, ONSHI_F_ERROR_MESSAGE);
    if (seg != NULL && strcmp(seg, "2") == 0)
        return onshi__err_ja(ctx, ONSHI_E_STILL_PROCESSING, ONSHI_FOREIGN_NONE, 0,
                             "SegmentOfResult 2 (processing)", "処理結果区分 2（処理中）");
    if ((seg != NULL && strcmp(seg, "1") != 0) || (code != NULL && *code != '\0'))
        return system_error(ctx, ONSHI_E_SYSTEM_ERROR, "ErrorCode", code, msg);

    const char *pst = NULL, *pcode = NULL, *pmsg = NULL;
    onshi_group_get_str(&pst, b, ONSHI_F_PROCESSING_RESULT_STATUS);
    onshi_group_get_str(&pcode, b, ONSHI_F_PROCESSING_RESULT_CODE);
    onshi_group_get_str(&pmsg, b, ONSHI_F_PROCESSING_RESULT_MESSAGE);
    if (pst != NULL && strcmp(pst, "1") != 0)
        return system_error(ctx, ONSHI_E_PROCESSING_ERROR, "ProcessingResultCode", pcode, pmsg);

    int t = onshi_msg_type(res);
    if (t == ONSHI_MSG_DRUG_RES || t == ONSHI_MSG_CHECKUP_RES) {
        const char *rc = NULL, *contents = NULL;
        onshi_group_get_str(&rc, h, ONSHI_F_RESULT_CODE);
        onshi_group_get_str(&contents, h, ONSHI_F_MESSAGE_CONTENTS);
        if (rc != NULL && strcmp(rc, "1") != 0)
            return system_error(ctx, ONSHI_E_INFO_NOT_AVAILABLE, "ResultCode", rc, contents);
    }
    return ONSHI_OK;
}
