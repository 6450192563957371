/*
 * libonshi — the raw transport: one XmlMsg document to the central system and its answer,
 * over HTTPS or through the folders of the terminal's linkage app. For vendors who build their
 * own messages; the workflows of onshi.h do all of this themselves.
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * C89-clean, usable from C++. Same conventions as onshi.h (docs/api-conventions.md).
 */
#ifndef ONSHI_TRANSPORT_H
#define ONSHI_TRANSPORT_H

#include "onshi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * HTTPS: XmlMsg over TLS with a client certificate
 * ------------------------------------------------------------------------------------- */

/*
 * The HTTPS binding (docs/protocol.md) carries the same XmlMsg documents as the file
 * exchange. The server certificate and host name are always verified against
 * ONSHI_OPT_TLS_CA_FILE; there is no option to turn that off. One keep-alive connection (and
 * its TLS session, for resumption) is kept per context.
 */

/**
 * Send one XmlMsg request body and receive the result body.
 * POST to the path of msgtype (default "<server_url path>/oqs/v1/<file-name prefix>", see
 * onshi_https_set_path), with the given idempotency key as the Idempotency-Key header. Only
 * a request that carries a key is retried (connection failures, timeouts, HTTP 500/502/503/
 * 504) with exponential back-off (ONSHI_OPT_RETRY_MAX, ONSHI_OPT_RETRY_BASE_MS); without a
 * key it is sent at most once, so a registration can never happen twice.
 * @param out_body  receives the 2xx response body (the result XmlMsg); caller frees it with
 *                  onshi_buf_free(). Left NULL on failure (an HTTP error status is the
 *                  foreign detail ONSHI_FOREIGN_HTTP of ONSHI_E_HTTP_STATUS).
 * @param ctx       the context (options ONSHI_OPT_SERVER_URL, TLS_*, PROXY, timeouts)
 * @param msgtype   an ONSHI_MSG_* request type
 * @param body      the request document (UTF-8 or Shift_JIS per its XML declaration)
 * @param len       its length in bytes
 * @param idempotency_key  printable ASCII, at most 128 characters, unique per logical
 *                  request; NULL for a request that must never be repeated automatically.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_CONFIG, transport codes (ONSHI_E_DNS,
 *         ONSHI_E_CONNECT, ONSHI_E_TLS*, ONSHI_E_CLIENT_CERT*, ONSHI_E_PROXY,
 *         ONSHI_E_TIMEOUT, ONSHI_E_CONNECTION_CLOSED, ONSHI_E_HTTP_STATUS (status as foreign
 *         detail ONSHI_FOREIGN_HTTP), ONSHI_E_HTTP_PROTOCOL, ONSHI_E_SERVER_BUSY,
 *         ONSHI_E_RESULT_TOO_LARGE), ONSHI_E_CANCELLED.
 * Thread rule: one thread per context; onshi_ctx_cancel() from another thread wakes it.
 * @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_https_exchange(onshi_buf **out_body, onshi_ctx *ctx, int msgtype,
                                              const void *body, size_t len,
                                              const char *idempotency_key);

/**
 * Override the HTTP path of a message type (for a vendor holding the official
 * specification). path starts with '/', is appended to nothing (the server_url path is not
 * prefixed) and is copied; NULL restores the default.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (unknown type, path not starting with '/' or with
 *         spaces or control characters), ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_https_set_path(onshi_ctx *ctx, int msgtype, const char *path);

/**
 * Close the kept-alive connection of ctx (the TLS session stays cached for resumption).
 * Harmless when none is open. @since 0.1.0
 */
ONSHI_API void ONSHI_CALL onshi_https_close(onshi_ctx *ctx);

/* ---------------------------------------------------------------------------------------
 * Files: exchange with the terminal's linkage app (req/ res/)
 * ------------------------------------------------------------------------------------- */

/*
 * The raw file exchange, for vendors who build their own messages and for the workflows of
 * the service layer. A request is written to ONSHI_OPT_REQ_DIR under its real name
 * ("OQSsiquc01req_202501150001.xml"), never visible half-written; before it becomes visible
 * it is recorded as pending in the state store (ONSHI_OPT_STATE_DB). Its result is read from
 * ONSHI_OPT_RES_DIR only once two reads agree. A request is NEVER sent twice: when the wait
 * times out the call returns ONSHI_E_PENDING and a later onshi_file_wait() with the same id
 * picks up the late result, even after a restart. docs/file-transport.md has the details.
 */

/* States of a request (onshi_file_state). */
#define ONSHI_FILE_STATE_RECORDED  1 /**< recorded; the process stopped before publishing */
#define ONSHI_FILE_STATE_PUBLISHED 2 /**< in req/, not yet taken by the linkage app */
#define ONSHI_FILE_STATE_TAKEN     3 /**< taken by the linkage app, no result yet */
#define ONSHI_FILE_STATE_ANSWERED  4 /**< a result (or error file) was read, not yet consumed */
#define ONSHI_FILE_STATE_CONSUMED  5 /**< the result was consumed (onshi_file_consume) */
#define ONSHI_FILE_STATE_ABANDONED 6 /**< never became visible (crash before publishing) */

