/*
 * Characters: encoding detection, UTF-8 validation, CP932 conversion, and the per-field
 * character warnings (replacement marks, characters outside JIS X 0208 levels 1-2).
 * "Shift_JIS" is always read and written as CP932 (Windows-31J): strict Shift_JIS tables
 * fail on 髙, 﨑, ① and map the full-width minus differently (domain-rules.md).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t onshi__utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] == 0) {
        *cp = 0;
        return 0;
    }
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    int n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
    uint32_t c = p[0] & (0xFF >> (n + 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *cp = n == 1 ? 0xFFFD : c;
    return (size_t)n;
}

size_t onshi__utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

size_t onshi__utf8_invalid_at(const unsigned char *p, size_t n, bool partial_ok)
{
    size_t i = 0;
    while (i < n) {
        /* Markup is ASCII: skip it eight bytes at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            min = 0x10000;
        } else {
            return i;
        }
        if (i + len > n) {
            for (size_t k = i + 1; k < n; k++)
                if ((p[k] & 0xC0) != 0x80)
                    return i;
            return partial_ok ? n : i;
        }
        uint32_t cp = c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

bool onshi__looks_sjis(const unsigned char *p, size_t n)
{
    if (n >= 1 && p[0] >= 0xA1 && p[0] <= 0xDF)
        return true; /* half-width katakana */
    if (n >= 2 && ((p[0] >= 0x81 && p[0] <= 0x9F) || (p[0] >= 0xE0 && p[0] <= 0xFC)))
        return (p[1] >= 0x40 && p[1] <= 0x7E) || (p[1] >= 0x80 && p[1] <= 0xFC);
    return false;
}

bool onshi__looks_utf8_multibyte(const unsigned char *p, size_t n)
{
    if (n < 2 || p[0] < 0xC2)
        return false;
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    return len <= n && onshi__utf8_invalid_at(p, len, false) == len;
}

static bool is_sjis_name(const char *e, size_t n)
{
    static const char *const names[] = {"Shift_JIS", "Shift-JIS", "SJIS", "CP932", "MS932",
                                        "Windows-31J", "x-sjis", "MS_Kanji", "csShiftJIS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(e, names[i], n) == 0)
            return true;
    return false;
}

static bool is_utf8_name(const char *e, size_t n)
{
    return (n == 5 && strncasecmp(e, "UTF-8", 5) == 0) || (n == 4 && strncasecmp(e, "UTF8", 4) == 0) ||
           (n == 8 && strncasecmp(e, "US-ASCII", 8) == 0) || (n == 5 && strncasecmp(e, "ASCII", 5) == 0);
}

int onshi__detect_encoding(const unsigned char *p, size_t n, size_t *bom, char *why, size_t whylen)
{
    *bom = 0;
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        snprintf(why, whylen, "UTF-16 input (byte-order mark at byte 0) is not supported");
        return ONSHI_E_ENCODING;
    }
    int bom_enc = -1;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *bom = 3;
        bom_enc = ONSHI__ENC_UTF8;
    }
    const char *s = (const char *)p + *bom;
    size_t len = n - *bom;
    /* The XML declaration, if any, is ASCII in both encodings. */
    int decl = -1;
    if (len >= 5 && memcmp(s, "<?xml", 5) == 0) {
        const char *end = memchr(s, '>', len);
        size_t dl = end ? (size_t)(end - s) : len;
        const char *e = NULL;
        for (size_t i = 0; i + 8 < dl; i++)
            if (memcmp(s + i, "encoding", 8) == 0) {
                e = s + i + 8;
                break;
            }
        if (e != NULL) {
            const char *lim = s + dl;
            while (e < lim && (*e == ' ' || *e == '=' || *e == '\t'))
                e++;
            if (e < lim && (*e == '"' || *e == '\'')) {
                char q = *e++;
                const char *v = e;
                while (e < lim && *e != q)
                    e++;
                size_t vn = (size_t)(e - v);
                if (is_utf8_name(v, vn))
                    decl = ONSHI__ENC_UTF8;
                else if (is_sjis_name(v, vn))
                    decl = ONSHI__ENC_CP932;
                else {
                    snprintf(why, whylen, "unsupported declared encoding \"%.*s\" (byte %zu)",
                             (int)(vn > 40 ? 40 : vn), v, (size_t)(v - (const char *)p));
                    return ONSHI_E_ENCODING;
                }
            }
        }
    }
    if (bom_enc >= 0) {
        if (decl == ONSHI__ENC_CP932) {
            snprintf(why, whylen, "UTF-8 byte-order mark but the declaration says Shift_JIS");
            return ONSHI_E_ENCODING_MISMATCH;
        }
        return ONSHI__ENC_UTF8;
    }
    if (decl >= 0)
        return decl;
    /* No declaration: the header's CharacterCodeIdentifier (1 = Shift_JIS) decides. */
    static const char tag[] = "<CharacterCodeIdentifier>";
    for (size_t i = 0; i + sizeof tag < len; i++)
        if (memcmp(s + i, tag, sizeof tag - 1) == 0)
            return s[i + sizeof tag - 1] == '1' ? ONSHI__ENC_CP932 : ONSHI__ENC_UTF8;
    return ONSHI__ENC_UTF8;
}

