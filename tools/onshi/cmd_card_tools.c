/*
 * onshi CLI: `onshi card status|cert|sign-test` — the card alone, for reception staff and
 * support: which reader, is a card there, is it a My Number Card (JPKI AP), PIN tries left;
 * the user-authentication certificate and its expiry; a test signature with the PIN.
 * Only the library's allowlisted commands reach the card (the My Number is never read).
 * The PIN comes from the terminal (echo off, with a timeout) or from an inherited file
 * descriptor (--pin-fd N, for kiosks and automated tests): never argv, never the environment.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#define TR(en, ja) (cli_lang_ja() ? (ja) : (en))

/* ---- the PIN source (also used by verify-card) ---------------------------------------- */

/* Read one line from fd into buf (NUL-terminated, newline dropped), waiting at most
 * timeout_s seconds for each byte (0: no limit). Returns 0, or -1 on timeout / EOF / error. */
static int read_line_fd(int fd, char *buf, size_t cap, int timeout_s)
{
    size_t n = 0;
    for (;;) {
        if (timeout_s > 0) {
            struct pollfd p = {fd, POLLIN, 0};
            int r = poll(&p, 1, timeout_s * 1000);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -1;
        }
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return n > 0 ? (buf[n] = '\0', 0) : -1;
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap) { /* too long: not a PIN; consume nothing more */
            buf[0] = '\0';
            return -1;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    return 0;
}

/* The terminal, echo off when secret, with the timeout. */
static int tty_line(const char *prompt, char *buf, size_t cap, int secret, int timeout_s)
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
        /* the prompt is a courtesy */
    }
    int rc = read_line_fd(fd, buf, cap, timeout_s);
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
            /* nothing to do */
        }
    }
    close(fd);
    return rc;
}

int ONSHI_CALL cli_pin_cb(void *ud, int tries, int last, char *buf, size_t size, int *confirm)
{
    cli_pin *p = ud;
    char ans[16];
    if (last) {
        if (p->fd >= 0) {
            /* No one to ask: only an explicit --confirm-last-try spends the last try. */
            if (!p->confirm_last) {
                fprintf(stderr, "%s\n",
                        TR("onshi: one PIN try left: not tried without --confirm-last-try",
                           "onshi: 暗証番号の残り回数が 1 回です。--confirm-last-try がないため"
                           "入力しません"));
                return 0;
            }
            *confirm = 1;
        } else {
            if (tty_line(TR("Only ONE PIN try is left; a wrong PIN locks the card (only the "
                            "municipal office can unlock it). Try anyway? [y/N] ",
                            "暗証番号の残り回数は 1 回です。間違えるとロックされ、市区町村窓口"
                            "でしか解除できません。入力しますか？ [y/N] "),
                         ans, sizeof ans, 0, p->timeout_s) != 0)
                return 1;
            if (ans[0] != 'y' && ans[0] != 'Y')
                return 0; /* not confirmed: the library refuses without trying */
            *confirm = 1;
        }
    }
    p->asked++;
    if (p->fd >= 0)
        return read_line_fd(p->fd, buf, size, p->timeout_s) == 0 ? 0 : 1;
    char prompt[160];
    if (tries >= 0)
        snprintf(prompt, sizeof prompt, TR("Card PIN (4 digits, %d tries left): ",
                                           "利用者証明用暗証番号（4桁、残り %d 回）: "),
                 tries);
    else
        snprintf(prompt, sizeof prompt, "%s",
                 TR("Card PIN (4 digits): ", "利用者証明用暗証番号（4桁）: "));
    if (tty_line(prompt, buf, size, 1, p->timeout_s) != 0) {
        fprintf(stderr, "%s\n", TR("onshi: no PIN entered (timeout or no terminal)",
                                   "onshi: 暗証番号が入力されませんでした（時間切れまたは端末なし）"));
        return 1;
    }
    return 0;
}

