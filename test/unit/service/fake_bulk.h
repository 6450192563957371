/*
 * Test double of the linkage app for the two-phase bulk protocol: a thread that takes every
 * request file from req/, and answers an upload (…01req) with a reception number, a download
 * (…02req) with "still processing" (SegmentOfResult 2) `still` times per reception, then with
 * the final result: one BulkConfirmUnit per uploaded entry, in REVERSE order (the engine must
 * match by the echo, not by position). The outcome of an entry follows the last digit of its
 * 番号: 1 valid (one person), 2 invalid, 4 not found, 5 several (two persons), 9 processing
 * error (code EBULK009), anything else valid. It records every request file name it took, so
 * a test can prove none was written twice.
 * Faults for "never the wrong patient" (test_foreign_result): `echo_header` makes result
 * headers echo the upload's ArbitraryFileIdentifier and the ReceptionNumber, as the real system
 * does; `swap_reception` (1-based, 0 off) answers every download with that reception's final
 * result instead (another batch's answer); `wrong_afi` answers uploads with another
 * ArbitraryFileIdentifier.
 * Header-only so each test program carries its own copy.
 */
#ifndef FAKE_BULK_H
#define FAKE_BULK_H

#include "onshi.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FB_MAX_RECEPTIONS 64
#define FB_MAX_ENTRIES 512 /* test_linear_batch runs 500 */
#define FB_MAX_NAMES 4096

typedef struct fb_entry {
    char f[6][64]; /* qualification: insurer symbol number branch birth limit; refnum: refnum insurer symbol number branch */
} fb_entry;

typedef struct fb_reception {
    int kind; /* 1 qualification, 2 refnum, 3 a query (consent / 医療扶助) */
    char query[128]; /* query: the period or month and flag asked for */
    char afi[64];    /* the upload's ArbitraryFileIdentifier */
    int n;
    fb_entry e[FB_MAX_ENTRIES];
    int polls;
} fb_reception;

typedef struct fake_bulk {
    char req[512], res[512];
    int still;               /* "still processing" answers per reception */
    int upload_error;        /* answer uploads with SegmentOfResult 9 */
    int echo_header;         /* headers echo ArbitraryFileIdentifier and ReceptionNumber */
    int swap_reception;      /* 1-based: every download answered with this reception's result */
    int wrong_afi;           /* uploads answered with another ArbitraryFileIdentifier */
    atomic_int stop;
    atomic_int uploads, downloads, dup_names;
    pthread_mutex_t mu;
    fb_reception rec[FB_MAX_RECEPTIONS];
    int nrec;
    char names[FB_MAX_NAMES][128];
    int nnames;
    pthread_t th;
} fake_bulk;

static inline void fb_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void fb_write(fake_bulk *fb, const char *name, const char *text)
{
    char tmp[1024], dst[1024];
    snprintf(tmp, sizeof tmp, "%s/~%s.part", fb->res, name);
    snprintf(dst, sizeof dst, "%s/%s", fb->res, name);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
    rename(tmp, dst);
}

static inline void fb_hdr(char *out, size_t size, const char *seg, const char *extra)
{
    snprintf(out, size,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader>"
             "<ProcessExecutionTime>20251125093000</ProcessExecutionTime>"
             "<MedicalInstitutionCode>1311234569</MedicalInstitutionCode>%s"
             "<SegmentOfResult>%s</SegmentOfResult>"
             "<CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader>",
             extra, seg);
}

