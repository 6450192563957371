/*
 * onshi CLI: verify-card, disaster-search, limit, diagnose, cert-info.
 * Readable tables in Japanese or English (LANG), --json for scripts. The card PIN is read
 * from the terminal without echo — never from argv or the environment.
 * Options come from onshi.conf (--config FILE, $ONSHI_CONF or ./onshi.conf; docs/configuration.md)
 * and the ONSHI_* variables, then `--set name=value` (any option name, docs/options.md).
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE /* memmem */
#include "cmd.h"

#include <ctype.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* ---- shared bits ---- */

#define TR(en, ja) (cli_lang_ja() ? (ja) : (en))

/* onshi.conf (--config FILE, $ONSHI_CONF or ./onshi.conf) and ONSHI_* variables first, so
 * that --set overrides them. Removes --config FILE from argv; returns 0 or the exit status. */
static int card_config(onshi_ctx *ctx, const char *cmd, int *argc, char **argv)
{
    const char *path = NULL;
    int o = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
            path = argv[++i];
        else
            argv[o++] = argv[i];
    }
    *argc = o;
    return cli_load_config(ctx, cmd, path);
}

int cli_refuse_secret(const char *cmd, const char *name)
{
    /* argv is readable by every user of the machine (ps, /proc): a password never goes
     * there, as the PIN never does. */
    char env[80];
    size_t i = 0;
    for (; name[i] != '\0' && i < sizeof env - 1; i++)
        env[i] = (char)toupper((unsigned char)name[i]);
    env[i] = '\0';
    return cli_fail(cmd,
                    "%s is a secret and is not taken from the command line (other users can "
                    "read it there): put it in onshi.conf (mode 0600) or the environment "
                    "variable ONSHI_%s / %s は秘密情報のためコマンドラインでは受け付けません"
                    "（他の利用者から見えます）。onshi.conf（モード 0600）または環境変数で"
                    "指定してください",
                    name, env, name);
}

int cli_set_option(onshi_ctx *ctx, const char *cmd, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return cli_fail(cmd, "--set wants name=value, got \"%s\"", kv);
    char name[64];
    size_t n = (size_t)(eq - kv);
    if (n >= sizeof name)
        return cli_fail(cmd, "option name too long: %s", kv);
    memcpy(name, kv, n);
    name[n] = '\0';
    int id = onshi_option_id(name);
    if (id < 0)
        return cli_fail(cmd, "unknown option \"%s\" (see docs/options.md)", name);
    if (onshi_option_is_secret(id) == 1)
        return cli_refuse_secret(cmd, name);
    int rc;
    if (onshi_option_type(id) == ONSHI_OPTTYPE_INT)
        rc = onshi_ctx_set_int(ctx, id, strtoll(eq + 1, NULL, 10));
    else
        rc = onshi_ctx_set_str(ctx, id, eq + 1);
    return rc == ONSHI_OK ? 0 : cli_fail_ctx(cmd, ctx, rc, name);
}

/* Print a JSON string literal. */
static void jstr(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* Columns a UTF-8 string takes on a terminal: East Asian wide characters take two. */
int cli_display_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1Fu;
            n = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0Fu;
            n = 3;
        } else {
            cp = *p & 0x07u;
            n = 4;
        }
        for (int i = 1; i < n && p[i]; i++)
            cp = cp << 6 | (p[i] & 0x3Fu);
        for (int i = 0; i < n && *p; i++)
            p++;
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
        w += wide ? 2 : 1;
    }
    return w;
}

static void row(const char *label, const char *value)
{
    int pad = 30 - cli_display_width(label);
    printf("  %s%*s %s\n", label, pad > 0 ? pad : 0, "", value && *value ? value : "-");
}

/* Read a line from the terminal (not stdin, which may be a pipe), echo off when secret. */
static int tty_read(const char *prompt, char *buf, size_t cap, int secret)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return -1;
    struct termios old, raw;
    int restore = 0;
    if (secret && tcgetattr(fd, &old) == 0) {
        raw = old;
        raw.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        raw.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &raw) == 0;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy: go on reading */
    }
    size_t n = 0;
    char c;
    while (n + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
        buf[n++] = c;
    buf[n] = '\0';
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
            /* nothing to do */
        }
    }
    close(fd);
    return 0;
}

