/*
 * onshi decode / encode / check: the codec from the command line.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Write a buffer the library made to a file (or stdout), free it, report failure once. */
static int emit(const char *cmd, onshi_buf *b, const char *path, bool newline)
{
    FILE *f = path ? cli_create_private(path) : stdout;
    if (f == NULL) {
        onshi_buf_free(b);
        return cli_fail(cmd, "cannot write %s: %s", path, strerror(errno));
    }
    bool bad = fwrite(onshi_buf_data(b), 1, onshi_buf_len(b), f) != onshi_buf_len(b);
    if (newline)
        bad |= fputc('\n', f) == EOF;
    bad |= (f == stdout ? fflush(f) : fclose(f)) != 0;
    onshi_buf_free(b);
    return bad ? cli_fail(cmd, "writing %s failed", path ? path : "stdout") : 0;
}

static bool is_bulk_result(const char *file)
{
    const char *p = onshi_msgtype_prefix(onshi_msgtype_from_filename(file));
    size_t n = strlen(file);
    return p != NULL && strncmp(p, "OQSmu", 5) == 0 && strcmp(p + strlen(p) - 5, "02res") == 0 &&
           n > 4 && strcasecmp(file + n - 4, ".xml") == 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* One pass of the streaming reader over a bulk result. With `out` NULL it only reads (every
 * unit decoded and checked, nothing printed); otherwise it prints the same JSON shape as a
 * whole-message decode, unit by unit, and the warnings (spooled to `warn`, a temporary file,
 * so memory stays constant however many there are). Returns an ONSHI status. */
enum { OUT_NONE, OUT_HEADER, OUT_UNITS, OUT_WARNINGS }; /* where the printed JSON stands */

static int bulk_pass(onshi_ctx *ctx, const char *file, FILE *out, FILE *warn, size_t *units,
                     int *at)
{
    onshi_bulk_reader *br;
    int rc = onshi_bulk_reader_open(&br, ctx, file, 0);
    if (rc != ONSHI_OK)
        return rc;
    onshi_buf *j = NULL;
    size_t nw = 0;
    *units = 0;
    if (out) {
        fprintf(out, "{\n\t\"_type\":\t\"%s\",\n\t\"XmlMsg\":\t{\n\t\t\"MessageHeader\":\t",
                onshi_msgtype_prefix(onshi_msgtype_from_filename(file)));
        *at = OUT_HEADER;
    }
    for (int pass = 0;; pass++) {
        for (size_t i = 0; out && i < onshi_bulk_reader_warning_count(br); i++) {
            int kind;
            const char *path, *text;
            onshi_bulk_reader_warning_at(&kind, &path, &text, br, i);
            static const char *const kinds[] = {"other", "replacement_char", "not_jis_x0208",
                                                "unknown_code", "format", "encoding_hint",
                                                "padded", "dropped"};
            fprintf(warn, "%s{\"path\": ", nw++ ? ", " : "");
            json_string(warn, path);
            fprintf(warn, ", \"kind\": \"%s\", \"message\": ", kinds[kind >= 1 && kind <= 7 ? kind : 0]);
            json_string(warn, text);
            fputc('}', warn);
        }
        if (pass == 0 && out) {
            rc = onshi_group_to_json(&j, ctx, onshi_bulk_reader_header(br));
            if (rc != ONSHI_OK)
                break;
            fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), out);
            onshi_buf_free(j);
            fputs(",\n\t\t\"MessageBody\":\t{\n\t\t\t\"BulkConfirmUnit\":\t[", out);
            *at = OUT_UNITS;
        }
        onshi_group *u;
        rc = onshi_bulk_reader_next(&u, br);
        if (rc != ONSHI_OK || u == NULL)
            break;
        ++*units;
        if (out == NULL)
            continue;
        rc = onshi_group_to_json(&j, ctx, u);
        if (rc != ONSHI_OK)
            break;
        fputs(pass ? ", " : "", out);
        fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), out);
        onshi_buf_free(j);
    }
    if (rc == ONSHI_OK && out) {
        /* other elements of the body (none in documented files), merged into the object */
        rc = onshi_group_to_json(&j, ctx, onshi_bulk_reader_body(br));
        if (rc == ONSHI_OK) {
            const char *b = (const char *)onshi_buf_data(j), *l = strchr(b, '{'), *r = strrchr(b, '}');
            const char *p = l ? l + 1 : b;
            while (p < r && (*p == '\n' || *p == '\t' || *p == ' '))
                p++;
            fprintf(out, "]%s%.*s\n\t\t}\n\t},\n\t\"_warnings\":\t[", p < r ? ",\n" : "",
                    p < r ? (int)(r - p) : 0, p);
            *at = OUT_WARNINGS;
            onshi_buf_free(j);
        }
    }
    onshi_bulk_reader_free(br);
    return rc;
}

