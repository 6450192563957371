/* codec: hostile input stays within bounded memory and work; ambiguous input is refused.
 * Bounds are asserted through counters (arena bytes, warnings kept, bytes read) and, in the
 * plain build only, through the peak RSS of a child process: never through wall-clock time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define HDR "<MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader>"

static onshi_ctx *ctx_new(void)
{
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    return ctx;
}

static int decode_str(onshi_ctx *ctx, const char *s, onshi_msg **out)
{
    onshi_msg *m = NULL;
    int rc = onshi_msg_decode(&m, ctx, 0, s, strlen(s));
    if (out)
        *out = m;
    else
        onshi_msg_free(m);
    return rc;
}

/* "<XmlMsg>HDR<MessageBody>" + n × unit + tail + "</MessageBody></XmlMsg>" */
static char *repeat_body(const char *unit, size_t n, const char *tail, size_t *len)
{
    size_t u = strlen(unit), pre = strlen("<XmlMsg>" HDR "<MessageBody>");
    size_t total = pre + u * n + strlen(tail) + strlen("</MessageBody></XmlMsg>");
    char *s = malloc(total + 1), *p = s;
    assert_non_null(s);
    memcpy(p, "<XmlMsg>" HDR "<MessageBody>", pre);
    p += pre;
    for (size_t i = 0; i < n; i++, p += u)
        memcpy(p, unit, u);
    strcpy(p, tail);
    strcat(p, "</MessageBody></XmlMsg>");
    *len = total;
    return s;
}

static bool rss_measurable(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return false; /* shadow memory */
#else
    return getenv("ONSHI_TEST_WRAP") == NULL; /* valgrind */
#endif
}

/* Peak RSS growth (KiB) while decoding `s` in a child process, or -1 when not measurable
 * (sanitizers, valgrind). *rc: the decode's status. */
static long measure(const char *s, size_t len, bool streaming, int *rc)
{
    if (!rss_measurable())
        return -1;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        onshi_ctx *ctx;
        if (onshi_ctx_new(&ctx) != ONSHI_OK)
            _exit(2);
        int st;
        if (streaming) {
            onshi_bulk_reader *br = NULL;
            st = onshi_bulk_reader_open_mem(&br, ctx, s, len, 0);
            onshi_group *u;
            while (st == ONSHI_OK && (st = onshi_bulk_reader_next(&u, br)) == ONSHI_OK && u != NULL)
                ;
            onshi_bulk_reader_free(br);
        } else {
            onshi_msg *m = NULL;
            st = onshi_msg_decode(&m, ctx, 0, s, len);
            onshi_msg_free(m);
        }
        onshi_ctx_free(ctx);
        getrusage(RUSAGE_SELF, &after);
        char out[64];
        int k = snprintf(out, sizeof out, "%ld %d\n", after.ru_maxrss - before.ru_maxrss, st);
        _exit(write(fds[1], out, (size_t)k) == k ? 0 : 3);
    }
    close(fds[1]);
    char buf[64] = "";
    ssize_t k = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    assert_true(k > 0);
    long kib;
    assert_int_equal(sscanf(buf, "%ld %d", &kib, rc), 2);
    return kib;
}

/* 8 MB of unknown <U/> inside MessageBody: 1000 kept, the rest skipped and counted; the tree
 * stays small and the process's peak grows by less than the input (it was 56× before). */
