/*
 * Status codes: bands, names and descriptions in English and Japanese.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

typedef struct {
    int code;
    const char *name;
    const char *en;
    const char *ja;
} status_row;

static const status_row status_rows[] = {
#define X(name, en, ja) {name, #name, en, ja},
#include "status.def"
#undef X
};

static const status_row *status_find(int status)
{
    for (size_t i = 0; i < sizeof status_rows / sizeof status_rows[0]; i++)
        if (status_rows[i].code == status)
            return &status_rows[i];
    return NULL;
}

ONSHI_API int ONSHI_CALL onshi_status_band(int status)
{
    if (status == ONSHI_OK)
        return ONSHI_BAND_OK;
    if (status > 0 || status < -699)
        return ONSHI_BAND_UNKNOWN;
    /* -1..-99 core, -100..-199 card, ... -600..-699 callback */
    return (-status) / 100 + ONSHI_BAND_CORE;
}

const char *onshi__status_str_lang(int status, bool ja)
{
    const status_row *r = status_find(status);
    if (r == NULL)
        return ja ? "不明なステータス" : "unknown status";
    return ja ? r->ja : r->en;
}

ONSHI_API const char *ONSHI_CALL onshi_status_label(const onshi_ctx *ctx, int status)
{
    return onshi__status_str_lang(status, onshi__lang_ja(ctx));
}

ONSHI_API const char *ONSHI_CALL onshi_status_name(int status)
{
    const status_row *r = status_find(status);
    return r ? r->name : NULL;
}
