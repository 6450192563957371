/*
 * onshi verify / face-watch / refnum / info: the reception workflows from the command line.
 * Output is a table for people (Japanese or English by LANG), --json or --csv for programs.
 * Configuration: onshi.conf (--config FILE, $ONSHI_CONF or ./onshi.conf) and ONSHI_* variables.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OUT_TABLE, OUT_JSON, OUT_CSV };

typedef struct opts {
    const char *config, *insurer, *symbol, *number, *branch, *birth, *id, *pickup, *previous;
    const char *ref, *result, *from, *to, *out;
    int limit_consent, format, person, existing, count, pdf;
    long long wait_ms, timeout_ms;
} opts;

int cli_lang_ja(void)
{
    const char *v = getenv("LC_ALL");
    if (v == NULL || *v == '\0')
        v = getenv("LC_MESSAGES");
    if (v == NULL || *v == '\0')
        v = getenv("LANG");
    return v != NULL && strncmp(v, "ja", 2) == 0;
}

static onshi_ctx *label_ctx[2];

static void label_ctx_free(void)
{
    onshi_ctx_free(label_ctx[0]);
    onshi_ctx_free(label_ctx[1]);
}

onshi_ctx *cli_labels(int ja)
{
    onshi_ctx **c = &label_ctx[ja != 0];
    if (*c == NULL) {
        if (label_ctx[ja == 0] == NULL)
            atexit(label_ctx_free);
        if (onshi_ctx_new(c) == ONSHI_OK)
            onshi_ctx_set_str(*c, ONSHI_OPT_LANG, ja ? "ja" : "en");
    }
    return *c;
}

onshi_request *cli_request(int kind)
{
    onshi_request *r = NULL;
    return onshi_request_new(&r, kind) == ONSHI_OK ? r : NULL;
}

void cli_request_str(onshi_request *r, int param, const char *value)
{
    if (value != NULL)
        onshi_request_set_str(r, param, value);
}

/* 資格確認 by the numbers of the insurance card, from the command line's options. */
static int verify_numbers(onshi_msg **m, char *id, size_t id_size, onshi_ctx *ctx,
                          const char *insurer, const char *symbol, const char *number,
                          const char *branch, const char *birth, int limit_consent,
                          const char *arbitrary_id)
{
    onshi_request *r = cli_request(ONSHI_REQ_INSURANCE_CARD_VERIFY);
    if (r == NULL)
        return ONSHI_E_NOMEM;
    cli_request_str(r, ONSHI_P_INSURER_NUMBER, insurer);
    cli_request_str(r, ONSHI_P_SYMBOL, symbol);
    cli_request_str(r, ONSHI_P_NUMBER, number);
    cli_request_str(r, ONSHI_P_BRANCH, branch);
    cli_request_str(r, ONSHI_P_BIRTHDATE, birth);
    onshi_request_set_int(r, ONSHI_P_LIMIT_CONSENT, limit_consent);
    cli_request_str(r, ONSHI_P_ARBITRARY_ID, arbitrary_id);
    int rc = onshi_insurance_card_verify(m, id, id_size, ctx, r);
    onshi_request_free(r);
    return rc;
}

int cli_load_config(onshi_ctx *ctx, const char *cmd, const char *path)
{
    const char *p = path;
    if (p == NULL) {
        p = getenv("ONSHI_CONF");
        if ((p == NULL || *p == '\0') && access("onshi.conf", R_OK) == 0)
            p = "onshi.conf";
        if (p != NULL && *p == '\0')
            p = NULL;
    }
    int rc = onshi_ctx_load_config(ctx, p);
    return rc == ONSHI_OK ? 0 : cli_fail_ctx(cmd, ctx, rc, "configuration");
}

