/*
 * onshi batch FILE.csv / onshi batch --resume ID / onshi refnum --bulk FILE.csv:
 * the bulk workflows from the command line (docs/workflow-batch.md has the CSV format).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- language ---------------------------------------------------------------------------- */

static int lang_ja(void)
{
    const char *v = getenv("LC_ALL");
    if (v == NULL || *v == '\0')
        v = getenv("LC_MESSAGES");
    if (v == NULL || *v == '\0')
        v = getenv("LANG");
    return v != NULL && strncmp(v, "ja", 2) == 0;
}

#define T(en, ja) (lang_ja() ? (ja) : (en))

/* ---- CSV ----------------------------------------------------------------------------------- */

/* Valid UTF-8? (then the file is used as is; otherwise it is read as CP932). */
static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        if (c < 0x80)
            k = 0;
        else if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if ((c & 0xf0) == 0xe0)
            k = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3;
        else
            return 0;
        if (i + k >= n && k > 0)
            return 0;
        for (size_t j = 1; j <= k; j++)
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

static char *read_text(const char *cmd, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_fail(cmd, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
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
    if (buf == NULL) {
        cli_fail(cmd, "out of memory reading %s", path);
        return NULL;
    }
    buf[n] = '\0';
    if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        memmove(buf, buf + 3, (n -= 3) + 1);
    if (valid_utf8((unsigned char *)buf, n))
        return buf;
    iconv_t cd = iconv_open("UTF-8", "CP932");
    if (cd == (iconv_t)-1) {
        free(buf);
        cli_fail(cmd, "%s is not UTF-8 and CP932 conversion is unavailable", path);
        return NULL;
    }
    size_t ocap = n * 3 + 1, inleft = n, outleft = ocap - 1;
    char *out = malloc(ocap), *in = buf, *op = out;
    size_t rc = out ? iconv(cd, &in, &inleft, &op, &outleft) : (size_t)-1;
    iconv_close(cd);
    if (rc == (size_t)-1) {
        cli_fail(cmd, "%s is neither UTF-8 nor CP932 (byte offset %zu)", path,
                 (size_t)(in - buf));
        free(buf);
        free(out);
        return NULL;
    }
    *op = '\0';
    free(buf);
    return out;
}

#define CSV_MAX_FIELDS 16

/* Split one record (RFC 4180 quoting) in place; *p advances past it. Returns the number of
 * fields, 0 at the end of the text. */
static int csv_record(char **p, char *fields[CSV_MAX_FIELDS])
{
    char *s = *p;
    if (*s == '\0')
        return 0;
    int n = 0;
    for (;;) {
        char *w = s, *start = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '\0')
                    break;
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *w++ = *s++;
                }
            }
            while (*s && *s != ',' && *s != '\n' && *s != '\r')
                s++;
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r')
                w++, s++;
        }
        char end = *s;
        *w = '\0';
        if (n < CSV_MAX_FIELDS)
            fields[n++] = start;
        if (end == ',') {
            s++;
            continue;
        }
        /* the terminator may have overwritten the delimiter: decide on `end` */
        if (end == '\r') {
            s++;
            if (*s == '\n')
                s++;
        } else if (end == '\n') {
            s++;
        }
        break;
    }
    *p = s;
    return n;
}

static void trim(char *s)
{
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
        s[--l] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i)
        memmove(s, s + i, l - i + 1);
}

/* One CSV row as a batch entry: a 照会番号 registration (refnum set, limit -1) or a
 * qualification entry (birth and limit set). */
static int add_entry(onshi_batch *b, const char *pid, const char *refnum, const char *insurer,
                     const char *symbol, const char *number, const char *branch, const char *birth,
                     int limit)
{
    onshi_request *r = cli_request(ONSHI_REQ_BATCH_ENTRY);
    if (r == NULL)
        return ONSHI_E_NOMEM;
    cli_request_str(r, ONSHI_P_PATIENT_ID, pid);
    cli_request_str(r, ONSHI_P_REFERENCE_NUMBER, refnum);
    cli_request_str(r, ONSHI_P_INSURER_NUMBER, insurer);
    cli_request_str(r, ONSHI_P_SYMBOL, symbol);
    cli_request_str(r, ONSHI_P_NUMBER, number);
    cli_request_str(r, ONSHI_P_BRANCH, branch);
    cli_request_str(r, ONSHI_P_BIRTHDATE, birth);
    if (limit >= 0)
        onshi_request_set_int(r, ONSHI_P_LIMIT_CONSENT, limit);
    int rc = onshi_batch_add(b, r);
    onshi_request_free(r);
    return rc;
}

