/*
 * Request/result exchange through req/ and res/: naming, the pending record, publishing,
 * waiting, error files, pickup of late results, consumption.
 *
 * Order of a send (what makes "never resend, nothing lost" hold across kill -9):
 *   1. allocate the id (sequence, own transaction)
 *   2. write ".~onshi-<id>.tmp" in req/, fsync            crash: orphan temp, no record
 *   3. record the request as pending (state RECORDED)      crash: RECORDED + temp present
 *   4. rename temp → real name, fsync req/                 crash: RECORDED + temp gone
 *   5. state PUBLISHED
 * Recovery of a RECORDED row whose process is dead: temp present → the linkage app never saw
 * it → ABANDONED (the temp is removed, nothing was sent); temp gone → it was renamed →
 * PUBLISHED (wait for its result; never write it again).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "file.h"

#include <errno.h>
#include <iconv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(ONSHI_FILE_STATE_RECORDED == ONSHI__P_RECORDED &&
                   ONSHI_FILE_STATE_PUBLISHED == ONSHI__P_PUBLISHED &&
                   ONSHI_FILE_STATE_TAKEN == ONSHI__P_TAKEN &&
                   ONSHI_FILE_STATE_ANSWERED == ONSHI__P_ANSWERED &&
                   ONSHI_FILE_STATE_CONSUMED == ONSHI__P_CONSUMED &&
                   ONSHI_FILE_STATE_ABANDONED == ONSHI__P_ABANDONED,
               "public request states mirror the store's");

/* ---- result objects ----------------------------------------------------------------------- */

int onshi__file_result_new(onshi_file_result **out, const char *id, int type, const char *name)
{
    onshi_file_result *r = onshi__calloc(1, sizeof *r);
    if (r == NULL)
        return ONSHI_E_NOMEM;
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    r->type = type;
    onshi__buf_init(&r->data, false);
    if ((r->name = onshi__strdup(name)) == NULL) {
        free(r);
        return ONSHI_E_NOMEM;
    }
    *out = r;
    return ONSHI_OK;
}

ONSHI_API void ONSHI_CALL onshi_file_result_free(onshi_file_result *r)
{
    if (r == NULL)
        return;
    /* Results carry personal data: wipe before release. */
    if (r->data.data)
        onshi_mem_wipe(r->data.data, r->data.cap);
    onshi__buf_clear(&r->data);
    free(r->name);
    free(r->entry);
    free(r);
}

ONSHI_API const char *ONSHI_CALL onshi_file_result_name(const onshi_file_result *r)
{
    return r ? r->name : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_file_result_id(const onshi_file_result *r)
{
    return r ? r->id : NULL;
}

ONSHI_API int ONSHI_CALL onshi_file_result_type(const onshi_file_result *r)
{
    return r ? r->type : ONSHI_E_INVALID_ARG;
}

ONSHI_API const unsigned char *ONSHI_CALL onshi_file_result_data(const onshi_file_result *r)
{
    return r && r->data.len ? r->data.data : NULL;
}

ONSHI_API size_t ONSHI_CALL onshi_file_result_len(const onshi_file_result *r)
{
    return r ? r->data.len : 0;
}

/* ---- names ----------------------------------------------------------------------------- */

static int valid_id(const char *id)
{
    if (id == NULL || strlen(id) != ONSHI__ID_LEN)
        return 0;
    for (int i = 0; i < ONSHI__ID_LEN; i++)
        if (id[i] < '0' || id[i] > '9')
            return 0;
    return 1;
}

/* "OQSsiquc01req" → "OQSsiquc01res": the result prefix replaces the last "req". */
static void res_prefix(char *out, size_t size, const char *req_prefix)
{
    snprintf(out, size, "%s", req_prefix);
    char *p = NULL;
    for (char *q = strstr(out, "req"); q; q = strstr(q + 1, "req"))
        p = q;
    if (p)
        memcpy(p, "res", 3);
}

typedef struct names {
    char req_base[64]; /* OQSsiquc01req_<id> */
    char res_base[64]; /* OQSsiquc01res_<id> */
} names;

static int names_of(onshi_ctx *ctx, int type, const char *id, names *n)
{
    const onshi__msgtype *m = onshi__msgtype_find(type);
    if (m == NULL || m->prefix == NULL || !m->is_request)
        return onshi__err(ctx, ONSHI_E_UNKNOWN_MESSAGE,
                          "message type %d is not a request of the file exchange", type);
    char rp[32];
    res_prefix(rp, sizeof rp, m->prefix);
    snprintf(n->req_base, sizeof n->req_base, "%s_%s", m->prefix, id);
    snprintf(n->res_base, sizeof n->res_base, "%s_%s", rp, id);
    return ONSHI_OK;
}

/* Extensions a result may have: XML, a ZIP of one XML (bulk), a PDF (drug/checkup). */
static const char *const result_ext[] = {".xml", ".zip", ".pdf"};

/* ---- sequence: skip identifiers whose files may still exist ---------------------------- */

static int not_hidden(const char *name)
{
    return name[0] != '.';
}

static int id_in_listing(void *arg, const char *id)
{
    const onshi__names *l = arg;
    char pat[ONSHI__ID_LEN + 3];
    snprintf(pat, sizeof pat, "_%s.", id);
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], pat) != NULL)
            return 1;
    return 0;
}

