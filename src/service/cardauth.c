/*
 * Verification by My Number Card in direct mode (docs/protocol.md §7, docs/workflow-card.md):
 * card → certificate → identity → consent → challenge → signature → card-authentication
 * request → qualification result. The extension documents have no XmlMsg rows in the codec
 * (an attribute-carrying, strictly ordered element of our own), so they are written here with
 * libxml2's writer and the challenge answer is read with libxml2 (no DTD, no network).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/cardx.h"

#include "codec/codec.h"
#include "transport/https.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* The challenge answer is a handful of short elements; anything larger is not one. */
#define CHALLENGE_MAX_BYTES 16384

int onshi__cardx_random_hex(onshi_ctx *ctx, char *out, size_t nbytes)
{
    unsigned char r[32];
    if (nbytes > sizeof r)
        nbytes = sizeof r;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t k = getrandom(r + got, nbytes - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return onshi__err_foreign(ctx, ONSHI_E_RANDOM, ONSHI_FOREIGN_ERRNO, errno,
                                      "getrandom for a request identifier");
        got += (size_t)k;
    }
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", r[i]);
    out[2 * nbytes] = '\0';
    return ONSHI_OK;
}

void onshi__cardx_jst(char out[15], int64_t epoch_s)
{
    /* The system's clock is Japan Standard Time (UTC+9, no daylight saving) whatever the
     * machine's time zone. */
    time_t t = (time_t)(epoch_s + 9 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 14);
    out[14] = '\0';
}

int onshi__cardx_institution(onshi_ctx *ctx, const char **out)
{
    const char *inst = onshi__opt_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE);
    size_t n = inst ? strlen(inst) : 0;
    bool ok = n == 10;
    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)inst[i]) != 0;
    if (!ok)
        return onshi__err_ja(ctx, ONSHI_E_CONFIG, ONSHI_FOREIGN_NONE, 0,
                             "medical_institution_code must be the 10-digit 医療機関コード",
                             "medical_institution_code（10桁の医療機関コード）が設定されていません");
    *out = inst;
    return ONSHI_OK;
}

int onshi__cardx_require_https(onshi_ctx *ctx, const char *what)
{
    if (onshi__opt_int(ctx, ONSHI_OPT_TRANSPORT) == ONSHI_TRANSPORT_HTTPS)
        return ONSHI_OK;
    char en[200], ja[300];
    snprintf(en, sizeof en, "%s needs the HTTPS transport (direct mode); with the file transport "
             "the terminal's reader and linkage app do it", what);
    snprintf(ja, sizeof ja, "%sは HTTPS 通信（直接方式）でのみ行えます。ファイル連携では端末の"
             "カードリーダーと連携アプリが行います", what);
    return onshi__err_ja(ctx, ONSHI_E_UNSUPPORTED, ONSHI_FOREIGN_NONE, 0, en, ja);
}

/* ---- documents (libxml2 writer) ---- */

int onshi__cardx_writer_begin(onshi__cardx_doc *d, bool standalone_no)
{
    d->buf = xmlBufferCreate();
    d->w = d->buf ? xmlNewTextWriterMemory(d->buf, 0) : NULL;
    if (d->w == NULL) {
        if (d->buf)
            xmlBufferFree(d->buf);
        d->buf = NULL;
        return ONSHI_E_NOMEM;
    }
    d->failed = xmlTextWriterStartDocument(d->w, "1.0", "UTF-8", standalone_no ? "no" : NULL) < 0;
    return ONSHI_OK;
}

void onshi__cardx_start(onshi__cardx_doc *d, const char *name)
{
    if (!d->failed && xmlTextWriterStartElement(d->w, BAD_CAST name) < 0)
        d->failed = true;
}

void onshi__cardx_attr(onshi__cardx_doc *d, const char *name, const char *value)
{
    if (!d->failed && xmlTextWriterWriteAttribute(d->w, BAD_CAST name, BAD_CAST value) < 0)
        d->failed = true;
}

void onshi__cardx_el(onshi__cardx_doc *d, const char *name, const char *value)
{
    if (!d->failed &&
        xmlTextWriterWriteElement(d->w, BAD_CAST name, BAD_CAST(value ? value : "")) < 0)
        d->failed = true;
}