static int parse(const char *cmd, int argc, char **argv, int first, opts *o)
{
    memset(o, 0, sizeof *o);
    o->wait_ms = -1;
    o->timeout_ms = -1;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define STR_OPT(name, field)                                                                   \
    if (strcmp(a, name) == 0) {                                                                \
        if (next == NULL)                                                                      \
            return cli_fail(cmd, "%s needs a value", name) + 1;                                \
        o->field = next;                                                                       \
        i++;                                                                                   \
        continue;                                                                              \
    }
        STR_OPT("--config", config)
        STR_OPT("--insurer", insurer)
        STR_OPT("--symbol", symbol)
        STR_OPT("--number", number)
        STR_OPT("--branch", branch)
        STR_OPT("--birth", birth)
        STR_OPT("--id", id)
        STR_OPT("--pickup", pickup)
        STR_OPT("--previous", previous)
        STR_OPT("--ref", ref)
        STR_OPT("--result", result)
        STR_OPT("--from", from)
        STR_OPT("--to", to)
        STR_OPT("-o", out)
#undef STR_OPT
        if (strcmp(a, "--limit-consent") == 0)
            o->limit_consent = 1;
        else if (strcmp(a, "--json") == 0)
            o->format = OUT_JSON;
        else if (strcmp(a, "--csv") == 0)
            o->format = OUT_CSV;
        else if (strcmp(a, "--existing") == 0)
            o->existing = 1;
        else if (strcmp(a, "--pdf") == 0)
            o->pdf = 1;
        else if ((strcmp(a, "--person") == 0 || strcmp(a, "--count") == 0 ||
                  strcmp(a, "--wait-ms") == 0 || strcmp(a, "--timeout-ms") == 0) &&
                 next != NULL) {
            char *end;
            long long v = strtoll(next, &end, 10);
            if (*end != '\0' || v < -1)
                return cli_fail(cmd, "%s: a number is expected", a) + 1;
            if (a[2] == 'p')
                o->person = (int)v;
            else if (a[2] == 'c')
                o->count = (int)v;
            else if (a[2] == 'w')
                o->wait_ms = v;
            else
                o->timeout_ms = v;
            i++;
        } else
            return cli_fail(cmd, "unknown argument \"%s\"", a) + 1;
    }
    return 0;
}

/* ---- output helpers ------------------------------------------------------------------- */

static void csv_field(const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static const char *val(const onshi_group *g, int field)
{
    const char *v = NULL;
    onshi_group_get_str(&v, g, field);
    return v ? v : "";
}

static const char *lab(const onshi_group *g, int field, int ja)
{
    const char *l = NULL;
    if (onshi_group_get_label(&l, cli_labels(ja), g, field) == ONSHI_OK && l != NULL)
        return l;
    return val(g, field);
}

static onshi_group *sub(onshi_group *g, int kind)
{
    onshi_group *s = NULL;
    return onshi_group_at(&s, g, kind, 0) == ONSHI_OK ? s : NULL;
}

static const char *consent_word(onshi_group *p, int item, int ja)
{
    switch (onshi_person_consent(NULL, p, item, NULL)) {
    case ONSHI_OK:
        return ja ? "同意あり" : "consented";
    case ONSHI_E_CONSENT_EXPIRED:
        return ja ? "期限切れ" : "expired";
    default:
        return ja ? "同意なし" : "no consent";
    }
}

/* Terminal columns of a UTF-8 string: full-width characters take two, half-width kana one. */
static int columns(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            w++;
            p++;
        } else if ((*p & 0xE0) == 0xC0) {
            w++;
            p += 2;
        } else if ((*p & 0xF0) == 0xE0) {
            unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            w += cp >= 0xFF61 && cp <= 0xFF9F ? 1 : 2;
            p += 3;
        } else {
            w += 2;
            p += 4;
        }
    }
    return w;
}

static void padded(const char *s, int width)
{
    fputs(s, stdout);
    for (int w = columns(s); w < width; w++)
        putchar(' ');
}

static void row(const char *ja_l, const char *en_l, const char *v, int ja)
{
    if (v == NULL || *v == '\0')
        return;
    fputs("  ", stdout);
    padded(ja ? ja_l : en_l, 20);
    printf(" %s\n", v);
}

/* "030" → "3割" / "30 %" */
static const char *ratio(char *buf, size_t n, const char *v, int ja)
{
    if (*v == '\0')
        return v;
    int pct = atoi(v);
    if (ja && pct % 10 == 0)
        snprintf(buf, n, "%d割", pct / 10);
    else
        snprintf(buf, n, "%d %%", pct);
    return buf;
}

