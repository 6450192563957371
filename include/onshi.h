/** @file onshi.h
 *
 * libonshi — オンライン資格確認 (online eligibility verification of Japanese public
 * health insurance) SDK.
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * The public header, with onshi_transport.h for the raw exchange of documents. It is C89-clean
 * (compiled with -std=c89 -pedantic in the tests) and usable from C++. It reads by area:
 * core, card, codec, transport, workflows, then the callbacks struct.
 *
 * Conventions (docs/api-conventions.md has the long form):
 *  - Every type is opaque but onshi_callbacks (versioned). Results are read through typed
 *    getters by numbered id; a workflow's inputs are an onshi_request set by numbered id.
 *  - A call that can fail returns an int status: 0 (ONSHI_OK) or a negative ONSHI_E_* code.
 *    Codes are banded per layer (onshi_status_band) and never renumbered. A getter that cannot
 *    fail returns its value; an int getter returns a value >= 0 or a negative status. What a
 *    function produces through pointers comes FIRST (`out`), then the object or context it
 *    works on, then the inputs: onshi_card_open(&card, ctx), onshi_ctx_get_int(&value, ctx,
 *    option). No function takes more than six arguments.
 *  - Labels and messages for people are in the context's ONSHI_OPT_LANG ("ja" by default).
 *  - Error detail is kept per context (onshi_ctx_last_error*), never per thread.
 *  - Strings are UTF-8 and NUL-terminated. A returned `const char *` is borrowed; each
 *    function says how long it stays valid. Objects returned through `out` are owned by the
 *    caller and released with the matching `_free` function, which accepts NULL.
 *  - Threads: one onshi_ctx is used by one thread at a time; different contexts may be used in
 *    parallel. The only call that may be made on a context from another thread is
 *    onshi_ctx_cancel(). Callbacks run on the thread that made the call, never under an
 *    internal lock.
 *  - Callbacks are installed through onshi_callbacks (onshi_ctx_set_callbacks), each with its
 *    own `void *userdata`, passed first; they return int: non-zero aborts the operation,
 *    which then returns ONSHI_E_CANCELLED.
 *  - The library never prints, never exits and never aborts on bad input.
 */
#ifndef ONSHI_H
#define ONSHI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Export and calling-convention macros
 * ------------------------------------------------------------------------------------- */
#if defined(_WIN32)
#  define ONSHI_CALL __cdecl /**< calling convention of every function (__cdecl on Windows) */
#  if defined(ONSHI_STATIC)
#    define ONSHI_API /**< export (import) attribute of every function */
#  elif defined(ONSHI_BUILDING)
#    define ONSHI_API __declspec(dllexport) /**< export (import) attribute of every function */
#  else
#    define ONSHI_API __declspec(dllimport) /**< export (import) attribute of every function */
#  endif
#else
#  define ONSHI_CALL /**< calling convention of every function (__cdecl on Windows) */
#  if defined(ONSHI_BUILDING) && defined(__GNUC__)
#    define ONSHI_API __attribute__((visibility("default"))) /**< export (import) attribute of every function */
#  else
#    define ONSHI_API /**< export (import) attribute of every function */
#  endif
#endif

/* =======================================================================================
 * CORE: version, status codes, context, options, errors, cancellation, logging, memory
 * ===================================================================================== */

/** A context: options, callbacks, last error, state. One thread at a time. Labels and
 *  messages for people come in its language (ONSHI_OPT_LANG). */
typedef struct onshi_ctx onshi_ctx;

/* ---------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------- */
#define ONSHI_VERSION_MAJOR 1 /**< major version of this header */
#define ONSHI_VERSION_MINOR 0 /**< minor version of this header */
#define ONSHI_VERSION_PATCH 0 /**< patch version of this header */
#define ONSHI_VERSION_STRING "1.0.0-rc1" /**< "major.minor.patch[-pre]": release candidate of the 1.0 ABI */
/** The version as one comparable number: 0xMMmmpp. */
#define ONSHI_VERSION_NUM \
    ((ONSHI_VERSION_MAJOR << 16) | (ONSHI_VERSION_MINOR << 8) | ONSHI_VERSION_PATCH)

/**
 * The version of the library actually loaded (which may differ from the header's).
 *
 * @param major  out, may be NULL
 * @param minor  out, may be NULL
 * @param patch  out, may be NULL
 * @return the version string, static storage ("1.0.0-rc1").
 * Thread rule: any thread, any time.
 * @since 0.1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_version(int *major, int *minor, int *patch);

/* ---------------------------------------------------------------------------------------
 * Status codes. 0 is success; errors are negative and banded per layer:
 *   core -1..-99, card -100..-199, jpki -200..-299, codec -300..-399,
 *   transport -400..-499, service -500..-599, callback/cancel -600..-699.
 * A code is never renumbered or reused. New codes are appended at the end of their band.
 * ------------------------------------------------------------------------------------- */
#define ONSHI_OK 0 /**< success */

/* core */
#define ONSHI_E_GENERIC              -1  /**< internal error (a bug: please report) */
#define ONSHI_E_INVALID_ARG          -2  /**< an argument is NULL or out of range */
#define ONSHI_E_NOMEM                -3  /**< out of memory */
#define ONSHI_E_UNKNOWN_OPTION       -4  /**< no option with this id */
#define ONSHI_E_OPTION_TYPE          -5  /**< option set or read with the wrong type */
#define ONSHI_E_OPTION_RANGE         -6  /**< option value out of its range */
#define ONSHI_E_BUFFER_TOO_SMALL     -7  /**< caller's buffer is too small */
#define ONSHI_E_UNSUPPORTED          -8  /**< not supported by this build or platform */
#define ONSHI_E_IO                   -9  /**< file or OS I/O error (errno as foreign detail) */
#define ONSHI_E_STORE               -10  /**< the state store (SQLite) failed */
#define ONSHI_E_NOT_FOUND           -11  /**< the requested item does not exist */
#define ONSHI_E_STATE               -12  /**< call not valid in the object's current state */
#define ONSHI_E_LIMIT               -13  /**< a configured size or count limit was exceeded */
#define ONSHI_E_CONFIG              -14  /**< configuration file or value error */
#define ONSHI_E_RANDOM              -15  /**< the random generator failed */

/* card: reader access (PC/SC or vendor transmit callback) */
#define ONSHI_E_CARD_NO_SERVICE     -100 /**< smart-card service (pcscd) not running */
#define ONSHI_E_CARD_NO_READER      -101 /**< no card reader connected */
#define ONSHI_E_CARD_READER_NOT_FOUND -102 /**< the configured reader is not present */
#define ONSHI_E_CARD_NO_CARD        -103 /**< no card in the reader */
#define ONSHI_E_CARD_REMOVED        -104 /**< the card was removed during the operation */
#define ONSHI_E_CARD_READER_BUSY    -105 /**< another program holds the reader exclusively */
#define ONSHI_E_CARD_TIMEOUT        -106 /**< waiting for a card timed out */
#define ONSHI_E_CARD_COMM           -107 /**< communication with the card failed */
#define ONSHI_E_CARD_RESET          -108 /**< the card was reset by another program */
#define ONSHI_E_CARD_UNRESPONSIVE   -109 /**< the card does not answer (inserted wrongly?) */
#define ONSHI_E_CARD_PCSC           -110 /**< other PC/SC error (code as foreign detail) */
#define ONSHI_E_CARD_DRIVER         -111 /**< the vendor transmit callback failed */

/* jpki: APDU, JPKI application, PIN, certificates */
#define ONSHI_E_JPKI_NOT_JPKI       -200 /**< not a My Number Card (no JPKI application) */
#define ONSHI_E_JPKI_UNSUPPORTED_TOKEN -201 /**< JPKI token type not supported */
#define ONSHI_E_JPKI_APDU_REFUSED   -202 /**< APDU refused by the allowlist (privacy rule) */
#define ONSHI_E_JPKI_SW             -203 /**< unexpected status word from the card */
#define ONSHI_E_JPKI_BAD_RESPONSE   -204 /**< malformed or truncated answer from the card */
#define ONSHI_E_JPKI_FILE_NOT_FOUND -205 /**< file not found on the card */
#define ONSHI_E_JPKI_PIN_WRONG      -206 /**< wrong PIN (tries left as foreign detail) */
#define ONSHI_E_JPKI_PIN_LOCKED     -207 /**< PIN locked: only the municipal office can reset */
#define ONSHI_E_JPKI_PIN_LAST_TRY   -208 /**< one try left and the UI did not confirm it */
#define ONSHI_E_JPKI_PIN_FORMAT     -209 /**< the PIN is not 4 digits */
#define ONSHI_E_JPKI_PIN_REQUIRED   -210 /**< the card requires PIN verification first */
#define ONSHI_E_JPKI_CERT_PARSE     -211 /**< certificate cannot be parsed */
#define ONSHI_E_JPKI_CERT_EXPIRED   -212 /**< certificate expired */
#define ONSHI_E_JPKI_CERT_NOT_YET_VALID -213 /**< certificate not yet valid */
#define ONSHI_E_JPKI_CERT_UNKNOWN_ISSUER -214 /**< certificate issuer not among trusted CAs */
#define ONSHI_E_JPKI_CERT_INVALID   -215 /**< certificate chain invalid (signature etc.) */
#define ONSHI_E_JPKI_CERT_REVOKED   -216 /**< certificate revoked */
#define ONSHI_E_JPKI_SIGNATURE      -217 /**< the card's signature did not verify */
#define ONSHI_E_JPKI_APDU_ENCODE    -218 /**< APDU parameters cannot be encoded */

/* codec: XML messages */
#define ONSHI_E_XML_MALFORMED       -300 /**< XML not well-formed (line/byte in the message) */
#define ONSHI_E_XML_DTD             -301 /**< DTD, DOCTYPE or entity declaration refused */
#define ONSHI_E_XML_TOO_LARGE       -302 /**< input larger than the configured cap */
#define ONSHI_E_XML_TOO_DEEP        -303 /**< nesting deeper than the configured cap */
#define ONSHI_E_ENCODING            -304 /**< bytes invalid for the document's encoding */
#define ONSHI_E_ENCODING_MISMATCH   -305 /**< declared encoding disagrees with the content */
#define ONSHI_E_UNENCODABLE         -306 /**< a character cannot be written in the encoding */
#define ONSHI_E_UNKNOWN_MESSAGE     -307 /**< message type not recognised */
#define ONSHI_E_FIELD_MISSING       -308 /**< a mandatory field is missing */
#define ONSHI_E_FIELD_FORMAT        -309 /**< a field has the wrong format */
#define ONSHI_E_FIELD_LENGTH        -310 /**< a field is too long */
#define ONSHI_E_CHECK_DIGIT         -311 /**< a number's check digit (検証番号) is wrong */
#define ONSHI_E_CODE_VALUE          -312 /**< a code value is not in its code table */
#define ONSHI_E_FIELD_ID            -313 /**< no such field id for this object */
#define ONSHI_E_JSON                -314 /**< JSON input invalid */
/** A message type the central system defines (public sources show its file-name prefix) but
 *  whose layout libonshi has not been able to source: recognised, not guessed. @since 1.0 */
#define ONSHI_E_MESSAGE_UNSUPPORTED -315
#define ONSHI_E_XML_AMBIGUOUS       -316 /**< a single-valued element appears twice, or a value mixes text and elements (@since 1.0) */

/* transport: file exchange and HTTPS */
#define ONSHI_E_FOLDER              -400 /**< exchange folder missing or not accessible */
#define ONSHI_E_FOLDER_NOT_WRITABLE -401 /**< exchange folder not writable */
#define ONSHI_E_DISK_FULL           -402 /**< no space left on the device */
#define ONSHI_E_TIMEOUT             -403 /**< operation timed out */
#define ONSHI_E_PENDING             -404 /**< request sent, result not yet there: do not resend */
#define ONSHI_E_ERR_FILE            -405 /**< the linkage app answered with an error file */
#define ONSHI_E_LINKAGE_NOT_RUNNING -406 /**< the linkage app did not take the request */
#define ONSHI_E_RESULT_UNSTABLE     -407 /**< result file kept changing (half-written) */
#define ONSHI_E_RESULT_TOO_LARGE    -408 /**< result larger than the configured cap */
#define ONSHI_E_ZIP                 -409 /**< ZIP result invalid or over its limits */
#define ONSHI_E_DNS                 -410 /**< host name could not be resolved */
#define ONSHI_E_CONNECT             -411 /**< TCP connection failed */
#define ONSHI_E_TLS                 -412 /**< TLS handshake or record error */
#define ONSHI_E_TLS_SERVER_CERT     -413 /**< server certificate not trusted */
#define ONSHI_E_TLS_HOSTNAME        -414 /**< server certificate is for another host */
#define ONSHI_E_TLS_SERVER_CERT_EXPIRED -415 /**< server certificate expired */
#define ONSHI_E_CLIENT_CERT         -416 /**< client certificate missing or unreadable */
#define ONSHI_E_CLIENT_CERT_PASSWORD -417 /**< wrong password for the client certificate */
#define ONSHI_E_CLIENT_CERT_EXPIRED -418 /**< client certificate expired */
#define ONSHI_E_TLS_PIN_MISMATCH    -419 /**< server key does not match the pinned key */
#define ONSHI_E_PROXY               -420 /**< the proxy refused or failed */
#define ONSHI_E_HTTP_STATUS         -421 /**< server answered an HTTP error status */
#define ONSHI_E_HTTP_PROTOCOL       -422 /**< malformed HTTP response */
#define ONSHI_E_CONNECTION_CLOSED   -423 /**< connection closed in the middle of a response */
#define ONSHI_E_SERVER_BUSY         -424 /**< server overloaded (503) after retries */
#define ONSHI_E_TLS_VERSION         -425 /**< server offers only TLS older than 1.2 */

/* service: workflows and the central system's answers */
#define ONSHI_E_SYSTEM_ERROR        -500 /**< the system answered an error (SegmentOfResult 9) */
#define ONSHI_E_PROCESSING_ERROR    -501 /**< processing error (ProcessingResultStatus 2) */
#define ONSHI_E_STILL_PROCESSING    -502 /**< the system is still processing (try later) */
#define ONSHI_E_NO_CONSENT          -503 /**< the patient has not consented */
#define ONSHI_E_CONSENT_EXPIRED     -504 /**< the patient's consent has expired */
#define ONSHI_E_DISASTER_CLOSED     -505 /**< disaster mode is not open for this region/date */
#define ONSHI_E_BATCH_STATE         -506 /**< batch state invalid or inconsistent */
#define ONSHI_E_AUTH_FAILED         -507 /**< card authentication rejected by the system */
#define ONSHI_E_VERIFICATION_METHOD -508 /**< identity verification missing or not allowed */
#define ONSHI_E_INFO_NOT_AVAILABLE  -509 /**< requested information is not available */
/** No confirmed 高額療養費 ceiling for the class and service month (past the last known table,
 *  or the class's figures are unconfirmed and ONSHI_LIMIT_F_PROVISIONAL was not given). @since 1.0 */
#define ONSHI_E_LIMIT_NO_TABLE      -510
#define ONSHI_E_RESULT_MISMATCH     -511 /**< the result answers another request (other patient): not accepted (@since 1.0) */
/** An identical request was still open, so this call waited for it instead of sending again,
 *  and another process took its result first (shown there). Nothing was sent twice. @since 1.0 */
#define ONSHI_E_ANSWERED_ELSEWHERE  -512

/* callback / cancel */
#define ONSHI_E_CANCELLED           -600 /**< cancelled (by onshi_ctx_cancel or a callback) */
#define ONSHI_E_CALLBACK            -601 /**< a callback reported a failure */
#define ONSHI_E_NO_CALLBACK         -602 /**< a required callback is not set */

/* Bands, as returned by onshi_status_band(). */
#define ONSHI_BAND_UNKNOWN   ONSHI_E_INVALID_ARG /**< not a status of any band (a status itself) */
#define ONSHI_BAND_OK         0 /**< ONSHI_OK */
#define ONSHI_BAND_CORE       1 /**< core: codes from -1 to -99 */
#define ONSHI_BAND_CARD       2 /**< card readers: codes from -100 to -199 */
#define ONSHI_BAND_JPKI       3 /**< My Number Card (JPKI): codes from -200 to -299 */
#define ONSHI_BAND_CODEC      4 /**< messages: codes from -300 to -399 */
#define ONSHI_BAND_TRANSPORT  5 /**< transport: codes from -400 to -499 */
#define ONSHI_BAND_SERVICE    6 /**< workflows: codes from -500 to -599 */
#define ONSHI_BAND_CALLBACK   7 /**< callbacks and cancel: codes from -600 on */

/**
 * The layer band a status belongs to (ONSHI_BAND_*, >= 0), or ONSHI_BAND_UNKNOWN (the status
 * ONSHI_E_INVALID_ARG) for a value outside every band. Thread rule: any thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_status_band(int status);

/**
 * Short description of a status code in the language of ctx (ONSHI_OPT_LANG; NULL ctx:
 * Japanese, the option's default): 「メモリが不足しています」 / "out of memory".
 * @return static UTF-8 string; 「不明なステータス」 / "unknown status" for a value that is not
 *         a defined code. Thread rule: any thread (ctx: read only). @since 1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_status_label(const onshi_ctx *ctx, int status);

/**
 * The symbolic name of a status code ("ONSHI_E_NOMEM"), for logs and bindings.
 * @return static string, or NULL for an undefined code. @since 0.1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_status_name(int status);

/* ---------------------------------------------------------------------------------------
 * Message types. Ids are never reused.
 * ------------------------------------------------------------------------------------- */