static void test_unknown_flood(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    size_t len;
    char *s = repeat_body("<U/>", 2u << 20, "<ReceptionNumber>R1</ReceptionNumber>", &len);
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, s, len), ONSHI_OK);
    assert_true(m->doc.arena.used_total < len / 8);
    size_t kept = 0;
    for (onshi_group *c = onshi_msg_body(m)->first; c; c = c->next)
        kept += strcmp(c->name, "U") == 0;
    assert_int_equal(kept, 1000);
    int kind;
    const char *text;
    assert_int_equal(onshi_msg_warning_count(m), 1);
    assert_int_equal(onshi_msg_warning_at(&kind, NULL, &text, m, 0), ONSHI_OK);
    assert_int_equal(kind, ONSHI_WARN_DROPPED);
    assert_non_null(strstr(text, "2096152 unknown element(s)"));
    /* what follows the flood is still read */
    onshi_group *b = onshi_msg_body(m);
    assert_non_null(onshi__child_find(b, "ReceptionNumber"));
    onshi_msg_free(m);
    int rc;
    long kib = measure(s, len, false, &rc);
    if (kib >= 0) {
        assert_int_equal(rc, ONSHI_OK);
        print_message("unknown flood: %zu input bytes, peak RSS +%ld KiB\n", len, kib);
        assert_true((size_t)kib * 1024 < len);
    }
    free(s);
    /* unknown elements nested in a unit of a streamed file: per unit, same cap */
    s = repeat_body("<BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>"
                    "<J><K/><K/><K/></J><J/><J/><J/><J/><J/><J/><J/><J/><J/><J/><J/></BulkConfirmUnit>",
                    200, "", &len);
    onshi_bulk_reader *br;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, s, len, 0), ONSHI_OK);
    onshi_group *u;
    size_t units = 0;
    while (onshi_bulk_reader_next(&u, br) == ONSHI_OK && u != NULL) {
        assert_int_equal(onshi_bulk_reader_warning_count(br), 0);
        units++;
    }
    assert_int_equal(units, 200);
    onshi_bulk_reader_free(br);
    free(s);
    onshi_ctx_free(ctx);
}

/* Junk between and inside units of a streamed file: bounded, and counted per unit. */
static void test_stream_junk(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_buf b;
    onshi__buf_init(&b, false);
    onshi__buf_printf(&b, "<XmlMsg>" HDR "<MessageBody>");
    for (int i = 0; i < 50000; i++)
        onshi__buf_printf(&b, "<Junk/>");
    for (int k = 0; k < 3; k++) {
        onshi__buf_printf(&b, "<BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>");
        for (int i = 0; i < 20000; i++)
            onshi__buf_printf(&b, "<In/>");
        onshi__buf_printf(&b, "</BulkConfirmUnit>");
        for (int i = 0; i < 20000; i++)
            onshi__buf_printf(&b, "<Between>x</Between>");
    }
    onshi__buf_printf(&b, "</MessageBody></XmlMsg>");
    onshi_bulk_reader *br;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, b.data, b.len, 0), ONSHI_OK);
    onshi_group *u;
    size_t units = 0;
    while (onshi_bulk_reader_next(&u, br) == ONSHI_OK && u != NULL) {
        assert_true(u->doc->arena.used_total < 200 * 1024);
        int kind;
        const char *text;
        assert_int_equal(onshi_bulk_reader_warning_count(br), 1);
        assert_int_equal(onshi_bulk_reader_warning_at(&kind, NULL, &text, br, 0), ONSHI_OK);
        assert_int_equal(kind, ONSHI_WARN_DROPPED);
        assert_non_null(strstr(text, "19000 unknown"));
        units++;
    }
    assert_int_equal(units, 3);
    /* the header/body doc did not grow with the junk between units */
    size_t kept = 0;
    for (onshi_group *c = onshi_bulk_reader_body(br)->first; c; c = c->next)
        kept++;
    assert_int_equal(kept, 1000);
    onshi_bulk_reader_free(br);
    onshi__buf_clear(&b);
    onshi_ctx_free(ctx);
}

/* One element with 100,000 attributes: refused by the pre-scan before libxml2 parses the
 * tag (quadratic inside libxml2 2.9: 25 s of CPU before). */
static void test_attribute_flood(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    onshi_buf b;
    onshi__buf_init(&b, false);
    onshi__buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg>" HDR "<MessageBody><X");
    for (int i = 0; i < 100000; i++)
        onshi__buf_printf(&b, " a%d=\"v\"", i);
    onshi__buf_printf(&b, "/></MessageBody></XmlMsg>");
    onshi_msg *m = NULL;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, b.data, b.len), ONSHI_E_XML_TOO_LARGE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "more than 16 attributes"));
    onshi__buf_clear(&b);
    /* a few attributes, '=' in comments, PIs, CDATA, quoted values and text: accepted */
    assert_int_equal(decode_str(ctx, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
                                     "<XmlMsg xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                                     "<!-- a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16 q=17 -->"
                                     "<?pi a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16 q=17?>"
                                     HDR "<MessageBody><ErrorMessage a=\"x=y=z=w=v=u=t=s=r=q=p=o=n=m=l=k=j\">"
                                     "<![CDATA[=================]]>==================</ErrorMessage>"
                                     "<ReceptionNumber>R1</ReceptionNumber></MessageBody></XmlMsg>", NULL),
                     ONSHI_OK);
    /* the same cap in a streamed file */
    onshi__buf_init(&b, false);
    onshi__buf_printf(&b, "<XmlMsg>" HDR "<MessageBody><BulkConfirmUnit><ProcessingResultStatus x");
    for (int i = 0; i < 50000; i++)
        onshi__buf_printf(&b, " a%d='v'", i);
    onshi__buf_printf(&b, ">1</ProcessingResultStatus></BulkConfirmUnit></MessageBody></XmlMsg>");
    onshi_bulk_reader *br;
    int rc = onshi_bulk_reader_open_mem(&br, ctx, b.data, b.len, 0);
    if (rc == ONSHI_OK) {
        onshi_group *u;
        rc = onshi_bulk_reader_next(&u, br);
        onshi_bulk_reader_free(br);
    }
    assert_int_equal(rc, ONSHI_E_XML_TOO_LARGE);
    onshi__buf_clear(&b);
    onshi_ctx_free(ctx);
}

