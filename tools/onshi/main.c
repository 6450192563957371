/*
 * onshi — command-line tool for vendor staff and integrators.
 *   onshi <subcommand> [args]      onshi help
 * Exit status: 0 success, 1 the input or the operation failed (one error line on stderr),
 * 2 usage error.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"
#include "sys.h"

#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF " [--config FILE] [--set NAME=VALUE]..."
static const onshi_cli_cmd commands[] = {
    {"verify", cmd_verify,
     "verify --insurer N [--symbol S] --number N [--branch BB] --birth YYYYMMDD [--limit-consent] [--id ARB] [--previous FILE] [--pickup ID [--wait-ms MS]] [--json|--csv]" CONF,
     "資格確認 by insurer number, symbol and number as printed on a 資格確認書 or 資格情報のお知らせ (checked locally first); --previous shows what changed since a saved result",
     "保険者番号・記号・番号・枝番・生年月日による資格確認（送信前に入力を確認）。--previous で保存した結果からの変更を表示"},
    {"pending", cmd_pending,
     "pending [--all] [--json|--csv] | --resume [ID] [--wait-ms MS] [--json]" CONF,
     "requests a stopped program left open (file transport): id, type, state, age, masked patient key; --resume picks their results up (never sends again)",
     "停止したプログラムが残した保留中の要求（ID・種別・状態・経過時間・伏字の患者キー）。--resume で結果を受け取る（再送しない）"},
    {"info", cmd_info,
     "info drug|checkup (--result FILE [--person I] | --insurer N --number N --birth YYYYMMDD ...) [--from YYYYMM --to YYYYMM] [--pdf -o FILE] [--pickup ID] [--json|--csv]" CONF,
     "薬剤情報 / 特定健診情報 of a person whose consent is valid now (refused locally otherwise); default months: the last six up to now",
     "同意が有効な患者の薬剤情報・特定健診情報（同意がなければ送信前に拒否）。期間の既定は今月までの6か月"},
    {"refnum", cmd_refnum_any,
     "refnum --ref R --insurer N [--symbol S] --number N [--branch BB] [--pickup ID] [--json|--csv]" CONF "\n"
     "        onshi refnum --bulk FILE.csv | --resume ID [--out FILE] [--json|--csv]" CONF,
     "register a 照会番号 for one insured person, or (--bulk) for a list of patients (照会番号一括登録)",
     "被保険者1人の照会番号を登録、または --bulk で患者一覧を一括登録"},
    {"batch", cmd_batch,
     "batch FILE.csv | --homecare|--online FROM TO | --welfare YYYYMM | --resume ID | --list [--out FILE] [--json|--csv]" CONF,
     "一括照会: check a list of reserved patients (CSV, UTF-8 or CP932) before the visit; or fetch the 同意済 (訪問/オンライン) or 医療扶助 list; progress bar, summary table",
     "来院予定の患者一覧（CSV、UTF-8 または CP932）の一括照会、または同意済（訪問・オンライン）・医療扶助の一覧の取得。進捗表示と集計"},
    {"face-watch", cmd_face_watch,
     "face-watch [--existing] [--count N] [--timeout-ms MS] [--json|--csv]" CONF,
     "print each new face-reader result from face/ (never moved or deleted)",
     "顔認証付きカードリーダーの新しい結果を face/ から表示（ファイルは移動・削除しない）"},
    {"verify-card", cmd_verify_card,
     "verify-card [--face-verified|--visual] [--consent ask|all|none|skip] [--json] [--pin-fd N] [--pin-timeout S]" CONF,
     "verify with the My Number Card in the reader (HTTPS); the PIN is asked on the terminal",
     "リーダー上のマイナンバーカードで資格確認（HTTPS）。暗証番号は端末で入力"},
    {"card", cmd_card,
     "card status|cert|sign-test [--json] [--pin-fd N] [--pin-timeout S] [--confirm-last-try]" CONF,
     "the card alone: reader, card present, JPKI AP, PIN tries left; the auth certificate and its expiry; a test signature (PIN from the terminal or --pin-fd)",
     "カード単体の確認：リーダー、カードの有無、JPKI、暗証番号の残り回数、利用者証明用証明書と期限、署名の試験"},
    {"disaster-search", cmd_disaster_search,
     "disaster-search --name N|--kana K --birth YYYYMMDD [--sex 1|2] [--address A] [--kind drug|checkup] [--json|--csv]" CONF,
     "災害時 search for drug/checkup information (only while the system has it open; audited)",
     "災害時の薬剤・特定健診情報の検索（システムが開始している間のみ。監査記録あり）"},
    {"limit", cmd_limit, "limit CLASS TOTAL_COST [--ratio 30] [--outpatient] [--many] [--json]",
     "monthly co-payment ceiling (高額療養費) for an 適用区分 and a total cost",
     "適用区分と総医療費から高額療養費の自己負担限度額を計算"},
    {"decode", cmd_decode, "decode FILE [--json]" CONF,
     "decode a request or result file (type from the file-name prefix or the content) and print it as a table, or JSON",
     "要求・結果ファイルをデコードして表、または JSON で表示（種別はファイル名または内容から）"},
    {"encode", cmd_encode, "encode TYPE --json FILE [--encoding utf-8|cp932] [-o OUT]",
     "validate and write a message (TYPE = file prefix such as OQSsiquc01req) from JSON",
     "JSON から電文を検証して書き出す（TYPE は OQSsiquc01req などの接頭辞）"},
    {"check", cmd_check, "check insurer|public-expense|institution NUMBER",
     "check a 保険者番号 / 公費負担者番号 check digit or a 医療機関コード's structure",
     "保険者番号・公費負担者番号の検証番号、医療機関コードの構成を確認"},
    {"diagnose", cmd_diagnose, "diagnose [--json|--csv]" CONF,
     "check folders, linkage app, DNS, TCP, proxy, certificates and the server",
     "フォルダ、連携アプリ、DNS、TCP、proxy、証明書、サーバーを診断"},
    {"cert-info", cmd_cert_info, "cert-info [--card-cert FILE] [--json]" CONF,
     "days until the client certificate expires; details of a card certificate file",
     "クライアント証明書の有効期限までの日数、カード証明書ファイルの内容"},
};

FILE *cli_create_private(const char *path)
{
    /* Results, CSV, JSON, PDFs and encoded requests hold personal data: 0600 whatever the
     * umask, never through a symbolic link planted at that name. */
    return cli_sys_create_private(path);
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "onshi %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_ctx(const char *cmd, onshi_ctx *ctx, int status, const char *what)
{
    const char *msg = ctx ? onshi_ctx_last_error_message(ctx) : "";
    if (msg == NULL || *msg == '\0')
        msg = onshi_status_label(cli_labels(0), status);
    return cli_fail(cmd, "%s: %s (%s)", what, msg, onshi_status_name(status) ? onshi_status_name(status) : "?");
}

