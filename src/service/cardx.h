/*
 * service/ — the HTTPS extension documents (card authentication, disaster search) of
 * docs/protocol.md §7-§8: helpers shared by cardauth.c and disaster.c (defined in cardx.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SERVICE_CARDX_H
#define ONSHI_SERVICE_CARDX_H

#include "service/service.h"

#include "codec/codec.h"

#include <stdbool.h>

/* The configured 10-digit 医療機関コード, or ONSHI_E_CONFIG. */
int onshi__cardx_institution(onshi_ctx *ctx, const char **out);
/* ONSHI_E_UNSUPPORTED unless ONSHI_OPT_TRANSPORT is HTTPS. */
int onshi__cardx_require_https(onshi_ctx *ctx, const char *what);
/* The seven to-be-signed lines of §7.2 into out; returns their length or -1. */
int onshi__cardx_tbs(char *out, size_t cap, const char *challenge_id, const char *nonce,
                     const char *inst, const char *signing_time, int method,
                     const unsigned char *cert_der, size_t cert_len);
/* Decode a result body (XML, or a PDF kept as the attachment) as `type`. */
int onshi__cardx_decode(onshi_msg **out, onshi_ctx *ctx, int type, const onshi_buf *body);
/* The extension codes (CA001-CA009, DS001-DS003) mapped to their statuses, then
 * onshi__service_check for everything else. */
int onshi__cardx_check(onshi_ctx *ctx, const onshi_msg *res);

#endif