/* ---- converters kept per context ----------------------------------------------------------
 * iconv_open loads gconv modules and costs time; glibc's loader also races under
 * ThreadSanitizer when contexts on several threads open converters at once. Each context
 * opens a converter once (lazily, in its codec slot) and lends it out; a second user at the
 * same time (a bulk reader open while a message is decoded) gets a private one. */
static const char *const cd_to[ONSHI__CD_COUNT] = {"UTF-8", "EUC-JP", "CP932"};
static const char *const cd_from[ONSHI__CD_COUNT] = {"CP932", "UTF-8", "UTF-8"};

typedef struct codec_slot {
    onshi__cv_t cd[ONSHI__CD_COUNT];
    bool busy[ONSHI__CD_COUNT];
} codec_slot;

static void slot_free(void *p)
{
    codec_slot *s = p;
    for (int i = 0; i < ONSHI__CD_COUNT; i++)
        if (s->cd[i] != ONSHI__CV_NONE)
            onshi__cv_close(s->cd[i]);
    free(s);
}

static codec_slot *slot_of(onshi_ctx *ctx)
{
    if (ctx == NULL)
        return NULL;
    codec_slot *s = onshi__slot_get(ctx, ONSHI__SLOT_CODEC);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return NULL;
        for (int i = 0; i < ONSHI__CD_COUNT; i++)
            s->cd[i] = ONSHI__CV_NONE;
        onshi__slot_set(ctx, ONSHI__SLOT_CODEC, s, slot_free);
    }
    return s;
}

static size_t opened_count;

onshi__cv_t onshi__iconv_take(onshi_ctx *ctx, int which)
{
    codec_slot *s = slot_of(ctx);
    if (s != NULL && !s->busy[which]) {
        if (s->cd[which] == ONSHI__CV_NONE) {
            s->cd[which] = onshi__cv_open(cd_to[which], cd_from[which]);
            if (s->cd[which] == ONSHI__CV_NONE)
                return ONSHI__CV_NONE;
            __atomic_add_fetch(&opened_count, 1, __ATOMIC_RELAXED);
        }
        s->busy[which] = true;
        onshi__cv(s->cd[which], NULL, NULL, NULL, NULL); /* initial state */
        return s->cd[which];
    }
    onshi__cv_t cd = onshi__cv_open(cd_to[which], cd_from[which]);
    if (cd != ONSHI__CV_NONE)
        __atomic_add_fetch(&opened_count, 1, __ATOMIC_RELAXED);
    return cd;
}

void onshi__iconv_give(onshi_ctx *ctx, int which, onshi__cv_t cd)
{
    if (cd == ONSHI__CV_NONE)
        return;
    codec_slot *s = ctx ? onshi__slot_get(ctx, ONSHI__SLOT_CODEC) : NULL;
    if (s != NULL && s->cd[which] == cd) {
        s->busy[which] = false;
        return;
    }
    onshi__cv_close(cd);
}

size_t onshi__iconv_opened(void)
{
    return __atomic_load_n(&opened_count, __ATOMIC_RELAXED);
}

int onshi__cp932_to_utf8(onshi_ctx *ctx, const unsigned char *p, size_t n, onshi_buf *out,
                         size_t *bad)
{
    onshi__cv_t cd = onshi__iconv_take(ctx, ONSHI__CD_CP932_UTF8);
    if (cd == ONSHI__CV_NONE)
        return ONSHI_E_UNSUPPORTED;
    int rc = onshi__buf_reserve(out, n * 3 / 2 + 16);
    char *in = (char *)p;
    size_t inleft = n;
    while (rc == ONSHI_OK && inleft > 0) {
        char *o = (char *)out->data + out->len;
        size_t oleft = out->cap - out->len;
        size_t r = onshi__cv(cd, &in, &inleft, &o, &oleft);
        out->len = (size_t)((unsigned char *)o - out->data);
        if (r == (size_t)-1) {
            if (errno == E2BIG)
                rc = onshi__buf_reserve(out, inleft * 3 + 16);
            else {
                *bad = n - inleft;
                rc = ONSHI_E_ENCODING;
            }
        }
    }
    onshi__iconv_give(ctx, ONSHI__CD_CP932_UTF8, cd);
    return rc;
}

