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

/* ---- numbers with a check digit (numbers.c) ------------------------------------------ */

/* The 検証番号 the mod-10 rule (weights 2,1 from the right) gives for d[0..n-2]. */
int onshi__check_digit_expected(const char *digits, size_t n);
/* Whether d[n-1] is that digit. */
int onshi__check_digit_ok(const char *digits, size_t n);
/* The 医療機関コード rule (instcode.def): ONSHI_OK, ONSHI_E_FIELD_FORMAT (with en, ja naming
 * the digits), ONSHI_E_CHECK_DIGIT, ONSHI_E_INVALID_ARG. The messages are static. */
int onshi__institution_code_check(const char *code, const char **en, const char **ja);
/* The same check; on a failure a WARN log line saying that the code is still sent. */
int onshi__institution_code_warn(const onshi_ctx *ctx, const char *code);

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
/* free/realloc that wipe the whole block first (realloc moves and wipes instead of growing
 * in place): the allocator hooks given to libxml2 and cJSON, whose buffers hold the patients'
 * names, so none outlives its use. onshi__strdup_plain: strdup through malloc. */
void onshi__free_wiped(void *p);
void *onshi__realloc_wiped(void *p, size_t n);
char *onshi__strdup_plain(const char *s);
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

/* Work counter of this thread: loops that walk a list or a tree add the elements they visit,
 * so tests can prove that a path grows linearly with its input (count at n and at 10n)
 * without a clock. Thread-local: no race, no lock, a few cycles. */
extern _Thread_local unsigned long long onshi__work;
#define ONSHI__WORK(n) (onshi__work += (unsigned long long)(n))

/* Bytes to lower-case hex into out (size >= 2n+1). */
void onshi__hex(char *out, const unsigned char *p, size_t n);

/* ---- random (random.c): the one source, failing loudly ------------------------------- */

/* n random bytes from the kernel's CSPRNG; ONSHI_E_RANDOM (recorded, buf wiped) when none. */
int onshi__random(onshi_ctx *ctx, void *buf, size_t n);
/* nbytes (<= 64) random bytes as lower-case hex into out (2 * nbytes + 1). */
int onshi__random_hex(onshi_ctx *ctx, char *out, size_t nbytes);
/* The same source as an mbedTLS f_rng (0, or -1 on failure); the first argument is unused. */
int onshi__random_cb(void *unused, unsigned char *out, size_t n);

/* ---- message types (msgtypes.def) ---------------------------------------------------- */
/* The label of a known-but-unsupported message family the file name belongs to (KNOWN rows
 * of msgtypes.def), or NULL. */
const char *onshi__msgtype_unsupported(const char *filename, bool ja);

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

/* ---- files (safeio.c) ---------------------------------------------------------------- */

struct stat;
/* Open a file for reading without following a symbolic link and without blocking on a FIFO;
 * only a regular file is accepted (then *fd_out is open, blocking, close-on-exec, and *sb_out
 * its fstat when not NULL). ONSHI_E_NOT_FOUND (not recorded) when it does not exist;
 * ONSHI_E_IO naming the path for a link, FIFO, device or folder, or another failure. */
int onshi__open_regular(onshi_ctx *ctx, const char *path, int *fd_out, struct stat *sb_out);

/* ---- time --------------------------------------------------------------------------- */

/* Milliseconds from a monotonic clock (timeouts, back-off). */
int64_t onshi__now_ms(void);
/* Wall clock in Unix milliseconds (persisted bookkeeping times: created_ms, published_ms). */
int64_t onshi__wall_ms(void);

/* The clock of protocol dates: Unix seconds from the context's clock (the real wall clock
 * unless replaced); ctx may be NULL (the real clock). */
int64_t onshi__clock_s(const onshi_ctx *ctx);
/* Replace the context's clock (tests only; fn NULL restores the real one). The library never
 * calls it: dates sent to the central system always come from the real clock in production. */
typedef int64_t (*onshi__clock_fn)(void *ud);
void onshi__clock_set(onshi_ctx *ctx, onshi__clock_fn fn, void *ud);

/* Japan Standard Time (UTC+9, no DST), whatever TZ the machine has. */
typedef struct onshi__jst {
    int year, mon, day, hour, min, sec;
} onshi__jst;
void onshi__jst_from_epoch(onshi__jst *out, int64_t epoch_s);
/* Unix seconds of a JST wall time (fields already validated by the caller). */
int64_t onshi__jst_to_epoch(int year, int mon, int day, int hour, int min, int sec);
/* YYYYMMDDHHMMSS in JST of an instant / of the context's now. */
void onshi__jst_format14(char out[15], int64_t epoch_s);
void onshi__jst_now14(char out[15], const onshi_ctx *ctx);
/* Whole days from now until `until` (Unix seconds), rounded down: 10 hours left is 0, expired
 * one hour ago is -1 (certificate expiry, the one rule for jpki/ and transport/). */
int64_t onshi__days_left(int64_t until, int64_t now);
/* Today's date YYYYMMDD in JST / the current month as YYYYMM. */
void onshi__jst_today(char out[9], const onshi_ctx *ctx);
int onshi__jst_month(const onshi_ctx *ctx);

#endif /* ONSHI_CORE_H */