static void print_person(onshi_group *p, size_t i, int ja)
{
    const char *sex = NULL, *sexl = NULL;
    onshi_person_sex(&sex, &sexl, cli_labels(ja), p);
    onshi_group *lim = sub(p, ONSHI_G_LIMIT), *eld = sub(p, ONSHI_G_ELDERLY);
    printf(ja ? "[%zu] %s\n" : "[%zu] %s\n", i + 1, val(p, ONSHI_F_NAME));
    row("カナ氏名", "kana", val(p, ONSHI_F_NAME_KANA), ja);
    row("性別", "sex", sexl ? sexl : (sex ? sex : ""), ja);
    row("生年月日", "birth date", val(p, ONSHI_F_BIRTHDATE), ja);
    row("保険者番号", "insurer number", val(p, ONSHI_F_INSURER_NUMBER), ja);
    row("保険者名称", "insurer name", val(p, ONSHI_F_INSURER_NAME), ja);
    row("記号", "symbol", val(p, ONSHI_F_INSURED_CARD_SYMBOL), ja);
    row("番号", "number", val(p, ONSHI_F_INSURED_ID_NUMBER), ja);
    row("枝番", "branch", val(p, ONSHI_F_INSURED_BRANCH_NUMBER), ja);
    row("公費負担者番号", "public expense no.", val(p, ONSHI_F_PUBLIC_EXPENSE_NUMBER), ja);
    row("受給者番号", "beneficiary no.", val(p, ONSHI_F_BENEFICIARY_NUMBER), ja);
    row("本人・家族", "insured/family", lab(p, ONSHI_F_PERSONAL_FAMILY_CLASSIFICATION, ja), ja);
    row("被保険者証区分", "card class", lab(p, ONSHI_F_INSURED_CARD_CLASSIFICATION, ja), ja);
    row("有効開始", "valid from", val(p, ONSHI_F_INSURED_CARD_VALID_DATE), ja);
    row("有効終了", "valid until", val(p, ONSHI_F_INSURED_CARD_EXPIRATION_DATE), ja);
    row("資格喪失日", "disqualified on", val(p, ONSHI_F_DISQUALIFICATION_DATE), ja);
    char rb[24];
    row("一部負担割合", "co-payment ratio",
        ratio(rb, sizeof rb, val(p, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO), ja), ja);
    if (eld)
        row("高齢受給者 負担割合", "elderly ratio",
            ratio(rb, sizeof rb, val(eld, ONSHI_F_ELDERLY_CONTRIB_RATIO), ja), ja);
    if (lim)
        row("限度額 適用区分", "limit class", lab(lim, ONSHI_F_LIMIT_CLASSIFICATION_FLAG, ja), ja);
    row("照会番号", "reference number", val(p, ONSHI_F_REFERENCE_NUMBER), ja);
    row("薬剤情報", "drug info", consent_word(p, ONSHI_CONSENT_DRUG, ja), ja);
    row("特定健診情報", "checkup info", consent_word(p, ONSHI_CONSENT_CHECKUP, ja), ja);
    row("診療情報", "diagnosis info", consent_word(p, ONSHI_CONSENT_DIAGNOSIS, ja), ja);
    row("手術情報", "surgery info", consent_word(p, ONSHI_CONSENT_SURGERY, ja), ja);
}

static const int csv_fields[] = {
    ONSHI_F_NAME, ONSHI_F_NAME_KANA, ONSHI_F_BIRTHDATE, ONSHI_F_INSURER_NUMBER,
    ONSHI_F_INSURED_CARD_SYMBOL, ONSHI_F_INSURED_ID_NUMBER, ONSHI_F_INSURED_BRANCH_NUMBER,
    ONSHI_F_INSURER_NAME, ONSHI_F_INSURED_CARD_VALID_DATE, ONSHI_F_INSURED_CARD_EXPIRATION_DATE,
    ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO, ONSHI_F_REFERENCE_NUMBER,
};

