/*
 * Reading XML messages with libxml2's xmlTextReader, hardened: no DTD or DOCTYPE, no
 * entities, no network, a size cap and a depth cap. Bytes reach libxml2 through our own
 * input callback, which validates UTF-8 or converts CP932 to UTF-8 on the fly, so encoding
 * errors carry the byte offset of the original file and Shift_JIS is always read as CP932.
 * The same builder serves whole messages and the streaming bulk reader (one unit at a time).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <libxml/xmlreader.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEEK 16384

struct onshi__xmlreader {
    onshi_ctx *ctx;
    xmlTextReaderPtr xr;
    onshi__src src;
    size_t src_pos; /* raw bytes taken from the source */
    unsigned char *pend; /* raw bytes not yet handed on */
    size_t pend_off, pend_len, pend_cap;
    size_t pend_base; /* file offset of pend[0] */
    bool src_eof;
    char stage[8192];
    size_t stage_off, stage_len;
    int enc;
    iconv_t cd;
    int64_t max_size;
    int max_depth;
    /* failure noticed in the input callback or the error handler */
    int fail;
    char fail_msg[256];
    int xcode, xline, xcol;
    char xmsg[160];
    onshi__charcheck cc;
    /* builder */
    onshi_msg *msg;
    onshi__doc *doc;
    onshi_group *cur;
    onshi_group *unit;
    onshi__doc *unit_doc;
    unsigned units;
    /* libxml2 interns element names: the same pointer means the same name, so schema
     * answers are cached by (parent kind, pointer) and skip hashing and strcmp. */
    struct {
        const void *name;
        int group;
        const onshi__sent *ent;
    } ncache[512];
    bool have_node;
    bool streaming;
    /* A leaf whose text comes in several nodes (split by comments or CDATA sections) grows
     * here, doubling, and goes to the arena at its end tag: appending in the arena copied the
     * whole text per piece (quadratic: 27 s for 800 kB of one-character pieces). */
    onshi_buf tbuf;
    onshi_group *tnode;
};

static char empty_text[1];

/* ---- input ------------------------------------------------------------------------------ */

static int fill(onshi__xmlreader *r)
{
    if (r->pend_off > 0) {
        memmove(r->pend, r->pend + r->pend_off, r->pend_len - r->pend_off);
        r->pend_base += r->pend_off;
        r->pend_len -= r->pend_off;
        r->pend_off = 0;
    }
    if (r->src_eof || r->pend_len == r->pend_cap)
        return 0;
    size_t want = r->pend_cap - r->pend_len, got;
    if (r->src.fd < 0) {
        got = r->src.mem_len - r->src_pos;
        if (got > want)
            got = want;
        memcpy(r->pend + r->pend_len, r->src.mem + r->src_pos, got);
    } else {
        ssize_t n;
        do
            n = read(r->src.fd, r->pend + r->pend_len, want);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            r->fail = ONSHI_E_IO;
            snprintf(r->fail_msg, sizeof r->fail_msg, "read failed at byte %zu: %s", r->src_pos,
                     strerror(errno));
            return -1;
        }
        got = (size_t)n;
    }
    if (got == 0)
        r->src_eof = true;
    r->src_pos += got;
    r->pend_len += got;
    if (r->max_size > 0 && (int64_t)r->src_pos > r->max_size) {
        r->fail = ONSHI_E_XML_TOO_LARGE;
        snprintf(r->fail_msg, sizeof r->fail_msg, "input larger than %lld bytes (xml_max_size)",
                 (long long)r->max_size);
        return -1;
    }
    return 0;
}

static void enc_fail(onshi__xmlreader *r, size_t off)
{
    const unsigned char *p = r->pend + (off - r->pend_base);
    size_t n = r->pend_len - (off - r->pend_base);
    bool other = r->enc == ONSHI__ENC_UTF8 ? onshi__looks_sjis(p, n) : onshi__looks_utf8_multibyte(p, n);
    const char *name = r->enc == ONSHI__ENC_UTF8 ? "UTF-8" : "Shift_JIS (CP932)";
    r->fail = other ? ONSHI_E_ENCODING_MISMATCH : ONSHI_E_ENCODING;
    snprintf(r->fail_msg, sizeof r->fail_msg, "byte %zu (0x%02X) is not valid %s%s", off, p[0],
             name, other ? (r->enc == ONSHI__ENC_UTF8 ? "; the bytes look like Shift_JIS"
                                                     : "; the bytes look like UTF-8")
                         : "");
}

