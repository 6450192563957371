/*
 * Public decoding entry points: whole messages from memory or files (PDF and .err results
 * kept as bytes), and the streaming bulk reader.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include "core/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int finish(onshi_ctx *ctx, onshi_msg *m, int type)
{
    if (type == 0) {
        type = onshi__guess_type(m);
        if (type < 0)
            return onshi__err(ctx, ONSHI_E_UNKNOWN_MESSAGE,
                              "message type not recognised from the content; name the file "
                              "with its prefix (OQSsiquc01res_…)");
    }
    m->type = type;
    onshi__log(ctx, ONSHI_LOG_DEBUG, "codec", "decoded %s, %zu warning(s)",
               onshi_msgtype_prefix(type) ? onshi_msgtype_prefix(type) : "?", m->doc.nwarn);
    return ONSHI_OK;
}

static int decode_src(onshi_ctx *ctx, onshi_msg **out, int type, onshi__src src)
{
    *out = NULL;
    if (type != 0 && onshi__msgtype_find(type) == NULL)
        return onshi__err(ctx, ONSHI_E_UNKNOWN_MESSAGE, "message type %d", type);
    onshi_msg *m;
    int rc = onshi__msg_alloc(&m, type, false);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "message");
    onshi__xmlreader *r;
    rc = onshi__xmlreader_open(ctx, &r, src);
    if (rc == ONSHI_OK) {
        rc = onshi__xmlreader_all(r, m);
        onshi__xmlreader_free(r);
    }
    if (rc == ONSHI_OK)
        rc = finish(ctx, m, type);
    if (rc != ONSHI_OK) {
        onshi_msg_free(m);
        return rc;
    }
    *out = m;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_msg_decode(onshi_msg **out, onshi_ctx *ctx, int type,
                                          const void *data, size_t len)
{
    if (out == NULL || (data == NULL && len > 0))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out or data is NULL");
    onshi__src src = {data, len, -1, false, NULL, 0};
    return decode_src(ctx, out, type, src);
}

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return b;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A PDF result or an .err file: kept as bytes, the .err text converted to UTF-8. */
static int attach_file(onshi_ctx *ctx, onshi_msg **out, int type, int fd, const char *path,
                       bool is_err)
{
    onshi__os_st st;
    if (onshi__os_fstat(fd, &st) != 0)
        return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, errno, "%s", path);
    int64_t max = ctx ? onshi__opt_int(ctx, ONSHI_OPT_XML_MAX_SIZE) : INT64_C(256) << 20;
    if (st.size > max)
        return onshi__err(ctx, ONSHI_E_XML_TOO_LARGE, "%s: %lld bytes is over xml_max_size", path,
                          (long long)st.size);
    size_t n = (size_t)st.size;
    unsigned char *data = malloc(n + 1);
    if (data == NULL)
        return onshi__err(ctx, ONSHI_E_NOMEM, "%s", path);
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, data + got, (unsigned)(n - got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            onshi__free_wiped(data);
            return onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, k < 0 ? errno : 0,
                                      "%s: short read at byte %zu", path, got);
        }
        got += (size_t)k;
    }
    data[n] = '\0';
    if (is_err && onshi__utf8_invalid_at(data, n, false) < n) {
        onshi_buf b;
        size_t bad = 0;
        onshi__buf_init(&b, false);
        int rc = onshi__cp932_to_utf8(ctx, data, n, &b, &bad);
        onshi__free_wiped(data);
        if (rc == ONSHI_OK)
            rc = onshi__buf_append(&b, "", 1);
        if (rc != ONSHI_OK) {
            onshi__buf_clear(&b);
            return onshi__err(ctx, rc, "%s: text is neither UTF-8 nor CP932 (byte %zu)", path, bad);
        }
        data = b.data;
        n = b.len - 1;
    }
    onshi_msg *m;
    int rc = onshi__msg_alloc(&m, type, true);
    if (rc != ONSHI_OK) {
        onshi__free_wiped(data);
        return onshi__err(ctx, rc, "message");
    }
    m->attach = data;
    m->attach_len = n;
    m->attach_name = onshi__strdup(base_name(path));
    if (m->attach_name == NULL) {
        onshi_msg_free(m);
        return onshi__err(ctx, ONSHI_E_NOMEM, "file name");
    }
    *out = m;
    return ONSHI_OK;
}

