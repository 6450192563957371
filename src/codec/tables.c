/*
 * Lookups generated from the definition files: schema.def (elements, formats), codes.def
 * (OQSCD code tables) and layouts.def (what each request contains), plus the check digits.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ---------------------------------------------------------------------------- */

static const onshi__field fields[] = {
#define F(id, g, v, e, k, m, t) {id, g, v, e, k, m, t},
#define C(p, k, v, e, w, r)
#include "schema.def"
#undef F
#undef C
};
static const onshi__child childs[] = {
#define F(id, g, v, e, k, m, t)
#define C(p, k, v, e, w, r) {p, k, v, e, w, r},
#include "schema.def"
#undef F
#undef C
};
#define NFIELDS (sizeof fields / sizeof fields[0])
#define NCHILDS (sizeof childs / sizeof childs[0])

/* Document order: each row says whether it is the next field or the next child. */
static const unsigned char row_is_child[] = {
#define F(id, g, v, e, k, m, t) 0,
#define C(p, k, v, e, w, r) 1,
#include "schema.def"
#undef F
#undef C
};
#define NROWS (sizeof row_is_child)
#define NGROUPS 19

static onshi__item items[NROWS];
static size_t group_start[NGROUPS + 1], group_len[NGROUPS + 1];

/* A small open-addressing hash of (group, element) → field / child / wrapper, because a
 * linear scan per element would dominate decoding of a 10,000-unit bulk file. */
#define HBITS 11
#define HSIZE (1u << HBITS)
typedef onshi__sent hent;
static hent htab[HSIZE];
/* Field rows by id and variant: getters run once per value read. */
#define MAXID 1000
static const onshi__field *by_id[MAXID][4];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static unsigned hash(int group, const char *s)
{
    unsigned h = 2166136261u ^ (unsigned)group;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (HSIZE - 1);
}

static hent *hfind(int group, const char *elem, bool create)
{
    for (unsigned i = hash(group, elem);; i = (i + 1) & (HSIZE - 1)) {
        hent *e = &htab[i];
        if (e->elem == NULL) {
            if (!create)
                return NULL;
            e->group = group;
            e->elem = elem;
            return e;
        }
        if (e->group == group && strcmp(e->elem, elem) == 0)
            return e;
    }
}

static void build(void)
{
    size_t fi = 0, ci = 0;
    /* Rows of one group may be interleaved with other groups' rows in schema.def only in
     * blocks; collect per group keeping the order. */
    static onshi__item tmp[NROWS];
    for (size_t r = 0; r < NROWS; r++)
        tmp[r] = row_is_child[r] ? (onshi__item){NULL, &childs[ci++]}
                                 : (onshi__item){&fields[fi++], NULL};
    size_t n = 0;
    for (int g = 1; g <= NGROUPS - 1; g++) {
        group_start[g] = n;
        for (size_t r = 0; r < NROWS; r++) {
            int owner = tmp[r].field ? tmp[r].field->group : tmp[r].child->parent;
            if (owner == g)
                items[n++] = tmp[r];
        }
        group_len[g] = n - group_start[g];
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        hent *e = hfind(fields[i].group, fields[i].elem, true);
        e->field[fields[i].variant] = &fields[i];
        if (fields[i].id > 0 && fields[i].id < MAXID)
            by_id[fields[i].id][fields[i].variant] = &fields[i];
    }
    for (size_t i = 0; i < NCHILDS; i++) {
        hent *e = hfind(childs[i].parent, childs[i].elem, true);
        if (e->child == NULL)
            e->child = &childs[i];
        if (childs[i].wrapper != NULL)
            hfind(childs[i].parent, childs[i].wrapper, true)->wrapper = true;
    }
}

static void ensure(void)
{
    pthread_once(&once, build);
}