#define ONSHI_MSG_QUAL_REQ                1  /**< OQSsiquc01req 資格確認要求 */
#define ONSHI_MSG_QUAL_RES                2  /**< OQSsiquc01res 資格確認結果 */
#define ONSHI_MSG_FACE_RES                3  /**< OQSsiquc01res_face_… 顔認証付きカードリーダー結果 */
#define ONSHI_MSG_REFNUM_REQ              4  /**< OQSsiimm01req 照会番号登録要求 */
#define ONSHI_MSG_REFNUM_RES              5  /**< OQSsiimm01res */
#define ONSHI_MSG_BULK_QUAL_UP_REQ        6  /**< OQSmuquc01req 資格確認一括照会 */
#define ONSHI_MSG_BULK_QUAL_UP_RES        7  /**< OQSmuquc01res (受付番号) */
#define ONSHI_MSG_BULK_QUAL_DOWN_REQ      8  /**< OQSmuquc02req */
#define ONSHI_MSG_BULK_QUAL_DOWN_RES      9  /**< OQSmuquc02res */
#define ONSHI_MSG_BULK_REFNUM_UP_REQ     10  /**< OQSmuimm01req 照会番号一括登録 */
#define ONSHI_MSG_BULK_REFNUM_UP_RES     11 /**< bulk 照会番号 upload result (OQSmuimm01res) */
#define ONSHI_MSG_BULK_REFNUM_DOWN_REQ   12 /**< bulk 照会番号 download (OQSmuimm02req) */
#define ONSHI_MSG_BULK_REFNUM_DOWN_RES   13 /**< bulk 照会番号 download result (OQSmuimm02res) */
#define ONSHI_MSG_BULK_WELFARE_UP_REQ    14  /**< OQSmutic01req 医療扶助 一括 */
#define ONSHI_MSG_BULK_WELFARE_UP_RES    15 /**< 医療扶助 upload result (OQSmutic01res) */
#define ONSHI_MSG_BULK_WELFARE_DOWN_REQ  16 /**< 医療扶助 download (OQSmutic02req) */
#define ONSHI_MSG_BULK_WELFARE_DOWN_RES  17 /**< 医療扶助 download result (OQSmutic02res) */
#define ONSHI_MSG_BULK_HOMECARE_UP_REQ   18  /**< OQSmuhvq01req 同意済 一括（訪問診療等） */
#define ONSHI_MSG_BULK_HOMECARE_UP_RES   19 /**< 同意済 (訪問診療等) upload result (OQSmuhvq01res) */
#define ONSHI_MSG_BULK_HOMECARE_DOWN_REQ 20 /**< 同意済 (訪問診療等) download (OQSmuhvq02req) */
#define ONSHI_MSG_BULK_HOMECARE_DOWN_RES 21 /**< 同意済 (訪問診療等) download result (OQSmuhvq02res) */
#define ONSHI_MSG_BULK_ONLINE_UP_REQ     22  /**< OQSmuonq01req 同意済 一括（オンライン診療等） */
#define ONSHI_MSG_BULK_ONLINE_UP_RES     23 /**< 同意済 (オンライン診療等) upload result (OQSmuonq01res) */
#define ONSHI_MSG_BULK_ONLINE_DOWN_REQ   24 /**< 同意済 (オンライン診療等) download (OQSmuonq02req) */
#define ONSHI_MSG_BULK_ONLINE_DOWN_RES   25 /**< 同意済 (オンライン診療等) download result (OQSmuonq02res) */
#define ONSHI_MSG_DRUG_REQ               26  /**< YZKsiquc01req 薬剤情報 */
#define ONSHI_MSG_DRUG_RES               27 /**< 薬剤情報 result (YZKsiquc01res) */
#define ONSHI_MSG_CHECKUP_REQ            28  /**< TKKsiquc01req 特定健診情報 */
#define ONSHI_MSG_CHECKUP_RES            29 /**< 特定健診情報 result (TKKsiquc01res) */
#define ONSHI_MSG_CARDAUTH_REQ           40  /**< HTTPS binding extension (docs/protocol.md) */
#define ONSHI_MSG_CARDAUTH_RES           41 /**< card authentication result (HTTPS binding) */
#define ONSHI_MSG_DISASTER_REQ           42  /**< HTTPS binding extension (docs/protocol.md) */
#define ONSHI_MSG_DISASTER_RES           43 /**< disaster-mode search result (HTTPS binding) */

/**
 * The file-name prefix of a message type ("OQSsiquc01req"), or NULL for an unknown type or a
 * type that exists only in the HTTPS binding. Static string. Thread rule: any. @since 0.1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_msgtype_prefix(int type);

/**
 * The message type of a file name (with or without folder), from its prefix: for example
 * "OQSsiquc01res_202501150001.xml" gives ONSHI_MSG_QUAL_RES and
 * "OQSsiquc01res_face_…_20260929160112.xml" gives ONSHI_MSG_FACE_RES.
 * @return the type (> 0), ONSHI_E_MESSAGE_UNSUPPORTED (since 1.0: a known family such as
 *         OQSsihvq, OQSsionq, OQSsihvd whose layout is not sourced; docs/codec.md lists them)
 *         or ONSHI_E_UNKNOWN_MESSAGE. Thread rule: any. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msgtype_from_filename(const char *filename);

/**
 * Name of a message type in the language of ctx (NULL: Japanese); NULL for an unknown type.
 * Static string. @since 1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_msgtype_label(const onshi_ctx *ctx, int type);

/* ---------------------------------------------------------------------------------------
 * Global initialisation
 * ------------------------------------------------------------------------------------- */

/**
 * Initialise the library. Reference-counted: every successful call must be matched by one
 * onshi_global_cleanup(). Calling it is optional (onshi_ctx_new initialises on first use),
 * but a program that loads and unloads the library should pair the two.
 * @return ONSHI_OK, or ONSHI_E_NOMEM.
 * Thread rule: any thread; safe to call concurrently. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_global_init(void);

/**
 * Drop one reference taken by onshi_global_init(); the last one releases the global state of
 * the library and of the libraries it uses. Call it only when no context is alive.
 * Thread rule: any thread. @since 0.1.0
 */
ONSHI_API void ONSHI_CALL onshi_global_cleanup(void);

/* ---------------------------------------------------------------------------------------
 * Context
 * ------------------------------------------------------------------------------------- */

/**
 * Create a context with every option at its default.
 * @param out  receives the new context; the caller frees it with onshi_ctx_free().
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (out is NULL), ONSHI_E_NOMEM.
 * Thread rule: any thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_new(onshi_ctx **out);

/**
 * Free a context and everything it owns; secrets it holds are wiped. NULL is accepted.
 * @since 0.1.0
 */
ONSHI_API void ONSHI_CALL onshi_ctx_free(onshi_ctx *ctx);

/* Option value types (onshi_option_type). */
#define ONSHI_OPTTYPE_STR   1 /**< string option */
#define ONSHI_OPTTYPE_INT   2 /**< integer option */
#define ONSHI_OPTTYPE_BYTES 3 /**< byte option */

/*
 * Option ids. Numbered per layer (1xx core, 2xx card, 3xx jpki, 4xx codec, 5xx transport,
 * 6xx service); an id is never reused. The table in docs/options.md lists type, default and
 * range of each; onshi_option_name/onshi_option_id map ids to the names used in onshi.conf.
 */
/* core */
#define ONSHI_OPT_LANG                 100 /**< str "ja" (default) or "en": message language */
#define ONSHI_OPT_LOG_LEVEL            101 /**< int ONSHI_LOG_*: least level passed to the log cb */
#define ONSHI_OPT_LOG_REDACT           102 /**< int 1 (default) redact personal data in logs, 0 not */
#define ONSHI_OPT_STATE_DB             103 /**< str path of the SQLite state store */
/* card */
#define ONSHI_OPT_CARD_DRIVER          200 /**< int ONSHI_CARD_DRIVER_* */
#define ONSHI_OPT_CARD_READER          201 /**< str reader name; empty: first reader with a card */
#define ONSHI_OPT_CARD_SHARE_MODE      202 /**< int ONSHI_CARD_SHARE_* */
#define ONSHI_OPT_CARD_WAIT_TIMEOUT_MS 203 /**< int ms to wait for a card; 0 = do not wait */
/* jpki */
#define ONSHI_OPT_JPKI_CA_FILES        300 /**< str ';'-separated JPKI CA files or folders */
#define ONSHI_OPT_JPKI_APDU_TRACE      301 /**< int 1: log every APDU (VERIFY data masked) */
/* codec */
#define ONSHI_OPT_XML_MAX_SIZE         400 /**< int max bytes of an XML input */
#define ONSHI_OPT_XML_MAX_DEPTH        401 /**< int max element nesting */
#define ONSHI_OPT_REQUEST_ENCODING     402 /**< int ONSHI_ENC_*: encoding of written requests */
#define ONSHI_OPT_XML_MEMORY_FACTOR    403 /**< int memory budget of a decoded tree, as a multiple of its input (@since 1.0) */
/* transport */
#define ONSHI_OPT_TRANSPORT            500 /**< int ONSHI_TRANSPORT_* */
#define ONSHI_OPT_REQ_DIR              501 /**< str folder the linkage app takes requests from */
#define ONSHI_OPT_RES_DIR              502 /**< str folder the linkage app writes results to */
#define ONSHI_OPT_FACE_DIR             503 /**< str folder of face-reader results */
#define ONSHI_OPT_ARCHIVE_DIR          504 /**< str where consumed results go; empty: deleted */
#define ONSHI_OPT_RESULT_TIMEOUT_MS    505 /**< int ms to wait for a result */
#define ONSHI_OPT_POLL_INTERVAL_MS     506 /**< int ms between folder polls without inotify */
#define ONSHI_OPT_LINKAGE_TAKE_TIMEOUT_MS 507 /**< int ms before "linkage app not running" */
#define ONSHI_OPT_RESULT_MAX_SIZE      508 /**< int max bytes of a result file or body */
#define ONSHI_OPT_WORKSTATION_ID       509 /**< str 4 digits naming this workstation in request ids (@since 1.0) */
#define ONSHI_OPT_SERVER_URL           510 /**< str https://host[:port][/base] */
#define ONSHI_OPT_TLS_CA_FILE          511 /**< str PEM/DER file(s) of the server CA */
#define ONSHI_OPT_TLS_CLIENT_CERT      512 /**< str client certificate file (PEM/DER) */
#define ONSHI_OPT_TLS_CLIENT_KEY       513 /**< str client key file (PEM/DER) */
#define ONSHI_OPT_TLS_CLIENT_KEY_PASSWORD 514 /**< str (secret) password of the key file */
#define ONSHI_OPT_TLS_PKCS12_FILE      515 /**< str client certificate+key as PKCS#12 */
#define ONSHI_OPT_TLS_PKCS12_PASSWORD  516 /**< str (secret) PKCS#12 password */
#define ONSHI_OPT_TLS_PINNED_KEY       517 /**< bytes SHA-256 of the server's public key */
#define ONSHI_OPT_CONNECT_TIMEOUT_MS   518 /**< int ms */
#define ONSHI_OPT_READ_TIMEOUT_MS      519 /**< int ms */
#define ONSHI_OPT_PROXY                520 /**< str HTTP CONNECT proxy host:port; empty: none */
#define ONSHI_OPT_RETRY_MAX            521 /**< int retries of idempotent requests */
#define ONSHI_OPT_RETRY_BASE_MS        522 /**< int first back-off delay, doubled each retry */
#define ONSHI_OPT_CERT_EXPIRY_WARN_DAYS 523 /**< int warn when the client cert expires sooner */
#define ONSHI_OPT_HTTP_DEADLINE_MS     524 /**< int ms for a whole HTTPS call (connect, TLS, send, receive, retries) (@since 1.0) */
#define ONSHI_OPT_CONSUMED_KEEP_HOURS  530 /**< int hours finished requests and archived results are kept (@since 1.0) */
/* service */
#define ONSHI_OPT_MEDICAL_INSTITUTION_CODE 600 /**< str 10-digit 医療機関コード */
#define ONSHI_OPT_OPERATOR_ID          601 /**< str staff member named in the audit trail */
#define ONSHI_OPT_BATCH_POLL_LIMIT     620 /**< int bulk: "still processing" answers per run */
#define ONSHI_OPT_BATCH_POLL_BASE_MS   621 /**< int bulk: first back-off, doubled each time */
#define ONSHI_OPT_BATCH_POLL_MAX_MS    622 /**< int bulk: longest back-off */
/** int seconds: a request identical to one still open (file transport, recorded this recently)
 *  waits for that one instead of being sent again; 0 turns this off. @since 1.0 */
#define ONSHI_OPT_PENDING_REUSE_SECONDS 630

/* Values of enumerated options. */
#define ONSHI_LOG_DEBUG 10 /**< debug */
#define ONSHI_LOG_INFO  20 /**< information */
#define ONSHI_LOG_WARN  30 /**< warning */
#define ONSHI_LOG_ERROR 40 /**< error */
#define ONSHI_LOG_NONE  100 /**< nothing is logged */

#define ONSHI_CARD_DRIVER_PCSC     1 /**< PC/SC (pcsclite, WinSCard) */
#define ONSHI_CARD_DRIVER_CALLBACK 2 /**< the vendor's transmit callback */
#define ONSHI_CARD_SHARE_SHARED    0 /**< shared with other programs, in transactions */
#define ONSHI_CARD_SHARE_EXCLUSIVE 1 /**< exclusive */

#define ONSHI_ENC_UTF8  0 /**< UTF-8 */
#define ONSHI_ENC_CP932 1 /**< CP932 (declared Shift_JIS) */

#define ONSHI_TRANSPORT_FILE  1 /**< file exchange with the terminal's linkage app */
#define ONSHI_TRANSPORT_HTTPS 2 /**< HTTPS binding (direct mode) */

/**
 * Set a string option. NULL restores the default. The string is copied.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (ctx NULL), ONSHI_E_UNKNOWN_OPTION,
 *         ONSHI_E_OPTION_TYPE (not a string option), ONSHI_E_OPTION_RANGE, ONSHI_E_NOMEM.
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_str(onshi_ctx *ctx, int option, const char *value);

/**
 * Set an integer option.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_UNKNOWN_OPTION, ONSHI_E_OPTION_TYPE,
 *         ONSHI_E_OPTION_RANGE (outside the option's range; the old value stays).
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_int(onshi_ctx *ctx, int option, int64_t value);

/**
 * Set a byte-string option. (data NULL, len 0) restores the default. The bytes are copied.
 * @return as onshi_ctx_set_str(). Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_bytes(onshi_ctx *ctx, int option, const void *data,
                                             size_t len);

/**
 * Read a string option.
 * @param out  receives a borrowed pointer valid until the option is set again or the context
 *             is freed. Secret options cannot be read (ONSHI_E_OPTION_TYPE).
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_get_str(const char **out, const onshi_ctx *ctx, int option);

/** Read an integer option into out. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_ctx_get_int(int64_t *out, const onshi_ctx *ctx, int option);

/**
 * The option id for a configuration name ("req_dir"), or ONSHI_E_UNKNOWN_OPTION.
 * Thread rule: any thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_option_id(const char *name);

/** The configuration name of an option id, or NULL. Static string. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_option_name(int option);

/** The ONSHI_OPTTYPE_* of an option, or ONSHI_E_UNKNOWN_OPTION. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_option_type(int option);

/**
 * 1 when an option holds a secret (a password: wiped on free, never readable, never logged,
 * and never to be taken from a command line, where every user of the machine can read it),
 * 0 when not, ONSHI_E_UNKNOWN_OPTION. Thread rule: any thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_option_is_secret(int option);

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

/* Kinds of foreign (underlying library) error codes kept as detail. */
#define ONSHI_FOREIGN_NONE    0 /**< no foreign code */
#define ONSHI_FOREIGN_ERRNO   1 /**< errno value */
#define ONSHI_FOREIGN_PCSC    2 /**< SCARD_E_* / SCARD_W_* value */
#define ONSHI_FOREIGN_MBEDTLS 3 /**< MBEDTLS_ERR_* value (negative) */
#define ONSHI_FOREIGN_LIBXML2 4 /**< xmlParserErrors value */
#define ONSHI_FOREIGN_SQLITE  5 /**< SQLite extended result code */
#define ONSHI_FOREIGN_SW      6 /**< ISO 7816 status word (e.g. 0x6984) */
#define ONSHI_FOREIGN_HTTP    7 /**< HTTP status code */
#define ONSHI_FOREIGN_SYSTEM  8 /**< an error code of the central system (as a number) */
#define ONSHI_FOREIGN_TRIES   9 /**< PIN tries left */

/**
 * The status of the last failed call on this context (ONSHI_OK if none failed since the
 * context was created or onshi_ctx_clear_error() was called). A successful call does not clear
 * it. Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_last_error(const onshi_ctx *ctx);

/**
 * The message of the last error, in the context's language (ONSHI_OPT_LANG): the status
 * description followed by what failed and where (a field, a byte offset, a file name).
 * @return borrowed UTF-8 string valid until the next call on the context; "" if no error.
 * @since 0.1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_ctx_last_error_message(const onshi_ctx *ctx);

/**
 * The underlying library's code behind the last error, if any.
 * @param kind   out: ONSHI_FOREIGN_* (ONSHI_FOREIGN_NONE if there is none); may be NULL
 * @param value  out: the code; may be NULL
 * @return the last error status (as onshi_ctx_last_error). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_last_error_foreign(int *kind, int64_t *value,
                                                      const onshi_ctx *ctx);

/**
 * Record an error on the context from outside the library, typically by a language binding
 * inside a callback before it returns non-zero, so the caller sees the binding's text.
 * @param status   a negative ONSHI_E_* code (ONSHI_E_CALLBACK is usual)
 * @param message  UTF-8 text, copied; may be NULL
 * @return ONSHI_OK or ONSHI_E_INVALID_ARG. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_error(onshi_ctx *ctx, int status, const char *message);

/** Forget the last error. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_ctx_clear_error(onshi_ctx *ctx);

/* ---------------------------------------------------------------------------------------
 * Cancellation
 * ------------------------------------------------------------------------------------- */

/**
 * Ask the operation running on ctx (or, if none, the next one) to stop as soon as it can; it
 * then returns ONSHI_E_CANCELLED and the request is consumed. Blocking waits (card insertion,
 * result files, network) are woken up. A request that was already handed to the central
 * system is not withdrawn: its result is picked up by a later call (see ONSHI_E_PENDING).
 * Thread rule: ANY thread; this is the only cross-thread call. Async-signal-safe it is not.
 * @since 0.1.0
 */
ONSHI_API void ONSHI_CALL onshi_ctx_cancel(onshi_ctx *ctx);

/* ---------------------------------------------------------------------------------------
 * Logging. The library never prints; it hands log lines to this callback. Personal data
 * (names, numbers, birth dates, addresses) are redacted unless ONSHI_OPT_LOG_REDACT is 0;
 * secrets (PINs, passwords, keys) are never logged at all.
 * ------------------------------------------------------------------------------------- */

/**
 * Log callback.
 * @param userdata   log_userdata of onshi_callbacks
 * @param level      ONSHI_LOG_*
 * @param component  static name of the layer ("core", "card", "jpki", ...)
 * @param message    UTF-8 line without newline, valid during the call only
 * Runs on the thread of the call that logs; must not call back into the same context.
 */
typedef void (ONSHI_CALL *onshi_log_cb)(void *userdata, int level, const char *component,
                                        const char *message);

/* ---------------------------------------------------------------------------------------
 * Memory: owned byte buffers and wiping
 * ------------------------------------------------------------------------------------- */

/** A byte buffer the library hands to the caller (a certificate, a PDF, an XML file). */
typedef struct onshi_buf onshi_buf;

/** Pointer to the bytes (NULL when empty); valid until onshi_buf_free. @since 0.1.0 */
ONSHI_API const unsigned char *ONSHI_CALL onshi_buf_data(const onshi_buf *buf);

/** Number of bytes. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_buf_len(const onshi_buf *buf);

/** Wipe and free a buffer. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_buf_free(onshi_buf *buf);

/**
 * Overwrite len bytes at p with zeros in a way the compiler cannot remove (for secrets a
 * binding copied out of the library). Thread rule: any thread. @since 1.0
 */
ONSHI_API void ONSHI_CALL onshi_mem_wipe(void *p, size_t len);

/* ---------------------------------------------------------------------------------------
 * Configuration file and environment
 * ------------------------------------------------------------------------------------- */