int onshi__msg_from_attachment(onshi_msg **out, onshi_ctx *ctx, int type, const void *data,
                               size_t len, const char *filename)
{
    onshi_msg *m;
    int rc = onshi__msg_alloc(&m, type, true);
    if (rc != ONSHI_OK)
        return onshi__err(ctx, rc, "message");
    m->attach = malloc(len + 1);
    m->attach_name = onshi__strdup(filename ? filename : "");
    if (m->attach == NULL || m->attach_name == NULL) {
        onshi_msg_free(m);
        return onshi__err(ctx, ONSHI_E_NOMEM, "attachment of %zu bytes", len);
    }
    if (len)
        memcpy(m->attach, data, len);
    m->attach[len] = '\0';
    m->attach_len = len;
    *out = m;
    return ONSHI_OK;
}

/* Input files come from folders other programs write to: the transport's safe open (no
 * symbolic link followed, no blocking on a FIFO, regular files only). */
static int open_input(onshi_ctx *ctx, const char *path, int *fd)
{
    int rc = onshi__open_regular(ctx, path, fd, NULL);
    if (rc == ONSHI_E_NOT_FOUND)
        rc = onshi__err_foreign(ctx, ONSHI_E_IO, ONSHI_FOREIGN_ERRNO, ENOENT,
                                "cannot open %s: %s", path, strerror(ENOENT));
    return rc;
}

ONSHI_API int ONSHI_CALL onshi_msg_decode_file(onshi_msg **out, onshi_ctx *ctx, const char *path)
{
    if (out == NULL || path == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out or path is NULL");
    *out = NULL;
    int type = onshi_msgtype_from_filename(path);
    if (type == ONSHI_E_MESSAGE_UNSUPPORTED) {
        char en[300], ja[400];
        snprintf(en, sizeof en, "%s: a known message family (%s) whose layout libonshi does "
                 "not have; it is not decoded by guesswork", base_name(path),
                 onshi__msgtype_unsupported(path, false));
        snprintf(ja, sizeof ja, "%s：既知の電文種別（%s）ですが、レイアウトが未収録のため読み取り"
                 "ません（推測では扱いません）", base_name(path), onshi__msgtype_unsupported(path, true));
        return onshi__err_ja(ctx, ONSHI_E_MESSAGE_UNSUPPORTED, ONSHI_FOREIGN_NONE, 0, en, ja);
    }
    if (type < 0)
        type = 0;
    int fd;
    int rc = open_input(ctx, path, &fd);
    if (rc != ONSHI_OK)
        return rc;
    unsigned char magic[5] = {0};
    ssize_t k = onshi__os_pread(fd, magic, sizeof magic, 0);
    bool pdf = (k == 5 && memcmp(magic, "%PDF-", 5) == 0) || ends_with(path, ".pdf");
    bool err = ends_with(path, ".err");
    if (pdf || err) {
        if (type == 0)
            rc = onshi__err(ctx, ONSHI_E_UNKNOWN_MESSAGE, "%s: no known prefix", base_name(path));
        else
            rc = attach_file(ctx, out, type, fd, path, err);
    } else {
        onshi__src src = {NULL, 0, fd, false, NULL, 0};
        rc = decode_src(ctx, out, type, src);
    }
    close(fd);
    return rc;
}

/* ---- streaming bulk reader ------------------------------------------------------------------- */

struct onshi_bulk_reader {
    onshi_ctx *ctx;
    onshi__xmlreader *r;
    onshi_msg *msg; /* header and body without units */
    onshi__doc unit;
    int fd;
    bool started, done;
};

ONSHI_API void ONSHI_CALL onshi_bulk_reader_free(onshi_bulk_reader *br)
{
    if (br == NULL)
        return;
    onshi__xmlreader_free(br->r);
    onshi_msg_free(br->msg);
    onshi__doc_free(&br->unit);
    if (br->fd >= 0)
        close(br->fd);
    free(br);
}

static int bulk_open(onshi_ctx *ctx, onshi_bulk_reader **out, onshi__src src, int type, int fd)
{
    onshi_bulk_reader *br = onshi__calloc(1, sizeof *br);
    if (br == NULL) {
        if (fd >= 0)
            close(fd);
        return onshi__err(ctx, ONSHI_E_NOMEM, "bulk reader");
    }
    br->ctx = ctx;
    br->fd = fd;
    if (type == 0)
        type = ONSHI_MSG_BULK_QUAL_DOWN_RES;
    src.streaming = true;
    int rc = onshi__msg_alloc(&br->msg, type, false);
    if (rc != ONSHI_OK)
        rc = onshi__err(ctx, rc, "message");
    if (rc == ONSHI_OK)
        rc = onshi__xmlreader_open(ctx, &br->r, src);
    if (rc == ONSHI_OK)
        rc = onshi__xmlreader_until_unit(br->r, br->msg);
    if (rc != ONSHI_OK) {
        onshi_bulk_reader_free(br);
        return rc;
    }
    *out = br;
    return ONSHI_OK;
}

ONSHI_API int ONSHI_CALL onshi_bulk_reader_open(onshi_bulk_reader **out, onshi_ctx *ctx,
                                                const char *path, int type)
{
    if (out == NULL || path == NULL)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out or path is NULL");
    *out = NULL;
    if (type == 0) {
        int t = onshi_msgtype_from_filename(path);
        type = t > 0 ? t : 0;
    }
    int fd;
    int rc = open_input(ctx, path, &fd);
    if (rc != ONSHI_OK)
        return rc;
    onshi__src src = {NULL, 0, fd, false, NULL, 0};
    return bulk_open(ctx, out, src, type, fd);
}

ONSHI_API int ONSHI_CALL onshi_bulk_reader_open_mem(onshi_bulk_reader **out, onshi_ctx *ctx,
                                                    const void *data, size_t len, int type)
{
    if (out == NULL || (data == NULL && len > 0))
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "out or data is NULL");
    *out = NULL;
    onshi__src src = {data, len, -1, false, NULL, 0};
    return bulk_open(ctx, out, src, type, -1);
}

