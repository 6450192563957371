/*
 * onshi_transport_diagnose(): find out which link of the chain is broken — exchange folders, linkage
 * app, DNS, TCP, proxy, server certificate, client certificate, server — and say so in
 * Japanese (for staff at the window) and English (for the vendor's support). It never sends
 * an XmlMsg request: the HTTPS side stops at the TLS handshake and a GET of the health path
 * (docs/protocol.md), which has no effect on the server.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/https.h"

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct diag_item {
    int check, outcome, status;
    char *en, *ja;
} diag_item;

struct onshi_diag_report {
    diag_item *items;
    size_t n, cap;
    bool nomem;
    bool ja; /* the language of the context it was made with */
};

static void add(onshi_diag_report *r, int check, int outcome, int status, const char *en,
                const char *ja)
{
    if (r->nomem)
        return;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        diag_item *ni = realloc(r->items, nc * sizeof *ni);
        if (ni == NULL) {
            r->nomem = true;
            return;
        }
        r->items = ni;
        r->cap = nc;
    }
    diag_item *it = &r->items[r->n];
    it->check = check;
    it->outcome = outcome;
    it->status = status;
    it->en = onshi__strdup(en);
    it->ja = onshi__strdup(ja);
    if (it->en == NULL || it->ja == NULL) {
        free(it->en);
        free(it->ja);
        r->nomem = true;
        return;
    }
    r->n++;
}

/* The last error of ctx in both languages: "<status text>: <detail>". */
static void add_error(onshi_diag_report *r, onshi_ctx *ctx, int check, int status,
                      const char *ja_hint)
{
    const char *cur = NULL;
    char lang[8] = "ja";
    if (onshi_ctx_get_str(&cur, ctx, ONSHI_OPT_LANG) == ONSHI_OK && cur != NULL)
        snprintf(lang, sizeof lang, "%s", cur);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    char *en = onshi__strdup(onshi_ctx_last_error_message(ctx));
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "ja");
    char ja[1200];
    snprintf(ja, sizeof ja, "%s%s%s", onshi_ctx_last_error_message(ctx), ja_hint ? " — " : "",
             ja_hint ? ja_hint : "");
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, lang);
    add(r, check, ONSHI_DIAG_FAIL, status, en != NULL ? en : onshi__status_str_lang(status, false), ja);
    free(en);
}

/* ---- file transport ---- */

static void check_folder(onshi_diag_report *r, const char *name, const char *path, bool write)
{
    char en[1200], ja[1400];
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int e = errno;
        snprintf(en, sizeof en, "%s folder %s does not exist or is not a folder (%s)", name, path,
                 strerror(e));
        snprintf(ja, sizeof ja, "%sフォルダ %s が見つかりません（共有フォルダの接続・パスを確認してください）",
                 name, path);
        add(r, ONSHI_DIAG_FOLDERS, ONSHI_DIAG_FAIL, ONSHI_E_FOLDER, en, ja);
        return;
    }
    /* access() rather than a probe file: the linkage app would take a file put in req/. */
    if (access(path, R_OK | X_OK) != 0) {
        snprintf(en, sizeof en, "%s folder %s is not readable", name, path);
        snprintf(ja, sizeof ja, "%sフォルダ %s を読めません（アクセス権を確認してください）", name, path);
        add(r, ONSHI_DIAG_FOLDERS, ONSHI_DIAG_FAIL, ONSHI_E_FOLDER, en, ja);
        return;
    }
    if (write && access(path, W_OK) != 0) {
        snprintf(en, sizeof en, "%s folder %s is not writable", name, path);
        snprintf(ja, sizeof ja, "%sフォルダ %s に書き込めません（アクセス権を確認してください）", name, path);
        add(r, ONSHI_DIAG_FOLDERS, ONSHI_DIAG_FAIL, ONSHI_E_FOLDER_NOT_WRITABLE, en, ja);
        return;
    }
    snprintf(en, sizeof en, "%s folder %s is accessible", name, path);
    snprintf(ja, sizeof ja, "%sフォルダ %s は正常です", name, path);
    add(r, ONSHI_DIAG_FOLDERS, ONSHI_DIAG_OK, ONSHI_OK, en, ja);
}

