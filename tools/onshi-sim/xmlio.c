/*
 * XML in and out for the simulator: hardened request parsing (UTF-8 or CP932 by declaration)
 * and the result builder. Results are built as codec messages (onshi_msg, groups and fields
 * found by element name in the codec's schema) and written by onshi_msg_encode, so the
 * simulator writes exactly the layout, order, padding and encodings the SDK reads.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

#include "codec/codec.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_DEPTH 32

void sim_out_free(sim_out *o)
{
    free(o->data);
    o->data = NULL;
    o->len = 0;
}

/* iconv of a whole buffer; returns malloc'ed bytes (NUL-terminated) or NULL. */
static unsigned char *conv(const char *to, const char *from, const unsigned char *in, size_t n,
                           size_t *outn)
{
    iconv_t cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = n * 2 + 16;
    unsigned char *out = malloc(cap);
    char *ip = (char *)(uintptr_t)in, *op = (char *)out;
    size_t il = n, ol = cap - 1;
    if (out && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    iconv_close(cd);
    if (!out)
        return NULL;
    *op = '\0';
    *outn = (size_t)(op - (char *)out);
    return out;
}

/* The encoding named in the XML declaration (lower-cased), or "" when none. */
static void decl_encoding(const unsigned char *d, size_t n, char *enc, size_t en)
{
    enc[0] = '\0';
    if (n < 5 || memcmp(d, "<?xml", 5) != 0)
        return;
    const unsigned char *end = memchr(d, '>', n);
    if (!end)
        return;
    for (const unsigned char *p = d; p + 9 < end; p++) {
        if (memcmp(p, "encoding=", 9) != 0)
            continue;
        p += 9;
        unsigned char q = *p++;
        size_t i = 0;
        while (p < end && *p != q && i + 1 < en)
            enc[i++] = (char)tolower(*p++);
        enc[i] = '\0';
        return;
    }
}

static bool is_sjis(const char *enc)
{
    return strcmp(enc, "shift_jis") == 0 || strcmp(enc, "shift-jis") == 0 ||
           strcmp(enc, "sjis") == 0 || strcmp(enc, "windows-31j") == 0 ||
           strcmp(enc, "cp932") == 0 || strcmp(enc, "ms932") == 0;
}

static int depth_ok(xmlNode *n, int d)
{
    if (d > SIM_MAX_DEPTH)
        return 0;
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !depth_ok(c, d + 1))
            return 0;
    return 1;
}

int sim_req_parse(sim_req *r, const unsigned char *data, size_t len, char *err, size_t errn)
{
    char enc[32];
    unsigned char *utf8 = NULL;
    size_t ulen = len;
    memset(r, 0, sizeof *r);
    if (len > 16u * 1024 * 1024) {
        snprintf(err, errn, "request larger than 16 MiB");
        return -1;
    }
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
        data += 3;
        len -= 3;
        ulen = len;
    }
    decl_encoding(data, len, enc, sizeof enc);
    if (is_sjis(enc)) {
        /* libxml2's iconv "Shift_JIS" rejects 髙, 﨑, ①: decode as CP932 ourselves. */
        utf8 = conv("UTF-8", "CP932", data, len, &ulen);
        if (!utf8) {
            snprintf(err, errn, "request is not valid CP932 although declared %s", enc);
            return -1;
        }
    } else if (enc[0] && strcmp(enc, "utf-8") != 0 && strcmp(enc, "utf8") != 0) {
        snprintf(err, errn, "unsupported request encoding '%s'", enc);
        return -1;
    }
    r->doc = xmlReadMemory(utf8 ? (const char *)utf8 : (const char *)data, (int)ulen, "req.xml",
                           "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    free(utf8);
    if (!r->doc) {
        xmlError *e = xmlGetLastError();
        snprintf(err, errn, "request is not well-formed XML (line %d: %s)", e ? e->line : 0,
                 e && e->message ? e->message : "?");
        if (strlen(err) && err[strlen(err) - 1] == '\n')
            err[strlen(err) - 1] = '\0';
        return -1;
    }
    if (r->doc->intSubset || r->doc->extSubset) {
        snprintf(err, errn, "request carries a DTD; refused");
        sim_req_free(r);
        return -1;
    }
    r->root = xmlDocGetRootElement(r->doc);
    /* XmlMsg, or a root of libonshi's HTTPS extensions (OnshiCardAuthChallengeRequest). */
    if (!r->root || (strcmp((const char *)r->root->name, "XmlMsg") != 0 &&
                     strncmp((const char *)r->root->name, "Onshi", 5) != 0)) {
        snprintf(err, errn, "root element is not XmlMsg");
        sim_req_free(r);
        return -1;
    }
    if (!depth_ok(r->root, 0)) {
        snprintf(err, errn, "request nested deeper than %d", SIM_MAX_DEPTH);
        sim_req_free(r);
        return -1;
    }
    return 0;
}