void onshi__cardx_end(onshi__cardx_doc *d)
{
    if (!d->failed && xmlTextWriterEndElement(d->w) < 0)
        d->failed = true;
}

int onshi__cardx_writer_finish(onshi_ctx *ctx, onshi__cardx_doc *d, onshi_buf **out)
{
    if (!d->failed && xmlTextWriterEndDocument(d->w) < 0)
        d->failed = true;
    xmlFreeTextWriter(d->w); /* flushes into d->buf */
    d->w = NULL;
    int rc = ONSHI_OK;
    if (d->failed)
        rc = onshi__err(ctx, ONSHI_E_NOMEM, "writing the request document");
    else
        rc = onshi__buf_new_copy(xmlBufferContent(d->buf), (size_t)xmlBufferLength(d->buf), out);
    xmlBufferFree(d->buf);
    d->buf = NULL;
    if (rc == ONSHI_E_NOMEM && !d->failed)
        return onshi__err(ctx, rc, "request document");
    return rc;
}

/* ---- the system's extension error codes ---- */

int onshi__cardx_check(onshi_ctx *ctx, const onshi_msg *res)
{
    onshi_msg *m = (onshi_msg *)res; /* the group accessors take non-const groups */
    onshi_group *h = onshi_msg_header(m);
    const char *code = NULL, *msg = NULL;
    if (h != NULL) {
        onshi_group_get_str(&code, h, ONSHI_F_ERROR_CODE);
        onshi_group_get_str(&msg, h, ONSHI_F_ERROR_MESSAGE);
    }
    int status = 0;
    const char *what_en = NULL, *what_ja = NULL;
    if (code != NULL && strlen(code) == 5 && code[0] == 'C' && code[1] == 'A') {
        status = strcmp(code, "CA009") == 0 ? ONSHI_E_VERIFICATION_METHOD : ONSHI_E_AUTH_FAILED;
        what_en = "card authentication refused";
        what_ja = "カード認証が拒否されました";
    } else if (code != NULL && strcmp(code, "DS001") == 0) {
        status = ONSHI_E_DISASTER_CLOSED;
        what_en = "disaster mode is not open";
        what_ja = "災害時モードは開始されていません";
    } else if (code != NULL && strcmp(code, "DS002") == 0) {
        status = ONSHI_E_SYSTEM_ERROR;
        what_en = "several persons match: narrow the search (add kana, sex or address)";
        what_ja = "複数の該当者がいます。条件（カナ氏名・性別・住所）を追加してください";
    } else if (code != NULL && strcmp(code, "DS003") == 0) {
        status = ONSHI_E_INFO_NOT_AVAILABLE;
        what_en = "nobody matches the search";
        what_ja = "該当者がいません";
    }
    if (status == 0)
        return onshi__service_check(ctx, res);
    char en[800], ja[800];
    /* The system's own text is shown as is: staff read it. */
    snprintf(en, sizeof en, "%s (ErrorCode %s: %s)", what_en, code, msg ? msg : "");
    snprintf(ja, sizeof ja, "%s（エラーコード %s：%s）", what_ja, code, msg ? msg : "");
    return onshi__err_ja(ctx, status, ONSHI_FOREIGN_SYSTEM, atoi(code + 2), en, ja);
}

int onshi__cardx_decode(onshi_msg **out, onshi_ctx *ctx, int type, const onshi_buf *body)
{
    const unsigned char *p = onshi_buf_data(body);
    size_t n = onshi_buf_len(body);
    if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return onshi__msg_from_attachment(out, ctx, type, p, n, onshi_msgtype_prefix(type));
    return onshi_msg_decode(out, ctx, type, p, n);
}

/* ---- challenge (§7.1) ---- */

typedef struct challenge {
    char id[65];
    char nonce[64]; /* base64 of 32 bytes: 44 characters */
    char issued[15], expires[15];
} challenge;

