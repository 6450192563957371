/*
 * Writing messages: validate everything first (request layout, mandatory fields, formats,
 * lengths, code values, check digits, encodability), then write strictly in the documented
 * element order (schema.def) as UTF-8 or CP932. Nothing is ever written as `?` or `&#…;`.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wr {
    onshi_ctx *ctx;
    const onshi_msg *msg;
    onshi_buf out;
    onshi__cv_t to932; /* ONSHI__CV_NONE when writing UTF-8 */
    bool strict;   /* the type has a request layout */
} wr;

/* Staff read these at the window (a name or 記号 that cannot be sent), so the detail is
 * given in Japanese as well, naming the element. */
static const char *reason_ja(int status)
{
    switch (status) {
    case ONSHI_E_FIELD_MISSING: return "必須の項目がありません";
    case ONSHI_E_FIELD_FORMAT: return "形式が正しくありません";
    case ONSHI_E_FIELD_LENGTH: return "長すぎます";
    case ONSHI_E_CHECK_DIGIT: return "検証番号（チェックディジット）が正しくありません";
    case ONSHI_E_CODE_VALUE: return "コード表にない値です";
    case ONSHI_E_UNENCODABLE: return "Shift_JIS（CP932）で送信できない文字があります";
    case ONSHI_E_FIELD_ID: return "この電文では使えない項目です";
    default: return "値が正しくありません";
    }
}

static int fail_field(wr *w, const onshi_group *node, int status, const char *what)
{
    char *path = onshi__path(node, 0, false);
    char en[512], ja[768];
    snprintf(en, sizeof en, "%s: %s", path ? path : node->name, what);
    snprintf(ja, sizeof ja, "%s: %s（%s）", path ? path : node->name, reason_ja(status), what);
    free(path);
    return onshi__err_ja(w->ctx, status, ONSHI_FOREIGN_NONE, 0, en, ja);
}

/* ---- validation -------------------------------------------------------------------------- */

static int check_leaf(wr *w, const onshi_group *g, const onshi_group *leaf)
{
    const onshi__field *f = onshi__field_by_elem(g->kind, g->variant, leaf->name);
    if (f == NULL) {
        if (w->strict)
            return fail_field(w, leaf, ONSHI_E_FIELD_ID, "element not defined for this message");
        return ONSHI_OK; /* unknown elements of decoded results are not written */
    }
    if (w->strict && onshi__layout_flag(w->msg->type, g->kind, f->id) == 0)
        return fail_field(w, leaf, ONSHI_E_FIELD_ID, "field not allowed in this request");
    const char *v = leaf->text ? leaf->text : "";
    if (*v == '\0') {
        if (w->strict && onshi__layout_flag(w->msg->type, g->kind, f->id) == ONSHI__L_M)
            return fail_field(w, leaf, ONSHI_E_FIELD_MISSING, "mandatory field is empty");
        return ONSHI_OK;
    }
    const char *why;
    int st = onshi__value_check(f, v, &why);
    if (st != ONSHI_OK)
        return fail_field(w, leaf, st, why);
    if (w->to932 != ONSHI__CV_NONE) {
        uint32_t cp;
        if (onshi__cp932_unencodable(w->to932, v, &cp)) {
            char msg[128], ch[8] = {0};
            /* The character itself, UTF-8, so staff can find it in the value. */
            for (const char *p = v; *p;) {
                uint32_t c;
                size_t l = onshi__utf8_next(p, &c);
                if (c == cp) {
                    memcpy(ch, p, l < 4 ? l : 4);
                    break;
                }
                p += l;
            }
            snprintf(msg, sizeof msg, "character U+%04X %s cannot be written in Shift_JIS (CP932)",
                     (unsigned)cp, ch);
            return fail_field(w, leaf, ONSHI_E_UNENCODABLE, msg);
        }
    }
    return ONSHI_OK;
}

static int check_group(wr *w, const onshi_group *g);

static int check_children(wr *w, const onshi_group *g, const onshi_group *from)
{
    for (const onshi_group *c = from->first; c != NULL; c = c->next) {
        int rc;
        if (c->wrapper)
            rc = check_children(w, g, c);
        else if (c->kind != 0) {
            if (w->strict && onshi__layout_flag(w->msg->type, g->kind, c->kind) == 0)
                return fail_field(w, c, ONSHI_E_FIELD_ID, "group not allowed in this request");
            rc = check_group(w, c);
        } else if (c->first != NULL) {
            if (w->strict)
                return fail_field(w, c, ONSHI_E_FIELD_ID, "element not defined for this message");
            rc = ONSHI_OK;
        } else
            rc = check_leaf(w, g, c);
        if (rc != ONSHI_OK)
            return rc;
    }
    return ONSHI_OK;
}

static bool has_value(const onshi_group *g, const char *elem)
{
    const onshi_group *l = onshi__child_find(g, elem);
    return l != NULL && l->text != NULL && l->text[0] != '\0';
}