int cli_pin_option(cli_pin *p, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--pin") == 0 || strncmp(a, "--pin=", 6) == 0)
        return cli_fail(cmd, "%s", TR("the PIN is never taken from the command line (or the "
                                      "environment); it is asked on the terminal, or read "
                                      "from --pin-fd N",
                                      "暗証番号はコマンドラインや環境変数からは受け取りません。"
                                      "端末で入力するか、--pin-fd N で渡してください"));
    if ((strcmp(a, "--pin-fd") == 0 || strcmp(a, "--pin-timeout") == 0) && *i + 1 < argc) {
        char *end;
        errno = 0;
        long v = strtol(argv[*i + 1], &end, 10);
        if (errno != 0 || *end != '\0' || v < 0 || v > 86400 ||
            (strcmp(a, "--pin-fd") == 0 && v < 3 && v != 0))
            return cli_fail(cmd, "%s %s: %s", a, argv[*i + 1],
                            TR("not a valid number (--pin-fd: an open descriptor >= 3, or 0 "
                               "for standard input; --pin-timeout: 0..86400 seconds)",
                               "数値が正しくありません（--pin-fd は 3 以上の開いた記述子、"
                               "または標準入力の 0。--pin-timeout は 0〜86400 秒）"));
        if (strcmp(a, "--pin-fd") == 0) {
            if (fcntl((int)v, F_GETFD) < 0)
                return cli_fail(cmd, "--pin-fd %ld: %s", v,
                                TR("no such open file descriptor",
                                   "そのファイル記述子は開いていません"));
            p->fd = (int)v;
        } else {
            p->timeout_s = (int)v;
        }
        (*i)++;
        return -1; /* consumed */
    }
    if (strcmp(a, "--confirm-last-try") == 0) {
        p->confirm_last = 1;
        return -1;
    }
    return 0; /* not a PIN option */
}

void cli_pin_init(cli_pin *p)
{
    p->fd = -1;
    p->timeout_s = 60;
    p->confirm_last = 0;
    p->asked = 0;
}

/* ---- output ----------------------------------------------------------------------------- */

static void jstr(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void row(const char *label, const char *value)
{
    int pad = 26 - cli_display_width(label);
    printf("  %s%*s %s\n", label, pad > 0 ? pad : 0, "", value && *value ? value : "-");
}

static const char *yes_no(int v)
{
    return v ? TR("yes", "はい") : TR("no", "いいえ");
}

/* ---- the subcommands ------------------------------------------------------------------ */

typedef struct card_args {
    int json;
    cli_pin pin;
} card_args;

static int usage_card(FILE *f)
{
    fprintf(f, "%s",
            TR("usage: onshi card status [--json]\n"
               "       onshi card cert [--json] [--pin-fd N] [--pin-timeout S]\n"
               "       onshi card sign-test [--json] [--pin-fd N] [--pin-timeout S] "
               "[--confirm-last-try]\n"
               "       (each also takes --config FILE and --set name=value, e.g.\n"
               "        --set card_reader=\"Virtual PCD 00 00\" --set card_wait_timeout_ms=0)\n",
               "使い方: onshi card status [--json]\n"
               "        onshi card cert [--json] [--pin-fd N] [--pin-timeout 秒]\n"
               "        onshi card sign-test [--json] [--pin-fd N] [--pin-timeout 秒] "
               "[--confirm-last-try]\n"
               "        （--config FILE、--set 名前=値 も使えます。例: --set card_reader=...）\n"));
    return 2;
}

static int parse(onshi_ctx *ctx, const char *cmd, int argc, char **argv, card_args *a)
{
    const char *config = NULL;
    memset(a, 0, sizeof *a);
    cli_pin_init(&a->pin);
    for (int i = 2; i < argc; i++) {
        int r = cli_pin_option(&a->pin, cmd, argc, argv, &i);
        if (r > 0)
            return r;
        if (r < 0)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
            i++; /* applied after the configuration file, below */
        else if (strcmp(argv[i], "--help") == 0) {
            usage_card(stdout);
            return 3; /* asked for help: exit 0 without doing anything */
        }
        else
            return usage_card(stderr);
    }
    if (cli_load_config(ctx, cmd, config) != 0)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, cli_lang_ja() ? "ja" : "en");
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--set") == 0 && cli_set_option(ctx, cmd, argv[++i]) != 0)
            return 1;
    return 0;
}