/* ---- verify-card ---- */

typedef struct vc_ui {
    int consent_mode; /* 0 ask, 1 all, 2 none */
    int yes_visual;
} vc_ui;

static const struct {
    int bit;
    const char *en, *ja;
} k_items[] = {
    {ONSHI_CONSENT_LIMIT, "provide limit-amount information", "限度額適用認定証等の情報提供"},
    {ONSHI_CONSENT_CHECKUP, "view health-checkup information", "特定健診等情報の閲覧"},
    {ONSHI_CONSENT_DRUG, "view drug information", "薬剤情報の閲覧"},
    {ONSHI_CONSENT_DIAGNOSIS, "view diagnosis information", "診療情報の閲覧"},
    {ONSHI_CONSENT_SURGERY, "view surgery information", "手術情報の閲覧"},
};

static int ONSHI_CALL vc_consent(void *ud, int offered, int *granted)
{
    vc_ui *ui = ud;
    *granted = 0;
    if (ui->consent_mode == 1) {
        *granted = offered;
        return 0;
    }
    if (ui->consent_mode == 2)
        return 0;
    for (size_t i = 0; i < sizeof k_items / sizeof k_items[0]; i++) {
        if (!(offered & k_items[i].bit))
            continue;
        char prompt[200], ans[16];
        snprintf(prompt, sizeof prompt, TR("Patient consents to: %s? [y/N] ",
                                           "患者さんは「%s」に同意しますか？ [y/N] "),
                 cli_lang_ja() ? k_items[i].ja : k_items[i].en);
        if (tty_read(prompt, ans, sizeof ans, 0) != 0)
            return 1;
        if (ans[0] == 'y' || ans[0] == 'Y')
            *granted |= k_items[i].bit;
    }
    return 0;
}

static int ONSHI_CALL vc_identity(void *ud, int method, const onshi_cert *cert, int *verified)
{
    vc_ui *ui = ud;
    (void)cert;
    /* --face-verified: the face-recognition device already said "match" for this patient;
     * --visual: staff confirm here, on the terminal. */
    if (method == ONSHI_IDV_FACE || ui->yes_visual) {
        *verified = 1;
        return 0;
    }
    char ans[16];
    if (tty_read(TR("Staff: have you compared the patient with the card's photo? [y/N] ",
                    "職員の方へ：カードの顔写真と本人を目視で確認しましたか？ [y/N] "),
                 ans, sizeof ans, 0) != 0)
        return 1;
    *verified = ans[0] == 'y' || ans[0] == 'Y';
    return 0;
}

static const char *stage_name(int stage)
{
    switch (stage) {
    case ONSHI_STAGE_WAIT_CARD: return TR("waiting for the card", "カードを待っています");
    case ONSHI_STAGE_READ_CERT: return TR("reading the certificate", "証明書を読み取り中");
    case ONSHI_STAGE_VERIFY_IDENTITY: return TR("identity verification", "本人確認");
    case ONSHI_STAGE_CONSENT: return TR("consent", "同意の確認");
    case ONSHI_STAGE_SIGN: return TR("card signs (PIN)", "カードで署名（暗証番号）");
    case ONSHI_STAGE_SEND: return TR("asking the system", "資格確認中");
    case ONSHI_STAGE_DONE: return TR("done", "完了");
    default: return "";
    }
}

static int ONSHI_CALL vc_progress(void *ud, int stage, int64_t done, int64_t total)
{
    (void)ud;
    (void)done;
    (void)total;
    fprintf(stderr, "  … %s\n", stage_name(stage));
    return 0;
}

static const char *gs(onshi_group *g, int field)
{
    const char *v = NULL;
    return g && onshi_group_get_str(&v, g, field) == ONSHI_OK ? v : NULL;
}

static const char *glabel(onshi_group *g, int field)
{
    const char *v = NULL;
    if (g && onshi_group_get_label(&v, cli_labels(cli_lang_ja()), g, field) == ONSHI_OK)
        return v;
    return gs(g, field);
}