static bool copy_text(xmlNode *root, const char *name, char *out, size_t cap)
{
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        bool ok = t != NULL && strlen((const char *)t) < cap;
        if (ok)
            snprintf(out, cap, "%s", (const char *)t);
        xmlFree(t);
        return ok;
    }
    return false;
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int bad_challenge(onshi_ctx *ctx, const char *what)
{
    char en[200];
    snprintf(en, sizeof en, "challenge answer: %s (docs/protocol.md 7.1)", what);
    return onshi__err_ja(ctx, ONSHI_E_HTTP_PROTOCOL, ONSHI_FOREIGN_NONE, 0, en,
                         "サーバーのチャレンジ応答が不正です");
}

static int parse_challenge(onshi_ctx *ctx, const onshi_buf *body, challenge *ch)
{
    size_t n = onshi_buf_len(body);
    if (n == 0 || n > CHALLENGE_MAX_BYTES)
        return bad_challenge(ctx, "empty or larger than 16 KiB");
    /* Hostile until parsed: no network, no entity expansion, and a DTD is refused below. */
    xmlDoc *doc = xmlReadMemory((const char *)onshi_buf_data(body), (int)n, "challenge.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        return bad_challenge(ctx, "not well-formed XML");
    int rc = ONSHI_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (doc->intSubset != NULL || doc->extSubset != NULL)
        rc = bad_challenge(ctx, "a DTD is not allowed");
    else if (root == NULL || strcmp((const char *)root->name, "OnshiCardAuthChallenge") != 0)
        rc = bad_challenge(ctx, "root element is not OnshiCardAuthChallenge");
    else if (!copy_text(root, "ChallengeId", ch->id, sizeof ch->id) ||
             !copy_text(root, "Nonce", ch->nonce, sizeof ch->nonce) ||
             !copy_text(root, "IssuedAt", ch->issued, sizeof ch->issued) ||
             !copy_text(root, "ExpiresAt", ch->expires, sizeof ch->expires))
        rc = bad_challenge(ctx, "ChallengeId, Nonce, IssuedAt or ExpiresAt missing or too long");
    xmlFreeDoc(doc);
    if (rc != ONSHI_OK)
        return rc;
    size_t idn = strlen(ch->id);
    bool ok = idn >= 1 && idn <= 64;
    for (size_t i = 0; ok && i < idn; i++)
        ok = isalnum((unsigned char)ch->id[i]) || ch->id[i] == '_' || ch->id[i] == '-';
    if (!ok)
        return bad_challenge(ctx, "ChallengeId is not 1-64 characters [A-Za-z0-9_-]");
    unsigned char raw[48];
    size_t rawn = 0;
    if (mbedtls_base64_decode(raw, sizeof raw, &rawn, (const unsigned char *)ch->nonce,
                              strlen(ch->nonce)) != 0 || rawn != 32)
        return bad_challenge(ctx, "Nonce is not the base64 of 32 bytes");
    if (!all_digits(ch->issued, 14) || !all_digits(ch->expires, 14) ||
        strcmp(ch->issued, ch->expires) > 0)
        return bad_challenge(ctx, "IssuedAt/ExpiresAt are not YYYYMMDDHHmmss in order");
    return ONSHI_OK;
}

static int get_challenge(onshi_ctx *ctx, const char *inst, challenge *ch)
{
    onshi__https *hs = onshi__https_state(ctx);
    if (hs == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "https state");
    onshi__url u;
    const char *url = onshi__opt_str(ctx, ONSHI_OPT_SERVER_URL);
    if (url == NULL || *url == '\0')
        return onshi__err(ctx, ONSHI_E_CONFIG, "server_url is not set");
    int rc = onshi__url_parse(ctx, url, &u);
    if (rc != ONSHI_OK)
        return rc;
    char path[600];
    rc = onshi__https_path(ctx, hs, ONSHI_MSG_CARDAUTH_REQ, u.base, path, sizeof path - 16);
    if (rc != ONSHI_OK)
        return rc;
    strcat(path, "/challenge");

    onshi__cardx_doc d;
    rc = onshi__cardx_writer_begin(&d, false);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "challenge request");
    onshi__cardx_start(&d, "OnshiCardAuthChallengeRequest");
    onshi__cardx_attr(&d, "version", "1");
    onshi__cardx_el(&d, "MedicalInstitutionCode", inst);
    onshi__cardx_end(&d);
    onshi_buf *req = NULL;
    rc = onshi__cardx_writer_finish(ctx, &d, &req);
    if (rc != ONSHI_OK)
        return rc;
    /* The challenge request has no personal data and no effect but a fresh challenge, so it
     * is keyed (retried) with a random key. */
    char key[64] = "cardauth-challenge-";
    rc = onshi__cardx_random_hex(ctx, key + strlen(key), 16);
    onshi_buf resp;
    onshi__buf_init(&resp, false);
    int http = 0;
    if (rc == ONSHI_OK)
        rc = onshi__https_post(ctx, path, "application/xml; charset=UTF-8", onshi_buf_data(req),
                               onshi_buf_len(req), key, &http, &resp);
    onshi_buf_free(req);
    if (rc == ONSHI_OK)
        rc = parse_challenge(ctx, &resp, ch);
    onshi__buf_clear(&resp);
    return rc;
}

