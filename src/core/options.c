/*
 * Numbered, typed options. The table is options.def; values live in ctx->opts, one slot per
 * table row, so adding an option never changes any struct.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "ctx_impl.h"

#include <stdlib.h>
#include <string.h>

#define STR ONSHI_OPTTYPE_STR
#define INT ONSHI_OPTTYPE_INT
#define BYTES ONSHI_OPTTYPE_BYTES
static const onshi__optdef optdefs[] = {
#define OPT(id, name, type, flags, di, mn, mx, ds, help) \
    {id, name, type, flags, di, mn, mx, ds, help},
#include "options.def"
#undef OPT
};
#undef STR
#undef INT
#undef BYTES

#define OPT_COUNT (sizeof optdefs / sizeof optdefs[0])

size_t onshi__optdef_count(void)
{
    return OPT_COUNT;
}

const onshi__optdef *onshi__optdef_at(size_t i)
{
    return i < OPT_COUNT ? &optdefs[i] : NULL;
}

static long opt_index(int id)
{
    /* The table is sorted by id (a unit test checks it): binary search. */
    size_t lo = 0, hi = OPT_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (optdefs[mid].id == id)
            return (long)mid;
        if (optdefs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const onshi__optdef *onshi__optdef_find(int id)
{
    long i = opt_index(id);
    return i < 0 ? NULL : &optdefs[i];
}

static void optval_clear(const onshi__optdef *d, onshi__optval *v)
{
    if (d->flags & ONSHI__OPT_F_SECRET)
        onshi__free_secret_str(v->s);
    else
        free(v->s);
    if (v->b != NULL) {
        onshi_mem_wipe(v->b, v->blen);
        free(v->b);
    }
    memset(v, 0, sizeof *v);
}

void onshi__opts_free(onshi_ctx *ctx)
{
    if (ctx->opts == NULL)
        return;
    for (size_t i = 0; i < OPT_COUNT; i++)
        optval_clear(&optdefs[i], &ctx->opts[i]);
    free(ctx->opts);
    ctx->opts = NULL;
}

/* Common checks of the setters and getters: returns the row index or a negative status. */
static long opt_lookup(const onshi_ctx *ctx, int option, int type)
{
    if (ctx == NULL)
        return ONSHI_E_INVALID_ARG;
    long i = opt_index(option);
    if (i < 0)
        return onshi__err((onshi_ctx *)ctx, ONSHI_E_UNKNOWN_OPTION, "option id %d", option);
    if (optdefs[i].type != type)
        return onshi__err((onshi_ctx *)ctx, ONSHI_E_OPTION_TYPE,
                          "option %s (%d) is not of the type used", optdefs[i].name, option);
    return i;
}

/* Per-option validation beyond type and range. */
static int opt_validate_str(onshi_ctx *ctx, const onshi__optdef *d, const char *value)
{
    if (d->id == ONSHI_OPT_LANG && strcmp(value, "ja") != 0 && strcmp(value, "en") != 0)
        return onshi__err(ctx, ONSHI_E_OPTION_RANGE, "option lang must be \"ja\" or \"en\"");
    /* Never refused: the central system is the authority on the institution's own code. */
    if (d->id == ONSHI_OPT_MEDICAL_INSTITUTION_CODE)
        (void)onshi__institution_code_warn(ctx, value);
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_set_str(onshi_ctx *ctx, int option, const char *value)
{
    long i = opt_lookup(ctx, option, ONSHI_OPTTYPE_STR);
    if (i < 0)
        return (int)i;
    const onshi__optdef *d = &optdefs[i];
    char *copy = NULL;
    if (value != NULL) {
        int rc = opt_validate_str(ctx, d, value);
        if (rc != ONSHI_OK)
            return rc;
        copy = onshi__strdup(value);
        if (copy == NULL)
            return onshi__err(ctx, ONSHI_E_NOMEM, "option %s", d->name);
    }
    optval_clear(d, &ctx->opts[i]);
    ctx->opts[i].s = copy;
    ctx->opts[i].set = copy != NULL;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_set_int(onshi_ctx *ctx, int option, int64_t value)
{
    long i = opt_lookup(ctx, option, ONSHI_OPTTYPE_INT);
    if (i < 0)
        return (int)i;
    const onshi__optdef *d = &optdefs[i];
    if (value < d->min_int || value > d->max_int)
        return onshi__err(ctx, ONSHI_E_OPTION_RANGE,
                          "option %s = %lld is outside %lld..%lld", d->name, (long long)value,
                          (long long)d->min_int, (long long)d->max_int);
    ctx->opts[i].i = value;
    ctx->opts[i].set = true;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_set_bytes(onshi_ctx *ctx, int option, const void *data,
                                             size_t len)
{
    long i = opt_lookup(ctx, option, ONSHI_OPTTYPE_BYTES);
    if (i < 0)
        return (int)i;
    const onshi__optdef *d = &optdefs[i];
    if (data == NULL && len != 0)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "option %s: NULL data with length", d->name);
    if (d->id == ONSHI_OPT_TLS_PINNED_KEY && len != 0 && len != 32)
        return onshi__err(ctx, ONSHI_E_OPTION_RANGE,
                          "option %s must be a 32-byte SHA-256, got %zu bytes", d->name, len);
    unsigned char *copy = NULL;
    if (len != 0) {
        copy = malloc(len);
        if (copy == NULL)
            return onshi__err(ctx, ONSHI_E_NOMEM, "option %s", d->name);
        memcpy(copy, data, len);
    }
    optval_clear(d, &ctx->opts[i]);
    ctx->opts[i].b = copy;
    ctx->opts[i].blen = len;
    ctx->opts[i].set = copy != NULL;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_get_str(const char **out, const onshi_ctx *ctx, int option)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    long i = opt_lookup(ctx, option, ONSHI_OPTTYPE_STR);
    if (i < 0)
        return (int)i;
    if (optdefs[i].flags & ONSHI__OPT_F_SECRET)
        return onshi__err((onshi_ctx *)ctx, ONSHI_E_OPTION_TYPE,
                          "option %s is secret and cannot be read back", optdefs[i].name);
    *out = onshi__opt_str(ctx, option);
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_ctx_get_int(int64_t *out, const onshi_ctx *ctx, int option)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    long i = opt_lookup(ctx, option, ONSHI_OPTTYPE_INT);
    if (i < 0)
        return (int)i;
    *out = onshi__opt_int(ctx, option);
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_option_id(const char *name)
{
    if (name == NULL)
        return ONSHI_E_INVALID_ARG;
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (strcmp(optdefs[i].name, name) == 0)
            return optdefs[i].id;
    return ONSHI_E_UNKNOWN_OPTION;
}

ONSHI_API const char *ONSHI_CALL onshi_option_name(int option)
{
    const onshi__optdef *d = onshi__optdef_find(option);
    return d ? d->name : NULL;
}

ONSHI_API int ONSHI_CALL onshi_option_type(int option)
{
    const onshi__optdef *d = onshi__optdef_find(option);
    return d ? d->type : ONSHI_E_UNKNOWN_OPTION;
}

ONSHI_API int ONSHI_CALL onshi_option_is_secret(int option)
{
    const onshi__optdef *d = onshi__optdef_find(option);
    return d ? (d->flags & ONSHI__OPT_F_SECRET) != 0 : ONSHI_E_UNKNOWN_OPTION;
}

/* ---- internal typed reads ---- */

int64_t onshi__opt_int(const onshi_ctx *ctx, int id)
{
    long i = opt_index(id);
    if (i < 0 || optdefs[i].type != ONSHI_OPTTYPE_INT)
        return 0;
    if (ctx != NULL && ctx->opts[i].set)
        return ctx->opts[i].i;
    return optdefs[i].def_int;
}

const char *onshi__opt_str(const onshi_ctx *ctx, int id)
{
    long i = opt_index(id);
    if (i < 0 || optdefs[i].type != ONSHI_OPTTYPE_STR)
        return NULL;
    if (ctx != NULL && ctx->opts[i].set)
        return ctx->opts[i].s;
    return optdefs[i].def_str;
}

const unsigned char *onshi__opt_bytes(const onshi_ctx *ctx, int id, size_t *len)
{
    long i = opt_index(id);
    if (len)
        *len = 0;
    if (ctx == NULL || i < 0 || optdefs[i].type != ONSHI_OPTTYPE_BYTES || !ctx->opts[i].set)
        return NULL;
    if (len)
        *len = ctx->opts[i].blen;
    return ctx->opts[i].b;
}

bool onshi__lang_ja(const onshi_ctx *ctx)
{
    const char *l = onshi__opt_str(ctx, ONSHI_OPT_LANG);
    return l == NULL || strcmp(l, "en") != 0;
}
