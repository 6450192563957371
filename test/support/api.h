/*
 * Small helpers of the public API for tests (header only, nothing to link).
 *  - tcb_set_<name>(ctx, cb, userdata): change one callback of a context: read the installed
 *    set, replace one entry, install the set again (onshi_ctx_get/set_callbacks).
 *  - lang_ctx(ja): a context whose ONSHI_OPT_LANG is "ja" (ja non-zero) or "en", for the
 *    label calls that take their language from a context; freed at exit.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_API_H
#define ONSHI_TEST_API_H

#include "onshi.h"

#include <stdlib.h>

static inline onshi_ctx **tl_slot(int ja)
{
    static onshi_ctx *c[2];
    return &c[ja != 0];
}

static inline void tl_cleanup(void)
{
    onshi_ctx_free(*tl_slot(0));
    onshi_ctx_free(*tl_slot(1));
    *tl_slot(0) = NULL;
    *tl_slot(1) = NULL;
}

static inline onshi_ctx *lang_ctx(int ja)
{
    onshi_ctx **s = tl_slot(ja);
    if (*s == NULL) {
        if (*tl_slot(!ja) == NULL)
            atexit(tl_cleanup);
        if (onshi_ctx_new(s) != ONSHI_OK)
            return NULL;
        onshi_ctx_set_str(*s, ONSHI_OPT_LANG, ja ? "ja" : "en");
    }
    return *s;
}

#define TCB_DEFINE(name, type)                                                             \
    static inline int tcb_set_##name(onshi_ctx *ctx, type cb, void *userdata)              \
    {                                                                                      \
        onshi_callbacks c = ONSHI_CALLBACKS_INIT;                                          \
        int r = onshi_ctx_get_callbacks(&c, ctx);                                          \
        if (r != ONSHI_OK)                                                                 \
            return r;                                                                      \
        c.name = cb;                                                                       \
        c.name##_userdata = userdata;                                                      \
        return onshi_ctx_set_callbacks(ctx, &c);                                           \
    }

TCB_DEFINE(log, onshi_log_cb)
TCB_DEFINE(card_transmit, onshi_card_transmit_cb)
TCB_DEFINE(card_reset, onshi_card_reset_cb)
TCB_DEFINE(card_event, onshi_card_event_cb)
TCB_DEFINE(pin, onshi_pin_cb)
TCB_DEFINE(cert_expiry, onshi_cert_expiry_cb)
TCB_DEFINE(progress, onshi_progress_cb)
TCB_DEFINE(consent, onshi_consent_cb)
TCB_DEFINE(audit, onshi_audit_cb)
TCB_DEFINE(identity, onshi_identity_cb)

#undef TCB_DEFINE

#endif
