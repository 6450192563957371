/*
 * onshi pending: what a stopped program left open (file transport), and resuming it.
 *   onshi pending [--all] [--json|--csv]            list: id, type, state, age, patient key
 *   onshi pending --resume [ID] [--wait-ms MS]      pick up the result of every open request
 *                                                    (or of ID); never sends anything again
 * Exit status: 0 done, 1 failure, 2 usage, 3 a result is still not there (stays pending).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cmd.h"
#include "onshi_transport.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

static const char *state_word(int st, int ja)
{
    switch (st) {
    case ONSHI_FILE_STATE_RECORDED:
        return ja ? "公開中" : "recorded";
    case ONSHI_FILE_STATE_PUBLISHED:
        return ja ? "連携アプリ待ち" : "published";
    case ONSHI_FILE_STATE_TAKEN:
        return ja ? "結果待ち" : "taken";
    case ONSHI_FILE_STATE_ANSWERED:
        return ja ? "結果あり" : "answered";
    case ONSHI_FILE_STATE_CONSUMED:
        return ja ? "受取済" : "consumed";
    case ONSHI_FILE_STATE_ABANDONED:
        return ja ? "未送信（中断）" : "abandoned";
    default:
        return "?";
    }
}

/* Machine-readable state names (JSON, CSV): the same in every language. */
static const char *state_key(int st)
{
    static const char *const k[] = {"?",        "recorded", "published", "taken",
                                    "answered", "consumed", "abandoned"};
    return st >= 1 && st <= 6 ? k[st] : "?";
}

