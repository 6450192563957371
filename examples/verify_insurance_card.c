/*
 * Example (CC0-1.0): 資格確認 by the insurer number, symbol and number printed on the
 * patient's 資格確認書 or 資格情報のお知らせ (new 健康保険証 cards stopped on 2024-12-02; the
 * function keeps its historical name).
 *
 *   verify_insurance_card ONSHI_CONF INSURER SYMBOL NUMBER BRANCH BIRTHDATE
 *
 * ONSHI_CONF is an onshi.conf (medical_institution_code, transport, req_dir/res_dir or
 * server_url...; docs/configuration.md). SYMBOL and BRANCH may be "" when the card has none.
 * The numbers are checked before anything is sent (a typing error in the insurer number is
 * caught by its check digit). With the file transport a late result is not lost: the
 * program prints the request id and `--pickup ID` collects the result later — the request
 * is never sent twice.
 *
 *   verify_insurance_card ONSHI_CONF --pickup ID
 */
#include <onshi.h>

#include <stdio.h>
#include <string.h>

static void print_person(onshi_ctx *ctx, onshi_group *p)
{
    const char *name = NULL, *sex = NULL, *ratio = NULL, *until = NULL;
    onshi_group_get_str(&name, p, ONSHI_F_NAME);
    onshi_person_sex(&sex, NULL, ctx, p); /* Sex2 (性別表記の配慮) when present */
    onshi_group_get_str(&ratio, p, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO);
    onshi_group_get_str(&until, p, ONSHI_F_INSURED_CARD_EXPIRATION_DATE);
    printf("  %s  sex %s  ratio %s%%  valid until %s\n", name ? name : "?", sex ? sex : "?",
           ratio ? ratio : "-", until ? until : "-");
    /* may staff look at the drug history today? */
    printf("  drug information: %s\n",
           onshi_person_consent(NULL, p, ONSHI_CONSENT_DRUG, NULL) == ONSHI_OK ? "consented"
                                                                             : "not available");
}

int main(int argc, char **argv)
{
    int pickup = argc == 4 && strcmp(argv[2], "--pickup") == 0;
    if (argc != 7 && !pickup) {
        fprintf(stderr, "usage: %s ONSHI_CONF INSURER SYMBOL NUMBER BRANCH BIRTHDATE\n"
                        "       %s ONSHI_CONF --pickup ID\n", argv[0], argv[0]);
        return 2;
    }
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    int rc = onshi_ctx_load_config(ctx, argv[1]);
    onshi_msg *res = NULL;
    char id[ONSHI_FILE_ID_SIZE] = "";
    if (rc == ONSHI_OK && pickup)
        rc = onshi_result_pickup(&res, ctx, argv[3], ONSHI_MSG_QUAL_REQ, -1);
    else if (rc == ONSHI_OK) {
        /* The inputs of a workflow are an onshi_request: one typed setter per parameter, so
         * a new input in a later version is a new ONSHI_P_* id, not a new function. */
        onshi_request *req = NULL;
        rc = onshi_request_new(&req, ONSHI_REQ_INSURANCE_CARD_VERIFY);
        if (rc == ONSHI_OK) {
            onshi_request_set_str(req, ONSHI_P_INSURER_NUMBER, argv[2]);
            onshi_request_set_str(req, ONSHI_P_SYMBOL, argv[3]);
            onshi_request_set_str(req, ONSHI_P_NUMBER, argv[4]);
            onshi_request_set_str(req, ONSHI_P_BRANCH, argv[5]);
            onshi_request_set_str(req, ONSHI_P_BIRTHDATE, argv[6]);
            onshi_request_set_int(req, ONSHI_P_LIMIT_CONSENT, 1); /* 限度額 consent */
            rc = onshi_insurance_card_verify(&res, id, sizeof id, ctx, req);
            onshi_request_free(req);
        }
    }
    if (rc == ONSHI_E_PENDING) {
        printf("no result yet; run again with --pickup %s\n", id);
        onshi_ctx_free(ctx);
        return 3;
    }
    if (rc != ONSHI_OK) {
        /* the message names the field or carries the system's own code and text */
        fprintf(stderr, "%s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
        onshi_ctx_free(ctx);
        return 1;
    }
    int validity;
    const char *label = NULL;
    onshi_result_validity(&validity, &label, ctx, res);
    printf("qualification: %s\n", label ? label : "?");
    onshi_group *body = onshi_msg_body(res);
    for (size_t i = 0; i < onshi_group_count(body, ONSHI_G_RESULT); i++) {
        onshi_group *p = NULL;
        onshi_group_at(&p, body, ONSHI_G_RESULT, i);
        print_person(ctx, p);
    }
    onshi_msg_free(res);
    onshi_ctx_free(ctx);
    return 0;
}