static void check_linkage(onshi_diag_report *r, onshi_ctx *ctx, const char *req)
{
    int64_t limit_ms = onshi__opt_int(ctx, ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS);
    DIR *d = opendir(req);
    if (d == NULL) {
        add(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_SKIPPED, ONSHI_OK,
            "linkage app not checked: req folder not readable",
            "reqフォルダを読めないため連携アプリは確認していません");
        return;
    }
    /* compared with file modification times: the real clock, never a replaced one */
    time_t now = (time_t)(onshi__wall_ms() / 1000);
    int waiting = 0;
    char oldest[256] = "";
    double oldest_age = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* our own temporary names while writing */
        int t = onshi_msgtype_from_filename(e->d_name);
        const onshi__msgtype *mt = t > 0 ? onshi__msgtype_find(t) : NULL;
        if (mt == NULL || !mt->is_request)
            continue;
        char path[2048];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", req, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        double age = difftime(now, st.st_mtime);
        if (age * 1000.0 > (double)limit_ms) {
            waiting++;
            if (age > oldest_age) {
                oldest_age = age;
                snprintf(oldest, sizeof oldest, "%s", e->d_name);
            }
        }
    }
    closedir(d);
    char en[800], ja[900];
    if (waiting > 0) {
        snprintf(en, sizeof en, "%d request file(s) lie in req/ longer than %lld s (oldest %s, "
                 "%.0f s): the linkage app (OQSComApp) is not taking requests", waiting,
                 (long long)(limit_ms / 1000), oldest, oldest_age);
        snprintf(ja, sizeof ja, "reqフォルダに%d件の要求ファイルが%lld秒以上残っています（最古: %s）。"
                 "資格確認端末の連携アプリ（OQSComApp）が動いているか確認してください",
                 waiting, (long long)(limit_ms / 1000), oldest);
        add(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_FAIL, ONSHI_E_LINKAGE_NOT_RUNNING, en, ja);
    } else {
        add(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_OK, ONSHI_OK,
            "no request file is waiting in req/ longer than the take timeout",
            "reqフォルダに滞留している要求ファイルはありません");
    }
}

/* ---- HTTPS transport ---- */

static void skip_rest(onshi_diag_report *r, const int *checks, size_t n, const char *why_en,
                      const char *why_ja)
{
    for (size_t i = 0; i < n; i++)
        add(r, checks[i], ONSHI_DIAG_SKIPPED, ONSHI_OK, why_en, why_ja);
}

static void check_client_cert(onshi_diag_report *r, onshi_ctx *ctx, bool *usable)
{
    *usable = false;
    int days = 0;
    int rc = onshi_client_cert_days_left(&days, ctx);
    if (rc != ONSHI_OK) {
        add_error(r, ctx, ONSHI_DIAG_CLIENT_CERT, rc, NULL);
        return;
    }
    char en[300], ja[400];
    if (days < 0) {
        snprintf(en, sizeof en, "client certificate expired %d day(s) ago", -days);
        snprintf(ja, sizeof ja, "クライアント証明書の有効期限が%d日前に切れています。証明書を更新してください",
                 -days);
        add(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_FAIL, ONSHI_E_CLIENT_CERT_EXPIRED, en, ja);
        return;
    }
    *usable = true;
    if (days < onshi__opt_int(ctx, ONSHI_OPT_CERT_EXPIRY_WARN_DAYS)) {
        snprintf(en, sizeof en, "client certificate expires in %d day(s): renew it", days);
        snprintf(ja, sizeof ja, "クライアント証明書の有効期限まであと%d日です。更新してください", days);
        add(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_WARN, ONSHI_OK, en, ja);
    }
}

static bool is_server_cert_error(int rc)
{
    return rc == ONSHI_E_TLS_SERVER_CERT || rc == ONSHI_E_TLS_SERVER_CERT_EXPIRED ||
           rc == ONSHI_E_TLS_HOSTNAME || rc == ONSHI_E_TLS_PIN_MISMATCH ||
           rc == ONSHI_E_TLS_VERSION;
}