static void age_text(char *out, size_t n, int64_t created_ms)
{
    int64_t s = ((int64_t)time(NULL) * 1000 - created_ms) / 1000;
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(out, n, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(out, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(out, n, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static int list(onshi_ctx *ctx, int all, int fmt)
{
    int ja = cli_lang_ja();
    char after[ONSHI_FILE_ID_SIZE] = "";
    size_t n = 0;
    if (fmt == FMT_JSON)
        fputs("{\"_type\":\"pending\",\"requests\":[", stdout);
    else if (fmt == FMT_CSV)
        fputs("id,type,state,age_seconds,patient\n", stdout);
    for (;;) {
        onshi_pending *p = NULL;
        int rc = onshi_pending_next(&p, ctx, after, all ? ONSHI_PENDING_ALL : 0);
        if (rc == ONSHI_E_NOT_FOUND)
            break;
        if (rc != ONSHI_OK) {
            if (fmt == FMT_JSON)
                fputs("]}\n", stdout);
            return cli_fail_ctx("pending", ctx, rc, ja ? "保留中の要求" : "pending requests");
        }
        snprintf(after, sizeof after, "%s", onshi_pending_id(p));
        const char *type = onshi_msgtype_prefix(onshi_pending_type(p));
        const char *pat = onshi_pending_patient(p);
        int64_t age_s = ((int64_t)time(NULL) * 1000 - onshi_pending_created(p)) / 1000;
        char age[32];
        age_text(age, sizeof age, onshi_pending_created(p));
        if (fmt == FMT_JSON) {
            printf("%s{\"id\":", n ? "," : "");
            cli_json_str(stdout, onshi_pending_id(p));
            fputs(",\"type\":", stdout);
            cli_json_str(stdout, type);
            fputs(",\"state\":", stdout);
            cli_json_str(stdout, state_key(onshi_pending_state(p)));
            printf(",\"age_seconds\":%lld,\"patient\":", (long long)(age_s < 0 ? 0 : age_s));
            if (pat)
                cli_json_str(stdout, pat);
            else
                fputs("null", stdout);
            putchar('}');
        } else if (fmt == FMT_CSV) {
            char secs[24];
            snprintf(secs, sizeof secs, "%lld", (long long)(age_s < 0 ? 0 : age_s));
            const char *cols[] = {onshi_pending_id(p), type, state_key(onshi_pending_state(p)),
                                  secs, pat};
            cli_csv_row(stdout, cols, 5);
        } else {
            if (n == 0)
                printf("%-17s %-14s %-16s %-8s %s\n", ja ? "要求ID" : "id", ja ? "種別" : "type",
                       ja ? "状態" : "state", ja ? "経過" : "age", ja ? "患者キー" : "patient");
            printf("%-17s %-14s %-16s %-8s %s\n", onshi_pending_id(p), type ? type : "?",
                   state_word(onshi_pending_state(p), ja), age, pat ? pat : "-");
        }
        onshi_pending_free(p);
        n++;
    }
    if (fmt == FMT_JSON)
        fputs("]}\n", stdout);
    else if (fmt == FMT_TABLE && n == 0)
        puts(ja ? "保留中の要求はありません" : "no pending requests");
    return 0;
}

/* Pick up one request's result; 0 done, 3 still pending, 1 failed. */
static int resume_one(onshi_ctx *ctx, onshi_pending *p, int64_t wait_ms, int fmt)
{
    int ja = cli_lang_ja();
    const char *id = onshi_pending_id(p);
    int type = onshi_pending_type(p);
    onshi_msg *m = NULL;
    int rc = onshi_result_pickup(&m, ctx, id, type, wait_ms);
    if (rc == ONSHI_E_PENDING || rc == ONSHI_E_LINKAGE_NOT_RUNNING) {
        fprintf(stderr,
                ja ? "onshi pending: %s の結果はまだありません（再送しません）\n"
                   : "onshi pending: no result for %s yet (it is not sent again)\n",
                id);
        return 3;
    }
    if (rc != ONSHI_OK) {
        char what[64];
        snprintf(what, sizeof what, "%s", id);
        return cli_fail_ctx("pending", ctx, rc, what);
    }
    if (fmt == FMT_JSON) {
        onshi_buf *j = NULL;
        rc = onshi_msg_to_json(&j, ctx, m);
        if (rc == ONSHI_OK) {
            printf("{\"_type\":\"resumed\",\"id\":\"%s\",\"result\":", id);
            fwrite(onshi_buf_data(j), 1, onshi_buf_len(j), stdout);
            puts("}");
        }
        onshi_buf_free(j);
    } else {
        printf(ja ? "%s（%s）: 結果を受け取りました\n" : "%s (%s): result received\n", id,
               onshi_msgtype_prefix(type) ? onshi_msgtype_prefix(type) : "?");
        if (type == ONSHI_MSG_QUAL_REQ)
            rc = cli_print_qualification(ctx, m, 0);
    }
    onshi_msg_free(m);
    return rc == ONSHI_OK ? 0 : cli_fail_ctx("pending", ctx, rc, id);
}

static int resume(onshi_ctx *ctx, const char *only, int64_t wait_ms, int fmt)
{
    int ja = cli_lang_ja(), worst = 0, n = 0;
    if (only != NULL) {
        onshi_pending *p = NULL;
        int rc = onshi_pending_get(&p, ctx, only);
        if (rc != ONSHI_OK)
            return cli_fail_ctx("pending", ctx, rc, only);
        rc = resume_one(ctx, p, wait_ms, fmt);
        onshi_pending_free(p);
        return rc;
    }
    /* The open ones, listed first (recovery runs then); a resumed one leaves the list. */
    char after[ONSHI_FILE_ID_SIZE] = "";
    for (;;) {
        onshi_pending *p = NULL;
        int rc = onshi_pending_next(&p, ctx, after, 0);
        if (rc == ONSHI_E_NOT_FOUND)
            break;
        if (rc != ONSHI_OK)
            return cli_fail_ctx("pending", ctx, rc, ja ? "保留中の要求" : "pending requests");
        snprintf(after, sizeof after, "%s", onshi_pending_id(p));
        int r = onshi_pending_state(p) == ONSHI_FILE_STATE_RECORDED
                    ? 3 /* a live process is publishing it right now */
                    : resume_one(ctx, p, wait_ms, fmt);
        onshi_pending_free(p);
        n++;
        if (r == 1 || (r == 3 && worst == 0))
            worst = r;
    }
    if (n == 0 && fmt == FMT_TABLE)
        puts(ja ? "保留中の要求はありません" : "no pending requests");
    return worst;
}

int cmd_pending(onshi_ctx *ctx, int argc, char **argv)
{
    int all = 0, fmt = FMT_TABLE, do_resume = 0;
    const char *config = NULL, *only = NULL;
    int64_t wait_ms = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            fmt = FMT_JSON;
        } else if (strcmp(argv[i], "--csv") == 0) {
            fmt = FMT_CSV;
        } else if (strcmp(argv[i], "--resume") == 0) {
            do_resume = 1;
            if (i + 1 < argc && argv[i + 1][0] != '-')
                only = argv[++i];
        } else if (strcmp(argv[i], "--wait-ms") == 0 && i + 1 < argc) {
            char *end;
            long long v = strtoll(argv[++i], &end, 10);
            if (*end != '\0' || v < 0)
                return cli_fail("pending", CLI_T("--wait-ms: a number of milliseconds expected", "--wait-ms にはミリ秒の数値を指定してください")) + 1;
            wait_ms = v;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            i++; /* applied after the configuration file, below */
        } else {
            fprintf(stderr, "%s", CLI_T("usage: ", "使い方: ")), fprintf(stderr, "onshi pending [--all] [--json|--csv] | --resume [ID] "
                            "[--wait-ms MS] [--json] [--config FILE] [--set OPTION=VALUE]...\n");
            return 2;
        }
    }
    if (cli_load_config(ctx, "pending", config))
        return 1;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--set") == 0) {
            int r = cli_set_option(ctx, "pending", argv[++i]);
            if (r)
                return r;
        }
    if (do_resume) {
        if (all || fmt == FMT_CSV) {
            fprintf(stderr, "onshi pending: --resume takes neither --all nor --csv\n");
            return 2;
        }
        return resume(ctx, only, wait_ms, fmt);
    }
    return list(ctx, all, fmt);
}