/* ---- to-be-signed bytes (§7.2) ---- */

int onshi__cardx_tbs(char *out, size_t cap, const char *challenge_id, const char *nonce,
                     const char *inst, const char *signing_time, int method,
                     const unsigned char *cert_der, size_t cert_len)
{
    unsigned char h[32];
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (mbedtls_sha256(cert_der, cert_len, h, 0) != 0)
        return -1;
#else
    if (mbedtls_sha256_ret(cert_der, cert_len, h, 0) != 0)
        return -1;
#endif
    char hex[65];
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", h[i]);
    int n = snprintf(out, cap, "libonshi-cardauth-v1\n%s\n%s\n%s\n%s\n%d\n%s", challenge_id, nonce,
                     inst, signing_time, method, hex);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int b64(onshi_ctx *ctx, const unsigned char *p, size_t n, char **out)
{
    size_t olen = 0;
    mbedtls_base64_encode(NULL, 0, &olen, p, n);
    char *s = malloc(olen + 1);
    if (s == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "base64");
    if (mbedtls_base64_encode((unsigned char *)s, olen + 1, &olen, p, n) != 0) {
        free(s);
        return onshi__err(ctx, ONSHI_E_GENERIC, "base64 encoding");
    }
    s[olen] = '\0';
    *out = s;
    return ONSHI_OK;
}

/* ---- the request (§7.3) ---- */

typedef struct authreq {
    const char *inst, *signing_time, *afi;
    const challenge *ch;
    int method, granted;
    const char *cert_b64, *sig_alg, *sig_b64; /* sig_* NULL: certificate-only (face/visual) */
} authreq;

static int build_request(onshi_ctx *ctx, const authreq *a, onshi_buf **out)
{
    char date[9], method[2];
    memcpy(date, a->signing_time, 8);
    date[8] = '\0';
    snprintf(method, sizeof method, "%d", a->method);
    onshi__cardx_doc d;
    int rc = onshi__cardx_writer_begin(&d, true);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "card authentication request");
    onshi__cardx_start(&d, "XmlMsg");
    onshi__cardx_start(&d, "MessageHeader");
    onshi__cardx_el(&d, "QualificationConfirmationDate", date);
    onshi__cardx_el(&d, "MedicalInstitutionCode", a->inst);
    onshi__cardx_el(&d, "ArbitraryFileIdentifier", a->afi);
    onshi__cardx_end(&d);
    onshi__cardx_start(&d, "MessageBody");
    onshi__cardx_start(&d, "OnshiCardAuthentication");
    onshi__cardx_attr(&d, "version", "1");
    onshi__cardx_el(&d, "ChallengeId", a->ch->id);
    onshi__cardx_el(&d, "Nonce", a->ch->nonce);
    onshi__cardx_el(&d, "SigningTime", a->signing_time);
    onshi__cardx_el(&d, "IdentityVerificationMethod", method);
    onshi__cardx_el(&d, "AuthCertificate", a->cert_b64);
    if (a->sig_b64 != NULL) {
        onshi__cardx_el(&d, "SignatureAlgorithm", a->sig_alg);
        onshi__cardx_el(&d, "Signature", a->sig_b64);
    }
    /* Consent flags (OQSCD001/016: 1 yes, 0 no), in the documented order. */
    onshi__cardx_el(&d, "LimitApplicationCertificateRelatedConsFlg",
                    a->granted & ONSHI_CONSENT_LIMIT ? "1" : "0");
    onshi__cardx_el(&d, "PharmacistsInfoConsFlg", a->granted & ONSHI_CONSENT_DRUG ? "1" : "0");
    onshi__cardx_el(&d, "SpecificHealthCheckupsInfoConsFlg",
                    a->granted & ONSHI_CONSENT_CHECKUP ? "1" : "0");
    onshi__cardx_el(&d, "DiagnosisInfoConsFlg", a->granted & ONSHI_CONSENT_DIAGNOSIS ? "1" : "0");
    onshi__cardx_el(&d, "OperationInfoConsFlg", a->granted & ONSHI_CONSENT_SURGERY ? "1" : "0");
    onshi__cardx_end(&d);
    onshi__cardx_end(&d);
    onshi__cardx_end(&d);
    return onshi__cardx_writer_finish(ctx, &d, out);
}