/* XML forbids U+0000; refusing it also keeps libxml2 from guessing UCS-4 from the first
 * bytes (which it would report on stderr before our error handler is in place). */
static int nul_fail(onshi__xmlreader *r, size_t off)
{
    r->fail = ONSHI_E_ENCODING;
    snprintf(r->fail_msg, sizeof r->fail_msg, "NUL byte at byte %zu (not allowed in XML)", off);
    return -1;
}

/* libxml2 reports some errors (encoding sniffing while the reader is created) through the
 * thread's global handlers, which print to stderr by default. The library never prints, so
 * ours is installed around every libxml2 call and the caller's handler restored after. */
typedef struct xml_guard {
#if LIBXML_VERSION < 21200
    xmlStructuredErrorFunc fn;
    void *ctx;
#else
    int unused;
#endif
} xml_guard;

static void xml_error(void *arg, xmlErrorPtr err);

static void guard_enter(xml_guard *g, onshi__xmlreader *r)
{
#if LIBXML_VERSION < 21200
    g->fn = xmlStructuredError;
    g->ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(r, xml_error);
#else
    (void)g;
    (void)r;
#endif
}

static void guard_leave(xml_guard *g)
{
#if LIBXML_VERSION < 21200
    xmlSetStructuredErrorFunc(g->ctx, g->fn);
#else
    (void)g;
#endif
}

/* Convert or validate the next stretch of input into buf (len >= 16). */
static int produce(onshi__xmlreader *r, char *buf, int len)
{
    for (;;) {
        size_t avail = r->pend_len - r->pend_off;
        if (avail < 8 && !r->src_eof) {
            if (fill(r) < 0)
                return -1;
            avail = r->pend_len - r->pend_off;
        }
        if (avail == 0)
            return 0;
        unsigned char *p = r->pend + r->pend_off;
        size_t off0 = r->pend_base + r->pend_off;
        if (r->enc == ONSHI__ENC_UTF8) {
            size_t n = avail < (size_t)len ? avail : (size_t)len;
            size_t bad = onshi__utf8_invalid_at(p, n, true);
            const unsigned char *nul = memchr(p, 0, bad);
            if (nul != NULL)
                return nul_fail(r, off0 + (size_t)(nul - p));
            if (bad < n) {
                enc_fail(r, off0 + bad);
                return -1;
            }
            /* Hold back an incomplete sequence at the end until more bytes come. */
            size_t keep = 0;
            for (size_t k = 1; k <= 3 && k <= n; k++) {
                unsigned char c = p[n - k];
                if ((c & 0xC0) == 0x80)
                    continue;
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (need > k)
                    keep = k;
                break;
            }
            if (keep == n) {
                if (r->src_eof) {
                    enc_fail(r, off0);
                    return -1;
                }
                if (fill(r) < 0)
                    return -1;
                continue;
            }
            memcpy(buf, p, n - keep);
            r->pend_off += n - keep;
            return (int)(n - keep);
        }
        char *in = (char *)p, *out = buf;
        size_t il = avail, ol = (size_t)len;
        size_t rc = iconv(r->cd, &in, &il, &out, &ol);
        int e = errno;
        size_t used = avail - il, made = (size_t)len - ol;
        r->pend_off += used;
        const unsigned char *nul = memchr(p, 0, used); /* 0x00 is one byte in CP932 too */
        if (nul != NULL)
            return nul_fail(r, off0 + (size_t)(nul - p));
        if (rc == (size_t)-1 && e == EILSEQ) {
            if (made > 0)
                return (int)made; /* hand on what converted; fail on the next call */
            enc_fail(r, off0 + used);
            return -1;
        }
        if (rc == (size_t)-1 && e == EINVAL && made == 0) {
            if (r->src_eof) {
                enc_fail(r, off0 + used);
                return -1;
            }
            if (fill(r) < 0)
                return -1;
            continue;
        }
        return (int)made;
    }
}

