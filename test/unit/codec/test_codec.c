/* codec: decoding, typed access, encodings, hardening, writing, JSON, bulk streaming. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "codec/codec.h"

#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA "test/data/codec/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* The golden UTF-8 file as CP932 with a Shift_JIS declaration and CharacterCodeIdentifier 1. */
static char *to_cp932(const char *utf8, size_t len, size_t *outlen)
{
    char *tmp = malloc(len + 64);
    assert_non_null(tmp);
    const char *d = strstr(utf8, "encoding=\"UTF-8\"");
    assert_non_null(d);
    size_t pre = (size_t)(d - utf8);
    memcpy(tmp, utf8, pre);
    strcpy(tmp + pre, "encoding=\"Shift_JIS\"");
    strcat(tmp, d + strlen("encoding=\"UTF-8\""));
    char *cci = strstr(tmp, "<CharacterCodeIdentifier>0<");
    if (cci)
        cci[25] = '1';
    iconv_t cd = iconv_open("CP932", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(tmp), ol = il + 16;
    char *out = malloc(ol), *in = tmp, *o = out;
    assert_int_not_equal(iconv(cd, &in, &il, &o, &ol), (size_t)-1);
    iconv_close(cd);
    *outlen = (size_t)(o - out);
    free(tmp);
    return out;
}

static onshi_ctx *ctx_new(void)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    return ctx;
}

static const char *get(onshi_group *g, int f)
{
    const char *s = NULL;
    assert_int_equal(onshi_group_get_str(&s, g, f), ONSHI_OK);
    return s;
}

/* ---- check digits ---------------------------------------------------------------------- */