static void today(char day8[9])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    /* The identifier's date is the clinic's local date, like the peers' yyyyMMdd. */
    strftime(day8, 9, "%Y%m%d", &tm);
}

/* ---- send ------------------------------------------------------------------------------ */

static void tmp_name(char *out, size_t size, const char *id)
{
    /* Starts with '.', ends in .tmp: no linkage app takes it for a request. */
    snprintf(out, size, ".~onshi-%s.tmp", id);
}

static void unlink_in(const char *dir, const char *name)
{
    char *p = onshi__path_join(dir, name);
    if (p)
        unlink(p);
    free(p);
}

int onshi__file_send(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                     char id_out[ONSHI__ID_LEN + 1])
{
    id_out[0] = '\0';
    if (body == NULL || len == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "empty request body");
    names n;
    int r = names_of(ctx, msgtype, "000000000000", &n);
    if (r != ONSHI_OK)
        return r;
    const char *req_dir = onshi__opt_str(ctx, ONSHI_OPT_REQ_DIR);
    const char *res_dir = onshi__opt_str(ctx, ONSHI_OPT_RES_DIR);
    /* req/ is checked for listing only: a probe file there could be taken for a request;
     * creating the temp file reports "not writable" with the folder's name. */
    if ((r = onshi__dir_check(ctx, req_dir, "req", 0)) != ONSHI_OK ||
        (r = onshi__dir_check(ctx, res_dir, "res", 0)) != ONSHI_OK)
        return r;
    onshi__store *st;
    if ((r = onshi__store_get(ctx, &st)) != ONSHI_OK)
        return r;

    onshi__names l = {NULL, 0, 0};
    if ((r = onshi__dir_list(ctx, req_dir, not_hidden, &l)) == ONSHI_OK)
        r = onshi__dir_list(ctx, res_dir, not_hidden, &l);
    char day[9], id[ONSHI__ID_LEN + 1];
    today(day);
    if (r == ONSHI_OK)
        r = onshi__store_seq_next(ctx, st, day, id_in_listing, &l, id);
    onshi__names_free(&l);
    if (r != ONSHI_OK)
        return r;
    names_of(ctx, msgtype, id, &n);
    char req_name[80], tmp[64], host[256] = "";
    snprintf(req_name, sizeof req_name, "%s.xml", n.req_base);
    tmp_name(tmp, sizeof tmp, id);
    gethostname(host, sizeof host - 1);

    if ((r = onshi__file_write_temp(ctx, req_dir, tmp, body, len)) != ONSHI_OK)
        return r;
    onshi__pending p;
    memset(&p, 0, sizeof p);
    memcpy(p.id, id, sizeof p.id);
    p.type = msgtype;
    p.state = ONSHI__P_RECORDED;
    p.req_name = req_name;
    p.req_dir = (char *)req_dir;
    p.res_dir = (char *)res_dir;
    p.created_ms = onshi__wall_ms();
    p.owner_host = host;
    p.owner_pid = (int64_t)getpid();
    if ((r = onshi__pending_insert(ctx, st, &p)) != ONSHI_OK) {
        unlink_in(req_dir, tmp);
        return r;
    }
    if (onshi__file_test_hooks.after_record)
        onshi__file_test_hooks.after_record(id);
    if ((r = onshi__file_rename_sync(ctx, req_dir, tmp, req_name)) != ONSHI_OK) {
        /* Not visible (rename failed, or visible but the folder fsync failed: then the
         * record must say published). */
        char *path = onshi__path_join(req_dir, req_name);
        struct stat sb;
        int visible = path && stat(path, &sb) == 0;
        free(path);
        if (!visible) {
            unlink_in(req_dir, tmp);
            onshi__pending_set_state(NULL, st, id, ONSHI__P_ABANDONED, NULL, 0);
            return r;
        }
    }
    if (onshi__file_test_hooks.after_publish)
        onshi__file_test_hooks.after_publish(id);
    memcpy(id_out, id, ONSHI__ID_LEN + 1);
    if (onshi__pending_set_state(ctx, st, id, ONSHI__P_PUBLISHED, NULL, 0) != ONSHI_OK)
        /* The request is out; recovery will mark it published. Not the caller's failure. */
        onshi__log(ctx, ONSHI_LOG_WARN, "transport", "request %s published, state not saved",
                   id);
    onshi__log(ctx, ONSHI_LOG_INFO, "transport", "published %s", req_name);
    /* Housekeeping: finished requests are kept for a while for diagnosis, then dropped. */
    onshi__pending_prune(NULL, st, onshi__wall_ms() - ONSHI__PENDING_KEEP_MS);
    return ONSHI_OK;
}

