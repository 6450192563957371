/*
 * PC/SC return codes → libonshi statuses, one table. The codes are the same numbers on
 * PCSC-Lite and Windows WinSCard; the original code is always kept as foreign detail.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "card/card.h"

#include <stdio.h>
#include <string.h>
#include <winscard.h>

#define E(code, status, ja) {(uint32_t)(code), #code, status, ja},
static const onshi__pcsc_errdef pcsc_errors[] = {
    E(SCARD_E_NO_SERVICE, ONSHI_E_CARD_NO_SERVICE,
      "スマートカードサービス（pcscd / Windows Smart Card）が起動していません")
    E(SCARD_E_SERVICE_STOPPED, ONSHI_E_CARD_NO_SERVICE,
      "スマートカードサービスが停止しました")
    E(SCARD_E_NO_READERS_AVAILABLE, ONSHI_E_CARD_NO_READER,
      "カードリーダーが接続されていません")
    E(SCARD_E_UNKNOWN_READER, ONSHI_E_CARD_READER_NOT_FOUND,
      "指定のカードリーダーが見つかりません")
    E(SCARD_E_READER_UNAVAILABLE, ONSHI_E_CARD_READER_NOT_FOUND,
      "カードリーダーが取り外されたか使用できません")
    E(SCARD_E_NO_SMARTCARD, ONSHI_E_CARD_NO_CARD, "カードが置かれていません")
    E(SCARD_W_REMOVED_CARD, ONSHI_E_CARD_REMOVED, "処理中にカードが取り外されました")
    E(SCARD_E_SHARING_VIOLATION, ONSHI_E_CARD_READER_BUSY,
      "別のアプリケーションがカードリーダーを使用中です")
    E(SCARD_E_TIMEOUT, ONSHI_E_CARD_TIMEOUT, "カードの待ち時間を過ぎました")
    E(SCARD_W_RESET_CARD, ONSHI_E_CARD_RESET, "別のアプリケーションがカードをリセットしました")
    E(SCARD_W_UNRESPONSIVE_CARD, ONSHI_E_CARD_UNRESPONSIVE,
      "カードが応答しません。置き直してください")
    E(SCARD_W_UNPOWERED_CARD, ONSHI_E_CARD_UNRESPONSIVE,
      "カードに電源が供給されていません。置き直してください")
    E(SCARD_W_UNSUPPORTED_CARD, ONSHI_E_CARD_UNRESPONSIVE, "カードを認識できません")
    E(SCARD_E_CARD_UNSUPPORTED, ONSHI_E_CARD_UNRESPONSIVE, "カードを認識できません")
    E(SCARD_E_PROTO_MISMATCH, ONSHI_E_CARD_COMM, "カードとの通信方式が合いません")
    E(SCARD_E_NOT_TRANSACTED, ONSHI_E_CARD_COMM, "カードとの通信に失敗しました")
    E(SCARD_F_COMM_ERROR, ONSHI_E_CARD_COMM, "カードリーダーとの通信に失敗しました")
    E(SCARD_E_CANCELLED, ONSHI_E_CANCELLED, "操作が取り消されました")
    E(SCARD_E_NO_MEMORY, ONSHI_E_NOMEM, "メモリが不足しています")
};
#undef E

size_t onshi__pcsc_errdef_count(void)
{
    return sizeof pcsc_errors / sizeof pcsc_errors[0];
}

const onshi__pcsc_errdef *onshi__pcsc_errdef_at(size_t i)
{
    return i < onshi__pcsc_errdef_count() ? &pcsc_errors[i] : NULL;
}

const onshi__pcsc_errdef *onshi__pcsc_errdef_find(uint32_t code)
{
    for (size_t i = 0; i < onshi__pcsc_errdef_count(); i++)
        if (pcsc_errors[i].code == code)
            return &pcsc_errors[i];
    return NULL;
}

int onshi__pcsc_status(uint32_t code)
{
    const onshi__pcsc_errdef *d = onshi__pcsc_errdef_find(code);
    return d ? d->status : ONSHI_E_CARD_PCSC;
}

int onshi__pcsc_err(onshi_ctx *ctx, uint32_t code, const char *call)
{
    const onshi__pcsc_errdef *d = onshi__pcsc_errdef_find(code);
    int status = d ? d->status : ONSHI_E_CARD_PCSC;
    char en[160], ja[400];
    snprintf(en, sizeof en, "%s returned %s (0x%08lX)", call, d ? d->name : "an error",
             (unsigned long)code);
    /* Like the English: which call returned what. The table's hint only when it adds to the
     * status's own text (the message already starts with that). */
    const char *label = onshi__status_str_lang(status, true);
    if (d != NULL && (label == NULL || strcmp(d->ja, label) != 0))
        snprintf(ja, sizeof ja, "%s（%s が %s（0x%08lX）を返しました）", d->ja, call, d->name,
                 (unsigned long)code);
    else
        snprintf(ja, sizeof ja, "%s が %s（0x%08lX）を返しました", call,
                 d ? d->name : "エラー", (unsigned long)code);
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_PCSC, (int64_t)code, en, ja);
}