static int check_group(wr *w, const onshi_group *g)
{
    int rc = check_children(w, g, g);
    if (rc != ONSHI_OK || !w->strict)
        return rc;
    const onshi__layout_row *rows;
    size_t n = onshi__layout_rows(&rows);
    for (size_t i = 0; i < n; i++) {
        const onshi__layout_row *lr = &rows[i];
        if (lr->type != w->msg->type || lr->group != g->kind)
            continue;
        if (lr->flag == ONSHI__L_O)
            continue;
        if (lr->item >= 100) {
            const onshi__field *f = onshi__field_by_id(lr->item, g->variant);
            if (f != NULL && !has_value(g, f->elem)) {
                char what[128];
                snprintf(what, sizeof what, "mandatory field %s is missing", f->elem);
                return fail_field(w, g, ONSHI_E_FIELD_MISSING, what);
            }
        } else if (onshi_group_count(g, lr->item) == 0) {
            const onshi__child *c = onshi__child_by_kind(g->kind, lr->item, 0);
            char what[128];
            snprintf(what, sizeof what, "mandatory element %s is missing", c ? c->elem : "?");
            return fail_field(w, g, ONSHI_E_FIELD_MISSING, what);
        } else if (lr->flag == ONSHI__L_M && onshi_group_count(g, lr->item) > 1) {
            const onshi__child *c = onshi__child_by_kind(g->kind, lr->item, 0);
            char what[128];
            snprintf(what, sizeof what, "%s may appear only once in this request", c ? c->elem : "?");
            return fail_field(w, g, ONSHI_E_FIELD_FORMAT, what);
        }
    }
    return ONSHI_OK;
}

static int validate(wr *w)
{
    const onshi_msg *m = w->msg;
    if (m->header == NULL || m->body == NULL)
        return onshi__err(w->ctx, ONSHI_E_STATE, "the message has no tree (a PDF or .err result)");
    int rc = check_group(w, m->header);
    if (rc == ONSHI_OK)
        rc = check_group(w, m->body);
    return rc;
}

/* ---- serialisation --------------------------------------------------------------------- */

static int put(wr *w, const char *s)
{
    return onshi__buf_append_str(&w->out, s);
}

static int put_text(wr *w, const char *s)
{
    int rc = ONSHI_OK;
    for (const char *p = s; *p && rc == ONSHI_OK; p++) {
        switch (*p) {
        case '&': rc = put(w, "&amp;"); break;
        case '<': rc = put(w, "&lt;"); break;
        case '>': rc = put(w, "&gt;"); break;
        default: rc = onshi__buf_append(&w->out, p, 1);
        }
    }
    return rc;
}

static int indent(wr *w, int depth)
{
    int rc = put(w, "\n");
    for (int i = 0; i < depth && rc == ONSHI_OK; i++)
        rc = put(w, "  ");
    return rc;
}

static int open_tag(wr *w, const char *name, int depth)
{
    int rc = indent(w, depth);
    if (rc == ONSHI_OK)
        rc = onshi__buf_printf(&w->out, "<%s>", name);
    return rc;
}

static int close_tag(wr *w, const char *name, int depth, bool newline)
{
    int rc = newline ? indent(w, depth) : ONSHI_OK;
    if (rc == ONSHI_OK)
        rc = onshi__buf_printf(&w->out, "</%s>", name);
    return rc;
}

static int write_group(wr *w, const onshi_group *g, int depth);

static int write_leaf(wr *w, const onshi__field *f, const onshi_group *leaf, int depth)
{
    const char *v = leaf->text ? leaf->text : "";
    char pad[16];
    if (f->kind == K_INSURER && *v != '\0') {
        /* Files carry 8 characters, a 6-digit 国保 number right-aligned with spaces. */
        snprintf(pad, sizeof pad, "%8s", v);
        v = pad;
    }
    int rc = open_tag(w, f->elem, depth);
    if (rc == ONSHI_OK)
        rc = put_text(w, v);
    if (rc == ONSHI_OK)
        rc = close_tag(w, f->elem, depth, false);
    return rc;
}

static int write_children_of_kind(wr *w, const onshi_group *g, const onshi__child *c, int depth)
{
    size_t n = onshi_group_count(g, c->kind);
    if (n == 0)
        return ONSHI_OK;
    int rc = ONSHI_OK;
    int d = depth;
    if (c->wrapper != NULL) {
        rc = open_tag(w, c->wrapper, depth);
        d++;
    }
    for (size_t i = 0; i < n && rc == ONSHI_OK; i++) {
        onshi_group *child;
        onshi_group_at(&child, (onshi_group *)g, c->kind, i);
        if (child->variant != c->variant && c->variant != 0)
            continue;
        rc = write_group(w, child, d);
    }
    if (rc == ONSHI_OK && c->wrapper != NULL)
        rc = close_tag(w, c->wrapper, depth, true);
    return rc;
}

