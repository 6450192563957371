/*
 * Verification by My Number Card in direct mode (docs/protocol.md §7, docs/workflow-card.md):
 * card → certificate and PIN tries → identity (PIN: the PIN question first) → consent →
 * challenge → VERIFY + signature → card-authentication request → qualification result. The
 * extension documents have no XmlMsg rows in the codec
 * (an attribute-carrying, strictly ordered element of our own), so they are written with the
 * codec's extension-document writer and the challenge answer is read with its flat reader
 * (codec/extdoc.c: no DTD, no network).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/cardx.h"
#include "service/verify.h"

#include "codec/codec.h"
#include "jpki/jpki.h"
#include "crypto/crypto.h"
#include "transport/https.h"


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The challenge answer is a handful of short elements; anything larger is not one. */
#define CHALLENGE_MAX_BYTES 16384

/* ---- challenge (§7.1) ---- */

typedef struct challenge {
    char id[65];
    char nonce[64]; /* base64 of 32 bytes: 44 characters */
    char issued[15], expires[15];
} challenge;

static int bad_challenge(onshi_ctx *ctx, const char *what)
{
    char en[400];
    snprintf(en, sizeof en, "challenge answer: %s (docs/protocol.md 7.1)", what);
    return onshi__err_ja(ctx, ONSHI_E_HTTP_PROTOCOL, ONSHI_FOREIGN_NONE, 0, en,
                         "サーバーのチャレンジ応答が不正です");
}

