/*
 * bench/codec: libonshi's decoders against a bare libxml2 xmlTextReader pass over the same
 * bytes, in pairs (the two alternate; each pair gives a ratio: min / median / max reported);
 * standalone processes (`codec child MODE FILE` is the whole program, measured by wait4: wall,
 * CPU, peak RSS) from 1,000 to 1,000,000 units for the scaling plot; encode throughput.
 * Prints numbers; asserts nothing. With a file argument, appends raw lines for the report.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "onshi.h"

#include <libxml/xmlreader.h>

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A growable byte buffer for the generated documents (the bench uses onshi.h only). */
typedef struct bbuf {
    unsigned char *data;
    size_t len, cap;
} bbuf;

static void bb_init(bbuf *b)
{
    memset(b, 0, sizeof *b);
}

static void bb_reserve(bbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (p == NULL) {
        fprintf(stderr, "bench/codec: out of memory\n");
        exit(1);
    }
    b->data = p;
    b->cap = cap;
}

static void bb_append(bbuf *b, const void *p, size_t n)
{
    bb_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void bb_append_str(bbuf *b, const char *s)
{
    bb_append(b, s, strlen(s));
}

static void bb_printf(bbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bb_printf(bbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    bb_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void bb_clear(bbuf *b)
{
    free(b->data);
    bb_init(b);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: what a pair compares (wall time on a shared machine is mostly the
 * other processes). */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char UNIT_FMT[] =
    "    <BulkConfirmUnit>\n      <QualificationConfirmSearchInfo>\n"
    "        <InsurerNumber>  138016</InsurerNumber>\n        <InsuredCardSymbol>１２－３４</InsuredCardSymbol>\n"
    "        <InsuredIdentificationNumber>%d</InsuredIdentificationNumber>\n        <InsuredBranchNumber>01</InsuredBranchNumber>\n"
    "        <Birthdate>19800401</Birthdate>\n      </QualificationConfirmSearchInfo>\n"
    "      <ProcessingResultStatus>1</ProcessingResultStatus>\n      <QualificationValidity>1</QualificationValidity>\n"
    "      <ResultOfQualificationConfirmation>\n        <InsuredCardClassification>01</InsuredCardClassification>\n"
    "        <InsurerNumber>  138016</InsurerNumber>\n        <InsuredCardSymbol>１２－３４</InsuredCardSymbol>\n"
    "        <InsuredIdentificationNumber>%d</InsuredIdentificationNumber>\n        <InsuredBranchNumber>01</InsuredBranchNumber>\n"
    "        <PersonalFamilyClassification>1</PersonalFamilyClassification>\n        <Name>見本　花子</Name>\n"
    "        <NameKana>ﾐﾎﾝ ﾊﾅｺ</NameKana>\n        <Sex1>2</Sex1>\n        <Birthdate>19800401</Birthdate>\n"
    "        <Address>東京都千代田区千代田１－１</Address>\n        <PostNumber>100-0001</PostNumber>\n"
    "        <QualificationDate>20200401</QualificationDate>\n        <InsuredCardValidDate>20200401</InsuredCardValidDate>\n"
    "        <InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>\n        <InsurerName>見本区</InsurerName>\n"
    "        <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>\n"
    "        <LimitApplicationCertificateRelatedConsTime>20250115093004</LimitApplicationCertificateRelatedConsTime>\n"
    "        <LimitApplicationCertificateRelatedInfo>\n          <LimitApplicationCertificateClassification>01</LimitApplicationCertificateClassification>\n"
    "          <LimitApplicationCertificateClassificationFlag>A03</LimitApplicationCertificateClassificationFlag>\n"
    "        </LimitApplicationCertificateRelatedInfo>\n        <PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>\n"
    "      </ResultOfQualificationConfirmation>\n      <ReferenceNumber>%d</ReferenceNumber>\n    </BulkConfirmUnit>\n";

static const char HEAD_FMT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg>\n"
    "  <MessageHeader>\n    <ProcessExecutionTime>20250115100000</ProcessExecutionTime>\n"
    "    <MedicalInstitutionCode>1311234569</MedicalInstitutionCode>\n"
    "    <ReceptionNumber>R0000000001</ReceptionNumber>\n    <SegmentOfResult>1</SegmentOfResult>\n"
    "    <NumberOfProcessingResult>%d</NumberOfProcessingResult>\n"
    "    <CharacterCodeIdentifier>0</CharacterCodeIdentifier>\n  </MessageHeader>\n  <MessageBody>\n";
static const char TAIL[] = "  </MessageBody>\n</XmlMsg>\n";

/* A bulk result of `units` units (2.1 kB each, as the simulator's), in memory... */
static void gen(bbuf *b, int units)
{
    bb_printf(b, HEAD_FMT, units);
    for (int i = 0; i < units; i++)
        bb_printf(b, UNIT_FMT, i, i, 10000 + i);
    bb_append_str(b, TAIL);
}

/* ...or written to a file unit by unit (1,000,000 units are 2.1 GB). */
static int gen_file(const char *path, int units)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fprintf(f, HEAD_FMT, units);
    for (int i = 0; i < units; i++)
        fprintf(f, UNIT_FMT, i, i, 10000 + i);
    fputs(TAIL, f);
    return fclose(f) == 0 ? 0 : -1;
}
static void to_cp932(const bbuf *u, bbuf *c)
{
    const char *d = strstr((const char *)u->data, "UTF-8");
    bbuf tmp;
    bb_init(&tmp);
    bb_append(&tmp, u->data, (size_t)((const unsigned char *)d - u->data));
    bb_append_str(&tmp, "Shift_JIS");
    bb_append(&tmp, d + 5, u->len - (size_t)((const unsigned char *)d + 5 - u->data));
    iconv_t cd = iconv_open("CP932", "UTF-8");
    bb_reserve(c, tmp.len);
    char *in = (char *)tmp.data, *o = (char *)c->data;
    size_t il = tmp.len, ol = c->cap;
    if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
        fprintf(stderr, "iconv failed\n");
    c->len = c->cap - ol;
    iconv_close(cd);
    bb_clear(&tmp);
}

/* The peer: every node read, names and values touched, nothing kept. */
static double bare_reader(const bbuf *b, const char *enc)
{
    double t0 = cpu();
    xmlTextReaderPtr r = xmlReaderForMemory((const char *)b->data, (int)b->len, NULL, enc,
                                            XML_PARSE_NONET | XML_PARSE_COMPACT);
    size_t sum = 0;
    while (xmlTextReaderRead(r) == 1) {
        const xmlChar *n = xmlTextReaderConstName(r), *v = xmlTextReaderConstValue(r);
        sum += (n ? n[0] : 0) + (v ? v[0] : 0);
    }
    xmlFreeTextReader(r);
    double t = cpu() - t0;
    if (sum == 1)
        puts("");
    return t;
}

static double onshi_stream(onshi_ctx *ctx, const bbuf *b, int *units)
{
    double t0 = cpu();
    onshi_bulk_reader *br;
    if (onshi_bulk_reader_open_mem(&br, ctx, b->data, b->len,
        ONSHI_MSG_BULK_QUAL_DOWN_RES) != ONSHI_OK) {
        fprintf(stderr, "open: %s\n", onshi_ctx_last_error_message(ctx));
        return 0;
    }
    onshi_group *u, *r;
    int n = 0;
    const char *s;
    while (onshi_bulk_reader_next(&u, br) == ONSHI_OK && u != NULL) {
        onshi_group_get_str(&s, u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS);
        if (onshi_group_at(&r, u, ONSHI_G_RESULT, 0) == ONSHI_OK)
            onshi_group_get_str(&s, r, ONSHI_F_NAME);
        n++;
    }
    onshi_bulk_reader_free(br);
    *units = n;
    return cpu() - t0;
}

static double onshi_whole(onshi_ctx *ctx, const bbuf *b)
{
    double t0 = cpu();
    onshi_msg *m;
    if (onshi_msg_decode(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_RES, b->data, b->len) != ONSHI_OK) {
        fprintf(stderr, "decode: %s\n", onshi_ctx_last_error_message(ctx));
        return 0;
    }
    onshi_msg_free(m);
    return cpu() - t0;
}

static void encode_rate(onshi_ctx *ctx, int enc)
{
    onshi_msg *m;
    onshi_group *s;
    onshi_msg_new(&m, ONSHI_MSG_QUAL_REQ);
    onshi_group_set_str(onshi_msg_header(m), ONSHI_F_QUALIFICATION_CONFIRMATION_DATE, "20250115");
    onshi_group_set_str(onshi_msg_header(m), ONSHI_F_MEDICAL_INSTITUTION_CODE, "1311234569");
    onshi_group_add(&s, onshi_msg_body(m), ONSHI_G_SEARCH);
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURER_NUMBER, "138016");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, "１２－３４");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_ID_NUMBER, "567");
    onshi_group_set_str(s, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, "01");
    onshi_group_set_str(s, ONSHI_F_SEARCH_BIRTHDATE, "19800401");
    onshi_ctx_set_int(ctx, ONSHI_OPT_REQUEST_ENCODING, enc);
    int n = 20000;
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        onshi_buf *x;
        if (onshi_msg_encode(&x, ctx, m) != ONSHI_OK)
            break;
        bytes += onshi_buf_len(x);
        onshi_buf_free(x);
    }
    double t = now() - t0;
    printf("encode OQSsiquc01req %-5s: %.0f requests/s, %.1f MB/s (validate + write%s)\n",
           enc ? "CP932" : "UTF-8", n / t, bytes / t / 1e6, enc ? " + convert" : "");
    onshi_msg_free(m);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static FILE *raw; /* machine-readable lines for bench/report.py */

