/*
 * Example (CC0-1.0): check tomorrow's reserved patients before they arrive (一括照会).
 *
 *   batch_reservations [OPTION=VALUE]... [--resume BATCH_ID]
 *
 * OPTION=VALUE are libonshi options by their onshi.conf names, for example
 *   transport=1 req_dir=/mnt/oqs/req res_dir=/mnt/oqs/res      (terminal's linkage app)
 *   transport=2 server_url=https://... tls_ca_file=... tls_pkcs12_file=...   (HTTPS)
 *   medical_institution_code=1311234569 state_db=/var/lib/clinic/onshi.db
 *
 * The list is saved in the state store before anything is sent, so the program can be
 * stopped at any moment (Ctrl-C, power cut) and continued with --resume: the list is never
 * uploaded twice and no patient is answered twice.
 */
#include <onshi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reception list as a product would take it from its appointment book (fictional
 * persons of onshi-sim's seed registry: P001, P038, P042). */
static const struct {
    const char *patient_id, *insurer, *symbol, *number, *branch, *birthdate;
    int limit_consent;
} reserved[] = {
    {"K-0001", "01130111", "101-01", "0001037", "01", "19800401", 1},
    {"K-0002", "01130483", "138-03", "0002406", "01", "19881010", 0},
    {"K-0003", "01130525", "142-00", "0002554", "", "20150707", 0},
};

static int ONSHI_CALL on_progress(void *userdata, int stage, int64_t done, int64_t total)
{
    (void)userdata;
    if (stage == ONSHI_STAGE_BATCH_UPLOAD)
        fprintf(stderr, "uploading %lld patients\n", (long long)total);
    else if (stage == ONSHI_STAGE_BATCH_POLL)
        fprintf(stderr, "still processing, asking again (%lld)\n", (long long)done);
    else if (stage == ONSHI_STAGE_BATCH_RESULTS)
        fprintf(stderr, "\rresults %lld/%lld", (long long)done, (long long)total);
    return 0; /* non-zero would cancel; the batch stays resumable */
}

static int set_option(onshi_ctx *ctx, const char *arg)
{
    char name[64];
    const char *eq = strchr(arg, '=');
    int id;
    if (eq == NULL || (size_t)(eq - arg) >= sizeof name)
        return -1;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    id = onshi_option_id(name);
    if (id < 0)
        return -1;
    if (onshi_option_type(id) == ONSHI_OPTTYPE_INT)
        return onshi_ctx_set_int(ctx, id, (int64_t)strtoll(eq + 1, NULL, 10));
    return onshi_ctx_set_str(ctx, id, eq + 1);
}

int main(int argc, char **argv)
{
    onshi_ctx *ctx = NULL;
    onshi_batch *batch = NULL;
    const char *resume = NULL;
    size_t i;
    int rc, a;

    if (onshi_global_init() != ONSHI_OK || onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--resume") == 0 && a + 1 < argc)
            resume = argv[++a];
        else if (set_option(ctx, argv[a]) != ONSHI_OK) {
            fprintf(stderr, "bad option %s\n", argv[a]);
            return 2;
        }
    }
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.progress = on_progress;
    cbs.progress_userdata = NULL;
    onshi_ctx_set_callbacks(ctx, &cbs);

    if (resume != NULL) {
        rc = onshi_batch_open(&batch, ctx, resume);
    } else {
        rc = onshi_batch_new(&batch, ctx, ONSHI_BATCH_QUALIFICATION);
        onshi_request *entry = NULL;
        if (rc == ONSHI_OK)
            rc = onshi_request_new(&entry, ONSHI_REQ_BATCH_ENTRY);
        /* one request, filled anew for each patient (the batch copies the values) */
        for (i = 0; rc == ONSHI_OK && i < sizeof reserved / sizeof reserved[0]; i++) {
            onshi_request_set_str(entry, ONSHI_P_PATIENT_ID, reserved[i].patient_id);
            onshi_request_set_str(entry, ONSHI_P_INSURER_NUMBER, reserved[i].insurer);
            onshi_request_set_str(entry, ONSHI_P_SYMBOL, reserved[i].symbol);
            onshi_request_set_str(entry, ONSHI_P_NUMBER, reserved[i].number);
            onshi_request_set_str(entry, ONSHI_P_BRANCH, reserved[i].branch);
            onshi_request_set_str(entry, ONSHI_P_BIRTHDATE, reserved[i].birthdate);
            onshi_request_set_int(entry, ONSHI_P_LIMIT_CONSENT, reserved[i].limit_consent);
            rc = onshi_batch_add(batch, entry);
        }
        onshi_request_free(entry);
        /* Validates every entry (check digits, dates...) and persists the list. */
        if (rc == ONSHI_OK)
            rc = onshi_batch_save(batch);
        if (rc == ONSHI_OK)
            fprintf(stderr, "batch %s saved\n", onshi_batch_id(batch));
    }
    if (rc == ONSHI_OK)
        rc = onshi_batch_run(batch);
    fputc('\n', stderr);
    if (rc != ONSHI_OK) {
        fprintf(stderr, "%s\n", onshi_ctx_last_error_message(ctx));
        if (batch != NULL && onshi_batch_phase(batch) != ONSHI_BATCH_PHASE_FAILED &&
            onshi_batch_id(batch)[0] != '\0')
            fprintf(stderr, "continue later with: --resume %s\n", onshi_batch_id(batch));
        onshi_batch_free(batch);
        onshi_ctx_free(ctx);
        return 1;
    }

    for (i = 0; i < onshi_batch_count(batch); i++) {
        int outcome = onshi_batch_outcome(batch, i);
        onshi_group *person = NULL;
        const char *name = "", *ratio = "";
        /* The first person of the answer (several when the outcome is "several matches"). */
        if (onshi_batch_person(&person, batch, i, 0) == ONSHI_OK) {
            onshi_group_get_str(&name, person, ONSHI_F_NAME);
            onshi_group_get_str(&ratio, person, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO);
        }
        printf("%-8s %-16s %s%s%s %s\n", onshi_batch_patient_id(batch, i),
               onshi_batch_outcome_label(ctx, outcome, ONSHI_BATCH_QUALIFICATION),
               name ? name : "", ratio && *ratio ? " ratio " : "", ratio ? ratio : "",
               onshi_batch_result_message(batch, i));
    }
    onshi_batch_free(batch);
    onshi_ctx_free(ctx);
    onshi_global_cleanup();
    return 0;
}
