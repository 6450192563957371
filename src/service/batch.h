/*
 * service/ — internal interface between the files of the batch workflow (一括照会 and the
 * other two-phase bulk requests, docs/workflow-batch.md):
 *   batch_model.c     the object, its entries, its request documents, the accessors
 *   batch_validate.c  the local checks before a batch is saved
 *   batch_store.c     the batch store: every SQL statement of the batch tables
 *   batch_run.c       save, run (upload, download, matching), open, resume
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_SERVICE_BATCH_H
#define ONSHI_SERVICE_BATCH_H

#include "service/service.h"

#include "codec/codec.h"

#include <stdbool.h>

/* One entry (one patient) of a batch, or one unit of a query batch's answer. */
typedef struct onshi__batch_entry {
    char *pid;
    char *insurer, *symbol, *number, *branch, *birth, *refnum;
    int limit;
    int outcome;
    int unit; /* index of the BulkConfirmUnit in the result, -1 none */
    char *code, *message;
} onshi__batch_entry;

struct onshi_batch {
    onshi_ctx *ctx;
    int kind;
    int phase;
    int transport;
    char id[ONSHI_BATCH_ID_SIZE];
    char *institution;
    onshi__batch_entry *e;
    size_t n, cap;
    char *reception;
    int64_t polls;
    char *fail_message;
    int fail_status;
    unsigned char *raw; /* stored 02res bytes (DONE) */
    size_t raw_len;
    onshi_msg *res;     /* raw decoded whole: only when units cannot be read one by one */
    /* Units read one at a time from raw (onshi_batch_unit): the offset of each unit, a
     * reader standing after unit cur_ord (cur_unit, valid until another unit is read). */
    size_t *unit_off;
    size_t unit_count;
    int units_state;    /* 0 not scanned yet, 1 offsets usable, -1 decode whole (res) */
    onshi_bulk_reader *cur;
    onshi_group *cur_unit;
    bool cur_checked;   /* cur_unit was checked against the entry it answers */
    size_t cur_ord, cur_next;
    char *q_from, *q_to; /* query batches: period (YYYYMMDD) or month (YYYYMM, q_to NULL) */
    int q_exam;          /* ONLINE: the period is of examinations, not of consents */
};

/* ---- model (batch_model.c) ---- */

/* A batch that asks the system for a list (no entries of ours): consent bulk, 医療扶助. */
int onshi__batch_is_query(int kind);
/* The upload request type of a kind; its download request is two after it. */
int onshi__batch_up_type(int kind);
int onshi__batch_down_type(int kind);
void onshi__batch_entry_clear(onshi__batch_entry *x);
/* Append *x (its strings are taken over); ONSHI_E_NOMEM leaves *x to the caller. */
int onshi__batch_add_entry(onshi_batch *b, onshi__batch_entry *x);
/* The search (or registration) group of one entry. */
void onshi__batch_set_search(onshi_group *g, const onshi__batch_entry *x, int kind);
/* The upload document of the whole list / the download request of the reception number. */
int onshi__batch_build_upload(onshi_msg **out, onshi_batch *b);
int onshi__batch_build_download(onshi_buf **out, onshi_batch *b);
/* The matching key of an entry, and of a unit's echo (0: the unit carries none). */
void onshi__batch_entry_key(char *out, size_t size, const onshi__batch_entry *x, int kind);
int onshi__batch_unit_key(char *out, size_t size, onshi_group *u, int kind);
/* A hash index over an array of strings (the caller's; not copied), so that finding repeated
 * patient ids and matching 100,000 result units to their entries stay linear (issue 17: the
 * sorts they replace grew n log n). Slots hold indices into the array. */
typedef struct onshi__strhash {
    size_t *slot; /* index + 1; 0: empty */
    size_t mask;
} onshi__strhash;
/* Room for n strings. ONSHI_E_NOMEM. */
int onshi__strhash_init(onshi__strhash *h, size_t n);
void onshi__strhash_free(onshi__strhash *h);
/* Index keys[i]: returns i, or the index already holding an equal string (then nothing is
 * added). */