/** A result file read from res/ or face/: its name, message type and bytes. */
typedef struct onshi_file_result onshi_file_result;

/**
 * Publish a request file. The message type gives the file-name prefix; the identifier is the
 * date, the workstation component (ONSHI_OPT_WORKSTATION_ID) and the per-day sequence of the
 * state store. The file is published without ever replacing an existing one: a name taken by
 * another process or machine makes the call take a new id. The bytes are written as given
 * (the codec produces them in ONSHI_OPT_REQUEST_ENCODING), mode 0600.
 * @param ctx      context (req_dir, res_dir, state_db)
 * @param id_out   receives the 16-digit request id, NUL-terminated
 * @param id_size  size of id_out, at least ONSHI_FILE_ID_SIZE
 * @param msgtype  a request type with a file prefix (ONSHI_MSG_QUAL_REQ, ...)
 * @param body     the file's bytes; @param len their number (> 0)
 * @return ONSHI_OK; ONSHI_E_INVALID_ARG, ONSHI_E_BUFFER_TOO_SMALL, ONSHI_E_UNKNOWN_MESSAGE
 *         (not a request type of the file exchange), ONSHI_E_FOLDER (folder missing or
 *         unreadable, named in the message), ONSHI_E_FOLDER_NOT_WRITABLE, ONSHI_E_DISK_FULL
 *         (nothing was published), ONSHI_E_STORE, ONSHI_E_LIMIT (9999 requests today),
 *         ONSHI_E_CONFIG (workstation_id not 1-4 digits).
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_file_send(char *id_out, size_t id_size, onshi_ctx *ctx, int msgtype,
                                         const void *body, size_t len);

/**
 * Wait for the result of a request sent earlier (by this or a previous process). Results are
 * read only when stable (an incomplete .xml never counts); a ZIP result is opened and its XML
 * returned. The result file stays in res/ until onshi_file_consume(): calling this again
 * returns the same result. This raw call moves bytes and does not read them: it cannot tell
 * that a result answers the request. The workflows (onshi_insurance_card_verify, ...) do, and
 * answer ONSHI_E_RESULT_MISMATCH; callers of this call compare the echoed search keys
 * themselves (docs/file-transport.md).
 * @param out         receives the result; free with onshi_file_result_free()
 * @param id          the request id from onshi_file_send()
 * @param timeout_ms  how long to wait; negative: ONSHI_OPT_RESULT_TIMEOUT_MS; 0: look once
 * @return ONSHI_OK; ONSHI_E_PENDING (no result yet: the request stays pending, call again
 *         later, never send again); ONSHI_E_LINKAGE_NOT_RUNNING (the request was not taken
 *         from req/ within ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS; it stays pending);
 *         ONSHI_E_ERR_FILE (the linkage app answered with an error file; its text is in the
 *         message); ONSHI_E_RESULT_TOO_LARGE, ONSHI_E_RESULT_UNSTABLE, ONSHI_E_ZIP,
 *         ONSHI_E_NOT_FOUND (unknown id), ONSHI_E_STATE (already consumed, or abandoned by a
 *         crash before it was published: it was never sent), ONSHI_E_CANCELLED, ONSHI_E_FOLDER.
 * Thread rule: the context's thread; onshi_ctx_cancel() from any thread wakes it.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_file_wait(onshi_file_result **out, onshi_ctx *ctx, const char *id,
                                         int64_t timeout_ms);

/**
 * Tell the library the caller has the result of id (decoded or stored): the result and any
 * error files are deleted from res/, or moved to ONSHI_OPT_ARCHIVE_DIR when it is set, and
 * the request is marked consumed. Consuming an already consumed id is ONSHI_OK.
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND, ONSHI_E_STATE (no result read yet), ONSHI_E_FOLDER*,
 *         ONSHI_E_IO, ONSHI_E_STORE. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_file_consume(onshi_ctx *ctx, const char *id);

/**
 * Iterate over requests not yet consumed (in id order), e.g. at start-up to pick up results
 * that arrived while the program was not running.
 * @param id_out  receives the next id after `after` (NULL or "": the first)
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND when there is no further one, ONSHI_E_STORE.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_file_pending_next(char *id_out, size_t id_size, onshi_ctx *ctx,
                                                 const char *after);

/**
 * The ONSHI_FILE_STATE_* of a request.
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND, ONSHI_E_STORE. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_file_state(int *state_out, onshi_ctx *ctx, const char *id);

/** File name of a result, without folder. Valid until the result is freed. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_file_result_name(const onshi_file_result *result);
/** The request id a result answers ("" for face results). @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_file_result_id(const onshi_file_result *result);
/** ONSHI_MSG_* of the result file. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_file_result_type(const onshi_file_result *result);
/** The bytes (for a ZIP result: the XML inside). Valid until freed. @since 0.1.0 */
ONSHI_API const unsigned char *ONSHI_CALL onshi_file_result_data(const onshi_file_result *result);
/** Number of bytes. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_file_result_len(const onshi_file_result *result);
/** Free a result. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_file_result_free(onshi_file_result *result);

#ifdef __cplusplus
}
#endif

#endif /* ONSHI_TRANSPORT_H */