static int print_result(const char *cmd, onshi_ctx *ctx, onshi_msg *m, int format, int header)
{
    int ja = cli_lang_ja();
    onshi_group *b = onshi_msg_body(m);
    size_t n = onshi_group_count(b, ONSHI_G_RESULT);
    int validity = 0;
    const char *vlabel = NULL;
    onshi_result_validity(&validity, &vlabel, cli_labels(ja), m);
    if (format == OUT_JSON) {
        onshi_buf *j = NULL;
        int rc = onshi_msg_to_json(&j, ctx, m);
        if (rc != ONSHI_OK)
            return cli_fail_ctx(cmd, ctx, rc, "JSON");
        fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), stdout);
        putchar('\n');
        onshi_buf_free(j);
        return 0;
    }
    if (format == OUT_CSV) {
        if (header) {
            fputs("validity", stdout);
            for (size_t k = 0; k < sizeof csv_fields / sizeof csv_fields[0]; k++)
                printf(",%s", onshi_field_name(csv_fields[k]));
            fputs(",Sex,LimitClass,DrugConsent,CheckupConsent\n", stdout);
        }
        for (size_t i = 0; i < n; i++) {
            onshi_group *p = NULL;
            onshi_group_at(&p, b, ONSHI_G_RESULT, i);
            printf("%d", validity);
            for (size_t k = 0; k < sizeof csv_fields / sizeof csv_fields[0]; k++) {
                putchar(',');
                csv_field(val(p, csv_fields[k]));
            }
            const char *sex = NULL;
            onshi_person_sex(&sex, NULL, cli_labels(0), p);
            onshi_group *lim = sub(p, ONSHI_G_LIMIT);
            printf(",%s,%s,%d,%d\n", sex ? sex : "",
                   lim ? val(lim, ONSHI_F_LIMIT_CLASSIFICATION_FLAG) : "",
                   onshi_person_consent(NULL, p, ONSHI_CONSENT_DRUG, NULL) == ONSHI_OK,
                   onshi_person_consent(NULL, p, ONSHI_CONSENT_CHECKUP, NULL) == ONSHI_OK);
        }
        return 0;
    }
    printf("%s: %s\n", ja ? "資格有効性" : "qualification",
           vlabel ? vlabel : (ja ? "（なし）" : "(none)"));
    const char *pmsg = val(b, ONSHI_F_PROCESSING_RESULT_MESSAGE);
    if (*pmsg)
        printf("%s: %s\n", ja ? "メッセージ" : "message", pmsg);
    for (size_t i = 0; i < n; i++) {
        onshi_group *p = NULL;
        onshi_group_at(&p, b, ONSHI_G_RESULT, i);
        print_person(p, i, ja);
    }
    return 0;
}

static int load_msg(onshi_msg **m, onshi_ctx *ctx, const char *path, int json_type)
{
    size_t n = strlen(path);
    if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            return onshi_ctx_set_error(ctx, ONSHI_E_IO, strerror(errno));
        char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len + 4096 > cap) {
                char *nb = realloc(buf, cap = cap * 2 + 8192);
                if (nb == NULL) {
                    free(buf);
                    fclose(f);
                    return ONSHI_E_NOMEM;
                }
                buf = nb;
            }
            size_t r = fread(buf + len, 1, 4096, f);
            len += r;
            if (r == 0)
                break;
        }
        fclose(f);
        int rc = onshi_msg_from_json(m, ctx, json_type, buf, len);
        free(buf);
        return rc;
    }
    return onshi_msg_decode_file(m, ctx, path);
}

