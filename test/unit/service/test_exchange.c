/* service: the system's status fields decide success, not the existence of a result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "service/service.h"

#include <stdio.h>
#include <string.h>

#define GOLDEN "test/data/codec/"

static int check_file(onshi_ctx *ctx, const char *name)
{
    onshi_msg *m = NULL;
    assert_int_equal(onshi_msg_decode_file(&m, ctx, name), ONSHI_OK);
    int rc = onshi__service_check(ctx, m);
    onshi_msg_free(m);
    return rc;
}

static void test_status_fields(void **state)
{
    (void)state;
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    assert_int_equal(onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en"), ONSHI_OK);
    assert_int_equal(check_file(ctx, GOLDEN "OQSsiquc01res_202501150001.xml"), ONSHI_OK);
    assert_int_equal(check_file(ctx, GOLDEN "OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml"),
                     ONSHI_OK);
    /* SegmentOfResult 9 + ErrorCode: the system's code and message reach the caller */
    assert_int_equal(check_file(ctx, GOLDEN "OQSsiquc01res_202501150009.xml"), ONSHI_E_SYSTEM_ERROR);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "EQS0001"));
    /* ProcessingResultStatus 2 with QualificationValidity 4: an outcome (該当資格なし) */
    assert_int_equal(check_file(ctx, GOLDEN "OQSsiquc01res_202501150010.xml"), ONSHI_OK);
    /* ProcessingResultStatus 2 without a validity: the system's processing code */
    {
        static const char x[] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>"
            "<ProcessExecutionTime>20250115093004</ProcessExecutionTime>"
            "<QualificationConfirmationDate>20250115</QualificationConfirmationDate>"
            "<MedicalInstitutionCode>1311234566</MedicalInstitutionCode>"
            "<ReferenceClassification>2</ReferenceClassification>"
            "<SegmentOfResult>1</SegmentOfResult>"
            "<CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader><MessageBody>"
            "<ProcessingResultStatus>2</ProcessingResultStatus>"
            "<ProcessingResultCode>EQS1234</ProcessingResultCode>"
            "<ProcessingResultMessage>x</ProcessingResultMessage>%s</MessageBody></XmlMsg>";
        static const char *const tail[] = {"", "<QualificationValidity>1</QualificationValidity>",
                                           "<QualificationValidity>5</QualificationValidity>"};
        static const int want[] = {ONSHI_E_PROCESSING_ERROR, ONSHI_E_PROCESSING_ERROR, ONSHI_OK};
        for (size_t i = 0; i < 3; i++) {
            char doc[1200];
            snprintf(doc, sizeof doc, x, tail[i]);
            onshi_msg *m = NULL;
            assert_int_equal(onshi_msg_decode(&m, ctx, ONSHI_MSG_QUAL_RES, doc, strlen(doc)),
                             ONSHI_OK);
            assert_int_equal(onshi__service_check(ctx, m), want[i]);
            if (want[i] != ONSHI_OK)
                assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "EQS1234"));
            onshi_msg_free(m);
        }
    }
    /* a bulk download that is still being processed */
    assert_int_equal(check_file(ctx, GOLDEN "OQSmuquc02res_202501150004.xml"),
                     ONSHI_E_STILL_PROCESSING);
    /* a PDF drug result is the answer itself */
    assert_int_equal(check_file(ctx, GOLDEN "YZKsiquc01res_202501150007.pdf"), ONSHI_OK);
    assert_int_equal(onshi__service_check(ctx, NULL), ONSHI_E_INVALID_ARG);
    onshi_ctx_free(ctx);
}

static void test_result_types(void **state)
{
    (void)state;
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_QUAL_REQ), ONSHI_MSG_QUAL_RES);
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_BULK_QUAL_DOWN_REQ),
                     ONSHI_MSG_BULK_QUAL_DOWN_RES);
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_CHECKUP_REQ), ONSHI_MSG_CHECKUP_RES);
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_CARDAUTH_REQ), ONSHI_MSG_CARDAUTH_RES);
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_QUAL_RES), 0);
    assert_int_equal(onshi__service_result_type(ONSHI_MSG_FACE_RES), 0);
    assert_int_equal(onshi__service_result_type(999), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_fields),
        cmocka_unit_test(test_result_types),
    };
    return cmocka_run_group_tests_name("service/exchange", tests, NULL, NULL);
}