static inline void fb_upload(fake_bulk *fb, onshi_ctx *ctx, const char *name, const char *path,
                             int kind)
{
    onshi_msg *m = NULL;
    char resname[128], *doc;
    snprintf(resname, sizeof resname, "%s", name);
    memcpy(strstr(resname, "req_"), "res", 3);
    doc = malloc(4096);
    if (onshi_msg_decode_file(&m, ctx, path) != ONSHI_OK) {
        fb_hdr(doc, 4096, "9", "<ErrorCode>EFAKE01</ErrorCode><ErrorMessage>broken</ErrorMessage>");
        strcat(doc, "<MessageBody/></XmlMsg>\n");
        fb_write(fb, resname, doc);
        free(doc);
        return;
    }
    pthread_mutex_lock(&fb->mu);
    int r = fb->nrec++;
    fb_reception *rc = &fb->rec[r];
    memset(rc, 0, sizeof *rc);
    rc->kind = kind;
    const char *afi = NULL;
    onshi_group_get_str(&afi, onshi_msg_header(m), ONSHI_F_ARBITRARY_FILE_IDENTIFIER);
    snprintf(rc->afi, sizeof rc->afi, "%s", afi ? afi : "");
    onshi_group *body = onshi_msg_body(m);
    int gk = kind == 2 ? ONSHI_G_REFNUM : ONSHI_G_SEARCH;
    size_t n = kind == 3 ? 0 : onshi_group_count(body, gk);
    if (kind == 3) {
        /* record what was asked; the system's answer is three fabricated persons */
        const char *a = NULL, *z = NULL, *flag = NULL, *month = NULL;
        onshi_group *g = NULL;
        if (onshi_group_at(&g, body, ONSHI_G_SEARCH, 0) == ONSHI_OK && g) {
            if (onshi_group_get_str(&a, g, ONSHI_F_CONSENT_DATE_FROM) != ONSHI_OK)
                onshi_group_get_str(&a, g, ONSHI_F_EXAMINATION_DATE_FROM);
            if (onshi_group_get_str(&z, g, ONSHI_F_CONSENT_DATE_TO) != ONSHI_OK)
                onshi_group_get_str(&z, g, ONSHI_F_EXAMINATION_DATE_TO);
            onshi_group_get_str(&flag, g, ONSHI_F_SEARCH_MEDICAL_TREATMENT_FLAG);
            /* 医療扶助: the month inside QualificationConfirmSearchInfo, where the production
             * tool OQSDrug2 writes it */
            onshi_group_get_str(&month, g, ONSHI_F_SEARCH_MEDICAL_TREATMENT_MONTH);
        }
        snprintf(rc->query, sizeof rc->query, "%s-%s-%s-%s", a ? a : "", z ? z : "",
                 flag ? flag : "", month ? month : "");
        for (int i = 0; i < 3; i++) {
            snprintf(rc->e[i].f[0], sizeof rc->e[i].f[0], "01130012");
            snprintf(rc->e[i].f[2], sizeof rc->e[i].f[2], "900%d", i == 2 ? 2 : 1);
            snprintf(rc->e[i].f[4], sizeof rc->e[i].f[4], "19500101");
        }
        rc->n = 3;
    }
    static const int qf[6] = {ONSHI_F_SEARCH_INSURER_NUMBER, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL,
                              ONSHI_F_SEARCH_INSURED_ID_NUMBER,
                              ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, ONSHI_F_SEARCH_BIRTHDATE,
                              ONSHI_F_SEARCH_LIMIT_CONS_FLG};
    static const int rf[6] = {ONSHI_F_REG_REFERENCE_NUMBER, ONSHI_F_REG_INSURER_NUMBER,
                              ONSHI_F_REG_INSURED_CARD_SYMBOL, ONSHI_F_REG_INSURED_ID_NUMBER,
                              ONSHI_F_REG_INSURED_BRANCH_NUMBER, 0};
    for (size_t i = 0; i < n && i < FB_MAX_ENTRIES; i++) {
        onshi_group *g = NULL;
        onshi_group_at(&g, body, gk, i);
        for (int k = 0; k < 6; k++) {
            const char *v = NULL;
            int fid = kind == 2 ? rf[k] : qf[k];
            if (fid)
                onshi_group_get_str(&v, g, fid);
            snprintf(rc->e[i].f[k], sizeof rc->e[i].f[k], "%s", v ? v : "");
        }
        rc->n++;
    }
    pthread_mutex_unlock(&fb->mu);
    onshi_msg_free(m);
    if (fb->upload_error) {
        fb_hdr(doc, 4096, "9",
               "<ErrorCode>EQS0099</ErrorCode><ErrorMessage>一括照会を受け付けできません</ErrorMessage>");
        strcat(doc, "<MessageBody/></XmlMsg>\n");
    } else {
        char hdr[2048], extra[200] = "";
        if (fb->echo_header || fb->wrong_afi)
            snprintf(extra, sizeof extra, "<ArbitraryFileIdentifier>%s</ArbitraryFileIdentifier>",
                     fb->wrong_afi ? "B20990101000000-000000000000" : rc->afi);
        fb_hdr(hdr, sizeof hdr, "1", extra);
        snprintf(doc, 4096,
                 "%s<MessageBody><ReceptionNumber>R%06d</ReceptionNumber>"
                 "<ReceptionDateTime>20251125093000</ReceptionDateTime></MessageBody></XmlMsg>\n",
                 hdr, r + 1);
    }
    fb_write(fb, resname, doc);
    free(doc);
}

