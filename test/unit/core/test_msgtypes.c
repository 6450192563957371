/* core: message-type table and file-name prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"

#include <string.h>

static void test_from_filename(void **state)
{
    (void)state;
    assert_int_equal(onshi_msgtype_from_filename("OQSsiquc01req_202501150001.xml"),
                     ONSHI_MSG_QUAL_REQ);
    assert_int_equal(onshi_msgtype_from_filename("C:\\OQS\\res\\OQSsiquc01res_202501150001.xml"),
                     ONSHI_MSG_QUAL_RES);
    assert_int_equal(onshi_msgtype_from_filename(
                         "/mnt/oqs/face/OQSsiquc01res_face_27142063864da5260a16de5a3d3ad7_20260929160112.xml"),
                     ONSHI_MSG_FACE_RES);
    assert_int_equal(onshi_msgtype_from_filename("OQSmuquc02res_202501150003.zip"),
                     ONSHI_MSG_BULK_QUAL_DOWN_RES);
    assert_int_equal(onshi_msgtype_from_filename("YZKsiquc01res_20250115.pdf"), ONSHI_MSG_DRUG_RES);
    assert_int_equal(onshi_msgtype_from_filename("OQSsiquc01reqX.xml"), ONSHI_E_UNKNOWN_MESSAGE);
    assert_int_equal(onshi_msgtype_from_filename("del20250115.txt"), ONSHI_E_UNKNOWN_MESSAGE);
    assert_int_equal(onshi_msgtype_from_filename(NULL), ONSHI_E_UNKNOWN_MESSAGE);
}

static void test_table_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < onshi__msgtype_count(); i++) {
        const onshi__msgtype *m = onshi__msgtype_at(i);
        assert_non_null(m->ja);
        assert_non_null(m->en);
        assert_string_equal(onshi_msgtype_label(lang_ctx(1), m->id), m->ja);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(onshi__msgtype_at(j)->id, m->id);
        if (m->prefix == NULL)
            continue;
        /* a prefix ends in req or res (face: res_face) and says which it is */
        assert_true(strstr(m->prefix, m->is_request ? "req" : "res") != NULL);
        char name[64];
        strcpy(name, m->prefix);
        strcat(name, "_000000000001.xml");
        assert_int_equal(onshi_msgtype_from_filename(name), m->id);
        assert_string_equal(onshi_msgtype_prefix(m->id), m->prefix);
    }
    assert_null(onshi_msgtype_prefix(ONSHI_MSG_CARDAUTH_REQ));
    assert_null(onshi_msgtype_prefix(999));
    assert_null(onshi_msgtype_label(lang_ctx(0), 999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_filename),
        cmocka_unit_test(test_table_consistent),
    };
    return cmocka_run_group_tests_name("core/msgtypes", tests, NULL, NULL);
}
