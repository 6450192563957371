/*
 * core/ — internal interface shared by every layer. Never installed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CORE_H
#define ONSHI_CORE_H

#include "onshi.h"
#include "onshi_transport.h" /* the raw transport is implemented inside the library */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define ONSHI__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ONSHI__PRINTF(fmt, args)
#endif

/* ---- global ------------------------------------------------------------------------- */

/* Make sure the library is initialised once (used by onshi_ctx_new). */
int onshi__global_ensure(void);
/* Register a function run by the last onshi_global_cleanup (e.g. xmlCleanupParser).
 * Layers call it from their own lazy init; at most ONSHI__MAX_ATEXIT functions. */
#define ONSHI__MAX_ATEXIT 16
int onshi__global_atexit(void (*fn)(void));

/* ---- options ------------------------------------------------------------------------ */

#define ONSHI__OPT_F_SECRET 1u /* wiped on free, never readable, never logged */
#define ONSHI__OPT_F_PATH   2u /* a file or folder path (informational for docs/config) */

typedef struct onshi__optdef {
    int id;
    const char *name;       /* configuration name, e.g. "req_dir" */
    int type;               /* ONSHI_OPTTYPE_* */
    unsigned flags;         /* ONSHI__OPT_F_* */
    int64_t def_int;        /* default for int options */
    int64_t min_int, max_int;
    const char *def_str;    /* default for str options (NULL = unset) */
    const char *help;       /* one line for docs/options.md and `onshi options` */
} onshi__optdef;

/* The option table (src/core/options.def), sorted by id. */
const onshi__optdef *onshi__optdef_find(int id);
size_t onshi__optdef_count(void);
const onshi__optdef *onshi__optdef_at(size_t i);

/* Typed reads used inside the library. They cannot fail for a defined id of the right type
 * (a wrong id is a programming error and returns the zero value). */
int64_t onshi__opt_int(const onshi_ctx *ctx, int id);
/* Borrowed; NULL when unset and without default. Secret options are readable here. */
const char *onshi__opt_str(const onshi_ctx *ctx, int id);
const unsigned char *onshi__opt_bytes(const onshi_ctx *ctx, int id, size_t *len);

/* ---- errors ------------------------------------------------------------------------- */

/* Record an error on ctx (NULL ctx accepted: then only the code is returned).
 * Returns `status` so a caller can write `return onshi__err(ctx, ONSHI_E_X, ...);`.
 * The English detail `fmt` names what failed and where; it must not contain personal data
 * unredacted (use onshi__redact). */
int onshi__err(onshi_ctx *ctx, int status, const char *fmt, ...) ONSHI__PRINTF(3, 4);
/* Same with a foreign code kept as detail (ONSHI_FOREIGN_*). */
int onshi__err_foreign(onshi_ctx *ctx, int status, int kind, int64_t value, const char *fmt,
                       ...) ONSHI__PRINTF(5, 6);
/* Same with a Japanese detail as well (for messages staff read at the window). Either
 * detail may be NULL. */
int onshi__err_ja(onshi_ctx *ctx, int status, int kind, int64_t value, const char *detail_en,
                  const char *detail_ja);
/* Has a message for the current failure already been recorded? Lets an upper layer add
 * context without overwriting the lower layer's more precise detail. */
bool onshi__err_is(const onshi_ctx *ctx, int status);

/* Table lookups (status.c). */
const char *onshi__status_str_lang(int status, bool ja);

/* true when the context's language is Japanese (also for ctx NULL: the option's default).
 * The one place that decides the language of every label and message. */
bool onshi__lang_ja(const onshi_ctx *ctx);

/* ---- callbacks ---------------------------------------------------------------------- */

/* The callbacks installed on ctx (onshi_ctx_set_callbacks); never NULL (ctx NULL: none).
 * Every layer reads its callback and userdata from here. */
const onshi_callbacks *onshi__callbacks(const onshi_ctx *ctx);

/* ---- logging and redaction ---------------------------------------------------------- */

bool onshi__log_enabled(const onshi_ctx *ctx, int level);
void onshi__log(const onshi_ctx *ctx, int level, const char *component, const char *fmt, ...)
    ONSHI__PRINTF(4, 5);
void onshi__vlog(const onshi_ctx *ctx, int level, const char *component, const char *fmt,
                 va_list ap);

/* Kinds of personal data for onshi__redact. */
enum onshi__pii {
    ONSHI__PII_NAME,      /* 氏名, カナ氏名 → "[name]" */
    ONSHI__PII_NUMBER,    /* 記号・番号, 保険者番号, 照会番号 → keep the last 2 characters */
    ONSHI__PII_DATE,      /* 生年月日 → "[date]" */
    ONSHI__PII_ADDRESS,   /* 住所, 郵便番号 → "[address]" */
    ONSHI__PII_TEXT,      /* free text: runs of 4+ digits masked */
    ONSHI__PII_SECRET     /* PIN, password, key: always "[secret]", even with redaction off */
};