/**
 * Load configuration: the file at `path` (lines `name = value`, names as onshi_option_name(),
 * `#` starts a comment; NULL: no file), then every environment variable ONSHI_<NAME> whose
 * NAME is an option name in upper case (ONSHI_REQ_DIR...), which wins over the file. Integer
 * options take a number or, for enumerated ones, a name (transport = file|https,
 * request_encoding = utf-8|cp932, log_level = debug|info|warn|error|none, card_driver =
 * pcsc|callback); byte options take hex. docs/configuration.md lists the keys.
 * @return ONSHI_OK; ONSHI_E_IO (file unreadable), ONSHI_E_CONFIG (the message names the file,
 *         line and key: unknown key, missing '=', bad value), ONSHI_E_OPTION_RANGE. Options set
 *         before the failing line stay set. Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_load_config(onshi_ctx *ctx, const char *path);

/**
 * Set one option from its configuration name and text, by the one parser onshi.conf and the
 * ONSHI_* variables use: a number or, for enumerated options, a name ("transport", "https");
 * hex for byte options; an empty value restores the default. For command lines (`--set
 * name=value`), settings screens and bindings, so a value accepted in one place is accepted
 * in all.
 * @param ctx    the context
 * @param name   the option's name ("req_dir"), as onshi_option_name()
 * @param value  its text (UTF-8)
 * @return ONSHI_OK; ONSHI_E_CONFIG (unknown name, a value that is neither a number nor one of
 *         the option's names, bad hex: the message names the option and the names it takes),
 *         ONSHI_E_OPTION_RANGE, ONSHI_E_INVALID_ARG (NULL). Thread rule: the context's
 *         thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_option(onshi_ctx *ctx, const char *name,
                                              const char *value);

/* =======================================================================================
 * CARD: readers, My Number Card (JPKI) certificate, PIN, signature
 * ===================================================================================== */

/* ---- card and JPKI: readers, My Number Card auth certificate, PIN, signature ---- */
/*
 * The card layer reads the JPKI user-authentication certificate (利用者証明用電子証明書) of a
 * My Number Card and signs with its key after the 4-digit PIN. By construction it selects only
 * the JPKI application and its files 0006/000A/000B/0017/0018: the My Number is never read.
 * docs/card.md has the long form (drivers, PIN rules, allowlist, certificate checks).
 *
 * Drivers (ONSHI_OPT_CARD_DRIVER): PC/SC (PCSC-Lite or WinSCard) or a vendor transmit
 * callback for readers that expose only their own API.
 */

/** An open card session (one reader, one card). Not shared between threads. */
typedef struct onshi_card onshi_card;
/** A parsed X.509 certificate (JPKI auth certificate, its CA, or any DER certificate). */
typedef struct onshi_cert onshi_cert;

/**
 * Vendor transmit callback (ONSHI_CARD_DRIVER_CALLBACK): send one command APDU to the card
 * and return its answer (data followed by SW1 SW2).
 * @param userdata  card_transmit_userdata of onshi_callbacks
 * @param cmd       the command APDU, cmd_len bytes (valid during the call only)
 * @param resp      where to write the answer, at most resp_cap bytes (resp_cap >= 258)
 * @param resp_len  out: bytes written (>= 2)
 * @return 0 on success; a negative ONSHI_E_CARD_* status (for example ONSHI_E_CARD_REMOVED,
 *         ONSHI_E_CARD_NO_CARD) which the SDK call then returns; any other non-zero value
 *         becomes ONSHI_E_CARD_DRIVER.
 * Runs on the thread of the SDK call. Must not call back into the same context.
 */
typedef int (ONSHI_CALL *onshi_card_transmit_cb)(void *userdata, const unsigned char *cmd,
                                                  size_t cmd_len, unsigned char *resp,
                                                  size_t resp_cap, size_t *resp_len);

/**
 * Vendor reset callback: reset (or power-cycle) the card so that no verified PIN state
 * lingers. Called after every use of the private key. Returns 0 or as the transmit callback.
 */
typedef int (ONSHI_CALL *onshi_card_reset_cb)(void *userdata);

/* Card events (onshi_card_event_cb, onshi_card_wait). */
#define ONSHI_CARD_EVENT_ANY      0 /**< (onshi_card_wait only) any change */
#define ONSHI_CARD_EVENT_INSERTED 1 /**< a card is present in the reader */
#define ONSHI_CARD_EVENT_REMOVED  2 /**< the reader is empty */

/**
 * Card event callback: a card was placed in or removed from a reader.
 * @param event   ONSHI_CARD_EVENT_INSERTED or ONSHI_CARD_EVENT_REMOVED
 * @param reader  UTF-8 reader name, valid during the call only
 * @return 0 to go on; non-zero cancels the waiting call (ONSHI_E_CANCELLED).
 */
typedef int (ONSHI_CALL *onshi_card_event_cb)(void *userdata, int event, const char *reader);

/** Largest PIN buffer the library hands to the PIN callback (bytes, including the NUL). */
#define ONSHI_PIN_BUF_SIZE 32

/**
 * PIN callback: ask the person at the window for the user-authentication PIN (4 digits).
 * The PIN never passes through argv, environment or logs: the callback writes it,
 * NUL-terminated, into pin_buf, a buffer the library owns and wipes after use.
 * @param tries_left    tries left before the PIN locks (from the card), -1 if unknown
 * @param is_last_try   1 when this is the last try: the attempt is made only if the
 *                      callback also sets *confirm_last to 1 (otherwise the call returns
 *                      ONSHI_E_JPKI_PIN_LAST_TRY without trying)
 * @param pin_buf       where to write the PIN (pin_buf_size bytes, ONSHI_PIN_BUF_SIZE)
 * @param confirm_last  out: set to 1 to confirm the last try; starts at 0
 * @return 0 to go on; non-zero cancels (ONSHI_E_CANCELLED), nothing is sent to the card.
 * The SDK never retries a PIN on its own: a wrong PIN ends the call.
 */
typedef int (ONSHI_CALL *onshi_pin_cb)(void *userdata, int tries_left, int is_last_try,
                                       char *pin_buf, size_t pin_buf_size, int *confirm_last);

/**
 * List the readers of the selected driver.
 * @param out    receives the names, each UTF-8 and NUL-terminated, one after the other (the
 *               PC/SC multi-string form, ending with an extra NUL); freed with onshi_buf_free.
 * @param count  out: number of readers; may be NULL
 * @return ONSHI_OK, ONSHI_E_CARD_NO_SERVICE, ONSHI_E_CARD_NO_READER (none connected),
 *         ONSHI_E_CARD_PCSC, ONSHI_E_NOMEM. The callback driver lists one reader, "callback".
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_readers(onshi_buf **out, size_t *count, onshi_ctx *ctx);

/**
 * Wait until the chosen reader (ONSHI_OPT_CARD_READER, or any reader when empty) holds a card
 * (ONSHI_CARD_EVENT_INSERTED), is empty (ONSHI_CARD_EVENT_REMOVED), or changes
 * (ONSHI_CARD_EVENT_ANY). Blocks in the driver (SCardGetStatusChange), never by polling;
 * onshi_ctx_cancel() from another thread wakes it. Events seen go to the event callback.
 * @param event       out: the event that ended the wait; may be NULL
 * @param want        ONSHI_CARD_EVENT_*; returns at once when the state already matches
 * @param timeout_ms  how long to wait; negative: ONSHI_OPT_CARD_WAIT_TIMEOUT_MS
 * @return ONSHI_OK, ONSHI_E_CARD_TIMEOUT, ONSHI_E_CANCELLED, ONSHI_E_CARD_NO_SERVICE,
 *         ONSHI_E_CARD_NO_READER, ONSHI_E_CARD_READER_NOT_FOUND, ONSHI_E_CARD_PCSC,
 *         ONSHI_E_UNSUPPORTED (the callback driver cannot see removals).
 * Thread rule: the context's thread (cancel from any). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_wait(int *event, onshi_ctx *ctx, int want,
                                         int timeout_ms);

/**
 * Open a session with the My Number Card in the chosen reader: waits for a card up to
 * ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, connects (ONSHI_OPT_CARD_SHARE_MODE) and selects the JPKI
 * application. The card is recognised by what it answers, never by its ATR. The session
 * reserves the card (one PC/SC transaction) until a call that used the PIN, an error, or
 * onshi_card_free(): close it as soon as the card is not needed.
 * @param out  receives the session; close it with onshi_card_free(). It keeps a pointer to
 *             ctx, which must outlive it.
 * @return ONSHI_OK, ONSHI_E_JPKI_NOT_JPKI, ONSHI_E_JPKI_UNSUPPORTED_TOKEN, card-band errors,
 *         ONSHI_E_NO_CALLBACK (callback driver without a transmit callback),
 *         ONSHI_E_CANCELLED, ONSHI_E_NOMEM.
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_open(onshi_card **out, onshi_ctx *ctx);

/**
 * Close the session, release the reader and free the session. A card whose key was used has
 * already been reset. NULL is accepted. @since 1.0
 */
ONSHI_API void ONSHI_CALL onshi_card_free(onshi_card *card);

/** Name of the reader in use (UTF-8), valid until onshi_card_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_card_reader_name(const onshi_card *card);

/**
 * The JPKI token label of the card ("JPKIAPICCTOKEN2" for a My Number Card), valid until
 * onshi_card_free. @since 0.1.0
 * My Number Card gives "" (0.1 read "JPKIAPICCTOKEN2" from every card). Valid until
 * onshi_card_free. @since 0.1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_card_token_label(const onshi_card *card);

/**
 * Read the user-authentication certificate (EF 000A; no PIN needed on a card; an Android
 * smartphone shows it only after the PIN: the PIN callback is asked, and the verified phone
 * is kept in the session's held transaction for the onshi_card_sign that follows, so the
 * PIN is asked and sent once; reset at that signature, at any error or at onshi_card_free.
 * Once read, the session returns it without any APDU) and parse it.
 * @param out  receives the certificate; free it with onshi_cert_free().
 * @return ONSHI_OK, ONSHI_E_JPKI_FILE_NOT_FOUND, ONSHI_E_JPKI_BAD_RESPONSE (truncated or
 *         inconsistent answers), ONSHI_E_JPKI_SW, ONSHI_E_JPKI_CERT_PARSE,
 *         ONSHI_E_JPKI_UNSUPPORTED_TOKEN (iPhone, unknown token), the PIN errors of
 *         onshi_card_sign on a smartphone, card-band errors.
 * Thread rule: the session's context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_read_auth_cert(onshi_cert **out, onshi_card *card);

/** Read the certificate of the auth CA stored on the card (EF 000B). As above. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_card_read_ca_cert(onshi_cert **out, onshi_card *card);

/**
 * How many PIN tries are left, asked without spending one (empty VERIFY).
 * @param tries  out: tries left, or -1 when the card does not say (no limit / already verified)
 * @return ONSHI_OK, ONSHI_E_JPKI_PIN_LOCKED (then *tries is 0), card-band and jpki errors.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_pin_tries_left(int *tries, onshi_card *card);

/* Hash algorithms of onshi_card_sign. */
#define ONSHI_HASH_SHA256 1 /**< SHA-256 */
#define ONSHI_HASH_SHA384 2 /**< SHA-384 */

/**
 * Sign a hash with the user-authentication key, after the PIN. In one card transaction:
 * tries left are read (unless already read in the session's held transaction), the PIN
 * callback is asked (see onshi_pin_cb for the last-try rule),
 * the PIN verified once (never retried; on a smartphone whose onshi_card_read_auth_cert
 * already verified it in this held transaction, not asked or sent again), the hash signed
 * (RSA: PKCS#1 v1.5 over the DigestInfo), and then the card is reset. The signature is verified with the
 * certificate's public key before it is returned.
 * @param out       receives the signature; freed with onshi_buf_free
 * @param hash_alg  ONSHI_HASH_* the card profile accepts (SHA-256 for today's card)
 * @param hash      the hash, hash_len bytes (32 for SHA-256)
 * @return ONSHI_OK, ONSHI_E_JPKI_PIN_WRONG (tries left as ONSHI_FOREIGN_TRIES),
 *         ONSHI_E_JPKI_PIN_LOCKED, ONSHI_E_JPKI_PIN_LAST_TRY, ONSHI_E_JPKI_PIN_FORMAT,
 *         ONSHI_E_JPKI_PIN_REQUIRED, ONSHI_E_JPKI_SIGNATURE, ONSHI_E_NO_CALLBACK (no PIN
 *         callback), ONSHI_E_CANCELLED (the PIN callback said so), ONSHI_E_INVALID_ARG
 *         (hash length or algorithm), card-band and other jpki errors.
 * Thread rule: the session's context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_card_sign(onshi_buf **out, onshi_card *card, int hash_alg,
                                         const unsigned char *hash, size_t hash_len);

/**
 * Parse a DER certificate (JPKI certificatePolicies are accepted).
 * @param out  receives the certificate; freed with onshi_cert_free
 * @param ctx  for the error detail; may be NULL
 * @return ONSHI_OK, ONSHI_E_JPKI_CERT_PARSE (mbedTLS code as foreign detail), ONSHI_E_NOMEM,
 *         ONSHI_E_INVALID_ARG. Thread rule: any thread with its own ctx. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_cert_from_der(onshi_cert **out, onshi_ctx *ctx,
                                             const unsigned char *der, size_t len);

/** Free a certificate. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_cert_free(onshi_cert *cert);

/** Serial number, lower-case hex ("0133c349"). Valid until onshi_cert_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_cert_serial_hex(const onshi_cert *cert);
/** Issuer DN ("C=JP, O=JPKI, ..."). Valid until onshi_cert_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_cert_issuer(const onshi_cert *cert);
/** Subject DN. Valid until onshi_cert_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_cert_subject(const onshi_cert *cert);
/** Start of validity, UTC, "YYYYMMDDHHMMSS". Valid until onshi_cert_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_cert_not_before(const onshi_cert *cert);
/** End of validity, UTC, "YYYYMMDDHHMMSS". Valid until onshi_cert_free. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_cert_not_after(const onshi_cert *cert);
/** End of validity as seconds since 1970 (UTC). @since 0.1.0 */
ONSHI_API int64_t ONSHI_CALL onshi_cert_not_after_epoch(const onshi_cert *cert);
/**
 * Whole days from now (Japan time) until the end of validity: 0 on its last day, negative once
 * expired.
 * @param out  receives the days
 * @return ONSHI_OK or ONSHI_E_INVALID_ARG (out or cert NULL). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_cert_days_left(int64_t *out, const onshi_cert *cert);

/* Key types (onshi_cert_key_type). */
#define ONSHI_KEY_RSA 1 /**< RSA key */
#define ONSHI_KEY_EC  2 /**< elliptic-curve key */
/** ONSHI_KEY_* of the subject public key, or 0 for another kind. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_cert_key_type(const onshi_cert *cert);
/** Size of the subject public key in bits (2048, 384...). @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_cert_key_bits(const onshi_cert *cert);

/* Key usage bits (X.509 KeyUsage; onshi_cert_key_usage). */
#define ONSHI_KU_DIGITAL_SIGNATURE 0x80 /**< keyUsage digitalSignature */
#define ONSHI_KU_NON_REPUDIATION   0x40 /**< keyUsage nonRepudiation */
#define ONSHI_KU_KEY_ENCIPHERMENT  0x20 /**< keyUsage keyEncipherment */
#define ONSHI_KU_DATA_ENCIPHERMENT 0x10 /**< keyUsage dataEncipherment */
#define ONSHI_KU_KEY_AGREEMENT     0x08 /**< keyUsage keyAgreement */
#define ONSHI_KU_KEY_CERT_SIGN     0x04 /**< keyUsage keyCertSign */
#define ONSHI_KU_CRL_SIGN          0x02 /**< keyUsage cRLSign */
/** The ONSHI_KU_* bits of the keyUsage extension, ONSHI_E_NOT_FOUND if the extension is
 *  absent, ONSHI_E_INVALID_ARG for NULL. @since 1.0 */
ONSHI_API int ONSHI_CALL onshi_cert_key_usage(const onshi_cert *cert);

/**
 * The certificate as DER.
 * @param out  receives a copy; freed with onshi_buf_free
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_cert_der(onshi_buf **out, const onshi_cert *cert);

/**
 * Verify a certificate against the JPKI CA certificates of ONSHI_OPT_JPKI_CA_FILES (files or
 * folders of PEM/DER certificates) at the current time.
 * @return ONSHI_OK, ONSHI_E_JPKI_CERT_UNKNOWN_ISSUER, ONSHI_E_JPKI_CERT_EXPIRED,
 *         ONSHI_E_JPKI_CERT_NOT_YET_VALID, ONSHI_E_JPKI_CERT_REVOKED,
 *         ONSHI_E_JPKI_CERT_INVALID (each with MBEDTLS_ERR_X509_CERT_VERIFY_FAILED as
 *         foreign detail and mbedTLS's verify flags named in the message),
 *         ONSHI_E_CONFIG (no CA configured, or a CA file unreadable), ONSHI_E_INVALID_ARG.
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_cert_verify(onshi_ctx *ctx, const onshi_cert *cert);

/* =======================================================================================
 * CODEC: message objects, fields, code tables, XML and JSON
 * ===================================================================================== */

/* ---- codec: message objects, fields, code tables, XML and JSON ---- */

/*
 * A decoded or built message is an opaque onshi_msg: its type (ONSHI_MSG_*), a header
 * group (MessageHeader) and a body group (MessageBody). Repeated structures
 * (ResultOfQualificationConfirmation, BulkConfirmUnit, MedicalTicketInfo, ...) are groups
 * reached by iteration. Values are read and written by numbered field id (ONSHI_F_*), which
 * names one XML element inside one kind of group (ONSHI_G_*). Field and group ids are never
 * reused; docs/codec.md lists every one with its element name, format and code table.
 * Groups are borrowed views: they live as long as the message (or, for a streaming bulk
 * reader, until the next unit). One message is used by one thread at a time.
 */

/** A message: type, header, body. */
typedef struct onshi_msg onshi_msg;
/** A group of fields inside a message (MessageHeader, one ResultOfQualificationConfirmation...). */
typedef struct onshi_group onshi_group;
/** A streaming reader of bulk results (OQSmu*02res): one BulkConfirmUnit at a time. */
typedef struct onshi_bulk_reader onshi_bulk_reader;

/* Group kinds (ONSHI_G_*). */
#define ONSHI_G_HEADER            1  /**< MessageHeader */
#define ONSHI_G_BODY              2  /**< MessageBody */
#define ONSHI_G_SEARCH            3  /**< QualificationConfirmSearchInfo (request, echo) */
#define ONSHI_G_RESULT            4  /**< ResultOfQualificationConfirmation (per person) */
#define ONSHI_G_ELDERLY           5  /**< ElderlyRecipientCertificateInfo 高齢受給者証 */
#define ONSHI_G_LIMIT             6  /**< LimitApplicationCertificateRelatedInfo 限度額適用認定証 */
#define ONSHI_G_DISEASE           7  /**< SpecificDiseasesCertificateInfo 特定疾病療養受療証 */
#define ONSHI_G_TICKET            8  /**< MedicalTicketInfo 医療券・調剤券 (医療扶助) */
#define ONSHI_G_BULK_UNIT         9  /**< BulkConfirmUnit (bulk result, one person) */
#define ONSHI_G_REFNUM            10 /**< ReferenceNumberRegistrationInfo 照会番号登録 */
#define ONSHI_G_DRUG_PATIENT      11 /**< QuaInf (drug result header) */
#define ONSHI_G_DRUG_MONTH        12 /**< MeTrMonthInf / CzDiMonthInf / ShPrMonthInf */
#define ONSHI_G_DRUG_DATE         13 /**< DiDateInf / CzDiDateInf / ShPrDateInf */
#define ONSHI_G_DRUG              14 /**< DrugInf / CzDrugInf / ShDrugInf */
#define ONSHI_G_CHECKUP_PATIENT   15 /**< QualificationsInfo (checkup result header) */
#define ONSHI_G_CHECKUP           16 /**< SpecificHealthCheckupInfo 特定健診 (one check-up) */
#define ONSHI_G_CHECKUP_ITEM      17 /**< HealthCheckupResultAndQuestionInfo (one item) */
/** MeTrInf 診療情報 inside DiDateInf (wrapper MeTrInfs; receipt-based drug information).
 *  @since 1.0 */