/* Print what changed for the first person against a previous result (file). */
static int print_changes(const char *cmd, onshi_ctx *ctx, onshi_msg *cur, const char *prev_path,
                         int format)
{
    onshi_msg *prev = NULL;
    int rc = load_msg(&prev, ctx, prev_path, ONSHI_MSG_QUAL_RES);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, prev_path);
    onshi_group *a = NULL, *b = NULL;
    if (onshi_group_at(&a, onshi_msg_body(prev), ONSHI_G_RESULT, 0) != ONSHI_OK ||
        onshi_group_at(&b, onshi_msg_body(cur), ONSHI_G_RESULT, 0) != ONSHI_OK) {
        onshi_msg_free(prev);
        return cli_fail(cmd, "no person to compare");
    }
    onshi_changes *ch = NULL;
    rc = onshi_person_compare(&ch, cli_labels(cli_lang_ja()), a, b);
    if (rc != ONSHI_OK) {
        onshi_msg_free(prev);
        return cli_fail_ctx(cmd, ctx, rc, "compare");
    }
    int ja = cli_lang_ja();
    if (format == OUT_JSON) {
        onshi_buf *j = NULL;
        if (onshi_changes_to_json(&j, ctx, ch) == ONSHI_OK) {
            printf("%s\n", (const char *)onshi_buf_data(j));
            onshi_buf_free(j);
        }
    } else {
        printf("%s (%zu)\n", ja ? "前回からの変更" : "changes since the previous result",
               onshi_changes_count(ch));
        for (size_t i = 0; i < onshi_changes_count(ch); i++) {
            const char *fl, *ol, *nl;
            onshi_changes_labels(&fl, &ol, &nl, ch, i);
            fputs("  ", stdout);
            padded(fl, 20);
            printf(" %s -> %s\n", *ol ? ol : "-", *nl ? nl : "-");
        }
    }
    onshi_changes_free(ch);
    onshi_msg_free(prev);
    return 0;
}

static int pending_message(const char *cmd, const char *id, const char *again)
{
    int ja = cli_lang_ja();
    fprintf(stderr,
            ja ? "onshi %s: 結果がまだ届いていません（要求 %s は送信済み、再送しません）。"
                 "後で `onshi %s --pickup %s` を実行してください\n"
               : "onshi %s: the result has not arrived yet (request %s was sent and will not be "
                 "sent again); run `onshi %s --pickup %s` later\n",
            cmd, id, again, id);
    return 3;
}

/* ---- verify ---------------------------------------------------------------------------- */

int cmd_verify(onshi_ctx *ctx, int argc, char **argv)
{
    opts o;
    int rc = parse("verify", argc, argv, 1, &o);
    if (rc)
        return 2;
    if (cli_load_config(ctx, "verify", o.config))
        return 1;
    onshi_msg *m = NULL;
    char id[ONSHI_FILE_ID_SIZE] = "";
    if (o.pickup != NULL) {
        rc = onshi_result_pickup(&m, ctx, o.pickup, ONSHI_MSG_QUAL_REQ, o.wait_ms);
    } else {
        if (o.insurer == NULL || o.number == NULL || o.birth == NULL)
            return cli_fail("verify", "--insurer, --number and --birth are required") + 1;
        rc = verify_numbers(&m, id, sizeof id, ctx, o.insurer, o.symbol, o.number, o.branch,
                            o.birth, o.limit_consent, o.id);
    }
    if (rc == ONSHI_E_PENDING || rc == ONSHI_E_LINKAGE_NOT_RUNNING) {
        if (rc == ONSHI_E_LINKAGE_NOT_RUNNING)
            cli_fail_ctx("verify", ctx, rc, "linkage app");
        return pending_message("verify", o.pickup ? o.pickup : id, "verify");
    }
    if (rc != ONSHI_OK)
        return cli_fail_ctx("verify", ctx, rc, "verification");
    rc = print_result("verify", ctx, m, o.format, 1);
    if (rc == 0 && o.previous != NULL)
        rc = print_changes("verify", ctx, m, o.previous, o.format);
    onshi_msg_free(m);
    return rc;
}

/* ---- refnum ---------------------------------------------------------------------------- */