static int parse_challenge(onshi_ctx *ctx, const onshi_buf *body, challenge *ch)
{
    size_t n = onshi_buf_len(body);
    if (n == 0 || n > CHALLENGE_MAX_BYTES)
        return bad_challenge(ctx, "empty or larger than 16 KiB");
    const onshi__xml_flat_item items[] = {
        {"ChallengeId", ch->id, sizeof ch->id},
        {"Nonce", ch->nonce, sizeof ch->nonce},
        {"IssuedAt", ch->issued, sizeof ch->issued},
        {"ExpiresAt", ch->expires, sizeof ch->expires},
    };
    const char *why = onshi__xml_flat_read(onshi_buf_data(body), n, "OnshiCardAuthChallenge",
                                           items, sizeof items / sizeof items[0]);
    if (why != NULL) {
        char en[160];
        snprintf(en, sizeof en, "%s (OnshiCardAuthChallenge with ChallengeId, Nonce, IssuedAt, "
                                "ExpiresAt)", why);
        return bad_challenge(ctx, en);
    }
    size_t idn = strlen(ch->id);
    bool ok = idn >= 1 && idn <= 64;
    for (size_t i = 0; ok && i < idn; i++)
        ok = isalnum((unsigned char)ch->id[i]) || ch->id[i] == '_' || ch->id[i] == '-';
    if (!ok)
        return bad_challenge(ctx, "ChallengeId is not 1-64 characters [A-Za-z0-9_-]");
    unsigned char raw[48];
    size_t rawn = 0;
    if (onshi__base64_decode(ch->nonce, raw, sizeof raw, &rawn) != 0 || rawn != 32)
        return bad_challenge(ctx, "Nonce is not the base64 of 32 bytes");
    if (!onshi__stamp14_ok(ch->issued) || !onshi__stamp14_ok(ch->expires) ||
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

    onshi__xw d;
    rc = onshi__xw_begin(&d, false);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "challenge request");
    onshi__xw_start(&d, "OnshiCardAuthChallengeRequest");
    onshi__xw_attr(&d, "version", "1");
    onshi__xw_el(&d, "MedicalInstitutionCode", inst);
    onshi__xw_end(&d);
    onshi_buf *req = NULL;
    rc = onshi__xw_finish(ctx, &d, &req);
    if (rc != ONSHI_OK)
        return rc;
    /* The challenge request has no personal data and no effect but a fresh challenge, so it
     * is keyed (retried) with a random key. */
    char key[64] = "cardauth-challenge-";
    rc = onshi__random_hex(ctx, key + strlen(key), 16);
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
    if (onshi__sha256(cert_der, cert_len, h) != 0)
        return -1;
    char hex[65];
    onshi__hex(hex, h, sizeof h);
    int n = snprintf(out, cap, "libonshi-cardauth-v1\n%s\n%s\n%s\n%s\n%d\n%s", challenge_id, nonce,
                     inst, signing_time, method, hex);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int b64(onshi_ctx *ctx, const unsigned char *p, size_t n, char **out)
{
    if ((*out = onshi__base64_encode(p, n)) == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "base64");
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
    onshi__xw d;
    int rc = onshi__xw_begin(&d, true);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "card authentication request");
    onshi__xw_start(&d, "XmlMsg");
    onshi__xw_start(&d, "MessageHeader");
    onshi__xw_el(&d, "QualificationConfirmationDate", date);
    onshi__xw_el(&d, "MedicalInstitutionCode", a->inst);
    onshi__xw_el(&d, "ArbitraryFileIdentifier", a->afi);
    onshi__xw_end(&d);
    onshi__xw_start(&d, "MessageBody");
    onshi__xw_start(&d, "OnshiCardAuthentication");
    onshi__xw_attr(&d, "version", "1");
    onshi__xw_el(&d, "ChallengeId", a->ch->id);
    onshi__xw_el(&d, "Nonce", a->ch->nonce);
    onshi__xw_el(&d, "SigningTime", a->signing_time);
    onshi__xw_el(&d, "IdentityVerificationMethod", method);
    onshi__xw_el(&d, "AuthCertificate", a->cert_b64);
    if (a->sig_b64 != NULL) {
        onshi__xw_el(&d, "SignatureAlgorithm", a->sig_alg);
        onshi__xw_el(&d, "Signature", a->sig_b64);
    }
    /* Consent flags (OQSCD001/016: 1 yes, 0 no), in the documented order. */
    onshi__xw_el(&d, "LimitApplicationCertificateRelatedConsFlg",
                    a->granted & ONSHI_CONSENT_LIMIT ? "1" : "0");
    onshi__xw_el(&d, "PharmacistsInfoConsFlg", a->granted & ONSHI_CONSENT_DRUG ? "1" : "0");
    onshi__xw_el(&d, "SpecificHealthCheckupsInfoConsFlg",
                    a->granted & ONSHI_CONSENT_CHECKUP ? "1" : "0");
    onshi__xw_el(&d, "DiagnosisInfoConsFlg", a->granted & ONSHI_CONSENT_DIAGNOSIS ? "1" : "0");
    onshi__xw_el(&d, "OperationInfoConsFlg", a->granted & ONSHI_CONSENT_SURGERY ? "1" : "0");
    onshi__xw_end(&d);
    onshi__xw_end(&d);
    onshi__xw_end(&d);
    return onshi__xw_finish(ctx, &d, out);
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

/* PIN method: the certificate (a card) and the PIN tries, read before anything else. */
static int pin_prepare(onshi_ctx *ctx, onshi_card *card, onshi_cert **cert, int *tries)
{
    int rc = onshi__jpki_prepare(card, cert, tries);
    if (rc == ONSHI_OK)
        onshi__log(ctx, ONSHI_LOG_DEBUG, "service", "card PIN: %d tries left", *tries);
    return rc;
}

/* The card's certificate for face / visual verification: no PIN is entered, so a token that
 * shows its certificate only after the PIN (Android smartphone) cannot be used that way. */
static int cert_without_pin(onshi_ctx *ctx, onshi_card *card, onshi_cert **cert)
{
    int tries = -1;
    int rc = onshi__jpki_prepare(card, cert, &tries);
    if (rc == ONSHI_OK && *cert == NULL)
        rc = onshi__err_ja(ctx, ONSHI_E_VERIFICATION_METHOD, ONSHI_FOREIGN_NONE, 0,
                           "a smartphone shows its certificate only after the PIN: use the PIN "
                           "method",
                           "スマートフォンは暗証番号の入力後にのみ証明書を読み取れます。"
                           "暗証番号による本人確認をご利用ください");
    return rc;
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
    onshi_card_free(f->card); /* wipes a PIN asked ahead and not used */
    onshi_cert_free(f->cert);
    onshi_buf_free(f->der);
    onshi_buf_free(f->sig);
    onshi_buf_free(f->req);
    onshi_buf_free(f->res);
    free(f->cert_b64);
    free(f->sig_b64);
}

/* The hash the card signs, once the certificate is known (after the PIN on a smartphone). */
typedef struct tbs_in {
    onshi_ctx *ctx;
    const challenge *ch;
    const char *inst, *signing_time;
    int method;
} tbs_in;

static int tbs_hash(void *ud, const onshi_cert *cert, unsigned char *hash, size_t *hash_len)
{
    const tbs_in *t = ud;
    onshi_buf *der = NULL;
    int rc = onshi_cert_der(&der, cert);
    if (rc != ONSHI_OK)
        return onshi__err(t->ctx, rc, "certificate");
    char tbs[512];
    int tn = onshi__cardx_tbs(tbs, sizeof tbs, t->ch->id, t->ch->nonce, t->inst, t->signing_time,
                              t->method, onshi_buf_data(der), onshi_buf_len(der));
    onshi_buf_free(der);
    int hr = tn < 0 || *hash_len < 32 ? -1 : onshi__sha256(tbs, (size_t)tn, hash);
    if (hr != 0)
        return onshi__err(t->ctx, ONSHI_E_GENERIC, "to-be-signed bytes");
    *hash_len = 32;
    return ONSHI_OK;
}

/* What the workflow can say about the certificate before sending (never a refusal: the
 * central system decides, and an expired card stays usable for qualification for three
 * months, docs/workflow-card.md). */
static void note_cert(onshi_ctx *ctx, const onshi_cert *cert, char *patient, size_t patient_cap)
{
    snprintf(patient, patient_cap, "card:%s", onshi_cert_serial_hex(cert));
    int64_t days = 0;
    if (onshi_cert_days_left(&days, cert) == ONSHI_OK && days < 0)
        onshi__log(ctx, ONSHI_LOG_WARN, "service",
                   "the card's user-authentication certificate expired %lld days ago: sent "
                   "anyway, the system decides (qualification only, for three months after the "
                   "month it expired)",
                   (long long)-days);
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
    if ((rc = onshi__progress(ctx, ONSHI_STAGE_READ_CERT, 0, 0)) != ONSHI_OK)
        return rc;
    if (method == ONSHI_IDV_PIN) {
        /* The certificate (a card; a phone's comes after the PIN) and the PIN tries (a locked
         * PIN stops here), then the PIN callback — the last-try question — before anything
         * else of the verification (consent, challenge). The PIN waits in the library-owned
         * buffer for the VERIFY right before the signature, wiped on every path. */
        int tries = -1;
        if ((rc = pin_prepare(ctx, f->card, &f->cert, &tries)) != ONSHI_OK ||
            (rc = onshi__progress(ctx, ONSHI_STAGE_VERIFY_IDENTITY, 0, 0)) != ONSHI_OK ||
            (rc = onshi__jpki_pin_ask(f->card, tries)) != ONSHI_OK)
            return rc;
    } else {
        if ((rc = cert_without_pin(ctx, f->card, &f->cert)) != ONSHI_OK)
            return rc;
        /* No PIN: the card is not needed any more; free the reader before the UI. */
        onshi_card_free(f->card);
        f->card = NULL;
    }
    if (f->cert != NULL) {
        note_cert(ctx, f->cert, patient, patient_cap);
        if (method == ONSHI_IDV_PIN && sig_alg_of(f->cert) == NULL)
            return onshi__err(ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN,
                              "the card's key is neither RSA nor EC");
    }
    if (method != ONSHI_IDV_PIN) {
        if ((rc = onshi__progress(ctx, ONSHI_STAGE_VERIFY_IDENTITY, 0, 0)) != ONSHI_OK ||
            (rc = identity_by_callback(ctx, method, f->cert)) != ONSHI_OK)
            return rc;
    }

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
    onshi__jst_now14(signing_time, ctx);

    const char *alg = NULL;
    if (method == ONSHI_IDV_PIN) {
        /* VERIFY with the PIN asked above, then SIGN, in the card transaction held since
         * the certificate was read: once, never retried (card layer). */
        tbs_in t = {ctx, &ch, inst, signing_time, method};
        onshi_cert *after = NULL;
        if ((rc = onshi__progress(ctx, ONSHI_STAGE_SIGN, 0, 0)) != ONSHI_OK ||
            (rc = onshi__jpki_sign_with(f->card, ONSHI_HASH_SHA256, tbs_hash, &t, &f->sig,
                                        f->cert == NULL ? &after : NULL)) != ONSHI_OK) {
            onshi_cert_free(after);
            return rc;
        }
        if (f->cert == NULL) { /* a smartphone: known only now */
            f->cert = after;
            note_cert(ctx, f->cert, patient, patient_cap);
        }
        if ((alg = sig_alg_of(f->cert)) == NULL)
            return onshi__err(ctx, ONSHI_E_JPKI_UNSUPPORTED_TOKEN,
                              "the card's key is neither RSA nor EC");
        if ((rc = b64(ctx, onshi_buf_data(f->sig), onshi_buf_len(f->sig), &f->sig_b64)) !=
            ONSHI_OK)
            return rc;
    }
    if ((rc = onshi_cert_der(&f->der, f->cert)) != ONSHI_OK)
        return rc;
    /* The reader is free for the next patient while the system answers. */
    onshi_card_free(f->card);
    f->card = NULL;
    if ((rc = b64(ctx, onshi_buf_data(f->der), onshi_buf_len(f->der), &f->cert_b64)) != ONSHI_OK)
        return rc;

    char afi[40];
    memcpy(afi, signing_time, 15);
    strcat(afi, "-");
    if ((rc = onshi__random_hex(ctx, afi + strlen(afi), 4)) != ONSHI_OK)
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
    /* The callbacks the call will need, before the card is touched (the PIN is asked first,
     * so a missing consent callback must not surface after the person typed it). */
    if (consent_offered != 0 && onshi__callbacks(ctx)->consent == NULL) {
        int none = 0;
        return onshi__consent(ctx, consent_offered, &none); /* ONSHI_E_NO_CALLBACK */
    }
    if (method == ONSHI_IDV_PIN && onshi__callbacks(ctx)->pin == NULL)
        return onshi__err(ctx, ONSHI_E_NO_CALLBACK, "no PIN callback (onshi_callbacks.pin)");
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