#define ONSHI_G_DRUG_CARE         18

/* Field ids (ONSHI_F_*): the element name follows each; the group is in the id's block. */
/* MessageHeader */
#define ONSHI_F_PROCESS_EXECUTION_TIME          100 /**< ProcessExecutionTime (14 digits) */
#define ONSHI_F_QUALIFICATION_CONFIRMATION_DATE 101 /**< QualificationConfirmationDate */
#define ONSHI_F_MEDICAL_INSTITUTION_CODE        102 /**< MedicalInstitutionCode (10 digits) */
#define ONSHI_F_HDR_INSURER_NUMBER              103 /**< InsurerNumber (drug/checkup request) */
#define ONSHI_F_HDR_INSURANCE_CARD_SYMBOL       104 /**< InsuranceCardSymbol */
#define ONSHI_F_HDR_INSURED_PERSON_ID_NUMBER    105 /**< InsuredPersonIdentificationNumber */
#define ONSHI_F_HDR_BRANCH_NUMBER               106 /**< BranchNumber */
#define ONSHI_F_ARBITRARY_FILE_IDENTIFIER       107 /**< ArbitraryFileIdentifier (<= 50) */
#define ONSHI_F_REFERENCE_CLASSIFICATION        108 /**< ReferenceClassification OQSCD002 */
#define ONSHI_F_HDR_RECEPTION_NUMBER            109 /**< ReceptionNumber (bulk 02res) */
#define ONSHI_F_SEGMENT_OF_RESULT               110 /**< SegmentOfResult OQSCD003 */
#define ONSHI_F_ERROR_CODE                      111 /**< ErrorCode */
#define ONSHI_F_ERROR_MESSAGE                   112 /**< ErrorMessage */
#define ONSHI_F_NUMBER_OF_PROCESSING_RESULT     113 /**< NumberOfProcessingResult */
#define ONSHI_F_NUMBER_OF_NORMAL_PROCESSING     114 /**< NumberOfNormalProcessing */
#define ONSHI_F_NUMBER_OF_ERROR                 115 /**< NumberOfError */
#define ONSHI_F_CHARACTER_CODE_IDENTIFIER       116 /**< CharacterCodeIdentifier OQSCD005 */
#define ONSHI_F_RESULT_CODE                     117 /**< ResultCode (drug/checkup results) */
#define ONSHI_F_MESSAGE_CONTENTS                118 /**< MessageContents (drug/checkup results) */
#define ONSHI_F_QUALIFICATION_CONFIRMATION_KEY  119 /**< QualificationConfirmationKey (face) */
/* MessageBody */
#define ONSHI_F_BODY_PRESCRIPTION_ISSUE_SELECT  200 /**< PrescriptionIssueSelect OQSCD017 */
#define ONSHI_F_PROCESSING_RESULT_STATUS        201 /**< ProcessingResultStatus OQSCD004 */
#define ONSHI_F_PROCESSING_RESULT_CODE          202 /**< ProcessingResultCode */
#define ONSHI_F_PROCESSING_RESULT_MESSAGE       203 /**< ProcessingResultMessage */
#define ONSHI_F_QUALIFICATION_VALIDITY          204 /**< QualificationValidity OQSCD006 */
#define ONSHI_F_RECEPTION_NUMBER                205 /**< ReceptionNumber */
#define ONSHI_F_RECEPTION_DATE_TIME             206 /**< ReceptionDateTime (14 digits) */
#define ONSHI_F_BODY_MEDICAL_TREATMENT_MONTH    207 /**< MedicalTreatmentMonth (YYYYMM, OQSmutic) */
#define ONSHI_F_START_DATE                      208 /**< StartDate (YYYYMM, drug request) */
#define ONSHI_F_END_DATE                        209 /**< EndDate (YYYYMM, drug request) */
#define ONSHI_F_FILE_CATEGORY                   210 /**< FileCategory (1 PDF, 2 XML, ...) */
#define ONSHI_F_PR_DI_INF_CLASSIFICATION        211 /**< PrDiInfClassification */
#define ONSHI_F_BODY_MEDICAL_TREATMENT_FLAG     212 /**< MedicalTreatmentFlag OQSCD028 */
#define ONSHI_F_BODY_REFERENCE_NUMBER           213 /**< ReferenceNumber (OQSsiimm01res) */
#define ONSHI_F_IDENTITY_VERIFICATION_METHOD    214 /**< IdentityVerificationMethod (card auth, HTTPS extension) */
/* QualificationConfirmSearchInfo */
#define ONSHI_F_SEARCH_INSURER_NUMBER           300 /**< InsurerNumber (8, space-padded) */
#define ONSHI_F_SEARCH_INSURED_CARD_SYMBOL      301 /**< InsuredCardSymbol (<= 20) */
#define ONSHI_F_SEARCH_INSURED_ID_NUMBER        302 /**< InsuredIdentificationNumber (<= 20) */
#define ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER    303 /**< InsuredBranchNumber (2 digits) */
#define ONSHI_F_SEARCH_BIRTHDATE                304 /**< Birthdate */
#define ONSHI_F_SEARCH_LIMIT_CONS_FLG           305 /**< LimitApplicationCertificateRelatedConsFlg */
#define ONSHI_F_SEARCH_ARBITRARY_IDENTIFIER     306 /**< ArbitraryIdentifier */
#define ONSHI_F_CONSENT_DATE_FROM               307 /**< ConsentDateFrom */
#define ONSHI_F_CONSENT_DATE_TO                 308 /**< ConsentDateTo */
#define ONSHI_F_EXAMINATION_DATE_FROM           309 /**< ExaminationDateFrom */
#define ONSHI_F_EXAMINATION_DATE_TO             310 /**< ExaminationDateTo */
#define ONSHI_F_SEARCH_MEDICAL_TREATMENT_FLAG   311 /**< MedicalTreatmentFlag OQSCD028 */
/** MedicalTreatmentMonth (YYYYMM) inside QualificationConfirmSearchInfo: where OQSmutic01req
 *  carries the month (as the production tool OQSDrug2 writes it). @since 1.0 */
#define ONSHI_F_SEARCH_MEDICAL_TREATMENT_MONTH  312
/* ResultOfQualificationConfirmation */
#define ONSHI_F_INSURED_CARD_CLASSIFICATION     400 /**< InsuredCardClassification OQSCD010 */
#define ONSHI_F_INSURER_NUMBER                  401 /**< InsurerNumber */
#define ONSHI_F_INSURED_CARD_SYMBOL             402 /**< InsuredCardSymbol */
#define ONSHI_F_INSURED_ID_NUMBER               403 /**< InsuredIdentificationNumber */
#define ONSHI_F_INSURED_BRANCH_NUMBER           404 /**< InsuredBranchNumber */
#define ONSHI_F_PUBLIC_EXPENSE_NUMBER           405 /**< PublicExpenseNumber 公費負担者番号 */
#define ONSHI_F_BENEFICIARY_NUMBER              406 /**< BeneficiaryNumber 受給者番号 */
#define ONSHI_F_PERSONAL_FAMILY_CLASSIFICATION  407 /**< PersonalFamilyClassification OQSCD009 */
#define ONSHI_F_INSURED_NAME                    408 /**< InsuredName 被保険者氏名 */
#define ONSHI_F_NAME                            409 /**< Name 氏名 */
#define ONSHI_F_NAME_OF_OTHER                   410 /**< NameOfOther 通称 */
#define ONSHI_F_NAME_KANA                       411 /**< NameKana (half-width kana) */
#define ONSHI_F_NAME_OF_OTHER_KANA              412 /**< NameOfOtherKana */
#define ONSHI_F_SEX1                            413 /**< Sex1 OQSCD007 */
#define ONSHI_F_SEX2                            414 /**< Sex2 OQSCD007 */
#define ONSHI_F_BIRTHDATE                       415 /**< Birthdate */
#define ONSHI_F_ADDRESS                         416 /**< Address */
#define ONSHI_F_POST_NUMBER                     417 /**< PostNumber */
#define ONSHI_F_QUALIFICATION_DATE              418 /**< QualificationDate */
#define ONSHI_F_DISQUALIFICATION_DATE           419 /**< DisqualificationDate */
#define ONSHI_F_INSURED_CERT_ISSUANCE_DATE      420 /**< InsuredCertificateIssuanceDate */
#define ONSHI_F_INSURED_CARD_VALID_DATE         421 /**< InsuredCardValidDate */
#define ONSHI_F_INSURED_CARD_EXPIRATION_DATE    422 /**< InsuredCardExpirationDate */
#define ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO   423 /**< InsuredPartialContributionRatio */
#define ONSHI_F_PRESCHOOL_CLASSIFICATION        424 /**< PreschoolClassification OQSCD015 */
#define ONSHI_F_REASON_OF_LOSS                  425 /**< ReasonOfLoss OQSCD008 */
#define ONSHI_F_INSURER_NAME                    426 /**< InsurerName */
#define ONSHI_F_WELFARE_OFFICE_NAME             427 /**< WelfareOfficeName 福祉事務所 */
#define ONSHI_F_LIMIT_CONS_FLG                  428 /**< LimitApplicationCertificateRelatedConsFlg */
#define ONSHI_F_LIMIT_CONS_TIME                 429 /**< LimitApplicationCertificateRelatedConsTime */
#define ONSHI_F_SPECIFIC_DISEASES_CONS_FLG      430 /**< SpecificDiseasesCertificateRelatedConsFlg */
#define ONSHI_F_SPECIFIC_DISEASES_CONS_TIME     431 /**< SpecificDiseasesCertificateRelatedConsTime */
#define ONSHI_F_CHECKUPS_CONS_FLG               432 /**< SpecificHealthCheckupsInfoConsFlg */
#define ONSHI_F_CHECKUPS_CONS_TIME              433 /**< SpecificHealthCheckupsInfoConsTime */
#define ONSHI_F_CHECKUPS_AVAILABLE_TIME         434 /**< SpecificHealthCheckupsInfoAvailableTime */
#define ONSHI_F_PHARMACISTS_CONS_FLG            435 /**< PharmacistsInfoConsFlg */
#define ONSHI_F_PHARMACISTS_CONS_TIME           436 /**< PharmacistsInfoConsTime */
#define ONSHI_F_PHARMACISTS_AVAILABLE_TIME      437 /**< PharmacistsInfoAvailableTime */
#define ONSHI_F_DIAGNOSIS_CONS_FLG              438 /**< DiagnosisInfoConsFlg */
#define ONSHI_F_DIAGNOSIS_CONS_TIME             439 /**< DiagnosisInfoConsTime */
#define ONSHI_F_DIAGNOSIS_AVAILABLE_TIME        440 /**< DiagnosisInfoAvailableTime */
#define ONSHI_F_OPERATION_CONS_FLG              441 /**< OperationInfoConsFlg */
#define ONSHI_F_OPERATION_CONS_TIME             442 /**< OperationInfoConsTime */
#define ONSHI_F_OPERATION_AVAILABLE_TIME        443 /**< OperationInfoAvailableTime */
#define ONSHI_F_ARBITRARY_IDENTIFIER            444 /**< ArbitraryIdentifier */
#define ONSHI_F_REFERENCE_NUMBER                445 /**< ReferenceNumber 照会番号 (<= 50) */
#define ONSHI_F_PRESCRIPTION_ISSUE_SELECT       446 /**< PrescriptionIssueSelect (per person) */
#define ONSHI_F_LIMIT_CHANGED                   447 /**< LimitApplicationCertificateChanged OQSCD014 */
/* Consent items added in 2025 (閲覧同意フラグ OQSCD016 / 同意日時 / 閲覧有効期限). @since 1.0 */
#define ONSHI_F_DIAGNOSIS_NAME_CONS_FLG         448 /**< DiagnosisNameConsFlg 傷病名閲覧同意フラグ OQSCD016 */
#define ONSHI_F_DIAGNOSIS_NAME_CONS_TIME        449 /**< DiagnosisNameConsTime 傷病名閲覧同意日時 */
#define ONSHI_F_DIAGNOSIS_NAME_AVAILABLE_TIME   450 /**< DiagnosisNameAvailableTime 傷病名閲覧有効期限 */
#define ONSHI_F_INFECTIOUS_CONS_FLG             451 /**< InfectiousInfoConsFlg 感染症情報閲覧同意フラグ OQSCD016 */
#define ONSHI_F_INFECTIOUS_CONS_TIME            452 /**< InfectiousInfoConsTime 感染症情報閲覧同意日時 */
#define ONSHI_F_INFECTIOUS_AVAILABLE_TIME       453 /**< InfectiousInfoAvailableTime 感染症情報閲覧有効期限 */
#define ONSHI_F_ALLERGY_CONS_FLG                454 /**< AllergyInfoConsFlg その他アレルギー等情報閲覧同意フラグ OQSCD016 */
#define ONSHI_F_ALLERGY_CONS_TIME               455 /**< AllergyInfoConsTime その他アレルギー等情報閲覧同意日時 */
#define ONSHI_F_ALLERGY_AVAILABLE_TIME          456 /**< AllergyInfoAvailableTime その他アレルギー等情報閲覧有効期限 */
#define ONSHI_F_CONTRAINDICATION_CONS_FLG       457 /**< ContraindicationInfoConsFlg 薬剤アレルギー等情報閲覧同意フラグ OQSCD016 */
#define ONSHI_F_CONTRAINDICATION_CONS_TIME      458 /**< ContraindicationInfoConsTime 薬剤アレルギー等情報閲覧同意日時 */
#define ONSHI_F_CONTRAINDICATION_AVAILABLE_TIME 459 /**< ContraindicationInfoAvailableTime 薬剤アレルギー等情報閲覧有効期限 */
#define ONSHI_F_TEST_CONS_FLG                   460 /**< TestInfoConsFlg 検査情報閲覧同意フラグ OQSCD016 */
#define ONSHI_F_TEST_CONS_TIME                  461 /**< TestInfoConsTime 検査情報閲覧同意日時 */
#define ONSHI_F_TEST_AVAILABLE_TIME             462 /**< TestInfoAvailableTime 検査情報閲覧有効期限 */
#define ONSHI_F_PRESCRIPTION_INFO_CONS_FLG      463 /**< PrescriptionInfoConsFlg 処方情報閲覧同意フラグ OQSCD016 */
#define ONSHI_F_PRESCRIPTION_INFO_CONS_TIME     464 /**< PrescriptionInfoConsTime 処方情報閲覧同意日時 */
#define ONSHI_F_PRESCRIPTION_INFO_AVAILABLE_TIME 465 /**< PrescriptionInfoAvailableTime 処方情報閲覧有効期限 */
/* ElderlyRecipientCertificateInfo */
#define ONSHI_F_ELDERLY_CERT_DATE               500 /**< ElderlyRecipientCertificateDate */
#define ONSHI_F_ELDERLY_VALID_START_DATE        501 /**< ElderlyRecipientValidStartDate */
#define ONSHI_F_ELDERLY_VALID_END_DATE          502 /**< ElderlyRecipientValidEndDate */
#define ONSHI_F_ELDERLY_CONTRIB_RATIO           503 /**< ElderlyRecipientContributionRatio */
/* LimitApplicationCertificateRelatedInfo */
#define ONSHI_F_LIMIT_CLASSIFICATION            550 /**< …Classification OQSCD011 */
#define ONSHI_F_LIMIT_CLASSIFICATION_FLAG       551 /**< …ClassificationFlag OQSCD012 適用区分 */
#define ONSHI_F_LIMIT_CERT_DATE                 552 /**< LimitApplicationCertificateDate */
#define ONSHI_F_LIMIT_VALID_START_DATE          553 /**< …ValidStartDate */
#define ONSHI_F_LIMIT_VALID_END_DATE            554 /**< …ValidEndDate */
#define ONSHI_F_LIMIT_LONG_TERM_DATE            555 /**< …LongTermDate 長期入院該当 */
/* SpecificDiseasesCertificateInfo */
#define ONSHI_F_DISEASE_CATEGORY                600 /**< SpecificDiseasesDiseaseCategory OQSCD013 */
#define ONSHI_F_DISEASE_CERT_DATE               601 /**< SpecificDiseasesCertificateDate */
#define ONSHI_F_DISEASE_VALID_START_DATE        602 /**< SpecificDiseasesValidStartDate */
#define ONSHI_F_DISEASE_VALID_END_DATE          603 /**< SpecificDiseasesValidEndDate */
#define ONSHI_F_DISEASE_SELF_PAY                604 /**< SpecificDiseasesSelfPay */
/* MedicalTicketInfo */
#define ONSHI_F_TICKET_TYPE                     650 /**< TicketType OQSCD018 */
#define ONSHI_F_TICKET_VALID_DATE               651 /**< MedicalTicketValidDate */
#define ONSHI_F_TICKET_EXPIRATION_DATE          652 /**< MedicalTicketExpirationDate */
#define ONSHI_F_TICKET_ISSUE_NUMBER             653 /**< IssueNumber */
#define ONSHI_F_TICKET_TREATMENT_MONTH          654 /**< MedicalTreatmentMonth (YYYYMM) */
#define ONSHI_F_DESIGNATED_INSTITUTION_CODE     655 /**< DesignatedMedicalInstitutionCode */
#define ONSHI_F_DESIGNATED_INSTITUTION_FLAG     656 /**< DesignatedMedicalInstitutionFlag OQSCD026 */
#define ONSHI_F_DESIGNATED_INSTITUTION_NAME     657 /**< DesignatedMedicalInstitutionName */
#define ONSHI_F_PRESCRIPTION_ISSUER_CODE        658 /**< PrescriptionIssuerMedicalInstitutionCode */
#define ONSHI_F_PRESCRIPTION_ISSUER_NAME        659 /**< PrescriptionIssuerMedicalInstitutionName */
#define ONSHI_F_INJURY_NAME1                    660 /**< InjuryName1 */
#define ONSHI_F_INJURY_NAME2                    661 /**< InjuryName2 */
#define ONSHI_F_INJURY_NAME3                    662 /**< InjuryName3 */
#define ONSHI_F_MEDICAL_TREATMENT_TYPE          663 /**< MedicalTreatmentType OQSCD019 */
#define ONSHI_F_SELF_PAY_AMOUNT                 664 /**< SelfPayAmount */
#define ONSHI_F_DISTRICT_CONTACT_NAME           665 /**< DistrictContactName */
#define ONSHI_F_HANDLING_CONTACT_NAME           666 /**< HandlingContactName */
#define ONSHI_F_SINGLE_OR_COMBINED_USE          667 /**< SingleOrCombinedUse OQSCD020 */
#define ONSHI_F_STATUS_OF_SOCIAL_INSURANCE      668 /**< StatusOfSocialInsurance OQSCD021 */
#define ONSHI_F_CONSISTENCY_FLAG                669 /**< ConsistencyFlag OQSCD022 */
#define ONSHI_F_STATUS_OF_INFECTION             670 /**< StatusOfInfecton (sic) OQSCD023 */
#define ONSHI_F_STATUS_OF_ELDERLY_MEDICAL_CARE  671 /**< StatusOfElderlyMedicalCare OQSCD024 */
#define ONSHI_F_STATUS_OF_PREFECTURAL_EXPENSES  672 /**< StatusOfPrefecturalExpenses OQSCD025 */
#define ONSHI_F_REMARKS1                        673 /**< Remarks1 */
#define ONSHI_F_REMARKS2                        674 /**< Remarks2 */
#define ONSHI_F_REMARKS3                        675 /**< Remarks3 */
/* BulkConfirmUnit */
#define ONSHI_F_UNIT_PROCESSING_RESULT_STATUS   700 /**< ProcessingResultStatus OQSCD004 */
#define ONSHI_F_UNIT_PROCESSING_RESULT_CODE     701 /**< ProcessingResultCode */
#define ONSHI_F_UNIT_PROCESSING_RESULT_MESSAGE  702 /**< ProcessingResultMessage */
#define ONSHI_F_UNIT_QUALIFICATION_VALIDITY     703 /**< QualificationValidity OQSCD006 */
#define ONSHI_F_UNIT_REFERENCE_NUMBER           704 /**< ReferenceNumber */
/* ReferenceNumberRegistrationInfo */
#define ONSHI_F_REG_REFERENCE_NUMBER            750 /**< ReferenceNumber (<= 50) */
#define ONSHI_F_REG_INSURER_NUMBER              751 /**< InsurerNumber */
#define ONSHI_F_REG_INSURED_CARD_SYMBOL         752 /**< InsuredCardSymbol */
#define ONSHI_F_REG_INSURED_ID_NUMBER           753 /**< InsuredIdentificationNumber */
#define ONSHI_F_REG_INSURED_BRANCH_NUMBER       754 /**< InsuredBranchNumber */
/* QuaInf (drug result) */
#define ONSHI_F_DRUG_PATIENT_NAME               800 /**< Name */
#define ONSHI_F_DRUG_PATIENT_KANA_NAME          801 /**< KanaName */
#define ONSHI_F_DRUG_PATIENT_BIRTH              802 /**< Birth */
#define ONSHI_F_DRUG_PATIENT_GENDER             803 /**< AdmGendCode */
/* drug month (MeTr… receipt / CzDi… dispensing / ShPr… e-prescription: same field ids) */
#define ONSHI_F_DRUG_MONTH_ORG                  820 /**< DiOrg / CzDiOrg / ShPrOrg */
#define ONSHI_F_DRUG_MONTH_DI_INSTITUTION_CODE  821 /**< MeTrDiHCd / CzMeTrDiHCd / ShMeTrDiHCd */
#define ONSHI_F_DRUG_MONTH_PHARMACY_CODE        822 /**< PrlsHCd / CzPrlsHCd / ShPrHCd */
#define ONSHI_F_DRUG_MONTH_DI_INSTITUTION_NAME  823 /**< MeTrDiHNm / CzMeTrDiHNm / ShMeTrDiHNm */
#define ONSHI_F_DRUG_MONTH_MONTH                824 /**< MeTrMonth / CzDiMonth / ShPrMonth */
#define ONSHI_F_DRUG_MONTH_PHARMACY_NAME        825 /**< PrlsHNm / CzPrlsHNm / ShPrHNm */
#define ONSHI_F_DRUG_MONTH_ISSUER_ORG           826 /**< PrIsOrg / CzPrIsOrg / ShPrIsOrg */
#define ONSHI_F_DRUG_MONTH_CLASS                827 /**< InOut / CzPrCl / ShPrCl */
/* drug date */
#define ONSHI_F_DRUG_DATE_DI_DATE               840 /**< DiDate / CzDiDate / ShPrDate */
#define ONSHI_F_DRUG_DATE_PR_DATE               841 /**< PrDate / CzPrDate */
/* drug */
#define ONSHI_F_DRUG_CODE                       860 /**< DrugC / CzDrugC / ShDrugC */
#define ONSHI_F_DRUG_NAME                       861 /**< DrugN / CzDrugN / ShDrugN */
#define ONSHI_F_DRUG_QUANTITY                   862 /**< Qua1 / CzQua1 / ShQua1 */
#define ONSHI_F_DRUG_UNIT                       863 /**< Unit / CzUnit / ShUnit */
#define ONSHI_F_DRUG_USAGE                      864 /**< UsageN / CzUsageN / ShUsageN */
#define ONSHI_F_DRUG_SPECIAL_INSTRUCTION        865 /**< SpInst / CzSpInst / ShSpInst */
#define ONSHI_F_DRUG_TIMES                      866 /**< Times / CzTimes / ShTimes */
#define ONSHI_F_DRUG_INGREDIENT                 867 /**< IngreN / CzIngreN / ShIngreN */
#define ONSHI_F_DRUG_USAGE_CLASS                868 /**< MeTrIdCl / CzUsageCl / ShUsageCl */
/* MeTrInf 診療情報 (receipt-based only; ONSHI_G_DRUG_CARE). @since 1.0 */
#define ONSHI_F_DRUG_CARE_NAME                  880 /**< SinInfN 診療行為名 */
#define ONSHI_F_DRUG_CARE_CODE                  881 /**< SinInfCd 診療行為コード */
#define ONSHI_F_DRUG_CARE_CLASS                 882 /**< MeTrIdCl */
#define ONSHI_F_DRUG_CARE_QUANTITY              883 /**< Qua1 */
#define ONSHI_F_DRUG_CARE_TIMES                 884 /**< Times */
#define ONSHI_F_DRUG_CARE_UNIT                  885 /**< Unit */
/* QualificationsInfo (checkup result) */
#define ONSHI_F_CHECKUP_PATIENT_NAME            900 /**< Name */
#define ONSHI_F_CHECKUP_PATIENT_KANA_NAME       901 /**< KanasName */
#define ONSHI_F_CHECKUP_PATIENT_BIRTHDAY        902 /**< Birthday */
#define ONSHI_F_CHECKUP_PATIENT_GENDER          903 /**< AdministrativeGenderCode */
/* SpecificHealthCheckupInfo / HealthCheckupResultAndQuestionInfo */
#define ONSHI_F_CHECKUP_EFFECTIVE_TIME          920 /**< EffectiveTime */
#define ONSHI_F_CHECKUP_ITEM_CODE               940 /**< ItemCode */
#define ONSHI_F_CHECKUP_ITEM_NAME               941 /**< ItemName */
#define ONSHI_F_CHECKUP_DATA_TYPE               942 /**< DataType */
#define ONSHI_F_CHECKUP_DATA_VALUE              943 /**< DataValue */
#define ONSHI_F_CHECKUP_UNIT                    944 /**< Unit */
#define ONSHI_F_CHECKUP_OID                     945 /**< Oid */
#define ONSHI_F_CHECKUP_DATA_VALUE_NAME         946 /**< DataValueName */

