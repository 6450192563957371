/*
 * The allowlisted command channel. Privacy by construction: the only SELECTs that exist are
 * "the profile's AP" and "one of the profile's EFs by role", and every encoded command is
 * checked once more against the profile right before it reaches the reader. READ BINARY,
 * VERIFY and SIGN are accepted only while the channel itself has selected the file they
 * act on in the current transaction, so nothing another program left selected can be read.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <stdio.h>
#include <string.h>

#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0
#define INS_VERIFY 0x20

static bool fid_in_profile(const onshi__jpki_profile *prof, const uint8_t *fid)
{
    uint16_t f = (uint16_t)((fid[0] << 8) | fid[1]);
    for (int i = 0; i < ONSHI__EF_COUNT; i++)
        if (prof->ef[i] == f)
            return true;
    return false;
}

bool onshi__jpki_allowed(const onshi__jpki_profile *prof, const uint8_t *cmd, size_t len,
                         const char **why)
{
    onshi__apdu a;
    *why = NULL;
    if (onshi__apdu_parse(&a, cmd, len) != ONSHI_OK) {
        *why = "malformed command";
        return false;
    }
    int c = onshi__apdu_case(&a);
    if (a.ins == INS_SELECT) {
        if (a.cla != 0x00 || a.extended || c != 3 || a.p2 != 0x0C)
            *why = "SELECT form not allowed";
        else if (a.p1 == 0x04 && a.lc == prof->aid_len && memcmp(a.data, prof->aid, a.lc) == 0)
            return true;
        else if (a.p1 == 0x02 && a.lc == 2 && fid_in_profile(prof, a.data))
            return true;
        else
            *why = "SELECT outside the JPKI AP and its files 0006/000A/000B/0017/0018";
        return false;
    }
    if (a.cla == 0x00 && a.ins == INS_READ_BINARY && c == 2 && !a.extended && !(a.p1 & 0x80))
        return true; /* P1 b8 set would read by short EF id, bypassing SELECT */
    if (a.cla == 0x00 && a.ins == INS_VERIFY && a.p1 == 0x00 && a.p2 == prof->verify_p2 &&
        !a.extended && (c == 1 || (c == 3 && a.lc >= prof->pin_min_len &&
                                   a.lc <= prof->pin_max_len)))
        return true;
    if (a.cla == prof->sign_cla && a.ins == prof->sign_ins && a.p1 == prof->sign_p1 &&
        a.p2 == prof->sign_p2 && c == 4)
        return true;
    *why = "command not in the JPKI allowlist";
    return false;
}

void onshi__jpki_trace_fmt(char *out, size_t cap, const uint8_t *cmd, size_t len)
{
    size_t shown = len;
    bool masked = false;
    if (len > 5 && cmd[1] == INS_VERIFY) { /* never the PIN: header and Lc only */
        shown = 5;
        masked = true;
    }
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < shown && n + 4 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02X", cmd[i]);
    if (masked && n + 12 < cap)
        snprintf(out + n, cap - n, " ********");
    else if (shown < len && n + 4 < cap)
        snprintf(out + n, cap - n, "...");
}

static void trace(onshi__jpki_chan *ch, const uint8_t *cmd, size_t len, const uint8_t *resp,
                  size_t rlen)
{
    if (!onshi__opt_int(ch->ctx, ONSHI_OPT_JPKI_APDU_TRACE) ||
        !onshi__log_enabled(ch->ctx, ONSHI_LOG_DEBUG))
        return;
    char c[128], r[80];
    onshi__jpki_trace_fmt(c, sizeof c, cmd, len);
    size_t n = 0;
    r[0] = '\0';
    for (size_t i = 0; i + 2 < rlen && i < 16; i++)
        n += (size_t)snprintf(r + n, sizeof r - n, "%02X", resp[i]);
    onshi__log(ch->ctx, ONSHI_LOG_DEBUG, "jpki", "> %s < %s%s [%zu data] %02X%02X", c, r,
               rlen > 18 ? "..." : "", rlen - 2, resp[rlen - 2], resp[rlen - 1]);
}