static inline void fb_person(char *out, size_t size, const fb_entry *x, const char *name)
{
    snprintf(out, size,
             "<ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>"
             "<InsurerNumber>%s</InsurerNumber><InsuredIdentificationNumber>%s</InsuredIdentificationNumber>"
             "<Name>%s</Name><Birthdate>%s</Birthdate></ResultOfQualificationConfirmation>",
             x->f[0], x->f[2], name, x->f[4]);
}

static inline void fb_download(fake_bulk *fb, onshi_ctx *ctx, const char *name, const char *path)
{
    onshi_msg *m = NULL;
    char resname[128];
    snprintf(resname, sizeof resname, "%s", name);
    memcpy(strstr(resname, "req_"), "res", 3);
    const char *rn = NULL;
    int r = -1;
    if (onshi_msg_decode_file(&m, ctx, path) == ONSHI_OK &&
        onshi_group_get_str(&rn, onshi_msg_body(m), ONSHI_F_RECEPTION_NUMBER) == ONSHI_OK && rn)
        r = atoi(rn + 1) - 1;
    onshi_msg_free(m);
    size_t cap = ((size_t)1 << 16) + (size_t)FB_MAX_ENTRIES * 3072; /* every unit fits */
    char *doc = malloc(cap), hdr[2048], extra[300] = "";
    pthread_mutex_lock(&fb->mu);
    if (fb->swap_reception > 0 && r >= 0 && r < fb->nrec) {
        r = fb->swap_reception - 1; /* another batch's answer */
        fb->rec[r].polls = fb->still;
    }
    if (fb->echo_header && r >= 0 && r < fb->nrec)
        snprintf(extra, sizeof extra,
                 "<ArbitraryFileIdentifier>%s</ArbitraryFileIdentifier>"
                 "<ReceptionNumber>R%06d</ReceptionNumber>",
                 fb->rec[r].afi, r + 1);
    if (r < 0 || r >= fb->nrec) {
        fb_hdr(doc, cap, "9", "<ErrorCode>EFAKE02</ErrorCode><ErrorMessage>unknown reception</ErrorMessage>");
        strcat(doc, "<MessageBody/></XmlMsg>\n");
    } else if (fb->rec[r].polls++ < fb->still) {
        fb_hdr(doc, cap, "2", extra);
        strcat(doc, "<MessageBody/></XmlMsg>\n");
    } else {
        fb_reception *rc = &fb->rec[r];
        fb_hdr(hdr, sizeof hdr, "1", extra);
        size_t len = (size_t)snprintf(doc, cap, "%s<MessageBody>", hdr);
        for (int i = rc->kind == 3 ? 0 : rc->n - 1; rc->kind == 3 ? i < rc->n : i >= 0;
             rc->kind == 3 ? i++ : i--) {
            const fb_entry *x = &rc->e[i];
            char echo[1024], unit[4096], p1[1024] = "", p2[1024] = "";
            const char *num = rc->kind == 2 ? x->f[3] : x->f[2];
            char last = num[0] ? num[strlen(num) - 1] : '1';
            if (rc->kind == 3)
                echo[0] = '\0';
            else if (rc->kind == 2)
                snprintf(echo, sizeof echo,
                         "<ReferenceNumberRegistrationInfo><ReferenceNumber>%s</ReferenceNumber>"
                         "<InsurerNumber>%s</InsurerNumber>%s%s%s<InsuredIdentificationNumber>%s"
                         "</InsuredIdentificationNumber>%s%s%s</ReferenceNumberRegistrationInfo>",
                         x->f[0], x->f[1], x->f[2][0] ? "<InsuredCardSymbol>" : "", x->f[2],
                         x->f[2][0] ? "</InsuredCardSymbol>" : "", x->f[3],
                         x->f[4][0] ? "<InsuredBranchNumber>" : "", x->f[4],
                         x->f[4][0] ? "</InsuredBranchNumber>" : "");
            else
                snprintf(echo, sizeof echo,
                         "<QualificationConfirmSearchInfo><InsurerNumber>%s</InsurerNumber>%s%s%s"
                         "<InsuredIdentificationNumber>%s</InsuredIdentificationNumber>%s%s%s"
                         "<Birthdate>%s</Birthdate></QualificationConfirmSearchInfo>",
                         x->f[0], x->f[1][0] ? "<InsuredCardSymbol>" : "", x->f[1],
                         x->f[1][0] ? "</InsuredCardSymbol>" : "", x->f[2],
                         x->f[3][0] ? "<InsuredBranchNumber>" : "", x->f[3],
                         x->f[3][0] ? "</InsuredBranchNumber>" : "", x->f[4]);
            const char *status = "1", *validity = "1", *code = "", *msg = "";
            if (rc->kind != 2 && (last == '1' || last == '5'))
                fb_person(p1, sizeof p1, x, "見本　一郎");
            if (rc->kind == 1 && last == '5')
                fb_person(p2, sizeof p2, x, "見本　二郎");
            if (last == '2')
                validity = "2";
            else if (last == '4')
                validity = "4";
            else if (last == '5')
                validity = "5";
            else if (last == '9') {
                status = "2";
                code = "EBULK009";
                msg = "照会できませんでした";
            }
            char codes[512] = "";
            if (*code)
                snprintf(codes, sizeof codes,
                         "<ProcessingResultCode>%s</ProcessingResultCode>"
                         "<ProcessingResultMessage>%s</ProcessingResultMessage>",
                         code, msg);
            char val[80] = "";
            if (rc->kind != 2 && *code == '\0')
                snprintf(val, sizeof val, "<QualificationValidity>%s</QualificationValidity>",
                         validity);
            snprintf(unit, sizeof unit,
                     "<BulkConfirmUnit>%s<ProcessingResultStatus>%s</ProcessingResultStatus>%s%s%s%s"
                     "</BulkConfirmUnit>",
                     echo, status, codes, val, p1, p2);
            if (len + strlen(unit) + 64 < cap) {
                memcpy(doc + len, unit, strlen(unit) + 1);
                len += strlen(unit);
            }
        }
        strcat(doc, "</MessageBody></XmlMsg>\n");
    }
    pthread_mutex_unlock(&fb->mu);
    fb_write(fb, resname, doc);
    free(doc);
}

