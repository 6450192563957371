/*
 * ISO/IEC 7816-4 command and response APDUs (cases 1-4, short and extended form).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

int onshi__apdu_case(const onshi__apdu *a)
{
    if (a->lc == 0)
        return a->le == 0 ? 1 : 2;
    return a->le == 0 ? 3 : 4;
}

int onshi__apdu_encode(const onshi__apdu *a, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    if (a->lc > 65535 || a->le > 65536 || (a->lc > 0 && a->data == NULL))
        return ONSHI_E_JPKI_APDU_ENCODE;
    bool ext = a->extended || a->lc > 255 || a->le > 256;
    size_t need = 4 + (a->lc ? (ext ? 3 : 1) + a->lc : 0) +
                  (a->le ? (ext ? (a->lc ? 2 : 3) : 1) : 0);
    if (need > cap)
        return ONSHI_E_JPKI_APDU_ENCODE;
    size_t n = 0;
    out[n++] = a->cla;
    out[n++] = a->ins;
    out[n++] = a->p1;
    out[n++] = a->p2;
    if (a->lc) {
        if (ext) {
            out[n++] = 0x00;
            out[n++] = (uint8_t)(a->lc >> 8);
        }
        out[n++] = (uint8_t)a->lc;
        for (size_t i = 0; i < a->lc; i++)
            out[n++] = a->data[i];
    }
    if (a->le) {
        if (ext) {
            if (a->lc == 0)
                out[n++] = 0x00;
            out[n++] = (uint8_t)((a->le & 0xFFFF) >> 8); /* 65536 → 00 00 */
        }
        out[n++] = (uint8_t)a->le; /* 256 → 00 */
    }
    *len = n;
    return ONSHI_OK;
}

int onshi__apdu_parse(onshi__apdu *a, const uint8_t *b, size_t len)
{
    *a = (onshi__apdu){0};
    if (len < 4)
        return ONSHI_E_JPKI_BAD_RESPONSE;
    a->cla = b[0];
    a->ins = b[1];
    a->p1 = b[2];
    a->p2 = b[3];
    if (len == 4)
        return ONSHI_OK;
    size_t rest = len - 5;
    if (len == 5) { /* case 2 short */
        a->le = b[4] ? b[4] : 256;
        return ONSHI_OK;
    }
    if (b[4] != 0) { /* short Lc */
        a->lc = b[4];
        a->data = b + 5;
        if (rest == a->lc)
            return ONSHI_OK;
        if (rest == a->lc + 1) {
            a->le = b[len - 1] ? b[len - 1] : 256;
            return ONSHI_OK;
        }
        return ONSHI_E_JPKI_BAD_RESPONSE;
    }
    a->extended = true;
    if (len == 7) { /* case 2 extended */
        size_t le = ((size_t)b[5] << 8) | b[6];
        a->le = le ? le : 65536;
        return ONSHI_OK;
    }
    if (len < 8)
        return ONSHI_E_JPKI_BAD_RESPONSE;
    a->lc = ((size_t)b[5] << 8) | b[6];
    if (a->lc == 0)
        return ONSHI_E_JPKI_BAD_RESPONSE;
    a->data = b + 7;
    if (len == 7 + a->lc)
        return ONSHI_OK;
    if (len == 9 + a->lc) {
        size_t le = ((size_t)b[len - 2] << 8) | b[len - 1];
        a->le = le ? le : 65536;
        return ONSHI_OK;
    }
    return ONSHI_E_JPKI_BAD_RESPONSE;
}

int onshi__rapdu_parse(onshi__rapdu *r, const uint8_t *buf, size_t len)
{
    *r = (onshi__rapdu){0};
    if (len < 2)
        return ONSHI_E_JPKI_BAD_RESPONSE;
    r->data = buf;
    r->len = len - 2;
    r->sw = (uint16_t)((buf[len - 2] << 8) | buf[len - 1]);
    return ONSHI_OK;
}
