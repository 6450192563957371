/*
 * Numbers with a check digit (検証番号): the mod-10 rule shared by 保険者番号, 公費負担者番号
 * and 医療機関コード, and the 医療機関コード rule table (instcode.def). In core so that the
 * option layer can warn when the institution's own code is set, and every layer above uses
 * the same rule.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/core.h"

#include <string.h>

/*
 * 検証番号 (domain rules, "Numbers with check digits"; MHLW's numbering of 保険者番号 and
 * 公費負担者番号, see docs/codec.md for the sources): from the last digit before the check
 * digit backwards, multiply by 2, 1, 2, 1...; add the digits of each product;
 * check = (10 - sum mod 10) mod 10. Examples 01130012, 39131156, 131011.
 */
int onshi__check_digit_expected(const char *d, size_t n)
{
    int sum = 0, w = 2;
    for (size_t i = n - 1; i-- > 0;) {
        int p = (d[i] - '0') * w;
        sum += p / 10 + p % 10;
        w = 3 - w;
    }
    return (10 - sum % 10) % 10;
}

int onshi__check_digit_ok(const char *d, size_t n)
{
    return n >= 2 && onshi__check_digit_expected(d, n) == d[n - 1] - '0';
}

enum { FULL = 1, LOCAL = 2, EITHER = 3 };

static const struct {
    unsigned char ika, other;
} icd_rule[48] = {
#define ICD(pref, ika_rule, other_rule, n2025, n2022) [pref] = {ika_rule, other_rule},
#include "core/instcode.def"
#undef ICD
};

/* 点数表 classes of institutions that use オン資: 1 医科, 3 歯科, 4 調剤, 6 訪問看護
 * (MHLW 電子処方箋 CDA 規格 別表22 「点数表番号」; the same values as the receipt 記録条件仕様). */
static bool known_class(char c)
{
    return c == '1' || c == '3' || c == '4' || c == '6';
}

int onshi__institution_code_check(const char *code, const char **en, const char **ja)
{
    static const char *fmt_en = "not 10 digits", *fmt_ja = "10桁の数字ではありません";
    *en = NULL;
    *ja = NULL;
    if (code == NULL)
        return ONSHI_E_INVALID_ARG;
    size_t n = strlen(code);
    bool digits = n == 10;
    for (size_t i = 0; digits && i < n; i++)
        digits = code[i] >= '0' && code[i] <= '9';
    if (!digits) {
        *en = fmt_en;
        *ja = fmt_ja;
        return ONSHI_E_FIELD_FORMAT;
    }
    int pref = (code[0] - '0') * 10 + (code[1] - '0');
    if (pref < 1 || pref > 47) {
        *en = "digits 1-2 (都道府県番号) are not a prefecture 01-47";
        *ja = "1〜2桁目（都道府県番号）が01〜47ではありません";
        return ONSHI_E_FIELD_FORMAT;
    }
    if (!known_class(code[2])) {
        *en = "digit 3 (点数表番号) is not 1 医科, 3 歯科, 4 調剤 or 6 訪問看護";
        *ja = "3桁目（点数表番号）が 1 医科・3 歯科・4 調剤・6 訪問看護 のいずれでもありません";
        return ONSHI_E_FIELD_FORMAT;
    }
    int rule = code[2] == '1' ? icd_rule[pref].ika : icd_rule[pref].other;
    bool ok = ((rule & FULL) && onshi__check_digit_ok(code, 10)) ||
              ((rule & LOCAL) && onshi__check_digit_ok(code + 3, 7));
    if (ok)
        return ONSHI_OK;
    *en = "digit 10 (検証番号) does not match the check-digit rule of its prefecture";
    *ja = "10桁目（検証番号）がその都道府県の検証番号の規則と一致しません";
    return ONSHI_E_CHECK_DIGIT;
}

ONSHI_API int ONSHI_CALL onshi_institution_code_check(const char *code)
{
    const char *en, *ja;
    return onshi__institution_code_check(code, &en, &ja);
}

int onshi__institution_code_warn(const onshi_ctx *ctx, const char *code)
{
    const char *en, *ja;
    int rc = onshi__institution_code_check(code, &en, &ja);
    if (rc != ONSHI_OK && en != NULL)
        onshi__log(ctx, ONSHI_LOG_WARN, "config",
                   "medical_institution_code %s: %s; it is still sent, the central system decides "
                   "(check the code on the 保険医療機関指定通知書) / 医療機関コード %s：%s。"
                   "送信は行います（判定は中央システム。指定通知書の番号を確認してください）",
                   code, en, code, ja);
    return rc;
}