const onshi__field *onshi__field_by_id(int id, int variant)
{
    ensure();
    if (id > 0 && id < MAXID && variant >= 0 && variant < 4) {
        if (by_id[id][0] != NULL)
            return by_id[id][0];
        return by_id[id][variant];
    }
    const onshi__field *any = NULL;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].id == id) {
            if (fields[i].variant == variant || fields[i].variant == 0)
                return &fields[i];
            if (any == NULL)
                any = &fields[i];
        }
    return variant < 0 ? any : NULL;
}

const onshi__field *onshi__field_by_elem(int group, int variant, const char *elem)
{
    ensure();
    hent *e = hfind(group, elem, false);
    if (e == NULL)
        return NULL;
    if (e->field[0] != NULL)
        return e->field[0];
    return (variant >= 0 && variant < 4) ? e->field[variant] : NULL;
}

const onshi__child *onshi__child_by_elem(int parent, const char *elem, const char *wrapper)
{
    ensure();
    hent *e = hfind(parent, elem, false);
    if (e == NULL || e->child == NULL)
        return NULL;
    /* Several rows may share an element name under one parent only with one wrapper each;
     * the schema has none, so the first row is the row. */
    if (wrapper != NULL && (e->child->wrapper == NULL || strcmp(e->child->wrapper, wrapper) != 0))
        return NULL;
    return e->child;
}

bool onshi__is_wrapper(int parent, const char *elem)
{
    ensure();
    hent *e = hfind(parent, elem, false);
    return e != NULL && e->wrapper;
}

const onshi__sent *onshi__schema_lookup(int parent, const char *elem)
{
    ensure();
    return hfind(parent, elem, false);
}

const char *onshi__schema_name(int parent, const char *elem)
{
    ensure();
    hent *e = hfind(parent, elem, false);
    return e ? e->elem : NULL;
}

const onshi__child *onshi__child_by_kind(int parent, int kind, int variant)
{
    const onshi__child *any = NULL;
    for (size_t i = 0; i < NCHILDS; i++)
        if (childs[i].parent == parent && childs[i].kind == kind) {
            if (childs[i].variant == variant || variant <= 0)
                return &childs[i];
            if (any == NULL)
                any = &childs[i];
        }
    return any;
}

size_t onshi__items(int group, const onshi__item **out)
{
    ensure();
    if (group <= 0 || group >= NGROUPS) {
        *out = NULL;
        return 0;
    }
    *out = &items[group_start[group]];
    return group_len[group];
}

/* ---- code tables ------------------------------------------------------------------------ */

typedef struct code {
    int table;
    const char *value, *ja, *en;
} code;
static const code codes[] = {
#define TABLE(n, e, ja, en)
#define CODE(n, v, ja, en) {n, v, ja, en},
#include "codes.def"
#undef TABLE
#undef CODE
};

const char *onshi__code_label(int table, const char *value, bool ja)
{
    if (value == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].table == table && strcmp(codes[i].value, value) == 0)
            return ja ? codes[i].ja : codes[i].en;
    return NULL;
}

size_t onshi__code_count(void)
{
    return sizeof codes / sizeof codes[0];
}

void onshi__code_at(size_t i, int *table, const char **value, const char **ja, const char **en)
{
    *table = codes[i].table;
    *value = codes[i].value;
    *ja = codes[i].ja;
    *en = codes[i].en;
}

ONSHI_API const char *ONSHI_CALL onshi_code_label(const onshi_ctx *ctx, int table,
                                                  const char *value)
{
    return onshi__code_label(table, value, onshi__lang_ja(ctx));
}

ONSHI_API const char *ONSHI_CALL onshi_field_name(int field)
{
    const onshi__field *f = onshi__field_by_id(field, -1);
    return f ? f->elem : NULL;
}

ONSHI_API int ONSHI_CALL onshi_field_code_table(int field)
{
    const onshi__field *f = onshi__field_by_id(field, -1);
    return f ? f->table : 0;
}

/* ---- layouts ------------------------------------------------------------------------------ */

#define M ONSHI__L_M
#define O ONSHI__L_O
#define N ONSHI__L_N
static const onshi__layout_row layout[] = {
#define L(t, g, i, f) {t, g, i, f},
#include "layouts.def"
#undef L
};
#undef M
#undef O
#undef N