/* Kinds of per-field warnings found while decoding (never fatal). */
#define ONSHI_WARN_REPLACEMENT_CHAR 1 /**< ● or 〓: the system could not show a character */
#define ONSHI_WARN_NOT_JIS_X0208    2 /**< a character outside JIS X 0208 levels 1-2 (德, 髙, ①) */
#define ONSHI_WARN_UNKNOWN_CODE     3 /**< a code value not (yet) in its OQSCD table: kept */
#define ONSHI_WARN_FORMAT           4 /**< a value does not have its documented format: kept */
#define ONSHI_WARN_ENCODING_HINT    5 /**< CharacterCodeIdentifier disagrees with the bytes */
#define ONSHI_WARN_PADDED           6 /**< a value had leading or trailing spaces: trimmed (@since 1.0) */
#define ONSHI_WARN_DROPPED          7 /**< unknown elements or warnings over the per-message cap were not kept (counted) (@since 1.0) */

/**
 * Decode an XML message from memory.
 * @param out   receives the message; free it with onshi_msg_free()
 * @param type  ONSHI_MSG_* if known (from the file name), or 0 to guess from the content
 * @param data  the file's bytes (UTF-8 or Shift_JIS/CP932 per BOM, declaration or
 *              CharacterCodeIdentifier); not kept after the call
 * @return ONSHI_OK; ONSHI_E_XML_MALFORMED, ONSHI_E_XML_DTD, ONSHI_E_XML_TOO_LARGE,
 *         ONSHI_E_XML_TOO_DEEP, ONSHI_E_ENCODING, ONSHI_E_ENCODING_MISMATCH (detail names
 *         the line or byte offset), ONSHI_E_UNKNOWN_MESSAGE, ONSHI_E_NOMEM, ONSHI_E_INVALID_ARG.
 * Unknown code values, unknown elements and suspicious characters are kept and reported as
 * warnings (onshi_msg_warning_at); values padded with spaces are trimmed (ONSHI_WARN_PADDED).
 * Bounds (docs/reliability.md): the first 1000 unknown elements and 1000 warnings are kept,
 * the rest counted (ONSHI_WARN_DROPPED); an element with more than 16 attributes is refused
 * (ONSHI_E_XML_TOO_LARGE), so is a tree over ONSHI_OPT_XML_MEMORY_FACTOR × the input. Since
 * 1.0 a single-valued element given twice, or text mixed with elements in a value or group,
 * is ONSHI_E_XML_AMBIGUOUS (never one picked). Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_decode(onshi_msg **out, onshi_ctx *ctx, int type,
                                          const void *data, size_t len);

/**
 * Decode a file; the type comes from the file-name prefix (or the content). A PDF result
 * (YZK/TKK) is kept as bytes (onshi_msg_attachment); a `.err` file's text likewise.
 * @return as onshi_msg_decode(), plus ONSHI_E_IO. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_decode_file(onshi_msg **out, onshi_ctx *ctx, const char *path);

/**
 * Create an empty message to build (a request, or a result for a simulator).
 * @return ONSHI_OK, ONSHI_E_UNKNOWN_MESSAGE, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_new(onshi_msg **out, int type);

/** Free a message and its groups. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_msg_free(onshi_msg *msg);

/** The message type (ONSHI_MSG_*). @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_msg_type(const onshi_msg *msg);

/** The MessageHeader group (never NULL for a valid msg); borrowed for the message's life. @since 0.1.0 */
ONSHI_API onshi_group *ONSHI_CALL onshi_msg_header(onshi_msg *msg);

/** The MessageBody group; borrowed for the message's life. @since 0.1.0 */
ONSHI_API onshi_group *ONSHI_CALL onshi_msg_body(onshi_msg *msg);

/**
 * Bytes kept as they came: a PDF result or the text of a `.err` file (converted to UTF-8).
 * @param data,len  out (NULL, 0 when the message has none); borrowed for the message's life
 * @param filename  out, may be NULL: the base name of the file, or NULL
 * @return ONSHI_OK or ONSHI_E_NOT_FOUND. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_attachment(const unsigned char **data, size_t *len,
                                              const char **filename, const onshi_msg *msg);

/** Number of warnings found while decoding. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_msg_warning_count(const onshi_msg *msg);

/**
 * One warning.
 * @param kind     out ONSHI_WARN_*; may be NULL
 * @param path     out: element path ("MessageBody/ResultList/ResultOfQualificationConfirmation[0]/Name"); may be NULL
 * @param text     out: English description naming the character (U+5FB7 德) or value; may be NULL
 * Strings are borrowed for the message's life. @return ONSHI_OK or ONSHI_E_NOT_FOUND. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_warning_at(int *kind, const char **path, const char **text,
                                              const onshi_msg *msg, size_t i);

/** The kind of a group (ONSHI_G_*), or 0 for NULL. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_group_kind(const onshi_group *g);

/**
 * Number of child groups of a kind (e.g. ONSHI_G_RESULT inside the body, through ResultList).
 * @return the count (0 when none or not allowed there). @since 0.1.0
 */
ONSHI_API size_t ONSHI_CALL onshi_group_count(const onshi_group *g, int kind);

/**
 * The i-th child group of a kind; borrowed for the life of the message (or bulk unit).
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND, ONSHI_E_INVALID_ARG. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_at(onshi_group **out, onshi_group *g, int kind, size_t i);

/**
 * A field's value as a UTF-8 string (insurer numbers without their padding).
 * @param out  borrowed for the life of the message (or until the field is set again)
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (absent), ONSHI_E_FIELD_ID (field not in this group).
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_get_str(const char **out, const onshi_group *g, int field);

/**
 * How many times a field's element occurs in the group (a few elements repeat in real files,
 * e.g. several ReferenceNumber in one BulkConfirmUnit). 0 for an unknown field or NULL.
 * @since 1.0
 */
ONSHI_API size_t ONSHI_CALL onshi_group_count_str(const onshi_group *g, int field);

/**
 * The i-th (0-based) occurrence of a field, valid while the message lives.
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (fewer occurrences), ONSHI_E_FIELD_ID,
 *         ONSHI_E_INVALID_ARG. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_get_str_at(const char **out, const onshi_group *g, int field,
                                                size_t i);

/**
 * A numeric field (code, count, ratio, amount) as an integer.
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND, ONSHI_E_FIELD_ID, ONSHI_E_FIELD_FORMAT (not digits).
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_get_int(int64_t *out, const onshi_group *g, int field);

/**
 * The label of a code field's value in the language of ctx (NULL: Japanese).
 * @param out  static string
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (absent), ONSHI_E_FIELD_ID, ONSHI_E_CODE_VALUE (value not
 *         in the table: the raw value stays readable with onshi_group_get_str). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_get_label(const char **out, const onshi_ctx *ctx,
                                               const onshi_group *g, int field);

/**
 * Set (copying value) or with NULL remove a field. Only the format that can be judged
 * without context is checked here (kind, length); onshi_msg_encode() validates fully.
 * @return ONSHI_OK, ONSHI_E_FIELD_ID, ONSHI_E_FIELD_FORMAT, ONSHI_E_FIELD_LENGTH, ONSHI_E_NOMEM.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_set_str(onshi_group *g, int field, const char *value);

/**
 * Append a child group of a kind (e.g. one QualificationConfirmSearchInfo to the body).
 * @param out  receives the new group, borrowed for the message's life; may be NULL
 * @return ONSHI_OK, ONSHI_E_FIELD_ID (kind not allowed there), ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_add(onshi_group **out, onshi_group *g, int kind);

/**
 * Validate and write a message as XML in the documented element order, in the encoding of
 * ONSHI_OPT_REQUEST_ENCODING (UTF-8, or CP932 declared "Shift_JIS"). Insurer numbers are
 * written as 8 characters, right-aligned and space-padded.
 * @param out  receives the file's bytes (a NUL follows them, not counted); free with onshi_buf_free()
 * @return ONSHI_OK; ONSHI_E_FIELD_MISSING, ONSHI_E_FIELD_FORMAT, ONSHI_E_FIELD_LENGTH,
 *         ONSHI_E_CHECK_DIGIT, ONSHI_E_CODE_VALUE (the detail names the field),
 *         ONSHI_E_UNENCODABLE (names the field and the character), ONSHI_E_NOMEM.
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_encode(onshi_buf **out, onshi_ctx *ctx, const onshi_msg *msg);

/**
 * Validate a message as onshi_msg_encode() would (layout of the request type, mandatory
 * fields, formats, lengths, code values, check digits) without writing it; a simulator uses it
 * on decoded requests. @return as onshi_msg_encode(). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_validate(onshi_ctx *ctx, const onshi_msg *msg);

/**
 * Export as JSON (UTF-8): {"_type": prefix, "_warnings": [...], "XmlMsg": {...}} with the
 * XML element names as keys, nesting as in XML, repeatable groups as arrays, unknown elements
 * kept. @param out  UTF-8 text, NUL-terminated (the NUL is not counted in its length); free
 * with onshi_buf_free(). @return ONSHI_OK, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_to_json(onshi_buf **out, onshi_ctx *ctx, const onshi_msg *msg);

/**
 * Export one group (a person, a bulk unit...) as a JSON object, in the same form as inside
 * onshi_msg_to_json() (its child elements as keys). Used with the streaming bulk reader.
 * @param out  UTF-8 text, NUL-terminated (not counted); free with onshi_buf_free().
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_group_to_json(onshi_buf **out, onshi_ctx *ctx, const onshi_group *g);

/**
 * Build a message of `type` from JSON in the form onshi_msg_to_json() writes ("XmlMsg" may be
 * omitted; "_" keys are ignored). Unknown element names are refused.
 * @return ONSHI_OK, ONSHI_E_JSON (detail names the key), ONSHI_E_FIELD_*, ONSHI_E_NOMEM.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_msg_from_json(onshi_msg **out, onshi_ctx *ctx, int type,
                                             const char *json, size_t len);

/** The XML element name of a field ("InsurerNumber"), or NULL. Static. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_field_name(int field);

/** The code table number of a field (1 for OQSCD001 ...), or 0 when it has none. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_field_code_table(int field);

/**
 * The label of a value in code table number `table` (6 for OQSCD006) in the language of ctx (NULL: Japanese),
 * or NULL when the table or value is unknown. Static string. Thread rule: any. @since 1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_code_label(const onshi_ctx *ctx, int table,
                                                  const char *value);

/**
 * Check a 保険者番号 (8 digits, or 6-digit 国保; surrounding spaces ignored) by its check digit.
 * @return ONSHI_OK, ONSHI_E_FIELD_FORMAT (not 6/8 digits), ONSHI_E_CHECK_DIGIT.
 * Thread rule: any. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_insurer_number_check(const char *number);

/** Check a 公費負担者番号 (8 digits) by its check digit; returns as above. @since 1.0 */
ONSHI_API int ONSHI_CALL onshi_public_expense_number_check(const char *number);

/**
 * Check a 医療機関コード: 10 digits, prefecture 01-47, 点数表 1 (医科), 3 (歯科) or 4 (調剤),
 * and its check digit (same rule as the insurer number over the first nine digits; source in
 * docs/codec.md). @return ONSHI_OK, ONSHI_E_FIELD_FORMAT, ONSHI_E_CHECK_DIGIT. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_institution_code_check(const char *code);

/**
 * Open a streaming reader over a bulk result file (OQSmuquc02res and the other OQSmu*02res):
 * memory stays constant whatever the number of units. The header is read at open.
 * @param type  ONSHI_MSG_* or 0 (from the file name)
 * @return as onshi_msg_decode_file(). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_bulk_reader_open(onshi_bulk_reader **out, onshi_ctx *ctx,
                                                const char *path, int type);

/** Same over bytes in memory (not copied: they must outlive the reader). @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_bulk_reader_open_mem(onshi_bulk_reader **out, onshi_ctx *ctx,
                                                    const void *data, size_t len, int type);

/** The MessageHeader of the bulk result; borrowed for the reader's life. @since 0.1.0 */
ONSHI_API onshi_group *ONSHI_CALL onshi_bulk_reader_header(onshi_bulk_reader *r);

/**
 * The next BulkConfirmUnit.
 * @param out  receives the unit (ONSHI_G_BULK_UNIT), valid until the next call; NULL at the end
 * @return ONSHI_OK (also at the end) or a decode error as onshi_msg_decode(). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_bulk_reader_next(onshi_group **out, onshi_bulk_reader *r);

/**
 * The MessageBody without its units (elements other than BulkConfirmUnit, complete once
 * onshi_bulk_reader_next() has returned the end); borrowed for the reader's life. @since 0.1.0
 */
ONSHI_API onshi_group *ONSHI_CALL onshi_bulk_reader_body(onshi_bulk_reader *r);

/** Warnings of the current unit (or of the header before the first unit). @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_bulk_reader_warning_count(const onshi_bulk_reader *r);

/** One warning of the current unit, as onshi_msg_warning_at(). @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_bulk_reader_warning_at(int *kind, const char **path,
                                                      const char **text, const onshi_bulk_reader *r,
                                                      size_t i);

/** Close the reader. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_bulk_reader_free(onshi_bulk_reader *r);

/* =======================================================================================
 * TRANSPORT: client certificate, diagnosis, face folder (raw exchange: onshi_transport.h)
 * ===================================================================================== */