/* Copy the spooled warnings to out. */
static int copy_warnings(FILE *warn, FILE *out)
{
    char buf[65536];
    size_t n;
    if (fflush(warn) != 0 || fseek(warn, 0, SEEK_SET) != 0)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, warn)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return -1;
    return ferror(warn) ? -1 : 0;
}

/* Bulk results can hold 100,000 people and more: stream them unit by unit (constant memory).
 * Nothing is printed unless the whole file decodes: a first pass reads it without output, the
 * second prints it. Should the second pass still fail (the file changed in between, memory),
 * the document printed so far is closed as valid JSON with an "_error" member, so a reader
 * never gets invalid JSON; the exit status is 1 either way. */
static int decode_bulk(onshi_ctx *ctx, const char *file)
{
    size_t units = 0, checked = 0;
    int at = OUT_NONE;
    int rc = bulk_pass(ctx, file, NULL, NULL, &checked, &at);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    FILE *warn = tmpfile();
    if (warn == NULL)
        return cli_fail("decode", "no temporary file for the warnings: %s", strerror(errno));
    FILE *out = stdout;
    rc = bulk_pass(ctx, file, out, warn, &units, &at);
    const char *why = NULL;
    if (rc == ONSHI_OK && units != checked) {
        rc = ONSHI_E_IO;
        why = "the file changed while it was printed (another number of units)";
    }
    if (rc == ONSHI_OK && copy_warnings(warn, out) != 0) {
        rc = ONSHI_E_IO;
        why = "the warnings could not be copied from their temporary file";
    }
    fclose(warn);
    if (rc != ONSHI_OK) {
        /* Close what is open, then say what happened: one valid document, exit status 1. */
        if (why == NULL)
            why = onshi_ctx_last_error_message(ctx);
        if (why == NULL || *why == '\0')
            why = onshi_status_label(ctx, rc);
        if (at != OUT_NONE) {
            if (at == OUT_HEADER)
                fputs("null\n\t},\n\t\"_warnings\":\t[", out);
            else if (at == OUT_UNITS)
                fputs("]\n\t\t}\n\t},\n\t\"_warnings\":\t[", out);
            fprintf(out, "],\n\t\"_error\":\t{\"status\": \"%s\", \"message\": ",
                    onshi_status_name(rc) ? onshi_status_name(rc) : "?");
            json_string(out, why);
            fputs("}\n}\n", out);
            fflush(out);
        }
        return cli_fail("decode", "%s: %s (%s)", file, why,
                        onshi_status_name(rc) ? onshi_status_name(rc) : "?");
    }
    fputs("]\n}\n", out);
    if (fflush(out) != 0)
        return cli_fail("decode", "writing to stdout failed");
    return 0;
}

int cmd_decode(onshi_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue; /* JSON is the only output form for now */
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--set") != 0)
            return cli_fail("decode", "unknown option %s", argv[i]);
        if (strcmp(argv[i], "--set") == 0) {
            i++; /* applied below, after the variables */
            continue;
        }
        if (file != NULL)
            return cli_fail("decode", "one FILE only");
        file = argv[i];
    }
    if (file == NULL)
        return cli_fail("decode", "usage: onshi decode FILE [--json] [--config FILE] [--set OPTION=VALUE]...");
    /* The limits (xml_max_size, xml_max_depth...) from --config FILE, the ONSHI_* variables
     * (ONSHI_XML_MAX_SIZE) and --set, in that order; no onshi.conf is looked for. */
    int rc = onshi_ctx_load_config(ctx, config);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, "configuration");
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--set") == 0) {
            if (i + 1 >= argc)
                return cli_fail("decode", "--set wants name=value");
            if ((rc = cli_set_option(ctx, "decode", argv[++i])) != 0)
                return rc;
        }
    if (is_bulk_result(file))
        return decode_bulk(ctx, file);
    onshi_msg *msg = NULL;
    rc = onshi_msg_decode_file(&msg, ctx, file);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    onshi_buf *json = NULL;
    rc = onshi_msg_to_json(&json, ctx, msg);
    onshi_msg_free(msg);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    return emit("decode", json, NULL, true);
}

