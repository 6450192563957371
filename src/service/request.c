/*
 * onshi_request: the inputs of a workflow call, set by numbered parameter id. The one table
 * below says which kind takes which parameter and of which type.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#define K(x) (1u << (x))
#define KIND_MAX ONSHI_REQ_LIMIT
#define PARAM_MAX ONSHI_P_SERVICE_MONTH

enum { T_STR = 1, T_INT = 2 };

static const struct param_def {
    int id;
    const char *name;
    int type;
    unsigned kinds;
} params[] = {
    {0, NULL, 0, 0},
    {ONSHI_P_INSURER_NUMBER, "insurer_number", T_STR,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_REFNUM_REGISTER) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_SYMBOL, "symbol", T_STR,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_REFNUM_REGISTER) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_NUMBER, "number", T_STR,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_REFNUM_REGISTER) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_BRANCH, "branch", T_STR,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_REFNUM_REGISTER) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_BIRTHDATE, "birthdate", T_STR,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_DISASTER_SEARCH) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_LIMIT_CONSENT, "limit_consent", T_INT,
     K(ONSHI_REQ_INSURANCE_CARD_VERIFY) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_ARBITRARY_ID, "arbitrary_id", T_STR, K(ONSHI_REQ_INSURANCE_CARD_VERIFY)},
    {ONSHI_P_REFERENCE_NUMBER, "reference_number", T_STR,
     K(ONSHI_REQ_REFNUM_REGISTER) | K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_PATIENT_ID, "patient_id", T_STR, K(ONSHI_REQ_BATCH_ENTRY)},
    {ONSHI_P_NAME, "name", T_STR, K(ONSHI_REQ_DISASTER_SEARCH)},
    {ONSHI_P_NAME_KANA, "name_kana", T_STR, K(ONSHI_REQ_DISASTER_SEARCH)},
    {ONSHI_P_SEX, "sex", T_INT, K(ONSHI_REQ_DISASTER_SEARCH)},
    {ONSHI_P_ADDRESS, "address", T_STR, K(ONSHI_REQ_DISASTER_SEARCH)},
    {ONSHI_P_INFO_KIND, "info_kind", T_INT, K(ONSHI_REQ_DISASTER_SEARCH) | K(ONSHI_REQ_INFO)},
    {ONSHI_P_FILE_CATEGORY, "file_category", T_INT,
     K(ONSHI_REQ_DISASTER_SEARCH) | K(ONSHI_REQ_INFO)},
    {ONSHI_P_START_MONTH, "start_month", T_STR, K(ONSHI_REQ_INFO)},
    {ONSHI_P_END_MONTH, "end_month", T_STR, K(ONSHI_REQ_INFO)},
    {ONSHI_P_IDV_METHOD, "idv_method", T_INT, K(ONSHI_REQ_MYNUMBER_CARD_VERIFY)},
    {ONSHI_P_CONSENT_OFFERED, "consent_offered", T_INT, K(ONSHI_REQ_MYNUMBER_CARD_VERIFY)},
    {ONSHI_P_CLASS_CODE, "class_code", T_STR, K(ONSHI_REQ_LIMIT)},
    {ONSHI_P_TOTAL_COST, "total_cost", T_INT, K(ONSHI_REQ_LIMIT)},
    {ONSHI_P_RATIO_PERCENT, "ratio_percent", T_INT, K(ONSHI_REQ_LIMIT)},
    {ONSHI_P_SCOPE, "scope", T_INT, K(ONSHI_REQ_LIMIT)},
    {ONSHI_P_FLAGS, "flags", T_INT, K(ONSHI_REQ_LIMIT)},
    {ONSHI_P_SERVICE_MONTH, "service_month", T_INT, K(ONSHI_REQ_LIMIT)},
};
_Static_assert(sizeof params / sizeof params[0] == PARAM_MAX + 1, "one row per parameter id");

static const char *const kind_names[KIND_MAX + 1] = {
    NULL,
    "ONSHI_REQ_INSURANCE_CARD_VERIFY",
    "ONSHI_REQ_MYNUMBER_CARD_VERIFY",
    "ONSHI_REQ_DISASTER_SEARCH",
    "ONSHI_REQ_REFNUM_REGISTER",
    "ONSHI_REQ_INFO",
    "ONSHI_REQ_BATCH_ENTRY",
    "ONSHI_REQ_LIMIT",
};

typedef struct req_value {
    bool set;
    char *s;
    int64_t i;
} req_value;

struct onshi_request {
    int kind;
    req_value v[PARAM_MAX + 1];
};

static const struct param_def *param_of(int param)
{
    if (param < 1 || param > PARAM_MAX)
        return NULL;
    return &params[param];
}

ONSHI_API int ONSHI_CALL onshi_request_new(onshi_request **out, int kind)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (kind < 1 || kind > KIND_MAX)
        return ONSHI_E_INVALID_ARG;
    onshi_request *r = onshi__calloc(1, sizeof *r);
    if (r == NULL)
        return ONSHI_E_NOMEM;
    r->kind = kind;
    *out = r;
    return ONSHI_OK;
}

static void value_clear(req_value *v)
{
    if (v->s != NULL)
        onshi__free_secret_str(v->s); /* personal data: wiped, not just freed */
    memset(v, 0, sizeof *v);
}