int onshi__bulk_reader_open_at(onshi_bulk_reader **out, onshi_ctx *ctx, const void *data,
                               size_t len, int type, size_t prefix_len, size_t at)
{
    *out = NULL;
    if (data == NULL || prefix_len > len || at > len)
        return onshi__err(ctx, ONSHI_E_INVALID_ARG, "bulk result offsets out of range");
    const unsigned char *d = data;
    onshi__src src = {d + at, len - at, -1, false, d, prefix_len};
    return bulk_open(ctx, out, src, type, -1);
}

/* Skip to the end of a construct starting at i: returns the index after `end` (n if none). */
static size_t skip_past(const unsigned char *p, size_t n, size_t i, const char *end)
{
    size_t el = strlen(end);
    while (i + el <= n) {
        const unsigned char *q = memchr(p + i, end[0], n - i);
        if (q == NULL)
            return n;
        i = (size_t)(q - p);
        if (i + el <= n && memcmp(p + i, end, el) == 0)
            return i + el;
        i++;
    }
    return n;
}

int onshi__bulk_unit_offsets(const unsigned char *p, size_t n, size_t **off, size_t *count)
{
    *off = NULL;
    *count = 0;
    size_t cap = 0, depth = 0, i = 0;
    bool in_body = false; /* the depth-2 element is XmlMsg/MessageBody */
    bool root_ok = false; /* the depth-1 element is XmlMsg */
    static const char unit[] = "BulkConfirmUnit", body[] = "MessageBody", root[] = "XmlMsg";
    while (i < n) {
        const unsigned char *q = memchr(p + i, '<', n - i);
        if (q == NULL)
            break;
        size_t lt = (size_t)(q - p);
        i = lt + 1;
        if (i >= n)
            break;
        if (p[i] == '!') {
            if (i + 2 < n && p[i + 1] == '-' && p[i + 2] == '-')
                i = skip_past(p, n, i + 3, "-->");
            else if (i + 7 < n && memcmp(p + i + 1, "[CDATA[", 7) == 0)
                i = skip_past(p, n, i + 8, "]]>");
            else
                i = skip_past(p, n, i, ">");
            continue;
        }
        if (p[i] == '?') {
            i = skip_past(p, n, i + 1, "?>");
            continue;
        }
        bool end = p[i] == '/';
        size_t ns = end ? i + 1 : i, ne = ns;
        while (ne < n && p[ne] != '>' && p[ne] != '/' && p[ne] != ' ' && p[ne] != '\t' &&
               p[ne] != '\r' && p[ne] != '\n')
            ne++;
        /* the end of the tag, quoted values skipped */
        size_t k = ne;
        unsigned char quote = 0;
        for (; k < n; k++) {
            if (quote) {
                if (p[k] == quote)
                    quote = 0;
            } else if (p[k] == '"' || p[k] == '\'') {
                quote = p[k];
            } else if (p[k] == '>') {
                break;
            }
        }
        if (k >= n)
            break;
        bool empty = !end && k > ns && p[k - 1] == '/';
        size_t nl = ne - ns;
        i = k + 1;
        if (end) {
            if (depth > 0)
                depth--;
            if (depth < 2)
                in_body = false;
            if (depth < 1)
                root_ok = false;
            continue;
        }
        if (depth == 2 && in_body && nl == sizeof unit - 1 && memcmp(p + ns, unit, nl) == 0) {
            if (*count == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                size_t *v = realloc(*off, nc * sizeof *v);
                if (v == NULL) {
                    free(*off);
                    *off = NULL;
                    *count = 0;
                    return ONSHI_E_NOMEM;
                }
                *off = v;
                cap = nc;
            }
            (*off)[(*count)++] = lt;
        }
        if (empty)
            continue;
        if (depth == 0)
            root_ok = nl == sizeof root - 1 && memcmp(p + ns, root, nl) == 0;
        else if (depth == 1)
            in_body = root_ok && nl == sizeof body - 1 && memcmp(p + ns, body, nl) == 0;
        depth++;
    }
    return ONSHI_OK;
}