/* A second value of a single-valued field, a second header or body, a second single group:
 * refused, never one silently picked. */
static void test_duplicates(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><QualificationValidity>1</QualificationValidity>"
                                     "<QualificationValidity>4</QualificationValidity></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "QualificationValidity"));
    assert_int_equal(decode_str(ctx, "<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult>"
                                     "<SegmentOfResult>2</SegmentOfResult></MessageHeader><MessageBody/></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody/>" HDR "</XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "second <MessageHeader>"));
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody/><MessageBody/></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    /* a single group (高齢受給者証) twice in one person */
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ResultList><ResultOfQualificationConfirmation>"
                                     "<ElderlyRecipientCertificateInfo/><ElderlyRecipientCertificateInfo/>"
                                     "</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    /* a field twice inside one person; repeated persons are fine */
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ResultList><ResultOfQualificationConfirmation>"
                                     "<Name>見本</Name><Name>別人</Name>"
                                     "</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    onshi_msg *m;
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ResultList><ResultOfQualificationConfirmation>"
                                     "<Name>見本</Name></ResultOfQualificationConfirmation><ResultOfQualificationConfirmation>"
                                     "<Name>別人</Name></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>", &m),
                     ONSHI_OK);
    assert_int_equal(onshi_group_count(onshi_msg_body(m), ONSHI_G_RESULT), 2);
    onshi_msg_free(m);
    /* inside a streamed unit too */
    const char *bulk = "<XmlMsg>" HDR "<MessageBody><BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>"
                       "<ProcessingResultStatus>2</ProcessingResultStatus></BulkConfirmUnit></MessageBody></XmlMsg>";
    onshi_bulk_reader *br;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, bulk, strlen(bulk), 0), ONSHI_OK);
    onshi_group *u;
    assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_E_XML_AMBIGUOUS);
    onshi_bulk_reader_free(br);
    onshi_ctx_free(ctx);
}

