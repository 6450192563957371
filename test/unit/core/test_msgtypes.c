/* core: message-type table and file-name prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "core/core.h"
#include <unistd.h>
#include <stdlib.h>
#include <stdio.h>

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
    /* families public sources show whose layouts are not sourced: recognised, not guessed */
    assert_int_equal(onshi_msgtype_from_filename("OQSsihvq01req_202612010001.xml"),
                     ONSHI_E_MESSAGE_UNSUPPORTED);
    assert_int_equal(onshi_msgtype_from_filename("res/OQSsionq01res_202612010001.xml"),
                     ONSHI_E_MESSAGE_UNSUPPORTED);
    assert_int_equal(onshi_msgtype_from_filename("OQSsihvd01req_1.xml"), ONSHI_E_MESSAGE_UNSUPPORTED);
    assert_int_equal(onshi_msgtype_from_filename("PMHsimsm01res_1.xml"), ONSHI_E_MESSAGE_UNSUPPORTED);
    assert_non_null(onshi__msgtype_unsupported("OQSsiurl01req_1.xml", true));
    assert_null(onshi__msgtype_unsupported("OQSsiquc01req_1.xml", false));
    /* a supported family of the same list is still itself */
    assert_int_equal(onshi_msgtype_from_filename("OQSmutic01req_1.xml"), ONSHI_MSG_BULK_WELFARE_UP_REQ);
    /* decode_file says so instead of guessing from the content */
    {
        char path[] = "/tmp/onshi-msgtypes-XXXXXX";
        assert_non_null(mkdtemp(path));
        char file[128];
        snprintf(file, sizeof file, "%s/OQSsihvq01res_202612010001.xml", path);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fputs("<?xml version=\"1.0\"?><XmlMsg><MessageHeader/><MessageBody/></XmlMsg>", f);
        fclose(f);
        onshi_ctx *ctx = NULL;
        assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
        assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
        onshi_msg *m = NULL;
        assert_int_equal(onshi_msg_decode_file(&m, ctx, file), ONSHI_E_MESSAGE_UNSUPPORTED);
        assert_null(m);
        assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "home visits"));
        onshi_ctx_free(ctx);
        unlink(file);
        rmdir(path);
    }
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