/* ---- the workflow ---- */

static int identity_by_callback(onshi_ctx *ctx, int method, const onshi_cert *cert)
{
    const onshi_callbacks *cbs = onshi__callbacks(ctx);
    int verified = 0;
    if (cbs->identity(cbs->identity_userdata, method, cert, &verified) != 0)
        return onshi__err_ja(ctx, ONSHI_E_CANCELLED, ONSHI_FOREIGN_NONE, 0,
                             "identity verification cancelled by the identity callback",
                             "本人確認が中止されました");
    if (verified != 1)
        return method == ONSHI_IDV_FACE
                   ? onshi__err_ja(ctx, ONSHI_E_VERIFICATION_METHOD, ONSHI_FOREIGN_NONE, 0,
                                   "the face-recognition device did not identify the person",
                                   "顔認証で本人と確認できませんでした")
                   : onshi__err_ja(ctx, ONSHI_E_VERIFICATION_METHOD, ONSHI_FOREIGN_NONE, 0,
                                   "staff did not confirm the person visually",
                                   "職員による目視確認ができませんでした");
    return ONSHI_OK;
}

/* PIN method: refuse a locked PIN before anything else happens (consent, challenge). */
static int pin_precheck(onshi_ctx *ctx, onshi_card *card)
{
    int tries = -1;
    int rc = onshi_card_pin_tries_left(&tries, card);
    if (rc != ONSHI_OK)
        return rc;
    onshi__log(ctx, ONSHI_LOG_DEBUG, "service", "card PIN: %d tries left", tries);
    return ONSHI_OK;
}

static const char *sig_alg_of(const onshi_cert *cert)
{
    switch (onshi_cert_key_type(cert)) {
    case ONSHI_KEY_RSA:
        return "RSA-PKCS1-v1_5-SHA256";
    case ONSHI_KEY_EC:
        return "ECDSA-SHA256";
    default:
        return NULL;
    }
}

typedef struct flow {
    onshi_card *card;
    onshi_cert *cert;
    onshi_buf *der, *sig, *req, *res;
    char *cert_b64, *sig_b64;
} flow;

static void flow_free(flow *f)
{
    onshi_card_free(f->card);
    onshi_cert_free(f->cert);
    onshi_buf_free(f->der);
    onshi_buf_free(f->sig);
    onshi_buf_free(f->req);
    onshi_buf_free(f->res);
    free(f->cert_b64);
    free(f->sig_b64);
}

