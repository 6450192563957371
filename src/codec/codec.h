/*
 * codec/ — internal interface of the message codec. Never installed.
 * The model is a small element tree (struct onshi_group) typed by one schema table
 * (schema.def); readers, the writer and JSON all walk that tree.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CODEC_H
#define ONSHI_CODEC_H

#include "core/core.h"

#include "core/os.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- schema (tables.c) ---------------------------------------------------------------- */

enum onshi__kind {
    K_STR = 1, /* free text, max characters */
    K_DATE,    /* YYYYMMDD */
    K_TS,      /* YYYYMMDDHHmmss */
    K_YM,      /* YYYYMM */
    K_CODE,    /* value of an OQSCD table */
    K_NUM,     /* digits, max digits */
    K_INSURER, /* 保険者番号: 6 or 8 digits, check digit, written 8 wide space-padded */
    K_PUBEXP,  /* 公費負担者番号: 8 digits, check digit */
    K_INST,    /* 医療機関コード: 10 digits, structure */
    K_BRANCH   /* 枝番: exactly 2 digits, a string */
};

typedef struct onshi__field {
    int id, group, variant;
    const char *elem;
    int kind, max, table;
} onshi__field;

typedef struct onshi__child {
    int parent, kind, variant;
    const char *elem, *wrapper;
    int repeat;
} onshi__child;

/* One row of schema.def in document order: exactly one of field/child is set. */
typedef struct onshi__item {
    const onshi__field *field;
    const onshi__child *child;
} onshi__item;

const onshi__field *onshi__field_by_id(int id, int variant);
/* Whether a field may appear several times in its group (read with onshi_group_count_str /
 * onshi_group_get_str_at); every other field is single-valued and a second one is refused. */
bool onshi__field_repeats(const onshi__field *f);
/* The field named `elem` inside a group of kind/variant, or NULL. */
const onshi__field *onshi__field_by_elem(int group, int variant, const char *elem);
/* The child group named `elem` of a parent kind; wrapper: the wrapper element it sat in
 * (NULL when direct, which is accepted even for wrapped rows: tolerant reading). */
const onshi__child *onshi__child_by_elem(int parent, const char *elem, const char *wrapper);
/* Is `elem` a wrapper element of some child row of parent? */
bool onshi__is_wrapper(int parent, const char *elem);
/* Everything the schema knows about one element name under one parent kind. */
struct onshi__sent {
    int group;
    const char *elem; /* static spelling */
    const onshi__field *field[4]; /* per variant 0..3 (0: fits all) */
    const onshi__child *child;
    bool wrapper;
};
typedef struct onshi__sent onshi__sent;
const onshi__sent *onshi__schema_lookup(int parent, const char *elem);

/* The static schema spelling of an element name known under parent (field, child or
 * wrapper), or NULL: lets nodes share names instead of copying them. */
const char *onshi__schema_name(int parent, const char *elem);
const onshi__child *onshi__child_by_kind(int parent, int kind, int variant);
/* The rows of one group kind in document order. */
size_t onshi__items(int group, const onshi__item **out);

/* Code tables. */
const char *onshi__code_label(int table, const char *value, bool ja);
size_t onshi__code_count(void);
void onshi__code_at(size_t i, int *table, const char **value, const char **ja, const char **en);

/* The HTTPS extension documents (extdoc.c, docs/protocol.md §7-§8): a writer (the first
 * failure sticks; finish reports ONSHI_E_NOMEM), a reader of the texts of a flat root's
 * children (no DTD, no network; NULL or a static English reason), and base64. */
typedef struct onshi__xw {
    void *buf; /* xmlBufferPtr */
    void *w;   /* xmlTextWriterPtr */
    bool failed;
} onshi__xw;
int onshi__xw_begin(onshi__xw *d, bool standalone_no);
void onshi__xw_start(onshi__xw *d, const char *name);
void onshi__xw_attr(onshi__xw *d, const char *name, const char *value);
void onshi__xw_el(onshi__xw *d, const char *name, const char *value);
void onshi__xw_end(onshi__xw *d);
int onshi__xw_finish(onshi_ctx *ctx, onshi__xw *d, onshi_buf **out);
typedef struct onshi__xml_flat_item {
    const char *name;
    char *out;
    size_t cap;
} onshi__xml_flat_item;
const char *onshi__xml_flat_read(const void *data, size_t len, const char *root_name,
                                 const onshi__xml_flat_item *items, size_t n);
/* malloc'd NUL-terminated base64 of data (NULL without memory) / decode (0, or -1 when not
 * canonical base64 or larger than cap). */
char *onshi__base64_encode(const void *data, size_t n);
int onshi__base64_decode(const char *s, unsigned char *out, size_t cap, size_t *outlen);

