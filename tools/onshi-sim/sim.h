/*
 * onshi-sim — simulator of the central オンライン資格確認等システム (HTTPS) and of the
 * terminal's linkage application (req/res/face folders). Test tooling, not part of the ABI.
 * Internal header shared by the files of tools/onshi-sim/.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SIM_H
#define ONSHI_SIM_H

#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <onshi.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request accepted (HTTPS body or request file). A bulk upload of 100,000
 * reservations is about 40 MB; the client accepts results up to its result_max_size (256 MiB
 * by default): the same bound here. */
#define SIM_MAX_REQUEST (256u * 1024 * 1024)

/* ---- faults (faults.c) ------------------------------------------------------------------ */
enum sim_fault_kind {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_LATENCY,   /* arg: milliseconds before answering */
    SIM_FAULT_RESET,     /* HTTPS: connection reset instead of a response */
    SIM_FAULT_TRUNCATE,  /* HTTPS: Content-Length of the whole body, half of it sent */
    SIM_FAULT_HTTP500,
    SIM_FAULT_HTTP503,
    SIM_FAULT_MALFORMED, /* result XML cut in the middle of an element */
    SIM_FAULT_WRONGENC,  /* declaration names the other encoding than the bytes */
    SIM_FAULT_SEG9,      /* SegmentOfResult 9 with ErrorCode (code) */
    SIM_FAULT_PROCESSING,/* bulk download answers SegmentOfResult 2 for ever */
    SIM_FAULT_HALF,      /* linkage: result written in two steps (arg ms between) */
    SIM_FAULT_DUPLICATE, /* linkage: the result is written again after arg ms */
    SIM_FAULT_ERR,       /* linkage: request copied to res + .err instead of a result */
    SIM_FAULT_UNTAKEN,   /* linkage: the request file is left in req, never answered */
    SIM_FAULT_WRONGPATIENT /* linkage: answers with the previous result of the same request
                            * kind (another patient's, another batch's), as a mixed-up
                            * terminal or a name clash would */
};

typedef struct sim_fault {
    int kind;
    long arg;
    char code[24];
} sim_fault;

/* Parses "name", "name=arg" ("seg9=CODE", "latency=200"). Returns 0 or -1. */
int sim_fault_parse(sim_fault *f, const char *spec);
const char *sim_fault_name(int kind);
/* Faults armed for the next N requests (control endpoint); thread-safe. */
void sim_fault_arm(const sim_fault *f, int count);
bool sim_fault_take_armed(sim_fault *out);

/* ---- registry (registry.c) --------------------------------------------------------------- */
int sim_db_open(sqlite3 **db, const char *path, bool create);
int sim_db_seed(sqlite3 *db);                     /* loads the embedded seed */
int sim_db_generate(sqlite3 *db, long n);         /* N synthetic persons, one transaction */
bool sim_checkdigit_ok(const char *digits);       /* 6- or 8-digit insurer / public expense */
char sim_checkdigit(const char *body);            /* the digit for body */
/* Normalises an insurer number of a request ("  123456", "00123456", "01130012") to the
 * stored digits; out gets "" when malformed. */
void sim_insurer_norm(const char *in, char *out, size_t n);
extern const char sim_seed_sql[];
extern const size_t sim_seed_sql_len;

/* ---- time ---------------------------------------------------------------------------------- */
/* The simulator's clock: Unix milliseconds, the real clock unless --now moved it. Every
 * date and time the simulator writes or compares is Japan Standard Time (UTC+9, no DST),
 * like the real system's, whatever TZ the machine has. */
int64_t sim_now_ms(void);
/* --now YYYYMMDDHHmmss (JST): the clock starts there and runs on. 0 ok, -1 malformed. */
int sim_clock_start_at(const char *jst14);
void sim_stamp(char out[15], int64_t ms);         /* YYYYMMDDHHmmss, JST */
int64_t sim_stamp_parse(const char *jst14);       /* Unix ms of a JST stamp, -1 malformed */
void sim_sleep_ms(long ms);

/* ---- configuration of one simulator run ------------------------------------------------- */
typedef struct sim_disaster {
    char pref[3];
    char from[9], to[9];   /* YYYYMMDD inclusive */
} sim_disaster;