static int diagnose_https(onshi_diag_report *r, onshi_ctx *ctx)
{
    static const int after_dns[] = {ONSHI_DIAG_TCP, ONSHI_DIAG_PROXY, ONSHI_DIAG_SERVER_CERT,
                                    ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_SERVER};
    onshi__url u, pu;
    int rc = onshi__url_parse(ctx, onshi__opt_str(ctx, ONSHI_OPT_SERVER_URL), &u);
    const char *proxy = onshi__opt_str(ctx, ONSHI_OPT_PROXY);
    bool use_proxy = proxy != NULL && proxy[0] != '\0';
    if (rc == ONSHI_OK && use_proxy && onshi__hostport_parse(ctx, proxy, &pu) != ONSHI_OK)
        rc = ONSHI_E_CONFIG;
    if (rc != ONSHI_OK) {
        add_error(r, ctx, ONSHI_DIAG_DNS, rc, "設定（server_url / proxy）を確認してください");
        skip_rest(r, after_dns, 5, "not checked: configuration error", "設定エラーのため未確認");
        return ONSHI_OK;
    }
    const onshi__url *first = use_proxy ? &pu : &u;

    /* DNS: the proxy resolves the server's name itself, so only the first hop is ours. */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(first->host, first->port, &hints, &res);
    char en[800], ja[900];
    if (g != 0) {
        snprintf(en, sizeof en, "cannot resolve %s%s: %s", use_proxy ? "proxy " : "", first->host,
                 gai_strerror(g));
        snprintf(ja, sizeof ja, "%s%s の名前解決ができません（DNS・ネットワーク設定を確認してください）",
                 use_proxy ? "プロキシ " : "", first->host);
        add(r, ONSHI_DIAG_DNS, ONSHI_DIAG_FAIL, use_proxy ? ONSHI_E_PROXY : ONSHI_E_DNS, en, ja);
        skip_rest(r, after_dns, 5, "not checked: name not resolved", "名前解決できないため未確認");
        return ONSHI_OK;
    }
    int naddr = 0;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next)
        naddr++;
    freeaddrinfo(res);
    snprintf(en, sizeof en, "%s resolves (%d address(es))", first->host, naddr);
    snprintf(ja, sizeof ja, "%s の名前解決は正常です", first->host);
    add(r, ONSHI_DIAG_DNS, ONSHI_DIAG_OK, ONSHI_OK, en, ja);

    onshi__https *hs = onshi__https_state(ctx);
    if (hs == NULL)
        return ONSHI_E_NOMEM;
    onshi__conn c;
    onshi__conn_init(&c);
    onshi__conn_arm_cancel(ctx, &c);

    /* TCP */
    rc = onshi__tcp_connect(ctx, &c, first->host, first->port,
                            onshi__opt_int(ctx, ONSHI_OPT_CONNECT_TIMEOUT_MS),
                            use_proxy ? ONSHI_E_PROXY : ONSHI_E_DNS);
    if (rc == ONSHI_E_CANCELLED)
        goto out;
    if (rc != ONSHI_OK) {
        add_error(r, ctx, ONSHI_DIAG_TCP, rc,
                  use_proxy ? "プロキシのアドレス・ポートを確認してください"
                            : "回線・ルーター・ファイアウォールを確認してください");
        skip_rest(r, after_dns + 1, 4, "not checked: no TCP connection", "TCP接続できないため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    snprintf(en, sizeof en, "TCP connection to %s port %s opens", first->host, first->port);
    snprintf(ja, sizeof ja, "%s ポート %s へのTCP接続は正常です", first->host, first->port);
    add(r, ONSHI_DIAG_TCP, ONSHI_DIAG_OK, ONSHI_OK, en, ja);

    /* Proxy */
    if (use_proxy) {
        rc = onshi__proxy_connect(ctx, &c, u.host, u.port,
                                  onshi__opt_int(ctx, ONSHI_OPT_CONNECT_TIMEOUT_MS));
        if (rc == ONSHI_E_CANCELLED)
            goto out;
        if (rc != ONSHI_OK) {
            add_error(r, ctx, ONSHI_DIAG_PROXY, rc, "プロキシの設定・許可リストを確認してください");
            skip_rest(r, after_dns + 2, 3, "not checked: the proxy refused the tunnel",
                      "プロキシが接続を拒否したため未確認");
            rc = ONSHI_OK;
            goto out;
        }
        add(r, ONSHI_DIAG_PROXY, ONSHI_DIAG_OK, ONSHI_OK, "the proxy opens a tunnel to the server",
            "プロキシ経由の接続は正常です");
    } else {
        add(r, ONSHI_DIAG_PROXY, ONSHI_DIAG_SKIPPED, ONSHI_OK, "no proxy configured",
            "プロキシは設定されていません");
    }
    onshi__conn_close(&c);

    /* Server certificate: a handshake without client certificate verifies the server
     * before the client's certificate matters. */
    onshi__tls_conf t;
    onshi__tls_conf_init(&t);
    rc = onshi__tls_conf_server_only(ctx, &t);
    if (rc == ONSHI_OK)
        rc = onshi__https_open(ctx, &t, &c, &u, use_proxy ? &pu : NULL, NULL);
    onshi__conn_close(&c);
    onshi__tls_conf_free(&t);
    if (rc == ONSHI_E_CANCELLED)
        goto out;
    if (rc == ONSHI_E_CONFIG || is_server_cert_error(rc)) {
        add_error(r, ctx, ONSHI_DIAG_SERVER_CERT, rc,
                  rc == ONSHI_E_TLS_SERVER_CERT_EXPIRED ? "端末の日時も確認してください" : NULL);
        skip_rest(r, after_dns + 3, 2, "not checked: the server is not trusted",
                  "サーバーを確認できないため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    bool hs_failed_other = rc != ONSHI_OK && rc != ONSHI_E_CLIENT_CERT &&
                           rc != ONSHI_E_CLIENT_CERT_EXPIRED;
    if (hs_failed_other) {
        add_error(r, ctx, ONSHI_DIAG_SERVER_CERT, rc, NULL);
        skip_rest(r, after_dns + 3, 2, "not checked: TLS failed", "TLS接続できないため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    snprintf(en, sizeof en, "the server certificate of %s is trusted, valid and for this host",
             u.host);
    snprintf(ja, sizeof ja, "%s のサーバー証明書は正常です", u.host);
    add(r, ONSHI_DIAG_SERVER_CERT, ONSHI_DIAG_OK, ONSHI_OK, en, ja);

    /* Client certificate: locally (missing, password, expiry), then as the server sees it. */
    bool usable = false;
    size_t before = r->n;
    check_client_cert(r, ctx, &usable);
    if (!usable) {
        skip_rest(r, after_dns + 4, 1, "not checked: no usable client certificate",
                  "クライアント証明書が使えないため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    onshi_https_close(ctx);
    rc = onshi__https_connect(ctx, hs);
    if (rc == ONSHI_E_CANCELLED)
        goto out;
    if (rc != ONSHI_OK) {
        add_error(r, ctx, ONSHI_DIAG_CLIENT_CERT, rc,
                  "証明書が正しいか（失効・別の医療機関のものでないか）確認してください");
        skip_rest(r, after_dns + 4, 1, "not checked: TLS with the client certificate failed",
                  "クライアント証明書での接続に失敗したため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    /* Under TLS 1.3 the server judges the client certificate after the handshake: its
     * verdict is the answer to the first request (the health GET below). */
    bool verdict_later = hs->conn.verdict_pending;
    if (r->n == before && !verdict_later) /* no expiry warning was added */
        add(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_OK, ONSHI_OK,
            "the server accepts the client certificate",
            "クライアント証明書は正常です");

    /* Server: a GET of the health path (never an XmlMsg request). */
    char path[700];
    snprintf(path, sizeof path, "%s/oqs/v1/health", u.base);
    onshi_buf body;
    onshi__buf_init(&body, false);
    int status = 0;
    onshi__conn_disarm_cancel(ctx);
    onshi__conn_arm_cancel(ctx, &hs->conn);
    rc = onshi__https_post(ctx, path, NULL, NULL, 0, NULL, &status, &body);
    onshi__buf_clear(&body);
    if (rc == ONSHI_E_CANCELLED)
        goto out;
    if (verdict_later && (rc == ONSHI_E_CLIENT_CERT || rc == ONSHI_E_CLIENT_CERT_EXPIRED)) {
        add_error(r, ctx, ONSHI_DIAG_CLIENT_CERT, rc,
                  "証明書が正しいか（失効・別の医療機関のものでないか）確認してください");
        skip_rest(r, after_dns + 4, 1, "not checked: the server refused the client certificate",
                  "クライアント証明書が受け付けられなかったため未確認");
        rc = ONSHI_OK;
        goto out;
    }
    if (verdict_later && r->n == before)
        add(r, ONSHI_DIAG_CLIENT_CERT, ONSHI_DIAG_OK, ONSHI_OK,
            "the server accepts the client certificate",
            "クライアント証明書は正常です");
    if (rc != ONSHI_OK) {
        add_error(r, ctx, ONSHI_DIAG_SERVER, rc,
                  status >= 500 ? "サーバー側の障害です。時間をおいて再度確認してください" : NULL);
    } else {
        snprintf(en, sizeof en, "the server answers (HTTP %d)", status);
        add(r, ONSHI_DIAG_SERVER, ONSHI_DIAG_OK, ONSHI_OK, en, "サーバーは正常に応答しています");
    }
    rc = ONSHI_OK;
out:
    onshi__conn_disarm_cancel(ctx);
    onshi__conn_free(&c);
    return rc;
}

/* The institution's own code: a failed local rule is a loud WARN, never a FAIL (the central
 * system is the authority); only a code that cannot be written (not 10 digits) FAILs. */
static void check_institution(onshi_diag_report *r, const onshi_ctx *ctx)
{
    const char *c = onshi__opt_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE);
    char en[400], ja[600];
    if (c == NULL || *c == '\0') {
        add(r, ONSHI_DIAG_INSTITUTION, ONSHI_DIAG_WARN, ONSHI_E_CONFIG,
            "medical_institution_code is not set: verification requests cannot be sent",
            "医療機関コード（medical_institution_code）が未設定です。資格確認の要求を送れません");
        return;
    }
    const char *why_en, *why_ja;
    int rc = onshi__institution_code_check(c, &why_en, &why_ja);
    if (rc == ONSHI_OK) {
        snprintf(en, sizeof en, "medical_institution_code %s passes the local check", c);
        snprintf(ja, sizeof ja, "医療機関コード %s は検証番号の確認に合格しています", c);
        add(r, ONSHI_DIAG_INSTITUTION, ONSHI_DIAG_OK, ONSHI_OK, en, ja);
        return;
    }
    bool sendable = strlen(c) == 10 && strspn(c, "0123456789") == 10;
    snprintf(en, sizeof en,
             "medical_institution_code %s: %s. %s", c, why_en ? why_en : "invalid",
             sendable ? "It is still sent (the central system decides); compare it with the "
                        "保険医療機関指定通知書"
                      : "It cannot be written into a request");
    snprintf(ja, sizeof ja, "医療機関コード %s：%s。%s", c, why_ja ? why_ja : "正しくありません",
             sendable ? "送信は行います（判定は中央システム）。保険医療機関指定通知書の番号と照合"
                        "してください"
                      : "要求に書き込めません");
    add(r, ONSHI_DIAG_INSTITUTION, sendable ? ONSHI_DIAG_WARN : ONSHI_DIAG_FAIL, rc, en, ja);
}

ONSHI_API int ONSHI_CALL onshi_transport_diagnose(onshi_diag_report **out, onshi_ctx *ctx)
{
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || out == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "ctx and out are required");
    onshi_diag_report *r = onshi__calloc(1, sizeof *r);
    if (r == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "out of memory");
    r->ja = onshi__lang_ja(ctx);
    int rc = ONSHI_OK;
    const char *req = onshi__opt_str(ctx, ONSHI_OPT_REQ_DIR);
    const char *res = onshi__opt_str(ctx, ONSHI_OPT_RES_DIR);
    const char *face = onshi__opt_str(ctx, ONSHI_OPT_FACE_DIR);
    bool file = onshi__opt_int(ctx, ONSHI_OPT_TRANSPORT) == ONSHI_TRANSPORT_FILE &&
                ((req && *req) || (res && *res) || (face && *face));
    const char *url = onshi__opt_str(ctx, ONSHI_OPT_SERVER_URL);
    bool https = onshi__opt_int(ctx, ONSHI_OPT_TRANSPORT) == ONSHI_TRANSPORT_HTTPS ||
                 (url != NULL && *url);
    if (file) {
        size_t before = r->n;
        if (req && *req)
            check_folder(r, "req", req, true);
        if (res && *res)
            check_folder(r, "res", res, true);
        if (face && *face)
            check_folder(r, "face", face, false);
        bool req_ok = req && *req && r->n > before && r->items[before].outcome == ONSHI_DIAG_OK;
        if (req_ok)
            check_linkage(r, ctx, req);
        else
            add(r, ONSHI_DIAG_LINKAGE, ONSHI_DIAG_SKIPPED, ONSHI_OK,
                "linkage app not checked: req folder unusable",
                "reqフォルダが使えないため連携アプリは確認していません");
    }
    if (https)
        rc = diagnose_https(r, ctx);
    if (!file && !https)
        add(r, ONSHI_DIAG_FOLDERS, ONSHI_DIAG_FAIL, ONSHI_E_CONFIG,
            "no transport configured: set req_dir/res_dir (file exchange) or server_url (HTTPS)",
            "接続方法が設定されていません（req_dir/res_dir または server_url を設定してください）");
    check_institution(r, ctx);
    if (r->nomem)
        rc = ONSHI_E_NOMEM;
    if (rc != ONSHI_OK) {
        onshi_diag_report_free(r);
        return rc == ONSHI_E_NOMEM ? onshi__err(ctx, rc, "out of memory") : rc;
    }
    onshi_ctx_clear_error(ctx); /* the findings are in the report, not a failure of the call */
    *out = r;
    return ONSHI_OK;
}

ONSHI_API size_t ONSHI_CALL onshi_diag_report_count(const onshi_diag_report *r)
{
    return r != NULL ? r->n : 0;
}

ONSHI_API int ONSHI_CALL onshi_diag_report_check(const onshi_diag_report *r, size_t i)
{
    return (r != NULL && i < r->n) ? r->items[i].check : ONSHI_E_INVALID_ARG;
}

ONSHI_API int ONSHI_CALL onshi_diag_report_outcome(const onshi_diag_report *r, size_t i)
{
    return (r != NULL && i < r->n) ? r->items[i].outcome : ONSHI_E_INVALID_ARG;
}

ONSHI_API int ONSHI_CALL onshi_diag_report_status(const onshi_diag_report *r, size_t i)
{
    return (r != NULL && i < r->n) ? r->items[i].status : ONSHI_E_INVALID_ARG;
}

ONSHI_API const char *ONSHI_CALL onshi_diag_report_message(const onshi_diag_report *r, size_t i)
{
    if (r == NULL || i >= r->n)
        return NULL;
    return r->ja ? r->items[i].ja : r->items[i].en;
}

ONSHI_API int ONSHI_CALL onshi_diag_report_first_failure(const onshi_diag_report *r)
{
    for (size_t i = 0; r != NULL && i < r->n; i++)
        if (r->items[i].outcome == ONSHI_DIAG_FAIL)
            return (int)i;
    return r == NULL ? ONSHI_E_INVALID_ARG : ONSHI_E_NOT_FOUND;
}

ONSHI_API void ONSHI_CALL onshi_diag_report_free(onshi_diag_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].en);
        free(r->items[i].ja);
    }
    free(r->items);
    free(r);
}
