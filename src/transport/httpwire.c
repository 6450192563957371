/*
 * The HTTP/1.1 parser behind onshi__http_* (httpwire.h): nodejs/http-parser 2.9 (Debian's
 * libhttp-parser-dev). Unmaintained upstream since 2022 but stable and complete for our use
 * (docs/build.md); llhttp is its successor and would replace this file only.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "transport/httpwire.h"

#include <http_parser.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct onshi__http {
    http_parser p;
    http_parser_settings set;
    onshi__http_cbs cbs;
    bool request;
    bool done;
    bool in_value;
    size_t nlen, vlen;
    char name[256], value[256];
};

static int flush_header(onshi__http *h)
{
    int rc = 0;
    if (h->in_value && h->cbs.header != NULL) {
        h->name[h->nlen] = '\0';
        h->value[h->vlen] = '\0';
        rc = h->cbs.header(h->cbs.ud, h->name, h->value);
    }
    h->in_value = false;
    h->nlen = h->vlen = 0;
    return rc;
}

static void add(char *dst, size_t *len, const char *at, size_t n)
{
    size_t room = 255 - *len, k = n < room ? n : room;
    memcpy(dst + *len, at, k);
    *len += k;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    onshi__http *h = p->data;
    return h->cbs.url ? h->cbs.url(h->cbs.ud, at, n) : 0;
}

static int on_field(http_parser *p, const char *at, size_t n)
{
    onshi__http *h = p->data;
    if (h->in_value && flush_header(h) != 0)
        return -1;
    add(h->name, &h->nlen, at, n);
    return 0;
}

static int on_value(http_parser *p, const char *at, size_t n)
{
    onshi__http *h = p->data;
    h->in_value = true;
    add(h->value, &h->vlen, at, n);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    onshi__http *h = p->data;
    if (flush_header(h) != 0)
        return -1;
    if (h->cbs.headers_done == NULL)
        return 0;
    onshi__http_head hd;
    hd.status = (int)p->status_code;
    hd.method = h->request ? http_method_str((enum http_method)p->method) : NULL;
    hd.content_length = (p->flags & F_CONTENTLENGTH) && p->content_length <= INT64_MAX
                            ? (int64_t)p->content_length
                            : -1;
    hd.chunked = (p->flags & F_CHUNKED) != 0;
    hd.keep_alive = http_should_keep_alive(p) != 0;
    int rc = h->cbs.headers_done(h->cbs.ud, &hd);
    return rc == 1 ? 1 : rc != 0 ? -1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    onshi__http *h = p->data;
    return h->cbs.body ? (h->cbs.body(h->cbs.ud, at, n) != 0 ? -1 : 0) : 0;
}

static int on_chunk(http_parser *p)
{
    onshi__http *h = p->data;
    /* during a chunk header, content_length holds the chunk's declared size */
    return h->cbs.chunk ? (h->cbs.chunk(h->cbs.ud, (uint64_t)p->content_length) != 0 ? -1 : 0) : 0;
}

static int on_complete(http_parser *p)
{
    onshi__http *h = p->data;
    h->done = true;
    int rc = h->cbs.complete ? h->cbs.complete(h->cbs.ud) : 0;
    http_parser_pause(p, 1); /* anything after the message waits for the next reset */
    return rc != 0 ? -1 : 0;
}

void onshi__http_reset(onshi__http *h)
{
    http_parser_init(&h->p, h->request ? HTTP_REQUEST : HTTP_RESPONSE);
    h->p.data = h;
    h->done = false;
    h->in_value = false;
    h->nlen = h->vlen = 0;
}

onshi__http *onshi__http_new(bool request, const onshi__http_cbs *cbs)
{
    onshi__http *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->request = request;
    if (cbs != NULL)
        h->cbs = *cbs;
    http_parser_settings_init(&h->set);
    h->set.on_url = on_url;
    h->set.on_header_field = on_field;
    h->set.on_header_value = on_value;
    h->set.on_headers_complete = on_headers_complete;
    h->set.on_body = on_body;
    h->set.on_message_complete = on_complete;
    h->set.on_chunk_header = on_chunk;
    onshi__http_reset(h);
    return h;
}

void onshi__http_free(onshi__http *h)
{
    free(h);
}

size_t onshi__http_feed(onshi__http *h, const char *p, size_t n)
{
    if (h->done || HTTP_PARSER_ERRNO(&h->p) != HPE_OK)
        return 0;
    return http_parser_execute(&h->p, &h->set, n ? p : NULL, n);
}

int onshi__http_state(const onshi__http *h, const char **why)
{
    if (h->done)
        return ONSHI__HTTP_DONE;
    enum http_errno e = HTTP_PARSER_ERRNO(&h->p);
    if (e == HPE_OK)
        return ONSHI__HTTP_OK;
    if (why != NULL)
        *why = http_errno_description(e);
    return ONSHI__HTTP_ERROR;
}

int onshi__http_status(const onshi__http *h)
{
    return (int)h->p.status_code;
}

const char *onshi__http_method(const onshi__http *h)
{
    return h->request ? http_method_str((enum http_method)h->p.method) : NULL;
}

bool onshi__http_keep_alive(const onshi__http *h)
{
    return http_should_keep_alive(&h->p) != 0;
}