typedef struct sim_env {
    sqlite3 *db;
    pthread_mutex_t lock;      /* one writer at a time on db */
    bool cp932;                /* result encoding: CP932 (CharacterCodeIdentifier 1) */
    long bulk_delay_ms;        /* processing delay of bulk downloads */
    bool zip;                  /* bulk 02res results as ZIP */
    sim_fault fault;           /* per-run fault */
    sim_disaster disaster[16];
    int n_disaster;
    char jpki_ca[512];         /* card authentication trust anchor */
    char revoked[512];         /* file of revoked card serials (hex, one per line) */
    long consent_hours;        /* validity of consents given at the reader */
    char methods[8];           /* IdentityVerificationMethod values allowed ("123") */
    long stay_seconds;         /* linkage: result stay time (ResponseFileStayTime) */
} sim_env;

void sim_env_init(sim_env *env);

/* ---- messages (xmlio.c, process.c, result.c) ------------------------------------------- */
/* A result being built with the simulator's own small XML writer (not the SDK's codec, so
 * that a mistake of the codec shows up as a disagreement): a tree of elements in the order
 * the simulator writes them, and the stack of open ones. */
#define SIM_W_DEPTH 16
typedef struct sim_node sim_node;
typedef struct sim_w {
    sim_node *header, *body;
    sim_node *stack[SIM_W_DEPTH];
    int depth;
    int skip; /* > 0 inside elements nested deeper than SIM_W_DEPTH (logged, not written) */
    int type;
} sim_w;
/* A parsed request: the document, its root, the effective fault. */
typedef struct sim_req {
    xmlDoc *doc;
    xmlNode *root;
    sim_fault fault;
    const char *client;   /* TLS client certificate CN ("1311234569 Test Clinic"), or "" */
    int restype;          /* ONSHI_MSG_* of the answer */
} sim_req;

/* Output of processing one request. */
typedef struct sim_out {
    unsigned char *data;
    size_t len;
    const char *ext;      /* "xml", "pdf", "zip" */
    const char *ctype;    /* MIME type */
    int status;           /* HTTP status for the HTTPS binding (200, 400, 404) */
} sim_out;

void sim_out_free(sim_out *o);

/* Parses request bytes (UTF-8 or Shift_JIS/CP932 per declaration; no DTD, no entities, no
 * network). Returns 0 or -1 with err. */
int sim_req_parse(sim_req *r, const unsigned char *data, size_t len, char *err, size_t errn);
void sim_req_free(sim_req *r);
/* Text of the first element at path ("MessageHeader/MedicalInstitutionCode") below base, trimmed
 * of surrounding spaces unless keep_space. Returns false when absent. */
bool sim_x(xmlNode *base, const char *path, char *out, size_t n);
xmlNode *sim_x_node(xmlNode *base, const char *path);
xmlNode *sim_x_next(xmlNode *n, const char *name);  /* next sibling element named name */

/* Processes one request of the file prefix (OQSsiquc01req, …, or the HTTPS extensions
 * "cardauth", "cardauth-challenge", "disaster"). Returns 0 (out filled) or -1 for a
 * file-level error (err: the text of a .err file / HTTP 400 body). */
int sim_process(sim_env *env, const char *prefix, const unsigned char *data, size_t len,
                sim_fault *fault, const char *client, sim_out *out, char *err, size_t errn);
#define SIM_E_FORBIDDEN (-2) /* MedicalInstitutionCode does not match the client certificate */
/* fault: in, the fault of the run or the HTTP request; out, the effective fault (a request may
 * name its own with ArbitraryFileIdentifier "SIMFAULT:name[=arg]"). */
int sim_w_refnum_outcome(sim_w *w, sim_env *env, const char *inst, xmlNode *info);
/* One bulk unit of a qualification inquiry; returns 1 when ProcessingResultStatus is 1. */
int sim_w_qual_unit(sim_w *w, sim_env *env, xmlNode *q, const char *qdate, const char *inst);
int sim_card_result(sim_env *env, int type, const char *id, const char *inst, const char *afi,
                    bool limit, bool disease, const sim_fault *fault, sim_out *out);
int sim_consent_give(sim_env *env, const char *id, const char *kind);
int sim_seg9(sim_env *env, sim_req *r, const char *code, const char *msg, sim_out *out);