int cli_print_qualification(onshi_ctx *ctx, onshi_msg *m, int json)
{
    if (json) {
        onshi_buf *b = NULL;
        int rc = onshi_msg_to_json(&b, ctx, m);
        if (rc != ONSHI_OK)
            return rc;
        fwrite(onshi_buf_data(b), 1, onshi_buf_len(b), stdout);
        putchar('\n');
        onshi_buf_free(b);
        return ONSHI_OK;
    }
    onshi_group *body = onshi_msg_body(m), *r = NULL;
    printf("%s\n", TR("Qualification result", "資格確認結果"));
    row(TR("validity", "資格有効性"), glabel(body, ONSHI_F_QUALIFICATION_VALIDITY));
    static const char *const methods_en[] = {"", "PIN", "face recognition", "visual (staff)"};
    static const char *const methods_ja[] = {"", "暗証番号", "顔認証", "目視確認"};
    const char *mv = gs(body, ONSHI_F_IDENTITY_VERIFICATION_METHOD);
    if (mv && mv[0] >= '1' && mv[0] <= '3')
        row(TR("identity verified by", "本人確認方法"),
            cli_lang_ja() ? methods_ja[mv[0] - '0'] : methods_en[mv[0] - '0']);
    size_t n = onshi_group_count(body, ONSHI_G_RESULT);
    for (size_t i = 0; i < n && onshi_group_at(&r, body, ONSHI_G_RESULT, i) == ONSHI_OK; i++) {
        static const int fields[] = {ONSHI_F_NAME, ONSHI_F_NAME_KANA, ONSHI_F_BIRTHDATE,
                                     ONSHI_F_SEX1, ONSHI_F_INSURER_NUMBER, ONSHI_F_INSURER_NAME,
                                     ONSHI_F_INSURED_CARD_SYMBOL, ONSHI_F_INSURED_ID_NUMBER,
                                     ONSHI_F_INSURED_BRANCH_NUMBER,
                                     ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO,
                                     ONSHI_F_INSURED_CARD_EXPIRATION_DATE, ONSHI_F_LIMIT_CONS_FLG,
                                     ONSHI_F_PHARMACISTS_CONS_FLG};
        static const char *const en[] = {"name", "kana", "birth date", "sex", "insurer number",
                                         "insurer", "symbol", "number", "branch",
                                         "co-payment ratio", "card valid until",
                                         "limit-amount consent", "drug-info consent"};
        static const char *const ja[] = {"氏名", "カナ氏名", "生年月日", "性別", "保険者番号",
                                         "保険者名", "記号", "番号", "枝番", "一部負担金割合",
                                         "有効期限", "限度額情報提供同意", "薬剤情報閲覧同意"};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            row(cli_lang_ja() ? ja[k] : en[k], glabel(r, fields[k]));
    }
    return ONSHI_OK;
}

int cmd_verify_card(onshi_ctx *ctx, int argc, char **argv)
{
    const char *cmd = "verify-card";
    if (card_config(ctx, cmd, &argc, argv) != 0)
        return 1;
    int method = ONSHI_IDV_PIN, json = 0, offered = 0x1F;
    vc_ui ui = {0, 0};
    cli_pin pin;
    cli_pin_init(&pin);
    for (int i = 1; i < argc; i++) {
        int pr = cli_pin_option(&pin, cmd, argc, argv, &i);
        if (pr > 0)
            return pr;
        if (pr < 0)
            continue;
        if (strcmp(argv[i], "--face-verified") == 0)
            method = ONSHI_IDV_FACE;
        else if (strcmp(argv[i], "--visual") == 0)
            method = ONSHI_IDV_VISUAL;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--consent") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            ui.consent_mode = strcmp(v, "all") == 0 ? 1 : strcmp(v, "none") == 0 ? 2 : 0;
            if (strcmp(v, "skip") == 0)
                offered = 0;
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (cli_set_option(ctx, cmd, argv[++i]) != 0)
                return 1;
        } else {
            fprintf(stderr, "usage: onshi verify-card [--face-verified|--visual] "
                            "[--consent ask|all|none|skip] [--json] [--pin-fd N] "
                            "[--pin-timeout S] [--confirm-last-try] [--set name=value]...\n");
            return 2;
        }
    }
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.pin = cli_pin_cb;
    cbs.pin_userdata = &pin;
    cbs.consent = vc_consent;
    cbs.consent_userdata = &ui;
    cbs.progress = vc_progress;
    cbs.progress_userdata = &ui;
    cbs.identity = vc_identity;
    cbs.identity_userdata = &ui;
    onshi_ctx_set_callbacks(ctx, &cbs);
    onshi_msg *m = NULL;
    onshi_request *req = cli_request(ONSHI_REQ_MYNUMBER_CARD_VERIFY);
    if (req == NULL)
        return cli_fail(cmd, "out of memory");
    onshi_request_set_int(req, ONSHI_P_IDV_METHOD, method);
    onshi_request_set_int(req, ONSHI_P_CONSENT_OFFERED, offered);
    int rc = onshi_mynumber_card_verify(&m, ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, TR("verification failed", "資格確認できませんでした"));
    rc = cli_print_qualification(ctx, m, json);
    onshi_msg_free(m);
    return rc == ONSHI_OK ? 0 : cli_fail_ctx(cmd, ctx, rc, "output");
}

