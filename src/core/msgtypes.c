/*
 * Message types and file-name prefixes: the lookups over msgtypes.def.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include <string.h>

static const onshi__msgtype msgtypes[] = {
/* the symbolic name without "ONSHI_MSG_" (an index, not `+`: clang warns on string + int) */
#define MSG(id, prefix, req, phase, ja, en) \
    {id, prefix, req, phase, ja, en, &(#id)[sizeof "ONSHI_MSG_" - 1]},
#define KNOWN(prefix, ja, en)
#include "msgtypes.def"
#undef KNOWN
#undef MSG
};

/* Families the system defines whose layouts are not sourced (msgtypes.def, KNOWN rows). */
static const struct {
    const char *prefix, *ja, *en;
} known_unsupported[] = {
#define MSG(id, prefix, req, phase, ja, en)
#define KNOWN(prefix, ja, en) {prefix, ja, en},
#include "msgtypes.def"
#undef KNOWN
#undef MSG
};

const char *onshi__msgtype_unsupported(const char *filename, bool ja)
{
    if (filename == NULL)
        return NULL;
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    for (size_t i = 0; i < sizeof known_unsupported / sizeof known_unsupported[0]; i++)
        if (strncmp(base, known_unsupported[i].prefix, strlen(known_unsupported[i].prefix)) == 0)
            return ja ? known_unsupported[i].ja : known_unsupported[i].en;
    return NULL;
}


const onshi__msgtype *onshi__msgtype_find(int type)
{
    for (size_t i = 0; i < sizeof msgtypes / sizeof msgtypes[0]; i++)
        if (msgtypes[i].id == type)
            return &msgtypes[i];
    return NULL;
}

size_t onshi__msgtype_count(void)
{
    return sizeof msgtypes / sizeof msgtypes[0];
}

const onshi__msgtype *onshi__msgtype_at(size_t i)
{
    return i < onshi__msgtype_count() ? &msgtypes[i] : NULL;
}

ONSHI_API const char *ONSHI_CALL onshi_msgtype_prefix(int type)
{
    const onshi__msgtype *m = onshi__msgtype_find(type);
    return m ? m->prefix : NULL;
}

ONSHI_API int ONSHI_CALL onshi_msgtype_from_filename(const char *filename)
{
    if (filename == NULL)
        return ONSHI_E_UNKNOWN_MESSAGE;
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    /* The longest matching prefix wins ("OQSsiquc01res_face" over "OQSsiquc01res"), and a
     * prefix must be followed by '_' (the identifier) or '.' (no identifier). */
    const onshi__msgtype *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < onshi__msgtype_count(); i++) {
        const char *pre = msgtypes[i].prefix;
        if (pre == NULL)
            continue;
        size_t n = strlen(pre);
        if (strncmp(base, pre, n) == 0 && (base[n] == '_' || base[n] == '.') && n > best_len) {
            best = &msgtypes[i];
            best_len = n;
        }
    }
    if (best != NULL)
        return best->id;
    return onshi__msgtype_unsupported(base, false) ? ONSHI_E_MESSAGE_UNSUPPORTED
                                                   : ONSHI_E_UNKNOWN_MESSAGE;
}

ONSHI_API const char *ONSHI_CALL onshi_msgtype_label(const onshi_ctx *ctx, int type)
{
    bool ja = onshi__lang_ja(ctx);
    const onshi__msgtype *m = onshi__msgtype_find(type);
    if (m == NULL)
        return NULL;
    return ja ? m->ja : m->en;
}
