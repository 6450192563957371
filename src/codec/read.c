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

#define PEEK 16384
/* The schema has no attributes at all; a few are tolerated (xmlns, xsi), more are refused
 * before libxml2 sees the whole tag (its duplicate check is quadratic in 2.9). */
#define MAX_ATTRS 16
/* Unknown elements kept per message (per streamed unit); the rest are skipped and counted. */
#define MAX_UNKNOWN 1000
/* Comments and processing instructions per message (per streamed unit; those between units
 * count for the whole file): libxml2 2.9's reader keeps them until their parent closes. */
#define MAX_MISC 1000
/* Budget floor (bytes) added to xml_memory_factor × input. */
#define BUDGET_FLOOR (1u << 20)

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
    onshi__cv_t cd;
    int64_t max_size;
    int max_depth;
    int64_t mem_factor;
    /* streaming: file offset where the current unit's window started (size cap per unit) */
    size_t window_base;
    /* attribute pre-scan of the UTF-8 text handed to libxml2 */
    int scan;           /* SCAN_* */
    unsigned scan_attrs;
    unsigned scan_misc; /* comments and PIs seen by the pre-scan (per unit when streaming) */
    unsigned char scan_prev[2];
    size_t scan_line, scan_tag_line;
    /* text of the current leaf, gathered here and copied once at its end */
    char *tbuf;
    size_t tlen, tcap;
    bool tnonspace;
    /* unknown elements kept in the current doc; skipped ones (whole subtrees) */
    unsigned unknown_kept, unit_unknown_kept;
    unsigned misc, unit_misc;
    size_t unknown_skipped, unit_unknown_skipped;
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
};

static char empty_text[1];

enum { SCAN_TEXT, SCAN_LT, SCAN_BANG, SCAN_BANG_DASH, SCAN_COMMENT, SCAN_PI, SCAN_DECL,
       SCAN_CDATA, SCAN_END, SCAN_TAG, SCAN_QUOT, SCAN_APOS };

/* Count attributes per start tag ('=' outside quotes) in the bytes about to reach libxml2,
 * keeping state across calls. Comments, PIs, CDATA and declarations are skipped. */
static int scan_attrs(onshi__xmlreader *r, const char *buf, size_t n)
{
    int st = r->scan;
    unsigned char p1 = r->scan_prev[0], p2 = r->scan_prev[1]; /* p1: last byte, p2: before */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n')
            r->scan_line++;
        switch (st) {
        case SCAN_TEXT:
            if (c == '<') {
                st = SCAN_LT;
                r->scan_tag_line = r->scan_line;
            }
            break;
        case SCAN_LT:
            st = c == '!' ? SCAN_BANG : c == '?' ? SCAN_PI : c == '/' ? SCAN_END : SCAN_TAG;
            r->scan_attrs = 0;
            if (st == SCAN_PI && ++r->scan_misc > MAX_MISC)
                goto too_many_misc;
            break;
        case SCAN_BANG:
            st = c == '-' ? SCAN_BANG_DASH : c == '[' ? SCAN_CDATA : c == '>' ? SCAN_TEXT : SCAN_DECL;
            break;
        case SCAN_BANG_DASH:
            st = c == '-' ? SCAN_COMMENT : c == '>' ? SCAN_TEXT : SCAN_DECL;
            c = 0; /* "<!--" does not end a comment with its own dashes */
            if (st == SCAN_COMMENT && ++r->scan_misc > MAX_MISC)
                goto too_many_misc;
            break;
        case SCAN_COMMENT:
            if (c == '>' && p1 == '-' && p2 == '-')
                st = SCAN_TEXT;
            break;
        case SCAN_PI:
            if (c == '>' && p1 == '?')
                st = SCAN_TEXT;
            break;
        case SCAN_CDATA:
            if (c == '>' && p1 == ']' && p2 == ']')
                st = SCAN_TEXT;
            break;
        case SCAN_DECL:
        case SCAN_END:
            if (c == '>')
                st = SCAN_TEXT;
            break;
        case SCAN_TAG:
            if (c == '>')
                st = SCAN_TEXT;
            else if (c == '"')
                st = SCAN_QUOT;
            else if (c == '\'')
                st = SCAN_APOS;
            else if (c == '=' && ++r->scan_attrs > MAX_ATTRS) {
                r->fail = ONSHI_E_XML_TOO_LARGE;
                snprintf(r->fail_msg, sizeof r->fail_msg,
                         "an element at line %zu has more than %d attributes (the messages have "
                         "none); refused before parsing it",
                         r->scan_tag_line + 1, MAX_ATTRS);
                return -1;
            }
            break;
        case SCAN_QUOT:
            if (c == '"')
                st = SCAN_TAG;
            break;
        case SCAN_APOS:
            if (c == '\'')
                st = SCAN_TAG;
            break;
        }
        p2 = p1;
        p1 = c;
    }
    r->scan = st;
    r->scan_prev[0] = p1;
    r->scan_prev[1] = p2;
    return 0;