static int read_cb(void *arg, char *buf, int len)
{
    onshi__xmlreader *r = arg;
    if (r->fail)
        return -1;
    if (len <= 0)
        return 0;
    /* libxml2 sometimes asks for a few bytes only (encoding sniffing); serve those from a
     * staging buffer so multibyte sequences are never split by our conversion. */
    if (r->stage_off == r->stage_len) {
        int n = produce(r, r->stage, (int)sizeof r->stage);
        if (n <= 0)
            return n;
        r->stage_off = 0;
        r->stage_len = (size_t)n;
    }
    size_t n = r->stage_len - r->stage_off;
    if (n > (size_t)len)
        n = (size_t)len;
    memcpy(buf, r->stage + r->stage_off, n);
    r->stage_off += n;
    return (int)n;
}

static int close_cb(void *arg)
{
    (void)arg;
    return 0;
}

static void xml_error(void *arg, xmlErrorPtr err)
{
    onshi__xmlreader *r = arg;
    if (err == NULL || err->level == XML_ERR_WARNING || r->xcode != 0)
        return;
    r->xcode = err->code ? err->code : -1;
    r->xline = err->line;
    r->xcol = err->int2;
    snprintf(r->xmsg, sizeof r->xmsg, "%s", err->message ? err->message : "XML error");
    size_t n = strlen(r->xmsg);
    while (n > 0 && (r->xmsg[n - 1] == '\n' || r->xmsg[n - 1] == ' '))
        r->xmsg[--n] = '\0';
}

/* ---- open ------------------------------------------------------------------------------- */

void onshi__xmlreader_free(onshi__xmlreader *r)
{
    if (r == NULL)
        return;
    if (r->xr)
        xmlFreeTextReader(r->xr);
    if (r->cd != (iconv_t)-1)
        iconv_close(r->cd);
    onshi__charcheck_free(&r->cc);
    onshi__buf_clear(&r->tbuf);
    free(r->pend);
    free(r);
}

int onshi__xmlreader_encoding(const onshi__xmlreader *r)
{
    return r->enc;
}

static int refuse_dtd(onshi__xmlreader *r)
{
    /* A DOCTYPE sits in the prolog, so the first bytes show it before libxml2 has parsed
     * any declaration (entity bombs, external subsets). The reader also refuses a DOCTYPE
     * node later, for a prolog longer than this window. */
    const unsigned char *p = r->pend + r->pend_off;
    size_t n = r->pend_len - r->pend_off;
    static const char *const bad[] = {"<!DOCTYPE", "<!ENTITY"};
    for (size_t k = 0; k < 2; k++) {
        size_t l = strlen(bad[k]);
        for (size_t i = 0; i + l <= n; i++)
            if (memcmp(p + i, bad[k], l) == 0)
                return onshi__err(r->ctx, ONSHI_E_XML_DTD,
                                  "%s at byte %zu refused (no DTD or entities are accepted)",
                                  bad[k] + 2, r->pend_base + r->pend_off + i);
    }
    return ONSHI_OK;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    /* libxml2 must be initialised once before threads use it; released by the last
     * onshi_global_cleanup. */
    xmlInitParser();
    onshi__global_atexit(xmlCleanupParser);
}