int cmd_refnum(onshi_ctx *ctx, int argc, char **argv)
{
    opts o;
    if (parse("refnum", argc, argv, 1, &o))
        return 2;
    if (cli_load_config(ctx, "refnum", o.config))
        return 1;
    onshi_msg *m = NULL;
    char id[ONSHI_FILE_ID_SIZE] = "";
    int rc;
    if (o.pickup != NULL) {
        rc = onshi_result_pickup(&m, ctx, o.pickup, ONSHI_MSG_REFNUM_REQ, o.wait_ms);
    } else {
        if (o.ref == NULL || o.insurer == NULL || o.number == NULL)
            return cli_fail("refnum", "--ref, --insurer and --number are required") + 1;
        onshi_request *r = cli_request(ONSHI_REQ_REFNUM_REGISTER);
        if (r == NULL)
            return cli_fail("refnum", "out of memory");
        cli_request_str(r, ONSHI_P_REFERENCE_NUMBER, o.ref);
        cli_request_str(r, ONSHI_P_INSURER_NUMBER, o.insurer);
        cli_request_str(r, ONSHI_P_SYMBOL, o.symbol);
        cli_request_str(r, ONSHI_P_NUMBER, o.number);
        cli_request_str(r, ONSHI_P_BRANCH, o.branch);
        rc = onshi_refnum_register(&m, id, sizeof id, ctx, r);
        onshi_request_free(r);
    }
    if (rc == ONSHI_E_PENDING || rc == ONSHI_E_LINKAGE_NOT_RUNNING)
        return pending_message("refnum", o.pickup ? o.pickup : id, "refnum");
    if (rc != ONSHI_OK)
        return cli_fail_ctx("refnum", ctx, rc, "registration");
    int ja = cli_lang_ja();
    const char *ref = val(onshi_msg_body(m), ONSHI_F_BODY_REFERENCE_NUMBER);
    if (o.format == OUT_JSON) {
        onshi_buf *j = NULL;
        if (onshi_msg_to_json(&j, ctx, m) == ONSHI_OK) {
            printf("%s\n", (const char *)onshi_buf_data(j));
            onshi_buf_free(j);
        }
    } else if (o.format == OUT_CSV) {
        printf("status,ReferenceNumber\nok,");
        csv_field(*ref ? ref : (o.ref ? o.ref : ""));
        putchar('\n');
    } else {
        printf("%s: %s\n", ja ? "照会番号を登録しました" : "reference number registered",
               *ref ? ref : (o.ref ? o.ref : ""));
    }
    onshi_msg_free(m);
    return 0;
}

/* ---- face-watch ------------------------------------------------------------------------ */

typedef struct face_ctx {
    onshi_ctx *ctx;
    int format, left, header;
} face_ctx;

static int ONSHI_CALL on_face(void *ud, int status, const onshi_msg *msg, const char *filename)
{
    face_ctx *f = ud;
    if (status != ONSHI_OK || msg == NULL) {
        fprintf(stderr, "onshi face-watch: %s: %s\n", filename,
                onshi_ctx_last_error_message(f->ctx));
    } else {
        int rc = onshi_result_check(f->ctx, msg);
        if (f->format == OUT_TABLE)
            printf("== %s\n", filename);
        if (rc != ONSHI_OK && f->format == OUT_TABLE)
            printf("%s\n", onshi_ctx_last_error_message(f->ctx));
        print_result("face-watch", f->ctx, (onshi_msg *)msg, f->format, f->header);
        f->header = 0;
        fflush(stdout);
    }
    return f->left > 0 && --f->left == 0;
}

int cmd_face_watch(onshi_ctx *ctx, int argc, char **argv)
{
    opts o;
    if (parse("face-watch", argc, argv, 1, &o))
        return 2;
    if (cli_load_config(ctx, "face-watch", o.config))
        return 1;
    onshi_face_watch *w = NULL;
    int rc = onshi_face_watch_new(&w, ctx, o.existing ? ONSHI_FACE_WATCH_DELIVER_EXISTING : 0);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("face-watch", ctx, rc, "face folder");
    face_ctx f = {ctx, o.format, o.count, 1};
    rc = onshi_face_watch_run(w, on_face, &f, o.timeout_ms);
    onshi_face_watch_free(w);
    if (rc == ONSHI_E_CANCELLED && o.count > 0 && f.left == 0)
        rc = ONSHI_OK;
    return rc == ONSHI_OK ? 0 : cli_fail_ctx("face-watch", ctx, rc, "watching");
}

/* ---- info drug|checkup ----------------------------------------------------------------- */

