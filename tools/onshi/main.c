/*
 * onshi — command-line tool for vendor staff and integrators.
 *   onshi <subcommand> [args]      onshi help
 * Exit status: 0 success, 1 the input or the operation failed (one error line on stderr),
 * 2 usage error.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const onshi_cli_cmd commands[] = {
    {"decode", cmd_decode, "decode FILE [--json] [--config FILE] [--set OPTION=VALUE]...",
     "decode a request or result file (type from the file-name prefix or the content) and print it as JSON"},
    {"encode", cmd_encode, "encode TYPE --json FILE [--encoding utf-8|cp932] [-o OUT]",
     "validate and write a message (TYPE = file prefix such as OQSsiquc01req) from JSON"},
    {"check", cmd_check, "check insurer|public-expense|institution NUMBER",
     "check a 保険者番号 / 公費負担者番号 check digit or a 医療機関コード's structure"},
    {"verify", cmd_verify,
     "verify --insurer N [--symbol S] --number N [--branch BB] --birth YYYYMMDD [--limit-consent] [--id ARB] [--previous FILE] [--pickup ID [--wait-ms MS]] [--json|--csv] [--config FILE]",
     "資格確認 by insurer number, symbol and number as printed on a 資格確認書 or 資格情報のお知らせ (checked locally first); --previous shows what changed since a saved result"},
    {"face-watch", cmd_face_watch, "face-watch [--existing] [--count N] [--timeout-ms MS] [--json|--csv] [--config FILE]",
     "print each new face-reader result from face/ (never moved or deleted)"},
    {"refnum", cmd_refnum_any,
     "refnum --ref R --insurer N [--symbol S] --number N [--branch BB] [--pickup ID] [--json|--csv] [--config FILE]\n"
     "        onshi refnum --bulk FILE.csv | --resume ID [--out FILE] [--json|--csv] [--config FILE] [--set OPTION=VALUE]...",
     "register a 照会番号 for one insured person, or (--bulk) for a list of patients (照会番号一括登録)"},
    {"info", cmd_info,
     "info drug|checkup (--result FILE [--person I] | --insurer N --number N --birth YYYYMMDD ...) [--from YYYYMM --to YYYYMM] [--pdf -o FILE] [--pickup ID] [--json|--csv] [--config FILE]",
     "薬剤情報 / 特定健診情報 of a person whose consent is valid now (refused locally otherwise)"},
    {"verify-card", cmd_verify_card, "verify-card [--face-verified|--visual] [--consent ask|all|none|skip] [--json] [--pin-fd N] [--pin-timeout S]",
     "verify with the My Number Card in the reader (HTTPS); the PIN is asked on the terminal"},
    {"card", cmd_card,
     "card status|cert|sign-test [--json] [--pin-fd N] [--pin-timeout S] [--confirm-last-try] [--config FILE] [--set OPTION=VALUE]...",
     "the card alone: reader, card present, JPKI AP, PIN tries left; the auth certificate and its expiry; a test signature (PIN from the terminal or --pin-fd)"},
    {"disaster-search", cmd_disaster_search,
     "disaster-search --name N|--kana K --birth YYYYMMDD [--sex 1|2] [--address A] [--kind drug|checkup]",
     "災害時 search for drug/checkup information (only while the system has it open; audited)"},
    {"limit", cmd_limit, "limit CLASS TOTAL_COST [--ratio 30] [--outpatient] [--many] [--json]",
     "monthly co-payment ceiling (高額療養費) for an 適用区分 and a total cost"},
    {"diagnose", cmd_diagnose, "diagnose [--json]",
     "check folders, linkage app, DNS, TCP, proxy, certificates and the server"},
    {"cert-info", cmd_cert_info, "cert-info [--card-cert FILE] [--json]",
     "days until the client certificate expires; details of a card certificate file"},
    {"batch", cmd_batch,
     "batch FILE.csv | --homecare|--online FROM TO | --welfare YYYYMM | --resume ID | --list [--out FILE] [--json|--csv] [--config FILE] [--set OPTION=VALUE]...",
     "一括照会: check a list of reserved patients (CSV, UTF-8 or CP932) before the visit; or fetch the 同意済 (訪問/オンライン) or 医療扶助 list; progress bar, summary table"},
};

FILE *cli_create_private(const char *path)
{
    /* Results, CSV, JSON, PDFs and encoded requests hold personal data: 0600 whatever the
     * umask, never through a symbolic link planted at that name. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return NULL;
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (f == NULL)
        close(fd);
    return f;
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
    fprintf(f, "usage: onshi <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  onshi %-60s\n      %s\n", commands[i].usage, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        onshi_ctx *ctx = NULL;
        int rc = onshi_ctx_new(&ctx);
        if (rc != ONSHI_OK)
            return cli_fail(argv[1], "cannot create a context: %s", onshi_status_label(cli_labels(0), rc));
        /* One error line in the language of the environment would be nicer; English keeps
         * scripts and logs greppable. ONSHI_LANG=ja switches. */
        const char *lang = getenv("ONSHI_LANG");
        onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, lang && strcmp(lang, "ja") == 0 ? "ja" : "en");
        /* Decoding limits from the environment (ONSHI_XML_MAX_SIZE=1073741824 onshi decode …);
         * a bad value is an error, never silently ignored. */
        static const char *const env_opts[] = {"xml_max_size", "xml_max_depth", "xml_memory_factor"};
        for (size_t k = 0; k < sizeof env_opts / sizeof *env_opts; k++) {
            char var[64], *end;
            snprintf(var, sizeof var, "ONSHI_%s", env_opts[k]);
            for (char *p = var; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            const char *v = getenv(var);
            if (v == NULL || *v == '\0')
                continue;
            long long n = strtoll(v, &end, 10);
            int st = *end != '\0' ? ONSHI_E_OPTION_RANGE
                                  : onshi_ctx_set_int(ctx, onshi_option_id(env_opts[k]), n);
            if (st != ONSHI_OK) {
                onshi_ctx_free(ctx);
                return cli_fail(argv[1], "%s=%s: %s", var, v, onshi_status_label(cli_labels(0), st));
            }
        }
        rc = commands[i].run(ctx, argc - 1, argv + 1);
        onshi_ctx_free(ctx);
        return rc;
    }
    fprintf(stderr, "onshi: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