static void test_check_digits(void **state)
{
    (void)state;
    /* domain-rules.md worked examples */
    assert_int_equal(onshi_insurer_number_check("01130012"), ONSHI_OK);
    /* the worked example of MHLW's 保険者番号設定要領 as quoted publicly (docs/codec.md) */
    assert_int_equal(onshi_insurer_number_check("33120015"), ONSHI_OK);
    assert_int_equal(onshi_insurer_number_check("33120014"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_insurer_number_check("39131156"), ONSHI_OK);
    assert_int_equal(onshi_insurer_number_check("131011"), ONSHI_OK);
    assert_int_equal(onshi_insurer_number_check("  131011"), ONSHI_OK);
    assert_int_equal(onshi_insurer_number_check("00131011"), ONSHI_OK);
    assert_int_equal(onshi_insurer_number_check("01130013"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_insurer_number_check("39131155"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_insurer_number_check("131012"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_insurer_number_check("1311"), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(onshi_insurer_number_check("0113001X"), ONSHI_E_FIELD_FORMAT);
    /* every single-digit change of a valid number is caught */
    char n[9] = "39131156";
    for (int i = 0; i < 8; i++)
        for (char c = '0'; c <= '9'; c++) {
            char save = n[i];
            if (c == save)
                continue;
            n[i] = c;
            assert_int_equal(onshi_insurer_number_check(n), ONSHI_E_CHECK_DIGIT);
            n[i] = save;
        }
    assert_int_equal(onshi_public_expense_number_check("12130019"), ONSHI_OK);
    assert_int_equal(onshi_public_expense_number_check("12130018"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_public_expense_number_check("131011"), ONSHI_E_FIELD_FORMAT);
    /* real codes and the rule table: test/unit/core/test_numbers.c */
    assert_int_equal(onshi_institution_code_check("1311234566"), ONSHI_OK); /* 東京: 6 digits */
    assert_int_equal(onshi_institution_code_check("1311234569"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_institution_code_check("0110113719"), ONSHI_OK); /* cited example */
    assert_int_equal(onshi_institution_code_check("4741234563"), ONSHI_OK);
    assert_int_equal(onshi_institution_code_check("0110113718"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_institution_code_check("1311234567"), ONSHI_E_CHECK_DIGIT);
    assert_int_equal(onshi_institution_code_check("4821234567"), ONSHI_E_FIELD_FORMAT); /* pref 48 */
    assert_int_equal(onshi_institution_code_check("0011234567"), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(onshi_institution_code_check("1321234567"), ONSHI_E_FIELD_FORMAT); /* 点数表 2 */
    assert_int_equal(onshi_institution_code_check("131123456"), ONSHI_E_FIELD_FORMAT);
}

/* ---- code tables -------------------------------------------------------------------------- */

static void test_code_tables(void **state)
{
    (void)state;
    /* Wording as the public sources give it (codes.def header, docs/codec.md) */
    assert_string_equal(onshi_code_label(lang_ctx(1), 13, "1"), "人工透析を必要とする慢性腎不全");
    assert_string_equal(onshi_code_label(lang_ctx(1), 13, "3"), "血液凝固因子製剤の投与に起因するHIV感染症");
    assert_string_equal(onshi_code_label(lang_ctx(1), 23, "01"), "あり");
    assert_string_equal(onshi_code_label(lang_ctx(1), 27, "1"), "同一個人あり");
    /* OQSCD030-044 (RW OqsFunc) */
    assert_string_equal(onshi_code_label(lang_ctx(1), 30, "1"), "表示する");
    assert_string_equal(onshi_code_label(lang_ctx(1), 31, "2"), "患者による同意取り消し");
    assert_string_equal(onshi_code_label(lang_ctx(1), 33, "3"), "オンライン診療等");
    assert_non_null(strstr(onshi_code_label(lang_ctx(1), 36, "SRJ"), "診療情報"));
    assert_string_equal(onshi_code_label(lang_ctx(0), 38, "2"), "electronic and paper prescriptions");
    assert_string_equal(onshi_code_label(lang_ctx(1), 39, "2"), "資格確認時に確認する");
    assert_string_equal(onshi_code_label(lang_ctx(1), 40, "1"), "救急用サマリー");
    assert_string_equal(onshi_code_label(lang_ctx(1), 41, "3"), "物理媒体");
    assert_non_null(strstr(onshi_code_label(lang_ctx(1), 42, "02"), "顔認証"));
    assert_string_equal(onshi_code_label(lang_ctx(1), 43, "0"), "権限なし");
    assert_string_equal(onshi_code_label(lang_ctx(1), 44, "8"), "介護保険");
    assert_null(onshi_code_label(lang_ctx(1), 44, "3"));
    for (int t = 1; t <= 44; t++) {
        bool seen = false;
        for (size_t i = 0; i < onshi__code_count() && !seen; i++) {
            int tt;
            const char *v, *ja, *en;
            onshi__code_at(i, &tt, &v, &ja, &en);
            seen = tt == t;
        }
        if (!seen)
            print_error("OQSCD%03d has no values\n", t);
        assert_true(seen);
    }
    /* Every value of every table has both labels and validates on a field of its table. */
    for (size_t i = 0; i < onshi__code_count(); i++) {
        int t;
        const char *v, *ja, *en;
        onshi__code_at(i, &t, &v, &ja, &en);
        assert_string_equal(onshi_code_label(lang_ctx(1), t, v), ja);
        assert_string_equal(onshi_code_label(lang_ctx(0), t, v), en);
        assert_true(strlen(ja) > 0 && strlen(en) > 0);
        for (int f = 100; f < 1000; f++) {
            const onshi__field *fd = onshi__field_by_id(f, -1);
            if (fd == NULL || fd->table != t)
                continue;
            const char *why;
            assert_int_equal(onshi__value_check(fd, v, &why), ONSHI_OK);
            assert_int_equal(onshi__value_check(fd, "ZZ9", &why), ONSHI_E_CODE_VALUE);
        }
    }
    assert_string_equal(onshi_code_label(lang_ctx(1), 12, "A03"), "ウ");
    assert_string_equal(onshi_code_label(lang_ctx(0), 6, "5"), "several matches");
    assert_null(onshi_code_label(lang_ctx(1), 6, "7"));
    assert_null(onshi_code_label(lang_ctx(1), 99, "1"));
    assert_int_equal(onshi_field_code_table(ONSHI_F_SEX1), 7);
    assert_string_equal(onshi_field_name(ONSHI_F_STATUS_OF_INFECTION), "StatusOfInfecton");
}

/* ---- decoding the golden single result ------------------------------------------------------ */

static void check_single_result(onshi_msg *m)
{
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_QUAL_RES);
    onshi_group *h = onshi_msg_header(m), *b = onshi_msg_body(m), *r, *g;
    assert_string_equal(get(h, ONSHI_F_SEGMENT_OF_RESULT), "1");
    const char *l;
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), h, ONSHI_F_REFERENCE_CLASSIFICATION), ONSHI_OK);
    assert_string_equal(l, "被保険者証情報");
    assert_int_equal(onshi_group_count(b, ONSHI_G_RESULT), 3);
    assert_int_equal(onshi_group_count(b, ONSHI_G_SEARCH), 1);
    assert_int_equal(onshi_group_at(&g, b, ONSHI_G_SEARCH, 0), ONSHI_OK);
    assert_string_equal(get(g, ONSHI_F_SEARCH_INSURER_NUMBER), "138016");
    assert_int_equal(onshi_group_at(&r, b, ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_string_equal(get(r, ONSHI_F_INSURER_NUMBER), "138016"); /* padding removed */
    assert_string_equal(get(r, ONSHI_F_INSURED_BRANCH_NUMBER), "01");
    assert_string_equal(get(r, ONSHI_F_NAME), "見本　花子");
    assert_string_equal(get(r, ONSHI_F_NAME_KANA), "ﾐﾎﾝ ﾊﾅｺ");
    assert_string_equal(get(r, ONSHI_F_INSURED_CARD_SYMBOL), "１２－３４");
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), r, ONSHI_F_SEX1), ONSHI_OK);
    assert_string_equal(l, "女");
    int64_t v;
    assert_int_equal(onshi_group_get_int(&v, r, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO), ONSHI_OK);
    assert_int_equal(v, 30);
    assert_int_equal(onshi_group_get_str(&l, r, ONSHI_F_DISQUALIFICATION_DATE), ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi_group_get_str(&l, r, ONSHI_F_SEGMENT_OF_RESULT), ONSHI_E_FIELD_ID);
    assert_int_equal(onshi_group_count(r, ONSHI_G_DISEASE), 2);
    assert_int_equal(onshi_group_at(&g, r, ONSHI_G_DISEASE, 1), ONSHI_OK);
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(0), g, ONSHI_F_DISEASE_CATEGORY), ONSHI_OK);
    assert_string_equal(l, "congenital coagulation factor VIII/IX disorder");
    assert_int_equal(onshi_group_at(&g, r, ONSHI_G_LIMIT, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), g, ONSHI_F_LIMIT_CLASSIFICATION_FLAG), ONSHI_OK);
    assert_string_equal(l, "ウ");
    assert_int_equal(onshi_group_at(&g, r, ONSHI_G_ELDERLY, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_int(&v, g, ONSHI_F_ELDERLY_CONTRIB_RATIO), ONSHI_OK);
    assert_int_equal(v, 20);
    assert_string_equal(get(r, ONSHI_F_PHARMACISTS_AVAILABLE_TIME), "20250215093004");
    assert_string_equal(get(r, ONSHI_F_PRESCRIPTION_ISSUE_SELECT), "1");
    assert_int_equal(onshi_group_at(&r, b, ONSHI_G_RESULT, 1), ONSHI_OK);
    assert_string_equal(get(r, ONSHI_F_NAME), "髙﨑　①子");
    /* warnings: 髙 﨑 ① outside JIS X 0208, 德 (JIS X 0212), 〓 replacement mark */
    assert_int_equal(onshi_msg_warning_count(m), 5);
    int kind;
    const char *path, *text;
    assert_int_equal(onshi_msg_warning_at(&kind, &path, &text, m, 3), ONSHI_OK);
    assert_int_equal(kind, ONSHI_WARN_NOT_JIS_X0208);
    assert_string_equal(path, "MessageBody/ResultList/ResultOfQualificationConfirmation[2]/Name");
    assert_non_null(strstr(text, "U+5FB7"));
    assert_int_equal(onshi_msg_warning_at(&kind, NULL, NULL, m, 4), ONSHI_OK);
    assert_int_equal(kind, ONSHI_WARN_REPLACEMENT_CHAR);
    assert_int_equal(onshi_msg_warning_at(&kind, NULL, NULL, m, 5), ONSHI_E_NOT_FOUND);
}

static void test_decode_utf8(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    size_t n;
    char *x = slurp(DATA "OQSsiquc01res_202501150001.xml", &n);
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, x, n), ONSHI_OK); /* type from content */
    check_single_result(m);
    onshi_msg_free(m);
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSsiquc01res_202501150001.xml"),
                     ONSHI_OK);
    check_single_result(m);
    onshi_msg_free(m);
    free(x);
    onshi_ctx_free(ctx);
}

static void test_decode_cp932(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    size_t n, cn;
    char *x = slurp(DATA "OQSsiquc01res_202501150001.xml", &n);
    char *c = to_cp932(x, n, &cn);
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, c, cn), ONSHI_OK);
    check_single_result(m); /* 髙﨑①－ survive CP932 */
    onshi_msg_free(m);
    /* No declaration: CharacterCodeIdentifier 1 selects CP932. */
    char *body = strstr(c, "<XmlMsg>");
    assert_int_equal(onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, body, cn - (size_t)(body - c)),
                     ONSHI_OK);
    check_single_result(m);
    onshi_msg_free(m);
    free(c);
    free(x);
    onshi_ctx_free(ctx);
}

