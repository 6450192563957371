/* Fuzz target: the HTTP/1.1 parser interface (transport/httpwire.h) as the HTTPS client
 * uses it for responses (first byte even) and onshi-sim for requests (odd), fed in pieces
 * whose sizes come from the second byte, with the client's body cap. */
#include "transport/httpwire.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct st {
    size_t body, cap;
    int headers, chunks;
} st;

static int on_url(void *ud, const char *at, size_t n)
{
    (void)ud;
    (void)at;
    (void)n;
    return 0;
}

static int on_header(void *ud, const char *name, const char *value)
{
    st *s = ud;
    s->headers++;
    return strlen(name) > 255 || strlen(value) > 255; /* the interface cuts at 255 */
}

static int on_done(void *ud, const onshi__http_head *h)
{
    st *s = ud;
    if (h->content_length >= 0 && (uint64_t)h->content_length > s->cap)
        return -1;
    return 0;
}

static int on_body(void *ud, const char *at, size_t n)
{
    st *s = ud;
    (void)at;
    s->body += n;
    return s->body > s->cap;
}

static int on_chunk(void *ud, uint64_t size)
{
    st *s = ud;
    s->chunks++;
    return size > s->cap;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    st s = {0, 1 << 16, 0, 0};
    onshi__http_cbs cbs = {&s, on_url, on_header, on_done, on_body, on_chunk, NULL};
    onshi__http *h = onshi__http_new(data[0] & 1, &cbs);
    if (h == NULL)
        return 0;
    size_t piece = 1 + data[1] % 64, off = 2;
    for (int round = 0; round < 2; round++) { /* keep-alive: a second message after reset */
        while (off < size && onshi__http_state(h, NULL) == ONSHI__HTTP_OK) {
            size_t n = size - off < piece ? size - off : piece;
            off += onshi__http_feed(h, (const char *)data + off, n);
            if (onshi__http_state(h, NULL) == ONSHI__HTTP_OK && n > 0 &&
                onshi__http_feed(h, NULL, 0) == 0 && off >= size)
                break;
        }
        (void)onshi__http_status(h);
        (void)onshi__http_method(h);
        (void)onshi__http_keep_alive(h);
        if (onshi__http_state(h, NULL) != ONSHI__HTTP_DONE)
            break;
        onshi__http_reset(h);
    }
    onshi__http_free(h);
    return 0;
}