int onshi__xmlreader_open(onshi_ctx *ctx, onshi__xmlreader **out, onshi__src src)
{
    pthread_once(&xml_once, xml_init);
    *out = NULL;
    onshi__xmlreader *r = onshi__calloc(1, sizeof *r);
    if (r == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "reader");
    r->ctx = ctx;
    r->src = src;
    r->cd = (iconv_t)-1;
    r->cc.eucjp = (iconv_t)-1;
    r->max_size = ctx ? onshi__opt_int(ctx, ONSHI_OPT_XML_MAX_SIZE) : 256 * 1024 * 1024;
    r->max_depth = ctx ? (int)onshi__opt_int(ctx, ONSHI_OPT_XML_MAX_DEPTH) : 32;
    r->pend_cap = PEEK;
    r->pend = malloc(r->pend_cap);
    if (r->pend == NULL) {
        onshi__xmlreader_free(r);
        return onshi__err(ctx, ONSHI_E_NOMEM, "reader buffer");
    }
    int rc;
    if (src.fd < 0 && r->max_size > 0 && (int64_t)src.mem_len > r->max_size) {
        rc = onshi__err(ctx, ONSHI_E_XML_TOO_LARGE, "input of %zu bytes is larger than %lld (xml_max_size)",
                        src.mem_len, (long long)r->max_size);
        goto fail;
    }
    if (fill(r) < 0) {
        rc = onshi__err(ctx, r->fail, "%s", r->fail_msg);
        goto fail;
    }
    char why[200] = "";
    size_t bom = 0;
    rc = onshi__detect_encoding(r->pend, r->pend_len, &bom, why, sizeof why);
    if (rc < 0) {
        rc = onshi__err(ctx, rc, "%s", why);
        goto fail;
    }
    r->enc = rc;
    r->pend_off = bom;
    if (r->enc == ONSHI__ENC_CP932) {
        /* Shift_JIS text that happens to be valid UTF-8 over a whole window is not a thing;
         * UTF-8 bytes under a Shift_JIS declaration are the classic mismatch. */
        size_t n = r->pend_len, bad = onshi__utf8_invalid_at(r->pend, n, !r->src_eof);
        bool multibyte = false;
        for (size_t i = 0; i < n && !multibyte; i++)
            multibyte = r->pend[i] >= 0xE0 && onshi__looks_utf8_multibyte(r->pend + i, n - i);
        if (bad == n && multibyte) {
            rc = onshi__err(ctx, ONSHI_E_ENCODING_MISMATCH,
                            "declared Shift_JIS but the bytes are UTF-8 (byte 0 onwards)");
            goto fail;
        }
        r->cd = iconv_open("UTF-8", "CP932");
        if (r->cd == (iconv_t)-1) {
            rc = onshi__err(ctx, ONSHI_E_UNSUPPORTED, "iconv has no CP932 converter");
            goto fail;
        }
    }
    rc = refuse_dtd(r);
    if (rc != ONSHI_OK)
        goto fail;
    onshi__charcheck_init(&r->cc);
    int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT;
#if LIBXML_VERSION >= 21300
    opts |= XML_PARSE_NO_XXE;
#endif
    xml_guard guard;
    guard_enter(&guard, r);
    r->xr = xmlReaderForIO(read_cb, close_cb, r, NULL, "UTF-8", opts);
    guard_leave(&guard);
    if (r->xr == NULL) {
        rc = onshi__err(ctx, ONSHI_E_NOMEM, "xmlReaderForIO failed");
        goto fail;
    }
    xmlTextReaderSetStructuredErrorHandler(r->xr, xml_error, r);
    *out = r;
    return ONSHI_OK;
fail:
    onshi__xmlreader_free(r);
    return rc;
}

/* ---- building the tree -------------------------------------------------------------------- */

static int fail_here(onshi__xmlreader *r, int status, const char *what)
{
    int line = xmlTextReaderGetParserLineNumber(r->xr);
    return onshi__err(r->ctx, status, "%s at line %d", what, line);
}

static int xml_failure(onshi__xmlreader *r)
{
    if (r->fail)
        return onshi__err(r->ctx, r->fail, "%s", r->fail_msg);
    if (r->xcode != 0)
        return onshi__err_foreign(r->ctx, ONSHI_E_XML_MALFORMED, ONSHI_FOREIGN_LIBXML2, r->xcode,
                                  "line %d column %d: %s", r->xline, r->xcol, r->xmsg);
    return onshi__err(r->ctx, ONSHI_E_XML_MALFORMED, "XML parse failed at line %d",
                      xmlTextReaderGetParserLineNumber(r->xr));
}

static void normalise_insurer(onshi_group *leaf)
{
    char *s = leaf->text;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    /* 6-digit 国保 numbers arrive space- or zero-padded to 8; 法別番号 00 does not exist. */
    if (n == 8 && s[0] == '0' && s[1] == '0')
        s += 2;
    leaf->text = s;
}

