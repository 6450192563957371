/*
 * onshi-vcard core: the card's file system, PIN counters, security state and signing.
 * Every byte value comes from the JPKI card facts in docs/card.md ([OpenSC], [myna],
 * [myna-card], [jpki-rs]); choices the sources leave open are marked "choice:".
 * SPDX-License-Identifier: Apache-2.0
 */
#include "vcard.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const unsigned char vcard_atr[] = {0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14};
const size_t vcard_atr_len = sizeof vcard_atr;

const unsigned char vcard_aid_jpki[10] = {0xD3, 0x92, 0xF0, 0x00, 0x26,
                                          0x01, 0x00, 0x00, 0x00, 0x01};
const unsigned char vcard_aid_kenhojo[10] = {0xD3, 0x92, 0x10, 0x00, 0x31,
                                             0x00, 0x01, 0x01, 0x04, 0x08};

/* The JPKI EFs the SDK may touch (domain-rules.md). */
static const unsigned short jpki_allowed[] = {0x0006, 0x000A, 0x000B, 0x0017, 0x0018};

enum ef_kind { EF_BIN, EF_KEY, EF_PIN };
enum ap_id { AP_NONE = -1, AP_JPKI = 0, AP_KENHOJO = 1, AP_COUNT = 2 };

#define MAX_EF 12
#define MAX_PIN 16

typedef struct ef {
    unsigned short fid;
    int kind;
    unsigned char *data; /* EF_BIN only; owned */
    size_t len;
    int pin;             /* index of the PIN that must be verified to read/use it, or -1 */
    int mynumber;        /* reading it leaks the (fake) My Number */
} ef;

typedef struct pin {
    unsigned short fid;
    char value[MAX_PIN + 1];
    size_t len;
    int max, left;
    int verified;
} pin;

typedef struct app {
    const unsigned char *aid;
    ef efs[MAX_EF];
    int n_ef;
    pin pins[2];
    int n_pin;
} app;

struct vcard {
    app aps[AP_COUNT];
    int cur_ap;   /* enum ap_id; AP_NONE = the issuer security domain selected at power-up */
    int cur_ef;   /* index into aps[cur_ap].efs, or -1 */
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    unsigned latency_ms, sign_ms;
    unsigned long remove_after;
    vcard_log_fn log_fn;
    void *log_ud;
    vcard_stats stats;
};

/* ---- helpers ------------------------------------------------------------------------ */