void sim_req_free(sim_req *r)
{
    if (r->doc)
        xmlFreeDoc(r->doc);
    r->doc = NULL;
    r->root = NULL;
}

xmlNode *sim_x_next(xmlNode *n, const char *name)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
    return NULL;
}

xmlNode *sim_x_node(xmlNode *base, const char *path)
{
    char seg[96];
    xmlNode *n = base;
    while (n && *path) {
        size_t l = strcspn(path, "/");
        if (l >= sizeof seg)
            return NULL;
        memcpy(seg, path, l);
        seg[l] = '\0';
        n = sim_x_next(n->children, seg);
        path += l;
        if (*path == '/')
            path++;
    }
    return n;
}

bool sim_x(xmlNode *base, const char *path, char *out, size_t n)
{
    out[0] = '\0';
    xmlNode *x = base ? sim_x_node(base, path) : NULL;
    if (!x)
        return false;
    xmlChar *c = xmlNodeGetContent(x);
    const char *s = c ? (const char *)c : "";
    /* Insurer numbers keep their leading spaces for sim_insurer_norm; others are trimmed. */
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == '\t'))
        l--;
    while (l > 0 && (*s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        l--;
    }
    if (l >= n)
        l = n - 1;
    memcpy(out, s, l);
    out[l] = '\0';
    xmlFree(c);
    return true;
}

/* ---- writer (through the codec) ----------------------------------------------------------- */

int sim_restype(const char *prefix)
{
    static const struct {
        const char *name;
        int type;
    } k_ext[] = {{"cardauth", ONSHI_MSG_CARDAUTH_RES}, {"cardauth-challenge", 0},
                 {"disaster", ONSHI_MSG_DRUG_RES}};
    for (size_t i = 0; i < sizeof k_ext / sizeof k_ext[0]; i++)
        if (strcmp(prefix, k_ext[i].name) == 0)
            return k_ext[i].type;
    /* The result type follows its request in the one message table (msgtypes.def). */
    for (size_t i = 0; i + 1 < onshi__msgtype_count(); i++) {
        const onshi__msgtype *m = onshi__msgtype_at(i);
        if (m->prefix && m->is_request && strcmp(m->prefix, prefix) == 0)
            return onshi__msgtype_at(i + 1)->id;
    }
    return 0;
}

int sim_w_begin(sim_w *w, int type)
{
    memset(w, 0, sizeof *w);
    w->type = type;
    return onshi_msg_new(&w->msg, type) == ONSHI_OK ? 0 : -1;
}

char *sim_jis_filter(const char *s)
{
    static const char mark[] = "\xE2\x97\x8F"; /* ● */
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    iconv_t cd = iconv_open("CP932", "UTF-8");
    while (*s) {
        unsigned char c = (unsigned char)*s;
        size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char tmp[8];
        char *ip = (char *)(uintptr_t)s, *op = tmp;
        size_t il = l, ol = sizeof tmp;
        bool ok = c < 0x80 ||
                  (cd != (iconv_t)-1 && iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && il == 0);
        if (cd != (iconv_t)-1)
            iconv(cd, NULL, NULL, NULL, NULL);
        if (ok) {
            memcpy(o, s, l);
            o += l;
        } else {
            memcpy(o, mark, 3);
            o += 3;
        }
        for (size_t i = 0; i < l && *s; i++)
            s++;
    }
    *o = '\0';
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    return out;
}

static void set_field(sim_w *w, onshi_group *g, const char *name, const char *value)
{
    const onshi__field *f = onshi__field_by_elem(g->kind, g->variant, name);
    if (!f) {
        sim_log("sim: the codec has no element %s in group %d; not written", name, g->kind);
        return;
    }
    char *v = sim_jis_filter(value);
    int rc = v ? onshi_group_set_str(g, f->id, v) : ONSHI_E_NOMEM;
    if (rc != ONSHI_OK)
        sim_log("sim: codec refused %s='%s' (%s)", name, v ? v : "", onshi_status_name(rc));
    free(v);
    (void)w;
}

void sim_w_el(sim_w *w, const char *name, const char *value)
{
    if (!value || !value[0] || w->skip || w->depth == 0)
        return;
    set_field(w, w->stack[w->depth - 1], name, value);
}

void sim_w_hdr(sim_w *w, const char *name, const char *value)
{
    if (value && value[0])
        set_field(w, onshi_msg_header(w->msg), name, value);
}

void sim_w_elf(sim_w *w, const char *name, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sim_w_el(w, name, buf);
}