static void test_decode_face_welfare(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode_file(&m, ctx,
                     DATA "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml"),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_FACE_RES);
    onshi_group *b = onshi_msg_body(m), *r, *t;
    assert_string_equal(get(b, ONSHI_F_BODY_PRESCRIPTION_ISSUE_SELECT), "2");
    assert_int_equal(onshi_group_at(&r, b, ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_string_equal(get(r, ONSHI_F_PUBLIC_EXPENSE_NUMBER), "12130019");
    assert_string_equal(get(r, ONSHI_F_WELFARE_OFFICE_NAME), "見本福祉事務所");
    assert_int_equal(onshi_group_count(r, ONSHI_G_TICKET), 1);
    assert_int_equal(onshi_group_at(&t, r, ONSHI_G_TICKET, 0), ONSHI_OK);
    const char *l;
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), t, ONSHI_F_TICKET_TYPE), ONSHI_OK);
    assert_string_equal(l, "医療券");
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), t, ONSHI_F_MEDICAL_TREATMENT_TYPE), ONSHI_OK);
    assert_string_equal(l, "入院外");
    assert_string_equal(get(t, ONSHI_F_STATUS_OF_INFECTION), "02");
    assert_string_equal(get(t, ONSHI_F_INJURY_NAME3), "");
    assert_string_equal(get(t, ONSHI_F_TICKET_TREATMENT_MONTH), "202501");
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

static void test_decode_other_types(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m;
    onshi_group *b, *g, *d, *x;
    /* drug information: three sources with their own element names, one set of field ids */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "YZKsiquc01res_202501150005.xml"),
                     ONSHI_OK);
    b = onshi_msg_body(m);
    assert_int_equal(onshi_group_count(b, ONSHI_G_DRUG_MONTH), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(onshi_group_at(&g, b, ONSHI_G_DRUG_MONTH, i), ONSHI_OK);
        assert_string_equal(get(g, ONSHI_F_DRUG_MONTH_MONTH), "202412");
        assert_int_equal(onshi_group_at(&d, g, ONSHI_G_DRUG_DATE, 0), ONSHI_OK);
        assert_string_equal(get(d, ONSHI_F_DRUG_DATE_DI_DATE), "20241210");
        assert_int_equal(onshi_group_at(&x, d, ONSHI_G_DRUG, 0), ONSHI_OK);
        assert_string_equal(get(x, ONSHI_F_DRUG_NAME), "見本錠５ｍｇ");
    }
    assert_int_equal(onshi_group_at(&g, onshi_msg_header(m), ONSHI_G_DRUG_PATIENT, 0), ONSHI_OK);
    assert_string_equal(get(g, ONSHI_F_DRUG_PATIENT_KANA_NAME), "ﾐﾎﾝ ﾊﾅｺ");
    onshi_msg_free(m);
    /* checkup */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "TKKsiquc01res_202501150006.xml"),
                     ONSHI_OK);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_CHECKUP, 0), ONSHI_OK);
    assert_int_equal(onshi_group_count(g, ONSHI_G_CHECKUP_ITEM), 2);
    assert_int_equal(onshi_group_at(&x, g, ONSHI_G_CHECKUP_ITEM, 1), ONSHI_OK);
    assert_string_equal(get(x, ONSHI_F_CHECKUP_DATA_VALUE), "55.0");
    onshi_msg_free(m);
    /* error result */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSsiquc01res_202501150009.xml"),
                     ONSHI_OK);
    assert_string_equal(get(onshi_msg_header(m), ONSHI_F_SEGMENT_OF_RESULT), "9");
    assert_string_equal(get(onshi_msg_header(m), ONSHI_F_ERROR_CODE), "EQS0001");
    onshi_msg_free(m);
    /* PDF and .err pass through as bytes */
    const unsigned char *data;
    size_t len;
    const char *name;
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "YZKsiquc01res_202501150007.pdf"),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(m), ONSHI_MSG_DRUG_RES);
    assert_int_equal(onshi_msg_attachment(&data, &len, &name, m), ONSHI_OK);
    assert_memory_equal(data, "%PDF-", 5);
    assert_string_equal(name, "YZKsiquc01res_202501150007.pdf");
    onshi_msg_free(m);
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSsiquc01req_202501150011.err"),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_attachment(&data, &len, NULL, m), ONSHI_OK);
    assert_non_null(strstr((const char *)data, "XMLの形式"));
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

/* ---- bad input ----------------------------------------------------------------------------- */

static int decode_str(onshi_ctx *ctx, const char *s, onshi_msg **out)
{
    onshi_msg *m = NULL;
    int rc = onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, s, strlen(s));
    if (out)
        *out = m;
    else
        onshi_msg_free(m);
    return rc;
}

#define HDR "<MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader>"