/* JSON records (json.c, the codec owns JSON): an array of flat objects, built member by
 * member; the first failure sticks and finish reports it (ONSHI_E_NOMEM). finish frees w and
 * hands a buffer whose text is NUL-terminated behind len. */
typedef struct onshi__json_records onshi__json_records;
onshi__json_records *onshi__json_records_new(void);
void onshi__json_records_next(onshi__json_records *w); /* start the next object */
void onshi__json_records_str(onshi__json_records *w, const char *key, const char *value);
void onshi__json_records_num(onshi__json_records *w, const char *key, int64_t value);
int onshi__json_records_finish(onshi__json_records *w, onshi_ctx *ctx, onshi_buf **out);

/* Field validators (fields.c), the one place of each format rule; every workflow uses them.
 * s may be NULL (not valid). */
bool onshi__digits(const char *s, size_t n);  /* exactly n ASCII digits */
bool onshi__date8_ok(const char *s);           /* YYYYMMDD, a real day from 1868 on */
bool onshi__month6_ok(const char *s);          /* YYYYMM from 1868 on */
bool onshi__stamp14_ok(const char *s);         /* YYYYMMDDHHmmss */

/* Format check of a value for a field (not the check digit). NULL = fine, else a static
 * English reason. */
const char *onshi__format_problem(const onshi__field *f, const char *v, int *status);
/* Full check for writing: format, length, code value, check digits. */
int onshi__value_check(const onshi__field *f, const char *v, const char **why);

/* Request layouts (layouts.def). */
#define ONSHI__L_M 1
#define ONSHI__L_O 2
#define ONSHI__L_N 3
bool onshi__layout_has(int type);
int onshi__layout_flag(int type, int group, int item); /* 0 = not allowed */
typedef struct onshi__layout_row {
    int type, group, item, flag;
} onshi__layout_row;
size_t onshi__layout_rows(const onshi__layout_row **out);

/* ---- tree (tree.c) -------------------------------------------------------------------- */

typedef struct onshi__chunk onshi__chunk;
typedef struct onshi__arena {
    onshi__chunk *head;
    size_t used_total;
} onshi__arena;
void *onshi__arena_alloc(onshi__arena *a, size_t n);
char *onshi__arena_strndup(onshi__arena *a, const char *s, size_t n);
/* Free every chunk but the first (kept for reuse). */
void onshi__arena_reset(onshi__arena *a);
void onshi__arena_free(onshi__arena *a);
/* Number of chunks held (tests prove streaming stays at one). */
size_t onshi__arena_chunks(const onshi__arena *a);

typedef struct onshi__warning {
    int kind;
    char *path;
    char *text;
} onshi__warning;

/* The owner of a tree's memory and its warnings (a message, or one streamed unit). */
typedef struct onshi__doc {
    onshi__arena arena;
    onshi__warning *warn;
    size_t nwarn, capwarn;
    size_t warn_dropped; /* warnings over the per-doc cap, reported by onshi__warn_flush */
    bool oom; /* an allocation failed while building: the build returns ONSHI_E_NOMEM */
    bool in_unit;        /* a streamed BulkConfirmUnit: paths use unit_index */
    unsigned unit_index;
} onshi__doc;
void onshi__doc_reset(onshi__doc *d);
void onshi__doc_free(onshi__doc *d);

/* The rows of one kind of a group, in document order (directly or inside their wrapper):
 * onshi_group_at/count answer from it in O(1). Arena memory of the group's doc. */
typedef struct onshi__kidx {
    struct onshi__kidx *next;
    int kind;
    size_t n, cap;
    struct onshi_group **v;
} onshi__kidx;

struct onshi_group {
    const char *name; /* static schema string or arena copy */
    char *text;       /* leaf value (UTF-8), NULL for elements with children */
    struct onshi_group *parent, *first, *last, *next;
    onshi__doc *doc;
    int kind;         /* ONSHI_G_* or 0 (leaf, wrapper, unknown element) */
    int variant;
    unsigned idx;     /* index among same-named siblings (for paths) */
    unsigned line;
    bool wrapper;
    bool had_child;   /* an element child started (even a streamed, unlinked unit) */
    bool idx_ok;      /* idx is known (set when the row was indexed), no need to count */
    const struct onshi__sent *sent; /* schema entry of the name (reading only), or NULL */
    onshi__kidx *kidx; /* rows of a kind of this group (see onshi__node_set_kind) */
};

struct onshi_msg {
    onshi__doc doc;
    int type;
    onshi_group *root, *header, *body;
    unsigned char *attach;
    size_t attach_len;
    char *attach_name;
};