static int verify_flow(onshi_msg **out, onshi_ctx *ctx, flow *f, int method, int offered,
                       char *patient, size_t patient_cap, bool *audited)
{
    const char *inst = NULL;
    int rc = onshi__cardx_require_https(ctx, "My Number Card verification");
    if (rc == ONSHI_OK)
        rc = onshi__cardx_institution(ctx, &inst);
    if (rc != ONSHI_OK)
        return rc;

    if ((rc = onshi__progress(ctx, ONSHI_STAGE_WAIT_CARD, 0, 0)) != ONSHI_OK ||
        (rc = onshi_card_open(&f->card, ctx)) != ONSHI_OK)
        return rc;
    if ((rc = onshi__progress(ctx, ONSHI_STAGE_READ_CERT, 0, 0)) != ONSHI_OK ||
        (rc = onshi_card_read_auth_cert(&f->cert, f->card)) != ONSHI_OK ||
        (rc = onshi_cert_der(&f->der, f->cert)) != ONSHI_OK)
        return rc;
    snprintf(patient, patient_cap, "card:%s", onshi_cert_serial_hex(f->cert));
    int64_t days = 0;
    if ((rc = onshi_cert_days_left(&days, f->cert)) != ONSHI_OK)
        return rc;
    if (days < 0)
        return onshi__err_ja(ctx, ONSHI_E_JPKI_CERT_EXPIRED, ONSHI_FOREIGN_NONE, 0,
                             "the card's user-authentication certificate has expired (renew it "
                             "at the municipal office)",
                             "利用者証明用電子証明書の有効期限が切れています（市区町村窓口で更新）");
    const char *alg = sig_alg_of(f->cert);
    if (method == ONSHI_IDV_PIN && alg == NULL)
        return onshi__err(ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN,
                          "the card's key is neither RSA nor EC");

    if ((rc = onshi__progress(ctx, ONSHI_STAGE_VERIFY_IDENTITY, 0, 0)) != ONSHI_OK)
        return rc;
    rc = method == ONSHI_IDV_PIN ? pin_precheck(ctx, f->card)
                                 : identity_by_callback(ctx, method, f->cert);
    if (rc != ONSHI_OK)
        return rc;

    int granted = 0;
    if (offered != 0) {
        if ((rc = onshi__progress(ctx, ONSHI_STAGE_CONSENT, 0, 0)) != ONSHI_OK ||
            (rc = onshi__consent(ctx, offered, &granted)) != ONSHI_OK)
            return rc;
    }

    challenge ch;
    memset(&ch, 0, sizeof ch);
    if ((rc = get_challenge(ctx, inst, &ch)) != ONSHI_OK)
        return rc;
    char signing_time[15];
    onshi__cardx_jst(signing_time, (int64_t)time(NULL)); /* wall clock, not monotonic */

    if (method == ONSHI_IDV_PIN) {
        char tbs[512];
        int tn = onshi__cardx_tbs(tbs, sizeof tbs, ch.id, ch.nonce, inst, signing_time, method,
                                  onshi_buf_data(f->der), onshi_buf_len(f->der));
        unsigned char hash[32];
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        int hr = tn < 0 ? -1 : mbedtls_sha256((const unsigned char *)tbs, (size_t)tn, hash, 0);
#else
        int hr = tn < 0 ? -1 : mbedtls_sha256_ret((const unsigned char *)tbs, (size_t)tn, hash, 0);
#endif
        if (hr != 0)
            return onshi__err(ctx, ONSHI_E_GENERIC, "to-be-signed bytes");
        /* The PIN callback is asked here, inside the card's one transaction of VERIFY and
         * SIGN: once, never retried, the last try only when confirmed (card layer). */
        if ((rc = onshi__progress(ctx, ONSHI_STAGE_SIGN, 0, 0)) != ONSHI_OK ||
            (rc = onshi_card_sign(&f->sig, f->card, ONSHI_HASH_SHA256, hash, sizeof hash)) !=
                ONSHI_OK)
            return rc;
        if ((rc = b64(ctx, onshi_buf_data(f->sig), onshi_buf_len(f->sig), &f->sig_b64)) !=
            ONSHI_OK)
            return rc;
    }
    /* The reader is free for the next patient while the system answers. */
    onshi_card_free(f->card);
    f->card = NULL;
    if ((rc = b64(ctx, onshi_buf_data(f->der), onshi_buf_len(f->der), &f->cert_b64)) != ONSHI_OK)
        return rc;

    char afi[40];
    memcpy(afi, signing_time, 15);
    strcat(afi, "-");
    if ((rc = onshi__cardx_random_hex(ctx, afi + strlen(afi), 4)) != ONSHI_OK)
        return rc;
    authreq a = {inst, signing_time, afi, &ch, method, granted, f->cert_b64,
                 f->sig_b64 ? alg : NULL, f->sig_b64};
    if ((rc = build_request(ctx, &a, &f->req)) != ONSHI_OK)
        return rc;

    char detail[160];
    snprintf(detail, sizeof detail, "card authentication, method %d, consent 0x%02x of 0x%02x",
             method, (unsigned)granted, (unsigned)offered);
    if ((rc = onshi__audit(ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_BEFORE, ONSHI_OK, patient,
                           detail)) != ONSHI_OK)
        return rc;
    *audited = true;
    if ((rc = onshi__progress(ctx, ONSHI_STAGE_SEND, 0, 0)) != ONSHI_OK)
        return rc;
    /* Keyed with the challenge id: a challenge is single-use, so a retry can only ever get
     * the stored answer back (§7.3). */
    rc = onshi_https_exchange(&f->res, ctx, ONSHI_MSG_CARDAUTH_REQ, onshi_buf_data(f->req), onshi_buf_len(f->req), ch.id);
    if (rc != ONSHI_OK)
        return rc;
    onshi_msg *m = NULL;
    if ((rc = onshi__cardx_decode(&m, ctx, ONSHI_MSG_CARDAUTH_RES, f->res)) != ONSHI_OK)
        return rc;
    if ((rc = onshi__cardx_check(ctx, m)) != ONSHI_OK) {
        onshi_msg_free(m);
        return rc;
    }
    char mstr[2];
    snprintf(mstr, sizeof mstr, "%d", method);
    const char *have = NULL;
    if (onshi_group_get_str(&have, onshi_msg_body(m), ONSHI_F_IDENTITY_VERIFICATION_METHOD) !=
            ONSHI_OK &&
        (rc = onshi_group_set_str(onshi_msg_body(m), ONSHI_F_IDENTITY_VERIFICATION_METHOD, mstr)) !=
            ONSHI_OK) {
        onshi_msg_free(m);
        return onshi__err(ctx, rc, "recording the verification method in the result");
    }
    *out = m;
    return ONSHI_OK;
}