static int card_status(onshi_ctx *ctx, const card_args *a)
{
    const char *cmd = "card status";
    onshi_buf *names = NULL;
    size_t n = 0;
    int rc = onshi_card_readers(&names, &n, ctx);
    if (rc != ONSHI_OK && rc != ONSHI_E_CARD_NO_READER)
        return cli_fail_ctx(cmd, ctx, rc, TR("smart-card service", "スマートカードサービス"));
    onshi_card *card = NULL;
    int present = 0, jpki = 0, tries = -1, locked = 0;
    int orc = rc == ONSHI_OK ? onshi_card_open(&card, ctx) : rc;
    char why[300] = "";
    if (orc == ONSHI_OK) {
        present = jpki = 1;
        int trc = onshi_card_pin_tries_left(&tries, card);
        if (trc == ONSHI_E_JPKI_PIN_LOCKED)
            locked = 1;
        else if (trc != ONSHI_OK)
            snprintf(why, sizeof why, "%s", onshi_ctx_last_error_message(ctx));
    } else {
        present = orc == ONSHI_E_JPKI_NOT_JPKI || orc == ONSHI_E_JPKI_UNSUPPORTED_TOKEN;
        snprintf(why, sizeof why, "%s", onshi_ctx_last_error_message(ctx));
    }
    const char *reader = card ? onshi_card_reader_name(card) : NULL;
    if (a->json) {
        printf("{\"_type\":\"card_status\",\"readers\":[");
        const char *p = names ? (const char *)onshi_buf_data(names) : "";
        for (size_t i = 0; i < n; i++, p += strlen(p) + 1) {
            if (i)
                putchar(',');
            jstr(p);
        }
        printf("],\"reader\":");
        if (reader)
            jstr(reader);
        else
            printf("null");
        printf(",\"card_present\":%s,\"jpki\":%s,\"pin_tries_left\":", present ? "true" : "false",
               jpki ? "true" : "false");
        if (jpki && (tries >= 0 || locked))
            printf("%d", locked ? 0 : tries);
        else
            printf("null");
        printf(",\"pin_locked\":%s,\"status\":", locked ? "true" : "false");
        jstr(onshi_status_name(orc));
        printf(",\"message\":");
        jstr(why);
        printf("}\n");
    } else {
        printf("%s\n", TR("Card reader and card", "カードリーダーとカード"));
        const char *p = names ? (const char *)onshi_buf_data(names) : "";
        if (n == 0)
            row(TR("readers", "リーダー"), TR("none connected", "接続されていません"));
        for (size_t i = 0; i < n; i++, p += strlen(p) + 1)
            row(TR("reader", "リーダー"), p);
        row(TR("reader in use", "使用するリーダー"), reader);
        row(TR("card present", "カード"), yes_no(present));
        row(TR("My Number Card (JPKI AP)", "マイナンバーカード（JPKI AP）"), yes_no(jpki));
        char t[64] = "-";
        if (locked)
            snprintf(t, sizeof t, "%s", TR("0 (locked: municipal office)",
                                           "0（ロック中：市区町村窓口で解除）"));
        else if (jpki && tries >= 0)
            snprintf(t, sizeof t, "%d", tries);
        row(TR("PIN tries left", "暗証番号の残り回数"), t);
        if (why[0])
            row(TR("note", "補足"), why);
    }
    onshi_card_free(card);
    onshi_buf_free(names);
    /* exit 0 when the question was answered (a card with its tries), 1 otherwise */
    return orc == ONSHI_OK ? 0 : 1;
}

static void cert_out(const onshi_cert *c, int json, int chain_rc, const char *chain_msg)
{
    int64_t days = 0;
    onshi_cert_days_left(&days, c);
    if (json) {
        printf("{\"_type\":\"card_cert\",\"serial\":");
        jstr(onshi_cert_serial_hex(c));
        printf(",\"issuer\":");
        jstr(onshi_cert_issuer(c));
        printf(",\"subject\":");
        jstr(onshi_cert_subject(c));
        printf(",\"not_before\":");
        jstr(onshi_cert_not_before(c));
        printf(",\"not_after\":");
        jstr(onshi_cert_not_after(c));
        printf(",\"days_left\":%lld,\"expired\":%s,\"key_bits\":%d,\"chain\":", (long long)days,
               days < 0 ? "true" : "false", onshi_cert_key_bits(c));
        jstr(onshi_status_name(chain_rc));
        printf(",\"chain_message\":");
        jstr(chain_msg);
        printf("}\n");
        return;
    }
    char v[200];
    printf("%s\n", TR("User-authentication certificate of the card",
                      "カードの利用者証明用電子証明書"));
    row(TR("serial", "シリアル番号"), onshi_cert_serial_hex(c));
    row(TR("issuer", "発行者"), onshi_cert_issuer(c));
    row(TR("valid from (UTC)", "有効期間の開始（UTC）"), onshi_cert_not_before(c));
    row(TR("valid until (UTC)", "有効期限（UTC）"), onshi_cert_not_after(c));
    if (days >= 0)
        snprintf(v, sizeof v, TR("%lld days left", "残り %lld 日"), (long long)days);
    else
        /* The SDK does not decide: the system accepts an expired card for qualification for
         * three months after the end of its month (docs/workflow-card.md). */
        snprintf(v, sizeof v,
                 TR("expired %lld days ago: renew at the municipal office; the system still "
                    "accepts it for qualification only, until three months after the end of the "
                    "month it expired",
                    "%lld 日前に有効期限切れ。市区町村窓口で更新してください（満了月の末日から"
                    "3か月間は資格確認のみ利用できます）"),
                 (long long)-days);
    row(TR("expiry", "期限"), v);
    snprintf(v, sizeof v, "RSA %d", onshi_cert_key_bits(c));
    row(TR("key", "鍵"), v);
    row(TR("chain to the JPKI CA", "JPKI 認証局への検証"),
        chain_rc == ONSHI_OK ? TR("OK", "正常") : chain_msg);
}