static void errf(char *buf, size_t len, const char *msg, int rc)
{
    if (buf != NULL && len > 0)
        snprintf(buf, len, "%s (%d)", msg, rc);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until `start + ms` so the model gives the total time, not time on top of work. */
static void sleep_until(uint64_t start, unsigned ms)
{
    uint64_t end = start + (uint64_t)ms * 1000000u, t;
    while ((t = now_ns()) < end) {
        struct timespec ts;
        uint64_t d = end - t;
        ts.tv_sec = (time_t)(d / 1000000000u);
        ts.tv_nsec = (long)(d % 1000000000u);
        nanosleep(&ts, NULL);
    }
}

static int add_ef(app *a, unsigned short fid, int kind, const unsigned char *data, size_t len,
                  int pin_idx, int mynumber)
{
    ef *e = &a->efs[a->n_ef];
    memset(e, 0, sizeof *e);
    e->fid = fid;
    e->kind = kind;
    e->pin = pin_idx;
    e->mynumber = mynumber;
    if (kind == EF_BIN) {
        e->data = malloc(len ? len : 1);
        if (e->data == NULL)
            return -1;
        memcpy(e->data, data, len);
        e->len = len;
    }
    a->n_ef++;
    return 0;
}

static int add_pin(app *a, unsigned short fid, const char *value, int tries)
{
    pin *p = &a->pins[a->n_pin];
    size_t n = strlen(value);
    if (n == 0 || n > MAX_PIN)
        return -1;
    memset(p, 0, sizeof *p);
    p->fid = fid;
    memcpy(p->value, value, n);
    p->len = n;
    p->max = p->left = tries;
    a->n_pin++;
    return add_ef(a, fid, EF_PIN, NULL, 0, a->n_pin - 1, 0);
}

static ef *find_ef(app *a, unsigned short fid, int *idx)
{
    int i;
    for (i = 0; i < a->n_ef; i++) {
        if (a->efs[i].fid == fid) {
            if (idx != NULL)
                *idx = i;
            return &a->efs[i];
        }
    }
    return NULL;
}

static void clear_security(vcard *c)
{
    int a, p;
    for (a = 0; a < AP_COUNT; a++)
        for (p = 0; p < c->aps[a].n_pin; p++)
            c->aps[a].pins[p].verified = 0;
}

/* ---- create / free -------------------------------------------------------------------- */

/* EF 0006: a 160-byte PKCS#11 CK_TOKEN_INFO whose first 32 bytes are the space-padded label
 * [myna-card ap/jpki.rs]; the rest is filled the same way with made-up values. */
static void token_info(unsigned char out[160], int phone)
{
    const char *const fields[] = {phone == VCARD_PHONE_ANDROID  ? "JPKIAPGPSETOKEN"
                                  : phone == VCARD_PHONE_IPHONE ? "JPKIAPIOSTOKEN"
                                                                : "JPKIAPICCTOKEN2",
                                  "onshi-vcard", "virtual", "0000000000000001"};
    static const size_t widths[] = {32, 32, 16, 16};
    size_t off = 0, i;
    memset(out, 0, 160);
    for (i = 0; i < 4; i++) {
        size_t n = strlen(fields[i]);
        memset(out + off, ' ', widths[i]);
        memcpy(out + off, fields[i], n);
        off += widths[i];
    }
}

int vcard_new(vcard **out, const vcard_config *cfg, char *errbuf, size_t errlen)
{
    static const char pers[] = "onshi-vcard";
    /* 券面事項入力補助AP EF 0001: the My Number under tag FF10 [myna text.rs]. */
    unsigned char mn[3 + sizeof VCARD_FAKE_MYNUMBER - 1];
    unsigned char tok[160];
    const unsigned char presence[3] = {0x8F, 0x8F, 0x00}; /* EF 0008 [myna-card] */
    const char *pinv = cfg->pin != NULL ? cfg->pin : "1234";
    int tries = cfg->tries > 0 ? cfg->tries : 3;
    vcard *c;
    int rc;

    *out = NULL;
    if (cfg->cert_der == NULL || cfg->ca_der == NULL || cfg->key == NULL) {
        errf(errbuf, errlen, "certificate, CA certificate and key are required", -1);
        return -1;
    }
    if (tries > 15) {
        errf(errbuf, errlen, "tries must be 1..15 (one nibble of 63Cx)", tries);
        return -1;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    mbedtls_pk_init(&c->key);
    mbedtls_entropy_init(&c->entropy);
    mbedtls_ctr_drbg_init(&c->drbg);
    c->cur_ap = AP_NONE;
    c->cur_ef = -1;
    c->latency_ms = cfg->latency_ms;
    c->sign_ms = cfg->sign_ms;
    c->remove_after = cfg->remove_after;

    rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                               (const unsigned char *)pers, sizeof pers - 1);
    if (rc != 0) {
        errf(errbuf, errlen, "seeding the random generator failed", rc);
        goto fail;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    rc = mbedtls_pk_parse_key(&c->key, cfg->key, cfg->key_len, NULL, 0, mbedtls_ctr_drbg_random,
                              &c->drbg);
#else
    rc = mbedtls_pk_parse_key(&c->key, cfg->key, cfg->key_len, NULL, 0);
#endif
    if (rc != 0) {
        errf(errbuf, errlen, "cannot parse the private key", rc);
        goto fail;
    }
    if (!mbedtls_pk_can_do(&c->key, MBEDTLS_PK_RSA)) {
        /* choice: the current card is RSA-2048; the ECDSA P-384 generation has no public
         * APDU spec yet (jpki-card.md "Newer cards"). */
        errf(errbuf, errlen, "only RSA keys are emulated", -1);
        rc = -1;
        goto fail;
    }

    c->aps[AP_JPKI].aid = vcard_aid_jpki;
    c->aps[AP_KENHOJO].aid = cfg->smartphone ? NULL : vcard_aid_kenhojo; /* a phone: JPKI only */
    token_info(tok, cfg->smartphone);
    rc = -1;
    if (add_pin(&c->aps[AP_JPKI], 0x0018, pinv, tries) != 0) {
        errf(errbuf, errlen, "the PIN must be 1..16 characters", -1);
        goto fail;
    }
    if (add_ef(&c->aps[AP_JPKI], 0x0006, EF_BIN, tok, sizeof tok, -1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x0008, EF_BIN, presence, sizeof presence, -1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x000A, EF_BIN, cfg->cert_der, cfg->cert_len,
               cfg->smartphone ? 0 : -1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x000B, EF_BIN, cfg->ca_der, cfg->ca_len, -1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x0017, EF_KEY, NULL, 0, 0, 0) != 0)
        goto fail;
    /* The signature side (署名用): clients such as OpenSC refuse a card without it. Its
     * certificate would carry name/address/DOB/sex, so it sits behind the sign password
     * [OpenSC pkcs15-jpki.c PRIVATE]; choice: it reuses the auth certificate and key. */
    if (add_pin(&c->aps[AP_JPKI], 0x001B, VCARD_SIGN_PASSWORD, 5) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x0001, EF_BIN, cfg->cert_der, cfg->cert_len, 1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x0002, EF_BIN, cfg->ca_der, cfg->ca_len, -1, 0) != 0 ||
        add_ef(&c->aps[AP_JPKI], 0x001A, EF_KEY, NULL, 0, 1, 0) != 0)
        goto fail;
    /* The decoy: same PIN as JPKI (people often choose one PIN for both). */
    c->stats.tries_left = tries;
    if (cfg->smartphone) {
        *out = c;
        return 0;
    }
    mn[0] = 0xFF;
    mn[1] = 0x10;
    mn[2] = (unsigned char)(sizeof mn - 3);
    memcpy(mn + 3, VCARD_FAKE_MYNUMBER, sizeof mn - 3);
    if (add_pin(&c->aps[AP_KENHOJO], 0x0011, pinv, tries) != 0 ||
        add_ef(&c->aps[AP_KENHOJO], 0x0001, EF_BIN, mn, sizeof mn, 0, 1) != 0)
        goto fail;
    c->stats.tries_left = tries;
    *out = c;
    return 0;
fail:
    vcard_free(c);
    return rc;
}

void vcard_free(vcard *c)
{
    int a, i;
    if (c == NULL)
        return;
    for (a = 0; a < AP_COUNT; a++) {
        for (i = 0; i < c->aps[a].n_ef; i++)
            free(c->aps[a].efs[i].data);
        mbedtls_platform_zeroize(c->aps[a].pins, sizeof c->aps[a].pins);
    }
    mbedtls_pk_free(&c->key);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_entropy_free(&c->entropy);
    free(c);
}

void vcard_set_log(vcard *c, vcard_log_fn fn, void *userdata)
{
    c->log_fn = fn;
    c->log_ud = userdata;
}

void vcard_get_stats(const vcard *c, vcard_stats *out)
{
    *out = c->stats;
    out->tries_left = c->aps[AP_JPKI].pins[0].left;
}

void vcard_power(vcard *c, int event)
{
    static const char *const names[] = {"# power off", "# power on", "# reset"};
    clear_security(c);
    c->cur_ap = AP_NONE;
    c->cur_ef = -1;
    if (c->log_fn != NULL && event >= 0 && event <= 2)
        c->log_fn(c->log_ud, names[event]);
}

/* ---- APDU parsing (ISO 7816-4 cases 1-4, short and extended) --------------------------- */

typedef struct apdu {
    unsigned cla, ins, p1, p2;
    const unsigned char *data;
    size_t lc;
    size_t le;      /* 0 when absent */
    int has_le;
    int extended;
} apdu;

static int parse_apdu(const unsigned char *b, size_t n, apdu *a)
{
    memset(a, 0, sizeof *a);
    if (n < 4)
        return -1;
    a->cla = b[0];
    a->ins = b[1];
    a->p1 = b[2];
    a->p2 = b[3];
    if (n == 4)
        return 0;
    if (n == 5) {
        a->has_le = 1;
        a->le = b[4] ? b[4] : 256;
        return 0;
    }
    if (b[4] != 0) {
        a->lc = b[4];
        a->data = b + 5;
        if (n == 5 + a->lc)
            return 0;
        if (n == 6 + a->lc) {
            a->has_le = 1;
            a->le = b[n - 1] ? b[n - 1] : 256;
            return 0;
        }
        return -1;
    }
    a->extended = 1;
    if (n == 7) {
        a->has_le = 1;
        a->le = ((size_t)b[5] << 8 | b[6]) ? ((size_t)b[5] << 8 | b[6]) : 65536;
        return 0;
    }
    a->lc = (size_t)b[5] << 8 | b[6];
    a->data = b + 7;
    if (a->lc == 0)
        return -1;
    if (n == 7 + a->lc)
        return 0;
    if (n == 9 + a->lc) {
        size_t le = (size_t)b[n - 2] << 8 | b[n - 1];
        a->has_le = 1;
        a->le = le ? le : 65536;
        return 0;
    }
    return -1;
}

static int fid_allowed(unsigned short fid)
{
    size_t i;
    for (i = 0; i < sizeof jpki_allowed / sizeof jpki_allowed[0]; i++)
        if (jpki_allowed[i] == fid)
            return 1;
    return 0;
}

int vcard_apdu_forbidden(const unsigned char *cmd, size_t cmd_len, int jpki_current)
{
    apdu a;
    if (parse_apdu(cmd, cmd_len, &a) != 0)
        return 0;
    if (a.ins == 0xA4) {
        if (a.p1 == 0x04)
            return !(a.lc == sizeof vcard_aid_jpki &&
                     memcmp(a.data, vcard_aid_jpki, sizeof vcard_aid_jpki) == 0);
        if (a.p1 == 0x02 && a.lc == 2)
            return !jpki_current || !fid_allowed((unsigned short)(a.data[0] << 8 | a.data[1]));
        return 1; /* MF, parent, path: none of them is needed for JPKI */
    }
    /* A short EF id in READ BINARY / VERIFY / SIGN selects an EF implicitly. */
    if ((a.ins == 0xB0 && (a.p1 & 0x80)) || a.ins == 0x20 || a.ins == 0x2A) {
        unsigned sfi = a.ins == 0xB0 ? (a.p1 & 0x1F) : (a.p2 & 0x1F);
        if (a.ins != 0xB0 && (a.p2 & 0x1F) == 0)
            return 0; /* P2 = 80: the current EF, already checked at its SELECT */
        return !jpki_current || !fid_allowed((unsigned short)sfi);
    }
    return 0;
}

/* ---- commands ---------------------------------------------------------------------------- */


typedef struct reply {
    unsigned char *buf;
    size_t cap, len, need;
} reply;

static void put(reply *r, const unsigned char *d, size_t n)
{
    if (r->len + n <= r->cap)
        memcpy(r->buf + r->len, d, n);
    r->len += n;
}

static unsigned cmd_select(vcard *c, const apdu *a)
{
    app *ap;
    int i, idx;
    if (a->p1 == 0x00 && (a->p2 == 0x00 || a->p2 == 0x0C)) {
        /* MF: 6A86 right after reset, a no-op 9000 when a DF is current [myna-card card.rs]. */
        return c->cur_ap == AP_NONE ? 0x6A86 : 0x9000;
    }
    if (a->p1 != 0x04 && a->p1 != 0x02)
        return 0x6A86;
    if (a->p2 != 0x0C) /* choice: only the no-FCI form, which every client uses */
        return 0x6A86;
    if (a->has_le)
        return 0x6700;
    if (a->p1 == 0x04) {
        for (i = 0; i < AP_COUNT; i++) {
            /* Full AID only (choice: JICSAP allows a prefix; we refuse it so a client that
             * relies on partial matching is caught). */
            if (c->aps[i].aid != NULL && a->lc == 10 && memcmp(a->data, c->aps[i].aid, 10) == 0) {
                if (c->cur_ap != i)
                    clear_security(c); /* selecting another AP clears it [myna-card] */
                c->cur_ap = i;
                c->cur_ef = -1;
                return 0x9000;
            }
        }
        return 0x6A82;
    }
    if (a->lc != 2)
        return 0x6700;
    if (c->cur_ap == AP_NONE)
        return 0x6A82;
    ap = &c->aps[c->cur_ap];
    if (find_ef(ap, (unsigned short)(a->data[0] << 8 | a->data[1]), &idx) == NULL)
        return 0x6A82;
    c->cur_ef = idx;
    return 0x9000;
}

/* Resolve the EF of a command: a short EF id (sfi != 0) selects it, 0 means the current EF. */
static ef *target_ef(vcard *c, unsigned sfi, unsigned *sw)
{
    app *ap;
    int idx;
    if (c->cur_ap == AP_NONE) {
        *sw = 0x6986; /* no current EF */
        return NULL;
    }
    ap = &c->aps[c->cur_ap];
    if (sfi != 0) {
        if (find_ef(ap, (unsigned short)sfi, &idx) == NULL) {
            *sw = 0x6A82;
            return NULL;
        }
        c->cur_ef = idx;
    }
    if (c->cur_ef < 0) {
        *sw = 0x6986;
        return NULL;
    }
    return &ap->efs[c->cur_ef];
}

static unsigned cmd_read_binary(vcard *c, const apdu *a, reply *r, int *mn_read)
{
    unsigned sw;
    size_t off, n;
    ef *e;
    if (a->extended || a->lc != 0)
        return 0x6700; /* short READ BINARY only (jpki-card.md) */
    if (!a->has_le)
        return 0x6700;
    if (a->p1 & 0x80) {
        if (a->p1 & 0x60)
            return 0x6A86;
        e = target_ef(c, a->p1 & 0x1F, &sw);
        off = a->p2;
    } else {
        e = target_ef(c, 0, &sw);
        off = (size_t)(a->p1 & 0x7F) << 8 | a->p2;
    }
    if (e == NULL)
        return sw;
    if (e->kind != EF_BIN)
        return 0x6981; /* key and PIN EFs are not readable */
    if (e->pin >= 0 && !c->aps[c->cur_ap].pins[e->pin].verified)
        return 0x6982;
    if (off >= e->len)
        return 0x6B00;
    n = e->len - off;
    if (n > a->le)
        n = a->le;
    put(r, e->data + off, n);
    if (e->mynumber)
        *mn_read = 1;
    /* choice: fewer bytes than Le → 6282 (ISO 7816-4 end of file), which myna-card treats as
     * EOF. */
    return n < a->le ? 0x6282 : 0x9000;
}

static pin *pin_of(vcard *c, const apdu *a, unsigned *sw)
{
    ef *e;
    if (a->p1 != 0x00 || (a->p2 & 0x80) == 0 || (a->p2 & 0x60) != 0) {
        *sw = 0x6A86;
        return NULL;
    }
    e = target_ef(c, a->p2 & 0x1F, sw);
    if (e == NULL)
        return NULL;
    if (e->kind != EF_PIN) {
        *sw = 0x6A88; /* referenced data (the PIN) not found */
        return NULL;
    }
    return &c->aps[c->cur_ap].pins[e->pin];
}

static int ct_equal(const char *a, size_t alen, const unsigned char *b, size_t blen)
{
    unsigned char d = (unsigned char)(alen != blen);
    size_t i;
    for (i = 0; i < alen && i < blen; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static unsigned cmd_verify(vcard *c, const apdu *a)
{
    unsigned sw;
    pin *p = pin_of(c, a, &sw);
    if (p == NULL)
        return sw;
    if (a->lc == 0) /* query without spending a try [OpenSC, myna, jpki-rs, myna-card] */
        return 0x63C0 | (unsigned)p->left;
    if (p->left == 0)
        return 0x6984; /* locked: every later attempt [myna-card README] */
    if (ct_equal(p->value, p->len, a->data, a->lc)) {
        p->left = p->max;
        p->verified = 1;
        return 0x9000;
    }
    p->left--;
    p->verified = 0;
    return 0x63C0 | (unsigned)p->left;
}

static unsigned cmd_sign(vcard *c, const apdu *a, reply *r)
{
    unsigned char sig[MBEDTLS_MPI_MAX_SIZE];
    mbedtls_rsa_context *rsa;
    uint64_t start = now_ns();
    unsigned sw;
    size_t klen;
    ef *e;
    int rc;

    if (a->p1 != 0x00) /* choice: P1 01..05 (myna-card) are not emulated */
        return 0x6A86;
    if ((a->p2 & 0x80) == 0 || (a->p2 & 0x60) != 0)
        return 0x6A86;
    e = target_ef(c, a->p2 & 0x1F, &sw);
    if (e == NULL)
        return sw;
    if (e->kind != EF_KEY)
        return 0x6981;
    if (!c->aps[c->cur_ap].pins[e->pin].verified)
        return 0x6982;
    rsa = mbedtls_pk_rsa(c->key);
    klen = mbedtls_pk_get_len(&c->key);
    if (a->lc == 0 || a->lc + 11 > klen)
        return 0x6700;
    /* PKCS#1 v1.5 type-1 padding over the DigestInfo as given (hash "none"). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    rc = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, mbedtls_ctr_drbg_random, &c->drbg,
                                           MBEDTLS_MD_NONE, (unsigned)a->lc, a->data, sig);
#else
    rc = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, mbedtls_ctr_drbg_random, &c->drbg,
                                           MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_NONE,
                                           (unsigned)a->lc, a->data, sig);
#endif
    if (rc != 0)
        return 0x6F00;
    if (c->sign_ms)
        sleep_until(start, c->sign_ms);
    put(r, sig, klen);
    c->stats.signs++;
    return 0x9000;
}

static unsigned dispatch(vcard *c, const apdu *a, reply *r, int *mn_read)
{
    if (a->cla == 0x80) {
        if (a->ins == 0x2A)
            return cmd_sign(c, a, r);
        return 0x6D00;
    }
    if (a->cla != 0x00)
        return 0x6E00;
    switch (a->ins) {
    case 0xA4:
        return cmd_select(c, a);
    case 0xB0:
        return cmd_read_binary(c, a, r, mn_read);
    case 0x20:
        return cmd_verify(c, a);
    case 0x2A:
        return 0x6E00; /* SIGN needs CLA 80 */
    default:
        return 0x6D00;
    }
}

/* ---- log line ------------------------------------------------------------------------------ */

static void log_apdu(vcard *c, const unsigned char *cmd, size_t cmd_len, const apdu *a,
                     const unsigned char *resp, size_t resp_len, int forbidden, int mn_read)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Worst case: extended command + 64 KiB answer, two chars a byte. */
    size_t cap = 2 * (cmd_len + resp_len) + 64, o = 0, i;
    size_t mask_from = cmd_len, mask_to = cmd_len;
    char *line;
    if (c->log_fn == NULL)
        return;
    line = malloc(cap);
    if (line == NULL)
        return;
    if (a != NULL && a->ins == 0x20 && a->lc > 0) {
        mask_from = (size_t)(a->data - cmd);
        mask_to = mask_from + a->lc;
    }
    for (i = 0; i < cmd_len; i++) {
        int masked = i >= mask_from && i < mask_to;
        line[o++] = masked ? '*' : hex[cmd[i] >> 4];
        line[o++] = masked ? '*' : hex[cmd[i] & 15];
    }
    line[o++] = ' ';
    for (i = 0; i < resp_len; i++) {
        line[o++] = hex[resp[i] >> 4];
        line[o++] = hex[resp[i] & 15];
    }
    line[o] = '\0';
    if (forbidden)
        strcat(line, " FORBIDDEN");
    if (mn_read)
        strcat(line, " MYNUMBER-READ");
    c->log_fn(c->log_ud, line);
    mbedtls_platform_zeroize(line, cap);
    free(line);
}

int vcard_transmit(vcard *c, const unsigned char *cmd, size_t cmd_len, unsigned char *resp,
                   size_t resp_cap, size_t *resp_len)
{
    uint64_t start = now_ns();
    reply r;
    apdu a;
    unsigned sw;
    int forbidden, mn_read = 0, parsed;

    r.buf = resp;
    r.cap = resp_cap;
    r.len = 0;
    parsed = parse_apdu(cmd, cmd_len, &a) == 0;
    forbidden = vcard_apdu_forbidden(cmd, cmd_len, c->cur_ap == AP_JPKI);
    sw = parsed ? dispatch(c, &a, &r, &mn_read) : 0x6700;
    if (r.len + 2 > resp_cap) {
        *resp_len = r.len + 2;
        return -1;
    }
    resp[r.len++] = (unsigned char)(sw >> 8);
    resp[r.len++] = (unsigned char)sw;
    *resp_len = r.len;
    c->stats.apdus++;
    if (forbidden)
        c->stats.forbidden++;
    if (mn_read)
        c->stats.mynumber_reads++;
    log_apdu(c, cmd, cmd_len, parsed ? &a : NULL, resp, r.len, forbidden, mn_read);
    if (c->latency_ms)
        sleep_until(start, (a.ins == 0x2A && c->sign_ms ? c->sign_ms : 0) + c->latency_ms);
    return 0;
}

int ONSHI_CALL vcard_transmit_cb(void *userdata, const unsigned char *cmd, size_t cmd_len,
                                 unsigned char *resp, size_t resp_cap, size_t *resp_len)
{
    vcard *c = userdata;
    if (c->remove_after && c->stats.apdus >= c->remove_after) {
        *resp_len = 0;
        return ONSHI_E_CARD_REMOVED; /* the vendor's reader reports the card gone */
    }
    return vcard_transmit(c, cmd, cmd_len, resp, resp_cap, resp_len);
}

int ONSHI_CALL vcard_reset_cb(void *userdata)
{
    vcard_power((vcard *)userdata, VCARD_POWER_RESET);
    return 0;
}