/* Paired runs: peer and SDK alternate (which one goes first alternates too); each pair gives
 * one ratio. Prints min / median / max of the ratios and the medians of both sides. */
static void pairs(onshi_ctx *ctx, const char *label, const bbuf *b, const char *peer_enc,
                  int whole, int n)
{
    double ratio[64], tp[64], ts[64];
    int units = 0;
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        double p, q;
        if (i % 2) {
            q = whole ? onshi_whole(ctx, b) : onshi_stream(ctx, b, &units);
            p = bare_reader(b, peer_enc);
        } else {
            p = bare_reader(b, peer_enc);
            q = whole ? onshi_whole(ctx, b) : onshi_stream(ctx, b, &units);
        }
        tp[i] = p;
        ts[i] = q;
        ratio[i] = q / p;
    }
    if (raw) {
        fprintf(raw, "codec-pair\t%s %s\t%zu", label, whole ? "whole" : "stream", b->len);
        for (int i = 0; i < n; i++)
            fprintf(raw, "\t%.6f:%.6f", ts[i], tp[i]);
        fputc('\n', raw);
    }
    qsort(ratio, (size_t)n, sizeof *ratio, cmp_d);
    qsort(tp, (size_t)n, sizeof *tp, cmp_d);
    qsort(ts, (size_t)n, sizeof *ts, cmp_d);
    printf("%-6s %-6s %.1f MB, %d pairs: ratio SDK/xmlTextReader min %.2f median %.2f max %.2f"
           " (CPU medians %.1f ms vs %.1f ms)\n",
           label, whole ? "whole" : "stream", (double)b->len / 1e6, n, ratio[0], ratio[n / 2],
           ratio[n - 1], ts[n / 2] * 1e3, tp[n / 2] * 1e3);
}

