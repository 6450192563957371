/*
 * Helpers of the PC/SC integration tests (see pcsc_util.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "pcsc_util.h"

#include "../../../tools/onshi-vcard/vcard_pki.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *pt_rundir(void)
{
    const char *d = getenv("ONSHI_PCSC_RUNDIR");
    return d != NULL ? d : "/tmp";
}

static int write_file(const char *path, const unsigned char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (f == NULL)
        return -1;
    ok = fwrite(d, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int pt_pki_make(vc_pki *pki)
{
    vcard_material m;
    const char *d = pt_rundir();
    memset(pki, 0, sizeof *pki);
    if (vcard_material_generate(&m, NULL) != 0)
        return -1;
    snprintf(pki->cert, sizeof pki->cert, "%s/card-auth.der", d);
    snprintf(pki->ca, sizeof pki->ca, "%s/jpki-ca.der", d);
    snprintf(pki->key, sizeof pki->key, "%s/card-auth.key.der", d);
    if (write_file(pki->cert, m.cert, m.cert_len) != 0 ||
        write_file(pki->ca, m.ca, m.ca_len) != 0 || write_file(pki->key, m.key, m.key_len) != 0) {
        vcard_material_free(&m);
        return -1;
    }
    pki->cert_der = m.cert;
    pki->cert_len = m.cert_len;
    pki->ca_der = m.ca;
    pki->ca_len = m.ca_len;
    m.cert = m.ca = NULL; /* moved */
    vcard_material_free(&m);
    return 0;
}

void pt_pki_free(vc_pki *pki)
{
    free(pki->cert_der);
    free(pki->ca_der);
    memset(pki, 0, sizeof *pki);
}

int pt_wait_card(SCARDCONTEXT ctx, const char *reader, int present, unsigned timeout_ms)
{
    SCARD_READERSTATE rs;
    struct timespec t0, t;
    DWORD wait = 0; /* the first call (state unaware) answers at once */
    memset(&rs, 0, sizeof rs);
    rs.szReader = reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long elapsed;
        LONG rv = SCardGetStatusChange(ctx, wait, &rs, 1);
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
            return -1;
        if (present ? (rs.dwEventState & SCARD_STATE_PRESENT) != 0
                    : (rs.dwEventState & SCARD_STATE_EMPTY) != 0)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &t);
        elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (elapsed >= (long)timeout_ms)
            return -1;
        wait = (DWORD)(timeout_ms - (unsigned long)elapsed);
        rs.dwCurrentState = rs.dwEventState; /* block until the next change */
    }
}

int vc_start(vc_proc *p, SCARDCONTEXT ctx, const char *reader, const char *name,
             const vc_pki *pki, const char *const *extra)
{
    const char *bin = getenv("ONSHI_VCARD");
    const char *argv[40];
    FILE *f;
    int n = 0, i;

    memset(p, 0, sizeof *p);
    p->reader = reader;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s/%s.apdu", pt_rundir(), name);
    snprintf(p->pidfile, sizeof p->pidfile, "%s/pids/%s.pid", pt_rundir(), name);
    if (bin == NULL) {
        fprintf(stderr, "ONSHI_VCARD is not set\n");
        return -1;
    }
    argv[n++] = bin;
    argv[n++] = "--vpcd";
    argv[n++] = strcmp(reader, READER1) == 0 ? "127.0.0.1:35964" : "127.0.0.1:35963";
    argv[n++] = "--cert";
    argv[n++] = pki->cert;
    argv[n++] = "--key";
    argv[n++] = pki->key;
    argv[n++] = "--ca";
    argv[n++] = pki->ca;
    argv[n++] = "--apdu-log";
    argv[n++] = p->log;
    for (i = 0; extra != NULL && extra[i] != NULL && n < 39; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    unlink(p->log);
    p->pid = fork();
    if (p->pid < 0)
        return -1;
    if (p->pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    /* The harness stops whatever is still listed here if the test dies first. */
    f = fopen(p->pidfile, "w");
    if (f != NULL) {
        fprintf(f, "%ld\n", (long)p->pid);
        fclose(f);
    }
    /* Wait in short steps so a card that dies at start-up fails the test at once. */
    for (i = 0; i < 75; i++) {
        int status;
        if (pt_wait_card(ctx, reader, 1, 200) == 0)
            return 0;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            fprintf(stderr, "onshi-vcard exited at start-up (status %d)\n", status);
            p->pid = 0;
            unlink(p->pidfile);
            return -1;
        }
    }
    fprintf(stderr, "%s never showed a card\n", reader);
    vc_stop(p, ctx);
    return -1;
}

int vc_stop(vc_proc *p, SCARDCONTEXT ctx)
{
    int status = 0;
    if (p->pid <= 0)
        return 0;
    kill(p->pid, SIGTERM);
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
    }
    p->pid = 0;
    unlink(p->pidfile);
    /* The card exits 0 on SIGTERM; anything else (a sanitizer report, a crash) fails. */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "onshi-vcard %s ended badly (status 0x%x)\n", p->name, status);
        pt_wait_card(ctx, p->reader, 0, 15000);
        return -1;
    }
    return pt_wait_card(ctx, p->reader, 0, 15000);
}