too_many_misc:
    /* libxml2 2.9's reader parses runs of comments ahead and keeps them (180 MB for 8 MB) */
    r->fail = ONSHI_E_XML_TOO_LARGE;
    snprintf(r->fail_msg, sizeof r->fail_msg,
             "more than %d comments or processing instructions%s (line %zu); refused before "
             "parsing them", MAX_MISC, r->streaming ? " in one unit" : "", r->scan_line + 1);
    return -1;
}

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
        /* memory: src.pre then src.mem, as one stream */
        got = r->src.pre_len + r->src.mem_len - r->src_pos;
        if (got > want)
            got = want;
        size_t k = 0;
        if (r->src_pos < r->src.pre_len) {
            k = r->src.pre_len - r->src_pos;
            if (k > got)
                k = got;
            memcpy(r->pend + r->pend_len, r->src.pre + r->src_pos, k);
        }
        if (k < got)
            memcpy(r->pend + r->pend_len + k, r->src.mem + (r->src_pos + k - r->src.pre_len),
                   got - k);
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
    /* Whole messages: the input's size. Streaming: the bytes of one unit (with what stands
     * between it and the previous one), plus the read-ahead window. */
    int64_t used = (int64_t)(r->src_pos - r->window_base);
    int64_t cap = r->max_size + (r->streaming ? 2 * PEEK + (int64_t)sizeof r->stage : 0);
    if (r->max_size > 0 && used > cap) {
        r->fail = ONSHI_E_XML_TOO_LARGE;
        if (r->streaming)
            snprintf(r->fail_msg, sizeof r->fail_msg,
                     "one unit (from byte %zu) is larger than %lld bytes (xml_max_size)",
                     r->window_base, (long long)r->max_size);
        else
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

/* libxml2 2.12 made the structured handler's error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *onshi__xml_error_arg;
#else
typedef xmlErrorPtr onshi__xml_error_arg;
#endif

static void xml_error(void *arg, onshi__xml_error_arg err);

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
        size_t rc = onshi__cv(r->cd, &in, &il, &out, &ol);
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
    if (scan_attrs(r, buf, n) < 0)
        return -1;
    return (int)n;
}

static int close_cb(void *arg)
{
    (void)arg;
    return 0;
}

static void xml_error(void *arg, onshi__xml_error_arg err)
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
    onshi__iconv_give(r->ctx, ONSHI__CD_CP932_UTF8, r->cd);
    onshi__charcheck_free(&r->cc);
    onshi__free_wiped(r->tbuf); /* text of values */
    onshi__free_wiped(r->pend); /* raw bytes of the message */
    onshi__free_wiped(r);       /* its conversion buffers too */
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
    /* libxml2's buffers hold the patients' names: every block it frees is wiped first. Set
     * before the parser allocates anything. */
    xmlMemSetup(onshi__free_wiped, malloc, onshi__realloc_wiped, onshi__strdup_plain);
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
    r->streaming = src.streaming;
    r->cd = ONSHI__CV_NONE;
    r->cc.eucjp = ONSHI__CV_NONE;
    r->max_size = ctx ? onshi__opt_int(ctx, ONSHI_OPT_XML_MAX_SIZE) : 256 * 1024 * 1024;
    r->max_depth = ctx ? (int)onshi__opt_int(ctx, ONSHI_OPT_XML_MAX_DEPTH) : 32;
    r->mem_factor = ctx ? onshi__opt_int(ctx, ONSHI_OPT_XML_MEMORY_FACTOR) : 16;
    r->pend_cap = PEEK;
    r->pend = malloc(r->pend_cap);
    if (r->pend == NULL) {
        onshi__xmlreader_free(r);
        return onshi__err(ctx, ONSHI_E_NOMEM, "reader buffer");
    }
    int rc;
    if (src.fd < 0 && !src.streaming && r->max_size > 0 && (int64_t)src.mem_len > r->max_size) {
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
        r->cd = onshi__iconv_take(ctx, ONSHI__CD_CP932_UTF8);
        if (r->cd == ONSHI__CV_NONE) {
            rc = onshi__err(ctx, ONSHI_E_UNSUPPORTED, "iconv has no CP932 converter");
            goto fail;
        }
    }
    rc = refuse_dtd(r);
    if (rc != ONSHI_OK)
        goto fail;
    onshi__charcheck_init(&r->cc, ctx);
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

/* The schema field a leaf node stands for (NULL: unknown element, group or wrapper). */
static const onshi__field *leaf_field(const onshi_group *n, const onshi__sent *e)
{
    if (e == NULL || n->kind != 0 || n->wrapper)
        return NULL;
    const onshi_group *g = onshi__group_of(n);
    if (g == NULL || g->kind == 0)
        return NULL;
    return e->field[0] ? e->field[0] : (g->variant > 0 && g->variant < 4 ? e->field[g->variant] : NULL);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void finish_leaf(onshi__xmlreader *r, onshi_group *n, const onshi__sent *e)
{
    if (n->text == NULL)
        n->text = empty_text;
    const onshi__field *f = leaf_field(n, e);
    if (f == NULL) {
        onshi__charcheck_text(&r->cc, n, n->text);
        return;
    }
    if (f->kind == K_INSURER && n->text != empty_text)
        normalise_insurer(n); /* 6-digit numbers are space-padded to 8 by design */
    else if (n->text[0] != '\0') {
        char *s = n->text;
        size_t len = strlen(s), lead = 0, trail = 0;
        while (lead < len && is_space(s[lead]))
            lead++;
        while (trail < len - lead && is_space(s[len - 1 - trail]))
            trail++;
        if (lead + trail > 0) {
            s[len - trail] = '\0';
            n->text = s + lead;
            onshi__warn(n, ONSHI_WARN_PADDED,
                        "%s: value padded with %zu leading and %zu trailing space(s): trimmed",
                        f->elem, lead, trail);
        }
    }
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

/* The gathered text becomes the leaf's value (one copy, whatever the number of pieces). */
static int commit_text(onshi__xmlreader *r, onshi_group *n)
{
    if (r->tlen > 0) {
        n->text = onshi__arena_strndup(&n->doc->arena, r->tbuf, r->tlen);
        if (n->text == NULL)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
    }
    r->tlen = 0;
    r->tnonspace = false;
    return ONSHI_OK;
}

static unsigned *unknown_count(onshi__xmlreader *r, const onshi_group *parent, size_t **skipped)
{
    bool unit = parent->doc != r->doc;
    *skipped = unit ? &r->unit_unknown_skipped : &r->unknown_skipped;
    return unit ? &r->unit_unknown_kept : &r->unknown_kept;
}

static void flush_dropped(onshi_group *node, size_t *skipped)
{
    if (*skipped > 0)
        onshi__warn_forced(node, ONSHI_WARN_DROPPED,
                           "%zu unknown element(s) beyond the first %d not kept", *skipped,
                           MAX_UNKNOWN);
    *skipped = 0;
    onshi__warn_flush(node);
}

/* Is a single-valued element already among the parent's children? Known elements carry
 * the schema's static spelling, so a pointer comparison finds them. */
static bool seen_before(const onshi_group *parent, const char *stat)
{
    for (const onshi_group *c = parent->first; c != NULL; c = c->next)
        if (c->name == stat)
            return true;
    return false;
}

/* A leaf of the schema that holds one value (not a repeating field such as ReferenceNumber
 * in a bulk unit). */
static bool single_field(const onshi__sent *ent)
{
    bool any = false;
    for (int v = 0; v < 4; v++)
        if (ent->field[v] != NULL) {
            if (onshi__field_repeats(ent->field[v]))
                return false;
            any = true;
        }
    return any;
}

static int ambiguous(onshi__xmlreader *r, const char *fmt, const char *a, const char *b)
{
    char what[200];
    snprintf(what, sizeof what, fmt, a, b);
    return fail_here(r, ONSHI_E_XML_AMBIGUOUS, what);
}

static int start_element(onshi__xmlreader *r, bool *is_unit, bool *skip)
{
    const char *name = (const char *)xmlTextReaderConstName(r->xr);
    int depth = xmlTextReaderDepth(r->xr);
    *is_unit = false;
    *skip = false;
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
        bool wrapper = false, single = false;
        int kind = 0;
        /* A value is text only: an element inside a field is mixed content. */
        if (!parent->had_child && leaf_field(parent, parent->sent) != NULL)
            return ambiguous(r, "value <%.40s> contains element <%.40s> (mixed content refused)",
                             parent->name, name);
        if (!parent->had_child && r->tlen > 0) {
            if (parent->kind != 0 || parent->wrapper) {
                if (r->tnonspace)
                    return ambiguous(r, "text inside <%.40s> before <%.40s> (mixed content refused)",
                                     parent->name, name);
                r->tlen = 0;
            } else {
                int rc = commit_text(r, parent); /* unknown element: its text is kept */
                if (rc != ONSHI_OK)
                    return rc;
            }
        }
        r->tlen = 0;
        r->tnonspace = false;
        if (parent == r->msg->root) {
            if (strcmp(name, "MessageHeader") == 0) {
                if (r->msg->header != NULL)
                    return ambiguous(r, "second <%s>%s (refused, never one picked)", name, "");
                kind = ONSHI_G_HEADER, stat = "MessageHeader";
            } else if (strcmp(name, "MessageBody") == 0) {
                if (r->msg->body != NULL)
                    return ambiguous(r, "second <%s>%s (refused, never one picked)", name, "");
                kind = ONSHI_G_BODY, stat = "MessageBody";
            }
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
                single = c != NULL ? !c->repeat : (wrapper || single_field(ent));
            }
        }
        if (single && seen_before(parent, stat))
            return ambiguous(r, "<%.40s> appears twice in <%.40s> (a single value: refused, never "
                                "one picked)", stat, parent->name);
        parent->had_child = true;
        if (r->streaming && kind == ONSHI_G_BULK_UNIT && owner == r->msg->body) {
            *is_unit = true;
            if (r->unit_doc == NULL)
                return ONSHI_OK; /* the caller stops before the unit */
            onshi__doc_reset(r->unit_doc);
            r->unit_doc->in_unit = true;
            r->unit_doc->unit_index = r->units;
            r->unit_unknown_kept = 0;
            r->unit_unknown_skipped = 0;
            r->unit_misc = 0;
            r->scan_misc = 0;
            r->window_base = r->src_pos;
            n = onshi__node_new(r->unit_doc, NULL, stat, (size_t)-1);
            if (n == NULL)
                return onshi__err(r->ctx, ONSHI_E_NOMEM, "node");
            n->parent = parent; /* not linked: the body does not grow with the units */
            n->idx = r->units++;
            r->unit = n;
        } else {
            onshi__doc *d = parent->doc;
            if (stat == NULL) {
                size_t *skipped;
                unsigned *kept = unknown_count(r, parent, &skipped);
                if (*kept >= MAX_UNKNOWN) {
                    (*skipped)++;
                    *skip = true; /* the whole subtree, never built */
                    return ONSHI_OK;
                }
                (*kept)++;
            }
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
    if (n == NULL)
        return ONSHI_OK;
    const char *v = (const char *)xmlTextReaderConstValue(r->xr);
    if (v == NULL)
        return ONSHI_OK;
    size_t add = strlen(v);
    bool nonspace = false;
    for (size_t i = 0; i < add && !nonspace; i++)
        nonspace = !is_space(v[i]);
    if (n->had_child) {
        /* text after an element child: whitespace, or mixed content */
        if (nonspace && (n->kind != 0 || n->wrapper || leaf_field(n, n->sent) != NULL))
            return ambiguous(r, "text inside <%.40s> after an element%s (mixed content refused)",
                             n->name, "");
        return ONSHI_OK;
    }
    if (r->tlen + add + 1 > r->tcap) {
        size_t cap = r->tcap ? r->tcap : 256;
        while (cap < r->tlen + add + 1)
            cap *= 2;
        char *t = realloc(r->tbuf, cap);
        if (t == NULL)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "text");
        r->tbuf = t;
        r->tcap = cap;
    }
    memcpy(r->tbuf + r->tlen, v, add);
    r->tlen += add;
    r->tnonspace |= nonspace;
    return ONSHI_OK;
}

/* Memory of a doc so far against its budget: xml_memory_factor × its input + a floor. */
static int check_budget(onshi__xmlreader *r, const onshi__doc *d, size_t input)
{
    uint64_t used = d->arena.used_total + (uint64_t)d->nwarn * 256 + r->tcap;
    uint64_t budget = (uint64_t)r->mem_factor * (input + 2 * PEEK) + BUDGET_FLOOR;
    if (used <= budget)
        return ONSHI_OK;
    char what[160];
    snprintf(what, sizeof what,
             "the decoded tree needs more than %llu bytes for %zu input bytes (xml_memory_factor %lld)",
             (unsigned long long)budget, input, (long long)r->mem_factor);
    return fail_here(r, ONSHI_E_XML_TOO_LARGE, what);
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

static int unit_done(onshi__xmlreader *r, int *what)
{
    r->have_node = false;
    *what = STEP_UNIT_DONE;
    flush_dropped(r->unit, &r->unit_unknown_skipped);
    r->window_base = r->src_pos;
    return r->unit_doc->oom ? onshi__err(r->ctx, ONSHI_E_NOMEM, "unit") : ONSHI_OK;
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
                flush_dropped(r->msg->root, &r->unknown_skipped);
                *what = STEP_EOF;
                return r->doc->oom ? onshi__err(r->ctx, ONSHI_E_NOMEM, "warnings") : ONSHI_OK;
            }
            r->have_node = true;
        }
        int type = xmlTextReaderNodeType(r->xr);
        int rc = ONSHI_OK;
        switch (type) {
        case XML_READER_TYPE_ELEMENT: {
            bool unit, skip;
            rc = start_element(r, &unit, &skip);
            if (rc == ONSHI_OK && skip) {
                /* an unknown element over the cap: step over its whole subtree */
                int ret = xmlTextReaderNext(r->xr);
                if (ret < 0 || r->fail || r->xcode)
                    return xml_failure(r);
                r->have_node = ret == 1;
                if (ret == 0)
                    continue; /* the next Read reports the end */
                continue;
            }
            if (rc == ONSHI_OK && unit && r->unit_doc == NULL) {
                *what = STEP_AT_UNIT; /* keep the node for the next call */
                return ONSHI_OK;
            }
            if (rc == ONSHI_OK && unit && r->cur != r->unit)
                return unit_done(r, what); /* <BulkConfirmUnit/>: done at once */
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
            if (n->kind == 0 && !n->wrapper && !n->had_child) {
                rc = commit_text(r, n);
                if (rc != ONSHI_OK)
                    return rc;
                finish_leaf(r, n, n->sent);
            } else if (!n->had_child && r->tnonspace) {
                rc = ambiguous(r, "text directly inside <%.40s>%s (it holds elements only)",
                               n->name, "");
                break;
            }
            r->tlen = 0;
            r->tnonspace = false;
            r->cur = n->parent;
            if (n == r->unit && r->unit != NULL)
                return unit_done(r, what);
            break;
        }
        case XML_READER_TYPE_DOCUMENT_TYPE:
        case XML_READER_TYPE_ENTITY:
        case XML_READER_TYPE_ENTITY_REFERENCE:
            rc = fail_here(r, ONSHI_E_XML_DTD, "DOCTYPE or entity refused");
            break;
        case XML_READER_TYPE_COMMENT:
        case XML_READER_TYPE_PROCESSING_INSTRUCTION: {
            unsigned *k = r->unit != NULL && r->unit_doc != NULL ? &r->unit_misc : &r->misc;
            if (++*k > MAX_MISC) {
                char what[120];
                snprintf(what, sizeof what,
                         "more than %d comments or processing instructions%s", MAX_MISC,
                         k == &r->unit_misc ? " in one unit" : "");
                rc = fail_here(r, ONSHI_E_XML_TOO_LARGE, what);
            }
            break;
        }
        default:
            break;
        }
        r->have_node = false;
        if (rc != ONSHI_OK)
            return rc;
        if (r->doc->oom)
            return onshi__err(r->ctx, ONSHI_E_NOMEM, "building the message");
        if (r->unit != NULL && r->unit_doc != NULL) {
            if (r->unit_doc->oom)
                return onshi__err(r->ctx, ONSHI_E_NOMEM, "unit");
            rc = check_budget(r, r->unit_doc, r->src_pos - r->window_base);
        } else {
            rc = check_budget(r, r->doc, r->src_pos);
        }
        if (rc != ONSHI_OK)
            return rc;
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