/* ---- standalone processes: `codec child MODE FILE` is the whole program ------------------- */

static int child(const char *mode, const char *path)
{
    int n = 0;
    if (strcmp(mode, "peer") == 0) {
        xmlTextReaderPtr r = xmlReaderForFile(path, NULL, XML_PARSE_NONET | XML_PARSE_COMPACT |
                                                          XML_PARSE_HUGE);
        if (r == NULL)
            return 1;
        int ret;
        while ((ret = xmlTextReaderRead(r)) == 1)
            if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && xmlTextReaderDepth(r) == 2 &&
                strcmp((const char *)xmlTextReaderConstName(r), "BulkConfirmUnit") == 0)
                n++;
        xmlFreeTextReader(r);
        if (ret != 0)
            return 1;
    } else {
        onshi_ctx *ctx;
        if (onshi_ctx_new(&ctx) != ONSHI_OK)
            return 1;
        onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, INT64_C(4096) * 1024 * 1024);
        if (strcmp(mode, "stream") == 0) {
            onshi_bulk_reader *br;
            if (onshi_bulk_reader_open(&br, ctx, path, ONSHI_MSG_BULK_QUAL_DOWN_RES) != ONSHI_OK) {
                fprintf(stderr, "codec child: %s\n", onshi_ctx_last_error_message(ctx));
                return 1;
            }
            onshi_group *u, *r;
            const char *s;
            int rc;
            while ((rc = onshi_bulk_reader_next(&u, br)) == ONSHI_OK && u != NULL) {
                onshi_group_get_str(&s, u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS);
                if (onshi_group_at(&r, u, ONSHI_G_RESULT, 0) == ONSHI_OK)
                    onshi_group_get_str(&s, r, ONSHI_F_NAME);
                n++;
            }
            if (rc != ONSHI_OK)
                fprintf(stderr, "codec child: unit %d: %s\n", n, onshi_ctx_last_error_message(ctx));
            onshi_bulk_reader_free(br);
            if (rc != ONSHI_OK)
                return 1;
        } else {
            onshi_msg *m;
            if (onshi_msg_decode_file(&m, ctx, path) != ONSHI_OK) {
                fprintf(stderr, "codec child: %s\n", onshi_ctx_last_error_message(ctx));
                return 1;
            }
            onshi_group *u, *body = onshi_msg_body(m), *r;
            const char *s;
            size_t k = onshi_group_count(body, ONSHI_G_BULK_UNIT);
            for (size_t i = 0; i < k; i++, n++) {
                onshi_group_at(&u, body, ONSHI_G_BULK_UNIT, i);
                onshi_group_get_str(&s, u, ONSHI_F_UNIT_PROCESSING_RESULT_STATUS);
                if (onshi_group_at(&r, u, ONSHI_G_RESULT, 0) == ONSHI_OK)
                    onshi_group_get_str(&s, r, ONSHI_F_NAME);
            }
            onshi_msg_free(m);
        }
        onshi_ctx_free(ctx);
    }
    printf("%d\n", n);
    return 0;
}

