/*
 * onshi-demo — the main job on the embedded default, against onshi-sim over HTTPS, with the
 * virtual My Number Card in-process (tools/onshi-vcard through the vendor transmit callback).
 * Started by `make demo` (tools/demo/demo.sh), which builds, makes the test PKI and registry,
 * starts the simulator on 127.0.0.1 and stops it by PID afterwards.
 *
 *   onshi-demo --url URL --ca CA --cert CRT --key KEY --institution CODE --registry DB
 *              --card-cert DER --card-key KEY --jpki-ca CRT --state-db FILE
 *
 * Everything shown is fictional (the simulator's seed registry). Output in Japanese or
 * English by LANG.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "onshi.h"
#include "../onshi-vcard/vcard.h"
#include "../onshi-vcard/vcard_pki.h"

#include <sqlite3.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool ja;
static const onshi_ctx *labels; /* the demo's context: its ONSHI_OPT_LANG follows `ja` */
#define TR(en, j) (ja ? (j) : (en))

typedef struct demo {
    onshi_ctx *ctx;
    const char *registry;
    int audits;
    int failures;
} demo;

static void title(const char *en, const char *j)
{
    printf("\n\033[1m== %s\033[0m\n", TR(en, j));
}

static void row(const char *label, const char *value)
{
    /* Labels are padded by display columns: CJK characters take two. */
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w += *p >= 0xE0 ? 2 : 1;
    printf("   %s%*s %s\n", label, w < 26 ? 26 - w : 0, "", value && *value ? value : "-");
}

static void fail(demo *d, const char *what, int rc)
{
    d->failures++;
    printf("   \033[31m%s: %s (%s)\033[0m\n", what, onshi_ctx_last_error_message(d->ctx),
           onshi_status_name(rc));
}

static const char *gs(onshi_group *g, int field)
{
    const char *v = NULL;
    return g && onshi_group_get_str(&v, g, field) == ONSHI_OK ? v : NULL;
}

static const char *gl(onshi_group *g, int field)
{
    const char *v = NULL;
    if (g && onshi_group_get_label(&v, labels, g, field) == ONSHI_OK && v)
        return v;
    return gs(g, field);
}

/* 適用区分 of a person: in LimitApplicationCertificateRelatedInfo when the patient agreed. */
static const char *limit_class(onshi_group *person, int label)
{
    onshi_group *lim = NULL;
    if (person == NULL || onshi_group_at(&lim, person, ONSHI_G_LIMIT, 0) != ONSHI_OK)
        return NULL;
    return label ? gl(lim, ONSHI_F_LIMIT_CLASSIFICATION_FLAG)
                 : gs(lim, ONSHI_F_LIMIT_CLASSIFICATION_FLAG);
}

static void show_person(onshi_msg *m)
{
    onshi_group *body = onshi_msg_body(m), *p = NULL;
    row(TR("qualification", "資格"), gl(body, ONSHI_F_QUALIFICATION_VALIDITY));
    if (onshi_group_at(&p, body, ONSHI_G_RESULT, 0) != ONSHI_OK)
        return;
    row(TR("name", "氏名"), gs(p, ONSHI_F_NAME));
    row(TR("birth date", "生年月日"), gs(p, ONSHI_F_BIRTHDATE));
    row(TR("insurer", "保険者"), gs(p, ONSHI_F_INSURER_NAME));
    row(TR("insurer number", "保険者番号"), gs(p, ONSHI_F_INSURER_NUMBER));
    char sn[96];
    snprintf(sn, sizeof sn, "%s / %s", gs(p, ONSHI_F_INSURED_CARD_SYMBOL) ? gs(p, ONSHI_F_INSURED_CARD_SYMBOL) : "-",
             gs(p, ONSHI_F_INSURED_ID_NUMBER) ? gs(p, ONSHI_F_INSURED_ID_NUMBER) : "-");
    row(TR("symbol / number", "記号・番号"), sn);
    row(TR("limit class (適用区分)", "限度額適用区分"), limit_class(p, 1));
}