static int load_csv(const char *cmd, onshi_ctx *ctx, onshi_batch *b, const char *path, int kind)
{
    char *text = read_text(cmd, path);
    if (text == NULL)
        return 1;
    char *p = text, *f[CSV_MAX_FIELDS];
    int n, line = 0, rc = 0;
    while ((n = csv_record(&p, f)) > 0) {
        line++;
        for (int i = 0; i < n; i++)
            trim(f[i]);
        if ((n == 1 && f[0][0] == '\0') || f[0][0] == '#')
            continue;
        if (line == 1 && strcasecmp(f[0], "patient_id") == 0)
            continue; /* header row */
        int r;
        if (kind == ONSHI_BATCH_REFNUM) {
            if (n < 5) {
                rc = cli_fail(cmd, "%s line %d: %s", path, line,
                              T("expected patient_id,reference_number,insurer_number,symbol,number[,branch]",
                                "患者ID,照会番号,保険者番号,記号,番号[,枝番] の形式ではありません"));
                break;
            }
            r = add_entry(b, f[0], f[1], f[2], f[3], f[4], n > 5 ? f[5] : "", NULL, -1);
        } else {
            if (n < 6) {
                rc = cli_fail(cmd, "%s line %d: %s", path, line,
                              T("expected patient_id,insurer_number,symbol,number,branch,birthdate[,limit_consent]",
                                "患者ID,保険者番号,記号,番号,枝番,生年月日[,限度額同意] の形式ではありません"));
                break;
            }
            const char *lim = n > 6 ? f[6] : "0";
            int limit = strcmp(lim, "1") == 0 ? 1 : strcmp(lim, "0") == 0 || *lim == '\0' ? 0 : 2;
            r = add_entry(b, f[0], NULL, f[1], f[2], f[3], f[4], f[5], limit);
        }
        if (r != ONSHI_OK) {
            rc = cli_fail_ctx(cmd, ctx, r, path);
            break;
        }
    }
    free(text);
    return rc;
}

/* ---- progress ------------------------------------------------------------------------------- */

/* Ctrl-C: the handler only writes to a pipe (async-signal-safe); a thread turns that into
 * onshi_ctx_cancel, which is thread-safe but not async-signal-safe. */
static int sig_pipe[2] = {-1, -1};

static void on_sigint(int sig)
{
    (void)sig;
    char c = 'x';
    ssize_t w = write(sig_pipe[1], &c, 1);
    (void)w;
}

static void *cancel_thread(void *arg)
{
    onshi_ctx *ctx = arg;
    char c;
    while (read(sig_pipe[0], &c, 1) == 1) {
        if (c == 'q')
            break;
        onshi_ctx_cancel(ctx);
    }
    return NULL;
}

typedef struct bar {
    int tty;
    int shown;
} bar;

