/*
 * Small helpers of the public API for tests (header only, nothing to link).
 *  - tcb_set_<name>(ctx, cb, userdata): change one callback of a context: read the installed
 *    set, replace one entry, install the set again (onshi_ctx_get/set_callbacks).
 *  - lang_ctx(ja): a context whose ONSHI_OPT_LANG is "ja" (ja non-zero) or "en", for the
 *    label calls that take their language from a context; freed at exit.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_API_H
#define ONSHI_TEST_API_H

#include "onshi.h"

#include <stdlib.h>

static inline onshi_ctx **tl_slot(int ja)
{
    static onshi_ctx *c[2];
    return &c[ja != 0];
}

static inline void tl_cleanup(void)
{
    onshi_ctx_free(*tl_slot(0));
    onshi_ctx_free(*tl_slot(1));
    *tl_slot(0) = NULL;
    *tl_slot(1) = NULL;
}

static inline onshi_ctx *lang_ctx(int ja)
{
    onshi_ctx **s = tl_slot(ja);
    if (*s == NULL) {
        if (*tl_slot(!ja) == NULL)
            atexit(tl_cleanup);
        if (onshi_ctx_new(s) != ONSHI_OK)
            return NULL;
        onshi_ctx_set_str(*s, ONSHI_OPT_LANG, ja ? "ja" : "en");
    }
    return *s;
}

#define TCB_DEFINE(name, type)                                                             \
    static inline int tcb_set_##name(onshi_ctx *ctx, type cb, void *userdata)              \
    {                                                                                      \
        onshi_callbacks c = ONSHI_CALLBACKS_INIT;                                          \
        int r = onshi_ctx_get_callbacks(&c, ctx);                                          \
        if (r != ONSHI_OK)                                                                 \
            return r;                                                                      \
        c.name = cb;                                                                       \
        c.name##_userdata = userdata;                                                      \
        return onshi_ctx_set_callbacks(ctx, &c);                                           \
    }

TCB_DEFINE(log, onshi_log_cb)
TCB_DEFINE(card_transmit, onshi_card_transmit_cb)
TCB_DEFINE(card_reset, onshi_card_reset_cb)
TCB_DEFINE(card_event, onshi_card_event_cb)
TCB_DEFINE(pin, onshi_pin_cb)
TCB_DEFINE(cert_expiry, onshi_cert_expiry_cb)
TCB_DEFINE(progress, onshi_progress_cb)
TCB_DEFINE(consent, onshi_consent_cb)
TCB_DEFINE(audit, onshi_audit_cb)
TCB_DEFINE(identity, onshi_identity_cb)

#undef TCB_DEFINE

/* Days left of a certificate, 0 on error (as 0.1's onshi_cert_days_left answered). */
static inline int64_t t_cert_days_left(const onshi_cert *cert)
{
    int64_t d = 0;
    onshi_cert_days_left(&d, cert);
    return d;
}

/*
 * The workflow calls with their inputs as positional arguments, as the tests were written
 * before requests existed: each builds the onshi_request (a NULL string stays unset), makes
 * the call and frees the request.
 */
static inline void treq_str(onshi_request *r, int p, const char *v)
{
    if (v != NULL)
        onshi_request_set_str(r, p, v);
}