SCARDHANDLE pt_connect(SCARDCONTEXT ctx, const char *reader)
{
    SCARDHANDLE h = 0;
    DWORD proto = 0;
    if (SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h,
                     &proto) != SCARD_S_SUCCESS)
        return 0;
    return h;
}

int pt_xfer_bin(SCARDHANDLE h, const unsigned char *cmd, size_t len, unsigned char *resp,
                size_t *resp_len, LONG *rv)
{
    unsigned char buf[4096];
    DWORD n = sizeof buf;
    LONG r = SCardTransmit(h, SCARD_PCI_T1, cmd, (DWORD)len, NULL, buf, &n);
    if (rv != NULL)
        *rv = r;
    if (r != SCARD_S_SUCCESS || n < 2)
        return -1;
    if (resp != NULL)
        memcpy(resp, buf, n - 2);
    if (resp_len != NULL)
        *resp_len = n - 2;
    return buf[n - 2] << 8 | buf[n - 1];
}

static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex != '\0' && n < cap; hex++) {
        int v;
        if (*hex >= '0' && *hex <= '9')
            v = *hex - '0';
        else if (*hex >= 'A' && *hex <= 'F')
            v = *hex - 'A' + 10;
        else if (*hex >= 'a' && *hex <= 'f')
            v = *hex - 'a' + 10;
        else if (*hex == '*')
            v = 0;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int pt_xfer(SCARDHANDLE h, const char *hex, unsigned char *resp, size_t *resp_len, LONG *rv)
{
    unsigned char cmd[600];
    size_t n = unhex(hex, cmd, sizeof cmd);
    return pt_xfer_bin(h, cmd, n, resp, resp_len, rv);
}

int pt_read_ef(SCARDHANDLE h, unsigned short fid, unsigned char *out, size_t cap, size_t *len)
{
    unsigned char cmd[7] = {0x00, 0xA4, 0x02, 0x0C, 0x02, 0, 0};
    unsigned char rb[5] = {0x00, 0xB0, 0, 0, 0x04};
    size_t total, off = 0, got;
    int sw;
    cmd[5] = (unsigned char)(fid >> 8);
    cmd[6] = (unsigned char)fid;
    if ((sw = pt_xfer_bin(h, cmd, sizeof cmd, NULL, NULL, NULL)) != 0x9000)
        return sw;
    if ((sw = pt_xfer_bin(h, rb, sizeof rb, out, &got, NULL)) != 0x9000 || got != 4)
        return sw == 0x9000 ? -2 : sw;
    if (out[0] != 0x30 || out[1] != 0x82)
        return -3;
    total = ((size_t)out[2] << 8 | out[3]) + 4;
    if (total > cap)
        return -4;
    off = 4;
    while (off < total) {
        size_t want = total - off > 256 ? 256 : total - off;
        rb[2] = (unsigned char)(off >> 8);
        rb[3] = (unsigned char)off;
        rb[4] = (unsigned char)(want == 256 ? 0 : want);
        sw = pt_xfer_bin(h, rb, sizeof rb, out + off, &got, NULL);
        if (sw != 0x9000 || got != want)
            return sw == 0x9000 ? -5 : sw;
        off += got;
    }
    *len = total;
    return 0x9000;
}

static const unsigned char aid_jpki[10] = {0xD3, 0x92, 0xF0, 0x00, 0x26,
                                           0x01, 0x00, 0x00, 0x00, 0x01};

/* One command of the log (hex, VERIFY data masked) into s->trace. */
static void trace_add(pt_logscan *s, const char *hex, size_t len)
{
    char one[16];
    size_t used = strlen(s->trace);
    if (len < 8)
        snprintf(one, sizeof one, "??");
    else if (strncmp(hex + 2, "A4", 2) == 0 && strncmp(hex + 4, "04", 2) == 0)
        snprintf(one, sizeof one, "A4:AP");
    else if (strncmp(hex + 2, "A4", 2) == 0 && len >= 14)
        snprintf(one, sizeof one, "A4:%.4s", hex + 10);
    else
        snprintf(one, sizeof one, "%.2s", hex + 2);
    if (used + strlen(one) + 5 < sizeof s->trace)
        snprintf(s->trace + used, sizeof s->trace - used, "%s%s", used ? " " : "", one);
    else if (used + 4 < sizeof s->trace && strcmp(s->trace + used - 3, "...") != 0)
        strcat(s->trace, " ...");
}

int pt_log_scan(const char *path, pt_logscan *s)
{
    char line[70000];
    int jpki = 0;
    FILE *f = fopen(path, "r");
    memset(s, 0, sizeof *s);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned char cmd[300], rsp[8];
        char *sp = strchr(line, ' ');
        size_t n, rl, i;
        unsigned sw = 0;
        if (line[0] == '#' || sp == NULL)
            continue;
        s->apdus++;
        trace_add(s, line, (size_t)(sp - line));
        *sp = '\0';
        n = unhex(line, cmd, sizeof cmd);
        {
            char *rs = sp + 1, *end = strchr(rs, ' ');
            size_t l = end ? (size_t)(end - rs) : strcspn(rs, "\n");
            if (l >= 4) {
                rl = unhex(rs + l - 4, rsp, 2);
                if (rl == 2)
                    sw = (unsigned)rsp[0] << 8 | rsp[1];
            }
            if (strstr(rs, "FORBIDDEN") != NULL)
                s->flagged++;
            if (strstr(rs, "MYNUMBER-READ") != NULL)
                s->mynumber++;
        }
        if (n < 4)
            continue;
        if (cmd[1] == 0x20 && n > 5) {
            for (i = 10; i < strlen(line); i++)
                if (line[i] != '*')
                    s->unmasked_verify++;
        }
        if (cmd[1] != 0xA4)
            continue;
        s->selects++;
        if (cmd[2] == 0x04) {
            int is_jpki = n == 15 && cmd[4] == 10 && memcmp(cmd + 5, aid_jpki, 10) == 0;
            if (!is_jpki)
                s->outside++;
            if (sw == 0x9000)
                jpki = is_jpki;
        } else if (cmd[2] == 0x02 && n == 7 && cmd[4] == 2) {
            unsigned fid = (unsigned)cmd[5] << 8 | cmd[6];
            if (!jpki || !(fid == 0x0006 || fid == 0x000A || fid == 0x000B || fid == 0x0017 ||
                           fid == 0x0018))
                s->outside++;
        } else {
            s->outside++;
        }
    }
    fclose(f);
    return 0;
}

int pt_log_clean(const char *path, int strict)
{
    pt_logscan s;
    if (pt_log_scan(path, &s) != 0) {
        fprintf(stderr, "    APDU log %s cannot be read\n", path);
        return 0;
    }
    int clean = s.outside == 0 && s.mynumber == 0 && s.unmasked_verify == 0 &&
                (!strict || (s.apdus > 0 && s.flagged == 0));
    if (!clean)
        fprintf(stderr, "    APDU log %s: apdus %lu, outside %lu, flagged %lu, mynumber %lu, "
                "unmasked VERIFY %lu\n", path, s.apdus, s.outside, s.flagged, s.mynumber,
                s.unmasked_verify);
    return clean;
}