/* ---- disaster-search ---- */

int cmd_disaster_search(onshi_ctx *ctx, int argc, char **argv)
{
    const char *cmd = "disaster-search";
    if (card_config(ctx, cmd, &argc, argv) != 0)
        return 1;
    const char *name = NULL, *kana = NULL, *birth = NULL, *addr = NULL, *pdf = NULL;
    int sex = 0, kind = ONSHI_DISASTER_DRUG, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (v == NULL)
            goto usage;
        i++;
        if (strcmp(a, "--name") == 0)
            name = v;
        else if (strcmp(a, "--kana") == 0)
            kana = v;
        else if (strcmp(a, "--birth") == 0)
            birth = v;
        else if (strcmp(a, "--sex") == 0)
            sex = atoi(v);
        else if (strcmp(a, "--address") == 0)
            addr = v;
        else if (strcmp(a, "--kind") == 0)
            kind = strcmp(v, "checkup") == 0 ? ONSHI_DISASTER_CHECKUP : ONSHI_DISASTER_DRUG;
        else if (strcmp(a, "--pdf") == 0)
            pdf = v;
        else if (strcmp(a, "--set") == 0) {
            if (cli_set_option(ctx, cmd, v) != 0)
                return 1;
        } else
            goto usage;
    }
    if (birth == NULL)
        goto usage;
    onshi_msg *m = NULL;
    onshi_request *req = cli_request(ONSHI_REQ_DISASTER_SEARCH);
    if (req == NULL)
        return cli_fail(cmd, "out of memory");
    cli_request_str(req, ONSHI_P_NAME, name);
    cli_request_str(req, ONSHI_P_NAME_KANA, kana);
    cli_request_str(req, ONSHI_P_BIRTHDATE, birth);
    onshi_request_set_int(req, ONSHI_P_SEX, sex);
    cli_request_str(req, ONSHI_P_ADDRESS, addr);
    onshi_request_set_int(req, ONSHI_P_INFO_KIND, kind);
    onshi_request_set_int(req, ONSHI_P_FILE_CATEGORY, pdf ? ONSHI_INFO_PDF : ONSHI_INFO_XML);
    int rc = onshi_disaster_search(&m, ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, TR("search failed", "検索できませんでした"));
    const unsigned char *data = NULL;
    size_t len = 0;
    const char *fname = NULL;
    if (pdf && onshi_msg_attachment(&data, &len, &fname, m) == ONSHI_OK && data) {
        FILE *f = cli_create_private(pdf);
        int ok = f && fwrite(data, 1, len, f) == len;
        if (f)
            ok = fclose(f) == 0 && ok;
        onshi_msg_free(m);
        if (!ok)
            return cli_fail(cmd, "cannot write %s", pdf);
        printf(TR("PDF written to %s (%zu bytes)\n", "PDF を %s に保存しました（%zu バイト）\n"),
               pdf, len);
        return 0;
    }
    onshi_buf *b = NULL;
    rc = onshi_msg_to_json(&b, ctx, m);
    if (rc == ONSHI_OK) {
        if (!json)
            printf("%s\n", TR("Disaster-mode search: one person found (JSON below)",
                              "災害時検索：該当者 1 名（以下 JSON）"));
        fwrite(onshi_buf_data(b), 1, onshi_buf_len(b), stdout);
        putchar('\n');
    }
    onshi_buf_free(b);
    onshi_msg_free(m);
    return rc == ONSHI_OK ? 0 : cli_fail_ctx(cmd, ctx, rc, "output");
