/*
 * XML in and out for the simulator: hardened request parsing (UTF-8 or CP932 by declaration)
 * and the result writer. This is the ONE file that builds XML with xmlTextWriter; it is
 * replaced by the codec's encoders once the codec branch lands.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "sim.h"

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

/* ---- writer ------------------------------------------------------------------------------ */

int sim_w_begin(sim_w *w)
{
    return sim_w_begin_root(w, "XmlMsg", NULL);
}

int sim_w_begin_root(sim_w *w, const char *root, const char *version)
{
    w->buf = xmlBufferCreate();
    w->w = w->buf ? xmlNewTextWriterMemory(w->buf, 0) : NULL;
    if (!w->w) {
        xmlBufferFree(w->buf);
        return -1;
    }
    xmlTextWriterSetIndent(w->w, 1);
    xmlTextWriterSetIndentString(w->w, BAD_CAST "  ");
    xmlTextWriterStartDocument(w->w, "1.0", "UTF-8", "no");
    xmlTextWriterStartElement(w->w, BAD_CAST root);
    if (version)
        xmlTextWriterWriteAttribute(w->w, BAD_CAST "version", BAD_CAST version);
    return 0;
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

void sim_w_el(sim_w *w, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    char *v = sim_jis_filter(value);
    xmlTextWriterWriteElement(w->w, BAD_CAST name, BAD_CAST(v ? v : ""));
    free(v);
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
    xmlTextWriterStartElement(w->w, BAD_CAST name);
}

void sim_w_end(sim_w *w)
{
    xmlTextWriterEndElement(w->w);
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

int sim_w_finish(sim_w *w, bool cp932, const sim_fault *fault, sim_out *out)
{
    xmlTextWriterEndDocument(w->w);
    xmlFreeTextWriter(w->w);
    w->w = NULL;
    const unsigned char *u = xmlBufferContent(w->buf);
    size_t ul = (size_t)xmlBufferLength(w->buf);
    int kind = fault ? fault->kind : SIM_FAULT_NONE;
    unsigned char *data = NULL;
    size_t len = 0;
    /* The writer's declaration says UTF-8; a CP932 result says Shift_JIS as the terminal does.
     * WRONGENC swaps the declaration but not the bytes. */
    const char *decl_from = "encoding=\"UTF-8\"";
    bool want_sjis_decl = cp932 != (kind == SIM_FAULT_WRONGENC);
    unsigned char *tmp = malloc(ul + 32);
    if (!tmp) {
        xmlBufferFree(w->buf);
        return -1;
    }
    const unsigned char *p = (const unsigned char *)strstr((const char *)u, decl_from);
    size_t pre = p ? (size_t)(p - u) : 0;
    if (p && want_sjis_decl) {
        memcpy(tmp, u, pre);
        len = pre + (size_t)sprintf((char *)tmp + pre, "encoding=\"Shift_JIS\"");
        memcpy(tmp + len, p + strlen(decl_from), ul - pre - strlen(decl_from));
        len += ul - pre - strlen(decl_from);
    } else {
        memcpy(tmp, u, ul);
        len = ul;
    }
    xmlBufferFree(w->buf);
    w->buf = NULL;
    if (cp932) {
        data = conv("CP932", "UTF-8", tmp, len, &len);
        free(tmp);
        if (!data)
            return -1;
    } else {
        data = tmp;
    }
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
