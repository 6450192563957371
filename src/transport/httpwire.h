/*
 * transport/ — the one interface to the HTTP/1.1 parser (issue 18). Only httpwire.c includes
 * the parser's header (http-parser today; a move to llhttp changes that file alone). Used by
 * the HTTPS client (responses), the proxy CONNECT answer and onshi-sim (requests).
 * Internal; never installed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TRANSPORT_HTTPWIRE_H
#define ONSHI_TRANSPORT_HTTPWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct onshi__http onshi__http;

/* What is known when the header block is complete. */
typedef struct onshi__http_head {
    int status;             /* responses */
    const char *method;     /* requests: "GET", "POST"… */
    int64_t content_length; /* -1 when absent */
    bool chunked;
    bool keep_alive;
} onshi__http_head;

/* Callbacks; any may be NULL. A non-zero return stops the parser with an error, except
 * headers_done returning 1: no body follows (the answer to CONNECT or HEAD). */
typedef struct onshi__http_cbs {
    void *ud;
    int (*url)(void *ud, const char *at, size_t n); /* requests, may come in pieces */
    /* One whole header line; name and value NUL-terminated, each cut at 255 bytes. */
    int (*header)(void *ud, const char *name, const char *value);
    int (*headers_done)(void *ud, const onshi__http_head *h);
    int (*body)(void *ud, const char *at, size_t n); /* de-chunked */
    int (*chunk)(void *ud, uint64_t size); /* each chunk's declared size, before its bytes */
    int (*complete)(void *ud); /* the parser then pauses: bytes after the message are left */
} onshi__http_cbs;

enum { ONSHI__HTTP_OK = 0, ONSHI__HTTP_DONE = 1, ONSHI__HTTP_ERROR = -1 };

/* A parser for one request (request true) or response; NULL when out of memory. */
onshi__http *onshi__http_new(bool request, const onshi__http_cbs *cbs);
void onshi__http_free(onshi__http *h);
/* Ready for the next message on the same connection. */
void onshi__http_reset(onshi__http *h);
/* Feed n bytes (n == 0: the peer closed, which ends a body without a length). Returns the
 * bytes used; a short count means DONE (the message ended) or ERROR. */
size_t onshi__http_feed(onshi__http *h, const char *p, size_t n);
/* ONSHI__HTTP_OK (more wanted), ONSHI__HTTP_DONE (message complete) or ONSHI__HTTP_ERROR with
 * *why (may be NULL) set to a static English description. */
int onshi__http_state(const onshi__http *h, const char **why);
int onshi__http_status(const onshi__http *h);
const char *onshi__http_method(const onshi__http *h);
bool onshi__http_keep_alive(const onshi__http *h);

#endif /* ONSHI_TRANSPORT_HTTPWIRE_H */