static int write_group(wr *w, const onshi_group *g, int depth)
{
    int rc = open_tag(w, g->name, depth);
    const onshi__item *items;
    size_t n = onshi__items(g->kind, &items);
    for (size_t i = 0; i < n && rc == ONSHI_OK; i++) {
        if (items[i].field != NULL) {
            const onshi__field *f = items[i].field;
            if (f->variant != 0 && f->variant != g->variant)
                continue;
            /* every occurrence (a few elements repeat in real files, e.g. ReferenceNumber in
             * a BulkConfirmUnit) */
            for (const onshi_group *leaf = g->first; leaf != NULL && rc == ONSHI_OK;
                 leaf = leaf->next)
                if (leaf->first == NULL && !leaf->wrapper && leaf->kind == 0 &&
                    strcmp(leaf->name, f->elem) == 0)
                    rc = write_leaf(w, f, leaf, depth + 1);
        } else {
            const onshi__child *c = items[i].child;
            if (c->variant != 0 && c->variant != g->variant && g->variant != 0)
                continue;
            /* Several rows may name one kind (drug sources): write each instance once, under
             * the row of its own variant. */
            if (c->variant != 0) {
                size_t cnt = onshi_group_count(g, c->kind);
                bool any = false;
                for (size_t k = 0; k < cnt && !any; k++) {
                    onshi_group *x;
                    onshi_group_at(&x, (onshi_group *)g, c->kind, k);
                    any = x->variant == c->variant;
                }
                if (!any)
                    continue;
            }
            rc = write_children_of_kind(w, g, c, depth + 1);
        }
    }
    if (rc == ONSHI_OK)
        rc = close_tag(w, g->name, depth, true);
    return rc;
}

static int run(onshi_ctx *ctx, const onshi_msg *msg, onshi_buf **out, bool write)
{
    if (msg == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "msg is NULL");
    wr w = {.ctx = ctx, .msg = msg, .to932 = ONSHI__CV_NONE};
    w.strict = onshi__layout_has(msg->type);
    int enc = ctx ? (int)onshi__opt_int(ctx, ONSHI_OPT_REQUEST_ENCODING) : ONSHI_ENC_UTF8;
    if (enc == ONSHI_ENC_CP932) {
        w.to932 = onshi__iconv_take(ctx, ONSHI__CD_UTF8_CP932);
        if (w.to932 == ONSHI__CV_NONE)
            return onshi__err(ctx, ONSHI_E_UNSUPPORTED, "iconv has no CP932 converter");
    }
    onshi__buf_init(&w.out, false);
    int rc = validate(&w);
    if (rc == ONSHI_OK && write) {
        rc = onshi__buf_printf(&w.out, "<?xml version=\"1.0\" encoding=\"%s\" standalone=\"no\"?>\n<XmlMsg>",
                               enc == ONSHI_ENC_CP932 ? "Shift_JIS" : "UTF-8");
        if (rc == ONSHI_OK)
            rc = write_group(&w, msg->header, 1);
        if (rc == ONSHI_OK)
            rc = write_group(&w, msg->body, 1);
        if (rc == ONSHI_OK)
            rc = put(&w, "\n</XmlMsg>\n");
        if (rc != ONSHI_OK)
            rc = onshi__err(ctx, rc, "writing the message");
    }
    if (rc == ONSHI_OK && write && enc == ONSHI_ENC_CP932) {
        /* Every value passed the CP932 check, so the whole document converts. */
        onshi_buf conv;
        onshi__buf_init(&conv, false);
        rc = onshi__buf_reserve(&conv, w.out.len + 16);
        char *in = (char *)w.out.data, *o = (char *)conv.data;
        size_t il = w.out.len, ol = conv.cap;
        onshi__cv(w.to932, NULL, NULL, NULL, NULL);
        if (rc == ONSHI_OK && onshi__cv(w.to932, &in, &il, &o, &ol) == (size_t)-1)
            rc = onshi__err(ctx, ONSHI_E_UNENCODABLE, "document not convertible at byte %zu",
                            w.out.len - il);
        conv.len = conv.cap - ol;
        onshi__buf_clear(&w.out);
        w.out = conv;
    }
    onshi__iconv_give(ctx, ONSHI__CD_UTF8_CP932, w.to932);
    if (rc == ONSHI_OK && write) {
        rc = onshi__buf_append(&w.out, "", 1); /* a NUL behind len: usable as a C string */
        if (rc == ONSHI_OK) {
            w.out.len--;
            rc = onshi__buf_detach(&w.out, out);
        }
    }
    onshi__buf_clear(&w.out);
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_msg_encode(onshi_buf **out, onshi_ctx *ctx, const onshi_msg *msg)
{
    if (out == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    return run(ctx, msg, out, true);
}

ONSHI_API int ONSHI_CALL onshi_msg_validate(onshi_ctx *ctx, const onshi_msg *msg)
{
    return run(ctx, msg, NULL, false);
}
