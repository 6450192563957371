/*
 * The layout of onshi_ctx, private to core/ (other layers use slots and accessors).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CTX_IMPL_H
#define ONSHI_CTX_IMPL_H

#include "core.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct onshi__optval {
    bool set;
    int64_t i;
    char *s;           /* str options */
    unsigned char *b;  /* bytes options */
    size_t blen;
} onshi__optval;

typedef struct onshi__error {
    int status;
    int foreign_kind;
    int64_t foreign_value;
    char *detail_en;   /* may be NULL */
    char *detail_ja;   /* may be NULL */
} onshi__error;

struct onshi_ctx {
    onshi__optval *opts;          /* one per row of the option table, same order */
    onshi__error err;
    char *err_message;            /* composed on demand by onshi_ctx_last_error_message */

    onshi_callbacks cbs;          /* onshi_ctx_set_callbacks; version always current */

    atomic_bool cancel;
    pthread_mutex_t wake_lock;    /* guards wake_fn/wake_arg against the cancelling thread */
    onshi__wake_fn wake_fn;
    void *wake_arg;

    onshi__clock_fn clock_fn;     /* NULL: the real clock (clock.c) */
    void *clock_ud;

    void *slot[ONSHI__SLOT_COUNT];
    void (*slot_free[ONSHI__SLOT_COUNT])(void *);
};

void onshi__opts_free(onshi_ctx *ctx);
void onshi__error_reset(onshi__error *e);

#endif
