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
    FILE *f = path ? fopen(path, "wb") : stdout;
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

/* Bulk results can hold 100,000 people: stream them unit by unit (constant memory) and print
 * the same JSON shape as a whole-message decode. */
static int decode_bulk(onshi_ctx *ctx, const char *file)
{
    onshi_bulk_reader *br;
    int rc = onshi_bulk_reader_open(&br, ctx, file, 0);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    onshi_buf *j = NULL;
    /* warnings are collected as text; they are few */
    size_t nw = 0, capw = 0;
    char **warns = NULL;
    FILE *out = stdout;
    printf("{\n\t\"_type\":\t\"%s\",\n\t\"XmlMsg\":\t{\n\t\t\"MessageHeader\":\t",
           onshi_msgtype_prefix(onshi_msgtype_from_filename(file)));
    for (int pass = 0;; pass++) {
        for (size_t i = 0; i < onshi_bulk_reader_warning_count(br); i++) {
            int kind;
            const char *path, *text;
            onshi_bulk_reader_warning_at(&kind, &path, &text, br, i);
            if (nw == capw) {
                capw = capw ? capw * 2 : 16;
                char **nwp = realloc(warns, capw * sizeof *warns);
                if (nwp == NULL)
                    break;
                warns = nwp;
            }
            size_t len = strlen(path) + strlen(text) + 8;
            char *w = malloc(len);
            if (w == NULL)
                break;
            snprintf(w, len, "%d\t%s\t%s", kind, path, text);
            warns[nw++] = w;
        }
        if (pass == 0) {
            rc = onshi_group_to_json(&j, ctx, onshi_bulk_reader_header(br));
            if (rc != ONSHI_OK)
                break;
            fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), out);
            onshi_buf_free(j);
            printf(",\n\t\t\"MessageBody\":\t{\n\t\t\t\"BulkConfirmUnit\":\t[");
        }
        onshi_group *u;
        rc = onshi_bulk_reader_next(&u, br);
        if (rc != ONSHI_OK || u == NULL)
            break;
        rc = onshi_group_to_json(&j, ctx, u);
        if (rc != ONSHI_OK)
            break;
        fputs(pass ? ", " : "", out);
        fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), out);
        onshi_buf_free(j);
    }
    if (rc == ONSHI_OK) {
        /* other elements of the body (none in documented files), merged into the object */
        rc = onshi_group_to_json(&j, ctx, onshi_bulk_reader_body(br));
        if (rc == ONSHI_OK) {
            const char *b = (const char *)onshi_buf_data(j), *l = strchr(b, '{'), *r = strrchr(b, '}');
            const char *p = l ? l + 1 : b;
            while (p < r && (*p == '\n' || *p == '\t' || *p == ' '))
                p++;
            printf("]%s%.*s\n\t\t}\n\t},\n\t\"_warnings\":\t[", p < r ? ",\n" : "",
                   p < r ? (int)(r - p) : 0, p);
            onshi_buf_free(j);
        }
    }
    for (size_t i = 0; i < nw; i++) {
        if (rc == ONSHI_OK) {
            char *path = strchr(warns[i], '\t') + 1, *text = strchr(path, '\t');
            *text++ = '\0';
            static const char *const kinds[] = {"other", "replacement_char", "not_jis_x0208",
                                                "unknown_code", "format", "encoding_hint"};
            int k = atoi(warns[i]);
            printf("%s{\"path\": ", i ? ", " : "");
            json_string(out, path);
            printf(", \"kind\": \"%s\", \"message\": ", kinds[k >= 1 && k <= 5 ? k : 0]);
            json_string(out, text);
            printf("}");
        }
        free(warns[i]);
    }
    free(warns);
    onshi_bulk_reader_free(br);
    if (rc != ONSHI_OK) {
        printf("\n");
        fflush(out);
        return cli_fail_ctx("decode", ctx, rc, file);
    }
    printf("]\n}\n");
    return fflush(out) != 0 ? cli_fail("decode", "writing to stdout failed") : 0;
}

int cmd_decode(onshi_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue; /* JSON is the only output form for now */
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail("decode", "unknown option %s", argv[i]);
        if (file != NULL)
            return cli_fail("decode", "one FILE only");
        file = argv[i];
    }
    if (file == NULL)
        return cli_fail("decode", "usage: onshi decode FILE [--json]");
    if (is_bulk_result(file))
        return decode_bulk(ctx, file);
    onshi_msg *msg = NULL;
    int rc = onshi_msg_decode_file(&msg, ctx, file);
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
    return cli_fail("check", "%s %s: %s", kind, num,
                    rc == ONSHI_E_CHECK_DIGIT ? "wrong check digit (検証番号)"
                    : strcmp(kind, "institution") == 0
                        ? "not 10 digits with prefecture 01-47 and 点数表 1, 3 or 4"
                        : strcmp(kind, "insurer") == 0 ? "not 6 or 8 digits" : "not 8 digits");
}