onshi_group *onshi__node_new(onshi__doc *d, onshi_group *parent, const char *name, size_t len);
/* Append a leaf or set its text (replacing an existing leaf of that name). */
int onshi__leaf_set(onshi_group *g, const char *name, const char *value, size_t len);
int onshi__group_add_row(onshi_group *g, const onshi__child *c, onshi_group **out);
onshi_group *onshi__child_find(const onshi_group *g, const char *name);
/* Append one more leaf `name` (a repeated field), after the existing children. */
int onshi__leaf_append(onshi_group *g, const char *name, const char *value, size_t len);
/* The same for field f, with its format check. */
int onshi__field_append(onshi_group *g, const onshi__field *f, const char *value);
/* Give a linked node its kind (ONSHI_G_*) and enter it in the index of its kind-effective
 * parent (onshi__group_of), so onshi_group_at/count never walk the children. Every linked
 * node that gets a kind goes through here; ONSHI_E_NOMEM when the index cannot grow. */
int onshi__node_set_kind(onshi_group *n, int kind);
/* The kind-effective parent of a node (skipping a wrapper). */
const onshi_group *onshi__group_of(const onshi_group *node);
int onshi__msg_alloc(onshi_msg **out, int type, bool skeleton);
/* Record a warning on the node's doc; path is built from the node. */
void onshi__warn(onshi_group *node, int kind, const char *fmt, ...) ONSHI__PRINTF(3, 4);
/* The same, past the per-doc cap of warnings (for the summary lines). */
void onshi__warn_forced(onshi_group *node, int kind, const char *fmt, ...) ONSHI__PRINTF(3, 4);
/* Add one warning counting those dropped over the cap, if any. */
void onshi__warn_flush(onshi_group *node);
/* Path of a node, "MessageBody/ResultList/ResultOfQualificationConfirmation[0]/Name". */
char *onshi__path(const onshi_group *node, unsigned unit_index, bool in_unit);
const char *onshi__warn_text(const onshi__doc *d, size_t i, int *kind, const char **path);

/* ---- characters (charset.c) ----------------------------------------------------------- */

#define ONSHI__ENC_UTF8 0
#define ONSHI__ENC_CP932 1

/* Per-decode character checker (JIS X 0208 membership through EUC-JP). */
typedef struct onshi__charcheck {
    onshi_ctx *ctx;
    onshi__cv_t eucjp; /* ONSHI__CV_NONE when unavailable: the check is skipped */
    /* BMP answers already known: names repeat the same characters unit after unit. */
    uint8_t known[8192], ok[8192];
} onshi__charcheck;
void onshi__charcheck_init(onshi__charcheck *c, onshi_ctx *ctx);
void onshi__charcheck_free(onshi__charcheck *c);
/* Warn on node for replacement marks and characters outside JIS X 0208. */
void onshi__charcheck_text(onshi__charcheck *c, onshi_group *node, const char *s);

/* Encoding detection from the first bytes: returns ONSHI__ENC_* or a negative status with
 * *why set. *bom = length of a UTF-8 BOM to skip. */
int onshi__detect_encoding(const unsigned char *p, size_t n, size_t *bom, char *why,
                           size_t whylen);
/* Position of the first invalid UTF-8 byte, or n when valid. `partial_ok`: an incomplete
 * sequence at the very end is not an error. */
size_t onshi__utf8_invalid_at(const unsigned char *p, size_t n, bool partial_ok);
/* Do the bytes at p look like one Shift_JIS character? like a UTF-8 multibyte one? */
bool onshi__looks_sjis(const unsigned char *p, size_t n);
bool onshi__looks_utf8_multibyte(const unsigned char *p, size_t n);
/* Convert CP932 text to UTF-8 (whole buffer). On failure *bad is the offending offset. */
int onshi__cp932_to_utf8(onshi_ctx *ctx, const unsigned char *p, size_t n, onshi_buf *out,
                         size_t *bad);
/* Converters kept per context (opened once, lazily; ctx may be NULL): take one, give it back. */
enum { ONSHI__CD_CP932_UTF8, ONSHI__CD_UTF8_EUCJP, ONSHI__CD_UTF8_CP932, ONSHI__CD_COUNT };
onshi__cv_t onshi__iconv_take(onshi_ctx *ctx, int which);
void onshi__iconv_give(onshi_ctx *ctx, int which, onshi__cv_t cd);
/* iconv_open calls made so far, process-wide (tests prove one per context). */
size_t onshi__iconv_opened(void);
/* Check that value can be written in CP932; on failure returns the code point. */
int onshi__cp932_unencodable(onshi__cv_t cd, const char *value, uint32_t *cp);
/* UTF-8 decode one code point; returns its length (0 at NUL, 1 on bad byte). */
size_t onshi__utf8_next(const char *s, uint32_t *cp);
size_t onshi__utf8_chars(const char *s);