static void usage(FILE *f)
{
    int ja = cli_lang_ja();
    fprintf(f, ja ? "使い方: onshi <コマンド> [引数]      onshi <コマンド> --help      onshi --version\n\n"
                    "コマンド:\n"
                  : "usage: onshi <command> [args]      onshi <command> --help      onshi --version\n\n"
                    "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  onshi %s\n      %s\n", commands[i].usage,
                ja ? commands[i].help_ja : commands[i].help);
    fputs(ja ? "\n設定: --config FILE、なければ $ONSHI_CONF、なければ ./onshi.conf、次に ONSHI_* 環境変数、\n"
               "最後に --set 名前=値（onshi.conf と同じ名前と値。docs/options.md）。\n"
               "表示言語: ONSHI_LANG=ja|en、なければ LANG 等が ja で始まれば日本語。\n"
               "\n終了コード:\n"
               "  0  成功\n"
               "  1  入力または処理の失敗（標準エラーに1行）\n"
               "  2  使い方の誤り\n"
               "  3  送信済みで結果はまだない（後で受け取る。再送しない）\n"
               "  4  指定した時間待ったが何も届かなかった（face-watch --timeout-ms など）\n"
             : "\nconfiguration: --config FILE, else $ONSHI_CONF, else ./onshi.conf, then the ONSHI_*\n"
               "variables, then each --set NAME=VALUE (names and values as in onshi.conf: docs/options.md).\n"
               "language: ONSHI_LANG=ja|en, else Japanese when LC_ALL/LC_MESSAGES/LANG start with ja.\n"
               "\nexit status:\n"
               "  0  success\n"
               "  1  the input or the operation failed (one error line on stderr)\n"
               "  2  usage error\n"
               "  3  sent, the result is not there yet (pick it up later; never send again)\n"
               "  4  waited the time given and nothing was delivered (face-watch --timeout-ms, ...)\n",
          f);
}