static int verify_by_card(onshi_msg **out, onshi_ctx *ctx, int method, int consent_offered)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || ctx == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out and ctx must not be NULL");
    if (method < ONSHI_IDV_PIN || method > ONSHI_IDV_VISUAL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "method %d is not an ONSHI_IDV_* value",
                          method);
    if (consent_offered & ~0x1F)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                          "consent_offered 0x%x has bits outside ONSHI_CONSENT_*",
                          (unsigned)consent_offered);
    if (method != ONSHI_IDV_PIN && onshi__callbacks(ctx)->identity == NULL)
        return onshi__err_ja(ctx, ONSHI_E_NO_CALLBACK, ONSHI_FOREIGN_NONE, 0,
                             "face or visual verification needs the identity callback "
                             "(onshi_callbacks.identity)",
                             "顔認証・目視確認には本人確認コールバックが必要です");
    flow f;
    memset(&f, 0, sizeof f);
    char patient[120] = "";
    bool audited = false;
    int rc = verify_flow(out, ctx, &f, method, consent_offered, patient, sizeof patient,
                         &audited);
    flow_free(&f);
    if (audited)
        onshi__audit(ctx, ONSHI_AUDIT_QUALIFICATION, ONSHI_AUDIT_AFTER, rc, patient,
                     "card authentication");
    if (rc == ONSHI_OK)
        rc = onshi__progress(ctx, ONSHI_STAGE_DONE, 0, 0);
    if (rc != ONSHI_OK && *out != NULL) {
        onshi_msg_free(*out);
        *out = NULL;
    }
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_mynumber_card_verify(onshi_msg **out, onshi_ctx *ctx,
                                              const onshi_request *req)
{
    if (out != NULL)
        *out = NULL;
    int rc = onshi__request_check(ctx, req, ONSHI_REQ_MYNUMBER_CARD_VERIFY, "onshi_mynumber_card_verify");
    if (rc != ONSHI_OK)
        return rc;
    int64_t method = onshi__request_int(req, ONSHI_P_IDV_METHOD, 0);
    int64_t offered = onshi__request_int(req, ONSHI_P_CONSENT_OFFERED, 0);
    if (method < 0 || method > 100 || offered < 0 || offered > 0xffff)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG,
                          "idv_method %lld / consent_offered %lld out of range",
                          (long long)method, (long long)offered);
    return verify_by_card(out, ctx, (int)method, (int)offered);
}