static const onshi__sent *lookup(onshi__xmlreader *r, int group, const char *name)
{
    size_t h = (((uintptr_t)name >> 4) ^ (size_t)group * 31u) & 511u;
    if (r->ncache[h].name == name && r->ncache[h].group == group)
        return r->ncache[h].ent;
    const onshi__sent *e = onshi__schema_lookup(group, name);
    r->ncache[h].name = name;
    r->ncache[h].group = group;
    r->ncache[h].ent = e;
    return e;
}

static void finish_leaf(onshi__xmlreader *r, onshi_group *n, const onshi__sent *e)
{
    if (n->text == NULL)
        n->text = empty_text;
    const onshi_group *g = onshi__group_of(n);
    const onshi__field *f = NULL;
    if (e != NULL && g != NULL && g->kind != 0)
        f = e->field[0] ? e->field[0] : (g->variant > 0 && g->variant < 4 ? e->field[g->variant] : NULL);
    if (f == NULL) {
        onshi__charcheck_text(&r->cc, n, n->text);
        return;
    }
    if (f->kind == K_INSURER && n->text != empty_text)
        normalise_insurer(n);
    if (n->text[0] == '\0')
        return; /* empty optional elements are sent by some systems (SN) */
    int st;
    const char *why = onshi__format_problem(f, n->text, &st);
    if (why != NULL)
        onshi__warn(n, ONSHI_WARN_FORMAT, "%s: %s", f->elem, why);
    else if (f->kind == K_CODE && onshi__code_label(f->table, n->text, false) == NULL)
        onshi__warn(n, ONSHI_WARN_UNKNOWN_CODE, "value \"%.20s\" is not in OQSCD%03d (kept)",
                    n->text, f->table);
    if (f->kind == K_STR)
        onshi__charcheck_text(&r->cc, n, n->text);
}