size_t onshi__strhash_put(onshi__strhash *h, const char *const *keys, size_t i);
/* The index holding `key`, or SIZE_MAX. */
size_t onshi__strhash_get(const onshi__strhash *h, const char *const *keys, const char *key);
/* Forget the unit reader and offsets (raw replaced or freed). */
void onshi__batch_units_reset(onshi_batch *b);
/* The test hook (service.h) at a persisted step. */
void onshi__batch_hook(onshi_batch *b, const char *point);

/* ---- the batch store (batch_store.c) ----
 * The only file that knows the batch tables (batch_run, batch_patient) and SQL. Every call
 * records its error in the context. */

/* The run row's mutable columns. */
typedef struct onshi__batch_row {
    int phase;
    int64_t send_ms, send_pid, polls;
    char *send_host, *up_file_id, *down_file_id, *consume_id, *reception;
    int have_send;
} onshi__batch_row;

void onshi__batch_row_clear(onshi__batch_row *w);

/* The two request slots of a run: the upload's and the current download's file id. */
typedef enum { ONSHI__BATCH_SLOT_UP, ONSHI__BATCH_SLOT_DOWN } onshi__batch_slot;

/* Insert the saved batch (b->id set) with its entries, in one transaction, phase UPLOAD;
 * first drops finished batches older than ONSHI_OPT_CONSUMED_KEEP_HOURS. */
int onshi__batch_store_insert(onshi_batch *b);
/* Load the run row of b->id. */
int onshi__batch_store_load_row(onshi_batch *b, onshi__batch_row *w);
/* Fill a new object from the row of `id` (b->ctx set); ONSHI_E_NOT_FOUND when unknown. */
int onshi__batch_store_open(onshi_batch *b, const char *id);
/* The first unfinished batch id after `after` (ONSHI_E_NOT_FOUND, not recorded, when none). */
int onshi__batch_store_next_unfinished(onshi_ctx *ctx, const char *after, char *id_out,
                                       size_t id_size);
/* The pending file request of `type` that this host/pid created after the mark of w and that
 * no batch names ("" when none). */
int onshi__batch_store_adopt(onshi_batch *b, const onshi__batch_row *w, int type,
                             char id_out[ONSHI_FILE_ID_SIZE]);
/* Mark the run "sending" (now, host, pid). */
int onshi__batch_store_mark(onshi_batch *b, const char *host, int64_t pid);
/* Name the request of a slot (NULL: none) and clear the sending mark. */
int onshi__batch_store_set_request(onshi_batch *b, onshi__batch_slot slot, const char *id);
/* Forget the request of a slot (never became visible: it is sent again). */
int onshi__batch_store_drop_request(onshi_batch *b, onshi__batch_slot slot);
/* The request of a slot was answered by an error file: it becomes the one to consume. */
int onshi__batch_store_consume_request(onshi_batch *b, onshi__batch_slot slot);
/* The result file still to consume (NULL: consumed). */
int onshi__batch_store_set_consume(onshi_batch *b, const char *consume_id);
/* A download was answered (still processing or failed): no current download, consume_id. */
int onshi__batch_store_download_answered(onshi_batch *b, const char *consume_id);
/* The reception number: phase POLL, no upload request, consume_id to consume. */
int onshi__batch_store_reception(onshi_batch *b, const char *number, const char *time,
                                 const char *consume_id);
/* The download count. */
int onshi__batch_store_polls(onshi_batch *b, int64_t polls);
/* Phase FAILED with the status and message. */
int onshi__batch_store_fail(onshi_batch *b, int status, const char *message);
/* The entries' outcomes (inserted for a query batch), the raw result, phase DONE and the
 * result file to consume, in one transaction. */
int onshi__batch_store_results(onshi_batch *b, const unsigned char *data, size_t len,
                               const char *consume_id);

#endif
