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
        return cli_fail(cmd, CLI_T("cannot write %s: %s", "%s に書き込めません：%s"), path, strerror(errno));
    }
    bool bad = fwrite(onshi_buf_data(b), 1, onshi_buf_len(b), f) != onshi_buf_len(b);
    if (newline)
        bad |= fputc('\n', f) == EOF;
    bad |= (f == stdout ? fflush(f) : fclose(f)) != 0;
    onshi_buf_free(b);
    return bad ? cli_fail(cmd, CLI_T("writing %s failed", "%s への書き込みに失敗しました"), path ? path : "stdout") : 0;
}


/* ---- decode as a table ------------------------------------------------------------------
 * The codec's JSON (one member a line, nesting by tabs) printed as an indented list:
 * "Key: value" for a value, "Key" for a group, "-" between the elements of a list. Line by
 * line, so a bulk result streams through it in bounded memory. */

static void table_value(FILE *out, const char *v, size_t n)
{
    /* a JSON value: strings unquoted (escapes undone), numbers/null as they are */
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        for (size_t i = 1; i + 1 < n; i++) {
            if (v[i] == '\\' && i + 2 < n) {
                char c = v[++i];
                fputc(c == 'n' ? ' ' : c == 't' ? ' ' : c, out);
                if (c == 'u')
                    i += 4 <= n - 2 - i ? 4 : 0; /* control characters: dropped */
            } else {
                fputc(v[i], out);
            }
        }
        return;
    }
    fwrite(v, 1, n, out);
}

/* One line of the library's JSON (onshi_msg_to_json: one member per line) as table rows;
 * *depth counts the open objects and lists (the document's own brace is 1). */
static void table_line(char *line, int *depth, FILE *out)
{
    char *p = line + strspn(line, "\t ");
    size_t n = strcspn(p, "\r\n");
    p[n] = '\0';
    while (n > 0 && (p[n - 1] == ',' || p[n - 1] == ' '))
        p[--n] = '\0';
    int ind = (*depth > 1 ? *depth - 1 : 0) * 2;
    if (strcmp(p, "}, {") == 0) {
        fprintf(out, "%*s-\n", ind > 2 ? ind - 2 : 0, "");
        return;
    }
    if (p[0] == '}' || p[0] == ']') {
        for (const char *c = p; *c == '}' || *c == ']' || *c == ','; c++)
            *depth -= *c != ',';
        return;
    }
    if (strcmp(p, "{") == 0 || strcmp(p, "[{") == 0) {
        *depth += p[0] == '[' ? 2 : 1;
        return;
    }
    char *colon = p[0] == '"' ? strstr(p, "\":") : NULL;
    if (colon == NULL) {
        if (n > 0) { /* a value of a list spread over lines */
            fprintf(out, "%*s- ", ind, "");
            table_value(out, p, n);
            fputc('\n', out);
        }
        return;
    }
    const char *v = colon + 2;
    while (*v == '\t' || *v == ' ')
        v++;
    fprintf(out, "%*s%.*s", ind, "", (int)(colon - p - 1), p + 1);
    size_t vl = strlen(v);
    if (v[0] == '{' && vl == 1) {
        (*depth)++;
    } else if (v[0] == '[' && v[1] == '{' && vl == 2) {
        *depth += 2;
    } else if (v[0] == '[' && vl == 1) {
        (*depth)++;
    } else if (v[0] == '[' && v[vl - 1] == ']') {
        if (vl > 2) {
            fputs(": ", out);
            table_value(out, v + 1, vl - 2);
        }
    } else if (!(v[0] == '{' && v[vl - 1] == '}')) {
        fputs(": ", out);
        table_value(out, v, vl);
    }
    fputc('\n', out);
}

static int json_to_table(FILE *in, FILE *out)
{
    char line[65536];
    int depth = 0;
    while (fgets(line, sizeof line, in) != NULL)
        table_line(line, &depth, out);
    return ferror(in) ? -1 : 0;
}

/* The same from memory (a decoded message's JSON). */
static void json_text_to_table(const char *text, size_t len, FILE *out)
{
    char line[65536];
    int depth = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        while (i < len && text[i] != '\n') {
            if (k + 1 < sizeof line)
                line[k++] = text[i];
            i++;
        }
        i += i < len; /* the newline */
        line[k] = '\0';
        table_line(line, &depth, out);
    }
}