static int ONSHI_CALL on_progress(void *ud, int stage, int64_t done, int64_t total)
{
    bar *b = ud;
    if (!b->tty)
        return 0;
    char line[160];
    if (stage == ONSHI_STAGE_BATCH_UPLOAD) {
        snprintf(line, sizeof line, "%s (%lld)", T("uploading the list", "一覧を送信中"),
                 (long long)total);
    } else if (stage == ONSHI_STAGE_BATCH_POLL) {
        snprintf(line, sizeof line, "%s %lld/%lld", T("still processing, asking again",
                                                     "処理中のため再取得"),
                 (long long)done, (long long)total);
    } else if (stage == ONSHI_STAGE_BATCH_RESULTS && total > 0) {
        int w = 30, fill = (int)(done * w / total);
        char bar_s[40];
        for (int i = 0; i < w; i++)
            bar_s[i] = i < fill ? '#' : '.';
        bar_s[w] = '\0';
        snprintf(line, sizeof line, "[%s] %lld/%lld %s", bar_s, (long long)done,
                 (long long)total, T("results", "件の結果"));
    } else {
        return 0;
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    b->shown = 1;
    return 0;
}

/* ---- output -------------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
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

static const char *person_str(onshi_batch *b, size_t i, int field)
{
    onshi_group *p = NULL;
    const char *v = NULL;
    if (onshi_batch_person(&p, b, i, 0) == ONSHI_OK && p)
        onshi_group_get_str(&v, p, field);
    return v ? v : "";
}

static void write_csv(FILE *f, onshi_batch *b)
{
    int ja = lang_ja(), kind = onshi_batch_kind(b);
    fputs("patient_id,outcome,label,code,message,persons,name,name_kana,birthdate,"
          "insurer_number,symbol,number,branch,ratio\r\n", f);
    for (size_t i = 0; i < onshi_batch_count(b); i++) {
        int o = onshi_batch_outcome(b, i);
        csv_field(f, onshi_batch_patient_id(b, i));
        fprintf(f, ",%d,", o);
        csv_field(f, onshi_batch_outcome_label(cli_labels(ja), o, kind));
        fputc(',', f);
        csv_field(f, onshi_batch_result_code(b, i));
        fputc(',', f);
        csv_field(f, onshi_batch_result_message(b, i));
        fprintf(f, ",%zu", onshi_batch_person_count(b, i));
        static const int fields[] = {ONSHI_F_NAME, ONSHI_F_NAME_KANA, ONSHI_F_BIRTHDATE,
                                     ONSHI_F_INSURER_NUMBER, ONSHI_F_INSURED_CARD_SYMBOL,
                                     ONSHI_F_INSURED_ID_NUMBER, ONSHI_F_INSURED_BRANCH_NUMBER,
                                     ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            fputc(',', f);
            csv_field(f, person_str(b, i, fields[k]));
        }
        fputs("\r\n", f);
    }
}

static void write_json(FILE *f, onshi_ctx *ctx, onshi_batch *b)
{
    int kind = onshi_batch_kind(b);
    fputs("{\"batch_id\":", f);
    json_str(f, onshi_batch_id(b));
    fputs(",\"kind\":", f);
    static const char *const kinds[] = {"", "qualification", "refnum", "homecare", "online",
                                        "welfare"};
    json_str(f, kind >= 1 && kind <= 5 ? kinds[kind] : "");
    fputs(",\"reception_number\":", f);
    json_str(f, onshi_batch_reception_number(b));
    fputs(",\"results\":[", f);
    for (size_t i = 0; i < onshi_batch_count(b); i++) {
        int o = onshi_batch_outcome(b, i);
        fputs(i ? ",\n{" : "\n{", f);
        fputs("\"patient_id\":", f);
        json_str(f, onshi_batch_patient_id(b, i));
        fprintf(f, ",\"outcome\":%d,\"label\":", o);
        json_str(f, onshi_batch_outcome_label(cli_labels(0), o, kind));
        fputs(",\"label_ja\":", f);
        json_str(f, onshi_batch_outcome_label(cli_labels(1), o, kind));
        fputs(",\"code\":", f);
        json_str(f, onshi_batch_result_code(b, i));
        fputs(",\"message\":", f);
        json_str(f, onshi_batch_result_message(b, i));
        onshi_group *u = NULL;
        onshi_buf *j = NULL;
        if (onshi_batch_unit(&u, b, i) == ONSHI_OK && u && onshi_group_to_json(&j, ctx, u) == ONSHI_OK) {
            fputs(",\"unit\":", f);
            fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), f);
        }
        onshi_buf_free(j);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
}

/* Print s left-aligned in `width` terminal columns (CJK characters take two). */
static void pad(FILE *f, const char *s, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp = *p;
        int k = cp < 0x80 ? 0 : cp < 0xe0 ? 1 : cp < 0xf0 ? 2 : 3;
        if (k)
            cp &= 0x3fu >> k;
        for (int j = 1; j <= k && p[j]; j++)
            cp = (cp << 6) | (p[j] & 0x3fu);
        p += k + 1;
        cols += cp >= 0x1100 && !(cp >= 0xff61 && cp <= 0xff9f) ? 2 : 1;
    }
    fputs(s, f);
    for (; cols < width; cols++)
        fputc(' ', f);
    fputc(' ', f);
}

