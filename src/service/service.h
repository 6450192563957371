/*
 * service/ — internal interface of the workflow layer: one request/result exchange of a
 * whole XmlMsg over the configured transport, and the check of the system's status fields.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SERVICE_H
#define ONSHI_SERVICE_H

#include "core/core.h"

/* The result type of a request type (ONSHI_MSG_QUAL_REQ → ONSHI_MSG_QUAL_RES): the table
 * pairs them as consecutive ids. 0 for a type that is not a request. */
int onshi__service_result_type(int req_type);

/*
 * Encode req (validated by the codec), send it over ONSHI_OPT_TRANSPORT and decode the result.
 *  - file transport: the request is recorded as pending before it is published; on
 *    ONSHI_E_PENDING / ONSHI_E_LINKAGE_NOT_RUNNING `pending_id` (size ONSHI_FILE_ID_SIZE) holds
 *    the id for onshi__service_pickup — the request is never sent twice. A result is accepted
 *    only when it answers the request (onshi__service_match; else ONSHI_E_RESULT_MISMATCH and
 *    the request stays open). The result file is consumed once decoded and matched.
 *  - HTTPS: `idempotency_key` (NULL: none) lets the transport retry; without it the request is
 *    sent at most once.
 * The result's status fields are NOT checked here (see onshi__service_check): a bulk
 * "still processing" answer is a normal result for the caller.
 */
int onshi__service_exchange(onshi_msg **out, onshi_ctx *ctx, const onshi_msg *req,
                            const char *idempotency_key, char *pending_id, size_t id_size);

/* Never the wrong patient: does result `res` answer the request whose match text (from
 * onshi__service_exchange, kept with the pending request) is `match`? Every search key both
 * carry must be equal (codec/match.c has the list); ONSHI_E_RESULT_MISMATCH (ja/en, naming the
 * request id, the result file and the differing elements, never their values) otherwise.
 * A NULL match (no keys, or a request recorded by libonshi 0.1) accepts. */
int onshi__service_match(onshi_ctx *ctx, const char *match, const onshi_msg *res,
                         const char *id, const char *name);

/* Pick up the late result of a file-transport request (onshi_file_wait with timeout_ms, 0 =
 * look once), decode it as res_type and consume it. */
int onshi__service_pickup(onshi_msg **out, onshi_ctx *ctx, const char *pending_id, int res_type,
                          int64_t timeout_ms);

/*
 * The file-level and body-level status of a result, as the real system reports them
 * (oqs-interface.md §4, §7.3): SegmentOfResult 1 ok, 2 → ONSHI_E_STILL_PROCESSING,
 * 9 (or an ErrorCode) → ONSHI_E_SYSTEM_ERROR with ErrorCode/ErrorMessage;
 * ProcessingResultStatus 2 → ONSHI_E_PROCESSING_ERROR with ProcessingResultCode/Message;
 * drug/checkup ResultCode ≠ 1 → ONSHI_E_INFO_NOT_AVAILABLE with MessageContents.
 * The system's own code is kept as foreign detail (ONSHI_FOREIGN_SYSTEM when numeric) and its
 * message is shown as is (staff read it). A PDF result is OK.
 */
int onshi__service_check(onshi_ctx *ctx, const onshi_msg *res);

/* The per-context state of the workflow layer (slot ONSHI__SLOT_SERVICE): the batch test hook
 * (the UI callbacks are in the context's onshi_callbacks). */
typedef struct onshi__service {
    void (*batch_hook)(void *ud, const char *point); /* tests only (onshi__batch_set_test_hook) */
    void *batch_hook_ud;
} onshi__service;

/* Get (creating on first use) the service state; NULL only without memory. */
onshi__service *onshi__service_state(onshi_ctx *ctx);

/* Report a stage; ONSHI_E_CANCELLED (recorded) when the callback or onshi_ctx_cancel asks. */
int onshi__progress(onshi_ctx *ctx, int stage, int64_t done, int64_t total);

/* Ask the consent callback about `offered`; ONSHI_E_NO_CALLBACK when none is installed,
 * ONSHI_E_CANCELLED when it cancels. *granted is masked to `offered`. */
int onshi__consent(onshi_ctx *ctx, int offered, int *granted);

/* Audit an access. BEFORE: a non-zero callback answer refuses it (ONSHI_E_CANCELLED, with
 * a message). AFTER: always ONSHI_OK. No callback installed: ONSHI_OK (the vendor chose not
 * to log; documented). */
int onshi__audit(onshi_ctx *ctx, int action, int phase, int outcome, const char *patient,
                 const char *detail);

/* Test hook of the batch engine, per context: called at each persisted step ("saved",
 * "marked", "sent", "reception", "still", "results") so a test can kill the process exactly
 * there. Never set by the library itself; ONSHI_E_NOMEM without memory for the state. */
int onshi__batch_set_test_hook(onshi_ctx *ctx, void (*hook)(void *ud, const char *point),
                               void *ud);

/* ---- requests (request.c) ------------------------------------------------------------ */

/* ONSHI_OK when req is a request of `kind`; else ONSHI_E_INVALID_ARG recorded, naming `call`. */
int onshi__request_check(onshi_ctx *ctx, const onshi_request *req, int kind, const char *call);
/* A string parameter, NULL when unset (borrowed from the request). */
const char *onshi__request_str(const onshi_request *req, int param);
/* An integer parameter, `def` when unset. */
int64_t onshi__request_int(const onshi_request *req, int param, int64_t def);
/* Whether a parameter was set. */
bool onshi__request_has(const onshi_request *req, int param);

#endif