/* ---- callbacks: the "window UI" of the demo answers for the patient ---- */

static int ONSHI_CALL on_pin(void *ud, int tries, int last, char *buf, size_t size, int *confirm)
{
    (void)ud;
    (void)last;
    (void)confirm;
    if (ja)
        printf("   暗証番号の入力（残り %d 回）→ ****\n", tries);
    else
        printf("   PIN asked (%d tries left) → ****\n", tries);
    snprintf(buf, size, "1234"); /* the virtual card's PIN; a product asks the patient */
    return 0;
}

static int consent_answer;
static int ONSHI_CALL on_consent(void *ud, int offered, int *granted)
{
    (void)ud;
    *granted = offered & consent_answer;
    printf("   %s 0x%02x → 0x%02x (%s)\n", TR("consent asked for", "同意の確認"), (unsigned)offered,
           (unsigned)*granted,
           *granted == offered ? TR("all accepted", "すべて同意")
                               : *granted ? TR("some refused", "一部拒否")
                                          : TR("all refused", "すべて拒否"));
    return 0;
}

static int ONSHI_CALL on_progress(void *ud, int stage, int64_t done, int64_t total)
{
    (void)ud;
    static const char *const en[] = {"", "waiting for the card", "reading the certificate",
                                     "identity verification", "consent", "the card signs",
                                     "asking the system", "waiting", "uploading the list",
                                     "system still processing", "results", "done"};
    static const char *const j[] = {"", "カード待ち", "証明書読み取り", "本人確認", "同意確認",
                                    "カードで署名", "資格確認中", "結果待ち", "一覧を送信",
                                    "処理中（再照会）", "結果", "完了"};
    if (stage == ONSHI_STAGE_BATCH_RESULTS && total > 0) {
        int width = 30, fill = (int)(done * width / total);
        printf("\r   [%.*s%*s] %lld/%lld", fill, "##############################", width - fill,
               "", (long long)done, (long long)total);
        if (done == total)
            putchar('\n');
        fflush(stdout);
        return 0;
    }
    if (stage == ONSHI_STAGE_BATCH_POLL) {
        printf("   … %s\n", TR(en[stage], j[stage]));
        return 0;
    }
    if (stage > 0 && stage <= ONSHI_STAGE_DONE && stage != ONSHI_STAGE_DONE)
        printf("   … %s\n", TR(en[stage], j[stage]));
    return 0;
}

static int ONSHI_CALL on_audit(void *ud, int action, int phase, int outcome, const char *op,
                               const char *patient, const char *detail, const char *ts)
{
    demo *d = ud;
    (void)patient; /* the demo's screen is no audit trail: no personal data printed */
    (void)detail;
    static const char *const names[] = {"", "drug", "checkup", "diagnosis", "surgery",
                                        "disaster", "qualification"};
    if (phase == ONSHI_AUDIT_AFTER) {
        d->audits++;
        printf("   [audit %s %s by %s: %s]\n", ts,
               action > 0 && action <= 6 ? names[action] : "?", op,
               outcome == ONSHI_OK ? "ok" : onshi_status_name(outcome));
    }
    return 0;
}

/* ---- the steps ---- */

/* A request of `kind` for the steps below; the demo exits if there is no memory. */
static onshi_request *new_request(int kind)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, kind) != ONSHI_OK) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return r;
}

static onshi_msg *step_card(demo *d)
{
    title("1. My Number Card (PIN, consent) — direct mode over HTTPS",
          "1. マイナンバーカードで資格確認（暗証番号・同意）— HTTPS 直接方式");
    onshi_msg *m = NULL;
    consent_answer = ONSHI_CONSENT_LIMIT | ONSHI_CONSENT_DRUG | ONSHI_CONSENT_CHECKUP;
    onshi_request *req = new_request(ONSHI_REQ_MYNUMBER_CARD_VERIFY);
    onshi_request_set_int(req, ONSHI_P_IDV_METHOD, ONSHI_IDV_PIN);
    onshi_request_set_int(req, ONSHI_P_CONSENT_OFFERED,
                          ONSHI_CONSENT_LIMIT | ONSHI_CONSENT_DRUG | ONSHI_CONSENT_CHECKUP |
                              ONSHI_CONSENT_DIAGNOSIS | ONSHI_CONSENT_SURGERY);
    int rc = onshi_mynumber_card_verify(&m, d->ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK) {
        fail(d, TR("card verification failed", "カードでの資格確認に失敗"), rc);
        return NULL;
    }
    show_person(m);
    row(TR("identity verified by", "本人確認方法"), TR("PIN", "暗証番号"));
    return m;
}