/* ---- crash recovery of a RECORDED request ----------------------------------------------- */

static int owner_alive(const onshi__pending *p)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    if (strcmp(host, p->owner_host) != 0)
        /* Another machine sharing the store: give it time to finish the rename. */
        return onshi__wall_ms() - p->created_ms < 10 * 60 * 1000;
    if (p->owner_pid == (int64_t)getpid())
        return 1;
    return kill((pid_t)p->owner_pid, 0) == 0 || errno == EPERM;
}

static int recover_recorded(onshi_ctx *ctx, onshi__store *st, onshi__pending *p)
{
    char tmp[64];
    tmp_name(tmp, sizeof tmp, p->id);
    char *path = onshi__path_join(p->req_dir, tmp);
    if (path == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    struct stat sb;
    int have_tmp = stat(path, &sb) == 0;
    int r;
    if (have_tmp && owner_alive(p)) {
        /* Between writing and renaming in a live process (or thread): not ours to touch. */
        r = onshi__err(ctx, ONSHI_E_PENDING, "request %s is being published by process %lld",
                       p->id, (long long)p->owner_pid);
    } else if (have_tmp) {
        unlink(path);
        r = onshi__pending_set_state(ctx, st, p->id, ONSHI__P_ABANDONED, NULL, 0);
        p->state = ONSHI__P_ABANDONED;
        onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                   "request %s was never published (crash before rename): abandoned", p->id);
    } else {
        /* The temp file exists from before the record until the rename: without it the
         * request was renamed into req/ (and may be taken already). Never write it again. */
        r = onshi__pending_set_state(ctx, st, p->id, ONSHI__P_PUBLISHED, NULL, 0);
        p->state = ONSHI__P_PUBLISHED;
        p->published_ms = onshi__wall_ms();
        onshi__log(ctx, ONSHI_LOG_INFO, "transport",
                   "request %s was published before a crash: waiting for its result", p->id);
    }
    free(path);
    return r;
}

/* ---- error files ------------------------------------------------------------------------ */

/* The .err text as UTF-8 for the message: as is when valid UTF-8, else from CP932. */
static void err_text(char *out, size_t size, const onshi_buf *b)
{
    out[0] = '\0';
    if (b->len == 0) {
        snprintf(out, size, "(empty .err file)");
        return;
    }
    iconv_t cd = (iconv_t)-1;
    size_t in_left = b->len;
    char *in = (char *)b->data;
    char *o = out;
    size_t o_left = size - 1;
    /* Valid UTF-8? (iconv UTF-8 → UTF-8 validates) */
    const char *from[] = {"UTF-8", "CP932"};
    for (int i = 0; i < 2; i++) {
        cd = iconv_open("UTF-8", from[i]);
        if (cd == (iconv_t)-1)
            continue;
        in = (char *)b->data;
        in_left = b->len;
        o = out;
        o_left = size - 1;
        size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
        iconv_close(cd);
        if (rc != (size_t)-1 || errno == E2BIG)
            break;
        o = out;
    }
    *o = '\0';
    /* Keep it on one line. */
    for (char *q = out; *q; q++)
        if (*q == '\r' || *q == '\n' || *q == '\t')
            *q = ' ';
    if (out[0] == '\0')
        snprintf(out, size, "(%zu bytes, not text)", b->len);
}