/* Install the PIN callback, keeping the context's other callbacks. */
static void cli_set_pin_cb(onshi_ctx *ctx, cli_pin *pin)
{
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    onshi_ctx_get_callbacks(&cbs, ctx);
    cbs.pin = cli_pin_cb;
    cbs.pin_userdata = pin;
    onshi_ctx_set_callbacks(ctx, &cbs);
}

static int card_cert(onshi_ctx *ctx, card_args *a)
{
    const char *cmd = "card cert";
    cli_set_pin_cb(ctx, &a->pin); /* a smartphone's certificate needs it */
    onshi_card *card = NULL;
    onshi_cert *c = NULL;
    int rc = onshi_card_open(&card, ctx);
    if (rc == ONSHI_OK)
        rc = onshi_card_read_auth_cert(&c, card);
    onshi_card_free(card);
    if (rc != ONSHI_OK)
        return cli_fail_ctx(cmd, ctx, rc, TR("reading the certificate", "証明書の読み取り"));
    int chain = onshi_cert_verify(ctx, c);
    char msg[300];
    snprintf(msg, sizeof msg, "%s",
             chain == ONSHI_E_CONFIG ? TR("not checked (no jpki_ca_files configured)",
                                          "未検証（jpki_ca_files が未設定）")
                                     : onshi_ctx_last_error_message(ctx));
    if (chain == ONSHI_OK)
        msg[0] = '\0';
    cert_out(c, a->json, chain, msg);
    onshi_cert_free(c);
    /* expired alone is not a failure here (the system decides); a broken chain is */
    return chain == ONSHI_OK || chain == ONSHI_E_CONFIG || chain == ONSHI_E_JPKI_CERT_EXPIRED ? 0
                                                                                             : 1;
}

static int card_sign_test(onshi_ctx *ctx, card_args *a)
{
    const char *cmd = "card sign-test";
    unsigned char hash[32];
    if (getrandom(hash, sizeof hash, 0) != (ssize_t)sizeof hash)
        return cli_fail(cmd, "getrandom: %s", strerror(errno));
    cli_set_pin_cb(ctx, &a->pin);
    onshi_card *card = NULL;
    onshi_buf *sig = NULL;
    onshi_cert *c = NULL;
    int rc = onshi_card_open(&card, ctx);
    if (rc == ONSHI_OK)
        rc = onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, sizeof hash);
    if (rc == ONSHI_OK) /* known since the signature: no APDU */
        rc = onshi_card_read_auth_cert(&c, card);
    onshi_card_free(card);
    if (rc != ONSHI_OK) {
        int kind = 0;
        int64_t left = -1;
        onshi_ctx_last_error_foreign(&kind, &left, ctx);
        if (a->json) {
            printf("{\"_type\":\"card_sign_test\",\"ok\":false,\"status\":");
            jstr(onshi_status_name(rc));
            printf(",\"tries_left\":");
            if (kind == ONSHI_FOREIGN_TRIES)
                printf("%lld", (long long)left);
            else
                printf("null");
            printf(",\"message\":");
            jstr(onshi_ctx_last_error_message(ctx));
            printf("}\n");
        }
        return cli_fail_ctx(cmd, ctx, rc, TR("test signature", "テスト署名"));
    }
    /* the library verified the signature with the card's certificate before returning it */
    if (a->json) {
        printf("{\"_type\":\"card_sign_test\",\"ok\":true,\"signature_bytes\":%zu,\"serial\":",
               onshi_buf_len(sig));
        jstr(onshi_cert_serial_hex(c));
        printf("}\n");
    } else {
        char v[80];
        printf("%s\n", TR("Test signature with the card's user-authentication key",
                          "利用者証明用の鍵によるテスト署名"));
        snprintf(v, sizeof v, TR("OK (%zu bytes, verified with the card's certificate)",
                                 "正常（%zu バイト、カードの証明書で検証済み）"),
                 onshi_buf_len(sig));
        row(TR("signature", "署名"), v);
        row(TR("certificate serial", "証明書シリアル番号"), onshi_cert_serial_hex(c));
    }
    onshi_buf_free(sig);
    onshi_cert_free(c);
    return 0;
}

int cmd_card(onshi_ctx *ctx, int argc, char **argv)
{
    if (argc < 2)
        return usage_card(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage_card(stdout);
        return 0;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "card %s", sub);
    card_args a;
    int rc = parse(ctx, cmd, argc, argv, &a);
    if (rc == 3) /* --help */
        return 0;
    if (rc != 0)
        return rc;
    if (strcmp(sub, "status") == 0)
        return card_status(ctx, &a);
    if (strcmp(sub, "cert") == 0)
        return card_cert(ctx, &a);
    if (strcmp(sub, "sign-test") == 0)
        return card_sign_test(ctx, &a);
    return usage_card(stderr);
}