/* Text mixed with elements in a value or a group: refused. Padded values: trimmed, warned. */
static void test_mixed_and_padded(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    static const char *const mixed[] = {
        "<Name>見本<b>X</b>花子</Name>",
        "<Name><b>X</b>花子</Name>",
        "<Name><b/></Name>",
        "<Name>見本</Name>text",
        "<Name>見本</Name><Sex1>1</Sex1>text<Birthdate>19800101</Birthdate>",
    };
    for (size_t i = 0; i < sizeof mixed / sizeof *mixed; i++) {
        char s[600];
        snprintf(s, sizeof s, "<XmlMsg>" HDR "<MessageBody><ResultList><ResultOfQualificationConfirmation>"
                              "%s</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>", mixed[i]);
        assert_int_equal(decode_str(ctx, s, NULL), ONSHI_E_XML_AMBIGUOUS);
    }
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody>stray<ReceptionNumber>R1</ReceptionNumber>"
                                     "</MessageBody></XmlMsg>", NULL), ONSHI_E_XML_AMBIGUOUS);
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody>stray</MessageBody></XmlMsg>", NULL),
                     ONSHI_E_XML_AMBIGUOUS);
    /* unknown elements may hold anything (tolerant reading), comments split a value */
    onshi_msg *m;
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><New>a<b>c</b>d</New>"
                                     "<ReceptionNumber>R<!-- -->1</ReceptionNumber></MessageBody></XmlMsg>", &m),
                     ONSHI_OK);
    onshi_group *b = onshi_msg_body(m);
    assert_string_equal(onshi__child_find(b, "ReceptionNumber")->text, "R1");
    onshi_msg_free(m);
    /* padded values */
    assert_int_equal(decode_str(ctx, "<XmlMsg>" HDR "<MessageBody><ResultList><ResultOfQualificationConfirmation>"
                                     "<Name>  見本　花子 </Name><InsurerNumber>  138016</InsurerNumber>"
                                     "<Sex1>\n1\n</Sex1></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>", &m),
                     ONSHI_OK);
    onshi_group *r;
    assert_int_equal(onshi_group_at(&r, onshi_msg_body(m), ONSHI_G_RESULT, 0), ONSHI_OK);
    const char *v;
    assert_int_equal(onshi_group_get_str(&v, r, ONSHI_F_NAME), ONSHI_OK);
    assert_string_equal(v, "見本　花子");
    assert_int_equal(onshi_group_get_str(&v, r, ONSHI_F_SEX1), ONSHI_OK);
    assert_string_equal(v, "1");
    assert_int_equal(onshi_group_get_str(&v, r, ONSHI_F_INSURER_NUMBER), ONSHI_OK);
    assert_string_equal(v, "138016");
    /* two padded values warned (the insurer number is space-padded by design) */
    size_t padded = 0;
    for (size_t i = 0; i < onshi_msg_warning_count(m); i++) {
        int kind;
        const char *path;
        onshi_msg_warning_at(&kind, &path, NULL, m, i);
        if (kind == ONSHI_WARN_PADDED) {
            padded++;
            assert_null(strstr(path, "InsurerNumber"));
        }
    }
    assert_int_equal(padded, 2);
    onshi_msg_free(m);
    /* a value split in a million pieces is gathered once (linear, not quadratic) */
    onshi_buf big;
    onshi__buf_init(&big, false);
    onshi__buf_printf(&big, "<XmlMsg>" HDR "<MessageBody><ErrorMessage>");
    for (int i = 0; i < 1000; i++)
        onshi__buf_printf(&big, "a<!---->");
    onshi__buf_printf(&big, "</ErrorMessage></MessageBody></XmlMsg>");
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, big.data, big.len), ONSHI_OK);
    assert_int_equal(strlen(onshi__child_find(onshi_msg_body(m), "ErrorMessage")->text), 1000);
    onshi_msg_free(m);
    onshi__buf_clear(&big);
    /* more comments than that (libxml2 keeps them all: 180 MB for 8 MB before): refused */
    onshi__buf_init(&big, false);
    onshi__buf_printf(&big, "<XmlMsg>" HDR "<MessageBody><ErrorMessage>");
    for (int i = 0; i < 200000; i++)
        onshi__buf_printf(&big, "a<!---->");
    onshi__buf_printf(&big, "</ErrorMessage></MessageBody></XmlMsg>");
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, big.data, big.len), ONSHI_E_XML_TOO_LARGE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "comments"));
    onshi__buf_clear(&big);
    /* in a streamed file: per unit, and for the whole file between units */
    onshi__buf_init(&big, false);
    onshi__buf_printf(&big, "<XmlMsg>" HDR "<MessageBody>");
    for (int i = 0; i < 3000; i++)
        onshi__buf_printf(&big, "<BulkConfirmUnit><!--a--><ProcessingResultStatus>1</ProcessingResultStatus>"
                                "</BulkConfirmUnit>");
    onshi__buf_printf(&big, "</MessageBody></XmlMsg>");
    onshi_bulk_reader *br;
    onshi_group *u;
    size_t n = 0;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, big.data, big.len, 0), ONSHI_OK);
    while (onshi_bulk_reader_next(&u, br) == ONSHI_OK && u != NULL)
        n++;
    assert_int_equal(n, 3000);
    onshi_bulk_reader_free(br);
    onshi__buf_clear(&big);
    onshi__buf_init(&big, false);
    onshi__buf_printf(&big, "<XmlMsg>" HDR "<MessageBody>");
    for (int i = 0; i < 3000; i++)
        onshi__buf_printf(&big, "<BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>"
                                "</BulkConfirmUnit><!--between-->");
    onshi__buf_printf(&big, "</MessageBody></XmlMsg>");
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, big.data, big.len, 0), ONSHI_OK);
    int rc;
    while ((rc = onshi_bulk_reader_next(&u, br)) == ONSHI_OK && u != NULL)
        ;
    assert_int_equal(rc, ONSHI_E_XML_TOO_LARGE);
    onshi_bulk_reader_free(br);
    onshi__buf_clear(&big);
    onshi_ctx_free(ctx);
}

