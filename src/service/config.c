/*
 * onshi.conf and ONSHI_* environment variables → context options. The keys are the option
 * names of the one option table (options.def), so a new option is configurable without
 * touching this file.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

/* Names accepted for enumerated integer options (numbers are accepted too). */
static const struct {
    const char *key, *name;
    int value;
} enum_names[] = {
    {"transport", "file", ONSHI_TRANSPORT_FILE},
    {"transport", "https", ONSHI_TRANSPORT_HTTPS},
    {"request_encoding", "utf-8", ONSHI_ENC_UTF8},
    {"request_encoding", "utf8", ONSHI_ENC_UTF8},
    {"request_encoding", "cp932", ONSHI_ENC_CP932},
    {"request_encoding", "shift_jis", ONSHI_ENC_CP932},
    {"log_level", "debug", ONSHI_LOG_DEBUG},
    {"log_level", "info", ONSHI_LOG_INFO},
    {"log_level", "warn", ONSHI_LOG_WARN},
    {"log_level", "error", ONSHI_LOG_ERROR},
    {"log_level", "none", ONSHI_LOG_NONE},
    {"card_driver", "pcsc", ONSHI_CARD_DRIVER_PCSC},
    {"card_driver", "callback", ONSHI_CARD_DRIVER_CALLBACK},
    {"card_share_mode", "shared", ONSHI_CARD_SHARE_SHARED},
    {"card_share_mode", "exclusive", ONSHI_CARD_SHARE_EXCLUSIVE},
};

static int conf_err(onshi_ctx *ctx, int status, const char *where, const char *key,
                    const char *en, const char *ja)
{
    char m_en[700], m_ja[700];
    snprintf(m_en, sizeof m_en, "%s: %s%s%s", where, key ? key : "", key ? ": " : "", en);
    snprintf(m_ja, sizeof m_ja, "%s: %s%s%s", where, key ? key : "", key ? "：" : "", ja);
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_NONE, 0, m_en, m_ja);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Set one option from its text; `where` names the file:line or variable for messages. */
static int set_one(onshi_ctx *ctx, const char *key, const char *value, const char *where)
{
    int id = onshi_option_id(key);
    if (id < 0)
        return conf_err(ctx, ONSHI_E_CONFIG, where, key, "unknown option",
                        "不明な設定項目です");
    int type = onshi_option_type(id), rc;
    if (type == ONSHI_OPTTYPE_STR) {
        rc = onshi_ctx_set_str(ctx, id, *value ? value : NULL);
    } else if (type == ONSHI_OPTTYPE_INT) {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (*value == '\0' || *end != '\0' || errno != 0) {
            int found = 0;
            for (size_t i = 0; i < sizeof enum_names / sizeof enum_names[0]; i++)
                if (strcmp(enum_names[i].key, key) == 0 &&
                    strcasecmp(enum_names[i].name, value) == 0) {
                    v = enum_names[i].value;
                    found = 1;
                }
            if (!found)
                return conf_err(ctx, ONSHI_E_CONFIG, where, key, "a number is expected",
                                "数値を指定してください");
        }
        rc = onshi_ctx_set_int(ctx, id, (int64_t)v);
    } else {
        size_t n = strlen(value);
        unsigned char bytes[256];
        if (n % 2 != 0 || n / 2 > sizeof bytes)
            return conf_err(ctx, ONSHI_E_CONFIG, where, key, "hex bytes are expected",
                            "16進数で指定してください");
        for (size_t i = 0; i < n / 2; i++) {
            int hi = hexval((unsigned char)value[2 * i]), lo = hexval((unsigned char)value[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return conf_err(ctx, ONSHI_E_CONFIG, where, key, "hex bytes are expected",
                                "16進数で指定してください");
            bytes[i] = (unsigned char)(hi * 16 + lo);
        }
        rc = onshi_ctx_set_bytes(ctx, id, n ? bytes : NULL, n / 2);
        onshi_mem_wipe(bytes, sizeof bytes);
    }
    if (rc == ONSHI_E_OPTION_RANGE)
        return conf_err(ctx, rc, where, key, "value out of range (docs/options.md)",
                        "値が範囲外です（docs/options.md）");
    if (rc != ONSHI_OK)
        return conf_err(ctx, rc, where, key, onshi__status_str_lang(rc, false),
                        onshi__status_str_lang(rc, true));
    return ONSHI_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int load_file(onshi_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        char en[600], ja[600];
        snprintf(en, sizeof en, "cannot open %s: %s", path, strerror(e));
        snprintf(ja, sizeof ja, "%s を開けません: %s", path, strerror(e));
        return onshi__err_ja(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, e, en, ja);
    }
    char line[4096], where[600];
    int lineno = 0, rc = ONSHI_OK;
    while (rc == ONSHI_OK && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            rc = conf_err(ctx, ONSHI_E_CONFIG, where, NULL, "line too long", "行が長すぎます");
            break;
        }
        char *p = line;
        if (lineno == 1 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3; /* a BOM from Windows editors */
        p = trim(p);
        if (*p == '#' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            rc = conf_err(ctx, ONSHI_E_CONFIG, where, NULL, "'key = value' expected",
                          "「項目 = 値」の形式ではありません");
            break;
        }
        *eq = '\0';
        char *key = trim(p), *value = trim(eq + 1);
        /* a value in double quotes keeps its spaces and may contain '#' */
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        } else {
            char *hash = strstr(value, " #");
            if (hash != NULL) {
                *hash = '\0';
                value = trim(value);
            }
        }
        rc = set_one(ctx, key, value, where);
    }
    fclose(f);
    onshi_mem_wipe(line, sizeof line); /* passwords may have passed through */
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_ctx_load_config(onshi_ctx *ctx, const char *path)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    if (path != NULL) {
        int rc = load_file(ctx, path);
        if (rc != ONSHI_OK)
            return rc;
    }
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, "ONSHI_", 6) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (eq == NULL || eq - *e - 6 <= 0 || eq - *e - 6 >= 64)
            continue;
        char key[64], where[80];
        size_t n = (size_t)(eq - *e - 6);
        for (size_t i = 0; i < n; i++)
            key[i] = (char)tolower((unsigned char)(*e)[6 + i]);
        key[n] = '\0';
        /* ONSHI_* variables that are not options (ONSHI_CONF...) belong to the programs */
        if (onshi_option_id(key) < 0)
            continue;
        snprintf(where, sizeof where, "environment ONSHI_%.60s", (*e) + 6);
        char *w = strchr(where + 18, '=');
        if (w)
            *w = '\0';
        int rc = set_one(ctx, key, eq + 1, where);
        if (rc != ONSHI_OK)
            return rc;
    }
    return ONSHI_OK;
}
