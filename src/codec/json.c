/*
 * JSON export and import with cJSON: keys are the XML element names, nesting as in XML,
 * repeatable groups always arrays (other repeated elements arrays when repeated), values as
 * UTF-8 strings, plus "_type" and "_warnings". Unknown elements are exported as they came.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cJSON's nodes and printed text hold the patients' names: every block it frees is wiped
 * (custom hooks also make cJSON grow its print buffer by malloc + copy + free, not realloc). */
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static void *json_malloc(size_t n)
{
    return malloc(n);
}
static void hooks_init(void)
{
    cJSON_Hooks h = {json_malloc, onshi__free_wiped};
    cJSON_InitHooks(&h);
}

static bool repeatable(const onshi_group *n)
{
    if (n->kind == 0 || n->parent == NULL)
        return false;
    const onshi_group *owner = onshi__group_of(n);
    const onshi__child *c = owner ? onshi__child_by_kind(owner->kind, n->kind, n->variant) : NULL;
    return c != NULL && c->repeat;
}

static cJSON *node_json(const onshi_group *n)
{
    if (n->first == NULL && n->kind == 0 && !n->wrapper)
        return cJSON_CreateString(n->text ? n->text : "");
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    for (const onshi_group *c = n->first; c != NULL; c = c->next) {
        cJSON *v = node_json(c);
        if (v == NULL) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON *have = cJSON_GetObjectItemCaseSensitive(o, c->name);
        if (have == NULL) {
            if (repeatable(c)) {
                cJSON *a = cJSON_CreateArray();
                if (a == NULL || !cJSON_AddItemToArray(a, v) || !cJSON_AddItemToObject(o, c->name, a)) {
                    cJSON_Delete(a);
                    cJSON_Delete(o);
                    return NULL;
                }
            } else if (!cJSON_AddItemToObject(o, c->name, v)) {
                cJSON_Delete(v);
                cJSON_Delete(o);
                return NULL;
            }
        } else if (cJSON_IsArray(have)) {
            cJSON_AddItemToArray(have, v);
        } else {
            /* A repeated element the schema does not know: turn the first into an array. */
            cJSON *a = cJSON_CreateArray();
            cJSON *first = cJSON_DetachItemFromObjectCaseSensitive(o, c->name);
            if (a == NULL) {
                cJSON_Delete(first);
                cJSON_Delete(v);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToArray(a, first);
            cJSON_AddItemToArray(a, v);
            cJSON_AddItemToObject(o, c->name, a);
        }
    }
    return o;
}

static const char *warn_kind_name(int k)
{
    switch (k) {
    case ONSHI_WARN_REPLACEMENT_CHAR: return "replacement_char";
    case ONSHI_WARN_NOT_JIS_X0208: return "not_jis_x0208";
    case ONSHI_WARN_UNKNOWN_CODE: return "unknown_code";
    case ONSHI_WARN_FORMAT: return "format";
    case ONSHI_WARN_ENCODING_HINT: return "encoding_hint";
    case ONSHI_WARN_PADDED: return "padded";
    case ONSHI_WARN_DROPPED: return "dropped";
    default: return "other";
    }
}

/* Print `print` (NULL: a failure while building) into a new buffer, free `owned`. */
static int emit(onshi_ctx *ctx, const cJSON *print, cJSON *owned, onshi_buf **out)
{
    char *s = print ? cJSON_Print(print) : NULL;
    cJSON_Delete(owned);
    if (s == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "JSON export");
    /* The NUL is kept behind len so callers may use the bytes as a C string. */
    int rc = onshi__buf_new_copy(s, strlen(s) + 1, out);
    cJSON_free(s);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "JSON export");
    (*out)->len--;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_msg_to_json(onshi_buf **out, onshi_ctx *ctx, const onshi_msg *msg)
{
    pthread_once(&hooks_once, hooks_init);
    if (msg == NULL || out == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "msg or out is NULL");
    *out = NULL;
    cJSON *o = cJSON_CreateObject();
    /* the file prefix; a message of the HTTPS binding only has none: its type's name */
    const char *prefix = onshi_msgtype_prefix(msg->type);
    const onshi__msgtype *mt = onshi__msgtype_find(msg->type);
    if (prefix == NULL && mt != NULL)
        prefix = mt->sym;
    bool ok = o != NULL && cJSON_AddStringToObject(o, "_type", prefix ? prefix : "") != NULL;
    cJSON *warns = ok ? cJSON_AddArrayToObject(o, "_warnings") : NULL;
    ok = warns != NULL;
    for (size_t i = 0; ok && i < msg->doc.nwarn; i++) {
        cJSON *w = cJSON_CreateObject();
        ok = w != NULL && cJSON_AddItemToArray(warns, w) &&
             cJSON_AddStringToObject(w, "path", msg->doc.warn[i].path) != NULL &&
             cJSON_AddStringToObject(w, "kind", warn_kind_name(msg->doc.warn[i].kind)) != NULL &&
             cJSON_AddStringToObject(w, "message", msg->doc.warn[i].text) != NULL;
    }
    if (ok && msg->attach_name != NULL) {
        ok = cJSON_AddStringToObject(o, "_file", msg->attach_name) != NULL &&
             cJSON_AddNumberToObject(o, "_bytes", (double)msg->attach_len) != NULL;
        /* .err text is shown; PDF bytes are not JSON material. */
        if (ok && msg->attach_len > 0 && onshi__utf8_invalid_at(msg->attach, msg->attach_len, false) == msg->attach_len &&
            memchr(msg->attach, 0, msg->attach_len) == NULL)
            ok = cJSON_AddStringToObject(o, "_text", (const char *)msg->attach) != NULL;
    }
    if (ok && msg->root != NULL && msg->attach_name == NULL) {
        cJSON *x = node_json(msg->root);
        ok = x != NULL && cJSON_AddItemToObject(o, "XmlMsg", x);
        if (!ok)
            cJSON_Delete(x);
    }
    return emit(ctx, ok ? o : NULL, o, out);
}

ONSHI_API int ONSHI_CALL onshi_group_to_json(onshi_buf **out, onshi_ctx *ctx, const onshi_group *g)
{
    pthread_once(&hooks_once, hooks_init);
    if (g == NULL || out == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "group or out is NULL");
    *out = NULL;
    cJSON *o = node_json(g);
    if (o != NULL && cJSON_IsString(o)) {
        /* a group read from an empty element: still an object */
        cJSON_Delete(o);
        o = cJSON_CreateObject();
    }
    return emit(ctx, o, o, out);
}

/* ---- import ------------------------------------------------------------------------------- */

static int from_obj(onshi_ctx *ctx, onshi_group *g, const cJSON *obj, const char *where);

static int add_groups(onshi_ctx *ctx, onshi_group *g, const onshi__child *c, const cJSON *v,
                      const char *where)
{
    const cJSON *it = v;
    bool arr = cJSON_IsArray(v);
    if (arr)
        it = v->child;
    for (; it != NULL; it = arr ? it->next : NULL) {
        if (!cJSON_IsObject(it))
            return onshi__err(ctx, ONSHI_E_JSON, "%s/%s: expected an object", where, c->elem);
        onshi_group *n;
        int rc = onshi__group_add_row(g, c, &n);
        if (rc != ONSHI_OK)
            return onshi__err(ctx, rc, "%s/%s", where, c->elem);
        char sub[256];
        snprintf(sub, sizeof sub, "%s/%s", where, c->elem);
        rc = from_obj(ctx, n, it, sub);
        if (rc != ONSHI_OK)
            return rc;
    }
    return ONSHI_OK;
}

static int from_obj(onshi_ctx *ctx, onshi_group *g, const cJSON *obj, const char *where)
{
    if (!cJSON_IsObject(obj))
        return onshi__err(ctx, ONSHI_E_JSON, "%s: expected an object", where);
    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        const char *k = it->string;
        if (k == NULL || k[0] == '_')
            continue;
        const onshi__field *f = onshi__field_by_elem(g->kind, g->variant, k);
        if (f != NULL && cJSON_IsArray(it)) {
            /* a repeated field (ReferenceNumber in a BulkConfirmUnit): strings, in order */
            size_t idx = 0;
            for (const cJSON *e = it->child; e != NULL; e = e->next, idx++) {
                if (!cJSON_IsString(e))
                    return onshi__err(ctx, ONSHI_E_JSON, "%s/%s[%zu]: expected a string", where,
                                      k, idx);
                int rc = idx == 0 ? onshi_group_set_str(g, f->id, e->valuestring)
                                  : onshi__field_append(g, f, e->valuestring);
                if (rc != ONSHI_OK)
                    return onshi__err(ctx, rc, "%s/%s[%zu]: %s", where, k, idx,
                                      rc == ONSHI_E_FIELD_LENGTH ? "too long" : "wrong format");
            }
            continue;
        }
        if (f != NULL) {
            char num[32];
            const char *v;
            if (cJSON_IsString(it))
                v = it->valuestring;
            else if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < 1e15 &&
                     it->valuedouble == (double)(int64_t)it->valuedouble) {
                snprintf(num, sizeof num, "%lld", (long long)it->valuedouble);
                v = num;
            } else
                return onshi__err(ctx, ONSHI_E_JSON, "%s/%s: expected a string", where, k);
            int rc = onshi_group_set_str(g, f->id, v);
            if (rc != ONSHI_OK)
                return onshi__err(ctx, rc, "%s/%s: %s", where, k,
                                  rc == ONSHI_E_FIELD_LENGTH ? "too long" : "wrong format");
            continue;
        }
        const onshi__child *c = onshi__child_by_elem(g->kind, k, NULL);
        if (c != NULL) {
            int rc = add_groups(ctx, g, c, it, where);
            if (rc != ONSHI_OK)
                return rc;
            continue;
        }
        if (onshi__is_wrapper(g->kind, k) && cJSON_IsObject(it)) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s/%s", where, k);
            for (const cJSON *in = it->child; in != NULL; in = in->next) {
                const onshi__child *wc = in->string ? onshi__child_by_elem(g->kind, in->string, k) : NULL;
                if (wc == NULL)
                    return onshi__err(ctx, ONSHI_E_JSON, "%s: unknown element \"%.60s\"", sub,
                                      in->string ? in->string : "");
                int rc = add_groups(ctx, g, wc, in, where);
                if (rc != ONSHI_OK)
                    return rc;
            }
            continue;
        }
        return onshi__err(ctx, ONSHI_E_JSON, "%s: unknown element \"%.60s\"", where, k);
    }
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_msg_from_json(onshi_msg **out, onshi_ctx *ctx, int type,
                                             const char *json, size_t len)
{
    pthread_once(&hooks_once, hooks_init);
    if (out == NULL || json == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out or json is NULL");
    *out = NULL;
    onshi_msg *m;
    int rc = onshi_msg_new(&m, type);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "message type %d", type);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (doc == NULL) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= json && at <= json + len ? (size_t)(at - json) : 0;
        onshi_msg_free(m);
        return onshi__err(ctx, ONSHI_E_JSON, "JSON syntax error at byte %zu", off);
    }
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(doc, "XmlMsg");
    if (root == NULL)
        root = doc;
    rc = ONSHI_OK;
    if (!cJSON_IsObject(root))
        rc = onshi__err(ctx, ONSHI_E_JSON, "top level: expected an object");
    for (const cJSON *it = rc == ONSHI_OK ? root->child : NULL; it != NULL && rc == ONSHI_OK; it = it->next) {
        if (it->string == NULL || it->string[0] == '_')
            continue;
        if (strcmp(it->string, "MessageHeader") == 0)
            rc = from_obj(ctx, m->header, it, "MessageHeader");
        else if (strcmp(it->string, "MessageBody") == 0)
            rc = from_obj(ctx, m->body, it, "MessageBody");
        else
            rc = onshi__err(ctx, ONSHI_E_JSON, "XmlMsg: unknown element \"%.60s\"", it->string);
    }
    cJSON_Delete(doc);
    if (rc != ONSHI_OK) {
        onshi_msg_free(m);
        return rc;
    }
    *out = m;
    return ONSHI_OK;
}