/* Many warnings: the first 1000 kept, the rest counted in one more. */
static void test_warning_cap(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    size_t len;
    char *s = repeat_body("<ResultOfQualificationConfirmation><Name>德</Name></ResultOfQualificationConfirmation>",
                          5000, "", &len);
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, s, len), ONSHI_OK);
    assert_int_equal(onshi_group_count(onshi_msg_body(m), ONSHI_G_RESULT), 5000);
    assert_int_equal(onshi_msg_warning_count(m), 1001);
    int kind;
    const char *text;
    assert_int_equal(onshi_msg_warning_at(&kind, NULL, &text, m, 1000), ONSHI_OK);
    assert_int_equal(kind, ONSHI_WARN_DROPPED);
    assert_non_null(strstr(text, "4000 more warning(s)"));
    onshi_msg_free(m);
    free(s);
    onshi_ctx_free(ctx);
}

/* The tree's memory budget: xml_memory_factor × input (+1 MiB). */
static void test_memory_budget(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    size_t len;
    char *s = repeat_body("<ResultOfQualificationConfirmation/>", 60000, "", &len);
    onshi_msg *m;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, s, len), ONSHI_OK);
    assert_true(m->doc.arena.used_total <= 16 * len + (1u << 20));
    onshi_msg_free(m);
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MEMORY_FACTOR, 2), ONSHI_OK);
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, s, len), ONSHI_E_XML_TOO_LARGE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "xml_memory_factor"));
    free(s);
    onshi_ctx_free(ctx);
}

/* Issue 17: the streaming reader's size cap is per unit, not per file. */
static void test_stream_cap_per_unit(void **state)
{
    (void)state;
    onshi_ctx *ctx = ctx_new();
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_XML_MAX_SIZE, 64 * 1024), ONSHI_OK);
    size_t len;
    char *s = repeat_body("<BulkConfirmUnit><ProcessingResultStatus>1</ProcessingResultStatus>"
                          "<ResultOfQualificationConfirmation><Name>見本　花子</Name></ResultOfQualificationConfirmation>"
                          "</BulkConfirmUnit>\n", 20000, "", &len);
    assert_true(len > 30 * 64 * 1024);
    onshi_bulk_reader *br;
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, s, len, 0), ONSHI_OK);
    onshi_group *u;
    size_t n = 0;
    int rc;
    while ((rc = onshi_bulk_reader_next(&u, br)) == ONSHI_OK && u != NULL)
        n++;
    assert_int_equal(rc, ONSHI_OK);
    assert_int_equal(n, 20000);
    onshi_bulk_reader_free(br);
    /* the whole-message decoder keeps the whole-input cap */
    onshi_msg *m = NULL;
    assert_int_equal(onshi_msg_decode(&m, ctx, 0, s, len), ONSHI_E_XML_TOO_LARGE);
    free(s);
    /* one unit over the cap is refused */
    onshi_buf b;
    onshi__buf_init(&b, false);
    onshi__buf_printf(&b, "<XmlMsg>" HDR "<MessageBody><BulkConfirmUnit><ProcessingResultStatus>1"
                          "</ProcessingResultStatus><X>");
    for (int i = 0; i < 200000; i++)
        onshi__buf_printf(&b, "x");
    onshi__buf_printf(&b, "</X></BulkConfirmUnit></MessageBody></XmlMsg>");
    assert_int_equal(onshi_bulk_reader_open_mem(&br, ctx, b.data, b.len, 0), ONSHI_OK);
    assert_int_equal(onshi_bulk_reader_next(&u, br), ONSHI_E_XML_TOO_LARGE);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "one unit"));
    onshi_bulk_reader_free(br);
    onshi__buf_clear(&b);
    onshi_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_flood),    cmocka_unit_test(test_stream_junk),
        cmocka_unit_test(test_attribute_flood),  cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_mixed_and_padded), cmocka_unit_test(test_warning_cap),
        cmocka_unit_test(test_memory_budget),    cmocka_unit_test(test_stream_cap_per_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
