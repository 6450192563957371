/*
 * Helpers of the PC/SC integration tests: start/stop onshi-vcard processes in the private
 * pcscd of harness.sh, wait for reader states (SCardGetStatusChange, never sleeping), send
 * APDUs, and check an APDU log against the JPKI allowlist.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_TEST_PCSC_UTIL_H
#define ONSHI_TEST_PCSC_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <winscard.h>

#define READER0 "Virtual PCD 00 00"
#define READER1 "Virtual PCD 00 01"

typedef struct vc_proc {
    pid_t pid;
    char name[64];
    char log[512];
    char pidfile[512];
    const char *reader;
} vc_proc;

/* Test material generated once per program with the test PKI: paths of the files and the
 * DER bytes of the auth and CA certificates. */
typedef struct vc_pki {
    char cert[512], key[512], ca[512];
    unsigned char *cert_der, *ca_der;
    size_t cert_len, ca_len;
} vc_pki;

const char *pt_rundir(void);
int pt_pki_make(vc_pki *pki);
void pt_pki_free(vc_pki *pki);

/* Start onshi-vcard in reader `reader` (READER0 or READER1) with the PKI files and the extra
 * arguments (NULL-terminated), and wait until the reader shows the card. Returns 0. */
int vc_start(vc_proc *p, SCARDCONTEXT ctx, const char *reader, const char *name,
             const vc_pki *pki, const char *const *extra);
/* Stop it by PID (SIGTERM, waitpid) and wait until the reader is empty. */
int vc_stop(vc_proc *p, SCARDCONTEXT ctx);
/* Wait (SCardGetStatusChange, bounded) until the reader does / does not hold a card. */
int pt_wait_card(SCARDCONTEXT ctx, const char *reader, int present, unsigned timeout_ms);

/* Send a command given in hex (spaces allowed); returns SW1SW2, or -1 (and *rv) on a PC/SC
 * failure. resp/resp_len may be NULL. */
int pt_xfer(SCARDHANDLE h, const char *hex, unsigned char *resp, size_t *resp_len, LONG *rv);
int pt_xfer_bin(SCARDHANDLE h, const unsigned char *cmd, size_t len, unsigned char *resp,
                size_t *resp_len, LONG *rv);
SCARDHANDLE pt_connect(SCARDCONTEXT ctx, const char *reader);

/* Read a whole EF of the current DF: 4-byte DER header first, then Le=00 chunks. */
int pt_read_ef(SCARDHANDLE h, unsigned short fid, unsigned char *out, size_t cap, size_t *len);

/* Scan an APDU log written by onshi-vcard with an allowlist independent of the card's own
 * flagging: every SELECT must be the JPKI AP by full AID, or EF 0006/000A/000B/0017/0018
 * while the JPKI AP is current. Counts APDU lines, SELECTs outside the allowlist, lines the
 * card flagged, and whether any VERIFY data appears unmasked. */
typedef struct pt_logscan {
    unsigned long apdus, selects, outside, flagged, mynumber, unmasked_verify;
    /* The commands in order by INS ("A4 B0 20 2A ..."), a SELECT with its target ("A4:AP",
     * "A4:000A"); "..." at the end when it did not fit. */
    char trace[1024];
} pt_logscan;
int pt_log_scan(const char *path, pt_logscan *out);
/* The one verdict on a card session's log: 1 when it could be read and shows no SELECT
 * outside the allowlist, no My Number access and no unmasked VERIFY; `strict` also wants at
 * least one APDU and nothing the card flagged. Otherwise 0, with the counts on stderr. */
int pt_log_clean(const char *path, int strict);

#endif