static int start_element(onshi__xmlreader *r, bool *is_unit)
{
    const char *name = (const char *)xmlTextReaderConstName(r->xr);
    int depth = xmlTextReaderDepth(r->xr);
    *is_unit = false;
    if (name == NULL)
        return onshi__err(r->ctx, ONSHI_E_NOMEM, "element name");
    if (depth + 1 > r->max_depth) {
        char what[96];
        snprintf(what, sizeof what, "element nesting deeper than %d (xml_max_depth)", r->max_depth);
        return fail_here(r, ONSHI_E_XML_TOO_DEEP, what);
    }
    onshi_group *parent = r->cur, *n;
    const onshi__sent *ent = NULL;
    if (parent == NULL) {
        if (r->msg->root != NULL)
            return fail_here(r, ONSHI_E_XML_MALFORMED, "second root element");
        if (strcmp(name, "XmlMsg") != 0) {
            char what[96];
            snprintf(what, sizeof what, "root element <%.40s> is not <XmlMsg>", name);
            return fail_here(r, ONSHI_E_UNKNOWN_MESSAGE, what);
        }
        n = onshi__node_new(r->doc, NULL, "XmlMsg", (size_t)-1);
        if (n == NULL)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "node");
        r->msg->root = n;
    } else {
        const onshi_group *owner = parent->wrapper ? parent->parent : parent;
        int pk = owner->kind;
        const onshi__child *c = NULL;
        const char *stat = NULL;
        bool wrapper = false;
        int kind = 0;
        if (parent == r->msg->root) {
            if (strcmp(name, "MessageHeader") == 0 && r->msg->header == NULL)
                kind = ONSHI_G_HEADER, stat = "MessageHeader";
            else if (strcmp(name, "MessageBody") == 0 && r->msg->body == NULL)
                kind = ONSHI_G_BODY, stat = "MessageBody";
        } else if (pk != 0) {
            ent = lookup(r, pk, name);
            if (ent != NULL) {
                c = ent->child;
                /* a wrapped row is also accepted directly (tolerant reading), but inside a
                 * wrapper only its own rows count */
                if (c != NULL && parent->wrapper &&
                    (c->wrapper == NULL || strcmp(c->wrapper, parent->name) != 0))
                    c = NULL;
                if (c != NULL)
                    kind = c->kind;
                else if (!parent->wrapper && ent->wrapper)
                    wrapper = true;
                stat = ent->elem;
            }
        }
        parent->had_child = true;
        if (r->streaming && kind == ONSHI_G_BULK_UNIT && owner == r->msg->body) {
            *is_unit = true;
            if (r->unit_doc == NULL)
                return ONSHI_OK; /* the caller stops before the unit */
            onshi__doc_reset(r->unit_doc);
            r->unit_doc->in_unit = true;
            r->unit_doc->unit_index = r->units;
            n = onshi__node_new(r->unit_doc, NULL, stat, (size_t)-1);
            if (n == NULL)
                return onshi__err(r->ctx, ONSHI_E_NOMEM, "node");
            n->parent = parent; /* not linked: the body does not grow with the units */
            n->idx = r->units++;
            r->unit = n;
        } else {
            onshi__doc *d = parent->doc;
            n = stat ? onshi__node_new(d, parent, stat, (size_t)-1)
                     : onshi__node_new(d, parent, name, strlen(name));
            if (n == NULL)
                return onshi__err(r->ctx, ONSHI_E_NOMEM, "node");
        }
        if (*is_unit)
            n->kind = kind; /* not linked: not in the body's index either */
        else if (onshi__node_set_kind(n, kind) != ONSHI_OK)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "node");
        n->wrapper = wrapper;
        if (c != NULL)
            n->variant = c->variant;
        else if (wrapper || kind == 0)
            n->variant = owner->variant;
        if (kind == ONSHI_G_HEADER)
            r->msg->header = n;
        if (kind == ONSHI_G_BODY)
            r->msg->body = n;
    }
    n->line = (unsigned)xmlTextReaderGetParserLineNumber(r->xr);
    n->sent = ent;
    if (xmlTextReaderIsEmptyElement(r->xr)) {
        if (n->kind == 0 && !n->wrapper)
            finish_leaf(r, n, ent);
        return ONSHI_OK;
    }
    r->cur = n;
    return ONSHI_OK;
}

static int text(onshi__xmlreader *r)
{
    onshi_group *n = r->cur;
    if (n == NULL || n->had_child || n->kind != 0 || n->wrapper)
        return ONSHI_OK; /* whitespace between elements */
    const char *v = (const char *)xmlTextReaderConstValue(r->xr);
    if (v == NULL)
        return ONSHI_OK;
    size_t add = strlen(v);
    if (n->text == NULL) { /* the usual case: one piece */
        n->text = onshi__arena_strndup(&n->doc->arena, v, add);
        return n->text ? ONSHI_OK : onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
    }
    if (r->tnode != n) {
        r->tbuf.len = 0;
        if (onshi__buf_append_str(&r->tbuf, n->text) != ONSHI_OK)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
        r->tnode = n;
    }
    ONSHI__WORK(add); /* bytes copied: amortised, the buffer doubles */
    return onshi__buf_append(&r->tbuf, v, add) == ONSHI_OK ? ONSHI_OK
                                                           : onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
}

/* The end tag of a leaf: text grown in pieces goes to the arena. */
static int text_done(onshi__xmlreader *r, onshi_group *n)
{
    if (r->tnode != n)
        return ONSHI_OK;
    r->tnode = NULL;
    n->text = onshi__arena_strndup(&n->doc->arena, (const char *)r->tbuf.data, r->tbuf.len);
    r->tbuf.len = 0;
    return n->text ? ONSHI_OK : onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
}

enum { STEP_MORE, STEP_EOF, STEP_AT_UNIT, STEP_UNIT_DONE };

static int pump_nodes(onshi__xmlreader *r, int *what);

/* Process reader nodes until end of document, or (streaming) the start or end of a unit. */
static int pump(onshi__xmlreader *r, int *what)
{
    xml_guard guard;
    guard_enter(&guard, r);
    int rc = pump_nodes(r, what);
    guard_leave(&guard);
    return rc;
}