int onshi__cp932_unencodable(onshi__cv_t cd, const char *value, uint32_t *cp)
{
    char out[64];
    const char *s = value;
    while (*s) {
        uint32_t c;
        size_t l = onshi__utf8_next(s, &c);
        if (c >= 0x80) {
            char *in = (char *)s, *o = out;
            size_t il = l, ol = sizeof out;
            onshi__cv(cd, NULL, NULL, NULL, NULL);
            if (onshi__cv(cd, &in, &il, &o, &ol) == (size_t)-1) {
                *cp = c;
                return 1;
            }
        }
        s += l;
    }
    return 0;
}

/* ---- character warnings ---------------------------------------------------------------- */

void onshi__charcheck_init(onshi__charcheck *c, onshi_ctx *ctx)
{
    memset(c->known, 0, sizeof c->known);
    c->ctx = ctx;
    c->eucjp = onshi__iconv_take(ctx, ONSHI__CD_UTF8_EUCJP);
}

void onshi__charcheck_free(onshi__charcheck *c)
{
    onshi__iconv_give(c->ctx, ONSHI__CD_UTF8_EUCJP, c->eucjp);
    c->eucjp = ONSHI__CV_NONE;
}

/* CP932 maps some JIS X 0208 cells to other code points than JIS/EUC-JP tables do; map
 * them back before asking EUC-JP, or the full-width minus would be flagged wrongly. */
static uint32_t jis_equivalent(uint32_t c)
{
    switch (c) {
    case 0xFF0D: return 0x2212; /* － */
    case 0xFF5E: return 0x301C; /* ～ */
    case 0x2225: return 0x2016; /* ∥ */
    case 0xFFE0: return 0x00A2; /* ￠ */
    case 0xFFE1: return 0x00A3; /* ￡ */
    case 0xFFE2: return 0x00AC; /* ￢ */
    case 0x2015: return 0x2014; /* ― */
    default: return c;
    }
}

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Is c in JIS X 0208 (as a 2-byte EUC-JP character), ASCII or half-width katakana? */
static bool in_jis0208(onshi__cv_t cd, uint32_t c)
{
    if (c < 0x80 || (c >= 0xFF61 && c <= 0xFF9F))
        return true;
    char in[4], out[8];
    size_t il = utf8_put(jis_equivalent(c), in), ol = sizeof out;
    char *ip = in, *op = out;
    onshi__cv(cd, NULL, NULL, NULL, NULL);
    if (onshi__cv(cd, &ip, &il, &op, &ol) == (size_t)-1)
        return false;
    /* 0x8F introduces JIS X 0212 (補助漢字, e.g. 德); 0x8E half-width kana was let through. */
    return (op - out) == 2 && (unsigned char)out[0] >= 0xA1;
}

static bool cached_jis0208(onshi__charcheck *cc, uint32_t c)
{
    if (c > 0xFFFF)
        return false; /* JIS X 0208 lies in the BMP */
    uint8_t bit = (uint8_t)(1u << (c & 7));
    if (cc->known[c >> 3] & bit)
        return (cc->ok[c >> 3] & bit) != 0;
    bool ok = in_jis0208(cc->eucjp, c);
    cc->known[c >> 3] |= bit;
    if (ok)
        cc->ok[c >> 3] |= bit;
    else
        cc->ok[c >> 3] &= (uint8_t)~bit;
    return ok;
}

void onshi__charcheck_text(onshi__charcheck *cc, onshi_group *node, const char *s)
{
    const char *p = s;
    while (*p && (unsigned char)*p < 0x80)
        p++;
    if (*p == '\0')
        return;
    while (*p) {
        uint32_t c;
        const char *at = p;
        p += onshi__utf8_next(p, &c);
        if (c < 0x80)
            continue;
        char ch[5] = {0};
        memcpy(ch, at, (size_t)(p - at) < 4 ? (size_t)(p - at) : 4);
        if (c == 0x25CF || c == 0x3013)
            onshi__warn(node, ONSHI_WARN_REPLACEMENT_CHAR,
                        "replacement mark U+%04X %s: the system could not show a character",
                        (unsigned)c, ch);
        else if (cc->eucjp != ONSHI__CV_NONE && !cached_jis0208(cc, c))
            onshi__warn(node, ONSHI_WARN_NOT_JIS_X0208,
                        "character U+%04X %s is outside JIS X 0208 levels 1-2", (unsigned)c, ch);
    }
}