static void test_bad_input(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    const char *msg;
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><a></b></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_MALFORMED);
    msg = onshi_ctx_last_error_message(ctx);
    assert_non_null(strstr(msg, "line 1"));
    int kind;
    int64_t fv;
    onshi_ctx_last_error_foreign(&kind, &fv, ctx);
    assert_int_equal(kind, ONSHI_FOREIGN_LIBXML2);
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ProcessingResultStatus>1</Pro", NULL),
                     ONSHI_E_XML_MALFORMED); /* truncated */
    assert_int_equal(decode_str(ctx, "", NULL), ONSHI_E_XML_MALFORMED);
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\"?>\n<!DOCTYPE XmlMsg SYSTEM \"http://example.invalid/x.dtd\">"
                                     "<XmlMsg>" HDR "<MessageBody/></XmlMsg>", NULL), ONSHI_E_XML_DTD);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "byte 22"));
    /* billion laughs */
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                                     "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                                     "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                                     "<XmlMsg>" HDR "<MessageBody><ErrorMessage>&lol3;</ErrorMessage></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_DTD);
    /* a DOCTYPE after a long prolog is still refused by the reader */
    {
        size_t pad = 20000;
        char *s = malloc(pad + 200);
        strcpy(s, "<?xml version=\"1.0\"?><!--");
        memset(s + strlen(s), 'x', pad);
        strcpy(s + 25 + pad, "--><!DOCTYPE XmlMsg><XmlMsg>" HDR "<MessageBody/></XmlMsg>");
        assert_int_equal(decode_str(ctx, s, NULL), ONSHI_E_XML_DTD);
        free(s);
    }
    /* an entity reference without a DTD */
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ErrorMessage>&xxe;</ErrorMessage></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_MALFORMED);
    /* declared UTF-8, bytes Shift_JIS: mismatch with the byte offset */
    const char sj[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg>" HDR
                      "<MessageBody><ErrorMessage>\x8c\xa9\x96\x7b</ErrorMessage></MessageBody></XmlMsg>";
    assert_int_equal(decode_str(ctx, sj, NULL), ONSHI_E_ENCODING_MISMATCH);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "byte 140 (0x8C)"));
    /* declared Shift_JIS, bytes UTF-8 */
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg>" HDR
                                     "<MessageBody><ErrorMessage>見本です</ErrorMessage></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_ENCODING_MISMATCH);
    /* invalid bytes */
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ErrorMessage>\xff\xfe</ErrorMessage></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_ENCODING);
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg>" HDR
                                     "<MessageBody><ErrorMessage>\x85\x40</ErrorMessage></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_ENCODING);
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><XmlMsg/>", NULL), ONSHI_E_ENCODING);
    /* NUL bytes (UCS-4 look-alike): refused, and libxml2 prints nothing on stderr */
    {
        fflush(stderr);
        int saved = dup(2);
        FILE *tmp = tmpfile();
        dup2(fileno(tmp), 2);
        static const char ucs4[] = "\0\0\0<\0\0\0X";
        onshi_msg *m = NULL;
        assert_int_equal(onshi_msg_decode(&m, ctx, 0, ucs4, sizeof ucs4 - 1), ONSHI_E_ENCODING);
        assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><a></b></MessageBody></XmlMsg>", NULL),
                         ONSHI_E_XML_MALFORMED);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        assert_int_equal(ftell(tmp), 0);
        fclose(tmp);
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "line 1"));
    }
    /* oversize */
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 1024), ONSHI_OK);
    {
        char big[3000];
        snprintf(big, sizeof big, "<XmlMsg>" HDR "<MessageBody><ErrorMessage>%02000d</ErrorMessage></MessageBody></XmlMsg>", 0);
        assert_int_equal(decode_str(ctx, big, NULL), ONSHI_E_XML_TOO_LARGE);
    }
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 1 << 20), ONSHI_OK);
    /* deep nesting */
    {
        char deep[2000] = "<XmlMsg>" HDR "<MessageBody>";
        for (int i = 0; i < 40; i++)
            strcat(deep, "<a>");
        for (int i = 0; i < 40; i++)
            strcat(deep, "</a>");
        strcat(deep, "</MessageBody></XmlMsg>");
        assert_int_equal(decode_str(ctx, deep, NULL), ONSHI_E_XML_TOO_DEEP);
    }
    /* not an OQS message */
    assert_int_equal(decode_str(ctx, "<html><body/></html>", NULL), ONSHI_E_UNKNOWN_MESSAGE);
    assert_int_equal(decode_str(ctx, "<XmlMsg><MessageBody/></XmlMsg>", NULL), ONSHI_E_XML_MALFORMED);
    onshi_ctx_free(ctx);
}