static onshi_msg *step_insurance_card(demo *d, char *insurer, char *number, char *birth)
{
    title("2. Insurance card (保険証の記号・番号)", "2. 保険証の記号・番号で資格確認");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char symbol[32] = "", branch[8] = "";
    insurer[0] = '\0';
    if (sqlite3_open_v2(d->registry, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT insurer, symbol, number, branch, birth FROM persons "
                               "WHERE id='P002'", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        snprintf(insurer, 16, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(symbol, sizeof symbol, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(number, 32, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(branch, sizeof branch, "%s", (const char *)sqlite3_column_text(st, 3));
        snprintf(birth, 16, "%s", (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!insurer[0]) {
        printf("   %s\n", TR("registry person P002 not found", "登録者 P002 が見つかりません"));
        d->failures++;
        return NULL;
    }
    char shown[96];
    snprintf(shown, sizeof shown, "%s / %s / %s / %s", insurer, symbol, number, branch);
    row(TR("card entered", "入力した保険証"), shown);
    onshi_msg *m = NULL;
    char pending[64];
    onshi_request *req = new_request(ONSHI_REQ_INSURANCE_CARD_VERIFY);
    onshi_request_set_str(req, ONSHI_P_INSURER_NUMBER, insurer);
    onshi_request_set_str(req, ONSHI_P_SYMBOL, symbol);
    onshi_request_set_str(req, ONSHI_P_NUMBER, number);
    onshi_request_set_str(req, ONSHI_P_BRANCH, branch);
    onshi_request_set_str(req, ONSHI_P_BIRTHDATE, birth);
    onshi_request_set_int(req, ONSHI_P_LIMIT_CONSENT, 1);
    int rc = onshi_insurance_card_verify(&m, pending, sizeof pending, d->ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK) {
        fail(d, TR("insurance-card verification failed", "保険証での資格確認に失敗"), rc);
        return NULL;
    }
    show_person(m);
    return m;
}

static void step_batch(demo *d)
{
    title("3. Batch before the visit: 20 reserved patients (一括照会)",
          "3. 予約患者 20 名の一括照会");
    onshi_batch *b = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = onshi_batch_new(&b, d->ctx, ONSHI_BATCH_QUALIFICATION);
    int n = 0;
    if (rc == ONSHI_OK && sqlite3_open_v2(d->registry, &db, SQLITE_OPEN_READONLY, NULL) ==
                              SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT id, insurer, symbol, number, branch, birth FROM persons "
                               "WHERE insurer <> '' ORDER BY id LIMIT 20", -1, &st, NULL) ==
            SQLITE_OK) {
        while (rc == ONSHI_OK && sqlite3_step(st) == SQLITE_ROW) {
            const char *c[6];
            for (int i = 0; i < 6; i++)
                c[i] = (const char *)sqlite3_column_text(st, i);
            onshi_request *e = new_request(ONSHI_REQ_BATCH_ENTRY);
            static const int params[6] = {ONSHI_P_PATIENT_ID, ONSHI_P_INSURER_NUMBER,
                                          ONSHI_P_SYMBOL, ONSHI_P_NUMBER, ONSHI_P_BRANCH,
                                          ONSHI_P_BIRTHDATE};
            for (int i = 0; i < 6; i++)
                onshi_request_set_str(e, params[i], c[i]);
            rc = onshi_batch_add(b, e);
            onshi_request_free(e);
            n++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    size_t bad = 0;
    if (rc == ONSHI_OK)
        rc = onshi_batch_validate(&bad, b);
    if (rc == ONSHI_OK)
        rc = onshi_batch_save(b);
    printf("   %d %s\n", n, TR("patients in the list", "名を照会"));
    if (rc == ONSHI_OK)
        rc = onshi_batch_run(b);
    if (rc != ONSHI_OK) {
        fail(d, TR("batch failed", "一括照会に失敗"), rc);
        onshi_batch_free(b);
        return;
    }
    row(TR("reception number", "受付番号"), onshi_batch_reception_number(b));
    int counts[6] = {0};
    for (size_t i = 0; i < onshi_batch_count(b); i++) {
        int o = onshi_batch_outcome(b, i);
        if (o >= 0 && o <= 5)
            counts[o]++;
    }
    for (int o = 1; o <= 5; o++) {
        char v[16];
        snprintf(v, sizeof v, "%d", counts[o]);
        row(onshi_batch_outcome_label(d->ctx, o, ONSHI_BATCH_QUALIFICATION), v);
    }
    onshi_batch_free(b);
}

static void step_drug(demo *d, onshi_msg *card_result)
{
    title("4. Drug information under the consent just given", "4. 同意に基づく薬剤情報の取得");
    onshi_group *p = NULL;
    if (card_result == NULL ||
        onshi_group_at(&p, onshi_msg_body(card_result), ONSHI_G_RESULT, 0) != ONSHI_OK) {
        printf("   %s\n", TR("skipped: no card result", "省略（カードの結果なし）"));
        return;
    }
    onshi_msg *m = NULL;
    char pending[64], from[16], to[16];
    /* The last twelve months (the default asks for the last six). */
    /* Months in Japan time (UTC+9, no daylight saving), whatever this machine's zone. */
    time_t now = time(NULL) + 9 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(to, sizeof to, "%04d%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    snprintf(from, sizeof from, "%04d%02d", (tm.tm_year + 1899) % 10000, (tm.tm_mon + 1) % 100);
    onshi_request *req = new_request(ONSHI_REQ_INFO);
    onshi_request_set_int(req, ONSHI_P_INFO_KIND, ONSHI_INFO_DRUG);
    onshi_request_set_int(req, ONSHI_P_FILE_CATEGORY, ONSHI_INFO_XML);
    onshi_request_set_str(req, ONSHI_P_START_MONTH, from);
    onshi_request_set_str(req, ONSHI_P_END_MONTH, to);
    int rc = onshi_info_request(&m, pending, sizeof pending, d->ctx, p, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK) {
        fail(d, TR("drug information failed", "薬剤情報の取得に失敗"), rc);
        return;
    }
    onshi_group *body = onshi_msg_body(m), *month = NULL, *date = NULL, *drug = NULL;
    size_t months = onshi_group_count(body, ONSHI_G_DRUG_MONTH), shown = 0;
    char v[32];
    snprintf(v, sizeof v, "%zu", months);
    row(TR("months with prescriptions", "調剤のあった月数"), v);
    for (size_t i = 0; i < months && shown < 5; i++) {
        if (onshi_group_at(&month, body, ONSHI_G_DRUG_MONTH, i) != ONSHI_OK)
            continue;
        for (size_t k = 0; k < onshi_group_count(month, ONSHI_G_DRUG_DATE) && shown < 5; k++) {
            if (onshi_group_at(&date, month, ONSHI_G_DRUG_DATE, k) != ONSHI_OK)
                continue;
            for (size_t q = 0; q < onshi_group_count(date, ONSHI_G_DRUG) && shown < 5; q++)
                if (onshi_group_at(&drug, date, ONSHI_G_DRUG, q) == ONSHI_OK) {
                    char line[200];
                    snprintf(line, sizeof line, "%s  %s", gs(date, ONSHI_F_DRUG_DATE_DI_DATE)
                                                              ? gs(date, ONSHI_F_DRUG_DATE_DI_DATE)
                                                              : "",
                             gs(drug, ONSHI_F_DRUG_NAME) ? gs(drug, ONSHI_F_DRUG_NAME) : "");
                    row(TR("dispensed", "調剤"), line);
                    shown++;
                }
        }
    }
    onshi_msg_free(m);
}

static void step_limit(demo *d, onshi_msg *card_result)
{
    title("5. Limit-amount ceiling for this month (高額療養費)", "5. 今月の自己負担限度額");
    onshi_group *p = NULL;
    const char *cls = NULL;
    if (card_result &&
        onshi_group_at(&p, onshi_msg_body(card_result), ONSHI_G_RESULT, 0) == ONSHI_OK)
        cls = limit_class(p, 0);
    if (cls == NULL || !*cls) {
        cls = "A03";
        printf("   %s\n", TR("(no class in the result: using ウ A03)",
                             "（結果に区分なし：ウ A03 で計算）"));
    }
    int64_t total = 1000000, ceiling = 0, copay = 0;
    onshi_request *req = new_request(ONSHI_REQ_LIMIT);
    onshi_request_set_str(req, ONSHI_P_CLASS_CODE, cls);
    onshi_request_set_int(req, ONSHI_P_TOTAL_COST, total);
    onshi_request_set_int(req, ONSHI_P_RATIO_PERCENT, 30);
    int rc = onshi_limit_ceiling(&ceiling, d->ctx, req);
    if (rc == ONSHI_OK)
        rc = onshi_limit_copay(&copay, d->ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK) {
        fail(d, "limit", rc);
        return;
    }
    char v[64];
    const char *label = onshi_code_label(d->ctx, 12, cls);
    snprintf(v, sizeof v, "%s%s%s%s", cls, label ? " (" : "", label ? label : "", label ? ")" : "");
    row(TR("class", "適用区分"), v);
    row(TR("total cost (10割)", "総医療費（10割）"), "1,000,000");
    snprintf(v, sizeof v, "%lld", (long long)ceiling);
    row(TR("ceiling (yen)", "限度額（円）"), v);
    snprintf(v, sizeof v, "%lld %s", (long long)copay, TR("(instead of 300,000 at 30%)",
                                                         "（3割なら 300,000）"));
    row(TR("paid at the window (yen)", "窓口負担（円）"), v);
}

static void step_refused(demo *d, onshi_msg *insurance_result)
{
    title("6. A request without consent is refused locally", "6. 同意のない要求は送信前に拒否");
    onshi_group *p = NULL;
    if (insurance_result == NULL ||
        onshi_group_at(&p, onshi_msg_body(insurance_result), ONSHI_G_RESULT, 0) != ONSHI_OK) {
        printf("   %s\n", TR("skipped: no insurance-card result", "省略（保険証の結果なし）"));
        return;
    }
    onshi_msg *m = NULL;
    char pending[64];
    onshi_request *req = new_request(ONSHI_REQ_INFO);
    onshi_request_set_int(req, ONSHI_P_INFO_KIND, ONSHI_INFO_DRUG);
    onshi_request_set_int(req, ONSHI_P_FILE_CATEGORY, ONSHI_INFO_XML);
    int rc = onshi_info_request(&m, pending, sizeof pending, d->ctx, p, req);
    onshi_request_free(req);
    if (rc == ONSHI_E_NO_CONSENT || rc == ONSHI_E_CONSENT_EXPIRED) {
        printf("   \033[32m%s\033[0m %s\n", TR("refused as it must be:", "想定どおり拒否:"),
               onshi_ctx_last_error_message(d->ctx));
        return;
    }
    onshi_msg_free(m);
    d->failures++;
    printf("   \033[31m%s (%s)\033[0m\n",
           TR("NOT refused — this is a bug", "拒否されませんでした（不具合）"),
           onshi_status_name(rc));
}

int main(int argc, char **argv)
{
    const char *lang = getenv("LANG");
    ja = lang && strncmp(lang, "ja", 2) == 0;
    const char *url = NULL, *ca = NULL, *crt = NULL, *key = NULL, *inst = NULL, *reg = NULL,
               *ccert = NULL, *ckey = NULL, *jca = NULL, *state = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--ca")) ca = v;
        else if (!strcmp(a, "--cert")) crt = v;
        else if (!strcmp(a, "--key")) key = v;
        else if (!strcmp(a, "--institution")) inst = v;
        else if (!strcmp(a, "--registry")) reg = v;
        else if (!strcmp(a, "--card-cert")) ccert = v;
        else if (!strcmp(a, "--card-key")) ckey = v;
        else if (!strcmp(a, "--jpki-ca")) jca = v;
        else if (!strcmp(a, "--state-db")) state = v;
    }
    if (!url || !ca || !crt || !key || !inst || !reg || !ccert || !ckey || !jca || !state) {
        fprintf(stderr, "onshi-demo: run it through `make demo` (tools/demo/demo.sh)\n");
        return 2;
    }
    vcard_material mat;
    vcard *card = NULL;
    const char *failed = NULL;
    vcard_config cfg;
    if (vcard_material_load(&mat, ccert, ckey, jca, &failed) != 0) {
        fprintf(stderr, "onshi-demo: cannot read %s\n", failed ? failed : "the card material");
        return 1;
    }
    vcard_material_config(&cfg, &mat);
    if (vcard_new(&card, &cfg, NULL, 0) != 0) {
        vcard_material_free(&mat);
        return 1;
    }
    demo d = {NULL, reg, 0, 0};
    if (onshi_ctx_new(&d.ctx) != ONSHI_OK)
        return 1;
    onshi_ctx *ctx = d.ctx;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, ja ? "ja" : "en");
    labels = ctx;
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, ca);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, crt);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, key);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, inst);
    onshi_ctx_set_str(ctx, ONSHI_OPT_OPERATOR_ID, "demo-reception-01");
    onshi_ctx_set_str(ctx, ONSHI_OPT_STATE_DB, state);
    onshi_ctx_set_int(ctx, ONSHI_OPT_BATCH_POLL_BASE_MS, 500);
    /* The virtual card is "in the reader": the vendor transmit callback drives it. */
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK);
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.card_transmit = vcard_transmit_cb;
    cbs.card_transmit_userdata = card;
    cbs.card_reset = vcard_reset_cb;
    cbs.card_reset_userdata = card;
    cbs.pin = on_pin;
    cbs.pin_userdata = &d;
    cbs.consent = on_consent;
    cbs.consent_userdata = &d;
    cbs.progress = on_progress;
    cbs.progress_userdata = &d;
    cbs.audit = on_audit;
    cbs.audit_userdata = &d;
    onshi_ctx_set_callbacks(ctx, &cbs);

    printf("%s\n", TR("libonshi demo — オンライン資格確認 against the simulator (fictional data)",
                      "libonshi デモ — シミュレーター相手のオンライン資格確認（架空のデータ）"));
    char insurer[16], number[32], birth[16];
    onshi_msg *card_result = step_card(&d);
    onshi_msg *ins_result = step_insurance_card(&d, insurer, number, birth);
    step_batch(&d);
    step_drug(&d, card_result);
    step_limit(&d, card_result);
    step_refused(&d, ins_result);

    vcard_stats vs;
    vcard_get_stats(card, &vs);
    title("Summary", "まとめ");
    char v[64];
    snprintf(v, sizeof v, "%lu APDUs, %lu %s, %lu %s", vs.apdus, vs.signs,
             TR("signature(s)", "回署名"), vs.mynumber_reads, TR("My Number reads", "回（個人番号の読み取り）"));
    row(TR("virtual card", "仮想カード"), v);
    snprintf(v, sizeof v, "%d", d.audits);
    row(TR("audit records", "監査記録"), v);
    row(TR("result", "結果"), d.failures ? TR("FAILED", "失敗") : TR("all steps done", "すべて完了"));
    onshi_msg_free(card_result);
    onshi_msg_free(ins_result);
    onshi_ctx_free(ctx);
    vcard_free(card);
    vcard_material_free(&mat);
    return d.failures ? 1 : 0;
}