ONSHI_API onshi_group *ONSHI_CALL onshi_bulk_reader_header(onshi_bulk_reader *br)
{
    return br ? br->msg->header : NULL;
}

ONSHI_API onshi_group *ONSHI_CALL onshi_bulk_reader_body(onshi_bulk_reader *br)
{
    return br ? br->msg->body : NULL;
}

ONSHI_API int ONSHI_CALL onshi_bulk_reader_next(onshi_group **out, onshi_bulk_reader *br)
{
    if (br == NULL || out == NULL)
        return ONSHI_E_INVALID_ARG;
    *out = NULL;
    if (br->done)
        return ONSHI_OK;
    br->started = true;
    int rc = onshi__xmlreader_next_unit(br->r, &br->unit, out);
    if (rc != ONSHI_OK || *out == NULL) {
        br->done = true;
        onshi__doc_reset(&br->unit);
    }
    return rc;
}

ONSHI_API size_t ONSHI_CALL onshi_bulk_reader_warning_count(const onshi_bulk_reader *br)
{
    if (br == NULL)
        return 0;
    return br->started ? br->unit.nwarn : br->msg->doc.nwarn;
}

ONSHI_API int ONSHI_CALL onshi_bulk_reader_warning_at(int *kind, const char **path,
                                                      const char **text, const onshi_bulk_reader *br,
                                                      size_t i)
{
    if (br == NULL)
        return ONSHI_E_INVALID_ARG;
    const onshi__doc *d = br->started ? &br->unit : &br->msg->doc;
    const char *t = onshi__warn_text(d, i, kind, path);
    if (t == NULL)
        return ONSHI_E_NOT_FOUND;
    if (text)
        *text = t;
    return ONSHI_OK;
}
