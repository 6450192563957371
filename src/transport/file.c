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
    /* 16 digits; 12 from libonshi 0.1 (no workstation component) are still picked up. */
    size_t n = id ? strlen(id) : 0;
    if (n != ONSHI__ID_LEN && n != ONSHI__ID_LEN_V1)
        return 0;
    for (size_t i = 0; i < n; i++)
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

/* ---- identifiers: unique across processes, stores and machines sharing the folders ---- */

static int keep_all(const char *name)
{
    /* Temporary names too: another process may be publishing that id right now. */
    return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int id_in_listing(void *arg, const char *id)
{
    const onshi__names *l = arg;
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], id) != NULL)
            return 1;
    return 0;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* The workstation component of the ids: ONSHI_OPT_WORKSTATION_ID (1-4 digits, zero-padded),
 * else derived from the host name and the store's random identity, so two machines, and two
 * stores on one machine, draw different values (1 in 10000 that two draw the same; even then
 * exclusive publishing and the result match keep every answer with its own request). */
static void derive_ws(const char *inst, char ws[ONSHI__WS_LEN + 1])
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    uint64_t h = fnv1a(UINT64_C(0xcbf29ce484222325), host, strlen(host) + 1);
    h = fnv1a(h, inst, 32);
    snprintf(ws, ONSHI__WS_LEN + 1, "%04u", (unsigned)(h % 10000));
}

static int workstation(onshi_ctx *ctx, onshi__store *st, char ws[ONSHI__WS_LEN + 1],
                       int *derived)
{
    const char *o = onshi__opt_str(ctx, ONSHI_OPT_WORKSTATION_ID);
    *derived = 0;
    if (o != NULL && *o != '\0') {
        size_t n = strlen(o);
        int ok = n <= ONSHI__WS_LEN;
        for (size_t i = 0; ok && i < n; i++)
            ok = o[i] >= '0' && o[i] <= '9';
        if (!ok) {
            char en[256], ja[256];
            snprintf(en, sizeof en, "workstation_id \"%.40s\" must be 1 to %d digits", o,
                     ONSHI__WS_LEN);
            snprintf(ja, sizeof ja, "workstation_id「%.40s」は %d 桁以内の数字にしてください", o,
                     ONSHI__WS_LEN);
            return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0, en, ja);
        }
        snprintf(ws, ONSHI__WS_LEN + 1, "%0*d", ONSHI__WS_LEN, atoi(o));
        return ONSHI_OK;
    }
    char inst[33];
    int r = onshi__store_install_id(ctx, st, inst);
    if (r != ONSHI_OK)
        return r;
    derive_ws(inst, ws);
    *derived = 1;
    return ONSHI_OK;
}

/* Does a request or result of today with our workstation component exist that this store
 * never sent? Then another store (another product, a copied or reset store, another machine
 * configured alike) uses the same component. */
static int foreign_ws(onshi_ctx *ctx, onshi__store *st, const onshi__names *l,
                      const char *day, const char *ws, int *foreign)
{
    char pre[2 + 8 + ONSHI__WS_LEN];
    snprintf(pre, sizeof pre, "_%s%s", day, ws);
    *foreign = 0;
    for (size_t i = 0; i < l->n && !*foreign; i++) {
        if (l->v[i][0] == '.')
            continue; /* our own temporary file is recorded only after it is written */
        const char *p = strstr(l->v[i], pre);
        if (p == NULL || strspn(p + 1, "0123456789") < ONSHI__ID_LEN)
            continue;
        char id[ONSHI__ID_LEN + 1];
        memcpy(id, p + 1, ONSHI__ID_LEN);
        id[ONSHI__ID_LEN] = '\0';
        int known = 0;
        int r = onshi__pending_exists(ctx, st, id, &known);
        if (r != ONSHI_OK)
            return r;
        *foreign = !known;
    }
    return ONSHI_OK;
}

/* ---- send ------------------------------------------------------------------------------ */

/* Starts with '.', ends in .tmp: no linkage app takes it for a request. Unique per process
 * and machine (host fingerprint, pid), so two writers never share one. A 0.1 row has none
 * stored: its name was ".~onshi-<id>.tmp". */
static void tmp_name(char *out, size_t size, const onshi__pending *p)
{
    if (p->tmp_name != NULL)
        snprintf(out, size, "%s", p->tmp_name);
    else
        snprintf(out, size, ".~onshi-%s.tmp", p->id);
}