static void print_table(FILE *f, onshi_batch *b)
{
    int ja = lang_ja(), kind = onshi_batch_kind(b);
    size_t counts[6] = {0, 0, 0, 0, 0, 0};
    pad(f, T("patient", "患者ID"), 16);
    pad(f, T("outcome", "結果"), 16);
    fprintf(f, "%s\n", T("name / message", "氏名・メッセージ"));
    for (size_t i = 0; i < onshi_batch_count(b); i++) {
        int o = onshi_batch_outcome(b, i);
        if (o >= 0 && o < 6)
            counts[o]++;
        const char *name = person_str(b, i, ONSHI_F_NAME);
        const char *msg = onshi_batch_result_message(b, i);
        const char *code = onshi_batch_result_code(b, i);
        char num[24];
        const char *pid = onshi_batch_patient_id(b, i);
        if (pid == NULL || *pid == '\0') {
            /* a query batch: the system's list has no ids of ours */
            snprintf(num, sizeof num, "#%zu", i + 1);
            pid = num;
        }
        pad(f, pid, 16);
        pad(f, onshi_batch_outcome_label(cli_labels(ja), o, kind), 16);
        fprintf(f, "%s%s%s%s%s\n", name, *name && (*msg || *code) ? " " : "", code,
                *code && *msg ? " " : "", msg);
    }
    fprintf(f, "\n%s %s (%s %s)\n", T("batch", "一括ID"), onshi_batch_id(b),
            T("reception", "受付番号"), onshi_batch_reception_number(b));
    static const int order[] = {ONSHI_BATCH_VALID, ONSHI_BATCH_INVALID, ONSHI_BATCH_NOT_FOUND,
                                ONSHI_BATCH_SEVERAL, ONSHI_BATCH_ERROR, ONSHI_BATCH_PENDING};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        int show = kind == ONSHI_BATCH_REFNUM
                       ? order[k] == ONSHI_BATCH_VALID || order[k] == ONSHI_BATCH_ERROR
                       : order[k] != ONSHI_BATCH_PENDING;
        if (!show && counts[order[k]] == 0)
            continue;
        fputs("  ", f);
        pad(f, onshi_batch_outcome_label(cli_labels(ja), order[k], kind), 16);
        fprintf(f, "%6zu\n", counts[order[k]]);
    }
    fputs("  ", f);
    pad(f, T("total", "合計"), 16);
    fprintf(f, "%6zu\n", onshi_batch_count(b));
}

/* ---- the command --------------------------------------------------------------------------- */

static int set_option(const char *cmd, onshi_ctx *ctx, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL)
        return cli_fail(cmd, "--set expects name=value, got \"%s\"", kv);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
    int id = onshi_option_id(name);
    if (id < 0)
        return cli_fail(cmd, "unknown option \"%s\"", name);
    if (onshi_option_is_secret(id) == 1)
        return cli_refuse_secret(cmd, name);
    int r;
    if (onshi_option_type(id) == ONSHI_OPTTYPE_INT) {
        const char *v = eq + 1;
        /* the transport option also takes its names */
        if (id == ONSHI_OPT_TRANSPORT && strcmp(v, "file") == 0)
            v = "1";
        else if (id == ONSHI_OPT_TRANSPORT && strcmp(v, "https") == 0)
            v = "2";
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0')
            return cli_fail(cmd, "option %s expects a number", name);
        r = onshi_ctx_set_int(ctx, id, (int64_t)n);
    } else {
        r = onshi_ctx_set_str(ctx, id, eq + 1);
    }
    return r == ONSHI_OK ? 0 : cli_fail_ctx(cmd, ctx, r, name);
}