/* ---- flat records (a JSON array of objects with string / number members) ---------------- */

struct onshi__json_records {
    cJSON *arr, *cur;
    bool failed;
};

onshi__json_records *onshi__json_records_new(void)
{
    onshi__json_records *w = onshi__calloc(1, sizeof *w);
    if (w != NULL && (w->arr = cJSON_CreateArray()) == NULL) {
        free(w);
        w = NULL;
    }
    return w;
}

void onshi__json_records_next(onshi__json_records *w)
{
    if (w == NULL || w->failed)
        return;
    w->cur = cJSON_CreateObject();
    if (w->cur == NULL || !cJSON_AddItemToArray(w->arr, w->cur)) {
        cJSON_Delete(w->cur);
        w->cur = NULL;
        w->failed = true;
    }
}

void onshi__json_records_str(onshi__json_records *w, const char *key, const char *value)
{
    if (w == NULL || w->failed || w->cur == NULL ||
        cJSON_AddStringToObject(w->cur, key, value ? value : "") == NULL)
        if (w != NULL)
            w->failed = true;
}

void onshi__json_records_num(onshi__json_records *w, const char *key, int64_t value)
{
    if (w == NULL || w->failed || w->cur == NULL ||
        cJSON_AddNumberToObject(w->cur, key, (double)value) == NULL)
        if (w != NULL)
            w->failed = true;
}

int onshi__json_records_finish(onshi__json_records *w, onshi_ctx *ctx, onshi_buf **out)
{
    *out = NULL;
    char *s = w != NULL && !w->failed ? cJSON_PrintUnformatted(w->arr) : NULL;
    if (w != NULL)
        cJSON_Delete(w->arr);
    free(w);
    if (s == NULL)
        return ctx ? onshi__err(ctx, ONSHI_E_NOMEM, "JSON records") : ONSHI_E_NOMEM;
    /* The NUL is kept behind len so callers may use the bytes as a C string. */
    int rc = onshi__buf_new_copy(s, strlen(s) + 1, out);
    cJSON_free(s);
    if (rc != ONSHI_OK)
        return ctx ? onshi__err(ctx, rc, "JSON records") : rc;
    (*out)->len--;
    return ONSHI_OK;
}