#define ONSHI__REDACT_MAX 256
typedef struct onshi__redact_buf {
    char s[ONSHI__REDACT_MAX];
} onshi__redact_buf;

/* Return `value` as it may appear in a log line of ctx: unchanged when redaction is off
 * (except secrets), otherwise a mask written into rb. NULL value → "(null)". The result
 * points into rb or value and lives as long as both. */
const char *onshi__redact(const onshi_ctx *ctx, onshi__redact_buf *rb, int kind,
                          const char *value);
/* Redaction without a context (redaction on). Used by tests and by the CLI. */
const char *onshi__redact_always(onshi__redact_buf *rb, int kind, const char *value);

/* ---- cancellation ------------------------------------------------------------------- */

/* True if onshi_ctx_cancel was called and not yet consumed. */
bool onshi__cancel_requested(const onshi_ctx *ctx);
/* Consume a pending cancel: returns ONSHI_E_CANCELLED (recorded on ctx) if one was pending,
 * ONSHI_OK otherwise. Call at safe points of long operations. */
int onshi__cancel_check(onshi_ctx *ctx);
/* A blocking layer registers how to wake its wait (SCardCancel, writing to a pipe...). The
 * hook runs on the cancelling thread; it must be thread-safe and quick. Clear it (fn NULL)
 * before the waited-on object is destroyed. */
typedef void (*onshi__wake_fn)(void *arg);
void onshi__cancel_set_wake(onshi_ctx *ctx, onshi__wake_fn fn, void *arg);

/* ---- memory ------------------------------------------------------------------------- */

void *onshi__calloc(size_t n, size_t size);
char *onshi__strdup(const char *s);
char *onshi__strndup(const char *s, size_t n);
/* Wipe then free a NUL-terminated secret string. */
void onshi__free_secret_str(char *s);

/* The owned byte buffer behind the public onshi_buf. */
struct onshi_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
    bool secret; /* wipe on growth and on free */
};
void onshi__buf_init(onshi_buf *b, bool secret);
int onshi__buf_reserve(onshi_buf *b, size_t extra);
int onshi__buf_append(onshi_buf *b, const void *p, size_t n);
int onshi__buf_append_str(onshi_buf *b, const char *s);
int onshi__buf_printf(onshi_buf *b, const char *fmt, ...) ONSHI__PRINTF(2, 3);
/* Wipe (if secret) and release the storage; the struct may be reused after init. */
void onshi__buf_clear(onshi_buf *b);
/* Move a filled stack buffer into a new heap onshi_buf for the caller. */
int onshi__buf_detach(onshi_buf *b, onshi_buf **out);
/* Copy bytes into a new heap onshi_buf. */
int onshi__buf_new_copy(const void *p, size_t n, onshi_buf **out);

/* Bytes to lower-case hex into out (size >= 2n+1). */
void onshi__hex(char *out, const unsigned char *p, size_t n);

/* ---- message types (msgtypes.def) ---------------------------------------------------- */

typedef struct onshi__msgtype {
    int id;             /* ONSHI_MSG_* */
    const char *prefix; /* file-name prefix, NULL for HTTPS-only extensions */
    int is_request;     /* 1 request, 0 result */
    int phase;          /* 1 single or upload, 2 download (two-phase bulk) */
    const char *ja, *en;
} onshi__msgtype;
const onshi__msgtype *onshi__msgtype_find(int type);
size_t onshi__msgtype_count(void);
const onshi__msgtype *onshi__msgtype_at(size_t i);

/* ---- per-layer state on a context --------------------------------------------------- */

/* Each upper layer keeps its per-context state (open reader, TLS session, callbacks) in its
 * own slot, so core never needs to know their types. The free function runs at ctx_free. */
enum onshi__slot {
    ONSHI__SLOT_STORE, /* the SQLite state store (store.h); first so it is freed last */
    ONSHI__SLOT_CARD,
    ONSHI__SLOT_JPKI,
    ONSHI__SLOT_CODEC,
    ONSHI__SLOT_TRANSPORT,
    ONSHI__SLOT_HTTPS,     /* HTTPS connection, TLS config, session (transport/https.h) */
    ONSHI__SLOT_SERVICE,   /* last: freed first, it may refer to the layers below */
    ONSHI__SLOT_COUNT
};
void *onshi__slot_get(const onshi_ctx *ctx, int slot);
/* Install state (replacing and freeing any previous one). */
void onshi__slot_set(onshi_ctx *ctx, int slot, void *state, void (*free_fn)(void *state));

/* ---- time --------------------------------------------------------------------------- */

/* Milliseconds from a monotonic clock. */
int64_t onshi__now_ms(void);

#endif /* ONSHI_CORE_H */