static int err_file_status(onshi_ctx *ctx, const char *req_name, const char *errname,
                           const onshi_buf *text)
{
    char t[512], en[1024], ja[1024];
    if (text != NULL)
        err_text(t, sizeof t, text);
    else
        snprintf(t, sizeof t, "(no .err text)");
    snprintf(en, sizeof en, "the linkage app rejected %s (%s): %s", req_name, errname, t);
    snprintf(ja, sizeof ja, "連携アプリが %s をエラーとしました（%s）：%s", req_name, errname, t);
    return onshi__err_ja(ctx, ONSHI_E_ERR_FILE, ONSHI_FOREIGN_NONE, 0, en, ja);
}

/* ---- wait ------------------------------------------------------------------------------- */

static int exists_in(const char *dir, const char *name)
{
    char *p = onshi__path_join(dir, name);
    struct stat sb;
    /* lstat: a symbolic link counts as present, so that reading it reports the refusal
     * instead of the wait timing out without a word. */
    int ok = p && lstat(p, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode));
    free(p);
    return ok;
}

/* Every file in res/ that can belong to a request: results, then error files, then the
 * request-named error file. `out` gets up to 12 names. */
static size_t candidates(const names *n, char out[][96], int *kind)
{
    size_t k = 0;
    for (size_t i = 0; i < sizeof result_ext / sizeof result_ext[0]; i++) {
        snprintf(out[k], 96, "%s%s", n->res_base, result_ext[i]);
        kind[k++] = 0;
    }
    const char *errs[] = {"%s.err", "%s.xml.err"};
    for (int i = 0; i < 2; i++) {
        snprintf(out[k], 96, errs[i], n->req_base);
        kind[k++] = 1;
        snprintf(out[k], 96, errs[i], n->res_base);
        kind[k++] = 1;
    }
    snprintf(out[k], 96, "%s.xml", n->req_base);
    kind[k++] = 2;
    return k;
}

static int answered(onshi_ctx *ctx, onshi__store *st, onshi__pending *p, const char *name,
                    int err)
{
    if (p->state == ONSHI__P_ANSWERED && p->res_name && strcmp(p->res_name, name) == 0)
        return ONSHI_OK;
    int r = onshi__pending_set_state(ctx, st, p->id, ONSHI__P_ANSWERED, name, err);
    if (r == ONSHI_OK)
        p->state = ONSHI__P_ANSWERED;
    return r;
}

static int take_result(onshi_ctx *ctx, onshi__store *st, onshi__pending *p, const char *name,
                       onshi_buf *data, onshi_file_result **out)
{
    onshi_file_result *res;
    size_t cap = (size_t)onshi__opt_int(ctx, ONSHI_OPT_RESULT_MAX_SIZE);
    int type = onshi_msgtype_from_filename(name);
    if (onshi__file_result_new(&res, p->id, type > 0 ? type : 0, name) != ONSHI_OK) {
        onshi__buf_clear(data);
        return onshi__err(ctx, ONSHI_E_NOMEM, "result");
    }
    res->data = *data;
    onshi__buf_init(data, false);
    size_t nl = strlen(name);
    int r = ONSHI_OK;
    if (nl > 4 && strcasecmp(name + nl - 4, ".zip") == 0)
        r = onshi__zip_extract(ctx, name, &res->data, cap, &res->entry);
    /* A ZIP that is invalid will not become valid: it still counts as the answer. */
    int r2 = answered(ctx, st, p, name, 0);
    if (r == ONSHI_OK)
        r = r2;
    if (r != ONSHI_OK) {
        onshi_file_result_free(res);
        return r;
    }
    *out = res;
    onshi__log(ctx, ONSHI_LOG_INFO, "transport", "result %s (%zu bytes)", name, res->data.len);
    return ONSHI_OK;
}