/* ---- transport: client certificate, diagnosis, face folder ---- */
/*
 * The workflows use the transport configured by ONSHI_OPT_TRANSPORT. The raw exchange of
 * request and result documents (for vendors who build their own messages) is declared in
 * onshi_transport.h.
 */

/**
 * Days until the configured client certificate (ONSHI_OPT_TLS_PKCS12_FILE, or
 * ONSHI_OPT_TLS_CLIENT_CERT and _KEY) expires: 0 on its last day, negative once expired.
 * Loads the certificate (and checks the password) without connecting.
 * @param out_days receives the number of days.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_CLIENT_CERT (none configured or
 *         unreadable), ONSHI_E_CLIENT_CERT_PASSWORD. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_client_cert_days_left(int *out_days, onshi_ctx *ctx);

/**
 * Called when the client certificate is loaded (at the first exchange and whenever the TLS
 * options change) and expires in fewer than ONSHI_OPT_CERT_EXPIRY_WARN_DAYS days.
 * @param days_left  days until expiry (>= 0)
 * @param subject    the certificate's subject DN; valid during the call
 * @return ignored (the warning never stops an exchange).
 */
typedef int (ONSHI_CALL *onshi_cert_expiry_cb)(void *userdata, int days_left,
                                               const char *subject);

/* Checks of onshi_transport_diagnose, in the order they run (onshi_diag_report_check). */
#define ONSHI_DIAG_FOLDERS        1 /**< req/res/face folders exist and req/res are writable */
#define ONSHI_DIAG_LINKAGE        2 /**< the linkage app takes requests out of req/ */
#define ONSHI_DIAG_DNS            3 /**< the server (or proxy) name resolves */
#define ONSHI_DIAG_TCP            4 /**< a TCP connection opens */
#define ONSHI_DIAG_PROXY          5 /**< the proxy opens a tunnel (CONNECT) */
#define ONSHI_DIAG_SERVER_CERT    6 /**< the server certificate is trusted, valid, for the host */
#define ONSHI_DIAG_CLIENT_CERT    7 /**< the client certificate loads, is valid and accepted */
#define ONSHI_DIAG_SERVER         8 /**< the server answers HTTP (a GET of the health path) */
/** The configured medical_institution_code: set, 10 digits, and whether it passes the local
 *  check-digit rule (WARN, never FAIL, when it does not: the central system decides; also WARN
 *  when unset). Runs last. @since 1.0 */
#define ONSHI_DIAG_INSTITUTION    9

/* Outcome of a check (onshi_diag_report_outcome). */
#define ONSHI_DIAG_OK      0 /**< the check passed */
#define ONSHI_DIAG_WARN    1 /**< works, but needs attention (certificate expires soon) */
#define ONSHI_DIAG_FAIL    2 /**< the check failed */
#define ONSHI_DIAG_SKIPPED 3 /**< not applicable or not reachable because an earlier check failed */

/** The report of onshi_transport_diagnose: a list of checks with their outcome and messages. */
typedef struct onshi_diag_report onshi_diag_report;

/**
 * Find out what is wrong with the configured transport: folders (file transport), then the
 * linkage app, DNS, TCP, proxy, server certificate, client certificate, server (HTTPS
 * transport; ONSHI_OPT_SERVER_URL set). It never sends an XmlMsg request to the central
 * system: the HTTPS checks stop at the TLS handshake and one GET of the health path.
 * @param out  receives the report (caller frees with onshi_diag_report_free) even when a
 *             check failed; the return value says only whether diagnosing itself worked.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_NOMEM, ONSHI_E_CANCELLED.
 * Thread rule: one thread per context. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_transport_diagnose(onshi_diag_report **out, onshi_ctx *ctx);

/** Number of checks in the report. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_diag_report_count(const onshi_diag_report *report);

/** The ONSHI_DIAG_* check id of item i (0-based), or ONSHI_E_INVALID_ARG. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_diag_report_check(const onshi_diag_report *report, size_t i);

/** The ONSHI_DIAG_OK/WARN/FAIL/SKIPPED outcome of item i, or ONSHI_E_INVALID_ARG. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_diag_report_outcome(const onshi_diag_report *report, size_t i);

/** The ONSHI_E_* status behind a failed item (ONSHI_OK otherwise). @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_diag_report_status(const onshi_diag_report *report, size_t i);

/**
 * The message of item i for staff, in the language of the context the report was made with.
 * Borrowed; valid until onshi_diag_report_free. NULL for an index out of range. @since 1.0
 */
ONSHI_API const char *ONSHI_CALL onshi_diag_report_message(const onshi_diag_report *report,
                                                           size_t i);

/** Index of the first failed item, ONSHI_E_NOT_FOUND when nothing failed. @since 1.0 */
ONSHI_API int ONSHI_CALL onshi_diag_report_first_failure(const onshi_diag_report *report);

/** Free a report. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_diag_report_free(onshi_diag_report *report);

/* ---- the face folder of the face-recognition card reader ---- */

/**
 * Size of a buffer for a request id: 16 digits (YYYYMMDD, the 4-digit workstation component
 * of ONSHI_OPT_WORKSTATION_ID, a 4-digit number per day) and a NUL. Changed in 1.0 (was 13:
 * 12 digits without a workstation component; such ids of pending requests are still picked
 * up). @since 1.0
 */
#define ONSHI_FILE_ID_SIZE 17

/**
 * Watcher of ONSHI_OPT_FACE_DIR, the folder where the face-recognition card reader's results
 * appear. It never locks, moves or deletes anything there (other products read the same
 * folder). Which files were delivered is remembered in the state store per folder, so a
 * restart neither replays nor misses a result.
 */
typedef struct onshi_face_watch onshi_face_watch;

/** Flag of onshi_face_watch_new: on the very first watch of a folder, deliver the files
 *  already present (default: they are taken as already seen). */
#define ONSHI_FACE_WATCH_DELIVER_EXISTING 1

/**
 * Start watching the face folder.
 * @param out    receives the watcher; free with onshi_face_watch_free()
 * @param ctx    context (face_dir, state_db, result_max_size); must outlive the watcher and
 *               is used by the watcher's calls (one thread at a time)
 * @param flags  0 or ONSHI_FACE_WATCH_DELIVER_EXISTING
 * @return ONSHI_OK, ONSHI_E_FOLDER, ONSHI_E_STORE, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_face_watch_new(onshi_face_watch **out, onshi_ctx *ctx,
                                              int flags);

/**
 * The next face-reader result not delivered before (oldest first), as a decoded message
 * (ONSHI_MSG_FACE_RES). It counts as delivered when this call returns it, even when it cannot
 * be decoded. Check it with onshi_result_check() (a card that is not valid is a normal result
 * with ProcessingResultStatus 2).
 * @param out         receives the message; free with onshi_msg_free()
 * @param timeout_ms  how long to wait for one; 0: look once; negative: wait until cancelled
 * @return ONSHI_OK, ONSHI_E_TIMEOUT (nothing new in time), ONSHI_E_CANCELLED, ONSHI_E_FOLDER,
 *         ONSHI_E_STORE, or a decode error (the message names the file). A file another
 *         reader removes before it is stable is skipped. Thread rule: the watcher's context's
 *         thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_face_watch_next(onshi_msg **out, onshi_face_watch *watch,
                                               int64_t timeout_ms);

/**
 * Callback of onshi_face_watch_run: `status` is ONSHI_OK with the decoded `msg`, or the
 * decode error with msg NULL; `filename` is the face file's name. Both are borrowed for the
 * call. Return non-zero to stop (the run returns ONSHI_E_CANCELLED).
 */
typedef int (ONSHI_CALL *onshi_face_watch_cb)(void *userdata, int status, const onshi_msg *msg,
                                              const char *filename);

/**
 * Deliver face results to cb as decoded messages as they arrive, for timeout_ms (negative:
 * until cancelled by onshi_ctx_cancel or by cb). A result counts as delivered when cb returns.
 * @return ONSHI_OK when the time is up, ONSHI_E_CANCELLED (cb returned non-zero or
 *         onshi_ctx_cancel), or an error as onshi_face_watch_next(). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_face_watch_run(onshi_face_watch *watch, onshi_face_watch_cb cb,
                                              void *userdata, int64_t timeout_ms);

/** Stop watching and free the watcher. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_face_watch_free(onshi_face_watch *watch);

/* =======================================================================================
 * WORKFLOWS: verification, information, batch, limit amount
 * ===================================================================================== */

/* ---------------------------------------------------------------------------------------
 * Requests: the inputs of a workflow, set one by one by numbered parameter id
 * ------------------------------------------------------------------------------------- */

/*
 * Every workflow call that needs more than its context takes an onshi_request: an opaque
 * object of one kind (ONSHI_REQ_*) whose parameters (ONSHI_P_*) are set with typed setters,
 * like the options of a context. A new input is a new parameter id, never a new function, and
 * a language binding needs no struct layout. Which parameters a kind takes, which are
 * required and their formats are documented at the call; setting a parameter the kind does
 * not take fails at once (ONSHI_E_FIELD_ID). The call checks the values and names the field.
 * A request may be reused for several calls and changed between them.
 */

/** The inputs of one workflow call. */
typedef struct onshi_request onshi_request;

/* Kinds of request (onshi_request_new), one per workflow. */
#define ONSHI_REQ_INSURANCE_CARD_VERIFY 1 /**< onshi_insurance_card_verify */
#define ONSHI_REQ_MYNUMBER_CARD_VERIFY  2 /**< onshi_mynumber_card_verify */
#define ONSHI_REQ_DISASTER_SEARCH       3 /**< onshi_disaster_search */
#define ONSHI_REQ_REFNUM_REGISTER       4 /**< onshi_refnum_register */
#define ONSHI_REQ_INFO                  5 /**< onshi_info_request */
#define ONSHI_REQ_BATCH_ENTRY           6 /**< onshi_batch_add (one patient of a batch) */
#define ONSHI_REQ_LIMIT                 7 /**< onshi_limit_ceiling, onshi_limit_copay, onshi_limit_yearly_cap */

/*
 * Parameters: type (str or int) and the kinds that take them. Ids are never reused.
 */
#define ONSHI_P_INSURER_NUMBER    1 /**< str 保険者番号: INSURANCE_CARD_VERIFY, REFNUM_REGISTER, BATCH_ENTRY */
#define ONSHI_P_SYMBOL            2 /**< str 記号 (may be empty): as INSURER_NUMBER */
#define ONSHI_P_NUMBER            3 /**< str 番号: as INSURER_NUMBER */
#define ONSHI_P_BRANCH            4 /**< str 枝番, 2 digits or empty: as INSURER_NUMBER */
#define ONSHI_P_BIRTHDATE         5 /**< str 生年月日 YYYYMMDD: INSURANCE_CARD_VERIFY, DISASTER_SEARCH, BATCH_ENTRY */
#define ONSHI_P_LIMIT_CONSENT     6 /**< int 1: agreed to 限度額 information (default 0): INSURANCE_CARD_VERIFY, BATCH_ENTRY */
#define ONSHI_P_ARBITRARY_ID      7 /**< str ArbitraryIdentifier echoed back: INSURANCE_CARD_VERIFY */
#define ONSHI_P_REFERENCE_NUMBER  8 /**< str 照会番号, 1-50 characters: REFNUM_REGISTER, BATCH_ENTRY */
#define ONSHI_P_PATIENT_ID        9 /**< str the vendor's patient id, never sent: BATCH_ENTRY */
#define ONSHI_P_NAME             10 /**< str kanji name (full-width space): DISASTER_SEARCH */
#define ONSHI_P_NAME_KANA        11 /**< str kana name (half-width katakana): DISASTER_SEARCH */
#define ONSHI_P_SEX              12 /**< int 1 male, 2 female, 0 not given (default): DISASTER_SEARCH */
#define ONSHI_P_ADDRESS          13 /**< str address prefix: DISASTER_SEARCH */
#define ONSHI_P_INFO_KIND        14 /**< int ONSHI_DISASTER_* / ONSHI_INFO_*: DISASTER_SEARCH, INFO */
#define ONSHI_P_FILE_CATEGORY    15 /**< int ONSHI_INFO_PDF, _XML, ...: DISASTER_SEARCH, INFO */
#define ONSHI_P_START_MONTH      16 /**< str YYYYMM, drug information only: INFO */
#define ONSHI_P_END_MONTH        17 /**< str YYYYMM, drug information only: INFO */
#define ONSHI_P_IDV_METHOD       18 /**< int ONSHI_IDV_*: MYNUMBER_CARD_VERIFY */
#define ONSHI_P_CONSENT_OFFERED  19 /**< int ONSHI_CONSENT_* bits to ask (default 0): MYNUMBER_CARD_VERIFY */
#define ONSHI_P_CLASS_CODE       20 /**< str 適用区分 "A01".."A06", "B01".."B10": LIMIT */
#define ONSHI_P_TOTAL_COST       21 /**< int the month's total medical cost in yen (10割): LIMIT */
#define ONSHI_P_RATIO_PERCENT    22 /**< int co-payment ratio 0..100 (onshi_limit_copay only): LIMIT */
#define ONSHI_P_SCOPE            23 /**< int ONSHI_LIMIT_SCOPE_* (default ALL): LIMIT */
#define ONSHI_P_FLAGS            24 /**< int ONSHI_LIMIT_F_* (default 0): LIMIT */
#define ONSHI_P_SERVICE_MONTH    25 /**< int 診療年月 YYYYMM (default 0: the current month): LIMIT */

/**
 * Create an empty request of a kind.
 * @param out   receives the request; free with onshi_request_free()
 * @param kind  ONSHI_REQ_*
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (unknown kind, out NULL), ONSHI_E_NOMEM.
 * Thread rule: any thread; one request is used by one thread at a time. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_request_new(onshi_request **out, int kind);

/** Free a request (strings it holds are wiped). NULL is accepted. @since 1.0 */
ONSHI_API void ONSHI_CALL onshi_request_free(onshi_request *req);

/** The ONSHI_REQ_* kind of a request, or ONSHI_E_INVALID_ARG for NULL. @since 1.0 */
ONSHI_API int ONSHI_CALL onshi_request_kind(const onshi_request *req);

/**
 * Set a string parameter (copied), or with NULL unset it.
 * @return ONSHI_OK, ONSHI_E_FIELD_ID (the kind does not take this parameter),
 *         ONSHI_E_INVALID_ARG (req NULL, or an int parameter), ONSHI_E_NOMEM. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_request_set_str(onshi_request *req, int param, const char *value);

/**
 * Set an integer parameter.
 * @return ONSHI_OK, ONSHI_E_FIELD_ID, ONSHI_E_INVALID_ARG (req NULL, or a str parameter).
 * @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_request_set_int(onshi_request *req, int param, int64_t value);

/** The name of a parameter ("insurer_number"), or NULL. Static. @since 1.0 */
ONSHI_API const char *ONSHI_CALL onshi_request_param_name(int param);

/* ---- service: callbacks of the workflows (progress, consent, audit) ---- */

/* Stages reported to the progress callback. */
#define ONSHI_STAGE_WAIT_CARD        1  /**< waiting for a card on the reader */
#define ONSHI_STAGE_READ_CERT        2  /**< reading the card's certificate */
#define ONSHI_STAGE_VERIFY_IDENTITY  3  /**< PIN, face verdict or visual confirmation */
#define ONSHI_STAGE_CONSENT          4  /**< asking the patient's consent */
#define ONSHI_STAGE_SIGN             5  /**< the card signs the server's challenge */
#define ONSHI_STAGE_SEND             6  /**< the request is being sent */
#define ONSHI_STAGE_WAIT_RESULT      7  /**< waiting for the result (file transport: after sending; a batch: each wait for an answer, `done` = downloads so far) */
#define ONSHI_STAGE_BATCH_UPLOAD     8  /**< bulk: uploading the list */
#define ONSHI_STAGE_BATCH_POLL       9  /**< bulk: the system is still processing */
#define ONSHI_STAGE_BATCH_RESULTS   10  /**< bulk: results per patient (done/total) */
#define ONSHI_STAGE_DONE            11  /**< finished */

/**
 * Progress callback: `stage` ONSHI_STAGE_*, `done`/`total` counts where they mean something
 * (bulk results), else 0/0. Return non-zero to cancel (the call returns ONSHI_E_CANCELLED;
 * a request already handed to the system is picked up later, never resent).
 * Runs on the caller's thread.
 */
typedef int (ONSHI_CALL *onshi_progress_cb)(void *userdata, int stage, int64_t done,
                                            int64_t total);

/* Consent items (bit mask) asked at the window, each of which the patient may refuse. */
#define ONSHI_CONSENT_LIMIT      0x01 /**< 限度額適用認定証等情報の提供 */
#define ONSHI_CONSENT_CHECKUP    0x02 /**< 特定健診等情報の閲覧 */
#define ONSHI_CONSENT_DRUG       0x04 /**< 薬剤情報の閲覧 */
#define ONSHI_CONSENT_DIAGNOSIS  0x08 /**< 診療情報の閲覧 */
#define ONSHI_CONSENT_SURGERY    0x10 /**< 手術情報の閲覧 */

/**
 * Consent callback: the UI shows the items of `offered` (ONSHI_CONSENT_* bits) and writes
 * the ones the patient accepted into *granted (a subset; 0 = all refused). Return non-zero to
 * cancel the whole verification. Runs on the caller's thread.
 */
typedef int (ONSHI_CALL *onshi_consent_cb)(void *userdata, int offered, int *granted);

/* Audited actions. */
#define ONSHI_AUDIT_DRUG_INFO        1 /**< 薬剤情報 requested */
#define ONSHI_AUDIT_CHECKUP_INFO     2 /**< 特定健診情報 requested */
#define ONSHI_AUDIT_DIAGNOSIS_INFO   3 /**< 診療情報 requested */
#define ONSHI_AUDIT_SURGERY_INFO     4 /**< 手術情報 requested */
#define ONSHI_AUDIT_DISASTER_SEARCH  5 /**< 災害時 search without a card */
#define ONSHI_AUDIT_QUALIFICATION    6 /**< qualification inquiry (My Number Card, or insurer/symbol/number) */

#define ONSHI_AUDIT_BEFORE 1 /**< about to access: a non-zero return refuses the access */
#define ONSHI_AUDIT_AFTER  2 /**< done: `outcome` is the call's status */

/**
 * Audit callback, called before and after every access to medical information and every
 * disaster-mode search (the MHLW security guideline asks for access logs). The strings are
 * UTF-8, valid during the call: `operator_id` (ONSHI_OPT_OPERATOR_ID, "" if unset),
 * `patient` (a stable reference: insurer/symbol/number/branch, or the card certificate's
 * serial; NOT redacted — the audit trail must identify the record), `detail` (what was asked),
 * `timestamp` (local time, YYYYMMDDHHMMSS). Returning non-zero at ONSHI_AUDIT_BEFORE refuses
 * the access (ONSHI_E_CANCELLED): an access that cannot be logged does not happen.
 */
typedef int (ONSHI_CALL *onshi_audit_cb)(void *userdata, int action, int phase, int outcome,
                                         const char *operator_id, const char *patient,
                                         const char *detail, const char *timestamp);

/* ---- service: verification by My Number Card (direct mode) and disaster-mode search ---- */
/*
 * The window workflow of the HTTPS binding's card authentication (docs/protocol.md §7,
 * docs/workflow-card.md): wait for a card, read its user-authentication certificate (the My
 * Number is never read), verify the person's identity, ask the consent items, and send the
 * card-authentication request. With the file transport the terminal's face-recognition reader
 * does all of this itself (onshi_face_watch_*).
 */