/* The face-reader result for person_id with consents (comma list). */
int sim_face_result(sim_env *env, const char *person_id, const char *institution,
                    const char *consents, sim_out *out, char *err, size_t errn);

/* ---- writer helpers (xmlio.c) ------------------------------------------------------------- */
/* The result type (ONSHI_MSG_*_RES) answering a request prefix, 0 for none. */
int sim_restype(const char *prefix);
int sim_w_begin(sim_w *w, int type);
void sim_w_discard(sim_w *w);
void sim_w_hdr(sim_w *w, const char *name, const char *value); /* a header field, any time */
void sim_w_el(sim_w *w, const char *name, const char *value);     /* skipped when empty */
void sim_w_elf(sim_w *w, const char *name, const char *fmt, ...);
void sim_w_start(sim_w *w, const char *name);
void sim_w_end(sim_w *w);
/* Encodes the message with the codec (UTF-8 or CP932 with the matching declaration), frees
 * it, and applies the MALFORMED / WRONGENC faults to the bytes. */
int sim_w_finish(sim_w *w, bool cp932, const sim_fault *fault, sim_out *out);
/* Replaces characters the central system cannot carry (outside CP932) with ●. */
char *sim_jis_filter(const char *utf8);
/* Header start common to results. */
void sim_w_header(sim_w *w, sim_env *env, const char *qdate, const char *inst,
                  const char *afi, const char *refclass, const char *seg, const char *errcode,
                  const char *errmsg);

/* ---- person result (result.c) ------------------------------------------------------------- */
/* Writes one ResultOfQualificationConfirmation for the persons row `id`. limit_cons: include
 * 限度額 information (consent given now); inst: institution for 照会番号. */
int sim_w_person(sim_w *w, sim_env *env, const char *id, bool limit_cons, bool disease_cons,
                 const char *inst);
/* Finds persons by card numbers; ids get up to max ids; returns the count. */
int sim_find(sim_env *env, const char *insurer, const char *symbol, const char *number,
             const char *branch, const char *birth, char ids[][16], int max);
/* Validity (OQSCD006) of a found set on qdate. */
int sim_validity(sim_env *env, char ids[][16], int n, const char *qdate);

/* ---- bulk (bulk.c) ------------------------------------------------------------------------ */
int sim_bulk_upload(sim_env *env, const char *prefix, sim_req *r, sim_out *out);
int sim_bulk_download(sim_env *env, const char *prefix, sim_req *r, sim_out *out);

/* ---- info (info.c): drug / checkup, PDF ------------------------------------------------- */
int sim_info(sim_env *env, bool drug, sim_req *r, sim_out *out);
int sim_info_person(sim_env *env, bool drug, const char *id, const char *inst, const char *afi,
                    const char *from, const char *to, const char *cat, const sim_fault *fault,
                    sim_out *out);
int sim_pdf(const char *title, const char *const *lines, int n, sim_out *out);

/* ---- card authentication / disaster (cardauth.c, disaster.c) ----------------------------- */
int sim_card_challenge(sim_env *env, sim_req *r, sim_out *out);
int sim_card_auth(sim_env *env, sim_req *r, sim_out *out);
int sim_disaster_search(sim_env *env, sim_req *r, sim_out *out);
bool sim_disaster_open(sim_env *env, const char *pref, const char *date);

/* ---- zip (zip.c) --------------------------------------------------------------------------- */
int sim_zip_one(const char *name, const unsigned char *data, size_t len, sim_out *out);

/* ---- modes ---------------------------------------------------------------------------------- */
typedef struct sim_serve_opts {
    const char *listen, *cert, *key, *client_ca, *pidfile;
    int workers;
} sim_serve_opts;
int sim_serve(sim_env *env, const sim_serve_opts *o);
int sim_linkage(sim_env *env, const char *dir, long poll_ms, bool once_forever);
int sim_face_write(sim_env *env, const char *dir, const char *person, const char *institution,
                   const char *consents);
int sim_pki(const char *dir, sim_env *env);

/* ---- files (files.c) ----------------------------------------------------------------------- */
int sim_write_atomic(const char *dir, const char *name, const unsigned char *d, size_t n);
int sim_read_file(const char *path, unsigned char **data, size_t *len, size_t max);

/* Log one redacted line (stderr). */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
