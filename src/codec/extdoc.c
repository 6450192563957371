/*
 * codec/ — the HTTPS extension documents of docs/protocol.md §7-§8 (card authentication,
 * disaster search): attribute-carrying, strictly ordered elements of libonshi's own that have
 * no XmlMsg rows. The workflows build them with this writer and read the flat challenge
 * answer with this reader, so that libxml2 stays inside the codec; base64 is here too.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec/codec.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

int onshi__xw_begin(onshi__xw *d, bool standalone_no)
{
    d->buf = xmlBufferCreate();
    d->w = d->buf ? xmlNewTextWriterMemory(d->buf, 0) : NULL;
    if (d->w == NULL) {
        if (d->buf)
            xmlBufferFree(d->buf);
        d->buf = NULL;
        return ONSHI_E_NOMEM;
    }
    d->failed = xmlTextWriterStartDocument(d->w, "1.0", "UTF-8", standalone_no ? "no" : NULL) < 0;
    return ONSHI_OK;
}

void onshi__xw_start(onshi__xw *d, const char *name)
{
    if (!d->failed && xmlTextWriterStartElement(d->w, BAD_CAST name) < 0)
        d->failed = true;
}

void onshi__xw_attr(onshi__xw *d, const char *name, const char *value)
{
    if (!d->failed && xmlTextWriterWriteAttribute(d->w, BAD_CAST name, BAD_CAST value) < 0)
        d->failed = true;
}

void onshi__xw_el(onshi__xw *d, const char *name, const char *value)
{
    if (!d->failed &&
        xmlTextWriterWriteElement(d->w, BAD_CAST name, BAD_CAST(value ? value : "")) < 0)
        d->failed = true;
}

void onshi__xw_end(onshi__xw *d)
{
    if (!d->failed && xmlTextWriterEndElement(d->w) < 0)
        d->failed = true;
}

int onshi__xw_finish(onshi_ctx *ctx, onshi__xw *d, onshi_buf **out)
{
    if (!d->failed && xmlTextWriterEndDocument(d->w) < 0)
        d->failed = true;
    xmlFreeTextWriter(d->w); /* flushes into d->buf */
    d->w = NULL;
    int rc = ONSHI_OK;
    if (d->failed)
        rc = onshi__err(ctx, ONSHI_E_NOMEM, "writing the request document");
    else
        rc = onshi__buf_new_copy(xmlBufferContent(d->buf), (size_t)xmlBufferLength(d->buf), out);
    xmlBufferFree(d->buf);
    d->buf = NULL;
    if (rc == ONSHI_E_NOMEM && !d->failed)
        return onshi__err(ctx, rc, "request document");
    return rc;
}

/* ---- flat reader ---- */

static bool copy_text(xmlNode *root, const char *name, char *out, size_t cap)
{
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        bool ok = t != NULL && strlen((const char *)t) < cap;
        if (ok)
            snprintf(out, cap, "%s", (const char *)t);
        xmlFree(t);
        return ok;
    }
    return false;
}

const char *onshi__xml_flat_read(const void *data, size_t len, const char *root_name,
                                 const onshi__xml_flat_item *items, size_t n)
{
    if (len == 0 || len > (size_t)INT32_MAX)
        return "empty or too large";
    /* Hostile until parsed: no network, no entity expansion, and a DTD is refused below. */
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)len, "answer.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        return "not well-formed XML";
    const char *why = NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (doc->intSubset != NULL || doc->extSubset != NULL)
        why = "a DTD is not allowed";
    else if (root == NULL || strcmp((const char *)root->name, root_name) != 0)
        why = "not the expected root element";
    for (size_t i = 0; why == NULL && i < n; i++)
        if (!copy_text(root, items[i].name, items[i].out, items[i].cap))
            why = "an element is missing or too long";
    xmlFreeDoc(doc);
    return why;
}

/* ---- base64 (RFC 4648 §4, with padding) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *onshi__base64_encode(const void *data, size_t n)
{
    const unsigned char *p = data;
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
        return NULL;
    char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = b64_alphabet[v >> 18 & 63];
        *o++ = b64_alphabet[v >> 12 & 63];
        *o++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
    }
    *o = '\0';
    return s;
}

int onshi__base64_decode(const char *s, unsigned char *out, size_t cap, size_t *outlen)
{
    size_t n = strlen(s), o = 0;
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char c = s[i + (size_t)k];
            const char *q = c ? strchr(b64_alphabet, c) : NULL;
            if (c == '=' && i + 4 == n && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
            } else if (q != NULL && pad == 0) {
                v = v << 6 | (unsigned)(q - b64_alphabet);
            } else {
                return -1;
            }
        }
        for (int k = 0; k < 3 - pad; k++) {
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(v >> (16 - 8 * k));
        }
    }
    *outlen = o;
    return 0;
}
