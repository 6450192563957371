/*
 * service/verify.h — internals shared by the insurance-card, 照会番号 and information
 * workflows and their result helpers (verify.c, result.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SERVICE_VERIFY_H
#define ONSHI_SERVICE_VERIFY_H

#include "core/core.h"

/* A field error in both languages naming the field ("insurer number: ..."). */
int onshi__verify_field_error(onshi_ctx *ctx, int status, const char *ja_name,
                              const char *en_name, const char *why_en, const char *why_ja);

/* Check 保険者番号 (check digit), 記号, 番号, 枝番 as typed at the window. */
int onshi__verify_check_insured(onshi_ctx *ctx, const char *insurer, const char *symbol,
                                const char *number, const char *branch);

/* ONSHI_OPT_MEDICAL_INSTITUTION_CODE: unset or not 10 digits is ONSHI_E_CONFIG; a failed
 * local rule only logs a warning (the central system decides). Every workflow calls it. */
int onshi__verify_institution(onshi_ctx *ctx, const char **code);

/* Progress SEND, audit BEFORE (action 0: not audited), exchange, check, audit AFTER,
 * progress DONE. *out is NULL unless ONSHI_OK. */
int onshi__verify_run(onshi_msg **out, char *pending_id, size_t id_size, onshi_ctx *ctx,
                      onshi_msg *req, int audit_action, const char *patient, const char *detail);

#endif
