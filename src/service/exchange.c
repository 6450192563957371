/*
 * One XmlMsg exchange over the configured transport (files or HTTPS), and the check of the
 * system's status fields. Every workflow goes through here, so "a result file exists" is
 * never mistaken for success (oqs-interface.md §7.3).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include "codec/codec.h"
#include "transport/file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- never the wrong patient: a result is accepted only when it answers its request ----
 *
 * The one rule: every search key the request carries and the result echoes (codec/match.c
 * lists them and where each message has them) must be equal; a key only one side carries is
 * not compared. The request's keys are kept with the pending request as salted 64-bit
 * fingerprints, never as values, so a pickup after a restart can check the result too:
 *   "s=<16 hex salt>;<slot>=<16 hex>;..."
 * The transport does not read messages: it stores this text and hands back a result it has
 * not marked answered until the match is confirmed here. */

static uint64_t fingerprint(const unsigned char salt[8], int slot, const char *v)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    unsigned char sl = (unsigned char)slot;
    for (int i = 0; i < 8; i++)
        h = (h ^ salt[i]) * UINT64_C(0x100000001b3);
    h = (h ^ sl) * UINT64_C(0x100000001b3);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    return h;
}

static int random_salt(unsigned char salt[8])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    while (fd >= 0 && got < 8) {
        ssize_t n = read(fd, salt + got, 8 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    return got == 8 ? ONSHI_OK : ONSHI_E_IO;
}

/* The match text of a request (NULL *out when it has no key at all). */
static int match_text(onshi_ctx *ctx, const onshi_msg *req, char **out)
{
    *out = NULL;
    onshi__match_keys k;
    int r = onshi__msg_match_keys(req, &k);
    if (r != ONSHI_OK)
        return onshi__err(ctx, r, "request keys");
    unsigned char salt[8];
    if (random_salt(salt) != ONSHI_OK) {
        onshi__match_keys_clear(&k);
        return onshi__err(ctx, ONSHI_E_IO, "no random numbers (/dev/urandom)");
    }
    char *t = malloc(20 + ONSHI__MK_COUNT * 24);
    if (t == NULL) {
        onshi__match_keys_clear(&k);
        return onshi__err(ctx, ONSHI_E_NOMEM, "match");
    }
    int n = sprintf(t, "s=");
    for (int i = 0; i < 8; i++)
        n += sprintf(t + n, "%02x", salt[i]);
    int any = 0;
    for (int i = 0; i < ONSHI__MK_COUNT; i++) {
        if (k.v[i] == NULL)
            continue;
        n += sprintf(t + n, ";%d=%016llx", i, (unsigned long long)fingerprint(salt, i, k.v[i]));
        any = 1;
    }
    onshi__match_keys_clear(&k);
    if (!any) {
        free(t);
        return ONSHI_OK;
    }
    *out = t;
    return ONSHI_OK;
}

/* Parse one "slot=hex" of a match text. */
static int match_get(const char *text, int slot, uint64_t *v)
{
    char key[8];
    snprintf(key, sizeof key, ";%d=", slot);
    const char *p = strstr(text, key);
    if (p == NULL)
        return 0;
    *v = strtoull(p + strlen(key), NULL, 16);
    return 1;
}

static int mismatch(onshi_ctx *ctx, const char *id, const char *name, const char *fields)
{
    char en[800], ja[800];
    snprintf(en, sizeof en,
             "result %s does not answer request %s (%s differ): another patient's answer, not "
             "accepted. The request stays pending; check that every workstation sharing req/ "
             "and res/ has its own workstation_id",
             name ? name : "", id, fields);
    snprintf(ja, sizeof ja,
             "結果 %s は要求 %s への回答ではありません（%s が不一致）。別の患者の結果のため受け付け"
             "ません。要求は保留中のままです。req/res フォルダを共有する各端末に別々の "
             "workstation_id が設定されているか確認してください",
             name ? name : "", id, fields);
    return onshi__err_ja(ctx, ONSHI_E_RESULT_MISMATCH, ONSHI_FOREIGN_NONE, 0, en, ja);
}

int onshi__service_match(onshi_ctx *ctx, const char *match, const onshi_msg *res,
                         const char *id, const char *name)
{
    if (match == NULL || strncmp(match, "s=", 2) != 0 || strlen(match) < 18)
        return ONSHI_OK; /* a request without keys (or recorded by libonshi 0.1) */
    unsigned char salt[8];
    for (int i = 0; i < 8; i++) {
        char hx[3] = {match[2 + 2 * i], match[3 + 2 * i], 0};
        salt[i] = (unsigned char)strtoul(hx, NULL, 16);
    }
    onshi__match_keys k;
    int r = onshi__msg_match_keys(res, &k);
    if (r != ONSHI_OK)
        return onshi__err(ctx, r, "result keys");
    char fields[300] = "";
    for (int i = 0; i < ONSHI__MK_COUNT; i++) {
        /* The persons found must have the birth date searched for. */
        int req_slot = i == ONSHI__MK_PERSON_BIRTH ? ONSHI__MK_BIRTH : i;
        uint64_t want;
        if (k.v[i] == NULL || !match_get(match, req_slot, &want))
            continue;
        if (fingerprint(salt, req_slot, k.v[i]) != want) {
            size_t l = strlen(fields);
            snprintf(fields + l, sizeof fields - l, "%s%s", l ? ", " : "",
                     onshi__match_key_name(i));
        }
    }
    onshi__match_keys_clear(&k);
    if (fields[0] != '\0')
        return mismatch(ctx, id, name, fields);
    return ONSHI_OK;
}

/* Wait for the result of id, decode it, check it answers the request, confirm and consume
 * it. A mismatch leaves the request open (never answered by a foreign result). */
static int file_result(onshi_msg **out, onshi_ctx *ctx, const char *id, int res_type,
                       int64_t timeout_ms)
{
    onshi_file_result *fr = NULL;
    int rc = onshi__file_wait_unconfirmed(ctx, id, timeout_ms, &fr);
    if (rc != ONSHI_OK)
        return rc;
    char *match = NULL;
    rc = onshi__file_match(ctx, id, &match);
    if (rc == ONSHI_OK)
        rc = decode_file_result(out, ctx, res_type, fr);
    if (rc == ONSHI_OK && (rc = onshi__service_match(ctx, match, *out, id,
                                                      onshi_file_result_name(fr))) != ONSHI_OK) {
        onshi_msg_free(*out);
        *out = NULL;
    }
    free(match);
    /* A result that cannot be decoded will not get better: it counts as the answer (stays in
     * res/ for inspection, never sent again). A mismatch is not this request's answer. */
    if (rc != ONSHI_E_RESULT_MISMATCH && rc != ONSHI_E_NOMEM) {
        int crc = onshi__file_confirm(ctx, fr);
        if (rc == ONSHI_OK && crc != ONSHI_OK) {
            onshi_msg_free(*out);
            *out = NULL;
            rc = crc;
        }
    }
    onshi_file_result_free(fr);
    /* Consume only what we could decode and match: a broken result stays in res/. */
    if (rc == ONSHI_OK) {
        int crc = onshi_file_consume(ctx, id);
        if (crc != ONSHI_OK)
            onshi__log(ctx, ONSHI_LOG_WARN, "service", "result %s decoded but not consumed (%s)",
                       id, onshi_status_name(crc));
    }
    return rc;
}

int onshi__service_pickup(onshi_msg **out, onshi_ctx *ctx, const char *pending_id, int res_type,
                          int64_t timeout_ms)
{
    *out = NULL;
    return file_result(out, ctx, pending_id, res_type, timeout_ms);
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

    char id[ONSHI_FILE_ID_SIZE], *match = NULL;
    rc = match_text(ctx, req, &match);
    if (rc == ONSHI_OK)
        rc = onshi__file_send_ex(ctx, req_type, onshi_buf_data(body), onshi_buf_len(body), match,
                                 id);
    free(match);
    onshi_buf_free(body);
    if (rc != ONSHI_OK)
        return rc;
    rc = file_result(out, ctx, id, res_type, -1);
    if (pending_id != NULL && id_size > 0 && (rc == ONSHI_E_PENDING ||
                                              rc == ONSHI_E_LINKAGE_NOT_RUNNING ||
                                              rc == ONSHI_E_RESULT_MISMATCH ||
                                              rc == ONSHI_E_RESULT_UNSTABLE || rc == ONSHI_OK))
        snprintf(pending_id, id_size, "%s", id);
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
    if (pst != NULL && strcmp(pst, "1") != 0) {
        /* "No such qualification" (4) and "several" (5) are outcomes, not errors: the
         * validity speaks first, whatever the processing status (oqs-interface.md §7 gotcha 4;
         * OQSCD006), exactly as the batch reads its units. The caller reads the validity. */
        const char *val = NULL;
        onshi_group_get_str(&val, b, ONSHI_F_QUALIFICATION_VALIDITY);
        if (val != NULL && (strcmp(val, "4") == 0 || strcmp(val, "5") == 0)) {
            onshi__log(ctx, ONSHI_LOG_INFO, "service",
                       "QualificationValidity %s with ProcessingResultStatus %s (%s): an outcome",
                       val, pst, pcode ? pcode : "no code");
            return ONSHI_OK;
        }
        return system_error(ctx, ONSHI_E_PROCESSING_ERROR, "ProcessingResultCode", pcode, pmsg);
    }

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