static int type_of(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end == '\0' && v > 0)
        return onshi_msgtype_prefix((int)v) ? (int)v : -1;
    for (int t = 1; t < 100; t++) {
        const char *p = onshi_msgtype_prefix(t);
        if (p != NULL && strcasecmp(p, s) == 0)
            return t;
    }
    return -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

int cmd_encode(onshi_ctx *ctx, int argc, char **argv)
{
    const char *type_s = NULL, *json_path = NULL, *out_path = NULL, *enc = "utf-8";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_path = argv[++i];
        else if (strcmp(argv[i], "--encoding") == 0 && i + 1 < argc)
            enc = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (argv[i][0] == '-')
            return cli_fail("encode", "unknown or incomplete option %s", argv[i]);
        else if (type_s == NULL)
            type_s = argv[i];
        else
            return cli_fail("encode", "unexpected argument %s", argv[i]);
    }
    if (type_s == NULL || json_path == NULL)
        return cli_fail("encode", "usage: onshi encode TYPE --json FILE [--encoding utf-8|cp932] [-o OUT]");
    int type = type_of(type_s);
    if (type < 0)
        return cli_fail("encode", "unknown message type %s (use a file prefix such as OQSsiquc01req)", type_s);
    int e;
    if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0)
        e = ONSHI_ENC_UTF8;
    else if (strcasecmp(enc, "cp932") == 0 || strcasecmp(enc, "shift_jis") == 0 || strcasecmp(enc, "sjis") == 0)
        e = ONSHI_ENC_CP932;
    else
        return cli_fail("encode", "unknown encoding %s (utf-8 or cp932)", enc);
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, e);
    size_t len = 0;
    char *json = slurp(json_path, &len);
    if (json == NULL)
        return cli_fail("encode", "cannot read %s: %s", json_path, strerror(errno));
    onshi_msg *msg = NULL;
    int rc = onshi_msg_from_json(&msg, ctx, type, json, len);
    free(json);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("encode", ctx, rc, json_path);
    onshi_buf *xml = NULL;
    rc = onshi_msg_encode(&xml, ctx, msg);
    onshi_msg_free(msg);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("encode", ctx, rc, json_path);
    return emit("encode", xml, out_path, false);
}

int cmd_check(onshi_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc != 3)
        return cli_fail("check", "usage: onshi check insurer|public-expense|institution NUMBER");
    const char *kind = argv[1], *num = argv[2];
    int rc;
    if (strcmp(kind, "insurer") == 0)
        rc = onshi_insurer_number_check(num);
    else if (strcmp(kind, "public-expense") == 0)
        rc = onshi_public_expense_number_check(num);
    else if (strcmp(kind, "institution") == 0)
        rc = onshi_institution_code_check(num);
    else
        return cli_fail("check", "unknown kind %s (insurer, public-expense, institution)", kind);
    if (rc == ONSHI_OK) {
        printf("%s %s: OK\n", kind, num);
        return 0;
    }
    if (strcmp(kind, "institution") == 0)
        return cli_fail("check", "%s %s: %s (%s). %s", kind, num,
                        rc == ONSHI_E_CHECK_DIGIT
                            ? "digit 10 (検証番号) does not match its prefecture's rule"
                            : "not 10 digits with prefecture 01-47 and 点数表 1, 3, 4 or 6",
                        rc == ONSHI_E_CHECK_DIGIT ? "10桁目（検証番号）が一致しません"
                                                  : "10桁・都道府県01〜47・点数表1/3/4/6ではありません",
                        "A local check only: the library still sends it and the central system "
                        "decides / 送信は行われ、判定は中央システムです");
    size_t len = strlen(num);
    while (len > 0 && num[len - 1] == ' ')
        len--;
    return cli_fail("check", "%s %s: %s", kind, num,
                    rc == ONSHI_E_CHECK_DIGIT
                        ? (len == 6 ? "digit 6 (検証番号) does not match digits 1-5: one of them "
                                      "is probably mistyped / 6桁目（検証番号）が1〜5桁目と一致しません"
                                    : "digit 8 (検証番号) does not match digits 1-7: one of them "
                                      "is probably mistyped / 8桁目（検証番号）が1〜7桁目と一致しません")
                    : strcmp(kind, "insurer") == 0 ? "not 6 or 8 digits" : "not 8 digits");
}