static void command_help(const onshi_cli_cmd *c)
{
    int ja = cli_lang_ja();
    printf(ja ? "使い方: onshi %s\n\n%s\n" : "usage: onshi %s\n\n%s\n", c->usage,
           ja ? c->help_ja : c->help);
    fputs(ja ? "\n終了コード: 0 成功、1 失敗、2 使い方の誤り、3 結果待ち（保留中）、4 時間切れ（何も届かず）\n"
             : "\nexit status: 0 success, 1 failure, 2 usage, 3 result pending, 4 timeout with nothing "
               "delivered\n",
          stdout);
}

/* --set NAME=VALUE of any command: taken out of argv here, applied through the library's one
 * parser before the command runs and again after it loaded its configuration (so they win). */
static char **g_sets;
static int g_nsets;

int cli_apply_sets(onshi_ctx *ctx, const char *cmd)
{
    for (int i = 0; i < g_nsets; i++) {
        int r = cli_set_option(ctx, cmd, g_sets[i]);
        if (r != 0)
            return r;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
                      strcmp(argv[1], "version") == 0)) {
        printf("onshi (libonshi %s)\n", onshi_version(NULL, NULL, NULL));
        return CLI_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0)
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    command_help(&commands[i]);
                    return CLI_EXIT_OK;
                }
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        /* `onshi CMD ... --help`: the command's help, exit 0, nothing else done */
        for (int k = 2; k < argc; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                command_help(&commands[i]);
                return CLI_EXIT_OK;
            }
        /* take the --set pairs out of the command's arguments */
        char **args = calloc((size_t)argc + 1, sizeof *args);
        g_sets = calloc((size_t)argc + 1, sizeof *g_sets);
        if (args == NULL || g_sets == NULL)
            return CLI_EXIT_FAIL;
        int n = 0;
        for (int k = 1; k < argc; k++) {
            if (strcmp(argv[k], "--set") == 0) {
                if (k + 1 >= argc) {
                    fprintf(stderr, "onshi %s: %s\n", argv[1],
                            CLI_T("--set needs NAME=VALUE", "--set には 名前=値 を指定してください"));
                    return CLI_EXIT_USAGE;
                }
                g_sets[g_nsets++] = argv[++k];
            } else {
                args[n++] = argv[k];
            }
        }
        onshi_ctx *ctx = NULL;
        int rc = onshi_ctx_new(&ctx);
        if (rc != ONSHI_OK)
            return cli_fail(argv[1], CLI_T("cannot create a context: %s", "コンテキストを作れません：%s"), onshi_status_label(cli_labels(0), rc));
        /* messages of the library in the language of the environment */
        onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, cli_lang_ja() ? "ja" : "en");
        /* Decoding limits from the environment (ONSHI_XML_MAX_SIZE=1073741824 onshi decode …);
         * a bad value is an error, never silently ignored. */
        static const char *const env_opts[] = {"xml_max_size", "xml_max_depth", "xml_memory_factor"};
        for (size_t k = 0; k < sizeof env_opts / sizeof *env_opts; k++) {
            char var[64];
            snprintf(var, sizeof var, "ONSHI_%s", env_opts[k]);
            for (char *p = var; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            const char *v = getenv(var);
            if (v == NULL || *v == '\0')
                continue;
            if (onshi_ctx_set_option(ctx, env_opts[k], v) != ONSHI_OK) {
                int r = cli_fail_ctx(argv[1], ctx, onshi_ctx_last_error(ctx), var);
                onshi_ctx_free(ctx);
                return r;
            }
        }
        rc = cli_apply_sets(ctx, argv[1]);
        if (rc == 0)
            rc = commands[i].run(ctx, n, args);
        else
            rc = CLI_EXIT_USAGE;
        onshi_ctx_free(ctx);
        free(args);
        free(g_sets);
        return rc;
    }
    fprintf(stderr, cli_lang_ja() ? "onshi: 不明なコマンド「%s」\n" : "onshi: unknown command \"%s\"\n",
            argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
