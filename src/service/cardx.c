/*
 * service/ — helpers shared by the two HTTPS extension workflows, card authentication
 * (cardauth.c, docs/protocol.md §7) and disaster search (disaster.c, §8): the writer of their
 * documents, their institution and transport checks, the decoding and the check of their
 * results.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/cardx.h"
#include "service/verify.h"

#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int onshi__cardx_institution(onshi_ctx *ctx, const char **out)
{
    return onshi__verify_institution(ctx, out); /* one check for every workflow */
}

int onshi__cardx_require_https(onshi_ctx *ctx, const char *what)
{
    if (onshi__opt_int(ctx, ONSHI_OPT_TRANSPORT) == ONSHI_TRANSPORT_HTTPS)
        return ONSHI_OK;
    char en[200], ja[300];
    snprintf(en, sizeof en, "%s needs the HTTPS transport (direct mode); with the file transport "
             "the terminal's reader and linkage app do it", what);
    snprintf(ja, sizeof ja, "%sは HTTPS 通信（直接方式）でのみ行えます。ファイル連携では端末の"
             "カードリーダーと連携アプリが行います", what);
    return onshi__err_ja(ctx, ONSHI_E_UNSUPPORTED, ONSHI_FOREIGN_NONE, 0, en, ja);
}

/* ---- the system's extension error codes ---- */

int onshi__cardx_check(onshi_ctx *ctx, const onshi_msg *res)
{
    onshi_msg *m = (onshi_msg *)res; /* the group accessors take non-const groups */
    onshi_group *h = onshi_msg_header(m);
    const char *code = NULL, *msg = NULL;
    if (h != NULL) {
        onshi_group_get_str(&code, h, ONSHI_F_ERROR_CODE);
        onshi_group_get_str(&msg, h, ONSHI_F_ERROR_MESSAGE);
    }
    int status = 0;
    const char *what_en = NULL, *what_ja = NULL;
    if (code != NULL && strlen(code) == 5 && code[0] == 'C' && code[1] == 'A') {
        status = strcmp(code, "CA009") == 0 ? ONSHI_E_VERIFICATION_METHOD : ONSHI_E_AUTH_FAILED;
        what_en = "card authentication refused";
        what_ja = "カード認証が拒否されました";
    } else if (code != NULL && strcmp(code, "DS001") == 0) {
        status = ONSHI_E_DISASTER_CLOSED;
        what_en = "disaster mode is not open";
        what_ja = "災害時モードは開始されていません";
    } else if (code != NULL && strcmp(code, "DS002") == 0) {
        status = ONSHI_E_SYSTEM_ERROR;
        what_en = "several persons match: narrow the search (add kana, sex or address)";
        what_ja = "複数の該当者がいます。条件（カナ氏名・性別・住所）を追加してください";
    } else if (code != NULL && strcmp(code, "DS003") == 0) {
        status = ONSHI_E_INFO_NOT_AVAILABLE;
        what_en = "nobody matches the search";
        what_ja = "該当者がいません";
    }
    if (status == 0)
        return onshi__service_check(ctx, res);
    char en[800], ja[800];
    /* The system's own text is shown as is: staff read it. */
    snprintf(en, sizeof en, "%s (ErrorCode %s: %s)", what_en, code, msg ? msg : "");
    snprintf(ja, sizeof ja, "%s（エラーコード %s：%s）", what_ja, code, msg ? msg : "");
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_SYSTEM, atoi(code + 2), en, ja);
}

int onshi__cardx_decode(onshi_msg **out, onshi_ctx *ctx, int type, const onshi_buf *body)
{
    const unsigned char *p = onshi_buf_data(body);
    size_t n = onshi_buf_len(body);
    if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return onshi__msg_from_attachment(out, ctx, type, p, n, onshi_msgtype_prefix(type));
    return onshi_msg_decode(out, ctx, type, p, n);
}
