/*
 * Example (CC0-1.0): the drug history (薬剤情報) of a patient who consented.
 *
 *   drug_info ONSHI_CONF RESULT.xml [FROM_YYYYMM TO_YYYYMM]
 *
 * RESULT.xml is the patient's qualification or face-reader result of today: it carries the
 * consent (PharmacistsInfoConsFlg and its AvailableTime). The library refuses locally —
 * nothing is sent — when that consent is missing or has expired, and calls the audit
 * callback before and after the access (here it prints the audit line; a product writes it
 * to its access log, and returning non-zero before the access stops it).
 */
#include <onshi.h>

#include <stdio.h>

static int ONSHI_CALL audit(void *ud, int action, int phase, int outcome, const char *op,
                            const char *patient, const char *detail, const char *ts)
{
    (void)ud;
    fprintf(stderr, "audit %s action=%d %s outcome=%d operator=%s patient=%s %s\n", ts, action,
            phase == ONSHI_AUDIT_BEFORE ? "before" : "after", outcome, op, patient, detail);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: %s ONSHI_CONF RESULT.xml [FROM_YYYYMM TO_YYYYMM]\n", argv[0]);
        return 2;
    }
    onshi_ctx *ctx;
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.audit = audit;
    cbs.audit_userdata = NULL;
    onshi_ctx_set_callbacks(ctx, &cbs);
    onshi_msg *qual = NULL, *drug = NULL;
    onshi_group *person = NULL;
    int rc = onshi_ctx_load_config(ctx, argv[1]);
    if (rc == ONSHI_OK)
        rc = onshi_msg_decode_file(&qual, ctx, argv[2]);
    if (rc == ONSHI_OK)
        rc = onshi_group_at(&person, onshi_msg_body(qual), ONSHI_G_RESULT, 0);
    if (rc == ONSHI_OK) {
        onshi_request *req = NULL;
        rc = onshi_request_new(&req, ONSHI_REQ_INFO);
        if (rc == ONSHI_OK) {
            onshi_request_set_int(req, ONSHI_P_INFO_KIND, ONSHI_INFO_DRUG);
            onshi_request_set_int(req, ONSHI_P_FILE_CATEGORY, ONSHI_INFO_XML);
            if (argc == 5) { /* without FROM/TO: the last six months */
                onshi_request_set_str(req, ONSHI_P_START_MONTH, argv[3]);
                onshi_request_set_str(req, ONSHI_P_END_MONTH, argv[4]);
            }
            rc = onshi_info_request(&drug, NULL, 0, ctx, person, req);
            onshi_request_free(req);
        }
    }
    if (rc != ONSHI_OK) {
        fprintf(stderr, "%s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
        onshi_msg_free(qual);
        onshi_ctx_free(ctx);
        return rc == ONSHI_E_NO_CONSENT || rc == ONSHI_E_CONSENT_EXPIRED ? 4 : 1;
    }
    /* month → dispensing date → drug, as the codec's groups */
    onshi_group *body = onshi_msg_body(drug);
    for (size_t m = 0; m < onshi_group_count(body, ONSHI_G_DRUG_MONTH); m++) {
        onshi_group *month = NULL;
        const char *ym = NULL;
        onshi_group_at(&month, body, ONSHI_G_DRUG_MONTH, m);
        onshi_group_get_str(&ym, month, ONSHI_F_DRUG_MONTH_MONTH);
        for (size_t d = 0; d < onshi_group_count(month, ONSHI_G_DRUG_DATE); d++) {
            onshi_group *date = NULL;
            onshi_group_at(&date, month, ONSHI_G_DRUG_DATE, d);
            for (size_t k = 0; k < onshi_group_count(date, ONSHI_G_DRUG); k++) {
                onshi_group *drug_g = NULL;
                const char *name = NULL, *qty = NULL, *unit = NULL;
                onshi_group_at(&drug_g, date, ONSHI_G_DRUG, k);
                onshi_group_get_str(&name, drug_g, ONSHI_F_DRUG_NAME);
                onshi_group_get_str(&qty, drug_g, ONSHI_F_DRUG_QUANTITY);
                onshi_group_get_str(&unit, drug_g, ONSHI_F_DRUG_UNIT);
                printf("%s  %s %s%s\n", ym ? ym : "", name ? name : "?", qty ? qty : "",
                       unit ? unit : "");
            }
        }
    }
    onshi_msg_free(drug);
    onshi_msg_free(qual);
    onshi_ctx_free(ctx);
    return 0;
}
