/* Scripted-APDU reader for unit tests; see scripted_card.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api.h"
#include "scripted_card.h"

#include <stdio.h>
#include <string.h>

size_t sc_hex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap)
                out[n] = (uint8_t)(hi << 4 | v);
            n++;
            hi = -1;
        }
    }
    return n;
}

void sc_init(scripted_card *sc)
{
    memset(sc, 0, sizeof *sc);
}

static sc_step *add(scripted_card *sc, const char *cmd_hex)
{
    assert_true(sc->nsteps < SC_MAX_STEPS);
    sc_step *s = &sc->steps[sc->nsteps++];
    memset(s, 0, sizeof *s);
    s->cmd_len = sc_hex(s->cmd, sizeof s->cmd, cmd_hex);
    return s;
}

void sc_expect_hex(scripted_card *sc, const char *cmd_hex, const char *resp_hex)
{
    sc_step *s = add(sc, cmd_hex);
    s->resp_len = sc_hex(s->resp, sizeof s->resp, resp_hex);
}

void sc_expect(scripted_card *sc, const char *cmd_hex, const uint8_t *data, size_t n,
               uint16_t sw)
{
    sc_step *s = add(sc, cmd_hex);
    assert_true(n + 2 <= sizeof s->resp);
    if (n)
        memcpy(s->resp, data, n);
    s->resp[n] = (uint8_t)(sw >> 8);
    s->resp[n + 1] = (uint8_t)sw;
    s->resp_len = n + 2;
}

void sc_expect_fail(scripted_card *sc, const char *cmd_hex, int rc)
{
    add(sc, cmd_hex)->fail = rc;
}

void sc_expect_fn(scripted_card *sc, const char *prefix_hex, sc_handler fn, void *arg)
{
    sc_step *s = add(sc, prefix_hex);
    s->prefix = true;
    s->fn = fn;
    s->arg = arg;
}

static void hexs(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k + 3 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02X", p[i]);
}

int ONSHI_CALL sc_transmit(void *ud, const unsigned char *cmd, size_t len,
                           unsigned char *resp, size_t cap, size_t *rlen)
{
    scripted_card *sc = ud;
    if (sc->nlog < SC_MAX_STEPS) {
        size_t n = len < SC_MAX_CMD ? len : SC_MAX_CMD;
        memcpy(sc->log[sc->nlog], cmd, n);
        sc->log_len[sc->nlog++] = n;
    }
    const sc_step *s = sc->pos < sc->nsteps ? &sc->steps[sc->pos] : NULL;
    bool match = s != NULL && (s->prefix ? len >= s->cmd_len : len == s->cmd_len) &&
                 memcmp(cmd, s->cmd, s->cmd_len) == 0;
    if (!match) {
        char got[2 * SC_MAX_CMD + 1], want[2 * SC_MAX_CMD + 1];
        hexs(got, sizeof got, cmd, len);
        hexs(want, sizeof want, s ? s->cmd : (const uint8_t *)"", s ? s->cmd_len : 0);
        if (!sc->mismatch)
            snprintf(sc->mismatch_msg, sizeof sc->mismatch_msg, "step %zu: got %s, want %s",
                     sc->pos, got, s ? want : "(end of script)");
        sc->mismatch = true;
        resp[0] = 0x6D; /* INS not supported: the library sees a plain card error */
        resp[1] = 0x00;
        *rlen = 2;
        return 0;
    }
    sc->pos++;
    if (s->fail)
        return s->fail;
    if (s->fn)
        return s->fn(s->arg, cmd, len, resp, cap, rlen);
    assert_true(s->resp_len <= cap);
    memcpy(resp, s->resp, s->resp_len);
    *rlen = s->resp_len;
    return 0;
}

static int ONSHI_CALL sc_reset(void *ud)
{
    ((scripted_card *)ud)->resets++;
    return 0;
}

void sc_attach(onshi_ctx *ctx, scripted_card *sc)
{
    assert_int_equal(onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_DRIVER, ONSHI_CARD_DRIVER_CALLBACK),
                     ONSHI_OK);
    assert_int_equal(tcb_set_card_transmit(ctx, sc_transmit, sc), ONSHI_OK);
    assert_int_equal(tcb_set_card_reset(ctx, sc_reset, sc), ONSHI_OK);
}

void sc_assert_done(const scripted_card *sc)
{
    if (sc->mismatch)
        fail_msg("scripted card: %s", sc->mismatch_msg);
    if (sc->pos != sc->nsteps)
        fail_msg("scripted card: %zu of %zu steps used", sc->pos, sc->nsteps);
}

bool sc_only_allowed_selects(const scripted_card *sc)
{
    static const char *const allowed[] = {SC_SELECT_AP, SC_SELECT_TOKEN, SC_SELECT_AUTH_CERT,
                                          SC_SELECT_AUTH_CA, SC_SELECT_AUTH_KEY,
                                          SC_SELECT_AUTH_PIN};
    for (size_t i = 0; i < sc->nlog; i++) {
        const uint8_t *c = sc->log[i];
        if (sc->log_len[i] < 2 || c[1] != 0xA4)
            continue;
        bool ok = false;
        for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++) {
            uint8_t a[32];
            size_t n = sc_hex(a, sizeof a, allowed[k]);
            if (n == sc->log_len[i] && memcmp(a, c, n) == 0)
                ok = true;
        }
        if (!ok)
            return false;
    }
    return true;
}

void sc_script_open(scripted_card *sc)
{
    sc_expect_hex(sc, SC_SELECT_AP, "9000");
}

void sc_script_label(scripted_card *sc, const char *label)
{
    uint8_t tok[32];
    memset(tok, ' ', sizeof tok);
    memcpy(tok, label, strlen(label) < 32 ? strlen(label) : 32);
    sc_expect_hex(sc, SC_SELECT_TOKEN, "9000");
    sc_expect(sc, "00B0000020", tok, sizeof tok, 0x9000);
}

void sc_script_read(scripted_card *sc, const uint8_t *data, size_t n)
{
    size_t off = 0;
    while (off < n) {
        size_t chunk = n - off < 256 ? n - off : 256;
        char cmd[16];
        /* the first command always asks for 256 bytes: the size is not known yet */
        size_t le = off == 0 ? 256 : chunk;
        snprintf(cmd, sizeof cmd, "00B0%02X%02X%02X", (unsigned)(off >> 8), (unsigned)(off & 0xFF),
                 (unsigned)(le & 0xFF));
        sc_expect(sc, cmd, data + off, chunk, chunk < le ? 0x6282 : 0x9000);
        off += chunk;
    }
}