static void print_drug(onshi_msg *m, int format, int ja)
{
    onshi_group *b = onshi_msg_body(m);
    if (format == OUT_CSV)
        printf("month,institution,date,code,name,quantity,unit,usage,times\n");
    else
        printf("%s\n", ja ? "薬剤情報" : "drug information");
    for (size_t i = 0; i < onshi_group_count(b, ONSHI_G_DRUG_MONTH); i++) {
        onshi_group *mo = NULL;
        onshi_group_at(&mo, b, ONSHI_G_DRUG_MONTH, i);
        const char *inst = val(mo, ONSHI_F_DRUG_MONTH_DI_INSTITUTION_NAME);
        if (!*inst)
            inst = val(mo, ONSHI_F_DRUG_MONTH_PHARMACY_NAME);
        if (format == OUT_TABLE)
            printf("%s  %s\n", val(mo, ONSHI_F_DRUG_MONTH_MONTH), inst);
        for (size_t d = 0; d < onshi_group_count(mo, ONSHI_G_DRUG_DATE); d++) {
            onshi_group *dt = NULL;
            onshi_group_at(&dt, mo, ONSHI_G_DRUG_DATE, d);
            for (size_t k = 0; k < onshi_group_count(dt, ONSHI_G_DRUG); k++) {
                onshi_group *dr = NULL;
                onshi_group_at(&dr, dt, ONSHI_G_DRUG, k);
                if (format == OUT_CSV) {
                    const char *cols[] = {val(mo, ONSHI_F_DRUG_MONTH_MONTH), inst,
                                          val(dt, ONSHI_F_DRUG_DATE_DI_DATE),
                                          val(dr, ONSHI_F_DRUG_CODE), val(dr, ONSHI_F_DRUG_NAME),
                                          val(dr, ONSHI_F_DRUG_QUANTITY),
                                          val(dr, ONSHI_F_DRUG_UNIT), val(dr, ONSHI_F_DRUG_USAGE),
                                          val(dr, ONSHI_F_DRUG_TIMES)};
                    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                        if (c)
                            putchar(',');
                        csv_field(cols[c]);
                    }
                    putchar('\n');
                } else {
                    printf("  %s  %s %s%s  %s\n", val(dt, ONSHI_F_DRUG_DATE_DI_DATE),
                           val(dr, ONSHI_F_DRUG_NAME), val(dr, ONSHI_F_DRUG_QUANTITY),
                           val(dr, ONSHI_F_DRUG_UNIT), val(dr, ONSHI_F_DRUG_USAGE));
                }
            }
        }
    }
}

static void print_checkup(onshi_msg *m, int format, int ja)
{
    onshi_group *b = onshi_msg_body(m);
    if (format == OUT_CSV)
        printf("date,code,name,value,unit\n");
    else
        printf("%s\n", ja ? "特定健診情報" : "specific health checkup information");
    for (size_t i = 0; i < onshi_group_count(b, ONSHI_G_CHECKUP); i++) {
        onshi_group *ck = NULL;
        onshi_group_at(&ck, b, ONSHI_G_CHECKUP, i);
        if (format == OUT_TABLE)
            printf("%s\n", val(ck, ONSHI_F_CHECKUP_EFFECTIVE_TIME));
        for (size_t k = 0; k < onshi_group_count(ck, ONSHI_G_CHECKUP_ITEM); k++) {
            onshi_group *it = NULL;
            onshi_group_at(&it, ck, ONSHI_G_CHECKUP_ITEM, k);
            const char *v = val(it, ONSHI_F_CHECKUP_DATA_VALUE_NAME);
            if (!*v)
                v = val(it, ONSHI_F_CHECKUP_DATA_VALUE);
            if (format == OUT_CSV) {
                const char *cols[] = {val(ck, ONSHI_F_CHECKUP_EFFECTIVE_TIME),
                                      val(it, ONSHI_F_CHECKUP_ITEM_CODE),
                                      val(it, ONSHI_F_CHECKUP_ITEM_NAME), v,
                                      val(it, ONSHI_F_CHECKUP_UNIT)};
                for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                    if (c)
                        putchar(',');
                    csv_field(cols[c]);
                }
                putchar('\n');
            } else {
                printf("  %-28s %s %s\n", val(it, ONSHI_F_CHECKUP_ITEM_NAME), v,
                       val(it, ONSHI_F_CHECKUP_UNIT));
            }
        }
    }
}