static int pump_nodes(onshi__xmlreader *r, int *what)
{
    for (;;) {
        if (!r->have_node) {
            int ret = xmlTextReaderRead(r->xr);
            if (ret < 0 || r->fail || r->xcode)
                return xml_failure(r);
            if (ret == 0) {
                if (r->msg->root == NULL)
                    return onshi__err(r->ctx, ONSHI_E_XML_MALFORMED, "no root element (empty input)");
                *what = STEP_EOF;
                return ONSHI_OK;
            }
            r->have_node = true;
        }
        int type = xmlTextReaderNodeType(r->xr);
        int rc = ONSHI_OK;
        switch (type) {
        case XML_READER_TYPE_ELEMENT: {
            bool unit;
            rc = start_element(r, &unit);
            if (rc == ONSHI_OK && unit && r->unit_doc == NULL) {
                *what = STEP_AT_UNIT; /* keep the node for the next call */
                return ONSHI_OK;
            }
            if (rc == ONSHI_OK && unit && r->cur != r->unit) {
                r->have_node = false; /* <BulkConfirmUnit/>: done at once */
                *what = STEP_UNIT_DONE;
                return r->unit_doc->oom ? onshi__err(r->ctx, ONSHI_E_NOMEM, "unit") : ONSHI_OK;
            }
            break;
        }
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_CDATA:
            rc = text(r);
            break;
        case XML_READER_TYPE_END_ELEMENT: {
            onshi_group *n = r->cur;
            if (n == NULL)
                break;
            if ((rc = text_done(r, n)) != ONSHI_OK)
                break;
            if (n->kind == 0 && !n->wrapper && !n->had_child)
                finish_leaf(r, n, n->sent);
            r->cur = n->parent;
            if (n == r->unit && r->unit != NULL) {
                r->have_node = false;
                *what = STEP_UNIT_DONE;
                return r->unit_doc->oom ? onshi__err(r->ctx, ONSHI_E_NOMEM, "unit") : ONSHI_OK;
            }
            break;
        }
        case XML_READER_TYPE_DOCUMENT_TYPE:
        case XML_READER_TYPE_ENTITY:
        case XML_READER_TYPE_ENTITY_REFERENCE:
            rc = fail_here(r, ONSHI_E_XML_DTD, "DOCTYPE or entity refused");
            break;
        default:
            break; /* comments, processing instructions */
        }
        r->have_node = false;
        if (rc != ONSHI_OK)
            return rc;
        if (r->doc->oom)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "building the message");
    }
}

int onshi__xmlreader_all(onshi__xmlreader *r, onshi_msg *msg)
{
    r->msg = msg;
    r->doc = &msg->doc;
    int what, rc = pump(r, &what);
    if (rc != ONSHI_OK)
        return rc;
    if (msg->header == NULL || msg->body == NULL)
        return onshi__err(r->ctx, ONSHI_E_XML_MALFORMED, "<XmlMsg> lacks %s",
                          msg->header ? "<MessageBody>" : "<MessageHeader>");
    onshi__check_cci(msg, r->enc);
    return ONSHI_OK;
}

int onshi__xmlreader_until_unit(onshi__xmlreader *r, onshi_msg *msg)
{
    r->msg = msg;
    r->doc = &msg->doc;
    r->streaming = true;
    int what, rc = pump(r, &what);
    if (rc != ONSHI_OK)
        return rc;
    if (msg->header == NULL)
        return onshi__err(r->ctx, ONSHI_E_XML_MALFORMED, "no <MessageHeader> before the units");
    onshi__check_cci(msg, r->enc);
    return ONSHI_OK;
}

int onshi__xmlreader_next_unit(onshi__xmlreader *r, onshi__doc *unit_doc, onshi_group **out)
{
    *out = NULL;
    r->unit_doc = unit_doc;
    r->unit = NULL;
    int what, rc = pump(r, &what);
    r->unit_doc = NULL;
    if (rc != ONSHI_OK)
        return rc;
    if (what == STEP_UNIT_DONE)
        *out = r->unit;
    r->unit = NULL;
    return ONSHI_OK;
}