usage:
    fprintf(stderr, "usage: onshi disaster-search (--name N | --kana K) --birth YYYYMMDD "
                    "[--sex 1|2] [--address A] [--kind drug|checkup] [--pdf OUT.pdf] [--json] "
                    "--set operator_id=ID [--set name=value]...\n");
    return 2;
}

/* ---- limit ---- */

int cmd_limit(onshi_ctx *ctx, int argc, char **argv)
{
    const char *cmd = "limit";
    const char *cls = NULL;
    int64_t total = -1;
    int ratio = 30, scope = ONSHI_LIMIT_SCOPE_ALL, flags = 0, month = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--outpatient") == 0)
            scope = ONSHI_LIMIT_SCOPE_OUTPATIENT;
        else if (strcmp(a, "--many") == 0)
            flags |= ONSHI_LIMIT_F_MANY_TIMES;
        else if (strcmp(a, "--birth-month-75") == 0)
            flags |= ONSHI_LIMIT_F_BIRTH_MONTH_75;
        else if (strcmp(a, "--provisional") == 0)
            flags |= ONSHI_LIMIT_F_PROVISIONAL;
        else if (strcmp(a, "--ratio") == 0 && i + 1 < argc)
            ratio = atoi(argv[++i]);
        else if (strcmp(a, "--month") == 0 && i + 1 < argc)
            month = atoi(argv[++i]);
        else if (a[0] != '-' && cls == NULL)
            cls = a;
        else if (a[0] != '-' && total < 0 && isdigit((unsigned char)a[0]))
            total = strtoll(a, NULL, 10);
        else {
            cls = NULL;
            break;
        }
    }
    if (cls == NULL || total < 0) {
        fprintf(stderr, "usage: onshi limit CLASS TOTAL_COST [--ratio 10|20|30] [--outpatient] "
                        "[--many] [--birth-month-75] [--month YYYYMM] [--provisional] [--json]\n"
                        "  CLASS: 適用区分 A01..A06, B01..B10\n"
                        "  --provisional: use the August 2026 revision's published figures, not yet\n"
                        "    confirmed against MHLW / the amended 政令 (docs/limit-amount.md)\n");
        return 2;
    }
    int64_t ceiling = 0, copay = 0;
    onshi_request *req = cli_request(ONSHI_REQ_LIMIT);
    if (req == NULL)
        return cli_fail(cmd, "out of memory");
    onshi_request_set_str(req, ONSHI_P_CLASS_CODE, cls);
    onshi_request_set_int(req, ONSHI_P_TOTAL_COST, total);
    onshi_request_set_int(req, ONSHI_P_RATIO_PERCENT, ratio);
    onshi_request_set_int(req, ONSHI_P_SCOPE, scope);
    onshi_request_set_int(req, ONSHI_P_FLAGS, flags);
    onshi_request_set_int(req, ONSHI_P_SERVICE_MONTH, month);
    int rc = onshi_limit_ceiling(&ceiling, ctx, req);
    if (rc == ONSHI_OK)
        rc = onshi_limit_copay(&copay, ctx, req);
    onshi_request_free(req);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, "limit");
    if (json) {
        printf("{\"class\":");
        jstr(cls);
        printf(",\"total_cost\":%lld,\"ratio_percent\":%d,\"scope\":\"%s\",\"many_times\":%s,"
               "\"ceiling\":%lld,\"copay\":%lld,\"provisional\":%s}\n",
               (long long)total, ratio, scope == ONSHI_LIMIT_SCOPE_ALL ? "all" : "outpatient",
               flags & ONSHI_LIMIT_F_MANY_TIMES ? "true" : "false", (long long)ceiling,
               (long long)copay, flags & ONSHI_LIMIT_F_PROVISIONAL ? "true" : "false");
        return 0;
    }
    const char *label = onshi_code_label(cli_labels(cli_lang_ja()), 12, cls);
    char buf[64];
    printf("%s\n", TR("Monthly co-payment ceiling (高額療養費)", "自己負担限度額（高額療養費）"));
    snprintf(buf, sizeof buf, "%s%s%s%s", cls, label ? " (" : "", label ? label : "",
             label ? ")" : "");
    row(TR("class (適用区分)", "適用区分"), buf);
    snprintf(buf, sizeof buf, "%lld", (long long)total);
    row(TR("total cost (yen, 10割)", "総医療費（円・10割）"), buf);
    row(TR("scope", "対象"), scope == ONSHI_LIMIT_SCOPE_ALL ? TR("inpatient + outpatient", "外来＋入院")
                                                          : TR("outpatient", "外来"));
    row(TR("multiple-times (多数回)", "多数回該当"), flags & ONSHI_LIMIT_F_MANY_TIMES
                                                     ? TR("yes", "該当") : TR("no", "非該当"));
    snprintf(buf, sizeof buf, "%lld", (long long)ceiling);
    row(TR("ceiling (yen)", "限度額（円）"), buf);
    snprintf(buf, sizeof buf, "%lld  (%d%%)", (long long)copay, ratio);
    row(TR("window co-payment (yen)", "窓口負担（円）"), buf);
    return 0;
}