static void new_tmp_name(char *out, size_t size, const char *id, const char *host)
{
    static unsigned counter;
    uint64_t h = fnv1a(UINT64_C(0xcbf29ce484222325), host, strlen(host));
    snprintf(out, size, ".~onshi-%s-%08x-%ld-%u.tmp", id, (unsigned)(h & 0xffffffffu),
             (long)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}

static void unlink_in(const char *dir, const char *name)
{
    char *p = onshi__path_join(dir, name);
    if (p)
        unlink(p);
    free(p);
}

static int exists_in(const char *dir, const char *name);
static size_t candidates(const names *n, char out[][96], int *kind);

/* Is any result or error file of this name already in res/? (Written for another request
 * that had the same id: never take it for ours.) */
static int res_has(const char *res_dir, const names *n)
{
    char cand[12][96];
    int kind[12];
    size_t nc = candidates(n, cand, kind);
    for (size_t i = 0; i < nc; i++)
        if (exists_in(res_dir, cand[i]))
            return 1;
    return 0;
}

#define SEND_TRIES 32

int onshi__file_send_ex(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                        const char *match, char id_out[ONSHI__ID_LEN + 1])
{
    id_out[0] = '\0';
    if (body == NULL || len == 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "empty request body");
    names n;
    int r = names_of(ctx, msgtype, "0000000000000000", &n);
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
    if ((r = onshi__file_store(ctx, &st)) != ONSHI_OK)
        return r;
    char ws[ONSHI__WS_LEN + 1];
    int derived;
    if ((r = workstation(ctx, st, ws, &derived)) != ONSHI_OK)
        return r;
    const onshi__file_hooks *hk = onshi__file_hooks_of(ctx);
    char host[256] = "";
    gethostname(host, sizeof host - 1);

    char id[ONSHI__ID_LEN + 1], req_name[96], tmp[128];
    for (int attempt = 0;; attempt++) {
        if (attempt == SEND_TRIES)
            return onshi__err_ja(ctx, ONSHI_E_FOLDER_NOT_WRITABLE, ONSHI_FOREIGN_NONE, 0,
                                 "every request id tried was already used by another process "
                                 "or machine sharing req/ and res/; give each workstation its "
                                 "own workstation_id",
                                 "試した要求IDはすべて、同じ req/res フォルダを使う他のプロセスまたは"
                                 "端末が使用中でした。端末ごとに別の workstation_id を設定してください");
        /* Names in either folder (temporary ones included) are never reused: their request
         * may be on its way, or its result still waiting. */
        onshi__names l = {NULL, 0, 0};
        if ((r = onshi__dir_list(ctx, req_dir, keep_all, &l)) == ONSHI_OK)
            r = onshi__dir_list(ctx, res_dir, keep_all, &l);
        char day[9];
        /* The identifier's date (the peers' yyyyMMdd) is the date in Japan, whatever TZ. */
        onshi__jst_today(day, ctx);
        int foreign = 0;
        if (r == ONSHI_OK)
            r = foreign_ws(ctx, st, &l, day, ws, &foreign);
        if (r == ONSHI_OK && foreign && derived) {
            /* Two stores drew the same component: this one draws again. */
            char inst[33], old_ws[ONSHI__WS_LEN + 1];
            memcpy(old_ws, ws, sizeof ws);
            for (int k = 0; r == ONSHI_OK && k < 8 && strcmp(ws, old_ws) == 0; k++)
                if ((r = onshi__store_install_id_renew(ctx, st, inst)) == ONSHI_OK)
                    derive_ws(inst, ws);
            if (r == ONSHI_OK) {
                onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                           "workstation component %s is also used by another state store on "
                           "%s: now %s (set workstation_id to choose one)",
                           old_ws, req_dir, ws);
            }
        } else if (r == ONSHI_OK && foreign && attempt == 0) {
            onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                       "workstation_id %s is also used by another process or machine on %s: "
                       "give each its own (ids stay unique, but only by retrying)",
                       ws, req_dir);
        }
        if (r == ONSHI_OK)
            r = onshi__store_seq_next(ctx, st, day, ws, id_in_listing, &l, id);
        onshi__names_free(&l);
        if (r != ONSHI_OK)
            return r;
        names_of(ctx, msgtype, id, &n);
        snprintf(req_name, sizeof req_name, "%s.xml", n.req_base);
        new_tmp_name(tmp, sizeof tmp, id, host);

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
        p.tmp_name = tmp;
        p.match = (char *)match;
        if ((r = onshi__pending_insert(ctx, st, &p)) != ONSHI_OK) {
            unlink_in(req_dir, tmp);
            return r;
        }
        if (hk->after_record)
            hk->after_record(id);
        int exists = 0;
        if (res_has(res_dir, &n))
            exists = 1; /* a result with this id appeared meanwhile: not ours, never publish */
        else
            r = onshi__file_publish(ctx, req_dir, tmp, req_name, &exists);
        if (exists) {
            unlink_in(req_dir, tmp);
            onshi__pending_set_state(NULL, st, id, ONSHI__P_ABANDONED, NULL, 0);
            onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                       "request id %s is used by another process or machine sharing %s: "
                       "taking another one", id, req_dir);
            onshi_ctx_clear_error(ctx);
            continue;
        }
        if (r != ONSHI_OK) {
            /* Not visible (publish failed, or visible but the folder fsync failed: then the
             * record must say published). */
            char *path = onshi__path_join(req_dir, tmp);
            struct stat sb;
            int still_tmp = path && lstat(path, &sb) == 0 && sb.st_nlink == 1;
            free(path);
            if (still_tmp) {
                unlink_in(req_dir, tmp);
                onshi__pending_set_state(NULL, st, id, ONSHI__P_ABANDONED, NULL, 0);
                return r;
            }
        }
        break;
    }
    if (hk->after_publish)
        hk->after_publish(id);
    memcpy(id_out, id, ONSHI__ID_LEN + 1);
    if (onshi__pending_set_state(ctx, st, id, ONSHI__P_PUBLISHED, NULL, 0) != ONSHI_OK)
        /* The request is out; recovery will mark it published. Not the caller's failure. */
        onshi__log(ctx, ONSHI_LOG_WARN, "transport", "request %s published, state not saved",
                   id);
    onshi__log(ctx, ONSHI_LOG_INFO, "transport", "published %s", req_name);
    onshi__file_housekeeping(ctx, st);
    return ONSHI_OK;
}