static void test_tolerant_reading(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m;
    /* element order free, unknown element kept, unknown code kept and flagged, zero padding */
    assert_int_equal(decode_str(ctx, "<XmlMsg><MessageBody><QualificationValidity>7</QualificationValidity>"
                                     "<ResultList><ResultOfQualificationConfirmation><NewThing>x</NewThing>"
                                     "<InsurerNumber>00138016</InsurerNumber><Birthdate>20250230</Birthdate>"
                                     "</ResultOfQualificationConfirmation></ResultList></MessageBody>"
                                     "<MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader></XmlMsg>", &m),
                     ONSHI_OK);
    onshi_group *b = onshi_msg_body(m), *r;
    assert_string_equal(get(b, ONSHI_F_QUALIFICATION_VALIDITY), "7");
    const char *l;
    assert_int_equal(onshi_group_get_label(&l, lang_ctx(1), b, ONSHI_F_QUALIFICATION_VALIDITY),
                     ONSHI_E_CODE_VALUE);
    assert_int_equal(onshi_group_at(&r, b, ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_string_equal(get(r, ONSHI_F_INSURER_NUMBER), "138016");
    assert_int_equal(onshi_msg_warning_count(m), 2);
    int kind;
    onshi_msg_warning_at(&kind, NULL, NULL, m, 0);
    assert_int_equal(kind, ONSHI_WARN_UNKNOWN_CODE);
    onshi_msg_warning_at(&kind, NULL, NULL, m, 1);
    assert_int_equal(kind, ONSHI_WARN_FORMAT);
    onshi_buf *j;
    assert_int_equal(onshi_msg_to_json(&j, ctx, m), ONSHI_OK);
    assert_non_null(strstr((const char *)onshi_buf_data(j), "\"NewThing\""));
    onshi_buf_free(j);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

/* ---- writing ---------------------------------------------------------------------------------- */

static onshi_msg *build_qual_req(void)
{
    onshi_msg *m;
    onshi_group *s;
    assert_int_equal(onshi_msg_new(&m, ONSHI_MSG_QUAL_REQ), ONSHI_OK);
    onshi_group *h = onshi_msg_header(m);
    /* set out of order on purpose: the writer uses the documented order */
    assert_int_equal(onshi_group_set_str(h, ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234569"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(h, ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, "20250115"), ONSHI_OK);
    assert_int_equal(onshi_group_add(&s, onshi_msg_body(m), ONSHI_G_SEARCH), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800401"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "138016"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "髙﨑①－"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "567"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, "01"), ONSHI_OK);
    return m;
}

static void test_encode(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m = build_qual_req(), *back;
    onshi_buf *out;
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, ONSHI_ENC_UTF8); /* default is CP932 */
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_OK);
    const char *x = (const char *)onshi_buf_data(out);
    assert_non_null(strstr(x, "encoding=\"UTF-8\""));
    assert_non_null(strstr(x, "<InsurerNumber>  138016</InsurerNumber>"));
    assert_true(strstr(x, "<QualificationConfirmationDate>") < strstr(x, "<MedicalInstitutionCode>"));
    assert_true(strstr(x, "<InsurerNumber>") < strstr(x, "<Birthdate>"));
    assert_int_equal(onshi_msg_decode(&back, ctx, 0, onshi_buf_data(out), onshi_buf_len(out)),
                     ONSHI_OK);
    assert_int_equal(onshi_msg_type(back), ONSHI_MSG_QUAL_REQ);
    onshi_msg_free(back);
    onshi_buf_free(out);
    /* CP932: the characters survive the round trip */
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, ONSHI_ENC_CP932);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_OK);
    assert_non_null(strstr((const char *)onshi_buf_data(out), "encoding=\"Shift_JIS\""));
    {
        const unsigned char *p = onshi_buf_data(out);
        size_t len = onshi_buf_len(out), k;
        for (k = 0; k + 8 <= len && memcmp(p + k, "\xfb\xfc\xfa\xb1\x87\x40\x81\x7c", 8) != 0; k++)
            ;
        assert_true(k + 8 <= len); /* 髙﨑①－ in CP932 */
    }
    assert_int_equal(onshi_msg_decode(&back, ctx, 0, onshi_buf_data(out), onshi_buf_len(out)),
                     ONSHI_OK);
    onshi_group *s;
    assert_int_equal(onshi_group_at(&s, onshi_msg_body(back), ONSHI_G_SEARCH, 0), ONSHI_OK);
    assert_string_equal(get(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL), "髙﨑①－");
    onshi_msg_free(back);
    onshi_buf_free(out);
    /* unencodable character: error names the field and the character, nothing written */
    assert_int_equal(onshi_group_set_str(s = NULL, 0, NULL), ONSHI_E_INVALID_ARG);
    assert_int_equal(onshi_group_at(&s, onshi_msg_body(m), ONSHI_G_SEARCH, 0), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "𠮷田"), ONSHI_OK);
    out = (onshi_buf *)1;
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_E_UNENCODABLE);
    assert_null(out);
    const char *e = onshi_ctx_last_error_message(ctx);
    assert_non_null(strstr(e, "InsuredCardSymbol"));
    assert_non_null(strstr(e, "U+20BB7"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "ja");
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "送信できない文字"));
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, ONSHI_ENC_UTF8);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_OK); /* fine in UTF-8 */
    onshi_buf_free(out);
    /* check digit before writing, naming the field */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "138017"), ONSHI_OK);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_E_CHECK_DIGIT);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "InsurerNumber"));
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "138016"), ONSHI_OK);
    /* an empty optional element is written as such */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, ""), ONSHI_OK);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_OK);
    assert_non_null(strstr((const char *)onshi_buf_data(out), "<InsuredBranchNumber></InsuredBranchNumber>"));
    onshi_buf_free(out);
    /* missing mandatory field */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, NULL), ONSHI_OK);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_E_FIELD_MISSING);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "Birthdate"));
    /* formats refused when set */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800231"), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, "1"), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "123456789012345678901"), ONSHI_E_FIELD_LENGTH);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_NAME, "x"), ONSHI_E_FIELD_ID);
    /* a field of another request is refused by the layout */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800401"), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_CONSENT_DATE_FROM, "20250101"), ONSHI_OK);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_E_FIELD_ID);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_CONSENT_DATE_FROM, NULL), ONSHI_OK);
    /* unknown code value */
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_LIMIT_CONS_FLG, "7"), ONSHI_OK);
    assert_int_equal(onshi_msg_encode(&out, ctx, m), ONSHI_E_CODE_VALUE);
    assert_int_equal(onshi_group_set_str(s, ONSHI_F_SEARCH_LIMIT_CONS_FLG, "1"), ONSHI_OK);
    /* institution: the shape (10 digits) is the codec's; its check digit, prefecture and
     * 点数表 are the central system's to judge, so the codec writes them (a local warning
     * comes from the option and the workflows, test_numbers.c) */
    assert_int_equal(onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, "131123456"), ONSHI_E_FIELD_FORMAT);
    assert_int_equal(onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234567"), ONSHI_OK);
    assert_int_equal(onshi_msg_validate(ctx, m), ONSHI_OK);
    assert_int_equal(onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234569"), ONSHI_OK);
    assert_int_equal(onshi_msg_validate(ctx, m), ONSHI_OK);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

/* Every golden request and result: decode → JSON → build → encode (UTF-8 and CP932) → decode
 * gives the same JSON. */
static void test_round_trips(void **state)
{
    (void)state;
    static const char *const files[] = {
        "OQSsiquc01req_202501150001.xml", "OQSsiquc01res_202501150001.xml",
        "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml",
        "OQSsiquc01res_202501150009.xml", "OQSsiquc01res_202501150010.xml",
        "OQSsiimm01req_202501150002.xml", "OQSsiimm01res_202501150002.xml",
        "OQSmuquc01req_202501150002.xml", "OQSmuquc01res_202501150002.xml",
        "OQSmuquc02req_202501150003.xml", "OQSmuquc02res_202501150003.xml",
        "OQSmuquc02res_202501150004.xml", "OQSmuimm01req_202501150002.xml",
        "OQSmuimm01res_202501150002.xml", "OQSmuimm02req_202501150003.xml",
        "OQSmuimm02res_202501150003.xml", "OQSmutic01req_202501150002.xml",
        "OQSmutic01res_202501150002.xml", "OQSmutic02req_202501150003.xml",
        "OQSmutic02res_202501150003.xml", "OQSmuhvq01req_202501150002.xml",
        "OQSmuhvq01res_202501150002.xml", "OQSmuhvq02req_202501150003.xml",
        "OQSmuhvq02res_202501150003.xml", "OQSmuonq01req_202501150002.xml",
        "OQSmuonq01res_202501150002.xml", "OQSmuonq02req_202501150003.xml",
        "OQSmuonq02res_202501150003.xml", "YZKsiquc01req_202501150005.xml",
        "YZKsiquc01res_202501150005.xml", "TKKsiquc01req_202501150006.xml",
        "TKKsiquc01res_202501150006.xml", "YZKsiquc01res_202501150013.xml",
        "OQSsiquc01res_202501150014.xml", "OQSmuquc02res_202501150015.xml",
    };
    onshi_ctx *ctx = ctx_new();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "%s", files[i]);
        onshi_msg *m, *j, *back;
        assert_int_equal(onshi_msg_decode_file(&m, ctx, path), ONSHI_OK);
        assert_int_equal(onshi_msg_type(m), onshi_msgtype_from_filename(files[i]));
        /* the content alone leads to the same family of type */
        size_t n;
        char *raw = slurp(path, &n);
        assert_int_equal(onshi_msg_decode(&back, ctx, 0, raw, n), ONSHI_OK);
        onshi_msg_free(back);
        onshi_buf *js, *js2, *xml;
        assert_int_equal(onshi_msg_to_json(&js, ctx, m), ONSHI_OK);
        assert_int_equal(onshi_msg_from_json(&j, ctx, onshi_msg_type(m),
                         (const char *)onshi_buf_data(js), onshi_buf_len(js)), ONSHI_OK);
        for (int enc = ONSHI_ENC_UTF8; enc <= ONSHI_ENC_CP932; enc++) {
            onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, enc);
            if (onshi_msg_encode(&xml, ctx, j) != ONSHI_OK)
                fail_msg("%s: %s", files[i], onshi_ctx_last_error_message(ctx));
            assert_int_equal(onshi_msg_decode(&back, ctx, onshi_msg_type(m), onshi_buf_data(xml),
                             onshi_buf_len(xml)), ONSHI_OK);
            assert_int_equal(onshi_msg_to_json(&js2, ctx, back), ONSHI_OK);
            /* Warnings may differ (a CP932 copy of a result that says CharacterCodeIdentifier 0
             * is flagged); the message itself must not. */
            if (strcmp(strstr((const char *)onshi_buf_data(js), "\"XmlMsg\""),
                       strstr((const char *)onshi_buf_data(js2), "\"XmlMsg\"")) != 0) {
                FILE *f1 = fopen("/tmp/js1", "w"), *f2 = fopen("/tmp/js2", "w");
                fputs((const char *)onshi_buf_data(js), f1);
                fputs((const char *)onshi_buf_data(js2), f2);
                fclose(f1);
                fclose(f2);
                fail_msg("%s (enc %d): JSON differs", files[i], enc);
            }
            onshi_buf_free(js2);
            onshi_buf_free(xml);
            onshi_msg_free(back);
        }
        /* and the CP932 form of the golden file decodes to the same objects */
        size_t cn;
        char *c = to_cp932(raw, n, &cn);
        assert_int_equal(onshi_msg_decode(&back, ctx, onshi_msg_type(m), c, cn), ONSHI_OK);
        assert_int_equal(onshi_msg_to_json(&js2, ctx, back), ONSHI_OK);
        /* CharacterCodeIdentifier differs (0 → 1) in the converted copy: compare bodies */
        const char *b1 = strstr((const char *)onshi_buf_data(js), "\"MessageBody\"");
        const char *b2 = strstr((const char *)onshi_buf_data(js2), "\"MessageBody\"");
        assert_non_null(b1);
        assert_non_null(b2);
        assert_string_equal(b1, b2);
        onshi_buf_free(js2);
        onshi_msg_free(back);
        free(c);
        free(raw);
        onshi_buf_free(js);
        onshi_msg_free(j);
        onshi_msg_free(m);
    }
    onshi_ctx_free(ctx);
}