static inline void fb_note_name(fake_bulk *fb, const char *name)
{
    pthread_mutex_lock(&fb->mu);
    for (int i = 0; i < fb->nnames; i++)
        if (strcmp(fb->names[i], name) == 0)
            atomic_fetch_add(&fb->dup_names, 1);
    if (fb->nnames < FB_MAX_NAMES)
        snprintf(fb->names[fb->nnames++], sizeof fb->names[0], "%s", name);
    pthread_mutex_unlock(&fb->mu);
}

static inline void *fb_main(void *arg)
{
    fake_bulk *fb = arg;
    onshi_ctx *ctx = NULL;
    onshi_ctx_new(&ctx);
    while (!atomic_load(&fb->stop)) {
        DIR *d = opendir(fb->req);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            const char *nm = e->d_name;
            size_t l = strlen(nm);
            if (nm[0] == '.' || l < 5 || strcmp(nm + l - 4, ".xml") != 0 ||
                strstr(nm, "req_") == NULL)
                continue;
            char path[1024], name[128];
            snprintf(path, sizeof path, "%s/%s", fb->req, nm);
            snprintf(name, sizeof name, "%s", nm);
            /* Read first, then take (delete), as the linkage app does. */
            char copy[1100];
            snprintf(copy, sizeof copy, "%s.taken", path);
            if (rename(path, copy) != 0)
                continue;
            fb_note_name(fb, name);
            if (strncmp(name, "OQSmu", 5) == 0 && strncmp(name + 8, "01", 2) == 0) {
                atomic_fetch_add(&fb->uploads, 1);
                fb_upload(fb, ctx, name, copy,
                          strncmp(name, "OQSmuimm", 8) == 0   ? 2
                          : strncmp(name, "OQSmuquc", 8) == 0 ? 1
                                                              : 3);
            } else if (strncmp(name, "OQSmu", 5) == 0 && strncmp(name + 8, "02", 2) == 0) {
                atomic_fetch_add(&fb->downloads, 1);
                fb_download(fb, ctx, name, copy);
            }
            unlink(copy);
        }
        if (d)
            closedir(d);
        fb_sleep_ms(1);
    }
    onshi_ctx_free(ctx);
    return NULL;
}

static inline void fb_start(fake_bulk *fb, const char *req, const char *res, int still)
{
    memset(fb, 0, sizeof *fb);
    snprintf(fb->req, sizeof fb->req, "%s", req);
    snprintf(fb->res, sizeof fb->res, "%s", res);
    fb->still = still;
    pthread_mutex_init(&fb->mu, NULL);
    pthread_create(&fb->th, NULL, fb_main, fb);
}

static inline void fb_stop(fake_bulk *fb)
{
    atomic_store(&fb->stop, 1);
    pthread_join(fb->th, NULL);
    pthread_mutex_destroy(&fb->mu);
}

#endif