int onshi__file_send(onshi_ctx *ctx, int msgtype, const void *body, size_t len,
                     char id_out[ONSHI__ID_LEN + 1])
{
    return onshi__file_send_ex(ctx, msgtype, body, len, NULL, id_out);
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
    char tmp[160];
    tmp_name(tmp, sizeof tmp, p);
    char *path = onshi__path_join(p->req_dir, tmp);
    if (path == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "path");
    struct stat sb;
    int have_tmp = lstat(path, &sb) == 0;
    /* Published by link(2) and stopped before the temporary name was removed: the request
     * file is the same inode (two links), or the app took it already but its name is
     * still here with the result or .err in res/. */
    int linked = have_tmp && sb.st_nlink > 1;
    if (have_tmp && !linked) {
        names n;
        if (names_of(NULL, p->type, p->id, &n) == ONSHI_OK && res_has(p->res_dir, &n))
            linked = 1;
    }
    int r;
    if (have_tmp && !linked && owner_alive(p)) {
        /* Between writing and publishing in a live process (or thread): not ours to touch. */
        r = onshi__err(ctx, ONSHI_E_PENDING, "request %s is being published by process %lld",
                       p->id, (long long)p->owner_pid);
    } else if (have_tmp && !linked) {
        unlink(path);
        r = onshi__pending_set_state(ctx, st, p->id, ONSHI__P_ABANDONED, NULL, 0);
        p->state = ONSHI__P_ABANDONED;
        onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                   "request %s was never published (crash before publishing): abandoned",
                   p->id);
    } else {
        /* The temp file exists from before the record until the publish: without it (or
         * linked) the request was published into req/ (and may be taken already). Never
         * write it again. */
        if (linked)
            unlink(path);
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
                       onshi_buf *data, int confirm, onshi_file_result **out)
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
    /* A ZIP that is invalid will not become valid: it still counts as the answer. A result
     * the caller still has to match against its request is not marked yet. */
    int r2 = confirm || r != ONSHI_OK ? answered(ctx, st, p, name, 0) : ONSHI_OK;
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
                     int64_t deadline, int confirm, onshi_file_result **out)
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
            if (sd < now + 4 * w->poll_ms + ONSHI__STABLE_MIN_MS)
                sd = now + 4 * w->poll_ms + ONSHI__STABLE_MIN_MS;
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
                return take_result(ctx, st, p, cand[i], &b, confirm, out);
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
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "request id must be 16 digits (or 12 from "
                          "libonshi 0.1)");
    int r = onshi__file_store(ctx, st);
    if (r != ONSHI_OK)
        return r;
    if ((r = onshi__pending_get(ctx, *st, id, p)) == ONSHI_E_NOT_FOUND)
        return onshi__err(ctx, r, "no request with id %s in the state store %s", id,
                          (*st)->path);
    return r;
}