/* Identity verification methods (IdentityVerificationMethod, recorded in request and result). */
#define ONSHI_IDV_PIN    1 /**< 暗証番号: the card verifies its 4-digit PIN and signs */
#define ONSHI_IDV_FACE   2 /**< 顔認証: the verdict of a face-recognition device */
#define ONSHI_IDV_VISUAL 3 /**< 目視確認: staff compared the person with the card's photo */

/**
 * Identity callback for ONSHI_IDV_FACE and ONSHI_IDV_VISUAL: the product asks its
 * face-recognition device for its verdict, or asks the member of staff to confirm, and writes
 * 1 into *verified only when the person was positively identified (anything else refuses the
 * verification: ONSHI_E_VERIFICATION_METHOD).
 * @param method    ONSHI_IDV_FACE or ONSHI_IDV_VISUAL
 * @param cert      the card's user-authentication certificate (valid during the call)
 * @param verified  out: 1 = identified; starts at 0
 * @return 0 to go on; non-zero cancels (ONSHI_E_CANCELLED). Runs on the caller's thread.
 */
typedef int (ONSHI_CALL *onshi_identity_cb)(void *userdata, int method,
                                            const onshi_cert *cert, int *verified);

/**
 * Verify a patient's qualification with the My Number Card in the reader (direct mode,
 * ONSHI_OPT_TRANSPORT = ONSHI_TRANSPORT_HTTPS). Stages, each reported to the progress
 * callback: ONSHI_STAGE_WAIT_CARD (up to ONSHI_OPT_CARD_WAIT_TIMEOUT_MS), _READ_CERT,
 * _VERIFY_IDENTITY (PIN: certificate and tries left read, a locked PIN stops here, then the
 * PIN callback is asked once, before anything else of the verification (the last try only
 * when confirmed); face/visual: the identity callback), _CONSENT (the consent callback with
 * `consent_offered`; only the items granted are requested), _SIGN (PIN method: the PIN asked
 * above is verified, never retried, and the card signs the server's challenge), _SEND,
 * _DONE. An expired certificate is sent: the system decides (for qualification it accepts a
 * card for three months after the end of the month it expired). An Android smartphone
 * (certificate after the PIN) works with the PIN method. The qualification inquiry is reported to the audit callback
 * (ONSHI_AUDIT_QUALIFICATION, BEFORE/AFTER, patient = the certificate's serial number).
 * @param out              receives the result (type ONSHI_MSG_CARDAUTH_RES, the
 *                         OQSsiquc01res layout; its body's ONSHI_F_IDENTITY_VERIFICATION_METHOD
 *                         records the method); free with onshi_msg_free. NULL on failure.
 * @param req              an ONSHI_REQ_MYNUMBER_CARD_VERIFY request: ONSHI_P_IDV_METHOD (ONSHI_IDV_*,
 *                         required), ONSHI_P_CONSENT_OFFERED (ONSHI_CONSENT_* items to ask;
 *                         0: ask nothing, request nothing)
 * The identity callback (onshi_callbacks.identity) is required for ONSHI_IDV_FACE/VISUAL.
 * @return ONSHI_OK; ONSHI_E_UNSUPPORTED (file transport), ONSHI_E_CONFIG (no 10-digit
 *         ONSHI_OPT_MEDICAL_INSTITUTION_CODE), ONSHI_E_NO_CALLBACK, card-band errors
 *         (ONSHI_E_CARD_TIMEOUT, ONSHI_E_CARD_REMOVED, ...), ONSHI_E_JPKI_PIN_LOCKED,
 *         ONSHI_E_JPKI_PIN_LAST_TRY, ONSHI_E_JPKI_PIN_WRONG, ONSHI_E_JPKI_UNSUPPORTED_TOKEN
 *         (iPhone, unknown token), ONSHI_E_CARD_RESET (reset meanwhile with other tries: the
 *         PIN was not sent), ONSHI_E_VERIFICATION_METHOD (not identified; a smartphone with
 *         face/visual; or CA009 from the system),
 *         ONSHI_E_AUTH_FAILED (CA001-CA008: the code and the system's message in the detail),
 *         transport errors, ONSHI_E_SYSTEM_ERROR / _PROCESSING_ERROR (see onshi_result_check),
 *         ONSHI_E_CANCELLED.
 * Thread rule: the context's thread (onshi_ctx_cancel from any). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_mynumber_card_verify(onshi_msg **out, onshi_ctx *ctx,
                                              const onshi_request *req);

/* What a disaster-mode search asks for (InformationKind). */
#define ONSHI_DISASTER_DRUG    1 /**< 薬剤情報 */
#define ONSHI_DISASTER_CHECKUP 2 /**< 特定健診等情報 */

/**
 * Disaster-mode search (災害時医療情報閲覧, docs/protocol.md §8): drug or checkup information of
 * one person found by name, birth date, sex and address, without a card, only while the
 * system says disaster mode is open for the institution's region. Every search is reported to
 * the audit callback (ONSHI_AUDIT_DISASTER_SEARCH, BEFORE — a non-zero answer refuses it — and
 * AFTER); ONSHI_OPT_OPERATOR_ID must name the member of staff (sent as StaffId).
 * @param out  receives the result (ONSHI_MSG_DRUG_RES or ONSHI_MSG_CHECKUP_RES; a PDF as the
 *             message's attachment when the file category is 1)
 * @param req  an ONSHI_REQ_DISASTER_SEARCH request: ONSHI_P_NAME and/or ONSHI_P_NAME_KANA (at
 *             least one), ONSHI_P_BIRTHDATE (required), ONSHI_P_SEX (1 male, 2 female, 0 not
 *             given), ONSHI_P_ADDRESS (optional prefix), ONSHI_P_INFO_KIND
 *             (ONSHI_DISASTER_DRUG or _CHECKUP, required), ONSHI_P_FILE_CATEGORY (1 PDF,
 *             2 XML, required)
 * @return ONSHI_OK; ONSHI_E_DISASTER_CLOSED (DS001), ONSHI_E_INFO_NOT_AVAILABLE (DS003 nobody
 *         found, or ResultCode), ONSHI_E_SYSTEM_ERROR (DS002 several candidates: narrow the
 *         search; other codes), ONSHI_E_FIELD_FORMAT / _MISSING (the argument named),
 *         ONSHI_E_CONFIG (no operator id / institution code), ONSHI_E_UNSUPPORTED (file
 *         transport), transport errors, ONSHI_E_CANCELLED.
 * Thread rule: the context's thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_disaster_search(onshi_msg **out, onshi_ctx *ctx,
                                               const onshi_request *req);

/* ---- service: verify by insurance card, result helpers, face results, 照会番号, drug/checkup ---- */

/*
 * Workflows on top of the codec's messages: every call validates its inputs locally first (no
 * request is written for an invalid number or a missing consent), sends one request over
 * ONSHI_OPT_TRANSPORT, and checks the system's status fields before returning the result.
 * With the file transport a request whose result has not come in time returns
 * ONSHI_E_PENDING and its id: pick the result up later with onshi_result_pickup() (the
 * request is never sent twice). docs/workflow-verify.md describes them.
 */

/**
 * The status of a result as the system reports it: SegmentOfResult, ErrorCode,
 * ProcessingResultStatus and (drug/checkup) ResultCode. A PDF result is ONSHI_OK. A result
 * whose QualificationValidity is 4 (該当資格なし) or 5 (複数該当) is ONSHI_OK whatever its
 * ProcessingResultStatus: that is an outcome, read it with onshi_result_validity() (since 1.0).
 * @return ONSHI_OK, ONSHI_E_SYSTEM_ERROR, ONSHI_E_PROCESSING_ERROR, ONSHI_E_STILL_PROCESSING,
 *         ONSHI_E_INFO_NOT_AVAILABLE (the system's code as foreign detail ONSHI_FOREIGN_SYSTEM
 *         when numeric, its message in onshi_ctx_last_error_message), ONSHI_E_INVALID_ARG.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_result_check(onshi_ctx *ctx, const onshi_msg *result);

/**
 * 資格確認 by the insurer number, symbol and number (OQSsiquc01req, ReferenceClassification 2),
 * as printed on the patient's 資格確認書 or 資格情報のお知らせ (or an old 健康保険証; their
 * issuance stopped on 2024-12-02). "No such qualification" is not an error: the call returns
 * ONSHI_OK and onshi_result_validity() gives 4 (該当資格なし) — several matches give 5.
 * The inputs are checked before anything is sent: the insurer number's check digit, lengths,
 * the 2-digit branch, the birth date (a real date, not in the future); the error names the
 * field (in the context's language). The request carries ONSHI_OPT_MEDICAL_INSTITUTION_CODE
 * and today's date. Progress: ONSHI_STAGE_SEND, ONSHI_STAGE_WAIT_RESULT (file transport:
 * sent, now waiting), ONSHI_STAGE_DONE; audit
 * ONSHI_AUDIT_QUALIFICATION before and after.
 * @param out            receives the result (ONSHI_MSG_QUAL_RES; persons are ONSHI_G_RESULT
 *                       groups of the body); free with onshi_msg_free(). NULL on error.
 * @param pending_id     may be NULL; receives the request id (file transport) — on
 *                       ONSHI_E_PENDING the id for onshi_result_pickup()
 * @param id_size        size of pending_id (ONSHI_FILE_ID_SIZE)
 * @param req            an ONSHI_REQ_INSURANCE_CARD_VERIFY request:
 *                       ONSHI_P_INSURER_NUMBER (保険者番号, 6 or 8 digits), ONSHI_P_SYMBOL (記号,
 *                       <= 20 characters, unset or "" when the card has none), ONSHI_P_NUMBER
 *                       (番号, <= 20 characters, required), ONSHI_P_BRANCH (枝番, 2 digits, or
 *                       unset/"" for 後期高齢者), ONSHI_P_BIRTHDATE (生年月日 YYYYMMDD),
 *                       ONSHI_P_LIMIT_CONSENT (1: the patient agrees to the provision of 限度額
 *                       information), ONSHI_P_ARBITRARY_ID (echoed back, optional)
 * @return ONSHI_OK; ONSHI_E_FIELD_FORMAT / ONSHI_E_FIELD_LENGTH / ONSHI_E_FIELD_MISSING /
 *         ONSHI_E_CHECK_DIGIT (nothing sent); ONSHI_E_CONFIG (medical institution code unset
 *         or invalid); ONSHI_E_PENDING; ONSHI_E_RESULT_MISMATCH (file transport: the result
 *         file names another patient; not accepted, the request stays pending and pending_id
 *         names it); the transport's errors; the statuses of onshi_result_check().
 *         onshi_result_check(); ONSHI_E_INVALID_ARG (req NULL or of another kind).
 * Thread rule: the context's thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_insurance_card_verify(onshi_msg **out, char *pending_id,
                                                     size_t id_size, onshi_ctx *ctx,
                                                     const onshi_request *req);

/**
 * Pick up the late result of a request that returned ONSHI_E_PENDING (file transport) and
 * check it as onshi_result_check(). Never sends anything.
 * @param out         receives the result; free with onshi_msg_free()
 * @param pending_id  the id returned with ONSHI_E_PENDING
 * @param req_type    the request's type (ONSHI_MSG_QUAL_REQ, ONSHI_MSG_REFNUM_REQ,
 *                    ONSHI_MSG_DRUG_REQ, ONSHI_MSG_CHECKUP_REQ)
 * @param timeout_ms  how long to wait; 0: look once; negative: ONSHI_OPT_RESULT_TIMEOUT_MS
 * @return ONSHI_OK, ONSHI_E_PENDING (still nothing), ONSHI_E_STATE (already picked up),
 *         ONSHI_E_NOT_FOUND, ONSHI_E_RESULT_MISMATCH (the result does not answer this request),
 *         the errors of onshi_file_wait() and onshi_result_check().
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_result_pickup(onshi_msg **out, onshi_ctx *ctx,
                                             const char *pending_id, int req_type,
                                             int64_t timeout_ms);

/**
 * QualificationValidity of a qualification result (資格有効性, OQSCD006: 1 有効, 2 無効,
 * 3 無効（新しい資格あり）, 4 該当資格なし, 5 複数該当) and its label.
 * @param validity  out: the code (0 when absent)
 * @param label     out, may be NULL: static label in the language of ctx (NULL: Japanese)
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (no QualificationValidity), ONSHI_E_INVALID_ARG.
 * @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_result_validity(int *validity, const char **label,
                                               const onshi_ctx *ctx, onshi_msg *result);

/**
 * Whether a person (an ONSHI_G_RESULT group of a qualification or face result) has a valid
 * consent for one item now: the item's ConsFlg is 1 and its AvailableTime (if the item has
 * one) has not passed. ONSHI_CONSENT_LIMIT looks at the 限度額 ConsFlg only.
 * @param ctx     for the message (names the item); may be NULL
 * @param item    one ONSHI_CONSENT_* bit
 * @param now     "YYYYMMDDHHMMSS" (Japan time) to compare AvailableTime with; NULL: now in
 *                Japan time, whatever the machine's time zone
 * @return ONSHI_OK; ONSHI_E_NO_CONSENT (ConsFlg absent, 0 or 3); ONSHI_E_CONSENT_EXPIRED
 *         (ConsFlg 2, or AvailableTime passed); ONSHI_E_INVALID_ARG. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_person_consent(onshi_ctx *ctx, const onshi_group *person,
                                              int item, const char *now);

/**
 * The person's effective sex: Sex2 when present (性別表記の配慮), else Sex1.
 * @param code   out: "1" 男, "2" 女, "3" 未設定; borrowed from the message
 * @param label  out, may be NULL: static label in the language of ctx (NULL: Japanese)
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (neither present), ONSHI_E_INVALID_ARG. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_person_sex(const char **code, const char **label,
                                          const onshi_ctx *ctx, const onshi_group *person);

/** What changed between two results of one patient (onshi_person_compare). */
typedef struct onshi_changes onshi_changes;

/**
 * Compare a person's previous result with the current one, field by field, on what the
 * patient record holds: card classification, insurer number, symbol, number, branch,
 * insurer name, name, kana, effective sex (reported as ONSHI_F_SEX2), birth date, address,
 * post number, qualification/disqualification dates, card validity dates, partial
 * contribution ratio, 高齢受給者 ratio and end date, 限度額 区分 and validity dates,
 * 照会番号. A field present on one side only counts as changed (its other value is "").
 * @param out   receives the change list (possibly empty); free with onshi_changes_free()
 * @param prev  the previous person (ONSHI_G_RESULT); @param cur the current one
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_NOMEM. The list copies what it needs.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_person_compare(onshi_changes **out, onshi_ctx *ctx,
                                              const onshi_group *prev, const onshi_group *cur);

/** Number of changed fields. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_changes_count(const onshi_changes *changes);

/**
 * One change.
 * @param field      out ONSHI_F_* (may be NULL)
 * @param old_value  out: the previous value, "" when absent (may be NULL)
 * @param new_value  out: the current value, "" when absent (may be NULL)
 * Strings are borrowed for the list's life. @return ONSHI_OK or ONSHI_E_NOT_FOUND. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_changes_at(int *field, const char **old_value,
                                          const char **new_value, const onshi_changes *changes,
                                          size_t i);

/**
 * Labels of one change: the field's name for staff (「保険者番号」 / "insurer number"), and
 * the labels of the old and new values when the field has a code table (else the values),
 * in the language of the context the list was made with (onshi_person_compare).
 * Static or list-owned strings; any out may be NULL. @return ONSHI_OK or ONSHI_E_NOT_FOUND.
 * @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_changes_labels(const char **field_label, const char **old_label,
                                              const char **new_label,
                                              const onshi_changes *changes, size_t i);

/**
 * The list as JSON: [{"field":401,"name":"InsurerNumber","label":"保険者番号",
 * "label_en":"insurer number","old":"…","new":"…","old_label":"…","new_label":"…"}, …].
 * @param out  UTF-8, NUL-terminated; free with onshi_buf_free(). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_changes_to_json(onshi_buf **out, onshi_ctx *ctx,
                                               const onshi_changes *changes);

/** Free a change list. NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_changes_free(onshi_changes *changes);

/**
 * Register a 照会番号 (the institution's patient number, returned in later results of this
 * patient here) for one insured person (OQSsiimm01req). Inputs are checked first as in
 * onshi_insurance_card_verify().
 * @param out  receives the result (ONSHI_MSG_REFNUM_RES); free with onshi_msg_free()
 * @param req  an ONSHI_REQ_REFNUM_REGISTER request: ONSHI_P_REFERENCE_NUMBER (1 to 50
 *             characters), ONSHI_P_INSURER_NUMBER, ONSHI_P_SYMBOL, ONSHI_P_NUMBER,
 *             ONSHI_P_BRANCH (as onshi_insurance_card_verify)
 * @return as onshi_insurance_card_verify(). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_refnum_register(onshi_msg **out, char *pending_id, size_t id_size,
                                               onshi_ctx *ctx, const onshi_request *req);

/* Kinds of onshi_info_request. */
#define ONSHI_INFO_DRUG    1 /**< 薬剤情報 (YZKsiquc01req) */
#define ONSHI_INFO_CHECKUP 2 /**< 特定健診情報 (TKKsiquc01req) */

/* FileCategory values (docs/workflow-verify.md). */
#define ONSHI_INFO_PDF                1 /**< PDF (drug or checkup) */
#define ONSHI_INFO_XML                2 /**< XML (drug or checkup) */
#define ONSHI_INFO_DRUG_DIAGNOSIS_PDF 3 /**< 薬剤＋診療 PDF (drug only; needs 診療 consent too) */
#define ONSHI_INFO_DRUG_DIAGNOSIS_XML 4 /**< 薬剤＋診療 XML (drug only; needs 診療 consent too) */

/**
 * Request 薬剤情報 or 特定健診情報 of a person of a qualification/face result. Refused
 * LOCALLY (nothing is written or sent) unless onshi_person_consent() is ONSHI_OK now for the
 * kind (薬剤 / 特定健診; FileCategory 3/4 also 診療). Audited before (a refusal of the audit
 * callback stops it) and after (ONSHI_AUDIT_DRUG_INFO / ONSHI_AUDIT_CHECKUP_INFO).
 * An XML result is decoded into the codec's groups (ONSHI_G_DRUG_MONTH → ONSHI_G_DRUG_DATE →
 * ONSHI_G_DRUG; ONSHI_G_CHECKUP → ONSHI_G_CHECKUP_ITEM); a PDF is read with
 * onshi_msg_attachment().
 * @param out            receives the result (ONSHI_MSG_DRUG_RES / ONSHI_MSG_CHECKUP_RES)
 * @param person         ONSHI_G_RESULT group (insurer, symbol, number, branch and consents)
 * @param req            an ONSHI_REQ_INFO request: ONSHI_P_INFO_KIND (ONSHI_INFO_DRUG or
 *                       ONSHI_INFO_CHECKUP), ONSHI_P_FILE_CATEGORY (ONSHI_INFO_PDF,
 *                       ONSHI_INFO_XML, ONSHI_INFO_DRUG_DIAGNOSIS_* for drug),
 *                       ONSHI_P_START_MONTH (drug only: first month YYYYMM; unset: 5 months
 *                       before the end month), ONSHI_P_END_MONTH (drug only: last month
 *                       YYYYMM; unset: the current month)
 * @return ONSHI_OK; ONSHI_E_NO_CONSENT, ONSHI_E_CONSENT_EXPIRED (nothing sent);
 *         ONSHI_E_CANCELLED (audit refused); ONSHI_E_INFO_NOT_AVAILABLE (ResultCode ≠ 1,
 *         MessageContents in the message); as onshi_insurance_card_verify() otherwise.
 * Thread rule: the context's thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_info_request(onshi_msg **out, char *pending_id, size_t id_size,
                                            onshi_ctx *ctx, const onshi_group *person,
                                            const onshi_request *req);

/* ---- service: batch before the visit (一括照会) and bulk 照会番号 registration ---- */