/* Layouts public production tools read or write (issue 11): the 診療情報 block of drug
 * information, several ReferenceNumber per BulkConfirmUnit, the 2025 consent items, and the
 * OQSmutic01req month inside QualificationConfirmSearchInfo (both forms read). */
static void test_production_layouts(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m = NULL;
    const char *v = NULL;
    onshi_group *g = NULL, *d = NULL, *c = NULL;
    /* drug: DiDateInf/MeTrInfs/MeTrInf */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "YZKsiquc01res_202501150013.xml"), ONSHI_OK);
    assert_int_equal(onshi_msg_warning_count(m), 0);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_DRUG_MONTH, 0), ONSHI_OK);
    assert_int_equal(onshi_group_at(&d, g, ONSHI_G_DRUG_DATE, 0), ONSHI_OK);
    assert_int_equal(onshi_group_count(d, ONSHI_G_DRUG_CARE), 2);
    assert_int_equal(onshi_group_count(d, ONSHI_G_DRUG), 1);
    assert_int_equal(onshi_group_at(&c, d, ONSHI_G_DRUG_CARE, 1), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_NAME), ONSHI_OK);
    assert_string_equal(v, "処方箋料");
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_CODE), ONSHI_OK);
    assert_string_equal(v, "120002910");
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_CLASS), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_QUANTITY), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_TIMES), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, c, ONSHI_F_DRUG_CARE_UNIT), ONSHI_OK);
    assert_string_equal(v, "回");
    onshi_msg_free(m);
    /* 2025 consent items */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSsiquc01res_202501150014.xml"), ONSHI_OK);
    assert_int_equal(onshi_msg_warning_count(m), 0);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_RESULT, 0), ONSHI_OK);
    static const int cons[] = {ONSHI_F_DIAGNOSIS_NAME_CONS_FLG, ONSHI_F_INFECTIOUS_CONS_FLG,
                               ONSHI_F_ALLERGY_CONS_FLG, ONSHI_F_CONTRAINDICATION_CONS_FLG,
                               ONSHI_F_PRESCRIPTION_INFO_CONS_FLG};
    for (size_t i = 0; i < sizeof cons / sizeof cons[0]; i++) {
        assert_int_equal(onshi_group_get_label(&v, lang_ctx(1), g, cons[i]), ONSHI_OK);
        assert_string_equal(v, "同意あり");
    }
    assert_int_equal(onshi_group_get_str(&v, g, ONSHI_F_TEST_CONS_FLG), ONSHI_OK);
    assert_string_equal(v, "0");
    assert_int_equal(onshi_group_get_str(&v, g, ONSHI_F_PRESCRIPTION_INFO_AVAILABLE_TIME), ONSHI_OK);
    assert_string_equal(v, "20250215093004");
    onshi_msg_free(m);
    /* several ReferenceNumber in one unit */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSmuquc02res_202501150015.xml"), ONSHI_OK);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_BULK_UNIT, 1), ONSHI_OK);
    assert_int_equal(onshi_group_count_str(g, ONSHI_F_UNIT_REFERENCE_NUMBER), 2);
    assert_int_equal(onshi_group_get_str_at(&v, g, ONSHI_F_UNIT_REFERENCE_NUMBER, 0), ONSHI_OK);
    assert_string_equal(v, "24432");
    assert_int_equal(onshi_group_get_str_at(&v, g, ONSHI_F_UNIT_REFERENCE_NUMBER, 1), ONSHI_OK);
    assert_string_equal(v, "24435");
    assert_int_equal(onshi_group_get_str_at(&v, g, ONSHI_F_UNIT_REFERENCE_NUMBER, 2),
                     ONSHI_E_NOT_FOUND);
    assert_int_equal(onshi_group_get_str_at(&v, g, ONSHI_F_NAME, 0), ONSHI_E_FIELD_ID);
    assert_int_equal(onshi_group_count_str(g, ONSHI_F_NAME), 0);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_BULK_UNIT, 0), ONSHI_OK);
    assert_int_equal(onshi_group_count_str(g, ONSHI_F_UNIT_REFERENCE_NUMBER), 1);
    onshi_msg_free(m);
    /* OQSmutic01req: written inside QualificationConfirmSearchInfo ... */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSmutic01req_202501150002.xml"), ONSHI_OK);
    assert_int_equal(onshi_group_at(&g, onshi_msg_body(m), ONSHI_G_SEARCH, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, g, ONSHI_F_SEARCH_MEDICAL_TREATMENT_MONTH), ONSHI_OK);
    assert_string_equal(v, "202501");
    assert_int_equal(onshi_msg_validate(ctx, m), ONSHI_OK);
    onshi_msg_free(m);
    /* ... and the body-level form of 0.1 is still read (not written: the layout refuses it) */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSmutic01req_202501150012.xml"), ONSHI_OK);
    assert_int_equal(onshi_msg_warning_count(m), 0);
    assert_int_equal(onshi_group_get_str(&v, onshi_msg_body(m), ONSHI_F_BODY_MEDICAL_TREATMENT_MONTH),
                     ONSHI_OK);
    assert_string_equal(v, "202501");
    assert_int_equal(onshi_msg_validate(ctx, m), ONSHI_E_FIELD_ID);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