/* Run `self child MODE FILE` as its own process: wall, CPU (user+sys) and peak RSS. */
static int standalone(const char *self, const char *mode, const char *path, int units,
                      int *got)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(self, self, "child", mode, path, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char line[64] = {0};
    ssize_t k = read(fd[0], line, sizeof line - 1);
    close(fd[0]);
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || k <= 0)
        return -1;
    double wall = now() - t0;
    double c = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    *got = atoi(line);
    printf("  %-6s %8d units: wall %8.3f s  CPU %8.3f s  peak RSS %8.1f MiB%s\n", mode, units,
           wall, c, ru.ru_maxrss / 1024.0, *got == units ? "" : "  (UNITS MISSING)");
    if (raw)
        fprintf(raw, "codec-scale\t%s\t%d\t%.4f\t%.4f\t%ld\t%d\n", mode, units, wall, c,
                ru.ru_maxrss, *got);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child(argv[2], argv[3]);
    /* codec [RAW_OUT] — BENCH_PAIRS (11), BENCH_MAX_UNITS (1000000), BENCH_WHOLE_MAX (100000) */
    raw = argc > 1 ? fopen(argv[1], "a") : NULL;
    const char *e;
    int npairs = (e = getenv("BENCH_PAIRS")) ? atoi(e) : 11;
    long maxu = (e = getenv("BENCH_MAX_UNITS")) ? atol(e) : 1000000;
    long wholemax = (e = getenv("BENCH_WHOLE_MAX")) ? atol(e) : 100000;
    if (npairs < 3)
        npairs = 3;
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = '\0';

    onshi_ctx *ctx;
    onshi_ctx_new(&ctx);
    bbuf u, c;
    bb_init(&u);
    bb_init(&c);
    gen(&u, 10000);
    to_cp932(&u, &c);
    printf("bench/codec: paired runs (SDK and bare libxml2 xmlTextReader alternate), CPU time\n");
    pairs(ctx, "UTF-8", &u, NULL, 0, npairs);
    pairs(ctx, "CP932", &c, "CP932", 0, npairs);
    pairs(ctx, "UTF-8", &u, NULL, 1, npairs);
    bb_clear(&u);
    bb_clear(&c);

    printf("bench/codec: standalone processes (the child is the whole program), 1k -> %ld units\n",
           maxu);
    char dir[] = "/tmp/onshi-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    for (long n = 1000; n <= maxu; n *= 10) {
        char path[600];
        snprintf(path, sizeof path, "%s/OQSmuquc02res_%ld.xml", dir, n);
        if (gen_file(path, (int)n) != 0) {
            fprintf(stderr, "bench/codec: cannot write %s\n", path);
            break;
        }
        int got;
        standalone(self, "peer", path, (int)n, &got);
        standalone(self, "stream", path, (int)n, &got);
        if (n <= wholemax)
            standalone(self, "whole", path, (int)n, &got);
        unlink(path);
    }
    rmdir(dir);
    encode_rate(ctx, ONSHI_ENC_UTF8);
    encode_rate(ctx, ONSHI_ENC_CP932);
    onshi_ctx_free(ctx);
    if (raw)
        fclose(raw);
    return 0;
}