/* The single point where bytes leave for the reader. */
static int transmit(onshi__jpki_chan *ch, const onshi__apdu *a, uint8_t *resp,
                    onshi__rapdu *r)
{
    uint8_t cmd[4 + 1 + 255 + 1]; /* JPKI commands are short APDUs */
    size_t len;
    if (onshi__apdu_encode(a, cmd, sizeof cmd, &len) != ONSHI_OK)
        return onshi__err(ch->ctx, ONSHI_E_JPKI_APDU_ENCODE,
                          "command %02X %02X cannot be encoded (Lc %zu, Le %zu)", a->cla,
                          a->ins, a->lc, a->le);
    const char *why;
    if (!onshi__jpki_allowed(ch->prof, cmd, len, &why))
        return onshi__err_ja(ch->ctx, ONSHI_E_JPKI_APDU_REFUSED, ONSHI_FOREIGN_NONE, 0, why,
                             "マイナンバーカードの許可されていない領域へのアクセスを拒否しました");
    size_t rlen = 0;
    int rc = onshi__reader_transmit(ch->reader, cmd, len, resp, ONSHI__RESP_MAX, &rlen);
    ch->apdus++;
    if (rc == ONSHI_OK)
        trace(ch, cmd, len, resp, rlen); /* masks VERIFY data itself */
    onshi_mem_wipe(cmd, len);                /* the PIN, if this was a VERIFY */
    if (rc != ONSHI_OK) {
        ch->cur_ef = -1;
        return rc;
    }
    return onshi__rapdu_parse(r, resp, rlen);
}

void onshi__jpki_chan_reset(onshi__jpki_chan *ch)
{
    ch->ap_selected = false;
    ch->cur_ef = -1;
}

int onshi__jpki_select_ap(onshi__jpki_chan *ch)
{
    onshi__apdu a = {0x00, INS_SELECT, 0x04, 0x0C, ch->prof->aid, ch->prof->aid_len, 0, false};
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    onshi__jpki_chan_reset(ch);
    int rc = transmit(ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (r.sw != 0x9000)
        return onshi__err_foreign(ch->ctx, ONSHI_E_JPKI_NOT_JPKI, ONSHI_FOREIGN_SW, r.sw,
                                  "SELECT of the JPKI AP answered %04X", r.sw);
    ch->ap_selected = true;
    return ONSHI_OK;
}

int onshi__jpki_select_ef(onshi__jpki_chan *ch, int ef)
{
    if (ef < 0 || ef >= ONSHI__EF_COUNT || !ch->ap_selected)
        return onshi__err(ch->ctx, ONSHI_E_JPKI_APDU_REFUSED,
                          "EF selection without the JPKI AP selected first");
    uint8_t fid[2] = {(uint8_t)(ch->prof->ef[ef] >> 8), (uint8_t)ch->prof->ef[ef]};
    onshi__apdu a = {0x00, INS_SELECT, 0x02, 0x0C, fid, 2, 0, false};
    uint8_t resp[ONSHI__RESP_MAX];
    onshi__rapdu r;
    ch->cur_ef = -1;
    int rc = transmit(ch, &a, resp, &r);
    if (rc != ONSHI_OK)
        return rc;
    if (r.sw != 0x9000) {
        char what[40];
        snprintf(what, sizeof what, "SELECT of EF %04X", ch->prof->ef[ef]);
        return onshi__jpki_sw_err(ch->ctx, r.sw, what);
    }
    ch->cur_ef = ef;
    return ONSHI_OK;
}

/* Which file a command acts on must be the one the channel selected. */
static bool ef_ok_for(const onshi__jpki_chan *ch, const onshi__apdu *a)
{
    if (!ch->ap_selected)
        return false;
    if (a->ins == INS_READ_BINARY)
        return ch->cur_ef == ONSHI__EF_TOKEN || ch->cur_ef == ONSHI__EF_AUTH_CERT ||
               ch->cur_ef == ONSHI__EF_AUTH_CA;
    if (a->ins == INS_VERIFY)
        return ch->cur_ef == ONSHI__EF_AUTH_PIN;
    if (a->cla == ch->prof->sign_cla && a->ins == ch->prof->sign_ins)
        return ch->cur_ef == ONSHI__EF_AUTH_KEY;
    return false;
}

int onshi__jpki_send(onshi__jpki_chan *ch, const onshi__apdu *a, uint8_t *resp,
                     onshi__rapdu *r)
{
    if (a->ins == INS_SELECT)
        return onshi__err(ch->ctx, ONSHI_E_JPKI_APDU_REFUSED,
                          "SELECT only through the JPKI profile");
    if (!ef_ok_for(ch, a))
        return onshi__err(ch->ctx, ONSHI_E_JPKI_APDU_REFUSED,
                          "command %02X %02X without its JPKI file selected by the SDK",
                          a->cla, a->ins);
    return transmit(ch, a, resp, r);
}

int onshi__jpki_sw_err(onshi_ctx *ctx, uint16_t sw, const char *what)
{
    int status = ONSHI_E_JPKI_SW;
    switch (sw) {
    case 0x6A82:
        status = ONSHI_E_JPKI_FILE_NOT_FOUND;
        break;
    case 0x6982:
        status = ONSHI_E_JPKI_PIN_REQUIRED;
        break;
    case 0x6983:
    case 0x6984:
    case 0x63C0:
        status = ONSHI_E_JPKI_PIN_LOCKED;
        break;
    default:
        break;
    }
    return onshi__err_foreign(ctx, status, ONSHI_FOREIGN_SW, sw, "%s: card answered %04X",
                              what, sw);
}
