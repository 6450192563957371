/*
 * codec: a patient's name does not outlive the objects that hold it. The program replaces
 * free() (and realloc(), which frees a moved block) with versions that look inside every
 * block before it goes back to the C library; a block that still holds the name counts.
 * Decoding (UTF-8 and CP932), the JSON export and the JSON import, then freeing everything,
 * must leave no such block: message trees, decoded strings, libxml2's and cJSON's buffers and
 * the JSON text are wiped on free. (Before issue 12: 7 copies at exit in the reviewer's run.)
 * Not under AddressSanitizer, which owns malloc itself.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <onshi.h>

#include <iconv.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_INTERPOSE 1
#endif
#endif

#ifndef NO_INTERPOSE
/* The name looked for, in UTF-8 and in CP932 (ワイプ 試験子, made up). */
static const char name_utf8[] = "ワイプ　試験子";
static char name_cp932[64];
static size_t name_cp932_len;
static volatile int scanning;
static int hits_utf8, hits_cp932;

/* Under valgrind memcheck the scan reads the unused tail of blocks: tell it those bytes are
 * looked at on purpose (the block is being freed anyway). */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);

static void look(void *p)
{
    if (!scanning || p == NULL)
        return;
    size_t n = malloc_usable_size(p);
    VALGRIND_MAKE_MEM_DEFINED(p, n);
    if (memmem(p, n, name_utf8, sizeof name_utf8 - 1) != NULL)
        hits_utf8++;
    if (name_cp932_len && memmem(p, n, name_cp932, name_cp932_len) != NULL)
        hits_cp932++;
}

void free(void *p)
{
    look(p);
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    if (p == NULL)
        return __libc_malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    /* Always moves, so the old block is looked at the way a growing realloc frees it. */
    void *q = __libc_malloc(n);
    if (q == NULL)
        return NULL;
    size_t have = malloc_usable_size(p);
    memcpy(q, p, have < n ? have : n);
    free(p);
    return q;
}

/* A qualification result naming the patient (UTF-8; converted for the CP932 case). */
static const char result_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<XmlMsg><MessageHeader><ProcessExecutionTime>20250115093004</ProcessExecutionTime>"
    "<QualificationConfirmationDate>20250115</QualificationConfirmationDate>"
    "<MedicalInstitutionCode>1311234569</MedicalInstitutionCode>"
    "<ReferenceClassification>2</ReferenceClassification><SegmentOfResult>1</SegmentOfResult>"
    "<CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader><MessageBody>"
    "<ProcessingResultStatus>1</ProcessingResultStatus>"
    "<QualificationValidity>1</QualificationValidity><ResultList>"
    "<ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>"
    "<InsurerNumber>  138016</InsurerNumber><InsuredIdentificationNumber>1234</InsuredIdentificationNumber>"
    "<InsuredBranchNumber>01</InsuredBranchNumber><Name>ワイプ　試験子</Name>"
    "<NameKana>ﾜｲﾌﾟ ｼｹﾝｺ</NameKana><Sex1>2</Sex1><Birthdate>19800401</Birthdate>"
    "</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>\n";

static char cp932_xml[sizeof result_xml * 2];
static size_t cp932_len;

static void to_cp932(const char *in, size_t inlen, char *out, size_t cap, size_t *outlen)
{
    iconv_t cd = iconv_open("CP932", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *i = (char *)in, *o = out;
    size_t il = inlen, ol = cap;
    assert_int_not_equal(iconv(cd, &i, &il, &o, &ol), (size_t)-1);
    iconv_close(cd);
    *outlen = (size_t)(o - out);
}

static void use_result(const char *data, size_t len)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_msg *m = NULL, *back = NULL;
    int rc = onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, data, len);
    if (rc != ONSHI_OK)
        fail_msg("decode: %s", onshi_ctx_last_error_message(ctx));
    onshi_group *r = NULL;
    const char *v = NULL;
    assert_int_equal(onshi_group_at(&r, onshi_msg_body(m), ONSHI_G_RESULT, 0), ONSHI_OK);
    assert_int_equal(onshi_group_get_str(&v, r, ONSHI_F_NAME), ONSHI_OK);
    assert_string_equal(v, name_utf8);
    onshi_buf *json = NULL;
    assert_int_equal(onshi_msg_to_json(&json, ctx, m), ONSHI_OK);
    assert_non_null(memmem(onshi_buf_data(json), onshi_buf_len(json), name_utf8,
                           sizeof name_utf8 - 1));
    assert_int_equal(onshi_msg_from_json(&back, ctx, ONSHI_MSG_QUAL_RES,
                                         (const char *)onshi_buf_data(json), onshi_buf_len(json)),
                     ONSHI_OK);
    onshi_buf *enc = NULL;
    if (onshi_msg_encode(&enc, ctx, back) != ONSHI_OK)
        fail_msg("encode: %s", onshi_ctx_last_error_message(ctx));
    onshi_buf_free(enc);
    onshi_buf_free(json);
    onshi_msg_free(back);
    onshi_msg_free(m);
    onshi_ctx_free(ctx);
}

#endif /* NO_INTERPOSE */

static void test_name_wiped_on_free(void **state)
{
    (void)state;
#ifdef NO_INTERPOSE
    skip();
#else
    to_cp932(name_utf8, sizeof name_utf8 - 1, name_cp932, sizeof name_cp932, &name_cp932_len);
    /* the same document in CP932, declared Shift_JIS (the declaration is ASCII) */
    to_cp932(result_xml, sizeof result_xml - 1, cp932_xml, sizeof cp932_xml, &cp932_len);
    char *d = memmem(cp932_xml, cp932_len, "UTF-8", 5);
    assert_non_null(d);
    static char sj[sizeof cp932_xml + 16];
    size_t pre = (size_t)(d - cp932_xml);
    memcpy(sj, cp932_xml, pre);
    memcpy(sj + pre, "Shift_JIS", 9);
    memcpy(sj + pre + 9, d + 5, cp932_len - pre - 5);
    size_t sj_len = cp932_len + 4;

    scanning = 1;
    use_result(result_xml, sizeof result_xml - 1);
    use_result(sj, sj_len);
    scanning = 0;
    if (hits_utf8 || hits_cp932)
        fail_msg("%d freed blocks still held the name in UTF-8, %d in CP932", hits_utf8,
                 hits_cp932);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_wiped_on_free),
    };
    return cmocka_run_group_tests_name("codec/wipe", tests, NULL, NULL);
}