/* Every element name public implementers read or write (test/data/element-names.txt, with
 * its sources) is known to the schema. */
static bool schema_knows(const char *name)
{
    if (strcmp(name, "XmlMsg") == 0 || strcmp(name, "MessageHeader") == 0 ||
        strcmp(name, "MessageBody") == 0)
        return true;
    for (int g = 1; g < 64; g++) {
        const onshi__item *items = NULL;
        size_t n = onshi__items(g, &items);
        for (size_t i = 0; i < n; i++) {
            if (items[i].field != NULL && strcmp(items[i].field->elem, name) == 0)
                return true;
            if (items[i].child != NULL &&
                (strcmp(items[i].child->elem, name) == 0 ||
                 (items[i].child->wrapper != NULL && strcmp(items[i].child->wrapper, name) == 0)))
                return true;
        }
    }
    return false;
}

static void test_element_names(void **state)
{
    (void)state;
    FILE *f = fopen("test/data/element-names.txt", "r");
    assert_non_null(f);
    char line[512];
    int names = 0, unknown = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *tab = strchr(line, '\t');
        assert_non_null(tab); /* every name carries its sources */
        *tab = '\0';
        assert_true(strlen(tab + 1) > 3);
        names++;
        if (!schema_knows(line)) {
            print_error("element %s (%s) is not in schema.def\n", line, tab + 1);
            unknown++;
        }
    }
    fclose(f);
    assert_true(names >= 200);
    assert_int_equal(unknown, 0);
    /* and the check can fail */
    assert_false(schema_knows("PharmaceuticalInfoAcquisitionTime"));
}

static void test_json(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_msg *m;
    const char *js = "{\"XmlMsg\":{\"MessageHeader\":{\"MedicalInstitutionCode\":\"1311234569\"},"
                     "\"MessageBody\":{\"ReceptionNumber\":\"R1\",\"Bogus\":\"x\"}}}";
    assert_int_equal(onshi_msg_from_json(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_REQ, js, strlen(js)),
                     ONSHI_E_JSON);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "Bogus"));
    assert_int_equal(onshi_msg_from_json(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_REQ, "{\"a\":", 5),
                     ONSHI_E_JSON);
    js = "{\"MessageHeader\":{\"MedicalInstitutionCode\":\"1311234569\"},\"MessageBody\":{\"ReceptionNumber\":\"R1\"}}";
    assert_int_equal(onshi_msg_from_json(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_REQ, js, strlen(js)),
                     ONSHI_OK);
    onshi_buf *out;
    assert_int_equal(onshi_msg_to_json(&out, ctx, m), ONSHI_OK);
    assert_non_null(strstr((const char *)onshi_buf_data(out), "\"_type\":\t\"OQSmuquc02req\""));
    onshi_buf_free(out);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

/* ---- streaming bulk ---------------------------------------------------------------------------- */

static void test_bulk_stream(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_bulk_reader *br;
    assert_int_equal(onshi_bulk_reader_open(&br, ctx, DATA "OQSmuquc02res_202501150003.xml", 0),
                     ONSHI_OK);
    onshi_group *h = onshi_bulk_reader_header(br), *u, *r;
    assert_string_equal(get(h, ONSHI_F_NUMBER_OF_PROCESSING_RESULT), "3");
    size_t n = 0;
    for (;;) {
        assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_OK);
        if (u == NULL)
            break;
        assert_int_equal(onshi_group_kind(u), ONSHI_G_BULK_UNIT);
        if (n < 2) {
            assert_string_equal(get(u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS), "1");
            assert_int_equal(onshi_group_at(&r, u, ONSHI_G_RESULT, 0), ONSHI_OK);
            assert_string_equal(get(r, ONSHI_F_NAME), "見本　花子");
        } else {
            assert_string_equal(get(u, ONSHI_F_UNIT_PROCESSING_RESULT_CODE), "EQS1234");
        }
        n++;
    }
    assert_int_equal(n, 3);
    assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_OK);
    assert_null(u);
    assert_non_null(onshi_bulk_reader_body(br));
    onshi_bulk_reader_free(br);

    /* a streamed unit exports the same JSON as the same unit of a whole decode */
    {
        onshi_msg *m;
        assert_int_equal(onshi_msg_decode_file(&m, ctx, DATA "OQSmuquc02res_202501150003.xml"),
                         ONSHI_OK);
        assert_int_equal(onshi_bulk_reader_open(&br, ctx, DATA "OQSmuquc02res_202501150003.xml", 0),
                         ONSHI_OK);
        for (size_t i = 0; i < 3; i++) {
            onshi_group *whole;
            onshi_buf *a, *b2;
            assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_OK);
            assert_int_equal(onshi_group_at(&whole, onshi_msg_body(m), ONSHI_G_BULK_UNIT, i),
                             ONSHI_OK);
            assert_int_equal(onshi_group_to_json(&a, ctx, u), ONSHI_OK);
            assert_int_equal(onshi_group_to_json(&b2, ctx, whole), ONSHI_OK);
            assert_string_equal(onshi_buf_data(a), onshi_buf_data(b2));
            assert_non_null(strstr((const char *)onshi_buf_data(a), "\"ProcessingResultStatus\""));
            onshi_buf_free(a);
            onshi_buf_free(b2);
        }
        onshi_bulk_reader_free(br);
        onshi_msg_free(m);
    }

    /* a large generated file: the unit arena stays one chunk (constant memory), warnings are
     * per unit with the unit's index in the path */
    onshi_buf b;
    onshi__buf_init(&b, false);
    onshi__buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>"
                          "<SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>");
    for (int i = 0; i < 2000; i++)
        onshi__buf_printf(&b, "<BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>"
                              "<ResultOfQualificationConfirmation><Name>%s</Name></ResultOfQualificationConfirmation>"
                              "</BulkConfirmUnit>\n", i == 1500 ? "德" : "見本");
    onshi__buf_printf(&b, "</MessageBody></XmlMsg>");
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, b.data, b.len, 0), ONSHI_OK);
    n = 0;
    size_t warned = 0;
    for (;;) {
        assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_OK);
        if (u == NULL)
            break;
        assert_int_equal(onshi__arena_chunks(&u->doc->arena), 1);
        if (onshi_bulk_reader_warning_count(br) > 0) {
            const char *path;
            assert_int_equal(onshi_bulk_reader_warning_at(NULL, &path, NULL, br, 0), ONSHI_OK);
            assert_string_equal(path, "MessageBody/BulkConfirmUnit[1500]/ResultOfQualificationConfirmation[0]/Name");
            warned++;
        }
        n++;
    }
    assert_int_equal(n, 2000);
    assert_int_equal(warned, 1);
    onshi_bulk_reader_free(br);
    /* a broken unit stops the iteration with an error */
    b.len -= 40;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, b.data, b.len, 0), ONSHI_OK);
    int rc;
    do
        rc = onshi_bulk_reader_next(&u, br);
    while (rc == ONSHI_OK && u != NULL);
    assert_int_equal(rc, ONSHI_E_XML_MALFORMED);
    onshi_bulk_reader_free(br);
    onshi__buf_clear(&b);
    onshi_ctx_free(ctx);
}