/* ---- reading (read.c) ----------------------------------------------------------------- */

/* Source of bytes for the reader: memory or a file descriptor. */
typedef struct onshi__src {
    const unsigned char *mem;
    size_t mem_len;
    int fd; /* -1 for memory */
    bool streaming; /* bulk reader: size cap and memory budget per unit, not per file */
    /* memory only: bytes read before mem (a bulk result's header, to start at a unit) */
    const unsigned char *pre;
    size_t pre_len;
} onshi__src;

typedef struct onshi__xmlreader onshi__xmlreader;
int onshi__xmlreader_open(onshi_ctx *ctx, onshi__xmlreader **out, onshi__src src);
void onshi__xmlreader_free(onshi__xmlreader *r);
/* Read the whole document into msg's tree (msg->doc, root/header/body set). */
int onshi__xmlreader_all(onshi__xmlreader *r, onshi_msg *msg);
/* Streaming: read up to the first unit (header complete); then one unit per call. */
int onshi__xmlreader_until_unit(onshi__xmlreader *r, onshi_msg *msg);
int onshi__xmlreader_next_unit(onshi__xmlreader *r, onshi__doc *unit_doc, onshi_group **out);
int onshi__xmlreader_encoding(const onshi__xmlreader *r);

/* Guess the type of a decoded message from its content. */
int onshi__guess_type(const onshi_msg *msg);
/* After a decode: CharacterCodeIdentifier vs the bytes' encoding. */
void onshi__check_cci(onshi_msg *msg, int enc);

/* A message that is only bytes (a PDF result received over HTTPS): copied. */
int onshi__msg_from_attachment(onshi_msg **out, onshi_ctx *ctx, int type, const void *data,
                               size_t len, const char *filename);

/* ---- bulk results read from a unit on (decode.c) -------------------------------------
 * The byte offset of every BulkConfirmUnit start tag that is a child of XmlMsg/MessageBody,
 * found by a scan of the bytes (UTF-8 or Shift_JIS: '<', '>', '/' and quotes are never part of
 * a multibyte character in either); comments, PIs, CDATA and quoted values are skipped.
 * *off (malloc'd, NULL when none) receives *count offsets. ONSHI_E_NOMEM. The scan does not
 * parse: a caller checks what it reads at an offset (the unit's echo) before trusting it. */
int onshi__bulk_unit_offsets(const unsigned char *p, size_t n, size_t **off, size_t *count);
/* A bulk reader over data[0, prefix_len) (the header up to the first unit) followed by
 * data[at, len): its first onshi_bulk_reader_next is the unit starting at `at`. */
int onshi__bulk_reader_open_at(onshi_bulk_reader **out, onshi_ctx *ctx, const void *data,
                               size_t len, int type, size_t prefix_len, size_t at);

/* ---- search keys for matching a result to its request (match.c) --------------------- */
enum {
    ONSHI__MK_AFI,          /* header ArbitraryFileIdentifier */
    ONSHI__MK_INSURER,      /* insurer number (search info, registration info or header) */
    ONSHI__MK_SYMBOL,       /* 記号 */
    ONSHI__MK_NUMBER,       /* 番号 */
    ONSHI__MK_BRANCH,       /* 枝番 */
    ONSHI__MK_BIRTH,        /* birth date searched for (and its echo) */
    ONSHI__MK_PERSON_BIRTH, /* birth date of the persons in a qualification result */
    ONSHI__MK_RECEPTION,    /* bulk ReceptionNumber */
    ONSHI__MK_REFNUM,       /* 照会番号 being registered */
    ONSHI__MK_COUNT
};
typedef struct onshi__match_keys {
    char *v[ONSHI__MK_COUNT]; /* normalised values; NULL when the message has none */
} onshi__match_keys;
/* The keys of a request, or the echoed keys of a result, normalised alike (spaces and
 * full-width forms folded, number padding dropped). ONSHI_E_NOMEM. */
int onshi__msg_match_keys(const onshi_msg *m, onshi__match_keys *k);
/* The same from a header and a body group (either may be NULL): a streamed bulk result has
 * its header as a group and no body tree. */
int onshi__group_match_keys(onshi_group *h, onshi_group *b, onshi__match_keys *k);
/* Set one slot from a value the caller knows (normalised as above; NULL clears it).
 * ONSHI_E_NOMEM. */
int onshi__match_keys_set(onshi__match_keys *k, int slot, const char *v);
/* Wipe and free the values. */
void onshi__match_keys_clear(onshi__match_keys *k);
/* The element name of a key slot, for messages. */
const char *onshi__match_key_name(int slot);

#endif /* ONSHI_CODEC_H */