/* ---- diagnose ---- */

int cmd_diagnose(onshi_ctx *ctx, int argc, char **argv)
{
    const char *cmd = "diagnose";
    if (card_config(ctx, cmd, &argc, argv) != 0)
        return 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (cli_set_option(ctx, cmd, argv[++i]) != 0)
                return 1;
        } else {
            fprintf(stderr, "usage: onshi diagnose [--json] [--set name=value]...\n");
            return 2;
        }
    }
    onshi_diag_report *r = NULL;
    /* the report's messages come in the context's language: the one of the terminal */
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, cli_lang_ja() ? "ja" : "en");
    int rc = onshi_transport_diagnose(&r, ctx);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, "diagnose");
    static const char *const out_en[] = {"OK", "WARN", "FAIL", "skipped"};
    static const char *const out_ja[] = {"正常", "注意", "異常", "省略"};
    size_t n = onshi_diag_report_count(r);
    if (json)
        printf("[");
    else
        printf("%s\n", TR("Connection diagnosis", "接続診断"));
    for (size_t i = 0; i < n; i++) {
        int o = onshi_diag_report_outcome(r, i);
        const char *msg = onshi_diag_report_message(r, i);
        if (json) {
            printf("%s{\"check\":%d,\"outcome\":\"%s\",\"status\":\"%s\",\"message\":", i ? "," : "",
                   onshi_diag_report_check(r, i), o >= 0 && o <= 3 ? out_en[o] : "?",
                   onshi_status_name(onshi_diag_report_status(r, i)));
            jstr(msg);
            printf("}");
        } else {
            printf("  [%-4s] %s\n", o >= 0 && o <= 3 ? (cli_lang_ja() ? out_ja[o] : out_en[o]) : "?",
                   msg ? msg : "");
        }
    }
    if (json)
        printf("]\n");
    int fail = onshi_diag_report_first_failure(r) >= 0;
    onshi_diag_report_free(r);
    return fail ? 1 : 0;
}

/* ---- cert-info ---- */

static int read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    size_t k;
    while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                p = NULL;
            } else
                p = q;
        }
    }
    fclose(f);
    if (!p)
        return -1;
    *out = p;
    *len = n;
    return 0;
}