/* A path handed to the codec is opened like the transport opens res/ files: a symbolic link
 * is not followed and a FIFO does not block (ONSHI_E_IO naming the path). Before issue 12
 * both were read: the link's target decoded, the FIFO's writer's bytes decoded. */
static void fifo_writer(const char *fifo, const char *src)
{
    size_t n;
    char *x = slurp(src, &n);
    int fd = open(fifo, O_WRONLY); /* blocks until a reader opens it */
    if (fd >= 0) {
        ssize_t w = write(fd, x, n);
        (void)w;
        close(fd);
    }
    free(x);
    _exit(0);
}

static void test_safe_open(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    char dir[] = "/tmp/onshi-safeopen-XXXXXX", link_path[128], fifo[128], target[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    assert_non_null(realpath(DATA "OQSmuquc02res_202501150003.xml", target));
    snprintf(link_path, sizeof link_path, "%s/OQSmuquc02res_202501150003.xml", dir);
    snprintf(fifo, sizeof fifo, "%s/OQSmuquc02res_202501150004.xml", dir);
    assert_int_equal(symlink(target, link_path), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    onshi_msg *m = NULL;
    onshi_bulk_reader *br = NULL;
    assert_int_equal(onshi_msg_decode_file(&m, ctx, link_path), ONSHI_E_IO);
    assert_null(m);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), link_path));
    assert_int_equal(onshi_bulk_reader_open(&br, ctx, link_path, 0), ONSHI_E_IO);
    assert_null(br);
    for (int i = 0; i < 2; i++) {
        /* a writer is ready: a reader that opened the FIFO would get a whole message */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            fifo_writer(fifo, target);
        int rc = i == 0 ? onshi_msg_decode_file(&m, ctx, fifo)
                        : onshi_bulk_reader_open(&br, ctx, fifo, 0);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_int_equal(rc, ONSHI_E_IO);
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "not a regular file"));
        assert_null(m);
        assert_null(br);
    }
    /* the real file still decodes */
    assert_int_equal(onshi_msg_decode_file(&m, ctx, target), ONSHI_OK);
    onshi_msg_free(m);
    unlink(link_path);
    unlink(fifo);
    rmdir(dir);
    onshi_ctx_free(ctx);
}

/* ---- linear cost in the number of units (work counter, no clock) ------------------------ */

/* Build a bulk result of n units (one person each, a name outside JIS X 0208 so every unit
 * warns), encode it, decode it, and read every unit, person and name through the public
 * accessors; returns the work (list elements visited) this took. */
static unsigned long long bulk_work(onshi_ctx *ctx, size_t n)
{
    unsigned long long w0 = onshi__work;
    onshi_msg *m;
    assert_int_equal(onshi_msg_new(&m, ONSHI_MSG_BULK_QUAL_DOWN_RES), ONSHI_OK);
    onshi_group *body = onshi_msg_body(m), *u, *r;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(onshi_group_add(&u, body, ONSHI_G_BULK_UNIT), ONSHI_OK);
        assert_int_equal(onshi_group_set_str(u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS, "1"),
                         ONSHI_OK);
        assert_int_equal(onshi_group_add(&r, u, ONSHI_G_RESULT), ONSHI_OK);
        assert_int_equal(onshi_group_set_str(r, ONSHI_F_NAME, "德田　太郎"), ONSHI_OK);
    }
    onshi_buf *xml;
    assert_int_equal(onshi_msg_encode(&xml, ctx, m), ONSHI_OK);
    onshi_msg_free(m);
    assert_int_equal(onshi_msg_decode(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_RES, onshi_buf_data(xml),
                                      onshi_buf_len(xml)),
                     ONSHI_OK);
    onshi_buf_free(xml);
    body = onshi_msg_body(m);
    assert_int_equal(onshi_group_count(body, ONSHI_G_BULK_UNIT), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(onshi_group_at(&u, body, ONSHI_G_BULK_UNIT, i), ONSHI_OK);
        assert_int_equal(onshi_group_count(u, ONSHI_G_RESULT), 1);
        assert_int_equal(onshi_group_at(&r, u, ONSHI_G_RESULT, 0), ONSHI_OK);
        assert_string_equal(get(r, ONSHI_F_NAME), "德田　太郎");
    }
    /* one warning per unit, each with its unit's index in the path, up to the cap of 1000
     * kept warnings per message (then one more that counts the dropped ones) */
    size_t kept = n <= 1000 ? n : 1000;
    assert_int_equal(onshi_msg_warning_count(m), n <= 1000 ? n : kept + 1);
    const char *path;
    assert_int_equal(onshi_msg_warning_at(NULL, &path, NULL, m, kept - 1), ONSHI_OK);
    char want[96];
    snprintf(want, sizeof want, "MessageBody/BulkConfirmUnit[%zu]/", kept - 1);
    assert_non_null(strstr(path, want));
    onshi_msg_free(m);
    return onshi__work - w0;
}

static void test_linear_units(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    unsigned long long small = bulk_work(ctx, 300), big = bulk_work(ctx, 3000);
    /* Linear: 10x the units, about 10x the work. A walk per access (quadratic) is 100x. */
    print_message("work: %llu for 300 units, %llu for 3000 (x%.1f)\n", small, big,
                  (double)big / (double)small);
    assert_true(small > 0);
    assert_true(big < small * 13);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_digits),     cmocka_unit_test(test_code_tables),
        cmocka_unit_test(test_decode_utf8),      cmocka_unit_test(test_decode_cp932),
        cmocka_unit_test(test_decode_face_welfare), cmocka_unit_test(test_decode_other_types),
        cmocka_unit_test(test_bad_input),        cmocka_unit_test(test_tolerant_reading),
        cmocka_unit_test(test_encode),           cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_production_layouts),
        cmocka_unit_test(test_element_names),
        cmocka_unit_test(test_json),             cmocka_unit_test(test_bulk_stream),
        cmocka_unit_test(test_safe_open),
        cmocka_unit_test(test_linear_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