/**
 * A list of reserved patients checked in one two-phase bulk exchange (OQSmuquc01/02), or a
 * list of 照会番号 registered in one (OQSmuimm01/02). Every step is persisted in the state
 * store (ONSHI_OPT_STATE_DB) before it is taken: a batch reopened by its id after a crash or
 * restart continues where it stopped, never uploads its list twice and reuses its reception
 * number. docs/workflow-batch.md describes states, back-off and the CSV format of the CLI.
 */
typedef struct onshi_batch onshi_batch;

/** Size of a buffer for a batch id (onshi_batch_next_unfinished). */
#define ONSHI_BATCH_ID_SIZE 48

/* Kinds of batch. */
#define ONSHI_BATCH_QUALIFICATION 1 /**< 資格確認一括照会 (OQSmuquc) */
#define ONSHI_BATCH_REFNUM        2 /**< 照会番号一括登録 (OQSmuimm) */
#define ONSHI_BATCH_HOMECARE      3 /**< 同意済資格情報一括取得・訪問診療等 (OQSmuhvq): a query */
#define ONSHI_BATCH_ONLINE        4 /**< 同意済資格情報一括取得・オンライン診療等 (OQSmuonq): a query */
#define ONSHI_BATCH_WELFARE       5 /**< 医療扶助 一括 (OQSmutic): a query */

/* Phases (onshi_batch_phase). */
#define ONSHI_BATCH_PHASE_NEW    1 /**< being filled; nothing persisted or sent */
#define ONSHI_BATCH_PHASE_UPLOAD 2 /**< persisted; the list is being uploaded */
#define ONSHI_BATCH_PHASE_POLL   3 /**< reception number received; downloading the results */
#define ONSHI_BATCH_PHASE_DONE   4 /**< results stored for every entry */
#define ONSHI_BATCH_PHASE_FAILED 5 /**< the system refused the list (message kept) */

/* Outcome of one entry (onshi_batch_outcome). */
#define ONSHI_BATCH_PENDING   0 /**< no result yet */
#define ONSHI_BATCH_VALID     1 /**< 有効 (registration batch: registered) */
#define ONSHI_BATCH_INVALID   2 /**< 無効, or 無効（新しい資格あり） */
#define ONSHI_BATCH_NOT_FOUND 3 /**< 該当資格なし */
#define ONSHI_BATCH_SEVERAL   4 /**< 複数該当 */
#define ONSHI_BATCH_ERROR     5 /**< processing error: the system's code and message */

/**
 * Start an empty batch.
 * @param out   receives the batch; free with onshi_batch_free()
 * @param ctx   the context (transport, folders or server, state store, 医療機関コード); it
 *              must outlive the batch
 * @param kind  ONSHI_BATCH_QUALIFICATION or ONSHI_BATCH_REFNUM
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG, ONSHI_E_NOMEM.
 * Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_new(onshi_batch **out, onshi_ctx *ctx, int kind);

/**
 * Add one patient to a qualification or 照会番号 registration batch. The values are copied;
 * nothing is checked until onshi_batch_validate() / onshi_batch_save().
 * @param entry  an ONSHI_REQ_BATCH_ENTRY request: ONSHI_P_PATIENT_ID (the vendor's own
 *               patient id, unique in the batch: results are matched back to it; stored
 *               locally and never sent), ONSHI_P_INSURER_NUMBER (8 digits, or 6 for 国保),
 *               ONSHI_P_SYMBOL (may be unset), ONSHI_P_NUMBER, ONSHI_P_BRANCH (2 digits or
 *               unset); a ONSHI_BATCH_QUALIFICATION batch also ONSHI_P_BIRTHDATE and
 *               ONSHI_P_LIMIT_CONSENT, a ONSHI_BATCH_REFNUM batch ONSHI_P_REFERENCE_NUMBER
 *               (the 照会番号, typically the 診察券 number, at most 50 characters)
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (a query batch, or entry NULL / of another kind, or a
 *         parameter the batch's kind does not use), ONSHI_E_BATCH_STATE (already saved),
 *         ONSHI_E_NOMEM. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_add(onshi_batch *batch, const onshi_request *entry);

/**
 * The period of a consent query batch (ONSHI_BATCH_HOMECARE / _ONLINE): the system answers
 * with the patients who consented in it (examination non-zero, ONLINE only: who were examined
 * in it). Such a batch has no entries of its own: after the run it has one entry per person
 * the system listed (patient id ""), in the system's order.
 * @param from, to  YYYYMMDD, from <= to (checked by onshi_batch_validate)
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (other kind), ONSHI_E_BATCH_STATE, ONSHI_E_NOMEM.
 * @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_set_period(onshi_batch *batch, int examination,
                                                const char *from, const char *to);

/**
 * The treatment month (YYYYMM) of a 医療扶助 query batch (ONSHI_BATCH_WELFARE); results as
 * onshi_batch_set_period. @return as onshi_batch_set_period. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_set_month(onshi_batch *batch, const char *month);

/**
 * Check every entry locally (check digits, formats, characters the request encoding can
 * carry, duplicate patient ids) and the ONSHI_OPT_MEDICAL_INSTITUTION_CODE option.
 * @param bad_index  receives the index of the first bad entry (may be NULL)
 * @return ONSHI_OK; ONSHI_E_CHECK_DIGIT, ONSHI_E_FIELD_FORMAT or a codec status, with a
 *         message naming the entry (index and patient id) and the field; ONSHI_E_CONFIG (the
 *         institution code); ONSHI_E_INVALID_ARG (empty batch). @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_validate(size_t *bad_index, onshi_batch *batch);

/**
 * Validate and persist the batch without sending anything: from now on it has an id
 * (onshi_batch_id) under which it can be reopened. Saving a saved batch is ONSHI_OK.
 * @return as onshi_batch_validate(), and ONSHI_E_STORE, ONSHI_E_DISK_FULL. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_save(onshi_batch *batch);

/**
 * Run the batch from its persisted phase until its results are stored: save (if new),
 * upload the list, store the reception number, then download the results, asking again with
 * exponential back-off (ONSHI_OPT_BATCH_POLL_BASE_MS doubled up to ONSHI_OPT_BATCH_POLL_MAX_MS)
 * while the system answers "still processing". Progress: ONSHI_STAGE_BATCH_UPLOAD (0/total),
 * ONSHI_STAGE_BATCH_POLL (repeat/limit), ONSHI_STAGE_BATCH_RESULTS (done/total),
 * ONSHI_STAGE_DONE. Over HTTPS every request carries an Idempotency-Key derived from the batch
 * id and phase; over files a request is never written twice.
 * Any error below leaves the batch resumable (call again, or onshi_batch_open + run later),
 * except ONSHI_E_SYSTEM_ERROR / ONSHI_E_ERR_FILE / ONSHI_E_PROCESSING_ERROR, after which it is
 * ONSHI_BATCH_PHASE_FAILED (the system refused the list; start a new batch).
 * @return ONSHI_OK (phase DONE: read the outcomes); ONSHI_E_STILL_PROCESSING (more than
 *         ONSHI_OPT_BATCH_POLL_LIMIT "still processing" answers in this run); ONSHI_E_PENDING
 *         / ONSHI_E_LINKAGE_NOT_RUNNING (file transport: no answer in time); transport
 *         errors; ONSHI_E_CANCELLED (progress callback or onshi_ctx_cancel); ONSHI_E_BATCH_STATE
 *         (resumed over another transport than it started on); the codes of
 *         onshi_batch_save(). Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_run(onshi_batch *batch);

/**
 * Reopen a saved batch by id (after a restart, to resume it with onshi_batch_run or to read
 * its results).
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND, ONSHI_E_STORE, ONSHI_E_NOMEM. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_open(onshi_batch **out, onshi_ctx *ctx,
                                          const char *batch_id);

/**
 * Iterate over the saved batches that are neither DONE nor FAILED (in id order), e.g. at
 * start-up to resume the ones a crash interrupted even when the product did not keep the id.
 * @param id_out   receives the next id after `after` (NULL or "": the first)
 * @param id_size  at least ONSHI_BATCH_ID_SIZE
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND when there is no further one, ONSHI_E_BUFFER_TOO_SMALL,
 *         ONSHI_E_STORE. Thread rule: the context's thread. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_next_unfinished(char *id_out, size_t id_size,
                                                     onshi_ctx *ctx, const char *after);

/** Free a batch (its persisted state stays). NULL is accepted. @since 0.1.0 */
ONSHI_API void ONSHI_CALL onshi_batch_free(onshi_batch *batch);

/** The batch id ("" before it is saved); valid while the batch lives. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_id(const onshi_batch *batch);
/** ONSHI_BATCH_QUALIFICATION or ONSHI_BATCH_REFNUM. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_batch_kind(const onshi_batch *batch);
/** ONSHI_BATCH_PHASE_*. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_batch_phase(const onshi_batch *batch);
/** The system's 受付番号 ("" before the upload was answered). @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_reception_number(const onshi_batch *batch);
/** Number of download requests sent so far. @since 0.1.0 */
ONSHI_API int64_t ONSHI_CALL onshi_batch_download_count(const onshi_batch *batch);
/** Why the batch failed (phase FAILED), else "". @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_fail_message(const onshi_batch *batch);
/** Number of entries, in the order they were added. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_batch_count(const onshi_batch *batch);
/** The vendor's patient id of entry i, NULL out of range. @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_patient_id(const onshi_batch *batch, size_t i);
/** ONSHI_BATCH_PENDING .. ONSHI_BATCH_ERROR for entry i (ONSHI_E_INVALID_ARG out of range).
 *  @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_batch_outcome(const onshi_batch *batch, size_t i);
/** The system's ProcessingResultCode for entry i ("" if none). @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_result_code(const onshi_batch *batch, size_t i);
/** The system's ProcessingResultMessage for entry i, shown as is ("" if none). @since 0.1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_result_message(const onshi_batch *batch, size_t i);

/**
 * The BulkConfirmUnit answering entry i (its echo, status fields and persons). Units are read
 * one at a time from the stored result, so memory does not grow with the number of entries.
 * @param out  receives the group, borrowed until the next onshi_batch_unit,
 *             onshi_batch_person or onshi_batch_person_count call for another entry of this
 *             batch, or until the batch is freed
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (no result for this entry), ONSHI_E_INVALID_ARG, or a
 *         decode status. @since 0.1.0
 */
ONSHI_API int ONSHI_CALL onshi_batch_unit(onshi_group **out, onshi_batch *batch, size_t i);
/** Number of persons (ONSHI_G_RESULT) in the result of entry i; 0 if none. @since 0.1.0 */
ONSHI_API size_t ONSHI_CALL onshi_batch_person_count(onshi_batch *batch, size_t i);
/** Person k of entry i (ONSHI_G_RESULT), borrowed as onshi_batch_unit. @since 0.1.0 */
ONSHI_API int ONSHI_CALL onshi_batch_person(onshi_group **out, onshi_batch *batch, size_t i,
                                            size_t k);
/** Label of an outcome in the language of ctx (NULL: Japanese); NULL if unknown.
 *  @since 1.0 */
ONSHI_API const char *ONSHI_CALL onshi_batch_outcome_label(const onshi_ctx *ctx, int outcome,
                                                           int kind);

/* ---- service: limit amount (高額療養費 自己負担限度額) ---- */

#define ONSHI_LIMIT_SCOPE_OUTPATIENT 1 /**< 外来（個人ごと）: 70+ classes have a lower cap */
#define ONSHI_LIMIT_SCOPE_ALL        2 /**< 外来＋入院（世帯ごと）; under 70 the only scope */
#define ONSHI_LIMIT_F_MANY_TIMES     1 /**< 多数回該当 (4th month or later within 12 months) */
#define ONSHI_LIMIT_F_BIRTH_MONTH_75 2 /**< the month the patient turns 75: halved (特例) */
/** Also answer from rows whose figures are not confirmed (today 後期高齢者 一般Ⅱ/一般Ⅰ, B09/B10,
 *  from August 2026: the 一般 figures; docs/limit-amount.md); without it such rows are
 *  ONSHI_E_LIMIT_NO_TABLE. @since 1.0 */
#define ONSHI_LIMIT_F_PROVISIONAL    4

/**
 * Monthly co-payment ceiling (自己負担限度額) for a 適用区分 and a month's total medical cost
 * (10割), from the table valid for the service month (src/service/limit.def; each table
 * carries the months it is valid for, each row whether it is confirmed; docs/limit-amount.md
 * cites the sources): August 2018 to July 2026, and August 2026 to July 2027 (the revision, as
 * MHLW's table and 協会けんぽ publish it; its B09/B10 rows are unconfirmed and used only with
 * ONSHI_LIMIT_F_PROVISIONAL). A month past the last known table (from August 2027) is
 * ONSHI_E_LIMIT_NO_TABLE, never other numbers.
 * Not covered: yearly caps (onshi_limit_yearly_cap gives them; applying them needs the
 * year's history), the under-70 21,000-yen 合算 rule across institutions, 特定疾病 (see the
 * result's SpecificDiseasesSelfPay).
 * @param out  receives the ceiling in yen
 * @param ctx  for the error message; may be NULL
 * @param req  an ONSHI_REQ_LIMIT request: ONSHI_P_CLASS_CODE
 *             (LimitApplicationCertificateClassificationFlag, "A01".."A06", "B01".."B10"),
 *             ONSHI_P_TOTAL_COST (the month's total medical cost in yen, 10割, >= 0),
 *             ONSHI_P_SCOPE (ONSHI_LIMIT_SCOPE_*, default ALL), ONSHI_P_FLAGS (ONSHI_LIMIT_F_*,
 *             default 0), ONSHI_P_SERVICE_MONTH (診療年月 YYYYMM >= 201808; 0 or unset: the
 *             current month)
 * @return ONSHI_OK, ONSHI_E_CODE_VALUE (unknown class), ONSHI_E_INVALID_ARG,
 *         ONSHI_E_UNSUPPORTED (month before 201808), ONSHI_E_LIMIT_NO_TABLE (since 1.0: no
 *         table for the month, or the class's figures unconfirmed; the message says why and
 *         what would confirm them).
 * Thread rule: any thread (ctx: its own thread). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_limit_ceiling(int64_t *out, onshi_ctx *ctx,
                                             const onshi_request *req);

/**
 * The window co-payment for the month: the patient's share (total cost x ONSHI_P_RATIO_PERCENT
 * / 100, rounded to the yen; 10, 20 or 30 usually, 0..100 accepted, required) stopped at
 * onshi_limit_ceiling(). Parameters and returns as above. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_limit_copay(int64_t *out, onshi_ctx *ctx,
                                           const onshi_request *req);

/**
 * The yearly cap (August–July) of a 適用区分 in force for the service month, from an
 * ONSHI_REQ_LIMIT request (ONSHI_P_CLASS_CODE, ONSHI_P_SCOPE, ONSHI_P_FLAGS: 0 or
 * ONSHI_LIMIT_F_PROVISIONAL, ONSHI_P_SERVICE_MONTH; ONSHI_P_TOTAL_COST and
 * ONSHI_P_RATIO_PERCENT are not used): scope ONSHI_LIMIT_SCOPE_ALL gives the cap on what the
 * patient paid after the monthly ceilings (new with the August 2026 revision),
 * ONSHI_LIMIT_SCOPE_OUTPATIENT the 70+ 外来 yearly cap (144,000 for 一般 until July 2026).
 * @return ONSHI_OK, ONSHI_E_NOT_FOUND (no such cap for that class and month), and the
 *         statuses of onshi_limit_ceiling(). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_limit_yearly_cap(int64_t *out, onshi_ctx *ctx,
                                                const onshi_request *req);

/* ---------------------------------------------------------------------------------------
 * Callbacks: every callback of a context is set through one versioned struct
 * ------------------------------------------------------------------------------------- */

/** The layout version of onshi_callbacks this header describes. */
#define ONSHI_CALLBACKS_VERSION 1

/**
 * Every callback of a context, each with the userdata passed back to it as its first
 * argument. A NULL callback is not installed. Fields are only ever appended (a new one comes
 * with a new ONSHI_CALLBACKS_VERSION); `version` tells the library which fields the caller
 * knows, so a program built against an older header keeps working with a newer library.
 * Initialise with ONSHI_CALLBACKS_INIT (or onshi_ctx_get_callbacks to change one callback
 * and keep the others), then hand it to onshi_ctx_set_callbacks().
 */
typedef struct onshi_callbacks {
    int version; /**< ONSHI_CALLBACKS_VERSION */
    /* core */
    onshi_log_cb log;                     /**< log lines (ONSHI_OPT_LOG_LEVEL and above) */
    void *log_userdata; /**< passed first to the log callback */
    /* card and JPKI */
    onshi_card_transmit_cb card_transmit; /**< APDUs of ONSHI_CARD_DRIVER_CALLBACK */
    void *card_transmit_userdata; /**< passed first to the card_transmit callback */
    onshi_card_reset_cb card_reset;       /**< card reset of ONSHI_CARD_DRIVER_CALLBACK */
    void *card_reset_userdata; /**< passed first to the card_reset callback */
    onshi_card_event_cb card_event;       /**< card inserted/removed while waiting */
    void *card_event_userdata; /**< passed first to the card_event callback */
    onshi_pin_cb pin;                     /**< the PIN for onshi_card_sign and card workflows */
    void *pin_userdata; /**< passed first to the pin callback */
    /* transport */
    onshi_cert_expiry_cb cert_expiry;     /**< the client certificate expires soon */
    void *cert_expiry_userdata; /**< passed first to the cert_expiry callback */
    /* workflows */
    onshi_progress_cb progress;           /**< stages of the workflows */
    void *progress_userdata; /**< passed first to the progress callback */
    onshi_consent_cb consent;             /**< consent items at the window */
    void *consent_userdata; /**< passed first to the consent callback */
    onshi_audit_cb audit;                 /**< before and after each access */
    void *audit_userdata; /**< passed first to the audit callback */
    onshi_identity_cb identity;           /**< face verdict / visual confirmation */
    void *identity_userdata; /**< passed first to the identity callback */
} onshi_callbacks;

/** Initialiser of an onshi_callbacks with nothing installed. */
#define ONSHI_CALLBACKS_INIT                                                                \
    { ONSHI_CALLBACKS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,  \
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Install the callbacks of a context, replacing all of them (cbs NULL removes every one).
 * The struct is copied; only the fields of cbs->version are read.
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (ctx NULL, or a version this library does not know:
 *         the message names both). Thread rule: the context's thread. @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_set_callbacks(onshi_ctx *ctx, const onshi_callbacks *cbs);

/**
 * Read the callbacks installed on a context, to change one and set them again.
 * @param out  its `version` must be set by the caller (ONSHI_CALLBACKS_INIT); the fields of
 *             that version are filled in
 * @return ONSHI_OK, ONSHI_E_INVALID_ARG (as onshi_ctx_set_callbacks). @since 1.0
 */
ONSHI_API int ONSHI_CALL onshi_ctx_get_callbacks(onshi_callbacks *out, const onshi_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* ONSHI_H */