/* ---- after decoding ------------------------------------------------------------------------ */

void onshi__check_cci(onshi_msg *msg, int enc)
{
    if (msg->header == NULL)
        return;
    onshi_group *leaf = onshi__child_find(msg->header, "CharacterCodeIdentifier");
    if (leaf == NULL || leaf->text == NULL)
        return;
    int said = strcmp(leaf->text, "1") == 0 ? ONSHI__ENC_CP932
               : strcmp(leaf->text, "0") == 0 ? ONSHI__ENC_UTF8 : -1;
    if (said >= 0 && said != enc)
        onshi__warn(leaf, ONSHI_WARN_ENCODING_HINT,
                    "CharacterCodeIdentifier %s says %s but the file is %s (read as the bytes say)",
                    leaf->text, said ? "Shift_JIS" : "UTF-8", enc ? "Shift_JIS (CP932)" : "UTF-8");
}

static bool has(const onshi_group *g, const char *name)
{
    return g != NULL && onshi__child_find(g, name) != NULL;
}

int onshi__guess_type(const onshi_msg *m)
{
    const onshi_group *h = m->header, *b = m->body;
    bool result = has(h, "ProcessExecutionTime") || has(h, "SegmentOfResult") ||
                  has(h, "CharacterCodeIdentifier");
    if (has(h, "QuaInf") || has(b, "MeTrMonthInf") || has(b, "CzDiInf") || has(b, "ShPrInf"))
        return ONSHI_MSG_DRUG_RES;
    if (has(h, "QualificationsInfo") || has(b, "SpecificHealthCheckupInfo"))
        return ONSHI_MSG_CHECKUP_RES;
    if (has(b, "FileCategory"))
        return has(b, "StartDate") ? ONSHI_MSG_DRUG_REQ : ONSHI_MSG_CHECKUP_REQ;
    if (has(b, "BulkConfirmUnit") || has(h, "NumberOfProcessingResult"))
        return ONSHI_MSG_BULK_QUAL_DOWN_RES;
    if (result) {
        onshi_group *rc = onshi__child_find(h, "ReferenceClassification");
        if (rc && rc->text && strcmp(rc->text, "1") == 0)
            return ONSHI_MSG_FACE_RES;
        if (has(b, "ReceptionDateTime"))
            return ONSHI_MSG_BULK_QUAL_UP_RES;
        if (has(b, "ResultList") || has(b, "QualificationValidity") || has(h, "QualificationConfirmationDate"))
            return ONSHI_MSG_QUAL_RES;
        return ONSHI_MSG_REFNUM_RES;
    }
    if (has(b, "ReferenceNumberRegistrationInfo")) {
        size_t n = 0;
        for (onshi_group *c = b->first; c; c = c->next)
            n += strcmp(c->name, "ReferenceNumberRegistrationInfo") == 0;
        return n > 1 ? ONSHI_MSG_BULK_REFNUM_UP_REQ : ONSHI_MSG_REFNUM_REQ;
    }
    if (has(b, "MedicalTreatmentMonth"))
        return ONSHI_MSG_BULK_WELFARE_UP_REQ;
    if (has(b, "ReceptionNumber"))
        return ONSHI_MSG_BULK_QUAL_DOWN_REQ;
    if (has(b, "QualificationConfirmSearchInfo")) {
        const onshi_group *s = onshi__child_find(b, "QualificationConfirmSearchInfo");
        onshi_group *flag = onshi__child_find(s, "MedicalTreatmentFlag");
        if (flag && flag->text)
            return strcmp(flag->text, "3") == 0 ? ONSHI_MSG_BULK_ONLINE_UP_REQ
                                                 : ONSHI_MSG_BULK_HOMECARE_UP_REQ;
        size_t n = 0;
        for (onshi_group *c = b->first; c; c = c->next)
            n += strcmp(c->name, "QualificationConfirmSearchInfo") == 0;
        return n > 1 ? ONSHI_MSG_BULK_QUAL_UP_REQ : ONSHI_MSG_QUAL_REQ;
    }
    return ONSHI_E_UNKNOWN_MESSAGE;
}