static inline int t_verify_insurance_card(onshi_msg **out, char *pending_id, size_t id_size,
                                          onshi_ctx *ctx, const char *insurer,
                                          const char *symbol, const char *number,
                                          const char *branch, const char *birthdate,
                                          int limit_consent, const char *arbitrary_id)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_INSURANCE_CARD_VERIFY) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_INSURER_NUMBER, insurer);
    treq_str(r, ONSHI_P_SYMBOL, symbol);
    treq_str(r, ONSHI_P_NUMBER, number);
    treq_str(r, ONSHI_P_BRANCH, branch);
    treq_str(r, ONSHI_P_BIRTHDATE, birthdate);
    onshi_request_set_int(r, ONSHI_P_LIMIT_CONSENT, limit_consent);
    treq_str(r, ONSHI_P_ARBITRARY_ID, arbitrary_id);
    int rc = onshi_insurance_card_verify(out, pending_id, id_size, ctx, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_refnum_register(onshi_msg **out, char *pending_id, size_t id_size,
                                    onshi_ctx *ctx, const char *reference_number,
                                    const char *insurer, const char *symbol, const char *number,
                                    const char *branch)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_REFNUM_REGISTER) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_REFERENCE_NUMBER, reference_number);
    treq_str(r, ONSHI_P_INSURER_NUMBER, insurer);
    treq_str(r, ONSHI_P_SYMBOL, symbol);
    treq_str(r, ONSHI_P_NUMBER, number);
    treq_str(r, ONSHI_P_BRANCH, branch);
    int rc = onshi_refnum_register(out, pending_id, id_size, ctx, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_info_request(onshi_msg **out, char *pending_id, size_t id_size,
                                 onshi_ctx *ctx, const onshi_group *person, int kind,
                                 int file_category, const char *start_month,
                                 const char *end_month)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_INFO) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    onshi_request_set_int(r, ONSHI_P_INFO_KIND, kind);
    onshi_request_set_int(r, ONSHI_P_FILE_CATEGORY, file_category);
    treq_str(r, ONSHI_P_START_MONTH, start_month);
    treq_str(r, ONSHI_P_END_MONTH, end_month);
    int rc = onshi_info_request(out, pending_id, id_size, ctx, person, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_disaster_search(onshi_msg **out, onshi_ctx *ctx, const char *name,
                                    const char *name_kana, const char *birthdate, int sex,
                                    const char *address, int kind, int file_category)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_DISASTER_SEARCH) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_NAME, name);
    treq_str(r, ONSHI_P_NAME_KANA, name_kana);
    treq_str(r, ONSHI_P_BIRTHDATE, birthdate);
    onshi_request_set_int(r, ONSHI_P_SEX, sex);
    treq_str(r, ONSHI_P_ADDRESS, address);
    onshi_request_set_int(r, ONSHI_P_INFO_KIND, kind);
    onshi_request_set_int(r, ONSHI_P_FILE_CATEGORY, file_category);
    int rc = onshi_disaster_search(out, ctx, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_verify_by_card(onshi_msg **out, onshi_ctx *ctx, int method, int offered)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_MYNUMBER_CARD_VERIFY) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    onshi_request_set_int(r, ONSHI_P_IDV_METHOD, method);
    onshi_request_set_int(r, ONSHI_P_CONSENT_OFFERED, offered);
    int rc = onshi_mynumber_card_verify(out, ctx, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_batch_entry(onshi_batch *b, const char *patient_id, const char *refnum,
                                const char *insurer, const char *symbol, const char *number,
                                const char *branch, const char *birthdate, int limit_consent,
                                int with_consent)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_BATCH_ENTRY) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_PATIENT_ID, patient_id);
    treq_str(r, ONSHI_P_REFERENCE_NUMBER, refnum);
    treq_str(r, ONSHI_P_INSURER_NUMBER, insurer);
    treq_str(r, ONSHI_P_SYMBOL, symbol);
    treq_str(r, ONSHI_P_NUMBER, number);
    treq_str(r, ONSHI_P_BRANCH, branch);
    treq_str(r, ONSHI_P_BIRTHDATE, birthdate);
    if (with_consent)
        onshi_request_set_int(r, ONSHI_P_LIMIT_CONSENT, limit_consent);
    int rc = onshi_batch_add(b, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_batch_add(onshi_batch *b, const char *patient_id, const char *insurer,
                              const char *symbol, const char *number, const char *branch,
                              const char *birthdate, int limit_consent)
{
    return t_batch_entry(b, patient_id, NULL, insurer, symbol, number, branch, birthdate,
                         limit_consent, 1);
}

static inline int t_batch_add_refnum(onshi_batch *b, const char *patient_id,
                                     const char *refnum, const char *insurer,
                                     const char *symbol, const char *number, const char *branch)
{
    return t_batch_entry(b, patient_id, refnum, insurer, symbol, number, branch, NULL, 0, 0);
}

static inline int t_limit(int copay, int64_t *out, onshi_ctx *ctx, const char *class_code,
                          int64_t total_cost, int ratio, int scope, int flags, int month)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_LIMIT) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_CLASS_CODE, class_code);
    onshi_request_set_int(r, ONSHI_P_TOTAL_COST, total_cost);
    if (copay)
        onshi_request_set_int(r, ONSHI_P_RATIO_PERCENT, ratio);
    onshi_request_set_int(r, ONSHI_P_SCOPE, scope);
    onshi_request_set_int(r, ONSHI_P_FLAGS, flags);
    onshi_request_set_int(r, ONSHI_P_SERVICE_MONTH, month);
    int rc = copay ? onshi_limit_copay(out, ctx, r) : onshi_limit_ceiling(out, ctx, r);
    onshi_request_free(r);
    return rc;
}

static inline int t_limit_ceiling(int64_t *out, onshi_ctx *ctx, const char *class_code,
                                  int64_t total_cost, int scope, int flags, int month)
{
    return t_limit(0, out, ctx, class_code, total_cost, 0, scope, flags, month);
}

static inline int t_limit_copay(int64_t *out, onshi_ctx *ctx, const char *class_code,
                                int64_t total_cost, int ratio, int scope, int flags, int month)
{
    return t_limit(1, out, ctx, class_code, total_cost, ratio, scope, flags, month);
}

static inline int t_limit_yearly_cap(int64_t *out, onshi_ctx *ctx, const char *class_code,
                                     int scope, int flags, int month)
{
    onshi_request *r = NULL;
    if (onshi_request_new(&r, ONSHI_REQ_LIMIT) != ONSHI_OK)
        return ONSHI_E_NOMEM;
    treq_str(r, ONSHI_P_CLASS_CODE, class_code);
    onshi_request_set_int(r, ONSHI_P_SCOPE, scope);
    onshi_request_set_int(r, ONSHI_P_FLAGS, flags);
    onshi_request_set_int(r, ONSHI_P_SERVICE_MONTH, month);
    int rc = onshi_limit_yearly_cap(out, ctx, r);
    onshi_request_free(r);
    return rc;
}

#endif