/* PEM → DER (the first certificate), in place; DER passes unchanged. */
static size_t pem_to_der(unsigned char *p, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *beg = memmem(p, n, "-----BEGIN CERTIFICATE-----", 27);
    if (beg == NULL)
        return n;
    const char *s = beg + 27, *end = memmem(s, n - (size_t)(s - (char *)p), "-----END", 8);
    if (end == NULL)
        return 0;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; s < end; s++) {
        const char *c = memchr(b64, *s, 64);
        if (c == NULL)
            continue;
        acc = acc << 6 | (unsigned)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* Days until a certificate expires (0 for NULL; the file was parsed, so no other error). */
static long long cert_days(const onshi_cert *cert)
{
    int64_t d = 0;
    onshi_cert_days_left(&d, cert);
    return (long long)d;
}

int cmd_cert_info(onshi_ctx *ctx, int argc, char **argv)
{
    const char *cmd = "cert-info";
    if (card_config(ctx, cmd, &argc, argv) != 0)
        return 1;
    const char *card_file = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--card-cert") == 0 && i + 1 < argc)
            card_file = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (cli_set_option(ctx, cmd, argv[++i]) != 0)
                return 1;
        } else {
            fprintf(stderr, "usage: onshi cert-info [--card-cert FILE] [--json] "
                            "[--set tls_client_cert=F --set tls_client_key=F | "
                            "--set tls_pkcs12_file=F]\n");
            return 2;
        }
    }
    int status = 0;
    int days = 0, have_client = 0;
    const char *p12 = NULL, *crt = NULL;
    onshi_ctx_get_str(&p12, ctx, ONSHI_OPT_TLS_PKCS12_FILE);
    onshi_ctx_get_str(&crt, ctx, ONSHI_OPT_TLS_CLIENT_CERT);
    if ((p12 && *p12) || (crt && *crt)) {
        int rc = onshi_client_cert_days_left(&days, ctx);
        if (rc != ONSHI_OK)
            return cli_fail_ctx(cmd, ctx, rc, TR("client certificate", "クライアント証明書"));
        have_client = 1;
    } else if (card_file == NULL) {
        return cli_fail(cmd, "%s", TR("nothing to show: configure the client certificate "
                                      "(--set tls_client_cert=... or tls_pkcs12_file=...) or "
                                      "give --card-cert FILE",
                                      "クライアント証明書（--set tls_client_cert=… または "
                                      "tls_pkcs12_file=…）か --card-cert FILE を指定してください"));
    }
    onshi_cert *cert = NULL;
    if (card_file) {
        unsigned char *der = NULL;
        size_t len = 0;
        if (read_file(card_file, &der, &len) != 0)
            return cli_fail(cmd, "cannot read %s", card_file);
        len = pem_to_der(der, len);
        int rc = onshi_cert_from_der(&cert, ctx, der, len);
        free(der);
        if (rc != ONSHI_OK)
            return cli_fail_ctx(cmd, ctx, rc, card_file);
    }
    if (json) {
        printf("{");
        if (have_client)
            printf("\"client_cert_days_left\":%d%s", days, cert ? "," : "");
        if (cert) {
            printf("\"card_cert\":{\"subject\":");
            jstr(onshi_cert_subject(cert));
            printf(",\"issuer\":");
            jstr(onshi_cert_issuer(cert));
            printf(",\"serial\":");
            jstr(onshi_cert_serial_hex(cert));
            printf(",\"not_before\":");
            jstr(onshi_cert_not_before(cert));
            printf(",\"not_after\":");
            jstr(onshi_cert_not_after(cert));
            printf(",\"days_left\":%lld,\"key_bits\":%d}", cert_days(cert),
                   onshi_cert_key_bits(cert));
        }
        printf("}\n");
    } else {
        char buf[64];
        if (have_client) {
            printf("%s\n", TR("Client certificate (オンライン請求ネットワーク)",
                              "クライアント証明書（オンライン請求ネットワーク）"));
            snprintf(buf, sizeof buf, "%d%s", days,
                     days < 0 ? TR("  EXPIRED", "  期限切れ")
                              : days < 30 ? TR("  renew soon", "  まもなく期限") : "");
            row(TR("days left", "残り日数"), buf);
        }
        if (cert) {
            printf("%s\n", TR("Card certificate file", "カード証明書ファイル"));
            row(TR("subject", "主体者"), onshi_cert_subject(cert));
            row(TR("issuer", "発行者"), onshi_cert_issuer(cert));
            row(TR("serial", "シリアル番号"), onshi_cert_serial_hex(cert));
            row(TR("valid from (UTC)", "有効期間開始（UTC）"), onshi_cert_not_before(cert));
            row(TR("valid until (UTC)", "有効期間終了（UTC）"), onshi_cert_not_after(cert));
            snprintf(buf, sizeof buf, "%lld", cert_days(cert));
            row(TR("days left", "残り日数"), buf);
            snprintf(buf, sizeof buf, "%s %d", onshi_cert_key_type(cert) == ONSHI_KEY_RSA ? "RSA"
                                               : onshi_cert_key_type(cert) == ONSHI_KEY_EC ? "EC"
                                                                                          : "?",
                     onshi_cert_key_bits(cert));
            row(TR("key", "鍵"), buf);
        }
    }
    if ((have_client && days < 0) || (cert && cert_days(cert) < 0))
        status = 1;
    onshi_cert_free(cert);
    return status;
}
