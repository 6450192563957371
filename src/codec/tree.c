/*
 * The message tree: arena-allocated nodes, typed access by field id, warnings, and the
 * public onshi_msg / onshi_group calls.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------------------ */

struct onshi__chunk {
    onshi__chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

#define CHUNK 16384

void *onshi__arena_alloc(onshi__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    onshi__chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK ? n : CHUNK;
        onshi__chunk *nc = malloc(sizeof *nc + cap);
        if (nc == NULL)
            return NULL;
        nc->cap = cap;
        nc->used = 0;
        /* A big one-off block goes behind the current chunk so the current one keeps
         * serving small allocations. */
        if (c != NULL && n > CHUNK) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_total += n;
    return p;
}

char *onshi__arena_strndup(onshi__arena *a, const char *s, size_t n)
{
    char *p = onshi__arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void onshi__arena_reset(onshi__arena *a)
{
    onshi__chunk *keep = NULL;
    for (onshi__chunk *c = a->head, *n; c != NULL; c = n) {
        n = c->next;
        /* Values are personal data (names, numbers): wiped before reuse or release. */
        onshi_mem_wipe(c->data, c->used);
        if (keep == NULL && c->cap == CHUNK) {
            keep = c;
            continue;
        }
        free(c);
    }
    a->head = keep;
    if (keep != NULL) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->used_total = 0;
}

size_t onshi__arena_chunks(const onshi__arena *a)
{
    size_t n = 0;
    for (const onshi__chunk *c = a->head; c != NULL; c = c->next)
        n++;
    return n;
}

void onshi__arena_free(onshi__arena *a)
{
    for (onshi__chunk *c = a->head, *n; c != NULL; c = n) {
        n = c->next;
        onshi_mem_wipe(c->data, c->used); /* names and numbers of the message */
        free(c);
    }
    a->head = NULL;
    a->used_total = 0;
}

/* ---- doc and warnings -------------------------------------------------------------------- */

static void warn_clear(onshi__doc *d)
{
    for (size_t i = 0; i < d->nwarn; i++) {
        free(d->warn[i].path);
        free(d->warn[i].text);
    }
    d->nwarn = 0;
}

void onshi__doc_reset(onshi__doc *d)
{
    warn_clear(d);
    onshi__arena_reset(&d->arena);
    d->oom = false;
    d->warn_dropped = 0;
}

void onshi__doc_free(onshi__doc *d)
{
    warn_clear(d);
    free(d->warn);
    d->warn = NULL;
    d->capwarn = 0;
    onshi__arena_free(&d->arena);
}

char *onshi__path(const onshi_group *node, unsigned unit_index, bool in_unit)
{
    const onshi_group *chain[300]; /* deeper than the largest xml_max_depth (256) */
    size_t n = 0;
    for (const onshi_group *p = node; p != NULL && n < 300; p = p->parent) {
        if (p->parent == NULL && strcmp(p->name, "XmlMsg") == 0)
            break;
        chain[n++] = p;
    }
    onshi_buf b;
    onshi__buf_init(&b, false);
    for (size_t i = n; i-- > 0;) {
        const onshi_group *p = chain[i];
        unsigned idx = p->idx;
        bool linked = false;
        if (p->parent != NULL && !p->idx_ok) {
            unsigned k = 0;
            for (const onshi_group *s = p->parent->first; s != NULL; s = s->next) {
                ONSHI__WORK(1);
                if (s == p) {
                    linked = true;
                    break;
                }
                if (strcmp(s->name, p->name) == 0)
                    k++;
            }
            if (linked)
                idx = k;
        }
        if (in_unit && p->kind == ONSHI_G_BULK_UNIT)
            idx = unit_index;
        bool indexed = idx > 0 || (p->next != NULL && strcmp(p->next->name, p->name) == 0) ||
                       (in_unit && p->kind == ONSHI_G_BULK_UNIT);
        if (p->kind != 0) {
            const onshi__child *c = p->parent ? onshi__child_by_kind(
                                                    onshi__group_of(p)->kind, p->kind, p->variant)
                                              : NULL;
            if (c != NULL && c->repeat)
                indexed = true;
        }
        if (indexed)
            onshi__buf_printf(&b, "%s%s[%u]", i + 1 < n ? "/" : "", p->name, idx);
        else
            onshi__buf_printf(&b, "%s%s", i + 1 < n ? "/" : "", p->name);
    }
    if (onshi__buf_append(&b, "", 1) != ONSHI_OK) {
        onshi__buf_clear(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* Warnings kept per doc (message or unit); the rest are counted and reported once. */
#define MAX_WARNINGS 1000

static void vwarn(onshi_group *node, bool force, int kind, const char *fmt, va_list ap)
{
    onshi__doc *d = node->doc;
    if (!force && d->nwarn >= MAX_WARNINGS) {
        d->warn_dropped++;
        return;
    }
    if (d->nwarn == d->capwarn) {
        size_t cap = d->capwarn ? d->capwarn * 2 : 8;
        onshi__warning *w = realloc(d->warn, cap * sizeof *w);
        if (w == NULL) {
            d->oom = true;
            return;
        }
        d->warn = w;
        d->capwarn = cap;
    }
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    onshi__warning *w = &d->warn[d->nwarn];
    w->kind = kind;
    w->path = onshi__path(node, d->unit_index, d->in_unit);
    w->text = onshi__strdup(text);
    if (w->path == NULL || w->text == NULL) {
        free(w->path);
        free(w->text);
        d->oom = true;
        return;
    }
    d->nwarn++;
}

void onshi__warn(onshi_group *node, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(node, false, kind, fmt, ap);
    va_end(ap);
}

void onshi__warn_forced(onshi_group *node, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(node, true, kind, fmt, ap);
    va_end(ap);
}

void onshi__warn_flush(onshi_group *node)
{
    onshi__doc *d = node->doc;
    if (d->warn_dropped > 0) {
        size_t n = d->warn_dropped;
        d->warn_dropped = 0;
        onshi__warn_forced(node, ONSHI_WARN_DROPPED, "%zu more warning(s) beyond the first %d not kept",
                           n, MAX_WARNINGS);
    }
}

const char *onshi__warn_text(const onshi__doc *d, size_t i, int *kind, const char **path)
{
    if (i >= d->nwarn)
        return NULL;
    if (kind)
        *kind = d->warn[i].kind;
    if (path)
        *path = d->warn[i].path;
    return d->warn[i].text;
}

/* ---- nodes ------------------------------------------------------------------------------- */

onshi_group *onshi__node_new(onshi__doc *d, onshi_group *parent, const char *name, size_t len)
{
    onshi_group *g = onshi__arena_alloc(&d->arena, sizeof *g);
    if (g == NULL) {
        d->oom = true;
        return NULL;
    }
    memset(g, 0, sizeof *g);
    g->doc = d;
    g->parent = parent;
    g->name = name;
    if (len != (size_t)-1) {
        g->name = onshi__arena_strndup(&d->arena, name, len);
        if (g->name == NULL) {
            d->oom = true;
            return NULL;
        }
    }
    if (parent != NULL) {
        /* idx (for warning paths) is worked out when a path is built, not here: counting
         * same-named siblings per element would cost O(n^2) in large groups. */
        if (parent->last != NULL)
            parent->last->next = g;
        else
            parent->first = g;
        parent->last = g;
    }
    return g;
}

onshi_group *onshi__child_find(const onshi_group *g, const char *name)
{
    for (onshi_group *c = g->first; c != NULL; c = c->next) {
        ONSHI__WORK(1);
        if (c->name == name || strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

const onshi_group *onshi__group_of(const onshi_group *node)
{
    const onshi_group *p = node->parent;
    if (p != NULL && p->wrapper)
        p = p->parent;
    return p;
}

static onshi__kidx *kidx_of(const onshi_group *g, int kind)
{
    for (onshi__kidx *x = g->kidx; x != NULL; x = x->next) {
        ONSHI__WORK(1);
        if (x->kind == kind)
            return x;
    }
    return NULL;
}

/* Enter n in g's index of its kind at position pos (SIZE_MAX: at the end). */
static int kidx_insert(onshi_group *g, onshi_group *n, size_t pos)
{
    onshi__kidx *x = kidx_of(g, n->kind);
    if (x == NULL) {
        x = onshi__arena_alloc(&g->doc->arena, sizeof *x);
        if (x == NULL)
            return ONSHI_E_NOMEM;
        memset(x, 0, sizeof *x);
        x->kind = n->kind;
        x->next = g->kidx;
        g->kidx = x;
    }
    if (x->n == x->cap) {
        /* Doubling in the arena: the outgrown arrays stay there until the doc is freed,
         * together at most the size of the last one. */
        size_t cap = x->cap ? x->cap * 2 : 4;
        onshi_group **v = onshi__arena_alloc(&g->doc->arena, cap * sizeof *v);
        if (v == NULL)
            return ONSHI_E_NOMEM;
        if (x->n)
            memcpy(v, x->v, x->n * sizeof *v);
        ONSHI__WORK(x->n);
        x->v = v;
        x->cap = cap;
    }
    if (pos >= x->n) {
        pos = x->n;
        /* Its index among same-named siblings (warning paths), from the nearest such row
         * before it; rows of one kind under several names (drug sources) may leave it
         * unknown, then a path counts. */
        n->idx = 0;
        n->idx_ok = true;
        for (size_t k = pos, steps = 0; k-- > 0 && steps < 8; steps++) {
            ONSHI__WORK(1);
            const onshi_group *s = x->v[k];
            if (s->parent == n->parent && strcmp(s->name, n->name) == 0) {
                n->idx = s->idx + 1;
                n->idx_ok = s->idx_ok;
                break;
            }
            if (s->parent != n->parent || steps == 7) {
                n->idx_ok = false; /* an earlier wrapper, or far: a path counts */
                break;
            }
        }
    } else {
        memmove(x->v + pos + 1, x->v + pos, (x->n - pos) * sizeof *x->v);
        ONSHI__WORK(x->n - pos);
        for (size_t k = pos + 1; k <= x->n; k++)
            x->v[k]->idx_ok = false; /* they moved: a path counts again */
        n->idx_ok = false;
    }
    x->v[pos] = n;
    x->n++;
    return ONSHI_OK;
}

int onshi__node_set_kind(onshi_group *n, int kind)
{
    n->kind = kind;
    onshi_group *g = (onshi_group *)onshi__group_of(n);
    if (kind == 0 || g == NULL)
        return ONSHI_OK;
    int rc = kidx_insert(g, n, (size_t)-1);
    if (rc != ONSHI_OK)
        n->doc->oom = true;
    return rc;
}

int onshi__leaf_set(onshi_group *g, const char *name, const char *value, size_t len)
{
    onshi_group *leaf = onshi__child_find(g, name);
    if (leaf == NULL) {
        leaf = onshi__node_new(g->doc, g, name, (size_t)-1);
        if (leaf == NULL)
            return ONSHI_E_NOMEM;
    }
    leaf->text = onshi__arena_strndup(&g->doc->arena, value, len);
    return leaf->text ? ONSHI_OK : ONSHI_E_NOMEM;
}

int onshi__leaf_append(onshi_group *g, const char *name, const char *value, size_t len)
{
    onshi_group *leaf = onshi__node_new(g->doc, g, name, (size_t)-1);
    if (leaf == NULL)
        return ONSHI_E_NOMEM;
    leaf->text = onshi__arena_strndup(&g->doc->arena, value, len);
    return leaf->text ? ONSHI_OK : ONSHI_E_NOMEM;
}

int onshi__msg_alloc(onshi_msg **out, int type, bool skeleton)
{
    onshi_msg *m = onshi__calloc(1, sizeof *m);
    if (m == NULL)
        return ONSHI_E_NOMEM;
    m->type = type;
    if (skeleton) {
        m->root = onshi__node_new(&m->doc, NULL, "XmlMsg", (size_t)-1);
        m->header = m->root ? onshi__node_new(&m->doc, m->root, "MessageHeader", (size_t)-1) : NULL;
        m->body = m->header ? onshi__node_new(&m->doc, m->root, "MessageBody", (size_t)-1) : NULL;
        if (m->body == NULL) {
            onshi_msg_free(m);
            return ONSHI_E_NOMEM;
        }
        if (onshi__node_set_kind(m->header, ONSHI_G_HEADER) != ONSHI_OK ||
            onshi__node_set_kind(m->body, ONSHI_G_BODY) != ONSHI_OK) {
            onshi_msg_free(m);
            return ONSHI_E_NOMEM;
        }
    }
    *out = m;
    return ONSHI_OK;
}

/* ---- public: messages -------------------------------------------------------------------- */

ONSHI_API int ONSHI_CALL onshi_msg_new(onshi_msg **out, int type)
{
    if (out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (onshi__msgtype_find(type) == NULL)
        return ONSHI_E_UNKNOWN_MESSAGE;
    return onshi__msg_alloc(out, type, true);
}

ONSHI_API void ONSHI_CALL onshi_msg_free(onshi_msg *msg)
{
    if (msg == NULL)
        return;
    onshi__doc_free(&msg->doc);
    onshi__free_wiped(msg->attach); /* a drug/checkup PDF: personal data */
    free(msg->attach_name);
    free(msg);
}

ONSHI_API int ONSHI_CALL onshi_msg_type(const onshi_msg *msg)
{
    return msg ? msg->type : ONSHI_E_INVALID_ARG;
}

ONSHI_API onshi_group *ONSHI_CALL onshi_msg_header(onshi_msg *msg)
{
    return msg ? msg->header : NULL;
}

ONSHI_API onshi_group *ONSHI_CALL onshi_msg_body(onshi_msg *msg)
{
    return msg ? msg->body : NULL;
}

ONSHI_API int ONSHI_CALL onshi_msg_attachment(const unsigned char **data, size_t *len,
                                              const char **filename, const onshi_msg *msg)
{
    if (msg == NULL)
        return ONSHI_E_INVALID_ARG;
    if (data)
        *data = msg->attach;
    if (len)
        *len = msg->attach_len;
    if (filename)
        *filename = msg->attach_name;
    return msg->attach ? ONSHI_OK : ONSHI_E_NOT_FOUND;
}

ONSHI_API size_t ONSHI_CALL onshi_msg_warning_count(const onshi_msg *msg)
{
    return msg ? msg->doc.nwarn : 0;
}

ONSHI_API int ONSHI_CALL onshi_msg_warning_at(int *kind, const char **path, const char **text,
                                              const onshi_msg *msg, size_t i)
{
    if (msg == NULL)
        return ONSHI_E_INVALID_ARG;
    const char *t = onshi__warn_text(&msg->doc, i, kind, path);
    if (t == NULL)
        return ONSHI_E_NOT_FOUND;
    if (text)
        *text = t;
    return ONSHI_OK;
}

/* ---- public: groups ---------------------------------------------------------------------- */

ONSHI_API int ONSHI_CALL onshi_group_kind(const onshi_group *g)
{
    return g ? g->kind : 0;
}

ONSHI_API size_t ONSHI_CALL onshi_group_count(const onshi_group *g, int kind)
{
    const onshi__kidx *x = g ? kidx_of(g, kind) : NULL;
    return x ? x->n : 0;
}

ONSHI_API int ONSHI_CALL onshi_group_at(onshi_group **out, onshi_group *g, int kind, size_t i)
{
    if (g == NULL || out == NULL)
        return ONSHI_E_INVALID_ARG;
    const onshi__kidx *x = kidx_of(g, kind);
    *out = x != NULL && i < x->n ? x->v[i] : NULL;
    return *out ? ONSHI_OK : ONSHI_E_NOT_FOUND;
}

static int field_of(const onshi_group *g, int field, const onshi__field **out)
{
    if (g == NULL)
        return ONSHI_E_INVALID_ARG;
    const onshi__field *f = onshi__field_by_id(field, g->variant);
    if (f == NULL || f->group != g->kind)
        return ONSHI_E_FIELD_ID;
    *out = f;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_group_get_str(const char **out, const onshi_group *g, int field)
{
    const onshi__field *f;
    int rc = field_of(g, field, &f);
    if (rc != ONSHI_OK || out == NULL)
        return rc != ONSHI_OK ? rc : ONSHI_E_INVALID_ARG;
    onshi_group *leaf = onshi__child_find(g, f->elem);
    if (leaf == NULL || leaf->first != NULL)
        return ONSHI_E_NOT_FOUND;
    *out = leaf->text ? leaf->text : "";
    return ONSHI_OK;
}

/* The fields that repeat in their group. Several ReferenceNumber per BulkConfirmUnit: a
 * production result watcher (OQSDrug2) reads every one (issue 11; docs/codec.md). */
static const int repeating_fields[] = {ONSHI_F_UNIT_REFERENCE_NUMBER};

bool onshi__field_repeats(const onshi__field *f)
{
    for (size_t i = 0; i < sizeof repeating_fields / sizeof repeating_fields[0]; i++)
        if (f->id == repeating_fields[i])
            return true;
    return false;
}

ONSHI_API size_t ONSHI_CALL onshi_group_count_str(const onshi_group *g, int field)
{
    const onshi__field *f;
    if (field_of(g, field, &f) != ONSHI_OK)
        return 0;
    size_t n = 0;
    for (const onshi_group *c = g->first; c != NULL; c = c->next)
        if (c->first == NULL && strcmp(c->name, f->elem) == 0)
            n++;
    return n;
}

ONSHI_API int ONSHI_CALL onshi_group_get_str_at(const char **out, const onshi_group *g, int field,
                                                size_t i)
{
    const onshi__field *f;
    int rc = field_of(g, field, &f);
    if (rc != ONSHI_OK || out == NULL)
        return rc != ONSHI_OK ? rc : ONSHI_E_INVALID_ARG;
    for (const onshi_group *c = g->first; c != NULL; c = c->next)
        if (c->first == NULL && strcmp(c->name, f->elem) == 0 && i-- == 0) {
            *out = c->text ? c->text : "";
            return ONSHI_OK;
        }
    return ONSHI_E_NOT_FOUND;
}

ONSHI_API int ONSHI_CALL onshi_group_get_int(int64_t *out, const onshi_group *g, int field)
{
    const char *s;
    int rc = onshi_group_get_str(&s, g, field);
    if (rc != ONSHI_OK)
        return rc;
    if (*s == '\0' || strlen(s) > 18)
        return ONSHI_E_FIELD_FORMAT;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return ONSHI_E_FIELD_FORMAT;
        v = v * 10 + (*s - '0');
    }
    if (out)
        *out = v;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_group_get_label(const char **out, const onshi_ctx *ctx,
                                               const onshi_group *g, int field)
{
    const onshi__field *f;
    int rc = field_of(g, field, &f);
    if (rc != ONSHI_OK)
        return rc;
    if (f->table == 0)
        return ONSHI_E_FIELD_ID;
    const char *s;
    rc = onshi_group_get_str(&s, g, field);
    if (rc != ONSHI_OK)
        return rc;
    const char *l = onshi__code_label(f->table, s, onshi__lang_ja(ctx));
    if (l == NULL)
        return ONSHI_E_CODE_VALUE;
    if (out)
        *out = l;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_group_set_str(onshi_group *g, int field, const char *value)
{
    const onshi__field *f;
    int rc = field_of(g, field, &f);
    if (rc != ONSHI_OK)
        return rc;
    if (value == NULL) {
        /* Unlink the leaf; its memory stays in the arena until the message is freed. */
        onshi_group *prev = NULL;
        for (onshi_group *c = g->first; c != NULL; prev = c, c = c->next)
            if (strcmp(c->name, f->elem) == 0) {
                if (prev)
                    prev->next = c->next;
                else
                    g->first = c->next;
                if (g->last == c)
                    g->last = prev;
                break;
            }
        return ONSHI_OK;
    }
    char buf[16];
    if (f->kind == K_INSURER) {
        /* Accept the padded forms callers copy from results. */
        while (*value == ' ')
            value++;
        if (strlen(value) == 8 && value[0] == '0' && value[1] == '0') {
            memcpy(buf, value + 2, 7);
            value = buf;
        }
    }
    int st;
    /* An empty element is what some systems send for an absent optional value; it is kept
     * as such (and counts as missing where the field is mandatory). */
    if (*value != '\0' && onshi__format_problem(f, value, &st) != NULL)
        return st;
    return onshi__leaf_set(g, f->elem, value, strlen(value));
}

int onshi__field_append(onshi_group *g, const onshi__field *f, const char *value)
{
    int st;
    if (*value != '\0' && onshi__format_problem(f, value, &st) != NULL)
        return st;
    return onshi__leaf_append(g, f->elem, value, strlen(value));
}

/* Number of rows of `kind` in g up to the end of its child `upto` (document order). */
static size_t rows_through(const onshi_group *g, int kind, const onshi_group *upto)
{
    size_t n = 0;
    for (const onshi_group *c = g->first; c != NULL; c = c->next) {
        ONSHI__WORK(1);
        if (c->kind == kind)
            n++;
        else if (c->wrapper)
            for (const onshi_group *w = c->first; w != NULL; w = w->next) {
                ONSHI__WORK(1);
                n += w->kind == kind;
            }
        if (c == upto)
            break;
    }
    return n;
}

int onshi__group_add_row(onshi_group *g, const onshi__child *c, onshi_group **out)
{
    onshi_group *parent = g;
    if (c->wrapper != NULL) {
        /* the last wrapper of that name; rows are wrapped, so g's own children are few */
        parent = g->last != NULL && g->last->wrapper && strcmp(g->last->name, c->wrapper) == 0
                     ? g->last
                     : NULL;
        for (onshi_group *x = g->first; parent == NULL && x != NULL; x = x->next) {
            ONSHI__WORK(1);
            if (x->wrapper && strcmp(x->name, c->wrapper) == 0) {
                onshi_group *y = x;
                for (x = x->next; x != NULL; x = x->next)
                    if (x->wrapper && strcmp(x->name, c->wrapper) == 0)
                        y = x;
                parent = y;
                break;
            }
        }
        if (parent == NULL) {
            parent = onshi__node_new(g->doc, g, c->wrapper, (size_t)-1);
            if (parent == NULL)
                return ONSHI_E_NOMEM;
            parent->wrapper = true;
            parent->variant = g->variant;
        }
    }
    /* A row goes last in document order unless its wrapper has later siblings holding rows of
     * the same kind (a decoded message read tolerantly): then it is entered where it is. */
    size_t pos = parent == g || parent == g->last ? (size_t)-1 : rows_through(g, c->kind, parent);
    onshi_group *n = onshi__node_new(g->doc, parent, c->elem, (size_t)-1);
    if (n == NULL)
        return ONSHI_E_NOMEM;
    n->kind = c->kind;
    n->variant = c->variant ? c->variant : g->variant;
    if (kidx_insert(g, n, pos) != ONSHI_OK) {
        g->doc->oom = true;
        return ONSHI_E_NOMEM;
    }
    if (out)
        *out = n;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_group_add(onshi_group **out, onshi_group *g, int kind)
{
    if (g == NULL)
        return ONSHI_E_INVALID_ARG;
    const onshi__child *c = onshi__child_by_kind(g->kind, kind, g->variant);
    if (c == NULL)
        return ONSHI_E_FIELD_ID;
    return onshi__group_add_row(g, c, out);
}
