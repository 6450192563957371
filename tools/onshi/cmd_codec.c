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
    onshi_msg *msg = NULL;
    int rc = onshi_msg_decode_file(ctx, &msg, file);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("decode", ctx, rc, file);
    onshi_buf *json = NULL;
    rc = onshi_msg_to_json(ctx, msg, &json);
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
    int rc = onshi_msg_from_json(ctx, &msg, type, json, len);
    free(json);
    if (rc != ONSHI_OK)
        return cli_fail_ctx("encode", ctx, rc, json_path);
    onshi_buf *xml = NULL;
    rc = onshi_msg_encode(ctx, msg, &xml);
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
        rc = onshi_check_insurer_number(num);
    else if (strcmp(kind, "public-expense") == 0)
        rc = onshi_check_public_expense_number(num);
    else if (strcmp(kind, "institution") == 0)
        rc = onshi_check_institution_code(num);
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