void sim_w_start(sim_w *w, const char *name)
{
    onshi_group *g = NULL;
    if (w->skip || w->depth >= SIM_W_DEPTH) {
        w->skip++;
        return;
    }
    if (w->depth == 0) {
        g = strcmp(name, "MessageHeader") == 0 ? onshi_msg_header(w->msg)
            : strcmp(name, "MessageBody") == 0 ? onshi_msg_body(w->msg) : NULL;
    } else {
        onshi_group *parent = w->stack[w->depth - 1];
        const onshi__sent *se = onshi__schema_lookup(parent->kind, name);
        if (se && se->child && onshi__group_add_row(parent, se->child, &g) != ONSHI_OK)
            g = NULL;
        else if (se && !se->child && se->wrapper)
            g = parent; /* wrappers (ResultList, …) are written by the codec itself */
    }
    if (!g) {
        sim_log("sim: the codec has no group %s here; not written", name);
        w->skip = 1;
        return;
    }
    w->stack[w->depth++] = g;
}

void sim_w_end(sim_w *w)
{
    if (w->skip)
        w->skip--;
    else if (w->depth > 0)
        w->depth--;
}

void sim_w_header(sim_w *w, sim_env *env, const char *qdate, const char *inst, const char *afi,
                  const char *refclass, const char *seg, const char *errcode, const char *errmsg)
{
    char now[15];
    sim_stamp(now, sim_now_ms());
    sim_w_start(w, "MessageHeader");
    sim_w_el(w, "ProcessExecutionTime", now);
    sim_w_el(w, "QualificationConfirmationDate", qdate);
    sim_w_el(w, "MedicalInstitutionCode", inst);
    sim_w_el(w, "ArbitraryFileIdentifier", afi);
    sim_w_el(w, "ReferenceClassification", refclass);
    sim_w_el(w, "SegmentOfResult", seg);
    sim_w_el(w, "ErrorCode", errcode);
    sim_w_el(w, "ErrorMessage", errmsg);
    sim_w_el(w, "CharacterCodeIdentifier", env->cp932 ? "1" : "0");
    sim_w_end(w);
}

void sim_w_discard(sim_w *w)
{
    onshi_msg_free(w->msg);
    w->msg = NULL;
}

/* Swaps the encoding named in the XML declaration (the WRONGENC fault). */
static unsigned char *swap_decl(unsigned char *d, size_t *len)
{
    static const char u8[] = "encoding=\"UTF-8\"", sj[] = "encoding=\"Shift_JIS\"";
    char *end = memchr(d, '>', *len < 200 ? *len : 200);
    char *p = end ? strstr((char *)d, u8) : NULL;
    const char *from = u8, *to = sj;
    if (!p || p > end) {
        p = strstr((char *)d, sj);
        from = sj;
        to = u8;
    }
    if (!p || !end || p > end)
        return d;
    size_t fl = strlen(from), tl = strlen(to), off = (size_t)(p - (char *)d);
    unsigned char *n = malloc(*len - fl + tl + 1);
    if (!n)
        return d;
    memcpy(n, d, off);
    memcpy(n + off, to, tl);
    memcpy(n + off + tl, d + off + fl, *len - off - fl + 1);
    *len = *len - fl + tl;
    free(d);
    return n;
}

int sim_w_finish(sim_w *w, bool cp932, const sim_fault *fault, sim_out *out)
{
    onshi_ctx *ctx = NULL;
    onshi_buf *buf = NULL;
    int kind = fault ? fault->kind : SIM_FAULT_NONE;
    int rc = onshi_ctx_new(&ctx);
    if (rc == ONSHI_OK)
        rc = onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING,
                               cp932 ? ONSHI_ENC_CP932 : ONSHI_ENC_UTF8);
    if (rc == ONSHI_OK)
        rc = onshi_msg_encode(&buf, ctx, w->msg);
    if (rc != ONSHI_OK)
        sim_log("sim: codec could not write the result: %s",
                ctx ? onshi_ctx_last_error_message(ctx) : onshi_status_name(rc));
    onshi_ctx_free(ctx);
    sim_w_discard(w);
    if (rc != ONSHI_OK)
        return -1;
    size_t len = onshi_buf_len(buf);
    unsigned char *data = malloc(len + 1);
    if (!data) {
        onshi_buf_free(buf);
        return -1;
    }
    memcpy(data, onshi_buf_data(buf), len);
    data[len] = '\0';
    onshi_buf_free(buf);
    if (kind == SIM_FAULT_WRONGENC)
        data = swap_decl(data, &len);
    if (kind == SIM_FAULT_MALFORMED && len > 40) {
        /* Cut inside the body, then a stray close tag: not well-formed for any parser. */
        len = len * 2 / 3;
        memcpy(data + len - 4, "</X>", 4);
    }
    out->data = data;
    out->len = len;
    out->ext = "xml";
    out->ctype = cp932 ? "application/xml; charset=Shift_JIS" : "application/xml; charset=UTF-8";
    if (!out->status)
        out->status = 200;
    return 0;
}