bool onshi__layout_has(int type)
{
    for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++)
        if (layout[i].type == type)
            return true;
    return false;
}

int onshi__layout_flag(int type, int group, int item)
{
    for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++)
        if (layout[i].type == type && layout[i].group == group && layout[i].item == item)
            return layout[i].flag;
    return 0;
}

size_t onshi__layout_rows(const onshi__layout_row **out)
{
    *out = layout;
    return sizeof layout / sizeof layout[0];
}

/* ---- formats and check digits --------------------------------------------------------------- */

const char *onshi__format_problem(const onshi__field *f, const char *v, int *status)
{
    size_t n = strlen(v);
    *status = ONSHI_E_FIELD_FORMAT;
    switch (f->kind) {
    case K_DATE:
        return onshi__date8_ok(v) ? NULL : "not a date YYYYMMDD";
    case K_TS:
        return onshi__stamp14_ok(v) ? NULL : "not a timestamp YYYYMMDDHHmmss";
    case K_YM:
        return onshi__month6_ok(v) ? NULL : "not a month YYYYMM";
    case K_BRANCH:
        return n == 2 && onshi__digits(v, 2) ? NULL : "not 2 digits";
    case K_NUM:
        if (n == 0 || !onshi__digits(v, n))
            return "not a number";
        break;
    case K_INSURER:
        return (n == 6 || n == 8) && onshi__digits(v, n) ? NULL : "not 6 or 8 digits";
    case K_PUBEXP:
        return n == 8 && onshi__digits(v, 8) ? NULL : "not 8 digits";
    case K_INST:
        /* Only the shape: the check digit and the prefecture/点数表 digits are the central
         * system's to judge (a failed local check is a warning, numbers.c). */
        return n == 10 && onshi__digits(v, 10) ? NULL : "not 10 digits";
    default:
        break;
    }
    if (f->max > 0 && onshi__utf8_chars(v) > (size_t)f->max) {
        *status = ONSHI_E_FIELD_LENGTH;
        return "too long";
    }
    return NULL;
}

int onshi__value_check(const onshi__field *f, const char *v, const char **why)
{
    int st;
    *why = onshi__format_problem(f, v, &st);
    if (*why != NULL)
        return st;
    if (f->kind == K_CODE && onshi__code_label(f->table, v, false) == NULL) {
        *why = "not a value of its code table";
        return ONSHI_E_CODE_VALUE;
    }
    if ((f->kind == K_INSURER || f->kind == K_PUBEXP) &&
        !onshi__check_digit_ok(v, strlen(v))) {
        *why = "wrong check digit (検証番号)";
        return ONSHI_E_CHECK_DIGIT;
    }
    return ONSHI_OK;
}

/* Trim surrounding spaces (insurer numbers come space-padded) into buf. */
static const char *trim(const char *s, char *buf, size_t cap)
{
    if (s == NULL)
        return NULL;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

ONSHI_API int ONSHI_CALL onshi_insurer_number_check(const char *number)
{
    char b[16];
    const char *s = trim(number, b, sizeof b);
    if (s == NULL)
        return ONSHI_E_INVALID_ARG;
    size_t n = strlen(s);
    if ((n != 6 && n != 8) || !onshi__digits(s, n))
        return ONSHI_E_FIELD_FORMAT;
    return onshi__check_digit_ok(s, n) ? ONSHI_OK : ONSHI_E_CHECK_DIGIT;
}

ONSHI_API int ONSHI_CALL onshi_public_expense_number_check(const char *number)
{
    char b[16];
    const char *s = trim(number, b, sizeof b);
    if (s == NULL)
        return ONSHI_E_INVALID_ARG;
    if (strlen(s) != 8 || !onshi__digits(s, 8))
        return ONSHI_E_FIELD_FORMAT;
    return onshi__check_digit_ok(s, 8) ? ONSHI_OK : ONSHI_E_CHECK_DIGIT;
}