static int wait_loop(onshi_ctx *ctx, onshi__store *st, onshi__pending *p, onshi__dirwait *w,
                     int64_t deadline, onshi_file_result **out)
{
    names n;
    int r = names_of(ctx, p->type, p->id, &n);
    if (r != ONSHI_OK)
        return r;
    char cand[12][96];
    int kind[12];
    size_t nc = candidates(&n, cand, kind);
    size_t cap = (size_t)onshi__opt_int(ctx, ONSHI_OPT_RESULT_MAX_SIZE);
    int64_t take_to = onshi__opt_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS);
    int64_t reqnamed_since = 0;
    int was_answered = p->state == ONSHI__P_ANSWERED;
    for (;;) {
        if ((r = onshi__cancel_check(ctx)) != ONSHI_OK)
            return r;
        int any = 0;
        for (size_t i = 0; i < nc; i++) {
            if (!exists_in(p->res_dir, cand[i]))
                continue;
            any = 1;
            int64_t now = onshi__now_ms();
            if (kind[i] == 2) { /* request-named file: its .err may follow */
                if (reqnamed_since == 0)
                    reqnamed_since = now;
                if (now - reqnamed_since < ONSHI__ERR_GRACE_MS)
                    continue;
                if ((r = answered(ctx, st, p, cand[i], 1)) != ONSHI_OK)
                    return r;
                return err_file_status(ctx, p->req_name, cand[i], NULL);
            }
            /* Enough time for the stable-read rule even on a "look once" call. */
            int64_t sd = deadline;
            if (sd < now + 4 * w->poll_ms + ONSHI__INCOMPLETE_ACCEPT_MS)
                sd = now + 4 * w->poll_ms + ONSHI__INCOMPLETE_ACCEPT_MS;
            onshi_buf b;
            r = onshi__file_read_stable(ctx, w, p->res_dir, cand[i],
                                        kind[i] ? ONSHI__ERRFILE_MAX : cap, sd, &b);
            if (r == ONSHI_E_NOT_FOUND)
                continue; /* removed meanwhile (by whom?): look again */
            if (r == ONSHI_E_RESULT_TOO_LARGE) {
                /* Still the answer: the caller may raise the cap and read it again, or
                 * consume it. */
                int r2 = answered(ctx, st, p, cand[i], kind[i] != 0);
                return r2 != ONSHI_OK ? r2 : r;
            }
            if (r != ONSHI_OK)
                return r;
            if (kind[i] == 0)
                return take_result(ctx, st, p, cand[i], &b, out);
            r = answered(ctx, st, p, cand[i], 1);
            if (r == ONSHI_OK)
                r = err_file_status(ctx, p->req_name, cand[i], &b);
            onshi__buf_clear(&b);
            return r;
        }
        if (was_answered && !any)
            return onshi__err_ja(ctx, ONSHI_E_NOT_FOUND, ONSHI_FOREIGN_NONE, 0,
                                 "the result file was removed from res/ before it was consumed "
                                 "(purged by the terminal's stay time, or taken by another "
                                 "program)",
                                 "結果ファイルが取り込み前に res フォルダから消えました"
                                 "（端末の保存期間による削除、または他のソフトが取得）");
        if (p->state == ONSHI__P_PUBLISHED) {
            if (!exists_in(p->req_dir, p->req_name)) {
                if ((r = onshi__pending_set_state(ctx, st, p->id, ONSHI__P_TAKEN, NULL, 0)) !=
                    ONSHI_OK)
                    return r;
                p->state = ONSHI__P_TAKEN;
            } else if (take_to > 0 && onshi__wall_ms() - p->published_ms >= take_to) {
                char en[512], ja[512];
                snprintf(en, sizeof en,
                         "%s was not taken from %s within %lld ms: is the linkage app "
                         "(OQSComApp) running? The request stays pending (id %s); it is not "
                         "sent again",
                         p->req_name, p->req_dir, (long long)take_to, p->id);
                snprintf(ja, sizeof ja,
                         "%s が %lld ミリ秒以内に %s から取り込まれませんでした。連携アプリ"
                         "（OQSComApp）は起動していますか。要求は保留中のままです（ID %s）。"
                         "再送はしません",
                         p->req_name, (long long)take_to, p->req_dir, p->id);
                return onshi__err_ja(ctx, ONSHI_E_LINKAGE_NOT_RUNNING, ONSHI_FOREIGN_NONE, 0,
                                     en, ja);
            }
        }
        int64_t now = onshi__now_ms();
        if (now >= deadline) {
            char en[256], ja[256];
            snprintf(en, sizeof en,
                     "no result for %s yet; pick it up later with id %s (do not send again)",
                     p->req_name, p->id);
            snprintf(ja, sizeof ja,
                     "%s の結果はまだありません。後で ID %s で受け取ってください（再送しないで"
                     "ください）",
                     p->req_name, p->id);
            return onshi__err_ja(ctx, ONSHI_E_PENDING, ONSHI_FOREIGN_NONE, 0, en, ja);
        }
        int64_t slice = deadline - now;
        if (reqnamed_since && slice > ONSHI__ERR_GRACE_MS / 5)
            slice = ONSHI__ERR_GRACE_MS / 5;
        if ((r = onshi__dirwait_wait(ctx, w, slice)) != ONSHI_OK)
            return r;
    }
}