ONSHI_API void ONSHI_CALL onshi_request_free(onshi_request *req)
{
    if (req == NULL)
        return;
    for (int i = 0; i <= PARAM_MAX; i++)
        value_clear(&req->v[i]);
    free(req);
}

ONSHI_API int ONSHI_CALL onshi_request_kind(const onshi_request *req)
{
    return req != NULL ? req->kind : ONSHI_E_INVALID_ARG;
}

static int check_param(const onshi_request *req, int param, int type)
{
    if (req == NULL)
        return ONSHI_E_INVALID_ARG;
    const struct param_def *p = param_of(param);
    if (p == NULL || !(p->kinds & K(req->kind)))
        return ONSHI_E_FIELD_ID;
    return p->type == type ? ONSHI_OK : ONSHI_E_INVALID_ARG;
}

ONSHI_API int ONSHI_CALL onshi_request_set_str(onshi_request *req, int param, const char *value)
{
    int rc = check_param(req, param, T_STR);
    if (rc != ONSHI_OK)
        return rc;
    char *copy = NULL;
    if (value != NULL && (copy = onshi__strdup(value)) == NULL)
        return ONSHI_E_NOMEM;
    value_clear(&req->v[param]);
    req->v[param].set = value != NULL;
    req->v[param].s = copy;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_request_set_int(onshi_request *req, int param, int64_t value)
{
    int rc = check_param(req, param, T_INT);
    if (rc != ONSHI_OK)
        return rc;
    req->v[param].set = true;
    req->v[param].i = value;
    return ONSHI_OK;
}

ONSHI_API const char *ONSHI_CALL onshi_request_param_name(int param)
{
    const struct param_def *p = param_of(param);
    return p ? p->name : NULL;
}

int onshi__request_check(onshi_ctx *ctx, const onshi_request *req, int kind, const char *call)
{
    if (req != NULL && req->kind == kind)
        return ONSHI_OK;
    const char *want = kind >= 1 && kind <= KIND_MAX ? kind_names[kind] : "?";
    if (req == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "%s needs a request (%s)", call, want);
    const char *got = req->kind >= 1 && req->kind <= KIND_MAX ? kind_names[req->kind] : "?";
    return onshi__err(ctx, ONSHI_E_INVALID_ARG, "%s needs a %s request, not %s", call, want, got);
}

const char *onshi__request_str(const onshi_request *req, int param)
{
    if (req == NULL || param < 1 || param > PARAM_MAX || !req->v[param].set)
        return NULL;
    return req->v[param].s;
}

int64_t onshi__request_int(const onshi_request *req, int param, int64_t def)
{
    if (req == NULL || param < 1 || param > PARAM_MAX || !req->v[param].set)
        return def;
    return req->v[param].i;
}

bool onshi__request_has(const onshi_request *req, int param)
{
    return req != NULL && param >= 1 && param <= PARAM_MAX && req->v[param].set;
}