int cmd_info(onshi_ctx *ctx, int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "drug") != 0 && strcmp(argv[1], "checkup") != 0))
        return cli_fail("info", "drug or checkup expected") + 1;
    int kind = strcmp(argv[1], "drug") == 0 ? ONSHI_INFO_DRUG : ONSHI_INFO_CHECKUP;
    opts o;
    if (parse("info", argc, argv, 2, &o))
        return 2;
    if (cli_load_config(ctx, "info", o.config))
        return 1;
    if (o.pdf && o.out == NULL && o.pickup == NULL)
        return cli_fail("info", "--pdf needs -o FILE") + 1;
    onshi_msg *res = NULL;
    int rc;
    char id[ONSHI_FILE_ID_SIZE] = "";
    if (o.pickup != NULL) {
        rc = onshi_result_pickup(&res, ctx, o.pickup,
                                 kind == ONSHI_INFO_DRUG ? ONSHI_MSG_DRUG_REQ
                                                         : ONSHI_MSG_CHECKUP_REQ,
                                 o.wait_ms);
    } else {
        /* the person (and the consents) come from a saved result or a fresh verification */
        onshi_msg *q = NULL;
        if (o.result != NULL)
            rc = load_msg(&q, ctx, o.result, ONSHI_MSG_QUAL_RES);
        else if (o.insurer != NULL && o.number != NULL && o.birth != NULL)
            rc = verify_numbers(&q, NULL, 0, ctx, o.insurer, o.symbol, o.number, o.branch, o.birth,
                                o.limit_consent, NULL);
        else
            return cli_fail("info", "--result FILE or --insurer/--number/--birth is required") + 1;
        if (rc != ONSHI_OK)
            return cli_fail_ctx("info", ctx, rc, o.result ? o.result : "verification");
        onshi_group *p = NULL;
        if (onshi_group_at(&p, onshi_msg_body(q), ONSHI_G_RESULT, (size_t)o.person) != ONSHI_OK) {
            onshi_msg_free(q);
            return cli_fail("info", "no person %d in the result", o.person);
        }
        onshi_request *r = cli_request(ONSHI_REQ_INFO);
        if (r == NULL) {
            onshi_msg_free(q);
            return cli_fail("info", "out of memory");
        }
        onshi_request_set_int(r, ONSHI_P_INFO_KIND, kind);
        onshi_request_set_int(r, ONSHI_P_FILE_CATEGORY, o.pdf ? ONSHI_INFO_PDF : ONSHI_INFO_XML);
        cli_request_str(r, ONSHI_P_START_MONTH, o.from);
        cli_request_str(r, ONSHI_P_END_MONTH, o.to);
        rc = onshi_info_request(&res, id, sizeof id, ctx, p, r);
        onshi_request_free(r);
        onshi_msg_free(q);
    }
    if (rc == ONSHI_E_PENDING || rc == ONSHI_E_LINKAGE_NOT_RUNNING)
        return pending_message("info", o.pickup ? o.pickup : id, argv[1]);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("info", ctx, rc, kind == ONSHI_INFO_DRUG ? "drug information"
                                                                     : "checkup information");
    const unsigned char *pdf = NULL;
    size_t plen = 0;
    int ja = cli_lang_ja();
    if (onshi_msg_attachment(&pdf, &plen, NULL, res) == ONSHI_OK && pdf != NULL) {
        FILE *f = o.out ? cli_create_private(o.out) : NULL;
        if (f == NULL || fwrite(pdf, 1, plen, f) != plen || fclose(f) != 0) {
            onshi_msg_free(res);
            return cli_fail("info", "cannot write the PDF to %s", o.out ? o.out : "(no -o)");
        }
        printf(ja ? "PDF を保存しました: %s (%zu バイト)\n" : "PDF saved: %s (%zu bytes)\n", o.out,
               plen);
    } else if (o.format == OUT_JSON) {
        onshi_buf *j = NULL;
        if (onshi_msg_to_json(&j, ctx, res) == ONSHI_OK) {
            printf("%s\n", (const char *)onshi_buf_data(j));
            onshi_buf_free(j);
        }
    } else if (kind == ONSHI_INFO_DRUG) {
        print_drug(res, o.format, ja);
    } else {
        print_checkup(res, o.format, ja);
    }
    onshi_msg_free(res);
    return 0;
}