/* The store and the pending row of id; messages name the id. The caller clears *p. */
static int load_pending(onshi_ctx *ctx, const char *id, onshi__store **st, onshi__pending *p)
{
    memset(p, 0, sizeof *p);
    if (!valid_id(id))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "request id must be 12 digits");
    int r = onshi__store_get(ctx, st);
    if (r != ONSHI_OK)
        return r;
    if ((r = onshi__pending_get(ctx, *st, id, p)) == ONSHI_E_NOT_FOUND)
        return onshi__err(ctx, r, "no request with id %s in the state store %s", id,
                          (*st)->path);
    return r;
}

int onshi__file_wait(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                     onshi_file_result **out)
{
    *out = NULL;
    onshi__store *st;
    onshi__pending p;
    int r = load_pending(ctx, id, &st, &p);
    if (r != ONSHI_OK)
        return r;
    if (p.state == ONSHI__P_RECORDED)
        r = recover_recorded(ctx, st, &p);
    if (r == ONSHI_OK && p.state == ONSHI__P_CONSUMED)
        r = onshi__err(ctx, ONSHI_E_STATE, "the result of %s was already consumed", id);
    if (r == ONSHI_OK && p.state == ONSHI__P_ABANDONED)
        r = onshi__err_ja(ctx, ONSHI_E_STATE, ONSHI_FOREIGN_NONE, 0,
                          "this request was never published (the program stopped before the "
                          "file became visible); nothing was sent, send a new request",
                          "この要求は公開前に中断されたため送信されていません。新しく要求して"
                          "ください");
    if (r != ONSHI_OK) {
        onshi__pending_clear(&p);
        return r;
    }
    if (timeout_ms < 0)
        timeout_ms = onshi__opt_int(ctx, ONSHI_OPT_RESULT_TIMEOUT_MS);
    int64_t deadline = onshi__now_ms() + timeout_ms;
    onshi__dirwait w;
    r = onshi__dirwait_open(ctx, &w, p.res_dir, p.req_dir,
                            onshi__opt_int(ctx, ONSHI_OPT_POLL_INTERVAL_MS));
    if (r == ONSHI_OK) {
        onshi__dirwait_arm(&w, ctx);
        if (onshi__file_test_hooks.watching)
            onshi__file_test_hooks.watching();
        r = wait_loop(ctx, st, &p, &w, deadline, out);
        onshi__dirwait_close(&w);
    }
    onshi__pending_clear(&p);
    return r;
}

/* ---- consume ---------------------------------------------------------------------------- */

