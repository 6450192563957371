/*
 * Memory helpers: wiping, owned byte buffers, strings, hex, monotonic time.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"

#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Thread_local unsigned long long onshi__work;
/* A memset the compiler cannot drop as a dead store: called through a volatile pointer.
 * (explicit_bzero is not everywhere the library builds; no crypto library is needed for it.) */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

ONSHI_API void ONSHI_CALL onshi_mem_wipe(void *p, size_t len)
{
    if (p != NULL && len != 0)
        wipe_memset(p, 0, len);
}

void *onshi__calloc(size_t n, size_t size)
{
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

char *onshi__strndup(const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);
    if (d != NULL) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *onshi__strdup(const char *s)
{
    return s ? onshi__strndup(s, strlen(s)) : NULL;
}

void onshi__free_secret_str(char *s)
{
    if (s != NULL) {
        onshi_mem_wipe(s, strlen(s));
        free(s);
    }
}

/* ---- allocation that wipes (for third-party libraries that hold personal data) ------- */

void onshi__free_wiped(void *p)
{
    if (p == NULL)
        return;
#ifdef __GLIBC__
    onshi_mem_wipe(p, malloc_usable_size(p));
#endif
    free(p);
}

void *onshi__realloc_wiped(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
#ifdef __GLIBC__
    size_t have = malloc_usable_size(p);
    if (n != 0 && n <= have)
        return p; /* fits: never shrunk in place (the tail would not be wiped) */
    void *q = malloc(n ? n : 1);
    if (q == NULL)
        return NULL;
    memcpy(q, p, have < n ? have : n);
    onshi_mem_wipe(p, have);
    free(p);
    return q;
#else
    return realloc(p, n);
#endif
}

char *onshi__strdup_plain(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

void onshi__buf_init(onshi_buf *b, bool secret)
{
    memset(b, 0, sizeof *b);
    b->secret = secret;
}

int onshi__buf_reserve(onshi_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return ONSHI_E_NOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return ONSHI_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Buffers hold secrets or personal data (results, requests, JSON): realloc could leave
     * a copy behind, so the bytes are moved by hand and the old block wiped. */
    unsigned char *p = malloc(cap);
    if (p == NULL)
        return ONSHI_E_NOMEM;
    if (b->len)
        memcpy(p, b->data, b->len);
    if (b->data) {
        onshi_mem_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return ONSHI_OK;
}

int onshi__buf_append(onshi_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return ONSHI_OK;
    int rc = onshi__buf_reserve(b, n);
    if (rc != ONSHI_OK)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return ONSHI_OK;
}

int onshi__buf_append_str(onshi_buf *b, const char *s)
{
    return onshi__buf_append(b, s, strlen(s));
}

int onshi__buf_printf(onshi_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ONSHI_E_GENERIC;
    int rc = onshi__buf_reserve(b, (size_t)n + 1);
    if (rc != ONSHI_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n; /* the NUL stays after len, not counted */
    return ONSHI_OK;
}

void onshi__buf_clear(onshi_buf *b)
{
    if (b->data != NULL) {
        /* Wiped whether secret or not: a patient's name must not outlive its buffer. */
        onshi_mem_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}

int onshi__buf_detach(onshi_buf *b, onshi_buf **out)
{
    onshi_buf *h = malloc(sizeof *h);
    if (h == NULL)
        return ONSHI_E_NOMEM;
    *h = *b;
    onshi__buf_init(b, b->secret);
    *out = h;
    return ONSHI_OK;
}

int onshi__buf_new_copy(const void *p, size_t n, onshi_buf **out)
{
    onshi_buf b;
    onshi__buf_init(&b, false);
    int rc = onshi__buf_append(&b, p, n);
    if (rc == ONSHI_OK)
        rc = onshi__buf_detach(&b, out);
    if (rc != ONSHI_OK)
        onshi__buf_clear(&b);
    return rc;
}

ONSHI_API const unsigned char *ONSHI_CALL onshi_buf_data(const onshi_buf *buf)
{
    return buf && buf->len ? buf->data : NULL;
}

ONSHI_API size_t ONSHI_CALL onshi_buf_len(const onshi_buf *buf)
{
    return buf ? buf->len : 0;
}

ONSHI_API void ONSHI_CALL onshi_buf_free(onshi_buf *buf)
{
    if (buf == NULL)
        return;
    /* Buffers handed out may hold certificates or signed data: always wipe. */
    if (buf->data != NULL)
        onshi_mem_wipe(buf->data, buf->cap);
    free(buf->data);
    free(buf);
}

void onshi__hex(char *out, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}