static int wait_common(onshi_ctx *ctx, const char *id, int64_t timeout_ms, int confirm,
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
        if (onshi__file_hooks_of(ctx)->watching)
            onshi__file_hooks_of(ctx)->watching();
        r = wait_loop(ctx, st, &p, &w, deadline, confirm, out);
        onshi__dirwait_close(&w);
    }
    onshi__pending_clear(&p);
    return r;
}

int onshi__file_wait(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                     onshi_file_result **out)
{
    return wait_common(ctx, id, timeout_ms, 1, out);
}

int onshi__file_wait_unconfirmed(onshi_ctx *ctx, const char *id, int64_t timeout_ms,
                                 onshi_file_result **out)
{
    return wait_common(ctx, id, timeout_ms, 0, out);
}

int onshi__file_confirm(onshi_ctx *ctx, const onshi_file_result *res)
{
    onshi__store *st;
    onshi__pending p;
    int r = load_pending(ctx, res->id, &st, &p);
    if (r == ONSHI_OK)
        r = answered(ctx, st, &p, res->name, 0);
    onshi__pending_clear(&p);
    return r;
}

int onshi__file_match(onshi_ctx *ctx, const char *id, char **match)
{
    *match = NULL;
    onshi__store *st;
    onshi__pending p;
    int r = load_pending(ctx, id, &st, &p);
    if (r == ONSHI_OK) {
        *match = p.match;
        p.match = NULL;
    }
    onshi__pending_clear(&p);
    return r;
}

/* ---- housekeeping ------------------------------------------------------------------------ */

static int result_like(const char *name)
{
    /* What consume moves into archive_dir: results and error files (request-named). */
    return name[0] != '.' && (strstr(name, "res_") != NULL || strstr(name, "req_") != NULL);
}

void onshi__file_housekeeping(onshi_ctx *ctx, onshi__store *st)
{
    int64_t keep_ms = onshi__opt_int(ctx, ONSHI_OPT_CONSUMED_KEEP_HOURS) * INT64_C(3600000);
    /* Finished requests are kept a while for diagnosis, then dropped. */
    onshi__pending_prune(NULL, st, onshi__wall_ms() - keep_ms);
    /* Consumed results moved to archive_dir carry personal data: deleted after the same
     * time (by their modification time, which a move keeps). */
    const char *archive = onshi__opt_str(ctx, ONSHI_OPT_ARCHIVE_DIR);
    if (archive == NULL || *archive == '\0')
        return;
    onshi__names l = {NULL, 0, 0};
    if (onshi__dir_list(NULL, archive, result_like, &l) != ONSHI_OK) {
        onshi__names_free(&l);
        return;
    }
    time_t cutoff = (time_t)((onshi__wall_ms() - keep_ms) / 1000);
    for (size_t i = 0; i < l.n; i++) {
        char *path = onshi__path_join(archive, l.v[i]);
        struct stat sb;
        if (path && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime <= cutoff &&
            unlink(path) == 0)
            onshi__log(ctx, ONSHI_LOG_INFO, "transport", "archived result %s purged", l.v[i]);
        free(path);
    }
    onshi__names_free(&l);
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
        } else if (rename(src, dst) == 0) {
            /* Our copy of a patient's result now: private, whatever mode the linkage app
             * gave it (a copy across file systems is written 0600 already). Never through
             * a link: only a regular file opened without following one is changed. */
            int fd;
            if (onshi__open_regular(NULL, dst, &fd, NULL) == ONSHI_OK) {
                if (fchmod(fd, 0600) != 0)
                    onshi__log(ctx, ONSHI_LOG_WARN, "transport",
                               "archived %s: mode not changed to 0600", name);
                close(fd);
            }
        } else {
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
    int r = onshi__file_store(ctx, &st);
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