static bool is_bulk_result(const char *file)
{
    const char *p = onshi_msgtype_prefix(onshi_msgtype_from_filename(file));
    size_t n = strlen(file);
    return p != NULL && strncmp(p, "OQSmu", 5) == 0 && strcmp(p + strlen(p) - 5, "02res") == 0 &&
           n > 4 && strcasecmp(file + n - 4, ".xml") == 0;
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
            cli_json_str(warn, path);
            fprintf(warn, ", \"kind\": \"%s\", \"message\": ", kinds[kind >= 1 && kind <= 7 ? kind : 0]);
            cli_json_str(warn, text);
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
static int decode_bulk(onshi_ctx *ctx, const char *file, int table)
{
    size_t units = 0, checked = 0;
    int at = OUT_NONE;
    int rc = bulk_pass(ctx, file, NULL, NULL, &checked, &at);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    FILE *warn = tmpfile();
    if (warn == NULL)
        return cli_fail("decode", CLI_T("no temporary file for the warnings: %s", "警告用の一時ファイルを作れません：%s"), strerror(errno));
    /* a table: the JSON goes through a temporary file, line by line */
    FILE *out = table ? tmpfile() : stdout;
    if (out == NULL) {
        fclose(warn);
        return cli_fail("decode", CLI_T("no temporary file: %s", "一時ファイルを作れません：%s"), strerror(errno));
    }
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
            cli_json_str(out, why);
            fputs("}\n}\n", out);
            fflush(out);
        }
        if (table)
            fclose(out);
        return cli_fail("decode", "%s: %s (%s)", file, why,
                        onshi_status_name(rc) ? onshi_status_name(rc) : "?");
    }
    fputs("]\n}\n", out);
    if (table) {
        rewind(out);
        int bad = json_to_table(out, stdout);
        fclose(out);
        if (bad)
            return cli_fail("decode", CLI_T("reading the temporary file failed", "一時ファイルの読み込みに失敗しました"));
        out = stdout;
    }
    if (fflush(out) != 0)
        return cli_fail("decode", CLI_T("writing to stdout failed", "標準出力への書き込みに失敗しました"));
    return 0;
}

int cmd_decode(onshi_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *config = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1; /* else a table */
            continue;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--set") != 0)
            return cli_fail("decode", CLI_T("unknown option %s", "不明なオプション %s"), argv[i]);
        if (strcmp(argv[i], "--set") == 0) {
            i++; /* applied below, after the variables */
            continue;
        }
        if (file != NULL)
            return cli_fail("decode", CLI_T("one FILE only", "ファイルは1つだけ指定してください"));
        file = argv[i];
    }
    if (file == NULL)
        return cli_fail("decode", CLI_T("usage: onshi decode FILE [--json] [--config FILE] [--set OPTION=VALUE]...", "使い方: onshi decode FILE [--json] [--config FILE] [--set 名前=値]..."));
    /* The limits (xml_max_size, xml_max_depth...) from --config FILE, the ONSHI_* variables
     * (ONSHI_XML_MAX_SIZE) and --set, in that order; no onshi.conf is looked for. */
    int rc = onshi_ctx_load_config(ctx, config);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, CLI_T("configuration", "設定"));
    if ((rc = cli_apply_sets(ctx, "decode")) != 0) /* --set wins over the file and ONSHI_* */
        return rc;
    if (is_bulk_result(file))
        return decode_bulk(ctx, file, !json);
    onshi_msg *msg = NULL;
    rc = onshi_msg_decode_file(&msg, ctx, file);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    int want_json = json;
    onshi_buf *json_buf = NULL;
    rc = onshi_msg_to_json(&json_buf, ctx, msg);
    onshi_msg_free(msg);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    if (want_json)
        return emit("decode", json_buf, NULL, true);
    json_text_to_table((const char *)onshi_buf_data(json_buf), onshi_buf_len(json_buf), stdout);
    onshi_buf_free(json_buf);
    return fflush(stdout) != 0 ? cli_fail("decode", CLI_T("writing the table failed", "表の書き込みに失敗しました")) : 0;
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
            return cli_fail("encode", CLI_T("unknown or incomplete option %s", "不明または値のないオプション %s"), argv[i]);
        else if (type_s == NULL)
            type_s = argv[i];
        else
            return cli_fail("encode", CLI_T("unexpected argument %s", "余分な引数 %s"), argv[i]);
    }
    if (type_s == NULL || json_path == NULL)
        return cli_fail("encode", CLI_T("usage: onshi encode TYPE --json FILE [--encoding utf-8|cp932] [-o OUT]", "使い方: onshi encode TYPE --json FILE [--encoding utf-8|cp932] [-o OUT]"));
    int type = type_of(type_s);
    if (type < 0)
        return cli_fail("encode", CLI_T("unknown message type %s (use a file prefix such as OQSsiquc01req)", "不明な電文種別 %s（OQSsiquc01req などのファイル接頭辞を指定してください）"), type_s);
    int e;
    if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0)
        e = ONSHI_ENC_UTF8;
    else if (strcasecmp(enc, "cp932") == 0 || strcasecmp(enc, "shift_jis") == 0 || strcasecmp(enc, "sjis") == 0)
        e = ONSHI_ENC_CP932;
    else
        return cli_fail("encode", CLI_T("unknown encoding %s (utf-8 or cp932)", "不明な文字コード %s（utf-8 または cp932）"), enc);
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, e);
    size_t len = 0;
    char *json = cli_read_file(json_path, &len);
    if (json == NULL)
        return cli_fail("encode", CLI_T("cannot read %s: %s", "%s を読めません：%s"), json_path, strerror(errno));
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
        return cli_fail("check", CLI_T("usage: onshi check insurer|public-expense|institution NUMBER", "使い方: onshi check insurer|public-expense|institution 番号"));
    const char *kind = argv[1], *num = argv[2];
    int rc;
    if (strcmp(kind, "insurer") == 0)
        rc = onshi_insurer_number_check(num);
    else if (strcmp(kind, "public-expense") == 0)
        rc = onshi_public_expense_number_check(num);
    else if (strcmp(kind, "institution") == 0)
        rc = onshi_institution_code_check(num);
    else
        return cli_fail("check", CLI_T("unknown kind %s (insurer, public-expense, institution)", "不明な種類 %s（insurer、public-expense、institution）"), kind);
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