static int copy_file(onshi_ctx *ctx, const char *from_dir, const char *name,
                     const char *to_dir)
{
    onshi_buf b;
    char *src = onshi__path_join(from_dir, name);
    if (src == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    int r = onshi__file_read_all(ctx, src, SIZE_MAX - 1, &b);
    free(src);
    if (r == ONSHI_OK)
        r = onshi__file_write_atomic(ctx, to_dir, name, b.data, b.len);
    onshi__buf_clear(&b);
    return r;
}

static int consume_file(onshi_ctx *ctx, const char *dir, const char *name, const char *archive)
{
    char *src = onshi__path_join(dir, name);
    if (src == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    int r = ONSHI_OK;
    if (archive != NULL && *archive != '\0') {
        char *dst = onshi__path_join(archive, name);
        if (dst == NULL) {
            r = onshi__err(ctx, ONSHI_E_NOMEM, "path");
        } else if (rename(src, dst) != 0) {
            if (errno == EXDEV) { /* another file system (a share): copy, then delete */
                r = copy_file(ctx, dir, name, archive);
                if (r == ONSHI_OK && unlink(src) != 0 && errno != ENOENT)
                    r = onshi__file_errno(ctx, errno, dir, name, "delete");
            } else if (errno != ENOENT) {
                r = onshi__file_errno(ctx, errno, archive, name, "move");
            }
        }
        free(dst);
    } else if (unlink(src) != 0 && errno != ENOENT) {
        r = onshi__file_errno(ctx, errno, dir, name, "delete");
    }
    free(src);
    return r;
}

int onshi__file_consume(onshi_ctx *ctx, const char *id)
{
    onshi__store *st;
    onshi__pending p;
    int r = load_pending(ctx, id, &st, &p);
    if (r != ONSHI_OK)
        return r;
    if (p.state == ONSHI__P_CONSUMED) {
        onshi__pending_clear(&p);
        return ONSHI_OK;
    }
    if (p.state != ONSHI__P_ANSWERED) {
        onshi__pending_clear(&p);
        return onshi__err(ctx, ONSHI_E_STATE, "no result of %s was read yet", id);
    }
    const char *archive = onshi__opt_str(ctx, ONSHI_OPT_ARCHIVE_DIR);
    if (archive != NULL && *archive != '\0' &&
        (r = onshi__dir_check(ctx, archive, "archive", 1)) != ONSHI_OK) {
        onshi__pending_clear(&p);
        return r;
    }
    names n;
    char cand[12][96];
    int kind[12];
    r = names_of(ctx, p.type, p.id, &n);
    size_t nc = r == ONSHI_OK ? candidates(&n, cand, kind) : 0;
    for (size_t i = 0; i < nc && r == ONSHI_OK; i++)
        if (exists_in(p.res_dir, cand[i]))
            r = consume_file(ctx, p.res_dir, cand[i], archive);
    if (r == ONSHI_OK)
        r = onshi__pending_set_state(ctx, st, id, ONSHI__P_CONSUMED, NULL, 0);
    onshi__pending_clear(&p);
    return r;
}

/* ---- public entry points ---------------------------------------------------------------- */

ONSHI_API int ONSHI_CALL onshi_file_send(char *id_out, size_t id_size, onshi_ctx *ctx, int msgtype,
                                         const void *body, size_t len)
{
    if (ctx == NULL || id_out == NULL)
        return ONSHI_E_INVALID_ARG;
    if (id_size < ONSHI_FILE_ID_SIZE)
        return onshi__err(ctx, ONSHI_E_BUFFER_TOO_SMALL, "id buffer needs %d bytes",
                          ONSHI_FILE_ID_SIZE);
    return onshi__file_send(ctx, msgtype, body, len, id_out);
}

ONSHI_API int ONSHI_CALL onshi_file_wait(onshi_file_result **out, onshi_ctx *ctx, const char *id,
                                         int64_t timeout_ms)
{
    if (ctx == NULL || out == NULL)
        return ONSHI_E_INVALID_ARG;
    return onshi__file_wait(ctx, id, timeout_ms, out);
}

int onshi__file_exchange(onshi_file_result **out, char *id_out, size_t id_size, onshi_ctx *ctx,
                         int msgtype, const void *body, size_t len)
{
    if (ctx == NULL || out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    int r = onshi_file_send(id_out, id_size, ctx, msgtype, body, len);
    if (r != ONSHI_OK)
        return r;
    return onshi__file_wait(ctx, id_out, -1, out);
}

ONSHI_API int ONSHI_CALL onshi_file_consume(onshi_ctx *ctx, const char *id)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    return onshi__file_consume(ctx, id);
}

ONSHI_API int ONSHI_CALL onshi_file_pending_next(char *id_out, size_t id_size, onshi_ctx *ctx,
                                                 const char *after)
{
    if (ctx == NULL || id_out == NULL)
        return ONSHI_E_INVALID_ARG;
    if (id_size < ONSHI_FILE_ID_SIZE)
        return onshi__err(ctx, ONSHI_E_BUFFER_TOO_SMALL, "id buffer needs %d bytes",
                          ONSHI_FILE_ID_SIZE);
    onshi__store *st;
    int r = onshi__store_get(ctx, &st);
    if (r != ONSHI_OK)
        return r;
    return onshi__pending_next(ctx, st, after, id_out);
}

ONSHI_API int ONSHI_CALL onshi_file_state(int *state_out, onshi_ctx *ctx, const char *id)
{
    if (ctx == NULL || state_out == NULL)
        return ONSHI_E_INVALID_ARG;
    onshi__store *st;
    onshi__pending p;
    int r = load_pending(ctx, id, &st, &p);
    if (r != ONSHI_OK)
        return r;
    *state_out = p.state;
    onshi__pending_clear(&p);
    return ONSHI_OK;
}