static int run_bulk(const char *cmd, onshi_ctx *ctx, int argc, char **argv, int kind)
{
    const char *file = NULL, *out = NULL, *resume = NULL, *from = NULL, *to = NULL;
    int json = 0, csv = 0, quiet = 0, exam = 0, list = 0, nsets = 0;
    const char *config = NULL, *sets[64];
    for (int i = 1; i < argc; i++) {
        if (kind == ONSHI_BATCH_QUALIFICATION && file == NULL && from == NULL &&
            (strcmp(argv[i], "--homecare") == 0 || strcmp(argv[i], "--online") == 0) &&
            i + 2 < argc) {
            kind = argv[i][2] == 'h' ? ONSHI_BATCH_HOMECARE : ONSHI_BATCH_ONLINE;
            from = argv[++i];
            to = argv[++i];
        } else if (kind == ONSHI_BATCH_QUALIFICATION && file == NULL && from == NULL &&
                   strcmp(argv[i], "--welfare") == 0 && i + 1 < argc) {
            kind = ONSHI_BATCH_WELFARE;
            from = argv[++i];
        } else if (strcmp(argv[i], "--examination") == 0)
            exam = 1;
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "--bulk") == 0 && kind == ONSHI_BATCH_REFNUM && i + 1 < argc)
            file = argv[++i];
        else if ((strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc)
            resume = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (nsets < (int)(sizeof sets / sizeof sets[0]))
                sets[nsets++] = argv[++i];
            else
                return cli_fail(cmd, "too many --set");
        } else if (argv[i][0] != '-' && file == NULL && kind == ONSHI_BATCH_QUALIFICATION)
            file = argv[i];
        else {
            fprintf(stderr, "onshi %s: unexpected argument \"%s\"\n", cmd, argv[i]);
            return 2;
        }
    }
    /* onshi.conf (or --config) and the ONSHI_* variables, then --set on top */
    if (cli_load_config(ctx, cmd, config))
        return 1;
    for (int i = 0; i < nsets; i++)
        if (set_option(cmd, ctx, sets[i]) != 0)
            return 1;
    if (list) {
        /* the batches a crash or an interruption left unfinished, to --resume */
        char id[ONSHI_BATCH_ID_SIZE], after[ONSHI_BATCH_ID_SIZE] = "";
        int r;
        while ((r = onshi_batch_next_unfinished(id, sizeof id, ctx, after)) == ONSHI_OK) {
            onshi_batch *b = NULL;
            if (onshi_batch_open(&b, ctx, id) == ONSHI_OK) {
                printf("%s %s %zu %s\n", id,
                       onshi_batch_phase(b) == ONSHI_BATCH_PHASE_UPLOAD ? "upload" : "poll",
                       onshi_batch_count(b), onshi_batch_reception_number(b));
                onshi_batch_free(b);
            }
            snprintf(after, sizeof after, "%s", id);
        }
        return r == ONSHI_E_NOT_FOUND ? 0 : cli_fail_ctx(cmd, ctx, r, "list");
    }
    int query = kind == ONSHI_BATCH_HOMECARE || kind == ONSHI_BATCH_ONLINE ||
                kind == ONSHI_BATCH_WELFARE;
    if (query + (file != NULL) + (resume != NULL) != 1) {
        fprintf(stderr, kind == ONSHI_BATCH_REFNUM
                            ? "usage: onshi refnum --bulk FILE.csv | --resume ID [--out FILE] [--json|--csv]\n"
                            : "usage: onshi batch FILE.csv | --homecare FROM TO | --online FROM TO"
                              " [--examination] | --welfare YYYYMM | --resume ID [--out FILE]"
                              " [--json|--csv]\n");
        return 2;
    }
    onshi_batch *b = NULL;
    int r;
    if (resume) {
        r = onshi_batch_open(&b, ctx, resume);
        if (r != ONSHI_OK)
            return cli_fail_ctx(cmd, ctx, r, resume);
        int k = onshi_batch_kind(b);
        if ((kind == ONSHI_BATCH_REFNUM) != (k == ONSHI_BATCH_REFNUM)) {
            onshi_batch_free(b);
            return cli_fail(cmd, "%s: %s", resume,
                            T("is a batch of the other kind (batch / refnum --bulk)",
                              "は別の種類の一括です（batch / refnum --bulk）"));
        }
    } else {
        if ((r = onshi_batch_new(&b, ctx, kind)) != ONSHI_OK)
            return cli_fail_ctx(cmd, ctx, r, "batch");
        if (query) {
            r = kind == ONSHI_BATCH_WELFARE ? onshi_batch_set_month(b, from)
                                            : onshi_batch_set_period(b, exam, from, to);
            if (r != ONSHI_OK) {
                onshi_batch_free(b);
                return cli_fail_ctx(cmd, ctx, r, "period");
            }
        } else if (load_csv(cmd, ctx, b, file, kind) != 0) {
            onshi_batch_free(b);
            return 1;
        }
        if ((r = onshi_batch_save(b)) != ONSHI_OK) {
            onshi_batch_free(b);
            return cli_fail_ctx(cmd, ctx, r, file ? file : from);
        }
    }
    if (!quiet)
        fprintf(stderr, "%s %s (%zu) — %s onshi %s --resume %s\n", T("batch", "一括ID"),
                onshi_batch_id(b), onshi_batch_count(b),
                T("if interrupted:", "中断したときは:"), cmd, onshi_batch_id(b));
    bar pb = {!quiet && isatty(2), 0};
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.progress = on_progress;
    cbs.progress_userdata = &pb;
    onshi_ctx_set_callbacks(ctx, &cbs);
    struct sigaction sa, old;
    pthread_t th;
    int watching = pipe(sig_pipe) == 0 && pthread_create(&th, NULL, cancel_thread, ctx) == 0;
    if (watching) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, &old);
    }
    r = onshi_batch_run(b);
    if (watching) {
        sigaction(SIGINT, &old, NULL);
        char q = 'q';
        if (write(sig_pipe[1], &q, 1) == 1)
            pthread_join(th, NULL);
        else
            pthread_detach(th);
    }
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
    onshi_ctx_set_callbacks(ctx, NULL);
    if (pb.shown)
        fputs("\r\033[K", stderr);
    if (r != ONSHI_OK) {
        int rc = cli_fail_ctx(cmd, ctx, r, onshi_batch_id(b));
        if (onshi_batch_phase(b) != ONSHI_BATCH_PHASE_FAILED)
            fprintf(stderr, "%s onshi %s --resume %s\n", T("resume later with:", "再開するには:"),
                    cmd, onshi_batch_id(b));
        onshi_batch_free(b);
        return rc;
    }
    FILE *f = stdout;
    if (out && (f = cli_create_private(out)) == NULL) {
        onshi_batch_free(b);
        return cli_fail(cmd, "cannot write %s: %s", out, strerror(errno));
    }
    if (json)
        write_json(f, ctx, b);
    else if (csv || out)
        write_csv(f, b);
    else
        print_table(f, b);
    int bad = f != stdout ? fclose(f) != 0 : fflush(f) != 0;
    if (out && !quiet && !bad)
        print_table(stderr, b);
    onshi_batch_free(b);
    return bad ? cli_fail(cmd, "writing %s failed", out ? out : "stdout") : 0;
}

int cmd_batch(onshi_ctx *ctx, int argc, char **argv)
{
    return run_bulk("batch", ctx, argc, argv, ONSHI_BATCH_QUALIFICATION);
}

int cmd_refnum_bulk(onshi_ctx *ctx, int argc, char **argv)
{
    return run_bulk("refnum", ctx, argc, argv, ONSHI_BATCH_REFNUM);
}

int cmd_refnum_any(onshi_ctx *ctx, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--bulk") == 0 ||
            (strcmp(argv[i], "--resume") == 0 && i + 1 < argc && argv[i + 1][0] == 'B'))
            return cmd_refnum_bulk(ctx, argc, argv);
    return cmd_refnum(ctx, argc, argv);
}
