/*
 * bench/codec: libonshi's decoders against a bare libxml2 xmlTextReader pass over the same
 * bytes in the same run, peak memory of streaming 100,000 units, and encode throughput.
 * Prints numbers; asserts nothing.
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

static void gen(bbuf *b, int units)
{
    bb_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg>\n"
                         "  <MessageHeader>\n    <ProcessExecutionTime>20250115100000</ProcessExecutionTime>\n"
                         "    <MedicalInstitutionCode>1311234569</MedicalInstitutionCode>\n"
                         "    <ReceptionNumber>R0000000001</ReceptionNumber>\n    <SegmentOfResult>1</SegmentOfResult>\n"
                         "    <NumberOfProcessingResult>%d</NumberOfProcessingResult>\n"
                         "    <CharacterCodeIdentifier>0</CharacterCodeIdentifier>\n  </MessageHeader>\n  <MessageBody>\n",
                      units);
    for (int i = 0; i < units; i++)
        bb_printf(b,
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
            "      </ResultOfQualificationConfirmation>\n      <ReferenceNumber>%d</ReferenceNumber>\n    </BulkConfirmUnit>\n",
            i, i, 10000 + i);
    bb_printf(b, "  </MessageBody>\n</XmlMsg>\n");
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
    double t0 = now();
    xmlTextReaderPtr r = xmlReaderForMemory((const char *)b->data, (int)b->len, NULL, enc,
                                            XML_PARSE_NONET | XML_PARSE_COMPACT);
    size_t sum = 0;
    while (xmlTextReaderRead(r) == 1) {
        const xmlChar *n = xmlTextReaderConstName(r), *v = xmlTextReaderConstValue(r);
        sum += (n ? n[0] : 0) + (v ? v[0] : 0);
    }
    xmlFreeTextReader(r);
    double t = now() - t0;
    if (sum == 1)
        puts("");
    return t;
}

static double onshi_stream(onshi_ctx *ctx, const bbuf *b, int *units)
{
    double t0 = now();
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
    return now() - t0;
}

static double onshi_whole(onshi_ctx *ctx, const bbuf *b)
{
    double t0 = now();
    onshi_msg *m;
    if (onshi_msg_decode(&m, ctx, ONSHI_MSG_BULK_QUAL_DOWN_RES, b->data, b->len) != ONSHI_OK) {
        fprintf(stderr, "decode: %s\n", onshi_ctx_last_error_message(ctx));
        return 0;
    }
    onshi_msg_free(m);
    return now() - t0;
}

static double best(double a, double b)
{
    return a < b ? a : b;
}

static void ratio(onshi_ctx *ctx, const char *label, const bbuf *b, const char *peer_enc)
{
    double peer = 1e9, st = 1e9, wh = 1e9;
    int units = 0;
    for (int i = 0; i < 5; i++) {
        peer = best(peer, bare_reader(b, peer_enc));
        st = best(st, onshi_stream(ctx, b, &units));
        wh = best(wh, onshi_whole(ctx, b));
    }
    printf("%-6s %d units, %.1f MB: bare xmlTextReader %.1f ms | onshi streaming %.1f ms (ratio %.2f, goal <= 1.5)"
           " | onshi whole message %.1f ms (ratio %.2f)\n",
           label, units, (double)b->len / 1e6, peer * 1e3, st * 1e3, st / peer, wh * 1e3, wh / peer);
}

/* Peak RSS of a child that streams the file; the child's own baseline is printed too. */
static void rss(const char *path, int units)
{
    int fd[2];
    if (pipe(fd) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long before = ru.ru_maxrss;
        onshi_ctx *ctx;
        onshi_ctx_new(&ctx);
        onshi_bulk_reader *br;
        int n = 0;
        if (onshi_bulk_reader_open(&br, ctx, path, 0) == ONSHI_OK) {
            onshi_group *u;
            while (onshi_bulk_reader_next(&u, br) == ONSHI_OK && u != NULL)
                n++;
            onshi_bulk_reader_free(br);
        }
        onshi_ctx_free(ctx);
        getrusage(RUSAGE_SELF, &ru);
        char line[200];
        int k = snprintf(line, sizeof line, "%d %ld %ld", n, before, ru.ru_maxrss);
        if (write(fd[1], line, (size_t)k) < 0)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    char line[200] = {0};
    ssize_t k = read(fd[0], line, sizeof line - 1);
    close(fd[0]);
    waitpid(pid, NULL, 0);
    int n = 0;
    long before = 0, peak = 0;
    if (k > 0)
        sscanf(line, "%d %ld %ld", &n, &before, &peak);
    printf("peak RSS streaming %d of %d units from a file: %.1f MiB (process before decoding %.1f MiB; goal < 16 MiB)\n",
           n, units, peak / 1024.0, before / 1024.0);
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

int main(void)
{
    onshi_ctx *ctx;
    onshi_ctx_new(&ctx);
    bbuf u, c;
    bb_init(&u);
    bb_init(&c);
    gen(&u, 10000);
    to_cp932(&u, &c);
    ratio(ctx, "UTF-8", &u, NULL);
    ratio(ctx, "CP932", &c, "CP932");
    bb_clear(&u);
    bb_clear(&c);
    char path[] = "/tmp/onshi-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        bb_init(&u);
        gen(&u, 100000);
        if (write(fd, u.data, u.len) == (ssize_t)u.len) {
            printf("100,000-unit file: %.1f MB\n", (double)u.len / 1e6);
            bb_clear(&u);
            rss(path, 100000);
        }
        bb_clear(&u);
        close(fd);
        unlink(path);
    }
    encode_rate(ctx, ONSHI_ENC_UTF8);
    encode_rate(ctx, ONSHI_ENC_CP932);
    onshi_ctx_free(ctx);
    return 0;
}
